"""Checks on input paths that every reader shares."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import MediaError


def check_input_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path if it names a readable, non-empty regular file."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a file")
    if not path.is_file():  # a FIFO, socket or device: reading it could block or never end
        raise MediaError(f"{path}: not a regular file (a pipe, socket or device)")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")
    return path
