import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from foley.datasets.avsync15 import ClipConfig, prepare_avsync15
from foley.datasets.synthsync import generate, load_manifest
from foley.errors import FoleyError
from foley.media.audio import read_audio
from foley.media.video import probe_video


@pytest.fixture(scope="module")
def fake_avsync(tmp_path_factory):
    """A tiny AVSync15 tree made of SynthSync clips (4 s each), with one missing and one corrupt video."""
    synth = tmp_path_factory.mktemp("synth_avs")
    generate(synth, n_train=4, n_test=3, seed=5, workers=2, progress=False)
    root = tmp_path_factory.mktemp("AVSync15")
    lines = {"train": [], "test": []}
    for split in lines:
        for e in load_manifest(synth, split):
            folder = {"ball": "striking_bowling", "hammer": "hammering"}.get(e["class"], e["class"] + "_sound")
            rel = f"{folder}/{e['id']}_000010_000020_1.0_4.0.mp4"
            (root / "videos" / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(e["video"], root / "videos" / rel)
            lines[split].append(rel)
    lines["test"].append("hammering/missing_clip.mp4")
    (root / "videos" / "hammering" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    lines["train"].append("hammering/broken.mp4")
    for split, rels in lines.items():
        (root / f"{split}.txt").write_text("\n".join(rels) + "\n")
    (root / "class_mapping.json").write_text(json.dumps({"hammering": "hammering", "striking_bowling": "striking bowling"}))
    return root


def test_prepare_writes_manifests_clips_and_problems(fake_avsync, tmp_path):
    out = tmp_path / "prepared"
    result = prepare_avsync15(fake_avsync, out, workers=2, progress=False)
    assert (result["train"], result["test"], result["clips"]) == (4, 3, 9)
    assert len(result["problems"]) == 2
    problems = (out / "problems.txt").read_text()
    assert "missing_clip.mp4: no such file" in problems and "broken.mp4" in problems
    train = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert {e["caption"] for e in train} >= {"striking bowling", "hammering"}
    clips = [json.loads(x) for x in (out / "test_clips.jsonl").read_text().splitlines()]
    assert [c["start_s"] for c in clips[:3]] == [0.0, 1.0, 2.0]  # 3 windows of 2 s spread over 4 s
    for c in clips:
        info = probe_video(out / "test_clips" / f"{c['id']}.mp4")
        assert info.duration_s == pytest.approx(2.0, abs=0.05) and info.has_audio
        wav, _ = read_audio(out / "test_clips" / f"{c['id']}.wav", sample_rate=None)
        assert wav.shape == (32_000,)
        assert json.loads((out / "test_clips" / f"{c['id']}.json").read_text())["dataset"] == "avsync15"
    from foley.datasets.manifest import read_manifest

    for manifest in ("train.jsonl", "test_clips.jsonl"):  # manifests wherever they are read from
        for e in read_manifest(out / manifest):
            assert Path(e["source"]).is_file() and (out / e["audio"]).is_file()


def test_a_relative_root_gives_manifests_that_work_from_anywhere(fake_avsync, tmp_path, monkeypatch):
    monkeypatch.chdir(fake_avsync.parent)
    prepare_avsync15(fake_avsync.name, tmp_path / "out", workers=1, progress=False)
    train = [json.loads(x) for x in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert all(Path(e["video"]).is_absolute() and Path(e["video"]).is_file() for e in train)


def test_clip_windows():
    assert ClipConfig().starts(10.0) == [0.0, 4.0, 8.0]
    assert ClipConfig().starts(2.0) == [0.0]  # each window once
    assert ClipConfig().starts(1.5) == []
    assert ClipConfig(clips_per_video=1).starts(10.0) == [0.0]
    for bad in (0, float("nan"), 0.0001):  # 0.0001 s would reach ffmpeg as -t 0.000: the whole video
        with pytest.raises(FoleyError, match="positive clip length"):
            ClipConfig(clip_s=bad)
    for bad in (0, 101, 100_000):  # 100,000 windows of 2 s over a 4 s video: 2,001 clips a millisecond apart
        with pytest.raises(FoleyError, match=f"clips per video must be between 1 and 100, got {bad}"):
            ClipConfig(clips_per_video=bad)


def test_not_an_avsync_folder(tmp_path):
    with pytest.raises(FoleyError, match="AVSync16: no such folder"):
        prepare_avsync15(tmp_path / "AVSync16", tmp_path / "out")
    with pytest.raises(FoleyError, match="no videos/ folder"):
        prepare_avsync15(tmp_path, tmp_path / "out")
    (tmp_path / "videos").mkdir()
    with pytest.raises(FoleyError, match="class_mapping.json is missing"):
        prepare_avsync15(tmp_path, tmp_path / "out")
    (tmp_path / "class_mapping.json").write_text("{}")
    with pytest.raises(FoleyError, match="train.txt is missing"):
        prepare_avsync15(tmp_path, tmp_path / "out")


def test_an_empty_split_list_is_said_as_such_before_anything_is_made(fake_avsync, tmp_path, capsys):
    """It read as "no train video could be used (fix the problems and run again)" with no problem listed."""
    from foley.cli import main

    root = tmp_path / "AVSync15"
    root.mkdir()
    (root / "videos").symlink_to(fake_avsync / "videos")
    shutil.copy(fake_avsync / "class_mapping.json", root)
    for split, empty in (("train", "test"), ("test", "train")):
        shutil.copy(fake_avsync / f"{empty}.txt", root)
        (root / f"{split}.txt").write_text("\n \n")
        assert main(["prepare", "avsync15", str(root), "--out", str(tmp_path / "o"), "--quiet"]) == 2
        assert capsys.readouterr().err == (f"foley: error: {root / split}.txt: empty; it lists the {split} videos, one "
                                           "<class_folder>/<file> a line\n")
        assert not (tmp_path / "o").exists()


def test_an_out_inside_the_videos_folder_is_refused_before_anything_is_made(fake_avsync, capsys):
    from foley.cli import main

    videos = fake_avsync / "videos"
    before = sorted(p.name for p in videos.iterdir())
    for out in (videos, videos / "prepared", videos / "hammering" / "p"):
        assert main(["prepare", "avsync15", str(fake_avsync), "--out", str(out), "--quiet"]) == 2
        assert capsys.readouterr().err == (f"foley: error: {out}: is or lies inside {videos}, the videos it is "
                                           "prepared from; choose a folder outside it\n")
    assert sorted(p.name for p in videos.iterdir()) == before and not (videos / "hammering" / "p").exists()


def test_cli_reports_problems_without_stopping(fake_avsync, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "foley", "prepare", "avsync15", str(fake_avsync), "--out",
                           str(tmp_path / "o"), "--clips-per-video", "1", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "4 train videos and 3 test videos, 3 evaluation clips" in proc.stdout
    assert "2 problems in total" in proc.stderr and "Traceback" not in proc.stderr


def test_an_interrupted_preparation_goes_on_and_a_finished_one_is_kept(fake_avsync, tmp_path):
    out = tmp_path / "o"
    first = prepare_avsync15(fake_avsync, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert (first["clips"], first["reused"]) == (3, 0)
    with pytest.raises(FoleyError, match="already holds a prepared AVSync15"):
        prepare_avsync15(fake_avsync, out, workers=1, progress=False)
    # stopped after cutting: no manifests yet, one clip half written
    for name in ("train.jsonl", "test.jsonl", "test_clips.jsonl", "problems.txt"):
        (out / name).unlink()
    half = sorted((out / "test_clips").glob("*.json"))[0]
    half.unlink()
    again = prepare_avsync15(fake_avsync, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert (again["clips"], again["reused"]) == (3, 2) and half.is_file()
    assert (out / "test_clips.jsonl").read_text().count("\n") == 3


def test_an_interrupted_preparation_says_how_many_clips_it_keeps(fake_avsync, tmp_path, capsys, monkeypatch):
    import contextlib

    import tqdm

    import foley.datasets.avsync15 as avsync15
    from foley.cli import main

    bar = tqdm.tqdm

    def stopped_at_the_third(results, **kwargs):  # Ctrl-C once the third clip is cut, before the bar counts it
        for n, result in enumerate(bar(results, **kwargs)):
            if n == 2:
                raise KeyboardInterrupt
            yield result

    @contextlib.contextmanager
    def in_this_process(fn, jobs, workers):  # the clips cut one by one: none still running when it stops
        yield map(fn, jobs)

    monkeypatch.setattr(avsync15, "worker_map", in_this_process)
    monkeypatch.setattr(tqdm, "tqdm", stopped_at_the_third)
    args = ["prepare", "avsync15", str(fake_avsync), "--out", str(tmp_path / "o"), "--clips-per-video", "2", "--quiet"]
    assert main(args) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (f"foley: interrupted with 3 of 6 evaluation clips cut in "
                                                        f"{tmp_path / 'o' / 'test_clips'}; the same command keeps them "
                                                        "and cuts the rest")
    monkeypatch.undo()
    assert main(args) == 0
    assert "6 evaluation clips (3 cut by an earlier run)" in capsys.readouterr().out


def test_split_lists_naming_a_video_twice(fake_avsync, tmp_path):
    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    test = (root / "test.txt").read_text().splitlines()
    (root / "test.txt").write_text("\n".join(test + [test[0]]) + "\n")
    result = prepare_avsync15(root, tmp_path / "o", ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert result["clips"] == 3 and any(f"names {test[0]} again; it is used once" in p for p in result["problems"])
    (root / "train.txt").write_text((root / "train.txt").read_text() + test[0] + "\n")
    with pytest.raises(FoleyError, match=f"train.txt and test.txt both name {test[0]}; a video belongs to one split"):
        prepare_avsync15(root, tmp_path / "o2", workers=1, progress=False)


def test_two_videos_of_one_name_are_refused_and_a_failed_preparation_can_be_run_again(fake_avsync, tmp_path):
    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    test = (root / "test.txt").read_text().splitlines()
    twin = "lions_roaring/" + test[0].split("/")[1]  # the same file name in another class's folder
    (root / "videos" / "lions_roaring").mkdir()
    shutil.copy(root / "videos" / test[0], root / "videos" / twin)
    (root / "test.txt").write_text("\n".join(test + [twin]) + "\n")
    with pytest.raises(FoleyError, match=f"videos/{test[0]} and videos/{twin} have one name, .* rename one of them"):
        prepare_avsync15(root, tmp_path / "o", workers=1, progress=False)
    assert not (tmp_path / "o").exists()  # refused before anything is written
    (root / "test.txt").write_text("\n".join(test) + "\n")
    failed = prepare_avsync15(root, tmp_path / "o", ClipConfig(clip_s=20), workers=1, progress=False)
    assert failed["clips"] == 0 and not (tmp_path / "o" / "test_clips.jsonl").exists()  # every video too short
    again = prepare_avsync15(root, tmp_path / "o", ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert again["clips"] == 3 and (tmp_path / "o" / "test_clips.jsonl").read_text().count("\n") == 3


def test_malformed_lists_are_said_and_a_folder_of_something_else_is_not_written_into(fake_avsync, tmp_path):
    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    train = (root / "train.txt").read_text().splitlines()
    (root / "train.txt").write_bytes(b"\xef\xbb\xbf" + "\n".join(  # a BOM, and lines that name no class folder's video
        [train[0], f"./{train[1]}", train[1], "top.mp4", "/etc/hosts", "../elsewhere/x.mp4"]).encode() + b"\n")
    result = prepare_avsync15(root, tmp_path / "o", ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert result["train"] == 2
    assert sum("not <class_folder>/<file>; it is left out" in p for p in result["problems"]) == 3
    assert any(f"names {train[1]} again" in p for p in result["problems"])
    (root / "test.txt").write_bytes(b"hammering/\xff.mp4\n")
    with pytest.raises(FoleyError, match="test.txt: not a UTF-8 text file"):
        prepare_avsync15(root, tmp_path / "o2", workers=1, progress=False)
    synth = tmp_path / "synth"  # another dataset's folder: its manifests are not replaced
    generate(synth, n_train=1, n_test=1, seed=1, workers=1, progress=False)
    before = (synth / "train.jsonl").read_bytes()
    with pytest.raises(FoleyError, match="holds synthsync.json and 2 more, which no AVSync15 preparation writes"):
        prepare_avsync15(fake_avsync, synth, workers=1, progress=False)
    assert (synth / "train.jsonl").read_bytes() == before


def test_the_clip_folder_holds_only_the_clips_of_the_manifest(fake_avsync, tmp_path):
    from foley.media.ffmpeg import run_ffmpeg

    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    test = (root / "test.txt").read_text().splitlines()
    short = "hammering/short_audio.mp4"  # 4 s of picture, 1 s of sound: its later windows cannot be cut
    run_ffmpeg(["-i", str(root / "videos" / test[0]), "-map", "0:v", "-map", "0:a", "-c:v", "copy", "-t", "4",
                "-af", "atrim=0:1", str(root / "videos" / short)], what="fixture")
    (root / "test.txt").write_text("\n".join(test + [short]) + "\n")
    out = tmp_path / "o"
    result = prepare_avsync15(root, out, workers=1, progress=False)
    said = [p for p in result["problems"] if p.startswith("test clip short_audio_")]
    assert said == [f"test clip short_audio_{k}: {root / 'videos' / short}: its sound ends {end}" for k, end in (
        (0, "1.00 s into the 2 s window at 0.00 s"), (1, "before the 2 s window at 1.00 s"),
        (2, "before the 2 s window at 2.00 s"))]
    for clip in (out / "test_clips").glob("*.wav"):  # each reference holds sound in all its window
        assert read_audio(clip, sample_rate=None)[0].shape == (32_000,)
    listed = {json.loads(x)["id"] for x in (out / "test_clips.jsonl").read_text().splitlines()}
    assert {p.stem for p in (out / "test_clips").iterdir()} == listed  # no half clip of a failed window
    # an interrupted run with 3 clips per video, run again with 1: the other windows' clips go
    for name in ("train.jsonl", "test.jsonl", "test_clips.jsonl", "problems.txt"):
        (out / name).unlink()
    again = prepare_avsync15(root, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    listed = {json.loads(x)["id"] for x in (out / "test_clips.jsonl").read_text().splitlines()}
    assert again["clips"] == len(listed) == 3 and {p.stem for p in (out / "test_clips").iterdir()} == listed


def test_a_video_whose_clip_ids_are_too_long_for_file_names_is_left_out(fake_avsync, tmp_path):
    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    train = (root / "train.txt").read_text().splitlines()
    long = f"hammering/{'x' * 242}.mp4"  # its clips' feature files would be named x..x_2.safetensors: 256 bytes
    shutil.copy(root / "videos" / train[0], root / "videos" / long)
    (root / "train.txt").write_text("\n".join(train + [long]) + "\n")
    result = prepare_avsync15(root, tmp_path / "o", workers=1, progress=False)
    assert result["train"] == 4 and f"train: videos/{long}: its name (242 bytes) is too long for the files its clips " \
        "are kept in (at most 241 bytes); it is left out" in result["problems"]


def test_cli_says_why_a_preparation_is_not_finished(fake_avsync, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "foley", "prepare", "avsync15", str(fake_avsync), "--out",
                           str(tmp_path / "o"), "--clip-s", "20", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "foley: error: no evaluation clip could be used" in proc.stderr.splitlines()[-1]
    assert "prepared" not in proc.stdout  # not said prepared beside the error
    proc = subprocess.run([sys.executable, "-m", "foley", "prepare", "avsync15", str(fake_avsync), "--out",
                           str(tmp_path / "o2"), "--clip-s", "nan"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--clip-s: must be a finite number > 0" in proc.stderr


def test_a_second_run_on_the_same_folder_at_once_is_refused(fake_avsync, tmp_path):
    from foley.media.files import one_run_at_a_time

    out = tmp_path / "o"
    out.mkdir()
    with one_run_at_a_time(out, "AVSync15 preparation"):  # a first run, cutting its clips
        with pytest.raises(FoleyError, match="another run is writing this AVSync15 preparation"):
            prepare_avsync15(fake_avsync, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert {p.name for p in out.iterdir()} == {".lock"}  # it wrote nothing, nor removed the first run's clips
    result = prepare_avsync15(fake_avsync, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert result["clips"] == 3  # the folder's lock is no foreign file: it is prepared once the first run is done


def test_a_video_whose_name_starts_with_a_dot_is_left_out(fake_avsync, tmp_path):
    from foley.datasets.manifest import read_manifest

    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    train = (root / "train.txt").read_text().splitlines()
    hidden = "hammering/.hidden.mp4"  # a clip id may not start with '.': extract and tokenize would refuse the manifest
    shutil.copy(root / "videos" / train[0], root / "videos" / hidden)
    (root / "train.txt").write_text("\n".join(train + [hidden]) + "\n")
    result = prepare_avsync15(root, tmp_path / "o", ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert result["train"] == 4 and f"train: videos/{hidden}: its name starts with '.', which no clip id may " \
        "(a hidden file); it is left out" in result["problems"]
    assert len(read_manifest(tmp_path / "o" / "train.jsonl")) == 4


def test_an_interrupted_preparation_cuts_again_the_clips_of_a_video_that_changed(fake_avsync, tmp_path):
    root = tmp_path / "AVSync15"
    shutil.copytree(fake_avsync, root)
    out = tmp_path / "o"
    prepare_avsync15(root, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    for name in ("train.jsonl", "test.jsonl", "test_clips.jsonl", "problems.txt"):  # stopped before the manifests
        (out / name).unlink()
    test = (root / "test.txt").read_text().splitlines()
    shutil.copy(root / "videos" / test[1], root / "videos" / test[0])  # a video downloaded again: other content
    again = prepare_avsync15(root, out, ClipConfig(clips_per_video=1), workers=1, progress=False)
    assert (again["clips"], again["reused"]) == (3, 2)
    first, second = (Path(t).stem + "_0" for t in test[:2])
    assert (out / "test_clips" / f"{first}.wav").read_bytes() == (out / "test_clips" / f"{second}.wav").read_bytes()
