"""Importers and loaders: bad or incomplete model files are one line, inputs are never replaced."""
from __future__ import annotations

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

