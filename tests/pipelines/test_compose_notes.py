"""`foley compose` names the captions its backbone never learned anything like, in the
command line's notes and in the browser's compose tab."""
from __future__ import annotations

import pytest
import torch

import foley.models.known_sounds as known_sounds
from foley.models.backbone import build_backbone
from foley.models.known_sounds import write_known_sounds
from foley.pipelines.compose import caption_notes

from auffusion_models import TINY, tiny_backbone, tiny_sentence_encoder


@pytest.fixture
def model(tmp_path, monkeypatch):
    """A tiny condition-layout backbone that learned only "thunder"; the tiny random encoder
    puts every text near every other (cosine > 0.9), so the threshold sits just under 1."""
    torch.manual_seed(0)
    backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    backbone.save_pretrained(tmp_path / "bb")
    write_known_sounds(tmp_path / "bb", ["thunder"])
    monkeypatch.setattr(known_sounds, "UNFAMILIAR_SIMILARITY", 0.9999)
    return backbone, tmp_path / "bb"


def test_only_the_unlearned_caption_gets_a_note_once(model):
    backbone, folder = model
    notes = caption_notes(backbone, str(folder), ["rain falls", "thunder", "rain falls"])
    assert len(notes) == 1 and notes[0].startswith("'rain falls' is unlike every sound this backbone learned")
    assert "nearest: 'thunder'" in notes[0] and str(folder / "sounds.json") in notes[0]
    assert caption_notes(backbone, str(folder), []) == []  # a follow-up turn with no new caption


def test_no_note_without_a_list_or_a_sentence_encoder(model, tmp_path):
    backbone, folder = model
    assert caption_notes(backbone, "owner/hub-model", ["rain falls"]) == []  # a hub id: no list to compare with
    (folder / "sounds.json").unlink()
    assert caption_notes(backbone, str(folder), ["rain falls"]) == []
    clip_backbone = tiny_backbone(tmp_path / "sd")  # the stable-diffusion layout: no sentence embeddings
    write_known_sounds(tmp_path / "sd_bb", ["thunder"])
    assert caption_notes(clip_backbone, str(tmp_path / "sd_bb"), ["rain falls"]) == []


def test_the_compose_tab_shows_the_note(model, tmp_path):
    pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
    from foley.ui import Studio

    _, folder = model
    studio = Studio(compose_model=str(folder), device="cpu", root=tmp_path / "ui")
    result = studio.compose("rain falls, then thunder", "s1", duration_s=1.0, steps=1, new=True)
    assert [row[0] for row in result["plan"]] == ["rain falls", "thunder"]
    assert len(result["notes"]) == 1 and result["notes"][0].startswith("'rain falls' is unlike")


def test_a_follow_up_turn_notes_only_its_new_captions():
    from foley.pipelines.compose import new_captions
    from foley.pipelines.plan import Event, Plan

    first = Plan(8.0, (Event("rain falls", 0, 4), Event("thunder", 2, 3)))
    second = Plan(8.0, (*first.events, Event("a gong", 5, 6)))
    assert new_captions(second, first) == ["a gong"]
    assert new_captions(second, None) == ["rain falls", "thunder", "a gong"]
