"""The FFmpeg command-line binary shipped by imageio-ffmpeg (no system FFmpeg needed)."""
from __future__ import annotations

import os
import subprocess
from functools import lru_cache

from ..errors import MediaError


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def local_file(path: str | os.PathLike) -> str:
    """``path`` as FFmpeg (its command line, PyAV, decord) is given a file: absolute, so that a name
    with a colon ('take:1.mp4') is not taken for a protocol ('take:')."""
    return os.path.abspath(path)


def run_ffmpeg(args: list[str], what: str, stdin: bytes | None = None) -> None:
    """Run ``ffmpeg -nostdin -y -loglevel error ARGS``; raise MediaError naming ``what`` on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    if stdin is None:
        cmd.insert(1, "-nostdin")
    proc = subprocess.run(cmd + args, input=stdin, capture_output=True)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
        raise MediaError(f"{what}: ffmpeg failed ({lines[-1] if lines else f'exit {proc.returncode}'})")
