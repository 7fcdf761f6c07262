"""Peak memory of `foley dub` against video length: memory should stay flat.

    python benchmarks/dub_memory.py [--minutes 1 10] [--steps 1] [--threads 2]

For each length, data/examples/medley.mp4 is looped to that length (re-encoded), and
`foley dub` runs on it in a fresh process that reports its own peak resident set (VmHWM).
Diffusion steps only change the time per window, not the memory, so the default runs one
step per window to keep a 10-minute video short; pass --steps 25 for the shipped setting.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dub_speed import CLIP, cut_clip  # the sibling benchmark script
from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults

CHILD = """
import sys
from foley.cli import main
code = main(sys.argv[1:])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print("PEAK_KB", hwm.split()[1], file=sys.stderr)
sys.exit(code)
"""


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=number_arg(0, above=True), nargs="+", default=[1.0, 10.0])
    ap.add_argument("--steps", type=number_arg(1, integer=True), default=1)
    add_threads(ap, default=2)
    args = show_defaults(ap).parse_args(argv)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    print(f"foley dub (demo model, {args.steps} diffusion step(s) per window, {args.threads} threads)")
    print("| video | peak RSS | wall time |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            clip = cut_clip(CLIP, minutes * 60, Path(tmp) / f"{minutes:g}min.mp4", loop=True)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", CHILD, "dub", str(clip), "-o", str(Path(tmp) / "out"),
                                   "--steps", str(args.steps), "--quiet"], env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KB")]
            if proc.returncode != 0 or not peak:
                raise SystemExit(f"foley dub failed on the {minutes:g} min video:\n{proc.stderr[-2000:]}")
            print(f"| {minutes:g} min | {int(peak[0].split()[1]) / 1024:.0f} MB | {wall:.0f} s |", flush=True)


if __name__ == "__main__":
    one_line_errors(main, "dub_memory.py")
