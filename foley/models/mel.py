"""Auffusion's log-mel spectrogram and its image form.

waveform (16 kHz) -> log-mel (n_mels, frames at 100 Hz) -> image (3, n_mels, width) in
[-1, 1], the VAE's input; and back. The settings reproduce Auffusion's preprocessing:
peak normalization to 0.95, reflect padding of (n_fft - hop) / 2 with ``center=False``,
magnitude with a 1e-9 floor, librosa's Slaney mel filterbank, ``ln(clamp(x, 1e-5))``,
then clamp to [ln 1e-5, ln 200], rescale to [0, 1], three channels, low frequencies at
the bottom, time padded with silence (0) or cropped to the model width.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from ..errors import FoleyError


@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = 16_000
    n_fft: int = 2048
    hop_length: int = 160
    win_length: int = 1024
    n_mels: int = 256
    fmin: float = 0.0
    fmax: float = 8000.0
    peak: float = 0.95  # waveforms are peak-normalized to this before the STFT
    min_value: float = 1e-5  # image 0 = ln(min_value), the log floor and silence
    max_value: float = 200.0  # image 1 = ln(max_value)
    width: int = 1024  # model width in mel frames (10.24 s at 100 frames/s)

    def __post_init__(self) -> None:
        for name in ("sample_rate", "n_fft", "hop_length", "win_length", "n_mels", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"{name} must be a whole number > 0, got {value!r}")
        for name in ("fmin", "fmax", "peak", "min_value", "max_value"):
            if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), numbers.Real):
                raise ValueError(f"{name} must be a number, got {getattr(self, name)!r}")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(f"need 0 <= fmin < fmax <= sample_rate / 2, got fmin {self.fmin}, fmax {self.fmax} at "
                             f"{self.sample_rate} Hz")
        if (self.n_fft - self.hop_length) % 2:
            raise ValueError(f"n_fft - hop_length must be even, got {self.n_fft} - {self.hop_length}")
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length {self.win_length} exceeds n_fft {self.n_fft}")

    @property
    def frame_rate_hz(self) -> float:
        return self.sample_rate / self.hop_length

    @property
    def width_s(self) -> float:
        return self.width / self.frame_rate_hz

    def frames(self, duration_s: float) -> int:
        return max(0, math.ceil(duration_s * self.frame_rate_hz - 1e-6))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MelConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def mel_filterbank(cfg: MelConfig) -> torch.Tensor:
    """librosa's default (Slaney scale, Slaney norm) filterbank. (n_mels, n_fft // 2 + 1)"""
    fb = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
    return torch.from_numpy(fb)


class LogMel(torch.nn.Module):
    """Waveform -> natural-log mel spectrogram, one frame per hop: N samples -> N // hop frames."""

    def __init__(self, cfg: MelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("mel_basis", mel_filterbank(cfg), persistent=False)
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)

    def forward(self, wav: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        # (B, N) -> (B, n_mels, N // hop); ``normalize``: each row peak-normalized to cfg.peak first
        cfg = self.cfg
        if wav.ndim != 2 or wav.shape[-1] < cfg.hop_length:
            raise FoleyError(f"log-mel needs (batch, samples) with at least {cfg.hop_length} samples, got {tuple(wav.shape)}")
        wav = wav.float()
        if normalize:
            peak = wav.abs().amax(dim=-1, keepdim=True)
            wav = torch.where(peak > 0, wav / peak.clamp_min(1e-12) * cfg.peak, wav)
        pad = (cfg.n_fft - cfg.hop_length) // 2
        padded = F.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)  # (B, N + 2 pad)
        spec = torch.stft(padded, cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                          window=self.window, center=False, return_complex=True)  # (B, F, frames)
        mag = torch.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-9)
        mel = self.mel_basis @ mag  # (B, n_mels, frames)
        return torch.log(mel.clamp(min=cfg.min_value))


def log_mel(wav: np.ndarray | torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """Convenience: (N,) or (B, N) waveform -> (B, n_mels, N // hop) log-mel."""
    wav = torch.as_tensor(np.asarray(wav, dtype=np.float32) if isinstance(wav, np.ndarray) else wav)
    return LogMel(cfg)(wav.reshape(-1, wav.shape[-1]))


def mel_to_image(logmel: torch.Tensor, cfg: MelConfig, width: int | None = None) -> torch.Tensor:
    """Log-mel (B, n_mels, T) -> VAE image (B, 3, n_mels, width) in [-1, 1]."""
    width = cfg.width if width is None else width
    if logmel.ndim != 3 or logmel.shape[1] != cfg.n_mels:
        raise FoleyError(f"log-mel must be (batch, {cfg.n_mels}, frames), got {tuple(logmel.shape)}")
    lo, hi = math.log(cfg.min_value), math.log(cfg.max_value)
    unit = (logmel.clamp(lo, hi) - lo) / (hi - lo)  # (B, M, T) in [0, 1]
    t = unit.shape[-1]
    unit = unit[..., :width] if t >= width else F.pad(unit, (0, width - t), value=0.0)  # 0 = silence
    image = unit.flip(1).unsqueeze(1).expand(-1, 3, -1, -1)  # (B, 3, M, W), low frequencies at the bottom
    return image * 2.0 - 1.0


def image_to_mel(image: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """VAE image (B, C, n_mels, W) in [-1, 1] -> log-mel (B, n_mels, W) from channel 0."""
    if image.ndim != 4 or image.shape[2] != cfg.n_mels:
        raise FoleyError(f"mel image must be (batch, channels, {cfg.n_mels}, width), got {tuple(image.shape)}")
    lo, hi = math.log(cfg.min_value), math.log(cfg.max_value)
    unit = (image[:, 0].float() / 2.0 + 0.5).clamp(0.0, 1.0).flip(1)  # (B, M, W)
    return unit * (hi - lo) + lo
