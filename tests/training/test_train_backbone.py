"""Backbone training: the condition-adapter layout with a frozen sentence encoder, and exact resume."""
from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKL, DDPMScheduler

from foley.datasets.synthsync import SynthConfig, generate, load_manifest
from foley.errors import FoleyError
from foley.models.layout import LAYOUT_CONDITION
from foley.models.backbone import AudioBackbone, build_backbone
from foley.models.known_sounds import read_known_sounds
from foley.training.backbone import (
    UNET_CHECKPOINT,
    VAE_CHECKPOINT,
    TextStates,
    adaptive_weight,
    cli,
    denoising_target,
    gradient_l1,
    train_unet,
    train_vae,
)
from foley.training.backbone import main as backbone_main

from auffusion_models import TINY, tiny_backbone, tiny_sentence_encoder, write_jik876

def test_condition_layout_round_trip(tmp_path):
    torch.manual_seed(0)
    backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    backbone.save_pretrained(tmp_path / "model")
    assert (tmp_path / "model" / "condition_config.json").is_file()
    assert (tmp_path / "model" / "text_encoder_0" / "tokenizer.json").is_file()
    loaded = AudioBackbone.from_pretrained(tmp_path / "model")
    assert loaded.text.layout == LAYOUT_CONDITION
    prompts = ["a dog barks", "thunder"]
    assert torch.allclose(loaded.text.encode(prompts), backbone.text.encode(prompts), atol=1e-5)
    a = backbone.generate(prompts, 0.3, steps=2, guidance=2.0, scheduler="ddim")
    b = loaded.generate(prompts, 0.3, steps=2, guidance=2.0, scheduler="ddim")
    assert a.shape == (2, round(0.3 * TINY.mel.sample_rate)) and torch.allclose(a, b, atol=1e-4)


def test_training_states_equal_inference_states(tmp_path):
    text = tiny_sentence_encoder(tmp_path / "enc")
    states = TextStates(text, ["a dog barks", "rain falls"])
    with torch.no_grad():
        got = states(["a dog barks", None])
    assert torch.allclose(got[0], text.encode(["a dog barks"])[0], atol=1e-5)
    assert torch.equal(got[1], torch.zeros_like(got[1]))  # dropped caption: Auffusion's all-zero condition
    assert torch.equal(got[1], text.encode_negative(1)[0])


def _train(backbone: AudioBackbone, run: Path, stop_at=None, steps=4, **options) -> list[dict]:
    latents = torch.randn(6, 4, *backbone.latent_size, generator=torch.Generator().manual_seed(3))
    texts = [["a dog barks", "dog"], ["rain falls", "rain"], ["thunder"]] * 2
    return train_unet(backbone, latents, texts, steps=steps, batch=2, lr=1e-3, drop_caption=0.3,
                      gen=torch.Generator().manual_seed(0), log=lambda _: None, run=run, checkpoint_every=1,
                      stop_at=stop_at, **options)


@pytest.mark.parametrize("options", [{}, {"ema_decay": 0.9}], ids=["plain", "ema"])
def test_resumed_training_ends_where_an_uninterrupted_run_ends(tmp_path, options):
    torch.manual_seed(0)
    straight = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    curve = _train(straight, tmp_path / "a", **options)
    torch.manual_seed(0)
    first = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    assert len(_train(first, tmp_path / "b", stop_at=2, **options)) == 2
    assert torch.load(tmp_path / "b" / UNET_CHECKPOINT, weights_only=True)["step"] == 2
    torch.manual_seed(5)  # a fresh process: other initial weights, restored from the checkpoint
    second = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc2"))
    resumed = _train(second, tmp_path / "b", **options)
    assert [c["loss"] for c in resumed] == [c["loss"] for c in curve]
    for x, y in zip(straight.unet.state_dict().values(), second.unet.state_dict().values()):
        assert torch.equal(x, y)
    for x, y in zip(straight.text.adapter.state_dict().values(), second.text.adapter.state_dict().values()):
        assert torch.equal(x, y)
    frozen = tiny_sentence_encoder(tmp_path / "enc3").text_encoder.state_dict()
    assert all(torch.equal(frozen[k], v) for k, v in straight.text.text_encoder.state_dict().items())


def test_a_stopped_stage_says_which_checkpoint_it_keeps(tmp_path, monkeypatch):
    import foley.training.backbone as backbone_training

    lr = backbone_training._lr

    def ctrl_c_in_step(stopped):  # Ctrl-C during the step after `stopped` steps
        def step_lr(step, *rest):
            if step == stopped:
                raise KeyboardInterrupt
            return lr(step, *rest)
        return step_lr

    torch.manual_seed(0)
    backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    run = tmp_path / "run"
    for stopped, said in ((0, "no checkpoint of this stage yet; the same command starts it over"),
                          (3, f"the checkpoint of step 3 is in {run / UNET_CHECKPOINT}; the same command goes on from it"),
                          (5, f"the checkpoint of step 5 is in {run / UNET_CHECKPOINT}; the same command goes on from it")):
        monkeypatch.setattr(backbone_training, "_lr", ctrl_c_in_step(stopped))
        with pytest.raises(KeyboardInterrupt) as stop:
            _train(backbone, run, steps=6)
        assert stop.value.__notes__ == [f"after unet step {stopped} of 6: {said}"]


def test_an_ema_run_leaves_the_averaged_weights_and_keeps_the_trained_ones_in_its_checkpoint(tmp_path):
    torch.manual_seed(0)
    backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    _train(backbone, tmp_path / "run", ema_decay=0.9)
    state = torch.load(tmp_path / "run" / UNET_CHECKPOINT, weights_only=True)
    assert state["ema"]["optimization_step"] == 4
    params = list(backbone.unet.parameters()) + list(backbone.text.adapter.parameters())
    for param, shadow in zip(params, state["ema"]["shadow_params"]):
        assert torch.equal(param, shadow)  # the backbone holds the average ...
    trained = state["unet"]["conv_in.weight"]  # ... which differs from the last step's weights
    assert (backbone.unet.conv_in.weight - trained).abs().max() > 1e-5
    with pytest.raises(FoleyError, match=r"other settings \(ema_decay 0.9 in the run, 0.99 given\)"):
        _train(backbone, tmp_path / "run", ema_decay=0.99)


def test_a_constant_lr_run_continues_past_its_planned_steps(tmp_path):
    # past the 50 warm-up steps, where a cosine schedule's rate depends on its planned end
    torch.manual_seed(0)
    straight = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    curve = _train(straight, tmp_path / "a", steps=54, constant_lr=True)
    torch.manual_seed(0)
    extended = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
    assert len(_train(extended, tmp_path / "b", steps=52, constant_lr=True)) == 52
    assert [c["loss"] for c in _train(extended, tmp_path / "b", steps=54, constant_lr=True)] == [
        c["loss"] for c in curve]
    for x, y in zip(straight.unet.state_dict().values(), extended.unet.state_dict().values()):
        assert torch.equal(x, y)
    with pytest.raises(FoleyError, match=r"other settings \(lr_schedule 'constant' in the run, not set given; "
                                         r"steps not set in the run, 56 given\)"):  # cosine: the end is fixed
        _train(extended, tmp_path / "b", steps=56)
    with pytest.raises(FoleyError, match=r"the run has reached UNet step 54; --unet-steps 53 would end it before "
                                         r"that \(give --unet-steps 54 or more\)"):  # not the weights of step 53
        _train(extended, tmp_path / "b", steps=53, constant_lr=True)


def test_the_demo_recipe_still_trains_its_text_encoder(tmp_path):
    backbone = tiny_backbone(tmp_path)
    before = {k: v.clone() for k, v in backbone.text.text_encoder.state_dict().items()}
    latents = torch.randn(2, 4, *backbone.latent_size)
    train_unet(backbone, latents, [["ball"], ["drum hit"]], steps=2, batch=2, lr=1e-2, drop_caption=0.0,
               gen=torch.Generator().manual_seed(0), log=lambda _: None)
    after = backbone.text.text_encoder.state_dict()
    assert any((after[k] - before[k]).abs().max() > 1e-6 for k in before)


def test_adaptive_weight_is_the_ratio_of_gradient_norms():
    w = torch.ones(3, requires_grad=True)
    rec, adv = (2.0 * w).sum(), (0.5 * w).sum()  # gradients (2, 2, 2) and (0.5, 0.5, 0.5)
    assert abs(adaptive_weight(rec, adv, w).item() - 2.0 / (0.5 + 1e-4 / 3 ** 0.5)) < 1e-3


def test_the_adversarial_vae_loss_changes_what_the_vae_learns(tmp_path):
    images = torch.rand(4, 1, TINY.mel.n_mels, 32) * 2 - 1  # (N, 1, M, T) mel images
    trained, logs = [], []
    for adversarial in (0.0, 0.5):
        torch.manual_seed(0)
        backbone = tiny_backbone(tmp_path / str(adversarial))
        train_vae(backbone, images, steps=3, batch=2, crop=16, lr=1e-3, kl_weight=1e-6,
                  gen=torch.Generator().manual_seed(0), log=logs.append, adversarial=adversarial, adversarial_start=1)
        trained.append(backbone.vae.decoder.conv_out.weight.detach().clone())
    assert not torch.allclose(trained[0], trained[1], atol=1e-6)
    assert not any("adversarial" in line for line in logs[:2]) and "adversarial" in logs[-1]
    assert [line.split(" loss ")[0] for line in logs] == ["vae step 1/3", "vae step 3/3"] * 2  # as checkpoints count
    assert not backbone.vae.training and not any(p.requires_grad for p in backbone.vae.parameters())


def test_a_warmed_up_critic_learns_before_its_loss_reaches_the_vae(tmp_path):
    images = torch.rand(4, 1, TINY.mel.n_mels, 32) * 2 - 1  # (N, 1, M, T) mel images

    def train(name, critic_warmup):
        torch.manual_seed(0)
        backbone = tiny_backbone(tmp_path / name)
        train_vae(backbone, images, steps=3, batch=2, crop=16, lr=1e-3, kl_weight=1e-6,
                  gen=torch.Generator().manual_seed(0), log=lambda _: None, adversarial=0.5, adversarial_start=2,
                  run=tmp_path / name, stop_at=2, critic_warmup=critic_warmup)
        return backbone.vae.decoder.conv_out.weight.detach().clone(), torch.load(
            tmp_path / name / VAE_CHECKPOINT, weights_only=True)

    cold_vae, cold = train("cold", 0)
    warm_vae, warm = train("warm", 1)
    assert torch.equal(cold_vae, warm_vae)  # before adversarial_start the VAE learns L1 + KL alone either way
    assert not torch.allclose(cold["critic"]["0.weight"], warm["critic"]["0.weight"], atol=1e-6)  # step 1 trained it
    assert warm["settings"]["critic_warmup"] == 1 and "critic_warmup" not in cold["settings"]


def test_gradient_l1_sees_a_blur_that_l1_weighs_less():
    x = torch.zeros(1, 1, 8, 8)
    x[..., ::2, :] = 1.0  # (1, 1, M, T): a harmonic comb along frequency
    blurred = torch.full_like(x, 0.5)  # its mean: L1 0.5
    assert abs(gradient_l1(x, x).item()) < 1e-6
    assert abs(gradient_l1(blurred, x).item() - 1.0) < 1e-5  # every frequency step of 1 lost, none in time
    assert abs(gradient_l1(x.roll(1, dims=3), x).item()) < 1e-6  # constant along time: a shift costs nothing


def test_the_posterior_std_option_starts_a_near_deterministic_vae(tmp_path):
    images = torch.rand(4, 1, TINY.mel.n_mels, 32) * 2 - 1  # (N, 1, M, T) mel images
    stds, settings = [], []
    for posterior_std in (None, 0.05):
        torch.manual_seed(0)
        backbone = tiny_backbone(tmp_path / str(posterior_std))
        train_vae(backbone, images, steps=1, batch=2, crop=16, lr=1e-6, kl_weight=0.0,
                  gen=torch.Generator().manual_seed(0), log=lambda _: None, run=tmp_path / str(posterior_std),
                  gradient_weight=1.0, posterior_std=posterior_std)
        with torch.no_grad():
            stds.append(backbone.vae.encode(images[:, :, :, :16].expand(-1, 3, -1, -1)).latent_dist.std.median().item())
        settings.append(torch.load(tmp_path / str(posterior_std) / VAE_CHECKPOINT, weights_only=True)["settings"])
    assert stds[0] > 0.5 and 0.02 < stds[1] < 0.1
    assert settings[1]["posterior_std"] == 0.05 and "posterior_std" not in settings[0]
    assert settings[0]["gradient_weight"] == 1.0


def test_a_resumed_vae_ends_where_an_uninterrupted_one_ends(tmp_path):
    images = torch.rand(4, 1, TINY.mel.n_mels, 32) * 2 - 1  # (N, 1, M, T) mel images

    def train(name, stop_at=None, seed=0, **settings):
        torch.manual_seed(seed)  # another seed: other initial weights, restored from the checkpoint
        backbone = tiny_backbone(tmp_path / f"{name}{seed}")
        done = train_vae(backbone, images, steps=4, batch=2, crop=16, lr=1e-3, kl_weight=1e-6,
                         gen=torch.Generator().manual_seed(0), log=lambda _: None, adversarial=0.5,
                         adversarial_start=1, run=tmp_path / name, checkpoint_every=1, stop_at=stop_at,
                         settings=settings or None)
        return backbone, done

    straight, done = train("a")
    assert done == 4
    assert train("b", stop_at=2)[1] == 2
    assert torch.load(tmp_path / "b" / VAE_CHECKPOINT, weights_only=True)["step"] == 2
    resumed, done = train("b", seed=5)
    assert done == 4
    for x, y in zip(straight.vae.state_dict().values(), resumed.vae.state_dict().values()):
        assert torch.equal(x, y)
    with pytest.raises(FoleyError, match=r"other settings \(channels not set in the run, \[8, 16\] given\)"):
        train("b", channels=[8, 16])


def test_text_pooling_conditions_the_timestep_embedding_and_survives_a_round_trip(tmp_path):
    torch.manual_seed(0)
    backbone = build_backbone(replace(TINY, unet_text_pooling=True), text=tiny_sentence_encoder(tmp_path / "enc"))
    assert backbone.unet.config.addition_embed_type == "text"
    latents = torch.randn(1, 4, *backbone.latent_size)
    states = backbone.text.encode(["a dog barks", "thunder"])
    with torch.no_grad():
        emb = backbone.unet.add_embedding(states)  # (2, time embedding dim): one global vector per caption
    assert emb.shape[0] == 2 and not torch.allclose(emb[0], emb[1], atol=1e-4)
    backbone.save_pretrained(tmp_path / "model")
    loaded = AudioBackbone.from_pretrained(tmp_path / "model")
    t = torch.tensor([500])
    with torch.no_grad():
        a = backbone.unet(latents, t, states[:1]).sample
        b = loaded.unet(latents, t, loaded.text.encode(["a dog barks"])).sample
    assert torch.allclose(a, b, atol=1e-4)


def test_min_snr_weighting_changes_the_loss_and_is_part_of_a_runs_settings(tmp_path):
    def train(run, snr_gamma):
        torch.manual_seed(0)
        backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
        latents = torch.randn(6, 4, *backbone.latent_size, generator=torch.Generator().manual_seed(3))
        return train_unet(backbone, latents, [["a dog barks"], ["rain falls"], ["thunder"]] * 2, steps=2, batch=2,
                          lr=1e-3, drop_caption=0.0, gen=torch.Generator().manual_seed(0), log=lambda _: None,
                          run=run, checkpoint_every=1, snr_gamma=snr_gamma)
    plain, weighted = train(tmp_path / "a", None), train(tmp_path / "b", 0.05)
    # Same draws of latents, noise and timesteps: the first losses differ only by the weights
    # min(SNR, 0.05) / SNR, below 1 at all but the noisiest timesteps.
    assert weighted[0]["loss"] < plain[0]["loss"] - 1e-4
    with pytest.raises(FoleyError, match=r"other settings \(snr_gamma 0.05 in the run, 1.0 given\)"):
        train(tmp_path / "b", 1.0)


@pytest.mark.parametrize("option", [["--vae-channels", "32,abc"], ["--vae-channels", "12,24"], ["--vae-channels", ""],
                                    ["--vae-layers", "0"], ["--snr-gamma", "0"], ["--snr-gamma", "-1"],
                                    ["--unet-ema", "0"], ["--unet-ema", "1.5"], ["--unet-lr-schedule", "linear"],
                                    ["--vae-stop-at", "0"], ["--unet-stop-at", "-2"], ["--latent-channels", "0"],
                                    ["--unet-channels", "16"], ["--unet-cross-attention", "0,2"],
                                    ["--vae-adversarial", "nan"], ["--vae-adversarial-start", "-5"],
                                    ["--run", "{tmp}/none/run"], ["--init", "{tmp}/out"], ["--device", "tpu"]])
def test_bad_training_options_are_refused_in_one_line(tmp_path, capsys, option):
    option = [o.format(tmp=tmp_path) for o in option]
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "out"), *option])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    assert f"argument {option[0]}" in err or f"{option[1]}: is or shares a folder with" in err or (
        f"{tmp_path / 'out'}: is or shares a folder with --init" in err)
    assert not (tmp_path / "out.run").exists()


def test_a_stopped_run_keeps_its_checkpoint_and_names_every_changed_setting(tmp_path):
    def train(stop_at=None, snr_gamma=None):
        torch.manual_seed(0)
        backbone = build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc"))
        latents = torch.randn(6, 4, *backbone.latent_size, generator=torch.Generator().manual_seed(3))
        return train_unet(backbone, latents, [["a dog barks"], ["thunder"]] * 3, steps=3, batch=2, lr=1e-3,
                          drop_caption=0.0, gen=torch.Generator().manual_seed(0), log=lambda _: None,
                          run=tmp_path / "run", checkpoint_every=0, stop_at=stop_at, snr_gamma=snr_gamma)
    assert len(train(stop_at=1, snr_gamma=5.0)) == 1
    assert torch.load(tmp_path / "run" / UNET_CHECKPOINT, weights_only=True)["step"] == 1  # without checkpoint_every
    with pytest.raises(FoleyError, match=r"other settings \(snr_gamma 5.0 in the run, not set given\)"):  # an option left out too
        train()


@pytest.mark.skipif(torch.cuda.is_available(), reason="asks for a GPU this machine does not have")
def test_a_run_resumed_on_other_data_is_refused(tmp_path, capsys):
    for name, seed in (("a", 0), ("b", 1)):
        generate(tmp_path / name, n_train=2, n_test=0, seed=seed, cfg=SynthConfig(duration_s=1.0), workers=1,
                 progress=False)
    small = ["--vae-steps", "1", "--vae-batch", "2", "--vae-crop", "32", "--vae-channels", "8,16",
             "--unet-channels", "8,16,16", "--unet-steps", "2", "--unet-batch", "2", "--out", str(tmp_path / "bb")]
    backbone_main(["--data", str(tmp_path / "a"), *small, "--unet-stop-at", "1"])
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(tmp_path / "b"), *small])
    assert exit_.value.code == 2
    assert f"bb.run was trained on other data than --data {tmp_path / 'b'} gives" in capsys.readouterr().err
    backbone_main(["--data", str(tmp_path / "a"), *small])  # its own data: it goes on
    assert (tmp_path / "bb" / "unet").is_dir()


SMALL = ["--vae-steps", "2", "--vae-batch", "2", "--vae-crop", "32", "--vae-channels", "8,16", "--unet-channels",
         "8,16,16", "--unet-steps", "2", "--unet-batch", "2", "--checkpoint-every", "1"]


def test_a_vae_stage_that_is_done_refuses_other_vae_settings_and_records_its_data(tmp_path, capsys):
    generate(tmp_path / "a", n_train=2, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    common = ["--data", str(tmp_path / "a"), *SMALL, "--out", str(tmp_path / "bb")]
    backbone_main([*common, "--unet-stop-at", "1"])  # the VAE stage done, the UNet's begun
    for other, named in ((["--vae-steps", "3"], "steps 2 in the run, 3 given"), (["--vae-lr", "1e-2"], "lr 0.001 in the run, "
                          "0.01 given"), (["--seed", "1"], "seed 0 in the run, 1 given")):
        with pytest.raises(SystemExit) as exit_:  # the UNet would go on from a VAE these settings did not make
            cli([*common, *other])
        assert exit_.value.code == 2 and f"vae_checkpoint.pt: was trained with other settings ({named})" in (
            capsys.readouterr().err)
    backbone_main(common)
    record = json.loads((tmp_path / "bb" / "training.json").read_text())
    digest = json.loads((tmp_path / "bb.run" / "data.json").read_text())["sha256"]
    assert record["args"]["vae_steps"] == 2 and record["data"] == {"name": "a", "sha256": digest}
    # the demo recipe's backbone lists the captions it learned, as `foley sounds --model DIR` shows them
    assert read_known_sounds(tmp_path / "bb") == sorted({e["caption"] for e in load_manifest(tmp_path / "a", "train")})


def test_a_vae_whose_saving_was_interrupted_is_trained_on_from_its_checkpoint(tmp_path, monkeypatch):
    generate(tmp_path / "a", n_train=2, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    backbone_main(["--data", str(tmp_path / "a"), *SMALL, "--out", str(tmp_path / "straight")])
    save = AutoencoderKL.save_pretrained

    def interrupted(self, folder, *args, **kwargs):  # the config written, then Ctrl-C before the weights
        self.save_config(folder)
        raise KeyboardInterrupt

    monkeypatch.setattr(AutoencoderKL, "save_pretrained", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backbone_main(["--data", str(tmp_path / "a"), *SMALL, "--out", str(tmp_path / "bb")])
    assert not (tmp_path / "bb.run" / "vae").exists()  # no half-written VAE to load
    monkeypatch.setattr(AutoencoderKL, "save_pretrained", save)
    backbone_main(["--data", str(tmp_path / "a"), *SMALL, "--out", str(tmp_path / "bb")])
    a, b = AudioBackbone.from_pretrained(tmp_path / "straight"), AudioBackbone.from_pretrained(tmp_path / "bb")
    for module in ("vae", "unet"):
        for key, value in getattr(a, module).state_dict().items():
            assert torch.equal(value, getattr(b, module).state_dict()[key])


def test_an_out_folder_of_other_files_is_refused_and_kept(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(SystemExit) as exit_:  # a finished run replaces its --out: never a folder of other files
        cli(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "mine")])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().endswith("mine holds other files (notes.txt) and no backbone; "
                                                    "give a new or empty folder")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep" and not (tmp_path / "mine.run").exists()


def test_a_device_that_is_not_there_is_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "bb"), "--device", "cuda"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.strip().endswith("--device cuda was asked for, but no CUDA GPU is available")
    assert not (tmp_path / "bb.run").exists()


def test_missing_data_is_refused_without_leaving_a_run_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "bb")])
    assert exit_.value.code == 2 and "foley.training.backbone: error:" in capsys.readouterr().err
    assert not (tmp_path / "bb.run").exists() and not (tmp_path / "bb").exists()


def test_a_run_folder_that_is_a_file_and_a_corpus_of_the_wrong_kind_are_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(tmp_path), "--out", str(tmp_path / "bb"), "--run", str(tmp_path / "file")])
    assert exit_.value.code == 2 and capsys.readouterr().err.strip().endswith("exists and is not a folder")
    corpus, vocoder, encoder = _sfx_inputs(tmp_path)
    synth = tmp_path / "synth"
    generate(synth, n_train=1, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:  # a SynthSync folder given to the sfx recipe
        cli(["--recipe", "sfx", "--data", str(synth), "--text-encoder", str(encoder), "--vocoder", str(vocoder),
             "--out", str(tmp_path / "bb")])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and "has no label" in err
    assert not (tmp_path / "bb.run").exists()


def test_inputs_the_sfx_recipe_cannot_use_are_one_line_and_leave_no_run_folder(tmp_path, capsys):
    corpus, vocoder, encoder = _sfx_inputs(tmp_path)
    (tmp_path / "no_vocab").mkdir()  # the encoder without its tokenizer files
    for name in ("config.json", "model.safetensors"):
        (tmp_path / "no_vocab" / name).write_bytes((encoder / name).read_bytes())
    (tmp_path / "not_a_folder").write_text("x")
    common = ["--recipe", "sfx", "--data", str(corpus), "--vocoder", str(vocoder), "--vae-steps", "1"]
    for extra, message in [
        (["--text-encoder", str(tmp_path / "no_vocab" / "..")], "is or shares a folder with --text-encoder"),
        (["--text-encoder", str(tmp_path / "not_a_folder")], "no config.json (not a transformers sentence-encoder folder)"),
        (["--text-encoder", str(tmp_path / "no_vocab")], "vocabulary files are missing or belong to another model"),
        (["--text-encoder", str(encoder), "--vae-crop", "353"], "--vae-crop 353: must be at most the model's width"),
        (["--text-encoder", str(encoder), "--vae-crop", "6"], "and a multiple of 4 (the VAE's downsampling)"),
        (["--text-encoder", str(encoder), "--out", str(tmp_path / "not_a_folder" / "bb")], "cannot write the run log"),
    ]:
        args = [*common, "--out", str(tmp_path / "bb"), *extra]
        with pytest.raises(SystemExit) as exit_:
            cli(args)
        err = capsys.readouterr().err.strip()
        assert exit_.value.code == 2 and message in err.splitlines()[-1] and "Traceback" not in err, (extra, err)
        assert not (tmp_path / "bb.run").exists()
    with pytest.raises(SystemExit) as exit_:
        cli(["--data", str(corpus), "--out", str(tmp_path / "bb"), "--vae-crop", "0"])
    assert exit_.value.code == 2 and "--vae-crop: must be >= 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:  # the demo recipe is SynthSync's
        cli(["--data", str(corpus), "--out", str(tmp_path / "bb")])
    assert exit_.value.code == 2 and capsys.readouterr().err.strip().endswith("--recipe sfx trains on it")
    assert not (tmp_path / "bb.run").exists()


def test_the_size_options_shape_the_saved_backbone(tmp_path):
    generate(tmp_path / "synth", n_train=4, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    backbone_main(["--data", str(tmp_path / "synth"), "--out", str(tmp_path / "bb"), "--vae-steps", "2",
                   "--vae-batch", "2", "--vae-crop", "32", "--vae-channels", "8,16", "--latent-channels", "2",
                   "--unet-channels", "8,16,16", "--unet-steps", "2", "--unet-batch", "2", "--zero-terminal-snr"])
    backbone = AudioBackbone.from_pretrained(tmp_path / "bb")
    assert list(backbone.vae.config.block_out_channels) == [8, 16] and backbone.vae.config.latent_channels == 2
    assert list(backbone.unet.config.block_out_channels) == [8, 16, 16]  # cross-attention on all but the finest:
    assert list(backbone.unet.config.down_block_types) == ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"]
    assert backbone.unet.config.in_channels == 2 and backbone.unet.config.out_channels == 2
    assert backbone.c.scheduler.config.rescale_betas_zero_snr
    assert backbone.c.scheduler.config.prediction_type == "v_prediction"


@pytest.mark.parametrize("option, message", [
    (["--unet-cross-attention", "0,1"], "--unet-cross-attention needs --unet-channels"),
    (["--unet-channels", "8,16,16", "--unet-cross-attention", "0,1"], "one flag per level of --unet-channels (3), got 2"),
])
def test_unet_size_options_that_do_not_fit_together_are_refused(tmp_path, capsys, option, message):
    with pytest.raises(SystemExit) as exit_:
        backbone_main(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "out"), *option])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out.run").exists()


def test_a_mel_image_that_the_downsamplings_do_not_divide_is_refused():
    cfg = replace(TINY, vae_channels=(8, 8, 8), unet_channels=(16, 16, 16, 16), unet_cross_attention=(False,) * 4)
    with pytest.raises(FoleyError, match=r"does not divide by 32, the VAE's and the UNet's downsamplings"):
        build_backbone(cfg)


def test_zero_terminal_snr_starts_from_pure_noise_and_survives_a_round_trip(tmp_path):
    torch.manual_seed(0)
    backbone = build_backbone(replace(TINY, zero_terminal_snr=True), text=tiny_sentence_encoder(tmp_path / "enc"))
    alphas = backbone.c.scheduler.alphas_cumprod
    assert alphas[-1] < 1e-6 and alphas[0] > 0.99  # the last training step keeps nothing of the latent
    backbone.save_pretrained(tmp_path / "model")
    loaded = AudioBackbone.from_pretrained(tmp_path / "model")
    assert torch.allclose(loaded.c.scheduler.alphas_cumprod, alphas, atol=1e-7)
    for scheduler in ("dpm", "ddim"):
        a = backbone.generate(["thunder"], 0.3, steps=3, guidance=2.0, scheduler=scheduler)
        b = loaded.generate(["thunder"], 0.3, steps=3, guidance=2.0, scheduler=scheduler)
        assert torch.isfinite(a).all() and torch.allclose(a, b, atol=1e-4)
    with pytest.raises(FoleyError, match="zero terminal SNR, which the PNDM sampler cannot follow"):
        loaded.generate(["thunder"], 0.3, steps=3, scheduler="pndm")


@pytest.mark.parametrize("zero_terminal_snr", [False, True])
def test_the_denoising_target_follows_the_schedules_prediction_type(tmp_path, zero_terminal_snr):
    torch.manual_seed(0)
    backbone = build_backbone(replace(TINY, zero_terminal_snr=zero_terminal_snr),
                              text=tiny_sentence_encoder(tmp_path / "enc"))
    scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
    x0, noise = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    t = torch.tensor([0, 500, 999])
    noisy, target = scheduler.add_noise(x0, noise, t), denoising_target(scheduler, x0, noise, t)
    if not zero_terminal_snr:
        assert torch.equal(target, noise)
        return
    a = scheduler.alphas_cumprod[t][:, None, None, None]
    assert torch.allclose(a.sqrt() * noisy - (1 - a).sqrt() * target, x0, atol=1e-4)  # v gives back x0
    assert torch.allclose(noisy[2], noise[2], atol=1e-4) and torch.allclose(target[2], -x0[2], atol=1e-4)


def _sfx_inputs(tmp: Path) -> tuple[Path, Path, Path]:
    """A three-clip corpus in `foley prepare sfx`'s layout, a tiny imported HiFi-GAN (16 mel
    bands, as the recipe's downsamplings need) and a tiny sentence-encoder folder."""
    import numpy as np

    from foley.cli import main as foley_main
    from foley.media.audio import write_audio

    corpus = tmp / "corpus"
    rng = np.random.default_rng(0)
    lines = []
    for i, (caption, label) in enumerate([("rain falls", "rain"), ("a dog barks", "dog barks"),
                                          ("footsteps on gravel", "footsteps on gravel")]):
        write_audio(corpus / "train" / f"c{i}.wav", (rng.standard_normal(8000) * 0.1).astype(np.float32), 16000)
        lines.append(json.dumps({"id": f"c{i}", "audio": f"train/c{i}.wav", "caption": caption, "label": label,
                                 "duration_s": 0.5, "package": "sonic-pi-samples", "package_version": "1",
                                 "licence": "CC0", "attribution": "someone"}))
    (corpus / "train.jsonl").write_text("\n".join(lines) + "\n")
    checkpoint, config, _ = write_jik876(tmp / "jik876", num_mels=16)
    assert foley_main(["import-vocoder", str(checkpoint), "--config", str(config), "--out", str(tmp / "vocoder")]) == 0
    text = tiny_sentence_encoder(tmp / "enc")
    text.tokenizer.save_pretrained(tmp / "enc")
    text.text_encoder.save_pretrained(tmp / "enc")
    return corpus, tmp / "vocoder", tmp / "enc"


def _tiny_sfx_backbone(tmp: Path, name: str) -> tuple[Path, Path]:
    """A tiny corpus and a backbone trained on it for one VAE and one UNet step."""
    corpus, vocoder, encoder = _sfx_inputs(tmp)
    backbone_main(["--recipe", "sfx", "--data", str(corpus), "--text-encoder", str(encoder), "--vocoder", str(vocoder),
                   "--out", str(tmp / name), "--vae-steps", "1", "--vae-batch", "2", "--vae-crop", "176",
                   "--unet-steps", "1", "--unet-batch", "2"])
    return corpus, tmp / name


def test_the_sfx_recipe_writes_a_backbone_with_its_credits_and_the_sounds_it_learned(tmp_path):
    corpus, vocoder, encoder = _sfx_inputs(tmp_path)
    out = tmp_path / "bb"
    backbone_main(["--recipe", "sfx", "--data", str(corpus), "--text-encoder", str(encoder), "--vocoder", str(vocoder),
                   "--out", str(out), "--vae-steps", "1", "--vae-batch", "2", "--vae-crop", "176", "--unet-steps", "2",
                   "--unet-batch", "2", "--unet-ema", "0.9", "--unet-lr-schedule", "constant"])
    backbone = AudioBackbone.from_pretrained(out)
    assert backbone.text.layout == LAYOUT_CONDITION and backbone.mel.width == 352 and backbone.mel.n_mels == 16
    assert read_known_sounds(out) == sorted(["rain falls", "rain", "a dog barks", "dog barks", "footsteps on gravel"])
    assert "sonic-pi-samples 1: 3 clip(s), CC0, someone" in (out / "ATTRIBUTION.md").read_text()
    args = json.loads((out / "training.json").read_text())["args"]
    assert args["unet_ema"] == 0.9 and args["unet_lr_schedule"] == "constant"


def test_init_fine_tunes_a_trained_backbone_on_another_recipes_data_and_keeps_its_vae(tmp_path, capsys):
    corpus, first = _tiny_sfx_backbone(tmp_path, "first")
    synth = tmp_path / "synth"
    generate(synth, n_train=2, n_test=0, seed=0, cfg=SynthConfig(duration_s=1.0), workers=1, progress=False)
    tuned = tmp_path / "tuned"
    backbone_main(["--init", str(first), "--data", str(synth), "--out", str(tuned), "--unet-steps", "2",
                   "--unet-batch", "2", "--unet-lr", "1e-2"])
    a, b = AudioBackbone.from_pretrained(first), AudioBackbone.from_pretrained(tuned)
    for key, value in a.vae.state_dict().items():
        assert torch.equal(value, b.vae.state_dict()[key])
    assert b.vae.config.scaling_factor == a.vae.config.scaling_factor and b.mel == a.mel
    assert any(not torch.equal(v, b.unet.state_dict()[k]) for k, v in a.unet.state_dict().items())
    captions = {e["caption"] for e in load_manifest(synth, "train")}
    assert set(read_known_sounds(tuned)) == set(read_known_sounds(first)) | captions
    training = json.loads((tuned / "training.json").read_text())
    assert training["init"] == "first" and training["args"]["unet_steps"] == 2 and "vae_steps" not in training["args"]
    assert training["init_training"] == json.loads((first / "training.json").read_text())  # the whole lineage
    for config in ("unet/config.json", "vae/config.json", "scheduler/scheduler_config.json"):  # no path of this machine
        assert "_name_or_path" not in json.loads((tuned / config).read_text())
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        cli(["--init", str(first), "--data", str(synth), "--out", str(tmp_path / "x"), "--latent-channels", "2"])
    assert exit_.value.code == 2 and "--init keeps its backbone's parts and sizes; drop --latent-channels" in (
        capsys.readouterr().err)


def test_a_decoder_only_run_leaves_the_encoder_and_so_the_latents_as_they_were(tmp_path):
    images = torch.rand(4, 1, TINY.mel.n_mels, 32) * 2 - 1  # (N, 1, M, T) mel images
    torch.manual_seed(0)
    backbone = tiny_backbone(tmp_path / "m")
    before = {k: v.clone() for k, v in backbone.vae.state_dict().items()}
    train_vae(backbone, images, steps=2, batch=2, crop=16, lr=1e-2, kl_weight=0.0,
              gen=torch.Generator().manual_seed(0), log=lambda _: None, run=tmp_path / "run", decoder_only=True)
    after = backbone.vae.state_dict()
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"decoder", "post_quant_conv"}
    assert torch.load(tmp_path / "run" / VAE_CHECKPOINT, weights_only=True)["settings"]["decoder_only"] is True


def test_the_decoder_fine_tune_command_writes_a_vae_with_the_same_latents_and_resumes_exactly(tmp_path, capsys):
    from foley.training.vae_decoder import TRAINING_FILE, cli as decoder_cli

    corpus, model = _tiny_sfx_backbone(tmp_path, "bb")
    common = ["--model", str(model), "--recipe", "sfx", "--data", str(corpus), "--steps", "3", "--batch", "2",
              "--lr", "1e-2"]
    decoder_cli([*common, "--out", str(tmp_path / "a")])
    decoder_cli([*common, "--out", str(tmp_path / "b"), "--stop-at", "1"])
    assert not (tmp_path / "b").exists()
    decoder_cli([*common, "--out", str(tmp_path / "b")])
    source = AudioBackbone.from_pretrained(model).vae
    a, b = (AutoencoderKL.from_pretrained(tmp_path / name) for name in ("a", "b"))
    assert a.config.scaling_factor == source.config.scaling_factor
    for key, value in source.state_dict().items():
        assert torch.equal(a.state_dict()[key], b.state_dict()[key])
        assert torch.equal(a.state_dict()[key], value) == (not key.startswith(("decoder", "post_quant_conv")))
    assert json.loads((tmp_path / "a" / TRAINING_FILE).read_text())["args"]["steps"] == 3
    assert "_name_or_path" not in json.loads((tmp_path / "a" / "config.json").read_text())
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        decoder_cli([*common, "--out", str(tmp_path / "c"), "--crop", "400"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "--crop 400: must be at most the model's width (352 frames) and a multiple of 4 (the VAE's downsampling)")
    assert not (tmp_path / "c.run").exists()
    (model / "vae" / "diffusion_pytorch_model.safetensors").unlink()  # a backbone copied without its weights
    with pytest.raises(SystemExit) as exit_:
        decoder_cli([*common, "--out", str(tmp_path / "e")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err and "diffusion_pytorch_model" in err
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit):
        decoder_cli([*common, "--out", str(tmp_path / "file")])
    assert capsys.readouterr().err.strip().endswith("exists and is not a folder")
    assert not (tmp_path / "file.run").exists() and (tmp_path / "file").read_text() == "x"
    with pytest.raises(SystemExit):
        decoder_cli([*common, "--out", str(tmp_path / "d"), "--run", str(tmp_path / "file")])
    assert capsys.readouterr().err.strip().endswith("exists and is not a folder")


def test_the_decoder_fine_tune_refuses_other_data_on_resume_and_an_out_folder_of_other_files(tmp_path, capsys):
    import shutil

    from foley.training.vae_decoder import TRAINING_FILE, cli as decoder_cli

    corpus, model = _tiny_sfx_backbone(tmp_path, "bb")
    other = tmp_path / "other"
    shutil.copytree(corpus, other)
    (other / "train.jsonl").write_text((corpus / "train.jsonl").read_text().replace("rain falls", "rain pours"))
    common = ["--model", str(model), "--recipe", "sfx", "--steps", "2", "--batch", "2", "--out", str(tmp_path / "v")]
    decoder_cli([*common, "--data", str(corpus), "--stop-at", "1"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        decoder_cli([*common, "--data", str(other)])
    assert exit_.value.code == 2 and "v.run was trained on other data than --data" in capsys.readouterr().err
    decoder_cli([*common, "--data", str(corpus)])
    digest = json.loads((tmp_path / "v.run" / "data.json").read_text())["sha256"]
    assert json.loads((tmp_path / "v" / TRAINING_FILE).read_text())["data"] == {"name": "corpus", "sha256": digest}
    decoder_cli([*common, "--data", str(corpus)])  # done: the VAE folder is written again
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.json").write_text("keep")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        decoder_cli([*common[:-1], str(tmp_path / "mine"), "--data", str(corpus)])
    assert exit_.value.code == 2 and "mine holds other files (config.json) and no VAE" in capsys.readouterr().err
    assert (tmp_path / "mine" / "config.json").read_text() == "keep"
