"""Seamless joins of overlapping windows (long videos, long composed events).

A signal longer than the model window is covered by windows that overlap by ``overlap``
samples; consecutive windows are joined with an equal-power crossfade (sin/cos ramps,
whose squares sum to one), so that uncorrelated material keeps its loudness through the
seam and correlated material has no gap.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def window_starts(total: int, window: int, overlap: int) -> list[int]:
    """Start offsets of windows of ``window`` samples covering ``total`` samples, with at
    least ``overlap`` samples shared by neighbours; the last window ends at ``total``."""
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError(f"need 0 <= overlap < window, got window={window}, overlap={overlap}")
    if total <= window:
        return [0]
    n = 1 + math.ceil((total - window) / (window - overlap))
    step = (total - window) / (n - 1)  # spread evenly: every overlap is >= the requested one
    return [round(i * step) for i in range(n)]


def hop_starts(total: int, window: int, overlap: int) -> list[int]:
    """Start offsets of windows of ``window`` samples covering ``total`` samples: one every
    ``window - overlap`` samples from 0, and a last one that ends at ``total`` (its overlap with
    the one before may be longer), so that the windows over a signal's beginning do not depend on
    how long it goes on (:func:`window_starts` spreads them over the whole)."""
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError(f"need 0 <= overlap < window, got window={window}, overlap={overlap}")
    if total <= window:
        return [0]
    return [*range(0, total - window, window - overlap), total - window]


def heard_from(starts: list[int], lengths: list[int], overlap: int) -> list[int]:
    """Where each window of :func:`hop_starts` is heard from: its start, or for one that overlaps the
    one before by more than ``overlap`` samples, ``overlap`` before that one's end (the earlier window
    alone until then), so that its crossfade is as long as the others'. (:func:`join_windows` takes
    these with each window cut to begin there.)"""
    return starts[:1] + [max(s, before + n - overlap) for s, before, n in zip(starts[1:], starts, lengths)]


def join_windows(chunks: Iterable[np.ndarray], starts: list[int], total: int) -> np.ndarray:
    """Overlap-add chunks (..., n_i) placed at ``starts`` into (..., total) with equal-power
    crossfades over each overlap. ``chunks`` may be a generator: each chunk is added as it
    comes, so only the output and one chunk are held."""
    out, previous_end = None, 0
    for i, (chunk, start) in enumerate(zip(chunks, starts)):
        if out is None:
            out = np.zeros(chunk.shape[:-1] + (total,), dtype=np.float32)
        n = min(chunk.shape[-1], total - start)
        gain = np.ones(n, dtype=np.float32)
        if i > 0:
            fade_in = max(0, min(n, previous_end - start))
            gain[:fade_in] = np.sin(0.5 * np.pi * (np.arange(fade_in) + 0.5) / fade_in)
        if i + 1 < len(starts):
            fade_out = max(0, min(n, start + n - starts[i + 1]))
            if fade_out:
                gain[n - fade_out:] *= np.cos(0.5 * np.pi * (np.arange(fade_out) + 0.5) / fade_out)
        out[..., start:start + n] += chunk[..., :n] * gain
        previous_end = start + chunk.shape[-1]
    if out is None:
        raise ValueError("no chunks to join")
    return out
