import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
import soundfile as sf

from foley.errors import FoleyError, MediaError
from foley.media.audio import read_audio, write_audio
from foley.media.ffmpeg import run_ffmpeg
from foley.media.files import size_said
from foley.media.mux import align_to_picture
from foley.media.video import first_frame_digest, probe_video
from foley.pipelines.dub_batch import (
    BatchSummary,
    OutputOptions,
    collect_inputs,
    dub_batch,
    merge_summaries,
    name_known_sounds_once,
    needs_model,
    output_paths,
    process_share,
    recorded_settings,
    settings_changes,
    without_own_outputs,
)

from conftest import lavfi_video, sine, sixteen_channel_clip, video_packet_hash
from pipeline_models import write_tiny_model


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
    shutil.copy(videos / "silent.mp4", videos / ".silent.x1y2.part.mp4")  # hidden: a run's temporary file, say
    found, problems = collect_inputs([str(videos), str(videos / "silent.mp4"), str(tmp_path / "nope.mp4"),
                                      str(videos / "*.mkv")])
    assert [p.name for p in found] == ["silent.mp4", "with audio.mp4"]  # de-duplicated, sorted
    assert [r for _, r in problems] == [f"{tmp_path / 'nope.mp4'}: no such file",
                                        f"{videos / '*.mkv'}: the pattern matches no file"]
    deep = tmp_path / "tree" / "a" / "b"
    deep.mkdir(parents=True)
    shutil.copy(videos / "silent.mp4", deep / "deep.mp4")
    found, problems = collect_inputs([str(tmp_path / "tree"), str(tmp_path / "tree" / "**" / "*.mp4")])
    assert found == [deep / "deep.mp4"]  # a folder's own videos only; '**' reaches subfolders
    assert problems[0][1].endswith(".mpeg, .flv; subfolders are not searched)")
    (deep / "deep.json").write_text("{}")  # a sidecar of the clip's name, and a dub's wav: a pattern's videos only
    (deep / "deep.wav").write_bytes(b"")
    found, problems = collect_inputs([str(deep / "*"), str(deep / "*.json")])
    assert found == [deep / "deep.mp4"] and [r for _, r in problems] == [
        f"{deep / '*.json'}: the pattern matches no video file (.mp4, .mov, .mkv, .webm, .avi, .m4v, .3gp, .ts, .mts, "
        ".m2ts, .mpg, .mpeg, .flv; a file named itself is dubbed whatever its suffix)"]
    # a link is its own video, under its own name; a file reached twice is one
    for name in ("take1.mp4", "take2.mp4"):
        (tmp_path / name).symlink_to(videos / "silent.mp4")
    found, _ = collect_inputs([str(tmp_path / "take1.mp4"), str(tmp_path / "take2.mp4"), str(tmp_path / "take1.mp4"),
                               str(videos / "silent.mp4"), str(tmp_path / "tree" / ".." / "take2.mp4")])
    assert found == [tmp_path / "take1.mp4", tmp_path / "take2.mp4", videos / "silent.mp4"]
    assert collect_inputs(["", " "]) == ([], [(t, "an empty input name (give a video, a folder such as ., or a pattern)")
                                              for t in ("", " ")])  # never the current folder
    (videos / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")  # in a folder, what is no video is said, not passed over
    os.mkfifo(videos / "pipe.mp4")
    (videos / "clips.mp4").mkdir()
    found, problems = collect_inputs([str(videos)])
    assert [p.name for p in found] == ["silent.mp4", "with audio.mp4"]
    assert [r for _, r in problems] == [f"{videos / 'gone.mp4'}: a link to nothing (in a folder given)",
                                        f"{videos / 'pipe.mp4'}: not a file (in a folder given)"]


def test_batch_writes_skips_and_reports(videos, tmp_path):
    out = tmp_path / "out"
    found, _ = collect_inputs([str(videos)])
    broken = videos / "broken.mp4"
    broken.write_text("not a video")
    summary = dub_batch(found + [broken], out, tone)
    assert len(summary.done) == 2 and summary.failed == [
        (str(broken), f"{broken}: not a readable media file (Invalid data found when processing input)")]
    for video in found:
        wav_path, mp4_path = output_paths(video, out)
        info = probe_video(video)
        wav, _ = read_audio(wav_path, sample_rate=None)
        assert len(wav) == round(info.duration_s * 16_000)  # exactly as long as the video
        assert video_packet_hash(mp4_path) == video_packet_hash(video)
    heard = []
    again = dub_batch(found, out, tone, on_skipped=lambda *skip: heard.append(skip))
    assert len(again.skipped) == 2 and not again.done and heard == [(found[0], 0, 2), (found[1], 1, 2)]
    redo = dub_batch(found[:1], out, tone, OutputOptions(overwrite=True))
    assert len(redo.done) == 1


def test_a_pattern_that_reaches_the_output_folder_finds_the_same_batch_again(videos, tmp_path):
    for out in (videos / "dub", videos / "000"):  # sorted after the inputs, or before them
        dub_batch(collect_inputs([str(videos / "*.mp4")])[0], out, tone)
        found, _ = collect_inputs([str(videos / "**" / "*.mp4")])
        assert len(found) == 4  # the two inputs and their dubs
        kept, own = without_own_outputs(found, out)
        assert sorted(v.name for v in kept) == ["silent.mp4", "with audio.mp4"] and all(v.parent == out for v in own)
        again = dub_batch(kept, out, tone)
        assert len(again.skipped) == 2 and not again.failed
        shutil.rmtree(out)


def test_two_videos_of_one_name_in_the_output_folder_are_not_each_others_dubs(cfr_video, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    for name in ("clip.mov", "clip.mp4"):  # one clip in two formats, say
        shutil.copy(cfr_video[0], folder / name)
    found, _ = collect_inputs([str(folder)])
    assert without_own_outputs(found, folder) == (found, [])
    proc = subprocess.run([sys.executable, "-m", "foley", "dub", str(folder), "-o", str(folder)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "would overwrite this input video" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["clip.mov", "clip.mp4"]
    # a .webm is dubbed into its own folder, and its dub there is still left out on a rerun
    (folder / "clip.mov").rename(folder / "clip.webm")
    webm, dub = folder / "clip.webm", folder / "clip.mp4"
    assert without_own_outputs([webm, dub], folder) == ([webm], [dub])


def test_an_h264_mov_is_dubbed_into_its_own_folder_as_an_mp4_and_skipped_on_a_rerun(cfr_video, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    run_ffmpeg(["-i", str(cfr_video[0]), "-c", "copy", str(folder / "clip.mov")], what="mov")  # H.264 in a .mov
    first = dub_batch([folder / "clip.mov"], folder, tone)
    assert first.done == [str(folder / "clip.mov")] and not first.failed
    assert sorted(p.name for p in folder.iterdir()) == ["clip.mov", "clip.mp4", "clip.wav"]
    assert video_packet_hash(folder / "clip.mp4") == video_packet_hash(folder / "clip.mov")
    found, _ = collect_inputs([str(folder)])  # the folder again: its dub is left out, the input skipped
    kept, own = without_own_outputs(found, folder)
    assert kept == [folder / "clip.mov"] and own == [folder / "clip.mp4"]
    again = dub_batch(kept, folder, tone)
    assert again.skipped == [str(folder / "clip.mov")] and not again.done and not again.failed
    # a raw-video .avi is written as .mkv, and dubbed there too; a wav of an input's name is refused
    run_ffmpeg(["-i", str(cfr_video[0]), "-frames:v", "20", "-c:v", "rawvideo", "-pix_fmt", "yuv420p",
                str(folder / "raw.avi")], what="raw")
    assert dub_batch([folder / "raw.avi"], folder, tone).done == [str(folder / "raw.avi")]
    shutil.copy(cfr_video[0], folder / "take.wav")
    with pytest.raises(FoleyError, match="take.wav: the wav of take.wav's dub would overwrite this input"):
        dub_batch([folder / "take.wav"], folder, tone)


def test_a_dub_records_its_settings_and_a_rerun_with_others_says_so(videos, tmp_path):
    out, video = tmp_path / "out", videos / "silent.mp4"
    made = {"model": "demo", "caption": "", "guidance": 3.0, "seed": 0, "mix-original": None}
    dub_batch([video], out, tone, OutputOptions(settings=made))
    wav_path = output_paths(video, out)[0]
    assert recorded_settings(wav_path) == made
    again = dub_batch([video], out, tone, OutputOptions(settings=made))  # the same settings: skipped, no note
    assert again.skipped == [str(video)] and not again.notes
    other = dub_batch([video], out, tone, OutputOptions(settings={**made, "seed": 1, "guidance": 5.0, "caption": "rain",
                                                                  "mix-original": -12.0}))
    assert other.skipped == [str(video)] and not other.done  # never replaced unasked
    assert other.notes == [(str(video), "dubbed earlier with other settings (caption '', now 'rain'; guidance 3, now 5; "
                                        "seed 0, now 1; mix-original none given, now -12); --overwrite dubs it again")]
    redo = dub_batch([video], out, tone, OutputOptions(overwrite=True, settings={**made, "seed": 1}))
    assert redo.done == [str(video)] and recorded_settings(wav_path)["seed"] == 1


def test_a_rerun_counts_the_skipped_dubs_whose_foley_track_is_silent(videos, tmp_path):
    made = {"model": "demo", "seed": 0}
    nothing = lambda video: (np.zeros(16_000, np.float32), 16_000)  # noqa: E731
    dub_batch([videos / "silent.mp4"], tmp_path / "out", nothing, OutputOptions(settings=made))
    dub_batch([videos / "with audio.mp4"], tmp_path / "out", tone, OutputOptions(settings=made))
    again = dub_batch([videos / "silent.mp4", videos / "with audio.mp4"], tmp_path / "out", tone,
                      OutputOptions(settings=made))
    assert again.silent_skipped == [str(videos / "silent.mp4")] and len(again.skipped) == 2
    assert again.lines() == ["done 0, skipped 2 (already dubbed, 1 with a silent Foley track; --overwrite dubs them "
                             "again), failed 0"]


def test_a_folder_plainly_too_full_is_refused_before_the_sound_is_generated(videos, tmp_path, monkeypatch):
    video, out = videos / "with audio.mp4", tmp_path / "out"
    info = probe_video(video)
    with av.open(str(video)) as c:
        assert info.picture_bytes == sum(p.size for p in c.demux(c.streams.video[0]))
    needed = info.picture_bytes + round(info.duration_s * 16_000) * 2  # the picture copied, a mono 16-bit wav
    disk_usage = shutil.disk_usage
    for free in (needed - 1, needed):
        monkeypatch.setattr(shutil, "disk_usage", lambda folder: disk_usage(folder)._replace(free=free))
        asked = []
        summary = dub_batch([video], out, lambda v: asked.append(v) or tone(v), OutputOptions(sample_rate=16_000))
        assert len(asked) == len(summary.done) == (free == needed)
    assert summary.done == [str(video)]
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: disk_usage(folder)._replace(free=needed - 1))
    full = dub_batch([video], out, tone, OutputOptions(sample_rate=16_000, overwrite=True))
    assert full.failed == [(str(video), f"{out}: not enough free space for the dub of with audio.mp4 (its picture "
                                        f"stream and its wav): {size_said(needed - 1)} free, at least "
                                        f"{size_said(needed)} needed")]


def test_settings_are_not_read_from_a_wav_without_them(tmp_path):
    plain = write_audio(tmp_path / "plain.wav", sine(440, 0.5, 16_000), 16_000)
    tagged = write_audio(tmp_path / "tagged.wav", sine(440, 0.5, 16_000), 16_000, comment='{"foley dub": [1]}')
    (tmp_path / "junk.wav").write_bytes(b"RIFF")
    assert [recorded_settings(p) for p in (plain, tagged, tmp_path / "junk.wav")] == [None, None, None]
    assert settings_changes(None, {"seed": 1}) == []  # a dub from before settings were recorded is skipped as it was
    assert settings_changes({"guidance": 5.0}, {"guidance": 5.0000001}) == ["guidance 5.0, now 5.0000001"]


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
    # at the original's rate and in its channels, the Foley in each, the original 6 LU under it as heard
    info = sf.info(str(out / "with audio.wav"))
    assert (info.samplerate, info.channels) == (44_100, 2)
    from foley.media.audio import integrated_loudness, resample
    from foley.media.mux import fit_length
    from foley.pipelines.dub_batch import finish_audio, read_original

    clip_info = probe_video(clip)
    mix, rate, heard = finish_audio(tone(clip)[0], 16_000, clip_info, -6, read_original(clip_info))
    original = align_to_picture(read_audio(clip, sample_rate=None, mono=False)[0], rate, clip_info)
    foley = np.broadcast_to(fit_length(resample(fit_length(tone(clip)[0], round(clip_info.duration_s * 16_000)), 16_000,
                                                rate), mix.shape[1]), mix.shape)
    (a, b), *_ = np.linalg.lstsq(np.stack([foley.ravel(), original.ravel()], axis=1), mix.ravel(), rcond=None)
    assert heard and integrated_loudness(a * foley, rate) - integrated_loudness(b * original, rate) == pytest.approx(6, abs=0.05)
    with av.open(str(out / "with audio.mp4")) as c:
        assert (c.streams.audio[0].sample_rate, c.streams.audio[0].channels) == (44_100, 2)
        assert [a.metadata.get("handler_name") for a in c.streams.audio] == ["foley + original", "original"]
    silent = dub_batch([videos / "silent.mp4"], out, tone, OutputOptions(keep_original=True, mix_original_db=-6))
    assert silent.done == [str(videos / "silent.mp4")] and not silent.failed  # a batch of mixed videos goes on
    assert silent.notes == [(str(videos / "silent.mp4"), "no original audio track to keep or mix; dubbed with the "
                             "Foley track alone")]
    with av.open(str(out / "silent.mp4")) as c:
        assert len(c.streams.audio) == 1
    two = tmp_path / "two tracks.mp4"  # the clip's own track, and a second one
    run_ffmpeg(["-i", str(clip), "-map", "0:v", "-map", "0:a", "-map", "0:a", "-c", "copy", str(two)], what=str(two))
    from foley.cli.probe import _describe

    assert probe_video(two).audio_tracks == 2 and "with audio (2 tracks)" in _describe(probe_video(two).to_dict())
    both = dub_batch([two], out, tone, OutputOptions(keep_original=True))
    assert both.notes == [(str(two), "it has 2 audio tracks; the first is kept as the original")]


def test_same_stem_from_two_folders_is_refused(videos, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(videos / "silent.mp4", other / "silent.mp4")
    said = []
    summary = dub_batch([videos / "silent.mp4", other / "silent.mp4"], tmp_path / "o", tone,
                        on_start=lambda video, i, n: said.append(("start", video, i, n)),
                        on_failed=lambda video, reason: said.append(("failed", str(video), reason)))
    assert len(summary.done) == 1 and summary.failed[0][1].endswith("the outputs would collide (dub it on its own "
                                                                    "with another -o)")
    # the clash is said before the first video is dubbed, and has no progress line of its own
    assert said == [("failed", *summary.failed[0]), ("start", videos / "silent.mp4", 0, 2)]
    assert summary.failed[0][0] == str(other / "silent.mp4")


def test_names_near_the_file_systems_limit(videos, tmp_path):
    """A name whose outputs fit is dubbed (its temporary files have shorter names); one whose
    outputs would not is refused before anything is generated."""
    fits, too_long = tmp_path / ("a" * 251 + ".mp4"), tmp_path / ("b" * 252 + ".ts")  # .ts: its .mp4 one byte longer
    for path in (fits, too_long):
        shutil.copy(videos / "silent.mp4", path)
    summary = dub_batch([fits, too_long], tmp_path / "o", tone)
    assert summary.done == [str(fits)] and (tmp_path / "o" / ("a" * 251 + ".wav")).is_file()
    assert summary.failed == [(str(too_long), f"{too_long}: its output names would be 256 bytes long, and the file "
                                              f"system of {tmp_path / 'o'} takes 255; rename it")]


# ----------------------------------------------------------- several processes ---

@pytest.mark.parametrize("processes", [1, 2, 3, 4])
def test_process_shares_are_balanced_and_cover_each_video_once(processes):
    for n in range(10):
        shares = [list(process_share(n, p, processes)) for p in range(processes)]
        assert sorted(i for share in shares for i in share) == list(range(n))
        assert max(map(len, shares)) - min(map(len, shares)) <= 1
        assert shares == [list(process_share(n, p, processes)) for p in range(processes)]


def test_processes_sharing_a_batch_report_what_one_process_would(videos, tmp_path):
    """Two shares of one batch, dubbed one after the other in this process: the same outputs and,
    merged, the same summary as one process; a name clash across the shares is still found."""
    found, _ = collect_inputs([str(videos)])
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(videos / "silent.mp4", other / "silent.mp4")
    batch = [found[0], other / "silent.mp4", found[1]]  # the two silent.mp4 go to processes 0 and 1
    options = OutputOptions(keep_original=True)
    one = dub_batch(batch, tmp_path / "one", tone, options)
    parts = [dub_batch(batch, tmp_path / "two", tone, options, process=p, processes=2) for p in (0, 1)]
    assert parts[1].failed and not parts[0].failed  # the twin in process 1's share is refused
    assert merge_summaries(parts, batch) == one
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())


def test_the_known_sounds_are_named_once_for_a_shared_batch():
    """Each process notes its silent tracks plainly; once merged, only the batch's first silent
    note names the known sounds, keeping what was added after it, and other notes stay as they were."""
    batch = [Path(f"v{i}.mp4") for i in range(4)]
    plain = "no sound event this model knows was seen; the Foley track is silent"
    naming = "no sound event this model knows was seen (this model knows a ball); the Foley track is silent"
    own = "; the video's own soundtrack is not in the output"
    parts = [BatchSummary(done=["v1.mp4", "v3.mp4"], notes=[("v1.mp4", "written as .mkv"), ("v1.mp4", plain + own),
                                                           ("v3.mp4", plain)]),
             BatchSummary(done=["v0.mp4", "v2.mp4"], notes=[("v2.mp4", plain)])]
    summary = merge_summaries(parts, batch)
    name_known_sounds_once(summary, {v: (plain, naming) for v in ("v1.mp4", "v2.mp4", "v3.mp4")})
    assert summary.notes == [("v1.mp4", "written as .mkv"), ("v1.mp4", naming + own), ("v2.mp4", plain),
                             ("v3.mp4", plain)]
    assert sum("(this model knows" in line for line in summary.lines()) == 1


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("tiny_pipeline"))


@pytest.mark.slow
def test_accelerate_launch_shares_a_batch(tiny_model, tmp_path):
    """`accelerate launch -m foley dub` with 2 CPU processes (gloo): each dubs its share, one
    summary covers all, and a second run skips them all."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    names = ["a", "b", "c"]
    for name in names:
        lavfi_video(inputs / f"{name}.mp4", "testsrc=s=160x96:r=25:d=0.5")
    out = tmp_path / "out"
    # `--cpu --num_processes 2` starts one process (several CPU processes need mpirun there);
    # --multi_gpu starts 2 through torchrun, and --device cpu makes them a gloo group.
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines",
           "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "foley", "dub", str(inputs), "-o", str(out),
           "--model", str(tiny_model), "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert all((out / f"{name}.wav").is_file() and (out / f"{name}.mp4").is_file() for name in names)
    assert first.stdout.count("done 3, failed 0") == 1 and first.stdout.count("outputs in") == 1
    assert "(process 0)" in first.stderr and "(process 1)" in first.stderr  # both processes dubbed
    again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done 0, skipped 3") == 1


# ---------------------------------------------------------------- field failures ---

SR = 16_000


def click_track(at_s: float, seconds: float, rate: int = SR) -> np.ndarray:
    wav = np.zeros(int(seconds * rate), np.float32)
    start = int(at_s * rate)
    wav[start:start + rate // 50] = 0.8 * np.sin(np.arange(rate // 50) * 2 * np.pi * 1000 / rate)
    return wav


def clicks_at(at_s: float):
    """Stands in for the model: one 20 ms click at ``at_s`` of the picture's time."""
    return lambda video: (click_track(at_s, 6.0), SR)


def heard_at(wav: np.ndarray, rate: int = SR) -> tuple[float, float]:
    """First and last time (s) the track is above a tenth of its peak."""
    loud = np.flatnonzero(np.abs(wav) > 0.1 * np.abs(wav).max())
    return loud[0] / rate, loud[-1] / rate


def track_onset_on_picture_clock(path, index: int) -> float:
    """When audio track ``index`` of ``path`` first gets loud, in seconds after the first
    displayed frame (from the decoded frames' own timestamps)."""
    with av.open(str(path)) as c:
        video = c.streams.video[0]
        picture = float(video.start_time * video.time_base)
        stream = c.streams.audio[index]
        first, chunks = None, []
        for frame in c.decode(stream):
            first = float(frame.pts * frame.time_base) if first is None else first
            chunks.append(frame.to_ndarray().mean(axis=0))
        return first + heard_at(np.concatenate(chunks), stream.codec_context.sample_rate)[0] - picture


@pytest.fixture(scope="module")
def late_picture(tmp_path_factory):
    """3 s of picture starting 0.5 s into the file, and its own sound starting at 0: a click
    at 1.0 s of the picture's time (1.5 s of the file's)."""
    root = tmp_path_factory.mktemp("late")
    picture = lavfi_video(root / "picture.mp4", "testsrc=s=160x96:r=25:d=3")
    sound = write_audio(root / "sound.wav", click_track(1.5, 3.5), SR)
    late = root / "late.mp4"
    run_ffmpeg(["-itsoffset", "0.5", "-i", str(picture), "-i", str(sound), "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", "-c:a", "aac", str(late)], what=str(late))
    return late


def test_foley_starts_with_the_first_displayed_frame(late_picture, tmp_path):
    info = probe_video(late_picture)
    assert info.start_s == pytest.approx(0.5, abs=1e-3) and info.audio_start_s == pytest.approx(0.0, abs=0.07)
    out = tmp_path / "out"
    summary = dub_batch([late_picture], out, clicks_at(1.0), OutputOptions(mix_original_db=0.0))
    assert summary.done == [str(late_picture)]
    first, last = heard_at(read_audio(out / "late.wav", sample_rate=None)[0])
    assert first == pytest.approx(1.0, abs=1024 / SR) and last < 1.1  # one click: Foley and original agree
    assert track_onset_on_picture_clock(out / "late.mp4", 0) == pytest.approx(1.0, abs=1024 / SR)
    kept = tmp_path / "kept"
    dub_batch([late_picture], kept, clicks_at(1.0), OutputOptions(keep_original=True))
    for track in (0, 1):  # the Foley track and the kept original, both on the picture's clock
        assert track_onset_on_picture_clock(kept / "late.mp4", track) == pytest.approx(1.0, abs=1024 / SR), track


def test_an_edit_list_sets_what_is_dubbed(tmp_path):
    source = lavfi_video(tmp_path / "source.mp4", "testsrc=s=160x96:r=25:d=4", "-g", "250")
    cut = tmp_path / "cut.mp4"
    run_ffmpeg(["-ss", "1.3", "-i", str(source), "-c", "copy", str(cut)], what=str(cut))  # starts mid-GOP: an edit list
    info = probe_video(cut)
    assert info.frame_count == 67 and info.duration_s == pytest.approx(2.68, abs=0.02)
    dub_batch([cut], tmp_path / "out", tone)
    assert len(read_audio(tmp_path / "out" / "cut.wav", sample_rate=None)[0]) == round(info.duration_s * SR)
    assert probe_video(tmp_path / "out" / "cut.mp4").duration_s == pytest.approx(2.68, abs=0.02)


def test_silence_stays_silent(cfr_video, videos, tmp_path):
    quiet = lambda video: (0.0007 * np.random.default_rng(0).standard_normal(3 * SR).astype(np.float32), SR)  # noqa: E731
    summary = dub_batch([cfr_video[0]], tmp_path / "out", quiet)
    wav, _ = read_audio(tmp_path / "out" / f"{cfr_video[0].stem}.wav", sample_rate=None)
    assert summary.done and not np.any(wav)  # not a -23 dBFS noise bed
    assert summary.notes == [(str(cfr_video[0]), "no sound events found; the Foley track is silent")]
    assert "note: " in summary.lines()[1] and "no sound events found" in summary.lines()[1]
    # A video with a soundtrack of its own is told that the silent dub does not carry it.
    heard = dub_batch([videos / "with audio.mp4"], tmp_path / "out", quiet)
    assert heard.notes == [(str(videos / "with audio.mp4"), "no sound events found; the Foley track is silent; the "
                            "video's own soundtrack is not in the output (--keep-original keeps it as a second track)")]
    kept = dub_batch([videos / "with audio.mp4"], tmp_path / "kept", quiet, OutputOptions(keep_original=True))
    assert kept.notes == [(str(videos / "with audio.mp4"), "no sound events found; the Foley track is silent; players "
                           "start with the video's own soundtrack, kept as the second track")]
    with av.open(str(tmp_path / "kept" / "with audio.mp4")) as c:  # the original, not the silence, is played
        assert [(a.metadata.get("handler_name"), bool(a.disposition & av.stream.Disposition.default))
                for a in c.streams.audio] == [("foley", False), ("original", True)]
    mixed = dub_batch([videos / "with audio.mp4"], tmp_path / "mixed", quiet, OutputOptions(mix_original_db=-12))
    assert mixed.notes == [(str(videos / "with audio.mp4"), "no sound events found; the Foley track is silent; the "
                            "output's sound is the video's own soundtrack alone (--mix-original)")]
    # the output is the original as it is, level included
    mix, rate = read_audio(tmp_path / "mixed" / "with audio.wav", sample_rate=None, mono=False)
    info = probe_video(videos / "with audio.mp4")
    original = align_to_picture(read_audio(videos / "with audio.mp4", sample_rate=None, mono=False)[0], rate, info)
    assert rate == 44_100 and mix.shape == original.shape == (2, round(info.duration_s * rate))
    np.testing.assert_allclose(mix, original, atol=2 / 32768)  # 16-bit
    with av.open(str(tmp_path / "mixed" / "with audio.mp4")) as c:
        assert [a.metadata.get("handler_name") for a in c.streams.audio] == ["original"]  # named as what it holds
    # kept as well: one track of it, not the same track twice
    both = dub_batch([videos / "with audio.mp4"], tmp_path / "both", quiet, OutputOptions(keep_original=True, mix_original_db=-12))
    assert both.notes[0][1].endswith("soundtrack alone (--mix-original), in one track (--keep-original would copy it again)")
    with av.open(str(tmp_path / "both" / "with audio.mp4")) as c:
        assert [a.metadata.get("handler_name") for a in c.streams.audio] == ["original"]


def test_dubbing_into_the_input_folder_is_refused_at_once(cfr_video, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(cfr_video[0], folder / "clip.mp4")
    calls = []
    with pytest.raises(FoleyError, match="would overwrite this input video"):
        dub_batch([folder / "clip.mp4"], folder, lambda v: calls.append(v) or tone(v))
    assert not calls and sorted(p.name for p in folder.iterdir()) == ["clip.mp4"]
    proc = subprocess.run([sys.executable, "-m", "foley", "dub", str(folder), "-o", str(folder)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "would overwrite this input video" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["clip.mp4"]


def test_a_file_name_for_the_output_folder_is_refused(cfr_video, tmp_path):
    calls = []
    with pytest.raises(FoleyError, match=r"-o names an output folder .* e\.g\. -o .*/out$"):
        dub_batch([cfr_video[0]], tmp_path / "out.MP4", lambda v: calls.append(v) or tone(v))
    assert not calls and not (tmp_path / "out.MP4").exists()
    for name in ("out.avi", "out.webm", "out.wav"):  # any video suffix an input may have, and the track's
        with pytest.raises(FoleyError, match="-o names an output folder"):
            dub_batch([cfr_video[0]], tmp_path / name, tone)
    (tmp_path / "made.mp4").mkdir()  # a folder that exists is used whatever its name
    assert dub_batch([cfr_video[0]], tmp_path / "made.mp4", tone).done == [str(cfr_video[0])]


@pytest.mark.parametrize("suffix", [".wav", ".mp4", ".mkv"])
def test_a_file_of_an_outputs_name_is_never_replaced_unasked(cfr_video, tmp_path, suffix):
    """A lone wav or a video with no wav beside it is no finished dub: neither skipped nor
    written over (it may be the user's own file of that name)."""
    out = tmp_path / "out"
    out.mkdir()
    theirs = out / f"{cfr_video[0].stem}{suffix}"
    theirs.write_bytes(b"the user's own file")
    summary = dub_batch([cfr_video[0]], out, tone)
    assert not summary.done and not summary.skipped
    partner = "video" if suffix == ".wav" else "wav"
    assert summary.failed == [(str(cfr_video[0]), f"{theirs}: exists without a {partner} of its name beside it, so it "
                               "is no finished dub (a dub whose other file was removed, or another file); "
                               "--overwrite replaces it, or choose another output folder (-o)")]
    assert theirs.read_bytes() == b"the user's own file"
    assert not needs_model([cfr_video[0]], out, overwrite=False)
    assert dub_batch([cfr_video[0]], out, tone, OutputOptions(overwrite=True)).done == [str(cfr_video[0])]


def test_a_dub_another_run_wrote_meanwhile_is_kept(cfr_video, tmp_path):
    """Two runs dubbing into one folder at once: the one that finishes second replaces nothing."""
    out = tmp_path / "out"
    wav, movie = output_paths(cfr_video[0], out, ".mp4")

    def the_other_run_finishes_first(video):
        wav.write_bytes(b"the other run's")
        movie.write_bytes(b"the other run's")
        return tone(video)

    summary = dub_batch([cfr_video[0]], out, the_other_run_finishes_first)
    assert not summary.done and "another run wrote it while this one ran; it is kept" in summary.failed[0][1]
    assert wav.read_bytes() == movie.read_bytes() == b"the other run's"
    assert sorted(p.name for p in out.iterdir()) == sorted([wav.name, movie.name])  # no temporary file left


def test_the_dub_of_another_video_of_the_same_name_is_never_replaced_unasked(videos, cfr_video, tmp_path):
    out = tmp_path / "out"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(videos / "with audio.mp4", other / f"{cfr_video[0].stem}.mp4")  # same name, another picture
    assert dub_batch([cfr_video[0]], out, tone).done == [str(cfr_video[0])]
    before = (out / f"{cfr_video[0].stem}.mp4").read_bytes()
    again = dub_batch([cfr_video[0]], out, tone)  # the same video: already dubbed
    assert again.skipped == [str(cfr_video[0])] and not again.done and not again.failed
    moved = dub_batch([other / f"{cfr_video[0].stem}.mp4"], out, tone)
    assert not moved.done and not moved.skipped and len(moved.failed) == 1
    assert moved.failed[0][1] == (f"{out / cfr_video[0].stem}.mp4: the dub of another video named {cfr_video[0].stem}.mp4; "
                                  "--overwrite replaces it, or choose another output folder (-o)")
    assert (out / f"{cfr_video[0].stem}.mp4").read_bytes() == before
    assert not needs_model([other / f"{cfr_video[0].stem}.mp4"], out, overwrite=False)
    assert needs_model([other / f"{cfr_video[0].stem}.mp4"], out, overwrite=True)
    replaced = dub_batch([other / f"{cfr_video[0].stem}.mp4"], out, tone, OutputOptions(overwrite=True))
    assert replaced.done == [str(other / f"{cfr_video[0].stem}.mp4")]


def test_a_dub_is_known_by_its_picture_and_a_broken_one_is_said_so(tmp_path):
    """Another video of the same name, size, frame count and length is still another picture;
    a dub cut short or an empty wav next to the right picture is reported, never skipped."""
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir(), two.mkdir()
    lavfi_video(one / "clip.mp4", "testsrc=s=64x48:r=10:d=1")
    lavfi_video(two / "clip.mp4", "smptebars=s=64x48:r=10:d=1")
    out = tmp_path / "out"
    assert dub_batch([one / "clip.mp4"], out, tone).done == [str(one / "clip.mp4")]
    other = dub_batch([two / "clip.mp4"], out, tone)
    assert other.failed == [(str(two / "clip.mp4"), f"{out / 'clip.mp4'}: the dub of another video named clip.mp4; "
                             "--overwrite replaces it, or choose another output folder (-o)")]
    wav = (out / "clip.wav").read_bytes()
    (out / "clip.wav").write_bytes(b"")
    empty = dub_batch([one / "clip.mp4"], out, tone)
    assert empty.failed[0][1].startswith(f"{out / 'clip.wav'}: empty, not a readable WAV or not as long as the video "
                                         "(cut short?); --overwrite replaces it")
    write_audio(out / "clip.wav", sine(440, 0.25, 16_000), 16_000)  # another sound, 0.25 s of the 1 s video
    assert dub_batch([one / "clip.mp4"], out, tone).failed[0][1].startswith(f"{out / 'clip.wav'}: empty, not a readable")
    (out / "clip.wav").write_bytes(wav)
    (out / "clip.mp4").write_bytes((out / "clip.mp4").read_bytes()[:300])
    cut = dub_batch([one / "clip.mp4"], out, tone)
    assert cut.failed[0][1].startswith(f"{out / 'clip.mp4'}: not a readable video (cut short?); --overwrite")


def test_a_failure_leaves_no_file_of_that_input(cfr_video, tmp_path, monkeypatch):
    import foley.pipelines.dub_batch as batch

    def broken_mux(*args, **kwargs):
        raise FoleyError("the muxer failed")

    monkeypatch.setattr(batch, "mux_audio", broken_mux)
    heard = []
    summary = dub_batch([cfr_video[0]], tmp_path / "new" / "out", tone, on_failed=lambda *failure: heard.append(failure))
    assert summary.failed == [(str(cfr_video[0]), "the muxer failed")] and heard == [(cfr_video[0], "the muxer failed")]
    assert not (tmp_path / "new").exists()  # the folders the run made for its outputs, left empty, are gone
    (tmp_path / "mine").mkdir()
    dub_batch([cfr_video[0]], tmp_path / "mine", tone)
    assert (tmp_path / "mine").is_dir() and list((tmp_path / "mine").iterdir()) == []  # the user's own folder stays


def test_a_muxer_failure_names_the_output_not_its_temporary_file(cfr_video, tmp_path, monkeypatch):
    import foley.pipelines.dub_batch as batch

    def broken_mux(video, audio, out, **kwargs):
        raise MediaError(f"{out}: muxing {video}: ffmpeg failed (boom)")

    monkeypatch.setattr(batch, "mux_audio", broken_mux)
    summary = dub_batch([cfr_video[0]], tmp_path / "out", tone)
    assert summary.failed == [(str(cfr_video[0]), f"{tmp_path / 'out' / 'cfr30.mp4'}: muxing {cfr_video[0]}: "
                                                  "ffmpeg failed (boom)")]


def test_an_original_that_cannot_be_kept_fails_before_the_sound_is_generated(tmp_path):
    clip = sixteen_channel_clip(tmp_path / "clip.mov")
    asked = []

    def generate(video):
        asked.append(video)
        return tone(video)

    kept = dub_batch([clip], tmp_path / "kept", generate, OutputOptions(keep_original=True))
    assert kept.failed == [(str(clip), f"{clip}: its audio track has 16 channels and cannot be kept as a second track "
                                       "(it would be encoded to AAC, which holds at most 8)")]
    assert asked == [] and not (tmp_path / "kept").exists()
    mixed = dub_batch([clip], tmp_path / "mixed", generate, OutputOptions(mix_original_db=-6))  # downmixed to stereo
    assert mixed.done == [str(clip)] and sf.info(str(tmp_path / "mixed" / "clip.wav")).channels == 2


def test_a_full_disk_fails_that_video_and_the_batch_goes_on(videos, tmp_path, monkeypatch):
    import soundfile as sf

    import foley.media.audio as audio
    import foley.pipelines.dub_batch as batch

    class FullOnce(sf.SoundFile):
        full = True

        def write(self, data):
            if FullOnce.full:
                FullOnce.full = False
                raise sf.LibsndfileError(2)  # SF_ERR_SYSTEM, libsndfile's words for a full disk
            return super().write(data)

    monkeypatch.setattr(audio.sf, "SoundFile", FullOnce)
    monkeypatch.setattr(audio.shutil, "disk_usage", lambda folder: SimpleNamespace(free=1000))
    monkeypatch.setattr(batch, "check_free_space", lambda folder, needed_bytes, what: None)  # it fills while writing
    found, _ = collect_inputs([str(videos)])
    out = tmp_path / "out"
    summary = dub_batch(found, out, tone)
    wav_path, _ = output_paths(found[0], out)
    [(video, reason)] = summary.failed
    assert video == str(found[0])
    said = r": cannot write the audio \(not enough free space: 1 kB free, \d+ kB needed\)"
    assert re.fullmatch(re.escape(str(wav_path)) + said, reason)
    assert summary.done == [str(found[1])] and sorted(p.stem for p in out.iterdir()) == [found[1].stem] * 2


def test_an_output_folder_that_takes_no_file_is_refused_at_once(cfr_video, tmp_path, monkeypatch):
    import foley.pipelines.dub_batch as batch

    def read_only(folder):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(batch, "trial_write", read_only)
    with pytest.raises(FoleyError, match=r"out: the output folder is not writable \(Read-only file system\)$"):
        dub_batch([cfr_video[0]], tmp_path / "out", lambda video: pytest.fail("generated before the check"))


@pytest.mark.parametrize("codec, name, suffix", [("theora", "old.mkv", ".mov"), ("rawvideo", "raw.avi", ".mkv")])
def test_the_container_is_one_that_holds_the_picture_as_it_is(tmp_path, codec, name, suffix):
    """Theora cannot go into .mp4; raw yuv420p goes into .mov without complaint, but nothing
    can decode it there, so it goes into .mkv."""
    source = tmp_path / name
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x64:r=25:d=1", "-c:v", codec, "-pix_fmt", "yuv420p", str(source)],
               what=str(source))
    calls = []
    summary = dub_batch([source], tmp_path / "out", lambda v: calls.append(v) or tone(v))
    assert summary.done == [str(source)] and len(calls) == 1
    stem = source.stem
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([f"{stem}{suffix}", f"{stem}.wav"])
    assert summary.notes == [(str(source), f"written as {suffix}: its {codec} picture stream cannot go into .mp4 "
                              "without re-encoding")]
    out = tmp_path / "out" / f"{stem}{suffix}"
    assert video_packet_hash(out) == video_packet_hash(source)
    with av.open(str(out)) as c:  # and it plays back
        assert sum(1 for _ in c.decode(video=0)) == 25


def test_a_kept_original_is_cut_to_the_picture(tmp_path):
    picture = lavfi_video(tmp_path / "picture.mp4", "testsrc=s=160x96:r=25:d=3")
    sound = write_audio(tmp_path / "sound.wav", sine(440, 5.0, 44_100), 44_100)
    long_sound = tmp_path / "long_sound.mp4"
    run_ffmpeg(["-i", str(picture), "-i", str(sound), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                str(long_sound)], what=str(long_sound))
    dub_batch([long_sound], tmp_path / "out", tone, OutputOptions(keep_original=True))
    out = tmp_path / "out" / "long_sound.mp4"
    with av.open(str(out)) as c:
        ends = [float((s.start_time + s.duration) * s.time_base) for s in c.streams]
        assert len(c.streams.audio) == 2 and float(c.duration) / 1e6 == pytest.approx(3.0, abs=0.02)
    assert max(ends) == pytest.approx(3.0, abs=0.02), ends


def test_a_folder_in_an_outputs_place_fails_that_video_and_the_batch_goes_on(videos, tmp_path):
    out = tmp_path / "out"
    (out / "silent.wav").mkdir(parents=True)
    summary = dub_batch([videos / "silent.mp4", videos / "with audio.mp4"], out, tone, OutputOptions(overwrite=True))
    assert summary.done == [str(videos / "with audio.mp4")]
    assert summary.failed == [(str(videos / "silent.mp4"), f"{out / 'silent.wav'}: a folder is in the place of an output; "
                               "move it, or choose another output folder (-o)")]
    assert not (out / "silent.mp4").exists()


def test_a_still_image_is_not_dubbed(tmp_path):
    lavfi_video(tmp_path / "still.mp4", "testsrc=s=64x48:r=10:d=0.1")
    summary = dub_batch([tmp_path / "still.mp4"], tmp_path / "out", tone)
    assert summary.failed == [(str(tmp_path / "still.mp4"), f"{tmp_path / 'still.mp4'}: a still image (h264, one frame), "
                               "not a video")]
    assert not needs_model([tmp_path / "still.mp4"], tmp_path / "out", overwrite=False)  # it fails without a model


def test_an_interrupted_batch_leaves_what_it_did_in_the_callers_summary(videos, tmp_path):
    def generate(video):
        if video.name == "with audio.mp4":
            raise KeyboardInterrupt
        return tone(video)

    summary = BatchSummary()
    with pytest.raises(KeyboardInterrupt):
        dub_batch([videos / "silent.mp4", videos / "with audio.mp4"], tmp_path / "o", generate, summary=summary)
    assert summary.done == [str(videos / "silent.mp4")] and sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "silent.mp4", "silent.wav"]


def test_a_picture_track_before_the_video_is_not_taken_for_it(tmp_path):
    plain = lavfi_video(tmp_path / "plain.mp4", "testsrc=s=64x48:r=10:d=1")
    lavfi_video(tmp_path / "cover.mp4", "color=red:s=32x32:r=10:d=0.1")
    covered = tmp_path / "covered.mkv"  # a one-frame picture track first, as a cover image can be in Matroska
    run_ffmpeg(["-i", str(tmp_path / "cover.mp4"), "-i", str(plain), "-map", "0:v", "-map", "1:v", "-c", "copy",
                "-disposition:v:0", "0", "-disposition:v:1", "default", str(covered)], what="covered")
    info = probe_video(covered)
    assert (info.frame_count, info.width, info.stream_index, info.other_streams) == (10, 64, 1, 1)
    assert first_frame_digest(covered) == first_frame_digest(plain)
    summary = dub_batch([covered], tmp_path / "out", tone)
    assert summary.done == [str(covered)]
    assert first_frame_digest(tmp_path / "out" / "covered.mp4") == first_frame_digest(plain)
    assert probe_video(tmp_path / "out" / "covered.mp4").frame_count == 10


def test_streams_a_dub_leaves_out_are_said(tmp_path):
    plain = lavfi_video(tmp_path / "plain.mp4", "testsrc=s=64x48:r=10:d=1")
    (tmp_path / "words.srt").write_text("1\n00:00:00,000 --> 00:00:00,900\nhello\n")
    titled = tmp_path / "titled.mkv"
    run_ffmpeg(["-i", str(plain), "-i", str(tmp_path / "words.srt"), "-map", "0", "-map", "1", "-c", "copy", str(titled)],
               what="titled")
    assert (probe_video(plain).other_streams, probe_video(titled).other_streams) == (0, 1)
    summary = dub_batch([titled, plain], tmp_path / "out", tone)
    assert summary.done == [str(titled), str(plain)]
    assert [(video, note) for video, note in summary.notes if "other stream" in note] == [(
        str(titled), "its 1 other stream (subtitles, a second picture, cover art or data) is not in the output, which "
        "holds the picture stream a player shows")]
    timed = tmp_path / "timed.mov"  # a timecode track: the picture's timecode, which the dub keeps
    run_ffmpeg(["-i", str(plain), "-c", "copy", "-timecode", "01:00:00:00", str(timed)], what="timed")
    assert probe_video(timed).other_streams == 0
    dub_batch([timed], tmp_path / "out", tone)
    with av.open(str(tmp_path / "out" / "timed.mp4")) as dubbed:
        kept = dubbed.streams.video[0].metadata.get("timecode", "")
    assert [int(n) for n in kept.split(":")] == [1, 0, 0, 0], kept  # FFmpeg writes a frame of 10 fps in one digit
    (tmp_path / "chapters.txt").write_text(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/10\nSTART=0\nEND=5\ntitle=one\n")
    chaptered = tmp_path / "chaptered.mp4"  # a chapter track: the chapters, which the dub keeps
    run_ffmpeg(["-i", str(plain), "-i", str(tmp_path / "chapters.txt"), "-map", "0", "-map_chapters", "1", "-c", "copy",
                str(chaptered)], what="chaptered")
    assert probe_video(chaptered).other_streams == 0
    assert dub_batch([chaptered], tmp_path / "out", tone).notes == []
    with av.open(str(tmp_path / "out" / "chaptered.mp4")) as dubbed:
        assert [c["metadata"]["title"] for c in dubbed.chapters()] == ["one"]


def test_an_original_track_that_cannot_be_read_fails_before_the_sound_is_generated(videos, tmp_path, monkeypatch):
    import foley.pipelines.dub_batch as batch

    def unreadable(path, **_):
        raise MediaError(f"{path}: corrupt or truncated audio")

    monkeypatch.setattr(batch, "read_audio", unreadable)
    asked = []
    summary = dub_batch([videos / "with audio.mp4"], tmp_path / "out", lambda v: asked.append(v) or tone(v),
                        OutputOptions(mix_original_db=-6))
    assert not asked and [why for _, why in summary.failed] == [f"{videos / 'with audio.mp4'}: corrupt or truncated audio"]
