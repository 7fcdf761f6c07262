import subprocess
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from foley.errors import MediaError
from foley.media.audio import (WRITE_BLOCK, integrated_loudness, normalize_loudness, read_audio, relative_gain, resample,
                               true_peak, write_audio)

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


def test_a_rate_to_read_at_that_is_no_whole_number_of_hz_is_refused(tmp_path):
    path = write_audio(tmp_path / "a.wav", sine(440, 0.5, 16_000), 16_000)
    for rate in (0, -16_000, 22_050.5, True):
        with pytest.raises(MediaError, match=rf"a.wav: the sample rate to read at must be a positive whole number of "
                                             rf"Hz, not {rate!r}"):
            read_audio(path, sample_rate=rate)
    assert read_audio(path, sample_rate=np.int64(8_000))[1] == 8_000


def test_video_without_audio(cfr_video):
    with pytest.raises(MediaError, match="has no audio stream"):
        read_audio(cfr_video[0])


def test_write_refuses_bad_audio_and_leaves_no_file(tmp_path):
    target = tmp_path / "bad.wav"
    with pytest.raises(MediaError, match="NaN"):
        write_audio(target, np.array([0.0, np.nan], np.float32), 16_000)
    with pytest.raises(MediaError, match="shape"):
        write_audio(target, np.zeros((0,), np.float32), 16_000)
    with pytest.raises(MediaError, match=r"is \(C, N\), channels first; \(1000, 2\) would be 1000 channels"):
        write_audio(target, np.zeros((1000, 2), np.float32), 16_000)  # soundfile's (N, C)
    with pytest.raises(MediaError, match="float samples in \\[-1, 1\\], not int16"):
        write_audio(target, np.zeros(100, np.int16), 16_000)
    with pytest.raises(MediaError, match=r"with C, N > 0, got shape \(0, 100\)"):
        write_audio(target, np.zeros((0, 100), np.float32), 16_000)
    for rate in (0, 44_100.5, "16000", True, 2**31):
        with pytest.raises(MediaError, match="the sample rate must be a positive whole number of Hz"):
            write_audio(target, np.zeros(100, np.float32), rate)
    for name in ("bad.mp3", "bad.xyz", "bad"):
        with pytest.raises(MediaError, match=rf"{name}: cannot write PCM_16 audio in a file of that suffix"):
            write_audio(tmp_path / name, np.zeros(100, np.float32), 16_000)
    assert list(tmp_path.iterdir()) == []
    assert write_audio(tmp_path / "ok.flac", np.zeros((2, 100), np.float32), np.int64(8_000)).is_file()


def test_write_keeps_existing_file_on_failure(tmp_path):
    target = tmp_path / "keep.wav"
    write_audio(target, sine(100, 0.1, 16_000), 16_000)
    before = target.read_bytes()
    with pytest.raises(Exception):
        write_audio(target, sine(100, 0.1, 16_000), 16_000, subtype="NOT_A_SUBTYPE")
    assert target.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def full_disk(monkeypatch, free_bytes=1000):
    """libsndfile's failure on a full disk ('System error.'), with so many bytes free."""
    import foley.media.audio as audio

    class FullDisk(sf.SoundFile):
        def write(self, data):
            raise sf.LibsndfileError(2)  # SF_ERR_SYSTEM

    monkeypatch.setattr(audio.sf, "SoundFile", FullDisk)
    monkeypatch.setattr(audio.shutil, "disk_usage", lambda folder: SimpleNamespace(free=free_bytes))


def test_a_full_disk_is_said_in_words_and_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    target = tmp_path / "keep.wav"
    write_audio(target, sine(100, 0.1, 16_000), 16_000)
    before = target.read_bytes()
    full_disk(monkeypatch)
    with pytest.raises(MediaError) as e:
        write_audio(target, np.zeros(16_000, np.float32), 16_000)  # 1 s of PCM_16: 32,000 bytes + header
    assert str(e.value) == f"{target}: cannot write the audio (not enough free space: 1 kB free, 33 kB needed)"
    assert target.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_another_write_failure_keeps_libsndfile_s_words(tmp_path, monkeypatch):
    full_disk(monkeypatch, free_bytes=10**8)
    with pytest.raises(MediaError, match=r"x\.wav: cannot write the audio \(System error\.\)$"):
        write_audio(tmp_path / "x.wav", np.zeros(16_000, np.float32), 16_000)
    assert list(tmp_path.iterdir()) == []


def test_clips_out_of_range(tmp_path):
    write_audio(tmp_path / "loud.wav", np.array([2.0, -2.0, 0.5], np.float32), 16_000)
    data, _ = sf.read(tmp_path / "loud.wav", dtype="float32")
    assert data.max() <= 1.0 and data.min() >= -1.0
    write_audio(tmp_path / "take.wav", np.array([1.5, -2.0, 0.5], np.float32), 16_000, subtype="FLOAT")
    data, _ = sf.read(tmp_path / "take.wav", dtype="float32")  # a float file keeps what it is given
    assert np.allclose(data, [1.5, -2.0, 0.5])


def test_written_files_get_the_usual_mode(tmp_path):
    import os

    path = write_audio(tmp_path / "m.wav", sine(100, 0.1, 16_000), 16_000)
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


def test_long_stereo_written_block_by_block(tmp_path):
    wav = (np.random.default_rng(0).standard_normal((2, 2 * WRITE_BLOCK + 123)) * 0.7).astype(np.float32)
    write_audio(tmp_path / "long.flac", wav, 16_000)
    back, _ = read_audio(tmp_path / "long.flac", sample_rate=None, mono=False)
    assert back.shape == wav.shape
    assert np.abs(back - np.clip(wav, -1, 1)).max() < 1 / 2**15 + 1e-6


@pytest.mark.parametrize("seconds, chunk", [(0.4, 1 << 20), (3.7, 4_000), (61.3, 1 << 20), (61.3, 48_000)])
def test_integrated_loudness_matches_pyloudnorm(seconds, chunk):
    import pyloudnorm

    rng = np.random.default_rng(int(seconds * 10))
    n = round(seconds * 16_000)
    wav = rng.standard_normal(n).astype(np.float32) * 0.05
    wav[n // 3: n // 2] *= 0.001  # a quiet stretch that the relative gate drops
    wav[: n // 8] += 0.3 * np.sin(2 * np.pi * 2_000 * np.arange(n // 8) / 16_000, dtype=np.float32)
    expected = pyloudnorm.Meter(16_000).integrated_loudness(wav.astype(np.float64))
    assert integrated_loudness(wav, 16_000, chunk=chunk) == pytest.approx(expected, abs=1e-6)
    assert integrated_loudness(np.zeros(n, np.float32), 16_000) == float("-inf")
    stereo = np.stack([wav, 0.3 * np.roll(wav, 1000)])  # (2, N): the channels' energies summed
    expected = pyloudnorm.Meter(16_000).integrated_loudness(stereo.T.astype(np.float64))
    assert integrated_loudness(stereo, 16_000, chunk=chunk) == pytest.approx(expected, abs=1e-6)


def test_relative_gain_puts_one_signal_db_from_another():
    sr = 16_000
    rng = np.random.default_rng(0)
    noise = (0.3 * rng.standard_normal(2 * sr)).astype(np.float32)
    tone = (0.05 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)).astype(np.float32)
    for db in (-12.0, 0.0, 6.0):
        gain = relative_gain(noise, tone, sr, db)
        assert integrated_loudness(gain * noise, sr) - integrated_loudness(tone, sr) == pytest.approx(db, abs=0.05)
    silence = np.zeros(2 * sr, np.float32)  # nothing to measure: the gain alone
    assert relative_gain(noise, silence, sr, -12) == pytest.approx(10 ** (-12 / 20))
    assert relative_gain(noise[: sr // 4], tone, sr, -6) == pytest.approx(10 ** (-6 / 20))


def test_normalize_loudness_reaches_the_target_and_the_peak_ceiling():
    quiet = (np.random.default_rng(1).standard_normal(32_000) * 0.01).astype(np.float32)
    out = normalize_loudness(quiet, 16_000, target_lufs=-20.0)
    assert integrated_loudness(out, 16_000) == pytest.approx(-20.0, abs=1e-3) and out.dtype == np.float32
    assert np.array_equal(quiet, (np.random.default_rng(1).standard_normal(32_000) * 0.01).astype(np.float32))
    spiky = quiet.copy()
    spiky[100] = 0.99
    assert np.abs(normalize_loudness(spiky, 16_000, target_lufs=-10.0)).max() == pytest.approx(10 ** (-1 / 20), rel=1e-6)


def test_the_ceiling_holds_the_peaks_between_samples():
    """A tone at a quarter of the rate, sampled 45 degrees off its crests: samples at 0.707 of a
    waveform whose crests reach 1 (+3 dB), as a converter or an AAC decoder rebuilds it (faded in
    and out: a sudden start overshoots)."""
    n = np.arange(16_000)
    tone = (np.hanning(len(n)) * np.sin(np.pi * n / 2 + np.pi / 4)).astype(np.float32)
    assert np.abs(tone).max() == pytest.approx(0.7071, abs=1e-3) and true_peak(tone) == pytest.approx(1.0, abs=0.01)
    out = normalize_loudness(tone, 16_000, target_lufs=0.0)
    assert true_peak(out) == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    assert np.abs(out).max() == pytest.approx(0.7071 * 10 ** (-1 / 20), rel=0.01)  # 3 dB under the ceiling
    assert true_peak(np.zeros(0, np.float32)) == 0.0 and true_peak(np.zeros((2, 10), np.float32)) == 0.0


def test_the_true_peak_taken_chunk_by_chunk_is_that_of_the_whole_signal():
    """Oversampled in chunks with margins (a 10 min dub at once took ~600 MB): the same peak,
    also where it falls between two chunks' samples."""
    from foley.media.audio import TRUE_PEAK_OVERSAMPLING, resample

    rng = np.random.default_rng(0)
    wav = (0.1 * rng.standard_normal((2, 5_000))).astype(np.float32)
    n = np.arange(40)
    wav[1, 980:1020] = 0.9 * np.hanning(40) * np.sin(np.pi * n / 2 + np.pi / 4)  # crests between samples at 1,000
    whole = float(np.abs(resample(wav, 1, TRUE_PEAK_OVERSAMPLING)).max())
    assert whole > np.abs(wav).max() + 0.01  # a peak between samples
    for chunk in (1_000, 999, 1 << 18):
        assert true_peak(wav, chunk=chunk) == pytest.approx(whole, rel=1e-5)


def test_a_sound_shorter_than_a_loudness_block_is_leveled_over_one():
    knock = (np.random.default_rng(3).standard_normal(4_800) * 0.01).astype(np.float32)  # 0.3 s
    out = normalize_loudness(knock, 16_000, target_lufs=-20.0)
    assert integrated_loudness(np.pad(out, (0, 1_600)), 16_000) == pytest.approx(-20.0, abs=1e-3)


def test_normalization_never_lifts_near_silence_into_a_noise_bed():
    hiss = (np.random.default_rng(2).standard_normal(64_000) * 0.0007).astype(np.float32)  # about -63 dBFS
    before = integrated_loudness(hiss, 16_000)
    after = integrated_loudness(normalize_loudness(hiss, 16_000, target_lufs=-20.0), 16_000)
    assert after - before == pytest.approx(20.0, abs=1e-3) and after < -35  # capped gain, not -20 LUFS


def test_a_7_1_track_is_read_and_downmixed_to_stereo(tmp_path):
    """PyAV's planar frames of 8 channels crash numpy's reading of them: the samples come interleaved."""
    from foley.media.ffmpeg import run_ffmpeg

    path = tmp_path / "seven.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-af",
                "pan=7.1|FL=c0|FR=c0|FC=c0|LFE=0*c0|BL=0.5*c0|BR=0.5*c0|SL=0*c0|SR=0*c0", "-c:a", "aac", str(path)],
               what=str(path))
    wav, rate = read_audio(path, sample_rate=None, mono=False)
    assert rate == 48_000 and wav.shape == (8, 48_000)  # as long as the stream: its last AAC frame's padding cut
    peaks = np.abs(wav).max(axis=1)
    assert peaks[3] < 0.01 and min(peaks[[0, 1, 2]]) > 0.1  # the silent LFE, the sounding front channels
    stereo, _ = read_audio(path, sample_rate=None, mono=False, stereo=True)
    assert stereo.shape == (2, wav.shape[1]) and np.abs(stereo).max() > 0.1


@pytest.mark.parametrize("frames", [1000, 64, 7])
def test_a_spectrogram_of_many_frames_is_pooled_to_the_loudest_of_each_column(frames):
    """A picture's spectrogram of a long track (foley ui's dub picture) takes the memory of a short one's:
    at most max_frames columns, each the loudest of the frames it stands for, its dB as the full one's."""
    import librosa

    from foley.media.audio import spectrogram_db

    wav = np.random.default_rng(0).standard_normal(256 * 999 + 100).astype(np.float32) * np.linspace(0, 1, 256 * 999 + 100)
    full = np.abs(librosa.stft(wav, n_fft=1024, hop_length=256))  # (513, 1000)
    pooled = spectrogram_db(wav, max_frames=frames)
    group = -(-full.shape[1] // frames)
    expected = np.stack([full[:, i:i + group].max(axis=1) for i in range(0, full.shape[1], group)], axis=1)
    assert pooled.shape == expected.shape and pooled.shape[1] <= frames
    assert np.allclose(pooled, librosa.amplitude_to_db(expected, ref=float(full.max()), amin=1e-9), atol=1e-3)
    assert np.array_equal(spectrogram_db(wav, max_frames=1000), spectrogram_db(wav))  # short enough: as it was


WAV_KINDS = {  # name: (soundfile format, subtype, endian, channels)
    "pcm16": ("WAV", "PCM_16", "FILE", 1), "pcm24": ("WAV", "PCM_24", "FILE", 1), "float": ("WAV", "FLOAT", "FILE", 1),
    "u8": ("WAV", "PCM_U8", "FILE", 1), "stereo": ("WAV", "PCM_16", "FILE", 2), "six": ("WAV", "PCM_16", "FILE", 6),
    "extensible": ("WAVEX", "PCM_24", "FILE", 2), "rf64": ("RF64", "PCM_16", "FILE", 1), "rifx": ("WAV", "PCM_16", "BIG", 1),
}


def write_wav_kind(path, kind, seconds=1.0, rate=16_000):
    fmt, subtype, endian, channels = WAV_KINDS[kind]
    wav = sine(440, seconds, rate, channels)
    sf.write(str(path), np.atleast_2d(wav).T, rate, format=fmt, subtype=subtype, endian=endian)
    return wav


@pytest.mark.parametrize("kind", WAV_KINDS)
def test_a_wav_cut_short_is_refused_naming_both_lengths(tmp_path, kind):
    """libsndfile reads a truncated WAV as far as it goes without a word: a short clip would be scored or
    trained on. Its header's data size is held against the file's length; whole files read as before."""
    whole = tmp_path / f"{kind}.wav"
    wav = write_wav_kind(whole, kind)
    back, _ = read_audio(whole, sample_rate=None, mono=False)
    assert back.shape == np.atleast_2d(wav).shape and np.abs(back - wav).max() < 1e-2
    cut = tmp_path / f"{kind}_cut.wav"
    cut.write_bytes(whole.read_bytes()[:1000])
    with pytest.raises(MediaError) as error:
        read_audio(cut)
    assert "\n" not in str(error.value) and str(error.value).startswith(f"{cut}: the WAV file is cut short")
    assert "(1.00 s) of audio, the file holds" in str(error.value)


def test_a_wav_cut_short_says_its_lengths_in_bytes_and_seconds(tmp_path):
    write_audio(tmp_path / "a.wav", sine(440, 4.0, 16_000), 16_000)
    (tmp_path / "cut.wav").write_bytes((tmp_path / "a.wav").read_bytes()[:1000])
    with pytest.raises(MediaError, match=r"cut\.wav: the WAV file is cut short: its header gives 128,000 bytes "
                                         r"\(4\.00 s\) of audio, the file holds 956 bytes \(0\.03 s\)$"):
        read_audio(tmp_path / "cut.wav")


@pytest.mark.parametrize("size", [0, 0xFFFFFFFF, 0x7FFFF000, 0x7FFFFFFF])
@pytest.mark.parametrize("kind", ["pcm16", "pcm24", "float", "stereo"])
def test_a_wav_whose_header_gives_no_length_is_read_to_the_end(tmp_path, kind, size):
    """A writer to a pipe cannot go back to fill in the data size: FFmpeg leaves 0xFFFFFFFF, SoX 0x7FFFF000,
    arecord 0x7FFFFFFF, others 0 (of which libsndfile reads nothing). The audio is read to the file's end."""
    path = tmp_path / "a.wav"
    wav = write_wav_kind(path, kind)
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    data[at:at + 4] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    back, rate = read_audio(path, sample_rate=None, mono=False)
    assert rate == 16_000 and back.shape == np.atleast_2d(wav).shape and np.abs(back - wav).max() < 1e-2


def test_an_rf64_written_to_a_pipe_is_read_to_the_end(tmp_path):
    """FFmpeg writing RF64 to a pipe leaves the ds64 chunk's sizes 0 and the data size 0xFFFFFFFF."""
    from foley.media.ffmpeg import ffmpeg_exe

    path = tmp_path / "piped.wav"
    with path.open("wb") as out:
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=16000:duration=1", "-rf64", "always", "-f", "wav", "pipe:"],
                       stdout=out, check=True)
    assert path.read_bytes()[:4] == b"RF64"
    wav, rate = read_audio(path, sample_rate=None)
    assert rate == 16_000 and wav.shape == (16_000,)
    (tmp_path / "cut.wav").write_bytes(path.read_bytes()[:1000])  # cut: as far as it goes, nothing says more
    audio_at = path.read_bytes().index(b"data") + 8
    assert read_audio(tmp_path / "cut.wav", sample_rate=None)[0].shape == ((1000 - audio_at) // 2,)


PICTURE = ["-f", "lavfi", "-i", "testsrc=duration=2:size=64x48:rate=25"]
CUT_KINDS = {  # suffix: FFmpeg's arguments after the input, and the start of the message for the file cut short
    ".aiff": ([], "the AIFF file is cut short: its header gives 64,000 bytes (2.00 s) of audio, the file holds"),
    ".au": ([], "the AU file is cut short: its header gives 64,000 bytes (2.00 s) of audio, the file holds"),
    ".ogg": (["-c:a", "libvorbis"], "the Ogg file is cut short: it ends part way through a page"),
    ".opus": ([], "the Ogg file is cut short: it ends part way through a page"),
    ".mp3": ([], "the MP3 file is cut short: its header gives 2.00 s of audio, the file holds"),
    ".mov": (PICTURE + ["-c:v", "mpeg4", "-c:a", "pcm_s16le", "-movflags", "+faststart"],
             "the file is cut short: its header gives 2.00 s of audio, the file holds"),
    ".mka": (["-c:a", "flac"], "the file is cut short: its header gives 2.00 s of audio, the file holds"),
    ".caf": ([], "the CAF file is cut short: its header gives 64,000 bytes (2.00 s) of audio, the file holds"),
    ".w64": ([], "the W64 file is cut short: its header gives 64,000 bytes (2.00 s) of audio, the file holds"),
    ".avi": (PICTURE + ["-c:v", "mpeg4", "-c:a", "pcm_s16le"], "the AVI file is cut short: its header gives"),
    ".mkv": (PICTURE + ["-c:v", "mpeg4", "-c:a", "flac"], "the Matroska file is cut short: its header gives"),
    ".webm": (PICTURE + ["-c:v", "libvpx", "-c:a", "libvorbis"], "the WebM file is cut short: its header gives"),
}


@pytest.mark.parametrize("suffix", CUT_KINDS)
def test_audio_cut_short_is_refused_where_its_header_gives_its_length(tmp_path, suffix):
    """libsndfile and FFmpeg read an AIFF, AU, CAF, W64, Ogg or MP3 file cut short as far as it goes (an
    Ogg Vorbis one as empty) without a word, and FFmpeg an MP4 or MOV (its index first), AVI or Matroska
    file: a short clip would be scored or trained on. The length the header gives is held against the
    file's (an Ogg file ends with a whole page); whole files read as before."""
    from foley.media.ffmpeg import run_ffmpeg

    args, said = CUT_KINDS[suffix]
    write_audio(tmp_path / "a.wav", sine(440, 2.0, 16_000), 16_000)
    whole = tmp_path / f"whole{suffix}"
    run_ffmpeg(["-i", str(tmp_path / "a.wav"), *args, str(whole)], what=suffix)
    assert abs(read_audio(whole, sample_rate=None)[0].shape[0] - 32_000) < 1_000
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[:whole.stat().st_size * 6 // 10])
    with pytest.raises(MediaError) as error:
        read_audio(cut)
    assert "\n" not in str(error.value) and str(error.value).startswith(f"{cut}: {said}")


def test_an_ogg_cut_between_pages_is_refused(tmp_path):
    """An Ogg file cut where a page ends holds whole pages, but not the last one, which a writer marks
    as ending its stream: FFmpeg read an Opus one cut so as far as it goes without a word."""
    from foley.media.ffmpeg import run_ffmpeg

    write_audio(tmp_path / "a.wav", sine(440, 2.0, 16_000), 16_000)
    run_ffmpeg(["-i", str(tmp_path / "a.wav"), str(tmp_path / "a.opus")], what="opus")
    data = (tmp_path / "a.opus").read_bytes()
    assert len(read_audio(tmp_path / "a.opus", sample_rate=None)[0]) == 32_000
    (tmp_path / "cut.opus").write_bytes(data[:data.rindex(b"OggS")])  # the pages before the last
    with pytest.raises(MediaError, match=r"cut\.opus: the Ogg file is cut short: its last page does not end its "
                                         r"stream$"):
        read_audio(tmp_path / "cut.opus")


@pytest.mark.parametrize("suffix, args", [(".caf", []), (".w64", []),
                                          (".avi", PICTURE + ["-c:v", "mpeg4", "-c:a", "pcm_s16le"]),
                                          (".mkv", PICTURE + ["-c:v", "mpeg4", "-c:a", "flac"])])
def test_a_file_written_to_a_pipe_is_read_to_its_end(tmp_path, suffix, args):
    """A writer to a pipe cannot go back to fill in the sizes: FFmpeg leaves a CAF's data size -1, a W64's
    2**63 - 1, an AVI's RIFF size 0xFFFFFFFF (and a frame count that FFmpeg's duration is guessed from) and a
    Matroska segment's size unknown. The file is read to its end, and the picture of one probed."""
    from foley.media.ffmpeg import ffmpeg_exe
    from foley.media.video import probe_video

    write_audio(tmp_path / "a.wav", sine(440, 2.0, 16_000), 16_000)
    path = tmp_path / f"piped{suffix}"
    with path.open("wb") as out:
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(tmp_path / "a.wav"), *args,
                        "-f", {".mkv": "matroska"}.get(suffix, suffix[1:]), "pipe:"], stdout=out, check=True)
    wav, rate = read_audio(path, sample_rate=None)
    assert rate == 16_000 and abs(len(wav) - 32_000) < 320
    if args:
        assert probe_video(path).duration_s == pytest.approx(2.0, abs=0.05)


def test_a_flac_cut_between_frames_is_refused(tmp_path):
    """libsndfile fails on a FLAC cut at the start of a frame, and FFmpeg then read it as far as it goes."""
    write_audio(tmp_path / "a.flac", sine(440, 2.0, 16_000), 16_000)
    data = (tmp_path / "a.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[:data.index(b"\xff\xf8", len(data) // 2)])  # a frame's sync code
    with pytest.raises(MediaError, match=r"cut\.flac: the file is cut short: its header gives 2\.00 s of audio, "
                                         r"the file holds 1\.02 s$"):
        read_audio(tmp_path / "cut.flac")


@pytest.mark.parametrize("quality", [["-q:a", "2"], ["-b:a", "64k"]])
def test_an_mp3_without_a_xing_header_is_read_to_its_end(tmp_path, quality):
    """Without a Xing or Info header libsndfile guesses an MP3's length from its first frame and reads
    no further (0.8 s of a 4 s VBR file); FFmpeg's duration is a guess from the bit rate too."""
    from foley.media.ffmpeg import run_ffmpeg

    write_audio(tmp_path / "a.wav", sine(440, 4.0, 44_100) * np.linspace(0, 1, 4 * 44_100), 44_100)
    run_ffmpeg(["-i", str(tmp_path / "a.wav"), "-c:a", "libmp3lame", *quality, "-write_xing", "0",
                str(tmp_path / "a.mp3")], what="mp3")
    assert b"Xing" not in (tmp_path / "a.mp3").read_bytes()[:1000]
    wav, _ = read_audio(tmp_path / "a.mp3", sample_rate=None)
    assert 4 * 44_100 <= len(wav) < 4 * 44_100 + 2 * 1152  # the encoder's delay and padding are not known


def test_a_flac_written_to_a_pipe_is_read(tmp_path):
    """A FLAC written to a pipe gives no length (0 samples in its header): libsndfile's frame count of
    2**63 - 1 made numpy fail with a traceback."""
    from foley.media.ffmpeg import ffmpeg_exe

    path = tmp_path / "piped.flac"
    with path.open("wb") as out:
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=16000:duration=1", "-f", "flac", "pipe:"],
                       stdout=out, check=True)
    wav, rate = read_audio(path, sample_rate=None)
    assert rate == 16_000 and wav.shape == (16_000,)


def test_a_gsm_wav_is_read(tmp_path):
    """libsndfile cannot seek in GSM 6.10 audio: it is read by its frame count."""
    sf.write(str(tmp_path / "gsm.wav"), sine(440, 1.0, 8_000), 8_000, subtype="GSM610")
    wav, rate = read_audio(tmp_path / "gsm.wav", sample_rate=None)
    assert rate == 8_000 and 8_000 <= len(wav) <= 8_000 + 320 and dominant_hz(wav, 8_000) == pytest.approx(440, abs=2)


def test_a_gap_between_an_audio_stream_s_frames_is_read_as_silence_at_its_time(tmp_path):
    """A stream cut and joined (frames of 0-1 s, then of 2-3 s): each frame read at its time, as FFmpeg plays it."""
    import av

    path, rate = tmp_path / "gap.m4a", 16_000
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        for start in (0, 2 * rate):
            for at in range(0, rate, 1024):
                frame = av.AudioFrame.from_ndarray(np.full((1, 1024), 8000, np.int16), format="s16", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = rate, start + at, Fraction(1, rate)
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    wav, sr = read_audio(path, sample_rate=None)
    assert sr == rate and abs(len(wav) - 3 * rate) < 2048  # not 2 s joined end to end
    assert np.abs(wav[int(1.2 * rate):int(1.8 * rate)]).max() < 1e-3  # the gap is silent
    assert np.abs(wav[int(2.2 * rate):int(2.8 * rate)]).mean() > 0.1  # the second part at its time
