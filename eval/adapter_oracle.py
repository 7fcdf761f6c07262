"""Oracle test of the visual adapter: ground-truth units -> adapter -> audio, on SynthSync test.

The unit ids of each test clip's real audio (the best a token LM could predict) are turned
into centroids and fed to the backbone through each adapter; the generated audio is scored
against the clip's annotated onsets (robust mode, delta 0.1 s). Rows: the real audio
itself, text only (lambda = 0: the frozen backbone), and one row per adapter.

    python eval/adapter_oracle.py --data SYNTH --backbone DIR --tokenizer DIR \
        --adapter plain=RUN_A/adapter --adapter time-aware=RUN_B/adapter [--n 80] [--out oracle.json]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.config import MAX_SEED, SCHEDULER_NAMES
from foley.datasets.synthsync import load_manifest
from foley.errors import FoleyError
from foley.evaluation.onset import mean_scores, onset_scores
from foley.evaluation.sfx_classifier import is_synthsync
from foley.media.audio import read_audio
from foley.media.files import atomic_write_text, check_writable
from foley.models.backbone import AudioBackbone
from foley.models.unit_tokenizer import UnitTokenizer
from foley.models.visual_adapter import VisualAdapter


def adapter_spec(text: str) -> str:
    """An argparse type: NAME=DIR, an adapter's row name and its folder."""
    name, sep, path = text.partition("=")
    if not (sep and name.strip() and path.strip()):
        raise argparse.ArgumentTypeError(f"not NAME=DIR: {text!r} (e.g. plain=RUN/adapter)")
    return text


def score(wavs, entries, sample_rate: int) -> dict:
    return mean_scores([onset_scores(np.asarray(w, dtype=np.float32), sample_rate, gt_onsets_s=e["onsets_s"],
                                     duration_s=e["duration_s"]) for w, e in zip(wavs, entries)])


def generate_all(backbone: AudioBackbone, entries, visual, args) -> list[np.ndarray]:
    out = []
    for i in range(0, len(entries), args.batch):
        chunk = entries[i:i + args.batch]
        wav = backbone.generate([e["caption"] for e in chunk], chunk[0]["duration_s"], steps=args.steps,
                                guidance=args.guidance, seed=args.seed + i, scheduler=args.scheduler,
                                visual=None if visual is None else visual[i:i + args.batch])
        out += list(wav.numpy())
    return out


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--adapter", type=adapter_spec, action="append", default=[], metavar="NAME=DIR")
    ap.add_argument("--n", type=number_arg(1, integer=True), default=80, help="test clips (the first n)")
    ap.add_argument("--steps", type=number_arg(1, integer=True), default=25)
    ap.add_argument("--scheduler", choices=SCHEDULER_NAMES, default="ddim")
    ap.add_argument("--guidance", type=number_arg(0), default=3.0)
    ap.add_argument("--scale", type=number_arg(0), default=None, help="lambda (default: each adapter's own)")
    ap.add_argument("--batch", type=number_arg(1, integer=True), default=8)
    ap.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    add_threads(ap, default=1)
    ap.add_argument("--out", help="write the table as JSON here")
    args = show_defaults(ap).parse_args(argv)
    if args.out:
        check_writable(args.out)  # a bad --out fails now, not after minutes of sampling
    torch.set_num_threads(args.threads)

    overrides = {} if args.scale is None else {"scale": args.scale}
    adapters = [(name, VisualAdapter.from_pretrained(path, **overrides))  # loaded before minutes of sampling
                for name, _, path in (spec.partition("=") for spec in args.adapter)]
    entries = load_manifest(args.data, "test")[: args.n]
    if not is_synthsync(args.data):  # its clips have no annotated onsets to score against
        raise FoleyError(f"{args.data}: not a SynthSync folder (no synthsync.json; `foley prepare synth` makes one)")
    if not entries:
        raise FoleyError(f"{Path(args.data) / 'test.jsonl'}: the test split holds no clips")
    backbone = AudioBackbone.from_pretrained(args.backbone)
    tokenizer = UnitTokenizer.from_pretrained(args.tokenizer)
    real = [read_audio(e["audio"], sample_rate=16_000)[0] for e in entries]
    visual = torch.stack([tokenizer.centroids(tokenizer.encode(w)) for w in real])  # (N, T, D)
    rate = backbone.mel.sample_rate  # generated audio's (22,050 Hz for the sound-effects backbone)
    rows = {"real audio": score(real, entries, 16_000)}
    t0 = time.time()
    rows["text only (lambda = 0)"] = score(generate_all(backbone, entries, None, args), entries, rate)
    for name, adapter in adapters:
        adapter.attach(backbone.unet)
        rows[f"{name} (lambda = {adapter.cfg.scale:g})"] = score(generate_all(backbone, entries, visual, args), entries, rate)
        adapter.detach(backbone.unet)
    settings = {k: v for k, v in vars(args).items() if k not in ("data", "out")}
    print(f"SynthSync test, {len(entries)} clips, {args.scheduler} {args.steps} steps, guidance {args.guidance:g}, "
          f"{time.time() - t0:.0f} s of generation")
    print("| audio | onset AP | detection acc | count acc |\n|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['onset_ap']:.3f} | {r['onset_detection_acc']:.3f} | {r['onset_count_acc']:.3f} |")
    if args.out:
        atomic_write_text(args.out, json.dumps({"settings": settings, "rows": rows}, indent=2))


if __name__ == "__main__":
    one_line_errors(main, "adapter_oracle.py")
