import re

import numpy as np
import pytest
import scipy.linalg
import torch

from foley.errors import FoleyError
from foley.evaluation.embedders import (
    Cnn14,
    Cnn14Config,
    TorchEmbedder,
    VGGish,
    VGGishConfig,
    embed_audio,
    get_embedder,
    vggish_examples,
    vggish_mel_matrix,
)
from foley.evaluation.fad import EmbeddingStats, embedding_stats, frechet_distance, trace_sqrt_product


def test_identical_sets_give_zero():
    emb = np.random.default_rng(0).normal(size=(500, 16))
    s = embedding_stats(emb)
    assert frechet_distance(s, s) == pytest.approx(0.0, abs=1e-6)


def test_two_gaussians_closed_form():
    mu1, mu2 = np.zeros(4), np.array([1.0, -2.0, 0.5, 0.0])
    sd1, sd2 = np.array([1.0, 2.0, 0.5, 1.5]), np.array([2.0, 1.0, 0.5, 3.0])
    exact = frechet_distance(EmbeddingStats(mu1, np.diag(sd1**2), 0), EmbeddingStats(mu2, np.diag(sd2**2), 0))
    assert exact == pytest.approx(np.sum((mu1 - mu2) ** 2) + np.sum((sd1 - sd2) ** 2), rel=1e-12)
    rng = np.random.default_rng(1)
    a = embedding_stats(mu1 + sd1 * rng.normal(size=(200_000, 4)))
    b = embedding_stats(mu2 + sd2 * rng.normal(size=(200_000, 4)))
    assert frechet_distance(a, b) == pytest.approx(exact, rel=0.01)


def test_sqrt_trace_agrees_with_scipy_when_well_conditioned():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    ref = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert trace_sqrt_product(s1, s2) == pytest.approx(ref, rel=1e-9)


def test_sqrt_trace_real_and_non_negative_when_rank_deficient():
    rng = np.random.default_rng(3)
    low = rng.normal(size=(10, 2)) @ rng.normal(size=(2, 6))  # rank 2 in 6 dims
    s1 = np.cov(low, rowvar=False)
    s2 = np.cov(rng.normal(size=(4, 6)), rowvar=False)  # rank 3
    value = trace_sqrt_product(s1, s2)
    assert isinstance(value, float) and np.isfinite(value) and value >= 0
    d = frechet_distance(EmbeddingStats(np.zeros(6), s1, 10), EmbeddingStats(np.zeros(6), s1, 10))
    assert d == pytest.approx(0.0, abs=1e-9)


def test_needs_more_samples_than_dimensions():
    with pytest.raises(FoleyError, match=r"more embeddings than dimensions .* \(got N=128, D=128\)"):
        embedding_stats(np.zeros((128, 128)))
    for shape in ((1, 128), (1, 1)):  # no number of principal components helps one embedding
        with pytest.raises(FoleyError, match=r"^x: FAD needs at least two embeddings for a covariance, got 1; use more or "
                                             r"longer clips$"):
            embedding_stats(np.zeros(shape), "x")
    with pytest.raises(FoleyError, match="dimension 3 and 4"):
        frechet_distance(embedding_stats(np.random.rand(10, 3)), embedding_stats(np.random.rand(10, 4)))


def test_logmel_stats_offline_embedder():
    e = get_embedder("logmel")
    wav = np.random.default_rng(0).normal(size=32_000).astype(np.float32) * 0.1
    emb = embed_audio(e, wav, 16_000)
    assert e.name == "logmel-stats" and emb.shape == (3, 128)  # 2 s: windows at 0, 0.48, 0.96 s
    assert embed_audio(e, wav[:4000], 16_000).shape == (1, 128)  # shorter than a window: padded


def test_a_clip_shorter_than_a_window_is_padded_with_silence():
    # Padded log-mel frames of 0 would be a loud sound: a short burst would embed as a much louder one.
    burst = np.zeros(32_000, np.float32)
    burst[:2000] = np.random.default_rng(0).normal(size=2000) * 0.1
    e = get_embedder("logmel")
    np.testing.assert_allclose(e.embed(burst[:4000]), e.embed(burst)[:1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vggish_examples(burst[:4000]), vggish_examples(burst)[:1], rtol=1e-6)
    model = Cnn14(Cnn14Config(widths=(2, 4, 4, 4, 4, 8))).eval()
    with torch.no_grad():  # under its shortest input (0.31 s) the released Cnn14 stops with an error
        short, long = model(torch.from_numpy(burst[None, :4000])), model(torch.from_numpy(burst[None, :4960]))
    torch.testing.assert_close(short, long)


def test_vggish_front_end_shapes_and_mel_matrix():
    assert vggish_examples(np.zeros(16_000)).shape == (1, 96, 64)
    assert vggish_examples(np.zeros(48_000)).shape == (3, 96, 64)
    w = vggish_mel_matrix()
    assert w.shape == (257, 64) and w[0].sum() == 0 and (w.max(axis=0) > 0.5).all()
    peaks_hz = w.argmax(axis=0) * 8000 / 256
    assert peaks_hz[0] < 200 and 6500 < peaks_hz[-1] < 7500 and np.all(np.diff(peaks_hz) >= 0)


def test_vggish_loads_torchvggish_state_dict(tmp_path):
    torch.manual_seed(0)
    cfg = VGGishConfig(layers=(4, "M", 4, "M", 8, 8, "M", 8, 8, "M"), hidden=16, dim=12)
    src = VGGish(cfg)
    assert {"features.0.weight", "features.3.weight", "features.13.weight", "embeddings.4.weight"} <= set(src.state_dict())
    torch.save(src.state_dict(), tmp_path / "vggish.pth")
    e = TorchEmbedder.vggish(tmp_path / "vggish.pth", cfg)
    wav = np.random.default_rng(0).normal(size=32_000).astype(np.float32) * 0.1
    out = e.embed(wav)
    assert e.name == "vggish" and out.shape == (2, 12)
    with torch.no_grad():
        expected = src.eval()(torch.from_numpy(vggish_examples(wav)).unsqueeze(1)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_panns_loads_released_checkpoint_layout(tmp_path):
    torch.manual_seed(0)
    cfg = Cnn14Config(widths=(2, 4, 4, 4, 4, 8), n_classes=5)
    src = Cnn14(cfg)
    state = dict(src.state_dict())
    state["spectrogram_extractor.stft.conv_real.weight"] = torch.zeros(257, 1, 512)
    state["logmel_extractor.melW"] = torch.zeros(257, 64)
    torch.save({"model": state, "iteration": 100}, tmp_path / "Cnn14_16k.pth")
    e = TorchEmbedder.panns_cnn14_16k(tmp_path / "Cnn14_16k.pth", cfg)
    out = e.embed(np.random.default_rng(0).normal(size=16_000).astype(np.float32) * 0.1)
    assert e.name == "panns-cnn14-16k" and out.shape == (1, 8) and (out >= 0).all()


def test_embedder_errors(tmp_path):
    with pytest.raises(FoleyError, match="unknown embedder 'clap'"):
        get_embedder("clap")
    with pytest.raises(FoleyError, match="VGGish weights not found"):
        get_embedder(f"vggish:{tmp_path / 'none.pth'}")
    (tmp_path / "bad.pth").write_text("not a checkpoint")
    with pytest.raises(FoleyError, match="cannot read PANNs Cnn14-16k weights"):
        get_embedder(f"panns:{tmp_path / 'bad.pth'}")
    torch.save([1, 2], tmp_path / "list.pth")
    torch.save({"features.0.weight": torch.zeros(2, 2)}, tmp_path / "other.pth")
    for spec, said in ((f"vggish:{tmp_path / 'list.pth'}", "list.pth: not VGGish weights (a checkpoint holds a dict"),
                       (f"panns:{tmp_path / 'other.pth'}", "other.pth: not PANNs Cnn14-16k weights (Missing key"),
                       (f"vggish:{tmp_path / 'other.pth'}", "other.pth: not VGGish weights (")):
        with pytest.raises(FoleyError, match=re.escape(said)):
            get_embedder(spec)


def test_pca_projection_keeps_the_leading_directions():
    from foley.evaluation.embedders import PCAEmbedder
    from foley.evaluation.fad import pca_projection

    rng = np.random.default_rng(0)
    blocks = rng.normal(size=(200, 6)) * np.array([5.0, 3.0, 0.1, 0.1, 0.1, 0.1]) + 2.0  # two strong directions
    project = pca_projection(blocks, 2)
    out = project(blocks)
    assert out.shape == (200, 2) and np.allclose(out.mean(axis=0), 0, atol=1e-9)
    assert np.allclose(np.var(out, axis=0), [25.0, 9.0], rtol=0.25)  # the variances of the kept directions
    with pytest.raises(FoleyError, match="PCA to 7 dimensions"):
        pca_projection(blocks, 7)
    e = PCAEmbedder(get_embedder("logmel"), rng.normal(size=(300, 128)), 32)
    wav = rng.normal(size=32_000).astype(np.float32) * 0.1
    assert e.name == "logmel-stats-pca32" and embed_audio(e, wav, 16_000).shape == (3, 32)


def test_one_dimension_gives_the_closed_form():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (400, 1)), rng.normal(2, 3, (400, 1))
    d = frechet_distance(embedding_stats(a), embedding_stats(b))  # (m1 - m2)^2 + (s1 - s2)^2 in 1-D
    assert d == pytest.approx((a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2)
