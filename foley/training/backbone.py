"""Training the demo backbone: the small stand-in for pretrained Auffusion.

Same classes as Auffusion (AutoencoderKL, UNet2DConditionModel, a CLIP text model), small
sizes, trained from scratch on SynthSync's train split:

1. a word-level tokenizer over the captions;
2. the VAE on mel images (random time crops; L1 reconstruction + a small KL term), then
   its latent scaling factor = 1 / std of the training latents (Stable Diffusion's rule);
3. the UNet and the text encoder together on cached latents: epsilon-prediction MSE on
   the PNDM/DDPM training schedule, captions dropped to "" 10 % of the time so that
   classifier-free guidance has an unconditional model.

Run: ``python -m foley.training.backbone --data SYNTHSYNC --out DIR`` (see train/README.md for
the shipped model's exact command). Single process; the models are small enough for CPU.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from transformers import PreTrainedTokenizerFast

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

from ..datasets.synthsync import load_manifest
from ..media.audio import read_audio
from ..models.backbone import AudioBackbone, BackboneConfig, build_backbone
from ..models.mel import LogMel, MelConfig, mel_to_image

DEMO_CONFIG = BackboneConfig(
    mel=MelConfig(n_mels=64, width=416),  # 4.16 s: a 4 s SynthSync clip fits
    vae_channels=(16, 32, 64), unet_channels=(32, 64, 96), unet_cross_attention=(False, True, True),
    attention_head_dim=16, text_dim=64, text_layers=2, text_heads=2, griffin_lim_iters=32)
MAX_TEXT_TOKENS = 16


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


def _mel_images(wavs: torch.Tensor, mel: MelConfig, batch: int = 32) -> torch.Tensor:
    log_mel = LogMel(mel)
    return torch.cat([mel_to_image(log_mel(wavs[i:i + batch]), mel)[:, :1] for i in range(0, len(wavs), batch)])


def _lr(step: int, total: int, peak: float, warmup: int = 50) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train_vae(backbone: AudioBackbone, images: torch.Tensor, steps: int, batch: int, crop: int, lr: float,
              kl_weight: float, gen: torch.Generator, log) -> None:
    vae = backbone.vae.train().requires_grad_(True)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0)
    for step in range(steps):
        idx = torch.randint(len(images), (batch,), generator=gen)
        start = torch.randint(0, images.shape[-1] - crop + 1, (1,), generator=gen).item() // 4 * 4
        x = images[idx, :, :, start:start + crop].expand(-1, 3, -1, -1)  # (b, 3, M, crop)
        posterior = vae.encode(x).latent_dist
        recon = vae.decode(posterior.sample(generator=gen)).sample
        loss = F.l1_loss(recon, x) + kl_weight * posterior.kl().mean()
        for g in opt.param_groups:
            g["lr"] = _lr(step, steps, lr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            log(f"vae step {step} loss {loss.item():.4f}")
    vae.eval().requires_grad_(False)


@torch.no_grad()
def encode_latents(backbone: AudioBackbone, images: torch.Tensor, batch: int = 32) -> torch.Tensor:
    return torch.cat([backbone.vae.encode(images[i:i + batch].expand(-1, 3, -1, -1)).latent_dist.mode()
                      for i in range(0, len(images), batch)])


def train_unet(backbone: AudioBackbone, latents: torch.Tensor, captions: list[str], steps: int, batch: int,
               lr: float, drop_caption: float, gen: torch.Generator, log) -> None:
    unet, text = backbone.unet.train().requires_grad_(True), backbone.text
    text.text_encoder.train().requires_grad_(True)
    noise_scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
    params = list(unet.parameters()) + list(text.text_encoder.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    for step in range(steps):
        idx = torch.randint(len(latents), (batch,), generator=gen)
        keep = torch.rand(batch, generator=gen) >= drop_caption
        prompts = [captions[i] if k else "" for i, k in zip(idx.tolist(), keep.tolist())]
        ids = text.tokenizer(prompts, padding="max_length", max_length=text.max_length, truncation=True,
                             return_tensors="pt").input_ids
        states = text.text_encoder(ids).last_hidden_state  # (b, L, D)
        x0 = latents[idx]
        noise = torch.randn(x0.shape, generator=gen)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (batch,), generator=gen)
        pred = unet(noise_scheduler.add_noise(x0, noise, t), t, states).sample
        loss = F.mse_loss(pred, noise)
        for g in opt.param_groups:
            g["lr"] = _lr(step, steps, lr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            log(f"unet step {step} loss {loss.item():.4f}")
    unet.eval().requires_grad_(False)
    text.text_encoder.eval().requires_grad_(False)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m foley.training.backbone", description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="SynthSync folder")
    p.add_argument("--out", required=True, help="output backbone folder")
    p.add_argument("--vae-steps", type=int, default=400)
    p.add_argument("--vae-batch", type=int, default=8)
    p.add_argument("--vae-crop", type=int, default=208, help="mel frames per VAE training crop")
    p.add_argument("--vae-lr", type=float, default=1e-3)
    p.add_argument("--kl-weight", type=float, default=1e-6)
    p.add_argument("--unet-steps", type=int, default=600)
    p.add_argument("--unet-batch", type=int, default=16)
    p.add_argument("--unet-lr", type=float, default=5e-4)
    p.add_argument("--drop-caption", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--fp16", action="store_true", help="store the weights in float16")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - t0:7.1f} s] {msg}", flush=True)

    cfg = DEMO_CONFIG
    wavs, entries = load_clips(args.data, "train", cfg.mel)
    captions = [e["caption"] for e in entries]
    images = _mel_images(wavs, cfg.mel)  # (N, 1, M, width)
    log(f"{len(entries)} clips, images {tuple(images.shape)}")
    backbone = build_backbone(cfg, build_caption_tokenizer(captions))
    train_vae(backbone, images, args.vae_steps, args.vae_batch, args.vae_crop, args.vae_lr, args.kl_weight, gen, log)
    latents = encode_latents(backbone, images)
    scaling = float(1.0 / latents.std())
    backbone.vae.register_to_config(scaling_factor=scaling)
    log(f"latents {tuple(latents.shape)}, scaling factor {scaling:.4f}")
    train_unet(backbone, latents * scaling, captions, args.unet_steps, args.unet_batch, args.unet_lr,
               args.drop_caption, gen, log)
    if args.fp16:
        for module in (backbone.unet, backbone.vae, backbone.text.text_encoder):
            module.half()
    backbone.save_pretrained(args.out)
    settings = {k: v for k, v in vars(args).items() if k not in ("data", "out")}  # no machine paths
    (Path(args.out) / "training.json").write_text(json.dumps({"args": settings, "config": cfg.to_dict(),
                                                              "train_clips": len(entries)}, indent=2))
    log(f"saved {args.out}")


if __name__ == "__main__":
    main()
