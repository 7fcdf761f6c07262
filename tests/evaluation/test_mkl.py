import math
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from foley.errors import FoleyError
from foley.evaluation.embedders import Cnn14, Cnn14Config, TorchEmbedder
from foley.evaluation.mkl import EPS, evaluate_mkl, kl_sigmoid
from foley.evaluation.report import write_report

TINY = Cnn14Config(widths=(2, 4, 4, 4, 4, 8))  # the released head: 527 AudioSet classes


def test_kl_of_sigmoid_outputs_is_the_closed_form():
    q = np.array([[0.1, 0.5, 0.9], [0.2, 0.2, 0.7]])
    p = np.array([[0.5, 0.5, 0.5], [0.6, 0.1, 0.3]])
    expected = (p * (np.log(p) - np.log(q + EPS))).sum(axis=1)
    got = kl_sigmoid(torch.tensor(np.log(p / (1 - p))), torch.tensor(np.log(q / (1 - q))))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)
    assert got[0] == pytest.approx(0.5 * (3 * math.log(0.5) - math.log(0.1 + EPS) - math.log(0.5 + EPS)
                                          - math.log(0.9 + EPS)), rel=1e-9)


def test_identical_sets_give_zero_up_to_the_published_epsilon():
    logits = torch.randn(4, 527, generator=torch.Generator().manual_seed(0)) * 3
    same = kl_sigmoid(logits, logits)
    assert same.abs().max() < 527 * EPS  # sum_c p log(p / (p + eps)): between -527 eps and 0
    assert (kl_sigmoid(logits, logits.flip(0)) > 1.0).all()


def _tiny_panns(tmp_path) -> TorchEmbedder:
    torch.manual_seed(0)
    model = Cnn14(TINY)
    with torch.no_grad():  # unit-variance weights: a random network whose outputs differ between clips
        for name, param in model.named_parameters():
            if name.startswith(("conv", "fc")):
                param.normal_(0.0, 1.0)
    state = dict(model.state_dict())
    state["logmel_extractor.melW"] = torch.zeros(257, 64)  # the released file's front-end buffers
    path = tmp_path / "Cnn14_16k_mAP=0.438.pth"
    torch.save({"model": state, "iteration": 1}, path)
    return TorchEmbedder.panns_cnn14_16k(path, TINY)


def _clips(folder, seed, n=4):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        t = np.arange(16_000) / 16_000
        wav = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 4000) * t) + 0.05 * rng.standard_normal(16_000)
        sf.write(folder / f"clip{i}.wav", wav.astype(np.float32), 16_000)
    return folder


def test_mkl_of_folders_paired_by_name_and_in_the_report(tmp_path):
    panns = _tiny_panns(tmp_path)
    real, gen = _clips(tmp_path / "real", 0), _clips(tmp_path / "gen", 1)
    same = evaluate_mkl(real, real, panns)
    assert same["n_clips"] == 4 and abs(same["mkl"]) < 527 * EPS and same["classifier"] == "panns-cnn14-16k"
    other = evaluate_mkl(gen, real, panns)
    logits = {side: torch.cat([torch.from_numpy(panns.logits(sf.read(folder / f"clip{i}.wav", dtype="float32")[0]))
                               for i in range(4)]) for side, folder in (("gen", gen), ("real", real))}
    assert other["mkl"] == pytest.approx(float(kl_sigmoid(logits["real"], logits["gen"]).mean()), rel=1e-9)
    assert other["mkl"] > 100 * abs(same["mkl"]) and set(other["clips"]) == {f"clip{i}" for i in range(4)}
    report = write_report(gen, real, tmp_path / "report", max_plots=0, workers=1, mkl_classifier=panns)
    assert report["mkl"]["mkl"] == pytest.approx(other["mkl"], rel=1e-12)
    assert "### MKL" in (tmp_path / "report" / "report.md").read_text()
    assert "<h3>MKL</h3>" in (tmp_path / "report" / "index.html").read_text()


def test_mkl_needs_class_outputs(tmp_path):
    real = _clips(tmp_path / "real", 0, n=1)
    for spec in ("logmel", "panns:", "vggish:/x.pth"):
        proc = subprocess.run([sys.executable, "-m", "foley", "eval", "mkl", "--pred", str(real), "--ref", str(real),
                               "--classifier", spec], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.strip() == (
            f"foley: error: MKL needs a PANNs classifier: panns:PATH to Cnn14_16k_mAP=0.438.pth, not {spec!r}")
    from foley.evaluation.embedders import LogMelStats

    with pytest.raises(FoleyError, match="MKL needs a classifier with class outputs"):
        evaluate_mkl(real, real, LogMelStats())
