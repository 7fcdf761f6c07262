"""Fréchet Audio Distance between two sets of audio embeddings.

d^2 = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrt(S1 S2)), with float64 statistics
(mean, unbiased covariance of the embedding rows). The trace of the matrix square root
is computed as Tr(sqrt(A S2 A)) with A = sqrt(S1) (both symmetric positive semi-definite),
so it comes from the eigenvalues of a symmetric matrix: always real, and negative
eigenvalues that only rounding produces are clipped to zero.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FoleyError


@dataclass(frozen=True)
class EmbeddingStats:
    mean: np.ndarray  # (D,)
    cov: np.ndarray  # (D, D)
    n: int


def embedding_stats(emb: np.ndarray, what: str = "embeddings") -> EmbeddingStats:
    """Mean and unbiased covariance of (N, D) embeddings; needs N > D for a full-rank covariance."""
    emb = np.asarray(emb, dtype=np.float64)
    if emb.ndim != 2:
        raise FoleyError(f"{what}: expected a (N, D) matrix of embeddings, got shape {emb.shape}")
    n, d = emb.shape
    if n < 2:  # no covariance, in any number of dimensions
        raise FoleyError(f"{what}: FAD needs at least two embeddings for a covariance, got {n}; use more or longer clips")
    if n <= d:
        raise FoleyError(f"{what}: FAD needs more embeddings than dimensions for a full-rank covariance "
                         f"(got N={n}, D={d}); use more or longer clips, an embedder with fewer dimensions, or FAD on K "
                         f"principal components (foley eval fad --pca K with K below {n}, e.g. {max(1, min(32, n // 2))})")
    if not np.isfinite(emb).all():
        raise FoleyError(f"{what}: embeddings contain NaN or infinite values")
    return EmbeddingStats(emb.mean(axis=0), np.atleast_2d(np.cov(emb, rowvar=False)), n)  # D = 1: (1, 1)


def pca_projection(blocks: np.ndarray, dims: int):
    """The projection of (N, D) embeddings on the first ``dims`` principal components of ``blocks``
    (their mean removed): FAD on sets with fewer embeddings than D (aiSFX's 512)."""
    if not 1 <= dims <= min(blocks.shape):
        raise FoleyError(f"PCA to {dims} dimensions needs at least {dims} reference embeddings of at least {dims} "
                         f"dimensions; got {blocks.shape[0]} of {blocks.shape[1]}")
    mean = blocks.mean(axis=0)
    _, _, vt = np.linalg.svd(blocks - mean, full_matrices=False)  # rows of vt: principal directions
    return lambda x: (x - mean) @ vt[:dims].T  # (n, D) -> (n, dims)


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """Tr(sqrt(S1 S2)) for symmetric PSD S1, S2: real and >= 0 even when rank-deficient."""
    a = _psd_sqrt(np.asarray(s1, dtype=np.float64))
    w = np.linalg.eigvalsh(a @ np.asarray(s2, dtype=np.float64) @ a)
    return float(np.sqrt(np.clip(w, 0, None)).sum())


def frechet_distance(a: EmbeddingStats, b: EmbeddingStats) -> float:
    if a.mean.shape != b.mean.shape:
        raise FoleyError(f"cannot compare embeddings of dimension {a.mean.shape[0]} and {b.mean.shape[0]}")
    diff = a.mean - b.mean
    d2 = float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2 * trace_sqrt_product(a.cov, b.cov))
    return max(d2, 0.0)  # rounding can leave -1e-12 for identical sets
