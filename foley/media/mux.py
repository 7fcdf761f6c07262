"""Put generated audio into a video without touching its picture."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import av
import numpy as np

from ..errors import MediaError
from .audio import read_audio, write_audio
from .ffmpeg import run_ffmpeg
from .files import atomic_path
from .video import probe_video

# Audio tracks already in one of these codecs are copied as they are when kept.
_COPYABLE_AUDIO = {"aac", "mp3", "alac", "opus", "ac3", "eac3"}


def fit_length(wav: np.ndarray, n_samples: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly ``n_samples``."""
    if wav.shape[-1] >= n_samples:
        return wav[..., :n_samples]
    pad = [(0, 0)] * (wav.ndim - 1) + [(0, n_samples - wav.shape[-1])]
    return np.pad(wav, pad)


def _first_audio_codec(path: Path) -> str | None:
    with av.open(str(path), metadata_errors="ignore") as c:
        return c.streams.audio[0].codec_context.name if c.streams.audio else None


def mux_audio(
    video: str | os.PathLike,
    audio: str | os.PathLike,
    out: str | os.PathLike,
    keep_original: bool = False,
    sample_rate: int = 16_000,
    audio_bitrate: str = "128k",
) -> Path:
    """Write ``out``: the picture stream of ``video`` copied bit-exactly, plus ``audio``
    encoded to AAC and trimmed or padded to the video's duration.

    With ``keep_original`` the video's own audio track follows as a second track (copied
    when its codec fits the container, AAC otherwise). ``out`` appears only when complete.
    """
    info = probe_video(video)
    video, out = Path(info.path), Path(out)
    if out.resolve() == video.resolve():
        raise MediaError(f"{out}: the output would overwrite the input video")
    wav, _ = read_audio(audio, sample_rate=sample_rate, mono=True)
    wav = fit_length(wav, round(info.duration_s * sample_rate))
    original_codec = _first_audio_codec(video) if keep_original else None
    if keep_original and original_codec is None:
        raise MediaError(f"{video}: has no audio track to keep")

    with tempfile.TemporaryDirectory(prefix="foley-mux-") as tmp:
        fitted = write_audio(Path(tmp) / "audio.wav", wav, sample_rate)
        args = ["-i", str(video), "-i", str(fitted), "-map", "0:v:0", "-map", "1:a:0"]
        codecs = ["-c:v", "copy", "-c:a:0", "aac", "-b:a:0", audio_bitrate, "-metadata:s:a:0", "title=foley",
                      "-metadata:s:a:0", "handler_name=foley"]
        if keep_original:
            args += ["-map", "0:a:0"]
            codecs += ["-c:a:1", "copy" if original_codec in _COPYABLE_AUDIO else "aac",
                       "-metadata:s:a:1", "title=original",
                       "-metadata:s:a:1", "handler_name=original", "-disposition:a:1", "0"]
        with atomic_path(out) as part:
            mp4 = ["-movflags", "+faststart"] if out.suffix.lower() in (".mp4", ".m4v", ".mov") else []
            run_ffmpeg(args + codecs + ["-disposition:a:0", "default", "-map_metadata", "0", *mp4, str(part)],
                       what=f"{out}: muxing {video}")
    return out
