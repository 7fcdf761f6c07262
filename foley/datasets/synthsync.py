"""SynthSync: a procedurally generated audio-visual dataset with exact onsets.

Each clip shows one class of event (a ball bounces, a hammer strikes, ...) happening 1-6
times. At an event's contact frame k the object touches its target (and an impact mark
appears for two frames); the sound starts at exactly t = k / fps. Every clip is a
deterministic function of (seed, split, index): the same command gives the same bytes,
and the test split does not depend on the size of the train split.

Two sound sets: synthesized (:data:`CLASSES`, eight classes, the default) or recorded
(:data:`RECORDED_CLASSES`, ``sounds=SFX_DIR``): each event is a single event cut from a
recording of its kind in a ``foley prepare sfx`` corpus (train recordings for the train
split, test recordings for the test split; :mod:`foley.datasets.event_sounds`), its attack
at the contact sample. The recorded set adds classes whose material only the picture
tells: footsteps on six surfaces and a hammer on metal, wood and stone.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FoleyError
from ..media.audio import write_audio
from ..media.ffmpeg import run_ffmpeg
from ..media.files import (atomic_path, atomic_write_text, check_free_space, missing_folders, read_json_object,
                           removed_if_empty, trial_write)
from ..workers import stops_deferred, worker_map
from .event_sounds import load_bank

GENERATOR_VERSION = 2
SPLITS = ("train", "test")


MAX_DURATION_S = 120.0


@dataclass(frozen=True)
class SynthConfig:
    duration_s: float = 4.0
    fps: int = 25
    size_px: int = 128
    sample_rate: int = 16_000
    min_events: int = 1
    max_events: int = 6
    min_gap_s: float = 0.36  # between onsets: sounds and motions stay separable
    lead_s: float = 0.3  # no onset before this (the approach is visible; onset metrics need a margin)
    tail_s: float = 0.4  # no onset in the last tail_s
    approach_s: float = 0.24  # time the object takes to reach its target
    noise_floor: float = 0.001  # background noise (std), about -60 dBFS

    def __post_init__(self) -> None:
        if self.duration_s <= 0 or not math.isfinite(self.duration_s):
            raise FoleyError(f"duration must be a finite number > 0, got {self.duration_s}")
        if self.duration_s - self.lead_s - self.tail_s < 1.0 / self.fps:
            shortest = math.ceil((self.lead_s + self.tail_s) * self.fps + 1 - 1e-9) / self.fps  # a whole frame of events
            raise FoleyError(f"duration {self.duration_s} s is too short; at least {shortest:g} s is needed")
        if self.duration_s > MAX_DURATION_S:  # a clip is rendered whole in memory
            raise FoleyError(f"duration {self.duration_s:g} s is too long; clips last at most {MAX_DURATION_S:g} s")
        if abs(self.duration_s * self.fps - self.n_frames) > 1e-6:  # the clips, their sidecars and synthsync.json agree
            raise FoleyError(f"duration {self.duration_s:g} s is no whole number of frames at {self.fps} fps; "
                             f"give {self.n_frames / self.fps:g} s")

    @property
    def n_frames(self) -> int:
        return round(self.duration_s * self.fps)

    @property
    def n_samples(self) -> int:
        return round(self.n_frames / self.fps * self.sample_rate)


# --------------------------------------------------------------------------- scenes ---
# A scene draws one frame from "closeness" c in [0, 1] (1 = touching the target, from the
# nearest event) and "impact" in [0, 1] (1 on the contact frame, 0.5 on the next, else 0).

def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return y / size, x / size


def _disk(img, yy, xx, cy, cx, r, color):
    img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = color


def _rect(img, y0, y1, x0, x1, color):
    s = img.shape[0]
    img[max(0, int(y0 * s)):max(0, int(y1 * s)), max(0, int(x0 * s)):max(0, int(x1 * s))] = color


def _impact(img, yy, xx, cy, cx, impact):
    """A bright ring around the contact point on the contact frame and the next."""
    if impact <= 0:
        return
    d2 = (yy - cy) ** 2 + (xx - cx) ** 2
    ring = (d2 >= 0.07 ** 2) & (d2 <= 0.1 ** 2)
    img[ring] = (img[ring] * (1 - impact) + 255.0 * impact).astype(np.uint8)


@dataclass(frozen=True)
class SceneParams:
    background: tuple[int, int, int]
    dx: float  # horizontal offset of the scene, fraction of the frame
    scale: float  # object size factor
    pitch: float  # sound pitch factor
    hue_shift: int


def _ball(img, yy, xx, c, impact, p):
    floor = 0.78
    _rect(img, floor, 1.0, 0.0, 1.0, (90, 90, 90))
    r = 0.09 * p.scale
    height = 1 - c  # 0 at contact
    cy = floor - r - 0.5 * height * (2 - height)  # parabolic flight
    _disk(img, yy, xx, cy, 0.5 + p.dx, r, (220, 40 + p.hue_shift, 40))
    _impact(img, yy, xx, floor, 0.5 + p.dx, impact)


def _hammer(img, yy, xx, c, impact, p):
    plate = 0.7
    _rect(img, plate, plate + 0.06, 0.25 + p.dx, 0.75 + p.dx, (170, 180, 195))
    lift = 0.45 * (1 - c)
    head_bottom = plate - lift
    _rect(img, head_bottom - 0.1 * p.scale, head_bottom, 0.40 + p.dx, 0.60 + p.dx, (60, 60, 70))
    _rect(img, head_bottom - 0.1 * p.scale - 0.02, head_bottom - 0.04, 0.60 + p.dx, 0.92 + p.dx, (140, 90, 40))
    _impact(img, yy, xx, plate, 0.5 + p.dx, impact)


def _lamp(img, yy, xx, c, impact, p, lit=False):
    _rect(img, 0.55, 0.85, 0.47 + p.dx, 0.53 + p.dx, (80, 80, 80))
    color = (255, 235, 60 + p.hue_shift) if lit else (70, 70, 50)
    _disk(img, yy, xx, 0.42, 0.5 + p.dx, 0.14 * p.scale, color)


def _drum(img, yy, xx, c, impact, p):
    skin = 0.62
    _rect(img, skin, 0.9, 0.28 + p.dx, 0.72 + p.dx, (40, 70, 200))
    _rect(img, skin - 0.02, skin, 0.26 + p.dx, 0.74 + p.dx, (235, 230, 215))
    lift = 0.4 * (1 - c)
    tip = skin - 0.02 - lift
    _rect(img, tip - 0.28, tip, 0.49 + p.dx, 0.53 + p.dx, (150, 100, 50))
    _disk(img, yy, xx, tip - 0.02, 0.51 + p.dx, 0.03, (200, 160, 100))
    _impact(img, yy, xx, skin, 0.51 + p.dx, impact)


def _glass(img, yy, xx, c, impact, p):
    gap = 0.3 * (1 - c)
    w = 0.11 * p.scale
    for side in (-1, 1):
        x_in = 0.5 + p.dx + side * gap
        x0, x1 = (x_in - w, x_in) if side < 0 else (x_in, x_in + w)
        _rect(img, 0.35, 0.7, x0, x1, (120, 220, 230))
        _rect(img, 0.7, 0.74, x0 + w * 0.3, x1 - w * 0.3, (120, 220, 230))
    _impact(img, yy, xx, 0.45, 0.5 + p.dx, impact)


def _knock(img, yy, xx, c, impact, p):
    door = 0.72
    _rect(img, 0.1, 0.95, door + p.dx * 0.3, 1.0, (120, 70, 30))
    dist = 0.45 * (1 - c)
    r = 0.08 * p.scale
    cx = door + p.dx * 0.3 - r - dist
    _disk(img, yy, xx, 0.5, cx, r, (235, 190, 150))
    _rect(img, 0.5 - r * 0.6, 0.5 + r * 0.6, 0.0, cx - r * 0.5, (60, 90, 160))
    _impact(img, yy, xx, 0.5, door + p.dx * 0.3, impact)


def _drop(img, yy, xx, c, impact, p):
    surface = 0.7
    _rect(img, surface, 1.0, 0.0, 1.0, (30, 80, 170))
    fall = 1 - c
    r = 0.045 * p.scale
    cy = surface - r - 0.55 * fall
    _disk(img, yy, xx, cy, 0.5 + p.dx, r, (140, 200, 255))
    _impact(img, yy, xx, surface, 0.5 + p.dx, impact)


def _clap(img, yy, xx, c, impact, p):
    gap = 0.32 * (1 - c)
    w = 0.1 * p.scale
    for side in (-1, 1):
        x_in = 0.5 + p.dx + side * gap
        x0, x1 = (x_in - w, x_in) if side < 0 else (x_in, x_in + w)
        _rect(img, 0.3, 0.62, x0, x1, (240, 195, 160))
        _rect(img, 0.62, 0.9, x0 + w * 0.2, x1 - w * 0.2, (230, 120, 120))
    _impact(img, yy, xx, 0.46, 0.5 + p.dx, impact)


# Materials: a texture per surface, a deterministic function of the pixel grid, so that the
# picture tells what a footstep or a strike lands on.

def _speckle(yy, xx, scale: float) -> np.ndarray:
    """Hash noise in [0, 1) per cell of size 1/scale (the classic sin-fract hash)."""
    cy, cx = np.floor(yy * scale), np.floor(xx * scale)
    v = np.sin(cy * 12.9898 + cx * 78.233) * 43758.5453
    return v - np.floor(v)


def _texture(yy, xx, material: str) -> np.ndarray:
    """(S, S, 3) float colours of a material over the whole frame."""
    def tone(rgb, shade):
        return np.asarray(rgb, np.float32)[None, None, :] * shade[..., None]

    one = np.ones_like(yy)
    if material == "metal":  # brushed: faint horizontal streaks, a bright band
        return tone((170, 180, 195), 0.92 + 0.08 * np.sin(yy * 400) + 0.25 * (np.abs(yy % 0.25 - 0.05) < 0.012))
    if material == "wood":  # planks: grain lines and seams
        return tone((150, 98, 52), 0.85 + 0.15 * np.sin(yy * 160 + 3 * np.sin(xx * 9)) - 0.35 * (xx % 0.2 < 0.012))
    if material == "stone":  # blocks with mortar and speckle
        return tone((128, 124, 118), 0.8 + 0.3 * _speckle(yy, xx, 40) - 0.45 * ((yy % 0.12 < 0.012) | (xx % 0.2 < 0.012)))
    if material == "grass":  # green blades
        return tone((60, 150, 55), 0.7 + 0.5 * (_speckle(yy * 0.2, xx, 64) > 0.5))
    if material == "gravel":  # dense light and dark pebbles
        return tone((150, 140, 125), 0.55 + 0.7 * _speckle(yy, xx, 30))
    if material == "snow":  # white, faint blue
        return tone((236, 242, 252), 0.95 + 0.05 * _speckle(yy, xx, 20))
    if material == "sand":  # beige ripples
        return tone((218, 190, 130), 0.9 + 0.1 * np.sin((yy * 3 + xx) * 90))
    if material == "concrete":  # flat grey slabs with joints
        return tone((155, 155, 152), one - 0.4 * (xx % 0.33 < 0.01))
    raise ValueError(material)


def _surface(img, yy, xx, y0, y1, x0, x1, material):
    mask = (yy >= y0) & (yy < y1) & (xx >= x0) & (xx < x1)
    img[mask] = np.clip(_texture(yy, xx, material)[mask], 0, 255).astype(np.uint8)


def _step(img, yy, xx, c, impact, p, surface="grass"):
    """A foot comes down on the ground; the ground's look is the surface."""
    ground = 0.74
    _surface(img, yy, xx, ground, 1.0, 0.0, 1.0, surface)
    lift = 0.38 * (1 - c)
    sole = ground - lift
    x = 0.42 + p.dx
    _rect(img, sole - 0.5, sole - 0.08, x + 0.02, x + 0.12, (50, 60, 110))  # leg
    _rect(img, sole - 0.09, sole - 0.025, x - 0.02, x + 0.2 * p.scale, (225, 225, 230))  # shoe
    _rect(img, sole - 0.025, sole, x - 0.02, x + 0.2 * p.scale, (200, 40, 40))  # sole
    _impact(img, yy, xx, ground, x + 0.08, impact)


def _strike(img, yy, xx, c, impact, p, surface="metal"):
    """A hammer strikes a slab; the slab's look is the material."""
    plate = 0.66
    _surface(img, yy, xx, plate, plate + 0.16, 0.2 + p.dx, 0.8 + p.dx, surface)
    lift = 0.42 * (1 - c)
    head_bottom = plate - lift
    _rect(img, head_bottom - 0.1 * p.scale, head_bottom, 0.40 + p.dx, 0.60 + p.dx, (60, 60, 70))
    _rect(img, head_bottom - 0.1 * p.scale - 0.02, head_bottom - 0.04, 0.60 + p.dx, 0.92 + p.dx, (140, 90, 40))
    _impact(img, yy, xx, plate, 0.5 + p.dx, impact)


def _swords(img, yy, xx, c, impact, p):
    """Two blades swing in from the sides and meet in the middle."""
    gap = 0.32 * (1 - c)
    for side in (-1, 1):
        tip = 0.5 + p.dx + side * gap
        x0, x1 = (tip - 0.36 * p.scale, tip) if side < 0 else (tip, tip + 0.36 * p.scale)
        _rect(img, 0.45, 0.49, x0, x1, (205, 210, 220))  # blade
        hilt = x0 if side < 0 else x1
        _rect(img, 0.4, 0.54, hilt - 0.015, hilt + 0.015, (120, 90, 30))  # guard
    _impact(img, yy, xx, 0.47, 0.5 + p.dx, impact)


# --------------------------------------------------------------------------- sounds ---
# Each sound starts at sample 0 with a sharp attack and is placed at its onset sample.

def _env(n, sr, attack_s, decay_s):
    t = np.arange(n) / sr
    return np.minimum(1.0, t / attack_s) * np.exp(-t / decay_s)


def _partials(sr, dur_s, freqs, amps, decays, attack_s=0.001):
    n = int(dur_s * sr)
    t = np.arange(n) / sr
    out = np.zeros(n)
    for f, a, d in zip(freqs, amps, decays):
        out += a * np.sin(2 * np.pi * f * t) * _env(n, sr, attack_s, d)
    return out


def _noise_burst(rng, sr, dur_s, decay_s, lo_hz, hi_hz):
    n = int(dur_s * sr)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    spec[(f < lo_hz) | (f > hi_hz)] = 0
    noise = np.fft.irfft(spec, n)
    noise /= np.abs(noise).max() + 1e-9
    return noise * _env(n, sr, 0.0005, decay_s)


def _add(*parts):
    """Sum 1-D signals of different lengths (zero-padded to the longest)."""
    out = np.zeros(max(len(x) for x in parts))
    for x in parts:
        out[:len(x)] += x
    return out


def _fade_out(x, n):
    """Raised-cosine fade over the last n samples: a sound's cut end must not read as an onset."""
    x = x.copy()
    x[-n:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(n) / n)
    return x


def _s_ball(rng, sr, p):
    f0 = 110 * p.pitch
    return _add(_partials(sr, 0.35, [f0, 2.3 * f0], [1.0, 0.3], [0.08, 0.04]), 0.5 * _noise_burst(rng, sr, 0.05, 0.01, 100, 2500))


def _s_hammer(rng, sr, p):
    f0 = 820 * p.pitch
    return _add(_partials(sr, 0.9, [f0, 2.76 * f0, 5.40 * f0], [1.0, 0.6, 0.35], [0.25, 0.15, 0.08]),
                0.4 * _noise_burst(rng, sr, 0.03, 0.005, 1000, 7000))


def _s_lamp(rng, sr, p):
    n = int(0.25 * sr)
    t = np.arange(n) / sr
    # Sharp attack; a slow raised-cosine release so that the end of the beep is no onset.
    release = np.where(t < 0.15, 1.0, 0.5 + 0.5 * np.cos(np.pi * np.clip((t - 0.15) / 0.1, 0, 1)))
    return 0.7 * np.sin(2 * np.pi * 1200 * p.pitch * t) * np.minimum(1, t / 0.002) * release


def _s_drum(rng, sr, p):
    n = int(0.5 * sr)
    t = np.arange(n) / sr
    f = 90 * p.pitch * (1 + np.exp(-t / 0.03))  # pitch drops from 180 to 90 Hz
    tone = np.sin(2 * np.pi * np.cumsum(f) / sr) * _env(n, sr, 0.001, 0.18)
    return _add(tone, 0.5 * _noise_burst(rng, sr, 0.08, 0.02, 200, 5000))


def _s_glass(rng, sr, p):
    f0 = 2600 * p.pitch
    return 0.8 * _partials(sr, 0.6, [f0, 1.52 * f0, 2.05 * f0], [1.0, 0.7, 0.4], [0.15, 0.1, 0.06])


def _s_knock(rng, sr, p):
    return _add(_noise_burst(rng, sr, 0.12, 0.03, 250 * p.pitch, 900 * p.pitch), 0.6 * _partials(sr, 0.12, [210 * p.pitch], [1.0], [0.04]))


def _s_drop(rng, sr, p):
    n = int(0.15 * sr)
    t = np.arange(n) / sr
    f = 700 * p.pitch * np.exp(t / 0.1)  # rising "plink"
    return 0.8 * np.sin(2 * np.pi * np.cumsum(f) / sr) * _env(n, sr, 0.001, 0.05)


def _s_clap(rng, sr, p):
    return _noise_burst(rng, sr, 0.1, 0.02, 800, 7900)


@dataclass(frozen=True)
class SynthClass:
    name: str
    captions: tuple[str, ...]
    draw: Callable
    sound: Callable
    lit_s: float = 0.0  # > 0: the event is a light that stays on this long (no approach motion)
    labels: tuple[str, ...] = ()  # recorded set: the corpus labels whose recordings voice it


CLASSES: tuple[SynthClass, ...] = (
    SynthClass("ball", ("a red ball bounces on the floor", "a ball bouncing"), _ball, _s_ball),
    SynthClass("hammer", ("a hammer strikes a metal plate", "hammering on metal"), _hammer, _s_hammer),
    SynthClass("lamp", ("a lamp flashes with a beep", "a beeping light"), _lamp, _s_lamp, lit_s=0.2),
    SynthClass("drum", ("a stick hits a drum", "drumming"), _drum, _s_drum),
    SynthClass("glass", ("two glasses clink together", "glasses clinking"), _glass, _s_glass),
    SynthClass("knock", ("a fist knocks on a wooden door", "knocking on a door"), _knock, _s_knock),
    SynthClass("drop", ("a water drop falls into a pool", "water dripping"), _drop, _s_drop),
    SynthClass("clap", ("two hands clap", "hands clapping"), _clap, _s_clap),
)
CLASS_NAMES = tuple(c.name for c in CLASSES)

_STEPS = (("grass", ("footsteps on grass",)), ("gravel", ("footsteps on gravel",)), ("snow", ("footsteps on snow",)),
          ("wood", ("footsteps on wood",)), ("concrete", ("footsteps on concrete", "footsteps on stone")),
          ("sand", ("footsteps on sand",)))
RECORDED_CLASSES: tuple[SynthClass, ...] = (
    SynthClass("ball", ("a ball bounces on the floor", "a ball bouncing"), _ball, None,
               labels=("small object bounces", "landing thud", "thud")),
    SynthClass("hammer_metal", ("a hammer strikes a metal plate", "hammering on metal"),
               partial(_strike, surface="metal"), None, labels=("pickaxe on metal", "strike on a metal shield")),
    SynthClass("hammer_wood", ("a hammer strikes a wooden board", "hammering on wood"),
               partial(_strike, surface="wood"), None, labels=("hammering wood", "strike on a wood shield")),
    SynthClass("hammer_stone", ("a hammer strikes a stone block", "hammering on stone"),
               partial(_strike, surface="stone"), None, labels=("pickaxe on stone", "chisel on stone")),
    SynthClass("drum", ("a stick hits a drum", "drumming"), _drum, None, labels=("bass drum", "tom drum", "snare drum")),
    SynthClass("drop", ("something drops into water", "a splash"), _drop, None,
               labels=("water splash", "water dripping")),
    SynthClass("swords", ("two swords clash", "swords clashing"), _swords, None, labels=("swords clash",)),
    *(SynthClass(f"steps_{surface}", (f"footsteps on {surface}", f"walking on {surface}"),
                 partial(_step, surface=surface), None, labels=labels) for surface, labels in _STEPS),
)
RECORDED_LABELS = tuple(label for c in RECORDED_CLASSES for label in c.labels)


# ---------------------------------------------------------------------------- clips ---

def clip_rng(seed: int, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, SPLITS.index(split), index])


def _onset_frames(rng: np.random.Generator, cfg: SynthConfig) -> np.ndarray:
    """Sorted contact frames with at least min_gap_s between them (stars and bars)."""
    first = math.ceil(cfg.lead_s * cfg.fps)
    last = math.floor((cfg.duration_s - cfg.tail_s) * cfg.fps)
    gap = math.ceil(cfg.min_gap_s * cfg.fps)
    most = (last - first) // gap + 1
    n = int(rng.integers(cfg.min_events, cfg.max_events + 1))
    n = max(1, min(n, most))
    slack = (last - first) - (n - 1) * gap
    offsets = np.sort(rng.integers(0, slack + 1, size=n))
    return first + offsets + gap * np.arange(n)


def render_clip(seed: int, split: str, index: int, cfg: SynthConfig, sounds: str | None = None) -> dict:
    """Everything about one clip: frames (F, S, S, 3) uint8, audio (N,) float32, and its sidecar.

    ``sounds``: a ``foley prepare sfx`` folder for the recorded sound set (None: synthesized)."""
    rng = clip_rng(seed, split, index)
    classes = RECORDED_CLASSES if sounds else CLASSES
    cls = classes[index % len(classes)]
    frames_k = _onset_frames(rng, cfg)
    onsets_s = frames_k / cfg.fps
    params = SceneParams(
        background=tuple(int(v) for v in rng.integers(10, 60, size=3)),
        dx=float(rng.uniform(-0.08, 0.08)),
        scale=float(rng.uniform(0.85, 1.15)),
        pitch=float(rng.uniform(0.9, 1.1)),
        hue_shift=int(rng.integers(0, 60)),
    )
    gains = rng.uniform(0.5, 1.0, size=len(frames_k))
    caption = cls.captions[int(rng.integers(len(cls.captions)))]

    # Pictures ------------------------------------------------------------------------
    yy, xx = _grid(cfg.size_px)
    t = np.arange(cfg.n_frames) / cfg.fps
    since = t[:, None] - onsets_s[None, :]  # (F, E): time since each onset
    closeness = np.clip(1 - np.abs(since).min(axis=1) / cfg.approach_s, 0, 1)
    frame_idx = np.arange(cfg.n_frames)[:, None] - frames_k[None, :]
    impact = np.where(frame_idx == 0, 1.0, np.where(frame_idx == 1, 0.5, 0.0)).max(axis=1)
    frames = np.empty((cfg.n_frames, cfg.size_px, cfg.size_px, 3), np.uint8)
    for f in range(cfg.n_frames):
        img = frames[f]
        img[:] = params.background
        if cls.lit_s:
            lit = bool(((since[f] >= -1e-9) & (since[f] < cls.lit_s - 1e-9)).any())
            cls.draw(img, yy, xx, closeness[f], impact[f], params, lit=lit)
        else:
            cls.draw(img, yy, xx, closeness[f], impact[f], params)

    # Sound -----------------------------------------------------------------------------
    sr = cfg.sample_rate
    audio = cfg.noise_floor * rng.standard_normal(cfg.n_samples)
    bank = load_bank(sounds, split, RECORDED_LABELS, sr) if sounds else None
    recordings = []
    for k, g in zip(frames_k, gains):
        start = int(k) * sr // cfg.fps  # exact: the onset sample is k / fps * sr
        if bank:
            event = bank.draw(cls.labels, rng)  # faded, level-scaled, its attack at sample 0
            s = g * event.audio
            recordings.append(event.recording)
        else:
            s = g * _fade_out(cls.sound(rng, sr, params), int(0.03 * sr))
        end = min(cfg.n_samples, start + len(s))
        audio[start:end] += s[:end - start]
    peak = np.abs(audio).max()
    if peak > 0.95:
        audio *= 0.95 / peak
    clip_id = f"{split}_{index:05d}_{cls.name}"
    sidecar = {
        "id": clip_id,
        "split": split,
        "class": cls.name,
        "class_index": classes.index(cls),
        "caption": caption,
        "duration_s": cfg.n_frames / cfg.fps,
        "fps": cfg.fps,
        "sample_rate": sr,
        "onsets_s": [round(float(x), 6) for x in onsets_s],
        "onset_frames": [int(x) for x in frames_k],
        "gains": [round(float(g), 4) for g in gains],
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
    }
    if bank:
        sidecar["sounds"] = "recorded"
        sidecar["recordings"] = recordings  # the corpus recording of each event
    return {"frames": frames, "audio": audio.astype(np.float32), "sidecar": sidecar}


def write_clip(clip: dict, split_dir: Path, cfg: SynthConfig) -> dict:
    """Write <id>.wav, <id>.mp4 (H.264 + AAC) and <id>.json; return the manifest entry."""
    side = clip["sidecar"]
    stem = split_dir / side["id"]
    wav_path = write_audio(stem.with_suffix(".wav"), clip["audio"], cfg.sample_rate)
    with atomic_path(stem.with_suffix(".mp4")) as part:
        run_ffmpeg(
            ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{cfg.size_px}x{cfg.size_px}", "-r", str(cfg.fps),
             "-i", "pipe:0", "-i", str(wav_path),
             "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
             "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-b:a", "96k",
             "-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact", str(part)],
            what=f"{stem}.mp4", stdin=clip["frames"].tobytes())
    atomic_write_text(stem.with_suffix(".json"), json.dumps(side, indent=1) + "\n")
    return {
        "id": side["id"],
        "video": f"{split_dir.name}/{side['id']}.mp4",
        "audio": f"{split_dir.name}/{side['id']}.wav",
        "sidecar": f"{split_dir.name}/{side['id']}.json",
        "class": side["class"],
        "caption": side["caption"],
        "duration_s": side["duration_s"],
        "onsets_s": side["onsets_s"],
    }


_STAGING = ".synthsync-partial"  # inside --out, so that the splits move in by rename


def _make_one(job: tuple) -> dict:
    seed, split, index, cfg, out, sounds = job
    return write_clip(render_clip(seed, split, index, cfg, sounds), Path(out) / split, cfg)


def _write_clips(out: Path, seed: int, counts: dict[str, int], cfg: SynthConfig, sounds: str | None,
                 workers: int | None, progress: bool) -> dict[str, list]:
    """Every clip's files into out/<split>/, in worker processes; the manifest entries per split."""
    from tqdm import tqdm

    for split in SPLITS:
        (out / split).mkdir(parents=True, exist_ok=True)
    jobs = [(seed, split, i, cfg, str(out), sounds) for split in SPLITS for i in range(counts[split])]
    entries: dict[str, list] = {s: [] for s in SPLITS}
    workers = min(workers or os.cpu_count() or 1, len(jobs) or 1)  # no idle process started for a few clips
    with worker_map(_make_one, jobs, workers, chunksize=4) as results:
        for (_, split, *_), entry in tqdm(zip(jobs, results), total=len(jobs), disable=not progress,
                                          desc="synthsync", unit="clip"):
            entries[split].append(entry)
    return entries


def generate(
    out: str | os.PathLike,
    n_train: int = 2000,
    n_test: int = 200,
    seed: int = 0,
    cfg: SynthConfig = SynthConfig(),
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    sounds: str | os.PathLike | None = None,
) -> dict:
    """Generate the dataset into ``out``: <split>/<id>.{mp4,wav,json}, <split>.jsonl
    manifests and synthsync.json. ``sounds``: a ``foley prepare sfx`` folder, for the
    recorded sound set. Returns the dataset description."""
    out = Path(out)
    if n_train < 0 or n_test < 0 or n_train + n_test == 0:
        raise FoleyError(f"need a positive number of clips, got --n-train {n_train} --n-test {n_test}")
    counts = {"train": n_train, "test": n_test}
    sounds = str(Path(sounds).resolve()) if sounds else None
    corpus = (read_json_object(Path(sounds) / "sfx.json", "sound-effects corpus description")
              if sounds and (Path(sounds) / "sfx.json").is_file() else None)  # the bank says when there is none
    banks = {split: load_bank(sounds, split, RECORDED_LABELS, cfg.sample_rate)  # checked before anything is written
             for split in SPLITS if sounds and counts[split]}
    for split, bank in banks.items():
        for c in RECORDED_CLASSES:
            if not bank.recordings(c.labels):
                raise FoleyError(f"{sounds}: the {split} split has no usable recording for the class {c.name} "
                                 f"({' or '.join(c.labels)})")
    info_path = out / "synthsync.json"
    if out.exists() and not out.is_dir():
        raise FoleyError(f"{out}: exists and is not a folder; --out names the dataset's folder")
    if out.exists() and any(p.name != _STAGING for p in out.iterdir()):  # a killed run's staging does not count
        if not info_path.exists():
            raise FoleyError(f"{out}: holds other files than a SynthSync dataset (no synthsync.json); give --out a "
                             "new or empty folder")
        if not overwrite:
            raise FoleyError(f"{out}: the folder is not empty; pass --overwrite to replace its dataset")
    info = {
        "name": "SynthSync",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "counts": counts,
        "classes": [c.name for c in (RECORDED_CLASSES if sounds else CLASSES)],
        "config": asdict(cfg),
    }
    if sounds:
        info["sounds"] = {
            "corpus_version": corpus.get("corpus_version"),
            "sources": corpus.get("sources"),
            "labels": {c.name: list(c.labels) for c in RECORDED_CLASSES},
            "recordings": {split: {c.name: len(bank.recordings(c.labels)) for c in RECORDED_CLASSES}
                           for split, bank in banks.items()},
            "events": {split: {c.name: sum(len(bank.events[label]) for label in c.labels) for c in RECORDED_CLASSES}
                       for split, bank in banks.items()},
        }
    staging = out / _STAGING
    with removed_if_empty(missing_folders(out)):
        try:  # a folder that cannot be written fails here, in one line, not at the first clip
            out.mkdir(parents=True, exist_ok=True)
            trial_write(out)
        except OSError as e:
            raise FoleyError(f"{out}: cannot write the dataset there ({e.strerror or e})") from None
        shutil.rmtree(staging, ignore_errors=True)  # a killed run's
        n_clips = n_train + n_test  # before the jobs are listed: a count too large for the disk is for memory too
        check_free_space(out, n_clips * 2 * cfg.n_samples, f"{n_clips:,} clips of {cfg.duration_s:g} s (their 16-bit "
                         "wav files alone)")
        swapping, replacing = False, info_path.exists()
        try:  # the clips are made in the staging folder: an earlier dataset stays whole until they all are
            entries = _write_clips(staging, seed, counts, cfg, sounds, workers, progress)
            swapping = True
            _remove_dataset(out)
            for split in SPLITS:
                (staging / split).rename(out / split)
                atomic_write_text(out / f"{split}.jsonl", "".join(json.dumps(e) + "\n" for e in entries[split]))
            atomic_write_text(info_path, json.dumps(info, indent=1) + "\n")
        except BaseException as e:  # an interrupt while the datasets swap leaves neither half of one
            if swapping:
                with stops_deferred():
                    _remove_dataset(out)
            if isinstance(e, KeyboardInterrupt):  # Ctrl-C, SIGTERM: said with what is left and how to go on
                earlier = "" if not replacing else (f"; the dataset it replaced in {out} is removed" if swapping
                                                    else f"; the dataset already in {out} is as it was")
                e.add_note(f"before the dataset was whole: none of its clips is kept (it is written all at once or not "
                           f"at all){earlier}; the same command starts again")
            raise
        finally:
            with stops_deferred():  # a second Ctrl-C waits for the staging folder to be gone
                shutil.rmtree(staging, ignore_errors=True)
    return info


def _remove_dataset(out: Path) -> None:
    """Delete the splits, manifests and description of the SynthSync dataset in ``out``."""
    (out / "synthsync.json").unlink(missing_ok=True)  # first: without it the folder is no dataset
    for split in SPLITS:
        shutil.rmtree(out / split, ignore_errors=True)
        (out / f"{split}.jsonl").unlink(missing_ok=True)


def load_manifest(root: str | os.PathLike, split: str) -> list[dict]:
    """Manifest entries of a split (SynthSync's, or any folder with <split>.jsonl such as a
    prepared AVSync15), with relative paths resolved against ``root``. FoleyError for a line
    that is no entry, or a clip id said twice."""
    root = Path(root)
    path = root / f"{split}.jsonl"
    if not path.is_file():
        if root.is_file() and root.suffix == ".jsonl":  # "--data synth/train.jsonl": its folder is meant
            raise FoleyError(f"{root}: a manifest; give the folder that holds it ({root.parent})")
        if splits := sorted(p.stem for p in root.glob("*.jsonl") if p.is_file()):  # a data set; another split named
            raise FoleyError(f"{path}: no such manifest ({root} has no split {split!r}; its splits: "
                             f"{', '.join(splits)})")
        raise FoleyError(f"{path}: no such manifest ({root} is no prepared data set: make one with 'foley prepare "
                         f"synth', 'foley prepare avsync15' or 'foley prepare sfx')")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FoleyError(f"{path}: not a manifest (JSON Lines); it is not text") from None
    entries, lines = [], {}  # lines: clip id -> the line that first named it
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            e = None
        if not isinstance(e, dict) or not isinstance(e.get("audio"), str):
            raise FoleyError(f"{path}:{number}: not a manifest line (JSON with \"audio\")")
        if "id" in e and lines.setdefault(str(e["id"]), number) != number:  # it would be learned twice as often
            raise FoleyError(f"{path}:{number}: clip id {e['id']!r} again (line {lines[str(e['id'])]} names it)")
        for key in ("video", "audio", "sidecar"):
            if key in e:
                e[key] = str(root / e[key])
        entries.append(e)
    return entries
