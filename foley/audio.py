"""Audio reading, writing and resampling.

soundfile reads and writes audio files; audio inside video containers (mp4, mkv, webm,
...) is decoded with PyAV. Resampling uses torchaudio's windowed-sinc resampler.
"""
from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from .errors import MediaError
from .fileio import atomic_path
from .media_files import check_input_file


TARGET_LUFS = -20.0
PEAK_LIMIT = 10 ** (-1 / 20)  # -1 dBFS


def resample(wav: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Resample along the last axis. (..., N) -> (..., round(N * target / orig))."""
    if orig_rate == target_rate:
        return wav.astype(np.float32, copy=False)
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), int(orig_rate), int(target_rate))
    return out.numpy()


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # (N, C)
    return data.T, rate


def _read_container(path: Path) -> tuple[np.ndarray, int]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise MediaError(f"{path}: not a readable audio or video file ({e.strerror or e})") from None
    with container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        # Converts any sample format to planar float32 at the native rate and layout.
        to_float = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks += [f.to_ndarray() for f in to_float.resample(frame)]  # (C, n) each
            chunks += [f.to_ndarray() for f in to_float.resample(None)]
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: corrupt or truncated audio ({e.strerror or e})") from None
    if not chunks:
        raise MediaError(f"{path}: the audio stream has no samples")
    return np.concatenate(chunks, axis=1).astype(np.float32, copy=False), rate


def read_audio(path: str | os.PathLike, sample_rate: int | None = 16_000, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file (or a video's first audio track) as float32 in [-1, 1].

    Returns ``(wav, rate)`` with wav (N,) if ``mono`` else (C, N), resampled to
    ``sample_rate`` unless it is None.
    """
    path = check_input_file(path)
    try:
        wav, rate = _read_soundfile(path)
    except sf.LibsndfileError:
        wav, rate = _read_container(path)
    if wav.shape[1] == 0:
        raise MediaError(f"{path}: the audio has no samples")
    if mono:
        wav = wav.mean(axis=0)
    if sample_rate is not None:
        wav, rate = resample(wav, rate, sample_rate), sample_rate
    return wav, rate


def write_audio(path: str | os.PathLike, wav: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> Path:
    """Write (N,) or (C, N) float audio atomically; values are clipped to [-1, 1]."""
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim not in (1, 2) or wav.shape[-1] == 0:
        raise MediaError(f"{path}: audio to write must be (N,) or (C, N) with N > 0, got shape {wav.shape}")
    if not np.isfinite(wav).all():
        raise MediaError(f"{path}: audio to write contains NaN or infinite values")
    data = np.clip(wav, -1.0, 1.0)
    data = data.T if data.ndim == 2 else data
    with atomic_path(path) as tmp:
        sf.write(str(tmp), data, sample_rate, subtype=subtype)
    return Path(path)


def normalize_loudness(mix: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS) -> np.ndarray:
    """Gain to ``target_lufs`` integrated loudness, then a peak ceiling of -1 dBFS."""
    import pyloudnorm

    if len(mix) >= int(0.4 * sample_rate) and np.any(mix):
        loudness = pyloudnorm.Meter(sample_rate).integrated_loudness(mix.astype(np.float64))
        if np.isfinite(loudness):
            mix = mix * np.float32(10 ** ((target_lufs - loudness) / 20))
    peak = float(np.abs(mix).max()) if len(mix) else 0.0
    return mix * np.float32(PEAK_LIMIT / peak) if peak > PEAK_LIMIT else mix
