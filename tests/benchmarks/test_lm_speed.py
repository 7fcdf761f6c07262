"""benchmarks/lm_speed.py: its documented command (`--lm demo --encoder demo`, the defaults) runs."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from foley.models.frame_encoder import load_frame_encoder
from foley.pipelines.dub import model_dir

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "lm_speed.py"


def test_the_default_encoder_is_the_demo_models(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("lm_speed", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    # ViT-L-14 at full size is minutes of CPU: the demo tower stands in for it.
    monkeypatch.setattr(bench, "build_frame_encoder",
                        lambda cfg: load_frame_encoder(str(model_dir("demo") / "frame_encoder")))
    bench.main(["--threads", "1", "--duration", "0.2", "--vit-frames", "1", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "frame encoder (demo, 64 px): " in out and "frame encoder (ViT-L-14" in out
