"""How familiar a video's frames are to a model: their distance from its training frames.

A model that meets pictures unlike any it was trained on still writes tokens; those say
nothing. The statistics kept are the training frame features' per-dimension mean and
standard deviation (D,), the precision matrix (D, D) of their z-scores
``z = (x - mean) / std`` (the inverse of their correlation, Ledoit-Wolf shrunk: scikit-learn's
``LedoitWolf``), and the ``quantile`` (0.99) of the training frames' own distances. A frame's
distance is its Mahalanobis distance / sqrt(D), ``sqrt(z @ precision @ z / D)`` (~1 for a typical
training frame at any D); without a precision matrix (files written before it) the identity
stands in, the RMS z-score. A frame is familiar when its distance is at most the threshold.
The full matrix matters: a random frame encoder's dimensions move together, and a picture can
keep every dimension in its usual range while breaking how they go together (a talking head
through the demo encoder: every frame familiar on the diagonal, none with the full matrix).
Stored as safetensors (``mean``, ``std``, ``precision``; the threshold, quantile and frame count
in the metadata)::

    python -m foley.models.frame_stats --features CACHE --manifest train.jsonl --out frame_stats.safetensors

CACHE holds the features of the model's own frame encoder (``foley extract --model`` it);
a model uses the file when its ``pipeline.json`` names it as ``frame_stats`` (a path
relative to the model folder).
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.models.frame_stats")

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from ..errors import FoleyError
from ..media.files import atomic_path, refuse_to_replace


@dataclass
class FrameStats:
    mean: torch.Tensor  # (D,) float32
    std: torch.Tensor  # (D,) float32, > 0
    threshold: float  # the largest familiar distance
    quantile: float = 0.99
    frames: int = 0  # training frames the statistics came from
    precision: torch.Tensor | None = None  # (D, D) float32 of the z-scores; None: the identity

    @classmethod
    def fit(cls, features: torch.Tensor, quantile: float = 0.99) -> "FrameStats":
        """Statistics of training frame features (N, D), N >= 2."""
        from sklearn.covariance import LedoitWolf

        if features.ndim != 2 or len(features) < 2:
            raise FoleyError(f"frame statistics need at least 2 frames of (N, D) features, got {tuple(features.shape)}")
        features = features.float()
        if not bool(torch.isfinite(features).all()):
            raise FoleyError("the frame features hold NaN or infinite values")
        mean, std = features.mean(0), features.std(0).clamp_min(1e-6)
        z = ((features - mean) / std).double().numpy()
        precision = torch.from_numpy(LedoitWolf(assume_centered=True).fit(z).precision_).float()
        stats = cls(mean, std, 0.0, quantile, len(features), precision)
        stats.threshold = float(torch.quantile(stats.distance(features), quantile))
        return stats

    def distance(self, features: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (N,) Mahalanobis distances / sqrt(D)."""
        if features.ndim != 2 or features.shape[1] != len(self.mean):
            raise FoleyError(f"frame features are {tuple(features.shape)}; the statistics are of "
                             f"{len(self.mean)}-d frames (another frame encoder?)")
        z = (features.float().cpu() - self.mean) / self.std  # (N, D)
        if self.precision is None:
            return z.pow(2).mean(1).sqrt()
        return ((z @ self.precision) * z).sum(1).clamp_min(0).div(z.shape[1]).sqrt()

    def unfamiliar(self, features: torch.Tensor) -> float:
        """Fraction of the frames (N, D) farther from the training frames than the threshold."""
        return float((self.distance(features) > self.threshold).float().mean()) if len(features) else 0.0

    def save(self, path: str | os.PathLike) -> None:
        meta = {"threshold": repr(self.threshold), "quantile": repr(self.quantile), "frames": str(self.frames)}
        with atomic_path(path) as tmp:
            tensors = {"mean": self.mean, "std": self.std, **({} if self.precision is None else {"precision": self.precision})}
            save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FrameStats":
        try:
            tensors = load_file(str(path))
            with safe_open(str(path), "pt") as f:
                meta = f.metadata() or {}
            precision = tensors["precision"].float() if "precision" in tensors else None
            stats = cls(tensors["mean"].float(), tensors["std"].float(), float(meta["threshold"]),
                        float(meta["quantile"]), int(meta["frames"]), precision)
        except (OSError, SafetensorError, KeyError, ValueError) as e:
            raise FoleyError(f"{path}: not a frame statistics file ({type(e).__name__}: {e})") from None
        d = len(stats.mean)
        sane = (stats.mean.ndim == 1 and stats.std.shape == stats.mean.shape and bool(torch.isfinite(stats.mean).all())
                and bool((stats.std > 0).all()) and bool(torch.isfinite(stats.std).all())
                and 0 < stats.threshold < float("inf")
                and (precision is None or precision.shape == (d, d) and bool(torch.isfinite(precision).all())))
        if not sane:
            raise FoleyError(f"{path}: damaged frame statistics (shapes, non-positive spreads or NaN)")
        return stats


MAX_UNFAMILIAR = 0.5  # foley dub does not dub a video with more of its frames unfamiliar: its tokens would mean nothing


def main(argv: list[str] | None = None) -> None:
    from ..datasets.frame_cache import load_features
    from ..datasets.manifest import read_manifest

    p = argparse.ArgumentParser(prog="python -m foley.models.frame_stats", description=__doc__.splitlines()[0])
    p.add_argument("--features", required=True, help="frame feature cache of the training clips (foley extract)")
    p.add_argument("--manifest", required=True, help="the training manifest (JSON Lines with id)")
    p.add_argument("--out", required=True, help="statistics file to write (.safetensors)")
    p.add_argument("--quantile", type=_fraction, default=0.99,
                   help="share of the training frames counted familiar, in (0, 1] (default: 0.99)")
    p.add_argument("--test", help="a held-out manifest (same cache): how many of its clips foley dub would "
                                   "refuse as unfamiliar with these statistics")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = p.parse_args(argv)

    def clips(manifest: str) -> list[torch.Tensor]:  # (N_i, D) each
        ids = list(dict.fromkeys(e["id"] for e in read_manifest(manifest)))
        if not ids:
            raise FoleyError(f"{manifest}: no clips")
        return [load_features(args.features, i) for i in ids]

    try:
        refuse_to_replace(args.out, args.overwrite, file=True)
        features = clips(args.manifest)
        widths = sorted({f.shape[1] for f in features})
        if len(widths) > 1:
            raise FoleyError(f"{args.features}: clips of {widths[0]}-d and {widths[1]}-d features (two frame encoders?)")
        held_out = clips(args.test) if args.test else []
        stats = FrameStats.fit(torch.cat(features), args.quantile)
        refused = [c for c in held_out if stats.unfamiliar(c) > MAX_UNFAMILIAR]
        try:
            stats.save(Path(args.out))
        except OSError as e:
            raise FoleyError(f"{args.out}: cannot write there ({e.strerror or type(e).__name__})") from None
    except FoleyError as e:
        raise SystemExit(f"error: {e}")
    print(f"{args.out}: {stats.frames} frames of {len(stats.mean)}-d features from {len(features)} "
          f"clip{'s' if len(features) != 1 else ''}, familiar up to distance {stats.threshold:.3f} "
          f"(quantile {stats.quantile})")
    if held_out:
        print(f"  test: {len(refused)} of {len(held_out)} clips would be refused as unfamiliar (more than "
              f"{MAX_UNFAMILIAR:.0%} of their frames beyond it)"
              + ("; fit on more clips of their kind" if refused else ""))


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 1]")
    return value
