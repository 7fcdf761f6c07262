"""Auffusion's log-mel and its image form."""
from __future__ import annotations

import math

import librosa
import numpy as np
import pytest
import torch

from foley.errors import FoleyError
from foley.models.mel import LogMel, MelConfig, image_to_mel, log_mel, mel_to_image

CFG = MelConfig()


def _clip(seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Tone + clicks + noise: a spectrogram with structure at every frequency and time."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    wav = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(len(t))
    wav[4000:4100] += 0.5 * rng.standard_normal(100)
    return wav.astype(np.float32)


def test_log_mel_matches_an_independent_librosa_computation():
    wav = _clip()
    ours = log_mel(wav, CFG)[0].numpy()
    x = wav / np.abs(wav).max() * 0.95
    x = np.pad(x, (944, 944), mode="reflect")
    spec = librosa.stft(x, n_fft=2048, hop_length=160, win_length=1024, window="hann", center=False)
    mag = np.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-9)
    ref = np.log(np.maximum(librosa.feature.melspectrogram(S=mag, sr=16000, n_fft=2048, n_mels=256, fmax=8000, power=1.0), 1e-5))
    assert ours.shape == (256, 100) == ref.shape  # 100 frames per second
    np.testing.assert_allclose(ours, ref, atol=2e-4)


def test_frames_follow_the_hop_and_peak_normalization_makes_gain_irrelevant():
    wav = torch.from_numpy(_clip(0.5))[None]
    a, b = LogMel(CFG)(wav), LogMel(CFG)(wav * 0.1)
    assert a.shape == (1, 256, 50)
    torch.testing.assert_close(a, b, atol=1e-4, rtol=0)


def test_round_trip_mel_image_mel_is_exact_within_the_clamp_range():
    logmel = log_mel(_clip(), CFG)  # (1, 256, 100)
    image = mel_to_image(logmel, CFG)
    assert image.shape == (1, 3, 256, 1024) and image.min() >= -1 and image.max() <= 1
    back = image_to_mel(image, CFG)[..., :100]
    lo, hi = math.log(CFG.min_value), math.log(CFG.max_value)
    err = (back - logmel.clamp(lo, hi)).abs().max().item()
    assert err < 1e-5  # float32 rounding only (measured ~2e-6 on a 16.8-nat range)
    assert (image_to_mel(image, CFG)[..., 100:] == lo).all()  # padding decodes to silence


def test_image_orientation_channels_and_crop():
    logmel = torch.full((1, 256, 2000), math.log(CFG.min_value))
    logmel[:, 0] = math.log(CFG.max_value)  # lowest band loud
    image = mel_to_image(logmel, CFG)
    assert image.shape[-1] == 1024  # cropped to the model width
    assert (image[:, :, -1] == 1).all() and (image[:, :, 0] == -1).all()  # low frequencies at the bottom
    assert torch.equal(image[:, 0], image[:, 2])


def test_bad_shapes_raise_one_line_errors():
    with pytest.raises(FoleyError):
        mel_to_image(torch.zeros(1, 80, 10), CFG)
    with pytest.raises(FoleyError):
        image_to_mel(torch.zeros(1, 3, 80, 10), CFG)
    with pytest.raises(FoleyError):
        LogMel(CFG)(torch.zeros(1, 10))
