"""What a text-to-audio backbone learned to make, and how near a new caption is to it.

A backbone trained on a sound-effects corpus keeps the texts of its training clips (their
captions and labels) in ``sounds.json`` next to its weights. A caption is compared with them
in the backbone's own sentence encoder: the mean of its last hidden states over the
caption's tokens, L2-normalized (all-MiniLM-L6-v2's sentence embedding, as
sentence-transformers computes it), and cosine similarity.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch

from ..errors import FoleyError
from ..media.files import atomic_write_text
from .layout import LAYOUT_CONDITION
from .text_condition import TextConditioner

SOUNDS_FILE = "sounds.json"
# Below this similarity a caption is unlike every learned text. On the sound-effects corpus
# every test-split caption (new recordings of learned sounds) is at least 0.51 from its
# nearest training text; "a dog" (no dog was learned) is 0.34, "a car engine" 0.31.
UNFAMILIAR_SIMILARITY = 0.5
# Below this, the nearest learned text is as likely another sound that shares a word: "a glass
# shatters" is 0.50 from "a finger rubs the rim of a glass" (and comes out as its hum), "a phone
# rings" 0.59 from "a bell rings", "a tiger" 0.51 from "a lion roars"; from 0.6 on it is the same
# sound said otherwise ("a door slams": "a door opens and shuts", 0.71), unless the two share no
# word but a generic one (``same_sound_words``: "street ambience" is 0.70 from "harbour ambience").
FAMILIAR_SIMILARITY = 0.6
# Words that name no sound of their own: two texts that share only these may be different sounds.
GENERIC_WORDS = frozenset("""a an the of in on at with and or some sound sounds noise noises ambience ambiance ambient
atmosphere atmos background room tone distant far close nearby loud soft quiet faint heavy light gentle steady
constant low high""".split())


def write_known_sounds(directory: str | os.PathLike, texts: list[str]) -> None:
    """``sounds.json``: the sorted, distinct training texts of the backbone in ``directory``."""
    atomic_write_text(Path(directory) / SOUNDS_FILE, json.dumps({"sounds": sorted(set(texts))}, indent=1) + "\n")


def read_known_sounds(directory: str | os.PathLike) -> list[str] | None:
    """The training texts of a backbone folder; None when it has no ``sounds.json`` (a hub id,
    a backbone trained before the file was written). FoleyError for an unreadable file."""
    path = Path(directory) / SOUNDS_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FoleyError(f"{path}: unreadable list of sounds ({e})") from None
    sounds = data.get("sounds") if isinstance(data, dict) else None
    if not isinstance(sounds, list) or not sounds or not all(isinstance(s, str) and s.strip() for s in sounds):
        raise FoleyError(f"{path}: not a list of sounds (a JSON object whose 'sounds' is a non-empty list of texts)")
    return list(dict.fromkeys(sounds))


def same_sound_words(caption: str, known: str) -> bool:
    """Whether two texts share a word that names a sound, not only ``GENERIC_WORDS`` ("a bicycle
    bell rings" and "a bell rings": yes; "street ambience" and "harbour ambience": no). Words
    are compared without a final "s" or "es" ("bells", "bell"); a hand-written check, since the
    sentence encoder's similarity is what it backs up."""
    def words(text: str) -> set[str]:
        return {re.sub(r"(?<=[^s])e?s$", "", w) for w in re.findall(r"[a-z]+", text.lower()) if w not in GENERIC_WORDS}
    return bool(words(caption) & words(known))


@torch.no_grad()
def sentence_embeddings(text: TextConditioner, texts: list[str]) -> torch.Tensor:
    """Texts (N) -> unit-length sentence embeddings (N, D_text) of a condition-layout encoder."""
    if text.layout != LAYOUT_CONDITION:
        raise FoleyError("sentence similarity needs a backbone with a pretrained sentence encoder "
                         "(Auffusion's condition-adapter layout)")
    batch = text.tokenizer(texts, padding=True, truncation=True, max_length=text.max_length, return_tensors="pt")
    batch = {k: v.to(text.text_encoder.device) for k, v in batch.items()}
    states = text.text_encoder(**batch).last_hidden_state.float()  # (N, L, D)
    mask = batch["attention_mask"][..., None].float()  # (N, L, 1)
    pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (N, D)
    return torch.nn.functional.normalize(pooled, dim=-1)


def ranked_sounds(text: TextConditioner, known: list[str], caption: str, n: int) -> list[tuple[str, float]]:
    """The ``n`` known texts nearest to ``caption`` and their cosine similarities (in [-1, 1]),
    nearest first."""
    sims = (sentence_embeddings(text, [caption]) @ sentence_embeddings(text, known).T)[0]  # (len(known),)
    top = sims.topk(min(n, len(known)))
    return [(known[i], float(s)) for s, i in zip(top.values.tolist(), top.indices.tolist())]


def nearest_sounds(text: TextConditioner, known: list[str], captions: list[str]) -> list[tuple[str, float]]:
    """For each caption, the nearest known text and its cosine similarity (in [-1, 1])."""
    sims = sentence_embeddings(text, captions) @ sentence_embeddings(text, known).T  # (len(captions), len(known))
    best, index = sims.max(dim=1)
    return [(known[i], float(s)) for i, s in zip(index.tolist(), best.tolist())]
