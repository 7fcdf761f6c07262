"""Fine-tuning a HiFi-GAN vocoder on a corpus's train recordings.

A vocoder trained on speech (the universal HiFi-GAN V1) rebuilds sound effects less well
than speech; fine-tuning it on the recordings the backbone learned from teaches it their
noise, crackle and ring. Loss and discriminators are HiFi-GAN's (Kong et al. 2020, as in
jik876's ``models.py``, written here because no dependency ships the discriminators):
least-squares adversarial loss against a multi-period (periods 2, 3, 5, 7, 11) and a
multi-scale (3 scales) discriminator, 2 x feature matching, 45 x L1 between log-mels of the
recording and of its copy, over the whole band up to the Nyquist frequency (so what the
vocoder adds where the recordings have nothing is penalized too).

Data: random ``--segment``-sample pieces of the train split's clips (a ``foley prepare
sfx`` corpus, or SynthSync), each clip at the vocoder's rate and peak-normalized as the
backbone's log-mel is, the generator's input the clip's log-mel frames of that piece. The
discriminators start from scratch: for ``--critic-warmup`` steps they learn alone, against
the generator as it is, so that its first adversarial gradients come from discriminators
that can already tell a recording from its copy. ``--mel-only`` leaves them out (the
generator learns from the mel loss alone; on sound effects this adds a tonal buzz).

Run: ``python -m foley.training.vocoder --vocoder VOCODER --data CORPUS --out VOCODER_DIR``;
the result is a vocoder folder (``config.json``, weights, ``mel_config.json``) to put in a
backbone's ``vocoder/``; ``eval/vae_round_trip.py --vocoder VOCODER_DIR`` and
``benchmarks/vocoder_copy.py`` measure it first. ``OUT.run`` keeps checkpoints (about 1 GB
with the discriminators and both optimizers' moments, which an exact resume needs); rerunning
the command resumes exactly, and refuses a starting vocoder or train recordings whose files
changed since (their SHA-256 digests are kept with the checkpoint).
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.training.vocoder")

import json
import math
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from ..cli import OneLineErrors, add_threads, device_arg, number_arg, one_line_errors, show_defaults
from ..config import MAX_SEED
from ..datasets.sfx import load_sfx_manifest
from ..datasets.synthsync import load_manifest
from ..device import resolve_device
from ..errors import FoleyError
from ..evaluation.sfx_classifier import is_synthsync
from ..media.audio import read_audio
from ..media.files import atomic_dir, files_digest
from ..models.mel import LogMel, MelConfig
from ..models.vocoder import VOCODER_MEL_CONFIG, HifiGanVocoder, load_vocoder, vocoder_mel_config
from . import logs_step, stop_said
from .backbone import _lr, _resume, _save_checkpoint, run_folders, run_log

CHECKPOINT = "vocoder.pt"
TRAINING_FILE = "training.json"
LRELU = 0.1  # HiFi-GAN's leaky-ReLU slope
MEL_WEIGHT, FEATURE_WEIGHT = 45.0, 2.0  # HiFi-GAN's loss weights
PERIODS = (2, 3, 5, 7, 11)
QUIET_RMS = 1e-3  # a training piece quieter than this (relative to full scale) is drawn again
SILENT_PEAK = 1e-3  # a clip whose peak is below -60 dBFS is left out (dither would be normalized into loud noise)
DRAWS_PER_PIECE = 1000  # random draws allowed per piece before the clips are judged too quiet for --segment


def _score(convs: torch.nn.ModuleList, post: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """A sub-discriminator's layers on ``x``: its score (B, -1) and every layer's output (feature matching)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LRELU)
        features.append(x)
    x = post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(torch.nn.Module):
    """HiFi-GAN's sub-discriminator on the waveform folded by ``period``: (B, 1, N) -> score, features."""

    def __init__(self, period: int) -> None:
        super().__init__()
        self.period = period
        widths = (1, 32, 128, 512, 1024)
        self.convs = torch.nn.ModuleList(
            [weight_norm(torch.nn.Conv2d(a, b, (5, 1), (3, 1), padding=(2, 0))) for a, b in zip(widths, widths[1:])]
            + [weight_norm(torch.nn.Conv2d(1024, 1024, (5, 1), 1, padding=(2, 0)))])
        self.post = weight_norm(torch.nn.Conv2d(1024, 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, n = x.shape
        if n % self.period:
            x = F.pad(x, (0, self.period - n % self.period), mode="reflect")
        x = x.view(b, c, -1, self.period)  # (B, 1, N / period, period)
        return _score(self.convs, self.post, x)


class ScaleDiscriminator(torch.nn.Module):
    """HiFi-GAN's (MelGAN's) sub-discriminator on the waveform at one scale: (B, 1, N) -> score, features."""

    def __init__(self, norm=weight_norm) -> None:
        super().__init__()
        layers = [(1, 128, 15, 1, 1), (128, 128, 41, 2, 4), (128, 256, 41, 2, 16), (256, 512, 41, 4, 16),
                  (512, 1024, 41, 4, 16), (1024, 1024, 41, 1, 16), (1024, 1024, 5, 1, 1)]  # in, out, kernel, stride, groups
        self.convs = torch.nn.ModuleList(norm(torch.nn.Conv1d(a, b, k, s, groups=g, padding=k // 2))
                                         for a, b, k, s, g in layers)
        self.post = norm(torch.nn.Conv1d(1024, 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _score(self.convs, self.post, x)


class Discriminators(torch.nn.Module):
    """HiFi-GAN's multi-period and multi-scale discriminators: (B, 1, N) -> scores, features of each."""

    def __init__(self) -> None:
        super().__init__()
        self.periods = torch.nn.ModuleList(PeriodDiscriminator(p) for p in PERIODS)
        self.scales = torch.nn.ModuleList([ScaleDiscriminator(spectral_norm), ScaleDiscriminator(),
                                           ScaleDiscriminator()])

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        scores, features = [], []
        for d in self.periods:
            s, f = d(x)
            scores.append(s)
            features.append(f)
        for i, d in enumerate(self.scales):
            if i:
                x = F.avg_pool1d(x, 4, 2, padding=2)  # half the rate for each further scale
            s, f = d(x)
            scores.append(s)
            features.append(f)
        return scores, features


def discriminator_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Least-squares GAN loss of the discriminators: real -> 1, generated -> 0."""
    return sum(((1 - r) ** 2).mean() + (f ** 2).mean() for r, f in zip(real, fake))


def generator_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(((1 - f) ** 2).mean() for f in fake)


def feature_loss(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between the discriminators' features of the recording and of its copy."""
    return sum(F.l1_loss(g, r.detach()) for rs, gs in zip(real, fake) for r, g in zip(rs, gs))


def train_entries(data: str | Path) -> list[dict]:
    """The manifest entries (``audio``: the clip's path) of the train split of a sound-effects corpus or a SynthSync folder."""
    return load_manifest(data, "train") if is_synthsync(data) else load_sfx_manifest(data, "train")


def training_clips(entries: list[dict], mel: MelConfig, min_samples: int) -> list[torch.Tensor]:
    """The clips of ``entries`` (each (N,) at ``mel``'s rate, peak-normalized to ``mel.peak``);
    a clip shorter than ``min_samples`` is padded with silence to that length (a short impact is
    still learned); clips whose peak is below ``SILENT_PEAK`` (silence, dither) are left out."""
    clips = []
    for e in entries:
        wav = torch.from_numpy(read_audio(e["audio"], sample_rate=mel.sample_rate)[0])
        peak = wav.abs().max()
        if peak >= SILENT_PEAK:
            clips.append(F.pad(wav / peak * mel.peak, (0, max(0, min_samples - len(wav)))))
    if not clips:
        raise FoleyError(f"no train clip with sound (a peak of {20 * math.log10(SILENT_PEAK):.0f} dBFS or more)")
    return clips


def draw_batch(clips: list[torch.Tensor], mels: list[torch.Tensor], batch: int, frames: int, hop: int,
               gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random pieces: log-mels (batch, n_mels, frames) and their waveforms (batch, frames * hop),
    each with an RMS of at least ``QUIET_RMS``. Mel frame t covers samples [t * hop, (t + 1) * hop)
    (``LogMel``'s framing). FoleyError when ``DRAWS_PER_PIECE`` draws per piece find too few."""
    logmels, wavs = [], []
    for _ in range(DRAWS_PER_PIECE * batch):
        if len(wavs) == batch:
            break
        i = int(torch.randint(len(clips), (1,), generator=gen))
        start = int(torch.randint(mels[i].shape[-1] - frames + 1, (1,), generator=gen))
        wav = clips[i][start * hop:(start + frames) * hop]
        if wav.pow(2).mean().sqrt() >= QUIET_RMS:
            logmels.append(mels[i][:, start:start + frames])
            wavs.append(wav)
    if len(wavs) < batch:
        raise FoleyError(f"the train clips have (almost) no {frames}-frame piece louder than "
                         f"{20 * math.log10(QUIET_RMS):.0f} dBFS RMS; give a shorter --segment")
    return torch.stack(logmels), torch.stack(wavs)


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(prog="python -m foley.training.vocoder", description=__doc__.splitlines()[0])
    p.add_argument("--vocoder", required=True,
                   help="the HiFi-GAN vocoder folder to start from (foley import-vocoder's, or a backbone's vocoder/)")
    p.add_argument("--data", required=True, help="a `foley prepare sfx` corpus or a SynthSync folder (its train split)")
    p.add_argument("--out", required=True, help="output vocoder folder")
    p.add_argument("--run", help="checkpoint folder for resuming (default: OUT.run)")
    p.add_argument("--steps", type=number_arg(1, integer=True), default=2000, help="training steps")
    p.add_argument("--batch", type=number_arg(1, integer=True), default=8, help="pieces per step")
    p.add_argument("--segment", type=number_arg(1, integer=True), default=32, help="mel frames per piece")
    p.add_argument("--lr", type=number_arg(0, above=True), default=1e-4,
                   help="peak rate of both optimizers (warm-up, cosine decay)")
    p.add_argument("--critic-warmup", type=number_arg(0, integer=True), default=200,
                   help="steps in which the discriminators learn alone (the generator does not change)")
    p.add_argument("--mel-only", action="store_true",
                   help="no discriminators: the generator learns from the mel loss alone (about 3x faster a step)")
    p.add_argument("--checkpoint-every", type=number_arg(1, integer=True), default=100)
    p.add_argument("--stop-at", type=number_arg(1, integer=True), help="checkpoint and stop after this step")
    p.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    add_threads(p, default=1)
    p.add_argument("--device", type=device_arg, default="auto", help="auto, cpu, cuda, cuda:N or mps (a run resumes on any)")
    p.add_argument("--fp16", action="store_true", help="store the weights in float16")
    args = show_defaults(p).parse_args(argv)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    out, run = run_folders(args.out, args.run, {"--vocoder": args.vocoder, "--data": args.data})
    if out.exists() and any(out.iterdir()):
        raise FoleyError(f"--out {out}: already exists and is not empty")
    # A backbone's vocoder/ has no mel file of its own: its mel is the backbone's, one folder up.
    mel = vocoder_mel_config(args.vocoder) or vocoder_mel_config(Path(args.vocoder).resolve().parent)
    vocoder = load_vocoder(args.vocoder)
    if mel is None or not isinstance(vocoder, HifiGanVocoder):
        raise FoleyError(f"--vocoder {args.vocoder}: not a HiFi-GAN vocoder folder with {VOCODER_MEL_CONFIG} "
                         "(its own, or its backbone's one folder up)")
    device = resolve_device(args.device)
    entries = train_entries(args.data)
    log = run_log(run)
    clips = training_clips(entries, mel, args.segment * mel.hop_length)
    input_mel = LogMel(mel)
    loss_mel = LogMel(replace(mel, fmax=mel.sample_rate / 2)).to(device)  # the whole band
    with torch.no_grad():
        mels = [input_mel(c[None])[0] for c in clips]  # each (n_mels, N // hop); the clip is already at the peak
    log(f"{len(clips)} training clips, {sum(len(c) for c in clips) / mel.sample_rate / 60:.1f} min")

    generator = vocoder.model.to(device).train().requires_grad_(True)
    betas = (0.8, 0.99)  # HiFi-GAN's
    opt_g = torch.optim.AdamW(generator.parameters(), lr=args.lr, betas=betas, weight_decay=0.01)
    modules = {"generator_model": generator, "optimizer": opt_g}
    critic = opt_d = None
    if not args.mel_only:
        torch.manual_seed(args.seed)  # the discriminators' initial weights
        critic = Discriminators().to(device)
        opt_d = torch.optim.AdamW(critic.parameters(), lr=args.lr, betas=betas, weight_decay=0.01)
        modules.update(critic=critic, critic_optimizer=opt_d)
    vocoder_files = sorted(f for f in Path(args.vocoder).rglob("*") if f.is_file())
    settings = {"vocoder": files_digest(vocoder_files), "data": files_digest(e["audio"] for e in entries),
                "steps": args.steps, "batch": args.batch, "segment": args.segment, "lr": args.lr,
                "critic_warmup": args.critic_warmup, "mel_only": args.mel_only, "seed": args.seed}
    checkpoint = run / CHECKPOINT
    first = int(_resume(checkpoint, settings, modules, gen, log, "vocoder").get("step", 0))
    end = min(args.steps, args.stop_at) if args.stop_at is not None else args.steps
    with stop_said("vocoder", args.steps, checkpoint, first) as at:
        for step in range(first, end):
            for opt in (opt_g, opt_d) if critic else (opt_g,):
                for group in opt.param_groups:
                    group["lr"] = _lr(step, args.steps, args.lr)
            logmel, real = (x.to(device)
                            for x in draw_batch(clips, mels, args.batch, args.segment, mel.hop_length, gen))
            generator_learns = critic is None or step >= args.critic_warmup
            with torch.set_grad_enabled(generator_learns):
                fake = generator(logmel.transpose(1, 2))  # (B, segment * hop)
            real, fake = real[:, None], fake[:, None, :real.shape[-1]]  # (B, 1, N)

            msg = ""
            if critic:
                d_real, _ = critic(real)
                d_fake, _ = critic(fake.detach())
                loss_d = discriminator_loss(d_real, d_fake)
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
                msg = f" critic {loss_d.item():.3f}"

            mel_l1 = F.l1_loss(loss_mel(fake[:, 0], normalize=False), loss_mel(real[:, 0], normalize=False))
            if generator_learns:
                loss_g = MEL_WEIGHT * mel_l1
                if critic is not None:
                    with torch.no_grad():
                        _, f_real = critic(real)
                    d_fake, f_fake = critic(fake)
                    adv, fm = generator_loss(d_fake), feature_loss(f_real, f_fake)
                    loss_g = loss_g + adv + FEATURE_WEIGHT * fm
                    msg = f" adversarial {adv.item():.3f} features {fm.item():.3f}{msg}"
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
            if logs_step(step + 1, end, 25):
                log(f"vocoder step {step + 1}/{args.steps} mel L1 {mel_l1.item():.4f}{msg}")
            if (step + 1) % args.checkpoint_every == 0 or step + 1 == end:
                _save_checkpoint(checkpoint, modules, gen, step=step + 1, settings=settings)
                at["saved"] = step + 1
            at["done"] = step + 1
    if end < args.steps:
        log(f"stopped after step {end} of {args.steps}; rerun the command without --stop-at to continue")
        return
    generator.eval().requires_grad_(False)
    with atomic_dir(out) as tmp:
        state = {k: (v.half() if args.fp16 else v).cpu() for k, v in generator.state_dict().items()}
        generator.save_pretrained(tmp, state_dict=state)
        (tmp / VOCODER_MEL_CONFIG).write_text(json.dumps(mel.to_dict(), indent=2), encoding="utf-8")
        settings = {**{k: v for k, v in vars(args).items() if k not in ("data", "out", "run", "device")},
                    "vocoder": Path(args.vocoder).resolve().name}  # no path of the training machine
        (tmp / TRAINING_FILE).write_text(json.dumps({"args": settings}, indent=2), encoding="utf-8")
    log(f"saved {out}")


def cli(argv: list[str] | None = None) -> None:
    """``main`` with foley's errors as one line and exit status 2."""
    one_line_errors(main, "foley.training.vocoder", argv)
