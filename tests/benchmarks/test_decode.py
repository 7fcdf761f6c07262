"""benchmarks/decode.py: a frame size it cannot encode is refused in one line, before any work."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "decode.py"


def test_a_size_that_is_no_frame_size_is_refused():
    for size in ("10", "853x480", "8x8"):
        proc = subprocess.run([sys.executable, str(SCRIPT), "--size", size], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.strip() == (
            f"decode.py: error: argument --size: {size!r} is no WIDTHxHEIGHT of even numbers from 16 up (e.g. 854x480) "
            "(see decode.py --help)"), proc.stderr
