"""Fine-tuning a trained backbone's VAE decoder, its encoder frozen.

The latents keep their meaning, so the UNet trained on them (and any visual adapter trained
on that UNet) needs nothing retrained; only the decoder learns to render them sharper.
Loss: L1 + ``--gradient-loss`` x the L1 on the image's differences along frequency and time,
on random time crops of the training windows' mel images, as the VAE stage of
``foley.training.backbone`` trains (its ``train_vae``, here with ``decoder_only``).

Run: ``python -m foley.training.vae_decoder --model BACKBONE --recipe sfx --data CORPUS
--out VAE_DIR``; the result is a VAE folder, with the same config and latent scaling factor,
to put in place of the backbone's ``vae/`` (``eval/vae_round_trip.py --vae VAE_DIR`` measures
it first). ``OUT.run`` keeps checkpoints; rerunning the command resumes exactly.
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.training.vae_decoder")

import json
from pathlib import Path

import torch

from ..cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from ..config import MAX_SEED
from ..media.files import atomic_dir
from ..models.backbone import AudioBackbone, save_diffusers
from . import check_run_folder
from .backbone import check_crop, check_run_data, mel_images, run_folders, run_log, train_vae, training_audio

TRAINING_FILE = "decoder_training.json"


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(prog="python -m foley.training.vae_decoder", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="backbone folder whose VAE decoder is fine-tuned")
    p.add_argument("--recipe", choices=("demo", "sfx"), required=True,
                   help="the data the backbone was trained on: demo (SynthSync) or sfx (a `foley prepare sfx` corpus)")
    p.add_argument("--data", required=True, help="SynthSync folder (demo) or sound-effects corpus (sfx)")
    p.add_argument("--out", required=True, help="output VAE folder (then put its files in the backbone's vae/)")
    p.add_argument("--run", help="checkpoint folder for resuming (default: OUT.run)")
    p.add_argument("--steps", type=number_arg(1, integer=True), default=2000, help="training steps")
    p.add_argument("--batch", type=number_arg(1, integer=True), default=8, help="crops per step")
    p.add_argument("--crop", type=number_arg(1, integer=True), default=176, help="mel frames per training crop")
    p.add_argument("--lr", type=number_arg(0, above=True), default=5e-4, help="peak rate (warm-up, cosine decay)")
    p.add_argument("--gradient-loss", type=number_arg(0), default=1.0,
                   help="weight of the L1 on the mel image's differences along frequency and time")
    p.add_argument("--checkpoint-every", type=number_arg(1, integer=True), default=100)
    p.add_argument("--stop-at", type=number_arg(1, integer=True), help="checkpoint and stop after this step")
    p.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    add_threads(p, default=1)
    p.add_argument("--fp16", action="store_true", help="store the weights in float16")
    args = show_defaults(p).parse_args(argv)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    out, run = run_folders(args.out, args.run, {"--model": args.model, "--data": args.data})  # sfx_vae/ -> sfx_vae.run
    check_run_folder(out, (TRAINING_FILE, "diffusion_pytorch_model.safetensors"), "VAE")  # a finished run replaces it
    log = run_log(run)
    backbone = AudioBackbone.from_pretrained(args.model, dtype=torch.float32)
    check_crop("--crop", args.crop, backbone.mel.width, len(backbone.vae.config.block_out_channels))  # before reading
    wavs, texts = training_audio(args.recipe, args.data, backbone.mel)
    images = mel_images(wavs, backbone.mel)  # (N, 1, M, width)
    log(f"{len(images)} training windows, images {tuple(images.shape)}")
    data_digest = check_run_data(run, args.data, images, texts)
    done = train_vae(backbone, images, args.steps, args.batch, args.crop, args.lr, 0.0, gen, log,
                     run=run, checkpoint_every=args.checkpoint_every, stop_at=args.stop_at,
                     gradient_weight=args.gradient_loss, decoder_only=True,
                     settings={"model": str(Path(args.model).resolve()), "recipe": args.recipe, "seed": args.seed})
    if done < args.steps:
        log(f"stopped after step {done} of {args.steps}; rerun the command without --stop-at to continue")
        return
    settings = {k: v for k, v in vars(args).items() if k not in ("data", "out", "run")}
    with atomic_dir(out) as tmp:
        save_diffusers(backbone.vae.half() if args.fp16 else backbone.vae, tmp)
        data = {"name": Path(args.data).resolve().name, "sha256": data_digest}  # the windows learned from
        (tmp / TRAINING_FILE).write_text(json.dumps({"args": settings, "data": data}, indent=2), encoding="utf-8")
    log(f"saved {out}")


def cli(argv: list[str] | None = None) -> None:
    """``main`` with foley's errors as one line and exit status 2."""
    one_line_errors(main, "foley.training.vae_decoder", argv)
