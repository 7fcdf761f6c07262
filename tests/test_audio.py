import numpy as np
import pytest
import soundfile as sf

from foley.audio import read_audio, resample, write_audio
from foley.errors import MediaError

from conftest import sine


def dominant_hz(wav, rate):
    spec = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    return np.fft.rfftfreq(len(wav), 1 / rate)[spec.argmax()]


def test_write_read_round_trip(tmp_path):
    wav = sine(440, 1.0, 16_000)
    write_audio(tmp_path / "a.wav", wav, 16_000)
    back, rate = read_audio(tmp_path / "a.wav")
    assert rate == 16_000 and back.shape == wav.shape and back.dtype == np.float32
    assert np.abs(back - wav).max() < 1 / 2**15 + 1e-6  # PCM_16 quantization


def test_stereo_any_rate_to_16k_mono(tmp_path):
    stereo = sine(1000, 2.0, 44_100, channels=2)
    stereo[1] *= 0.5
    write_audio(tmp_path / "s.flac", stereo, 44_100)
    mono, rate = read_audio(tmp_path / "s.flac", sample_rate=16_000)
    assert rate == 16_000 and mono.shape == (32_000,)
    assert dominant_hz(mono, 16_000) == pytest.approx(1000, abs=1)
    assert np.abs(mono[1000:-1000]).max() == pytest.approx(0.375, abs=0.01)  # mean of 0.5 and 0.25
    both, _ = read_audio(tmp_path / "s.flac", sample_rate=None, mono=False)
    assert both.shape == (2, 88_200)


def test_resample_length_and_pitch():
    wav = sine(300, 1.0, 22_050)
    out = resample(wav, 22_050, 16_000)
    assert out.shape == (16_000,) and dominant_hz(out, 16_000) == pytest.approx(300, abs=1)


def test_reads_audio_track_of_a_video(av_clip):
    wav, rate = read_audio(av_clip)
    assert rate == 16_000 and abs(len(wav) - 32_000) < 2048  # AAC frames
    assert dominant_hz(wav, 16_000) == pytest.approx(440, abs=2)


def test_video_without_audio(cfr_video):
    with pytest.raises(MediaError, match="has no audio stream"):
        read_audio(cfr_video[0])


def test_write_refuses_bad_audio_and_leaves_no_file(tmp_path):
    target = tmp_path / "bad.wav"
    with pytest.raises(MediaError, match="NaN"):
        write_audio(target, np.array([0.0, np.nan], np.float32), 16_000)
    with pytest.raises(MediaError, match="shape"):
        write_audio(target, np.zeros((0,), np.float32), 16_000)
    assert list(tmp_path.iterdir()) == []


def test_write_keeps_existing_file_on_failure(tmp_path):
    target = tmp_path / "keep.wav"
    write_audio(target, sine(100, 0.1, 16_000), 16_000)
    before = target.read_bytes()
    with pytest.raises(Exception):
        write_audio(target, sine(100, 0.1, 16_000), 16_000, subtype="NOT_A_SUBTYPE")
    assert target.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_clips_out_of_range(tmp_path):
    write_audio(tmp_path / "loud.wav", np.array([2.0, -2.0, 0.5], np.float32), 16_000)
    data, _ = sf.read(tmp_path / "loud.wav", dtype="float32")
    assert data.max() <= 1.0 and data.min() >= -1.0


def test_written_files_get_the_usual_mode(tmp_path):
    import os

    path = write_audio(tmp_path / "m.wav", sine(100, 0.1, 16_000), 16_000)
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)
