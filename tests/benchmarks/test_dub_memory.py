"""benchmarks/dub_memory.py finds its clip wherever it is run from."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


class Cut(Exception):
    pass


def test_the_clip_is_found_from_another_folder(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # it imports its sibling dub_speed
    spec = importlib.util.spec_from_file_location("dub_memory", BENCHMARKS / "dub_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    sources = []

    def cut_clip(source, seconds, out, loop=False):
        sources.append(Path(source))
        raise Cut  # no need to dub it

    monkeypatch.setattr(bench, "cut_clip", cut_clip)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Cut):
        bench.main(["--minutes", "0.1"])
    assert sources[0].is_file() and sources[0].name == "medley.mp4"
