import json

import numpy as np
import pytest

from foley.datasets.event_sounds import SoundBank, cut_events
from foley.datasets.synthsync import (
    RECORDED_CLASSES,
    RECORDED_LABELS,
    SynthConfig,
    generate,
    load_manifest,
    render_clip,
)
from foley.errors import FoleyError
from foley.evaluation.onset import detect_onsets
from foley.media.audio import read_audio, write_audio

SR = 16_000


def burst(rng, n_s: float, freq: float, decay_s: float = 0.05) -> np.ndarray:
    """A struck sound: sharp attack, exponential decay, a tone plus noise."""
    t = np.arange(int(n_s * SR)) / SR
    return (np.sin(2 * np.pi * freq * t) + 0.3 * rng.standard_normal(t.size)) * np.exp(-t / decay_s)


def recording(rng, starts_s: list[float], freq: float, length_s: float = 1.0) -> np.ndarray:
    wav = np.zeros(int(length_s * SR))
    for s in starts_s:
        b = burst(rng, 0.15, freq)
        wav[int(s * SR):int(s * SR) + b.size] += b
    return 0.5 * wav / np.abs(wav).max()


def test_cut_events_splits_at_attacks():
    rng = np.random.default_rng(0)
    wav = recording(rng, [0.0, 0.4, 0.8], 700, length_s=1.2)  # three strikes
    events = cut_events(wav, SR)
    assert len(events) == 3
    for ev in events:
        assert ev.dtype == np.float32 and np.abs(ev).max() <= 1.0 + 1e-6
        assert 0.2 * SR <= ev.size <= 0.45 * SR  # each ends before the next strike
        found = detect_onsets(np.pad(ev, SR // 4), SR) - SR // 4
        assert found.size >= 1 and np.all(np.abs(found) <= 0.1 * SR)  # one attack, at the start
        assert np.abs(ev[-10:]).max() < 0.05 * np.abs(ev).max()  # faded at the cut


def test_cut_events_leaves_out_a_swell():
    t = np.arange(SR) / SR
    swell = np.sin(2 * np.pi * 300 * t) * np.minimum(1, t / 0.6) ** 3  # no attack to place on a contact frame
    assert cut_events(swell, SR) == []
    assert cut_events(np.zeros(SR), SR) == []


def write_corpus(root, missing: str | None = None):
    """A corpus in `foley prepare sfx`'s layout: two recordings per label and split."""
    rng = np.random.default_rng(1)
    entries = {"train": [], "test": []}
    for split in entries:
        (root / split).mkdir(parents=True)
        for i, label in enumerate(RECORDED_LABELS):
            if split == "test" and label == missing:
                continue
            for take in range(2):
                rec = f"{split}-{i:02d}-{take}"
                freq = 300 + 40 * i + (0 if split == "train" else 15) + 5 * take
                write_audio(root / split / f"{rec}.wav", recording(rng, [0.0], freq, 0.5), SR)
                entries[split].append({"id": rec, "audio": f"{split}/{rec}.wav", "label": label,
                                       "caption": label, "recording": f"pkg:{rec}"})
        (root / f"{split}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries[split]))
    (root / "sfx.json").write_text(json.dumps({"name": "sfx", "corpus_version": 1, "sources": {}}))
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("sfx"))


def test_bank_reads_one_split(corpus):
    bank = SoundBank(corpus, "test", RECORDED_LABELS, SR)
    assert set(bank.events) == set(RECORDED_LABELS)
    assert all(ev.recording.startswith("pkg:test-") for evs in bank.events.values() for ev in evs)
    ev = bank.draw(("thud",), np.random.default_rng(0))
    assert ev.label == "thud" and ev.audio.ndim == 1


def test_recorded_clips(corpus, tmp_path):
    n = len(RECORDED_CLASSES)
    info = generate(tmp_path / "rs", n_train=n, n_test=n, seed=3, workers=1, progress=False, sounds=corpus)
    assert info["classes"] == [c.name for c in RECORDED_CLASSES]
    assert info["sounds"]["recordings"]["test"]["ball"] == 6  # three labels, two recordings each
    for split in ("train", "test"):
        entries = load_manifest(tmp_path / "rs", split)
        assert {e["class"] for e in entries} == set(info["classes"])
        for e in entries:
            side = json.loads(open(e["sidecar"]).read())
            assert side["sounds"] == "recorded" and len(side["recordings"]) == len(side["onsets_s"])
            assert all(r.startswith(f"pkg:{split}-") for r in side["recordings"])  # never the other split's
            wav, _ = read_audio(e["audio"])
            for t in side["onsets_s"]:  # the attack starts at the annotated onset
                k = round(t * SR)
                before, after = np.abs(wav[k - 160:k]).max(), np.abs(wav[k:k + 160]).max()
                assert after > 10 * before, (e["id"], t, before, after)
    again = render_clip(3, "test", 5, SynthConfig(), str(corpus.resolve()))
    wav, _ = read_audio(tmp_path / "rs" / "test" / f"{again['sidecar']['id']}.wav")
    assert np.abs(wav - again["audio"]).max() < 2e-4  # deterministic (16-bit wav rounding)


def test_bad_sounds_folder(tmp_path):
    with pytest.raises(FoleyError, match="not a sound-effects corpus"):
        generate(tmp_path / "rs", n_train=1, n_test=1, workers=1, progress=False, sounds=tmp_path)
    corpus = write_corpus(tmp_path / "holey", missing="swords clash")
    with pytest.raises(FoleyError, match="no usable recording for the class swords"):
        generate(tmp_path / "rs", n_train=1, n_test=1, workers=1, progress=False, sounds=corpus)
    assert not (tmp_path / "rs").exists()  # checked before anything is written
    (corpus / "sfx.json").write_text('{"broken')
    with pytest.raises(FoleyError, match="sfx.json: not a readable sound-effects corpus description"):
        generate(tmp_path / "rs", n_train=1, n_test=1, workers=1, progress=False, sounds=corpus)
    (corpus / "sfx.json").write_text("[1]")
    with pytest.raises(FoleyError, match="must hold a JSON object, got list"):
        generate(tmp_path / "rs", n_train=1, n_test=1, workers=1, progress=False, sounds=corpus)
