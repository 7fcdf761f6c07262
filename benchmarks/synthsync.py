"""Time to generate SynthSync clips with all cores.

    python benchmarks/synthsync.py [--n 2000] [--duration 4]
"""
from __future__ import annotations

import os
import tempfile
import time

from foley.cli import OneLineErrors, number_arg, one_line_errors, show_defaults
from foley.datasets.synthsync import SynthConfig, generate


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=number_arg(1, integer=True), default=2000)
    ap.add_argument("--duration", type=number_arg(0, above=True), default=4.0)
    args = show_defaults(ap).parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate(tmp, n_train=args.n, n_test=0, cfg=SynthConfig(duration_s=args.duration), progress=False)
        sec = time.perf_counter() - t0
        size_mb = sum(f.stat().st_size for f in os.scandir(os.path.join(tmp, "train"))) / 2**20
    print(f"{args.n} clips x {args.duration:g} s on {os.cpu_count()} cores: {sec:.1f} s "
          f"({args.n / sec:.1f} clips/s, {size_mb:.0f} MB)")


if __name__ == "__main__":
    one_line_errors(main, "synthsync.py")
