"""`foley dub` wall time on a 10 s clip, per stage, with the model load timed apart.

    python benchmarks/dub_speed.py [--model demo] [--seconds 10] [--repeats 5] [--threads 2] [--steps N [N ...]]

The clip is data/examples/medley.mp4 (12 s) cut or looped to --seconds (re-encoded). Each repeat runs the
same code as `foley dub` (foley.pipelines.dub_batch.dub_batch with the pipeline) into a fresh folder;
stage times come from the pipeline's progress reports: frames = decode + frame encoder,
tokens = LM, audio = diffusion with the adapter + vocoder + crossfades, finish = fit,
loudness, wav write and mux. Prints the median of each over the repeats and its share, for
each --steps value in the same run (default: the model's). The model load is timed twice:
the first load includes importing torch's neighbours (transformers, diffusers, peft,
open_clip), the second is the weights alone.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.errors import FoleyError
from foley.media.ffmpeg import run_ffmpeg
from foley.pipelines.dub import FoleyPipeline
from foley.pipelines.dub_batch import dub_batch

STAGES = ("frames", "tokens", "audio", "finish")
CLIP = Path(__file__).resolve().parents[1] / "data/examples/medley.mp4"  # the benchmark's clip, wherever it is run from


def cut_clip(source: Path, seconds: float, out: Path, loop: bool = False) -> Path:
    """``source`` cut (or, with ``loop``, repeated) to ``seconds``, re-encoded."""
    repeat = ["-stream_loop", "-1"] if loop else []
    run_ffmpeg(repeat + ["-i", str(source), "-t", f"{seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                         "-c:a", "aac", str(out)], "cutting the benchmark clip")
    return out


def timed_dub(pipe: FoleyPipeline, video: Path, out: Path, steps: int | None) -> dict[str, float]:
    marks: dict[str, float] = {}

    def progress(stage: str, i: int, n: int) -> None:
        if i == 0 and stage not in marks:
            marks[stage] = time.perf_counter()

    def generate(v):
        result = pipe.dub(v, steps=steps, progress=progress)
        marks["finish"] = time.perf_counter()
        return result.audio, result.sample_rate

    start = time.perf_counter()
    summary = dub_batch([video], out, generate)
    end = time.perf_counter()
    if not summary.done:
        raise FoleyError(f"dub failed: {summary.failed}")
    bounds = [start] + [marks[s] for s in STAGES[1:]] + [end]  # frames starts with the call
    return {s: b - a for s, a, b in zip(STAGES, bounds, bounds[1:])} | {"total": end - start}


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="demo")
    ap.add_argument("--seconds", type=number_arg(0, above=True), default=10.0)
    ap.add_argument("--repeats", type=number_arg(1, integer=True), default=5)
    add_threads(ap, default=2)
    ap.add_argument("--steps", type=number_arg(1, integer=True), nargs="+",
                    help="diffusion steps, one run each (default: the model's)")
    args = show_defaults(ap).parse_args(argv)
    torch.set_num_threads(args.threads)
    loads = []
    for _ in range(2):  # the first load imports the libraries, the second reads the weights alone
        t0 = time.perf_counter()
        pipe = FoleyPipeline.from_pretrained(args.model, device="cpu")
        loads.append(time.perf_counter() - t0)
    print(f"foley dub, model {args.model}, {args.seconds:g} s clip, {pipe.config.scheduler} sampler, "
          f"{args.threads} threads, median of {args.repeats}")
    print(f"model load: {loads[0]:.2f} s in a fresh process (once per batch), of which the weights "
          f"{loads[1]:.2f} s and importing the libraries the rest")
    with tempfile.TemporaryDirectory() as tmp:
        clip = cut_clip(CLIP, args.seconds, Path(tmp) / "clip.mp4", loop=True)
        for steps in args.steps or [pipe.config.steps]:
            runs = [timed_dub(pipe, clip, Path(tmp) / f"out{steps}_{k}", steps) for k in range(args.repeats)]
            median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"\n{steps} diffusion steps\n| stage | seconds | share |\n|---|---|---|")
            for s in STAGES:
                print(f"| {s} | {median[s]:.2f} | {median[s] / median['total']:.0%} |")
            print(f"| total | {median['total']:.2f} | {median['total'] / args.seconds:.2f} x real time |")


if __name__ == "__main__":
    one_line_errors(main, "dub_speed.py")
