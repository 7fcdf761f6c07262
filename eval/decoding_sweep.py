"""Decoders and noise filling compared on the same generated latents.

    python eval/decoding_sweep.py --data CORPUS --embedder aisfx:DIR --classifier sfx_classifier.json \\
        --model sfx [--vae VAE_DIR ...] [--noise-fill 0.35,0.5] [--detail-gain 1,2] [--every 2] [--first 0]
        [--latents lat.pt]

The backbone samples latents once from the captions of every ``every``-th test clip of a
`foley prepare sfx` corpus from the ``first``-th (DPM-Solver, ``--steps``, ``--guidance``, seeds as
``eval/sfx_card.py`` draws them; ``--latents`` keeps them in a file, reused when it exists).
Each VAE (the backbone's own, then every ``--vae``) decodes them once; each noise filling
level (nats, ``DecodingConfig.noise_fill``) is then drawn from a generator of its own per clip
(seed 10,000 + clip index), the same for every VAE, so rows differ by the decoding alone. A
detail gain G (``--detail-gain``) scales each decoded mel's detail along frequency, the mel minus
its 5-band moving average, by G before the noise filling: the decoded mels keep about 0.4 of the
real detail's spread (train/README.md), and this is the global-variance postfilter of statistical
speech synthesis (Toda and Tokuda 2007) reduced to that measure. Per
row: class accuracy by the sound-effects classifier and FAD to the real test clips on aiSFX
embeddings projected on 32 principal components, as ``eval/sfx_card.py`` computes them.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.datasets.sfx import load_sfx_manifest
from foley.errors import FoleyError
from foley.evaluation.classifier import SoundClassifier
from foley.evaluation.embedders import get_embedder
from foley.media.audio import read_audio, resample
from foley.media.files import atomic_path, check_writable
from foley.models.auffusion import load_vae
from foley.models.backbone_settings import DecodingConfig
from foley.pipelines.compose import load_backbone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sfx_card import class_accuracy, embed_set, fad, rate_and_projection, shown

NOISE_SEED = 10_000  # clip i's noise filling: a generator seeded NOISE_SEED + i


def levels_arg(text: str) -> list[float]:
    """argparse type: comma-separated noise filling levels, each a finite number >= 0."""
    return [number_arg(0)(x) for x in text.split(",")]


def with_detail(mel: torch.Tensor, gain: float, bands: int = 5) -> torch.Tensor:
    """Log-mels (B, M, T) with their detail along frequency (the mel minus its ``bands``-band
    moving average, edges replicated) scaled by ``gain``."""
    x = torch.nn.functional.pad(mel.transpose(1, 2), (bands // 2, bands // 2), mode="replicate")  # (B, T, M + 4)
    smooth = torch.nn.functional.avg_pool1d(x, bands, stride=1).transpose(1, 2)  # (B, M, T)
    return smooth + gain * (mel - smooth)


def load_latents(path: str) -> torch.Tensor:
    """The (N, C, h, w) latents an earlier run kept in ``path``; FoleyError for a file that holds none."""
    try:
        latents = torch.load(path, weights_only=True)
    except Exception as e:  # noqa: BLE001 - a file cut short or foreign: torch raises many kinds
        raise FoleyError(f"{path}: not a latents file ({type(e).__name__}); delete it to sample again") from None
    if not isinstance(latents, torch.Tensor) or latents.ndim != 4:
        raise FoleyError(f"{path}: not a latents file (no (N, C, h, w) tensor); delete it to sample again")
    return latents


def sample_latents(backbone, entries: list[dict], steps: int, guidance: float, batch: int = 8) -> torch.Tensor:
    """(N, C, h, w) latents for the entries' captions, in batches seeded as sfx_card's ``generate``."""
    out = []
    for i in range(0, len(entries), batch):
        group = entries[i:i + batch]
        length = min(max(e["duration_s"] for e in group), backbone.mel.width_s)
        latents, _ = backbone.sample([e["caption"] for e in group], length, steps=steps, guidance=guidance, seed=i,
                                     scheduler="dpm")
        out.append(latents)
        print(f"  sampled {i + len(group)}/{len(entries)}", file=sys.stderr, flush=True)
    return torch.cat(out)


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--embedder", required=True, help="aisfx:DIR")
    ap.add_argument("--classifier", required=True, help="JSON from python -m foley.evaluation.sfx_classifier")
    ap.add_argument("--model", default="sfx", help="backbone (sfx or a folder)")
    ap.add_argument("--vae", action="append", default=[], help="another VAE folder to decode with")
    ap.add_argument("--noise-fill", type=levels_arg, default=[0.35], help="comma-separated levels in nats")
    ap.add_argument("--detail-gain", type=levels_arg, default=[1.0], help="comma-separated gains of the mel's detail")
    ap.add_argument("--steps", type=number_arg(1, integer=True), default=25)
    ap.add_argument("--guidance", type=number_arg(0), default=3.0)
    ap.add_argument("--every", type=number_arg(1, integer=True), default=2, help="every N-th test clip")
    ap.add_argument("--first", type=number_arg(0, integer=True), default=0, help="the first test clip scored")
    ap.add_argument("--latents", help="file for the sampled latents (read when it exists)")
    add_threads(ap)
    args = show_defaults(ap).parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    corpus = load_sfx_manifest(args.data, "test")
    entries = corpus[args.first:: args.every]
    if not entries:
        raise FoleyError(f"{args.data}: no test clip from --first {args.first} (the test split holds {len(corpus)})")
    kept = bool(args.latents) and Path(args.latents).is_file()
    latents = load_latents(args.latents) if kept else None
    if args.latents and not kept:
        check_writable(args.latents)  # a bad --latents fails now, not after the sampling
    # Loaded before minutes of sampling:
    embedder, clf = get_embedder(args.embedder), SoundClassifier.load(args.classifier)
    vaes = [("(the backbone's)", None)] + [(vae, load_vae(vae)) for vae in args.vae]
    backbone = load_backbone(args.model, "cpu")
    sr, project = rate_and_projection(embedder, args.data)
    if latents is None:
        latents = sample_latents(backbone, entries, args.steps, args.guidance)
        if args.latents:
            with atomic_path(args.latents) as part:  # whole or not at all: a later run reads it
                torch.save(latents, part)
    if len(latents) != len(entries):
        ap.error(f"{args.latents} holds {len(latents)} latents for {len(entries)} clips")
    _, real_blocks = embed_set(embedder, [read_audio(e["audio"], sample_rate=sr)[0] for e in corpus], sr)
    labels = [e["label"] for e in entries]
    for vae, model in vaes:
        if model is not None:
            backbone.c.vae = model
        mels = torch.cat([backbone.decode_mel(latents[i:i + 8]) for i in range(0, len(latents), 8)])  # (N, M, T)
        for level, detail in [(level, g) for g in args.detail_gain for level in args.noise_fill]:
            backbone.c.decoding = DecodingConfig(noise_fill=level).check("--noise-fill")
            detailed = with_detail(mels, detail)
            wavs = []
            for i, e in enumerate(entries):
                wav = backbone.vocode(detailed[i:i + 1], [torch.Generator().manual_seed(NOISE_SEED + i)])[0]
                n = round(min(e["duration_s"], backbone.mel.width_s) * backbone.mel.sample_rate)
                wavs.append(resample(wav.float().numpy()[:n], backbone.mel.sample_rate, sr))
            per_clip, blocks = embed_set(embedder, wavs, sr)
            acc, known = class_accuracy(clf, per_clip, labels)
            print(f"VAE {vae}  noise filling {level:g}  detail gain {detail:g}  class accuracy {acc:.3f} ({known} known)  "
                  f"FAD {shown(fad(blocks, real_blocks, project))}", flush=True)


if __name__ == "__main__":
    one_line_errors(main, "decoding_sweep.py")
