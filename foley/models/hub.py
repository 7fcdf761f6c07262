"""Loading from a local directory or a hub id, the local cache first, without library noise.

A hub id is looked up in the local cache before the network, so that a machine without
network (or a model already downloaded) does not wait on the hub's retries.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from ..errors import FoleyError
from ..media.files import read_json_object

# A hub repository id: "name" or "owner/name" (letters, digits, "-", "_", "." inside).
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")

T = TypeVar("T")


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' "Loading weights" (and "Writing model shards") bars off while loading or saving
    (also as a decorator): they would interleave with foley's own progress on stderr, once per component."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def library_logs_off() -> Iterator[None]:
    """transformers' and diffusers' log lines off: their load reports, their advice to pass
    ``ignore_mismatched_sizes`` or to train, diffusers' "error" and "unsafe serialization" lines
    when a folder holds a ``.bin`` instead of a ``.safetensors`` (read with ``weights_only=True``);
    ``checked_weights`` says what is wrong in one line. Their loggers by name, so that neither
    library is imported here."""
    loggers = [logging.getLogger(name) for name in ("transformers", "diffusers")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def load_failure(e: Exception) -> str:
    """A library's or torch's loading error on one line: for a pickle ``weights_only`` refused, the
    class it asks for or torch's reason (torch's own text advises ``weights_only=False``, which foley
    never does); else the error's lines joined."""
    message = str(e)
    refused = re.search(r"GLOBAL (\S+)", message)
    if refused:
        return f"a pickle that asks for {refused.group(1)}, refused: nothing was run"
    detail = re.search(r"WeightsUnpickler error:\s*(.+)", message)
    reason = detail.group(1) if detail else "; ".join(line.strip() for line in message.splitlines() if line.strip())
    return f"{type(e).__name__}: {reason[:300]}"


def _first_cause(e: BaseException) -> BaseException:
    """The exception ``e`` was raised in handling: diffusers turns a damaged or refused weights file
    into an OSError that names only the file, raised while handling the reason."""
    while (e.__cause__ or e.__context__) is not None:
        e = e.__cause__ or e.__context__
    return e


def checked_weights(load: Callable[..., T], what: str) -> Callable[..., T]:
    """``load`` (a transformers or diffusers ``from_pretrained``) that fills every weight of its
    model from the folder's files, or raises FoleyError (one line naming the folder, a ``what``):
    no config.json or one that is no JSON object, no weights file, a weights file the library
    refuses (a pickle torch will not read with ``weights_only=True``, a damaged file), a weight
    whose shape is not the one config.json builds, or a weight the files lack (the libraries
    would fill both with random values)."""
    def checked(name, **kwargs):
        folder = os.path.isdir(name)
        if folder and not (Path(name) / "config.json").is_file():
            raise FoleyError(f"{name}: no config.json (an incomplete {what} folder)")
        if folder:
            read_json_object(Path(name) / "config.json", f"{what} config")
        with library_logs_off():
            try:
                model, info = load(name, output_loading_info=True, ignore_mismatched_sizes=True, **kwargs)
            except OSError as e:
                if not folder:  # not in the cache: load_pretrained then looks on the hub, or says so
                    raise
                raise FoleyError(f"{name}: not a loadable {what} ({load_failure(_first_cause(e))})") from None
            except Exception as e:  # noqa: BLE001 - a config or file the library cannot use fails in many ways
                raise FoleyError(f"{name}: not a loadable {what} ({load_failure(e)})") from None
        if info["mismatched_keys"]:
            (key, found, expected), *more = sorted(info["mismatched_keys"], key=str)
            raise FoleyError(f"{name}: the {what}'s weight {key} is {tuple(found)}, but its config.json makes it "
                             f"{tuple(expected)}{f' ({len(more)} more differ in shape)' if more else ''}")
        if info["missing_keys"]:
            first, *more = sorted(info["missing_keys"])
            raise FoleyError(f"{name}: the {what}'s weights lack {first}{f' and {len(more)} more' if more else ''} "
                             "(an incomplete or other model's weights file)")
        return model
    return checked


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
