"""Vocoders: log-mel (B, n_mels, T) -> waveform (B, T * hop).

- ``HifiGanVocoder``: Auffusion's HiFi-GAN V1 generator run by transformers'
  ``SpeechT5HifiGan`` (the same topology). Auffusion's ``vocoder/vocoder.pt`` (a torch
  pickle whose ``generator`` entry holds a state dict with weight-norm ``weight_g`` /
  ``weight_v`` keys) is converted on load: weight norm folded, ``ups`` renamed
  ``upsampler``.
- ``GriffinLimVocoder``: no weights; least-squares mel inversion then torchaudio's
  Griffin-Lim. Phase is estimated, so the sound is rougher than a neural vocoder's, but
  onsets and spectral envelopes are kept. The demo backbone uses it.

A vocoder folder holds ``config.json`` and its weights; ``load_vocoder`` reads any of the
three formats (Auffusion's, ``SpeechT5HifiGan.save_pretrained``'s, Griffin-Lim's). A folder
may also record the mel its model was trained on in ``mel_config.json`` (``foley
import-vocoder`` writes it; ``vocoder_mel_config`` reads it).
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

from ..config import is_finite_number, is_whole_number
from ..errors import FoleyError
from ..media.files import atomic_write_text, read_json_object
from .hub import checked_weights, quiet_loading
from .mel import MelConfig, mel_filterbank

AUFFUSION_CHECKPOINT = "vocoder.pt"
VOCODER_MEL_CONFIG = "mel_config.json"  # the mel the vocoder was trained on


class HifiGanVocoder(torch.nn.Module):
    """SpeechT5HifiGan with the (B, n_mels, T) convention of this package."""

    def __init__(self, model: SpeechT5HifiGan) -> None:
        super().__init__()
        self.model = model

    @property
    def sample_rate(self) -> int:
        return self.model.config.sampling_rate

    @property
    def n_mels(self) -> int:
        return self.model.config.model_in_dim

    @property
    def hop_length(self) -> int:
        return math.prod(self.model.config.upsample_rates)  # output samples per mel frame

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        # (B, n_mels, T) -> (B, T * hop)
        return self.model(logmel.transpose(1, 2).to(self.model.conv_pre.weight.dtype)).float()

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        self.model.save_pretrained(directory)


HIFIGAN_KEYS = ("upsample_rates", "upsample_kernel_sizes", "upsample_initial_channel", "resblock_kernel_sizes",
                "resblock_dilation_sizes", "num_mels", "sampling_rate")


def _positive_ints(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_hifigan_values(cfg: dict, source: str) -> None:
    """FoleyError naming ``source`` for a setting of the wrong kind, or lists that do not pair up
    (SpeechT5HifiGan zips them: a shorter list would build a generator that fails when run)."""
    for key in ("upsample_initial_channel", "num_mels", "sampling_rate"):
        if not _positive_ints(cfg[key]):
            raise FoleyError(f"{source}: {key} must be a whole number > 0, got {cfg[key]!r}")
    for key in ("upsample_rates", "upsample_kernel_sizes", "resblock_kernel_sizes"):
        if not (isinstance(cfg[key], list) and cfg[key] and all(map(_positive_ints, cfg[key]))):
            raise FoleyError(f"{source}: {key} must be a list of whole numbers > 0, got {cfg[key]!r}")
    dilations = cfg["resblock_dilation_sizes"]
    if not (isinstance(dilations, list) and all(isinstance(d, list) and d and all(map(_positive_ints, d))
                                                for d in dilations)):
        raise FoleyError(f"{source}: resblock_dilation_sizes must be a list of lists of whole numbers > 0, "
                         f"got {dilations!r}")
    for a, b in (("upsample_rates", "upsample_kernel_sizes"), ("resblock_kernel_sizes", "resblock_dilation_sizes")):
        if len(cfg[a]) != len(cfg[b]):
            raise FoleyError(f"{source}: {a} has {len(cfg[a])} entries but {b} has {len(cfg[b])}")


def hifigan_config_from_auffusion(cfg: dict, source: str = "HiFi-GAN config") -> SpeechT5HifiGanConfig:
    """Auffusion / jik876 HiFi-GAN ``config.json`` -> ``SpeechT5HifiGanConfig``; errors name ``source``."""
    missing = [k for k in HIFIGAN_KEYS if k not in cfg]
    if missing:
        raise FoleyError(f"{source}: lacks the HiFi-GAN settings {', '.join(missing)}")
    _check_hifigan_values(cfg, source)
    if str(cfg.get("resblock", "1")) != "1":
        raise FoleyError(f"{source}: HiFi-GAN resblock type {cfg.get('resblock')!r} is not supported "
                         "(only type '1', as in Auffusion)")
    for rate, kernel in zip(cfg["upsample_rates"], cfg["upsample_kernel_sizes"]):
        if (kernel - rate) % 2:
            raise FoleyError(f"{source}: HiFi-GAN upsample kernel {kernel} with rate {rate} needs output padding; "
                             "not supported")
    return SpeechT5HifiGanConfig(
        model_in_dim=cfg["num_mels"], sampling_rate=cfg["sampling_rate"],
        upsample_initial_channel=cfg["upsample_initial_channel"], upsample_rates=list(cfg["upsample_rates"]),
        upsample_kernel_sizes=list(cfg["upsample_kernel_sizes"]),
        resblock_kernel_sizes=list(cfg["resblock_kernel_sizes"]),
        resblock_dilation_sizes=[list(d) for d in cfg["resblock_dilation_sizes"]],
        leaky_relu_slope=0.1, normalize_before=False)


def convert_hifigan_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Original HiFi-GAN generator keys (with weight norm) -> SpeechT5HifiGan keys."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_v"):
            continue
        if key.endswith(".weight_g"):
            stem = key[: -len(".weight_g")]
            # What nn.utils.weight_norm computes (norm over every dim but 0): w = g * v / ||v||.
            value = torch._weight_norm(state[stem + ".weight_v"], value, 0)
            key = stem + ".weight"
        if key.startswith("ups."):
            key = "upsampler." + key[len("ups."):]
        out[key] = value
    return out


def load_jik876_hifigan(checkpoint: Path, cfg: dict, config_source: str = "HiFi-GAN config") -> HifiGanVocoder:
    """A jik876-format HiFi-GAN generator checkpoint and its ``config.json`` dict -> HifiGanVocoder.

    The checkpoint is a torch pickle of plain tensors, read with ``weights_only=True``
    (no code runs); its ``generator`` entry holds the weight-norm state dict (Auffusion's
    ``vocoder.pt``, jik876's ``generator_*.pth.tar``). Errors (unreadable file, no
    ``generator``, weights that do not fit the config) raise one-line ``FoleyError``s.
    """
    try:
        data = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # a missing file, not a pickle, or objects weights_only refuses
        refused = re.search(r"GLOBAL (\S+)", str(e))
        if refused:  # torch's own text would advise weights_only=False, which foley never does
            raise FoleyError(f"{checkpoint}: refused: the pickle asks for {refused.group(1)}, which a HiFi-GAN "
                             "checkpoint does not hold (nothing was run)") from None
        reason = (str(e).strip().splitlines() or [""])[0]
        raise FoleyError(f"{checkpoint}: not a readable HiFi-GAN checkpoint ({type(e).__name__}: {reason})") from None
    if not isinstance(data, dict) or not isinstance(data.get("generator"), dict):
        raise FoleyError(f"{checkpoint}: no 'generator' entry (not a HiFi-GAN generator checkpoint)")
    model = SpeechT5HifiGan(hifigan_config_from_auffusion(cfg, config_source))
    try:
        missing, unexpected = model.load_state_dict(convert_hifigan_state_dict(data["generator"]), strict=False)
    except (RuntimeError, KeyError, TypeError, AttributeError) as e:  # shapes that differ, a weight_g without weight_v
        detail = "; ".join(line.strip() for line in str(e).strip().splitlines())
        raise FoleyError(f"{checkpoint}: weights do not match the config ({type(e).__name__}: "
                         f"{detail[:300]})") from None
    if unexpected or set(missing) - {"mean", "scale"}:  # mean/scale are unused with normalize_before=False
        raise FoleyError(f"{checkpoint}: weights do not match the config "
                         f"(missing {sorted(missing)[:4]}, unexpected {sorted(unexpected)[:4]})")
    broken = next((k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()),
                  None)
    if broken:  # such a generator writes NaN audio
        raise FoleyError(f"{checkpoint}: {broken} holds NaN or infinite values")
    return HifiGanVocoder(model.eval())


def load_auffusion_hifigan(directory: Path) -> HifiGanVocoder:
    config = directory / "config.json"
    cfg = read_json_object(config, "HiFi-GAN config")
    return load_jik876_hifigan(directory / AUFFUSION_CHECKPOINT, cfg, str(config))


@dataclass(frozen=True)
class GriffinLimConfig:
    mel: MelConfig = field(default_factory=MelConfig)
    n_iter: int = 32
    momentum: float = 0.99
    vocoder_type: str = "griffin_lim"

    def __post_init__(self) -> None:  # ValueError, as MelConfig's: load_vocoder names the file
        if not is_whole_number(self.n_iter) or self.n_iter < 1:
            raise ValueError(f"n_iter must be a whole number >= 1, got {self.n_iter!r}")
        if not (is_finite_number(self.momentum) and 0 <= self.momentum < 1):
            raise ValueError(f"momentum must be a number from 0 to below 1, got {self.momentum!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GriffinLimConfig":
        data = dict(data)
        return cls(mel=MelConfig.from_dict(data.pop("mel", {})), **data)


class GriffinLimVocoder(torch.nn.Module):
    def __init__(self, cfg: GriffinLimConfig) -> None:
        super().__init__()
        self.cfg = cfg
        mel = cfg.mel
        self.register_buffer("inverse_basis", torch.linalg.pinv(mel_filterbank(mel)), persistent=False)  # (F, M)
        self.register_buffer("window", torch.hann_window(mel.win_length), persistent=False)

    @property
    def sample_rate(self) -> int:
        return self.cfg.mel.sample_rate

    @property
    def n_mels(self) -> int:
        return self.cfg.mel.n_mels

    @property
    def hop_length(self) -> int:
        return self.cfg.mel.hop_length

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        # (B, n_mels, T) -> (B, T * hop)
        mel = self.cfg.mel
        magnitude = (self.inverse_basis.float() @ logmel.float().exp()).clamp_min(0.0)  # (B, F, T)
        n = logmel.shape[-1] * mel.hop_length
        # Analysis frames are centred half a hop after t * hop (center=False with (n_fft - hop) / 2
        # padding); Griffin-Lim's istft centres them at t * hop: shift by half a hop.
        half = mel.hop_length // 2
        # centred STFT of n = T * hop samples has T + 1 frames: repeat the last one
        magnitude = torch.cat([magnitude, magnitude[..., -1:]], dim=-1)  # (B, F, T + 1)
        wav = AF.griffinlim(magnitude, self.window.float(), mel.n_fft, mel.hop_length, mel.win_length, power=1.0,
                            n_iter=self.cfg.n_iter, momentum=self.cfg.momentum, length=n, rand_init=False)  # (B, n)
        return F.pad(wav, (half, 0))[..., :n].clamp(-1.0, 1.0)

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(directory) / "config.json", json.dumps(self.cfg.to_dict(), indent=2))


def build_vocoder(cfg: GriffinLimConfig | SpeechT5HifiGanConfig) -> torch.nn.Module:
    if isinstance(cfg, GriffinLimConfig):
        return GriffinLimVocoder(cfg)
    return HifiGanVocoder(SpeechT5HifiGan(cfg).eval())


@quiet_loading()
def load_vocoder(directory: str | os.PathLike) -> torch.nn.Module:
    """Load a vocoder folder in any of the supported formats."""
    directory = Path(directory)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise FoleyError(f"{directory}: no vocoder config.json")
    if (directory / AUFFUSION_CHECKPOINT).is_file():
        return load_auffusion_hifigan(directory)
    cfg = read_json_object(config_path, "vocoder config")
    if cfg.get("vocoder_type") == "griffin_lim":
        try:
            return GriffinLimVocoder(GriffinLimConfig.from_dict(cfg))
        except (TypeError, ValueError, AttributeError) as e:
            raise FoleyError(f"{config_path}: not a usable Griffin-Lim config ({e})") from None
    if cfg.get("model_type") == SpeechT5HifiGanConfig.model_type:  # weights stored in fp16 are computed in fp32
        load = checked_weights(SpeechT5HifiGan.from_pretrained, "vocoder")
        model = load(directory, dtype=torch.float32).eval()
        for a, b in (("upsample_rates", "upsample_kernel_sizes"), ("resblock_kernel_sizes", "resblock_dilation_sizes")):
            if len(getattr(model.config, a)) != len(getattr(model.config, b)):  # it would fail when run
                raise FoleyError(f"{config_path}: {a} has {len(getattr(model.config, a))} entries but {b} has "
                                 f"{len(getattr(model.config, b))}")
        return HifiGanVocoder(model)
    raise FoleyError(f"{config_path}: unknown vocoder format (expected Auffusion's vocoder.pt, "
                     "a SpeechT5HifiGan folder or a Griffin-Lim config)")


def vocoder_mel_config(directory: str | os.PathLike) -> MelConfig | None:
    """The mel a vocoder folder's model expects (its ``mel_config.json``), or None when not recorded."""
    path = Path(directory) / VOCODER_MEL_CONFIG
    if not path.is_file():
        return None
    try:
        return MelConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, AttributeError) as e:  # bad JSON, or values MelConfig refuses
        raise FoleyError(f"{path}: not a valid mel config ({e})") from None
