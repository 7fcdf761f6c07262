"""Adapter training: cache, frozen backbone, exact resume, several processes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from foley.datasets.synthsync import SynthConfig, generate
from foley.errors import FoleyError
from foley.models.backbone import build_backbone
from foley.models.hubert_features import HubertFeaturesConfig, build_hubert_features
from foley.models.unit_tokenizer import UnitTokenizer
from foley.models.visual_adapter import VisualAdapter, VisualAdapterConfig
from foley.training.adapter import (
    CACHE_FILE,
    AdapterTrainConfig,
    build_adapter_cache,
    load_adapter_cache,
    run_config,
    train_adapter,
    visual_features,
)

from auffusion_models import TINY, tiny_backbone, tiny_tokenizer
from conftest import lavfi_video

HUBERT = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
              conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
K = 10


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    generate(root / "synth", n_train=4, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    torch.manual_seed(0)
    tokenizer = UnitTokenizer(build_hubert_features(HubertFeaturesConfig(hubert=HUBERT, layer=1)), torch.randn(K, 16))
    backbone = tiny_backbone(root)
    build_adapter_cache(backbone, tokenizer, root / "synth", "train", root)
    return root, backbone, tokenizer


def _cfg(**kw) -> AdapterTrainConfig:
    settings = dict(adapter=VisualAdapterConfig(visual_dim=16), steps=4, batch_size=2, lr=1e-3, checkpoint_every=2)
    return AdapterTrainConfig(**{**settings, **kw})


def test_cache_holds_latents_text_ids_and_centroids(setup):
    root, backbone, tokenizer = setup
    cache = load_adapter_cache(root / CACHE_FILE)
    h, w = backbone.latent_size
    assert cache["latents"].shape == (4, 4, h, w)
    assert cache["text"].shape == (4, backbone.text.max_length, backbone.text.dim)
    assert cache["ids"].shape == (4, backbone.image_tokens) and cache["ids"].min() >= 0 and cache["ids"].max() < K
    assert torch.equal(cache["centroids"], tokenizer.centroids(torch.arange(K)))
    ids = torch.tensor([[3, -1]])
    feats = visual_features(ids, cache["centroids"])
    assert torch.equal(feats[0, 0], cache["centroids"][3]) and (feats[0, 1] == 0).all()


def test_training_changes_only_the_adapter_and_resumes_exactly(setup, tmp_path):
    root, backbone, _ = setup
    frozen = {k: v.clone() for k, v in backbone.unet.state_dict().items()}
    straight = train_adapter(backbone, root / CACHE_FILE, tmp_path / "a", _cfg(), log=lambda m: None)
    assert all(torch.equal(v, frozen[k]) for k, v in backbone.unet.state_dict().items())
    assert backbone.unet.attn_processors.keys() == {k for k in backbone.unet.attn_processors}
    assert not any(p.requires_grad for p in backbone.unet.parameters())
    modules = dict(backbone.unet.named_modules())
    for name in straight.names:  # visual K/V started as the text K/V (same width) and moved
        assert not torch.equal(straight.processor(name).to_k_vis.weight, modules[name[:-10]].to_k.weight)

    train_adapter(backbone, root / CACHE_FILE, tmp_path / "b", _cfg(), stop_after=2, log=lambda m: None)
    assert not (tmp_path / "b" / "adapter").exists()  # interrupted: no final adapter
    assert run_config(tmp_path / "b") == _cfg() and run_config(tmp_path / "none") is None  # a resume's defaults
    with pytest.raises(FoleyError, match=r"the run has reached step 2; --steps 1 would end it before that"):
        train_adapter(backbone, root / CACHE_FILE, tmp_path / "b", _cfg(steps=1), resume=True)
    said = []
    resumed = train_adapter(backbone, root / CACHE_FILE, tmp_path / "b", _cfg(), resume=True, log=said.append)
    assert said[0] == f"{tmp_path / 'b'}: continuing from step 2 of {_cfg().steps}"
    a, b = straight.adapter_state_dict(), resumed.adapter_state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    final = VisualAdapter.from_pretrained(tmp_path / "b" / "adapter").adapter_state_dict()
    assert all(torch.equal(final[k], b[k]) for k in b)
    initial = load_file(str(tmp_path / "b" / "checkpoint" / "adapter.safetensors"))
    assert all(torch.equal(initial[k], b[k]) for k in b)  # the last checkpoint is the final state
    with pytest.raises(FoleyError, match="another training config"):
        train_adapter(backbone, root / CACHE_FILE, tmp_path / "b", _cfg(lr=5e-4), resume=True)


def test_steps_are_said_as_the_lm_and_the_checkpoints_count_them(setup, tmp_path):
    root, backbone, _ = setup
    said = []
    train_adapter(backbone, root / CACHE_FILE, tmp_path / "a", _cfg(steps=26, checkpoint_every=25), log=said.append)
    assert [line.split(" loss ")[0] for line in said] == [f"adapter step {n}/26" for n in (1, 25, 26)]
    assert json.loads((tmp_path / "a" / "checkpoint" / "state.json").read_text())["step"] == 26


def test_a_run_in_the_finest_resolution_starts_from_an_adapter_trained_in_every_layer(setup, tmp_path):
    root, backbone, _ = setup
    every = train_adapter(backbone, root / CACHE_FILE, tmp_path / "every", _cfg(), log=lambda m: None)
    finest = _cfg(adapter=VisualAdapterConfig(visual_dim=16, resolutions=1), init=str(tmp_path / "every" / "adapter"))
    kept = train_adapter(backbone, root / CACHE_FILE, tmp_path / "kept", replace(finest, steps=0), log=lambda m: None)
    assert 0 < len(kept.names) < len(every.names)
    saved = VisualAdapter.from_pretrained(tmp_path / "kept" / "adapter")  # --steps 0: the weights alone, written
    assert saved.cfg.resolutions == 1 and saved.names == kept.names
    weights = every.adapter_state_dict()
    assert all(torch.equal(v, weights[k]) for k, v in saved.adapter_state_dict().items())
    tuned = train_adapter(backbone, root / CACHE_FILE, tmp_path / "tuned", finest, log=lambda m: None)
    assert any(not torch.equal(v, weights[k]) for k, v in tuned.adapter_state_dict().items())
    with pytest.raises(FoleyError, match="no weights for the layer"):  # an adapter of the finest layers only
        train_adapter(backbone, root / CACHE_FILE, tmp_path / "back", _cfg(init=str(tmp_path / "kept" / "adapter")))
    with pytest.raises(FoleyError, match="an adapter for 16-wide visual features"):
        train_adapter(backbone, root / CACHE_FILE, tmp_path / "wide",
                      _cfg(adapter=VisualAdapterConfig(visual_dim=16, temporal="none"), init=str(tmp_path / "every" / "adapter")))


def test_caption_dropout_trains_on_the_empty_caption(setup, tmp_path):
    from safetensors.torch import save_file

    from foley.training.adapter import _step_draws

    root, backbone, _ = setup
    cache = load_adapter_cache(root / CACHE_FILE)
    save_file({**cache, "text": torch.randn_like(cache["text"])}, str(tmp_path / "other.safetensors"))
    runs = [train_adapter(backbone, path, tmp_path / name, _cfg(caption_dropout=1.0), log=lambda m: None)
            .adapter_state_dict() for path, name in ((root / CACHE_FILE, "a"), (tmp_path / "other.safetensors", "b"))]
    assert all(torch.allclose(runs[0][k], runs[1][k], atol=1e-6) for k in runs[0])  # the captions were never seen
    kept = train_adapter(backbone, root / CACHE_FILE, tmp_path / "c", _cfg(), log=lambda m: None).adapter_state_dict()
    assert any(not torch.allclose(kept[k], runs[0][k], atol=1e-4) for k in kept)
    plain, dropping = _step_draws(0, 7, 4, 64, (2, 2), 10), _step_draws(0, 7, 4, 64, (2, 2), 10, 0.25)
    assert all(torch.equal(a, b) for a, b in zip(plain[:3], dropping[:3]))  # the other draws do not move
    assert not plain[3].any() and 5 <= int(dropping[3].sum()) <= 30
    with pytest.raises(FoleyError, match="caption dropout must be between 0 and 1"):
        _cfg(caption_dropout=1.5)


def test_an_adapter_on_a_zero_terminal_snr_backbone_learns_the_velocity(setup, tmp_path):
    root, epsilon_backbone, _ = setup
    torch.manual_seed(0)  # the same weights as the cached backbone's: its latents fit
    backbone = build_backbone(replace(TINY, zero_terminal_snr=True), tiny_tokenizer(tmp_path / "tok"))
    lines = []
    for model, run in ((epsilon_backbone, "eps"), (backbone, "v")):
        train_adapter(model, root / CACHE_FILE, tmp_path / run, _cfg(steps=1), log=lines.append)
    eps, v = (float(line.split()[-1]) for line in lines)
    # Same draws, same initial adapter: only the target differs (velocity, not noise).
    assert abs(eps - v) > 1e-3 and (tmp_path / "v" / "adapter").is_dir()


def test_a_resumed_run_keeps_its_own_settings_where_none_are_given(setup, tmp_path, capsys):
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--out", str(tmp_path / "run")]
    assert main([*args, "--steps", "1", "--batch-size", "2", "--lr", "1e-3", "--scale", "1.25"]) == 0
    assert main([*args, "--resume", "--steps", "2", "--checkpoint-every", "1"]) == 0  # how often it saves may change
    saved = run_config(tmp_path / "run")
    assert (saved.steps, saved.batch_size, saved.lr, saved.adapter.scale) == (2, 2, 1e-3, 1.25)
    assert main([*args, "--resume", "--lr", "1e-2", "--checkpoint-every", "3"]) == 2
    assert "another training config (lr 0.001 in the run, 0.01 given)\n" in capsys.readouterr().err  # that alone
    fresh = [*args[:-1], str(tmp_path / "new")]
    assert main([*fresh, "--resume"]) == 2  # nothing to resume: said before any caching
    assert "new: no checkpoint to resume from; run without --resume to start\n" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    assert main([*fresh, "--init", str(tmp_path / "missing")]) == 2  # refused before any caching
    assert "missing: not a visual adapter folder" in capsys.readouterr().err and not (tmp_path / "new").exists()


def test_nothing_to_resume_is_said_before_the_tokenizer_or_the_data_are_read(tmp_path, capsys):
    from foley.cli import main

    assert main(["train", "adapter", "--data", str(tmp_path / "data"), "--backbone", str(tmp_path / "backbone"),
                 "--tokenizer", str(tmp_path / "no_tokenizer"), "--out", str(tmp_path / "run"), "--resume"]) == 2
    assert capsys.readouterr().err == (f"foley: error: {tmp_path / 'run'}: no checkpoint to resume from; run without "
                                       "--resume to start\n")


def test_steps_0_without_an_adapter_to_start_from_is_refused_before_the_cache(setup, tmp_path, capsys):
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    run = tmp_path / "run"
    capsys.readouterr()
    assert main(["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
                 "--tokenizer", str(tmp_path / "tok"), "--out", str(run), "--steps", "0"]) == 2
    assert capsys.readouterr().err == ("foley: error: --steps 0 trains nothing: it writes the --init adapter's weights "
                                       "of this run's layers alone; give --init ADAPTER, or --steps 1 or more\n")
    assert not run.exists()


def test_steps_0_writes_the_init_adapters_weights_without_a_cache(setup, tmp_path, capsys, monkeypatch):
    """No step reads the cache: it was made (every recording read and encoded) for nothing."""
    import foley.training.adapter as adapter_training
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    every = train_adapter(backbone, root / CACHE_FILE, tmp_path / "every", _cfg(), log=lambda m: None)

    def read(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr(adapter_training, "load_clips", read)
    run = tmp_path / "run"
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--out", str(run), "--steps", "0", "--resolutions", "1",
            "--init", str(tmp_path / "every" / "adapter")]
    for _ in range(2):  # and again in the same folder
        assert main(args) == 0
        assert capsys.readouterr().out == f"adapter written to {run / 'adapter'}\n"
        assert sorted(p.name for p in run.iterdir()) == ["adapter"]
    saved = VisualAdapter.from_pretrained(run / "adapter")
    weights = every.adapter_state_dict()
    assert saved.cfg.resolutions == 1 and 0 < len(saved.names) < len(every.names)
    assert all(torch.equal(v, weights[k]) for k, v in saved.adapter_state_dict().items())
    training = json.loads((run / "adapter" / "training.json").read_text())
    assert training["config"]["steps"] == 0 and training["config"]["init"] == str(tmp_path / "every" / "adapter")


def test_a_run_of_steps_goes_on_in_the_folder_of_a_steps_0_run_and_replaces_its_adapter(setup, tmp_path, capsys):
    """Refused as "holds other files (adapter)", while --resume said there was nothing to resume: no way on."""
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    train_adapter(backbone, root / CACHE_FILE, tmp_path / "every", _cfg(steps=1), log=lambda m: None)
    run = tmp_path / "run"
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--out", str(run), "--batch-size", "2"]
    capsys.readouterr()
    assert main([*args, "--steps", "0", "--init", str(tmp_path / "every")]) == 2  # the run's folder, not its adapter
    assert capsys.readouterr().err == (f"foley: error: {tmp_path / 'every'}: not a visual adapter folder (no "
                                       f"adapter_config.json); a training run's folder: give "
                                       f"{tmp_path / 'every' / 'adapter'}\n")
    assert main([*args, "--steps", "0", "--init", str(tmp_path / "every" / "adapter")]) == 0
    capsys.readouterr()
    assert main([*args, "--steps", "1"]) == 0, capsys.readouterr().err
    training = json.loads((run / "adapter" / "training.json").read_text())
    assert training["config"]["steps"] == 1 and not training["config"]["init"]


def test_a_model_folder_holding_a_copy_of_a_runs_adapter_is_no_run_folder(setup, tmp_path, capsys, monkeypatch):
    """Its adapter/ with a training.json is what a run writes, but the folder holds more: a run replaced
    the model's adapter at its end. The record names the run's inputs by absolute paths."""
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    train_adapter(backbone, root / CACHE_FILE, tmp_path / "every", _cfg(steps=1), log=lambda m: None)
    monkeypatch.chdir(tmp_path)
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", "backbone", "--tokenizer", "tok",
            "--steps", "0", "--init", str(tmp_path / "every" / "adapter")]
    assert main([*args, "--out", "run"]) == 0
    training = json.loads((tmp_path / "run" / "adapter" / "training.json").read_text())
    assert (training["backbone"], training["tokenizer"]) == (str(tmp_path / "backbone"), str(tmp_path / "tok"))
    model = tmp_path / "model"
    shutil.copytree(tmp_path / "run" / "adapter", model / "adapter")
    (model / "pipeline.json").write_text("{}")
    capsys.readouterr()
    for steps in ("0", "1"):
        assert main([*args, "--out", str(model), "--steps", steps]) == 2
        assert capsys.readouterr().err == (f"foley: error: {model} holds other files than a run's (pipeline.json); "
                                           "give a new or empty folder\n")
    assert sorted(p.name for p in model.iterdir()) == ["adapter", "pipeline.json"]
    assert (model / "adapter" / "training.json").read_text() == (tmp_path / "run" / "adapter" / "training.json").read_text()


def test_a_stopped_run_says_which_checkpoint_it_keeps_and_how_to_go_on(setup, tmp_path, capsys, monkeypatch):
    import foley.training.adapter as adapter_training
    from stopped_runs import check_stops_name_the_checkpoint

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    run = tmp_path / "run"
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--out", str(run), "--steps", "6", "--batch-size", "2",
            "--checkpoint-every", "2"]
    check_stops_name_the_checkpoint(adapter_training, "_step_draws", args, run, "adapter", monkeypatch, capsys)


def test_a_run_stopped_while_caching_says_nothing_is_kept(setup, tmp_path, capsys, monkeypatch):
    import foley.training.adapter as adapter_training
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")

    def stopped(*args, **kwargs):  # Ctrl-C while the clips are read for the cache
        raise KeyboardInterrupt

    monkeypatch.setattr(adapter_training, "load_clips", stopped)
    assert main(["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
                 "--tokenizer", str(tmp_path / "tok"), "--out", str(tmp_path / "run"), "--steps", "1"]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == ("foley: interrupted while caching the train split, before the "
                                                        "first step: the cache is not kept; the same command starts again")
    assert not (tmp_path / "run" / CACHE_FILE).exists()


@pytest.mark.slow
def test_two_cpu_processes_match_one(setup, tmp_path):
    """A 2-process gloo run (torchrun + accelerate) sees the same global batches as 1 process."""
    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--steps", "3", "--batch-size", "2", "--lr", "1e-3",
            "--checkpoint-every", "3"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "foley", *args,
                    "--out", str(tmp_path / "two")], check=True, env=env, cwd=Path(__file__).parents[2])
    subprocess.run([sys.executable, "-m", "foley", *args, "--out", str(tmp_path / "one")], check=True, env=env,
                   cwd=Path(__file__).parents[2])
    for run, n in (("one", 1), ("two", 2)):
        assert json.loads((tmp_path / run / "checkpoint" / "state.json").read_text())["processes"] == n
    one = VisualAdapter.from_pretrained(tmp_path / "one" / "adapter").adapter_state_dict()
    two = VisualAdapter.from_pretrained(tmp_path / "two" / "adapter").adapter_state_dict()
    assert one.keys() == two.keys()
    for k in one:  # gradients averaged over ranks = the full-batch gradient, up to float summation order
        torch.testing.assert_close(two[k], one[k], atol=1e-5, rtol=1e-4)


class _Recorder:
    """Every module call's tensor inputs and own parameters, and the Accelerator that training made."""

    def __init__(self, monkeypatch, module) -> None:
        import accelerate

        self.inputs, self.params, self.accelerators = [], [], []
        recorder = self

        class Recording(accelerate.Accelerator):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                recorder.accelerators.append(self)

        monkeypatch.setattr(module, "Accelerator", Recording)

    def hook(self, module, args) -> None:
        self.inputs += [a for a in args if isinstance(a, torch.Tensor)]
        self.params += list(module.parameters(recurse=False))

    def __enter__(self):
        self.handle = torch.nn.modules.module.register_module_forward_pre_hook(self.hook)
        return self

    def __exit__(self, *exc) -> None:
        self.handle.remove()


def test_bf16_training_keeps_the_unet_in_bf16_and_the_adapter_and_optimizer_in_fp32(setup, tmp_path, monkeypatch,
                                                                                     fresh_accelerate_state):
    """Everything runs on accelerator.device; the frozen UNet computes in bf16, the adapter trains in fp32."""
    import foley.training.adapter as adapter_module

    root, _, _ = setup
    backbone = tiny_backbone(tmp_path)
    backbone.unet.to(torch.bfloat16)
    with pytest.raises(FoleyError, match="UNet is torch.bfloat16 but precision fp32"):
        train_adapter(backbone, root / CACHE_FILE, tmp_path / "fp32", _cfg(precision="fp32"), log=lambda m: None)
    with _Recorder(monkeypatch, adapter_module) as seen:
        adapter = train_adapter(backbone, root / CACHE_FILE, tmp_path / "run", _cfg(precision="bf16"),
                                log=lambda m: None)
    device = seen.accelerators[-1].device
    assert seen.accelerators[-1].mixed_precision == "bf16"
    assert seen.inputs and {t.device for t in seen.inputs} == {device}
    trained = {id(p) for p in adapter.parameters()}
    assert trained and all(p.dtype == torch.float32 and p.device == device for p in adapter.parameters())
    frozen = [p for p in seen.params if id(p) not in trained]
    assert frozen and {p.dtype for p in frozen} == {torch.bfloat16} and {p.device for p in frozen} == {device}
    assert len({id(p) for p in seen.params} & trained) == len(trained)  # every adapter weight took part
    optimizer = torch.load(tmp_path / "run" / "checkpoint" / "optimizer.pt", weights_only=True)
    assert all(v.dtype == torch.float32 for s in optimizer["state"].values() for k, v in s.items() if k != "step")
    assert torch.isfinite(torch.stack([p.detach().float().sum() for p in adapter.parameters()])).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 training is refused only without CUDA")
def test_fp16_without_cuda_is_refused_before_any_work(tmp_path):
    from foley.training.adapter import run_training

    with pytest.raises(FoleyError, match="fp16 training needs a CUDA GPU"):
        run_training("no-data", "no-backbone", "no-tokenizer", tmp_path / "run", _cfg(precision="fp16"))
    assert not (tmp_path / "run").exists()


def test_an_adapter_of_another_width_starts_from_the_runs_seed(setup, tmp_path):
    root, backbone, _ = setup
    cache = load_adapter_cache(root / CACHE_FILE)
    from safetensors.torch import save_file
    save_file({**cache, "centroids": cache["centroids"][:, :8].contiguous()}, str(tmp_path / "narrow.safetensors"))
    cfg = _cfg(adapter=VisualAdapterConfig(visual_dim=8), steps=1)  # 8 != the text width 16: K/V not copied
    runs = []
    for draw in (1, 2):
        torch.manual_seed(draw)  # whatever the global generator holds
        runs.append(train_adapter(backbone, tmp_path / "narrow.safetensors", tmp_path / str(draw), cfg,
                                  log=lambda m: None).adapter_state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    other = train_adapter(backbone, tmp_path / "narrow.safetensors", tmp_path / "3", replace(cfg, seed=1),
                          log=lambda m: None).adapter_state_dict()
    assert any(not torch.equal(other[k], runs[0][k]) for k in other)


def test_a_cache_made_from_other_inputs_is_made_again_and_never_resumed(setup, tmp_path):
    from foley.datasets.synthsync import load_manifest
    from foley.training.adapter import cached_inputs, run_training

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    run, logged = tmp_path / "run", []

    def train(data, resume=False):
        run_training(str(data), str(tmp_path / "backbone"), str(tmp_path / "tok"), run, _cfg(steps=2), resume=resume,
                     log=logged.append)

    train(root / "synth")
    first = cached_inputs(run / CACHE_FILE)
    record = json.loads((run / "adapter" / "training.json").read_text())  # what the adapter was trained from
    assert record["backbone"] == str(tmp_path / "backbone") and record["digests"] == first
    assert record["config"]["steps"] == 2
    assert load_adapter_cache(run / CACHE_FILE)["latents"].shape[0] == 4
    # other data (two of the clips) into the same run folder, its run gone: the cache is made again
    other = tmp_path / "other"
    other.mkdir()
    (other / "train.jsonl").write_text("".join(json.dumps(e) + "\n" for e in load_manifest(root / "synth", "train")[:2]))
    shutil.rmtree(run / "checkpoint"), shutil.rmtree(run / "adapter")
    train(other)
    assert any("was made with other data and other recordings; making it again" in line for line in logged)
    assert load_adapter_cache(run / CACHE_FILE)["latents"].shape[0] == 2
    assert cached_inputs(run / CACHE_FILE)["backbone"] == first["backbone"] != cached_inputs(run / CACHE_FILE)["data"]
    with pytest.raises(FoleyError, match="was trained with other data and other recordings than this call gives"):
        train(root / "synth", resume=True)
    # a split with no clips is said in one line
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "train.jsonl").write_text("")
    with pytest.raises(FoleyError, match="the train split has no clips"):
        run_training(str(tmp_path / "empty"), str(tmp_path / "backbone"), str(tmp_path / "tok"), tmp_path / "r2",
                     _cfg(steps=2), log=logged.append)


def test_a_cache_of_recordings_that_changed_since_is_made_again_and_never_resumed(setup, tmp_path):
    import soundfile as sf

    from foley.training.adapter import run_training

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    data, run, logged = tmp_path / "synth", tmp_path / "run", []
    shutil.copytree(root / "synth", data)

    def train(resume=False):
        run_training(str(data), str(tmp_path / "backbone"), str(tmp_path / "tok"), run, _cfg(steps=2), resume=resume,
                     log=logged.append)

    train()
    before = load_adapter_cache(run / CACHE_FILE)["latents"]
    # one clip's recording replaced by a quieter one; the manifest is the same
    wav = next(iter(sorted((data / "train").glob("*.wav"))))
    audio, rate = sf.read(wav)
    sf.write(wav, 0.1 * audio, rate)
    with pytest.raises(FoleyError, match="was trained with other recordings than this call gives"):
        train(resume=True)
    shutil.rmtree(run / "checkpoint"), shutil.rmtree(run / "adapter")  # its run gone: the cache is made again
    train()
    assert any("was made with other recordings; making it again" in line for line in logged)
    assert not torch.equal(load_adapter_cache(run / CACHE_FILE)["latents"], before)


def test_an_adapter_that_does_not_fit_the_backbone_is_refused_before_the_cache(setup, tmp_path):
    from foley.training.adapter import run_training

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    for adapter, said in ((VisualAdapterConfig(visual_dim=16, resolutions=3), "the UNet has cross-attention at 2"),
                          (VisualAdapterConfig(visual_dim=8), "adapter visual_dim 8 != the tokenizer's centroid width 16")):
        with pytest.raises(FoleyError, match=said):
            run_training(str(root / "synth"), str(tmp_path / "backbone"), str(tmp_path / "tok"), tmp_path / "run",
                         _cfg(adapter=adapter), log=lambda m: None)
        assert not (tmp_path / "run" / CACHE_FILE).exists()
    (tmp_path / "data" / "adapter").mkdir(parents=True)  # a folder of other files is no run's (its adapter no run's)
    with pytest.raises(FoleyError, match=r"data holds other files \(adapter\) and no run; give a new or empty folder"):
        run_training(str(root / "synth"), str(tmp_path / "backbone"), str(tmp_path / "tok"), tmp_path / "data", _cfg())


def test_clips_the_cache_cannot_be_made_from_and_an_init_that_does_not_fit_are_refused_before_the_cache(setup,
                                                                                                         tmp_path):
    from foley.datasets.synthsync import load_manifest
    from foley.training.adapter import run_training

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    clips = load_manifest(root / "synth", "train")
    (noise := tmp_path / "noise.wav").write_bytes(b"RIFF not a recording")
    silent = lavfi_video(tmp_path / "silent.mp4", "testsrc=s=32x32:r=10:d=1")  # a picture alone
    cases = {"no_audio": ({**clips[1], "audio": str(tmp_path / "gone.wav")}, r"gone.wav: no such file \(clip 'train_"),
             "no_caption": ({k: v for k, v in clips[1].items() if k != "caption"}, r"clip 'train_\w+' has no caption"),
             "no_duration": ({**clips[1], "duration_s": "4"}, r"clip 'train_\w+' has no duration_s"),
             # seen in their headers, before every recording is read for the cache
             "unreadable": ({**clips[1], "audio": str(noise)}, r"noise.wav: not a readable audio or video file \(.*\) "
                            r"\(clip 'train_\w+' of .*train.jsonl\); fix it, or leave the clip out of the manifest$"),
             "no_sound": ({**clips[1], "audio": str(silent)}, r"silent.mp4: has no audio stream \(clip 'train_")}
    for name, (bad, said) in cases.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [clips[0], bad]))
        logged = []
        with pytest.raises(FoleyError, match=said):
            run_training(str(tmp_path / name), str(tmp_path / "backbone"), str(tmp_path / "tok"), tmp_path / "run",
                         _cfg(), log=logged.append)
        assert logged == [] and not (tmp_path / "run").exists()
    VisualAdapter(VisualAdapterConfig(visual_dim=16, temporal="none"), {}).save_pretrained(tmp_path / "plain")
    logged = []
    with pytest.raises(FoleyError, match="an adapter for 16-wide visual features with temporal 'none'"):
        run_training(str(root / "synth"), str(tmp_path / "backbone"), str(tmp_path / "tok"), tmp_path / "run",
                     _cfg(init=str(tmp_path / "plain")), log=logged.append)
    assert logged == [] and not (tmp_path / "run" / CACHE_FILE).exists()


def test_a_run_inside_its_backbone_or_data_is_refused_before_any_work(setup, tmp_path):
    from foley.training.adapter import run_training

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    # its files in the backbone's folder would change the backbone's digest: the run could never resume
    for run, option in ((tmp_path / "backbone" / "run", "--backbone"), (root / "synth" / "run", "--data"),
                        (tmp_path / "tok" / "run", "--tokenizer")):
        with pytest.raises(FoleyError, match=f"is or shares a folder with {option} .*; a run writes beside its inputs"):
            run_training(str(root / "synth"), str(tmp_path / "backbone"), str(tmp_path / "tok"), run, _cfg(steps=1),
                         log=lambda m: None)
        assert not run.exists()


def test_a_damaged_cache_is_made_again_and_damaged_or_foreign_checkpoints_are_one_line(setup, tmp_path, capsys):
    from foley.cli import main

    root, backbone, tokenizer = setup
    backbone.save_pretrained(tmp_path / "backbone")
    tokenizer.save_pretrained(tmp_path / "tok")
    args = ["train", "adapter", "--data", str(root / "synth"), "--backbone", str(tmp_path / "backbone"),
            "--tokenizer", str(tmp_path / "tok"), "--steps", "2", "--batch-size", "2"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    for name in ("state.json", "adapter.safetensors", "optimizer.pt"):  # a copy of the run cut short
        copy = tmp_path / f"cut_{name}"
        shutil.copytree(tmp_path / "run", copy)
        cut = copy / "checkpoint" / name
        cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 2])
        assert main([*args, "--out", str(copy), "--resume", "--steps", "3"]) == 2
        err = capsys.readouterr().err
        assert f"{cut}: not a readable checkpoint" in err and len(err.strip().splitlines()) == 1, err
    cache = tmp_path / "run" / CACHE_FILE
    whole = {k: v.clone() for k, v in load_adapter_cache(cache).items()}  # not the file's memory, cut below
    cache.write_bytes(cache.read_bytes()[:len(cache.read_bytes()) // 2])  # made again from the same inputs
    assert main([*args, "--out", str(tmp_path / "run"), "--resume", "--steps", "3"]) == 0
    assert f"{cache} cannot be read; making it again" in capsys.readouterr().out
    again = load_adapter_cache(cache)
    assert whole.keys() == again.keys() and all(torch.equal(whole[k], again[k]) for k in whole)
    lm_run = tmp_path / "lm_run" / "checkpoint"  # what foley train lm leaves
    lm_run.mkdir(parents=True)
    (lm_run / "state.json").write_text(json.dumps({"step": 2, "processes": 1, "config": {"lm": {}, "steps": 2}}))
    for resume in ([], ["--resume"]):
        assert main([*args, "--out", str(tmp_path / "lm_run"), *resume]) == 2
        err = capsys.readouterr().err
        assert "lm_run: holds another kind of training run than `foley train adapter` makes; give another --out" in err
        assert len(err.strip().splitlines()) == 1, err
