"""The LM stage's data: captions of a manifest with their cached frame features
(``foley extract``) and cached unit ids (``foley tokenize --manifest``)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import FoleyError
from ..media.files import read_json_object, sha256_file
from .frame_cache import FEATURES_DIR, cache_info, cached_source as cached_video, load_features
from .manifest import read_manifest, recorded_manifests
from .token_cache import CACHE_FORMAT as TOKEN_CACHE, cache_fingerprint, cached_source as cached_audio, load_tokens


# Up to one frame (47 ms at 21.5 Hz), one unit (20 ms at 50 Hz) and an AAC stream's priming and
# padding (up to 64 ms) apart on a clip cut to one length, with room to spare.
LENGTH_TOLERANCE_S = 0.25


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

    def check_lengths(self, video_fps: float, token_rate_hz: float, tolerance_s: float = LENGTH_TOLERANCE_S) -> None:
        """Refuse clips whose frames (at ``video_fps``) and units (at ``token_rate_hz``) span
        lengths more than ``tolerance_s`` apart: a time-aligned LM would learn units with no
        picture, or pictures with no sound. Raises FoleyError naming the clips."""
        bad = [(i, len(f) / video_fps, len(u) / token_rate_hz) for i, f, u in zip(self.ids, self.frames, self.units)
               if abs(len(f) / video_fps - len(u) / token_rate_hz) > tolerance_s]
        if bad:
            clip_id, video_s, audio_s = bad[0]
            others = f" ({len(bad)} clips in all: {', '.join(b[0] for b in bad[:5])}{', ...' if len(bad) > 5 else ''})"
            raise FoleyError(f"clip {clip_id!r}: its frames span {video_s:.2f} s but its units {audio_s:.2f} s, more than "
                             f"{tolerance_s:g} s apart; cut its video and audio to one length or leave it out of the "
                             f"manifest{others if len(bad) > 1 else ''}")


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
    if (Path(units) / "cache.json").is_file() and (
            kind := read_json_object(Path(units) / "cache.json", "cache record").get("format")) != TOKEN_CACHE:
        raise FoleyError(f"{units}: not a unit id cache (its cache.json is of {kind!r}); give --units the folder "
                         "`foley tokenize --manifest` wrote")
    _check_made_for(manifest, ids, features, FEATURES_DIR, ".safetensors", "features",
                    f"foley extract {manifest} --model M --out {features}` (M: the cache's encoder)")
    _check_made_for(manifest, ids, units, "tokens", ".npy", "unit ids",
                    f"foley tokenize --manifest {manifest} --model M --out {units}` (M: the cache's tokenizer)")
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


def _check_made_for(manifest: str | os.PathLike, ids: list[str], cache: str | os.PathLike, folder: str, suffix: str,
                    what: str, command: str) -> None:
    """FoleyError, in one line, when clips of ``manifest`` (``ids``) have no file in ``cache/folder`` and the
    cache's ``cache.json`` records the manifests of its runs, none of them this one: a cache made for another
    manifest, said with how many clips it lacks and the manifests it was made for (``command``: what caches
    them). A cache that records no manifest, or was made for this one, is left to name its missing clip."""
    made_for = recorded_manifests(cache, [])
    if not made_for or str(Path(manifest).resolve()) in made_for:
        return
    missing = [i for i in ids if not (Path(cache) / folder / f"{i}{suffix}").is_file()]
    if missing:
        which = (f"any of the {len(ids)} clips of {manifest}" if len(missing) == len(ids) else
                 f"{len(missing)} of the {len(ids)} clips of {manifest} (e.g. {missing[0]!r})")
        raise FoleyError(f"{cache}: no cached {what} for {which}: the cache was made for {', '.join(made_for)}; give "
                         f"the cache of this manifest, or run `{command} to cache them")


def _changed(source: str, recorded: str | None, digests: dict[str, str]) -> bool:
    """Whether the media file ``source`` differs from the one a cache read (its SHA-256 ``recorded``).
    Unchecked (False) where the cache records none (made before the record) or the file is not
    at hand (caches copied to a machine without the media: training reads only them)."""
    if recorded is None or not Path(source).is_file():
        return False
    if source not in digests:
        digests[source] = sha256_file(source)
    return digests[source] != recorded
