"""How much of a sound's coarse shape a backbone's noise schedule leaves visible at its last step.

    python eval/schedule_leak.py --data CORPUS --model BACKBONE [--vae RUN/vae ...] [--clips 64]

Sampling starts from pure noise, but training never shows the UNet pure noise: at the
schedule's last step t = T-1 the noisy latent is sqrt(alpha_bar) x latent + noise, with
sqrt(alpha_bar) = 0.068 for Stable Diffusion's (and Auffusion's) scaled-linear betas. What
the UNet can read from that leak is what it never learns to make from nothing (Lin et al.
2024, "Common diffusion noise schedules and sample steps are flawed"). The leak that
matters here is the coarse shape: each latent channel averaged over cells of 1/5 of the mel
bands x 1/16 of the window (the events' envelope). Printed per VAE and step:
the correlation between that coarse shape of the clean and of the noisy latent, over the
first ``clips`` training windows of the corpus (0 = hidden, as at sampling's start).
"""
from __future__ import annotations


import torch
import torch.nn.functional as F

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.datasets.sfx import load_sfx_manifest
from foley.errors import FoleyError
from foley.models.auffusion import load_vae
from foley.pipelines.compose import load_backbone
from foley.training.backbone import encode_latents, load_sfx_windows, mel_images


def coarse_shape(latents: torch.Tensor) -> torch.Tensor:
    # (N, C, H, W) -> (N, C x 80): each channel pooled to 5 x 16 cells of the mel image, centred per channel
    cells = F.adaptive_avg_pool2d(latents, (5, 16)).flatten(2)
    return (cells - cells.mean(2, keepdim=True)).flatten(1)


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="a `foley prepare sfx` corpus")
    p.add_argument("--model", required=True, help="backbone (sfx, or a folder): its mel, VAE and scheduler")
    p.add_argument("--vae", action="append", default=[], help="other VAE folders to compare (e.g. a run's vae/)")
    p.add_argument("--clips", type=number_arg(1, integer=True), default=64)
    add_threads(p, default=2)
    args = show_defaults(p).parse_args(argv)
    torch.set_num_threads(args.threads)
    if not load_sfx_manifest(args.data, "train"):  # before the backbone loads
        raise FoleyError(f"{args.data}: the train split holds no clips")
    backbone = load_backbone(args.model, "cpu")
    vaes = [("backbone's VAE", backbone.vae)] + [(path, load_vae(path)) for path in args.vae]  # before the work
    mel = backbone.mel
    wavs, _ = load_sfx_windows(args.data, "train", mel)
    images = mel_images(wavs[:args.clips], mel)  # (N, 1, M, width)
    alphas = backbone.c.scheduler.alphas_cumprod
    gen = torch.Generator().manual_seed(0)
    for name, vae in vaes:
        backbone.c.vae = vae.float().eval()
        latents = encode_latents(backbone, images) * vae.config.scaling_factor
        clean = coarse_shape(latents)
        for t in (len(alphas) - 1, int(0.95 * len(alphas)), int(0.9 * len(alphas))):
            a = alphas[t]
            noisy = coarse_shape(a.sqrt() * latents + (1 - a).sqrt() * torch.randn(latents.shape, generator=gen))
            corr = ((clean * noisy).sum(1) / (clean.norm(dim=1) * noisy.norm(dim=1))).mean()
            print(f"{name}: latents {tuple(latents.shape[1:])}, t = {t}, sqrt(alpha_bar) = {a.sqrt():.3f}, "
                  f"coarse-shape correlation {corr:.3f}")


if __name__ == "__main__":
    one_line_errors(main, "schedule_leak.py")
