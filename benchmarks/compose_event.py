"""Time to generate one aligned `foley compose` event, with and without the backbone's noise
filling (CPU, float32): with it, the onset alignment vocodes each window's mel a second time,
without the filling.

    python benchmarks/compose_event.py [--model sfx] [--length 2] [--threads 2] [--repeats 3]
"""
from __future__ import annotations

import time
from dataclasses import replace

import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.errors import FoleyError
from foley.models.backbone_settings import DecodingConfig
from foley.pipelines.compose import SamplerConfig, generate_event, load_backbone


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="sfx", help="a compose backbone (name or folder)")
    ap.add_argument("--length", type=number_arg(0, above=True), default=2.0, help="event length in seconds")
    add_threads(ap, default=2)
    ap.add_argument("--repeats", type=number_arg(1, integer=True), default=3)
    args = show_defaults(ap).parse_args(argv)
    torch.set_num_threads(args.threads)
    backbone = load_backbone(args.model, "cpu")
    sampler, own = SamplerConfig.for_backbone(args.model), backbone.c.decoding
    if not own.noise_fill:
        raise FoleyError(f"{args.model}: its decoding has no noise filling to compare against")
    generate_event(backbone, "a horse neighs", args.length, 0, replace(sampler, steps=2), align=True)  # warm-up
    print(f"{args.model}: one {args.length:g} s event, {sampler.steps} {sampler.scheduler} steps, "
          f"{args.threads} threads, best of {args.repeats}")
    print("| decoding | seconds per event |\n|---|---|")
    best = {}
    for name, decoding in ((f"noise filling {own.noise_fill:g} nats (shipped)", own), ("no noise filling", DecodingConfig())):
        backbone.c.decoding = decoding
        times = []
        for r in range(args.repeats):
            t = time.perf_counter()
            generate_event(backbone, "a horse neighs", args.length, r, sampler, align=True)
            times.append(time.perf_counter() - t)
        best[name] = min(times)
        print(f"| {name} | {best[name]:.2f} |")
    a, b = best.values()
    print(f"ratio: {a / b:.2f}")


if __name__ == "__main__":
    one_line_errors(main, "compose_event.py")
