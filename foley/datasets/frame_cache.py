"""Cached frame features for training: ``foley extract MANIFEST... --model ... --out CACHE``.

A manifest is JSON Lines, one clip per line with an ``id`` and a ``video`` path (absolute or
relative to the manifest's folder). The cache folder holds::

    features/<id>.safetensors   "features": (N, D) float16, N = frames at the video rate; its
                                metadata the rate and the SHA-256 of the video it was read from
    cache.json                  the encoder (config and weight fingerprint), rate and width, and the
                                manifests of its runs
    failed.jsonl                clips that could not be read, one line each with the error (an earlier
                                run's failures of clips that a later run's manifests do not name are kept)

Runs are resumable (a clip whose features were read from the same video content is skipped; one
whose video changed is encoded again) and can be sharded over processes with ``accelerate
launch``: process r of W takes the clips i with i % W == r. A cache made with another encoder or
rate is refused.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ..errors import FoleyError
from ..media.files import atomic_path, atomic_write_text, one_run_at_a_time, read_json_object, refuse_foreign_files
from ..models.frame_encoder import FrameEncoder
from .manifest import cache_failure, cache_failures, read_manifest, recorded_manifests, source_digest, stop_said

CACHE_FORMAT = "foley-frame-cache"
FEATURES_DIR = "features"


def _check_cache(out: Path, info: dict, manifests: list[str | os.PathLike]) -> None:
    """FoleyError where ``out`` holds a cache of another kind, encoder or rate than ``info`` (its cache.json's
    fields) says, or features without a cache.json; else writes its cache.json: ``info`` and the manifests of its
    runs, these ``manifests`` last."""
    path = out / "cache.json"
    if path.is_file():
        previous = read_json_object(path, "cache record")
        if previous.get("format") != CACHE_FORMAT:
            raise FoleyError(f"{out}: not a frame feature cache (its cache.json is of {previous.get('format')!r}); "
                             "use a new --out folder")
        if {k: previous.get(k) for k in ("encoder_fingerprint", "fps")} != {k: info[k] for k in ("encoder_fingerprint",
                                                                                                  "fps")}:
            raise FoleyError(f"{out}: this cache was made with another encoder or frame rate; use a new --out folder")
    elif (out / FEATURES_DIR).is_dir() and any((out / FEATURES_DIR).iterdir()):
        raise FoleyError(f"{out}: holds features but no cache.json, so the encoder that made them is unknown; "
                         "use a new --out folder")
    atomic_write_text(path, json.dumps({**info, "manifests": recorded_manifests(out, manifests)}, indent=1) + "\n")


def extract_features(encoder: FrameEncoder, manifests: list[str | os.PathLike], out: str | os.PathLike,
                     fps: float = 21.5, rank: int = 0, world: int = 1, barrier=lambda: None,
                     progress: bool = True) -> dict:
    """Encode the clips of ``manifests`` that are not cached yet (this process's share).

    ``barrier`` synchronizes the processes of a sharded run (accelerate's
    ``wait_for_everyone``). Returns this process's counts {"total", "done", "skipped",
    "failed"} and its failures [(id, error)]; rank 0 writes failed.jsonl for all of them.
    A second run writing ``out`` at once is refused (FoleyError), as is a cache of another encoder.
    """
    resolved = [Path(m).resolve() for m in manifests]
    if len(set(resolved)) != len(resolved):  # each of its clips would be said to appear twice
        raise FoleyError(f"{next(m for m, r in zip(manifests, resolved) if resolved.count(r) > 1)}: a manifest given "
                         "twice; name it once")
    entries = [e for m in manifests for e in read_manifest(m)]
    if not entries:
        raise FoleyError(f"{', '.join(map(str, manifests))}: no clips to encode (an empty manifest?)")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise FoleyError(f"clip id {dup!r} appears twice in the manifests")
    out = Path(out)
    with contextlib.ExitStack() as held:
        if rank == 0:  # checked before anything is made in the folder; held by this run (all its processes)
            if out.exists() and not out.is_dir():
                raise FoleyError(f"{out}: exists and is not a folder")
            out.mkdir(parents=True, exist_ok=True)
            refuse_foreign_files(out, "frame feature cache", FEATURES_DIR, "failed.rank")  # its processes' lists
            held.enter_context(one_run_at_a_time(out, "feature cache"))
            _check_cache(out, {"format": CACHE_FORMAT, "encoder": encoder.config.to_dict(),
                               "encoder_fingerprint": encoder.fingerprint(), "fps": fps, "dim": encoder.dim},
                         manifests)
            (out / FEATURES_DIR).mkdir(exist_ok=True)
        return _extract(encoder, entries, out, fps, rank, world, barrier, progress)


def _extract(encoder: FrameEncoder, entries: list[dict], out: Path, fps: float, rank: int, world: int, barrier,
             progress: bool) -> dict:
    """:func:`extract_features` once ``out`` is checked (by rank 0)."""
    from tqdm import tqdm

    barrier()
    mine = entries[rank::world]
    counts = {"total": len(mine), "done": 0, "skipped": 0, "failed": 0}
    failures = []
    with stop_said(counts, out, f" of process {rank}'s share" if world > 1 else ""):
        for entry in tqdm(mine, disable=not progress, desc=f"extract [{rank}/{world}]", unit="clip"):
            target = out / FEATURES_DIR / f"{entry['id']}.safetensors"
            try:
                digest = source_digest(entry)
                if _source_digest(target) == digest:
                    counts["skipped"] += 1
                    continue
                features = encoder.encode_video(entry["source"], fps=fps)  # (N, D)
            except FoleyError as e:
                failures.append((entry["id"], str(e)))
                counts["failed"] += 1
                target.unlink(missing_ok=True)  # features of another content than the manifest's file: not kept
                continue
            with atomic_path(target) as tmp:
                save_file({"features": features.half().contiguous()}, str(tmp),
                          metadata={"fps": str(fps), "source_sha256": digest})
            counts["done"] += 1
    part = out / f"failed.rank{rank}.jsonl"
    atomic_write_text(part, "".join(json.dumps({"id": i, "error": e}) + "\n" for i, e in failures))
    barrier()
    if rank == 0:  # an earlier run's failures of clips these manifests do not name stay, as tokenize keeps them
        parts = [out / f"failed.rank{r}.jsonl" for r in range(world)]
        ours = {e["id"] for e in entries}
        kept = "".join(json.dumps({"id": i, "error": e}) + "\n"
                       for i, e in cache_failures(out).items() if i not in ours)
        atomic_write_text(out / "failed.jsonl", kept + "".join(p.read_text(encoding="utf-8") for p in parts))
        for p in parts:
            p.unlink()
    return {"counts": counts, "failures": failures}


def _source_digest(path: Path) -> str | None:
    """The SHA-256 of the video a cached feature file was read from; None when there is no file,
    it is damaged, or it predates the record."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get("source_sha256")
    except (OSError, SafetensorError):
        return None


def cache_info(cache: str | os.PathLike) -> dict:
    path = Path(cache) / "cache.json"
    if not path.is_file():
        raise FoleyError(f"{cache}: not a frame feature cache (no cache.json); make one with `foley extract`")
    info = read_json_object(path, "cache record")
    if info.get("format") != CACHE_FORMAT:
        raise FoleyError(f"{path}: not a frame feature cache")
    return info


def cached_source(cache: str | os.PathLike, clip_id: str) -> str | None:
    """The SHA-256 of the video one clip's cached features were read from (None: no record)."""
    return _source_digest(Path(cache) / FEATURES_DIR / f"{clip_id}.safetensors")


def load_features(cache: str | os.PathLike, clip_id: str) -> torch.Tensor:
    """(N, D) float32 features of one clip."""
    path = Path(cache) / FEATURES_DIR / f"{clip_id}.safetensors"
    if not path.is_file():
        if reason := cache_failure(cache, clip_id):
            raise FoleyError(f"{path}: no cached features for clip {clip_id!r}: `foley extract` could not read it "
                             f"({reason}); fix that and run it again, or leave the clip out of the manifest")
        raise FoleyError(f"{path}: no cached features for clip {clip_id!r}; run `foley extract` first")
    try:
        return load_file(str(path))["features"].float()
    except (OSError, SafetensorError, KeyError) as e:
        raise FoleyError(f"{path}: damaged feature file ({type(e).__name__}); delete it and run `foley extract` "
                         "again") from None
