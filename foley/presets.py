"""Named presets: a preset is data (a config), never a code branch.

Each entry holds the configs of the components that exist; later components add their
own field to :class:`Preset` and their config to the entries.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import TimeBase
from .errors import FoleyError


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    time: TimeBase


_REGISTRY: dict[str, Preset] = {}


def register(preset: Preset) -> Preset:
    if preset.name in _REGISTRY:
        raise ValueError(f"preset {preset.name!r} is already registered")
    _REGISTRY[preset.name] = preset
    return preset


def get_preset(name: str) -> Preset:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise FoleyError(f"unknown preset {name!r}; known presets: {', '.join(preset_names())}") from None


def preset_names() -> list[str]:
    return sorted(_REGISTRY)


register(Preset(
    name="audio-agent",
    description="Paper scale: 10 s clips (500 HuBERT tokens at 50 Hz), Auffusion at 16 kHz.",
    time=TimeBase(duration_s=10.0),
))
register(Preset(
    name="demo",
    description="Shipped small model: 4 s SynthSync clips at the same rates.",
    time=TimeBase(duration_s=4.0),
))
