"""Generation time per 10 s of audio with a backbone, per step count (CPU, float32).

A model narrower than 10 s (the demo model: 4.16 s) generates ceil(10 / width) windows
in one batch, as a windowed pipeline would; Auffusion's 10.24 s width needs one.

    python benchmarks/backbone_speed.py --backbone foley/assets/demo/backbone [--steps 10 25 50 100] [--threads 2]
"""
from __future__ import annotations

import math
import time

import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.config import SCHEDULER_NAMES
from foley.models.backbone import AudioBackbone


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--steps", type=number_arg(1, integer=True), nargs="+", default=[10, 25, 50, 100])
    ap.add_argument("--scheduler", choices=SCHEDULER_NAMES, default="pndm")
    add_threads(ap, default=2)
    ap.add_argument("--repeats", type=number_arg(1, integer=True), default=2)
    args = show_defaults(ap).parse_args(argv)
    torch.set_num_threads(args.threads)
    backbone = AudioBackbone.from_pretrained(args.backbone)
    windows = math.ceil(10.0 / backbone.mel.width_s - 1e-9)
    width = min(10.0, backbone.mel.width_s)
    backbone.generate(["a ball bouncing"] * windows, width, steps=2, scheduler=args.scheduler)  # warm-up
    print(f"{args.backbone}: {windows} window(s) of {width:.2f} s per 10 s, {args.threads} threads, {args.scheduler}")
    print("| steps | seconds per 10 s clip | real-time factor |\n|---|---|---|")
    for steps in args.steps:
        times = []
        for r in range(args.repeats):
            t = time.perf_counter()
            backbone.generate(["a ball bouncing"] * windows, width, steps=steps, scheduler=args.scheduler, seed=r)
            times.append(time.perf_counter() - t)
        best = min(times)
        print(f"| {steps} | {best:.2f} | {best / 10.0:.3f} |")


if __name__ == "__main__":
    one_line_errors(main, "backbone_speed.py")
