"""Loading from a local directory or a hub id, the local cache first.

A hub id is looked up in the local cache before the network, so that a machine without
network (or a model already downloaded) does not wait on the hub's retries.
"""
from __future__ import annotations

import os
from typing import Callable, TypeVar

T = TypeVar("T")


def load_pretrained(load: Callable[..., T], name: str, **kwargs) -> T:
    """``load(name, local_files_only=..., **kwargs)`` for a ``from_pretrained``-style loader."""
    if os.path.isdir(name) or os.environ.get("HF_HUB_OFFLINE") == "1":
        return load(name, local_files_only=True, **kwargs)
    try:
        return load(name, local_files_only=True, **kwargs)
    except OSError:
        return load(name, **kwargs)
