"""Importers and loaders: bad or incomplete model files are one line, inputs are never replaced."""
from __future__ import annotations

import re
import shutil

import joblib
import numpy as np
import pytest
import torch
from sklearn.cluster import MiniBatchKMeans
from transformers import HubertConfig, HubertModel

from foley.errors import FoleyError
from foley.models.unit_tokenizer import DEMO_DIR, UnitTokenizer

from unit_models import TINY


@pytest.fixture
def hubert_and_kmeans(tmp_path):
    torch.manual_seed(0)
    HubertModel(HubertConfig(**TINY)).save_pretrained(str(tmp_path / "hubert"))
    rng = np.random.default_rng(2)
    km = MiniBatchKMeans(n_clusters=8, n_init=1, random_state=0).fit(rng.standard_normal((200, 32)).astype(np.float32))
    joblib.dump(km, tmp_path / "km.bin")
    return tmp_path / "hubert", tmp_path / "km.bin"


def test_import_tokenizer_never_replaces_its_input_nor_an_existing_folder(tmp_path, foley, hubert_and_kmeans):
    hubert, km = hubert_and_kmeans
    before = (hubert / "config.json").read_text()
    code, out, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", hubert, "--layer", 2)
    assert code == 2 and "is the input" in err and err.count("\n") == 1
    assert (hubert / "config.json").read_text() == before  # HubertModel's config, not a tokenizer's
    assert foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)[0] == 0
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)
    assert code == 2 and "already exists (pass --overwrite" in err
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2,
                         "--overwrite")
    assert code == 0, err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("mine")
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "notes", "--layer", 2,
                         "--overwrite")  # --overwrite replaces a tokenizer, not any folder
    assert code == 2 and "is not a tokenizer folder (no centroids.safetensors)" in err
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "mine"


def test_an_interrupted_import_tokenizer_leaves_no_folder(tmp_path, foley, hubert_and_kmeans, monkeypatch):
    import foley.models.unit_tokenizer as unit_tokenizer

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(unit_tokenizer, "save_centroids", interrupt)  # after hubert/ is written
    hubert, km = hubert_and_kmeans
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)
    assert code == 130 and err == "foley: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hubert", "km.bin"]


def test_a_tokenizer_copy_without_its_hubert_is_said_not_read_from_the_cwd(tmp_path, monkeypatch):
    shutil.copytree(DEMO_DIR, tmp_path / "tok")
    shutil.move(tmp_path / "tok" / "hubert", tmp_path / "hubert")  # a folder of that name in the cwd
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FoleyError, match=r"tok/hubert: no such folder"):
        UnitTokenizer.from_pretrained("tok")


def test_a_damaged_centroid_file_is_one_line(tmp_path):
    shutil.copytree(DEMO_DIR, tmp_path / "tok")
    path = tmp_path / "tok" / "centroids.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(FoleyError, match="centroids.safetensors: not a readable centroid file"):
        UnitTokenizer.from_pretrained(tmp_path / "tok")



def _edit_safetensors(path, edit) -> None:
    from safetensors.torch import load_file, save_file

    save_file(edit(load_file(str(path))), str(path), metadata={"format": "pt"})


def test_a_hubert_folder_missing_a_weight_is_refused_not_filled_at_random(tmp_path, foley, hubert_and_kmeans):
    hubert, km = hubert_and_kmeans
    weights = hubert / "model.safetensors"
    _edit_safetensors(weights, lambda state: {k: v for k, v in state.items()
                                              if k != "encoder.layers.0.feed_forward.output_dense.weight"})
    code, out, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "hubert: the HuBERT model's weights lack encoder.layers.0.feed_forward.output_dense.weight" in err
    assert not (tmp_path / "tok").exists()
    shutil.copytree(DEMO_DIR, tmp_path / "demo")  # the same for a tokenizer folder's own HuBERT
    _edit_safetensors(tmp_path / "demo" / "hubert" / "model.safetensors",
                      lambda state: {k: v for k, v in state.items() if k != "encoder.layer_norm.weight"})
    with pytest.raises(FoleyError, match=r"demo/hubert: the HuBERT model's weights lack encoder.layer_norm.weight"):
        UnitTokenizer.from_pretrained(tmp_path / "demo")
    weights.write_bytes(b"not safetensors")
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)
    assert code == 2 and err.count("\n") == 1 and "hubert: not a loadable HuBERT model (SafetensorError: " in err
    (hubert / "config.json").write_text("[1]")
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", km, "--out", tmp_path / "tok", "--layer", 2)
    assert code == 2 and "hubert/config.json: the HuBERT model config must hold a JSON object, got list" in err
    assert not (tmp_path / "tok").exists()


def test_centroids_that_are_not_finite_floats_are_refused(tmp_path, foley, hubert_and_kmeans):
    hubert, km = hubert_and_kmeans
    model = joblib.load(km)
    model.cluster_centers_[3, 5] = np.nan
    joblib.dump(model, tmp_path / "nan.bin")
    code, _, err = foley("import-tokenizer", "--hubert", hubert, "--kmeans", tmp_path / "nan.bin", "--out",
                         tmp_path / "tok", "--layer", 2)
    assert code == 2 and err.endswith("nan.bin: the k-means centroids hold NaN or infinite values\n")
    assert not (tmp_path / "tok").exists()
    shutil.copytree(DEMO_DIR, tmp_path / "demo")
    centroids = tmp_path / "demo" / "centroids.safetensors"
    for edit, said in ((lambda s: {"centroids": s["centroids"] * float("nan")}, "the centroids hold NaN"),
                       (lambda s: {"centroids": s["centroids"].long()}, r"not a centroid file \(expected a 2-D float"),
                       (lambda s: {"centroids": s["centroids"][:, :16].contiguous()},  # which file does not fit
                        r"demo/centroids.safetensors: centroids of shape \(128, 16\) do not fit 128-d HuBERT")):
        shutil.copy(DEMO_DIR / "centroids.safetensors", centroids)
        _edit_safetensors(centroids, edit)
        with pytest.raises(FoleyError, match=said):
            UnitTokenizer.from_pretrained(tmp_path / "demo")


def test_tokenizer_settings_of_the_wrong_kind_are_one_line(tmp_path):
    import json

    shutil.copytree(DEMO_DIR, tmp_path / "demo")
    config = tmp_path / "demo" / "config.json"
    saved = json.loads(config.read_text())
    for name, value in (("pretrained", 3), ("layer", "two"), ("normalize_waveform", "yes")):
        config.write_text(json.dumps({**saved, "features": {**saved["features"], name: value}}))
        with pytest.raises(FoleyError, match=rf"config.json: HuBERT feature setting {name} must be a \w+, got"):
            UnitTokenizer.from_pretrained(tmp_path / "demo")
    config.write_text(json.dumps(saved))
    shutil.rmtree(tmp_path / "demo" / "hubert")
    (tmp_path / "demo" / "hubert").write_text("a file where the HuBERT folder belongs")  # never read as a hub id
    with pytest.raises(FoleyError, match=r"demo/hubert: no such folder \(the tokenizer's HuBERT model"):
        UnitTokenizer.from_pretrained(tmp_path / "demo")


def _fairseq_key(key: str) -> str:
    """transformers HubertModel key -> fairseq's (the inverse of tokenizer_import._rename)."""
    parts = key.split(".")
    if key.startswith("feature_extractor.conv_layers."):
        return ".".join(parts[:3] + ["0" if parts[3] == "conv" else "2"] + parts[-1:])
    if key.startswith("feature_projection.layer_norm."):
        return key[len("feature_projection."):]
    if key == "masked_spec_embed":
        return "mask_emb"
    for new, old in (("post_extract_proj", "feature_projection.projection"),
                     ("encoder.pos_conv.0.weight_g", "encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
                     ("encoder.pos_conv.0.weight_v", "encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
                     ("encoder.pos_conv.0.", "encoder.pos_conv_embed.conv."), (".self_attn_layer_norm.", ".layer_norm."),
                     (".self_attn.", ".attention."), (".fc1.", ".feed_forward.intermediate_dense."),
                     (".fc2.", ".feed_forward.output_dense.")):
        key = key.replace(old, new)
    return key


def test_a_fairseq_checkpoint_with_missing_integer_or_nan_weights_is_refused(tmp_path, foley, hubert_and_kmeans):
    """fairseq's layout (plain-dict cfg, fairseq key names) without fairseq installed."""
    from foley.models.tokenizer_import import _rename, load_fairseq_hubert

    _, km = hubert_and_kmeans
    torch.manual_seed(0)
    reference = HubertModel(HubertConfig(**TINY)).eval()
    weights = {_fairseq_key(k): v for k, v in reference.state_dict().items()}
    assert all(_rename(_fairseq_key(k)) == k for k in reference.state_dict())
    cfg = {"model": {"encoder_embed_dim": 32, "encoder_layers": 3, "encoder_attention_heads": 2,
                     "encoder_ffn_embed_dim": 64, "conv_feature_layers": "[(16,10,5)] + [(16,3,2)] * 4 + [(16,2,2)] * 2",
                     "conv_pos": 16, "conv_pos_groups": 4}, "task": {"normalize": False}}
    key = "encoder.layers.1.fc1.weight"
    for name, state in (("ok.pt", weights), ("missing.pt", {k: v for k, v in weights.items() if k != key}),
                        ("int.pt", {**weights, key: weights[key].long()}),
                        ("nan.pt", {**weights, key: weights[key] * float("nan")})):
        torch.save({"args": None, "cfg": cfg, "model": state}, tmp_path / name)
    model, _ = load_fairseq_hubert(tmp_path / "ok.pt")
    assert all(torch.equal(v, reference.state_dict()[k]) for k, v in model.state_dict().items())
    for name, said in (("missing.pt", r"does not match a HuBERT model \(missing \['encoder.layers.1.feed_forward"),
                       ("int.pt", r"the weight encoder.layers.1.feed_forward.intermediate_dense.weight is torch.int64"),
                       ("nan.pt", r"feed_forward.intermediate_dense.weight holds NaN or infinite values$")):
        code, _, err = foley("import-tokenizer", "--hubert", tmp_path / name, "--kmeans", km, "--out", tmp_path / "tok",
                             "--layer", 2)
        assert code == 2 and err.count("\n") == 1 and re.search(f"{name}: .*{said}", err.strip()), err
        assert not (tmp_path / "tok").exists()
