"""Audio embedders for FAD. Each has a ``name`` that goes into every reported FAD, so that
numbers from different embedders are never mixed.

- ``logmel-stats``: a fixed log-mel statistic (mean and std of 64 log-mel bands over
  0.96 s windows, hop 0.48 s; 128-d per window). Needs no weights: works offline.
- ``vggish``: VGGish (0.96 s frames, 128-d, pre-ReLU, PCA off), loading torchvggish's
  state dict (`vggish-10086976.pth`) from a local path.
- ``panns-cnn14-16k``: PANNs Cnn14 at 16 kHz (2048-d per clip), loading the released
  checkpoint (`Cnn14_16k_mAP=0.438.pth`, a dict with a `model` state dict).
- ``aisfx``: aiSFX, trained on sound-effect libraries (44.1 kHz, 512-d per 2.3 s block),
  from a folder made by ``foley import-aisfx`` (see ``aisfx.py``).

The two networks are written here because no maintained package in our dependency set
ships them; their module names match the released state dicts key for key.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import FoleyError
from ..media.audio import resample


class AudioEmbedder(Protocol):
    name: str
    sample_rate: int

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """(N,) mono float audio at ``sample_rate`` -> (n, D) embeddings."""


def _frame(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    """(N, ...) -> (n, length, ...) without padding (at least one zero-padded frame)."""
    if len(x) < length:
        x = np.concatenate([x, np.zeros((length - len(x), *x.shape[1:]), x.dtype)])
    n = 1 + (len(x) - length) // hop
    idx = np.arange(length)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


# ------------------------------------------------------------------ log-mel statistic ---

class LogMelStats:
    name = "logmel-stats"
    sample_rate = 16_000

    def embed(self, wav: np.ndarray) -> np.ndarray:
        import librosa

        wav = np.asarray(wav, np.float32)
        # A clip shorter than one window (96 frames of hop 160, centred) is padded with silence: padding
        # the log-mel frames instead would add frames of log-mel 0, a loud sound, not silence.
        wav = np.pad(wav, (0, max(0, 95 * 160 - len(wav))))
        mel = librosa.feature.melspectrogram(y=wav, sr=16_000, n_fft=512, hop_length=160,
                                             n_mels=64, fmin=0, fmax=8000, power=2.0)  # (64, T)
        logmel = np.log(mel + 1e-6).T  # (T, 64)
        windows = _frame(logmel, 96, 48)  # (n, 96, 64)
        return np.concatenate([windows.mean(axis=1), windows.std(axis=1)], axis=1)  # (n, 128)


# ---------------------------------------------------------------------------- VGGish ---

def vggish_mel_matrix(n_mels=64, n_fft=512, sample_rate=16_000, fmin=125.0, fmax=7500.0) -> np.ndarray:
    """VGGish's mel weights: triangles that are linear in HTK mel, DC bin zeroed. (F, M)"""
    mel = lambda hz: 1127.0 * np.log1p(np.asarray(hz) / 700.0)  # noqa: E731
    bins_mel = mel(np.linspace(0, sample_rate / 2, n_fft // 2 + 1))
    edges = np.linspace(mel(fmin), mel(fmax), n_mels + 2)
    lo, center, hi = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0, np.minimum((bins_mel[:, None] - lo) / (center - lo), (hi - bins_mel[:, None]) / (hi - center)))
    weights[0, :] = 0
    return weights


def vggish_examples(wav: np.ndarray) -> np.ndarray:
    """16 kHz audio -> log-mel examples (n, 96, 64) as VGGish's front end computes them (a clip
    shorter than one example, 0.975 s, padded with silence to one)."""
    wav = np.asarray(wav, np.float64)
    wav = np.pad(wav, (0, max(0, 400 + 95 * 160 - len(wav))))  # 96 frames of 400, hop 160
    frames = _frame(wav, 400, 160)  # (T, 400)
    window = 0.5 - 0.5 * np.cos(2 * np.pi / 400 * np.arange(400))  # periodic Hann
    spec = np.abs(np.fft.rfft(frames * window, 512))  # (T, 257)
    log_mel = np.log(spec @ vggish_mel_matrix() + 0.01)  # (T, 64)
    return _frame(log_mel, 96, 96).astype(np.float32)


@dataclass(frozen=True)
class VGGishConfig:
    layers: tuple = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M")
    hidden: int = 4096
    dim: int = 128


class VGGish(nn.Module):
    def __init__(self, cfg: VGGishConfig = VGGishConfig()):
        super().__init__()
        mods, channels = [], 1
        for v in cfg.layers:
            if v == "M":
                mods.append(nn.MaxPool2d(2, 2))
            else:
                mods += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=True)]
                channels = v
        self.features = nn.Sequential(*mods)
        self.embeddings = nn.Sequential(nn.Linear(channels * 6 * 4, cfg.hidden), nn.ReLU(True),
                                        nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(True),
                                        nn.Linear(cfg.hidden, cfg.dim))  # pre-ReLU output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, C, 6, 4)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # TF's NHWC flattening order
        return self.embeddings(x)  # (B, dim)


# --------------------------------------------------------------------------- Cnn14 ---

class ConvBlock(nn.Module):
    """Two (3x3 conv, batch norm, ReLU), as in PANNs and aiSFX; key names as in their state dicts."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn1, self.bn2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor, pool: int) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, pool) if pool > 1 else x  # (B, C, T / pool, F / pool)


@dataclass(frozen=True)
class Cnn14Config:
    widths: tuple = (64, 128, 256, 512, 1024, 2048)
    n_classes: int = 527
    sample_rate: int = 16_000
    n_fft: int = 512
    hop: int = 160
    n_mels: int = 64
    fmin: float = 50.0
    fmax: float = 8000.0


class Cnn14(nn.Module):
    def __init__(self, cfg: Cnn14Config = Cnn14Config()):
        super().__init__()
        import librosa

        self.cfg = cfg
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        mel = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
        self.register_buffer("mel_w", torch.from_numpy(mel.T.astype(np.float32)), persistent=False)
        self.bn0 = nn.BatchNorm2d(cfg.n_mels)
        widths = (1, *cfg.widths)
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", ConvBlock(widths[i], widths[i + 1]))
        self.fc1 = nn.Linear(cfg.widths[-1], cfg.widths[-1])
        self.fc_audioset = nn.Linear(cfg.widths[-1], cfg.n_classes)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """(B, N) audio -> (B, D) clip embeddings (the `embedding` output, eval mode). Audio shorter
        than the network's shortest input (32 frames, 0.31 s at 16 kHz: five 2x2 poolings) is padded
        with silence to it, where the released code stops with an error."""
        wav = F.pad(wav, (0, max(0, 31 * self.cfg.hop - wav.shape[-1])))
        spec = torch.stft(wav, self.cfg.n_fft, self.cfg.hop, window=self.window, center=True,
                          pad_mode="reflect", return_complex=True).abs() ** 2  # (B, F, T)
        x = 10 * torch.log10(torch.clamp(spec.transpose(1, 2) @ self.mel_w, min=1e-10))  # (B, T, M)
        x = self.bn0(x.transpose(1, 2).unsqueeze(-1)).squeeze(-1).transpose(1, 2).unsqueeze(1)  # (B, 1, T, M)
        for i in range(6):
            x = getattr(self, f"conv_block{i + 1}")(x, 2 if i < 5 else 1)
        x = x.mean(dim=3)  # (B, C, T')
        x = x.max(dim=2).values + x.mean(dim=2)  # (B, C)
        return F.relu(self.fc1(x))  # (B, C)

    def logits(self, wav: torch.Tensor) -> torch.Tensor:
        """(B, N) audio -> (B, n_classes) AudioSet logits (before the sigmoid)."""
        return self.fc_audioset(self(wav))


# ------------------------------------------------------------------- torch wrappers ---

def _load_state(path: str | os.PathLike, what: str) -> dict:
    path = Path(path).expanduser()
    if not path.is_file():
        raise FoleyError(f"{path}: {what} weights not found; download them and pass the path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any unreadable checkpoint is the user's file problem
        raise FoleyError(f"{path}: cannot read {what} weights: not a PyTorch checkpoint of plain tensors") from None
    if not isinstance(state, dict):
        raise FoleyError(f"{path}: not {what} weights (a checkpoint holds a dict of tensors, this one a "
                         f"{type(state).__name__})")
    return state


def _load_into(model: nn.Module, state: dict, path: str | os.PathLike, what: str) -> None:
    """``model.load_state_dict(state)``, a mismatch said in one line naming the file."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as e:  # missing, unexpected or misshapen tensors
        first = next((line.strip() for line in str(e).splitlines()[1:] if line.strip()), str(e))
        first = first if len(first) <= 120 else first[:117] + "..."
        raise FoleyError(f"{Path(path).expanduser()}: not {what} weights ({first})") from None


class TorchEmbedder:
    """Runs VGGish (frame-level) or Cnn14 (clip-level) in eval mode on the CPU or a GPU."""

    def __init__(self, name: str, model: nn.Module, device: str = "cpu"):
        self.name, self.sample_rate = name, 16_000
        self.model = model.eval().to(device)
        self.device = device

    @classmethod
    def vggish(cls, weights: str | os.PathLike, cfg: VGGishConfig = VGGishConfig(), device="cpu") -> "TorchEmbedder":
        model = VGGish(cfg)
        _load_into(model, _load_state(weights, "VGGish"), weights, "VGGish")
        return cls("vggish", model, device)

    @classmethod
    def panns_cnn14_16k(cls, weights: str | os.PathLike, cfg: Cnn14Config = Cnn14Config(), device="cpu") -> "TorchEmbedder":
        state = _load_state(weights, "PANNs Cnn14-16k")
        state = state["model"] if isinstance(state.get("model"), dict) else state
        # The released file also stores the STFT/mel front end as buffers; ours are computed.
        state = {k: v for k, v in state.items() if not k.startswith(("spectrogram_extractor.", "logmel_extractor."))}
        model = Cnn14(cfg)
        _load_into(model, state, weights, "PANNs Cnn14-16k")
        return cls("panns-cnn14-16k", model, device)

    @torch.no_grad()
    def embed(self, wav: np.ndarray) -> np.ndarray:
        if isinstance(self.model, VGGish):
            x = torch.from_numpy(vggish_examples(wav)).unsqueeze(1)  # (n, 1, 96, 64)
        else:
            x = torch.from_numpy(np.asarray(wav, np.float32)).unsqueeze(0)  # (1, N)
        return self.model(x.to(self.device)).double().cpu().numpy()

    @torch.no_grad()
    def logits(self, wav: np.ndarray) -> np.ndarray:
        """(N,) audio at ``sample_rate`` -> (1, n_classes) class logits (Cnn14 only; for MKL)."""
        if not isinstance(self.model, Cnn14):
            raise FoleyError(f"{self.name} has no class outputs; MKL needs panns:PATH")
        x = torch.from_numpy(np.asarray(wav, np.float32)).unsqueeze(0)  # (1, N)
        return self.model.logits(x.to(self.device)).double().cpu().numpy()


def get_embedder(spec: str, device: str = "cpu") -> AudioEmbedder:
    """``logmel`` | ``vggish:PATH`` | ``panns:PATH`` | ``aisfx:DIR``."""
    kind, _, path = spec.partition(":")
    if kind == "logmel" and not path:
        return LogMelStats()
    if kind == "vggish" and path:
        return TorchEmbedder.vggish(path, device=device)
    if kind == "panns" and path:
        return TorchEmbedder.panns_cnn14_16k(path, device=device)
    if kind == "aisfx" and path:
        from .aisfx import AisfxEmbedder

        return AisfxEmbedder.from_pretrained(path, device=device)
    raise FoleyError(f"unknown embedder {spec!r}; use logmel, vggish:PATH, panns:PATH or aisfx:DIR")


class PCAEmbedder:
    """Another embedder's blocks on the first ``dims`` principal components of reference blocks
    (:func:`foley.evaluation.fad.pca_projection`), named ``<name>-pca<dims>``."""

    def __init__(self, inner: AudioEmbedder, reference_blocks: np.ndarray, dims: int):
        from .fad import pca_projection

        self.inner, self.sample_rate, self.name = inner, inner.sample_rate, f"{inner.name}-pca{dims}"
        self.project = pca_projection(reference_blocks, dims)

    def embed(self, wav: np.ndarray) -> np.ndarray:
        return self.project(self.inner.embed(wav))  # (n, dims)


def embed_audio(embedder: AudioEmbedder, wav: np.ndarray, sample_rate: int) -> np.ndarray:
    return embedder.embed(resample(np.asarray(wav, np.float32), sample_rate, embedder.sample_rate))
