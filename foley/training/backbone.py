"""Training the shipped backbones: small stand-ins for pretrained Auffusion, same classes
(AutoencoderKL, UNet2DConditionModel, a text encoder), trained from scratch here.

Recipes:
- ``demo``: SynthSync's train split; a word-level tokenizer over the captions and a CLIP
  text model trained with the UNet (stable-diffusion layout); Griffin-Lim vocoder.
- ``sfx``: the train split of a ``foley prepare sfx`` corpus (real recordings); a frozen
  pretrained sentence encoder (all-MiniLM-L6-v2) with a trained condition adapter
  (Auffusion's condition-adapter layout), so that new phrasings of a known sound work; the
  pretrained HiFi-GAN's mel and the HiFi-GAN itself as vocoder.

Stages: the VAE on mel images (random time crops; L1 reconstruction + a small KL term,
optionally an L1 on the image's gradients and Stable Diffusion's PatchGAN term for
texture), its latent scaling factor =
1 / std of the training latents (Stable Diffusion's rule);
then the UNet and the trainable text part on cached latents: epsilon-prediction MSE on the
PNDM/DDPM training schedule, captions dropped 10 % of the time so that classifier-free
guidance has an unconditional model. The run folder (``OUT.run``) keeps the VAE, UNet
checkpoints and the log; rerunning the same command resumes exactly.

``--init BACKBONE`` fine-tunes a trained backbone instead: its VAE, vocoder and text encoder
stay, its UNet and trainable text part continue on the recipe's data (the recorded-sound dub
model's backbone: the sound-effects backbone fine-tuned on SynthSync with recorded sounds);
its ``training.json`` holds the initial backbone's, nested as ``init_training``.

Run: ``python -m foley.training.backbone --data DATA --out DIR`` (see train/README.md for
the shipped models' exact commands). Single process, on the CPU unless ``--device`` names a
GPU; the random draws come from one CPU generator whatever the device, so a run stopped on
one device resumes on another.
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.training.backbone")

import argparse
import hashlib
import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler
from diffusers.training_utils import EMAModel, compute_snr
from transformers import AutoModel, PreTrainedTokenizerFast

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

from ..cli import OneLineErrors, add_threads, device_arg, number_arg, one_line_errors, show_defaults
from ..config import MAX_SEED
from ..datasets.sfx import attribution_text, load_sfx_manifest
from ..datasets.synthsync import load_manifest
from ..device import resolve_device
from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import atomic_dir, atomic_path, atomic_write_text
from ..models.backbone_settings import MEL_CONFIG
from ..models.text_condition import ConditionAdapter, TextConditioner, check_tokenizer, load_tokenizer
from ..models.backbone import AudioBackbone, BackboneConfig, build_backbone
from ..models.known_sounds import read_known_sounds, write_known_sounds
from ..models.mel import LogMel, MelConfig, mel_to_image
from ..models.vocoder import load_vocoder
from . import check_apart, check_run_folder, config_difference, logs_step, nested, stop_said

DEMO_CONFIG = BackboneConfig(
    mel=MelConfig(n_mels=64, width=416),  # 4.16 s: a 4 s SynthSync clip fits
    vae_channels=(16, 32, 64), unet_channels=(32, 64, 96), unet_cross_attention=(False, True, True),
    attention_head_dim=16, text_dim=64, text_layers=2, text_heads=2, griffin_lim_iters=32)
MAX_TEXT_TOKENS = 16
SFX_MAX_TEXT_TOKENS = 32
UNET_CHECKPOINT = "unet_checkpoint.pt"
VAE_CHECKPOINT = "vae_checkpoint.pt"


def build_caption_tokenizer(captions: list[str], max_length: int = MAX_TEXT_TOKENS) -> PreTrainedTokenizerFast:
    """Word-level tokenizer over the captions, with <s> ... </s> around each prompt."""
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(captions,
                            trainers.WordLevelTrainer(special_tokens=["<pad>", "<unk>", "<s>", "</s>"]))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<s>",
                                   eos_token="</s>", model_max_length=max_length)


def load_clips(root: str | Path, split: str, mel: MelConfig) -> tuple[torch.Tensor, list[dict]]:
    """A split's audio as model-width waveforms (N, width * hop) and its manifest entries."""
    entries = load_manifest(root, split)
    n = mel.width * mel.hop_length
    wavs = torch.zeros(len(entries), n)
    for i, e in enumerate(entries):
        wav, _ = read_audio(e["audio"], sample_rate=mel.sample_rate)
        wavs[i, : min(n, len(wav))] = torch.from_numpy(wav[:n])
    return wavs, entries


def mel_images(wavs: torch.Tensor, mel: MelConfig, batch: int = 32) -> torch.Tensor:
    """Waveforms (N, samples) -> the one-channel mel images (N, 1, M, width) the VAE is trained on."""
    log_mel = LogMel(mel)
    return torch.cat([mel_to_image(log_mel(wavs[i:i + batch]), mel)[:, :1] for i in range(0, len(wavs), batch)])


def _lr(step: int, total: int | None, peak: float, warmup: int = 50) -> float:
    """Linear warm-up, then cosine decay to 0 at ``total``, or constant at ``peak`` (``total`` None)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    if total is None:
        return peak
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


class PatchDiscriminator(torch.nn.Sequential):
    """PatchGAN critic on mel images (B, 1, M, T) -> realness logits (B, 1, M/4 - 2, T/4 - 2).

    Isola et al. 2017's layout, as the Stable Diffusion VAE's adversarial loss uses it
    (Esser et al. 2021); written here because diffusers ships the VAE but not its GAN loss."""

    def __init__(self, channels: int = 32) -> None:
        c = channels
        super().__init__(
            torch.nn.Conv2d(1, c, 4, 2, 1), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(c, 2 * c, 4, 2, 1), torch.nn.GroupNorm(8, 2 * c), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(2 * c, 4 * c, 4, 1, 1), torch.nn.GroupNorm(8, 4 * c), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(4 * c, 1, 4, 1, 1))


def gradient_l1(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between the differences of neighbouring cells along frequency and along time of two
    mel images (B, 1, M, T): what plain L1 lets a VAE blur (harmonics, onsets) costs here.
    The image-gradient loss of Mathieu et al. 2016 (p = 1), written out as it is two lines."""
    df = F.l1_loss(recon.diff(dim=2), target.diff(dim=2))  # (B, 1, M-1, T)
    dt = F.l1_loss(recon.diff(dim=3), target.diff(dim=3))  # (B, 1, M, T-1)
    return df + dt


def adaptive_weight(rec_loss: torch.Tensor, adv_loss: torch.Tensor, last_layer: torch.Tensor) -> torch.Tensor:
    """Esser et al. 2021, eq. 7: ||grad rec|| / (||grad adv|| + 1e-4) at the decoder's last layer,
    clamped to [0, 1e4], so the adversarial term neither vanishes nor swamps the L1."""
    g_rec = torch.autograd.grad(rec_loss, last_layer, retain_graph=True)[0].norm()
    g_adv = torch.autograd.grad(adv_loss, last_layer, retain_graph=True)[0].norm()
    return (g_rec / (g_adv + 1e-4)).clamp(0.0, 1e4).detach()


DATA_RECORD = "data.json"


def check_run_data(run: Path, data: str, images: torch.Tensor, texts: list) -> str:
    """Record in ``run`` (``data.json``) a digest of the training windows' mel images (N, 1, M,
    width) and texts, or refuse (FoleyError) a run that recorded other ones: a resumed stage
    must not go on learning from another corpus than the one it began on. Returns the digest."""
    windows = hashlib.sha256(images.float().contiguous().numpy())  # the tensor's own buffer, not a copy of it
    windows.update(repr(texts).encode())
    digest = windows.hexdigest()
    record = run / DATA_RECORD
    if record.is_file() and json.loads(record.read_text(encoding="utf-8")).get("sha256") != digest:
        raise FoleyError(f"{run} was trained on other data than --data {data} gives; give another --out "
                         "(or --run) for a new run")
    atomic_write_text(record, json.dumps({"data": str(Path(data).resolve()), "sha256": digest}, indent=1) + "\n")
    return digest


def _resume(checkpoint: Path | None, settings: dict, modules: dict, gen: torch.Generator, log, stage: str) -> dict:
    """Load a stage's checkpoint into ``modules`` (name -> module or optimizer) and ``gen``;
    returns the checkpoint's extra state ({} without one). Refuses other settings."""
    state = _checkpoint_state(checkpoint, settings)
    if not state:
        return {}
    try:
        for name, module in modules.items():
            module.load_state_dict(state[name])
        gen.set_state(state["generator"])
    except (KeyError, RuntimeError, ValueError) as e:  # a part missing, or of other shapes
        raise FoleyError(f"{checkpoint}: holds other parts than this run ({str(e).splitlines()[0][:120]}); "
                         "start a new run folder") from None
    log(f"{stage} resumed at step {state['step']}")
    return state


def _checkpoint_state(checkpoint: Path | None, settings: dict) -> dict:
    """A stage's checkpoint as saved ({} without one); FoleyError when it cannot be read or was made
    with other ``settings``."""
    if checkpoint is None or not checkpoint.is_file():
        return {}
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a truncated or foreign file: torch raises many kinds
        raise FoleyError(f"{checkpoint}: not a readable checkpoint ({type(e).__name__}); "
                         "delete it to start the run over") from None
    if not isinstance(state, dict):
        raise FoleyError(f"{checkpoint}: not a checkpoint of this command; delete it to start the run over")
    if state.get("settings", settings) != settings:
        raise FoleyError(f"{checkpoint}: was trained with other settings ({config_difference(state['settings'], settings)}); "
                         "rerun with the run's own settings, or start a new run folder")
    return state


def _save_checkpoint(checkpoint: Path, modules: dict, gen: torch.Generator, **extra) -> None:
    with atomic_path(checkpoint) as tmp:
        torch.save({**{name: m.state_dict() for name, m in modules.items()}, "generator": gen.get_state(), **extra}, tmp)


def train_vae(backbone: AudioBackbone, images: torch.Tensor, steps: int, batch: int, crop: int, lr: float,
              kl_weight: float, gen: torch.Generator, log, adversarial: float = 0.0, adversarial_start: int = 0,
              run: Path | None = None, checkpoint_every: int = 0, stop_at: int | None = None,
              settings: dict | None = None, critic_warmup: int = 0, gradient_weight: float = 0.0,
              posterior_std: float | None = None, decoder_only: bool = False) -> int:
    """L1 + ``kl_weight`` * KL on random ``crop``-frame crops of ``images`` (N, 1, M, T), plus
    ``gradient_weight`` * ``gradient_l1`` (sharp harmonics and onsets); from
    step ``adversarial_start`` on, plus ``adversarial`` * the adaptive weight * a hinge
    PatchGAN loss, which restores the fine texture (harmonics, crackle) that L1 alone blurs.
    ``critic_warmup``: the critic learns alone for this many steps before its loss reaches
    the VAE, so the VAE's first adversarial gradients come from a critic that can already
    tell real from reconstructed (a random one's only add noise to a converged VAE).
    ``posterior_std``: the fresh VAE's posterior starts with about this standard deviation
    instead of diffusers' ~1, a noise that otherwise swamps the latents (std ~0.65) for
    thousands of steps and leaves most latent channels unused, so the decoder learns a blur.
    ``decoder_only``: the encoder stays frozen and only the decoder learns, so the latents (and
    a UNet trained on them) keep their meaning while the decoder renders them sharper.

    With ``run``, a checkpoint (VAE, critic, optimizers, generator, step) every
    ``checkpoint_every`` steps, resumed from as ``train_unet`` does; ``stop_at``: checkpoint
    and return after this step. Returns the number of steps done."""
    vae = backbone.vae.train().requires_grad_(not decoder_only)
    device = vae.device  # where the caller put the backbone; random draws stay on gen (CPU), so any device resumes
    if decoder_only:
        for module in (vae.post_quant_conv, vae.decoder):
            module.requires_grad_(True)
    params = [p for p in vae.parameters() if p.requires_grad]
    if posterior_std is not None:  # the log-variance half of the moments (Kingma & Welling's logvar)
        with torch.no_grad():
            vae.quant_conv.bias[vae.config.latent_channels:] += 2.0 * math.log(posterior_std)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    critic = PatchDiscriminator().to(device) if adversarial > 0 else None
    critic_opt = torch.optim.AdamW(critic.parameters(), lr=lr, betas=(0.5, 0.9)) if critic else None
    modules = {"vae": vae, "optimizer": opt, **({"critic": critic, "critic_optimizer": critic_opt} if critic else {})}
    settings = vae_settings(steps, batch, crop, lr, kl_weight, adversarial, adversarial_start, settings, critic_warmup,
                            gradient_weight, posterior_std, decoder_only)
    checkpoint = run / VAE_CHECKPOINT if run is not None else None
    first = int(_resume(checkpoint, settings, modules, gen, log, "vae").get("step", 0))
    end = min(steps, stop_at) if stop_at is not None else steps
    with stop_said("vae", steps, checkpoint, first) as at:
        for step in range(first, end):
            idx = torch.randint(len(images), (batch,), generator=gen)
            start = torch.randint(0, images.shape[-1] - crop + 1, (1,), generator=gen).item() // 4 * 4
            x = images[idx, :, :, start:start + crop].to(device).expand(-1, 3, -1, -1)  # (b, 3, M, crop)
            with torch.set_grad_enabled(not decoder_only):
                posterior = vae.encode(x).latent_dist
            recon = vae.decode(posterior.sample(generator=gen)).sample
            rec = F.l1_loss(recon, x) + kl_weight * posterior.kl().mean()
            if gradient_weight:
                rec = rec + gradient_weight * gradient_l1(recon[:, :1], x[:, :1])
            loss, msg = rec, ""
            gan = critic is not None and step >= adversarial_start
            learn_critic = critic is not None and step >= adversarial_start - critic_warmup
            if gan:
                adv = -critic(recon[:, :1]).mean()
                weight = adversarial * adaptive_weight(rec, adv, vae.decoder.conv_out.weight)
                loss = rec + weight * adv
            for opt_ in (opt, critic_opt) if critic else (opt,):
                for g in opt_.param_groups:
                    g["lr"] = _lr(step, steps, lr)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if learn_critic:  # hinge loss (Lim & Ye 2017) on real vs reconstructed mel images
                critic_loss = F.relu(1 - critic(x[:, :1])).mean() + F.relu(1 + critic(recon[:, :1].detach())).mean()
                critic_opt.zero_grad()
                critic_loss.backward()
                critic_opt.step()
                msg = f" critic {critic_loss.item():.3f}"
            if gan:
                msg = f" adversarial {adv.item():.3f} x {weight.item():.3f}{msg}"
            if logs_step(step + 1, end, 25):
                log(f"vae step {step + 1}/{steps} loss {rec.item():.4f}{msg}")
            if checkpoint is not None and ((checkpoint_every and (step + 1) % checkpoint_every == 0)
                                           or step + 1 == end):
                _save_checkpoint(checkpoint, modules, gen, step=step + 1, settings=settings)
                at["saved"] = step + 1
            at["done"] = step + 1
    vae.eval().requires_grad_(False)
    return max(first, end)


def vae_settings(steps: int, batch: int, crop: int, lr: float, kl_weight: float, adversarial: float = 0.0,
                 adversarial_start: int = 0, settings: dict | None = None, critic_warmup: int = 0,
                 gradient_weight: float = 0.0, posterior_std: float | None = None, decoder_only: bool = False) -> dict:
    """What shapes a VAE stage's weights (``train_vae``'s options, and the caller's ``settings``),
    as its checkpoint keeps them."""
    settings = {**(settings or {}), "steps": steps, "batch": batch, "crop": crop, "lr": lr, "kl_weight": kl_weight,
                "adversarial": adversarial, "adversarial_start": adversarial_start}
    for key, value in (("critic_warmup", critic_warmup), ("gradient_weight", gradient_weight),
                       ("posterior_std", posterior_std), ("decoder_only", decoder_only)):
        if value:  # absent when unused, as in checkpoints made before these options
            settings[key] = value
    return settings


@torch.no_grad()
def encode_latents(backbone: AudioBackbone, images: torch.Tensor, batch: int = 32) -> torch.Tensor:
    vae = backbone.vae
    return torch.cat([vae.encode(images[i:i + batch].to(vae.device).expand(-1, 3, -1, -1)).latent_dist.mode().cpu()
                      for i in range(0, len(images), batch)])  # (N, C, M / f, T / f), on the CPU


class TextStates:
    """Captions -> cross-attention states for training, as the conditioner computes them.

    Stable-diffusion layout: the text encoder is trained with the UNet (tokenized, padded
    to the max length). Condition-adapter layout: the pretrained encoder is frozen, so its
    zero-padded hidden states are computed once per caption and only the adapter trains;
    dropped captions get the all-zero unconditional states (Auffusion's convention).
    """

    def __init__(self, text, captions: list[str]) -> None:
        self.text = text
        self.frozen = text.adapter is not None
        if self.frozen:
            self.cache = {c: self._encode_frozen(c) for c in sorted(set(captions))}

    @torch.no_grad()
    def _encode_frozen(self, caption: str) -> torch.Tensor:
        ids = self.text.tokenizer(caption, truncation=True, max_length=self.text.max_length, return_tensors="pt").input_ids
        encoder = self.text.text_encoder
        states = encoder(ids.to(encoder.device)).last_hidden_state[0].float().cpu()  # (n, D_text)
        return F.pad(states, (0, 0, 0, self.text.max_length - states.shape[0]))  # (L, D_text)

    def modules(self) -> list[torch.nn.Module]:
        return [self.text.adapter] if self.frozen else [self.text.text_encoder]

    def __call__(self, prompts: list[str | None]) -> torch.Tensor:
        # B prompts (None = dropped) -> (B, L, D)
        if not self.frozen:
            ids = self.text.tokenizer([p or "" for p in prompts], padding="max_length", max_length=self.text.max_length,
                                      truncation=True, return_tensors="pt").input_ids
            return self.text.text_encoder(ids.to(self.text.text_encoder.device)).last_hidden_state
        kept = [p is not None for p in prompts]
        cached = torch.stack([self.cache[p] if p is not None else self.cache[next(iter(self.cache))] for p in prompts])
        states = self.text.adapter(cached.to(next(self.text.adapter.parameters()).device))  # (B, L, D)
        return states * torch.tensor(kept, dtype=states.dtype, device=states.device)[:, None, None]


def denoising_target(noise_scheduler, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """What the UNet learns to predict from ``add_noise(x0, noise, t)``: the noise (epsilon
    prediction) or the velocity sqrt(a) * noise - sqrt(1 - a) * x0 (v-prediction, Salimans & Ho
    2022), as the scheduler's ``prediction_type`` says. Shapes: those of ``x0``."""
    kind = noise_scheduler.config.prediction_type
    if kind == "epsilon":
        return noise
    if kind == "v_prediction":
        return noise_scheduler.get_velocity(x0, noise, t)
    raise FoleyError(f"training for prediction type {kind!r} is not supported (epsilon or v_prediction)")


def train_unet(backbone: AudioBackbone, latents: torch.Tensor, captions: list[list[str]], steps: int, batch: int,
               lr: float, drop_caption: float, gen: torch.Generator, log, run: Path | None = None,
               checkpoint_every: int = 0, stop_at: int | None = None, settings: dict | None = None,
               snr_gamma: float | None = None, ema_decay: float | None = None,
               constant_lr: bool = False) -> list[dict]:
    """Denoising training of the UNet and the trainable text part, for the backbone scheduler's
    prediction type (``denoising_target``).

    ``ema_decay``: keep an exponential moving average of the trained weights (diffusers'
    ``EMAModel`` with its warm-up, decay 1 - (1 + step)^(-2/3) capped at ``ema_decay``) and
    leave the backbone with the averaged weights, as DDPM and Stable Diffusion sample from.
    ``constant_lr``: the learning rate stays at ``lr`` after its warm-up instead of decaying
    to 0 at ``steps``; the weights of a step then do not depend on ``steps``, so a run
    continues past its planned end by rerunning it with a larger ``steps``.

    ``snr_gamma``: Min-SNR-gamma loss weighting (Hang et al. 2023; min(SNR, gamma) / SNR per
    sample for epsilon prediction, min(SNR, gamma) / (SNR + 1) for v-prediction), which keeps
    the many low-noise steps from drowning the high-noise ones that shape a sound from its
    caption; None: plain MSE.

    ``captions[i]``: the texts of latent i (one is drawn per step). With ``run``, a
    checkpoint (weights, optimizer, generator, step, losses) is written every
    ``checkpoint_every`` steps and training resumes from it: an interrupted run ends with
    the same weights as an uninterrupted one. ``stop_at``: checkpoint and return after this
    step (a run split across sessions). ``settings`` (what shapes the weights) are kept in the
    checkpoint; resuming with other settings is refused. Returns the loss curve.
    """
    unet = backbone.unet.train().requires_grad_(True)
    device = unet.device  # where the caller put the backbone; random draws stay on gen (CPU), so any device resumes
    texts = TextStates(backbone.text, [c for group in captions for c in group])
    for module in texts.modules():
        module.train().requires_grad_(True)
    noise_scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
    v_prediction = noise_scheduler.config.prediction_type == "v_prediction"
    params = list(unet.parameters()) + [p for m in texts.modules() for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    settings = {**(settings or {}), "batch": batch, "lr": lr, "drop_caption": drop_caption,
                **({"lr_schedule": "constant"} if constant_lr else {"steps": steps})}
    # options absent from checkpoints made before them when unused
    if snr_gamma is not None:
        settings["snr_gamma"] = snr_gamma
    ema = None
    if ema_decay is not None:
        settings["ema_decay"] = ema_decay
        ema = EMAModel(params, decay=ema_decay, use_ema_warmup=True)
    start, curve = 0, []
    several = any(len(group) > 1 for group in captions)  # a text to draw per step
    checkpoint = run / UNET_CHECKPOINT if run is not None else None
    modules = {"unet": unet, "optimizer": opt, **({"ema": ema} if ema is not None else {})}
    state = _resume(checkpoint, settings, modules, gen, log, "unet")
    if state:
        for module, weights in zip(texts.modules(), state["text"]):
            module.load_state_dict(weights)
        start, curve = int(state["step"]), list(state["curve"])
        if start > steps:  # a constant-rate run gone past `steps`: its weights are of a later step than asked for
            raise FoleyError(f"{checkpoint}: the run has reached UNet step {start}; --unet-steps {steps} would end it "
                             f"before that (give --unet-steps {start} or more)")
        if ema is not None:  # its averages load as saved, on the CPU
            ema.to(device)
    end = min(steps, stop_at) if stop_at is not None else steps
    with stop_said("unet", steps, checkpoint, start) as at:
        for step in range(start, end):
            idx = torch.randint(len(latents), (batch,), generator=gen)
            keep = torch.rand(batch, generator=gen) >= drop_caption
            pick = (torch.randint(0, 1 << 30, (batch,), generator=gen) if several
                    else torch.zeros(batch, dtype=torch.long))
            prompts = [captions[i][j % len(captions[i])] if k else None
                       for i, k, j in zip(idx.tolist(), keep.tolist(), pick.tolist())]
            states = texts(prompts)  # (b, L, D)
            x0 = latents[idx].to(device)
            noise = torch.randn(x0.shape, generator=gen).to(device)
            t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (batch,), generator=gen).to(device)
            pred = unet(noise_scheduler.add_noise(x0, noise, t), t, states).sample
            target = denoising_target(noise_scheduler, x0, noise, t)
            if snr_gamma is None:
                loss = F.mse_loss(pred, target)
            else:
                snr = compute_snr(noise_scheduler, t)  # (b,)
                weight = torch.clamp(snr, max=snr_gamma) / (snr + 1 if v_prediction else snr)
                loss = (F.mse_loss(pred, target, reduction="none").mean(dim=(1, 2, 3)) * weight).mean()
            for g in opt.param_groups:
                g["lr"] = _lr(step, None if constant_lr else steps, lr)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if ema is not None:
                ema.step(params)
            curve.append(loss.item())
            if logs_step(step + 1, end, 25):
                log(f"unet step {step + 1}/{steps} loss {loss.item():.4f}")
            if checkpoint is not None and ((checkpoint_every and (step + 1) % checkpoint_every == 0)
                                           or step + 1 == end):
                _save_checkpoint(checkpoint, modules, gen, text=[m.state_dict() for m in texts.modules()],
                                 step=step + 1, curve=curve, settings=settings)
                at["saved"] = step + 1
            at["done"] = step + 1
    if ema is not None:
        ema.copy_to(params)
    unet.eval().requires_grad_(False)
    for module in texts.modules():
        module.eval().requires_grad_(False)
    return [{"step": i, "loss": v} for i, v in enumerate(curve)]


def load_sfx_windows(root: str | Path, split: str, mel: MelConfig, max_windows: int = 4
                     ) -> tuple[torch.Tensor, list[list[str]]]:
    """Model-width windows (N, width * hop) of a sound-effects corpus split, and the texts of
    each (caption and label). Every clip gives the window at its start (a sound begins at
    the start of what the model makes); a longer clip (an ambience) also gives windows
    every half width, up to ``max_windows``."""
    n = mel.width * mel.hop_length
    windows, texts = [], []
    for e in load_sfx_manifest(root, split):
        wav, _ = read_audio(e["audio"], sample_rate=mel.sample_rate)
        for start in range(0, max(1, len(wav) - n // 2), n // 2)[:max_windows]:
            window = torch.zeros(n)
            piece = torch.from_numpy(wav[start:start + n])
            window[: len(piece)] = piece
            windows.append(window)
            texts.append([e["caption"], e["label"]])
    return torch.stack(windows), texts


SFX_ATTRIBUTION_INTRO = ("The weights learned from these recordings: the train split of `foley prepare sfx`, "
                         "whose manifests hold each clip's licence, attribution and original path.")


def sfx_backbone_config(mel: MelConfig) -> BackboneConfig:
    """The real-audio demo backbone's sizes, on the vocoder's mel at a 352-frame width (4.09 s
    at 22,050 Hz / hop 256; a multiple of 16, as the VAE and UNet downsamplings need). Its VAE
    has 8 latent channels, twice Auffusion's, to keep the texture of recorded sound."""
    return BackboneConfig(
        mel=MelConfig.from_dict({**mel.to_dict(), "width": 352}), vae_channels=(16, 32, 64), latent_channels=8,
        unet_channels=(32, 64, 128), unet_cross_attention=(False, True, True), attention_head_dim=16, text_dim=128)


def _sfx_text(encoder_dir: str, text_dim: int, max_length: int = SFX_MAX_TEXT_TOKENS) -> TextConditioner:
    """A frozen pretrained sentence encoder (e.g. all-MiniLM-L6-v2) with a new condition adapter;
    FoleyError (one line) when ``encoder_dir`` is not a transformers encoder with its vocabulary."""
    folder = Path(encoder_dir)
    if not (folder / "config.json").is_file():
        raise FoleyError(f"--text-encoder {folder}: no config.json (not a transformers sentence-encoder folder)")
    tokenizer = load_tokenizer(folder)
    encoder = AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
    check_tokenizer(tokenizer, encoder, folder)
    adapter = ConditionAdapter({"condition_dim": encoder.config.hidden_size, "cross_attention_dim": text_dim})
    return TextConditioner(tokenizer, encoder, adapter, max_length=max_length)


def _channels(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated widths per level, each a positive multiple of 8 (the group norm)."""
    try:
        channels = tuple(int(c) for c in text.split(","))
    except ValueError:
        channels = ()
    if len(channels) < 2 or any(c <= 0 or c % 8 for c in channels):
        raise argparse.ArgumentTypeError(f"two or more comma-separated multiples of 8 (e.g. 32,64,128), got {text!r}")
    return channels


def _flags(text: str) -> tuple[bool, ...]:
    """An argparse type: comma-separated 0/1 flags per level, e.g. 0,1,1."""
    flags = text.split(",")
    if len(flags) < 2 or any(f not in ("0", "1") for f in flags):
        raise argparse.ArgumentTypeError(f"two or more comma-separated 0/1 flags (e.g. 0,1,1), got {text!r}")
    return tuple(f == "1" for f in flags)


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(prog="python -m foley.training.backbone", description=__doc__.splitlines()[0])
    p.add_argument("--recipe", choices=("demo", "sfx"), default="demo",
                   help="demo: SynthSync, CLIP text encoder from scratch, Griffin-Lim; sfx: a `foley prepare sfx` "
                        "corpus, a frozen sentence encoder (--text-encoder) and a neural vocoder (--vocoder)")
    p.add_argument("--data", required=True, help="SynthSync folder (demo) or sound-effects corpus (sfx)")
    p.add_argument("--out", required=True, help="output backbone folder")
    p.add_argument("--run", help="checkpoint folder for resuming (default: OUT.run)")
    p.add_argument("--text-encoder", help="sfx: a transformers sentence-encoder folder (all-MiniLM-L6-v2)")
    p.add_argument("--vocoder", help="sfx: a vocoder folder with mel_config.json (foley import-vocoder)")
    p.add_argument("--init", metavar="BACKBONE",
                   help="fine-tune this trained backbone on DATA (its VAE, vocoder, text encoder and sizes; "
                        "only the UNet stage runs)")
    p.add_argument("--vae-steps", type=number_arg(1, integer=True), default=400)
    p.add_argument("--vae-batch", type=number_arg(1, integer=True), default=8)
    p.add_argument("--vae-crop", type=number_arg(1, integer=True), default=208,
                   help="mel frames per VAE training crop")
    p.add_argument("--vae-lr", type=number_arg(0, above=True), default=1e-3)
    p.add_argument("--kl-weight", type=number_arg(0), default=1e-6)
    p.add_argument("--vae-adversarial", type=number_arg(0), default=0.0,
                   help="weight of the VAE's PatchGAN loss (0: L1 + KL only)")
    p.add_argument("--vae-adversarial-start", type=number_arg(0, integer=True), default=0,
                   help="VAE step at which the PatchGAN loss starts")
    p.add_argument("--vae-critic-warmup", type=number_arg(0, integer=True), default=0,
                   help="VAE steps in which the PatchGAN critic learns alone before its loss starts")
    p.add_argument("--vae-gradient-loss", type=number_arg(0), default=0.0,
                   help="weight of an L1 loss on the mel image's differences along frequency and time (sharp "
                        "harmonics and onsets)")
    p.add_argument("--vae-posterior-std", type=number_arg(0, above=True),
                   help="the fresh VAE's initial posterior standard deviation, e.g. 0.05 (default: diffusers' ~1)")
    p.add_argument("--vae-channels", type=_channels,
                   help="VAE widths per level, multiples of 8, e.g. 32,64,128 (default: the recipe's)")
    p.add_argument("--vae-layers", type=number_arg(1, integer=True),
                   help="VAE resnet layers per level (default: the recipe's)")
    p.add_argument("--latent-channels", type=number_arg(1, integer=True),
                   help="VAE latent channels (default: the recipe's; 4 demo, 8 sfx)")
    p.add_argument("--vae-stop-at", type=number_arg(1, integer=True),
                   help="checkpoint and stop after this VAE step (rerun to continue)")
    p.add_argument("--unet-channels", type=_channels,
                   help="UNet widths per level, multiples of 8, e.g. 16,32,64,128 (default: the recipe's)")
    p.add_argument("--unet-cross-attention", type=_flags,
                   help="UNet cross-attention per level, finest first, e.g. 0,0,1,1 (default: the recipe's; with "
                        "--unet-channels, every level but the finest)")
    p.add_argument("--unet-steps", type=number_arg(1, integer=True), default=600)
    p.add_argument("--unet-batch", type=number_arg(1, integer=True), default=16)
    p.add_argument("--unet-lr", type=number_arg(0, above=True), default=5e-4)
    p.add_argument("--drop-caption", type=number_arg(0, 1), default=0.1)
    p.add_argument("--unet-ema", type=number_arg(0, 1, above=True), metavar="DECAY",
                   help="sample from an exponential moving average of the UNet's weights, e.g. 0.999")
    p.add_argument("--unet-lr-schedule", choices=("cosine", "constant"), default="cosine",
                   help="constant: no decay, so a run continues past --unet-steps when rerun with more")
    p.add_argument("--snr-gamma", type=number_arg(0, above=True),
                   help="Min-SNR-gamma loss weighting of the UNet (e.g. 5; default: plain MSE)")
    p.add_argument("--zero-terminal-snr", action="store_true",
                   help="train the UNet on a schedule whose last step is pure noise, with v-prediction "
                        "(Lin et al. 2024) instead of Auffusion's scaled-linear schedule and epsilon prediction")
    p.add_argument("--text-pooling", action="store_true",
                   help="also pool the text states into the UNet's timestep embedding (a global caption condition)")
    p.add_argument("--checkpoint-every", type=number_arg(1, integer=True), default=100,
                   help="VAE and UNet steps between checkpoints")
    p.add_argument("--unet-stop-at", type=number_arg(1, integer=True),
                   help="checkpoint and stop after this UNet step (rerun to continue)")
    p.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    add_threads(p, default=1)
    p.add_argument("--device", type=device_arg, default="cpu",
                   help="cpu, cuda, cuda:N, mps or auto (a run resumes on any)")
    p.add_argument("--fp16", action="store_true", help="store the weights in float16")
    args = show_defaults(p).parse_args(argv)
    if args.init:
        fixed = [f"--{k.replace('_', '-')}" for k in INIT_FIXED if getattr(args, k) not in (None, False)]
        if fixed:
            p.error(f"--init keeps its backbone's parts and sizes; drop {', '.join(fixed)}")
    unet_channels = args.unet_channels
    if args.unet_cross_attention is not None and unet_channels is None:
        p.error("--unet-cross-attention needs --unet-channels")
    if unet_channels is not None:
        flags = args.unet_cross_attention or (False,) + (True,) * (len(unet_channels) - 1)
        if len(flags) != len(unet_channels):
            p.error(f"--unet-cross-attention: one flag per level of --unet-channels ({len(unet_channels)}), "
                    f"got {len(flags)}")
    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    out, run = run_folders(args.out, args.run, {"--data": args.data, "--init": args.init, "--vocoder": args.vocoder,
                                                "--text-encoder": args.text_encoder})
    check_run_folder(out, ("model_index.json", "condition_config.json"), "backbone")  # a finished run replaces it
    log = run_log(run)

    sizes = {"unet_text_pooling": args.text_pooling, "zero_terminal_snr": args.zero_terminal_snr,
             **({"vae_channels": args.vae_channels} if args.vae_channels is not None else {}),
             **({"vae_layers_per_block": args.vae_layers} if args.vae_layers is not None else {}),
             **({"latent_channels": args.latent_channels} if args.latent_channels is not None else {}),
             **({"unet_channels": unet_channels, "unet_cross_attention": flags} if unet_channels is not None else {})}
    cfg = None
    if args.init:
        backbone = AudioBackbone.from_pretrained(args.init, dtype=torch.float32)
    elif args.recipe == "demo":
        cfg = replace(DEMO_CONFIG, **sizes)
    else:
        if not (args.text_encoder and args.vocoder):
            p.error("--recipe sfx needs --text-encoder and --vocoder")
        vocoder = load_vocoder(args.vocoder)
        cfg = replace(sfx_backbone_config(MelConfig.from_dict(json.loads((Path(args.vocoder) / MEL_CONFIG).read_text()))),
                      **sizes)
    if cfg is not None:  # before the audio is read
        check_crop("--vae-crop", args.vae_crop, cfg.mel.width, len(cfg.vae_channels))
    wavs, texts = training_audio(args.recipe, args.data, cfg.mel if cfg else backbone.mel)
    if cfg is not None and args.recipe == "demo":
        backbone = build_backbone(cfg, build_caption_tokenizer([t[0] for t in texts]))
    elif cfg is not None:
        backbone = build_backbone(cfg, text=_sfx_text(args.text_encoder, cfg.text_dim), vocoder=vocoder.eval())
    images = mel_images(wavs, backbone.mel)  # (N, 1, M, width)
    backbone.to(device)
    log(f"{len(texts)} training windows, images {tuple(images.shape)}")  # the run folder appears here
    data_digest = check_run_data(run, args.data, images, texts)
    vae_dir = run / "vae"
    vae_args = None if args.init else dict(
        steps=args.vae_steps, batch=args.vae_batch, crop=args.vae_crop, lr=args.vae_lr, kl_weight=args.kl_weight,
        adversarial=args.vae_adversarial, adversarial_start=args.vae_adversarial_start,
        critic_warmup=args.vae_critic_warmup, gradient_weight=args.vae_gradient_loss, posterior_std=args.vae_posterior_std,
        settings={"recipe": args.recipe, "seed": args.seed, "channels": list(cfg.vae_channels),
                  "layers": cfg.vae_layers_per_block, "latent_channels": cfg.latent_channels})
    if args.init:
        latents = encode_latents(backbone, images)
        log(f"vae of {args.init}")
    elif (vae_dir / "config.json").is_file():  # resume: the VAE stage is done
        backbone.c.vae = AutoencoderKL.from_pretrained(vae_dir).to(device).eval().requires_grad_(False)
        done = backbone.vae.config
        if (list(done.block_out_channels), done.layers_per_block, done.latent_channels) != (
                list(cfg.vae_channels), cfg.vae_layers_per_block, cfg.latent_channels):
            raise FoleyError(f"{vae_dir}: the run's VAE has widths {list(done.block_out_channels)}, "
                             f"{done.layers_per_block} layers per level and {done.latent_channels} latent channels; "
                             "rerun with the run's own sizes, or start a new run folder")
        _checkpoint_state(run / VAE_CHECKPOINT, vae_settings(**vae_args))  # the UNet goes on from this VAE only
        gen.set_state(torch.load(run / "vae_generator.pt", weights_only=True))
        latents = encode_latents(backbone, images)
        log("vae loaded from the run folder")
    else:
        done = train_vae(backbone, images, gen=gen, log=log, run=run, checkpoint_every=args.checkpoint_every,
                         stop_at=args.vae_stop_at, **vae_args)
        if done < args.vae_steps:
            log(f"stopped after VAE step {done} of {args.vae_steps}; rerun the command without --vae-stop-at "
                "(or with a later one) to continue")
            return
        latents = encode_latents(backbone, images)
        backbone.vae.register_to_config(scaling_factor=float(1.0 / latents.std()))
        with atomic_path(run / "vae_generator.pt") as tmp:
            torch.save(gen.get_state(), tmp)
        with atomic_dir(vae_dir) as tmp:  # whole or absent: its config.json says the stage is done
            backbone.vae.save_pretrained(tmp)
    scaling = backbone.vae.config.scaling_factor
    log(f"latents {tuple(latents.shape)}, scaling factor {scaling:.4f}")
    curve = train_unet(backbone, latents * scaling, texts, args.unet_steps, args.unet_batch, args.unet_lr,
                       args.drop_caption, gen, log, run=run, checkpoint_every=args.checkpoint_every,
                       stop_at=args.unet_stop_at, settings={
                           "recipe": args.recipe, "seed": args.seed,
                           **({"init": str(Path(args.init).resolve())} if args.init else {}),
                           **({"text_pooling": True} if args.text_pooling else {}),
                           **({"zero_terminal_snr": True} if args.zero_terminal_snr else {}),
                           **({"unet_channels": list(cfg.unet_channels),
                               "unet_cross_attention": list(cfg.unet_cross_attention)} if unet_channels else {})},
                       snr_gamma=args.snr_gamma, ema_decay=args.unet_ema,
                       constant_lr=args.unet_lr_schedule == "constant")
    if len(curve) < args.unet_steps:
        log(f"stopped after UNet step {len(curve)} of {args.unet_steps}; rerun the command without --unet-stop-at "
            "(or with a later one) to continue")
        return
    backbone.to("cpu")
    if args.fp16:
        for module in (backbone.unet, backbone.vae, backbone.text.text_encoder, backbone.vocoder):
            module.half()
    backbone.save_pretrained(out)
    if args.recipe == "sfx":  # the recordings the weights learned from, credited next to them
        (out / "ATTRIBUTION.md").write_text(attribution_text(
            load_sfx_manifest(args.data, "train"), SFX_ATTRIBUTION_INTRO))
    # the texts it learned (`foley sounds` lists them), with those of the backbone it started from
    learned = (read_known_sounds(args.init) or []) if args.init else []
    write_known_sounds(out, learned + [t for group in texts for t in group])
    skip = {"data", "out", "run", "text_encoder", "vocoder", "init"}
    if args.init:  # the VAE stage did not run and the sizes are the initial backbone's
        skip |= set(INIT_FIXED) | {k for k in vars(args) if k.startswith("vae_") or k == "kl_weight"}
    settings = {k: v for k, v in vars(args).items() if k not in skip}
    origin = {"config": cfg.to_dict()} if cfg else {"init": Path(args.init).name}
    if args.init and (Path(args.init) / "training.json").is_file():  # how the initial backbone was made, nested
        origin["init_training"] = json.loads((Path(args.init) / "training.json").read_text())
    (out / "training.json").write_text(json.dumps({
        "args": settings, **origin,
        "data": {"name": Path(args.data).resolve().name, "sha256": data_digest},  # the windows and texts learned
        "train_windows": len(texts),
        "loss_curve": [round(sum(c["loss"] for c in curve[i:i + 50]) / len(curve[i:i + 50]), 5)
                       for i in range(0, len(curve), 50)]}, indent=2))
    log(f"saved {out}")


# what a fine-tuned backbone (--init) keeps: its parts and sizes
INIT_FIXED = ("text_encoder", "vocoder", "vae_channels", "vae_layers", "latent_channels", "unet_channels",
              "unet_cross_attention", "text_pooling", "zero_terminal_snr")


def training_audio(recipe: str, data: str, mel: MelConfig) -> tuple[torch.Tensor, list[list[str]]]:
    """The recipe's training windows (N, width * hop) at ``mel``'s rate and width, and each
    one's texts: SynthSync's clips and captions (demo), or a sound-effects corpus's windows,
    captions and labels (sfx). FoleyError when DATA is the other recipe's kind."""
    if recipe == "sfx":
        return load_sfx_windows(data, "train", mel)
    wavs, entries = load_clips(data, "train", mel)
    if "video" not in entries[0]:
        raise FoleyError(f"{data}: a sound-effects corpus (clips without videos), not SynthSync; "
                         "--recipe sfx trains on it")
    return wavs, [[e["caption"]] for e in entries]


def check_crop(option: str, crop: int, width: int, vae_levels: int) -> None:
    """FoleyError naming ``option`` when a VAE training crop is longer than the model's width
    or not a whole number of the VAE's coarsest cells (2 ** (levels - 1) frames)."""
    cell = 2 ** (vae_levels - 1)
    if crop > width or crop % cell:
        raise FoleyError(f"{option} {crop}: must be at most the model's width ({width} frames) "
                         f"and a multiple of {cell} (the VAE's downsampling)")


def run_folders(out: str, run: str | None, inputs: dict[str, str | None] | None = None) -> tuple[Path, Path]:
    """A training command's output folder and its checkpoint folder (``run``; default ``OUT.run``
    beside it). FoleyError naming the option, before any work is done, when either is an existing
    file, when one is, or lies inside, the other (a stopped run could not resume, a finished one
    would save into its own checkpoints), or when either is, holds or lies inside one of
    ``inputs`` (option -> path, e.g. ``{"--data": ...}``; None skipped), whose files it would mix with."""
    out_path = Path(out)
    if out_path.name in ("", ".."):  # ".", "..": the folder's own name
        out_path = Path(os.path.abspath(out))
    if not out_path.name:
        raise FoleyError(f"--out {out}: not a folder a run can create")
    run_path = Path(run) if run else out_path.with_name(out_path.name + ".run")
    for option, path in (("--out", out_path), ("--run", run_path)):
        if path.exists() and not path.is_dir():
            raise FoleyError(f"{option} {path}: exists and is not a folder")
    if nested(out_path, run_path):
        raise FoleyError(f"--run {run_path}: is or shares a folder with --out {out}; give the checkpoints a folder of their own")
    for option, path in (("--out", out_path), ("--run", run_path)):
        check_apart(option, path, inputs or {})
    return out_path, run_path


def run_log(run: Path):
    """``log(msg)``: the message with the seconds since this call, printed and appended to
    ``run/log.txt``; the run folder appears with the first line, so bad data leaves none behind."""
    t0 = time.time()

    def log(msg: str) -> None:
        line = f"[{time.time() - t0:7.1f} s] {msg}"
        print(line, flush=True)
        try:
            run.mkdir(parents=True, exist_ok=True)
            with open(run / "log.txt", "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as e:
            raise FoleyError(f"{run}: cannot write the run log ({e.strerror or e})") from None
    return log


def cli(argv: list[str] | None = None) -> None:
    """``main`` with foley's errors as one line and exit status 2."""
    one_line_errors(main, "foley.training.backbone", argv)
