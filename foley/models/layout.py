"""Where a backbone's components are: a local folder or a hub id, the folder's layout
(``stable-diffusion`` or ``condition-adapter``, see :mod:`foley.models.auffusion`) and the
components one folder shares with another (``components.json``). No diffusion library is
imported here, so that reading a folder's text side stays light."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import FoleyError
from ..media.files import read_json_object
from .hub import HUB_ID, check_hub_reachable

LAYOUT_SD = "stable-diffusion"
LAYOUT_CONDITION = "condition-adapter"
COMPONENTS = "components.json"
LAYOUT_FILES = {LAYOUT_CONDITION: "condition_config.json", LAYOUT_SD: "model_index.json"}  # what marks each layout
# Files a hub download needs (the safety checker and image feature extractor are unused).
HUB_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "*.pt", "*.bin"]


def resolve_model_dir(path_or_id: str | os.PathLike) -> Path:
    """A local folder, or a hub id downloaded into the hub cache."""
    path = Path(path_or_id)
    if path.is_dir():
        return path
    if path.exists():
        raise FoleyError(f"{path}: not a model folder")
    if not HUB_ID.fullmatch(str(path_or_id)):  # ./x, /x, a/b/c: a path, never a hub id
        raise FoleyError(f"{path_or_id}: no such model folder")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(str(path_or_id), allow_patterns=HUB_PATTERNS, local_files_only=True))
    except Exception:  # noqa: BLE001 - not in the cache: download it
        pass
    try:
        check_hub_reachable()
    except OSError as e:
        raise FoleyError(f"{path_or_id}: no such folder, {e}") from None
    try:
        return Path(snapshot_download(str(path_or_id), allow_patterns=HUB_PATTERNS))
    except Exception as e:  # noqa: BLE001 - any hub failure becomes one line
        raise FoleyError(f"{path_or_id}: no such folder, and the hub download failed ({type(e).__name__})") from None


def shared_components(directory: Path) -> dict[str, Path]:
    """The folders ``components.json`` names (component name -> folder), for the components
    this folder does not hold itself; {} without the file. FoleyError (one line) when the file
    is unreadable or names a folder that does not exist."""
    path = directory / COMPONENTS
    if not path.is_file():
        return {}
    shared = read_json_object(path, "components file")
    folders = {}
    for name, target in shared.items():
        if (directory / name).is_dir():
            continue
        if not (directory / str(target)).is_dir():
            raise FoleyError(f"{path}: {name} -> {target}: no such folder")
        folders[name] = directory / str(target)
    return folders


def component_dir(directory: Path, name: str, needs: tuple[str, ...] = ("config.json",)) -> Path:
    """The folder of component ``name``: ``directory/name``, else where ``components.json`` points.

    FoleyError (one line) when neither holds a folder, or the folder lacks a file in ``needs``
    (an empty or partly copied folder is named before a library fails inside it).
    """
    own = directory / name
    folder = own if own.is_dir() else shared_components(directory).get(name)
    if folder is None:
        raise FoleyError(f"{directory}: missing the {name}/ folder of an Auffusion checkpoint")
    for file in needs:
        if not (folder / file).is_file():
            raise FoleyError(f"{folder}: no {file} (an empty or partial {name} folder)")
    return folder


def detect_layout(directory: Path) -> str:
    for layout, marker in LAYOUT_FILES.items():
        if (directory / marker).is_file():
            return layout
    raise FoleyError(f"{directory}: not an Auffusion folder (no model_index.json or condition_config.json)")
