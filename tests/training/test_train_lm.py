"""LM training: exact resume, the CLI on caches, a 2-process DDP run (gloo on CPU), the FSDP
launch config and 2-process FSDP2 checkpoints."""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from foley.cli import main
from foley.datasets.frame_cache import CACHE_FORMAT
from foley.datasets.lm_data import LMData, load_lm_data
from foley.errors import FoleyError
from foley.models.token_lm import LoraSettings, TokenLM
from foley.training import config_difference
from foley.training.lm import LMTrainConfig, train_lm

from lm_models import CAPTIONS, FRAME_DIM, N_UNITS, TINY_GEMMA, one_thread, tiny_lm, tiny_lm_config, tiny_text_tokenizer  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _data(n_clips=5, n_units=(10, 7, 10, 4, 9), seed=0) -> LMData:
    """Clips of ``n_units`` units at 50 Hz, each with frames at 21.5 Hz spanning as long or up to 0.12 s longer."""
    g = torch.Generator().manual_seed(seed)
    frames = [torch.randn(round(n_units[i] * 21.5 / 50) + int(torch.randint(0, 3, (1,), generator=g)), FRAME_DIM,
                          generator=g) for i in range(n_clips)]
    units = [torch.randint(0, N_UNITS, (n_units[i],), generator=g) for i in range(n_clips)]
    return LMData([f"clip{i}" for i in range(n_clips)], [CAPTIONS[i % len(CAPTIONS)] for i in range(n_clips)],
                  frames, units)


def _cfg(**changes) -> LMTrainConfig:
    lm = tiny_lm_config(lora=LoraSettings(r=4, alpha=8, dropout=0.1, target_modules=("q_proj", "v_proj")))
    return LMTrainConfig(**{**dict(lm=lm, steps=6, batch_size=2, lr=1e-2, warmup_steps=2, checkpoint_every=3,
                                   seed=3), **changes})


def test_steps_are_said_and_logged_as_the_checkpoints_count_them(tmp_path):
    said = []
    train_lm(_data(), tmp_path / "a", _cfg(steps=11, checkpoint_every=10), tokenizer=tiny_text_tokenizer(),
             log=said.append)
    assert [line.split(" loss ")[0] for line in said if line.startswith("lm step")] == [
        "lm step 1/11", "lm step 10/11", "lm step 11/11"]
    assert [json.loads(line)["step"] for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()] == [1, 10, 11]


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    data = _data()
    cfg = _cfg()
    straight = train_lm(data, tmp_path / "a", cfg, tokenizer=tiny_text_tokenizer(), log=lambda m: None)
    train_lm(data, tmp_path / "b", cfg, tokenizer=tiny_text_tokenizer(), stop_after=3, log=lambda m: None)
    assert not (tmp_path / "b" / "lm").exists()
    assert json.loads((tmp_path / "b" / "checkpoint" / "state.json").read_text())["step"] == 3
    with pytest.raises(FoleyError, match=r"the run has reached step 3; --steps 2 would end it before that"):
        train_lm(data, tmp_path / "b", replace(cfg, steps=2), resume=True, log=lambda m: None)
    said = []
    resumed = train_lm(data, tmp_path / "b", cfg, resume=True, log=said.append)
    assert f"{tmp_path / 'b'}: continuing from step 3 of 6" in said
    a, b = straight.trainable_state_dict(), resumed.trainable_state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    first = TokenLM.from_pretrained(tmp_path / "a" / "init").trainable_state_dict()
    assert not all(torch.equal(a[k], first[k]) for k in a)  # training changed the weights
    opt_a = torch.load(tmp_path / "a" / "checkpoint" / "optimizer.pt", weights_only=True)
    opt_b = torch.load(tmp_path / "b" / "checkpoint" / "optimizer.pt", weights_only=True)
    assert all(torch.equal(opt_a["state"][i]["exp_avg"], opt_b["state"][i]["exp_avg"]) for i in opt_a["state"])
    log = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 6 and all(np.isfinite(r["loss"]) for r in log)
    # each step logs the rate it trained at: the warm-up's first half, then the cosine's last (non-zero) one
    assert log[0]["lr"] == pytest.approx(cfg.lr / 2) and log[-1]["lr"] == pytest.approx(cfg.lr * 0.5 * (1 + math.cos(math.pi * 3 / 4)))
    final = TokenLM.from_pretrained(tmp_path / "a" / "lm")
    assert [len(x) for x in final.generate(data.captions[:2], [5, 0], torch.stack(
        [data.frames[0][:3], data.frames[1][:3]]), torch.tensor([3, 3]))] == [5, 0]
    # the log holds each step once, resumed or not
    steps = [r["step"] for r in map(json.loads, (tmp_path / "b" / "log.jsonl").read_text().splitlines())]
    assert steps == sorted(set(steps)) and steps[-1] == 6
    with pytest.raises(FoleyError, match=r"another training config \(lr 0.01 in the run, 0.001 given\)"):
        train_lm(data, tmp_path / "b", replace(cfg, lr=1e-3), resume=True, log=lambda m: None)
    for other, said in ((_data(4), r"other clips \(5 clips; the manifest given has 4\)"),  # another split, say
                        (LMData(data.ids[::-1], data.captions, data.frames, data.units), r"\(5 clips; the manifest given has 5 in another order")):
        with pytest.raises(FoleyError, match=said + r".*resume with the run's own --manifest"):
            train_lm(other, tmp_path / "b", cfg, resume=True, log=lambda m: None)
    with pytest.raises(FoleyError, match="already holds"):
        train_lm(data, tmp_path / "a", cfg, tokenizer=tiny_text_tokenizer(), log=lambda m: None)
    # a run stopped before its first checkpoint starts again
    train_lm(data, tmp_path / "c", cfg, tokenizer=tiny_text_tokenizer(), stop_after=0, log=lambda m: None)
    assert (tmp_path / "c" / "init").is_dir() and not (tmp_path / "c" / "checkpoint").exists()
    lines = []
    again = train_lm(data, tmp_path / "c", cfg, tokenizer=tiny_text_tokenizer(), log=lines.append).trainable_state_dict()
    assert any("stopped before its first checkpoint; starting it again" in line for line in lines)
    assert all(torch.equal(a[k], again[k]) for k in a)


def test_a_run_lengthened_inside_its_warm_up_is_the_longer_run_and_later_says_it_is_not(tmp_path):
    data, cfg = _data(), _cfg(steps=3, warmup_steps=4)
    train_lm(data, tmp_path / "a", cfg, tokenizer=tiny_text_tokenizer(), log=lambda m: None)
    said = []
    longer = train_lm(data, tmp_path / "a", replace(cfg, steps=5), resume=True, log=said.append).trainable_state_dict()
    straight = train_lm(data, tmp_path / "b", replace(cfg, steps=5), tokenizer=tiny_text_tokenizer(),
                        log=lambda m: None).trainable_state_dict()
    assert all(torch.equal(longer[k], straight[k]) for k in straight)
    assert not any("decays to step" in line for line in said)
    said = []  # from step 5, past the warm-up: the decay of the steps taken changes
    train_lm(data, tmp_path / "a", replace(cfg, steps=6), resume=True, log=said.append)
    assert any("note: the learning rate now decays to step 6 instead of 5" in line for line in said)


def test_gradient_checkpointing_trains_the_same_weights(tmp_path):
    data = _data()
    models = [train_lm(data, tmp_path / str(flag), _cfg(steps=3, gradient_checkpointing=flag),
                       tokenizer=tiny_text_tokenizer(), log=lambda m: None) for flag in (False, True)]
    assert [m.lm.get_base_model().is_activation_checkpointing for m in models] == [False, True]
    runs = [m.trainable_state_dict() for m in models]
    assert runs[0].keys() == runs[1].keys()
    assert all(torch.allclose(runs[0][k], runs[1][k], atol=1e-6) for k in runs[0])


def test_loss_is_on_the_audio_tokens_only():
    torch.manual_seed(0)
    from foley.models.token_lm import build_token_lm

    model = build_token_lm(tiny_lm_config(), tokenizer=tiny_text_tokenizer()).eval()
    data = _data()
    batch = data.batch([0, 1], use_video=True)
    embeds, mask, positions, labels = model.build_inputs(batch["frames"], batch["frame_counts"], batch["captions"],
                                                         batch["units"], batch["unit_counts"])
    for row, n in zip(labels, batch["unit_counts"].tolist()):
        kept = row[row != -100]
        assert len(kept) == n + 1 and kept[-1] == model.eos_id
        assert ((kept[:-1] >= model.first_audio_id) & (kept[:-1] < model.first_audio_id + N_UNITS)).all()
    loss, logits = model(**batch)
    logp = torch.log_softmax(logits.float(), -1)
    # logits[:, k] predicts the k-th of the last T_max + 1 positions; row i's n + 1 targets are its last ones
    picked = [logp[i, k, labels[i, k - logits.shape[1]]] for i, n in enumerate(batch["unit_counts"].tolist())
              for k in range(logits.shape[1] - n - 1, logits.shape[1])]
    assert torch.allclose(loss, -torch.stack(picked).mean(), atol=1e-5)


def _write_caches(root: Path, data: LMData) -> dict:
    """A manifest, a frame cache and a unit cache in the on-disk formats of foley extract/tokenize."""
    (root / "features" / "features").mkdir(parents=True)
    (root / "units" / "tokens").mkdir(parents=True)
    (root / "features" / "cache.json").write_text(json.dumps({"format": CACHE_FORMAT, "dim": FRAME_DIM, "fps": 21.5}))
    lines = []
    for clip_id, caption, frames, units in zip(data.ids, data.captions, data.frames, data.units):
        save_file({"features": frames.half()}, str(root / "features" / "features" / f"{clip_id}.safetensors"))
        np.save(root / "units" / "tokens" / f"{clip_id}.npy", units.numpy().astype(np.int16))
        lines.append(json.dumps({"id": clip_id, "video": f"{clip_id}.mp4", "caption": caption}))
    (root / "train.jsonl").write_text("\n".join(lines) + "\n")
    recipe = _cfg(lm=replace(_cfg().lm, lora=LoraSettings(r=4, alpha=8, dropout=0.0, target_modules=("q_proj",))),
                  steps=2, checkpoint_every=2)
    (root / "recipe.json").write_text(json.dumps(recipe.to_dict()))
    return {"manifest": str(root / "train.jsonl"), "features": str(root / "features"), "units": str(root / "units"),
            "recipe": str(root / "recipe.json")}


def _cli_args(paths: dict, out: Path) -> list[str]:
    return ["train", "lm", "--config", paths["recipe"], "--manifest", paths["manifest"], "--features",
            paths["features"], "--units", paths["units"], "--out", str(out)]


def test_a_stopped_run_says_which_checkpoint_it_keeps_and_how_to_go_on(tmp_path, capsys, monkeypatch):
    import foley.training.lm as lm_training
    from stopped_runs import check_stops_name_the_checkpoint

    paths = _write_caches(tmp_path, _data())
    run = tmp_path / "run"
    args = [*_cli_args(paths, run), "--steps", "6", "--checkpoint-every", "2"]
    check_stops_name_the_checkpoint(lm_training, "_step_indices", args, run, "lm", monkeypatch, capsys)


def test_a_run_stopped_before_its_first_step_says_the_state_it_leaves(tmp_path, capsys, monkeypatch):
    """Ctrl-C while the caches are read, or while the model and its checkpoint load: a new run has no
    checkpoint yet, a resumed one keeps the one it was to go on from."""
    import foley.training.lm as lm_training

    paths = _write_caches(tmp_path, _data())
    run = tmp_path / "run"

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    checkpoint = f"the checkpoint of step 2 is in {run / 'checkpoint'}; continue with the same command"
    for name, args, said in (("load_lm_data", [], "no checkpoint yet; run the same command again to start over"),
                             ("build_token_lm", [], "no checkpoint yet; run the same command again to start over"),
                             ("load_lm_data", ["--resume", "--steps", "3"], checkpoint),
                             ("load_checkpoint_file", ["--resume", "--steps", "3"], checkpoint)):
        if args and not (run / "lm").is_dir():
            assert main(_cli_args(paths, run)) == 0  # a finished 2-step run to go on from
            capsys.readouterr()
        with monkeypatch.context() as m:
            m.setattr(lm_training, name, ctrl_c)
            assert main([*_cli_args(paths, run), *args]) == 130
        assert capsys.readouterr().err.splitlines()[-1] == f"foley: interrupted before the first step of this run: {said}"
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == 2


def test_two_process_ddp_run_matches_one_process(tmp_path):
    """accelerate launch, 2 CPU processes (gloo), global batch 2 = 1 per process; the same steps
    in one process give the same weights (equal-length clips, no dropout)."""
    data = _data(n_units=(8,) * 5)
    paths = _write_caches(tmp_path, data)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    # --multi_gpu picks torchrun; on a machine without CUDA, Accelerator(cpu=True) joins a gloo group.
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "foley", *_cli_args(paths, tmp_path / "ddp")]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((tmp_path / "ddp" / "checkpoint" / "state.json").read_text())["processes"] == 2
    assert main(_cli_args(paths, tmp_path / "one")) == 0
    ddp = load_file(str(tmp_path / "ddp" / "lm" / "trainable.safetensors"))
    one = load_file(str(tmp_path / "one" / "lm" / "trainable.safetensors"))
    start = load_file(str(tmp_path / "one" / "init" / "trainable.safetensors"))
    assert ddp.keys() == one.keys()
    assert all(torch.allclose(ddp[k], one[k], atol=1e-5) for k in ddp)
    assert not all(torch.equal(one[k], start[k]) for k in one)


def test_cli_errors_are_one_line(tmp_path, capsys):
    data = _data()
    paths = _write_caches(tmp_path, data)
    # resumed without --config: the run's own, with the settings given
    assert main(_cli_args(paths, tmp_path / "run")) == 0
    resumed = [a for a in _cli_args(paths, tmp_path / "run") if a not in ("--config", paths["recipe"])]
    assert main([*resumed, "--resume", "--steps", "3"]) == 0
    assert json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())["step"] == 3
    capsys.readouterr()
    assert main([*resumed, "--resume", "--steps", "4", "--batch-size", "4"]) == 2
    said = capsys.readouterr()
    assert "(batch_size 2 in the run, 4 given)" in said.err and "training the token LM" not in said.out  # refused first
    assert main([*resumed, "--resume", "--steps", "4", "--checkpoint-every", "1"]) == 0  # how often it is saved may change
    assert main([*resumed, "--resume", "--steps", "5", "--gradient-checkpointing"]) == 0  # and the memory it takes
    assert json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())["config"]["gradient_checkpointing"]
    assert main([*resumed, "--resume", "--steps", "6", "--no-gradient-checkpointing"]) == 0
    capsys.readouterr()
    assert main(["train", "lm", *_cli_args(paths, tmp_path / "none")[4:], "--resume"]) == 2  # nothing to resume, said as such
    assert capsys.readouterr().err.strip().endswith("none: no checkpoint to resume from; run without --resume to start")
    for bad in ({"unit_dropout": 1.5}, {"change_weight": 0.0}, {"warmup_steps": -5}):
        with pytest.raises(FoleyError, match="must be"):
            _cfg(**bad)
    info = Path(paths["features"]) / "cache.json"
    info.write_text(info.read_text().replace('"fps": 21.5', '"fps": 10.0'))
    assert main(_cli_args(paths, tmp_path / "run4")) == 2  # frames at another rate than the LM places them
    assert "features are at 10 frames a second but the LM places its frames at 21.5 (video_fps)" in capsys.readouterr().err
    info.write_text(info.read_text().replace('"fps": 10.0', '"fps": 21.5'))
    (tmp_path / "binary.json").write_bytes(b"\x00\x8a\xff")
    assert main([*_cli_args(paths, tmp_path / "run3")[:2], "--config", str(tmp_path / "binary.json"),
                 *_cli_args(paths, tmp_path / "run3")[4:]]) == 2
    assert "binary.json: not an LM training config (" in capsys.readouterr().err
    lm = json.loads(Path(paths["recipe"]).read_text())["lm"]  # each config's fault said with the file's name
    for config, said in (([1], 'not an LM training config (a JSON object with the LM\'s settings under "lm"'),
                         ({"lm": {**lm, "format": "x"}}, 'not a foley token LM config (expected "format"'),
                         ({"lm": {**lm, "lora": {"rank": 4}}},
                          "not an LM training config (LoraSettings.__init__() got an unexpected keyword argument 'rank')"),
                         ({"lm": lm, "steps": 0}, "steps, batch_size and checkpoint_every must be >= 1")):
        (tmp_path / "odd.json").write_text(json.dumps(config))
        assert main([*_cli_args(paths, tmp_path / "run3")[:2], "--config", str(tmp_path / "odd.json"),
                     *_cli_args(paths, tmp_path / "run3")[4:]]) == 2
        assert f"{tmp_path / 'odd.json'}: " + said in capsys.readouterr().err
    assert main([*_cli_args(paths, tmp_path / "run3")[:2], "--config", str(tmp_path / "none.json"),
                 *_cli_args(paths, tmp_path / "run3")[4:]]) == 2
    assert capsys.readouterr().err == f"foley: error: {tmp_path / 'none.json'}: no such file\n"
    (tmp_path / "other" / "lm").mkdir(parents=True)  # a folder of other files is no run's
    (tmp_path / "other" / "lm" / "notes.txt").write_text("keep")
    assert main(_cli_args(paths, tmp_path / "other")) == 2
    assert "other holds other files (lm) and no run; give a new or empty folder" in capsys.readouterr().err
    assert (tmp_path / "other" / "lm" / "notes.txt").read_text() == "keep"
    assert main([*_cli_args(paths, tmp_path / "short"), "--steps", "1"]) == 0  # shorter than its 2-step warm-up
    assert ("note: the run ends inside its 2-step warm-up: the learning rate rises to 0.005 of 0.01 and never "
            "decays") in capsys.readouterr().out
    (tmp_path / "units" / "tokens" / "clip3.npy").unlink()
    assert main(_cli_args(paths, tmp_path / "run2")) == 2
    assert "no cached unit ids for clip 'clip3'; run `foley tokenize --manifest` first" in capsys.readouterr().err
    # one the tokenize run could not read: why, from its failed.jsonl
    (tmp_path / "units" / "failed.jsonl").write_text(json.dumps({"id": "clip3", "error": "c3.wav: the file is empty"}))
    assert main(_cli_args(paths, tmp_path / "run2")) == 2
    assert ("no cached unit ids for clip 'clip3': `foley tokenize` could not read it (c3.wav: the file is empty); fix "
            "that and run it again, or leave the clip out of the manifest") in capsys.readouterr().err
    with pytest.raises(FoleyError, match="12-unit vocabulary"):
        np.save(tmp_path / "units" / "tokens" / "clip3.npy", np.array([3, 12], np.int16))
        load_lm_data(paths["manifest"], paths["features"], paths["units"], N_UNITS)


def test_a_cache_made_for_another_manifest_is_said_with_how_many_clips_it_lacks(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    other = str(tmp_path / "other" / "train.jsonl")  # the manifest the token cache was made for: two of the clips
    for clip_id in ("clip1", "clip2", "clip4"):
        (tmp_path / "units" / "tokens" / f"{clip_id}.npy").unlink()
    (tmp_path / "units" / "cache.json").write_text(json.dumps({"format": "foley-token-cache", "n_units": N_UNITS,
                                                               "manifests": [other]}))
    assert main(_cli_args(paths, tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err == (f"foley: error: {paths['units']}: no cached unit ids for 3 of the 5 clips of {paths['manifest']} "
                   f"(e.g. 'clip1'): the cache was made for {other}; give the cache of this manifest, or run `foley "
                   f"tokenize --manifest {paths['manifest']} --model M --out {paths['units']}` (M: the cache's "
                   "tokenizer) to cache them\n")
    features = Path(paths["features"]) / "cache.json"  # the frame cache, likewise
    features.write_text(json.dumps({**json.loads(features.read_text()), "manifests": [other]}))
    (tmp_path / "features" / "features" / "clip0.safetensors").unlink()
    assert main(_cli_args(paths, tmp_path / "run")) == 2
    assert capsys.readouterr().err.startswith(f"foley: error: {paths['features']}: no cached features for 1 of the 5 "
                                              f"clips of {paths['manifest']} (e.g. 'clip0'): the cache was made for "
                                              f"{other}; give the cache of this manifest, or run `foley extract")
    # a cache made for this manifest too names the clip it lacks, as one without a record of its manifests does
    for cache in (features, tmp_path / "units" / "cache.json"):
        cache.write_text(json.dumps({**json.loads(cache.read_text()), "manifests": [other, paths["manifest"]]}))
    assert main(_cli_args(paths, tmp_path / "run")) == 2
    assert "no cached features for clip 'clip0'; run `foley extract` first" in capsys.readouterr().err
    swapped = {**paths, "units": paths["features"]}  # the frame cache given as the unit cache
    assert main(_cli_args(swapped, tmp_path / "run")) == 2
    assert capsys.readouterr().err == (f"foley: error: {paths['features']}: not a unit id cache (its cache.json is of "
                                       f"'{CACHE_FORMAT}'); give --units the folder `foley tokenize --manifest` wrote\n")


def test_nothing_to_resume_is_said_before_the_caches_are_read(tmp_path, capsys):
    assert main(["train", "lm", "--config", str(ROOT / "train" / "lm_demo.json"), "--manifest", str(tmp_path / "m.jsonl"),
                 "--features", str(tmp_path / "no_features"), "--units", str(tmp_path / "no_units"),
                 "--out", str(tmp_path / "run"), "--resume"]) == 2
    assert capsys.readouterr().err == (f"foley: error: {tmp_path / 'run'}: no checkpoint to resume from; run without "
                                       "--resume to start\n")


def test_the_cli_records_the_training_and_refuses_odd_configs_and_manifests_in_one_line(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    assert main(_cli_args(paths, tmp_path / "run")) == 0
    record = json.loads((tmp_path / "run" / "lm" / "training.json").read_text())  # what RUN/lm was trained from
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    assert record["config"] == state["config"] and record["clips"] == state["clips"]
    assert (record["manifest"], record["units"]) == (paths["manifest"], paths["units"])
    capsys.readouterr()
    resumed = [a for a in _cli_args(paths, tmp_path / "run") if a not in ("--config", paths["recipe"])]
    assert main([*resumed, "--resume", "--steps", "3"]) == 0  # longer, from inside the warm-up: no rate taken changes
    assert "note: the learning rate now decays" not in capsys.readouterr().out
    recipe = json.loads(Path(paths["recipe"]).read_text())
    for change, said in (({"steps": 2.5}, "steps must be a whole number, got 2.5"),
                         ({"seed": 1.5}, "seed must be a whole number, got 1.5"),
                         ({"seed": 2**70}, f"seed must be between 0 and 4294967295, got {2**70}"),
                         ({"seed": -1}, "seed must be between 0 and 4294967295, got -1"),
                         ({"warmup_steps": 1.5}, "warmup_steps must be a whole number, got 1.5"),
                         ({"lr": "1e-3"}, "lr must be a number, got '1e-3'"),
                         ({"lm": {**recipe["lm"], "video_fps": "21.5"}}, "video_fps and token_rate_hz must be positive"),
                         ({"lm": {**recipe["lm"], "gemma": {**recipe["lm"]["gemma"], "hidden_size": "x"}}},
                          "gemma: not a Gemma-2 config (Validation error for field 'hidden_size'"),
                         ({"lm": {**recipe["lm"], "gemma": {**recipe["lm"]["gemma"], "hidden_sise": 32}}},
                          "gemma: unknown Gemma-2 config fields: ['hidden_sise']"),  # would be ignored: a typo
                         ({"lm": {**recipe["lm"], "lora": {**recipe["lm"]["lora"], "r": 4.5}}},
                          "LoRA r must be a whole number and alpha and dropout numbers, got 4.5"),
                         ({"lm": {**recipe["lm"], "lora": {**recipe["lm"]["lora"], "target_modules": "q_proj"}}},
                          "LoRA target_modules must be a list of module names, got 'q_proj'"),
                         ({"lm": {**recipe["lm"], "connector": {**recipe["lm"]["connector"], "frame_dim": "8"}}},
                          "connector frame_dim must be a whole number, got '8'"),
                         ({"lm": {**recipe["lm"], "use_video": "no"}}, "use_video must be true or false, got 'no'"),
                         ({"gradient_checkpointing": "no"}, "gradient_checkpointing must be true or false, got 'no'")):
        (tmp_path / "odd.json").write_text(json.dumps({**recipe, **change}))
        args = _cli_args(paths, tmp_path / "odd")
        assert main([*args[:2], "--config", str(tmp_path / "odd.json"), *args[4:]]) == 2, change
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    with open(paths["manifest"], "a") as f:  # a clip listed twice would be drawn twice as often
        f.write(Path(paths["manifest"]).read_text().splitlines()[0] + "\n")
    assert main(_cli_args(paths, tmp_path / "twice")) == 2
    assert "train.jsonl: clip id 'clip0' appears twice in the manifest" in capsys.readouterr().err
    for inside, option in ((Path(paths["units"]) / "run", "--units"), (Path(paths["features"]) / "run", "--features")):
        assert main(_cli_args(paths, inside)) == 2  # a run among its caches' files
        assert f"is or shares a folder with {option}" in capsys.readouterr().err and not inside.exists()


def test_the_record_of_the_training_names_its_inputs_by_absolute_paths(tmp_path, capsys, monkeypatch):
    paths = _write_caches(tmp_path, _data())
    monkeypatch.chdir(tmp_path)
    assert main(["train", "lm", "--config", "recipe.json", "--manifest", "train.jsonl", "--features", "features",
                 "--units", "units", "--out", "run"]) == 0
    record = json.loads((tmp_path / "run" / "lm" / "training.json").read_text())
    assert [record[k] for k in ("manifest", "features", "units")] == [paths[k] for k in ("manifest", "features", "units")]
    record.update(manifest="train.jsonl", features="features", units="units")  # as runs before this recorded them
    (tmp_path / "run" / "lm" / "training.json").write_text(json.dumps(record))
    monkeypatch.chdir(tmp_path / "run")
    assert TokenLM.from_pretrained("lm").config.n_units == N_UNITS


def test_a_folder_of_other_files_holding_a_runs_parts_is_no_run_folder(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    assert main(_cli_args(paths, tmp_path / "run")) == 0
    model = tmp_path / "model"  # a model folder with a copy of a run's init/ and lm/
    for part in ("init", "lm"):
        shutil.copytree(tmp_path / "run" / part, model / part)
    (model / "pipeline.json").write_text("{}")
    capsys.readouterr()
    assert main(_cli_args(paths, model)) == 2
    assert capsys.readouterr().err == (f"foley: error: {model} holds other files than a run's (pipeline.json); give a "
                                       "new or empty folder\n")
    assert sorted(p.name for p in model.iterdir()) == ["init", "lm", "pipeline.json"]


def test_the_lm_records_the_unit_tokenizer_of_its_units(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    record = Path(paths["units"]) / "cache.json"  # as foley tokenize --manifest writes it
    record.write_text(json.dumps({"format": "foley-token-cache", "tokenizer_fingerprint": "a" * 64, "n_units": N_UNITS}))
    args = _cli_args(paths, tmp_path / "run")
    assert main(args) == 0
    assert TokenLM.from_pretrained(tmp_path / "run" / "lm").tokenizer_fingerprint == "a" * 64
    with pytest.raises(FoleyError, match=re.escape(f"{tmp_path / 'run'}: not a token LM directory (no config.json); a "
                                                   f"training run's folder: give {tmp_path / 'run' / 'lm'}")):
        TokenLM.from_pretrained(tmp_path / "run")  # the run's folder, not its LM
    record.write_text(json.dumps({"format": "foley-token-cache", "tokenizer_fingerprint": "b" * 64, "n_units": N_UNITS}))
    assert main([*args, "--resume", "--steps", "3"]) == 2
    assert "learned the units of another unit tokenizer than these" in capsys.readouterr().err
    # a run on a cache without the record (written before it was kept) leaves the LM without one
    record.unlink()
    assert main(_cli_args(paths, tmp_path / "plain")) == 0
    assert not (tmp_path / "plain" / "lm" / "units.json").exists()
    assert TokenLM.from_pretrained(tmp_path / "plain" / "lm").tokenizer_fingerprint is None


def test_a_resumed_run_refuses_the_features_of_another_frame_encoder(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    record = Path(paths["features"]) / "cache.json"  # as foley extract writes it
    info = json.loads(record.read_text())
    record.write_text(json.dumps({**info, "encoder_fingerprint": "a" * 64}))
    args = _cli_args(paths, tmp_path / "run")
    assert main(args) == 0
    record.write_text(json.dumps({**info, "encoder_fingerprint": "b" * 64}))  # the same width and rate, another encoder
    assert main([*args, "--resume", "--steps", "3"]) == 2
    assert "learned the features of another frame encoder than these" in capsys.readouterr().err
    record.write_text(json.dumps({**info, "encoder_fingerprint": "a" * 64}))
    assert main([*args, "--resume", "--steps", "3"]) == 0


def test_a_clip_whose_file_changed_after_it_was_cached_is_refused_in_one_line(tmp_path, capsys):
    """Each cache records the SHA-256 of the file it read; a file at hand that differs is refused."""
    from foley.media.files import sha256_file

    data = _data()
    paths = _write_caches(tmp_path, data)
    for clip_id, frames in zip(data.ids, data.frames):  # the clips' videos, and the caches' records of them
        video = tmp_path / f"{clip_id}.mp4"
        video.write_bytes(clip_id.encode())
        save_file({"features": frames.half()}, str(tmp_path / "features" / "features" / f"{clip_id}.safetensors"),
                  metadata={"fps": "21.5", "source_sha256": sha256_file(video)})
        (tmp_path / "units" / "tokens" / f"{clip_id}.source").write_text(sha256_file(video) + "\n")
    assert main(_cli_args(paths, tmp_path / "run")) == 0
    capsys.readouterr()
    (tmp_path / "clip2.mp4").write_bytes(b"another take")
    for stale, said in (("features", f"clip2.mp4: clip 'clip2' changed after its features were cached; run `foley "
                                     f"extract {paths['manifest']} --model M --out {paths['features']}`"),
                        ("units", f"clip2.mp4: clip 'clip2' changed after its unit ids were cached; run `foley "
                                  f"tokenize --manifest {paths['manifest']} --model M --out {paths['units']}`")):
        assert main(_cli_args(paths, tmp_path / f"run_{stale}")) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1 and not (tmp_path / f"run_{stale}").exists(), err
        features = tmp_path / "features" / "features" / "clip2.safetensors"  # foley extract made again: the units remain
        save_file(load_file(str(features)), str(features), metadata={"fps": "21.5", "source_sha256": sha256_file(
            tmp_path / "clip2.mp4")})
    (tmp_path / "clip2.mp4").unlink()  # caches copied without their media: nothing to compare, trained on
    assert main(_cli_args(paths, tmp_path / "away")) == 0


def test_damaged_checkpoints_and_another_commands_run_are_one_line(tmp_path, capsys):
    paths = _write_caches(tmp_path, _data())
    assert main(_cli_args(paths, tmp_path / "run")) == 0
    capsys.readouterr()
    for name in ("state.json", "trainable.safetensors", "optimizer.pt", "scheduler.pt"):
        copy = tmp_path / f"cut_{name}"
        shutil.copytree(tmp_path / "run", copy)
        cut = copy / "checkpoint" / name  # a copy of the run cut short
        cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 2])
        assert main([*_cli_args(paths, copy), "--resume", "--steps", "3"]) == 2
        err = capsys.readouterr().err
        assert f"{cut}: not a readable checkpoint" in err and len(err.strip().splitlines()) == 1, err
    adapter_run = tmp_path / "adapter_run" / "checkpoint"  # what foley train adapter leaves
    adapter_run.mkdir(parents=True)
    (adapter_run / "state.json").write_text(json.dumps({"step": 2, "processes": 1, "config": {"adapter": {}, "steps": 2}}))
    for resume in ([], ["--resume"]):
        assert main([*_cli_args(paths, tmp_path / "adapter_run"), *resume]) == 2
        err = capsys.readouterr().err
        assert "adapter_run: holds another kind of training run than `foley train lm` makes; give another --out" in err
        assert len(err.strip().splitlines()) == 1, err
    record = Path(paths["features"]) / "cache.json"
    record.write_text(record.read_text()[:20])  # cut short
    assert main(_cli_args(paths, tmp_path / "run2")) == 2
    assert "cache.json: not a readable cache record" in capsys.readouterr().err


# ------------------------------------------------------------------------- FSDP ----
FSDP_CONFIG = ROOT / "train" / "accelerate_lm_fsdp.yaml"


def _fsdp_launch_env() -> dict[str, str]:
    """The environment that `accelerate launch --config_file train/accelerate_lm_fsdp.yaml` gives its processes."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    args, _, _ = _validate_launch_command(launch_command_parser().parse_args(["--config_file", str(FSDP_CONFIG), "x"]))
    return prepare_multi_gpu_env(args)


def test_fsdp_config_shards_each_gemma_decoder_layer(monkeypatch):
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin
    from accelerate.utils.fsdp_utils import fsdp2_prepare_auto_wrap_policy
    from transformers.models.gemma2.modeling_gemma2 import Gemma2DecoderLayer

    config = load_config_from_file(str(FSDP_CONFIG))
    assert (config.distributed_type, config.num_processes, config.mixed_precision) == (DistributedType.FSDP, 8, "bf16")
    env = _fsdp_launch_env()
    assert (env["ACCELERATE_USE_FSDP"], env["FSDP_VERSION"], env["FSDP_RESHARD_AFTER_FORWARD"],
            env["FSDP_ACTIVATION_CHECKPOINTING"]) == ("true", "2", "true", "false")
    for key, value in env.items():
        if key.startswith("FSDP_"):
            monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    model = tiny_lm()
    plugin.set_auto_wrap_policy(model)
    policy = fsdp2_prepare_auto_wrap_policy(plugin, model)
    assert [type(m) for m in model.modules() if policy(m)] == [Gemma2DecoderLayer] * TINY_GEMMA["num_hidden_layers"]


def _fsdp_run(out: str | os.PathLike, shard: bool) -> None:
    """3 steps, a checkpoint through the loop's gather helpers, a restart from it, 2 more steps.
    ``shard``: one process of a torchrun group, the model sharded by accelerate's FSDP2 code
    with train/accelerate_lm_fsdp.yaml (fp32 here). Rank 0 writes OUT/step3 and OUT/final."""
    import torch.distributed as dist
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.fsdp_utils import fsdp2_prepare_model
    from torch.distributed.tensor import DTensor

    from foley.models.token_lm import build_token_lm
    from foley.training.lm import _shard_optimizer_state, _step_indices, _whole_optimizer_state

    out = Path(out)
    torch.set_num_threads(1)
    if shard:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if shard else (0, 1)
    data, cfg = _data(n_units=(8,) * 5), _cfg(lm=tiny_lm_config(), batch_size=4, grad_clip=0.05)
    if shard:
        os.environ.update({k: v for k, v in _fsdp_launch_env().items() if k.startswith("FSDP_")})
        # accelerate 1.15 enables FSDP only with GPUs; its FSDP2 wrapping itself runs on CPU (gloo)
        accelerator = SimpleNamespace(state=SimpleNamespace(fsdp_plugin=FullyShardedDataParallelPlugin()),
                                      mixed_precision="no", is_main_process=rank == 0)

    def model_and_optimizer(weights=None):
        torch.manual_seed(cfg.seed)
        model = build_token_lm(cfg.lm, tokenizer=tiny_text_tokenizer())
        if weights is not None:
            model.load_trainable_state_dict(weights)
        if shard:
            model = fsdp2_prepare_model(accelerator, model)
        return model.train(), torch.optim.AdamW(model.trainable_parameters(), lr=cfg.lr)

    def train(model, optimizer, steps):
        per_rank = cfg.batch_size // world
        for step in steps:
            idx = _step_indices(cfg.seed, step, len(data.ids), cfg.batch_size)[rank * per_rank:(rank + 1) * per_rank]
            loss, _ = model(**data.batch(idx, True))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), cfg.grad_clip)  # what accelerate calls
            optimizer.step()
            optimizer.zero_grad()

    model, optimizer = model_and_optimizer()
    params = model.trainable_parameters()
    if shard:
        assert all(isinstance(p, DTensor) for p in params)
        assert sum(p.to_local().numel() for p in params) < sum(p.numel() for p in params)  # really sharded
    train(model, optimizer, range(3))
    weights, optimizer_state = model.trainable_state_dict(), _whole_optimizer_state(optimizer)  # every process
    if rank == 0:
        (out / "step3").mkdir(parents=True)
        save_file(weights, str(out / "step3" / "trainable.safetensors"))
        torch.save(optimizer_state, out / "step3" / "optimizer.pt")
    if shard:
        dist.barrier()
    model, optimizer = model_and_optimizer(load_file(str(out / "step3" / "trainable.safetensors")))
    optimizer.load_state_dict(_shard_optimizer_state(torch.load(out / "step3" / "optimizer.pt", weights_only=True),
                                                     optimizer))
    train(model, optimizer, range(3, 5))
    weights = model.trainable_state_dict()
    if rank == 0:
        save_file(weights, str(out / "final.safetensors"))
    if shard:
        dist.barrier()  # both ranks tear gloo down together: a rank that left early could abort the other's teardown
        dist.destroy_process_group()


def test_fsdp2_two_process_checkpoints_match_one_process(tmp_path):
    """torchrun, 2 CPU processes (gloo), the model sharded as the FSDP config shards it: the
    gathered weights and optimizer state, and the weights after a restart from them, are
    those of one unsharded process (equal-length clips, no dropout)."""
    worker = tmp_path / "worker.py"
    worker.write_text("import sys\nimport test_train_lm\ntest_train_lm._fsdp_run(sys.argv[1], shard=True)\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(Path(__file__).parent)])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(worker),
           str(tmp_path / "fsdp")]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    _fsdp_run(tmp_path / "one", shard=False)
    for name in ("step3/trainable.safetensors", "final.safetensors"):
        fsdp, one = load_file(str(tmp_path / "fsdp" / name)), load_file(str(tmp_path / "one" / name))
        assert list(fsdp) == list(one)
        assert all(torch.allclose(fsdp[k], one[k], atol=1e-5) for k in one), name
    start = tiny_lm(seed=_cfg().seed).trainable_state_dict()
    assert not all(torch.equal(one[k], start[k]) for k in one)  # training changed the weights
    opt_fsdp, opt_one = (torch.load(tmp_path / run / "step3" / "optimizer.pt", weights_only=True)
                         for run in ("fsdp", "one"))
    assert opt_fsdp["param_groups"] == opt_one["param_groups"] and opt_fsdp["state"].keys() == opt_one["state"].keys()
    for i, state in opt_one["state"].items():
        assert state.keys() == opt_fsdp["state"][i].keys()
        assert all(torch.allclose(opt_fsdp["state"][i][k], v, atol=1e-6) for k, v in state.items())
    model = tiny_lm()
    model.load_trainable_state_dict(fsdp)  # the gathered checkpoint loads into an unsharded model
    assert all(torch.equal(v, fsdp[k]) for k, v in model.trainable_state_dict().items())


def test_bf16_training_keeps_the_base_in_bf16_and_the_trainable_weights_in_fp32(tmp_path, monkeypatch,
                                                                                 fresh_accelerate_state):
    """Everything runs on accelerator.device; the frozen Gemma computes in bf16, connector, LoRA and new rows
    (and their optimizer state) stay fp32."""
    import accelerate

    made, inputs, params = [], [], []

    class Recording(accelerate.Accelerator):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    def hook(module, args) -> None:
        inputs.extend(a for a in args if isinstance(a, torch.Tensor))
        params.extend(module.parameters(recurse=False))

    monkeypatch.setattr(accelerate, "Accelerator", Recording)
    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        model = train_lm(_data(), tmp_path / "run", _cfg(steps=2, precision="bf16"), tokenizer=tiny_text_tokenizer(),
                         log=lambda m: None)
    finally:
        handle.remove()
    device = made[-1].device
    assert made[-1].mixed_precision == "bf16"
    assert inputs and {t.device for t in inputs} == {device}
    trainable = {id(p) for p in model.trainable_parameters()}
    assert trainable and all(p.dtype == torch.float32 and p.device == device for p in model.trainable_parameters())
    frozen = [p for p in params if id(p) not in trainable]
    assert frozen and {p.dtype for p in frozen} == {torch.bfloat16} and {p.device for p in frozen} == {device}
    optimizer = torch.load(tmp_path / "run" / "checkpoint" / "optimizer.pt", weights_only=True)
    assert all(v.dtype == torch.float32 for s in optimizer["state"].values() for k, v in s.items() if k != "step")


def test_a_refusal_to_resume_names_each_changed_setting_with_both_values():
    assert config_difference({"lr": 0.1, "opt": {"beta": 0.9}, "seed": 0}, {"lr": 0.1, "opt": {"beta": 0.95}, "seed": 0,
                             "gradient_weight": 1.0}) == ("gradient_weight not set in the run, 1.0 given; "
                                                           "opt.beta 0.9 in the run, 0.95 given")
    assert config_difference({"clip": None}, {}) == "clip None in the run, not set given"


def test_a_clip_whose_video_and_audio_lengths_differ_is_refused_in_one_line(tmp_path, capsys):
    """Frames at 21.5 Hz and units at 50 Hz of one clip span one length (up to 0.25 s apart)."""
    data = _data()
    data.units[3] = torch.cat([data.units[3]] * 6)  # 0.48 s of units to 0.14 s of frames
    paths = _write_caches(tmp_path, data)
    assert main(_cli_args(paths, tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("foley: error: clip 'clip3': its frames span 0.14 s but its units 0.48 s, more than 0.25 s "
                           "apart; cut its video and audio to one length or leave it out of the manifest"), err
    assert not (tmp_path / "run").exists()
    assert main([*_cli_args(paths, tmp_path / "text"), "--no-video"]) == 0  # the caption-only ablation reads no frames
    data.units[1] = data.units[1][:1]  # 0.02 s of units to 0.19 s of frames: within the tolerance
    data.units[4] = torch.cat([data.units[4]] * 4)
    with pytest.raises(FoleyError, match=r"^clip 'clip3': .* manifest \(2 clips in all: clip3, clip4\)$"):
        data.check_lengths(21.5, 50.0)
