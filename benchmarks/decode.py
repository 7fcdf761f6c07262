"""Frame decoding throughput at 21.5 Hz vs a plain FFmpeg decode of the same file.

    python benchmarks/decode.py [--seconds 10] [--size 854x480] [--repeat 3]

Prints output frames/s for foley's decoder (each backend: PyAV with slice threads, decord with
one) and for two FFmpeg command lines on the same clip: a bare full-rate decode (`-f null`),
and the same work as foley (fps filter to 21.5 Hz, scale, center crop to 224, raw RGB to a pipe).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from foley.cli import OneLineErrors, number_arg, one_line_errors, show_defaults
from foley.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from foley.media.video import FrameSpec, decode_frames, probe_video


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def frame_size(text: str) -> str:
    """``WxH`` in pixels, even numbers from 16 up (H.264 in yuv420p), for argparse."""
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m or any(int(n) < 16 or int(n) % 2 for n in m.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is no WIDTHxHEIGHT of even numbers from 16 up (e.g. 854x480)")
    return f"{int(m[1])}x{int(m[2])}"


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=number_arg(0, above=True), default=10.0)
    ap.add_argument("--size", type=frame_size, default="854x480")
    ap.add_argument("--repeat", type=number_arg(1, integer=True), default=3)
    args = show_defaults(ap).parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={args.size}:r=30:d={args.seconds}", "-c:v", "libx264",
                    "-preset", "medium", "-pix_fmt", "yuv420p", str(clip)], what=str(clip))
        info = probe_video(clip)
        n_out = len(decode_frames(clip, backend="pyav", spec=FrameSpec(size=32)))
        print(f"clip: {info.duration_s:.1f} s {info.width}x{info.height} H.264 at {info.fps:.0f} fps "
              f"({info.frame_count} frames); output {n_out} frames at 21.5 Hz, 224x224")
        rows = {}
        for backend in ("decord", "pyav"):
            rows[f"foley ({backend})"] = best_of(args.repeat, lambda: decode_frames(clip, backend=backend))
        ff = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(clip)]  # FFmpeg picks its thread count
        rows["ffmpeg -f null (full rate)"] = best_of(
            args.repeat, lambda: subprocess.run(ff + ["-f", "null", "-"], check=True))
        vf = "fps=21.5,scale=-2:224:flags=bilinear,crop=224:224"
        rows["ffmpeg fps+scale+crop to pipe"] = best_of(
            args.repeat, lambda: subprocess.run(ff + ["-vf", vf, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                                                check=True, stdout=subprocess.DEVNULL))
        ref = rows["ffmpeg fps+scale+crop to pipe"]
        print(f"{'decoder':44s} {'seconds':>8s} {'out frames/s':>13s} {'vs ffmpeg pipe':>15s}")
        for name, sec in rows.items():
            print(f"{name:44s} {sec:8.3f} {n_out / sec:13.1f} {ref / sec:14.2f}x")


if __name__ == "__main__":
    one_line_errors(main, "decode.py")
