"""Report card of a text-to-audio backbone on real sound effects.

    python eval/sfx_card.py --data CORPUS --embedder aisfx:DIR --classifier sfx_classifier.json \\
        --model sfx [--model demo ...] [--steps 25] [--guidance 3] [--every N] [--limit N] [--noise-fill S]
        [--json card.json]

For every clip of the corpus's test split (held-out recordings) and unseen split (GPL
sources no shipped model learned from), each backbone generates audio from the clip's
caption at the clip's length (up to the model width). Reported per split and row (the
real clips, then each model):

- class accuracy: the sound-effects classifier (aiSFX embeddings) names the clip's label,
  over clips whose label the classifier knows; the real clips' accuracy is the ceiling;
- FAD to the real test clips with aiSFX embeddings projected by PCA to 32 dimensions
  (fitted on the train split's embeddings): aiSFX gives one 512-d embedding per 2.3 s
  block, so the test split has about 190 blocks and each half of it about 90; a
  full-rank covariance needs more embeddings than dimensions in every set compared. Next
  to it, the FAD between two halves of the real test set (by recording), the floor of
  this sample size.

All audio is compared at the corpus's 16 kHz, so a model's output above 8 kHz is not
counted against or for it.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.datasets.sfx import load_sfx_manifest
from foley.errors import FoleyError
from foley.evaluation.classifier import SoundClassifier
from foley.evaluation.embedders import embed_audio, get_embedder
from foley.evaluation.fad import embedding_stats, frechet_distance, pca_projection
from foley.media.audio import read_audio, resample, write_audio
from foley.media.files import atomic_write_text, check_writable
from foley.models.backbone_settings import DecodingConfig
from foley.pipelines.compose import load_backbone

PCA_DIMS = 32


def fad(a: np.ndarray, b: np.ndarray, project) -> float | None:
    """FAD between two sets of block embeddings; None when a set has too few blocks for a
    full-rank covariance (a quick look with --every or --limit)."""
    try:
        return round(frechet_distance(embedding_stats(project(a)), embedding_stats(project(b))), 3)
    except FoleyError:
        return None


def shown(value: float | None) -> str:
    return "n/a (too few blocks)" if value is None else f"{value:.3f}"


def embed_set(embedder, wavs: list[np.ndarray], sr: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-clip block embeddings and all blocks stacked."""
    per_clip = [embed_audio(embedder, w, sr) for w in wavs]
    return per_clip, np.concatenate(per_clip)


def rate_and_projection(embedder, data: str):
    """The corpus's sample rate (Hz; all audio is compared at it) and the PCA_DIMS-dimensional
    projection fitted on its train split's block embeddings."""
    sr = json.loads((Path(data) / "sfx.json").read_text())["config"]["sample_rate"]
    train = load_sfx_manifest(data, "train")
    if not train:
        raise FoleyError(f"{data}: the train split holds no clips to fit the PCA on")
    _, train_blocks = embed_set(embedder, [read_audio(e["audio"], sample_rate=sr)[0] for e in train], sr)
    return sr, pca_projection(train_blocks, PCA_DIMS)


def class_accuracy(clf: SoundClassifier, per_clip: list[np.ndarray], labels: list[str]) -> tuple[float, int]:
    known = [i for i, label in enumerate(labels) if label in clf.classes]
    hits = [clf.classes[int(np.argmax(clf.feature_probabilities(per_clip[i].mean(axis=0))))] == labels[i]
            for i in known]
    return (float(np.mean(hits)) if hits else float("nan")), len(known)


def generate(backbone, entries: list[dict], sr_out: int, steps: int, guidance: float, batch: int) -> list[np.ndarray]:
    out = []
    for i in range(0, len(entries), batch):
        group = entries[i:i + batch]
        length = min(max(e["duration_s"] for e in group), backbone.mel.width_s)
        wav = backbone.generate([e["caption"] for e in group], length, steps=steps, guidance=guidance, seed=i,
                                scheduler="dpm").numpy()
        for e, w in zip(group, wav):
            n = round(min(e["duration_s"], backbone.mel.width_s) * backbone.mel.sample_rate)
            out.append(resample(w[:n], backbone.mel.sample_rate, sr_out))
        print(f"  generated {min(i + batch, len(entries))}/{len(entries)}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--embedder", required=True, help="aisfx:DIR")
    ap.add_argument("--classifier", required=True, help="JSON from python -m foley.evaluation.sfx_classifier")
    ap.add_argument("--model", action="append", default=[], help="backbone(s) to score (sfx, demo, or a folder)")
    ap.add_argument("--steps", type=number_arg(1, integer=True), default=25)
    ap.add_argument("--guidance", type=number_arg(0), default=3.0)
    ap.add_argument("--batch", type=number_arg(1, integer=True), default=8)
    ap.add_argument("--every", type=number_arg(1, integer=True), default=1,
                    help="every N-th clip of each split (a quicker look)")
    ap.add_argument("--limit", type=number_arg(1, integer=True),
                    help="first N clips of each split, after --every (a quick look)")
    ap.add_argument("--noise-fill", type=number_arg(0), help="decode with this noise filling (nats) instead of each model's own "
                    "decoding.json")
    ap.add_argument("--save-audio", help="also write the generated clips here")
    ap.add_argument("--json", help="write the card as JSON")
    add_threads(ap)
    args = show_defaults(ap).parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.json:
        check_writable(args.json)  # a bad --json fails now, not after the card's generation
    if args.save_audio:
        check_writable(Path(args.save_audio) / "clip.wav")  # and a --save-audio that is a file
    splits = {s: load_sfx_manifest(args.data, s)[:: args.every][: args.limit] for s in ("test", "unseen")}
    if not splits["test"]:
        raise FoleyError(f"{args.data}: the test split holds no clips")
    if not splits["unseen"]:  # a corpus of some packages only (foley prepare sfx --packages)
        print(f"sfx_card.py: note: {args.data}: the unseen split holds no clips; the card scores the test split",
              file=sys.stderr)
        del splits["unseen"]
    embedder, clf = get_embedder(args.embedder), SoundClassifier.load(args.classifier)
    sr, project = rate_and_projection(embedder, args.data)
    card = {"pca_dims": PCA_DIMS, "steps": args.steps, "guidance": args.guidance, "noise_fill": args.noise_fill,
            "rows": []}
    real = {}
    for split, entries in splits.items():
        per_clip, blocks = embed_set(embedder, [read_audio(e["audio"], sample_rate=sr)[0] for e in entries], sr)
        real[split] = (per_clip, blocks)
    test_entries, (test_clips, test_blocks) = splits["test"], real["test"]
    half = [int(hashlib.sha256(e["recording"].encode()).hexdigest(), 16) % 2 for e in test_entries]
    halves = [[c for c, h in zip(test_clips, half) if h == k] for k in (0, 1)]
    card["fad_real_halves"] = fad(*(np.concatenate(h) for h in halves), project) if all(halves) else None
    print(f"FAD ({embedder.name}, PCA {PCA_DIMS}) between two halves of the real test set: "
          f"{shown(card['fad_real_halves'])}")
    for name in ["real"] + args.model:
        backbone = None if name == "real" else load_backbone(name, "cpu")
        if backbone is not None and args.noise_fill is not None:
            backbone.c.decoding = DecodingConfig(noise_fill=args.noise_fill).check("--noise-fill")
        for split, entries in splits.items():
            labels = [e["label"] for e in entries]
            t0 = time.time()
            if backbone is None:
                per_clip, blocks = real[split]
            else:
                wavs = generate(backbone, entries, sr, args.steps, args.guidance, args.batch)
                if args.save_audio:
                    for e, w in zip(entries, wavs):
                        write_audio(Path(args.save_audio) / name / split / f"{e['id']}.wav", w, sr)
                per_clip, blocks = embed_set(embedder, wavs, sr)
            acc, n = class_accuracy(clf, per_clip, labels)
            row = {"row": name, "split": split, "clips": len(entries), "class_accuracy": round(acc, 4),
                   "classified_clips": n, "fad_to_real_test": fad(blocks, test_blocks, project),
                   "seconds": round(time.time() - t0, 1)}
            card["rows"].append(row)
            print(f"{name:>12s} {split:6s} clips {len(entries):4d}  class accuracy {acc:.3f} ({n} known)  "
                  f"FAD {shown(row['fad_to_real_test']):>8s}", flush=True)
    if args.json:
        atomic_write_text(args.json, json.dumps(card, indent=1) + "\n")


if __name__ == "__main__":
    one_line_errors(main, "sfx_card.py")
