"""Onset evaluation throughput: N two-second clip pairs (wav files), detected ground truth.

    python benchmarks/onset_eval.py [--n 1000] [--workers 2]
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from foley.cli import OneLineErrors, number_arg, one_line_errors, show_defaults
from foley.evaluation.onset import OnsetConfig
from foley.evaluation.scoring import evaluate_onsets, pair_files
from foley.media.audio import write_audio


def clip(rng: np.random.Generator, sr: int = 16_000, seconds: float = 2.0) -> np.ndarray:
    wav = 0.001 * rng.standard_normal(int(sr * seconds))
    for t in np.sort(rng.uniform(0.1, 1.8, rng.integers(1, 5))):
        n = int(0.1 * sr)
        start = int(t * sr)
        wav[start:start + n] += rng.standard_normal(n) * np.exp(-np.arange(n) / (0.02 * sr)) * 0.5
    return wav


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=number_arg(1, integer=True), default=1000)
    ap.add_argument("--workers", type=number_arg(1, integer=True), default=os.cpu_count())
    args = show_defaults(ap).parse_args(argv)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for side in ("pred", "ref"):
            (Path(tmp) / side).mkdir()
        for i in range(args.n):
            for side in ("pred", "ref"):
                write_audio(Path(tmp) / side / f"clip{i:05d}.wav", clip(rng), 16_000)
        evaluate_onsets(pair_files(Path(tmp) / "pred", Path(tmp) / "ref")[:4], workers=1)  # librosa's JIT warm-up
        for mode in ("robust", "reference"):
            t0 = time.perf_counter()
            result = evaluate_onsets(pair_files(Path(tmp) / "pred", Path(tmp) / "ref"), OnsetConfig(mode=mode),
                                     gt="detected", workers=args.workers)
            sec = time.perf_counter() - t0
            print(f"{mode:9s}: {args.n} two-second clip pairs in {sec:.1f} s on {args.workers} worker(s) "
                  f"({args.n / sec:.0f} pairs/s); AP {result['summary']['onset_ap']:.3f}")


if __name__ == "__main__":
    one_line_errors(main, "onset_eval.py")
