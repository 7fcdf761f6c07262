"""The eval scripts refuse ordinary mistakes in one line and a non-zero exit, not a traceback."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

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
    (["--threads", "0"], "--threads: must be >= 1, got 0"),
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
