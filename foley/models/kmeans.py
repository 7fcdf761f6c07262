"""K-means units: fitting with scikit-learn, assignment in torch, safe centroid files.

Fitting uses the settings of fairseq's ``examples/hubert/simple_kmeans/learn_kmeans.py``.
Assignment is the argmin of the squared Euclidean distance. ``|x|^2`` is the same for every
centroid, so the argmin of ``|x|^2 - 2 x.C + |C|^2`` is that of ``|C|^2 - 2 x.C``, which is
what scikit-learn's ``predict`` computes (ties go to the lowest index, as there).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..errors import FoleyError

CENTROIDS_KEY = "centroids"


@dataclass
class KMeansConfig:
    """scikit-learn MiniBatchKMeans settings; the defaults are the published HuBERT ones."""

    n_clusters: int = 500
    init: str = "k-means++"
    max_iter: int = 100
    batch_size: int = 10_000
    tol: float = 0.0
    max_no_improvement: int = 100
    n_init: int = 20
    reassignment_ratio: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def fit_kmeans(features: np.ndarray, config: KMeansConfig) -> np.ndarray:
    """features (N, D) -> centroids (K, D) float32."""
    from sklearn.cluster import MiniBatchKMeans

    features = np.ascontiguousarray(features, dtype=np.float32)
    if len(features) < config.n_clusters:
        raise FoleyError(f"k-means needs at least {config.n_clusters} feature vectors, got {len(features)}")
    km = MiniBatchKMeans(
        n_clusters=config.n_clusters, init=config.init, max_iter=config.max_iter,
        batch_size=config.batch_size, tol=config.tol, max_no_improvement=config.max_no_improvement,
        n_init=config.n_init, reassignment_ratio=config.reassignment_ratio, compute_labels=False,
        init_size=None, random_state=config.seed,
    )
    km.fit(features)
    return km.cluster_centers_.astype(np.float32)


def assign_units(x: torch.Tensor, centroids: torch.Tensor, centroid_sq_norms: torch.Tensor | None = None) -> torch.Tensor:
    """x (..., D), centroids (K, D) -> nearest centroid ids (...) as int64."""
    if centroid_sq_norms is None:
        centroid_sq_norms = (centroids * centroids).sum(dim=1)  # (K,)
    flat = x.reshape(-1, x.shape[-1]).to(centroids.dtype)  # (M, D)
    dist = torch.addmm(centroid_sq_norms[None, :], flat, centroids.T, alpha=-2.0)  # (M, K)
    return dist.argmin(dim=1).reshape(x.shape[:-1])


def save_centroids(path: str | os.PathLike, centroids: torch.Tensor) -> None:
    save_file({CENTROIDS_KEY: centroids.detach().to(torch.float32).contiguous()}, str(path))


def load_centroids(path: str | os.PathLike) -> torch.Tensor:
    """Centroids (K, D) float32 from our own safetensors file."""
    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no such centroid file")
    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise FoleyError(f"{path}: not a readable centroid file ({e})") from None
    centroids = tensors.get(CENTROIDS_KEY)
    if centroids is None or centroids.ndim != 2 or not centroids.is_floating_point():
        raise FoleyError(f"{path}: not a centroid file (expected a 2-D float tensor named {CENTROIDS_KEY!r})")
    if not torch.isfinite(centroids).all():  # every frame would get unit 0
        raise FoleyError(f"{path}: the centroids hold NaN or infinite values")
    return centroids.float()

