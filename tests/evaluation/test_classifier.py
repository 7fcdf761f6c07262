import json

import numpy as np
import pytest

from foley.datasets.synthsync import CLASS_NAMES, generate, load_manifest
from foley.errors import FoleyError
from foley.evaluation.classifier import SoundClassifier, fit
from foley.media.audio import read_audio


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth_cls")
    generate(root, n_train=16, n_test=8, seed=21, workers=2, progress=False)
    return root


def test_fit_save_load(synth, tmp_path):
    clf, accuracy = fit(synth)
    assert sorted(clf.classes) == sorted(CLASS_NAMES) and accuracy >= 0.9
    clf.save(tmp_path / "c.json")
    again = SoundClassifier.load(tmp_path / "c.json")
    wav, _ = read_audio(load_manifest(synth, "test")[0]["audio"])
    np.testing.assert_allclose(again.probabilities(wav), clf.probabilities(wav))


def test_shipped_demo_classifier_knows_synthsync(synth):
    clf = SoundClassifier.load()
    hits = total = 0
    for e in load_manifest(synth, "test"):
        wav, _ = read_audio(e["audio"])
        for t in e["onsets_s"]:
            hits += clf.predict(wav[round(t * 16_000):]) == e["class"]
            total += 1
    assert hits / total >= 0.95


def test_whole_clip_class(synth):
    clf = SoundClassifier.load()
    entries = load_manifest(synth, "test")
    right = [clf.predict_clip(read_audio(e["audio"])[0]) == e["class"] for e in entries]
    assert sum(right) >= len(entries) - 1
    assert clf.predict_clip(np.zeros(16_000, np.float32)) in clf.classes  # silence: an answer, no crash


def test_bad_file(tmp_path):
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(FoleyError, match="not a foley sound classifier"):
        SoundClassifier.load(tmp_path / "x.json")
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(FoleyError, match="list.json: not a foley sound classifier$"):
        SoundClassifier.load(tmp_path / "list.json")
    good = {"format": "foley-sound-classifier", "classes": ["a", "b"], "mean": [0, 0], "scale": [1, 1],
            "coef": [[1, 0], [0, 1]], "intercept": [0, 0]}
    for damage in ({"mean": None}, {"coef": [[1, 0]]}, {"coef": [[1, 0], [1]]}, {"scale": [1]}, {"extra": 1},
                   {"intercept": ["x", 0]}):
        (tmp_path / "d.json").write_text(json.dumps({k: v for k, v in {**good, **damage}.items() if v is not None}))
        with pytest.raises(FoleyError, match="d.json: a damaged foley sound classifier"):
            SoundClassifier.load(tmp_path / "d.json")
    (tmp_path / "d.json").write_text(json.dumps(good))
    assert SoundClassifier.load(tmp_path / "d.json").classes == ["a", "b"]


def test_an_out_that_is_a_folder_is_refused_before_fitting(tmp_path, capsys):
    import subprocess
    import sys

    (tmp_path / "out").mkdir()
    proc = subprocess.run([sys.executable, "-m", "foley.evaluation.classifier", "--data", str(tmp_path / "nowhere"),
                           "--out", str(tmp_path / "out"), "--overwrite"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip().endswith(
        f"{tmp_path / 'out'}: cannot be written (a folder of that name is there)"), proc.stderr
