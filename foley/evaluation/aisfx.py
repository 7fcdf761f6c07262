"""aiSFX: an embedder trained on professional sound-effect libraries, for FAD and as features.

The network and its weights come from the PyPI package ``aisfx`` 0.1.2 (A. B. Ma and A.
Lerch, "Representation Learning for the Automatic Indexing of Sound Effects Libraries",
ISMIR 2022; weights CC BY 4.0), model X-Sequential-CE: the package's
``CrossNet(EmbeddingNet('max', 3, 1, 64), ds_dict)`` (``models/cnn2d.py``, after the DCASE
cross-task CNN). Four blocks of two (3x3 conv, batch norm, ReLU), 2x2 max pooling after
the first three; the embedding is the last block's map averaged over the mel axis and
max-pooled over time (``8 * width`` = 512 values, >= 0). The training heads ``fc`` (one
Linear-ReLU-Linear-ReLU-Linear classifier per training dataset) are kept so that the
state dict loads key for key; their class names were never published, so ``embed`` does
not use them. ``foley import-aisfx`` converts the package's pickle once
(``aisfx_import.py``); this module only reads the converted folder (safetensors).

Front end: the package's default ``spectrogram_type='essentia'`` path, the one the model
was trained on (its librosa option differs: Hz-linear triangles, peak normalisation, and
a transposed (mel, time) output that ``blocking`` then cuts along the mel axis). Written
here with numpy because essentia is the only package that ships it:

- mono audio at 44.1 kHz (other rates resampled with ``foley.media.audio.resample``), no
  gain change (essentia's EasyLoader: replayGain -6 dB plus a 6 dB preamp = x1);
- frames of 2048 samples, hop 1024, the first centred on sample 0 and zero-padded (essentia
  FrameCutter, ``startFromZero=False``): ``ceil(N / 1024) + 1`` frames for N samples;
- symmetric Hann window ``0.5 - 0.5 cos(2 pi n / 2047)``, power spectrum ``|rfft|^2``;
- 96 triangles linear in HTK mel ``2595 log10(1 + f / 700)``, edges equally spaced in mel
  over 0-22,050 Hz, each band's weights summing to 1 (essentia MelBands ``htkMel``,
  ``weighting='warping'``, ``normalize='unit_sum'``, ``type='power'``);
- ``log10(1e4 x + 1)``, min-max scaled with the paper's (0, 9.457798957824707);
- blocks of 100 frames (2.3 s) with hop 50 (``emb_hop_size=0.5``), a partial last block
  dropped; a clip under one block is zero-padded to one (0 = silence after scaling).

One embedding per block, not aggregated (as the package). Two deliberate departures:
essentia adds random -100 dB noise to all-zero frames (``silentFrames='noise'``), which
moves the scaled input by < 2e-5; here such frames stay exactly zero (deterministic). And
the package stops with an assertion on clips of 50 frames or fewer (< 1.2 s); here they
give one zero-padded block.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import is_finite_number, is_whole_number
from ..errors import FoleyError
from ..media.audio import resample
from .embedders import ConvBlock

CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"

# The released model's training datasets and their class counts, in ``fc`` order.
RELEASED_HEADS = (("prosfx", 78), ("soundlyTrain", 79), ("ucsMixed", 69), ("soundstormBalanced", 81),
                  ("productionelementsBalanced", 10), ("cartoonexpressBalanced", 27), ("hpxdigitalBalanced", 3),
                  ("series6000Balanced", 23), ("series9000Balanced", 8))


@dataclass(frozen=True)
class AisfxConfig:
    width: int = 64  # channels of conv block 1; blocks 2-4 double it, the embedding has 8 * width
    heads: tuple[tuple[str, int], ...] = RELEASED_HEADS  # (dataset, n_classes) per training head
    sample_rate: int = 44_100
    frame_size: int = 2048  # samples per STFT frame
    hop: int = 1024  # samples between frames
    n_mels: int = 96
    fmin: float = 0.0  # Hz
    fmax: float = 22_050.0  # Hz
    log_scale: float = 1e4  # log10(log_scale * mel + 1)
    norm_min: float = 0.0
    norm_max: float = 9.457798957824707
    block_frames: int = 100  # frames per embedding
    block_hop_frames: int = 50

    def __post_init__(self) -> None:  # ValueError: AisfxNet.from_pretrained names the file
        for name in ("width", "sample_rate", "frame_size", "hop", "n_mels", "block_frames", "block_hop_frames"):
            if not is_whole_number(getattr(self, name)) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a whole number > 0, got {getattr(self, name)!r}")
        if min(self.n_mels, self.block_frames) < 8:  # three 2x2 poolings must leave at least one row and column
            raise ValueError(f"n_mels and block_frames must be at least 8, got {self.n_mels} and {self.block_frames}")
        for name in ("fmin", "fmax", "log_scale", "norm_min", "norm_max"):
            if not is_finite_number(getattr(self, name)):
                raise ValueError(f"{name} must be a number, got {getattr(self, name)!r}")
        if not (0 <= self.fmin < self.fmax <= self.sample_rate / 2 and self.log_scale > 0
                and self.norm_max > self.norm_min):
            raise ValueError("need 0 <= fmin < fmax <= sample_rate / 2, log_scale > 0 and norm_max > norm_min")

    @property
    def dim(self) -> int:
        return 8 * self.width

    def to_dict(self) -> dict:
        return {**asdict(self), "heads": [list(h) for h in self.heads]}

    @classmethod
    def from_dict(cls, data: dict) -> "AisfxConfig":
        data = dict(data)
        data["heads"] = tuple((str(name), int(n)) for name, n in data.get("heads", ()))
        return cls(**data)


# ------------------------------------------------------------------------ front end ---

def htk_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale, 2595 log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, np.float64) / 700.0)


def mel_filterbank(cfg: AisfxConfig = AisfxConfig()) -> np.ndarray:
    """essentia's MelBands weights (htkMel, warping weighting, unit_sum): (n_mels, frame_size // 2 + 1).

    Band i is a triangle over edges i, i+1, i+2 (equally spaced in HTK mel from fmin to
    fmax) that is linear in mel, its weights normalised to sum to 1.
    """
    n_bins = cfg.frame_size // 2 + 1
    bins = htk_mel(np.arange(n_bins) * (cfg.sample_rate / 2) / (n_bins - 1))[None, :]  # (1, F)
    edges = np.linspace(htk_mel(cfg.fmin), htk_mel(cfg.fmax), cfg.n_mels + 2)
    lo, center, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    weights = np.maximum(0.0, np.minimum((bins - lo) / (center - lo), (hi - bins) / (hi - center)))  # (M, F)
    return weights / weights.sum(axis=1, keepdims=True)


def scaled_log_mel(wav: np.ndarray, cfg: AisfxConfig = AisfxConfig()) -> np.ndarray:
    """(N,) audio at ``cfg.sample_rate`` -> (T, n_mels) float32 scaled log mel, T = ceil(N / hop) + 1."""
    wav = np.asarray(wav, np.float64)
    start = -((cfg.frame_size + 1) // 2)  # essentia FrameCutter: first frame centred on sample 0
    n_frames = 1 + -(-(len(wav) - start - cfg.frame_size // 2) // cfg.hop)  # until a centre reaches the end
    right = max(0, start + (n_frames - 1) * cfg.hop + cfg.frame_size - len(wav))
    padded = np.pad(wav, (-start, right))
    frames = padded[np.arange(cfg.frame_size)[None, :] + cfg.hop * np.arange(n_frames)[:, None]]  # (T, frame)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(cfg.frame_size) / (cfg.frame_size - 1))
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2  # (T, F)
    log_mel = np.log10(cfg.log_scale * (power @ mel_filterbank(cfg).T) + 1.0)  # (T, M)
    return ((log_mel - cfg.norm_min) / (cfg.norm_max - cfg.norm_min)).astype(np.float32)


def cut_blocks(spec: np.ndarray, cfg: AisfxConfig = AisfxConfig()) -> np.ndarray:
    """(T, M) -> (n, block_frames, M): hop ``block_hop_frames``, partial last block dropped, >= 1 block."""
    size, hop = cfg.block_frames, cfg.block_hop_frames
    n = max(1, 1 + (len(spec) - size) // hop)
    spec = np.pad(spec, ((0, max(0, size - len(spec))), (0, 0)))
    return spec[np.arange(size)[None, :] + hop * np.arange(n)[:, None]]


def aisfx_blocks(wav: np.ndarray, sample_rate: int, cfg: AisfxConfig = AisfxConfig()) -> np.ndarray:
    """(N,) mono audio at ``sample_rate`` -> (n_blocks, block_frames, n_mels) float32 model input.

    Raises ``FoleyError`` for audio that is empty, not 1-D or not finite.
    """
    wav = np.asarray(wav, np.float32)
    if wav.ndim != 1 or len(wav) == 0:
        raise FoleyError(f"aisfx: expected non-empty mono audio of shape (N,), got shape {wav.shape}")
    if not np.isfinite(wav).all():
        raise FoleyError("aisfx: the audio contains NaN or infinite samples")
    return cut_blocks(scaled_log_mel(resample(wav, sample_rate, cfg.sample_rate), cfg), cfg)


# -------------------------------------------------------------------------- network ---

class _EmbeddingNet(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        channels = (1, width, 2 * width, 4 * width, 8 * width)
        for i in range(4):
            setattr(self, f"conv_block{i + 1}", ConvBlock(channels[i], channels[i + 1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(1)  # (B, 1, T, M)
        for i in range(4):
            x = getattr(self, f"conv_block{i + 1}")(x, pool=1)
            x = F.max_pool2d(x, 2) if i < 3 else x  # (B, C, T / 2, M / 2)
        return x.mean(dim=3).max(dim=2).values  # (B, C): mean over mel, max over time


class AisfxNet(nn.Module):
    """The package's CrossNet: ``embedding_net`` (the embedder) and ``fc`` (the training heads)."""

    def __init__(self, config: AisfxConfig = AisfxConfig()):
        super().__init__()
        self.config = config
        d = config.dim
        self.embedding_net = _EmbeddingNet(config.width)
        self.fc = nn.ModuleList(nn.Sequential(nn.Linear(d, d // 2), nn.ReLU(), nn.Linear(d // 2, d // 4), nn.ReLU(),
                                              nn.Linear(d // 4, n)) for _, n in config.heads)

    def forward(self, blocks: torch.Tensor) -> torch.Tensor:
        """(B, block_frames, n_mels) scaled log mel -> (B, 8 * width) embeddings."""
        return self.embedding_net(blocks)

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created if needed)."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2), encoding="utf-8")
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(directory / WEIGHTS_FILE))
        (directory / WEIGHTS_FILE).chmod((directory / CONFIG_FILE).stat().st_mode)  # safetensors writes 0600

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike) -> "AisfxNet":
        """Load a folder written by ``save_pretrained`` or ``foley import-aisfx`` (eval mode, float32).

        Raises ``FoleyError`` when the folder, its config or its weights are missing or do not fit.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        directory = Path(directory).expanduser()
        if not (directory / CONFIG_FILE).is_file() or not (directory / WEIGHTS_FILE).is_file():
            raise FoleyError(f"{directory}: not an aiSFX folder (needs {CONFIG_FILE} and {WEIGHTS_FILE}; "
                             f"make one with `foley import-aisfx checkpoint.pth --out DIR`)")
        try:
            config = AisfxConfig.from_dict(json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as e:
            raise FoleyError(f"{directory / CONFIG_FILE}: not a readable aiSFX config ({e})") from None
        model = cls(config)
        try:
            model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        except (SafetensorError, RuntimeError, OSError) as e:  # torch's first line names no weight: all of them
            detail = "; ".join(line.strip() for line in str(e).strip().splitlines()) or type(e).__name__
            raise FoleyError(f"{directory / WEIGHTS_FILE}: weights do not fit the config ({detail[:300]})") from None
        return model.eval()


# ------------------------------------------------------------------------- embedder ---

class AisfxEmbedder:
    """aiSFX embeddings for FAD (``get_embedder("aisfx:DIR")``): one row per 2.3 s block."""

    name = "aisfx"

    def __init__(self, model: AisfxNet, device: str = "cpu", batch_size: int = 32):
        self.model = model.eval().to(device)
        self.config = model.config
        self.sample_rate = model.config.sample_rate
        self.device, self.batch_size = device, batch_size

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, device: str = "cpu") -> "AisfxEmbedder":
        return cls(AisfxNet.from_pretrained(directory), device)

    @torch.no_grad()
    def embed(self, wav: np.ndarray, sample_rate: int | None = None) -> np.ndarray:
        """(N,) mono audio at ``sample_rate`` (default 44.1 kHz) -> (n_blocks, 8 * width) float32."""
        blocks = torch.from_numpy(aisfx_blocks(wav, sample_rate or self.sample_rate, self.config))
        out = [self.model(b.to(self.device)).cpu() for b in blocks.split(self.batch_size)]
        return torch.cat(out).numpy()
