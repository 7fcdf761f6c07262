"""The eval scripts refuse ordinary mistakes in one line and a non-zero exit, not a traceback."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from foley.cli import one_line_errors
from foley.evaluation.classifier import DEMO_PATH, fit_logistic
from foley.media.audio import write_audio

SCRIPT = Path(__file__).resolve().parents[2] / "eval" / "adapter_oracle.py"


@pytest.fixture(scope="module")
def oracle():
    spec = importlib.util.spec_from_file_location("adapter_oracle", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args, message", [
    (["--adapter", "RUN/adapter"], "--adapter: not NAME=DIR: 'RUN/adapter'"),
    (["--adapter", "=RUN/adapter"], "--adapter: not NAME=DIR"),
    (["--n", "0"], "--n: must be >= 1, got 0"),
    (["--batch", "0"], "--batch: must be >= 1, got 0"),
    (["--threads", "0"], "--threads: must be between 1 and "),
    (["--scheduler", "bogus"], "--scheduler: invalid choice: 'bogus'"),
])
def test_bad_arguments_are_refused_by_argparse(oracle, capsys, args, message):
    with pytest.raises(SystemExit) as err:
        oracle.main(["--data", "D", "--backbone", "B", "--tokenizer", "T", *args])
    said = capsys.readouterr().err
    assert err.value.code == 2 and message in said
    assert said.count("\n") == 1 and said.endswith(" --help)\n"), said  # no usage block


def test_a_missing_adapter_is_one_line_before_any_model_loads(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path / "no_data"), "--backbone", "B",
                           "--tokenizer", "T", "--adapter", f"plain={tmp_path / 'nope'}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"adapter_oracle.py: error: {tmp_path / 'nope'}: not a visual adapter folder "
                                        "(no adapter_config.json)"]


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script, args, option", [
    ("eval/adapter_oracle.py", ["--data", "D", "--backbone", "B", "--tokenizer", "T"], "--out"),
    ("eval/sfx_card.py", ["--data", "D", "--embedder", "logmel", "--classifier", "C.json"], "--json"),
    ("benchmarks/vocoder_copy.py", ["--clips", "D"], "--json"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, script, args, option):
    taken = tmp_path / "results.json"
    taken.mkdir()  # a folder where the results file would go
    proc = subprocess.run([sys.executable, str(ROOT / script), *args, option, str(taken)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{Path(script).name}: error: {taken}: cannot be written (a folder of that "
                                        "name is there)"]


def load(script: str, monkeypatch):
    """A script of eval/ or benchmarks/ as a module (benchmarks import their siblings)."""
    path = ROOT / script
    monkeypatch.syspath_prepend(str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SFX = ["--data", "D", "--embedder", "logmel", "--classifier", "C.json"]
THREADED = [  # the scripts that compute with torch, and the arguments each requires
    ("eval/adapter_oracle.py", ["--data", "D", "--backbone", "B", "--tokenizer", "T"]),
    ("eval/compose_check.py", []),
    ("eval/decoding_sweep.py", SFX),
    ("eval/report_card.py", ["--data", "D", "--out", "O"]),
    ("eval/schedule_leak.py", ["--data", "D", "--model", "M"]),
    ("eval/sfx_card.py", SFX),
    ("eval/unet_loss.py", ["--data", "D", "--model", "M"]),
    ("eval/vae_round_trip.py", [*SFX, "--model", "M"]),
    ("benchmarks/backbone_speed.py", ["--backbone", "B"]),
    ("benchmarks/compose_event.py", []),
    ("benchmarks/dub_speed.py", []),
    ("benchmarks/lm_speed.py", []),
    ("benchmarks/mel_roundtrip.py", ["a.wav"]),
    ("benchmarks/vocoder_copy.py", ["--clips", "D"]),
]


@pytest.mark.parametrize("script, args", [*THREADED, ("benchmarks/dub_memory.py", [])])
def test_more_threads_than_cores_are_refused_as_by_the_foley_command(monkeypatch, capsys, script, args):
    module = load(script, monkeypatch)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: pytest.fail("threads set"))
    if script == "benchmarks/dub_memory.py":  # it gives the count to `foley dub` processes
        monkeypatch.setattr(module, "cut_clip", lambda *args, **kwargs: pytest.fail("clip cut"))
    with pytest.raises(SystemExit) as err:  # 100000 would start that many threads and hold the machine
        module.main([*args, "--threads", "100000"])
    assert err.value.code == 2
    assert "argument --threads: must be between 1 and 4, got 100000" in capsys.readouterr().err


class ThreadsSet(Exception):
    pass


@pytest.mark.parametrize("script, args", THREADED)
def test_the_threads_asked_for_are_set_before_any_work(monkeypatch, script, args):
    module = load(script, monkeypatch)

    def set_num_threads(n):
        raise ThreadsSet(n)

    monkeypatch.setattr(torch, "set_num_threads", set_num_threads)
    with pytest.raises(ThreadsSet) as set_:  # before the data D or model M is looked for
        module.main([*args, "--threads", "1"])
    assert set_.value.args == (1,)


def said(script: str, argv: list[str], monkeypatch, capsys) -> str:
    """What ``script`` run with ``argv`` says on stderr, checked to be one line and exit status 2."""
    module = load(script, monkeypatch)
    with pytest.raises(SystemExit) as err:
        one_line_errors(module.main, Path(script).name, argv)
    text = capsys.readouterr().err
    assert err.value.code == 2 and text.count("\n") == 1, text
    return text.rstrip("\n")


def manifest(path: Path, entries: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def sfx_corpus(root: Path, test: int = 1, train: int = 1, unseen: int = 0, seconds: float = 1.0) -> Path:
    """A `foley prepare sfx`-shaped corpus of noise recordings, labels a and b in turn."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    (root / "sfx.json").write_text(json.dumps({"config": {"sample_rate": 16_000}}))
    for split, n in (("train", train), ("test", test), ("unseen", unseen)):
        entries = []
        for i in range(n):
            name = f"{split}/{split}{i}.wav"
            (root / split).mkdir(exist_ok=True)
            write_audio(root / name, 0.1 * rng.standard_normal(int(seconds * 16_000)).astype(np.float32), 16_000)
            entries.append({"id": f"{split}{i}", "audio": name, "label": "ab"[i % 2], "caption": "a noise",
                            "duration_s": seconds, "recording": f"{split}{i}"})
        manifest(root / f"{split}.jsonl", entries)
    return root


def synthsync_like(root: Path, train: int = 1, test: int = 1) -> Path:
    """A folder shaped as SynthSync (synthsync.json and manifests; no media files)."""
    root.mkdir(parents=True)
    (root / "synthsync.json").write_text("{}")
    for split, n in (("train", train), ("test", test)):
        manifest(root / f"{split}.jsonl", [{"id": f"{split}{i}", "audio": f"{split}/{i}.wav", "caption": "a knock",
                                             "class": "knock", "duration_s": 1.0} for i in range(n)])
    return root


@pytest.mark.parametrize("script, args", [
    ("eval/report_card.py", ["--out", "O"]),
    ("eval/adapter_oracle.py", ["--backbone", "B", "--tokenizer", "T"]),
])
def test_a_sound_effects_corpus_is_no_synthsync_folder(tmp_path, monkeypatch, capsys, script, args):
    data = sfx_corpus(tmp_path / "sfx")  # its clips have no classes, onsets or videos
    assert said(script, ["--data", str(data), *args], monkeypatch, capsys) == (
        f"{Path(script).name}: error: {data}: not a SynthSync folder (no synthsync.json; `foley prepare synth` "
        "makes one)")


def test_report_card_fits_fad_pca_on_a_train_split_only_if_it_has_clips(tmp_path, monkeypatch, capsys):
    data = synthsync_like(tmp_path / "synth", train=0)
    assert said("eval/report_card.py", ["--data", str(data), "--out", str(tmp_path / "card"), "--fad-pca", "3"],
                monkeypatch, capsys) == (f"report_card.py: error: {data}: the train split holds no clips to fit "
                                         "--fad-pca's components on")
    assert not (tmp_path / "card").exists()


@pytest.mark.parametrize("script, args", [
    ("eval/sfx_card.py", ["--embedder", "logmel", "--classifier", "C.json"]),
    ("eval/vae_round_trip.py", ["--embedder", "logmel", "--classifier", "C.json", "--model", "M"]),
])
def test_an_empty_test_split_is_said_before_any_model_loads(tmp_path, monkeypatch, capsys, script, args):
    data = sfx_corpus(tmp_path / "sfx", test=0)
    assert said(script, ["--data", str(data), *args], monkeypatch, capsys) == (
        f"{Path(script).name}: error: {data}: the test split holds no clips")


def test_sfx_card_refuses_a_file_for_its_audio_folder_before_any_work(tmp_path, monkeypatch, capsys):
    data = sfx_corpus(tmp_path / "sfx")
    taken = tmp_path / "audio"
    taken.write_text("")
    assert said("eval/sfx_card.py", ["--data", str(data), "--embedder", "logmel", "--classifier", "C.json",
                                     "--save-audio", str(taken)], monkeypatch, capsys) == (
        f"sfx_card.py: error: {taken / 'clip.wav'}: cannot write there ({taken} is a file, not a folder)")


def test_sfx_card_scores_the_test_split_of_a_corpus_without_unseen_sources(tmp_path, monkeypatch, capsys):
    data = sfx_corpus(tmp_path / "sfx", train=4, test=2, seconds=10.0)  # 4 x 20 blocks: enough for the PCA to 32
    clf = tmp_path / "clf.json"
    fit_logistic(np.random.default_rng(0).standard_normal((8, 128)), list("abababab"), "logmel-stats").save(clf)
    out = tmp_path / "card.json"
    load("eval/sfx_card.py", monkeypatch).main(["--data", str(data), "--embedder", "logmel", "--classifier", str(clf),
                                                "--json", str(out)])
    printed = capsys.readouterr()
    assert "the unseen split holds no clips; the card scores the test split" in printed.err
    assert "FAD (logmel-stats, PCA 32) between two halves" in printed.out  # the embedder used, not aiSFX
    assert [(r["row"], r["split"], r["clips"]) for r in json.loads(out.read_text())["rows"]] == [("real", "test", 2)]


def test_decoding_sweep_refuses_before_sampling(tmp_path, monkeypatch, capsys):
    data = sfx_corpus(tmp_path / "sfx", test=3)
    base = ["--data", str(data), "--embedder", "logmel", "--classifier", str(DEMO_PATH)]
    script = "eval/decoding_sweep.py"
    assert said(script, [*base, "--first", "3"], monkeypatch, capsys) == (
        f"decoding_sweep.py: error: {data}: no test clip from --first 3 (the test split holds 3)")
    damaged = tmp_path / "latents.pt"
    damaged.write_bytes(b"cut sh")
    assert said(script, [*base, "--latents", str(damaged)], monkeypatch, capsys).startswith(
        f"decoding_sweep.py: error: {damaged}: not a latents file (")
    torch.save({"not": "latents"}, damaged)
    assert said(script, [*base, "--latents", str(damaged)], monkeypatch, capsys) == (
        f"decoding_sweep.py: error: {damaged}: not a latents file (no (N, C, h, w) tensor); delete it to sample again")
    (tmp_path / "a file").write_text("")
    unwritable = tmp_path / "a file" / "latents.pt"
    assert said(script, [*base, "--latents", str(unwritable)], monkeypatch, capsys) == (
        f"decoding_sweep.py: error: {unwritable}: cannot write there ({tmp_path / 'a file'} is a file, not a folder)")
    assert said(script, [*base, "--vae", str(tmp_path / "nope")], monkeypatch, capsys) == (
        f"decoding_sweep.py: error: {tmp_path / 'nope'}: no such VAE folder")


@pytest.mark.parametrize("script, args", [
    ("eval/schedule_leak.py", ["--model", "demo"]),
    ("eval/vae_round_trip.py", ["--model", "demo", "--embedder", "logmel", "--classifier", str(DEMO_PATH)]),
])
def test_a_vae_that_is_not_there_is_one_line(tmp_path, monkeypatch, capsys, script, args):
    data = sfx_corpus(tmp_path / "sfx")
    (tmp_path / "vae").mkdir()
    for vae, message in ((tmp_path / "nope", "no such VAE folder"),  # not looked up on the hub as a name
                         (tmp_path / "vae", "no config.json (an incomplete VAE folder)")):
        argv = ["--data", str(data), *args, "--vae", str(vae), "--threads", "1"]
        assert said(script, argv, monkeypatch, capsys) == f"{Path(script).name}: error: {vae}: {message}"


def test_unet_loss_takes_no_more_timesteps_than_the_schedule_has(tmp_path, monkeypatch, capsys):
    data = synthsync_like(tmp_path / "synth")
    argv = ["--data", str(data), "--model", "demo", "--timesteps", "1001", "--threads", "1"]
    assert said("eval/unet_loss.py", argv, monkeypatch, capsys) == (
        "unet_loss.py: error: --timesteps 1001: more than the 1000 timesteps of demo's schedule")


@pytest.mark.parametrize("n, then, while_", [(1, 1, 0), (3, 2, 1), (4, 2, 2)])
def test_compose_check_counts_its_then_and_while_beds(monkeypatch, capsys, n, then, while_):
    check = load("eval/compose_check.py", monkeypatch)
    backbone = SimpleNamespace(mel=SimpleNamespace(sample_rate=16_000))
    monkeypatch.setattr(check, "load_backbone", lambda model, device: backbone)
    monkeypatch.setattr(check, "render", lambda plan, *_: (np.zeros(8 * 16_000, np.float32),
                                                           SimpleNamespace(generated=1)))  # a silent bed
    check.main(["--n", str(n), "--steps", "1"])
    out = capsys.readouterr().out
    assert f"{n} beds ({then} 'then', {while_} 'while')" in out  # beds 0, 2, ... are 'then' beds


def test_benchmark_refusals_carry_the_script_prefix(tmp_path, monkeypatch, capsys):
    (tmp_path / "notes.txt").write_text("")
    assert said("benchmarks/vocoder_copy.py", ["--clips", str(tmp_path)], monkeypatch, capsys) == (
        f"vocoder_copy.py: error: {tmp_path}: no audio files (.wav, .flac, .ogg, .mp3, ...)")
    assert said("benchmarks/compose_event.py", ["--model", "demo", "--threads", "1"], monkeypatch, capsys) == (
        "compose_event.py: error: demo: its decoding has no noise filling to compare against")


def test_vocoder_copy_names_its_own_pca_option_when_fad_cannot_be_computed(tmp_path, monkeypatch, capsys):
    for i in range(2):
        write_audio(tmp_path / f"{i}.wav", 0.1 * np.random.default_rng(i).standard_normal(16000).astype(np.float32),
                    16000)
    results = load("benchmarks/vocoder_copy.py", monkeypatch).main(["--clips", str(tmp_path), "--embedder", "logmel",
                                                                    "--threads", "1"])
    why = results["vocoders"][0]["fad_error"]
    assert "(--pca K with K below 2, e.g. 1)" in why and "foley eval" not in why



@pytest.mark.parametrize("script", sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("eval/*.py"),
                                                                             *ROOT.glob("benchmarks/*.py")]))
def test_each_scripts_help_says_its_whole_first_paragraph_and_its_defaults(script, capsys, monkeypatch):
    """--help describes the script in its docstring's first paragraph, not a sentence cut at the first line's
    end, and shows every default an option has (a repeatable option's empty list is none)."""
    from foley.cli import OneLineErrors

    shown = []
    format_help = OneLineErrors.format_help
    monkeypatch.setattr(OneLineErrors, "format_help", lambda self: shown.append(self) or format_help(self))
    spec = importlib.util.spec_from_file_location(Path(script).stem, ROOT / script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # where its dataclasses look themselves up
    monkeypatch.syspath_prepend(str((ROOT / script).parent))  # as when run: its sibling scripts importable
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert exit_.value.code == 0 and " ".join(module.__doc__.split("\n\n")[0].split()) in said
    assert "(default: [])" not in said
    [parser] = shown
    unshown = [a.option_strings[-1] for a in parser._actions if a.option_strings and a.default not in (None, False, [])
               and a.dest != "help" and "default" not in (a.help or "")]
    assert not unshown, unshown
