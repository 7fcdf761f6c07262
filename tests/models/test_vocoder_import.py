"""foley import-vocoder: a jik876 HiFi-GAN generator checkpoint -> a safetensors vocoder folder."""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors import safe_open

from foley.models.mel import MelConfig
from foley.models.vocoder import HifiGanVocoder, load_vocoder, vocoder_mel_config
from foley.models.vocoder_import import import_hifigan, mel_config_from_hifigan

from auffusion_models import TINY_JIK876, write_jik876


def test_imported_vocoder_matches_the_direct_load_and_the_original_generator(tmp_path, foley):
    checkpoint, config, ref = write_jik876(tmp_path / "src")
    (tmp_path / "LICENSE.src").write_text("MIT License\n\nCopyright (c) 2020 Someone\n")
    code, out, err = foley("import-vocoder", checkpoint, "--config", config, "--out", tmp_path / "voc",
                           "--license", tmp_path / "LICENSE.src", "--source", "a test checkpoint")
    assert code == 0, err
    assert "12000 Hz from 8-band mels (n_fft 64, hop 16)" in out
    files = sorted(p.name for p in (tmp_path / "voc").iterdir())
    assert files == ["LICENSE", "README.md", "config.json", "mel_config.json", "model.safetensors"]  # no pickle
    assert (tmp_path / "voc" / "LICENSE").read_text() == (tmp_path / "LICENSE.src").read_text()
    card = (tmp_path / "voc" / "README.md").read_text()
    assert "a test checkpoint" in card and "generator_tiny.pth.tar" in card and "float32" in card

    ours = load_vocoder(tmp_path / "voc")
    assert isinstance(ours, HifiGanVocoder) and ours.sample_rate == 12000
    shutil.copy(checkpoint, tmp_path / "src" / "vocoder.pt")  # the Auffusion layout: config.json + vocoder.pt
    direct = load_vocoder(tmp_path / "src")
    mel = torch.randn(2, 8, 30, generator=torch.Generator().manual_seed(0)) - 2.0  # (B, n_mels, T)
    with torch.no_grad():
        got, same, expected = ours(mel), direct(mel), ref(mel)[:, 0]
    assert got.shape == (2, 30 * 16)
    assert expected.abs().max() > 0.01  # not trivially silent
    torch.testing.assert_close(got, same, atol=1e-6, rtol=0)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_mel_config_is_recorded_from_the_jik876_config(tmp_path):
    checkpoint, config, _ = write_jik876(tmp_path / "src")
    import_hifigan(checkpoint, config, tmp_path / "voc")
    assert vocoder_mel_config(tmp_path / "voc") == MelConfig(sample_rate=12000, n_fft=64, hop_length=16, win_length=48,
                                                             n_mels=8, fmin=20.0, fmax=5000.0)
    assert vocoder_mel_config(tmp_path / "src") is None  # a folder that records none
    assert mel_config_from_hifigan({**TINY_JIK876, "fmax": None}).fmax == 6000.0  # jik876: null is Nyquist


def test_half_stores_float16_and_computes_in_float32(tmp_path):
    checkpoint, config, _ = write_jik876(tmp_path / "src")
    import_hifigan(checkpoint, config, tmp_path / "fp32")
    import_hifigan(checkpoint, config, tmp_path / "fp16", half=True)
    with safe_open(str(tmp_path / "fp16" / "model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}
    size = {d: (tmp_path / d / "model.safetensors").stat().st_size for d in ("fp32", "fp16")}
    assert size["fp16"] < 0.6 * size["fp32"]
    full, half = load_vocoder(tmp_path / "fp32"), load_vocoder(tmp_path / "fp16")
    assert next(half.parameters()).dtype == torch.float32
    mel = torch.randn(1, 8, 30, generator=torch.Generator().manual_seed(1)) - 2.0
    with torch.no_grad():
        a, b = full(mel), half(mel)
    assert not torch.equal(a, b)  # the weights were rounded ...
    assert (a - b).abs().max() < 0.02 * a.abs().max()  # ... to within fp16's precision


def _not_a_pickle(directory: Path, checkpoint: Path, config: Path) -> list:
    checkpoint.write_text("hello")
    return [checkpoint, "--config", config]


def _no_generator(directory: Path, checkpoint: Path, config: Path) -> list:
    torch.save({"discriminator": {}}, checkpoint)
    return [checkpoint, "--config", config]


def _code_in_pickle(directory: Path, checkpoint: Path, config: Path) -> list:
    torch.save({"generator": {"x": Path("/")}}, checkpoint)  # an object weights_only refuses to build
    return [checkpoint, "--config", config]


def _unpaired_lists(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"  # SpeechT5HifiGan would build two upsamplers and fail when run
    bad.write_text(json.dumps({**TINY_JIK876, "upsample_rates": [4, 4, 1]}))
    return [checkpoint, "--config", bad]


def _text_for_a_number(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"
    bad.write_text(json.dumps({**TINY_JIK876, "num_mels": "8"}))
    return [checkpoint, "--config", bad]


def _nan_weights(directory: Path, checkpoint: Path, config: Path) -> list:
    data = torch.load(checkpoint, weights_only=True)
    data["generator"]["conv_pre.bias"] = torch.full_like(data["generator"]["conv_pre.bias"], float("nan"))
    torch.save(data, checkpoint)
    return [checkpoint, "--config", config]


def _wrong_shape(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"
    bad.write_text(json.dumps({**TINY_JIK876, "upsample_initial_channel": 32}))
    return [checkpoint, "--config", bad]


def _no_mel_settings(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"
    bad.write_text(json.dumps({k: v for k, v in TINY_JIK876.items() if k != "fmax"}))
    return [checkpoint, "--config", bad]


def _no_generator_settings(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"
    bad.write_text(json.dumps({k: v for k, v in TINY_JIK876.items() if k != "resblock_kernel_sizes"}))
    return [checkpoint, "--config", bad]


def _hop_unlike_upsampling(directory: Path, checkpoint: Path, config: Path) -> list:
    bad = directory / "bad.json"
    bad.write_text(json.dumps({**TINY_JIK876, "hop_size": 32}))
    return [checkpoint, "--config", bad]


@pytest.mark.parametrize("make, message", [
    (_not_a_pickle, "not a readable HiFi-GAN checkpoint"),
    (_no_generator, "no 'generator' entry"),
    (_code_in_pickle, "refused: the pickle asks for pathlib.PosixPath, which a HiFi-GAN checkpoint does not hold"),
    (_unpaired_lists, "upsample_rates has 3 entries but upsample_kernel_sizes has 2"),
    (_text_for_a_number, "num_mels must be a whole number > 0, got '8'"),
    (_nan_weights, "conv_pre.bias holds NaN or infinite values"),
    (_wrong_shape, "weights do not match the config"),
    (_no_mel_settings, "lacks the mel settings fmax"),
    (_no_generator_settings, "lacks the HiFi-GAN settings resblock_kernel_sizes"),
    (_hop_unlike_upsampling, "hop_size 32 differs from the product of the upsample rates"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, foley, make, message):
    checkpoint, config, _ = write_jik876(tmp_path / "src")
    args = make(tmp_path / "src", checkpoint, config)
    code, out, err = foley("import-vocoder", *args, "--out", tmp_path / "o" / "voc")
    assert code == 2 and out == ""
    assert err.startswith("foley: error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "o").exists()


def test_an_existing_folder_is_replaced_only_when_asked(tmp_path, foley):
    checkpoint, config, _ = write_jik876(tmp_path / "src")
    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "keep.txt").write_text("mine")
    code, _, err = foley("import-vocoder", checkpoint, "--config", config, "--out", tmp_path / "voc")
    assert code == 2 and "already exists" in err and (tmp_path / "voc" / "keep.txt").exists()
    code, _, err = foley("import-vocoder", checkpoint, "--config", config, "--out", tmp_path / "voc", "--overwrite")
    assert code == 2 and "is not a vocoder folder" in err and (tmp_path / "voc" / "keep.txt").exists()  # not a vocoder's
    (tmp_path / "voc" / "keep.txt").unlink()
    for _ in range(2):  # an empty folder, then the vocoder folder it wrote
        code, _, err = foley("import-vocoder", checkpoint, "--config", config, "--out", tmp_path / "voc", "--overwrite")
        assert code == 0, err
    assert load_vocoder(tmp_path / "voc").sample_rate == 12000
    for overwrite in ((), ("--overwrite",)):  # never replaces its own input, and says so first
        code, _, err = foley("import-vocoder", checkpoint, "--config", config, "--out", tmp_path / "src", *overwrite)
        assert code == 2 and "holds the input" in err and checkpoint.exists()


def test_copy_synthesis_benchmark_runs_on_tiny_clips(tmp_path, monkeypatch):
    """benchmarks/vocoder_copy.py end to end: 2 generated clips, a tiny imported vocoder."""
    script = Path(__file__).parents[2] / "benchmarks" / "vocoder_copy.py"
    spec = importlib.util.spec_from_file_location("vocoder_copy", script)
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclass looks its module up
    spec.loader.exec_module(bench)
    checkpoint, config, _ = write_jik876(tmp_path / "src", sampling_rate=16000, fmax=8000)
    import_hifigan(checkpoint, config, tmp_path / "voc")
    clips = tmp_path / "clips"
    clips.mkdir()
    rng = np.random.default_rng(0)
    for i, rate in enumerate((22050, 16000)):  # decaying noise bursts, two rates
        wav = np.zeros(rate // 2, np.float32)
        wav[rate // 10:rate // 10 + 2000] = rng.standard_normal(2000) * np.exp(-np.arange(2000) / 400) * 0.5
        sf.write(clips / f"clip{i}.{('wav', 'flac')[i]}", wav, rate)
    sf.write(clips / "clip2.wav", np.full(480, 0.1, np.float32), 16000)  # 30 ms: shorter than the mel's padding
    results = bench.main(["--clips", str(clips), "--vocoder", str(tmp_path / "voc"), "--gl-iters", "2",
                          "--json", str(tmp_path / "r.json"), "--pictures", str(tmp_path / "pics")])
    assert json.loads((tmp_path / "r.json").read_text()) == results
    assert results["clips"] == 2 and results["skipped"] == ["clip2.wav"]
    names = [v["name"] for v in results["vocoders"]]
    assert names == ["griffin-lim 2 it (16000 Hz, 64 mels)", "griffin-lim 2 it (16000 Hz, 8 mels)", "voc"]
    for v in results["vocoders"]:
        assert len(v["per_clip"]) == 2 and v["total"] > 0 and v["cpu_s_per_s"] > 0 and v["fad"] is None
    assert sorted(p.name for p in (tmp_path / "pics").iterdir()) == ["clip0.png", "clip1.png"]
