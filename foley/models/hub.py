"""Loading from a local directory or a hub id, the local cache first, without library noise.

A hub id is looked up in the local cache before the network, so that a machine without
network (or a model already downloaded) does not wait on the hub's retries.
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import Callable, Iterator, TypeVar

# A hub repository id: "name" or "owner/name" (letters, digits, "-", "_", "." inside).
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")

T = TypeVar("T")


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' "Loading weights" bars off while loading (also as a decorator): they
    would interleave with foley's own progress on stderr, once per component."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


@quiet_loading()
def load_pretrained(load: Callable[..., T], name: str, **kwargs) -> T:
    """``load(name, local_files_only=..., **kwargs)`` for a ``from_pretrained``-style loader.
    OSError for a name written as a path (``/``, ``.`` or ``~`` first) that is no folder."""
    if name.startswith(("/", ".", "~")) and not os.path.isdir(os.path.expanduser(name)):
        raise OSError(f"{name}: no such folder")
    if os.path.isdir(name) or os.environ.get("HF_HUB_OFFLINE") == "1":
        return load(name, local_files_only=True, **kwargs)
    try:
        return load(name, local_files_only=True, **kwargs)
    except OSError:
        check_hub_reachable()
        return load(name, **kwargs)


def check_hub_reachable(timeout_s: float = 5.0) -> None:
    """Raise OSError at once when the hub (``HF_ENDPOINT``, else huggingface.co) cannot be
    reached, instead of the hub client's retries (about a minute of warnings) for a model
    that is not in the local cache."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)),
                                 timeout=timeout_s).close()
    except OSError as e:
        raise OSError(f"not in the local cache, and {url.geturl()} cannot be reached "
                      f"({getattr(e, 'strerror', None) or e})") from None
