"""Recorded event sounds for SynthSync (``foley prepare synth --sounds SFX_DIR``).

A :class:`SoundBank` cuts the recordings of a sound-effects corpus (``foley prepare sfx``)
into single events: the onset detector of the onset metric (:func:`foley.evaluation.onset.detect_onsets`,
backtracked to where each attack starts) splits a recording at its onsets, so a walking
recording gives one event per step, and each event starts at its attack: placed at a
contact sample, the annotated onset is where the attack starts. Events end at the next
onset or after ``max_event_s``, with a raised-cosine fade, so that no event holds a second
onset. An event is kept only when, played alone over a quiet noise floor, every onset the
detector finds is within ``tolerance_s`` of its start (the onset metric's tolerance) (a soft attack or a second
step the cut missed would make the benchmark's ground truth wrong). Events are scaled by
the level of their attack (the first ``attack_s``), so that a slow swell does not hide
the next event's attack. A bank is built from one split of the corpus, so SynthSync's train
clips sound only of train recordings and its test clips only of test recordings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import read_audio

PAD_S = 0.25  # silence added around a recording for onset detection


@dataclass(frozen=True)
class EventSoundConfig:
    max_event_s: float = 1.0  # an event ends at the next onset or after this
    min_event_s: float = 0.06  # shorter events are left out
    fade_s: float = 0.03  # raised-cosine fade at the cut end: a cut must not read as an onset
    min_peak_db: float = -20.0  # events whose peak is lower than this, relative to the recording's, are left out
    rise_db: float = 10.0  # the attack's RMS exceeds the recording's 20 ms before it by this much (when it has them)
    attack_s: float = 0.05  # the level of an event is the RMS of its first attack_s ...
    attack_rms: float = 0.25  # ... scaled to this, with the peak at most 1
    tolerance_s: float = 0.1  # the alone-check: detected onsets are at most this far from the start
    noise_floor: float = 0.001  # the alone-check's noise (std), SynthSync's


@dataclass(frozen=True)
class EventSound:
    audio: np.ndarray  # (N,) float32, scaled by its attack's level (peak <= 1), the attack at sample 0
    recording: str  # the corpus's recording id
    label: str  # the corpus label


def cut_events(wav: np.ndarray, sample_rate: int, cfg: EventSoundConfig = EventSoundConfig()) -> list[np.ndarray]:
    """Single events of one recording: (N,) float32 pieces, each from a detected attack to
    the next (or ``max_event_s``), faded out at the cut, scaled by their attack's level,
    and each found alone by the onset detector at its start."""
    from ..evaluation.onset import detect_onsets

    peak = float(np.abs(wav).max()) if wav.size else 0.0
    if peak <= 0:
        return []
    # Recordings are trimmed to their first attack: silence around them lets the detector see it.
    pad = int(PAD_S * sample_rate)
    padded = np.pad(wav, pad)
    starts = [min(max(int(s) - pad, 0), len(wav)) for s in detect_onsets(padded, sample_rate, backtrack=True)]
    fade = int(cfg.fade_s * sample_rate)
    events = []
    for i, start in enumerate(starts):
        end = min(starts[i + 1] if i + 1 < len(starts) else len(wav), start + int(cfg.max_event_s * sample_rate))
        piece = wav[start:end].astype(np.float64)
        if len(piece) < cfg.min_event_s * sample_rate or len(piece) <= fade:
            continue
        piece_peak = float(np.abs(piece).max())
        if 20 * np.log10(piece_peak / peak + 1e-12) < cfg.min_peak_db:
            continue
        attack_rms = _rms(piece[:int(cfg.attack_s * sample_rate)])
        before = wav[start - sample_rate // 50:start] if start >= sample_rate // 50 else wav[:0]  # the 20 ms before
        if attack_rms < _rms(before) * 10 ** (cfg.rise_db / 20):
            continue  # cut in the middle of a sound, not at an attack
        piece[-fade:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        piece *= min(1 / piece_peak, cfg.attack_rms / (attack_rms + 1e-12))
        if _found_alone(piece, sample_rate, cfg):
            events.append(piece.astype(np.float32))
    return events


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if x.size else 0.0


def _found_alone(piece: np.ndarray, sample_rate: int, cfg: EventSoundConfig) -> bool:
    """The detector, on the event alone at ``PAD_S`` in a noise floor, finds onsets only at its start."""
    from ..evaluation.onset import detect_onsets

    pad = int(PAD_S * sample_rate)
    clip = np.random.default_rng(0).standard_normal(len(piece) + 2 * pad) * cfg.noise_floor
    clip[pad:pad + len(piece)] += piece
    found = detect_onsets(clip, sample_rate) - pad
    return len(found) > 0 and bool(np.all(np.abs(found) <= cfg.tolerance_s * sample_rate))


class SoundBank:
    """Single events of a corpus split, grouped by corpus label.

    ``root``: a ``foley prepare sfx`` folder; ``split``: ``train`` or ``test``; ``labels``:
    the corpus labels to load (a label may have no recording in a split). Raises
    FoleyError when the folder is not a corpus.
    """

    def __init__(self, root: str | os.PathLike, split: str, labels: tuple[str, ...], sample_rate: int,
                 cfg: EventSoundConfig = EventSoundConfig()):
        from .sfx import load_sfx_manifest

        root = Path(root)
        if not (root / "sfx.json").is_file():
            raise FoleyError(f"{root}: not a sound-effects corpus (no sfx.json); make one with `foley prepare sfx`")
        wanted = set(labels)
        self.events: dict[str, list[EventSound]] = {label: [] for label in labels}
        for e in sorted(load_sfx_manifest(root, split), key=lambda e: e["id"]):
            if e["label"] not in wanted:
                continue
            wav, _ = read_audio(e["audio"], sample_rate)
            for piece in cut_events(wav, sample_rate, cfg):
                self.events[e["label"]].append(EventSound(piece, e["recording"], e["label"]))
        self.root, self.split = root, split

    def draw(self, labels: tuple[str, ...], rng: np.random.Generator) -> EventSound:
        """One event of any of ``labels``, uniformly over their events. Raises FoleyError when there is none."""
        pool = [ev for label in labels for ev in self.events[label]]
        if not pool:
            raise FoleyError(f"{self.root}: the {self.split} split has no usable recording of {' or '.join(labels)}")
        return pool[int(rng.integers(len(pool)))]

    def recordings(self, labels: tuple[str, ...]) -> set[str]:
        return {ev.recording for label in labels for ev in self.events[label]}


@lru_cache(maxsize=4)
def load_bank(root: str, split: str, labels: tuple[str, ...], sample_rate: int) -> SoundBank:
    """A bank per process (SynthSync's workers each load it once)."""
    return SoundBank(root, split, labels, sample_rate)
