"""Cache the unit ids of every clip of a manifest, for training on cached tokens.

A manifest is JSON Lines, one clip per line with an ``id`` and an ``audio`` (or ``video``)
path, absolute or relative to the manifest's folder. The cache folder holds::

    tokens/<id>.npy     int16 (int32 for K > 32768) unit ids at 50 Hz, ceil(N / 320) of them for N samples at 16 kHz
    tokens/<id>.source  the SHA-256 of the file they were read from
    cache.json          the tokenizer it was made with (a fingerprint) and the manifests of its runs
    failed.jsonl        clips that could not be read, one line each with the error (an earlier run's
                        failures of clips that a later run's manifest does not name are kept)

Runs are resumable: a clip whose tokens were read from the same file content is skipped, so an
interrupted run continues where it stopped, and a clip whose file changed (a benchmark made
again, another folder with the same ids) or whose token file is damaged (a copy cut short) is
tokenized again. A cache made with another tokenizer is refused.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import atomic_path, atomic_write_text, one_run_at_a_time, read_json_object, refuse_foreign_files
from ..models.unit_tokenizer import UnitTokenizer
from .manifest import cache_failure, cache_failures, read_manifest, recorded_manifests, source_digest, stop_said

CACHE_FORMAT = "foley-token-cache"


def cache_fingerprint(directory: str | os.PathLike) -> str | None:
    """The fingerprint (``UnitTokenizer.fingerprint``) of the tokenizer a token cache was made
    with; None for a folder without ``cache.json``."""
    info_path = Path(directory) / "cache.json"
    if not info_path.is_file():
        return None
    return read_json_object(info_path, "cache record").get("tokenizer_fingerprint")


def cache_tokens(tokenizer: UnitTokenizer, manifest: str | os.PathLike, out: str | os.PathLike,
                 progress: bool = True) -> dict:
    """Tokenize every clip not cached yet; returns counts {"total", "done", "skipped", "failed"}
    and the failures [(id, error)]. FoleyError for a bad manifest, another run on ``out`` or a
    cache of another tokenizer."""
    entries = read_manifest(manifest, media=("audio", "video"))
    if not entries:
        raise FoleyError(f"{manifest}: no clips to tokenize (an empty manifest?)")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise FoleyError(f"{manifest}: clip id {dup!r} appears twice in the manifest")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FoleyError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    refuse_foreign_files(out, "token cache", "tokens")
    with one_run_at_a_time(out, "token cache"):  # two runs at once would race on its files
        return _cache_tokens(tokenizer, manifest, entries, out, progress)


def _cache_tokens(tokenizer: UnitTokenizer, manifest, entries: list[dict], out: Path, progress: bool) -> dict:
    """:func:`cache_tokens` of the manifest's ``entries`` into ``out``, held by this run."""
    from tqdm import tqdm

    token_dir = out / "tokens"
    fingerprint = tokenizer.fingerprint()
    info_path = out / "cache.json"
    if info_path.is_file():  # checked before anything is made in the folder
        kind = read_json_object(info_path, "cache record").get("format")
        if kind != CACHE_FORMAT:
            raise FoleyError(f"{out}: not a token cache (its cache.json is of {kind!r}); use a new --out folder")
        if cache_fingerprint(out) != fingerprint:
            raise FoleyError(f"{out}: this cache was made with another tokenizer; use a new --out folder")
    elif token_dir.is_dir() and any(token_dir.iterdir()):
        raise FoleyError(f"{out}: holds tokens but no cache.json, so the tokenizer that made them is unknown; "
                         "use a new --out folder")
    token_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(info_path, json.dumps({"format": CACHE_FORMAT, "tokenizer_fingerprint": fingerprint,
                                             "n_units": tokenizer.n_units,
                                             "manifests": recorded_manifests(out, [manifest])}, indent=1) + "\n")
    counts = {"total": len(entries), "done": 0, "skipped": 0, "failed": 0}
    failures = []
    with stop_said(counts, out):
        for entry in tqdm(entries, disable=not progress, desc="tokenize", unit="clip"):
            target = token_dir / f"{entry['id']}.npy"
            source = target.with_suffix(".source")
            try:
                digest = source_digest(entry)
                if _readable(target) and cached_source(out, entry["id"]) == digest:
                    counts["skipped"] += 1
                    continue
                wav, _ = read_audio(entry["source"])
                ids = tokenizer.encode(wav).numpy().astype(np.int16 if tokenizer.n_units <= 2**15 else np.int32)
            except FoleyError as e:
                failures.append((entry["id"], str(e)))
                counts["failed"] += 1
                for stale in (source, target):  # tokens of another content than the manifest's file: not kept
                    stale.unlink(missing_ok=True)
                continue
            with atomic_path(target) as tmp:
                np.save(tmp, ids)
            atomic_write_text(source, digest + "\n")  # after the tokens: a run stopped between reads them again
            counts["done"] += 1
    # an earlier run's failures of clips this manifest does not name stay: a manifest trained on with them is told why
    ours = {e["id"] for e in entries}
    kept = [(i, e) for i, e in cache_failures(out).items() if i not in ours]
    atomic_write_text(out / "failed.jsonl",
                      "".join(json.dumps({"id": i, "error": e}) + "\n" for i, e in kept + failures))
    return {"counts": counts, "failures": failures}


def _readable(path: Path) -> bool:
    """Whether ``path`` holds whole unit ids: a file cut short (by a copy of the cache, say) is read again."""
    try:
        np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return False
    return True


def cached_source(cache: str | os.PathLike, clip_id: str) -> str | None:
    """The SHA-256 of the file one clip's cached unit ids were read from (None: no record)."""
    source = Path(cache) / "tokens" / f"{clip_id}.source"
    try:
        return source.read_text(encoding="utf-8").strip() if source.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def load_tokens(cache: str | os.PathLike, clip_id: str) -> np.ndarray:
    """(T,) unit ids of one clip."""
    path = Path(cache) / "tokens" / f"{clip_id}.npy"
    if not path.is_file():
        if reason := cache_failure(cache, clip_id):
            raise FoleyError(f"{path}: no cached unit ids for clip {clip_id!r}: `foley tokenize` could not read it "
                             f"({reason}); fix that and run it again, or leave the clip out of the manifest")
        raise FoleyError(f"{path}: no cached unit ids for clip {clip_id!r}; run `foley tokenize --manifest` first")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise FoleyError(f"{path}: damaged unit file ({e}); run `foley tokenize --manifest` again") from None
