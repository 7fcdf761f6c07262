"""eval/report_card.py end to end on two SynthSync clips and a tiny random model."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from foley.datasets.synthsync import SynthConfig, generate

from pipeline_models import write_tiny_model

SCRIPT = Path(__file__).resolve().parents[2] / "eval" / "report_card.py"


@pytest.mark.slow
def test_a_card_says_when_the_split_is_short_and_when_its_dubs_were_kept(tmp_path):
    data = tmp_path / "synth"
    generate(data, n_train=0, n_test=2, seed=3, cfg=SynthConfig(duration_s=2.0), workers=1, progress=False)
    model = write_tiny_model(tmp_path / "model")
    card = tmp_path / "card"
    command = [sys.executable, str(SCRIPT), "--data", str(data), "--out", str(card), "--model", str(model),
               "--rows", "dub", "--n", "5"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "warning: the test split holds 2 clips, fewer than --n 5; the card scores all 2" in first.stderr
    assert "mean of the 2 clips dubbed in this run" in (card / "card.md").read_text()
    assert "report_card: warning: no FAD: " in first.stderr and "\nNo FAD: " in (card / "card.md").read_text()  # 2 clips
    assert json.loads((card / "card.json").read_text())["n_clips"] == 2
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)  # resumed: nothing dubbed
    assert again.returncode == 0, again.stderr
    assert "not measured, every clip's dub was kept from an earlier run" in (card / "card.md").read_text()
    assert json.loads((card / "card.json").read_text())["seconds_per_clip"] is None


@pytest.mark.parametrize("text", ["{", "[1]"])
def test_a_card_whose_settings_file_cannot_be_read_is_one_line(tmp_path, text):
    data = tmp_path / "synth"
    generate(data, n_train=0, n_test=1, seed=3, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    card = tmp_path / "card"
    card.mkdir()
    (card / "settings.json").write_text(text)  # cut short, or edited by hand
    proc = subprocess.run([sys.executable, str(SCRIPT), "--data", str(data), "--out", str(card), "--model",
                           str(write_tiny_model(tmp_path / "model")), "--rows", "dub", "--n", "1"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith(f"report_card: error: {card / 'settings.json'}: ")
