"""Unit tokenizer: HuBERT features, k-means assignment, <AUD_x> text, save/load, imports."""
from __future__ import annotations

import math

import joblib
import numpy as np
import pytest
import torch
from sklearn.cluster import MiniBatchKMeans
from transformers import HubertConfig, HubertModel

from foley.config import TimeBase
from foley.errors import FoleyError
from foley.models.hubert_features import HubertFeaturesConfig, build_hubert_features
from foley.models.kmeans import KMeansConfig, assign_units, fit_kmeans, load_centroids
from foley.models.tokenizer_import import import_joblib_kmeans, import_unit_tokenizer
from foley.models.unit_tokenizer import UnitTokenizer

from unit_models import TINY, K, make_tokenizer


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    """A tiny random HubertModel saved in the transformers layout."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("hubert")
    HubertModel(HubertConfig(**TINY)).save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def tok(hubert_dir):
    return make_tokenizer(hubert_dir)


def noise(n: int, seed: int) -> np.ndarray:
    return (0.3 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_raw_frame_count_is_the_reference_formula(tok):
    for n in (400, 719, 720, 1000, 16_000, 16_001, 33_333):
        expected = (n - 400) // 320 + 1
        assert tok.features.reference(noise(n, n)).shape == (expected, TINY["hidden_size"])
        assert int(tok.features.n_frames(torch.tensor(n))) == expected
    with pytest.raises(FoleyError, match="too short"):
        tok.features.reference(noise(399, 0))


def test_layer_features_equal_transformers_hidden_states(tok, hubert_dir):
    model = HubertModel.from_pretrained(str(hubert_dir)).eval()
    wav = noise(12_345, 3)
    with torch.no_grad():
        expected = model(torch.from_numpy(wav)[None], output_hidden_states=True).hidden_states[2][0]
    torch.testing.assert_close(tok.features.reference(wav), expected, atol=1e-5, rtol=1e-5)


def test_encode_gives_one_unit_per_token(tok):
    tb = TimeBase()
    for n in (1, 319, 320, 321, 16_000, 64_000, 64_100):
        units = tok.encode(noise(n, n))
        assert units.dtype == torch.long and units.shape == (math.ceil(n / 320),)
        assert len(units) == tb.tokens(n / tb.sample_rate)
    with pytest.raises(FoleyError, match="no samples"):
        tok.encode(np.zeros(0, np.float32))
    with pytest.raises(FoleyError, match="NaN"):
        tok.encode(np.full(800, np.nan, np.float32))


def test_batched_and_chunked_equal_one_by_one(hubert_dir):
    # Small chunks and batches: long items are cut, and batches mix items of all lengths.
    tok = make_tokenizer(hubert_dir, max_chunk_samples=3200, batch_samples=20_000)
    wavs = [noise(n, i) for i, n in enumerate((9_000, 400, 5_000, 7_345, 3_200, 777))]
    one_by_one = [tok.encode(w) for w in wavs]
    batched = tok.encode_batch(wavs)
    for single, together in zip(one_by_one, batched):
        assert torch.equal(single, together)
    feats_single = [tok.features.aligned([w])[0] for w in wavs]
    for a, b in zip(feats_single, tok.features.aligned(wavs)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    same_length = np.stack([noise(8_000, 10), noise(8_000, 11)])
    assert torch.equal(tok.encode(same_length), torch.stack([tok.encode(w) for w in same_length]))
    # The fairseq reader's chunking: chunks are framed separately, without overlap.
    assert len(tok.features.reference(noise(6_400, 5))) == 2 * ((3_200 - 400) // 320 + 1)


def test_encode_resamples(tok):
    wav = noise(8_000, 7)
    assert tok.encode(wav, sample_rate=8_000).shape == (50,)  # 1 s


def test_assignment_equals_sklearn_predict():
    rng = np.random.default_rng(0)
    train = rng.standard_normal((3_000, 24)).astype(np.float32)
    km = MiniBatchKMeans(n_clusters=40, n_init=1, random_state=0, batch_size=1024).fit(train)
    x = rng.standard_normal((10_000, 24)).astype(np.float32)
    ours = assign_units(torch.from_numpy(x), torch.from_numpy(km.cluster_centers_))
    assert np.array_equal(ours.numpy(), km.predict(x))
    batched = assign_units(torch.from_numpy(x).reshape(10, 1000, 24), torch.from_numpy(km.cluster_centers_))
    assert torch.equal(batched.reshape(-1), ours)


def test_fit_kmeans_uses_the_published_settings():
    config = KMeansConfig()
    assert (config.n_clusters, config.init, config.max_iter, config.batch_size, config.tol,
            config.max_no_improvement, config.n_init, config.reassignment_ratio) == (
        500, "k-means++", 100, 10_000, 0.0, 100, 20, 0.0)
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(c, 0.1, size=(200, 4)) for c in (-3.0, 0.0, 3.0)])
    centroids = fit_kmeans(blobs, KMeansConfig(n_clusters=3, n_init=2, max_iter=5))
    assert centroids.dtype == np.float32 and np.allclose(np.sort(centroids[:, 0]), [-3, 0, 3], atol=0.05)
    with pytest.raises(FoleyError, match="at least 500"):
        fit_kmeans(blobs[:499], KMeansConfig())


def test_text_round_trip_and_errors(tok):
    ids = torch.tensor([12, 7, 0, 15, 7])
    text = tok.to_text(ids)
    assert text == "<AUD_12><AUD_7><AUD_0><AUD_15><AUD_7>"
    assert torch.equal(tok.from_text(text), ids)
    assert torch.equal(tok.from_text(" <AUD_12> <AUD_7>\n"), ids[:2])
    assert tok.from_text("").shape == (0,)
    for bad, where in (("<AUD_12><AUD_7", "character 8"), ("<AUD_x>", "character 0"), ("AUD_1", "character 0"),
                       ("<AUD_01>", "character 0"), ("<AUD_1>hello", "character 7"), ("<aud_1>", "character 0")):
        with pytest.raises(FoleyError, match=f"malformed audio token text at {where}"):
            tok.from_text(bad)
    with pytest.raises(FoleyError, match=r"unit id 16 is out of range: this tokenizer has 16 units \(0-15\)"):
        tok.from_text("<AUD_3><AUD_16>")
    with pytest.raises(FoleyError, match="out of range"):
        tok.to_text([1, -1])


def test_centroids_lookup(tok):
    ids = torch.tensor([[3, 1, 3], [0, 15, 2]])
    vectors = tok.centroids(ids)
    assert vectors.shape == (2, 3, TINY["hidden_size"]) and vectors.dtype == torch.float32
    assert torch.equal(tok.centroids(ids[0]), vectors[0])
    assert torch.equal(vectors[0, 0], vectors[0, 2])
    # A centroid is its own unit.
    assert torch.equal(tok.assign(tok.centroids(torch.arange(K))), torch.arange(K))
    with pytest.raises(FoleyError, match="out of range"):
        tok.centroids(torch.tensor([16]))


def test_save_load_round_trip(tok, tmp_path):
    tok.save_pretrained(tmp_path / "tok")
    assert {p.name for p in (tmp_path / "tok").iterdir()} == {"config.json", "centroids.safetensors", "hubert"}
    assert (tmp_path / "tok" / "hubert" / "model.safetensors").is_file()
    loaded = UnitTokenizer.from_pretrained(tmp_path / "tok")
    assert (loaded.n_units, loaded.unit_dim, loaded.features.config.layer) == (K, TINY["hidden_size"], 2)
    wav = noise(9_000, 4)
    assert torch.equal(loaded.encode(wav), tok.encode(wav))
    torch.testing.assert_close(load_centroids(tmp_path / "tok" / "centroids.safetensors"), tok.centroids(torch.arange(K)))


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(FoleyError, match="not a unit tokenizer directory"):
        UnitTokenizer.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "something else"}')
    with pytest.raises(FoleyError, match=r"config.json: not a foley unit tokenizer config"):  # which file it is
        UnitTokenizer.from_pretrained(tmp_path)
    with pytest.raises(FoleyError, match="feature layer 5 does not exist"):
        build_hubert_features(HubertFeaturesConfig(hubert=TINY, layer=5))


def test_import_from_transformers_dir_and_joblib_kmeans(hubert_dir, tmp_path):
    rng = np.random.default_rng(2)
    km = MiniBatchKMeans(n_clusters=8, n_init=1, random_state=0).fit(rng.standard_normal((500, 32)).astype(np.float32))
    joblib.dump(km, tmp_path / "km.bin")
    torch.testing.assert_close(import_joblib_kmeans(tmp_path / "km.bin"), torch.from_numpy(km.cluster_centers_))
    tok = import_unit_tokenizer(str(hubert_dir), tmp_path / "km.bin", tmp_path / "out", layer=2)
    loaded = UnitTokenizer.from_pretrained(tmp_path / "out")
    wav = noise(16_000, 9)
    feats = loaded.features.aligned([wav])[0].numpy()
    assert np.array_equal(loaded.encode(wav).numpy(), km.predict(feats))
    assert torch.equal(tok.encode(wav), loaded.encode(wav))
    joblib.dump({"not": "a model"}, tmp_path / "bad.bin")
    with pytest.raises(FoleyError, match="not a fitted scikit-learn k-means"):
        import_joblib_kmeans(tmp_path / "bad.bin")
    other = MiniBatchKMeans(n_clusters=8, n_init=1, random_state=0).fit(rng.standard_normal((100, 16)).astype(np.float32))
    joblib.dump(other, tmp_path / "km16.bin")  # a k-means of another model's features
    with pytest.raises(FoleyError, match=r"km16.bin: centroids of shape \(8, 16\) do not fit 32-d HuBERT features$"):
        import_unit_tokenizer(str(hubert_dir), tmp_path / "km16.bin", tmp_path / "out16", layer=2)
    assert not (tmp_path / "out16").exists()


def test_fairseq_checkpoint_import_gives_fairseq_layer9_features(tmp_path):
    pytest.importorskip("fairseq")
    from fairseq.data import Dictionary
    from fairseq.models.hubert.hubert import HubertConfig as FairseqHubertConfig
    from fairseq.models.hubert.hubert import HubertModel as FairseqHubertModel
    from fairseq.tasks.hubert_pretraining import HubertPretrainingConfig
    from omegaconf import OmegaConf

    from foley.models.hubert_features import HubertFeatures
    from foley.models.tokenizer_import import load_fairseq_hubert

    torch.manual_seed(0)
    model_cfg = FairseqHubertConfig(
        encoder_layers=9, encoder_embed_dim=32, encoder_ffn_embed_dim=64, encoder_attention_heads=2,
        conv_feature_layers="[(16,10,5)] + [(16,3,2)] * 4 + [(16,2,2)] * 2", conv_pos=16, conv_pos_groups=4, final_dim=8,
        label_rate=50.0, extractor_mode="default")
    task_cfg = HubertPretrainingConfig(data="unused", labels=["km"], label_rate=50.0)
    labels = Dictionary()
    for i in range(10):
        labels.add_symbol(str(i))
    reference = FairseqHubertModel(model_cfg, task_cfg, [labels]).eval()
    # The layout fairseq's trainer writes: plain-dict cfg, model state, pickled task state.
    torch.save({"args": None, "cfg": {"model": OmegaConf.to_container(OmegaConf.structured(model_cfg), enum_to_str=True),
                                      "task": OmegaConf.to_container(OmegaConf.structured(task_cfg), enum_to_str=True)},
                "model": reference.state_dict(), "task_state": {"dictionaries": [labels]}}, tmp_path / "hubert.pt")
    model, normalize = load_fairseq_hubert(tmp_path / "hubert.pt")
    assert normalize is False
    ours = HubertFeatures(model, HubertFeaturesConfig(layer=9))
    wav = noise(16_000, 12)
    with torch.no_grad():
        expected = reference.extract_features(torch.from_numpy(wav)[None], padding_mask=None, mask=False, output_layer=9)[0][0]
    torch.testing.assert_close(ours.reference(wav), expected, atol=1e-4, rtol=1e-4)


def test_shipped_demo_tokenizer(tmp_path):
    from foley.media.audio import read_audio
    from foley.models.unit_tokenizer import DEMO_DIR

    tok = UnitTokenizer.from_pretrained(DEMO_DIR)
    assert (tok.n_units, tok.unit_dim, tok.features.config.layer) == (128, 128, 4)
    assert sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file()) < 5_000_000
    wav, rate = read_audio("data/examples/hammer.mp4")
    units = tok.encode(wav, sample_rate=rate)
    assert len(units) == TimeBase().tokens(len(wav) / rate)
    assert torch.equal(tok.from_text(tok.to_text(units)), units)
    assert torch.equal(tok.encode(wav, sample_rate=rate), units) and len(set(units.tolist())) > 3


def bursts(seconds: float, seed: int) -> np.ndarray:
    """A -60 dBFS noise floor with decaying noise bursts every 0.5 s (silent half the time)."""
    rng = np.random.default_rng(seed)
    wav = 0.001 * rng.standard_normal(int(seconds * 16_000))
    for start in range(4_000, len(wav) - 4_000, 8_000):
        wav[start:start + 4_000] += 0.3 * rng.standard_normal(4_000) * np.exp(-np.arange(4_000) / 1_000)
    return wav.astype(np.float32)


def test_demo_recipe_trains_the_hubert_and_gives_silence_one_unit(hubert_dir):
    from foley.training.tokenizer import (
        SILENCE_RMS,
        DemoRecipe,
        _hop_rms,
        fit_silence_aware_tokenizer,
        train_demo_hubert,
    )

    wavs = [bursts(2.0, seed) for seed in range(4)]
    recipe = DemoRecipe(hubert=dict(TINY, layerdrop=0.0), layer=2, n_units=6, mfcc_units=4, epochs=2,
                        batch_clips=2, crop_frames=40, warmup_steps=1, n_init=1, units_n_init=1)
    torch.manual_seed(recipe.seed)
    untrained = HubertModel(HubertConfig(**recipe.hubert)).state_dict()
    features = train_demo_hubert(wavs, recipe, log=lambda s: None)
    trained = features.model.state_dict()
    changed = [k for k in untrained if not torch.equal(untrained[k], trained[k])]
    assert len(changed) > len(untrained) // 2  # the encoder itself learned, not only the head
    assert not any(p.requires_grad for p in features.model.parameters()) and not features.model.training
    np.random.seed(123)  # the recipe must not depend on numpy's global state (HuBERT's masks draw from it)
    again = train_demo_hubert(wavs, recipe, log=lambda s: None).model.state_dict()
    assert all(torch.equal(trained[k], again[k]) for k in trained)

    tok = fit_silence_aware_tokenizer(features, wavs, KMeansConfig(n_clusters=6, n_init=1))
    assert tok.n_units == 6
    feats = torch.cat(features.aligned(wavs))  # (sum T, D)
    silent = torch.from_numpy(np.concatenate([_hop_rms(w, 320, math.ceil(len(w) / 320)) <= SILENCE_RMS for w in wavs]))
    torch.testing.assert_close(tok.centroids([0])[0], feats[silent].mean(0))
    units = tok.assign(feats)
    assert (units[~silent] != 0).float().mean() > 0.9  # sound frames use the other units


def test_the_tokenizer_command_never_writes_into_a_folder_of_other_files(tmp_path, capsys):
    from foley.training.tokenizer import main

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("")
    (tmp_path / "data" / "config.json").write_text("keep")  # e.g. a model folder, or the data itself
    for out, said in ((tmp_path / "data", "data: exists and is not a unit tokenizer folder (no centroids.safetensors)"),
                      (tmp_path / "new", "train.jsonl: the train split has no clips")):
        assert main(["demo", "--data", str(tmp_path / "data"), "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("foley.training.tokenizer: error: ") and said in err and err.count("\n") == 1, err
    assert (tmp_path / "data" / "config.json").read_text() == "keep" and not (tmp_path / "new").exists()


def test_the_kmeans_command_on_a_random_hubert_makes_the_same_tokenizer_each_run(tmp_path, monkeypatch):
    from dataclasses import replace

    import foley.training.tokenizer as recipe
    from foley.datasets.synthsync import SynthConfig, generate

    generate(tmp_path / "synth", n_train=2, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    build = recipe.build_hubert_features
    monkeypatch.setattr(recipe, "build_hubert_features", lambda cfg: build(replace(cfg, hubert=TINY)))  # a tiny Base
    for out in ("a", "b"):  # no --hubert: a random one
        assert recipe.main(["kmeans", "--data", str(tmp_path / "synth"), "--layer", "2", "--n-units", "3",
                            "--out", str(tmp_path / out)]) == 0
    a, b = (UnitTokenizer.from_pretrained(tmp_path / out) for out in ("a", "b"))
    assert torch.equal(a.centroids(torch.arange(3)), b.centroids(torch.arange(3)))
    weights_a, weights_b = a.features.model.state_dict(), b.features.model.state_dict()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
