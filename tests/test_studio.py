"""The studio's compose turns without a browser (the page itself: test_ui.py)."""
import json
import re

import pytest

from foley.errors import FoleyError
from foley.media.audio import read_audio
from foley.ui import Studio
from pipeline_models import write_tiny_model


def test_a_new_bed_that_fails_leaves_the_session_as_it_was(tmp_path):
    studio = Studio(str(write_tiny_model(tmp_path / "model")), device="cpu", root=tmp_path / "root",
                    compose_model=str(tmp_path / "model" / "backbone"))
    first = studio.compose("rain", "s", duration_s=2.0, steps=2, new=True)
    assert [p.name for p in first["stems"]] == ["rain.wav"] and first["stems"][0].parent.name == "bed-1.stems"
    stem, bed = (read_audio(p)[0] for p in (first["stems"][0], first["wav"]))
    assert stem.shape == bed.shape and abs(stem - bed).max() < 2 / 32768  # one sound: the stem is the bed
    saved = (studio.session_dir("s") / "bed.json").read_bytes()
    heard = first["wav"].read_bytes()
    with pytest.raises(FoleyError, match="placing it at 12 s puts .rain. off the 2 s timeline"):
        studio.compose("rain at 12 s", "s", duration_s=2.0, steps=2, new=True)  # past the bed's end: refused
    assert (studio.session_dir("s") / "bed.json").read_bytes() == saved
    import foley.pipelines.compose as compose

    def fails(*args, **kwargs):
        raise FoleyError("the picture could not be drawn")

    original, compose.timeline_image = compose.timeline_image, fails  # a failure after the bed is rendered
    try:
        with pytest.raises(FoleyError, match="could not be drawn"):
            studio.compose("wind", "s", duration_s=2.0, steps=2, new=True)
    finally:
        compose.timeline_image = original
    assert (studio.session_dir("s") / "bed.json").read_bytes() == saved and first["wav"].read_bytes() == heard
    edited = studio.compose("make the rain quieter", "s", steps=2)  # the bed is still there to edit
    assert [t["text"] for t in edited["turns"]] == ["rain", "make the rain quieter"] and first["plan"][0][0] == "rain"
    assert json.loads((studio.session_dir("s") / "bed.json").read_text())["plan"]["events"][0]["gain_db"] < 0


def _studio(tmp_path):
    return Studio(str(write_tiny_model(tmp_path / "model")), device="cpu", root=tmp_path / "root",
                  compose_model=str(tmp_path / "model" / "backbone"))


def test_a_description_too_long_for_the_planner_is_refused_at_once(tmp_path):
    import time

    studio = _studio(tmp_path)
    start = time.monotonic()
    with pytest.raises(FoleyError, match="4804 characters long; a description or an edit takes at most 2000"):
        studio.compose("rain, " * 800 + "wind", "s", duration_s=2.0, steps=2, new=True)  # the planner took minutes
    with pytest.raises(FoleyError, match="30004 characters long; it takes at most 20000"):
        studio.compose("rain, " * 5000 + "wind", "s", duration_s=2.0, steps=2, new=True)
    assert time.monotonic() - start < 5 and not (studio.session_dir("s") / "bed.json").exists()


def test_two_turns_of_one_session_at_once_run_one_after_the_other(tmp_path, monkeypatch):
    import hashlib
    import threading

    import foley.pipelines.compose as compose

    studio = _studio(tmp_path)
    studio.compose("rain", "s", duration_s=2.0, steps=2, new=True)
    rendering, original = threading.Event(), compose.render

    def slow(plan, *args, **kwargs):  # the new bed is still rendering when the edit is pressed
        if plan.events[0].caption == "wind":
            rendering.set()
            threading.Event().wait(1.0)
        return original(plan, *args, **kwargs)

    monkeypatch.setattr(compose, "render", slow)
    results = {}

    def turn(name, *args, **kwargs):
        try:
            results[name] = studio.compose(*args, **kwargs)
        except FoleyError as e:
            results[name] = e

    new = threading.Thread(target=turn, args=("new", "wind", "s"), kwargs=dict(duration_s=2.0, steps=2, new=True))
    new.start()
    assert rendering.wait(60)
    edit = threading.Thread(target=turn, args=("edit", "make the rain quieter", "s"), kwargs=dict(steps=2))
    edit.start()
    new.join(), edit.join()
    saved = json.loads((studio.session_dir("s") / "bed.json").read_text())
    assert [e["caption"] for e in saved["plan"]["events"]] == ["wind"]  # the new bed stays, not the old one edited
    assert isinstance(results["edit"], FoleyError)  # the edit came after it: there is no rain in it to make quieter
    # the new bed's file is its own: no other turn wrote over it
    assert saved["turns"][-1]["output_sha256"] == hashlib.sha256(results["new"]["wav"].read_bytes()).hexdigest()


def test_session_ids_that_differ_get_folders_of_their_own(tmp_path):
    studio = Studio(root=tmp_path / "root")
    folders = {studio.session_dir(s) for s in ("a-b", "ab", "a_b", "-", "--", "")}
    assert len(folders) == 6 and studio.root / "sessions" not in folders


def test_compose_refusals_in_the_page_name_its_controls_not_flags(tmp_path):
    from foley.ui import for_the_page

    studio = _studio(tmp_path)
    studio.compose("rain", "s", duration_s=2.0, steps=2, new=True)
    with pytest.raises(FoleyError) as edit:
        studio.compose("a dog barks", "s", steps=2)  # a sound, said as an edit
    with pytest.raises(FoleyError) as undo:
        studio.compose("undo", "t", duration_s=2.0, steps=2, new=True)  # nothing to undo yet
    with pytest.raises(FoleyError) as redo:
        studio.compose("redo", "s", steps=2)
    said = [for_the_page(str(e.value)) for e in (edit, undo, redo)]
    assert "press New bed" in said[0] and not any("--session" in s for s in said), said
    assert "'keep the original track' would copy it again" in for_the_page(
        "alone (--mix-original), in one track (--keep-original would copy it again)")


def test_the_page_plans_with_the_planners_it_was_started_with_only(tmp_path):
    studio = _studio(tmp_path)
    with pytest.raises(FoleyError, match=r"planner 'hf:/etc' is not one this page offers \(rules; foley ui --planner"):
        studio.compose("rain", "s", duration_s=2.0, planner="hf:/etc", steps=2, new=True)
    assert studio.planner("rules") is studio.planner("rules")  # made once


def test_a_video_whose_own_sound_cannot_be_kept_is_refused_before_the_render(tmp_path, monkeypatch):
    """As foley compose --video refuses it: the page rendered the bed first, then named the server's copy of the video."""
    import foley.pipelines.compose as compose
    from conftest import sixteen_channel_clip
    from foley.ui import for_the_page

    studio = _studio(tmp_path)
    upload = tmp_path / "root" / "uploads" / "u1" / "clip.mov"
    upload.parent.mkdir(parents=True)
    sixteen_channel_clip(upload)

    def render(*args, **kwargs):
        raise AssertionError("rendered")

    monkeypatch.setattr(compose, "render", render)
    with pytest.raises(FoleyError) as refused:
        studio.compose("rain", "s", steps=2, new=True, video=str(upload))
    assert for_the_page(str(refused.value), str(upload)) == (
        "clip.mov: its audio track has 16 channels and cannot be kept as a second track (it would be encoded to "
        "AAC, which holds at most 8)")
    assert not (studio.session_dir("s") / "bed.json").exists()


def test_a_bed_keeps_its_video_when_the_upload_is_cleaned_away(tmp_path):
    import shutil
    from pathlib import Path

    studio = _studio(tmp_path)
    upload = tmp_path / "root" / "uploads" / "u1" / "hammer.mp4"
    upload.parent.mkdir(parents=True)
    shutil.copyfile(Path(__file__).parents[1] / "data" / "examples" / "hammer.mp4", upload)
    first = studio.compose("rain", "s", steps=2, new=True, video=str(upload))
    shutil.rmtree(upload.parent)  # the page's uploads are removed a day after they came
    edited = studio.compose("make the rain quieter", "s", steps=2)
    assert edited["video"].exists() and edited["video"] != first["video"]
    assert [p.name for p in (studio.session_dir("s") / "videos").glob("*/*")] == ["hammer.mp4"]
    studio.compose("wind", "s", duration_s=2.0, steps=2, new=True)  # a new bed without the video
    assert not list((studio.session_dir("s") / "videos").iterdir())



def test_a_session_keeps_the_files_of_its_last_turn_only(tmp_path):
    import shutil
    from pathlib import Path

    studio = _studio(tmp_path)
    upload = tmp_path / "root" / "uploads" / "u1" / "hammer.mp4"
    upload.parent.mkdir(parents=True)
    shutil.copyfile(Path(__file__).parents[1] / "data" / "examples" / "hammer.mp4", upload)
    folder = studio.session_dir("s")

    def files():
        return sorted(p.name for p in folder.glob("bed-*"))

    studio.compose("rain", "s", steps=2, new=True, video=str(upload))
    for edit in ("make the rain quieter", "make the rain louder", "undo"):  # each wrote a bed, a picture, stems, a video
        last = studio.compose(edit, "s", steps=2)
    assert files() == ["bed-4.mp4", "bed-4.png", "bed-4.stems", "bed-4.wav"]  # the page shows no earlier turn's
    assert all(p.exists() for p in [last["wav"], last["picture"], last["video"], *last["stems"]])
    with pytest.raises(FoleyError, match="off the 4 s timeline"):
        studio.compose("rain at 12 s", "s", duration_s=4.0, steps=2, new=True)
    assert files() == ["bed-4.mp4", "bed-4.png", "bed-4.stems", "bed-4.wav"]  # a failed turn removes nothing
    new = studio.compose("wind", "s", duration_s=2.0, steps=2, new=True)
    assert files() == [f"{new['wav'].stem}{suffix}" for suffix in (".png", ".stems", ".wav")]


def test_the_address_check_says_whether_only_this_machine_can_open_the_page():
    import socket

    from foley.ui import check_address

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert check_address("127.0.0.1", port) is True and check_address("localhost", port) is True
    assert check_address("0.0.0.0", port) is False  # every address of the machine

def test_ctrl_c_while_a_dub_runs_stops_the_server_without_aborting(tmp_path):
    """Python's exit stopped the worker thread of a running dub inside torch: the process aborted
    ("terminate called without an active exception", SIGABRT) instead of stopping."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    from gradio_client import Client, handle_file

    model = write_tiny_model(tmp_path / "model")
    started = tmp_path / "started"
    slow = (f"import sys, torch\nfrom foley.pipelines.dub import FoleyPipeline\n"
            f"def dub(self, *args, **kwargs):  # a dub that takes its time in torch\n"
            f"    open({str(started)!r}, 'w').close()\n    x = torch.randn(300, 300)\n"
            f"    while True:\n        x = torch.tanh(x @ x)\n"
            f"FoleyPipeline.dub = dub\nfrom foley.cli import main\nsys.exit(main())\n")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", slow, "ui", "--model", str(model), "--compose-model",
                             str(model / "backbone"), "--port", str(port), "--device", "cpu"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                assert proc.poll() is None and time.time() < deadline, "foley ui did not start"
                time.sleep(0.5)
        example = Path(__file__).resolve().parents[1] / "data" / "examples" / "hammer.mp4"
        client.submit(handle_file(str(example)), "", 2, 5, 0, False, False, -12, api_name="/run_dub")
        while not started.exists():
            assert proc.poll() is None and time.time() < deadline, "the dub did not start"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        log = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0 and "terminate called" not in log, log[-2000:]
    assert "the dub or compose turn under way is dropped" in log
    root = re.search(r"files under (\S+), removed on exit", log)
    assert root and not Path(root.group(1)).exists()


def test_the_dub_picture_of_a_long_track_takes_the_memory_of_a_short_ones(tmp_path):
    """The dub tab's picture of a 10-minute track held 1.2 GB of arrays, and it grew with the track (the page's
    server went past 19 GB on a long upload); pooled, and its onsets found a minute at a time, under 0.4 GB."""
    import tracemalloc
    from types import SimpleNamespace

    import numpy as np

    from foley.media.audio import write_audio
    from foley.ui import onset_picture

    rate, seconds = 16_000, 600
    track = np.zeros(seconds * rate, np.float32)
    track[rate::2 * rate] = 0.5  # a click every 2 s
    wav = write_audio(tmp_path / "long.wav", track, rate)
    tracemalloc.start()
    try:
        onset_picture(wav, SimpleNamespace(frame_count=seconds * 25, fps=25.0), tmp_path / "long.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400e6 and (tmp_path / "long.png").stat().st_size > 0


def test_a_port_taken_while_the_models_load_is_said_in_one_line_and_no_address_is_printed(tmp_path):
    """The port was free when checked and another program (a second foley ui) took it while the models
    loaded: the page printed its address, then Gradio's 'Cannot find empty port ... passing the
    `server_port` parameter to `launch()`'."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    model = write_tiny_model(tmp_path / "model")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = ("import socket, sys\nimport foley.ui\n"
              "taken = socket.socket()\ntaken.bind(('127.0.0.1', 0))\ntaken.listen()\nport = taken.getsockname()[1]\n"
              "foley.ui.check_address = lambda host, port: True  # it was free then\n"
              "from foley.cli import main\n"
              f"sys.exit(main(['ui', '--model', {str(model)!r}, '--compose-model', {str(model / 'backbone')!r}, "
              "'--device', 'cpu', '--port', str(port)]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TMPDIR": str(scratch)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == "", done.stdout + done.stderr
    assert re.fullmatch(r"foley: error: cannot serve on 127\.0\.0\.1:\d+ \(taken while the models loaded\)\n",
                        done.stderr), done.stderr
    assert not list(scratch.glob("foley-ui-*"))  # its temporary root is gone


def test_the_dub_tab_notes_caption_words_the_model_never_learned_as_foley_dub_does(tmp_path):
    """`foley dub --caption` said that the demo backbone hears the caption without the words it never
    learned; the page, given the same caption, said only "Done."."""
    studio = Studio("demo", device="cpu", root=tmp_path / "root")
    caption = "a zorkle flibbers on metal"
    result = studio.dub("data/examples/hammer.mp4", "s", caption, steps=1)
    said = studio.pipeline.caption_notes(caption)
    assert said and "'zorkle' and 'flibbers' are not in this backbone's vocabulary" in said[0]
    assert result["notes"][0] == said[0] and str(tmp_path) not in result["notes"][0]
    assert studio.pipeline.caption_notes("a hammer on metal", where=False) == []  # words it knows: nothing to say


def test_a_pasted_plan_keeps_its_own_length_in_the_session_and_under_a_video(tmp_path):
    """A plan pasted as JSON gives its own length: the session kept the duration field's instead, so an
    edit said 'this bed stays 2 s long' of a 1.5 s bed and the table took an event past its end (the bed
    grew to 2 s); under a video, a bed shorter than it was laid with 'the bed is as long as the video'."""
    from pathlib import Path

    studio = _studio(tmp_path)
    pasted = json.dumps({"duration_s": 1.5, "events": [{"caption": "rain", "start": 0, "end": 1.5}]})
    first = studio.compose(pasted, "s", duration_s=2.0, steps=2, new=True)
    assert first["notes"][-1] == "the plan gives its own length, 1.5 s; the duration 2 s is not used"
    assert json.loads((studio.session_dir("s") / "bed.json").read_text())["duration_s"] == 1.5
    heard = len(read_audio(first["wav"])[0])
    with pytest.raises(FoleyError, match=re.escape("lies outside the 1.5 s timeline")):
        studio.compose("", "s", 2.0, steps=2, table=[*first["plan"], ["wind", 1.6, 1.9, 0.0, False, None, None, ""]])
    edited = studio.compose("make the rain quieter", "s", duration_s=2.0, steps=2)
    assert edited["notes"][-1] == "this bed stays 1.5 s long; a duration applies to a new bed (New bed)"
    assert len(read_audio(edited["wav"])[0]) == heard
    video = Path(__file__).parents[1] / "data" / "examples" / "hammer.mp4"  # 4 s
    with pytest.raises(FoleyError, match=re.escape("the plan is 1.5 s long and the video 4 s; a bed laid under a "
                                                   "video is as long as the video")):
        studio.compose(pasted, "v", steps=2, new=True, video=str(video))
    assert not (studio.session_dir("v") / "bed.json").exists()


def test_an_edit_on_the_page_does_not_repeat_the_notes_of_the_sounds_it_left_as_they_were(tmp_path):
    """foley compose gives a follow-up turn's notes of the sounds it changed only; the page repeated every
    note on every turn ('a dog barks ... is cut there' again on an edit of the rain)."""
    studio = _studio(tmp_path)
    cut = "'a dog barks' at 3.5 s still sounds when the bed ends at 4 s and is cut there"
    first = studio.compose("rain, a dog barks at 3.5 s", "s", duration_s=4.0, steps=2, new=True)
    assert [row[:3] for row in first["plan"]] == [["rain", 0.0, 4.0], ["a dog barks", 3.5, 4.0]]
    assert len(first["notes"]) == 1 and first["notes"][0].startswith(cut)
    quieter = studio.compose("make the rain quieter", "s", duration_s=4.0, steps=2)
    # what the edit did, as foley compose says it; no note of the dog: it is as the first turn made it, said then
    assert quieter["notes"] == ["changed: rain: +0 dB -> -6 dB"]
    resampled = studio.compose("make the rain quieter", "s", duration_s=4.0, steps=3)  # every take made anew
    assert len(resampled["notes"]) == 2 and resampled["notes"][1].startswith(cut)
    saved = json.loads((studio.session_dir("s") / "bed.json").read_text())  # what a turn's takes are made with
    assert saved["model"] == str((tmp_path / "model" / "backbone").resolve())
    assert saved["sampler"] == {"steps": 3, "guidance": studio.compose_sampler.guidance}


def test_undo_on_the_page_goes_back_at_the_turns_settings_and_an_edit_that_changes_nothing_is_no_turn(tmp_path):
    studio = _studio(tmp_path)
    studio.compose("a ball bounces, then wind, then a drum", "s", duration_s=4.0, steps=2, guidance=3, new=True)
    studio.compose("make the drum louder by 6 dB", "s", duration_s=4.0, steps=3, guidance=4)
    back = studio.compose("undo", "s", duration_s=4.0, steps=5, guidance=6)  # the sliders moved since
    assert back["turns"][-1]["generated"] == 0 and back["turns"][-1]["sampler"] == {"steps": 2, "guidance": 3.0}
    assert "undone at the steps and guidance the bed had then (2 steps, guidance 3), not the sliders'" in back["notes"]
    assert back["plan"][1][1:3] == [1.33, 4.0]  # the wind from 1.333 s, shown rounded
    saved = (studio.session_dir("s") / "bed.json").read_bytes()
    for text, table in (("", back["plan"]), ("move the ball to 0 s", None)):
        with pytest.raises(FoleyError, match="changes nothing: the plan would be as it is$"):
            studio.compose(text, "s", duration_s=4.0, steps=2, guidance=3, table=table)
    assert (studio.session_dir("s") / "bed.json").read_bytes() == saved
    back["plan"][2][3] = -3.0  # one cell edited: the other rows keep their events as they were
    quieter = studio.compose("", "s", duration_s=4.0, steps=2, guidance=3, table=back["plan"])
    assert quieter["turns"][-1]["generated"] == 0 and len(quieter["turns"]) == 4
    assert [e["start_s"] for e in quieter["turns"][-1]["plan"]["events"]] == [0.0, 1.333, 2.667]


def test_a_turn_on_the_page_keeps_the_scheduler_and_alignment_a_command_line_turn_gave_its_session(tmp_path, foley_cli):
    """The page rendered every turn with the backbone's scheduler and aligned onsets: a session continued from
    `foley compose --session ... --scheduler ddim --no-align` had all its sounds made again, and its alignment
    recorded as off while the page's turn had them aligned; an edit that said 'fade' was not told that none sets one."""
    studio = _studio(tmp_path)
    session = studio.session_dir("s") / "bed.json"
    first = foley_cli(["compose", "--session", session, "--model", tmp_path / "model" / "backbone", "--device", "cpu",
                       "--duration", "2", "--steps", "2", "--scheduler", "ddim", "--no-align", "a ball bounces"],
                      cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    quieter = studio.compose("make the ball quieter", "s", duration_s=2.0, steps=2)
    assert quieter["turns"][-1]["generated"] == 0  # the command line's takes, not new ones
    saved = json.loads(session.read_text())
    assert saved["align"] is False and saved["sampler"]["scheduler"] == "ddim"
    studio.compose("make the ball louder", "s", duration_s=2.0, steps=3)  # made anew at 3 steps
    back = studio.compose("undo", "s", duration_s=2.0, steps=3)
    assert back["turns"][-1]["generated"] == 0 and back["turns"][-1]["align"] is False
    with pytest.raises(FoleyError, match="changes nothing: the plan would be as it is; a sound's end is faded over"):
        studio.compose("fade out the ball at the end", "s", duration_s=2.0, steps=2)


def test_the_page_and_the_command_line_each_leave_the_picture_and_stems_of_the_bed_they_wrote(tmp_path, foley_cli):
    """The page recorded no timeline picture or stems in its session: `foley compose --session` on it rewrote the
    bed and left beside it the page's picture and stems of the plan before; a page turn on a session the command
    line started left that one's bed, picture and stems beside its own."""
    from foley.pipelines.compose import Session

    studio = _studio(tmp_path)
    folder = studio.session_dir("s")
    cli = ["compose", "--session", folder / "bed.json", "--device", "cpu", "--steps", "2"]
    first = foley_cli([*cli, "--model", tmp_path / "model" / "backbone", "--duration", "2", "--timeline",
                       folder / "bed.png", "--stems", "rain, then a dog barks"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert {p.name for p in folder.iterdir()} >= {"bed.wav", "bed.png", "bed.stems"}
    page = studio.compose("make the rain quieter", "s", duration_s=2.0, steps=2)
    assert sorted(p.name for p in folder.iterdir()) == ["bed-2.png", "bed-2.stems", "bed-2.wav", "bed.json",
                                                        "bed.json.cache"]
    dog = page["stems"][1].read_bytes()
    edited = foley_cli([*cli, "make the dog louder"], cwd=tmp_path)
    assert edited.returncode == 0, edited.stderr
    assert f"wrote {page['picture']}: the plan over the spectrogram" in edited.stdout
    assert f"wrote {folder / 'bed-2.stems'}/: 2 stems" in edited.stdout and page["stems"][1].read_bytes() != dog
    unchanged, changed = Session.open(folder / "bed.json", 2.0).own_files()  # each as this turn wrote it
    assert unchanged == {p.resolve() for p in [page["wav"], page["picture"], *page["stems"]]} and not changed


def test_a_page_turn_says_so_when_it_generates_again_the_sounds_of_another_backbone(tmp_path, foley_cli):
    """A session of `foley compose --model OTHER` had its sounds made again with the page's backbone without a word."""
    import shutil

    studio = _studio(tmp_path)
    other = shutil.copytree(tmp_path / "model" / "backbone", tmp_path / "other")  # another backbone to the cache
    first = foley_cli(["compose", "--session", studio.session_dir("s") / "bed.json", "--model", other, "--device",
                       "cpu", "--duration", "2", "--steps", "2", "rain"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    said = "this bed was composed with the backbone other; its sounds are generated again with this page's, backbone"
    quieter = studio.compose("make the rain quieter", "s", duration_s=2.0, steps=2)
    assert quieter["turns"][-1]["generated"] == 1 and quieter["notes"] == ["changed: rain: +0 dB -> -6 dB", said]
    louder = studio.compose("make the rain louder", "s", duration_s=2.0, steps=2)  # the page's own now: no note
    assert louder["notes"] == ["changed: rain: -6 dB -> +0 dB"]


def test_a_page_turn_is_refused_while_a_command_line_turn_holds_its_session(tmp_path):
    """The page took no part in foley compose's turn lock: a page turn made while `foley compose --session` ran on
    its file was dropped when that turn saved, its bed left beside the other's; and a session file that is no
    session was named by the server's path."""
    from foley.pipelines.compose import turn_lock

    studio = _studio(tmp_path)
    studio.compose("rain", "s", duration_s=2.0, steps=2, new=True)
    path = studio.session_dir("s") / "bed.json"
    saved = path.read_bytes()
    with turn_lock(path):  # as a command-line turn holds it while it runs
        with pytest.raises(FoleyError, match="^bed.json: another turn on this session is running; run this one when "
                                             "it has finished$"):
            studio.compose("make the rain quieter", "s", duration_s=2.0, steps=2)
    assert path.read_bytes() == saved and len(list(path.parent.glob("bed-*.wav"))) == 1
    path.write_text("{")
    with pytest.raises(FoleyError, match=r"^bed.json: not a foley compose session \(Expecting"):
        studio.compose("make the rain quieter", "s", duration_s=2.0, steps=2)
