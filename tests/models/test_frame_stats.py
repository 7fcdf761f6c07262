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
    assert abs(float(stats.distance(train).pow(2).mean()) - 1.0) < 0.02  # Mahalanobis / sqrt(D): ~1 per frame
    same = torch.randn(1000, 16) * torch.linspace(0.1, 3.0, 16) + 4.0
    assert abs(stats.unfamiliar(same) - 0.05) < 0.03
    assert stats.unfamiliar(same + 10.0) > 0.99
    assert stats.unfamiliar(torch.zeros(0, 16)) == 0.0


def test_a_frame_that_breaks_how_the_dimensions_go_together_is_unfamiliar():
    """Each dimension in its usual range, their correlation broken: unfamiliar with the
    precision matrix, familiar on the diagonal alone (the RMS z-score of files without one)."""
    torch.manual_seed(2)
    shared = torch.randn(3000, 1)
    train = shared + 0.1 * torch.randn(3000, 8)  # (N, 8), the dimensions move together
    stats = FrameStats.fit(train)
    assert stats.precision.shape == (8, 8)
    broken = torch.randn(500, 8).clamp(-1.5, 1.5)  # the same ranges, each dimension on its own
    diagonal = FrameStats(stats.mean, stats.std, float(torch.quantile(
        FrameStats(stats.mean, stats.std, 1.0).distance(train), 0.99)))
    assert diagonal.unfamiliar(broken) < 0.05 and stats.unfamiliar(broken) > 0.95
    assert stats.unfamiliar(shared[:500] + 0.1 * torch.randn(500, 8)) < 0.05


def test_save_load_round_trip_and_errors(tmp_path, capsys):
    torch.manual_seed(1)
    stats = FrameStats.fit(torch.randn(50, 8))
    stats.save(tmp_path / "s.safetensors")
    loaded = FrameStats.load(tmp_path / "s.safetensors")
    assert torch.equal(loaded.mean, stats.mean) and torch.equal(loaded.std, stats.std)
    assert torch.equal(loaded.precision, stats.precision)
    FrameStats(stats.mean, stats.std, 1.5).save(tmp_path / "diagonal.safetensors")  # a file without the matrix
    assert FrameStats.load(tmp_path / "diagonal.safetensors").precision is None
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


def test_bad_features_and_settings_fail_with_one_line(tmp_path, capsys):
    from safetensors.torch import save_file

    with pytest.raises(FoleyError, match="NaN or infinite"):
        FrameStats.fit(torch.tensor([[0.0, float("nan")], [1.0, 2.0]]))
    cache = tmp_path / "cache"
    (cache / "features").mkdir(parents=True)
    (cache / "cache.json").write_text('{"format": "foley-frame-cache", "dim": 4}')
    save_file({"features": torch.randn(5, 4)}, str(cache / "features" / "a.safetensors"))
    save_file({"features": torch.randn(5, 3)}, str(cache / "features" / "b.safetensors"))
    (cache / "features" / "c.safetensors").write_bytes(b"\x00\x01")
    for ids, message in ((["a", "b"], "clips of 3-d and 4-d features"), (["c"], "c.safetensors: damaged feature file"),
                         ([], "no clips")):
        manifest = tmp_path / "m.jsonl"
        manifest.write_text("".join(f'{{"id": "{i}", "video": "{i}.mp4"}}\n' for i in ids))
        with pytest.raises(SystemExit, match=message):
            main(["--features", str(cache), "--manifest", str(manifest), "--out", str(tmp_path / "s.safetensors")])
    manifest.write_text('{"id": "a", "video": "a.mp4"}\n' * 2)
    with pytest.raises(SystemExit):
        main(["--features", str(cache), "--manifest", str(manifest), "--out", "x", "--quantile", "1.5"])
    assert "1.5 is not in (0, 1]" in capsys.readouterr().err
    with pytest.raises(SystemExit, match=r"cannot be written \(a folder of that name is there\)"):
        main(["--features", str(cache), "--manifest", str(manifest), "--out", str(cache), "--overwrite"])
    main(["--features", str(cache), "--manifest", str(manifest), "--out", str(tmp_path / "s.safetensors")])
    assert "5 frames of 4-d features from 1 clip," in capsys.readouterr().out  # a repeated id counts once
    written = (tmp_path / "s.safetensors").read_bytes()
    with pytest.raises(SystemExit, match=r"s.safetensors: already exists \(pass --overwrite to replace it\)$"):
        main(["--features", str(cache), "--manifest", str(manifest), "--out", str(tmp_path / "s.safetensors")])
    assert (tmp_path / "s.safetensors").read_bytes() == written  # a model is never replaced unasked
    main(["--features", str(cache), "--manifest", str(manifest), "--out", str(tmp_path / "s.safetensors"), "--overwrite"])
    assert not list(tmp_path.glob(".*"))


def test_damaged_statistics_are_refused(tmp_path):
    from safetensors.torch import save_file

    save_file({"mean": torch.zeros(4), "std": torch.ones(4)}, str(tmp_path / "nan.safetensors"),
              metadata={"threshold": "nan", "quantile": "0.99", "frames": "10"})
    with pytest.raises(FoleyError, match="damaged frame statistics"):
        FrameStats.load(tmp_path / "nan.safetensors")
    save_file({"mean": torch.zeros(4), "std": torch.ones(4), "precision": torch.eye(3)}, str(tmp_path / "p.safetensors"),
              metadata={"threshold": "1.5", "quantile": "0.99", "frames": "10"})
    with pytest.raises(FoleyError, match="damaged frame statistics"):
        FrameStats.load(tmp_path / "p.safetensors")


def test_a_held_out_manifest_says_how_many_of_its_clips_dub_would_refuse(tmp_path, capsys):
    """Fit on 3 clips of 20 frames of 16-d features, each clip's frames near its own point (as a
    shot's are): so few clips cover little, and clips drawn alike are refused; the report says so.
    Fit on 40, fewer are."""
    from safetensors.torch import save_file

    cache = tmp_path / "cache"
    (cache / "features").mkdir(parents=True)
    (cache / "cache.json").write_text('{"format": "foley-frame-cache", "dim": 16}')
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", 40), ("test", 12)):
        lines = []
        for i in range(n):
            frames = torch.randn(1, 16, generator=g) + 0.5 * torch.randn(20, 16, generator=g)  # (20, 16)
            save_file({"features": frames}, str(cache / "features" / f"{split}{i}.safetensors"))
            lines.append(f'{{"id": "{split}{i}", "video": "x.mp4"}}\n')
        (tmp_path / f"{split}.jsonl").write_text("".join(lines))
    (tmp_path / "few.jsonl").write_text("".join((tmp_path / "train.jsonl").read_text().splitlines(True)[:3]))
    said = {}
    for manifest in ("few", "train"):
        main(["--features", str(cache), "--manifest", str(tmp_path / f"{manifest}.jsonl"), "--test",
              str(tmp_path / "test.jsonl"), "--out", str(tmp_path / f"{manifest}.safetensors")])
        said[manifest] = capsys.readouterr().out.split("test: ")[1]
    refused = {k: int(v.split(" of 12")[0]) for k, v in said.items()}
    assert refused["few"] > refused["train"] and said["few"].endswith("; fit on more clips of their kind\n"), said
