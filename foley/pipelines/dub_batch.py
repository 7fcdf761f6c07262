"""`foley dub` batches: collect videos, skip finished ones, write OUT/<stem>.wav and
OUT/<stem>.mp4 for each, and keep going past a bad file.

The sound itself comes from a ``generate(video_path) -> (wav, sample_rate)`` callable
(the :class:`~foley.pipelines.dub.FoleyPipeline`); this module only does the file work around
it: fitting the audio to the video's duration, optionally mixing the original track
under it, loudness normalization, atomic writes, and muxing with the picture copied.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FoleyError
from ..media.audio import normalize_loudness, read_audio, write_audio
from ..media.mux import fit_length, mux_audio
from ..media.video import probe_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")


@dataclass(frozen=True)
class OutputOptions:
    overwrite: bool = False
    keep_original: bool = False  # the original track as a second audio track
    mix_original_db: float | None = None  # mix the original track under the Foley at this gain


@dataclass
class BatchSummary:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"done {len(self.done)}, skipped {len(self.skipped)} (already dubbed), failed {len(self.failed)}"]
        return out + [f"  failed: {reason}" for _, reason in self.failed]


def collect_inputs(inputs: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Videos named by files, folders (their videos, sorted) and glob patterns; and the
    inputs that name nothing usable, with the reason."""
    videos, problems = [], []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            videos += found
            if not found:
                problems.append((item, f"{item}: the folder holds no video files ({', '.join(VIDEO_SUFFIXES)})"))
        elif path.exists():
            videos.append(path)
        elif any(c in item for c in "*?["):
            matches = sorted(Path(p) for p in glob.glob(item) if Path(p).is_file())
            videos += matches
            if not matches:
                problems.append((item, f"{item}: the pattern matches no file"))
        else:
            problems.append((item, f"{item}: no such file"))
    unique = list(dict.fromkeys(p.resolve() for p in videos))
    return unique, problems


def output_paths(video: Path, out_dir: Path) -> tuple[Path, Path]:
    return out_dir / f"{video.stem}.wav", out_dir / f"{video.stem}.mp4"


def finish_audio(foley: np.ndarray, sample_rate: int, video: Path, duration_s: float,
                 options: OutputOptions) -> np.ndarray:
    """Fit to the video's duration, mix the original track under it if asked, normalize."""
    n = round(duration_s * sample_rate)
    wav = fit_length(np.asarray(foley, np.float32), n)
    if options.mix_original_db is not None:
        original, _ = read_audio(video, sample_rate=sample_rate)
        wav = wav + np.float32(10 ** (options.mix_original_db / 20)) * fit_length(original, n)
    return normalize_loudness(wav, sample_rate)


def dub_batch(videos: list[Path], out_dir: str | os.PathLike, generate: Callable[[Path], tuple[np.ndarray, int]],
              options: OutputOptions = OutputOptions(), on_start: Callable[[Path, int, int], None] | None = None
              ) -> BatchSummary:
    """Dub every video; a failure is recorded with its reason and the batch goes on."""
    out_dir = Path(out_dir)
    summary = BatchSummary()
    stems: dict[str, Path] = {}
    for i, video in enumerate(videos):
        if video.stem in stems:
            summary.failed.append((str(video), f"{video}: same name as {stems[video.stem]}; the outputs would collide"))
            continue
        stems[video.stem] = video
        wav_path, mp4_path = output_paths(video, out_dir)
        if wav_path.exists() and mp4_path.exists() and not options.overwrite:
            summary.skipped.append(str(video))
            continue
        if on_start:
            on_start(video, i, len(videos))
        try:
            info = probe_video(video)
            if (options.keep_original or options.mix_original_db is not None) and not info.has_audio:
                raise FoleyError(f"{video}: has no audio track to keep or mix")
            foley, sr = generate(video)
            wav = finish_audio(foley, sr, video, info.duration_s, options)
            del foley
            out_dir.mkdir(parents=True, exist_ok=True)
            write_audio(wav_path, wav, sr)
            del wav  # the muxer reads the written track back
            mux_audio(video, wav_path, mp4_path, keep_original=options.keep_original, sample_rate=sr)
        except FoleyError as e:
            summary.failed.append((str(video), str(e)))
            continue
        summary.done.append(str(video))
    return summary
