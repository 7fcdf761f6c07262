"""The sound-effects classifier: a linear probe on clip embeddings, saved as JSON."""
from __future__ import annotations

import numpy as np
import pytest

from foley.errors import FoleyError

from foley.evaluation.classifier import SoundClassifier
from foley.evaluation.embedders import LogMelStats
from foley.evaluation.sfx_classifier import accuracy, clip_features, fit_classifier


def _features(rng, center, n):
    return center + 0.1 * rng.standard_normal((n, len(center)))


def test_probe_names_separable_classes_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    centers = {"rain": np.r_[1.0, 0, 0, 0], "thunder": np.r_[0, 1.0, 0, 0], "dog barks": np.r_[0, 0, 1.0, 0]}
    x = np.concatenate([_features(rng, c, 20) for c in centers.values()])
    y = [label for label in centers for _ in range(20)]
    clf = fit_classifier(x, y, features="toy")
    xt = np.concatenate([_features(rng, c, 5) for c in centers.values()])
    yt = [label for label in centers for _ in range(5)]
    assert accuracy(clf, xt, yt) == (1.0, 15)
    # labels the classifier never saw are left out of the accuracy, not counted wrong
    assert accuracy(clf, xt[:5], ["footsteps"] * 5)[1] == 0
    clf.save(tmp_path / "clf.json")
    loaded = SoundClassifier.load(tmp_path / "clf.json")
    assert loaded.features == "toy" and loaded.classes == clf.classes
    assert np.allclose(loaded.feature_probabilities(xt[0]), clf.feature_probabilities(xt[0]))


def test_two_classes_are_told_apart_with_a_probability_each():
    """scikit-learn gives two classes one row of weights; the probe keeps a probability per class."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    x = np.concatenate([_features(rng, np.r_[1.0, 0], 20), _features(rng, np.r_[0, 1.0], 20)])
    y = ["ball"] * 20 + ["hammer"] * 20
    clf = fit_classifier(x, y, features="toy")
    xt = np.concatenate([_features(rng, np.r_[1.0, 0], 5), _features(rng, np.r_[0, 1.0], 5)])
    assert accuracy(clf, xt, ["ball"] * 5 + ["hammer"] * 5) == (1.0, 10)
    p = clf.feature_probabilities(xt[-1])
    assert p.shape == (2,) and abs(p.sum() - 1) < 1e-9 and p[1] > 0.9
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6  # the sigmoid scikit-learn gives
    sk = LogisticRegression(max_iter=3000, C=0.5).fit((x - mean) / scale, y)
    assert np.allclose(p, sk.predict_proba(((xt[-1] - mean) / scale)[None])[0], atol=1e-6)
    with pytest.raises(FoleyError, match="at least two classes to fit; the train split has 20 clips of 1"):
        fit_classifier(x[:20], y[:20], features="toy")


def test_clip_features_are_the_mean_embedding():
    wav = np.random.default_rng(1).standard_normal(16_000 * 3).astype(np.float32) * 0.1
    embedder = LogMelStats()
    feats = clip_features(embedder, wav, 16_000)
    assert feats.shape == (128,) and np.allclose(feats, embedder.embed(wav).mean(axis=0), atol=1e-5)


def test_a_synthsync_folder_is_fitted_on_its_classes(tmp_path):
    """A SynthSync folder (synthsync.json) gives its clips' classes; a clip is classified by its mean embedding."""
    import json

    import pytest

    from foley.errors import FoleyError
    from foley.evaluation.sfx_classifier import corpus_features, is_synthsync, predict_clip
    from foley.media.audio import write_audio

    rng = np.random.default_rng(2)
    (tmp_path / "train").mkdir()
    lines = []
    for i, (name, freq) in enumerate([("low", 200.0), ("high", 3000.0)] * 3):
        wav = (0.3 * np.sin(2 * np.pi * freq * np.arange(16_000) / 16_000)).astype(np.float32)
        write_audio(tmp_path / "train" / f"c{i}.wav", wav + 0.01 * rng.standard_normal(16_000).astype(np.float32), 16_000)
        lines.append(json.dumps({"id": f"c{i}", "audio": f"train/c{i}.wav", "class": name}))
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "synthsync.json").write_text("{}")
    assert is_synthsync(tmp_path)
    embedder = LogMelStats()
    x, y = corpus_features(tmp_path, "train", embedder)
    assert x.shape == (6, 128) and y == ["low", "high"] * 3
    clf = fit_classifier(x, y, features=embedder.name)
    noise = 0.01 * np.random.default_rng(5).standard_normal(16_000).astype(np.float32)  # as the train clips have
    for name, freq in [("high", 3000.0), ("low", 200.0)]:
        tone = (0.3 * np.sin(2 * np.pi * freq * np.arange(16_000) / 16_000)).astype(np.float32) + noise
        assert predict_clip(clf, embedder, tone, 16_000) == name
    with pytest.raises(FoleyError, match="reads toy features"):
        predict_clip(fit_classifier(x, y, features="toy"), embedder, tone, 16_000)
