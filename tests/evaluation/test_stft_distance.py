"""Multi-resolution STFT distance (Parallel WaveGAN's spectral convergence + log-magnitude L1)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from foley.errors import FoleyError
from foley.evaluation.stft_distance import stft_distance


def noise(seed: int, n: int = 48_000) -> np.ndarray:
    return (0.3 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_identical_signals_are_at_distance_zero():
    d = stft_distance(noise(0), noise(0))
    assert d.spectral_convergence == 0.0 and d.log_magnitude == 0.0 and d.total == 0.0


@pytest.mark.parametrize("gain", [0.5, 2.0])
def test_a_gain_gives_its_closed_form(gain):
    # |S_est| = g |S_ref| in every bin: SC = |1 - g|, log-magnitude = |ln g| (noise stays far above the floor)
    ref = noise(1)
    d = stft_distance(gain * ref, ref)
    assert d.spectral_convergence == pytest.approx(abs(1 - gain), abs=1e-6)
    assert d.log_magnitude == pytest.approx(abs(math.log(gain)), abs=1e-6)
    assert d.to_dict()["total"] == pytest.approx(d.spectral_convergence + d.log_magnitude)


def test_independent_noise_of_the_same_spectrum():
    # Independent Rayleigh magnitudes r1, r2 of one scale: E(r1 - r2)^2 / E r^2 = 2 (1 - pi / 4), so
    # SC -> sqrt(2 - pi / 2); ln r1 - ln r2 is half a standard logistic variable, whose mean |.| is 2 ln 2
    d = stft_distance(noise(2, 200_000), noise(3, 200_000))
    assert d.spectral_convergence == pytest.approx(math.sqrt(2 - math.pi / 2), abs=0.01)
    assert d.log_magnitude == pytest.approx(math.log(2), abs=0.01)


def test_lengths_are_cut_to_the_shorter_and_too_short_is_refused():
    ref = noise(4)
    assert stft_distance(ref[:30_000], ref).total == 0.0
    with pytest.raises(FoleyError, match="more than 1024 samples"):
        stft_distance(ref[:1000], ref)
