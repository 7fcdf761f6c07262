"""The demo sound classifier: which SynthSync class a short sound belongs to.

Features: the mean and standard deviation of 64 log-mel bands over the first 0.3 s after
an onset (128 values); model: scikit-learn's multinomial logistic regression on
standardized features. It is fitted on the annotated onsets of a SynthSync train split
and used to check what generated audio sounds like (e.g. that a composed "hammer" event
sounds like the hammer class). Saved as plain JSON (no pickle).

    python -m foley.evaluation.classifier --data SYNTHSYNC_DIR --out foley/assets/demo/classifier.json
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.evaluation.classifier")

import argparse
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import atomic_write_text, refuse_to_replace

SAMPLE_RATE = 16_000
SEGMENT_S = 0.3
DEMO_PATH = Path(__file__).resolve().parents[1] / "assets" / "demo" / "classifier.json"


def segment_features(wav: np.ndarray) -> np.ndarray:
    """(N,) 16 kHz audio starting at an onset -> (128,) log-mel mean and std over SEGMENT_S."""
    import librosa

    seg = np.asarray(wav[: int(SEGMENT_S * SAMPLE_RATE)], np.float32)
    seg = np.pad(seg, (0, max(0, int(SEGMENT_S * SAMPLE_RATE) - len(seg))))
    mel = librosa.feature.melspectrogram(y=seg, sr=SAMPLE_RATE, n_fft=512, hop_length=160, n_mels=64, fmax=8000)
    logmel = np.log(mel + 1e-6)  # (64, T)
    return np.concatenate([logmel.mean(axis=1), logmel.std(axis=1)])


@dataclass
class SoundClassifier:
    classes: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]]
    intercept: list[float]
    features: str = "logmel-onset"  # what the linear model reads: the onset log-mel statistic, or an embedder's name

    def probabilities(self, wav: np.ndarray) -> np.ndarray:
        """Class probabilities of a 16 kHz sound starting at its onset, (C,)."""
        return self.feature_probabilities(segment_features(wav))

    def feature_probabilities(self, features: np.ndarray) -> np.ndarray:
        x = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = np.asarray(self.coef) @ x + np.asarray(self.intercept)
        p = np.exp(logits - logits.max())
        return p / p.sum()

    def predict(self, wav: np.ndarray) -> str:
        return self.classes[int(np.argmax(self.probabilities(wav)))]

    def predict_clip(self, wav: np.ndarray) -> str:
        """The class of a whole 16 kHz clip: probabilities averaged over the sounds at its
        detected onsets, backtracked to where each attack starts (or from its loudest 10 ms
        when no onset is detected)."""
        from .onset import detect_onsets

        starts = detect_onsets(wav, SAMPLE_RATE, backtrack=True)
        if len(starts) == 0:
            hop = SAMPLE_RATE // 100
            frames = np.asarray(wav[: len(wav) // hop * hop], np.float32).reshape(-1, hop)
            starts = [int(np.argmax((frames ** 2).sum(axis=1))) * hop] if len(frames) else [0]
        p = np.mean([self.probabilities(wav[s:]) for s in starts], axis=0)
        return self.classes[int(np.argmax(p))]

    def save(self, path: str | os.PathLike) -> None:
        atomic_write_text(path, json.dumps({"format": "foley-sound-classifier", **asdict(self)}) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike = DEMO_PATH) -> "SoundClassifier":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise FoleyError(f"{path}: cannot read the sound classifier ({e})") from None
        if not isinstance(data, dict) or data.pop("format", None) != "foley-sound-classifier":
            raise FoleyError(f"{path}: not a foley sound classifier")
        names = [f.name for f in fields(cls)]
        try:  # the weights of C classes on D features: coef (C, D), intercept (C,), mean and scale (D,)
            coef, intercept, mean, scale = (np.asarray(data[k], np.float64) for k in ("coef", "intercept", "mean", "scale"))
            fit = (set(data) <= set(names) and isinstance(data["classes"], list) and coef.ndim == 2
                   and coef.shape[0] == len(data["classes"]) and intercept.shape == coef.shape[:1]
                   and mean.shape == scale.shape == coef.shape[1:])
        except (KeyError, TypeError, ValueError):
            fit = False
        if not fit:
            raise FoleyError(f"{path}: a damaged foley sound classifier (it needs {', '.join(names[:5])} of matching "
                             "sizes and nothing else)")
        return cls(**data)


def fit_logistic(x: np.ndarray, labels: list[str], features: str = "logmel-onset", c: float = 1.0,
                 max_iter: int = 2000) -> SoundClassifier:
    """scikit-learn's logistic regression on standardized features ``x`` (N, D), as a
    SoundClassifier. With two classes scikit-learn gives one row of weights, the log-odds of the
    second; they become two rows (zeros, then the weights), whose softmax is that sigmoid.
    FoleyError with fewer than two classes."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise FoleyError(f"a classifier needs clips of at least two classes to fit; the train split has "
                         f"{len(labels)} clip{'s' if len(labels) != 1 else ''} of {len(set(labels))}")
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(max_iter=max_iter, C=c).fit((x - mean) / scale, labels)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return SoundClassifier([str(k) for k in model.classes_], mean.tolist(), scale.tolist(), coef.tolist(),
                           intercept.tolist(), features=features)


def onset_segments(root: str | os.PathLike, split: str) -> tuple[np.ndarray, list[str]]:
    """Features of every annotated onset of a SynthSync split, and their classes."""
    from ..datasets.synthsync import load_manifest

    feats, labels = [], []
    for e in load_manifest(root, split):
        wav, _ = read_audio(e["audio"], sample_rate=SAMPLE_RATE)
        for t in e["onsets_s"]:
            feats.append(segment_features(wav[round(t * SAMPLE_RATE):]))
            labels.append(e["class"])
    return np.asarray(feats), labels


def fit(root: str | os.PathLike) -> tuple[SoundClassifier, float]:
    """Fit on the train split; return the classifier and its accuracy on the test split (NaN
    when it has no clips)."""
    x, y = onset_segments(root, "train")
    clf = fit_logistic(x, y)
    xt, yt = onset_segments(root, "test")
    accuracy = float(np.mean([clf.classes[int(np.argmax(clf.feature_probabilities(f)))] == c
                              for f, c in zip(xt, yt)])) if len(yt) else float("nan")
    return clf, accuracy


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m foley.evaluation.classifier",
                                 description="Fit the demo sound classifier on a SynthSync folder.")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="classifier JSON to write")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = ap.parse_args(argv)
    refuse_to_replace(args.out, args.overwrite, file=True)
    clf, accuracy = fit(args.data)
    clf.save(args.out)
    said = "no test clips" if np.isnan(accuracy) else f"test accuracy {accuracy:.4f}"
    print(f"sound classifier: {len(clf.classes)} classes, {said} -> {args.out}")
