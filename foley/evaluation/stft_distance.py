"""Multi-resolution STFT distance between a waveform and its reference.

Parallel WaveGAN's auxiliary loss (Yamamoto, Song and Kim, ICASSP 2020, arXiv:1910.11480,
eqs. 3-5), as implemented in kan-bayashi/ParallelWaveGAN
(``parallel_wavegan/losses/stft_loss.py``), used here as a measurement. At each
resolution, with magnitudes ``|S| = sqrt(max(re^2 + im^2, 1e-7))`` of a Hann-windowed,
centred STFT (reflect padding):

- spectral convergence ``|| |S_ref| - |S_est| ||_F / || |S_ref| ||_F``;
- log-magnitude distance ``mean |ln |S_ref| - ln |S_est| |`` (nats, over bins and frames).

Each is averaged over the resolutions: FFT sizes 512, 1024, 2048, window = FFT size,
hop = FFT size / 4. 0 means identical magnitudes; the 1e-7 power floor (-70 dB) bounds the
log distance on silence.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..errors import FoleyError

FFT_SIZES = (512, 1024, 2048)
POWER_FLOOR = 1e-7


@dataclass(frozen=True)
class StftDistance:
    spectral_convergence: float
    log_magnitude: float  # nats

    @property
    def total(self) -> float:
        """The Parallel WaveGAN loss value: the sum of the two terms."""
        return self.spectral_convergence + self.log_magnitude

    def to_dict(self) -> dict:
        return {**asdict(self), "total": self.total}


def _magnitude(wav: torch.Tensor, n_fft: int) -> torch.Tensor:
    # (N,) -> (n_fft // 2 + 1, frames)
    window = torch.hann_window(n_fft, dtype=wav.dtype)
    spec = torch.stft(wav, n_fft, hop_length=n_fft // 4, win_length=n_fft, window=window, center=True,
                      pad_mode="reflect", return_complex=True)
    return (spec.real ** 2 + spec.imag ** 2).clamp_min(POWER_FLOOR).sqrt()


def stft_distance(estimate: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor,
                  fft_sizes: tuple[int, ...] = FFT_SIZES) -> StftDistance:
    """Distance of ``estimate`` (N,) to ``reference`` (M,), both mono at the same sample rate.

    Both are cut to the shorter length, which must exceed half the largest FFT size (the
    reflect padding); otherwise ``FoleyError``. Computed in float64.
    """
    est = torch.as_tensor(np.asarray(estimate), dtype=torch.float64).flatten()
    ref = torch.as_tensor(np.asarray(reference), dtype=torch.float64).flatten()
    n = min(len(est), len(ref))
    if n <= max(fft_sizes) // 2:
        raise FoleyError(f"STFT distance needs more than {max(fft_sizes) // 2} samples, got {n}")
    est, ref = est[:n], ref[:n]
    sc, mag = [], []
    for n_fft in fft_sizes:
        e, r = _magnitude(est, n_fft), _magnitude(ref, n_fft)
        sc.append((torch.linalg.norm(r - e) / torch.linalg.norm(r)).item())
        mag.append((r.log() - e.log()).abs().mean().item())
    return StftDistance(float(np.mean(sc)), float(np.mean(mag)))
