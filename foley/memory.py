"""Freed memory handed back to the operating system during long streamed work."""
from __future__ import annotations

import ctypes
import functools
import sys


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library is another (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc's soname (musl has none of that name)
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand the heap pages freed so far back to the operating system (glibc's
    ``malloc_trim(0)``; nothing elsewhere). No Python library exposes it. glibc keeps such
    pages otherwise, fragmented by a long dub's chunks of frames and windows of audio, and
    the peak memory of `foley dub` grew with the video's length."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
