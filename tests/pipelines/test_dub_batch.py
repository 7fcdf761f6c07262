import shutil

import av
import numpy as np
import pytest

from foley.media.audio import read_audio
from foley.media.video import probe_video
from foley.pipelines.dub_batch import OutputOptions, collect_inputs, dub_batch, output_paths

from conftest import sine, video_packet_hash


def tone(video):
    """Stands in for the model: a 660 Hz tone 1.5 s long at 16 kHz."""
    return sine(660, 1.5, 16_000), 16_000


@pytest.fixture
def videos(av_clip, cfr_video, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(av_clip, folder / "with audio.mp4")
    shutil.copy(cfr_video[0], folder / "silent.mp4")
    (folder / "notes.txt").write_text("x")
    return folder


def test_collect_inputs(videos, tmp_path):
    found, problems = collect_inputs([str(videos), str(videos / "silent.mp4"), str(tmp_path / "nope.mp4"),
                                      str(videos / "*.mkv")])
    assert [p.name for p in found] == ["silent.mp4", "with audio.mp4"]  # de-duplicated, sorted
    assert [r for _, r in problems] == [f"{tmp_path / 'nope.mp4'}: no such file", f"{videos / '*.mkv'}: the pattern matches no file"]


def test_batch_writes_skips_and_reports(videos, tmp_path):
    out = tmp_path / "out"
    found, _ = collect_inputs([str(videos)])
    broken = videos / "broken.mp4"
    broken.write_text("not a video")
    summary = dub_batch(found + [broken], out, tone)
    assert len(summary.done) == 2 and summary.failed == [(str(broken), f"{broken}: not a readable media file (Invalid data found when processing input)")]
    for video in found:
        wav_path, mp4_path = output_paths(video, out)
        info = probe_video(video)
        wav, _ = read_audio(wav_path, sample_rate=None)
        assert len(wav) == round(info.duration_s * 16_000)  # exactly as long as the video
        assert video_packet_hash(mp4_path) == video_packet_hash(video)
    again = dub_batch(found, out, tone)
    assert len(again.skipped) == 2 and not again.done
    redo = dub_batch(found[:1], out, tone, OutputOptions(overwrite=True))
    assert len(redo.done) == 1


def test_keep_and_mix_original(videos, tmp_path):
    clip = videos / "with audio.mp4"
    out = tmp_path / "o"
    dub_batch([clip], out, tone, OutputOptions(keep_original=True, mix_original_db=-6))
    with av.open(str(out / "with audio.mp4")) as c:
        assert len(c.streams.audio) == 2
    wav, _ = read_audio(out / "with audio.wav")
    spec = np.abs(np.fft.rfft(wav[:16_000]))
    freqs = np.fft.rfftfreq(16_000, 1 / 16_000)
    assert spec[np.argmin(np.abs(freqs - 440))] > 0.05 * spec.max()  # the original (0.125 peak, -6 dB) under a 0.5 tone
    silent = dub_batch([videos / "silent.mp4"], out, tone, OutputOptions(keep_original=True))
    assert "has no audio track to keep or mix" in silent.failed[0][1]


def test_same_stem_from_two_folders_is_refused(videos, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(videos / "silent.mp4", other / "silent.mp4")
    summary = dub_batch([videos / "silent.mp4", other / "silent.mp4"], tmp_path / "o", tone)
    assert len(summary.done) == 1 and "the outputs would collide" in summary.failed[0][1]
