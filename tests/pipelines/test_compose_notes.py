"""`foley compose` names the captions its backbone never learned anything like, in the
command line's notes and in the browser's compose tab."""
from __future__ import annotations

import re

import pytest
import torch

import foley.models.known_sounds as known_sounds
from foley.errors import FoleyError
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
    monkeypatch.setattr(known_sounds, "FAMILIAR_SIMILARITY", 0.9999)
    return backbone, tmp_path / "bb"


def test_only_the_unlearned_caption_gets_a_note_once(model):
    backbone, folder = model
    notes = caption_notes(backbone.text, str(folder), ["rain falls", "thunder", "rain falls"])
    assert len(notes) == 1 and notes[0].startswith("'rain falls' is unlike every sound this backbone learned")
    assert "nearest: 'thunder'" in notes[0] and str(folder / "sounds.json") in notes[0]
    assert caption_notes(backbone.text, str(folder), []) == []  # a follow-up turn with no new caption


def test_a_caption_only_as_near_as_another_sound_may_be_is_told_which_it_may_sound_like(model, monkeypatch):
    backbone, folder = model
    monkeypatch.setattr(known_sounds, "UNFAMILIAR_SIMILARITY", -1.0)  # near enough to be no stranger ...
    notes = caption_notes(backbone.text, str(folder), ["rain falls", "thunder"], where=False)
    assert notes == [notes[0]] and re.fullmatch(r"'rain falls' is nearest to 'thunder' of the sounds this backbone "
                                               r"learned \(similarity \d\.\d\d\); it may come out like that", notes[0])


def test_a_learned_text_of_the_same_thing_doing_something_else_is_named():
    """Near a learned text of its thing that does not say its sound (a door, but no knock): what it may come out like."""
    from foley.pipelines.compose import nearest_note

    assert nearest_note("a knock on a wooden door", "door", 0.63).startswith(
        "'a knock on a wooden door' is nearest to 'door' of the sounds this backbone learned (similarity 0.63)")
    assert "'a horse neighs'" in nearest_note("a horse gallops", "a horse neighs", 0.65)
    for caption, nearest in (("a door is closed", "a door opens and shuts"), ("a door slams", "a door bangs"),
                             ("rain starts", "rain"), ("heavy rain", "rain falling"),
                             ("a horse neighs", "a horse neighs"), ("birds chirp in a forest", "birds in a forest"),
                             ("someone walking on gravel", "footsteps on gravel, walking"),
                             ("faster footsteps", "footsteps on dirt"), ("distant thunder", "thunder")):
        assert nearest_note(caption, nearest, 0.8) is None, caption  # the same sound said otherwise
    # another thing doing the same: it was no note ("chirping" said of both)
    for caption, nearest in (("birds chirping", "crickets chirping at night"),
                             ("a ball bounces", "small object bounces")):
        assert f"is nearest to {nearest!r}" in nearest_note(caption, nearest, 0.7), caption


def test_no_note_without_a_list_or_a_sentence_encoder(model, tmp_path):
    backbone, folder = model
    assert caption_notes(backbone.text, "owner/hub-model", ["rain falls"]) == []  # a hub id: no list to compare with
    (folder / "sounds.json").unlink()
    assert caption_notes(backbone.text, str(folder), ["rain falls"]) == []
    clip_backbone = tiny_backbone(tmp_path / "sd")  # the stable-diffusion layout: no sentence embeddings
    write_known_sounds(tmp_path / "sd_bb", ["thunder"])
    assert caption_notes(clip_backbone.text, str(tmp_path / "sd_bb"), ["rain falls"]) == []


def test_the_compose_tab_shows_the_note(model, tmp_path):
    pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
    from foley.ui import Studio

    _, folder = model
    studio = Studio(compose_model=str(folder), device="cpu", root=tmp_path / "ui")
    result = studio.compose("rain falls, then thunder", "s1", duration_s=1.0, steps=1, new=True)
    assert [row[0] for row in result["plan"]] == ["rain falls", "thunder"]
    assert len(result["notes"]) == 2 and result["notes"][0].startswith("'rain falls' is unlike")
    assert result["notes"][1].startswith("'thunder' at 0.5 s still sounds when the bed ends at 1 s")  # random noise
    assert "what it learned" not in result["notes"][0] and str(folder) not in result["notes"][0]  # no server path
    # the page's number fields are checked before anything runs; the bed keeps its length
    for duration, said in [(None, "duration (s): give a number from 0.5 to 600"),
                           (0, "duration (s): give a number from 0.5 to 600, not 0"), (-5, "not -5")]:
        with pytest.raises(FoleyError, match=re.escape(said)):
            studio.compose("rain falls", "s1", duration_s=duration, steps=1, new=True)
    with pytest.raises(FoleyError, match="type an edit of the bed first"):
        studio.compose("", "s1", duration_s=1.0, steps=1)
    edited = studio.compose("make the thunder louder", "s1", duration_s=20.0, steps=1)
    assert edited["notes"][-1] == "this bed stays 1 s long; a duration applies to a new bed (New bed)"


def test_the_dub_tab_checks_its_numbers_before_dubbing(tmp_path):
    pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
    from foley.ui import Studio, for_the_page

    studio = Studio(model="no model is loaded before these checks", device="cpu", root=tmp_path / "ui")
    video = str(tmp_path / "clip.mp4")
    for kwargs, said in [({"seed": None}, "seed: give a whole number from 0 to 4294967295"),
                         ({"seed": 1e30}, "seed: give a whole number from 0 to 4294967295, not 1e+30"),
                         ({"seed": 1.5}, "not 1.5"),
                         ({"mix_original_db": 1e300}, "original gain (dB): give a number from -80 to 20, not 1e+300"),
                         ({"mix_original_db": None, "mix_asked": True}, "original gain (dB): give a number")]:
        with pytest.raises(FoleyError, match=re.escape(said)):
            studio.dub(video, "s", **kwargs)
    assert for_the_page("...; the video's own soundtrack is not in the output (--keep-original keeps it as a second "
                        "track)").endswith("('keep the original track' keeps it as a second track)")


def test_a_follow_up_turn_notes_only_its_new_captions():
    from foley.pipelines.compose import new_captions
    from foley.pipelines.plan import Event, Plan

    first = Plan(8.0, (Event("rain falls", 0, 4), Event("thunder", 2, 3)))
    second = Plan(8.0, (*first.events, Event("a gong", 5, 6)))
    assert new_captions(second, first) == ["a gong"]
    assert new_captions(second, None) == ["rain falls", "thunder", "a gong"]


def test_words_a_word_level_vocabulary_lacks_are_named(tmp_path):
    """The demo backbone's text encoder reads whole words: one it never learned is its unknown
    token, so the caption is heard without it. Subword tokenizers spell any word: no note."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from foley.pipelines.compose import unknown_words

    words = Tokenizer(models.WordLevel({"<unk>": 0, "a": 1, "hammer": 2, "on": 3, "metal": 4}, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>")
    assert unknown_words(tokenizer, "A hammer on metal!") == []
    assert unknown_words(tokenizer, "a dog barks, a dog") == ["dog", "barks"]
    assert unknown_words(tiny_backbone(tmp_path / "sd").text.tokenizer, "rain falls") == []  # CLIP's BPE


def test_the_note_on_words_a_vocabulary_lacks_counts_its_words_not_its_special_tokens():
    """The demo backbone's vocabulary is 42 words and 4 special tokens (<s>, </s>, <pad>, <unk>):
    the note says how many words it learned, not how many entries it has."""
    from types import SimpleNamespace

    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3, "a": 4, "hammer": 5, "on": 6, "metal": 7}
    words = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>")
    notes = caption_notes(SimpleNamespace(tokenizer=tokenizer), "unused", ["a dog barks"])
    assert notes == ["'a dog barks': the words 'dog' and 'barks' are not in this backbone's vocabulary (4 words, "
                     "those of its training captions); it hears the caption without them and may make another sound"]


def test_the_compose_tab_lays_a_new_bed_under_a_video_and_its_edits_too(model, av_clip, tmp_path):
    pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
    import av

    from foley.media.video import probe_video
    from foley.ui import Studio

    from conftest import video_packet_hash

    _, folder = model
    studio = Studio(compose_model=str(folder), device="cpu", root=tmp_path / "ui")
    first = studio.compose("thunder", "s1", duration_s=10.0, steps=1, new=True, video=str(av_clip))
    video_s = probe_video(av_clip).duration_s
    assert first["notes"][-1] == f"the bed is as long as the video, {video_s:g} s"  # not the 10 s field
    assert first["video"].name == "bed-1.mp4" and video_packet_hash(first["video"]) == video_packet_hash(av_clip)
    with av.open(str(first["video"])) as c:
        assert len(c.streams.audio) == 2  # the bed, then the video's own sound
    edited = studio.compose("make the thunder louder by 3 dB", "s1", steps=1)  # the video field left empty
    assert edited["video"].name == "bed-2.mp4" and edited["video"].is_file()
    assert not any("stays" in note for note in edited["notes"])  # the 10 s field says nothing of this bed's length
    plain = studio.compose("thunder", "s1", duration_s=1.0, steps=1, new=True)  # a new bed without one
    assert plain["video"] is None
    with pytest.raises(FoleyError, match=r"^video .*missing.mp4: no such file$"):
        studio.compose("thunder", "s2", steps=1, new=True, video=str(tmp_path / "missing.mp4"))


def test_a_plan_alone_names_the_unlearned_captions_too(model, capsys):
    from foley.cli import main

    _, folder = model
    assert main(["compose", "rain falls, then thunder", "--plan-only", "--model", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out.lstrip().startswith("{") and "'rain falls' is unlike every sound this backbone learned" in err
    assert "'thunder' is unlike" not in err
