import numpy as np
import pytest

from foley.media.crossfade import heard_from, hop_starts, join_windows, window_starts


@pytest.mark.parametrize("total, window, overlap", [(100, 100, 10), (250, 100, 20), (1001, 100, 30), (160_000, 64_000, 16_000)])
def test_windows_cover_with_enough_overlap(total, window, overlap):
    starts = window_starts(total, window, overlap)
    assert starts[0] == 0 and starts[-1] + window >= total
    assert all(b - a <= window - overlap for a, b in zip(starts, starts[1:]))


def test_equal_power_join_keeps_level_of_noise_and_matches_identical_windows():
    rng = np.random.default_rng(0)
    total, window, overlap = 48_000, 16_000, 4_000
    starts = window_starts(total, window, overlap)
    noise = [rng.standard_normal(window).astype(np.float32) for _ in starts]
    joined = join_windows(noise, starts, total)
    rms = [np.sqrt(np.mean(joined[i:i + 2000] ** 2)) for i in range(0, total - 2000, 2000)]
    assert max(rms) / min(rms) < 1.3  # no dip or bump at the seams (independent noise)
    signal = rng.standard_normal(total).astype(np.float32)
    same = join_windows([signal[s:s + window] for s in starts], starts, total)
    assert np.all(np.abs(same) <= np.abs(signal) * np.sqrt(2) + 1e-6)  # sin + cos <= sqrt(2) on identical content
    np.testing.assert_array_equal(same[:starts[1]], signal[:starts[1]])
    lazily = join_windows((signal[s:s + window] for s in starts), starts, total)  # a generator, one chunk at a time
    np.testing.assert_array_equal(lazily, same)


@pytest.mark.parametrize("total, window, overlap", [(100, 100, 10), (250, 100, 20), (1001, 100, 30), (400, 100, 0)])
def test_hop_windows_start_at_fixed_hops_whatever_follows_and_crossfade_over_the_overlap(total, window, overlap):
    starts = hop_starts(total, window, overlap)
    assert starts[0] == 0 and starts[-1] + window == total and starts == sorted(set(starts))
    assert all(b - a == window - overlap for a, b in zip(starts[:-2], starts[1:-1]))
    assert hop_starts(3 * total, window, overlap)[:len(starts) - 1] == starts[:-1]  # the beginning's, whatever follows
    heard = heard_from(starts, [window] * len(starts), overlap)
    assert heard[:-1] == starts[:-1]
    if len(starts) > 1:  # the last window heard over the overlap at most: the one before alone until then
        assert starts[-2] + window - heard[-1] == min(overlap, starts[-2] + window - starts[-1])
    signal = np.random.default_rng(1).standard_normal(total).astype(np.float32)
    joined = join_windows([signal[s:s + window][h - s:] for s, h in zip(starts, heard)], heard, total)
    alone = heard[1] if len(heard) > 1 else total
    np.testing.assert_array_equal(joined[:alone], signal[:alone])
    assert np.all(np.abs(joined) <= np.abs(signal) * np.sqrt(2) + 1e-6)  # sin + cos <= sqrt(2) on identical content
