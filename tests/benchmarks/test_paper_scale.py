"""benchmarks/paper_scale.py: its tiny mode end to end on CPU, the real-size tokenizers, the
Auffusion vocoder file it writes, and one-line errors for bad arguments."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch

from foley.errors import FoleyError
from foley.models.token_lm import MARKERS, add_vocabulary
from foley.models.vocoder import build_vocoder, hifigan_config_from_auffusion, load_vocoder

from lm_models import one_thread  # noqa: F401  (one torch thread: tiny models on a shared CPU)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "paper_scale.py"
FIGURES = {"dub_frames_tokens_s", "dub_diffusion_vocoder_s", "dub_total_s", "lm_step_s", "lm_step_peak_mib",
           "adapter_step_s", "adapter_step_peak_mib"}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("paper_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_tiny_mode_writes_every_figure(bench, tmp_path):
    out = tmp_path / "figures.json"
    results = bench.main(["--tiny", "--device", "cpu", "--steps", "2", "--out", str(out),
                          "--workdir", str(tmp_path / "work")])
    assert json.loads(out.read_text()) == results
    figures = results["figures"]
    assert set(figures) == FIGURES
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in figures.values()), figures
    assert results["scale"] == "tiny" and results["device"] == "cpu" and results["settings"]["steps"] == 2
    assert all(len(times) == 3 for times in results["runs_s"].values())
    params = results["params"]
    assert params["lm_embedding_rows"] == bench.TINY.text_vocab + len(MARKERS) + bench.N_UNITS
    assert all(n > 0 for n in params.values()) and params["lm_trainable"] < params["lm"]
    model = tmp_path / "work" / "foley-tiny"  # the released layouts, kept for a later run
    for path in ("pipeline.json", "lm/base/model.safetensors", "tokenizer/hubert/model.safetensors",
                 "backbone/model_index.json", "backbone/vocoder/vocoder.pt", "adapter/adapter.safetensors"):
        assert (model / path).is_file(), path


def test_tokenizers_have_the_requested_sizes(bench):
    clip = bench.clip_tokenizer(bench.PAPER.clip_vocab)
    ids = clip("a drum hit").input_ids
    assert len(clip) == 49_408 and clip.unk_token_id not in ids[1:-1]  # <|endoftext|> only as the end
    gemma = bench.gemma_text_tokenizer(bench.TINY.text_vocab)
    assert len(gemma) == bench.TINY.text_vocab
    add_vocabulary(gemma, bench.N_UNITS)
    assert len(gemma) == bench.TINY.text_vocab + len(MARKERS) + bench.N_UNITS


@pytest.mark.slow
def test_gemma_sized_text_tokenizer(bench):
    """256,000 entries, as Gemma-2's vocabulary (5-15 s, 1 GB)."""
    gemma = bench.gemma_text_tokenizer(bench.PAPER.text_vocab)
    add_vocabulary(gemma, bench.N_UNITS)
    assert len(gemma) == 256_000 + len(MARKERS) + bench.N_UNITS


def test_auffusion_vocoder_file_loads_to_the_same_generator(bench, tmp_path):
    torch.manual_seed(0)
    config = {**bench.TINY.hifigan, "num_mels": 8}
    vocoder = build_vocoder(hifigan_config_from_auffusion(config))
    (tmp_path / "vocoder").mkdir()
    vocoder.save_pretrained(tmp_path / "vocoder")  # SpeechT5 files, replaced by Auffusion's
    bench.write_auffusion_vocoder(tmp_path / "vocoder", vocoder, config)
    assert sorted(p.name for p in (tmp_path / "vocoder").iterdir()) == ["config.json", "vocoder.pt"]
    mel = torch.randn(2, 8, 5)
    torch.testing.assert_close(load_vocoder(tmp_path / "vocoder")(mel), vocoder(mel))


def test_steps_out_of_range_are_refused_while_reading_the_arguments(bench, capsys):
    with pytest.raises(SystemExit) as done:
        bench.main(["--tiny", "--steps", "0"])
    assert done.value.code == 2
    assert "error: argument --steps: must be between 1 and 1000, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--out", "no/such/folder/figures.json"], "its folder does not exist"),
    (["--workdir", "FILE"], "not a folder"),
    (["--out", "."], "not a file name"),
])
def test_bad_arguments_fail_with_one_line(bench, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("")
    with pytest.raises(FoleyError, match=message) as err:
        bench.main(["--tiny", *args])
    assert "\n" not in str(err.value)


def test_an_out_that_cannot_be_written_fails_before_measuring(bench, tmp_path, monkeypatch):
    import foley.media.files as files

    def refused(folder):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "trial_write", refused)  # a read-only folder (root writes anywhere)
    with pytest.raises(FoleyError, match=r"figures.json: cannot write there \(Permission denied\)$"):
        bench.main(["--tiny", "--out", str(tmp_path / "figures.json")])
