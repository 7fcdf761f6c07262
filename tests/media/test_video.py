import av
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
def test_a_rate_doubled_holds_each_frame_twice(media_dir, backend):
    """At 50 Hz every other t_k of a 25 fps video lies midway between two frames: the earlier one,
    whatever float rounding of k / 50 and of the frame times would say."""
    path = write_index_video(media_dir / "index_25fps.mp4", [i / 25 for i in range(50)])
    frames = decode_frames(path, fps=50, spec=FrameSpec(size=None), backend=backend)
    assert [read_index(f) for f in frames] == [k // 2 for k in range(100)]


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


def test_rejects_bad_fps_and_frame_sizes(cfr_video):
    for fps in (0, -1, float("nan"), "25", True):
        with pytest.raises(MediaError, match="frame rate must be a positive number of frames a second"):
            decode_frames(cfr_video[0], fps=fps)
    for size in (0, -1, 224.5, "224", True):
        with pytest.raises(MediaError, match="frame size must be a whole number of pixels from 1 on"):
            FrameSpec(size=size)
    with pytest.raises(MediaError, match=r"^frame rate must be at most 10,000 frames a second, got 1e\+09: sampling "
                                         r"faster than a video's own rate only repeats its frames$"):
        next(iter_frames(cfr_video[0], fps=1e9))  # not a grid of 4e9 timestamps (30 GB)
    with pytest.raises(MediaError, match=r"^frame size must be at most 4096 pixels \(or None: as decoded\), not "
                                         r"20000: frames that large would fill the memory$"):
        FrameSpec(size=20_000)  # not frames of 1.2 GB each
    assert FrameSpec(size=4096).size == 4096 and len(decode_frames(cfr_video[0], fps=10_000, spec=FrameSpec(8))) > 0
    for chunk in (0, -1, 1.5, None):
        with pytest.raises(MediaError, match=f"chunk must be a whole number of frames from 1 on, not {chunk!r}"):
            next(iter_frames(cfr_video[0], chunk=chunk))
    with pytest.raises(MediaError, match="backend must be one of auto, pyav, decord, not 'opencv'"):
        next(iter_frames(cfr_video[0], backend="opencv"))
    with pytest.raises(MediaError, match=r"spec must be a FrameSpec \(e.g. FrameSpec\(size=224\)\), not 224"):
        next(iter_frames(cfr_video[0], spec=224))


def _ffmpeg_frames(path, width, height) -> np.ndarray:
    """The frames FFmpeg's player pipeline shows (edit list applied, display matrix applied)."""
    import subprocess

    from foley.media.ffmpeg import ffmpeg_exe

    raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_display_matrix_turns_the_frames_upright(media_dir, tmp_path, degrees):
    from foley.media.ffmpeg import run_ffmpeg

    source = write_index_video(media_dir / "index_for_rotation.mp4", [i / 25 for i in range(10)])  # 160x96
    turned = tmp_path / f"turned{degrees}.mp4"
    run_ffmpeg(["-display_rotation", str(degrees), "-i", str(source), "-c", "copy", str(turned)], what=str(turned))
    info = probe_video(turned)
    upright = (96, 160) if degrees % 180 else (160, 96)
    assert (info.rotation, (info.width, info.height)) == (degrees, upright)
    shown = _ffmpeg_frames(turned, *upright)
    for backend in BACKENDS:
        frames = decode_frames(turned, fps=25, spec=FrameSpec(size=None), backend=backend)
        assert frames.shape == shown.shape, backend
        assert np.abs(frames.astype(int) - shown).mean() < 2.0, backend  # the same picture, upright
    if degrees == 90:
        import subprocess
        import sys

        line = subprocess.run([sys.executable, "-m", "foley", "probe", str(turned)], capture_output=True, text=True).stdout
        assert "96x160 h264 (rotated 90 degrees for display)" in line


def test_edit_list_frames_are_those_a_player_shows(media_dir, tmp_path):
    from foley.media.ffmpeg import run_ffmpeg

    source = write_index_video(media_dir / "index_for_cut.mp4", [i / 25 for i in range(100)])
    cut = tmp_path / "cut.mp4"
    run_ffmpeg(["-ss", "1.3", "-i", str(source), "-c", "copy", str(cut)], what=str(cut))
    shown = _ffmpeg_frames(cut, 160, 96)
    info = probe_video(cut)
    assert info.frame_count == len(shown) == 67 and info.duration_s == pytest.approx(67 / 25, abs=1e-3)
    frames = decode_frames(cut, fps=25, spec=FrameSpec(size=None), backend="pyav")
    assert [read_index(f) for f in frames] == [read_index(f) for f in shown] == list(range(33, 100))


def test_theora_repeated_pictures_decode(tmp_path):
    """Theora writes an unchanged picture as an empty packet; sent to libavcodec, an empty
    packet ends the stream and every later packet fails (EINVAL). A still picture with one
    change at 2 s: every sampled frame decodes, and the change shows from 2 s on."""
    from foley.media.ffmpeg import run_ffmpeg

    ogv = tmp_path / "still.ogv"
    run_ffmpeg(["-f", "lavfi", "-i", "color=gray:s=128x128:r=25:d=4", "-vf", "drawbox=enable='gte(t,2)':c=white:t=fill",
                "-c:v", "libtheora", str(ogv)], what=str(ogv))
    frames = decode_frames(ogv, fps=25, spec=FrameSpec(size=None), backend="pyav")
    brightness = frames.reshape(len(frames), -1).mean(axis=1)
    assert len(frames) == 100 and (brightness[:50] < 140).all() and (brightness[50:] > 200).all()


def _broken_packets(source, out, which: list[int]):
    """A copy of ``source`` whose video packets ``which`` (in file order) start with a NAL length
    past their end: the decoder refuses them."""
    data = bytearray(source.read_bytes())
    with av.open(str(source)) as c:
        packets = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    for k in which:
        pos, _ = packets[k]
        data[pos:pos + 4] = b"\x7f\xff\xff\xff"
    out.write_bytes(bytes(data))
    return out


def test_a_few_undecodable_frames_are_held_over_and_many_fail_the_video(cfr_video, tmp_path):
    path, _ = cfr_video  # 90 frames: up to 4 may be lost
    whole = decode_frames(path, fps=30, backend="pyav")
    few = decode_frames(_broken_packets(path, tmp_path / "few.mp4", [40, 41]), fps=30, backend="pyav")
    assert few.shape == whole.shape and np.array_equal(few[:40], whole[:40])
    with pytest.raises(MediaError, match=r"many.mp4: corrupt video: more than 4 of its frames cannot be decoded "
                                         r"\(.*, the first at 1.33 s\)"):
        decode_frames(_broken_packets(path, tmp_path / "many.mp4", list(range(40, 60))), fps=30, backend="pyav")


@pytest.mark.parametrize("suffix, codec", [(".ts", "libx264"), (".mpg", "mpeg2video")])
def test_frames_lost_from_an_mpeg_stream_fail_it_when_more_than_a_few(tmp_path, suffix, codec):
    """An MPEG transport or program stream's demuxer drops damaged packets, so the decoder
    refuses none: the loss shows as gaps in the timestamps of a stream kept at one rate."""
    from foley.media.ffmpeg import run_ffmpeg

    def with_frames_dropped(name, first, last):
        out = tmp_path / f"{name}{suffix}"
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x64:r=25:d=4", "-vf", f"select='not(between(n,{first},{last}))'",
                    "-fps_mode", "passthrough", "-c:v", codec, str(out)], what=str(out))
        return out

    few = probe_video(with_frames_dropped("few", 40, 41))  # 2 of 100 lost: held over by the frame before
    assert few.frame_count == 98 and few.duration_s == pytest.approx(4.0, abs=0.05)
    with pytest.raises(MediaError, match=rf"many{suffix}: corrupt video: its picture has gaps of 1.24 s in all "
                                         r"\(the longest 1.28 s, at 1.56 s\): frames lost, or timestamps that jump"):
        probe_video(with_frames_dropped("many", 40, 70))
    if codec != "libx264":  # MPEG-2 keeps one rate: a variable one is H.264's
        return
    # four of every five frames of the second half dropped (a variable rate, as a decimated source has): no holes
    vfr = tmp_path / f"vfr{suffix}"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x64:r=25:d=4", "-vf", "select='lt(n,50)+not(mod(n,5))'",
                "-fps_mode", "passthrough", "-c:v", codec, str(vfr)], what=str(vfr))
    assert probe_video(vfr).frame_count == 60


@pytest.mark.parametrize("b_frames", [0, 3])
def test_pictures_an_mpeg_program_stream_leaves_unstamped_are_timed_by_the_ones_before(tmp_path, b_frames):
    """H.264 in MPEG-PS: the muxer stamps a packet, not every picture in it; each unstamped
    picture follows the one before it, so every frame is counted and decoded in its place."""
    from foley.media.ffmpeg import run_ffmpeg

    ps, mp4 = tmp_path / "h264.mpg", tmp_path / "h264.mp4"
    for out in (ps, mp4):
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=4", "-c:v", "libx264", "-bf", str(b_frames),
                    "-pix_fmt", "yuv420p", str(out)], what=str(out))
    with av.open(str(ps)) as c:
        stamped = [p.pts is not None for p in c.demux(c.streams.video[0]) if p.size]
    assert len(stamped) == 100 and sum(stamped) < 50  # most pictures carry no timestamp of their own
    info = probe_video(ps)
    assert (info.frame_count, info.duration_s, info.variable_frame_rate) == (100, pytest.approx(4.0), False)
    got = decode_frames(ps, fps=25, spec=FrameSpec(size=None)).astype(np.int16)
    want = decode_frames(mp4, fps=25, spec=FrameSpec(size=None)).astype(np.int16)
    assert got.shape == want.shape == (100, 120, 160, 3)
    assert np.abs(got - want).mean(axis=(1, 2, 3)).max() < 2.0  # each frame the same picture (coding noise) ...
    assert np.abs(want[1:] - want[:-1]).mean(axis=(1, 2, 3)).min() > 4.0  # ... and no two pictures alike


def test_an_anamorphic_picture_is_probed_and_decoded_at_its_displayed_size(tmp_path):
    path = lavfi_video(tmp_path / "wide.mp4", "testsrc=s=120x96:r=25:d=1", "-vf", "setsar=4/3")
    info = probe_video(path)
    assert (info.width, info.height, info.codec) == (160, 96, "h264")  # 120 pixels 4/3 wide
    for backend in BACKENDS:
        assert decode_frames(path, fps=5, spec=FrameSpec(size=None), backend=backend).shape == (5, 96, 160, 3)
