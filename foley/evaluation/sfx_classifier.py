"""A sound-effects classifier: which corpus label a clip sounds like, from aiSFX embeddings.

Features: the mean of a clip's aiSFX block embeddings (512 values; :mod:`foley.evaluation.aisfx`);
model: scikit-learn's multinomial logistic regression on standardized features, fitted on
the train split of a ``foley prepare sfx`` corpus (labels), or of a SynthSync folder with
recorded sounds (``foley prepare synth --sounds``; its classes). Its accuracy on the real
test clips is the ceiling against which generated audio is judged. Saved as plain JSON (the
:class:`foley.evaluation.classifier.SoundClassifier` format with ``features`` naming the
embedder; no pickle).

    python -m foley.evaluation.sfx_classifier --data CORPUS --embedder aisfx:DIR --out sfx_classifier.json
    python -m foley.evaluation.sfx_classifier --data SYNTHSYNC --embedder aisfx:DIR --out rec_classifier.json
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.evaluation.sfx_classifier")

import argparse
import json
import os
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import refuse_to_replace
from .classifier import SoundClassifier, fit_logistic
from .embedders import AudioEmbedder, embed_audio, get_embedder


def clip_features(embedder: AudioEmbedder, wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """(N,) audio at ``sample_rate`` -> (D,) mean embedding of the clip."""
    return embed_audio(embedder, wav, sample_rate).mean(axis=0)


def is_synthsync(root: str | os.PathLike) -> bool:
    """A SynthSync folder (``synthsync.json``) rather than a sound-effects corpus (``sfx.json``)."""
    return (Path(root) / "synthsync.json").is_file() and not (Path(root) / "sfx.json").is_file()


def corpus_features(root: str | os.PathLike, split: str, embedder: AudioEmbedder) -> tuple[np.ndarray, list[str]]:
    """Clip features (N, D) and labels of a corpus split (a SynthSync split: its clips' classes)."""
    from tqdm import tqdm

    from ..datasets.sfx import load_sfx_manifest
    from ..datasets.synthsync import load_manifest

    synthsync = is_synthsync(root)
    entries = load_manifest(root, split) if synthsync else load_sfx_manifest(root, split)
    feats, labels = [], []
    for e in tqdm(entries, desc=f"embed {split}", unit="clip", leave=False):
        wav, rate = read_audio(e["audio"], sample_rate=None)
        feats.append(clip_features(embedder, wav, rate))
        labels.append(e["class" if synthsync else "label"])
    return np.asarray(feats), labels


def predict_clip(clf: SoundClassifier, embedder: AudioEmbedder, wav: np.ndarray, sample_rate: int) -> str:
    """The label of a whole clip by an embedding classifier (``clf.features`` names ``embedder``)."""
    if clf.features != embedder.name:
        raise FoleyError(f"the classifier reads {clf.features} features, not {embedder.name}")
    return clf.classes[int(np.argmax(clf.feature_probabilities(clip_features(embedder, wav, sample_rate))))]


def fit_classifier(x: np.ndarray, labels: list[str], features: str) -> SoundClassifier:
    return fit_logistic(x, labels, features, c=0.5, max_iter=3000)


def accuracy(clf: SoundClassifier, x: np.ndarray, labels: list[str]) -> tuple[float, int]:
    """Accuracy over the clips whose label the classifier knows, and their number."""
    known = [i for i, label in enumerate(labels) if label in clf.classes]
    if not known:
        return float("nan"), 0
    hits = [clf.classes[int(np.argmax(clf.feature_probabilities(x[i])))] == labels[i] for i in known]
    return float(np.mean(hits)), len(known)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m foley.evaluation.sfx_classifier",
                                 description="Fit the sound-effects classifier on a corpus's train split.")
    ap.add_argument("--data", required=True, help="a `foley prepare sfx` corpus, or a SynthSync folder with recorded sounds")
    ap.add_argument("--embedder", required=True, help="aisfx:DIR (or any FAD embedder)")
    ap.add_argument("--out", required=True, help="classifier JSON to write")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = ap.parse_args(argv)
    try:
        refuse_to_replace(args.out, args.overwrite, file=True)
        embedder = get_embedder(args.embedder)
        x, y = corpus_features(args.data, "train", embedder)
        clf = fit_classifier(x, y, features=embedder.name)
        clf.save(args.out)
        report = {"classes": len(clf.classes), "train_clips": len(y)}
        for split in ("test",) if is_synthsync(args.data) else ("test", "unseen"):
            acc, n = accuracy(clf, *corpus_features(args.data, split, embedder))
            report[f"{split}_accuracy"], report[f"{split}_clips"] = (round(acc, 4) if n else None), n
    except FoleyError as e:
        raise SystemExit(f"error: {e}")
    Path(args.out).with_suffix(".report.json").write_text(json.dumps(report, indent=1) + "\n")
    shown = {k: "n/a" if report.get(f"{k}_accuracy") is None else f"{report[f'{k}_accuracy']:.3f}" for k in ("test", "unseen")}
    print(f"sound-effects classifier: {report['classes']} classes from {report['train_clips']} clips; accuracy "
          f"{shown['test']} on {report['test_clips']} test clips, {shown['unseen']} on {report.get('unseen_clips', 0)} "
          f"clips of unseen sources with known labels -> {args.out} (figures in {Path(args.out).with_suffix('.report.json')})")
