"""What a backbone learned: the training texts kept next to its weights, and a caption's
nearest one in the backbone's own sentence encoder."""
from __future__ import annotations

import pytest
import torch

from foley.errors import FoleyError
from foley.models.known_sounds import (
    SOUNDS_FILE,
    nearest_sounds,
    read_known_sounds,
    sentence_embeddings,
    write_known_sounds,
)

from auffusion_models import tiny_backbone, tiny_sentence_encoder


def test_the_list_round_trips_sorted_and_distinct(tmp_path):
    write_known_sounds(tmp_path, ["rain falls", "a dog barks", "rain falls"])
    assert read_known_sounds(tmp_path) == ["a dog barks", "rain falls"]
    assert read_known_sounds(tmp_path / "elsewhere") is None  # a backbone without the list


@pytest.mark.parametrize("text", ["{oops", '{"sounds": []}', '{"sounds": "rain"}', '{"sounds": [1]}', '{"other": 1}',
                                  '["rain"]', 'null', '{"sounds": ["rain", " "]}'])
def test_an_unreadable_list_is_one_clear_error(tmp_path, text):
    (tmp_path / SOUNDS_FILE).write_text(text)
    with pytest.raises(FoleyError, match=SOUNDS_FILE) as refused:
        read_known_sounds(tmp_path)
    assert "Error" not in str(refused.value) and "NoneType" not in str(refused.value)  # said, not Python's words


def test_a_sound_listed_twice_is_read_once(tmp_path):
    (tmp_path / SOUNDS_FILE).write_text('{"sounds": ["rain", "thunder", "rain"]}')
    assert read_known_sounds(tmp_path) == ["rain", "thunder"]


def test_the_nearest_sound_is_the_most_similar_known_text(tmp_path):
    text = tiny_sentence_encoder(tmp_path)
    known = ["a dog barks", "rain falls", "thunder", "footsteps on gravel"]
    assert all(abs(s - 1.0) < 1e-4 for _, s in nearest_sounds(text, known, known))  # each finds itself
    emb = sentence_embeddings(text, known + ["a dog"])
    assert emb.shape == (5, 16) and torch.allclose(emb.norm(dim=1), torch.ones(5), atol=1e-5)
    sims = (emb[:4] @ emb[4]).tolist()  # brute force for a caption that is not in the list
    [(nearest, similarity)] = nearest_sounds(text, known, ["a dog"])
    assert nearest == known[sims.index(max(sims))] and abs(similarity - max(sims)) < 1e-5


def test_padding_does_not_change_a_sentence_embedding(tmp_path):
    # one caption alone, or batched with a longer one (padded): the mean runs over its own tokens
    text = tiny_sentence_encoder(tmp_path)
    alone = sentence_embeddings(text, ["thunder"])[0]
    batched = sentence_embeddings(text, ["thunder", "footsteps on gravel a dog barks"])[0]
    assert torch.allclose(alone, batched, atol=1e-5)


def test_a_backbone_without_a_sentence_encoder_is_refused(tmp_path):
    with pytest.raises(FoleyError, match="sentence encoder"):
        sentence_embeddings(tiny_backbone(tmp_path).text, ["rain"])


def test_texts_that_share_only_a_generic_word_are_not_the_same_sound():
    from foley.models.known_sounds import same_sound_words

    assert same_sound_words("a bicycle bell rings", "a bell rings")
    assert same_sound_words("church bells", "a bell rings")  # a plural is the same word
    assert same_sound_words("a door slams", "a door opens and shuts")
    assert not same_sound_words("street ambience", "harbour ambience")
    assert not same_sound_words("distant noise", "a loud background noise")
    assert not same_sound_words("a cow moos", "a lion roars")
