import numpy as np
import pytest

from foley.errors import MediaError
from foley.media.video import FrameSpec, decode_frames, iter_frames, nearest_frames, probe_video, sample_times

from conftest import lavfi_video, read_index, write_index_video

BACKENDS = ["decord", "pyav"]


def expected_indices(frame_times: np.ndarray, fps: float, duration_s: float) -> np.ndarray:
    """Brute force: the frame with the smallest |t_frame - t_k| (earliest on ties)."""
    targets = np.arange(int(np.ceil(duration_s * fps - 1e-6))) / fps
    return np.array([int(np.argmin(np.abs(frame_times - t))) for t in targets])


def test_sample_grid():
    assert len(sample_times(4.0, 21.5)) == 86
    assert len(sample_times(3.0, 21.5)) == 65  # 64.5 -> 65 frames cover the whole duration
    np.testing.assert_allclose(sample_times(1.0, 21.5)[:3], [0, 1 / 21.5, 2 / 21.5])


def test_nearest_frames_ties_go_to_the_earlier_frame():
    times = np.array([0.0, 0.1, 0.2])
    np.testing.assert_array_equal(nearest_frames(times, np.array([0.05, 0.0499, 0.0501, 0.3, -1.0])), [0, 0, 1, 2, 0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_constant_rate_decode_picks_nearest_frames(cfr_video, backend):
    path, times = cfr_video
    info = probe_video(path)
    assert (info.frame_count, info.width, info.height) == (90, 160, 96)
    assert info.duration_s == pytest.approx(3.0, abs=2e-3) and info.fps == pytest.approx(30.0, abs=0.05)  # ms timestamps
    assert not info.variable_frame_rate and not info.has_audio
    frames = decode_frames(path, fps=21.5, spec=FrameSpec(size=None), backend=backend)
    got = np.array([read_index(f) for f in frames])
    np.testing.assert_array_equal(got, expected_indices(times, 21.5, 3.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_variable_rate_decode_uses_real_timestamps(vfr_video, backend):
    path, times = vfr_video
    info = probe_video(path)
    assert info.variable_frame_rate and info.frame_count == len(times)
    frames = decode_frames(path, fps=21.5, spec=FrameSpec(size=None), backend=backend)
    got = np.array([read_index(f) for f in frames])
    np.testing.assert_array_equal(got, expected_indices(times, 21.5, info.duration_s))


@pytest.mark.parametrize("backend", BACKENDS)
def test_clip_geometry_and_chunks(media_dir, backend):
    path = lavfi_video(media_dir / f"wide_{backend}.mp4", "testsrc=s=320x180:r=25:d=1")
    chunks = list(iter_frames(path, fps=21.5, spec=FrameSpec(size=224), chunk=8, backend=backend))
    assert all(c.shape[1:] == (224, 224, 3) and c.dtype == np.uint8 for c in chunks)
    assert [len(c) for c in chunks] == [8, 8, 6]  # 22 frames for 1 s at 21.5 Hz
    # Center crop of the upscaled 398x224 picture equals decoding at native size then cropping.
    native = decode_frames(path, fps=21.5, spec=FrameSpec(size=None), backend=backend)
    assert native.shape == (22, 180, 320, 3)


def test_backends_agree(cfr_video):
    path, _ = cfr_video
    a = decode_frames(path, spec=FrameSpec(size=64), backend="decord")
    b = decode_frames(path, spec=FrameSpec(size=64), backend="pyav")
    assert a.shape == b.shape
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 4  # same frames, scaler rounding aside


def test_index_video_round_trip(media_dir):
    path = write_index_video(media_dir / "few.mp4", [0, 0.5, 1.0])
    assert [read_index(f) for f in decode_frames(path, fps=2, spec=FrameSpec(size=None))] == [0, 1, 2]


def test_rejects_bad_fps(cfr_video):
    with pytest.raises(MediaError, match="frame rate must be positive"):
        decode_frames(cfr_video[0], fps=0)
