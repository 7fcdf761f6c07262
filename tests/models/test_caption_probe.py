"""The caption probe: the class (and caption) a clip's frame features show."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from foley.errors import FoleyError
from foley.models.caption_probe import CaptionProbe, main

CLASSES = {"ball": ["a ball bounces", "a ball bouncing", "a ball bouncing"],
           "drum": ["drumming", "a stick hits a drum", "drumming"],
           "swords": ["two swords clash", "swords clashing", "two swords clash"]}


def _clips(seed: int, per_class: int = 3, dim: int = 6):
    """Clips (frames, dim) around one centre per class; their labels and captions."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.eye(len(CLASSES), dim) * 4.0
    clips, labels, captions = [], [], []
    for k, (label, texts) in enumerate(CLASSES.items()):
        for i in range(per_class):
            clips.append(centres[k] + torch.randn(5 + i, dim, generator=g))
            labels.append(label)
            captions.append(texts[i % len(texts)])
    return clips, labels, captions


def test_names_the_class_and_its_commonest_caption():
    probe = CaptionProbe.fit(*_clips(0))
    assert probe.labels == ["ball", "drum", "swords"]
    assert probe.captions == ["a ball bouncing", "drumming", "two swords clash"]
    clips, labels, _ = _clips(1)
    seen = [probe.seen(c) for c in clips]
    assert [s.label for s in seen] == labels and all(s.probability > 0.5 for s in seen)
    assert seen[3].caption == "drumming"
    p = probe.probabilities(clips[0])
    assert p.shape == (3,) and abs(float(p.sum()) - 1.0) < 1e-5


def test_a_clip_between_the_classes_is_not_captioned():
    probe = CaptionProbe.fit(*_clips(0), threshold=0.9)
    centres = torch.eye(3, 6) * 4.0
    between = centres.mean(0, keepdim=True).expand(4, -1)  # (4, 6): as near every class
    assert probe.seen(between) is None


def test_save_load_round_trip_and_errors(tmp_path):
    probe = CaptionProbe.fit(*_clips(0), threshold=0.6)
    probe.save(tmp_path / "p.safetensors")
    loaded = CaptionProbe.load(tmp_path / "p.safetensors")
    clip = _clips(2)[0][4]
    assert torch.allclose(loaded.probabilities(clip), probe.probabilities(clip), atol=1e-6)
    assert (loaded.labels, loaded.captions, loaded.threshold) == (probe.labels, probe.captions, 0.6)
    with pytest.raises(FoleyError, match="the caption probe reads 6-d frames"):
        loaded.seen(torch.zeros(3, 4))
    with pytest.raises(FoleyError, match="at least 2 classes"):
        CaptionProbe.fit([torch.zeros(2, 6)] * 2, ["ball"] * 2, ["a ball"] * 2)
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(FoleyError, match="not a caption probe file"):
        CaptionProbe.load(tmp_path / "bad.safetensors")
    save_file({"weight": torch.zeros(2, 4), "bias": torch.zeros(2), "mean": torch.zeros(4), "std": torch.ones(4)},
              str(tmp_path / "short.safetensors"), metadata={"labels": '["a"]', "captions": '["a"]', "threshold": "0.5"})
    with pytest.raises(FoleyError, match="damaged caption probe"):
        CaptionProbe.load(tmp_path / "short.safetensors")


def test_command_fits_saves_and_scores(tmp_path, capsys):
    cache = tmp_path / "cache"
    (cache / "features").mkdir(parents=True)
    (cache / "cache.json").write_text('{"format": "foley-frame-cache", "dim": 6}')
    for split, seed in (("train", 0), ("test", 1)):
        lines = []
        for i, (clip, label, caption) in enumerate(zip(*_clips(seed))):
            save_file({"features": clip.half()}, str(cache / "features" / f"{split}{i}.safetensors"))
            lines.append(json.dumps({"id": f"{split}{i}", "video": "x.mp4", "class": label, "caption": caption}))
        (tmp_path / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    args = ["--features", str(cache), "--manifest", str(tmp_path / "train.jsonl"), "--test", str(tmp_path / "test.jsonl")]
    main([*args, "--out", str(tmp_path / "p.safetensors")])
    out = capsys.readouterr().out
    assert "3 classes of 6-d frame features" in out and "test: 9/9 clips named right (1.000)" in out
    assert CaptionProbe.load(tmp_path / "p.safetensors").labels == ["ball", "drum", "swords"]
    (tmp_path / "nolabel.jsonl").write_text('{"id": "train0", "video": "x.mp4"}\n')
    for argv, message in ((["--manifest", str(tmp_path / "nolabel.jsonl")], "clip train0 has no class or caption"),
                          ([*args, "--out", str(cache), "--overwrite"], "cannot be written (a folder of that name is there)"),
                          ([*args, "--out", str(tmp_path / "p.safetensors")], "p.safetensors: already exists (pass --overwrite")):
        with pytest.raises(SystemExit) as exit_:
            main(["--features", str(cache), "--out", str(tmp_path / "q.safetensors"), *argv])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "q.safetensors").exists()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_are_scikit_learns(n_classes):
    from sklearn.linear_model import LogisticRegression

    clips, labels, captions = (v[:3 * n_classes] for v in _clips(0))
    probe = CaptionProbe.fit(clips, labels, captions)
    x = torch.stack([c.mean(0) for c in clips])
    reference = LogisticRegression(max_iter=2000, random_state=0).fit(((x - probe.mean) / probe.std).numpy(), labels)
    test = _clips(1)[0][:3 * n_classes]
    expected = reference.predict_proba(((torch.stack([c.mean(0) for c in test]) - probe.mean) / probe.std).numpy())
    got = torch.stack([probe.probabilities(c) for c in test])
    assert torch.allclose(got, torch.as_tensor(expected, dtype=torch.float32), atol=1e-5)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.__setitem__(1, torch.zeros(5, 7)), r"clip 1 \(counting from 0\): frame features \(5, 7\)"),
    (lambda c: c.__setitem__(2, torch.zeros(0, 6)), r"clip 2 \(counting from 0\): frame features \(0, 6\)"),
    (lambda c: c[0].__setitem__((0, 0), float("nan")), "NaN or infinite"),
])
def test_bad_features_are_refused_in_one_line(change, message):
    clips, labels, captions = _clips(0)
    change(clips)
    with pytest.raises(FoleyError, match=message):
        CaptionProbe.fit(clips, labels, captions)
    with pytest.raises(FoleyError, match="non-empty text"):
        CaptionProbe.fit(_clips(0)[0], [*labels[:-1], 1], captions)
