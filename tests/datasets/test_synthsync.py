import json
from pathlib import Path

import numpy as np
import pytest

from foley.datasets.synthsync import CLASS_NAMES, SynthConfig, generate, load_manifest
from foley.errors import FoleyError
from foley.media.audio import read_audio
from foley.media.video import FrameSpec, decode_frames, probe_video

N_TEST = 2 * len(CLASS_NAMES)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    generate(root, n_train=3, n_test=N_TEST, seed=7, workers=2, progress=False)
    return root


def test_layout_and_manifests(dataset):
    info = json.loads((dataset / "synthsync.json").read_text())
    assert info["counts"] == {"train": 3, "test": N_TEST} and len(info["classes"]) >= 6
    test = load_manifest(dataset, "test")
    assert len(test) == N_TEST and {e["class"] for e in test} == set(CLASS_NAMES)
    for e in test:
        side = json.loads(open(e["sidecar"]).read())
        assert side["class"] == e["class"] and side["caption"] and side["duration_s"] == 4.0
        assert 1 <= len(side["onsets_s"]) <= 6
        assert side["onsets_s"] == [k / side["fps"] for k in side["onset_frames"]]
        assert min(np.diff(side["onsets_s"]), default=1) >= 0.36 - 1e-9
    info = probe_video(test[0]["video"])
    assert (info.fps, info.frame_count, info.has_audio, info.codec) == (25.0, 100, True, "h264")
    wav, rate = read_audio(test[0]["audio"], sample_rate=None)
    assert rate == 16_000 and wav.shape == (64_000,)


def rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize("source", ["audio", "video"])  # the wav and the mp4's AAC track
def test_sound_starts_at_each_onset(dataset, source):
    win = 160  # 10 ms at 16 kHz
    for e in load_manifest(dataset, "test"):
        wav, _ = read_audio(e[source])
        for t in e["onsets_s"]:
            n = round(t * 16_000)
            earlier, before, after = rms(wav[n - 2 * win:n - win]), rms(wav[n - win:n]), rms(wav[n:n + win])
            assert after > 3 * before, (e["id"], t, before, after)  # rises in the 10 ms after the onset
            if source == "audio":  # exact in the wav; AAC's pre-echo smears a few ms before it
                assert before < 1.5 * earlier + 1e-3, (e["id"], t, earlier, before)


def detected_contact_frames(frames: np.ndarray, cls: str) -> list[int]:
    """First frames of the contact cue: the lamp lighting up, or the white impact ring."""
    f = frames.astype(int)
    if cls == "lamp":
        mask = (f[..., 0] > 200) & (f[..., 1] > 190) & (f[..., 2] < 170)
    else:
        mask = f.min(axis=-1) > 225
    on = mask.sum(axis=(1, 2)) > 20
    return [int(i) for i in np.flatnonzero(on & ~np.concatenate([[False], on[:-1]]))]


def test_visual_contact_frame_matches_annotation(dataset):
    for e in load_manifest(dataset, "test"):
        side = json.loads(open(e["sidecar"]).read())
        frames = decode_frames(e["video"], fps=25, spec=FrameSpec(size=None))
        assert detected_contact_frames(frames, e["class"]) == side["onset_frames"], e["id"]


def test_deterministic_and_test_split_independent_of_train_size(dataset, tmp_path):
    generate(tmp_path, n_train=0, n_test=N_TEST, seed=7, workers=1, progress=False)
    for e in load_manifest(dataset, "test"):
        for key in ("audio", "video", "sidecar"):
            other = tmp_path / "test" / e[key].split("/")[-1]
            assert other.read_bytes() == open(e[key], "rb").read(), (e["id"], key)


def test_other_seed_differs(dataset, tmp_path):
    generate(tmp_path, n_train=0, n_test=2, seed=8, workers=1, progress=False)
    a = load_manifest(dataset, "test")[0]["onsets_s"], load_manifest(dataset, "test")[1]["onsets_s"]
    b = load_manifest(tmp_path, "test")[0]["onsets_s"], load_manifest(tmp_path, "test")[1]["onsets_s"]
    assert a != b


def test_refuses_to_clobber(dataset, tmp_path):
    with pytest.raises(FoleyError, match="not empty"):
        generate(dataset, n_train=1, n_test=1, progress=False)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FoleyError, match="holds other files than a SynthSync dataset"):
        generate(tmp_path, n_train=1, n_test=1, overwrite=True, progress=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_folder_that_cannot_be_written_is_refused_in_one_line(tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(FoleyError, match=r"a_file/data: cannot write the dataset there \(Not a directory\)"):
        generate(tmp_path / "a_file" / "data", n_train=1, n_test=0, progress=False)


def test_more_clips_than_the_disk_holds_are_refused_before_any_is_listed(tmp_path, monkeypatch):
    """--n-train 100000000 (zeros too many) listed 10^8 jobs and ran the machine out of memory."""
    import shutil

    import foley.datasets.synthsync as synthsync

    disk_usage = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: disk_usage(folder)._replace(free=10**9))
    monkeypatch.setattr(synthsync, "_write_clips", lambda *args: pytest.fail("the clips' jobs were listed"))
    with pytest.raises(FoleyError, match=r"data: not enough free space for 100,000,001 clips of 4 s \(their 16-bit "
                                         r"wav files alone\): 1.0 GB free, at least 12.8 TB needed$"):
        generate(tmp_path / "data", n_train=10**8, n_test=1, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_overwrite_keeps_the_earlier_dataset(tmp_path, monkeypatch):
    import foley.datasets.synthsync as synthsync

    generate(tmp_path, n_train=0, n_test=1, workers=1, progress=False)
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def interrupted(out, *args):
        (out / "test").mkdir(parents=True)
        (out / "test" / "test_00000_ball.wav").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(synthsync, "_write_clips", interrupted)
    with pytest.raises(KeyboardInterrupt) as stopped:
        generate(tmp_path, n_train=0, n_test=1, seed=3, workers=1, overwrite=True, progress=False)
    assert stopped.value.__notes__ == [f"before the dataset was whole: none of its clips is kept (it is written all at "
                                       f"once or not at all); the dataset already in {tmp_path} is as it was; the same "
                                       "command starts again"]
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in tmp_path.iterdir()) == ["synthsync.json", "test", "test.jsonl",
                                                                              "train", "train.jsonl"]
    monkeypatch.undo()
    generate(tmp_path, n_train=0, n_test=1, seed=3, workers=1, overwrite=True, progress=False)
    assert json.loads((tmp_path / "synthsync.json").read_text())["seed"] == 3
    assert not (tmp_path / ".synthsync-partial").exists()


def test_an_interrupted_run_says_nothing_is_kept_and_the_same_command_starts_again(tmp_path, monkeypatch, foley):
    import foley.datasets.synthsync as synthsync

    def interrupted(out, *args):
        (out / "test").mkdir(parents=True)
        raise KeyboardInterrupt

    monkeypatch.setattr(synthsync, "_write_clips", interrupted)
    code, _, err = foley("prepare", "synth", "--out", tmp_path / "data", "--n-train", "0", "--n-test", "1",
                         "--workers", "1", "--quiet")
    assert code == 130 and err == ("foley: interrupted before the dataset was whole: none of its clips is kept (it is "
                                   "written all at once or not at all); the same command starts again\n")
    assert not (tmp_path / "data").exists()


def test_a_second_interrupt_during_the_cleanup_leaves_no_staging_folder(tmp_path, monkeypatch):
    import os
    import signal

    import foley.datasets.synthsync as synthsync

    def interrupted(out, *args):
        (out / "test").mkdir(parents=True)
        raise KeyboardInterrupt

    rmtree = synthsync.shutil.rmtree

    def impatient(path, *args, **kwargs):  # Ctrl-C pressed again as the cleanup of the clips made starts
        if Path(path).exists():
            os.kill(os.getpid(), signal.SIGINT)
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(synthsync, "_write_clips", interrupted)
    monkeypatch.setattr(synthsync.shutil, "rmtree", impatient)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "new" / "data", n_train=0, n_test=1, workers=1, progress=False)
    assert not (tmp_path / "new").exists()


def test_custom_duration_and_bad_duration(tmp_path):
    generate(tmp_path, n_train=0, n_test=1, cfg=SynthConfig(duration_s=2.0), progress=False, workers=1)
    assert probe_video(tmp_path / "test" / "test_00000_ball.mp4").duration_s == pytest.approx(2.0)
    with pytest.raises(FoleyError, match="too short; at least 0.76 s is needed"):  # the shortest it takes
        SynthConfig(duration_s=0.72)
    assert SynthConfig(duration_s=0.76).n_frames == 19
    with pytest.raises(FoleyError, match=r"duration 2.37 s is no whole number of frames at 25 fps; give 2.36 s"):
        SynthConfig(duration_s=2.37)


def test_a_manifest_with_blank_or_broken_lines_reads_or_is_refused_in_one_line(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"id": "a", "audio": "train/a.wav"}\n\n')  # a blank line, as editors leave
    assert [e["audio"] for e in load_manifest(tmp_path, "train")] == [str(tmp_path / "train" / "a.wav")]
    for line in ('{"id": "b", ', '["b"]', '{"id": "b", "video": "b.mp4"}'):
        (tmp_path / "train.jsonl").write_text('{"id": "a", "audio": "a.wav"}\n' + line + "\n")
        with pytest.raises(FoleyError, match=r"train.jsonl:2: not a manifest line \(JSON with \"audio\"\)"):
            load_manifest(tmp_path, "train")
    (tmp_path / "train.jsonl").write_text('{"id": "a", "audio": "a.wav"}\n{"id": "b", "audio": "b.wav"}\n'
                                          '{"id": "a", "audio": "a.wav"}\n')
    with pytest.raises(FoleyError, match=r"train.jsonl:3: clip id 'a' again \(line 1 names it\)"):
        load_manifest(tmp_path, "train")
    (tmp_path / "train.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a", "audio": "a.wav"}\n')  # a byte-order mark
    assert [e["id"] for e in load_manifest(tmp_path, "train")] == ["a"]
    (tmp_path / "train.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FoleyError, match="not a manifest .* it is not text"):
        load_manifest(tmp_path, "train")


def test_a_missing_manifest_names_the_commands_that_make_one(tmp_path):
    with pytest.raises(FoleyError, match=r"no such manifest \(.* is no prepared data set: make one with 'foley prepare "
                                         r"synth', 'foley prepare avsync15' or 'foley prepare sfx'\)"):
        load_manifest(tmp_path, "train")
    (tmp_path / "train.jsonl").write_text('{"id": "a", "audio": "a.wav"}\n')
    with pytest.raises(FoleyError, match=rf"train.jsonl: a manifest; give the folder that holds it \({tmp_path}\)"):
        load_manifest(tmp_path / "train.jsonl", "train")
    (tmp_path / "test.jsonl").write_text('{"id": "b", "audio": "b.wav"}\n')  # a data set, asked for a split it lacks
    with pytest.raises(FoleyError, match=rf"^{tmp_path / 'tests.jsonl'}: no such manifest \({tmp_path} has no split "
                                         r"'tests'; its splits: test, train\)$"):
        load_manifest(tmp_path, "tests")


def test_no_more_worker_processes_start_than_there_are_clips(tmp_path, monkeypatch):
    import foley.datasets.synthsync as synthsync

    started = []
    real = synthsync.worker_map

    def counted(fn, jobs, workers, **kw):
        started.append(workers)
        return real(fn, jobs, workers, **kw)

    monkeypatch.setattr(synthsync, "worker_map", counted)
    generate(tmp_path / "s", n_train=1, n_test=1, cfg=SynthConfig(duration_s=1.0), workers=40, progress=False)
    assert started == [2]
