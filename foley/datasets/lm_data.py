"""The LM stage's data: captions of a manifest with their cached frame features
(``foley extract``) and cached unit ids (``foley tokenize --manifest``)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import FoleyError
from ..media.files import sha256_file
from .frame_cache import cache_info, cached_source as cached_video, load_features
from .manifest import read_manifest
from .token_cache import cache_fingerprint, cached_source as cached_audio, load_tokens


@dataclass
class LMData:
    ids: list[str]
    captions: list[str]
    frames: list[torch.Tensor]  # (N_i, D) float32 each
    units: list[torch.Tensor]  # (T_i,) int64 each
    tokenizer_fingerprint: str | None = None  # of the tokenizer that made the units, where the cache records it
    encoder_fingerprint: str | None = None  # of the frame encoder that made the features, where the cache records it

    def batch(self, idx: list[int], use_video: bool) -> dict:
        """Padded tensors of clips ``idx``: the keyword arguments of ``TokenLM.forward``."""
        units = torch.nn.utils.rnn.pad_sequence([self.units[i] for i in idx], batch_first=True)  # (B, T)
        batch = {"captions": [self.captions[i] for i in idx], "units": units,
                 "unit_counts": torch.tensor([len(self.units[i]) for i in idx])}
        if use_video:
            batch["frames"] = torch.nn.utils.rnn.pad_sequence([self.frames[i] for i in idx], batch_first=True)
            batch["frame_counts"] = torch.tensor([len(self.frames[i]) for i in idx])  # (B,)
        return batch


def load_lm_data(manifest: str | os.PathLike, features: str | os.PathLike, units: str | os.PathLike,
                 n_units: int) -> LMData:
    """Captions from the manifest, features from the frame cache, unit ids from the token
    cache (``tokens/<id>.npy``); a clip missing from a cache is an error, as is one whose video
    or audio file is not the one its cache read (each cache records the SHA-256 of its source)."""
    entries = read_manifest(manifest)
    if not entries:
        raise FoleyError(f"{manifest}: the manifest is empty")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):  # its clip would be drawn twice as often, and the caches refuse such a manifest
        dup = next(i for i in ids if ids.count(i) > 1)
        raise FoleyError(f"{manifest}: clip id {dup!r} appears twice in the manifest")
    data = LMData([], [], [], [], tokenizer_fingerprint=cache_fingerprint(units),
                  encoder_fingerprint=cache_info(features).get("encoder_fingerprint"))
    digests: dict[str, str] = {}  # a file's SHA-256, read once (a video can be its clip's audio too)
    for e, a in zip(entries, read_manifest(manifest, media=("audio", "video"))):
        if _changed(e["source"], cached_video(features, e["id"]), digests):
            raise FoleyError(f"{e['source']}: clip {e['id']!r} changed after its features were cached; run `foley "
                             f"extract {manifest} --model M --out {features}` (M: the cache's encoder) to cache it again")
        if _changed(a["source"], cached_audio(units, e["id"]), digests):
            raise FoleyError(f"{a['source']}: clip {e['id']!r} changed after its unit ids were cached; run `foley "
                             f"tokenize --manifest {manifest} --model M --out {units}` (M: the cache's tokenizer) to "
                             "cache it again")
        path = Path(units) / "tokens" / f"{e['id']}.npy"
        ids = torch.from_numpy(load_tokens(units, e["id"]).astype(np.int64))
        if len(ids) and int(ids.max()) >= n_units:
            raise FoleyError(f"{path}: unit id {int(ids.max())} is out of range for a {n_units}-unit vocabulary")
        data.ids.append(e["id"])
        data.captions.append(str(e.get("caption", "")))
        data.frames.append(load_features(features, e["id"]))
        data.units.append(ids)
    return data


def _changed(source: str, recorded: str | None, digests: dict[str, str]) -> bool:
    """Whether the media file ``source`` differs from the one a cache read (its SHA-256 ``recorded``).
    Unchecked (False) where the cache records none (made before the record) or the file is not
    at hand (caches copied to a machine without the media: training reads only them)."""
    if recorded is None or not Path(source).is_file():
        return False
    if source not in digests:
        digests[source] = sha256_file(source)
    return digests[source] != recorded
