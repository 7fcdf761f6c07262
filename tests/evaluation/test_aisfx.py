import io
import json
import os
import pickletools
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from foley.cli import main
from foley.errors import FoleyError
from foley.evaluation.aisfx import (
    AisfxConfig,
    AisfxEmbedder,
    AisfxNet,
    aisfx_blocks,
    cut_blocks,
    mel_filterbank,
    scaled_log_mel,
)
from foley.evaluation.aisfx_import import LICENSE_FILE, import_aisfx
from foley.evaluation.embedders import embed_audio, get_embedder

TINY = AisfxConfig(width=4, heads=(("libA", 5), ("libB", 3)))
SR = 44_100


def tiny_model(seed: int = 0) -> AisfxNet:
    torch.manual_seed(seed)
    model = AisfxNet(TINY)
    with torch.no_grad():  # non-trivial batch-norm statistics, as in a trained model
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0)
            elif name.endswith("num_batches_tracked"):
                buf.fill_(1234)
    return model.eval()


def noise(seconds: float, seed: int = 0, rate: int = SR) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).normal(size=int(seconds * rate))).astype(np.float32)


def package_checkpoint(path: Path, model: AisfxNet) -> None:
    """Write ``model`` as aisfx 0.1.2's checkpoint.pth is written: a torch zip pickle of
    (OrderedDict state dict, {dataset: (numpy.int64 index, n_classes)}), numpy scalars named
    as numpy 1.x named them (``numpy.core.multiarray.scalar``)."""
    state = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    datasets = {name: (np.int64(i), n) for i, (name, n) in enumerate(model.config.heads)}
    buf = io.BytesIO()
    torch.save((state, datasets), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data.pkl"):
                assert data.count(b"cnumpy._core.multiarray\nscalar\n") == 1
                data = data.replace(b"cnumpy._core.multiarray\nscalar\n", b"cnumpy.core.multiarray\nscalar\n")
            dst.writestr(info, data)


def pickle_globals(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    return {str(arg) for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"}


# ------------------------------------------------------------------------ front end ---

def test_filterbank_matches_essentia_melbands():
    fb = mel_filterbank()  # (96, 1025)
    assert fb.shape == (96, 1025)
    np.testing.assert_allclose(fb.sum(axis=1), 1.0, rtol=1e-12)
    # essentia 2.1b6 MelBands(htkMel, warping, unit_sum), read back with unit spectra
    np.testing.assert_allclose(fb[0, :3], [0.0, 0.71506381, 0.28493616], atol=1e-6)
    np.testing.assert_allclose(fb[2, 3:6], [0.37070853, 0.61832339, 0.01096808], atol=1e-6)
    assert fb[0, 3:].max() == 0 and fb[2, :3].max() == 0


def test_log_mel_matches_essentia_pipeline():
    t = np.arange(5000) / SR
    wav = (0.5 * np.sin(2 * np.pi * 1000 * t) + 0.25 * np.sin(2 * np.pi * 9000 * t)).astype(np.float32)
    spec = scaled_log_mel(wav)  # ceil(5000 / 1024) + 1 frames, the first centred on sample 0
    assert spec.shape == (6, 96) and spec.dtype == np.float32
    # the aisfx package's essentia spectrogram of the same samples, divided by 9.457798957824707
    np.testing.assert_allclose(spec[:, 24], [0.8443341, 0.8870713, 0.8870713, 0.8870713, 0.8870645, 0.8251725],
                               atol=2e-5)
    np.testing.assert_allclose(spec[0, 20:25], [0.6305214, 0.6563293, 0.7033384, 0.8174529, 0.8443341], atol=2e-5)
    np.testing.assert_allclose(spec[2, 70:75], [0.000026, 0.0100758, 0.7466311, 0.6940719, 0.0000542], atol=2e-5)
    np.testing.assert_allclose(spec[5, 70:75], [0.4075164, 0.4961989, 0.6960797, 0.6472161, 0.4770321], atol=2e-5)
    assert np.all(scaled_log_mel(np.zeros(3000, np.float32)) == 0)  # silence is 0 after scaling


@pytest.mark.parametrize("n_frames, n_blocks", [(1, 1), (99, 1), (100, 1), (149, 1), (150, 2), (437, 7)])
def test_blocks_hop_half_a_block_and_drop_the_partial_last(n_frames, n_blocks):
    spec = np.arange(n_frames * 96, dtype=np.float32).reshape(n_frames, 96) + 1
    blocks = cut_blocks(spec)
    assert blocks.shape == (n_blocks, 100, 96)
    np.testing.assert_array_equal(blocks[-1, 0], spec[50 * (n_blocks - 1)])
    if n_frames < 100:  # zero-padded to one block
        np.testing.assert_array_equal(blocks[0, :n_frames], spec)
        assert np.all(blocks[0, n_frames:] == 0)


def test_other_rates_are_resampled_and_bad_audio_refused():
    assert aisfx_blocks(noise(1.0, rate=16_000), 16_000, TINY).shape == (1, 100, 96)
    assert scaled_log_mel(noise(1.0)).shape == (1 + -(-SR // 1024), 96)
    for bad in (np.zeros(0, np.float32), np.zeros((2, 100), np.float32), np.full(100, np.nan, np.float32)):
        with pytest.raises(FoleyError):
            aisfx_blocks(bad, SR, TINY)


# -------------------------------------------------------------------------- network ---

def test_default_config_is_the_released_architecture():
    state = AisfxNet().state_dict()
    assert sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")) == 6_216_762
    assert state["fc.3.4.weight"].shape == (81, 128)  # soundstormBalanced head


def test_round_trip_and_embedding_shapes(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path / "m")
    loaded = AisfxNet.from_pretrained(tmp_path / "m")
    assert loaded.config == TINY
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    emb = AisfxEmbedder(loaded)
    hop = 1024
    short, exact, longer = noise(0.5), noise(99 * hop / SR, 1), noise(10.0, 2)  # 23, 100 and 432 frames
    for wav, n in ((short, 1), (exact, 1), (longer, 7)):
        out = emb.embed(wav)
        assert out.shape == (n, TINY.dim) and out.dtype == np.float32
        assert np.all(out >= 0)  # max over time of ReLU maps
    np.testing.assert_array_equal(emb.embed(longer), emb.embed(longer))
    with torch.no_grad():  # the embedder is the network on the blocks, batched or not
        direct = model(torch.from_numpy(aisfx_blocks(longer, SR, TINY))).numpy()
    np.testing.assert_allclose(AisfxEmbedder(loaded, batch_size=3).embed(longer), direct, rtol=1e-5, atol=1e-6)


def test_from_pretrained_refuses_incomplete_folders(tmp_path):
    with pytest.raises(FoleyError, match="not an aiSFX folder"):
        AisfxNet.from_pretrained(tmp_path)
    tiny_model().save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"width": 8, "heads": [["libA", 5], ["libB", 3]]}')
    with pytest.raises(FoleyError, match=r"model.safetensors: weights do not fit the config \(.*size mismatch for "
                                         r"embedding_net.conv_block1.conv1.weight"):  # which weight, not torch's header
        AisfxNet.from_pretrained(tmp_path)
    for setting, said in (('"width": "4"', "width must be a whole number > 0, got '4'"),
                          ('"width": 4, "n_mels": 0', "n_mels must be a whole number > 0, got 0"),
                          ('"width": 4, "block_frames": 4', "n_mels and block_frames must be at least 8, got 96 and 4")):
        (tmp_path / "config.json").write_text(f'{{{setting}, "heads": [["libA", 5], ["libB", 3]]}}')
        with pytest.raises(FoleyError, match=rf"config.json: not a readable aiSFX config \({said}\)$"):
            AisfxNet.from_pretrained(tmp_path)


# ---------------------------------------------------------------------- import step ---

def test_import_of_a_package_format_checkpoint(tmp_path):
    model = tiny_model(1)
    ckpt = tmp_path / "checkpoint.pth"
    package_checkpoint(ckpt, model)
    assert {"numpy.core.multiarray scalar", "numpy dtype"} <= pickle_globals(ckpt)
    assert main(["import-aisfx", str(ckpt), "--out", str(tmp_path / "out")]) == 0
    assert sorted(os.listdir(tmp_path / "out")) == sorted(["config.json", "model.safetensors", LICENSE_FILE])
    assert "CC BY 4.0" in (tmp_path / "out" / LICENSE_FILE).read_text()
    assert (tmp_path / "out" / "model.safetensors").stat().st_mode == (tmp_path / "out" / "config.json").stat().st_mode
    loaded = AisfxNet.from_pretrained(tmp_path / "out")
    assert loaded.config == TINY
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    with pytest.raises(FoleyError, match="already exists"):
        import_aisfx(ckpt, tmp_path / "out")


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_with_other_globals_is_refused(tmp_path, capsys):
    marker, bad = tmp_path / "ran", tmp_path / "checkpoint.pth"
    torch.save((OrderedDict(w=torch.zeros(1)), {"x": (_Exploit(marker), 1)}), bad)
    assert main(["import-aisfx", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err and "system" in err
    assert not marker.exists()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.pth"]  # no output, no leftover temporary folder
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(FoleyError, match="not an aiSFX checkpoint"):
        import_aisfx(tmp_path / "text.pth", tmp_path / "out")


def test_integer_or_nan_weights_are_refused_at_import(tmp_path):
    key = "embedding_net.conv_block2.conv1.weight"
    for name, value, said in (("int.pth", lambda w: w.long(), "is torch.int64, expected torch.float32"),
                              ("nan.pth", lambda w: w * float("nan"), "holds NaN or infinite values")):
        model = tiny_model(1)
        state = model.state_dict()
        model.state_dict = lambda: {**state, key: value(state[key])}  # what package_checkpoint writes
        package_checkpoint(tmp_path / name, model)
        with pytest.raises(FoleyError, match=rf"{name}: {key} {said}$"):
            import_aisfx(tmp_path / name, tmp_path / "out")
        assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- FAD ---

def test_get_embedder_and_fad_of_a_set_with_itself(tmp_path):
    torch.manual_seed(0)
    AisfxNet(AisfxConfig(width=2, heads=(("libA", 5),))).save_pretrained(tmp_path / "m")  # 16-d embeddings
    embedder = get_embedder(f"aisfx:{tmp_path / 'm'}")
    assert (embedder.name, embedder.sample_rate) == ("aisfx", 44_100)
    assert embed_audio(embedder, noise(0.5, rate=16_000), 16_000).shape == (1, 16)
    clips = tmp_path / "clips"
    clips.mkdir()
    for i, seconds in enumerate((5.0, 9.0, 13.0)):  # 16 kHz files of 3, 6 and 10 blocks: 19 rows > 16 dimensions
        sf.write(clips / f"{i}.wav", noise(seconds, seed=i, rate=16_000) * (1 + i), 16_000, subtype="FLOAT")
    argv = ["eval", "fad", "--pred", str(clips), "--ref", str(clips), "--embedder", f"aisfx:{tmp_path / 'm'}",
            "--json", str(tmp_path / "fad.json")]
    assert main(argv) == 0
    result = json.loads((tmp_path / "fad.json").read_text())
    assert (result["embedder"], result["n_embeddings"]) == ("aisfx", {"pred": 19, "ref": 19})
    assert result["fad"] == pytest.approx(0.0, abs=1e-6)


def test_import_never_replaces_the_folder_holding_its_checkpoint(tmp_path, capsys):
    (tmp_path / "models").mkdir()
    package_checkpoint(tmp_path / "models" / "checkpoint.pth", tiny_model())
    code = main(["import-aisfx", str(tmp_path / "models" / "checkpoint.pth"), "--out", str(tmp_path / "models"),
                 "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and "holds the input" in err and err.count("\n") == 1
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["checkpoint.pth"]
