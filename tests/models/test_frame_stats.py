"""Frame statistics: the familiarity of frame features to a model's training frames."""
from __future__ import annotations

import pytest
import torch

from foley.errors import FoleyError
from foley.models.frame_stats import FrameStats, main


def test_threshold_is_the_quantile_of_the_training_distances():
    torch.manual_seed(0)
    train = torch.randn(2000, 16) * torch.linspace(0.1, 3.0, 16) + 4.0  # (N, D), uneven scales
    stats = FrameStats.fit(train, quantile=0.95)
    assert abs(stats.unfamiliar(train) - 0.05) < 0.002
    assert abs(float(stats.distance(train).pow(2).mean()) - 1.0) < 0.01  # RMS z-score: ~1 per frame
    same = torch.randn(1000, 16) * torch.linspace(0.1, 3.0, 16) + 4.0
    assert abs(stats.unfamiliar(same) - 0.05) < 0.03
    assert stats.unfamiliar(same + 10.0) > 0.99
    assert stats.unfamiliar(torch.zeros(0, 16)) == 0.0


def test_save_load_round_trip_and_errors(tmp_path, capsys):
    torch.manual_seed(1)
    stats = FrameStats.fit(torch.randn(50, 8))
    stats.save(tmp_path / "s.safetensors")
    loaded = FrameStats.load(tmp_path / "s.safetensors")
    assert torch.equal(loaded.mean, stats.mean) and torch.equal(loaded.std, stats.std)
    assert (loaded.threshold, loaded.quantile, loaded.frames) == (stats.threshold, 0.99, 50)
    with pytest.raises(FoleyError, match="the statistics are of 8-d frames"):
        loaded.distance(torch.zeros(3, 4))
    with pytest.raises(FoleyError, match="at least 2 frames"):
        FrameStats.fit(torch.zeros(1, 8))
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(FoleyError, match="not a frame statistics file"):
        FrameStats.load(tmp_path / "bad.safetensors")
    with pytest.raises(SystemExit, match="no such manifest"):
        main(["--features", str(tmp_path), "--manifest", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()
