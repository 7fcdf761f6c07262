"""`foley compose`: generate a plan's events with the backbone and mix them on a timeline.

Each event is generated from its caption at its own length (events longer than the model
window are generated in overlapping windows joined with equal-power crossfades; one that
fills its span is laid take after take until its end), gets
a 10 ms fade-in and a 0.25 s release at its planned end, is leveled (foreground events to one loudness, background beds
such as rain or wind BED_UNDER_DB under it, as a Foley mix keeps ambience under the spot
effects), gets its gain, and is added at its start time. The mix is loudness-normalized
(ITU-R BS.1770 via pyloudnorm) by the gain its events need at 0 dB, so that their gains are
heard, and kept below -1 dBTP (true peak).

Generated event audio is cached on disk, keyed by the model (with a digest of its weights),
caption, length, seed and sampler settings, so that a follow-up turn only generates the
events it changed.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import re
import time
import unicodedata
import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator
from pathlib import Path

import numpy as np

from ..config import MAX_GUIDANCE, MAX_SEED, MAX_STEPS, SCHEDULER_NAMES, is_finite_number
from ..errors import FoleyError, MediaError
from ..evaluation.onset import detect_onsets
from ..media.audio import (PEAK_LIMIT, PICTURE_FRAMES, loudness_gain, normalize_loudness, read_audio, spectrogram_db,
                           true_peak, write_audio)
from ..media.crossfade import join_windows, window_starts
from ..media.files import atomic_write_text, sha256_file
from ..models.hub import HUB_ID
from ..models.layout import LAYOUT_CONDITION, LAYOUT_FILES, shared_components
from .plan import DURATION_RANGE_S, TEMPO, Plan, PlanError, seconds_said
from .rules.description import BED_UNDER_DB
from .rules.times import rings_on
from .rules.words import OTHER_PERIOD_S, is_background, is_iterative, peaks_at_its_time, repeat_period_s

EDGE_FADE_S = 0.01  # the fade-in of every event: its attack stays sharp
# The fade-out at an event's planned end: a sound still ringing there (thunder, a bed) ends
# as a short release instead of a cut; one that has died away is unchanged.
RELEASE_S = 0.25


SAMPLER_FILE = "sampler.json"  # in a backbone folder: the sampler settings it was measured with
SAMPLER_KEYS = {"steps", "guidance", "scheduler"}


@dataclass(frozen=True)
class SamplerConfig:
    steps: int = 25
    guidance: float = 7.5  # Auffusion's default; a backbone's sampler.json may name its own
    scheduler: str = "dpm"
    overlap_s: float = 1.0  # window overlap for events longer than the model window

    @classmethod
    def for_backbone(cls, spec: str, **given) -> "SamplerConfig":
        """The settings to sample backbone ``spec`` with: those ``given`` (None = not given),
        else the backbone folder's ``sampler.json`` (e.g. ``{"guidance": 3.0}``), else the
        class defaults. Raises FoleyError (one line) for an unreadable file, unknown keys or
        values out of range (steps 1-1000, guidance 0-50, a known scheduler)."""
        path = Path(backbone_source(spec)) / SAMPLER_FILE
        stored = {}
        if path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise FoleyError(f"{path}: unreadable ({e})") from None
            unknown = set(stored) - SAMPLER_KEYS if isinstance(stored, dict) else None
            if unknown is None or unknown:
                raise FoleyError(f"{path}: expected steps, guidance and scheduler, got "
                                 f"{sorted(unknown) if unknown else type(stored).__name__}")
        cfg = cls(**{**stored, **{k: v for k, v in given.items() if v is not None}})
        if not cfg.in_range():
            raise FoleyError(f"{path if path.is_file() else 'sampler'}: steps must be a whole number from 1 to "
                             f"{MAX_STEPS}, guidance a number from 0 to {MAX_GUIDANCE:g} and scheduler one of "
                             f"{', '.join(SCHEDULER_NAMES)}; got {cfg.steps!r}, {cfg.guidance!r}, {cfg.scheduler!r}")
        return cfg

    def in_range(self) -> bool:
        """Whether steps (1 to MAX_STEPS), guidance (0 to MAX_GUIDANCE) and scheduler are ones the sampler takes."""
        return (isinstance(self.steps, int) and not isinstance(self.steps, bool) and 1 <= self.steps <= MAX_STEPS
                and is_finite_number(self.guidance) and 0 <= self.guidance <= MAX_GUIDANCE
                and isinstance(self.scheduler, str) and self.scheduler in SCHEDULER_NAMES)

SHIPPED_BACKBONES = {  # name -> folder in the package
    "sfx": "assets/sfx/backbone",  # real recordings, MiniLM captions, HiFi-GAN (the default for compose)
    "demo": "assets/demo/backbone",  # SynthSync's eight synthetic sounds, Griffin-Lim (the dub model's)
}


def backbone_source(spec: str, flag: str = "--model") -> str:
    """Where ``spec`` loads from: a shipped backbone's folder (``sfx``, ``demo``), a folder of an
    Auffusion layout, or a hub id (``owner/name``). Raises FoleyError for anything else (a file,
    a folder of no layout), before any work is done; the message names the option ``flag`` that
    gave ``spec``."""
    from importlib import resources

    if spec in SHIPPED_BACKBONES:
        path = Path(str(resources.files("foley").joinpath(SHIPPED_BACKBONES[spec])))
        if not path.is_dir():
            raise FoleyError(f"the {spec} backbone is not installed ({path}); pass {flag} DIR")
        return str(path)
    if Path(spec).is_file():
        raise FoleyError(f"{flag} {spec}: a file, not a model folder")
    if Path(spec).is_dir():
        if not any((Path(spec) / name).is_file() for name in LAYOUT_FILES.values()):
            raise FoleyError(f"{flag} {spec}: not a model folder (no {' or '.join(LAYOUT_FILES.values())})")
        return spec
    if not HUB_ID.fullmatch(spec):  # ./x, /x, a/b/c: a path
        raise FoleyError(f"{flag} {spec}: no such model folder")
    if spec.count("/") != 1:
        raise FoleyError(f"{flag} {spec!r}: not a shipped backbone ({', '.join(SHIPPED_BACKBONES)}), "
                         f"a folder or a hub id (owner/name)")
    return spec


def canonical_model(spec: str) -> str:
    """``spec`` as a session keeps it: a folder as its absolute path (a follow-up turn may run
    from another directory), a shipped name or hub id as it is."""
    return spec if spec in SHIPPED_BACKBONES or not Path(spec).exists() else str(Path(spec).resolve())


def load_backbone(spec: str, device: str = "auto", flag: str = "--model"):
    """A shipped backbone by name (``sfx``, ``demo``) or a directory / hub id of any Auffusion
    layout; a bad ``spec`` is refused naming the option ``flag`` that gave it."""
    from ..device import resolve_device
    from ..models.backbone import AudioBackbone

    return AudioBackbone.from_pretrained(backbone_source(spec, flag)).to(resolve_device(device))


class DeferredBackbone:
    """The backbone of a folder, loaded the first time more than its settings is asked of it: ``mel`` and
    ``decoding`` are read from the folder (:mod:`foley.models.backbone_settings`), anything else loads it
    (:func:`load_backbone`, once). A compose turn whose takes are all in the event cache (a level change, a
    move, an undo) renders without loading the models or importing diffusers, about 5 s on a CPU."""

    def __init__(self, spec: str, device: str = "auto", flag: str = "--model"):
        from ..models.backbone_settings import backbone_mel, load_decoding

        folder = Path(backbone_source(spec, flag))
        self._load = lambda: load_backbone(spec, device, flag)
        self._backbone = None
        self.mel, self.decoding = backbone_mel(folder), load_decoding(folder)

    def __getattr__(self, name: str):  # what the settings do not hold: the loaded backbone's
        if self._backbone is None:
            self._backbone = self._load()
        return getattr(self._backbone, name)


def turn_backbone(spec: str, device: str = "auto", flag: str = "--model"):
    """The backbone a compose turn renders with: a folder's deferred (:class:`DeferredBackbone`), a hub id's loaded."""
    return DeferredBackbone(spec, device, flag) if Path(backbone_source(spec, flag)).is_dir() \
        else load_backbone(spec, device, flag)


def model_id(spec: str) -> str:
    """What identifies a backbone in the event cache: a shipped name or the folder's absolute
    path, with a digest of the folder's files and of those its ``components.json`` shares
    (sha256, ~0.1 s for the 80 MB sfx backbone), so
    that new weights at the same place (an updated package, a retrained folder) never reuse
    sounds the old ones made. A hub id is its own identity. The sampler defaults (``sampler.json``,
    whose settings each key holds as used) and the documents (``*.md``, ``licenses/``) do not
    shape the sound and are left out."""

    folder = Path(backbone_source(spec))
    if not folder.is_dir():
        return spec

    def shapes_sound(relative: Path) -> bool:
        return relative.as_posix() != SAMPLER_FILE and relative.suffix != ".md" and relative.parts[0] != "licenses"

    roots = {"": folder, **{f"{name}/": target for name, target in shared_components(folder).items()}}
    files = sorted((label + f.relative_to(root).as_posix(), f)
                   for label, root in roots.items() for f in root.rglob("*")
                   if f.is_file() and shapes_sound(f.relative_to(root)))
    digest = hashlib.sha256(" ".join(f"{name}:{sha256_file(f)}" for name, f in files).encode())
    name = spec if spec in SHIPPED_BACKBONES else str(folder.resolve())
    return f"{name}@{digest.hexdigest()[:16]}"


# The revision of onset alignment (:func:`first_attack`) an aligned take was cut with, in its key: takes cut
# before a change (which cut the first 46 ms of a take sounding from its first sample) are made again.
ALIGNMENT_REVISION = 2
# The same of a background's take: its windows of steady noise drawn again as noise (:func:`mel_shaped_noise`) from 2,
# looped backwards and forwards in turn without their edges (:func:`loop_sounding`) from 3.
BED_REVISION = 3


class EventCache:
    """Generated event audio on disk: <dir>/<key>.wav, key = hash of everything that shapes it."""

    def __init__(self, directory: str | os.PathLike, model_id: str):
        self.dir, self.model_id = Path(directory), model_id

    def key(self, caption: str, length_s: float, seed: int, sampler: SamplerConfig, aligned: bool,
            looped: bool = False, part: str = "") -> str:
        """``part``: "" for an event's take; "window" or "window reference" for one model window of
        a longer take, as heard or as decoded without noise filling (:func:`generate_event`)."""
        blob = json.dumps([self.model_id, caption, round(length_s, 3), seed, asdict(sampler),
                           ALIGNMENT_REVISION if aligned else False]
                          + (["looped", BED_REVISION] if looped else []) + ([part] if part else []))
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def get(self, key: str, sample_rate: int, n_samples: int | None = None) -> np.ndarray | None:
        """The cached audio, or None when there is none, or the entry is unreadable or not
        ``n_samples`` long (a damaged entry is generated again, never used)."""
        path = self.dir / f"{key}.wav"
        if not path.is_file():
            return None
        try:
            wav = read_audio(path, sample_rate=sample_rate)[0]
        except MediaError:
            return None
        return wav if n_samples is None or len(wav) == n_samples else None

    def put(self, key: str, wav: np.ndarray, sample_rate: int) -> None:
        write_audio(self.dir / f"{key}.wav", wav, sample_rate, subtype="FLOAT")


def generate_event(backbone, caption: str, length_s: float, seed: int, sampler: SamplerConfig,
                   align: bool = False, loop: bool = False, cache: EventCache | None = None,
                   step: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """(round(length_s * sr),) audio for one caption, and how many model windows were diffused
    for it; windows + crossfades past the model width.

    With ``align`` the first attack is moved onto the start (:func:`first_attack`), found on the
    take as decoded before the backbone's noise filling (``DecodingConfig``): the texture that
    filling adds can hide where a soft attack begins. An aligned event shorter than the model
    window is generated a whole window long (the sampler makes one anyway), so that what
    follows its length, not silence, fills the end the shift frees; a longer one's end is
    released over RELEASE_S there. With ``loop`` (a background, not aligned) each window's
    silence before and after its sound is filled by that sound (:func:`loop_sounding`), and each
    window after the first is silent for its first LOOP_EDGE_S (its burst, under the window before
    it) and faded in over the next; one shorter than the model window is cut from a whole window,
    as an aligned one is.
    Every window is then a whole one, window k drawn with seed ``seed + k`` whatever the
    length: with ``cache`` each is kept there, so the same sound made longer or shorter (a
    background moved or cut, a long one-shot cut) reuses the windows it shares. ``step(i, n)``: the
    sampling steps done of each window diffused, i of n (:meth:`AudioBackbone.sample`)."""
    sr, width_s = backbone.mel.sample_rate, backbone.mel.width_s
    total = round(length_s * sr)
    window, overlap = round(width_s * sr), round(min(sampler.overlap_s, width_s / 2) * sr)
    generated = max(total, window) if align or loop else total
    starts = window_starts(generated, window, overlap)
    unfilled = align and bool(backbone.decoding.noise_fill)
    kept = cache if loop or len(starts) > 1 else None  # an aligned one-shot's own cache entry is its window's take
    takes, references, diffused = [], [], 0  # (window samples,) each: as heard, and as decoded without noise filling
    for k, s in enumerate(starts):
        duration_s = min(width_s, (generated - s) / sr)
        n = round(duration_s * sr)
        keys = [kept.key(caption, duration_s, seed + k, sampler, unfilled, part=part)
                for part in ("window", "window reference")[:1 + unfilled]] if kept else []
        found = [kept.get(key, sr, n) for key in keys]
        if keys and all(w is not None for w in found):
            takes.append(found[0])
            references.extend(found[1:])
            continue
        diffused += 1
        settings = dict(steps=sampler.steps, guidance=sampler.guidance, seed=seed + k, scheduler=sampler.scheduler,
                        step=step)
        if not unfilled:
            made = [backbone.generate([caption], duration_s, **settings)[0].cpu().numpy()]
        else:
            latents, generators = backbone.sample([caption], duration_s, **settings)
            logmel = backbone.decode_mel(latents)  # (1, M, width): one VAE decode, vocoded twice
            made = [backbone.vocode(logmel, generators)[0, :n].float().cpu().numpy(),
                    backbone.vocode(logmel, noise_fill=False)[0, :n].float().cpu().numpy()]
        for key, w in zip(keys, made):
            kept.put(key, w, sr)
        takes.append(made[0])
        references.extend(made[1:])
    if loop:  # a steady noise's buzz drawn out (each window its own noise, from its seed)
        takes = [loop_sounding(mel_shaped_noise(t, backbone.mel, seed + k) if is_steady_noise(t, backbone.mel)
                               else t, sr) for k, t in enumerate(takes)]
        # a later window's burst at its start, where it is faded in under the window before it: left out
        edge = min(round(LOOP_EDGE_S * sr), overlap // 4)
        takes[1:] = [np.concatenate([np.zeros(edge, t.dtype), _edge_fades(t[edge:], edge, 0)]) for t in takes[1:]]
    wav = join_windows(takes, starts, generated)
    if not align:
        return wav[:total], diffused
    start = first_attack(join_windows(references, starts, generated) if unfilled else wav, sr)
    wav = wav[start:start + total]
    if len(wav) == total:
        return wav, diffused
    return np.concatenate([_edge_fades(wav, 0, round(RELEASE_S * sr)), np.zeros(total - len(wav), dtype=wav.dtype)]), diffused


# An onset starts the sound only if what follows it (ATTACK_S) comes within ATTACK_TOP_DB of
# the clip's loudest: a faint bump 25 dB down in a swelling rumble is not where thunder starts.
ATTACK_S = 0.15
ATTACK_TOP_DB = 20.0


SWELL_PEAK_S = 0.1  # a swelling sound's loudest moment: the middle of its loudest this long (RMS)
# A take swells to its loudest moment where that is this much over the first 2 x SWELL_PEAK_S of its sounding part
# (mean power): the sfx backbone's whoosh 25 dB, its cars and trains that pass at one level 4-6 dB
SWELL_DB = 10.0


def _energy(wav: np.ndarray) -> np.ndarray:
    """(N + 1,) the running sum of (N,) ``wav``'s squares, from 0: the energy of ``wav[a:b]`` is ``e[b] - e[a]``."""
    return np.concatenate([[0.0], np.cumsum(wav.astype(np.float64) ** 2)])


def loudest_moment(wav: np.ndarray, sample_rate: int) -> int:
    """The sample of (N,) ``wav`` at the middle of its loudest SWELL_PEAK_S (RMS): where a whoosh
    passes by, where a riser peaks (0 for an empty clip)."""
    width = min(len(wav), round(SWELL_PEAK_S * sample_rate))
    if width == 0:
        return 0
    energy = _energy(wav)
    return int(np.argmax(energy[width:] - energy[:-width])) + width // 2


def take_swells(wav: np.ndarray, sample_rate: int) -> bool:
    """Whether (N,) ``wav`` swells to its loudest SWELL_PEAK_S (:func:`loudest_moment`): that moment's
    mean power is SWELL_DB or more over the first 2 x SWELL_PEAK_S of its sounding part's (:func:`sounding_span`)."""
    begin, end = sounding_span(wav)
    width = round(SWELL_PEAK_S * sample_rate)
    if end - begin < width:
        return False
    energy = _energy(wav)
    peak = float(np.max(energy[width:] - energy[:-width])) / width
    head = min(begin + 2 * width, end)
    return peak >= 10 ** (SWELL_DB / 10) * (energy[head] - energy[begin]) / (head - begin)


def first_attack(wav: np.ndarray, sample_rate: int) -> int:
    """The sample where a generated event's first audible attack starts (0 when none is found;
    meant for sounds with an attack, not for beds). The onsets are the onset metric's (librosa
    with delta 0.3), backtracked to the energy minimum before each so the attack stays whole;
    the first whose next ATTACK_S reaches within ATTACK_TOP_DB of the clip's loudest
    512-sample frame (RMS) is the sound's start, moved back over the 512-sample frames before it
    that are as loud: librosa places no onset in a clip's first 1024 samples, and a take that
    sounds from its first sample (the sfx backbone's steps) starts there, its attack not cut."""
    import librosa

    onsets = detect_onsets(wav, sample_rate, backtrack=True)
    if len(onsets) == 0:
        return 0
    level = librosa.feature.rms(y=np.pad(wav, (0, 512)), frame_length=512, hop_length=128, center=False)[0]  # every 128
    floor = level.max() * 10 ** (-ATTACK_TOP_DB / 20)
    reach = round(ATTACK_S * sample_rate) // 128 + 1
    start = next((int(o) for o in onsets if level[o // 128:o // 128 + reach].max(initial=0.0) >= floor), int(onsets[0]))
    hop = start // 128
    while hop >= 4 and level[hop - 4] >= floor:  # level[hop - 4]: the 512 samples that end at hop * 128
        hop -= 1
    return 0 if hop < 4 else start - (start // 128 - hop) * 128


# A plan event with ``fill`` lasts its whole span. A take that sounds for only part of it (the
# sfx backbone learned one-shot recordings: a single step, a single hit) is laid again and
# again, as a Foley editor lays steps: each take's sounding part, a pause, then the next take.
FILL_TAKES = 4  # distinct takes generated for a filled event; later repeats go round them again
FILL_SEED_STEP = 7_919  # take k of an event: its seed + k * this
FILL_PAUSE_S = 0.1  # silence after a take's sounding part before the next one starts
FILL_JITTER = 0.08  # each period of its rhythm varies by up to this fraction, so that repeats are not metronomic
FILL_LEVEL_JITTER_DB = 3.0  # and each repeat after the first is up to this much quieter, as no two steps are as loud
BEAT_RELEASE_S = 0.05  # the fade-out of a take cut where the next beat of a given rhythm begins
SOUNDING_TOP_DB = 30.0  # a take sounds from its first to its last frame within this of its loudest
# The fades where a take's sounding part is cut from it: in from this much before it (over the quiet head),
# not with a step (a click), and over PIECE_ATTACK_S at least where less head comes before it (an aligned take
# begins on its attack: the sfx backbone's chops of "axe chopping wood" peak 2-4 ms in, and a 10 ms fade over
# them took 4-8 dB off their peaks, repeats of equal takes heard 9 dB apart), and out over PIECE_RELEASE_S (at
# most a quarter of the part: a short tick keeps its body) to where it stops sounding, as a cut is released:
# the sfx backbone's steps on grass stop dead (40 dB down in 7 to 17 ms), and were heard as blocks of noise
# switched off.
PIECE_FADE_S = 0.01
PIECE_ATTACK_S = 0.001
PIECE_RELEASE_S = 0.05


def sounding_span(wav: np.ndarray, top_db: float = SOUNDING_TOP_DB) -> tuple[int, int]:
    """(start, end) samples of the part of ``wav`` that sounds: librosa's trim at ``top_db`` under
    the loudest 512-sample frame; (0, 0) for digital silence."""
    import librosa

    if not np.any(wav):
        return 0, 0
    _, (start, end) = librosa.effects.trim(wav, top_db=top_db, frame_length=512, hop_length=128)
    return int(start), int(end)


def sounds_to_its_end(wav: np.ndarray, sample_rate: int) -> bool:
    """Whether a take (N,) sounds (:func:`sounding_span`) to within FILL_PAUSE_S of its end: a continuous
    sound (rain, a rumble, a siren), not one that falls silent (a step, a door slam)."""
    return sounding_span(wav)[1] + FILL_PAUSE_S * sample_rate >= len(wav)


BED_GAP_S = 0.3  # a background silent this long before or after its sounding part is looped over it
LOOP_OVERLAP_S = 0.25  # the crossfade where a background's loop joins itself (at most a quarter of the part)
MIN_LOOP_S = 0.2  # a sounding part shorter than this is an event (a chirp), repeated with pauses, not looped
LOOP_TOP_DB = 15.0  # what is looped: the body of the sounding part, without its fade in and out (no dip at a seam)
# and without its first and last this long: a window of the sfx backbone begins with a burst (30-40 ms, at 2-8 kHz
# up to 35 dB over what follows) and its sound can stop with a click, each heard again at every loop where kept
LOOP_EDGE_S = 0.05


def loop_sounding(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """A background's (N,) audio with the silence before and after its sounding part
    (:func:`sounding_span`) filled by that part again, the part itself kept in its place: a
    window of the backbone, which learned recordings of single events, can begin late or end
    early inside a bed's span (an engine's hum dying at 3.4 s of 4, applause fading out half way
    through each window, a half-second sizzle, one chirp of "birds chirp"). A part of MIN_LOOP_S
    or more is looped (its body, within LOOP_TOP_DB of its loudest, where that is as long, less
    its first and last LOOP_EDGE_S where it stays MIN_LOOP_S long) backwards and forwards in
    turn, the loop next to the part backwards, with equal-power crossfades of LOOP_OVERLAP_S (at
    most a quarter of it): each seam joins the sound to itself as it was there (the hiss of a
    window of "a machine humming" dies away 40 dB over 3 s; looped forwards, it came back whole
    at the seam, 2-8 kHz up 30 dB within 0.1 s); a
    shorter one is an event of its own, repeated with pauses as :func:`fill_span` lays one
    (every OTHER_PERIOD_S or its length and FILL_PAUSE_S, varied by FILL_JITTER). Unchanged when
    it sounds to within BED_GAP_S of both ends, or not at all."""
    start, end = sounding_span(wav)
    lead, tail = start >= BED_GAP_S * sample_rate, len(wav) - end >= BED_GAP_S * sample_rate
    if not (lead or tail) or end == start:
        return wav
    piece = wav[start:end]
    if end - start < MIN_LOOP_S * sample_rate:
        period = max(end - start + FILL_PAUSE_S * sample_rate, OTHER_PERIOD_S * sample_rate)
        rng = np.random.default_rng(start)  # the same window, the same repeats
        out = wav.copy()
        for direction, wanted in ((-1, lead), (1, tail)):  # before the part, then after it
            t = start
            while wanted:
                t += direction * round(period * (1 + FILL_JITTER * rng.uniform(-1, 1)))
                if t < 0 or t + len(piece) // 2 > len(wav):  # whole before it; at least half after it
                    break
                out[t:t + len(piece)] += piece[:len(wav) - t]
        return out
    body = sounding_span(wav, LOOP_TOP_DB)
    start, end = body if body[1] - body[0] >= MIN_LOOP_S * sample_rate else (start, end)
    edge = round(LOOP_EDGE_S * sample_rate)
    if end - start - 2 * edge >= MIN_LOOP_S * sample_rate:
        start, end = start + edge, end - edge
    piece, overlap = wav[start:end], min(round(LOOP_OVERLAP_S * sample_rate), (end - start) // 4)
    step = end - start - overlap

    def loop(n: int) -> np.ndarray:  # the n-th loop away from the part: backwards where n is odd
        return piece[::-1] if n % 2 else piece

    first = start - math.ceil(start / step) * step if lead else 0  # <= 0: where the first loop starts
    if lead:  # loops up to the part, then the part (with its quiet end, unless that is filled too)
        starts = list(range(first, start + 1, step))
        chunks = [loop(len(starts) - 1 - j) for j in range(len(starts) - 1)] + [piece if tail else wav[start:]]
    else:  # what precedes the part, with it
        starts, chunks = [0], [wav[:end]]
    part = len(chunks) - 1
    while tail and starts[-1] + len(chunks[-1]) < len(wav):  # loops after it
        starts.append(starts[-1] + len(chunks[-1]) - overlap)
        chunks.append(loop(len(chunks) - part))
    return join_windows(chunks, [t - first for t in starts], len(wav) - first)[-first:]


# The HiFi-GAN vocoder gives the noise of a steady bed a buzz: wind, waves or a crowd's murmur from it pulse at
# 70-77 Hz (an envelope periodicity of 13-14 ms), a pitch no recording has. Noise has no fine structure to keep,
# so such a window's is drawn again: white noise, each frame of it given in each mel band the vocoder output's own
# power (:func:`mel_shaped_noise`). A window that is not steady (it falls silent: a chirp, an engine dying) or has
# tonal peaks (birdsong, a hum) keeps the vocoder's: in its sounding frames, the 99th percentile of its bins'
# power over the median of the TONAL_BINS around each is, at the median frame, TONAL_PEAK_DB or more (Gaussian
# noise: 8 dB; the sfx backbone's wind, rain, waves, crowd 8.1-9.1 dB; birds, an engine, a dog 11.6-14.1 dB).
TONAL_BINS = 15
TONAL_PEAK_DB = 10.0


def _stft_settings(mel) -> dict:
    """scipy.signal.stft arguments at the mel's FFT size, 75 % overlap (a Hann window)."""
    return dict(fs=mel.sample_rate, nperseg=mel.n_fft, noverlap=mel.n_fft - mel.n_fft // 4)


def is_steady_noise(wav: np.ndarray, mel) -> bool:
    """Whether a background's window (N,) at ``mel.sample_rate`` is a steady noise: it sounds
    (:func:`sounding_span`) to within BED_GAP_S of both ends, with no tonal peaks (TONAL_PEAK_DB)."""
    from scipy.ndimage import median_filter
    from scipy.signal import stft

    start, end = sounding_span(wav)
    if end == start or start >= BED_GAP_S * mel.sample_rate or len(wav) - end >= BED_GAP_S * mel.sample_rate:
        return False
    freqs, _, spec = stft(wav, **_stft_settings(mel))
    power = np.abs(spec[(freqs > 0) & (freqs <= mel.fmax)]) ** 2 + 1e-20  # (bins, frames)
    frames = 10 * np.log10(power.sum(0))
    sounding = frames >= frames.max() - SOUNDING_TOP_DB
    peaks = np.percentile(10 * np.log10(power / median_filter(power, size=(TONAL_BINS, 1))), 99, axis=0)
    return float(np.median(peaks[sounding])) < TONAL_PEAK_DB


def mel_shaped_noise(wav: np.ndarray, mel, seed: int) -> np.ndarray:
    """(N,) audio at ``mel.sample_rate`` -> (N,) white noise (drawn from ``seed``) with, in every
    STFT frame (``mel.n_fft`` samples, hop a quarter of it) and every band of the mel's
    filterbank, the power of ``wav``; the bins above ``mel.fmax``, which no band covers, are ``wav``'s."""
    from scipy.signal import istft, stft

    from ..models.mel import mel_filterbank

    settings = _stft_settings(mel)
    bank = mel_filterbank(mel).numpy()  # (bands, bins)
    covered = bank.sum(0)  # (bins,)
    spec = stft(wav, **settings)[2]  # (bins, frames)
    noise = stft(np.random.default_rng(seed).standard_normal(len(wav)), **settings)[2]
    gain = np.sqrt(bank @ np.abs(spec) ** 2 / np.maximum(bank @ np.abs(noise) ** 2, 1e-30))  # (bands, frames)
    gain = bank.T @ gain / np.maximum(covered, 1e-12)[:, None]  # (bins, frames): each bin's bands, by weight
    filled = np.where(covered[:, None] > 0, noise * gain, spec)
    return istft(filled, **settings)[1][:len(wav)].astype(wav.dtype)


# A take holding a run of hits (the sfx backbone answers "footsteps on gravel, running" or "water dripping"
# with steps or drips one after another) is cut at its hits to lay them at a given rhythm, as a Foley
# editor cuts a run of steps between them: its level (RMS of HIT_FRAME samples every HIT_HOP) peaks at
# least HIT_DIP_DB over the quiet on both sides of a hit, having risen that much within HIT_RISE_S (within
# SOUNDING_TOP_DB of its loudest), hits at least MIN_HIT_S apart (a step's heel and toe are one). Steady
# rain, or wind swelling and falling, has no such peaks.
HIT_FRAME, HIT_HOP = 1024, 128
HIT_DIP_DB = 10.0
HIT_RISE_S = 0.25  # a step's attack, not a gust's swell (wind rising 10 dB over 0.7 s)
MIN_HIT_S = 0.1
RUN_HITS = 3  # a take with this many hits is a run of them; fewer, one sound (a step, a bark, a bell's toll)
# A run's hits laid at a rhythm a tempo edit worked out from the sound's own ("make the running faster":
# Event.period_from) keep their own timing: each off its beat as it was off the take's own mean rhythm (in periods,
# so scaled with the rhythm), at most this much of a period: the rhythm is still heard. A rhythm said is kept exactly.
HIT_SHIFT_MAX = 0.15
# and a take laid whole (one step) is laid off its beat by up to this much of a period (seeded, each beat its own: the
# intervals vary by about 3 % of the period, as a walker's do), each at its own level
TEMPO_JITTER = 0.04
# Where a beat is longer than the hit laid on it and the take holds a steady quiet under its hits (a cave's
# ambience under its drips: at least AMBIENCE_MIN_S within AMBIENCE_DB, not a step's decay into the next), that
# quiet, its last AMBIENCE_S at most, rings on to the next beat, looped (:func:`_rung_on`)
AMBIENCE_FRAME_S = 0.1  # the frame of its level: a noise's own ripple smoothed
AMBIENCE_DB = 3.0
# the sfx backbone's drips hold a quiet of 0.27 to 0.36 s; the steps of its runs on gravel 0.16 s at most
AMBIENCE_MIN_S = 0.2
AMBIENCE_S = 0.5


def take_hits(wav: np.ndarray, sample_rate: int) -> list[int]:
    """The sample where each hit of a take ``wav`` (N,) starts, in order: at the quietest point before
    its peak (the last frame within 3 dB of the lowest since the hit before, or since the take's
    sounding part begins: :func:`sounding_span`), where an editor cuts, just before its attack; a
    first hit rising from where the take begins to sound (an aligned take's attack), there.
    Empty for a sound with no clear onsets (steady noise, digital silence)."""
    from scipy.signal import find_peaks
    import librosa

    if not np.any(wav):
        return []
    # silence before it: an attack at sample 0 (an aligned take) is a peak too
    rms = librosa.feature.rms(y=np.pad(wav, (HIT_FRAME, 0)), frame_length=HIT_FRAME, hop_length=HIT_HOP)[0]
    level = 20 * np.log10(np.maximum(rms, 1e-10))  # (frames,) dB, frame i centred on sample i * HIT_HOP - HIT_FRAME
    peaks, _ = find_peaks(level, prominence=HIT_DIP_DB, height=level.max() - SOUNDING_TOP_DB,
                          distance=max(1, round(MIN_HIT_S * sample_rate / HIT_HOP)))
    rise = round(HIT_RISE_S * sample_rate / HIT_HOP)
    peaks = [p for p in peaks if level[p] - level[max(0, p - rise):p + 1].min() >= HIT_DIP_DB]
    begin, starts = sounding_span(wav)[0], []
    for a, b in zip([(begin + HIT_FRAME) // HIT_HOP] + peaks, peaks):
        a = min(a, b)  # a first peak in the sounding part's first frame
        valley = level[a:b + 1]
        if not starts and valley.min() >= level[a] - 3.0:  # rising from the sounding part's start: the hit's
            starts.append(begin)
            continue
        quiet = a + int(np.flatnonzero(valley <= valley.min() + 3.0)[-1])
        starts.append(min(max(quiet * HIT_HOP - HIT_FRAME, starts[-1] + 1 if starts else 0), len(wav) - 1))
    return starts


# A take that falls silent before its window's end may still be a continuous sound, not a one-shot: the sfx
# backbone answers "a tap dripping" with running water, no drip heard, that holds within 7 dB of its loudest for
# 2.8 to 3.0 s of its 4.1 s window and then fades out; laid at a rhythm longer than that, it was heard as a wash
# and then silence. Such a take, with no hit but its start (:func:`take_hits`), holds its level: within HOLD_DB of
# its loudest (RMS over AMBIENCE_FRAME_S) for at least HOLD_SHARE of the take (its door slam 0.9 s of 4.1).
HOLD_DB = 10.0
HOLD_SHARE = 0.5
FADE_DB = 3.0  # under the level it holds, such a take is fading out: the next begins there (:func:`fill_span`)


def _frame_levels(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """(frames,) the level in dB (RMS) of each frame of AMBIENCE_FRAME_S of ``wav`` (N,), one after the other."""
    import librosa

    frame = round(AMBIENCE_FRAME_S * sample_rate)
    rms = librosa.feature.rms(y=wav, frame_length=frame, hop_length=frame, center=False)[0]
    return 20 * np.log10(np.maximum(rms, 1e-10))


def holds_its_level(wav: np.ndarray, sample_rate: int) -> bool:
    """Whether a take ``wav`` (N,) holds its level as a continuous sound does (running water, a hum), not as a
    one-shot's decay or a run of hits does: at most one hit (:func:`take_hits`), and its level within HOLD_DB of its
    loudest (:func:`_frame_levels`) for HOLD_SHARE of it or more."""
    level = _frame_levels(wav, sample_rate)
    return (np.any(wav) and len(level) > 0 and float(np.mean(level >= level.max() - HOLD_DB)) >= HOLD_SHARE
            and len(take_hits(wav, sample_rate)) <= 1)


def held_until(wav: np.ndarray, sample_rate: int) -> int:
    """The sample where a take (N,) that holds its level begins to fade out: the end of its last frame
    (:func:`_frame_levels`) within FADE_DB of the level it holds (the median of those within HOLD_DB of its
    loudest); 0 for silence."""
    level = _frame_levels(wav, sample_rate)
    if not np.any(wav) or len(level) == 0:
        return 0
    held = np.median(level[level >= level.max() - HOLD_DB])
    return (int(np.flatnonzero(level >= held - FADE_DB)[-1]) + 1) * round(AMBIENCE_FRAME_S * sample_rate)


class SteadySoundError(FoleyError):
    """A rhythm asked of a take with no clear onsets (steady rain, wind): nothing to lay at it."""


def steady_said(period_s: float) -> str:
    """What a sound with no clear onsets is, given a rhythm of ``period_s`` s."""
    return f"a steady sound, with no clear onsets (no steps, drips or knocks) to lay every {period_s:g} s"


def _ambience(wav: np.ndarray, cuts: list[tuple[int, int]], sample_rate: int) -> np.ndarray | None:
    """The ambience under a run's hits (a cave's quiet under its drips) in a take ``wav`` (N,) cut into
    ``cuts`` ((start, end) samples of each hit but the last, each cut before the next): the longest quiet that
    ends where a hit is cut, its level (RMS over AMBIENCE_FRAME_S) within AMBIENCE_DB of that point's and that
    within SOUNDING_TOP_DB of the take's loudest, its last AMBIENCE_S; None where none lasts AMBIENCE_MIN_S (the
    decay of a step into the next, or silence)."""
    import librosa

    frame = round(AMBIENCE_FRAME_S * sample_rate)
    rms = librosa.feature.rms(y=wav, frame_length=frame, hop_length=HIT_HOP)[0]
    level = 20 * np.log10(np.maximum(rms, 1e-10))  # (frames,) dB, frame i centred on sample i * HIT_HOP
    start = end = 0
    for a, b in cuts:  # from the frame that ends where it is cut, before the next hit's attack
        i = j = min(max(0, round((b - frame // 2) / HIT_HOP)), len(level) - 1)
        while j > a // HIT_HOP and level[j - 1] <= level[i] + AMBIENCE_DB:
            j -= 1
        if level[i] >= level.max() - SOUNDING_TOP_DB and b - (j * HIT_HOP + frame // 2) > end - start:
            start, end = j * HIT_HOP + frame // 2, b  # the quiet from the end of its first frame
    if end - start < AMBIENCE_MIN_S * sample_rate:
        return None
    return wav[max(start, end - round(AMBIENCE_S * sample_rate)):end]


QUIET_FFT = 512  # the frames a quiet's spectrum is measured over (:func:`_noise_like`)


def _noise_like(quiet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N,) white noise from ``rng`` with the power spectrum of ``quiet`` (N,): in each bin, the median over its
    QUIET_FFT-sample frames (Hann, half overlapping) of their power, as a noise's mean (over ln 2), so that a
    faint transient in it (a drip beginning) is not spread over the whole."""
    from scipy.signal import stft

    def power(wav: np.ndarray) -> np.ndarray:  # (bins, frames)
        return np.abs(stft(wav, nperseg=min(QUIET_FFT, len(wav)))[2]) ** 2

    wanted = np.median(power(quiet), axis=1) / np.log(2)  # (bins,)
    shape = np.sqrt(np.interp(np.fft.rfftfreq(len(quiet)), np.linspace(0, 0.5, len(wanted)), wanted))
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(len(quiet))) * shape, len(quiet))
    return (noise * np.sqrt(wanted.sum() / max(power(noise).mean(1).sum(), 1e-30))).astype(quiet.dtype)


def _rung_on(part: np.ndarray, quiet: np.ndarray, length: int, fade: int, rng: np.random.Generator) -> np.ndarray:
    """(length,) ``part`` (shorter), a hit cut from a run just before the next, rung on with ``quiet`` (the
    take's ambience) after it, and faded out over its last ``fade`` samples, where the next beat fades in.
    The quiet is laid again and again with equal-power crossfades of half of it, each time as new noise from
    ``rng`` with its spectrum (:func:`_noise_like`): looped as it is, its 0.27 to 0.36 s came round every
    0.14 to 0.18 s, with the faint start of the next drip it ends on, heard as a flutter at 4-7 kHz."""
    overlap = len(quiet) // 2
    chunks, starts = [part], [0]
    while starts[-1] + len(chunks[-1]) < length:
        starts.append(starts[-1] + len(chunks[-1]) - min(overlap, len(chunks[-1]) // 2))
        chunks.append(_noise_like(quiet, rng))
    return _edge_fades(join_windows(chunks, starts, length), 0, fade)


def fill_span(take, total: int, sample_rate: int, seed: int, period_s: float = OTHER_PERIOD_S,
              exact: bool = False, natural: bool = False) -> tuple[np.ndarray | None, list[int], int]:
    """(total,) audio of a sound that lasts its span, the sample each stroke is laid from (a take,
    or a hit of a run: :func:`take_hits`), and the takes used.

    ``take(k)`` gives take k (k < FILL_TAKES, each asked for once, only when needed), at most a
    model window long. A take 0 that sounds to its own end is a continuous sound (rain, a
    rumble): it is returned alone when it covers the span, else the audio is None (the span
    is generated in windows instead); with ``exact`` a run of hits is cut at them as below, and
    one with no clear onsets is refused (SteadySoundError), as is one that falls silent before its end
    but holds its level until then (:func:`holds_its_level`: running water, no drip in it). Otherwise
    take 0 keeps its place at the start (with ``exact`` from its sounding part on: every beat starts
    with its sound), cut after its sounding part (:func:`sounding_span`), and each later repeat is the next take's
    sounding part (going round the takes; faded in over the head before it, PIECE_FADE_S of it at
    most and PIECE_ATTACK_S at least, and out over PIECE_RELEASE_S to where it stops sounding),
    started one period after the previous one: its
    sounding length plus FILL_PAUSE_S, at least ``period_s`` (the sound's usual rhythm) varied by
    FILL_JITTER (a take longer than that is followed by its pause alone), its level varied by
    FILL_LEVEL_JITTER_DB (seeded); where take 0 holds its level
    (:func:`holds_its_level`: running water that its window fades out), each starts where the previous
    begins to fade (:func:`held_until`), over its fade (a pause of 0.1 to 0.4 s of silence in a stream
    was heard as a cut); or with ``exact`` ``period_s`` itself, unvaried (a rhythm the plan gives:
    the k-th repeat starts k periods in; a take longer than the period is faded out over BEAT_RELEASE_S
    as the next begins). A run laid whole (a take of
    RUN_HITS hits or more: a horse's walk) is followed with no pause: the next starts where its release begins,
    the two crossfaded over it (a pause of silence in a walk was heard as a gap). With ``exact`` a take
    that is a run of RUN_HITS hits or more (steps of a run, drips) is cut before each of them into
    single hits, each faded in and out at its cuts as a take's sounding part is, and those are its
    repeats: the run is heard at the rhythm, each hit at its own level, on its beat; a hit shorter than its
    beat, cut before the next of a take with an ambience under its hits (:func:`_ambience`), rings on with it
    to the next beat (:func:`_rung_on`), not silence. With ``natural`` too (a rhythm a tempo edit worked out
    from the sound's own, not one said: a clock's tick every second stays on its beats) the rhythm is no
    metronome's, as the sound's own was not: a run's hit is laid as far off its beat as it was off the take's
    own mean rhythm (a least-squares line through its peaks), in periods, at most HIT_SHIFT_MAX, and a take
    laid whole (one step) off its beat by up to TEMPO_JITTER of a period, each after the first up to
    FILL_LEVEL_JITTER_DB quieter (seeded); the first beat stays on the span's start. Laid whole, a run's
    strokes are its hits where they fall.
    Repeats start while at least half of one fits (one whose take is yet to be made counted as
    long as the repeat before it, so that no take is made and then left out), or while more than
    ``period_s`` of the span would be left silent after them (a take of seconds, "water dripping":
    the last one is cut at the span's end, where the event's release fades it), or with ``exact``
    while they start BEAT_RELEASE_S or more before its end."""
    first = take(0)
    begin = sounding_span(first)[0]
    hits = take_hits(first, sample_rate)
    if sounds_to_its_end(first, sample_rate) and not (exact and len(hits) >= RUN_HITS):
        if exact and not hits:
            raise SteadySoundError(steady_said(period_s))
        covered = len(first) >= total
        strokes = [h for h in hits if h < total] if covered and len(hits) >= RUN_HITS else [0]
        return (first[:total] if covered else None), strokes, 1
    if exact and holds_its_level(first, sample_rate):  # faded by its window's end, with no onsets to lay either
        raise SteadySoundError(steady_said(period_s))
    fade, release = round(PIECE_FADE_S * sample_rate), round(PIECE_RELEASE_S * sample_rate)
    attack = round(PIECE_ATTACK_S * sample_rate)

    def piece(wav: np.ndarray, start: int, end: int, head: bool = True) -> np.ndarray:  # head: faded in
        part = wav[max(0, start - fade):end]
        level = np.abs(part)
        # released to its last sample within SOUNDING_TOP_DB of its loudest: the trim's frames reach past it
        # (11 to 15 ms past the sfx backbone's steps), where a fade of the part's end fell on the silence after it
        sounds = np.flatnonzero(level >= level.max(initial=0.0) * 10 ** (-SOUNDING_TOP_DB / 20))[-1:] + 1
        n = int(sounds[0]) if len(sounds) else 0
        fade_in = max(min(start, fade), attack) if head else 0  # over its head, not its attack
        return np.concatenate([_edge_fades(part[:n], fade_in, min(release, max(fade, n // 4))),
                               np.zeros(len(part) - n, dtype=part.dtype)])

    def pieces_of(wav: np.ndarray, hits: list[int], start: int | None = None,
                  head: bool = True) -> list[tuple[np.ndarray, list[int], float | None, np.ndarray | None]]:
        """(audio, where its strokes start in it, how far off its beat it is laid with ``natural`` (periods; None:
        a take laid whole, which has no timing of its own), the quiet it rings on with or None) of each piece a
        take is laid as: with ``exact`` each hit of a run, as far off its beat as off the take's own rhythm,
        unreleased where it rings on; else its sounding part from ``start`` on (default: where it begins), its hits
        where they fall."""
        begin, end = sounding_span(wav)
        if exact and len(hits) >= RUN_HITS:
            cuts = list(zip(hits, hits[1:] + [end]))
            peaks = np.array([a + int(np.argmax(np.abs(wav[a:b]))) for a, b in cuts])  # where each is heard
            n = np.arange(len(peaks))
            rhythm, at = np.polyfit(n, peaks, 1)  # the take's own: samples from one hit to the next, where the first is
            shifts = np.clip((peaks - at - rhythm * n) / rhythm, -HIT_SHIFT_MAX, HIT_SHIFT_MAX)
            quiet = _ambience(wav, cuts[:-1], sample_rate)
            pieces = []
            for (a, b), shift in zip(cuts, shifts):
                rings = quiet is not None and b < end  # cut before the next hit (not where the take stops sounding)
                part = _edge_fades(wav[max(0, a - fade):b], fade, 0) if rings else piece(wav, a, b)
                pieces.append((part, [0], float(shift), quiet if rings else None))
            return pieces
        start = begin if start is None else start
        inner = [h - max(0, start - fade) for h in hits[1:]] if len(hits) >= RUN_HITS else []
        return [(piece(wav, start, end, head), [0] + inner, None, None)]

    def lay(at: int, cut: np.ndarray, strokes: list[int], level: float = 1.0) -> None:  # cut at the span's end
        n = max(0, min(len(cut), total - at))
        out[at:at + n] += cut[:n] * np.float32(level)
        starts.extend(at + s for s in strokes if s < n)

    def beat_until(at: int, cut: np.ndarray, quiet: np.ndarray | None, until: int) -> np.ndarray:
        """A beat of a given rhythm laid at ``at`` up to ``until``, where the next begins (or the span ends): no
        longer (a tick a second is no drone), or rung on with its quiet to it."""
        if len(cut) >= until - at:
            return cut if until >= total else _edge_fades(cut[:until - at], 0, round(BEAT_RELEASE_S * sample_rate))
        return cut if quiet is None else _rung_on(cut, quiet, min(until + fade, total) - at, fade, phases)

    rng, levels = np.random.default_rng(seed), np.random.default_rng([seed, 1])  # periods (beats), levels
    washes = not exact and holds_its_level(first, sample_rate)
    phases = np.random.default_rng([seed, 2])  # of a quiet rung on (:func:`_rung_on`)
    out = np.zeros(total, dtype=np.float32)
    # laid first (not on a grid) take 0 is the event's start, faded in with the event; on a grid, from its first sound
    laid = pieces_of(first, hits, begin if exact else 0, head=exact)
    rounds = laid if exact else pieces_of(first, hits, 0)  # as the repeats come round to it again (faded in)
    t = k = 0
    asked, starts = 1, []
    beat = round(period_s * sample_rate)
    # with exact: (where, audio, strokes, quiet, level) of the beat laid last, finished where the next begins
    ringing = None
    while t < total:
        new = k == len(laid) and asked < FILL_TAKES  # its take is yet to be made
        # The first take is laid whatever its length, cut at the end; a beat of a given rhythm whenever it
        # starts inside the span with time to be heard (the rhythm says when), another repeat while half of it
        # fits or more than a period would stay silent (a long take cut, not a filled span's last seconds
        # silent). A take yet to be made is judged as long as the one before it: none is made only to be left out.
        upcoming = (laid[-1] if new else laid[k] if k < len(laid) else rounds[k % len(rounds)])[0]
        if starts and not exact and t + len(upcoming) // 2 > total and total - t <= beat:
            break
        if k and exact and total - t < BEAT_RELEASE_S * sample_rate:  # its fade-in alone: not a beat heard
            break
        if new:
            wav = take(asked)
            made = pieces_of(wav, take_hits(wav, sample_rate))
            laid, rounds, asked = laid + made, rounds + made, asked + 1
        cut, strokes, shift, quiet = laid[k] if k < len(laid) else rounds[k % len(rounds)]
        k += 1
        if exact:  # on the grid, never drifting: a rhythm said on it, a tempo edit's off it as the sound's own was
            level = 1.0
            if not natural:
                shift = 0.0
            elif shift is None:  # a take laid whole: a little off its beat, at a level of its own
                shift = TEMPO_JITTER * rng.uniform(-1, 1)
                level = 10 ** (-FILL_LEVEL_JITTER_DB * levels.uniform() / 20) if k > 1 else 1.0
            at = t + round(shift * beat) if k > 1 else t
            if ringing:
                lay(ringing[0], beat_until(ringing[0], ringing[1], ringing[3], at), ringing[2], ringing[4])
            ringing = (at, cut, strokes, quiet, level)
            t = round(k * period_s * sample_rate)
            continue
        lay(t, cut, strokes, 1.0 if k == 1 else 10 ** (-FILL_LEVEL_JITTER_DB * levels.uniform() / 20))
        if len(strokes) > 1:  # a run laid whole: the next follows over its release, no pause of silence
            t += len(np.trim_zeros(cut, "b")) - release
        elif washes:  # a continuous sound: the next begins where this one begins to fade, no dip, no pause
            t += max(held_until(cut, sample_rate), release)
        else:
            # the rhythm varied, not a long take's length: its pause alone follows it (a 2.7 s take varied by 8 %
            # was followed by up to 0.32 s of silence)
            t += max(round(len(cut) + FILL_PAUSE_S * sample_rate),
                     round(period_s * sample_rate * (1 + FILL_JITTER * rng.uniform(-1, 1))))
    if ringing:  # the last beat, to the span's end
        lay(ringing[0], beat_until(ringing[0], ringing[1], ringing[3], total), ringing[2], ringing[4])
    return out, starts, asked


def _edge_fades(wav: np.ndarray, fade_in: int, fade_out: int) -> np.ndarray:
    """Linear fades over the first ``fade_in`` and the last ``fade_out`` samples (each at
    most half the clip)."""
    wav = wav.copy()
    fade_in, fade_out = min(fade_in, len(wav) // 2), min(fade_out, len(wav) // 2)
    if fade_in > 0:
        wav[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    if fade_out > 0:
        wav[-fade_out:] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    return wav


RUMBLE_HZ = 25.0  # under this, a take holds only what the recordings' offsets and rumble taught the backbone


def without_rumble(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """``wav`` (N,) high-passed at RUMBLE_HZ (4th-order Butterworth, causal: nothing sounds before
    its attack, and what is heard, far above the cut-off, keeps its timing). The corpus's recordings
    carry DC offsets and infrasound (most of the energy of 0ad's footsteps on gravel lies under
    30 Hz) that the backbone reproduces: no speaker plays it, and it pushes the waveform off
    centre."""
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(4, RUMBLE_HZ, "highpass", fs=sample_rate, output="sos"), wav).astype(np.float32)


MUTE_FADE_S = 0.1  # the fade out of and back into a muted span of an event


def _muted(wav: np.ndarray, spans: list[tuple[int, int]], fade: int) -> np.ndarray:
    """``wav`` (N,) silent over each (start, end) sample span, faded out over the ``fade``
    samples before it and back in over those after it (less where the span meets the clip's
    edge or another span)."""
    if not spans:
        return wav
    gain = np.ones(len(wav), dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, fade + 2, dtype=np.float32)[1:-1]  # (fade,), 0 and 1 left out
    for a, b in spans:
        a, b = max(0, a), min(len(wav), b)
        gain[a:b] = 0.0
        before = gain[max(0, a - fade):a]
        before[:] = np.minimum(before, ramp[::-1][len(ramp) - len(before):])
        after = gain[b:b + fade]
        after[:] = np.minimum(after, ramp[:len(after)])
    return wav * gain


@dataclass
class RenderStats:
    generated: int = 0
    reused: int = 0
    seconds: float = 0.0
    # (caption, peak dBFS, start s) of near-silent events
    faint: list[tuple[str, float, float]] = field(default_factory=list)
    cut: list[tuple[str, float]] = field(default_factory=list)  # (caption, start s) of one-shots cut by the bed's end
    # (caption, start s) of aligned takes whose sound began so late in the model window that its end cut it, every try
    late: list[tuple[str, float]] = field(default_factory=list)
    # (caption, start s) of sounds said to peak at their time (a car passing) whose take does not swell: laid from it
    flat: list[tuple[str, float]] = field(default_factory=list)
    # (caption, start s, s it sounds, span s) of one-shots silent for SHORT_GAP_S or more before their span's end
    short: list[tuple[str, float, float, float]] = field(default_factory=list)
    # (caption, start s, span s, s its take sounds from its start) of one-shots (thunder, a clatter),
    # released at their span's end (not the bed's) while their take sounds RING_LEFT_S or more past it
    released: list[tuple[str, float, float, float]] = field(default_factory=list)
    held_db: float = 0.0  # how much further the gains' peaks made the -1 dBTP ceiling lower the whole mix
    # per plan event: with fill, the mean seconds from one stroke (a take, or a hit of a run) to the next as laid
    # (Event.heard_period_s), else None
    periods_s: list[float | None] = field(default_factory=list)
    # per plan event: the bed's second its sound is laid from (its start, or before it: a swell laid before its time)
    heard_from_s: list[float] = field(default_factory=list)
    # (caption, period s, start s) of sounds given a rhythm in their description whose take has no clear onsets
    steady: list[tuple[str, float, float]] = field(default_factory=list)


# A generated event whose peak stays below this is no sound a listener hears in the mix (dub's rule).
FAINT_PEAK_DBFS = -35.0
SHORT_GAP_S = 2.0  # a one-shot silent this long before its span ends is said to be one sound, and how to fill it
RING_LEFT_S = 0.5  # a one-shot released this long before its take falls silent is said to be, and how not to
# A one-shot's take that faint is drawn again from other seeds (take r: + r * RETAKE_SEED_STEP), this
# many times at most; the loudest try is kept.
FAINT_RETAKES = 2
RETAKE_SEED_STEP = 104_729


def cut_by_its_window(wav: np.ndarray, n: int, sample_rate: int) -> bool:
    """Whether an aligned take (N,) (:func:`generate_event`: its first attack moved onto its start, the
    samples its window had no more of zeros, its sound released over RELEASE_S before them) stops within its
    first ``n`` samples while it still sounds (:func:`sounding_span`): the sound began so late in the model
    window (in its second half) that the window's end cut it: it sounded to within FILL_PAUSE_S of where that
    release begins, and its last fifth of the release is 12 dB or more under the fifth of RELEASE_S before it
    (the release's linear fade, not a sound that stops dead). One that began earlier and rings to the window's
    end (thunder) is the backbone's longest."""
    held = np.flatnonzero(wav)
    end = int(held[-1]) + 1 if len(held) else 0
    released, fifth = end - round(RELEASE_S * sample_rate), round(RELEASE_S * sample_rate / 5)
    if not (fifth <= released < min(n, len(wav) // 2)):
        return False
    faded = np.sum(wav[end - fifth:end] ** 2) < np.sum(wav[released - fifth:released] ** 2) * 10 ** (-12 / 10)
    return faded and sounding_span(wav[:released])[1] >= released - round(FILL_PAUSE_S * sample_rate)


def peak_dbfs(wav: np.ndarray) -> float:
    """The peak of (N,) audio in dB full scale (-240 for silence)."""
    return 20 * np.log10(float(np.abs(wav).max(initial=0.0)) + 1e-12)
# Each event is leveled before its gain: foreground events to EVENT_LUFS, background beds
# BED_UNDER_DB under it, so that a generated bed (often as loud as the loudest event) does not mask the
# events on top of it. A user's "make the rain louder" turn changes the event's gain on top.
EVENT_LUFS = -23.0
# A bed's peaks stay within this over its loudness target (steady beds peak 11 to 16 dB over it;
# one chirp of "birds chirping" in a silent window 23 dB, louder than the spot effects on top).
BED_CREST_DB = 18.0


def render(plan: Plan, backbone, cache: EventCache, sampler: SamplerConfig = SamplerConfig(),
           progress=None, align_onsets: bool = True, stems: dict[str, np.ndarray] | None = None,
           edited_rhythms: frozenset[int] = frozenset(), making=None) -> tuple[np.ndarray, RenderStats]:
    """The plan's mix (samples(duration),) and how many events were generated vs reused.
    ``stems``, a dict, receives each caption's part of the mix (samples(duration),), captions in
    the order of their first event; the parts add up to the mix (the events that share a caption,
    its repeats, are one part: a layer of the bed).

    With ``align_onsets`` each event's first onset is moved onto its planned start (a
    generated clip may begin with silence), and a one-shot that swells (``peaks_at_its_time``: a whoosh, a
    riser) is laid with its loudest moment (:func:`loudest_moment`) there, its swell before it, as
    far as the bed's start allows, where its take swells (:func:`take_swells`; else laid from there, noted in
    ``RenderStats.flat``); background sounds (``is_background``) are not
    moved, so a bed covers its whole span. An event with ``fill`` is repeated take after take
    until its end (:func:`fill_span`), a take (or a hit of a take that is a run) every ``period_s`` (one a tempo
    edit worked out, ``period_from``, laid a little off its beats) or at its sound's usual rhythm
    (``repeat_period_s``); one given a rhythm that is steady, a background that is no
    run (``is_background``, not ``is_iterative``: rain, known before any take) or one whose take has no clear
    onsets, is laid as it comes (``RenderStats.steady`` says so), or refused (FoleyError) where a turn's edit
    asked for that rhythm (``edited_rhythms``: the indices of those events, :func:`edited_rhythms`); a take
    that sounds to its end is generated across the span, its hits heard where it is a run (``RenderStats.periods_s``);
    ``progress(event, repeats)`` is called after each event, ``making(event, i, n)`` as a model window of it
    is diffused (i of its n sampling steps done: 0 before the first; none for a take the cache holds). A one-shot
    in a slot longer than the model window is one window's take, released at its end, then silence, where
    the take falls silent before its end or rings on (``rings_on``: thunder); else (a siren) it is
    generated across its slot in windows. A one-shot released at its span's end (not the bed's) while its
    take still sounds (thunder ringing on, a clatter that sounds to its window's end) is noted
    (``RenderStats.released``). A one-shot's
    take that comes out nearly silent (peak under FAINT_PEAK_DBFS), or whose sound began so late in the model
    window that the window's end cuts it (:func:`cut_by_its_window`), is drawn again from other seeds,
    FAINT_RETAKES times at most, and the loudest try kept, one not cut before any that is (``RenderStats.late``
    when every try is cut).
    Events are leveled to EVENT_LUFS (beds
    BED_UNDER_DB under it, their peaks at most BED_CREST_DB over that; near-silence is lifted by
    at most 20 dB) before their gain, and the
    mix is then leveled as a whole (-20 LUFS, true peaks under -1 dBTP) by the gain that the same mix
    with every event at 0 dB and unmuted needs: an event's gain changes the mix by that much, even
    when it is the only event (only the peak ceiling holds back a louder one), and muting part of
    an event leaves every other sound as it was."""
    sr = backbone.mel.sample_rate
    mix = np.zeros(round(plan.duration_s * sr), dtype=np.float32)
    level = np.zeros_like(mix)  # the same mix with every event's gain at 0 dB: what the whole is leveled by
    stats, t0 = RenderStats(), time.perf_counter()
    captions = [e.caption for e in plan.events]  # a sound said more than once ("now and then") is one sound each time
    for i, e in enumerate(plan.events):
        background = is_background(e.caption)

        def take(k: int, length_s: float, e=e, background=background) -> np.ndarray:  # (samples(length_s) or more,)
            align = align_onsets and not background  # a bed has no attack to place: it fills its span
            # An aligned take no longer than the window is cut from that window's (generate_event makes a whole
            # window anyway): one kept per window, so an event moved to the bed's end or shortened keeps its sound.
            # The window is returned whole (a swelling one-shot is laid from before its start); a try is judged
            # by its first length_s.
            n = round(length_s * sr)
            kept_s = backbone.mel.width_s if align and length_s <= backbone.mel.width_s else length_s
            # a one-shot whose take came out nearly silent, or cut by its window's end, is drawn again, up to
            # FAINT_RETAKES times; the loudest heard try is kept, one not cut before any that is
            tries = []

            def cut(wav: np.ndarray) -> bool:  # a one-shot's aligned take cut by its window's end
                return align and not e.fill and cut_by_its_window(wav, n, sr)

            for r in range(1 + (0 if background else FAINT_RETAKES)):
                seed = (e.seed_used + k * FILL_SEED_STEP + r * RETAKE_SEED_STEP) % (MAX_SEED + 1)
                key = cache.key(e.caption, kept_s, seed, sampler, align, looped=background)
                wav = cache.get(key, sr, round(kept_s * sr))
                diffused = 0
                if wav is None:
                    step = None if making is None else (lambda i, n: making(e, i, n))
                    wav, diffused = generate_event(backbone, e.caption, kept_s, seed, sampler, align, loop=background,
                                                   cache=cache, step=step)
                    cache.put(key, wav, sr)
                if diffused:
                    stats.generated += 1
                else:  # from the cache, or put together from windows it kept
                    stats.reused += 1
                tries.append(wav)
                if peak_dbfs(wav[:n]) >= FAINT_PEAK_DBFS and not cut(wav):
                    break
            wav = max(tries, key=lambda wav: (peak_dbfs(wav[:n]) >= FAINT_PEAK_DBFS, not cut(wav), peak_dbfs(wav[:n])))
            if cut(wav) and (e.caption, e.start_s) not in stats.late:
                stats.late.append((e.caption, e.start_s))
            return wav

        wav, starts = None, [0]
        if e.fill:  # takes one model window long (what one costs anyway), kept when the span changes
            made: dict[int, np.ndarray] = {}  # each take asked for once, laid again as it comes where it is steady

            def window_take(k: int) -> np.ndarray:
                return made[k] if k in made else made.setdefault(k, take(k, backbone.mel.width_s))

            total, (period_s, exact) = round(e.length_s * sr), repeat_period_s(e)
            known = exact and is_background(e.caption) and not is_iterative(e.caption)  # rain, wind: no take to tell
            steady = known
            if not known:
                try:
                    wav, starts, _ = fill_span(window_take, total, sr, e.seed_used, period_s, exact,
                                               natural=e.period_from == TEMPO)
                except SteadySoundError:
                    steady = True
            if steady and i in edited_rhythms:
                raise FoleyError(f"{e.caption!r} is {steady_said(period_s)}")
            if steady:  # a rhythm it was described with: laid as it comes, as if it had none
                stats.steady.append((e.caption, period_s, e.start_s))
                if not known:
                    wav, starts, _ = fill_span(window_take, total, sr, e.seed_used,
                                               repeat_period_s(replace(e, period_s=None))[0])
        one_shot, start = not e.fill and not background, round(e.start_s * sr)  # start: where it is laid
        rings_to = 0  # a one-shot: where its take falls silent (or its window ends), from where it is laid
        if wav is None:  # a background's windows are looped over their silences: a bed covers its span
            n, width_s = round(e.length_s * sr), backbone.mel.width_s
            counted = stats.generated, stats.reused
            wav = take(0, min(e.length_s, width_s) if one_shot else e.length_s)
            if one_shot and e.length_s > width_s:  # one take, its end released, then silence (no second thunder) ...
                if rings_on(e.caption) or not sounds_to_its_end(wav, sr):
                    wav = np.concatenate([_edge_fades(wav, 0, round(RELEASE_S * sr)), np.zeros(n - len(wav), np.float32)])
                else:  # ... unless it sounds to its take's end (a siren said without a length): across its span,
                    stats.generated, stats.reused = counted  # the event's one take, its window's only looked at
                    wav = take(0, e.length_s)
            if e.fill and len(hits := take_hits(wav[:n], sr)) >= RUN_HITS:  # a run across the span: its hits heard
                starts = hits
            # a swelling sound said at a time is at its loudest then, its swell before it (as the bed's start allows);
            # a take that does not swell (a car passing at one level) is laid from its time, as a one-shot is
            peaks = align_onsets and peaks_at_its_time(e.caption, e.fill)
            if peaks and not take_swells(wav[:n], sr):
                peaks = False
                stats.flat.append((e.caption, e.start_s))
            early = min(loudest_moment(wav[:n], sr), start) if peaks else 0
            wav = without_rumble(wav, sr)  # causal: the part laid is as if filtered after the cut
            rings_to = sounding_span(wav)[1] if one_shot else 0
            wav, start = wav[:n + early], start - early
        else:
            wav = without_rumble(wav, sr)
        repeats = len(starts)
        stats.periods_s.append(round((starts[-1] - starts[0]) / (repeats - 1) / sr, 3) if repeats > 1 else None)
        peak_db = peak_dbfs(wav)
        sounds_to = sounding_span(wav)[1] if one_shot and peak_db >= FAINT_PEAK_DBFS else 0  # where its take falls silent
        if peak_db < FAINT_PEAK_DBFS:
            stats.faint.append((e.caption, peak_db, e.start_s))
        # A one-shot shorter than the window was generated a whole window long: cut at the bed's end
        # while it still sounds, the rest of its take is lost.
        elif (one_shot and e.end_s >= plan.duration_s - 1e-6 and e.length_s < backbone.mel.width_s
              and sounds_to >= len(wav) - round(RELEASE_S * sr)):
            stats.cut.append((e.caption, e.start_s))
        # A one-shot in a slot shorter than its take (thunder ringing on, a clatter to its window's end), the
        # planner's or said: released at its end.
        elif rings_to - len(wav) >= RING_LEFT_S * sr and e.end_s < plan.duration_s - 1e-6:
            stats.released.append((e.caption, e.start_s, e.length_s, rings_to / sr))
        elif one_shot and captions.count(e.caption) == 1 and len(wav) - sounds_to >= SHORT_GAP_S * sr:
            stats.short.append((e.caption, e.start_s, sounds_to / sr, e.length_s))
        stats.heard_from_s.append(start / sr)
        wav = normalize_loudness(wav, sr, EVENT_LUFS - (BED_UNDER_DB if background else 0.0))
        if background:  # a sparse bed (a chirp, then silence) is leveled on its sounding part: its peaks held down
            wav *= np.float32(min(1.0, 10 ** ((EVENT_LUFS - BED_UNDER_DB + BED_CREST_DB) / 20) / (np.abs(wav).max() + 1e-12)))
        wav = _edge_fades(wav, round(EDGE_FADE_S * sr), round(RELEASE_S * sr))
        n = min(len(wav), len(mix) - start)
        level[start:start + n] += wav[:n]  # unmuted: a muted span leaves the rest of the bed as loud as it was
        wav = _muted(wav, [(round(a * sr) - start, round(b * sr) - start) for a, b in e.mute], round(MUTE_FADE_S * sr))
        heard = wav[:n] * np.float32(10 ** (e.gain_db / 20))
        mix[start:start + n] += heard
        if stems is not None:
            stems.setdefault(e.caption, np.zeros_like(mix))[start:start + n] += heard
        if progress:
            progress(e, repeats)
    stats.seconds = time.perf_counter() - t0
    gain = np.float32(loudness_gain(level, sr))  # so a gain is heard as given, even on the only event
    mix *= gain
    peak = max(true_peak(mix), PEAK_LIMIT)  # a gain above 0 dB may still meet the ceiling
    unheld = max(true_peak(level) * float(gain), PEAK_LIMIT)  # the 0 dB mix's own ceiling
    stats.held_db = max(0.0, 20 * np.log10(peak / unheld))
    for part in (stems or {}).values():
        part *= gain * np.float32(PEAK_LIMIT / peak)
    return mix * np.float32(PEAK_LIMIT / peak), stats


HELD_NOTE_DB = 0.5  # below this, the ceiling's hold on the gains goes unsaid
HELD_CHANGE_DB = 1.0  # a session's turn whose hold moved less than this from its last turn's does not say it again


def held_note(held_db: float) -> str:
    """What to tell when the gains pushed the mix into the peak ceiling."""
    return (f"the gains took the mix's peaks to the -1 dBTP ceiling, so the whole bed is {held_db:.1f} dB quieter: "
            "a raised sound stands out by its gain, but the others are quieter than before")


def _edit_name(caption: str) -> str:
    """What an edit suggested in a note names ``caption`` by, after "the": its subject ("dog" of "a dog barks"), or
    what a person with no noun of their own does ("knock" of "someone knocks")."""
    from .rules.description import _it
    from .rules.words import _does

    return re.sub(r"(?i)^(?:a|an|the|some)\s+", "", _it(caption) or _does(caption) or caption)


def late_note(caption: str, start_s: float) -> str:
    """What to tell of an event whose every take began so late in the model window that its end cut it."""
    thing = _edit_name(caption)
    return (f"{caption!r} at {seconds_said(start_s)} s began late in the model's window in each of its "
            f"{1 + FAINT_RETAKES} takes, so its sound is cut short; another seed may help ('another take of the "
            f"{thing} at {seconds_said(start_s)} s')")


def faint_note(caption: str, peak_db: float) -> str:
    """What to tell of an event that came out nearly silent."""
    return (f"{caption!r} came out nearly silent (peak {peak_db:.0f} dBFS) and is hardly heard in the mix; "
            f"a rewording may help (e.g. with a verb: 'thunder rumbles')")


def cut_note(caption: str, start_s: float, duration_s: float, video: bool = False) -> str:
    """What to tell of a one-shot that the bed's end cuts while it sounds (``video``: the bed is
    as long as the video it is laid under, and cannot be longer)."""
    remedy = ("it ends with the video" if start_s <= 0 else "an earlier start lets it end") if video else (
        "a longer bed lets it end" if start_s <= 0 else "an earlier start or a longer bed lets it end")
    return (f"{caption!r} at {seconds_said(start_s)} s still sounds when the bed ends at {duration_s:g} s and is cut "
            f"there; {remedy}")


def flat_note(caption: str, start_s: float) -> str:
    """What to tell of a sound said to peak at its time (a pass-by) whose take does not swell."""
    return (f"{caption!r} came out at one level, with no swell to peak at {seconds_said(start_s)} s: it is laid from "
            f"{seconds_said(start_s)} s, as a sound that begins then")


def short_note(caption: str, start_s: float, sounding_s: float, span_s: float) -> str:
    """What to tell of a one-shot that sounds only the start of its span, then is silent."""
    return (f"{caption!r} at {seconds_said(start_s)} s is one sound: it sounds {sounding_s:.1f} s of its "
            f"{seconds_said(span_s)} s, then is silent ('{caption} every 2 s' fills its span)")


def released_note(caption: str, start_s: float, span_s: float, rings_s: float) -> str:
    """What to tell of a one-shot released at its span's end while its take, ``rings_s`` long from its
    start, still sounds: one that rings on (``rings_on``: thunder) rings, another (a clatter, a hiss) sounds."""
    thing, ringing = _edit_name(caption), rings_on(caption)
    return (f"{caption!r} at {seconds_said(start_s)} s still {'rings' if ringing else 'sounds'} when its span ends at "
            f"{seconds_said(start_s + span_s)} s and is released there, {rings_s - span_s:.1f} s before its take "
            f"{'falls silent' if ringing else 'ends'}; a longer span lets it {'ring out' if ringing else 'sound on'} "
            f"('make the {thing} at {seconds_said(start_s)} s last {math.ceil(rings_s * 10) / 10:g} s')")


def steady_note(caption: str, period_s: float, start_s: float) -> str:
    """What to tell of a sound described at a rhythm that is steady (rain, or a take with no clear onsets), laid as it
    comes."""
    return f"{caption!r} at {seconds_said(start_s)} s is {steady_said(period_s)}: it is laid as it comes, over its span"


def edited_rhythms(plan: Plan, previous: Plan | None) -> frozenset[int]:
    """The indices of ``plan``'s events whose rhythm an edit of ``previous`` set: a sound of it (its caption and
    take) given another ("make the drips faster", "the knocks every 2 s"); not one added, replaced or described."""
    before = {(e.caption, e.seed_used): e.period_s for e in previous.events} if previous else {}
    return frozenset(i for i, e in enumerate(plan.events) if e.period_s is not None
                     and before.get((e.caption, e.seed_used), e.period_s) != e.period_s)


def render_notes(stats: RenderStats, duration_s: float, video: bool = False,
                 said_before: set[tuple[str, float]] = frozenset(), held_before: float | None = None) -> list[str]:
    """The notes a render leaves for the user: events nearly silent, events cut by the bed's end
    (``video``: a bed as long as its video) or by their model window's (every take began late), one-shots
    released at their span's end while their take still sounds, sounds said to peak at their
    time laid from it as their take does not swell, one-shots silent for most of
    their span, sounds described at a rhythm that came out steady, and a mix
    held back by the peak ceiling. ``said_before``: the (caption, start) of events an earlier turn
    of a session gave the same notes of (those it left as they were), not said again;
    ``held_before``: the hold (dB) of the mix the session's last turn made (None: unknown), whose
    note is not said again while the hold stays within ``HELD_CHANGE_DB`` of it (a sound moved
    shifts the peaks a little)."""
    held_said = held_before is not None and held_before > HELD_NOTE_DB \
        and abs(stats.held_db - held_before) < HELD_CHANGE_DB
    return ([faint_note(caption, peak_db) for caption, peak_db, start_s in stats.faint
             if (caption, start_s) not in said_before]
            + [cut_note(caption, start_s, duration_s, video) for caption, start_s in stats.cut
               if (caption, start_s) not in said_before]
            + [late_note(caption, start_s) for caption, start_s in stats.late if (caption, start_s) not in said_before]
            + [released_note(*released) for released in stats.released if released[:2] not in said_before]
            + [flat_note(caption, start_s) for caption, start_s in stats.flat if (caption, start_s) not in said_before]
            + [short_note(*short) for short in stats.short if short[:2] not in said_before]
            + [steady_note(caption, period_s, start_s) for caption, period_s, start_s in stats.steady
               if (caption, start_s) not in said_before]
            + ([held_note(stats.held_db)] if stats.held_db > HELD_NOTE_DB and not held_said else []))


def caption_notes(text, source: str, captions: list[str], where: bool = True) -> list[str]:
    """A note for each distinct caption unlike every sound the backbone learned, or only as near
    to one as another sound sharing a word may be (``FAMILIAR_SIMILARITY``), or nearest to one
    that shares no word naming a sound with it (``same_sound_words``): it names which; when
    its folder ``source`` lists them (``known_sounds``) and its text conditioner ``text`` (a
    backbone's ``.text``) is a sentence encoder's; ``where``: the note names the list's file."""
    from ..models.known_sounds import SOUNDS_FILE, nearest_sounds, read_known_sounds

    captions = list(dict.fromkeys(captions))
    unknown = [(c, words) for c in captions if (words := unknown_words(text.tokenizer, c))]
    if unknown:  # a word-level vocabulary (the demo backbone's): words it never learned are left out
        n_words = len(text.tokenizer.get_vocab().keys() - set(text.tokenizer.all_special_tokens))  # not <s>, <pad>, ...
        return [f"{caption!r}: {_words_said(words)} not in this backbone's vocabulary ({n_words} "
                f"words, those of its training captions); it hears the caption without {'it' if len(words) == 1 else 'them'} "
                "and may make another sound" for caption, words in unknown]
    known = read_known_sounds(source)  # None for a hub id or a folder without the list
    if known is None or text.layout != LAYOUT_CONDITION or not captions:
        return []
    learned = f" (what it learned: {Path(source) / SOUNDS_FILE})" if where else ""
    notes = [(note, caption) for caption, (nearest, similarity) in zip(captions, nearest_sounds(text, known, captions))
             if (note := nearest_note(caption, nearest, similarity))]
    return [note + _did_you_mean(text, caption, known) + learned for note, caption in notes]


_INFLECTIONS = {"s": ("",), "es": ("",), "ies": ("y",), "ing": ("", "e"), "ed": ("", "e")}  # ending -> the word's
MEANT_GAIN = 0.15  # how much nearer a learned sound a word's respelling must bring a caption to be offered


def _did_you_mean(text, caption: str, known: list[str]) -> str:
    """" (did you mean 'rain'?)" for the words of ``caption`` that are no word of the sentence
    encoder's vocabulary (a whole-word entry, its plural or verb form included) and nearly spell a
    word of the sounds learned (``known``), where the caption so spelt is a learned sound
    (``FAMILIAR_SIMILARITY``) and MEANT_GAIN nearer one: a misspelt "rian", "dorr", "tunder" (at most
    two letters longer or shorter); not a real word the encoder lacks ("an owl hoots" is no "an owl
    shoots"). '' for none. ``text``: the backbone's text conditioner."""
    import difflib

    from ..models.known_sounds import FAMILIAR_SIMILARITY, nearest_sounds

    vocabulary = text.tokenizer.get_vocab()
    words = sorted({w for sound in known for w in re.findall(r"[a-z]+", sound.lower())})
    respelt = {}  # the word meant -> the caption with it
    for word in re.findall(r"[a-z]+", caption.lower()):
        forms = {word} | {word[:-len(end)] + base for end, bases in _INFLECTIONS.items() if word.endswith(end)
                          for base in bases}  # "whinnies": "whinny", a word the encoder has
        if len(word) < 3 or forms & vocabulary.keys() or word in words:
            continue
        near = [w for w in words if abs(len(w) - len(word)) <= 2]  # a slip drops or adds a letter or two, not a
        for meant in difflib.get_close_matches(word, near, n=1, cutoff=0.75):  # syllable: "sizzling" is no "sling"
            respelt[meant] = re.sub(rf"\b{word}\b", meant, caption, flags=re.I)
    if not respelt:
        return ""
    said, *others = (similarity for _, similarity in nearest_sounds(text, known, [caption, *respelt.values()]))
    meant = [m for m, similarity in zip(respelt, others) if similarity >= max(FAMILIAR_SIMILARITY, said + MEANT_GAIN)]
    return f" (did you mean {', '.join(repr(m) for m in meant)}?)" if meant else ""


def nearest_note(caption: str, nearest: str, similarity: float) -> str | None:
    """The note for ``caption`` whose nearest learned text is ``nearest`` at cosine ``similarity``:
    unlike every sound learned (under ``UNFAMILIAR_SIMILARITY``), or what it may come out like
    (under ``FAMILIAR_SIMILARITY``, sharing no word naming a sound: ``same_sound_words``, or not
    saying what the caption's thing does: ``_action_unsaid``); None when it is that sound said otherwise."""
    from ..models.known_sounds import FAMILIAR_SIMILARITY, UNFAMILIAR_SIMILARITY, same_sound_words

    if similarity < UNFAMILIAR_SIMILARITY:
        return (f"{caption!r} is unlike every sound this backbone learned (nearest: {nearest!r}, similarity "
                f"{similarity:.2f}); it may come out as another sound")
    if (similarity < FAMILIAR_SIMILARITY or _action_unsaid(caption, nearest) or _other_thing(caption, nearest)
            or caption.lower() != nearest.lower() and not same_sound_words(caption, nearest)):
        return (f"{caption!r} is nearest to {nearest!r} of the sounds this backbone learned (similarity "
                f"{similarity:.2f}); it may come out like that")
    return None


_NO_ACTION = {"start", "stop", "begin", "end", "fade", "leav", "pull"}  # stems of verbs that say when, not what sounds


def _action_unsaid(caption: str, nearest: str) -> bool:
    """Whether ``caption`` says what its thing does (a sound's verb: "knocks", "gallops", "a knock") and
    ``nearest`` says none of it nor a verb of the same sound, but another sound ("a horse neighs" for "a
    horse gallops"), or no sound of the caption's thing ("door" for "a knock on a wooden door"): a learned
    text of the same thing, not of the same sound. A learned text of the thing alone is its own sound
    ("birds in a forest" for "birds chirp in a forest")."""
    from .rules.words import _SOUND_VERB_STEMS, _alike, _stems, _subject

    actions = _stems(caption) & _SOUND_VERB_STEMS - _NO_ACTION
    learned = _stems(nearest)
    if not actions or actions & _alike(learned):
        return False
    thing = _stems(_subject(caption) or "") - {"a", "an", "the"}  # what makes the sound: "birds" of "birds chirp"
    return bool(learned & _SOUND_VERB_STEMS - _NO_ACTION) or not (thing and thing <= learned)


# Words of a caption's thing that name no thing a sound is learned of: how it sounds, or a person ("someone walks")
_NO_THING = {"a", "an", "the", "some", "faster", "slower", "louder", "quieter", "distant", "far", "near", "close",
             "loud", "quiet", "soft", "heavy", "light", "fast", "slow", "big", "small", "little", "large", "gentle",
             "hard", "someone", "somebody", "man", "woman", "men", "women", "person", "people", "boy", "girl", "child",
             "kid", "he", "she", "they"}


def _other_thing(caption: str, nearest: str) -> bool:
    """Whether ``nearest`` is another thing doing what ``caption``'s does ("crickets chirping at night" for
    "birds chirping", "small object bounces" for "a ball bounces"): the caption's thing (its words before
    its verb or its -ing word) shares no word with it, and the rest of the caption does."""
    from .rules.words import _stems, _subject

    doing = re.match(r"(?i)(?P<x>[a-z' ]+?)\s+[a-z]{3,}ing\b", caption)  # "birds| chirping"
    thing = _stems(_subject(caption) or (doing["x"] if doing else "")) - _stems(" ".join(_NO_THING))
    return bool(thing) and not thing & _stems(nearest) and bool(_stems(caption) & _stems(nearest))


def unknown_words(tokenizer, caption: str) -> list[str]:
    """The words of ``caption`` that ``tokenizer``, when its vocabulary is of whole words (the
    demo backbone's), can only read as its unknown token; [] for a subword tokenizer, which
    spells a new word out of pieces."""
    from tokenizers.models import WordLevel

    backend = getattr(tokenizer, "backend_tokenizer", None)
    unk = getattr(tokenizer, "unk_token", None)
    if unk is None or not isinstance(getattr(backend, "model", None), WordLevel):
        return []
    words = re.findall(r"[\w'-]+", caption.lower())
    return list(dict.fromkeys(w for w in words if unk in tokenizer.tokenize(w)))


def _words_said(words: list[str]) -> str:
    """"the word 'dog' is", "the words 'dog' and 'barks' are"."""
    if len(words) == 1:
        return f"the word {words[0]!r} is"
    return f"the words {', '.join(map(repr, words[:-1]))} and {words[-1]!r} are"


def new_captions(plan: Plan, previous: Plan | None) -> list[str]:
    """The captions of ``plan`` that ``previous`` (a session's last plan) did not have: a
    follow-up turn notes only these, its earlier turns having noted the rest."""
    seen = {e.caption for e in previous.events} if previous else set()
    return [e.caption for e in plan.events if e.caption not in seen]


def _take(e) -> tuple:
    """What a note of event ``e`` says of it: its take and where it plays, not its level."""
    return e.caption, e.start_s, e.end_s, e.seed_used, e.fill, e.period_s


def laid_flat(plan: Plan, previous: Plan | None, flat) -> set[tuple[str, float]]:
    """The (caption, start s) of ``plan``'s events whose take is ``previous``'s (the plan of a session's last turn,
    whose takes this turn keeps; None: none kept) and which that turn laid from their time, their take at one level
    where they were said to peak then (``flat``: its RenderStats.flat): heard so again."""
    kept = {_take(e) for e in previous.events} if previous else set()
    return {(e.caption, e.start_s) for e in plan.events if _take(e) in kept} & {tuple(f) for f in flat}


def unchanged_refusal(said: str) -> str:
    """The refusal of an edit that changes nothing: ``said``, the edit (its text quoted, or "the table"), and,
    where it speaks of a fade, that no edit sets one's length ("fade out the wind at the end")."""
    fade = (f"; a sound's end is faded over {RELEASE_S:g} s wherever it stops, and no edit sets a fade's length"
            if re.search(r"\bfad(?:e|es|ing)\b", said, re.I) else "")
    return f"{said} changes nothing: the plan would be as it is{fade}"


def turn_notes(plan: Plan, stats: RenderStats | None, previous: Plan | None = None, takes_kept: bool = False,
               held_before: float | None = None, text=None, source: str = "", video: bool = False,
               where: bool = True) -> list[str]:
    """The notes a turn of ``plan`` gives, less those the session's last turn gave (``previous``:
    its plan, when that turn's backbone is this one's; None for a first turn). With the backbone's
    text conditioner ``text`` (its folder ``source``; ``where``: :func:`caption_notes`), the
    caption notes of the captions ``previous`` did not have; then, given the render's ``stats``
    (``video``: a bed as long as its video), the render notes (:func:`render_notes`) of the events
    this turn changed (all of them unless ``takes_kept``: ``previous``'s takes were made with this
    turn's sampler and onset alignment, so the events it left as they were are heard as before),
    and of the mix's hold by the peak ceiling unless it stays near ``held_before`` (dB, the last
    turn's; None: unknown). A caller that says the caption notes before the render, as it runs,
    passes ``text`` with ``stats`` None, then ``stats`` with ``text`` None."""
    notes = caption_notes(text, source, new_captions(plan, previous), where) if text is not None else []
    if stats is not None:
        kept = {_take(e) for e in previous.events} if previous and takes_kept else set()
        notes += render_notes(stats, plan.duration_s, video,
                              said_before={(e.caption, e.start_s) for e in plan.events if _take(e) in kept},
                              held_before=held_before)
    return notes


def timeline_image(plan: Plan, mix: np.ndarray, sample_rate: int, path: str | os.PathLike,
                   heard_from_s: list[float] | None = None) -> None:
    """PNG: the events as labelled bars over the mix's spectrogram (a muted span hatched, not filled;
    the spectrogram of a bed over about 30 s pooled to ``PICTURE_FRAMES`` columns). ``heard_from_s``
    (RenderStats.heard_from_s): each event's bar starts where its sound is laid, a swell before its
    time included, its time marked by a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..media.files import atomic_path

    fig, (bars, spec_ax) = plt.subplots(2, 1, figsize=(10, 1.2 + 0.35 * len(plan.events) + 2.2), sharex=True,
                                        gridspec_kw={"height_ratios": [0.35 * len(plan.events) + 0.4, 2.2]})
    for i, e in enumerate(plan.events):
        begin = min(e.start_s, heard_from_s[i]) if heard_from_s else e.start_s
        muted = [(max(a, begin), min(b, e.end_s)) for a, b in sorted(e.mute) if min(b, e.end_s) > max(a, begin)]
        edges = [begin, *[t for span in muted for t in span], e.end_s]  # heard, muted, heard, ... spans
        heard = [(a, b - a) for a, b in zip(edges[::2], edges[1::2]) if b > a]
        bars.broken_barh(heard, (i - 0.4, 0.8), color=f"C{i % 10}", alpha=0.8)
        bars.broken_barh([(a, b - a) for a, b in muted], (i - 0.4, 0.8), facecolor="none", edgecolor=f"C{i % 10}",
                         hatch="//", alpha=0.6)  # a muted span: outlined, not filled
        if begin < e.start_s:  # its time, after its swell: where it is loudest
            bars.vlines(e.start_s, i - 0.4, i + 0.4, colors="black", linewidth=1.5)
        bars.text(begin + 0.05, i, f"{e.caption} ({e.gain_db:+.0f} dB)" if e.gain_db else e.caption,
                  va="center", fontsize=8)
    bars.set_yticks([])
    bars.invert_yaxis()
    spec = spectrogram_db(mix, max_frames=PICTURE_FRAMES)  # a long bed drawn in bounded memory
    spec_ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
                   extent=(0, plan.duration_s, 0, sample_rate / 2000))
    spec_ax.set_ylabel("kHz")
    spec_ax.set_xlabel("seconds")
    with warnings.catch_warnings():  # a caption's glyphs outside the font are drawn as boxes, not warned of per glyph
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------- session ---

VIDEO_LENGTH_TOLERANCE_S = 1e-3  # a bed and a video this close in length are as long as each other


def bed_video(path: str | os.PathLike, said: str, missing_hint: str = ""):
    """The probe (``VideoInfo``) of a video a bed is laid under, one whose length a bed can have;
    ``said``: how an error names it (``--video``, the session that recorded it, a page's field),
    ``missing_hint``: what a missing one's error adds. FoleyError for a missing, unreadable or
    damaged video, a still image, or one too short or long for a bed."""
    from ..media.video import check_moving, probe_video

    if not Path(path).exists():
        raise FoleyError(f"{said} {path}: no such file{missing_hint}")
    info = check_moving(probe_video(path), f"{said} ")
    low, high = DURATION_RANGE_S
    if not low <= info.duration_s <= high:
        raise FoleyError(f"{said} {path}: {info.duration_s:g} s long; a bed is {low:g} to {high:g} s")
    return info


def bed_description(caption: str | None, duration_s: float) -> tuple[str, str] | None:
    """What ``foley compose --video`` may be given to lay a dub's ``caption`` (None or blank: no
    caption) under its video of ``duration_s``, and what that lays: where it names one sound and no
    time, a sound that goes on (``goes_on``: 'bicycle wheels rolling on a road') over the whole video
    ('... throughout', "the caption's sound from start to end"), any other at 1 s ('a door slams at 1 s',
    "the caption's sound at 1 s"); else the caption as it is where the rules planner reads it ("the
    caption's sounds at their times"), else a description to write. None when no bed is that long
    (``DURATION_RANGE_S``)."""
    from .planners import RulesPlanner
    from .rules.description import goes_on

    low, high = DURATION_RANGE_S
    if not low <= duration_s <= high:
        return None
    caption = (caption or "").strip().rstrip(".")
    if caption:
        with contextlib.suppress(FoleyError):  # one sound, no time of its own: over the video, or laid at 1 s
            if [e.start_s for e in RulesPlanner().plan(f"{caption} at 1 s", duration_s).events] == [1.0]:
                with contextlib.suppress(FoleyError):  # a "throughout" refused: laid at 1 s all the same
                    if goes_on(caption) and [(e.start_s, e.end_s) for e in RulesPlanner().plan(
                            f"{caption} throughout", duration_s).events] == [(0.0, round(duration_s, 3))]:
                        return f"{caption} throughout", "the caption's sound from start to end"
                return f"{caption} at 1 s", "the caption's sound at 1 s"
        with contextlib.suppress(FoleyError):
            RulesPlanner().plan(caption, duration_s)
            return caption, "the caption's sounds at their times"
    return "A DESCRIPTION", "described sounds"


def stems_folder(bed: str | os.PathLike) -> Path:
    """BED.stems: the folder next to a bed (BED.wav) that holds its stems."""
    return Path(bed).with_suffix(".stems")


def stem_names(captions: list[str], kept: dict[str, str] | None = None) -> list[str]:
    """A file name for each caption's stem: the name ``kept`` gives it (caption -> the name of the
    turn before: an edit that keeps a sound keeps its stem's name), else its words joined by dashes
    ("a dog barks" -> a-dog-barks.wav; at most STEM_NAME_CHARS characters; "-2" after a name taken,
    or one Windows keeps for a device)."""
    kept = {c: n for c, n in (kept or {}).items() if c in captions}
    taken = {n.lower() for n in kept.values()}
    names = []
    for caption in captions:
        if caption in kept:
            names.append(kept[caption])
            continue
        words = re.findall(r"\w+", unicodedata.normalize("NFC", caption).lower())
        name = base = "-".join(words)[:STEM_NAME_CHARS].strip("-_") or "sound"
        for k in itertools.count(2):
            if f"{name}.wav" not in taken and name not in WINDOWS_DEVICES:
                break
            name = f"{base}-{k}"
        taken.add(f"{name}.wav")
        names.append(f"{name}.wav")
    return names


STEM_NAME_CHARS = 60
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"{d}{k}" for d in ("com", "lpt") for k in range(10))}
SESSION_VERSION = 1  # the session file's layout
OWN_FILES = ("output", "timeline", "video_output")  # what a turn writes, recorded with its SHA-256
TURN_SETTINGS = ("model", "sampler", "align")  # what a turn rendered with, recorded with it (an undo goes back to them)


def session_cache_dir(session_path: str | os.PathLike) -> Path:
    """SESSION.cache: the folder next to a session file that holds its events and its turn lock."""
    path = Path(session_path)
    return path.with_name(path.name + ".cache")


@contextlib.contextmanager
def turn_lock(session_path: str | os.PathLike) -> Iterator[None]:
    """Hold a session for one turn: filelock's lock on ``SESSION.cache/turn.lock``. Two turns at
    once would both start from the same plan and the later save would drop the earlier turn, so
    a second one is refused at once (FoleyError) rather than queued behind a render of minutes."""
    from ..media.files import held

    path, cache = Path(session_path), session_cache_dir(session_path)
    made = not cache.exists()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FoleyError(f"{cache}: cannot hold the session's turn ({e.strerror or e})") from None
    try:
        with held(cache / "turn.lock", f"{path}: another turn on this session is running; run this one when it has "
                  "finished", "the session's turn"):
            yield
    finally:
        if made and [p.name for p in cache.iterdir()] == ["turn.lock"]:  # a turn that kept nothing: no folder left
            (cache / "turn.lock").unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                cache.rmdir()


def _check_settings(sampler, align) -> None:
    """Raise ValueError unless ``sampler`` (options by name) and ``align`` are as a session keeps them."""
    if not (isinstance(sampler, dict) and set(sampler) <= SAMPLER_KEYS and SamplerConfig(**sampler).in_range()):
        raise ValueError(f"sampler {sampler!r}")
    if not isinstance(align, bool):
        raise ValueError(f"align {align!r}")


def _check_turn(turn: dict) -> None:
    """Raise ValueError unless the files and backbone a turn recorded are as a turn records them:
    paths, model and text as text, its hold (held_db) and time numbers, its counts of takes whole
    numbers, undo true or false, its stems as caption -> a file name of its own in the stems folder, its
    sounds laid at one level (flat) as [caption, start s] pairs."""
    for key in (*OWN_FILES, "video", "model", "text"):
        if turn.get(key) is not None and not isinstance(turn[key], str):
            raise ValueError(f"a turn's {key} {turn[key]!r:.60}")
    for key in ("held_db", "seconds"):
        if turn.get(key) is not None and type(turn[key]) not in (int, float):
            raise ValueError(f"a turn's {key} {turn[key]!r:.60}")
    for key in ("generated", "reused"):  # counts of takes
        if turn.get(key) is not None and not (type(turn[key]) is int and turn[key] >= 0):
            raise ValueError(f"a turn's {key} {turn[key]!r:.60}")
    if turn.get("undo") not in (None, True, False):
        raise ValueError(f"a turn's undo {turn['undo']!r:.60}")
    for key in ("stems", "stems_sha256"):
        if not isinstance(turn.get(key) or {}, dict):
            raise ValueError(f"a turn's {key} {turn[key]!r:.60}")
    periods = turn.get("periods_s", [])
    plan = turn.get("plan")
    if not (isinstance(periods, list) and all(p is None or type(p) in (int, float) and 0 < p < math.inf for p in periods)
            and (not periods or isinstance(plan, dict) and len(periods) == len(plan.get("events") or []))):
        raise ValueError(f"a turn's periods_s {periods!r:.60}")
    flat = turn.get("flat", [])
    if not (isinstance(flat, list) and all(isinstance(f, list) and len(f) == 2 and isinstance(f[0], str)
                                           and type(f[1]) in (int, float) for f in flat)):
        raise ValueError(f"a turn's flat {flat!r:.60}")
    stems = turn.get("stems") or {}
    names = [n.lower() for n in stems.values() if isinstance(n, str)]
    if not (len(set(names)) == len(stems)
            and all(isinstance(c, str) and Path(n).name == n and n.endswith(".wav") for c, n in stems.items())):
        raise ValueError(f"a turn's stems {stems!r:.60}")


def with_heard_periods(plan: Plan, periods_s: list[float | None]) -> Plan:
    """``plan`` with each event's ``heard_period_s``: ``periods_s`` (RenderStats.periods_s of its render)."""
    return replace(plan, events=tuple(replace(e, heard_period_s=p) for e, p in zip(plan.events, periods_s, strict=True)))


def with_last_edited(plan: Plan, before: Plan) -> Plan:
    """``plan`` with each event that the turn which made it from ``before`` changed or added marked ``edited``."""
    kept, events = list(before.events), []
    for e in plan.events:
        if e in kept:  # as it was
            kept.remove(e)
            events.append(e)
        else:
            events.append(replace(e, edited=True))
    return replace(plan, events=tuple(events))


@dataclass
class Session:
    """A compose conversation: the turns, the current plan, where its event cache lives."""

    path: Path
    duration_s: float
    turns: list[dict]
    plan: Plan | None = None
    model: str | None = None  # the backbone its events were generated with (None: a session from before it was kept)
    sampler: dict = field(default_factory=dict)  # sampler options given on its turns (steps, guidance, scheduler)
    align: bool = True  # each event's first onset on its start (render's align_onsets)
    saved_as: str | None = None  # the session file's name when it was saved (None: a session from before it was kept)

    @property
    def cache_dir(self) -> Path:
        return session_cache_dir(self.path)

    @classmethod
    def open(cls, path: str | os.PathLike, duration_s: float) -> "Session":
        path = Path(path)
        if not path.exists():
            return cls(path, duration_s, [])
        try:
            if not (path.is_file() or path.is_dir()):  # reading a pipe could wait for ever
                raise ValueError("a pipe, socket or device, not a file")
            text = path.read_text(encoding="utf-8-sig")  # an editor's byte-order mark is no part of the JSON
            if not text.strip():
                raise ValueError("the file is empty")
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError(f"a JSON {type(data).__name__}, not an object")
            version = data.get("version")
            if type(version) is int and version > SESSION_VERSION and "turns" in data:  # a session all the same
                raise FoleyError(f"{path}: a session of a newer foley (version {version}); this foley reads version "
                                 f"{SESSION_VERSION}: continue it with the foley that wrote it")
            if type(version) is not int or version != SESSION_VERSION:  # not true, which equals 1
                raise ValueError(f"version {version!r}; this foley reads version {SESSION_VERSION}")
            if data.get("plan") and not isinstance(data["plan"], dict):
                raise ValueError(f"plan {data['plan']!r:.60}")
            plan = Plan.from_dict(data["plan"]) if data.get("plan") else None
            model, sampler, align = data.get("model"), data.get("sampler"), data.get("align", True)
            sampler = {} if sampler is None else sampler
            if not isinstance(sampler, dict):
                raise ValueError(f"sampler {sampler!r:.60}")
            _check_settings(sampler, align)
            name = data.get("name")
            if name is not None and not (isinstance(name, str) and Path(name).name == name):  # a file's name, no folder
                raise ValueError(f"name {name!r:.60}")
            duration_s, turns = data["duration_s"], data["turns"]
            if isinstance(duration_s, bool) or not isinstance(duration_s, (int, float)):  # not true, nor "2"
                raise ValueError(f"duration_s {duration_s!r:.60}")
            if not (math.isfinite(duration_s) and DURATION_RANGE_S[0] <= duration_s <= DURATION_RANGE_S[1]):
                raise ValueError(f"duration_s {duration_s:g}; a bed is {DURATION_RANGE_S[0]:g} to "
                                 f"{DURATION_RANGE_S[1]:g} s")
            if plan and abs(plan.duration_s - duration_s) > 1e-6:  # a session's bed keeps its length
                raise ValueError(f"its plan is {plan.duration_s:g} s long and its bed {duration_s:g} s")
            if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
                raise ValueError("'turns' must be a list of turns")
            for turn in turns:
                _check_turn(turn)
            if turns and not plan:  # not a new session: its next turn would describe a bed over its turns
                raise ValueError("it has turns but no plan")
            if plan and turns and turns[-1].get("periods_s") and data["plan"] == turns[-1].get("plan"):
                plan = with_heard_periods(plan, turns[-1]["periods_s"])  # as the last turn laid its repeats
            before = turns[-2].get("plan") if len(turns) > 1 and not turns[-1].get("undo") else None
            if plan and isinstance(before, dict) and data["plan"] == turns[-1].get("plan"):  # "it" of the next turn
                try:
                    plan = with_last_edited(plan, Plan.from_dict(before))
                except (PlanError, KeyError, TypeError, ValueError):  # a plan that cannot be read back: none marked
                    pass
            return cls(path, duration_s, list(turns), plan,
                       str(model) if model is not None else None, dict(sampler), align,
                       name or None)
        except KeyError as e:
            raise FoleyError(f"{path}: not a foley compose session (no {e.args[0]!r})") from None
        except (OSError, ValueError, TypeError, PlanError, RecursionError) as e:  # RecursionError: JSON nested too deep
            raise FoleyError(f"{path}: not a foley compose session ({e})") from None

    @property
    def copied(self) -> bool:
        """Whether this file is a copy (or a renamed file) of a session saved under another name:
        its turns write files named after it, never those of the session it was copied from."""
        return self.saved_as is not None and self.saved_as != self.path.name

    def _recorded(self, key: str) -> Path | None:
        """A path the last turn recorded under ``key``: relative to the session file's folder (a
        session moved or copied with its files writes next to itself), or absolute. For a file the
        turns write (``OWN_FILES``) in a copied session, the copy's own name with its suffix."""
        value = self.turns[-1].get(key) if self.turns else None
        if value and key in OWN_FILES and self.copied:
            return self.path.with_suffix(Path(value).suffix)
        return self.path.parent / value if value else None

    def outside(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` lies outside the session file's folder (and those in it), links resolved."""
        return self.path.parent.resolve() not in Path(path).resolve().parents

    @property
    def bed_path(self) -> Path:
        """Where a turn without -o writes the bed: where the last turn wrote it, else next to
        the session file (SESSION.wav)."""
        return self._recorded("output") or self.path.with_suffix(".wav")

    @property
    def timeline_path(self) -> Path | None:
        """The timeline picture the last turn drew (a follow-up turn draws it again), or None."""
        return self._recorded("timeline")

    @property
    def video_path(self) -> Path | None:
        """The video the last turn laid its bed under (a follow-up turn lays it again), or None."""
        return self._recorded("video")

    @property
    def video_output_path(self) -> Path | None:
        """The video with the bed that the last turn wrote, or None."""
        return self._recorded("video_output")

    @property
    def flat(self) -> list[tuple[str, float]]:
        """(caption, start s) of the sounds said to peak at their time that the last turn laid from it, their
        take at one level (RenderStats.flat)."""
        return [tuple(f) for f in self.turns[-1].get("flat", [])] if self.turns else []

    @property
    def stem_names(self) -> dict[str, str]:
        """caption -> file name of each stem the last turn wrote (a follow-up turn writes them
        again, under the same names); empty when it wrote none."""
        return dict(self.turns[-1].get("stems") or {}) if self.turns else {}

    @property
    def stem_paths(self) -> list[Path]:
        """The stems the last turn wrote, in the bed's stems folder."""
        return [stems_folder(self.bed_path) / name for name in self.stem_names.values()]

    def _relative(self, path: str | os.PathLike | None) -> str | None:
        if path is None:
            return None
        try:
            return os.path.relpath(Path(path).resolve(), self.path.parent.resolve())
        except ValueError:  # another drive (Windows): no relative path
            return str(Path(path).resolve())

    def _input_reference(self, path: str | os.PathLike) -> str:
        """How a file the session reads is recorded: relative to the session's folder when it is
        inside it (moved with it), else absolute (a session copied elsewhere still finds it)."""
        relative = self._relative(path)
        return relative if not Path(relative).is_absolute() and ".." not in Path(relative).parts \
            else str(Path(path).resolve())

    def own_files(self) -> tuple[set[Path], set[Path]]:
        """(unchanged, changed): the bed, picture, video and stems the last turn wrote (resolved paths), split
        by whether each is still as written (its SHA-256 recorded then). A follow-up turn
        replaces the unchanged ones; a changed one (edited by hand, or a file a session from
        elsewhere points at) only with --overwrite."""
        unchanged, changed = set(), set()
        last = self.turns[-1] if self.turns else {}
        recorded = [(self._recorded(key), last.get(f"{key}_sha256")) for key in OWN_FILES] + [
            (path, (last.get("stems_sha256") or {}).get(path.name)) for path in self.stem_paths]
        for path, digest in recorded:
            if path is not None and path.is_file():
                (unchanged if digest and digest == sha256_file(path) else changed).add(path.resolve())
        return unchanged, changed

    def undone(self) -> tuple[Plan, dict]:
        """The plan an undo turn goes back to: the one before the last turn not undone yet (an
        undo turn takes back one turn; a second undo, the one before), and the settings that
        turn rendered it with (``model``, ``sampler``, ``align``: those it recorded; ``video``: the
        path of the video it was laid under, if any). FoleyError when no turn is left to undo."""
        kept: list = []  # the turns not undone, in order
        for turn in self.turns:
            if not isinstance(turn.get("plan"), dict):  # each turn is a dict (Session.open checks it)
                raise FoleyError(f"{self.path}: a turn without its plan ({str(turn)!r:.60}); undo cannot go back past it")
            if turn.get("undo") and kept:
                kept.pop()
            else:
                kept.append(turn)
        if len(kept) < 2:
            raise FoleyError("nothing to undo: the bed is as its first turn made it" if kept else
                             "nothing to undo: this session has no bed yet")
        turn = kept[-2]
        try:
            plan = Plan.from_dict(turn["plan"])
        except (FoleyError, KeyError, TypeError, ValueError) as e:
            raise FoleyError(f"{self.path}: a turn's plan cannot be read back ({e})") from None
        if abs(plan.duration_s - self.duration_s) > 1e-6:  # a session's bed keeps its length
            raise FoleyError(f"{self.path}: a turn's plan cannot be read back (it is {plan.duration_s:g} s long and "
                             f"the bed {self.duration_s:g} s)")
        settings = {k: turn[k] for k in TURN_SETTINGS if k in turn}
        if turn.get("video"):  # the video it was laid under, as recorded (relative to the session, or absolute)
            settings["video"] = self.path.parent / turn["video"]
        try:
            _check_settings(settings.get("sampler", {}), settings.get("align", True))
        except ValueError as e:
            raise FoleyError(f"{self.path}: a turn's settings cannot be read back ({e})") from None
        return plan, settings

    def add_turn(self, text: str, plan: Plan, stats: RenderStats, output: str | os.PathLike,
                 timeline: str | os.PathLike | None = None, undo: bool = False,
                 video: str | os.PathLike | None = None, video_output: str | os.PathLike | None = None,
                 stems: dict[str, Path] | None = None, written: dict[Path, Path] | None = None) -> None:
        """Record a turn whose bed ``output`` (and picture ``timeline``, ``video_output``: the
        bed under the picture of ``video``, and ``stems``: caption -> its file in
        ``stems_folder(output)``) are written; ``undo``: a turn that took the previous one back (``undone``);
        ``written``: the temporary file each of them is written as, not yet in its place (hashed instead)."""
        files = {"output": output, **({"timeline": timeline} if timeline else {}),
                 **({"video_output": video_output} if video_output else {})}

        def digest(path) -> str:  # of the file as written
            return sha256_file((written or {}).get(Path(path), path))

        self.turns.append({"text": text, **({"undo": True} if undo else {}), "plan": plan.to_dict(),
                           "model": self.model, "sampler": dict(self.sampler), "align": self.align,
                           "generated": stats.generated, "held_db": round(stats.held_db, 2),
                           **({"periods_s": stats.periods_s} if any(stats.periods_s) else {}),
                           **({"flat": [list(f) for f in stats.flat]} if stats.flat else {}),
                           "reused": stats.reused, "seconds": round(stats.seconds, 2),
                           **({"video": self._input_reference(video)} if video else {}),
                           **{k: self._relative(v) for k, v in files.items()},
                           **{f"{k}_sha256": digest(v) for k, v in files.items()},
                           **({"stems": {c: p.name for c, p in stems.items()},
                               "stems_sha256": {p.name: digest(p) for p in stems.values()}} if stems else {})})
        self.plan = with_heard_periods(plan, stats.periods_s) if stats.periods_s else plan
        self.duration_s = plan.duration_s  # the bed's length: a plan pasted as JSON gives its own

    def save(self, to: str | os.PathLike | None = None) -> None:
        """Write the session to its file, or to ``to``: a temporary file that a turn puts in its
        place together with the files it wrote."""
        self.saved_as = self.path.name
        text = json.dumps({"version": SESSION_VERSION, "name": self.saved_as, "duration_s": self.duration_s,
                           "model": self.model, "sampler": self.sampler, "align": self.align, "turns": self.turns,
                           "plan": self.plan.to_dict() if self.plan else None}, indent=1) + "\n"
        if to is None:
            atomic_write_text(self.path, text)
        else:
            Path(to).write_text(text, encoding="utf-8")
