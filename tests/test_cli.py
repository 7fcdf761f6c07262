import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def foley(*args):
    return subprocess.run([sys.executable, "-m", "foley.cli", *map(str, args)], capture_output=True, text=True)


def proc_ok(proc):
    assert proc.returncode == 0, proc.stderr
    return proc


def test_version_and_help():
    proc = foley("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("foley ")
    assert "prepare" in foley("--help").stdout


def test_compose_help_lists_the_edits_the_rules_planner_reads(foley_cli, tmp_path):
    done = foley_cli(["compose", "--help"], cwd=tmp_path)
    assert done.returncode == 0 and "follow-up edits (with --session) the rules planner reads: another take" in \
        " ".join(done.stdout.split())


@pytest.mark.parametrize("args, said", [
    (["dub", "x.mp4", "--steps", "0"], "foley dub: error: argument --steps: must be between 1 and 1000, got 0 "
                                       "(see foley dub --help)"),
    (["prepare", "synth"], "foley prepare synth: error: the following arguments are required: -o/--out/--output "
                           "(see foley prepare synth --help)"),
    ([], "foley: error: the following arguments are required: COMMAND (see foley --help)"),
    (["dub", "x.mp4", "--nope"], "foley dub: error: unrecognized arguments: --nope (see foley dub --help)"),
    (["prepare", "synth", "--out", "o", "-z"], "foley prepare synth: error: unrecognized arguments: -z "
                                                "(see foley prepare synth --help)"),
    (["dub", "x.mp4", "--over"], "foley dub: error: unrecognized arguments: --over (see foley dub --help)"),  # no prefixes
    (["dub", "x.mp4", "--seed", "1" + "0" * 20], "foley dub: error: argument --seed: must be between 0 and 4294967295, "
                                               f"got 1{'0' * 20} (see foley dub --help)"),
    (["compose", "rain", "--duration", "0"], "foley compose: error: argument --duration: must be between 0.5 and 600, "
                                             "got 0 (see foley compose --help)"),
    (["dub", "x.mp4", "-o", ""], "foley dub: error: argument -o/--output/--out: an empty path; name a file or folder (e.g. . for "
                                 "this one) (see foley dub --help)"),
    (["dub", "x.mp4", "--scale", "inf"], "foley dub: error: argument --scale: must be a finite number >= 0, got inf "
                                         "(see foley dub --help)"),
    (["prepare", "synth", "--out", "o", "--duration", "inf"], "foley prepare synth: error: argument --duration: must be "
                                                              "a finite number > 0, got inf (see foley prepare synth --help)"),
    (["compose", "rain", "--plan-only", "--device", "tpu"], "foley compose: error: argument --device: unknown device "
                                                             "'tpu'; use auto, cpu, cuda, cuda:N or mps "
                                                             "(see foley compose --help)"),
    (["dub", "v.mp4", "--model", ""], "foley dub: error: argument --model: an empty model name; give a shipped model's "
                                      "name (demo, sfx) or a model folder (see foley dub --help)"),
    (["dub", "v.mp4", "--device", "cuda0"], "foley dub: error: argument --device: unknown device 'cuda0'; use auto, "
                                            "cpu, cuda, cuda:N or mps (see foley dub --help)"),
    (["train", "lm", "--lr", "nan"], "foley train lm: error: argument --lr: must be a finite number > 0, got nan "
                                     "(see foley train lm --help)"),
    (["train", "adapter", "--lr", "-1"], "foley train adapter: error: argument --lr: must be > 0, got -1 "
                                         "(see foley train adapter --help)"),
    (["eval", "onset", "--pred", "p", "--ref", "r", "--delta", "inf"], "foley eval onset: error: argument --delta: must "
                                                                       "be a finite number > 0, got inf "
                                                                       "(see foley eval onset --help)"),
    (["import-tokenizer", "--hubert", "h", "--kmeans", "k", "--out", "o", "--layer", "-1"],  # before HuBERT loads
     "foley import-tokenizer: error: argument --layer: must be >= 0, got -1 (see foley import-tokenizer --help)"),
    (["prepare", "avsync15", "root", "--out", "o", "--clips-per-video", "0"],
     "foley prepare avsync15: error: argument --clips-per-video: must be between 1 and 100, got 0 "
     "(see foley prepare avsync15 --help)"),
    (["prepare", "avsync15", "root", "--out", "o", "--clips-per-video", "100000"],  # 2,001 copies of each 4 s video
     "foley prepare avsync15: error: argument --clips-per-video: must be between 1 and 100, got 100000 "
     "(see foley prepare avsync15 --help)"),
    (["prepare", "synth", "--out", "o", "--workers", "1000"],  # 1,000 processes, however few the clips
     f"foley prepare synth: error: argument --workers: must be between 1 and {os.cpu_count()}, got 1000 "
     "(see foley prepare synth --help)"),
])
def test_a_bad_argument_is_said_in_one_line(args, said, capsys):
    from foley.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(args)
    assert exit_.value.code == 2 and capsys.readouterr().err == said + "\n"


def _parsers(parser):
    """``parser`` and every subcommand's parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_is_explained_and_no_empty_default_is_shown(capsys):
    """Each option of every (sub)command has a help text; a repeatable option's empty list is no default to show."""
    from foley.cli import build_parser

    for parser in _parsers(build_parser()):
        unexplained = [a.option_strings[-1] for a in parser._actions if a.option_strings
                       and (not a.help or a.help.startswith("default:")) and a.dest != "help"]
        assert not unexplained, (parser.prog, unexplained)
        assert "(default: [])" not in parser.format_help(), parser.prog


def test_every_output_folder_or_file_is_named_with_o_output_or_out():
    """One spelling for every command's output: -o, --output and --out are the same option."""
    from foley.cli import build_parser

    outputs = [(p.prog, a.option_strings) for p in _parsers(build_parser()) for a in p._actions
               if {"-o", "--out", "--output"} & set(a.option_strings)]
    assert len(outputs) > 10 and all({"-o", "--output"} <= set(flags) for _, flags in outputs), outputs
    for flag in ("-o", "--out", "--output"):
        assert build_parser().parse_args(["prepare", "synth", flag, "x"]).out == "x"
        assert build_parser().parse_args(["dub", "v.mp4", flag, "x"]).output == "x"


def test_a_device_that_is_not_here_is_named_as_asked(monkeypatch):
    import torch

    from foley.device import resolve_device
    from foley.errors import FoleyError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(FoleyError, match=r"^--device cuda:7 was asked for, but no CUDA GPU is available$"):
        resolve_device("cuda:7")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(FoleyError, match=r"^--device cuda:7 was asked for, but the CUDA GPUs here are cuda:0, cuda:1$"):
        resolve_device("cuda:7")


@pytest.mark.parametrize("args", [
    ["dub", "missing.mp4"], ["compose", "rain"], ["ui"], ["extract", "m.jsonl", "--out", "c"], ["tokenize", "a.wav"],
    ["train", "lm", "--manifest", "m", "--features", "f", "--units", "u", "--out", "o"],
    ["train", "adapter", "--data", "d", "--backbone", "b", "--tokenizer", "t", "--out", "o"],
    ["eval", "fad", "--pred", "p", "--ref", "r"], ["eval", "mkl", "--pred", "p", "--ref", "r", "--classifier", "c"],
    ["eval", "report", "--pred", "p", "--ref", "r", "--out", "o"], ["eval", "clap", "--audio", "a", "--captions", "c"],
])
def test_commands_that_compute_set_the_threads_asked_for_before_they_run(args, monkeypatch):
    import torch

    from foley import cli

    ran = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: ran.append(("threads", n)))
    build_parser = cli.build_parser

    def parser_whose_commands_note_they_ran():
        parser = build_parser()
        parse = parser.parse_args
        parser.parse_args = lambda argv: argparse.Namespace(**{**vars(parse(argv)),
                                                               "func": lambda _: ran.append("command") or 0})
        return parser
    monkeypatch.setattr(cli, "build_parser", parser_whose_commands_note_they_ran)
    assert cli.main(args) == 0 and ran == ["command"]  # left out: torch's own default
    ran.clear()
    assert cli.main([*args, "--threads", "1"]) == 0 and ran == [("threads", 1), "command"]


def test_more_threads_than_cores_are_refused_in_one_line(monkeypatch, capsys):
    import torch

    from foley import cli

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: pytest.fail("threads set"))
    for many in ("5", "100000"):  # a typo would start that many threads, holding the machine
        with pytest.raises(SystemExit) as exit_:
            cli.main(["dub", "missing.mp4", "--threads", many])
        assert exit_.value.code == 2 and capsys.readouterr().err == (f"foley dub: error: argument --threads: must be between 1 and 4, got {many} "
                                           "(see foley dub --help)\n")


@pytest.mark.parametrize("args", [
    ["eval", "onset", "--pred", "", "--ref", "r"],  # '' would be the current folder
    ["eval", "fad", "--pred", "p", "--ref", ""],
    ["prepare", "synth", "--out", ""],  # with --overwrite it would replace the current folder's dataset
    ["compose", "rain", "--timeline", ""],
    ["tokenize", ""],
    ["train", "lm", "--manifest", "m", "--features", "", "--units", "u", "--out", "o"],
])
def test_an_empty_path_is_refused_by_every_command(args, capsys):
    from foley.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(args)
    assert exit_.value.code == 2 and ": an empty path; name a file or folder" in capsys.readouterr().err


def test_ui_refuses_an_address_it_cannot_serve_on_before_loading_anything():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = foley("ui", "--port", port, "--model", "nosuch")  # the address is checked first
    unknown = foley("ui", "--host", "no.such.host.invalid", "--model", "nosuch")
    assert taken.returncode == 2 and taken.stderr.startswith(f"foley: error: cannot serve on 127.0.0.1:{port} (")
    assert unknown.returncode == 2 and unknown.stderr.startswith("foley: error: --host no.such.host.invalid: not a known")
    assert len(taken.stderr.splitlines()) == len(unknown.stderr.splitlines()) == 1


def test_ui_refuses_an_ffmpeg_without_its_ffprobe_before_loading_anything(tmp_path):
    import os
    import socket

    (tmp_path / "ffmpeg").write_text("#!/bin/sh\n")
    (tmp_path / "ffmpeg").chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.path.dirname(sys.executable)}"}  # no ffprobe there
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    run = subprocess.run([sys.executable, "-m", "foley.cli", "ui", "--port", str(port), "--model", "nosuch"],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1
    assert run.stderr.startswith(f"foley: error: {tmp_path / 'ffmpeg'} is on PATH without ffprobe")


def test_help_shows_each_options_default_once():
    import argparse

    from foley.cli import show_defaults

    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command").add_parser("run")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--lr", type=float, default=1e-4, help="learning rate")
    sub.add_argument("--out", default="dubbed", help="output folder (default: dubbed)")
    sub.add_argument("--model", help="a model folder")
    sub.add_argument("--quiet", action="store_true", help="no progress output")
    show_defaults(parser)  # reaches the subcommand's options
    text = " ".join(sub.format_help().split())
    assert "--seed SEED default: 0" in text and "learning rate (default: 0.0001)" in text
    assert text.count("default") == 3  # --out's own text names it once; --model and a flag have none


def test_prepare_synth_then_probe(tmp_path):
    out = tmp_path / "synth"
    proc = foley("prepare", "synth", "--out", out, "--n-train", 1, "--n-test", 2, "--seed", 3, "--duration", 2, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "1 train clip + 2 test clips" in proc.stdout
    entries = [json.loads(line) for line in (out / "test.jsonl").read_text().splitlines()]
    assert [e["duration_s"] for e in entries] == [2.0, 2.0]
    probe = foley("probe", "--json", out / entries[0]["video"])
    assert probe.returncode == 0 and json.loads(probe.stdout)["duration_s"] == pytest.approx(2.0)
    again = foley("prepare", "synth", "--out", out, "--n-train", 1, "--n-test", 1)
    said = f"foley: error: {out}: the folder is not empty; pass --overwrite to replace its dataset"
    assert again.returncode == 2 and again.stderr.strip() == said
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    on_file = foley("prepare", "synth", "--out", a_file, "--n-train", 1, "--n-test", 1)
    said = f"foley: error: {a_file}: exists and is not a folder; --out names the dataset's folder"
    assert on_file.returncode == 2 and on_file.stderr.strip() == said and a_file.read_text() == "x"
    for flags in ([], ["--overwrite"]):  # a folder of other files: neither flag clears it
        other = foley("prepare", "synth", "--out", tmp_path, "--n-train", 1, "--n-test", 1, *flags)
        assert other.returncode == 2 and other.stderr.strip() == (
            f"foley: error: {tmp_path}: holds other files than a SynthSync dataset (no synthsync.json); give --out a "
            "new or empty folder") and a_file.read_text() == "x"


def test_bad_flags_exit_nonzero(tmp_path):
    proc = foley("prepare", "synth", "--out", tmp_path, "--n-train", "-3")
    assert proc.returncode == 2 and "must be >= 0" in proc.stderr
    proc = foley("prepare", "synth", "--out", tmp_path / "x", "--duration", "0.2")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "too short" in proc.stderr
    proc = foley("prepare", "synth", "--out", tmp_path / "x", "--duration", "1e9")  # refused before any allocation
    assert proc.returncode == 2 and proc.stderr == "foley: error: duration 1e+09 s is too long; clips last at most 120 s\n"
    assert not (tmp_path / "x").exists()
    proc = foley("prepare", "synth", "--out", tmp_path / "x", "--workers", "0")
    assert proc.returncode == 2 and f"argument --workers: must be between 1 and {os.cpu_count()}, got 0" in proc.stderr


def test_an_interrupted_prepare_synth_leaves_no_half_dataset(tmp_path):
    out = tmp_path / "new" / "synth"
    proc = subprocess.Popen([sys.executable, "-m", "foley.cli", "prepare", "synth", "--out", str(out), "--n-train", "0",
                             "--n-test", "400", "--workers", "1", "--quiet"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(out.rglob("*.wav")) and time.monotonic() < deadline:  # a few clips made (in a staging folder)
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and err.strip().endswith("foley: terminated before the dataset was whole: none of "
                                                          "its clips is kept (it is written all at once or not at "
                                                          "all); the same command starts again")
    assert not (tmp_path / "new").exists()  # nor the folder it made, even after the worker's last clip


def test_reported_turns_failures_into_one_line(capsys):
    from foley.cli.args import reported

    def out_of_memory():
        raise MemoryError("Unable to allocate 186. GiB for an array")

    assert reported("foley", out_of_memory) == 2
    assert capsys.readouterr().err == "foley: error: not enough memory (Unable to allocate 186. GiB for an array)\n"
    assert reported("foley", lambda: os.rename("/nonexistent/a.wav", "/nonexistent/b.wav")) == 2  # the paths first
    assert capsys.readouterr().err == "foley: error: /nonexistent/a.wav -> /nonexistent/b.wav: No such file or directory\n"
    before = signal.getsignal(signal.SIGTERM)
    assert reported("foley", lambda: os.kill(os.getpid(), signal.SIGTERM) or time.sleep(5)) == 143
    assert capsys.readouterr().err == "foley: terminated\n"
    assert signal.getsignal(signal.SIGTERM) == before  # put back as it was


def test_a_second_sigterm_does_not_cut_the_unwinding_of_the_first(capsys):
    """`timeout` signals the process and then its whole group: two SIGTERMs at once. The second, raised while
    the first unwound, left a worker pool's lock held and `foley prepare avsync15` waiting forever."""
    from foley.cli.args import reported

    cleaned = []

    def work():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the second, while the first unwinds
            time.sleep(0.1)
            cleaned.append(True)

    assert reported("foley", work) == 143 and cleaned == [True]
    assert capsys.readouterr().err == "foley: terminated\n"
    assert reported("foley", lambda: os.kill(os.getpid(), signal.SIGTERM) or time.sleep(5)) == 143  # a new run stops


def test_an_interrupt_during_an_import_is_reported_as_one(capsys):
    from foley.cli.args import Terminated, reported

    def import_interrupted_by(interrupt):  # diffusers' lazy import of a module defining a dataclass
        class Field:
            def __set_name__(self, owner, name):
                raise interrupt

        try:
            type("MissConfig", (), {"r": Field()})  # Python 3.11 wraps the interrupt in a RuntimeError
        except BaseException as e:
            raise RuntimeError("Failed to import diffusers.loaders.peft because of the following error") from e

    assert reported("foley", lambda: import_interrupted_by(Terminated())) == 143
    assert capsys.readouterr().err == "foley: terminated\n"
    assert reported("foley", lambda: import_interrupted_by(KeyboardInterrupt())) == 130
    assert capsys.readouterr().err == "foley: interrupted\n"
    with pytest.raises(RuntimeError):  # any other error is not the command's to report
        reported("foley", lambda: import_interrupted_by(ValueError("a bug")))


def test_an_interrupt_raised_in_a_finalizer_still_stops_the_command(capsys):
    from foley.cli.args import Terminated, reported

    class Finalized:
        def __del__(self):
            raise Terminated  # a SIGTERM that arrives while the garbage collector runs a finalizer

    def work():
        Finalized()  # dropped at once: Python would only print what its __del__ raises
        time.sleep(5)
        return 0

    hook = sys.unraisablehook
    assert reported("foley", work) == 143
    assert capsys.readouterr().err == "foley: terminated\n"
    assert sys.unraisablehook is hook  # put back as it was


def test_a_json_path_that_cannot_be_written_is_refused_before_scoring(tmp_path):
    proc = foley("eval", "onset", "--pred", tmp_path / "none", "--ref", tmp_path / "none", "--json", tmp_path)
    assert proc.returncode == 2 and proc.stderr == f"foley: error: {tmp_path}: a folder; --json names the file to write\n"


def test_clap_pairs_the_files_with_their_captions_before_the_model_loads(tmp_path):
    from foley.media.audio import write_audio

    for stem in ("a", "b"):
        write_audio(tmp_path / f"{stem}.wav", [0.1, -0.1] * 800, 16_000)
    (tmp_path / "caps.tsv").write_text("a\ta dog barks\n")
    proc = foley("eval", "clap", "--audio", tmp_path, "--captions", tmp_path / "caps.tsv",
                 "--model", tmp_path / "no_clap")  # no model there: the captions are said first
    assert proc.returncode == 2 and proc.stderr == "foley: error: 1 audio file(s) have no caption: b\n"


def test_probe_reports_each_failure_and_continues(tmp_path, cfr_video):
    proc = foley("probe", tmp_path / "a.mp4", cfr_video[0])
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"foley: error: {tmp_path / 'a.mp4'}: no such file"
    assert "90 frames" in proc.stdout and "still image" not in proc.stdout
    from conftest import lavfi_video

    lavfi_video(tmp_path / "still.mp4", "testsrc=s=64x48:r=10:d=0.1")  # one frame: said to be no video for a dub
    assert proc_ok(foley("probe", tmp_path / "still.mp4")).stdout.strip().endswith(
        "1 frame at 10.000 fps, 64x48 h264, no audio, a still image: foley dub and compose --video take videos of "
        "two frames or more")


def test_a_compose_plan_loads_no_diffusion_library_and_the_samplers_are_one_list():
    from foley.config import SCHEDULER_NAMES
    from foley.models.backbone import SCHEDULERS

    code = ("import sys; from foley.cli import main; status = main(['compose', 'rain, then thunder', '--plan-only']); "
            "print(status, 'diffusers' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "0 False", proc.stdout + proc.stderr
    assert tuple(SCHEDULERS) == SCHEDULER_NAMES


def test_number_options_read_minus_zero_as_zero():
    import math

    from foley.cli import number_arg

    assert math.copysign(1.0, number_arg(0, 1)("-0")) == 1.0 and number_arg(0, 1)("0.25") == 0.25


def test_a_compose_turn_that_fails_leaves_no_folder_it_made(tmp_path):
    proc = foley("compose", "a bell rings at -3 s", "-o", tmp_path / "a" / "x.wav", "--timeline", tmp_path / "b" / "t.png",
                 "--session", tmp_path / "c" / "bed.json")
    assert proc.returncode == 2 and "cannot place 'a bell rings at -3 s'" in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="--workers 2 needs two cores")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_prepare_synth_stops_when_its_whole_process_group_is_signalled(tmp_path, signal_name):
    # `timeout`, a batch scheduler and Ctrl-C signal every process of the group, workers too.
    out = tmp_path / "new" / "synth"
    proc = subprocess.Popen([sys.executable, "-m", "foley.cli", "prepare", "synth", "--out", str(out), "--n-train", "0",
                             "--n-test", "400", "--workers", "2", "--quiet"], stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(out.rglob("*.wav")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, getattr(signal, signal_name))
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"prepare synth did not stop on {signal_name} to its process group")
    assert proc.returncode == (143 if signal_name == "SIGTERM" else 130) and "Traceback" not in err
    assert not (tmp_path / "new").exists()


def test_dub_help_gives_the_shipped_models_own_sampler_settings():
    import re

    from foley.cli import build_parser
    from foley.pipelines.dub import PipelineConfig, model_dir

    dub = build_parser()._subparsers._group_actions[0].choices["dub"]
    helps = {a.dest: a.help for a in dub._actions}
    configs = {name: PipelineConfig.from_dict(json.loads((model_dir(name) / "pipeline.json").read_text()))
               for name in ("demo", "sfx")}
    for key in ("scale", "visual_steps", "steps", "guidance"):
        said = dict(re.findall(r"(demo|sfx) ([0-9.]+)", helps[key]))
        for name, config in configs.items():
            assert float(said[name]) == pytest.approx(getattr(config, key)), (key, name)


def test_a_file_named_like_an_option_is_said_how_to_give(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-rf.mp4").write_bytes(b"")
    from foley.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["dub", "-rf.mp4"])
    assert exit_.value.code == 2 and capsys.readouterr().err.strip() == ("foley dub: error: the following arguments are required: INPUT; "
                                               "'-rf.mp4' was read as an option: give it as ./-rf.mp4 or after -- "
                                               "(see foley dub --help)")


def test_the_dub_summary_is_wrapped_to_a_terminal_and_kept_whole_for_a_pipe(monkeypatch):
    from foley.cli.notes import _fit_terminal

    note = "  note: clip.mp4: " + " ".join(["the model saw no event it knows clearly enough"] * 4)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert _fit_terminal([note]) == [note]  # one line a note, for grep
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "60")
    wrapped = _fit_terminal(["done 1, failed 0", note])
    assert wrapped[0] == "done 1, failed 0" and len(wrapped) > 3 and all(len(line) <= 59 for line in wrapped)
    assert all(line.startswith("    ") for line in wrapped[2:])  # a continuation sits under its note's text
    assert " ".join(line.strip() for line in wrapped[1:]) == note.strip()
    hint = "  note: clip.mp4: silent; foley compose 'a bicycle bell rings at 1 s' --video /tmp/clips/clip.mp4 lays it under"
    command = "foley compose 'a bicycle bell rings at 1 s' --video /tmp/clips/clip.mp4"
    assert any(command in line for line in _fit_terminal([hint]))  # a command to paste is kept on one line


def test_sounds_lists_what_the_compose_backbone_learned_and_the_nearest_to_a_caption(foley_cli, tmp_path):
    from foley.pipelines.compose import backbone_source

    listed = foley_cli(["sounds"], cwd=tmp_path)
    learned = json.loads((Path(backbone_source("sfx")) / "sounds.json").read_text())["sounds"]
    assert listed.returncode == 0 and listed.stdout.splitlines() == learned  # one a line, for grep
    assert listed.stderr.startswith(f"{len(learned)} sounds the sfx backbone learned (")
    near = foley_cli(["sounds", "a bicycle bell rings", "-n", "2"], cwd=tmp_path)
    lines = near.stdout.splitlines()
    assert near.returncode == 0 and len(lines) == 3 and lines[1].endswith("  a bell rings") and near.stderr == ""
    assert float(lines[1].split()[0]) >= float(lines[2].split()[0])  # nearest first
    unlike = foley_cli(["sounds", "a dog barks"], cwd=tmp_path)  # with the note compose gives it
    assert "note: 'a dog barks' is unlike every sound this backbone learned" in unlike.stderr
    misspelt = foley_cli(["sounds", "rian", "-n", "1"], cwd=tmp_path)  # the respelling a turn offers too
    assert misspelt.stderr.startswith("note: 'rian' is unlike") and misspelt.stderr.endswith(" (did you mean 'rain'?)\n")
    each = foley_cli(["sounds", "rain, then a dog barks at 3 s", "-n", "1"], cwd=tmp_path)  # each sound, as captioned
    assert [line for line in each.stdout.splitlines() if line.startswith("nearest")] == [
        f"nearest to {c!r} of the {len(learned)} sounds the sfx backbone learned (cosine similarity):"
        for c in ("rain", "a dog barks")]
    later = foley_cli(["sounds", "rain for 30 s, then a dog barks at 35 s", "-n", "1"], cwd=tmp_path)  # a longer bed's times
    assert [line for line in later.stdout.splitlines() if line.startswith("nearest")] == [
        f"nearest to {c!r} of the {len(learned)} sounds the sfx backbone learned (cosine similarity):"
        for c in ("rain", "a dog barks")]
    now_and_then = foley_cli(["sounds", "rain, a dog barks now and then", "-n", "1"], cwd=tmp_path)  # 200 barks in 600 s
    assert [line for line in now_and_then.stdout.splitlines() if line.startswith("nearest")] == [
        f"nearest to {c!r} of the {len(learned)} sounds the sfx backbone learned (cosine similarity):"
        for c in ("rain", "a dog barks")]
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "model_index.json").write_text("{}")  # a backbone folder without the list
    for args, said in ((["sounds", "--model", "bare"], "keeps no list of the sounds it learned"),
                       (["sounds", " "], "give a caption to compare"), (["sounds", "-n", "3"], "-n counts the nearest"),
                       (["sounds", "a dog \udcff barks"], "is not UTF-8 text"),  # bytes the terminal could not read
                       (["sounds", "--model", ""], "an empty model name")):  # not the current folder
        refused = foley_cli(args, cwd=tmp_path)
        assert refused.returncode == 2 and said in refused.stderr and refused.stderr.count("\n") == 1


def test_sounds_lists_the_captions_the_demo_backbone_learned(foley_cli, tmp_path):
    """The demo backbone learned SynthSync's captions: listed, and a caption compared says the words it never
    learned (its word-level encoder gives no similarity), pointing at the demo's list, not the sfx one."""
    from foley.datasets.synthsync import CLASSES

    listed = foley_cli(["sounds", "--model", "demo"], cwd=tmp_path)
    captions = sorted(c for k in CLASSES for c in k.captions)
    assert listed.returncode == 0 and listed.stdout.splitlines() == captions
    assert listed.stderr.startswith(f"{len(captions)} sounds the demo backbone learned (")
    dog = foley_cli(["sounds", "a dog barks", "--model", "demo"], cwd=tmp_path)
    assert dog.returncode == 2 and dog.stderr.splitlines() == [
        "note: 'a dog barks': the words 'dog' and 'barks' are not in this backbone's vocabulary (42 words, those of "
        "its training captions); it hears the caption without them and may make another sound",
        "foley: error: demo: its text encoder gives no sentence similarity (Auffusion's condition layout has one); "
        "the whole list: foley sounds --model demo"]


def test_a_note_is_wrapped_on_a_terminal_and_one_line_in_a_pipe(monkeypatch, capsys):
    from foley.cli.notes import _note

    text = "'a dog barks' is unlike every sound this backbone learned (nearest: 'a lion roars', similarity 0.34)"
    _note(text)
    assert capsys.readouterr().err == f"note: {text}\n"  # a pipe or a file: one line
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "50")
    _note(text)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) > 2 and all(len(line) <= 49 for line in lines) and lines[0].startswith("note: ")
    assert " ".join(line.strip() for line in lines) == f"note: {text}"


def test_a_reader_gone_cuts_the_printout_not_the_work(tmp_path, monkeypatch):
    import io

    from foley.cli.args import reported

    fd = os.open(tmp_path / "printed", os.O_WRONLY | os.O_CREAT)

    class Closed(io.StringIO):  # stdout piped into `true`, which has ended
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return fd

    def turn():
        print("plan (rules, 3 s):")
        (tmp_path / "bed.wav").write_bytes(b"the bed")  # the work after the first print
        print("wrote bed.wav")
        return 0

    monkeypatch.setattr(sys, "stdout", Closed())
    assert reported("foley", turn) == 0 and (tmp_path / "bed.wav").read_bytes() == b"the bed"
    assert isinstance(sys.stdout, Closed)  # given back as it was
    os.close(fd)


def test_a_description_given_unquoted_is_told_to_be_quoted(foley_cli, tmp_path):
    said = foley_cli(["compose", "rain,", "then", "thunder"], cwd=tmp_path)
    assert said.returncode == 2 and said.stderr == (
        "foley compose: error: unrecognized arguments: then thunder; a text of several words is one argument: quote it, "
        "'rain, then thunder' (see foley compose --help)\n")
    other = foley_cli(["probe", "a.mp4", "--bogus"], cwd=tmp_path)  # an option, or no text: no such hint
    assert other.returncode == 2 and "quote it" not in other.stderr


@pytest.mark.parametrize("module", ["training.backbone", "training.vae_decoder", "training.vocoder", "training.tokenizer",
                                    "evaluation.lm", "evaluation.classifier", "evaluation.sfx_classifier",
                                    "models.caption_probe", "models.frame_stats", "models.frame_encoder"])
def test_ctrl_c_while_a_python_m_program_loads_its_libraries_is_one_line(module):
    ctrl_c_while_torch_loads = (
        "import runpy, sys\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        f"runpy.run_module('foley.{module}', run_name='__main__', alter_sys=True)\n")
    proc = subprocess.run([sys.executable, "-c", ctrl_c_while_torch_loads, "--help"], capture_output=True, text=True,
                          timeout=300)
    assert (proc.returncode, proc.stderr) == (130, f"foley.{module}: interrupted\n")
