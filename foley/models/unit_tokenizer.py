"""The audio tokenizer: HuBERT layer features -> k-means unit ids ``<AUD_x>`` at 50 Hz.

A saved tokenizer is a directory::

    config.json             UnitTokenizerConfig (feature settings, n_units, unit_dim)
    hubert/                 the HuBERT model, as transformers' HubertModel.save_pretrained
    centroids.safetensors   k-means centroids, float32 (n_units, unit_dim)

``encode`` returns exactly ``ceil(N / 320)`` units for N samples at 16 kHz, i.e.
``TimeBase.tokens(duration_s)`` (the padding rule is in :mod:`foley.models.hubert_features`).
The fairseq reference framing is ``assign(features.reference(wav))``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import FoleyError
from ..media.audio import resample
from ..media.files import atomic_write_text
from .hubert_features import HubertFeatures, HubertFeaturesConfig, build_hubert_features
from .kmeans import assign_units, load_centroids, save_centroids

CONFIG_NAME = "config.json"
CENTROIDS_NAME = "centroids.safetensors"
HUBERT_DIR = "hubert"
FORMAT = "foley-unit-tokenizer"
DEMO_DIR = Path(__file__).resolve().parents[1] / "assets" / "demo" / "tokenizer"

_TOKEN_TEXT = re.compile(r"\s*<AUD_(0|[1-9][0-9]*)>")


@dataclass
class UnitTokenizerConfig:
    features: HubertFeaturesConfig = field(default_factory=HubertFeaturesConfig)
    n_units: int = 500
    unit_dim: int = 768

    def to_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "UnitTokenizerConfig":
        data = dict(data)
        if data.pop("format", None) != FORMAT:
            raise FoleyError(f"not a foley unit tokenizer config (expected \"format\": \"{FORMAT}\")")
        features = HubertFeaturesConfig.from_dict(data.pop("features", {}))
        unknown = set(data) - {"n_units", "unit_dim"}
        if unknown:
            raise FoleyError(f"unknown unit tokenizer settings: {sorted(unknown)}")
        return cls(features=features, **data)


class UnitTokenizer:
    """Waveform -> unit ids at 50 Hz; ids <-> ``<AUD_x>`` text; ids -> centroid vectors."""

    def __init__(self, features: HubertFeatures, centroids: torch.Tensor):
        if centroids.ndim != 2 or centroids.shape[1] != features.dim:
            raise FoleyError(f"centroids of shape {tuple(centroids.shape)} do not fit "
                             f"{features.dim}-d HuBERT features")
        self.features = features
        self._centroids = centroids.float().contiguous()  # (K, D)
        self._sq_norms = (self._centroids * self._centroids).sum(dim=1)  # (K,)

    @property
    def n_units(self) -> int:
        return self._centroids.shape[0]

    @property
    def unit_dim(self) -> int:
        return self._centroids.shape[1]

    @property
    def config(self) -> UnitTokenizerConfig:
        return UnitTokenizerConfig(features=self.features.config, n_units=self.n_units, unit_dim=self.unit_dim)

    # ------------------------------------------------------------------ encoding --------
    def assign(self, features: torch.Tensor) -> torch.Tensor:
        """features (..., D) -> unit ids (...)."""
        return assign_units(features, self._centroids, self._sq_norms)

    def encode_batch(self, wavs: list, sample_rate: int = 16_000) -> list[torch.Tensor]:
        """Waveforms of any lengths (N_i,) -> unit ids (ceil(N_i * 16000 / sample_rate / 320),) each."""
        if sample_rate != self.features.sample_rate:
            wavs = [resample(np.asarray(w, dtype=np.float32), sample_rate, self.features.sample_rate) for w in wavs]
        return [self.assign(f) for f in self.features.aligned(wavs)]

    def encode(self, wav, sample_rate: int = 16_000) -> torch.Tensor:
        """(N,) -> (T,) unit ids; (B, N) -> (B, T), with T = ceil(N / 320) at 16 kHz."""
        if np.ndim(wav) == 2:
            return torch.stack(self.encode_batch(list(wav), sample_rate))
        if np.ndim(wav) != 1:
            raise FoleyError(f"expected a waveform (N,) or a batch (B, N), got {np.ndim(wav)} dimensions")
        return self.encode_batch([wav], sample_rate)[0]

    def silence_unit(self) -> int:
        """The unit of a quiet noise floor (1 s of -60 dBFS white noise, fixed seed): what the
        tokenizer writes where nothing sounds."""
        floor = np.random.default_rng(0).standard_normal(self.features.sample_rate).astype(np.float32) * 1e-3
        return int(torch.mode(self.encode(floor, self.features.sample_rate)).values)

    # ------------------------------------------------------------------ text ------------
    def to_text(self, ids) -> str:
        """(T,) ids -> "<AUD_12><AUD_7>..."."""
        ids = self._check_ids(torch.as_tensor(ids))
        if ids.ndim != 1:
            raise FoleyError(f"to_text takes a 1-D sequence of unit ids, got shape {tuple(ids.shape)}")
        return "".join(f"<AUD_{i}>" for i in ids.tolist())

    def from_text(self, text: str) -> torch.Tensor:
        """"<AUD_12><AUD_7>..." (white space between tokens allowed) -> (T,) ids."""
        ids, pos = [], 0
        end = len(text.rstrip())
        while pos < end:
            match = _TOKEN_TEXT.match(text, pos)
            if match is None:
                start = len(text) - len(text[pos:].lstrip())
                raise FoleyError(f"malformed audio token text at character {start}: "
                                 f"{text[start:start + 20]!r}; expected tokens like <AUD_12>")
            ids.append(int(match.group(1)))
            pos = match.end()
        return self._check_ids(torch.tensor(ids, dtype=torch.long))

    def _check_ids(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dtype.is_floating_point or ids.dtype == torch.bool:
            raise FoleyError(f"unit ids must be integers, got {ids.dtype}")
        bad = (ids < 0) | (ids >= self.n_units)
        if bad.any():
            raise FoleyError(f"unit id {ids[bad][0].item()} is out of range: this tokenizer has "
                             f"{self.n_units} units (0-{self.n_units - 1})")
        return ids.long()

    # ------------------------------------------------------------------ centroids -------
    def centroids(self, ids) -> torch.Tensor:
        """(T,) -> (T, D); (B, T) -> (B, T, D) float32 centroid vectors."""
        return self._centroids[self._check_ids(torch.as_tensor(ids))]

    def fingerprint(self) -> str:
        """sha256 of the HuBERT settings and weights and the centroids: equal fingerprints give
        equal units. A token cache and an LM trained on one record it."""
        settings = self.features.config
        h = hashlib.sha256(f"{settings.layer} {settings.normalize_waveform} {settings.max_chunk_samples}".encode())
        h.update(self._centroids.numpy().tobytes())
        for name, tensor in sorted(self.features.model.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.contiguous().numpy().tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ save / load -----
    def save_pretrained(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.features.save_pretrained(directory / HUBERT_DIR)
        save_centroids(directory / CENTROIDS_NAME, self._centroids)
        config = self.config
        config.features = HubertFeaturesConfig.from_dict({**config.features.to_dict(), "pretrained": HUBERT_DIR, "hubert": {}})
        atomic_write_text(directory / CONFIG_NAME, json.dumps(config.to_dict(), indent=1) + "\n")

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "UnitTokenizer":
        """Load a directory written by ``save_pretrained``. A relative ``features.pretrained``
        is resolved against the directory; anything else is a transformers path or hub id."""
        path = Path(path)
        config_path = path / CONFIG_NAME
        if not config_path.is_file():
            raise FoleyError(f"{path}: not a unit tokenizer directory (no {CONFIG_NAME})")
        try:
            config = UnitTokenizerConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
            raise FoleyError(f"{config_path}: unreadable tokenizer config ({e})") from None
        except FoleyError as e:  # a setting it does not know
            raise FoleyError(f"{config_path}: {e}") from None
        local = path / config.features.pretrained
        if config.features.pretrained and local.is_dir():
            config.features.pretrained = str(local)
        elif config.features.pretrained == HUBERT_DIR:  # what save_pretrained writes: never the cwd's or a hub id
            raise FoleyError(f"{local}: no such folder (the tokenizer's HuBERT model; an incomplete copy?)")
        centroids = load_centroids(path / CENTROIDS_NAME)
        features = build_hubert_features(config.features)
        try:
            tokenizer = UnitTokenizer(features, centroids)
        except FoleyError as e:  # centroids of other features than this HuBERT's
            raise FoleyError(f"{path / CENTROIDS_NAME}: {e}") from None
        if tokenizer.n_units != config.n_units or tokenizer.unit_dim != config.unit_dim:
            raise FoleyError(f"{path}: the centroids ({tokenizer.n_units} x {tokenizer.unit_dim}) do not match "
                             f"config.json ({config.n_units} x {config.unit_dim})")
        return tokenizer
