"""Frame encoder (open_clip tower), feature cache and temporal connector."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from foley.config import TimeBase
from foley.datasets.frame_cache import cache_info, extract_features, load_features
from foley.errors import FoleyError
from foley.models.connector import ConnectorConfig, build_connector
from foley.models.frame_encoder import FrameEncoder, FrameEncoderConfig, build_frame_encoder, load_frame_encoder

from lm_models import FRAME_DIM, TINY_TOWER, one_thread  # noqa: F401  (autouse fixture)


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return build_frame_encoder(TINY_TOWER)


def _frames(n, size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def test_one_pooled_vector_per_frame_in_batches(encoder):
    frames = _frames(10)
    out = encoder(frames)
    assert out.shape == (10, FRAME_DIM) and out.dtype == torch.float32
    assert encoder.config.batch_size < 10  # several forward passes, same result as one by one
    one_by_one = torch.cat([encoder(frames[i:i + 1]) for i in range(10)])
    assert torch.allclose(out, one_by_one, atol=1e-5)
    assert not any(p.requires_grad for p in encoder.parameters())
    assert encoder(frames[:0]).shape == (0, FRAME_DIM)


def test_normalization_is_the_towers_own(encoder):
    frames = _frames(2)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    mean = torch.tensor(encoder.visual.preprocess_cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(encoder.visual.preprocess_cfg["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = encoder.visual((x - mean) / std)
    assert torch.allclose(encoder(frames), expected, atol=1e-6)


def test_frames_of_another_size_are_resized_and_cropped(encoder):
    wide = np.repeat(np.repeat(_frames(2, 16), 2, axis=1), 3, axis=2)  # (2, 32, 48, 3)
    assert encoder(wide).shape == (2, FRAME_DIM)


def test_save_load_round_trip(encoder, tmp_path):
    encoder.save_pretrained(tmp_path / "fe")
    assert sorted(p.name for p in (tmp_path / "fe").iterdir()) == ["config.json", "visual.safetensors"]
    loaded = load_frame_encoder(str(tmp_path / "fe"), batch_size=3)
    assert loaded.config.batch_size == 3 and loaded.fingerprint() == encoder.fingerprint()
    assert torch.equal(loaded(_frames(5)), encoder(_frames(5)))


def test_open_clip_model_names_build_through_open_clip():
    enc = load_frame_encoder("ViT-B-32", pretrained="", batch_size=2)
    assert enc.image_size == 224 and enc.dim == 512
    with pytest.raises(FoleyError, match="cannot build open_clip model"):
        load_frame_encoder("no-such-tower", pretrained="")
    with pytest.raises(FoleyError, match="different model"):
        build_frame_encoder(FrameEncoderConfig(model="ViT-B-32", pretrained="", model_cfg=TINY_TOWER.model_cfg))


class _RunsWhenUnpickled:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def test_a_pretrained_file_that_is_no_plain_weights_is_one_line_and_never_runs(tmp_path):
    torch.save({"state_dict": _RunsWhenUnpickled(tmp_path / "ran")}, tmp_path / "tower.pt")
    (tmp_path / "damaged.pt").write_bytes(b"not a checkpoint")
    for name, said in (("tower.pt", r"\(a pickle that asks for io.open, refused: nothing was run\)$"),
                       ("damaged.pt", r"\(UnpicklingError: ")):
        with pytest.raises(FoleyError, match=rf"{name}: not a checkpoint of plain weights for 'foley-test-tower' {said}"):
            build_frame_encoder(replace(TINY_TOWER, pretrained=str(tmp_path / name)))
    assert not (tmp_path / "ran").exists()


def test_a_pretrained_file_that_is_damaged_or_does_not_fit_is_one_line(tmp_path):
    import open_clip

    torch.manual_seed(0)
    state = open_clip.create_model(TINY_TOWER.model).state_dict()  # registered by the module's encoder
    torch.save({k: v for k, v in state.items() if k != "visual.proj"}, tmp_path / "short.pt")
    (tmp_path / "text.pt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    torch.save(state, tmp_path / "full.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "full.pt").read_bytes()[:5000])
    for name, said in (("short.pt", r'\(RuntimeError: .*Missing key\(s\) in state_dict: "visual.proj"'),
                       ("text.pt", r"\(IndexError: "), ("cut.pt", r"\(\w+Error: ")):
        with pytest.raises(FoleyError, match=rf"{name}: not a checkpoint of plain weights for 'foley-test-tower' {said}"):
            build_frame_encoder(replace(TINY_TOWER, pretrained=str(tmp_path / name)))
    with pytest.raises(FoleyError, match=r"cannot build open_clip model 'no-such-tower' \(pretrained '.*full.pt'\): "
                                         r"Model config for 'no-such-tower' not found"):  # the name, not the file
        load_frame_encoder("no-such-tower", pretrained=str(tmp_path / "full.pt"))
    loaded = build_frame_encoder(replace(TINY_TOWER, pretrained=str(tmp_path / "full.pt"))).visual.state_dict()
    assert all(torch.equal(v, state[f"visual.{k}"]) for k, v in loaded.items())


def test_bad_frames_fail_with_one_line(encoder, tmp_path):
    with pytest.raises(FoleyError, match="uint8 RGB frames"):
        encoder(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(FoleyError, match="not a frame encoder"):
        FrameEncoder.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "foley-frame-encoder", "image_size": 64}))
    with pytest.raises(FoleyError, match=r"config.json: not a usable frame encoder config \(unknown frame encoder "
                                         r"settings: \['image_size'\]\)$"):
        FrameEncoder.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "foley-frame-encoder", "model": 7}))
    with pytest.raises(FoleyError, match=r"config.json: not a usable frame encoder config \(model and pretrained must "
                                         r"be text, got 7 and 'openai'\)$"):
        FrameEncoder.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_bytes(b"\xff\xfe")
    with pytest.raises(FoleyError, match=r"config.json: unreadable frame encoder config \('utf-8' codec"):
        FrameEncoder.from_pretrained(tmp_path)


def test_encode_video_samples_at_the_video_rate(encoder, av_clip):
    features = encoder.encode_video(av_clip)
    assert features.shape == (TimeBase().video_frames(2.0), FRAME_DIM)  # 2 s at 21.5 Hz = 43


def test_extract_is_sharded_resumable_and_reports_bad_videos(encoder, av_clip, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("".join(json.dumps({"id": i, "video": str(v), "caption": "c"}) + "\n"
                                for i, v in (("a", av_clip), ("b", bad), ("c", av_clip))))
    cache = tmp_path / "cache"
    barrier = lambda: None  # noqa: E731  (ranks run one after the other here)
    shards = [extract_features(encoder, [manifest], cache, rank=r, world=2, barrier=barrier, progress=False)
              for r in (1, 0)]  # rank 1 takes clip b, rank 0 clips a and c
    assert [s["counts"]["done"] for s in shards] == [0, 2]
    assert shards[0]["failures"][0][0] == "b" and "broken.mp4" in shards[0]["failures"][0][1]
    assert [json.loads(line)["id"] for line in (cache / "failed.jsonl").read_text().splitlines()] == ["b"]
    assert torch.allclose(load_features(cache, "a"), encoder.encode_video(av_clip), atol=1e-2)  # stored as fp16
    assert cache_info(cache)["dim"] == FRAME_DIM
    again = extract_features(encoder, [manifest], cache, progress=False)
    assert again["counts"] == {"total": 3, "done": 0, "skipped": 2, "failed": 1}
    from foley.media.files import one_run_at_a_time

    with one_run_at_a_time(cache, "feature cache"), pytest.raises(FoleyError, match="another run is writing this "
                                                                                    "feature cache"):
        extract_features(encoder, [manifest], cache, progress=False)  # a second run at once
    moved = tmp_path / "other.mp4"  # clip c's id, another video: encoded again
    moved.write_bytes(av_clip.read_bytes() + b"\0")
    manifest.write_text("".join(json.dumps({"id": i, "video": str(v), "caption": "c"}) + "\n"
                                for i, v in (("a", av_clip), ("b", bad), ("c", moved))))
    changed = extract_features(encoder, [manifest], cache, progress=False)
    assert changed["counts"] == {"total": 3, "done": 1, "skipped": 1, "failed": 1}
    other = build_frame_encoder(TINY_TOWER)  # new random weights: another fingerprint
    with pytest.raises(FoleyError, match="another encoder"):
        extract_features(other, [manifest], cache, progress=False)


def test_connector_shapes_and_padding_independence():
    torch.manual_seed(0)
    cfg = ConnectorConfig(frame_dim=FRAME_DIM, lm_dim=16, kernel_size=5, n_layers=2)
    conn = build_connector(cfg)
    frames = torch.randn(2, 9, FRAME_DIM)
    mask = torch.tensor([[True] * 9, [True] * 4 + [False] * 5])
    out = conn(frames, mask)
    assert out.shape == (2, 9, 16)
    alone = conn(frames[1:, :4])
    assert torch.allclose(out[1, :4], alone[0], atol=1e-6)  # padding does not leak into real frames
    changed = frames.clone()
    # A frame influences only its neighbours within the receptive field (2 layers x 2 frames).
    # The change varies across channels: a constant shift would vanish in the LayerNorm.
    changed[0, 8] += torch.randn(FRAME_DIM)
    diff = (conn(changed, mask)[0] - out[0]).abs().amax(-1)  # (9,)
    assert (diff[:8 - 2 * 2] < 1e-6).all() and (diff[8 - 2 * 2:] > 1e-3).all(), diff


@pytest.mark.parametrize("bad", [dict(kernel_size=4), dict(norm="batch"), dict(n_layers=-1)])
def test_connector_config_is_checked(bad):
    with pytest.raises(FoleyError):
        ConnectorConfig(**bad)
    cfg = ConnectorConfig(frame_dim=4, lm_dim=8, n_layers=0, norm="none", residual=False)
    assert ConnectorConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(FoleyError, match="takes frame features"):
        build_connector(cfg)(torch.zeros(1, 3, 5))


def test_the_frame_encoder_command_refuses_an_odd_config_in_one_line(tmp_path, capsys):
    from foley.cli.args import one_line_errors
    from foley.models.frame_encoder import main

    tower = TINY_TOWER.to_dict()
    vision = tower["model_cfg"]["vision_cfg"]
    for i, (change, said) in enumerate((
            ({"model_cfg": {**tower["model_cfg"], "vision_cfg": {**vision, "layers": "1"}}},
             "not an open_clip architecture for 'foley-odd-tower-0' ('str' object"),
            ({"model_cfg": {**tower["model_cfg"], "vision_cfg": {**vision, "patch_sise": 8}}},
             "unexpected keyword argument 'patch_sise'"),
            ({"batch_size": 2.5}, "batch_size must be a whole number >= 1, got 2.5"),
            ({"model_cfg": "foley-test-tower"}, "model_cfg and preprocess must be dicts"),
            (None, "odd4.json: not a frame encoder config (Expecting value"),
            ([], "odd5.json: not a frame encoder config (a JSON object is needed)"))):
        config = tmp_path / f"odd{i}.json"
        if change is None:
            config.write_text('{"format": ')
        else:
            config.write_text(json.dumps({**tower, "model": f"foley-odd-tower-{i}", **change}
                                         if isinstance(change, dict) else change))
        with pytest.raises(SystemExit) as exit_:
            one_line_errors(main, "fe", ["--config", str(config), "--out", str(tmp_path / "fe")])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and said in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "fe").exists()


def test_extract_command(encoder, av_clip, tmp_path, capsys):
    from foley.cli import main

    encoder.save_pretrained(tmp_path / "fe")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "clip", "video": str(av_clip)}) + "\n"
                        + json.dumps({"id": "gone", "video": "missing.mp4"}) + "\n")
    args = ["extract", str(manifest), "--model", str(tmp_path / "fe"), "--out", str(tmp_path / "cache"),
            "--device", "cpu", "--quiet"]
    assert main(args) == 1  # one clip failed
    out = capsys.readouterr()
    assert "1 clip encoded, 0 already cached, 1 failed (of 2)" in out.out and "gone" in out.err
    assert f"1 failed clip, listed in {tmp_path / 'cache'}/failed.jsonl" in out.err  # as tokenize says where
    assert load_features(tmp_path / "cache", "clip").shape == (43, FRAME_DIM)
    assert main(["extract", str(tmp_path / "nope.jsonl"), "--model", str(tmp_path / "fe"), "--out",
                 str(tmp_path / "cache"), "--quiet"]) == 2
    assert "no such manifest" in capsys.readouterr().err
    assert main(["extract", str(av_clip), "--model", str(tmp_path / "fe"), "--out", str(tmp_path / "cache"),
                 "--quiet"]) == 2  # a video given as the manifest: one line, not a decoding traceback
    assert f"{av_clip}: not a manifest (JSON Lines with \"id\" and \"video\"); it is not text" in capsys.readouterr().err
    (tmp_path / "units").mkdir()  # a token cache given as --out: refused before anything is made in it
    (tmp_path / "units" / "cache.json").write_text(json.dumps({"format": "foley-token-cache"}))
    assert main(args[:4] + ["--out", str(tmp_path / "units"), "--quiet"]) == 2
    assert "units: not a frame feature cache (its cache.json is of 'foley-token-cache')" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "units").iterdir()) == [".lock", "cache.json"]  # the run's hold only
    assert json.loads((tmp_path / "units" / "cache.json").read_text()) == {"format": "foley-token-cache"}
    # the default model (ViT-L-14, downloaded on first use) is not built for a manifest that is not there
    assert main(["extract", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "cache"), "--quiet"]) == 2
    assert capsys.readouterr().err == f"foley: error: {tmp_path / 'nope.jsonl'}: no such manifest\n"
    (tmp_path / "data").mkdir()  # a data set's folder given for its manifest: the manifests in it are named
    (tmp_path / "data" / "train.jsonl").write_text("")
    assert main(["extract", str(tmp_path / "data"), "--out", str(tmp_path / "cache"), "--quiet"]) == 2
    assert capsys.readouterr().err == (f"foley: error: {tmp_path / 'data'}: a folder; give a manifest file such as "
                                       f"{tmp_path / 'data' / 'train.jsonl'}\n")
    (tmp_path / "empty.jsonl").write_text("")
    assert main(["extract", str(tmp_path / "empty.jsonl"), "--model", str(tmp_path / "fe"), "--out",
                 str(tmp_path / "none"), "--quiet"]) == 2
    assert "empty.jsonl: no clips to encode" in capsys.readouterr().err and not (tmp_path / "none").exists()
    (tmp_path / "a_file").write_text("notes")
    assert main(args[:4] + ["--out", str(tmp_path / "a_file"), "--quiet"]) == 2
    assert capsys.readouterr().err == f"foley: error: {tmp_path / 'a_file'}: exists and is not a folder\n"
    manifest.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "clip", "video": str(av_clip)}).encode() + b"\n")
    assert main(args[:4] + ["--out", str(tmp_path / "bom"), "--quiet"]) == 0  # a byte-order mark, as Notepad saves


def test_failures_of_two_manifests_into_one_cache_are_both_kept_and_both_manifests_recorded_resolved(
        encoder, av_clip, tmp_path, monkeypatch):
    """A second manifest's run replaced failed.jsonl (training on the first then said no more why a clip had no
    features), and cache.json named no manifest; one given relative to the folder it was run in names no file later."""
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    (tmp_path / "gone.mp4").write_bytes(b"not this either")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"id": "a", "video": str(av_clip)}) + "\n"
                     + json.dumps({"id": "bad", "video": str(tmp_path / "bad.mp4")}) + "\n")
    second.write_text(json.dumps({"id": "gone", "video": str(tmp_path / "gone.mp4")}) + "\n")
    cache = tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    for manifest in ("first.jsonl", "second.jsonl"):
        assert extract_features(encoder, [manifest], cache, progress=False)["counts"]["failed"] == 1
    assert [json.loads(x)["id"] for x in (cache / "failed.jsonl").read_text().splitlines()] == ["bad", "gone"]
    assert cache_info(cache)["manifests"] == [str(first), str(second)]
    with pytest.raises(FoleyError, match=r"^first.jsonl: a manifest given twice; name it once$"):  # not "clip a twice"
        extract_features(encoder, ["first.jsonl", second, first], cache, progress=False)
    with pytest.raises(FoleyError, match=r"no cached features for clip 'bad': `foley extract` could not read it"):
        load_features(cache, "bad")
    (tmp_path / "gone.mp4").write_bytes(av_clip.read_bytes())  # fixed: its failure goes, the other stays
    assert extract_features(encoder, [second], cache, progress=False)["counts"]["failed"] == 0
    assert [json.loads(x)["id"] for x in (cache / "failed.jsonl").read_text().splitlines()] == ["bad"]
    assert cache_info(cache)["manifests"] == [str(first), str(second)]


def test_an_interrupted_extract_says_how_many_clips_it_keeps_and_a_rerun_goes_on(encoder, av_clip, tmp_path, capsys,
                                                                                   monkeypatch):
    from foley.cli import main

    encoder.save_pretrained(tmp_path / "fe")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"id": name, "video": str(av_clip)}) + "\n" for name in "abc"))
    cache = tmp_path / "cache"
    args = ["extract", str(manifest), "--model", str(tmp_path / "fe"), "--out", str(cache), "--device", "cpu",
            "--quiet"]
    encode, calls = FrameEncoder.encode_video, []

    def stopped_at_the_second(self, *a, **k):  # Ctrl-C while the second clip is encoded
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return encode(self, *a, **k)

    monkeypatch.setattr(FrameEncoder, "encode_video", stopped_at_the_second)
    assert main(args) == 130
    assert capsys.readouterr().err == (f"foley: interrupted after 1 of 3 clips: 1 cached in {cache}, 1 of them by this "
                                       "run; the same command goes on with the other 2\n")
    monkeypatch.undo()
    assert main(args) == 0
    assert "2 clips encoded, 1 already cached, 0 failed (of 3)" in capsys.readouterr().out


def test_extract_takes_a_models_name_or_folder_for_its_frame_encoder(encoder, av_clip, tmp_path, capsys):
    from foley.cli import main

    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "clip", "video": str(av_clip)}) + "\n")
    encoder.save_pretrained(tmp_path / "model" / "encoder")
    (tmp_path / "model" / "pipeline.json").write_text(json.dumps({"frame_encoder": "encoder"}))
    for model, out in ((tmp_path / "model", "own"), (tmp_path / "model" / "encoder", "folder"),
                       ("sfx", "sfx"), ("demo", "demo")):  # sfx dubs with the demo model's frame encoder
        assert main(["extract", str(manifest), "--model", str(model), "--out", str(tmp_path / out), "--quiet"]) == 0
    assert torch.equal(load_features(tmp_path / "own", "clip"), load_features(tmp_path / "folder", "clip"))
    assert load_features(tmp_path / "sfx", "clip").shape == load_features(tmp_path / "demo", "clip").shape == (43, 128)
    assert torch.equal(load_features(tmp_path / "sfx", "clip"), load_features(tmp_path / "demo", "clip"))
    # weights for an open_clip name, never quietly dropped for a saved encoder's own
    assert main(["extract", str(manifest), "--model", "demo", "--pretrained", "openai", "--out",
                 str(tmp_path / "tagged"), "--quiet"]) == 2
    assert ("--pretrained is for an open_clip model name; --model demo is a frame encoder with its own weights "
            "(leave --pretrained out)") in capsys.readouterr().err and not (tmp_path / "tagged").exists()


def test_extract_drops_features_of_a_changed_unreadable_video_and_tells_normalizations_apart(encoder, av_clip, tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(av_clip.read_bytes())
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text(json.dumps({"id": "a", "video": str(video)}) + "\n")
    cache = tmp_path / "cache"
    extract_features(encoder, [manifest], cache, progress=False)
    video.write_bytes(b"not a video any more")
    assert extract_features(encoder, [manifest], cache, progress=False)["counts"]["failed"] == 1
    assert not (cache / "features" / "a.safetensors").exists()  # never loaded for the clip it no longer is
    scaled = build_frame_encoder(replace(encoder.config, preprocess={"mean": [0.5] * 3, "std": [0.5] * 3}))
    scaled.visual.load_state_dict(encoder.visual.state_dict())  # the same weights, other pixel normalization
    assert scaled.fingerprint() != encoder.fingerprint()
    (cache / "cache.json").unlink()
    (cache / "features" / "x.safetensors").write_bytes(b"")
    with pytest.raises(FoleyError, match="holds features but no cache.json"):
        extract_features(encoder, [manifest], cache, progress=False)
    other = tmp_path / "notes"  # a folder of the user's is never taken for a cache, nor its failed.jsonl replaced
    other.mkdir()
    (other / "failed.jsonl").write_text("my list\n")
    with pytest.raises(FoleyError, match=r"notes: holds other files than a frame feature cache \(no cache.json\), "
                                         r"e.g. failed.jsonl; give --out a new or empty folder"):
        extract_features(encoder, [manifest], other, progress=False)
    assert sorted(p.name for p in other.iterdir()) == ["failed.jsonl"]  # no cache.json, features nor lock
    assert (other / "failed.jsonl").read_text() == "my list\n"


def test_sharded_extract_waits_for_its_slowest_process_and_a_peer_that_ended_is_one_line(encoder, av_clip, tmp_path,
                                                                                        monkeypatch):
    from datetime import timedelta

    import accelerate

    from foley.cli import main
    from foley.cli.caches import _barrier

    made = {}

    def recorded(*args, **kwargs):
        made.update(kwargs)
        return real(*args, **kwargs)

    real = accelerate.PartialState
    monkeypatch.setattr(accelerate, "PartialState", recorded)
    encoder.save_pretrained(tmp_path / "fe")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "clip", "video": str(av_clip)}) + "\n")
    assert main(["extract", str(manifest), "--model", str(tmp_path / "fe"), "--out", str(tmp_path / "c"), "--quiet"]) == 0
    # The processes meet again once every share is encoded: not within a collective's usual 10 or 30 minutes.
    assert made["timeout"] >= timedelta(days=1)

    class PeerEnded:  # what a process meets at the barrier when another has exited with an error
        process_index = 1

        def wait_for_everyone(self):
            raise RuntimeError("[gloo/transport/tcp/pair.cc:547] Connection closed by peer [127.0.0.1]:53128")

    with pytest.raises(FoleyError, match=r"^process 1: another process of this run has ended; its error is said above$"):
        _barrier(PeerEnded())()


@pytest.mark.slow
def test_accelerate_launch_extract_matches_one_process_resumes_and_fails_in_one_line_per_process(encoder, av_clip,
                                                                                                 tmp_path):
    """`accelerate launch -m foley extract` with 2 CPU processes (gloo): the cache one process makes,
    a rerun that skips every clip, and a cache of another encoder refused without a traceback of ours."""
    import os
    import subprocess
    import sys

    from foley.cli import main

    encoder.save_pretrained(tmp_path / "fe")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"id": f"c{i}", "video": str(av_clip)}) + "\n" for i in range(3)))
    assert main(["extract", str(manifest), "--model", str(tmp_path / "fe"), "--out", str(tmp_path / "one"),
                 "--device", "cpu", "--quiet"]) == 0

    def launch(out):
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "foley", "extract",
               str(manifest), "--model", str(tmp_path / "fe"), "--out", str(out), "--device", "cpu", "--quiet"]
        return subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)

    first = launch(tmp_path / "two")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "1 clip encoded, 0 already cached, 0 failed (of 1 by process 1)" in first.stdout
    for i in range(3):
        assert torch.equal(load_features(tmp_path / "two", f"c{i}"), load_features(tmp_path / "one", f"c{i}"))
    again = launch(tmp_path / "two")
    assert again.returncode == 0 and again.stdout.count("0 clips encoded") == 2, again.stderr[-3000:]
    record = json.loads((tmp_path / "two" / "cache.json").read_text())
    (tmp_path / "two" / "cache.json").write_text(json.dumps({**record, "encoder_fingerprint": "0" * 64}))
    refused = launch(tmp_path / "two")
    assert refused.returncode != 0
    assert "foley: error: " + str(tmp_path / "two") + ": this cache was made with another encoder" in refused.stderr
    assert "[rank1]: Traceback" not in refused.stderr and "[rank0]: Traceback" not in refused.stderr
