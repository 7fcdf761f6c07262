import av
import numpy as np
import pytest
import soundfile as sf

from foley.errors import MediaError
from foley.media.audio import read_audio, write_audio
from foley.media.ffmpeg import run_ffmpeg
from foley.media.mux import mux_audio
from foley.media.video import probe_video

from conftest import sine, sixteen_channel_clip, video_packet_hash


def stream_durations(path) -> dict[str, list[float]]:
    out = {"video": [], "audio": []}
    with av.open(str(path)) as c:
        for s in c.streams:
            if s.type in out:
                out[s.type].append(float(s.duration * s.time_base))
    return out


@pytest.mark.parametrize("audio_s", [1.3, 2.0, 3.7])  # shorter, equal, longer than the video
def test_mux_copies_picture_and_fits_audio(av_clip, tmp_path, audio_s):
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, audio_s, 22_050), 22_050)
    out = mux_audio(av_clip, wav, tmp_path / "out.mp4")
    assert video_packet_hash(out) == video_packet_hash(av_clip)
    durations = stream_durations(out)
    video_s = probe_video(av_clip).duration_s
    assert durations["video"][0] == pytest.approx(video_s, abs=1e-3)
    assert len(durations["audio"]) == 1
    assert abs(durations["audio"][0] - video_s) <= 1024 / 16_000  # within one AAC frame
    back, _ = read_audio(out)
    spec = np.abs(np.fft.rfft(back[:16_000]))
    assert np.fft.rfftfreq(16_000, 1 / 16_000)[spec.argmax()] == pytest.approx(880, abs=2)


def test_mux_keeps_original_track(av_clip, tmp_path):
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 2.0, 16_000), 16_000)
    for original_default in (False, True):  # which track a player starts with
        out = mux_audio(av_clip, wav, tmp_path / f"two{original_default}.mp4", keep_original=True,
                        original_default=original_default)
        with av.open(str(out)) as c:
            titles = [s.metadata.get("title") or s.metadata.get("handler_name") for s in c.streams.audio]
            default = [bool(s.disposition & av.stream.Disposition.default) for s in c.streams.audio]
        assert titles == ["foley", "original"] and default == [not original_default, original_default]
    assert video_packet_hash(out) == video_packet_hash(av_clip)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_the_tracks_are_named_in_a_form_ffmpeg_reads_without_a_warning(av_clip, tmp_path, suffix):
    """Named as players show them (mp4/mov: the handler's name; Matroska: the track's title), never
    as the mov muxer's bare udta/name atom, which FFmpeg reads with "UDTA parsing failed retrying raw";
    a title the input's own track carries is not copied into one either."""
    import subprocess

    from foley.media.ffmpeg import ffmpeg_exe

    titled = tmp_path / "titled.mkv"  # a video whose audio track has a title of its own
    run_ffmpeg(["-i", str(av_clip), "-c", "copy", "-metadata:s:a:0", "title=mine", str(titled)], what="titled")
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 2.0, 16_000), 16_000)
    out = mux_audio(titled, wav, tmp_path / f"two{suffix}", keep_original=True)
    said = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    assert "Stream #0:2" in said and "UDTA" not in said
    key = "title" if suffix == ".mkv" else "handler_name"
    with av.open(str(out)) as c:
        assert [s.metadata.get(key) for s in c.streams.audio] == ["foley", "original"]


def test_an_original_track_encoded_again_keeps_its_bit_rate(tmp_path):
    """A 5.1 track of 384 kb/s that runs past the picture is cut to it and encoded again at its own
    rate, not at the Foley track's 128 kb/s."""
    video = tmp_path / "surround.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=160x120:r=25:d=2", "-f", "lavfi", "-i",
                "anoisesrc=d=2.5:c=pink:r=48000:a=0.3", "-ac", "6", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "384k", str(video)], what=str(video))
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 2.0, 16_000), 16_000)
    out = mux_audio(video, wav, tmp_path / "out.mp4", keep_original=True)
    with av.open(str(video)) as c:
        source = c.streams.audio[0].bit_rate
    with av.open(str(out)) as c:
        original = c.streams.audio[1]
        assert original.codec_context.channels == 6 and original.bit_rate > max(0.8 * source, 200_000), (
            original.bit_rate, source)
    assert stream_durations(out)["audio"][1] == pytest.approx(2.0, abs=0.05)  # cut to the picture


def test_mux_into_matroska(av_clip, tmp_path):
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 2.0, 16_000), 16_000)
    out = mux_audio(av_clip, wav, tmp_path / "out.mkv")
    assert video_packet_hash(out) == video_packet_hash(av_clip)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_the_foley_track_decodes_exactly_as_long_as_the_picture(av_clip, tmp_path, suffix):
    # 2 s at 16 kHz is 31.25 AAC frames: an AAC track that nothing cuts decodes to 2.048 s
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 3.0, 16_000), 16_000)
    out = mux_audio(av_clip, wav, tmp_path / f"out{suffix}")
    decoded = tmp_path / "decoded.wav"
    run_ffmpeg(["-i", str(out), "-map", "0:a:0", str(decoded)], what="decode")
    assert sf.info(str(decoded)).frames == round(probe_video(av_clip).duration_s * 16_000)


def test_mux_errors_leave_nothing(av_clip, cfr_video, tmp_path):
    wav = tmp_path / "foley.wav"
    write_audio(wav, sine(880, 2.0, 16_000), 16_000)
    with pytest.raises(MediaError, match="no such file"):
        mux_audio(av_clip, tmp_path / "missing.wav", tmp_path / "o.mp4")
    with pytest.raises(MediaError, match="overwrite the input"):
        mux_audio(av_clip, wav, av_clip)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foley.wav"]


def test_keep_original_of_a_video_without_audio_writes_the_foley_track_alone(cfr_video, tmp_path):
    wav = write_audio(tmp_path / "foley.wav", sine(880, 2.0, 16_000), 16_000)
    out = mux_audio(cfr_video[0], wav, tmp_path / "o.mp4", keep_original=True)
    assert stream_durations(out)["audio"] == [pytest.approx(probe_video(cfr_video[0]).duration_s, abs=0.03)]


def _heard_at(out, wav: np.ndarray, rate: int) -> float:
    """Seconds from the first displayed frame of ``out`` to where ``wav`` starts in its first track."""
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0))
        picture = float(frame.pts * frame.time_base)
    with av.open(str(out)) as c:
        frames = list(c.decode(audio=0))
    heard = np.concatenate([f.to_ndarray()[0] for f in frames])
    assert frames[0].sample_rate == rate
    n = len(wav) // 2
    lag = int(np.argmax([np.dot(heard[k:k + n], wav[:n]) for k in range(2048)]))
    return float(frames[0].pts * frames[0].time_base) + lag / rate - picture


def test_the_foley_track_starts_with_the_picture_of_an_mpeg_ts(av_clip, tmp_path):
    """An MPEG-TS whose audio starts before its picture (as a camcorder's .MTS): FFmpeg moves the
    picture of such a file to the output's zero when the picture is the only stream taken from it."""
    ts = tmp_path / "clip.ts"
    run_ffmpeg(["-i", str(av_clip), "-c", "copy", "-f", "mpegts", str(ts)], what="ts")
    info = probe_video(ts)
    assert info.start_s > 0.01  # the AAC priming of its track comes first
    wav = (0.1 * np.random.default_rng(0).standard_normal(32_000)).astype(np.float32)
    write_audio(tmp_path / "foley.wav", wav, 16_000)
    for keep in (False, True):
        out = mux_audio(ts, tmp_path / "foley.wav", tmp_path / f"out{keep}.mp4", keep_original=keep)
        assert abs(_heard_at(out, wav, 16_000)) < 0.002
        assert all(d == pytest.approx(info.duration_s, abs=0.05) for d in stream_durations(out)["audio"])


@pytest.mark.parametrize("name, codec", [("clip.avi", "mpeg4"), ("clip.mpg", "mpeg2video")])
def test_b_frames_keep_their_order_and_the_foley_track_its_place(tmp_path, name, codec):
    """An AVI (MPEG-4 Part 2 with B-frames, as a DivX or Xvid file) stores no presentation times, an
    MPEG program stream (a DVD's or camcorder's) not every picture's: copied without them the pictures
    are shown out of order (and the AVI's picture starts before the sound)."""
    source = tmp_path / name
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=160x120:r=25:d=2", "-f", "lavfi", "-i", "sine=d=2:r=16000",
                "-c:v", codec, "-bf", "2", "-c:a", "mp2", str(source)], what=name)
    info = probe_video(source)
    assert info.start_s > 0.01  # its first picture is shown after the B-frames' delay
    wav = (0.1 * np.random.default_rng(0).standard_normal(32_000)).astype(np.float32)
    write_audio(tmp_path / "foley.wav", wav, 16_000)
    out = mux_audio(source, tmp_path / "foley.wav", tmp_path / "out.mp4")
    with av.open(str(out)) as c:
        shown = [frame.pts for frame in c.decode(video=0)]
    assert shown == sorted(set(shown))
    dubbed = probe_video(out)
    assert (dubbed.frame_count, dubbed.variable_frame_rate) == (info.frame_count, False)
    assert dubbed.duration_s == pytest.approx(info.duration_s, abs=1e-3)
    assert abs(_heard_at(out, wav, 16_000)) < 0.002


def test_an_original_of_more_channels_than_aac_holds_is_refused_before_anything_is_written(tmp_path):
    video = sixteen_channel_clip(tmp_path / "clip.mov")
    wav = write_audio(tmp_path / "foley.wav", sine(880, 1.0, 16_000), 16_000)
    with pytest.raises(MediaError) as refused:
        mux_audio(video, wav, tmp_path / "out.mp4", keep_original=True)
    assert str(refused.value) == (f"{video}: its audio track has 16 channels and cannot be kept as a second track "
                                  "(it would be encoded to AAC, which holds at most 8)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mov", "foley.wav"]
    assert stream_durations(mux_audio(video, wav, tmp_path / "out.mp4"))["audio"] == [pytest.approx(1.0, abs=0.07)]


def test_a_relative_name_with_a_colon_is_a_file_not_a_protocol(av_clip, tmp_path, monkeypatch):
    """'take:1.mp4' given as it is (as `foley compose --video take:1.mp4` does) is read and muxed,
    not refused as FFmpeg's unknown protocol 'take:'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "take:1.mp4").write_bytes(av_clip.read_bytes())
    assert probe_video("take:1.mp4").duration_s == pytest.approx(probe_video(av_clip).duration_s)
    assert read_audio("take:1.mp4")[0].shape == read_audio(av_clip)[0].shape
    wav = write_audio(tmp_path / "foley.wav", sine(880, 2.0, 16_000), 16_000)
    out = tmp_path / mux_audio("take:1.mp4", wav, "take:1 dub.mp4", keep_original=True)
    assert video_packet_hash(out) == video_packet_hash(av_clip) and len(stream_durations(out)["audio"]) == 2


def test_an_output_that_cannot_be_written_fails_in_one_line_before_any_work(av_clip, tmp_path):
    from foley.errors import FoleyError

    wav = write_audio(tmp_path / "foley.wav", sine(880, 2.0, 16_000), 16_000)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FoleyError, match=r"file/o\.mp4: cannot write there \(.*file is a file, not a folder\)"):
        mux_audio(av_clip, wav, tmp_path / "file" / "o.mp4")
    with pytest.raises(FoleyError, match="cannot be written \\(a folder of that name is there\\)"):
        mux_audio(av_clip, wav, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "foley.wav"]
