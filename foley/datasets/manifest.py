"""Clip manifests: JSON Lines, one clip per line with an ``id`` and a media path (absolute or
relative to the manifest's folder), plus any other fields (``caption``, ``class``, ...)."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

from ..errors import FoleyError
from ..media.files import read_json_object, sha256_file


def read_manifest(path: str | os.PathLike, media: tuple[str, ...] = ("video",)) -> list[dict]:
    """The manifest's entries; each gets ``source``: the first of the ``media`` fields it has,
    resolved against the manifest's folder."""
    path = Path(path)
    if path.is_dir():  # a prepared data set's folder, say: the manifests in it are named
        inside = ", ".join(str(path / name) for name in sorted(p.name for p in path.glob("*.jsonl")))
        raise FoleyError(f"{path}: a folder; give a manifest file" + (f" such as {inside}" if inside else ""))
    if not path.is_file():
        raise FoleyError(f"{path}: no such manifest")
    wanted = " or ".join(f'"{key}"' for key in media)
    entries = []
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (as Windows editors save) is no clip
    except UnicodeDecodeError:
        raise FoleyError(f"{path}: not a manifest (JSON Lines with \"id\" and {wanted}); it is not text") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            clip_id = entry["id"]
            source = next(entry[key] for key in media if entry.get(key))
            if isinstance(clip_id, bool) or not isinstance(clip_id, (str, int)) or not isinstance(source, str):
                raise TypeError
            clip_id = str(clip_id)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, StopIteration):
            raise FoleyError(f"{path}:{number}: not a manifest line (JSON with \"id\" and {wanted})") from None
        if not clip_id or "/" in clip_id or "\0" in clip_id or clip_id.startswith("."):
            raise FoleyError(f"{path}:{number}: clip id {clip_id!r} cannot name a file")
        entries.append({**entry, "id": clip_id, "source": str(path.parent / source)})
    return entries


def source_digest(entry: dict) -> str:
    """The SHA-256 of a manifest entry's media file (``entry["source"]``, as :func:`read_manifest`
    resolves it), which a cache records to tell a changed clip from the one it read. FoleyError
    (one line) when the file cannot be read."""
    try:
        return sha256_file(entry["source"])
    except OSError as e:
        raise FoleyError(f"{entry['source']}: cannot be read ({e.strerror or e})") from None


def cache_failures(cache: str | os.PathLike) -> dict[str, str]:
    """The clips a cache's ``failed.jsonl`` lists (id -> why its run could not read it), in its order;
    none where it is missing or not one of ours."""
    try:
        lines = (Path(cache) / "failed.jsonl").read_text(encoding="utf-8").splitlines()
        return {r["id"]: r["error"] for r in map(json.loads, lines)}
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):  # none, or not one of ours
        return {}


def recorded_manifests(cache: str | os.PathLike, manifests: list[str | os.PathLike]) -> list[str]:
    """The manifests a cache's ``cache.json`` records (its earlier runs'), then ``manifests`` (this run's), each once
    and those of this run resolved (a relative path would name another file from another folder)."""
    info_path = Path(cache) / "cache.json"
    info = read_json_object(info_path, "cache record") if info_path.is_file() else {}
    earlier = info.get("manifests", [info["manifest"]] if "manifest" in info else [])  # one: from before a list
    earlier = [m for m in earlier if isinstance(m, str)] if isinstance(earlier, list) else []
    return list(dict.fromkeys([*earlier, *(str(Path(m).resolve()) for m in manifests)]))


def cache_failure(cache: str | os.PathLike, clip_id: str) -> str | None:
    """Why a cache's last run could not read the clip ``clip_id``: the error its ``failed.jsonl``
    lists, or None for a clip it does not list."""
    return cache_failures(cache).get(clip_id)


@contextlib.contextmanager
def stop_said(counts: dict, out: str | os.PathLike, share: str = "") -> Iterator[None]:
    """Around a cache's loop over its clips: a Ctrl-C or SIGTERM in it gets, for the line that reports it,
    how many clips ``out`` keeps and that the same command goes on from them. ``counts``, kept up to date
    by the loop: "total" (this run's clips; ``share`` says whose: a process's of a sharded run), "done"
    (cached by this run), "skipped" (cached before) and "failed"."""
    try:
        yield
    except KeyboardInterrupt as e:
        kept = counts["done"] + counts["skipped"]
        seen = f"after {kept + counts['failed']} of {counts['total']} clips{share}: "
        e.add_note(seen + (f"no clip is cached in {out} yet; the same command starts again" if not kept else
                           f"{kept} cached in {out}, {counts['done']} of them by this run; the same command goes on "
                           f"with the other {counts['total'] - kept}"))
        raise
