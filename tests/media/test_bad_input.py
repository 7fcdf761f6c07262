"""Every bad input gets one clear line and a non-zero exit, or works in bounded memory."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from foley.errors import MediaError
from foley.media.audio import write_audio
from foley.media.ffmpeg import run_ffmpeg
from foley.media.mux import mux_audio
from foley.media.video import FrameSpec, decode_frames, probe_video

from conftest import lavfi_video, read_index, sine


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "foley.cli", *map(str, args)], capture_output=True, text=True)


def assert_one_clear_line(proc, path, problem):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(path) in lines[0] and problem in lines[0], lines[0]


def zero_frame_video(path):
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        c.start_encoding()
    return path


def audio_only(path):
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(path)], what=str(path))
    return path


def truncated(src, path, keep=0.5, faststart=False):
    if faststart:
        run_ffmpeg(["-i", str(src), "-c", "copy", "-movflags", "+faststart", str(path)], what=str(path))
        src = path
    data = open(src, "rb").read()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def raw_h264(path):  # an Annex B stream: no container, so no picture carries a time
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=0.4", "-c:v", "libx264", "-f", "h264",
                str(path)], what=str(path))
    return path


def text_file(path):
    path.write_text("hello, not a video\n")
    return path


CASES = {
    "missing": (lambda d: d / "nope.mp4", "no such file"),
    "empty": (lambda d: (d / "empty.mp4").touch() or d / "empty.mp4", "the file is empty"),
    "text named mp4": (lambda d: text_file(d / "notes.mp4"), "not a readable media file"),
    "audio only": (lambda d: audio_only(d / "sound.mp4"), "audio-only"),
    "zero frames (mkv)": (lambda d: zero_frame_video(d / "zero.mkv"), "empty or truncated"),
    "zero frames (mov)": (lambda d: zero_frame_video(d / "zero.mov"), "has no video frames"),
    "raw H.264": (lambda d: raw_h264(d / "raw.h264"), "its 10 pictures carry no times"),
    "directory": (lambda d: d, "is a directory"),
    "named pipe": (lambda d: os.mkfifo(d / "pipe.mp4") or d / "pipe.mp4", "not a regular file"),
}


@pytest.mark.parametrize("case", CASES)
def test_probe_and_decode_fail_with_one_line(tmp_path, case):
    make, problem = CASES[case]
    path = make(tmp_path)
    with pytest.raises(MediaError, match=problem):
        decode_frames(path)
    assert_one_clear_line(run_cli("probe", path), path, problem)


def test_an_empty_path_names_no_file():
    from foley.media.audio import read_audio

    for read in (decode_frames, read_audio):  # it read as the current folder: ".: is a directory"
        with pytest.raises(MediaError, match=r"^no file given \(the path is empty\)$"):
            read("")


@pytest.mark.parametrize("cut", ["in its media data", "in its first box"])
def test_truncated_mp4_moov_at_end(av_clip, tmp_path, cut):
    """Cut before its index (the moov box a camera writes last): said so, not as unreadable data."""
    path = tmp_path / "cut.mp4"
    data = av_clip.read_bytes()
    moov = data.rindex(b"moov") - 4  # ffmpeg writes it last
    path.write_bytes(data[:moov - 1000] if cut == "in its media data" else data[:20])
    said = "an MP4/MOV file cut short, or still being written: its index (the moov box) is missing or incomplete"
    with pytest.raises(MediaError, match=re.escape(said)):
        probe_video(path)
    assert_one_clear_line(run_cli("probe", path), path, said)
    whole = tmp_path / "whole.mp4"
    whole.write_bytes(data)
    assert probe_video(whole).frame_count > 1  # the same file whole is read


def test_truncated_mp4_moov_first(av_clip, tmp_path):
    path = truncated(av_clip, tmp_path / "cut_fs.mp4", keep=0.6, faststart=True)
    with pytest.raises(MediaError, match=r"truncated: frames stop at 1\.\d+ s of the 2\.00 s"):
        decode_frames(path)
    assert_one_clear_line(run_cli("probe", path), path, "truncated")


@pytest.mark.parametrize("suffix, kind", [(".avi", "AVI"), (".mkv", "Matroska")])
def test_an_avi_or_matroska_cut_short_is_refused(tmp_path, suffix, kind):
    """FFmpeg probed an AVI or Matroska file cut short as a shorter video without a word (an AVI's
    frame count, a Matroska file's duration are guesses from what is there); the RIFF or segment
    size its header gives is held against the file's."""
    whole = lavfi_video(tmp_path / f"whole{suffix}", "testsrc=s=64x48:r=25:d=2")
    assert probe_video(whole).frame_count == 50
    path = truncated(whole, tmp_path / f"cut{suffix}", keep=0.6)
    said = f"the {kind} file is cut short: its header gives {whole.stat().st_size:,} bytes, the file holds "
    with pytest.raises(MediaError, match=re.escape(said)):
        probe_video(path)
    assert_one_clear_line(run_cli("probe", path), path, said)


def corrupt_in_the_middle(video, path):
    data = bytearray(open(video, "rb").read())
    rng = np.random.default_rng(0)
    mid = len(data) // 2
    data[mid:mid + 2000] = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def test_corrupt_bytes_in_the_middle(av_clip, tmp_path):
    path = corrupt_in_the_middle(av_clip, tmp_path / "corrupt.mp4")
    try:
        frames = decode_frames(path)
    except MediaError as e:
        assert str(path) in str(e)
    else:
        assert frames.shape == (43, 224, 224, 3)


def test_frames_that_do_not_decode_leave_no_decoder_to_the_garbage_collector(av_clip, tmp_path):
    """A decoder held in a reference cycle is freed whenever the collector runs, in a worker process
    forked meanwhile too (foley's worker pools), where freeing it waits forever for its threads: the
    fork did not copy them. (tests/media then tests/evaluation in one run hung so.)"""
    import gc

    path = corrupt_in_the_middle(av_clip, tmp_path / "corrupt.mp4")
    gc.collect()
    try:
        decode_frames(path)
    except MediaError:
        pass
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        left = sorted({type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("av.")})
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
    assert left == []


def test_one_by_one_pixel_video(tmp_path):
    path = tmp_path / "dot.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=white:s=1x1:r=25:d=1", "-c:v", "libx264", "-pix_fmt", "yuv444p", str(path)],
               what=str(path))
    frames = decode_frames(path)
    assert frames.shape == (22, 224, 224, 3) and frames.min() > 200


def test_non_ascii_and_space_paths(cfr_video, tmp_path):
    folder = tmp_path / "dossier à vidéos 日本"
    folder.mkdir()
    path = folder / "mon clip ü.mp4"
    shutil.copy(cfr_video[0], path)
    before = path.read_bytes()
    assert read_index(decode_frames(path, spec=FrameSpec(size=None))[10]) == 14  # 10/21.5 s -> frame 14
    proc = run_cli("probe", "--json", path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["frame_count"] == 90
    wav = folder / "son é.wav"
    write_audio(wav, sine(440, 3.0, 16_000), 16_000)
    out = mux_audio(path, wav, folder / "sortie ß.mp4")
    assert probe_video(out).has_audio and path.read_bytes() == before  # input untouched


# Peak resident memory from VmHWM, which exec resets (ru_maxrss would carry over the
# forking test process's own peak).
PEAK_RSS = textwrap.dedent("""
    import re, sys
    from foley.media.video import FrameSpec, iter_frames
    n = sum(len(c) for c in iter_frames(sys.argv[1], fps=21.5, spec=FrameSpec(size=224), backend=sys.argv[2]))
    hwm_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
    print(n, hwm_kb // 1024)
""")


def peak_rss_decode(path, backend="auto"):
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, str(path), backend], capture_output=True, text=True, check=True)
    n, rss_mb = map(int, proc.stdout.split())
    return n, rss_mb


def test_8k_video_decodes_in_bounded_memory(tmp_path):
    path = lavfi_video(tmp_path / "8k.mp4", "testsrc=s=7680x4320:r=25:d=0.2")
    assert probe_video(path).width == 7680
    n, rss_mb = peak_rss_decode(path)
    assert n == 5 and rss_mb < 1500, rss_mb  # the whole video at 8K would be ~500 MB per 5 frames x several copies


def test_one_hour_video_streams_in_bounded_memory(tmp_path):
    path = lavfi_video(tmp_path / "hour.mp4", "color=c=blue:s=32x32:r=1:d=3600")
    info = probe_video(path)
    assert info.duration_s == pytest.approx(3600.0) and info.frame_count == 3600
    n, rss_mb = peak_rss_decode(path)
    # 77,400 frames of 224x224x3 would be 11.6 GB if held at once.
    assert n == 77_400 and rss_mb < 1000, rss_mb


def test_an_output_another_run_wrote_meanwhile_is_kept(tmp_path):
    from foley.errors import FoleyError
    from foley.media.files import atomic_path, atomic_paths

    final = tmp_path / "bed.wav"
    with pytest.raises(FoleyError, match=r"bed.wav: another run wrote it while this one ran; it is kept"):
        with atomic_paths([final], fresh={final}) as (part,):
            part.write_bytes(b"this run's")
            final.write_bytes(b"the other run's")  # written while this one ran
    assert final.read_bytes() == b"the other run's" and os.listdir(tmp_path) == ["bed.wav"]
    with atomic_path(final) as part:  # replacing, as asked
        part.write_bytes(b"this run's")
    assert final.read_bytes() == b"this run's"


def test_files_written_together_reach_their_paths_together_or_not_at_all(tmp_path, monkeypatch):
    from foley.errors import FoleyError
    from foley.media import files
    from foley.media.files import atomic_paths

    bed, movie, picture = tmp_path / "bed.wav", tmp_path / "bed.mp4", tmp_path / "bed.png"
    bed.write_bytes(b"old bed")
    movie.write_bytes(b"old video")
    with atomic_paths([bed, movie]) as (bed_part, movie_part):
        bed_part.write_bytes(b"new bed")
        movie_part.write_bytes(b"new video")
    assert (bed.read_bytes(), movie.read_bytes()) == (b"new bed", b"new video")

    real_replace = os.replace  # the second rename fails (a file that may not be replaced)

    def refuse_the_video(src, dst):
        if Path(dst) == movie:
            raise PermissionError(1, "Operation not permitted")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", refuse_the_video)
    picture.write_bytes(b"old picture")
    with pytest.raises(FoleyError, match=r"^.*bed.mp4: cannot be written \(Operation not permitted\); none of this "
                                         r"run's files are written$"):
        with atomic_paths([bed, picture, movie]) as parts:
            for part in parts:
                part.write_bytes(b"newer")
    assert (bed.read_bytes(), picture.read_bytes(), movie.read_bytes()) == (b"new bed", b"old picture", b"new video")

    def interrupted_at_the_video(src, dst):  # Ctrl-C between two renames
        if Path(dst) == movie:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", interrupted_at_the_video)
    with pytest.raises(KeyboardInterrupt):
        with atomic_paths([bed, picture, movie]) as parts:
            for part in parts:
                part.write_bytes(b"newer")
    assert (bed.read_bytes(), picture.read_bytes(), movie.read_bytes()) == (b"new bed", b"old picture", b"new video")
    monkeypatch.undo()
    (tmp_path / "new.mp4").mkdir()  # a folder of an output's name: refused before any file is placed
    with pytest.raises(FoleyError, match=r"new.mp4: cannot be written \(a folder of that name is there\)"):
        with atomic_paths([tmp_path / "new.wav", tmp_path / "new.mp4"]) as parts:
            for part in parts:
                part.write_bytes(b"x")
    assert sorted(os.listdir(tmp_path)) == ["bed.mp4", "bed.png", "bed.wav", "new.mp4"]  # no temporary file left
    with pytest.raises(FoleyError, match=r"new.mp4: cannot be written \(a folder of that name is there\)"):
        files.check_writable(tmp_path / "new.mp4")  # and said before any work, by the check made before it


def test_a_file_replaced_through_a_link_stays_linked(tmp_path):
    from foley.media.files import atomic_path, atomic_paths

    (tmp_path / "sessions").mkdir()
    target, link = tmp_path / "sessions" / "bed.json", tmp_path / "bed.json"
    target.write_text("turn 1")
    link.symlink_to(target)
    with atomic_path(link) as part:
        part.write_text("turn 2")
    assert link.is_symlink() and target.read_text() == "turn 2"
    with atomic_paths([link, tmp_path / "bed.wav"]) as (part, wav):
        part.write_text("turn 3")
        wav.write_bytes(b"bed")
    assert link.is_symlink() and target.read_text() == "turn 3"
    assert sorted(os.listdir(tmp_path / "sessions")) == ["bed.json"]  # no temporary file left there
    broken = tmp_path / "broken.json"  # a link to nothing is replaced, not followed
    broken.symlink_to(tmp_path / "nowhere.json")
    with atomic_path(broken) as part:
        part.write_text("new")
    assert not broken.is_symlink() and broken.read_text() == "new" and not (tmp_path / "nowhere.json").exists()


def test_a_folder_replacement_stopped_half_way_leaves_the_old_folder(tmp_path, monkeypatch):
    import os

    from foley.media import files

    final = tmp_path / "checkpoint"
    final.mkdir()
    (final / "state.json").write_text("old")
    real, calls = os.replace, []

    def stopped_after_the_first(src, dst):  # Ctrl-C between moving the old folder aside and the new one in
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(files.os, "replace", stopped_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        with files.atomic_dir(final) as tmp:
            (tmp / "state.json").write_text("new")
    monkeypatch.undo()
    assert (final / "state.json").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def _writing(final: Path, what: str, then: str) -> subprocess.Popen:
    """A process that starts writing ``final`` with ``what`` (atomic_path or atomic_dir), says so on stdout and
    ``then`` dies (kill -9 of itself) or waits to be killed, its temporary file or folder left behind."""
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        from foley.media.files import atomic_dir, atomic_path
        with {what}({str(final)!r}) as tmp:
            (tmp / "state.json" if tmp.is_dir() else tmp).write_text("half")
            print("writing", flush=True)
            if {then!r} == "dies":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "writing\n"
    return proc


@pytest.mark.skipif(os.name != "posix", reason="a dead writer is told by its process id on POSIX systems")
def test_what_killed_writers_left_goes_at_the_next_write_there(tmp_path):
    from foley.media.files import atomic_dir, atomic_path

    final = tmp_path / "clip.wav"
    _writing(final, "atomic_path", "dies").wait()
    [dead] = tmp_path.glob(".clip.*.part.wav")  # hidden, half written, of no running process
    live = _writing(final, "atomic_path", "waits")  # its first write there removes what the dead writer left
    try:
        [working] = tmp_path.glob(".clip.*.part.wav")
        assert working != dead
        _writing(tmp_path / "other.wav", "atomic_path", "dies").wait()  # a writer still at work keeps its file
        assert len(list(tmp_path.glob(".*.part.wav"))) == 2
        old_style = tmp_path / ".clip.x1y2z3w4.part.wav"  # not named as a writer of this host names it: not ours
        old_style.write_bytes(b"?")
        with atomic_path(final) as part:
            part.write_text("whole")
        assert final.read_text() == "whole"
        assert sorted(p.name for p in tmp_path.glob(".*")) == sorted([old_style.name, working.name])
    finally:
        live.kill()
        live.wait()
    checkpoint = tmp_path / "run" / "checkpoint"
    _writing(checkpoint, "atomic_dir", "dies").wait()
    assert len(list(checkpoint.parent.glob(".checkpoint.*.part"))) == 1
    with atomic_dir(checkpoint) as tmp:
        (tmp / "state.json").write_text("whole")
    assert (checkpoint / "state.json").read_text() == "whole" and os.listdir(checkpoint.parent) == ["checkpoint"]


def test_folders_made_for_a_run_that_wrote_nothing_are_removed_even_when_a_deeper_one_was_not_made(tmp_path):
    """compose --session out/s.json made out/ (checked writable) but not out/s.json.cache/ before it was refused:
    out/ stayed behind."""
    from foley.media.files import missing_folders, removed_if_empty

    cache = tmp_path / "out" / "s.json.cache"
    with removed_if_empty(missing_folders(cache)):
        (tmp_path / "out").mkdir()
    assert list(tmp_path.iterdir()) == []
    with removed_if_empty(missing_folders(cache)):
        cache.mkdir(parents=True)
        (tmp_path / "out" / "s.json").write_text("{}")  # written: it and its folder stay, the empty cache goes
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["s.json"]


def test_sizes_are_said_in_the_unit_that_fits():
    from foley.media.files import size_said
    assert [size_said(n) for n in (66_000, 1_500_000, 2_340_000_000, 12_800_000_100_000)] == [
        "66 kB", "1.5 MB", "2.3 GB", "12.8 TB"]
