"""Does a backbone's UNet overfit its data? Its denoising loss on train clips against held-out ones.

    python eval/unet_loss.py --data SYNTH_REC --model foley/assets/sfx/dub_backbone
    python eval/unet_loss.py --data SFX --model sfx

The loss the UNet was trained with (MSE to the scheduler's target: v or noise, as
``foley.training.backbone.denoising_target`` says), for each window of a split with its
caption, at ``--timesteps`` timesteps spread evenly over the schedule and the same noise for
every model (``--seed``): train split against test split, overall and per timestep. A test
loss well above the train loss says the UNet learned its clips rather than their sounds,
and that more training data would help; equal losses, that its size (or its VAE) is what
limits it. The windows are those the backbone trained on: a SynthSync folder's clips
(``--recipe demo``) or a sound-effects corpus's windows (``--recipe sfx``; the caption, not
the label).
"""
from __future__ import annotations


import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.config import MAX_SEED
from foley.datasets.sfx import load_sfx_manifest
from foley.datasets.synthsync import load_manifest
from foley.errors import FoleyError
from foley.evaluation.sfx_classifier import is_synthsync
from foley.pipelines.compose import load_backbone
from foley.training.backbone import (TextStates, denoising_target, encode_latents, load_clips, load_sfx_windows,
                                     mel_images)


def split_windows(data: str, split: str, mel) -> tuple[torch.Tensor, list[str]]:
    """(N, width * hop) windows of a split at the model's rate and each one's caption."""
    if is_synthsync(data):
        wavs, entries = load_clips(data, split, mel)
        return wavs, [e["caption"] for e in entries]
    wavs, texts = load_sfx_windows(data, split, mel)
    return wavs, [t[0] for t in texts]


@torch.no_grad()
def losses(backbone, wavs: torch.Tensor, captions: list[str], timesteps: list[int], seed: int,
           batch: int = 16) -> np.ndarray:
    """(N, len(timesteps)) denoising loss of each window at each timestep."""
    scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
    latents = encode_latents(backbone, mel_images(wavs, backbone.mel)) * backbone.vae.config.scaling_factor
    texts = TextStates(backbone.text, captions)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn((len(timesteps), *latents.shape[1:]), generator=gen)  # one draw per timestep, shared
    out = np.zeros((len(latents), len(timesteps)))
    for i in range(0, len(latents), batch):
        x0, states = latents[i:i + batch], texts(captions[i:i + batch])  # (b, C, H, W), (b, L, D)
        for j, step in enumerate(timesteps):
            t = torch.full((len(x0),), step, dtype=torch.long)
            eps = noise[j].expand_as(x0)
            pred = backbone.unet(scheduler.add_noise(x0, eps, t), t, states).sample
            out[i:i + len(x0), j] = F.mse_loss(pred, denoising_target(scheduler, x0, eps, t),
                                               reduction="none").mean(dim=(1, 2, 3)).numpy()
    return out


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="a SynthSync folder or a `foley prepare sfx` corpus")
    p.add_argument("--model", required=True, help="a backbone folder (or sfx / demo)")
    p.add_argument("--timesteps", type=number_arg(1, integer=True), default=8,
                   help="timesteps per window, spread over the schedule")
    p.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    add_threads(p, default=2)
    args = show_defaults(p).parse_args(argv)
    torch.set_num_threads(args.threads)
    for split in ("train", "test"):  # both manifests, before the backbone loads
        if not (load_manifest if is_synthsync(args.data) else load_sfx_manifest)(args.data, split):
            raise FoleyError(f"{args.data}: the {split} split holds no clips")
    backbone = load_backbone(args.model, "cpu")
    total = backbone.c.scheduler.config.num_train_timesteps
    if args.timesteps > total:  # a timestep past the schedule's last
        raise FoleyError(f"--timesteps {args.timesteps}: more than the {total} timesteps of {args.model}'s schedule")
    timesteps = [round((k + 0.5) * total / args.timesteps) for k in range(args.timesteps)]
    rows = {}
    for split in ("train", "test"):
        wavs, captions = split_windows(args.data, split, backbone.mel)
        rows[split] = losses(backbone, wavs, captions, timesteps, args.seed)
        print(f"{split:>5s}  windows {len(wavs):4d}  loss {rows[split].mean():.4f}", flush=True)
    print("timestep   " + "  ".join(f"{t:6d}" for t in timesteps))
    for split, table in rows.items():
        print(f"{split:>8s}   " + "  ".join(f"{v:6.4f}" for v in table.mean(axis=0)))
    print(f"test / train: {rows['test'].mean() / rows['train'].mean():.2f}")


if __name__ == "__main__":
    one_line_errors(main, "unet_loss.py")
