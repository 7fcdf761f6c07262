"""The LM stage's data: captions of a manifest with their cached frame features
(``foley extract``) and cached unit ids (``foley tokenize --manifest``)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import FoleyError
from .frame_cache import cache_info, load_features
from .manifest import read_manifest
from .token_cache import cache_fingerprint, load_tokens


@dataclass
class LMData:
    ids: list[str]
    captions: list[str]
    frames: list[torch.Tensor]  # (N_i, D) float32 each
    units: list[torch.Tensor]  # (T_i,) int64 each
    tokenizer_fingerprint: str | None = None  # of the tokenizer that made the units, where the cache records it

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
    cache (``tokens/<id>.npy``); a clip missing from a cache is an error."""
    entries = read_manifest(manifest)
    if not entries:
        raise FoleyError(f"{manifest}: the manifest is empty")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):  # its clip would be drawn twice as often, and the caches refuse such a manifest
        dup = next(i for i in ids if ids.count(i) > 1)
        raise FoleyError(f"{manifest}: clip id {dup!r} appears twice in the manifest")
    cache_info(features)
    data = LMData([], [], [], [], tokenizer_fingerprint=cache_fingerprint(units))
    for e in entries:
        path = Path(units) / "tokens" / f"{e['id']}.npy"
        ids = torch.from_numpy(load_tokens(units, e["id"]).astype(np.int64))
        if len(ids) and int(ids.max()) >= n_units:
            raise FoleyError(f"{path}: unit id {int(ids.max())} is out of range for a {n_units}-unit vocabulary")
        data.ids.append(e["id"])
        data.captions.append(str(e.get("caption", "")))
        data.frames.append(load_features(features, e["id"]))
        data.units.append(ids)
    return data
