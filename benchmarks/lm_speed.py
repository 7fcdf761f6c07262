"""Throughput of the video-to-token half on CPU: token LM decoding with and without the KV
cache, and frame features per second for the demo encoder and for ViT-L-14.

    python benchmarks/lm_speed.py --threads 2 [--lm demo] [--vit-frames 8]

The LM writes the T = 200 tokens of a 4 s clip (86 frames of random features, batch 1,
greedy); ViT-L-14 has random weights (the OpenAI weights cost the same), 224 px frames.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.config import TimeBase
from foley.models.frame_encoder import FrameEncoderConfig, build_frame_encoder, load_frame_encoder
from foley.models.token_lm import TokenLM
from foley.pipelines.dub import model_dir


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def lm_tokens_per_s(lm: TokenLM, duration_s: float, use_cache: bool, repeats: int) -> float:
    time_base = TimeBase()
    n_tokens, n_frames = time_base.tokens(duration_s), time_base.video_frames(duration_s)
    frames = torch.randn(1, n_frames, lm.config.connector.frame_dim, generator=torch.Generator().manual_seed(0))
    run = lambda: lm.generate(["a ball bounces"], [n_tokens], frames, torch.tensor([n_frames]),  # noqa: E731
                              use_cache=use_cache)
    run()  # warm-up
    return n_tokens / _best_of(run, repeats)


def frames_per_s(encoder, n_frames: int, repeats: int) -> float:
    frames = np.random.default_rng(0).integers(0, 256, (n_frames, encoder.image_size, encoder.image_size, 3),
                                               dtype=np.uint8)
    encoder(frames[:1])  # warm-up
    return n_frames / _best_of(lambda: encoder(frames), repeats)


def load_encoder(spec: str):
    """A frame encoder folder, or ``demo``: the shipped demo model's (as ``--lm demo`` is its LM)."""
    return load_frame_encoder(str(model_dir("demo") / "frame_encoder") if spec == "demo" else spec)


def main(argv: list[str] | None = None) -> None:
    parser = OneLineErrors(description=__doc__.split("\n\n")[0])
    add_threads(parser, default=2)
    parser.add_argument("--lm", default="demo", help="token LM folder (default: the shipped demo)")
    parser.add_argument("--encoder", default="demo", help="frame encoder folder (default: the shipped demo)")
    parser.add_argument("--duration", type=number_arg(0, above=True), default=4.0, help="clip length in seconds")
    parser.add_argument("--vit-frames", type=number_arg(1, integer=True), default=8,
                        help="frames for ViT-L-14 (about 1.5 s each)")
    parser.add_argument("--repeats", type=number_arg(1, integer=True), default=3)
    args = show_defaults(parser).parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads}")

    lm, demo = TokenLM.from_pretrained(args.lm), load_encoder(args.encoder)  # both load before any timing
    cached = lm_tokens_per_s(lm, args.duration, True, args.repeats)
    uncached = lm_tokens_per_s(lm, args.duration, False, 1)
    print(f"token LM ({args.lm}), {TimeBase().tokens(args.duration)} tokens: {cached:.1f} tokens/s with KV cache, "
          f"{uncached:.1f} without ({cached / uncached:.1f}x)")

    demo_rate = frames_per_s(demo, 256, args.repeats)
    print(f"frame encoder ({args.encoder}, {demo.image_size} px): {demo_rate:.1f} frames/s "
          f"({demo_rate / TimeBase().video_fps:.1f} s of video per s)")
    torch.manual_seed(0)
    vit = build_frame_encoder(FrameEncoderConfig(model="ViT-L-14", pretrained="", batch_size=args.vit_frames))
    vit_rate = frames_per_s(vit, args.vit_frames, 1)
    print(f"frame encoder (ViT-L-14, random weights, 224 px): {vit_rate:.2f} frames/s "
          f"({vit_rate / TimeBase().video_fps:.3f} s of video per s); demo is {demo_rate / vit_rate:.0f}x faster")


if __name__ == "__main__":
    one_line_errors(main, "lm_speed.py")
