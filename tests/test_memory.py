"""Freed heap pages handed back to the operating system (glibc)."""
from __future__ import annotations

import pytest

from foley.memory import _malloc_trim, release_freed_memory


def _resident_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(_malloc_trim() is None, reason="glibc's malloc_trim is not there (another C library)")
def test_freed_heap_pages_go_back_to_the_system():
    blocks = [bytearray(100_000) for _ in range(2_000)]  # 200 MB on the heap (under glibc's mmap threshold)
    keep = blocks[-1]  # the top of the heap stays in use: free() alone cannot shrink it
    del blocks
    before = _resident_mb()
    release_freed_memory()
    assert before - _resident_mb() > 100, (before, _resident_mb())
    assert len(keep) == 100_000
