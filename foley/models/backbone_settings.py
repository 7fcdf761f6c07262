"""A backbone folder's settings that shape its sound without its weights: the mel (``mel_config.json``) and the
decoding (``decoding.json``), read without loading the models or importing diffusers (a compose turn whose takes
are all cached needs no more)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..config import is_finite_number
from ..errors import FoleyError
from ..media.files import read_json_object
from .mel import MelConfig

MEL_CONFIG = "mel_config.json"
DECODING_CONFIG = "decoding.json"
MAX_NOISE_FILL = 2.0  # nats; beyond, the noise is the sound


@dataclass(frozen=True)
class DecodingConfig:
    """How the VAE's mel reaches the vocoder (``decoding.json`` in a backbone folder; absent: as is).

    ``noise_fill``: the standard deviation, in nats, of Gaussian noise added to every bin and
    frame of the decoded log-mel, as a codec's noise filling restores the fine texture its
    coding smoothed away: a VAE trained on few recordings decodes mels smoother in time and
    frequency than real ones, and the vocoder then rings at the mel frame rate. Silence stays
    silence (the log-mel's floor moves by the same nats)."""

    noise_fill: float = 0.0

    def check(self, where: str) -> "DecodingConfig":
        if not (is_finite_number(self.noise_fill) and 0.0 <= self.noise_fill <= MAX_NOISE_FILL):
            raise FoleyError(f"{where}: noise_fill must be a number of nats from 0 to {MAX_NOISE_FILL:g}, "
                             f"got {self.noise_fill!r:.40}")
        return self


def backbone_mel(directory: Path) -> MelConfig:
    """A backbone folder's mel: its ``mel_config.json``, or Auffusion's (the defaults) where it has none."""
    path = directory / MEL_CONFIG
    return read_mel_config(path) if path.is_file() else MelConfig()


def read_mel_config(path: Path) -> MelConfig:
    """A backbone's ``mel_config.json``; FoleyError (one line) naming it when unreadable or unusable."""
    try:
        return MelConfig.from_dict(read_json_object(path, "mel config"))
    except (TypeError, ValueError) as e:
        raise FoleyError(f"{path}: not a usable mel config ({e})") from None


def load_decoding(directory: Path) -> DecodingConfig:
    """A backbone folder's ``decoding.json``, checked; the default when it has none."""
    path = directory / DECODING_CONFIG
    if not path.is_file():
        return DecodingConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DecodingConfig(**data).check(str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
        raise FoleyError(f"{path}: not a decoding config ({e})") from None
