"""What a video shows, read from the model's own frame features: the caption for a dub without one.

The LM and the backbone take a caption. Without one, the visual condition alone decides what
the sound is, and it places events far better than it names them. The probe names the training
class a clip shows and gives that class's caption (the commonest one in the training manifest):
multinomial logistic regression (scikit-learn) on the clip's mean frame feature, standardized
by the training clips' mean and spread. Stored as safetensors (``weight`` (C, D), ``bias``
(C,), ``mean`` and ``std`` (D,); the classes, captions and threshold in the metadata)::

    python -m foley.models.caption_probe --features CACHE --manifest train.jsonl --out caption_probe.safetensors

CACHE holds the features of the model's own frame encoder (``foley extract --model`` it);
``--test test.jsonl`` prints the held-out accuracy. A model uses the file when its
``pipeline.json`` names it as ``caption_probe``: ``foley dub`` without ``--caption`` then
captions a video with its class's caption when the probe gives that class a probability of at
least the threshold, and with none otherwise.
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.models.caption_probe")

import argparse
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from ..errors import FoleyError
from ..media.files import atomic_path, refuse_to_replace


@dataclass(frozen=True)
class Seen:
    label: str  # the class the probe names
    caption: str  # that class's caption
    probability: float


@dataclass
class CaptionProbe:
    weight: torch.Tensor  # (C, D) float32, on standardized features
    bias: torch.Tensor  # (C,)
    mean: torch.Tensor  # (D,) the training clips' mean frame feature
    std: torch.Tensor  # (D,) > 0
    labels: list[str]  # (C,) class names
    captions: list[str]  # (C,) one caption per class
    threshold: float = 0.5  # the least probability at which a class is said to be seen

    @classmethod
    def fit(cls, clips: list[torch.Tensor], labels: list[str], captions: list[str], threshold: float = 0.5,
            seed: int = 0) -> "CaptionProbe":
        """Fit on training clips' frame features (N_i, D), their class names and captions (one
        per clip); a class's caption is its commonest one. Raises FoleyError for fewer than two
        classes or mismatched inputs."""
        from sklearn.linear_model import LogisticRegression

        if not len(clips) == len(labels) == len(captions):
            raise FoleyError(f"{len(clips)} clips, {len(labels)} classes and {len(captions)} captions")
        bad = [i for i, c in enumerate(clips) if c.ndim != 2 or not len(c) or c.shape[1] != clips[0].shape[-1]
               or not bool(torch.isfinite(c).all())]
        if bad:
            raise FoleyError(f"clip {bad[0]} (counting from 0): frame features {tuple(clips[bad[0]].shape)} are not "
                             "(N >= 1, D) like the first clip's, or hold NaN or infinite values")
        if not all(isinstance(x, str) and x for x in (*labels, *captions)):
            raise FoleyError("every clip needs a class name and a caption, both non-empty text")
        names = sorted(set(labels))
        if len(names) < 2:
            raise FoleyError(f"a caption probe needs clips of at least 2 classes, got {names}")
        x = pooled(clips)  # (N, D)
        mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
        model = LogisticRegression(max_iter=2000, random_state=seed).fit(((x - mean) / std).numpy(), labels)
        coef = torch.as_tensor(model.coef_, dtype=torch.float32)  # (C, D) in model.classes_'s order: sorted names
        intercept = torch.as_tensor(model.intercept_, dtype=torch.float32)  # (C,)
        if len(names) == 2:  # scikit-learn keeps one row, the second class's logit; softmax([0, z]) = sigmoid(z)
            coef, intercept = torch.cat([torch.zeros_like(coef), coef]), torch.cat([torch.zeros_like(intercept), intercept])
        commonest = {n: Counter(c for lab, c in zip(labels, captions) if lab == n).most_common(1)[0][0] for n in names}
        return cls(coef, intercept, mean, std, names, [commonest[n] for n in names], threshold)

    def probabilities(self, features: torch.Tensor) -> torch.Tensor:
        """A clip's frame features (N, D), N >= 1 -> class probabilities (C,)."""
        if features.ndim != 2 or not len(features) or features.shape[1] != len(self.mean):
            raise FoleyError(f"frame features are {tuple(features.shape)}; the caption probe reads "
                             f"{len(self.mean)}-d frames (another frame encoder?)")
        x = (pooled([features])[0] - self.mean) / self.std  # (D,)
        return torch.softmax(self.weight @ x + self.bias, dim=0)

    def seen(self, features: torch.Tensor) -> Seen | None:
        """The class a clip's frames (N, D) show and its caption, or None when no class reaches
        the threshold."""
        p = self.probabilities(features)
        best = int(p.argmax())
        return Seen(self.labels[best], self.captions[best], float(p[best])) if p[best] >= self.threshold else None

    def save(self, path: str | os.PathLike) -> None:
        meta = {"labels": json.dumps(self.labels), "captions": json.dumps(self.captions),
                "threshold": repr(self.threshold)}
        tensors = {"weight": self.weight, "bias": self.bias, "mean": self.mean, "std": self.std}
        with atomic_path(path) as tmp:
            save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CaptionProbe":
        try:
            t = load_file(str(path))
            with safe_open(str(path), "pt") as f:
                meta = f.metadata() or {}
            probe = cls(t["weight"].float(), t["bias"].float(), t["mean"].float(), t["std"].float(),
                        json.loads(meta["labels"]), json.loads(meta["captions"]), float(meta["threshold"]))
        except (OSError, SafetensorError, KeyError, ValueError) as e:
            raise FoleyError(f"{path}: not a caption probe file ({type(e).__name__}: {e})") from None
        c, d = probe.weight.shape if probe.weight.ndim == 2 else (-1, -1)
        sane = (probe.bias.shape == (c,) and probe.mean.shape == probe.std.shape == (d,) and len(probe.labels) == c
                and len(probe.captions) == c and bool((probe.std > 0).all()) and 0 <= probe.threshold <= 1
                and all(bool(torch.isfinite(v).all()) for v in (probe.weight, probe.bias, probe.mean, probe.std)))
        if not sane:
            raise FoleyError(f"{path}: damaged caption probe (shapes, class names, non-positive spreads or NaN)")
        return probe


def pooled(clips: list[torch.Tensor]) -> torch.Tensor:
    """Clips' frame features (N_i, D) -> their mean frame features (len(clips), D), float32."""
    return torch.stack([c.float().cpu().mean(0) for c in clips])


def _read(features: str, manifest: str) -> tuple[list[torch.Tensor], list[str], list[str]]:
    from ..datasets.frame_cache import load_features
    from ..datasets.manifest import read_manifest

    entries = list({e["id"]: e for e in read_manifest(manifest)}.values())
    if not entries:
        raise FoleyError(f"{manifest}: no clips")
    missing = [e["id"] for e in entries
               if not all(isinstance(e.get(key), str) and e[key] for key in ("class", "caption"))]
    if missing:
        raise FoleyError(f"{manifest}: clip {missing[0]} has no class or caption (non-empty text)")
    return [load_features(features, e["id"]) for e in entries], [e["class"] for e in entries], \
        [e["caption"] for e in entries]


def main(argv: list[str] | None = None) -> None:
    from ..cli import number_arg, one_line_errors, show_defaults

    p = argparse.ArgumentParser(prog="python -m foley.models.caption_probe", description=__doc__.splitlines()[0])
    p.add_argument("--features", required=True, help="frame feature cache of the clips (foley extract)")
    p.add_argument("--manifest", required=True,
                   help="the training manifest (JSON Lines with id, video, class and caption, as foley extract reads it)")
    p.add_argument("--test", help="a held-out manifest (same cache) whose accuracy is printed")
    p.add_argument("--out", required=True, help="probe file to write (.safetensors)")
    p.add_argument("--threshold", type=number_arg(0, 1), default=0.5,
                   help="least probability at which a class is said to be seen")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = show_defaults(p).parse_args(argv)

    def run() -> None:
        refuse_to_replace(args.out, args.overwrite, file=True)
        probe = CaptionProbe.fit(*_read(args.features, args.manifest), threshold=args.threshold)
        lines = [f"{args.out}: {len(probe.labels)} classes of {len(probe.mean)}-d frame features"]
        for name, manifest in (("train", args.manifest), ("test", args.test)):
            if manifest:
                clips, labels, _ = _read(args.features, manifest)
                seen = [probe.seen(c) for c in clips]
                right = sum(s is not None and s.label == lab for s, lab in zip(seen, labels))
                lines.append(f"  {name}: {right}/{len(clips)} clips named right ({right / len(clips):.3f}), "
                             f"{sum(s is None for s in seen)} below the threshold")
        try:
            probe.save(Path(args.out))
        except OSError as e:
            raise FoleyError(f"{args.out}: cannot write there ({e.strerror or type(e).__name__})") from None
        print("\n".join(lines))

    one_line_errors(lambda _: run(), "foley.models.caption_probe", argv)
