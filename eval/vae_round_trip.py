"""Where a backbone loses the sound: class accuracy of real clips through its stages.

    python eval/vae_round_trip.py --data CORPUS --embedder aisfx:DIR --classifier sfx_classifier.json \\
        --model BACKBONE [--vae RUN/vae] [--every 2]
    python eval/vae_round_trip.py --data SYNTH_REC --embedder aisfx:DIR --classifier rec_classifier.json \\
        --model foley/assets/sfx/dub_backbone

Every ``every``-th clip of the corpus's test split (or of a SynthSync folder with recorded
sounds, classified by its classes: what the dub model can keep), cut to the model width, is classified
(the sound-effects classifier over aiSFX embeddings, at the corpus's sample rate) three ways:

- as it is;
- after copy synthesis: its log-mel -> VAE image -> log-mel -> the backbone's vocoder
  (the ceiling for anything the backbone generates);
- after the VAE round trip: the image through the VAE's encoder (the mode) and decoder,
  then the vocoder (the ceiling for anything its UNet generates).

Next to each, the fine detail it keeps: the correlation, over the real clip's loud cells
(within 12 nats of the loudest), of the log-mel's detail (the log-mel minus its 5-cell
moving average) along frequency (harmonics) and along time (onsets), against the real
clip's; a VAE that blurs keeps little of either.

``--vae`` swaps in another VAE folder (e.g. a training run's ``vae/``) for the round trip,
``--vocoder`` another vocoder (its mel must be the backbone's) for both.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import uniform_filter1d

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.datasets.sfx import load_sfx_manifest
from foley.datasets.synthsync import load_manifest
from foley.errors import FoleyError
from foley.evaluation.classifier import SoundClassifier
from foley.evaluation.embedders import get_embedder
from foley.evaluation.sfx_classifier import is_synthsync
from foley.media.audio import read_audio, resample
from foley.models.auffusion import load_vae
from foley.models.mel import image_to_mel, mel_to_image
from foley.models.vocoder import VOCODER_MEL_CONFIG, load_vocoder, vocoder_mel_config
from foley.pipelines.compose import load_backbone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sfx_card import class_accuracy, embed_set  # noqa: E402


def detail(logmel: np.ndarray, axis: int) -> np.ndarray:
    """(M, T) log-mel -> its detail along ``axis``: itself minus its 5-cell moving average."""
    return logmel - uniform_filter1d(logmel, 5, axis=axis, mode="nearest")


def detail_kept(real: list[np.ndarray], other: list[np.ndarray]) -> tuple[float, float]:
    """Correlation of (frequency, time) detail of ``other`` with ``real``'s, pooled over clips'
    loud cells; each list holds (M, T) log-mels of the same clips."""
    kept = []
    for axis in (0, 1):
        a, b = [], []
        for r, o in zip(real, other):
            loud = r > r.max() - 12.0
            a.append(detail(r, axis)[loud])
            b.append(detail(o, axis)[loud])
        kept.append(float(np.corrcoef(np.concatenate(a), np.concatenate(b))[0, 1]))
    return kept[0], kept[1]


def main(argv: list[str] | None = None) -> None:
    p = OneLineErrors(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="a `foley prepare sfx` corpus, or SynthSync with recorded sounds")
    p.add_argument("--embedder", required=True, help="aisfx:DIR")
    p.add_argument("--classifier", required=True, help="the sound-effects classifier JSON")
    p.add_argument("--model", required=True, help="a backbone folder (or sfx / demo)")
    p.add_argument("--vae", help="another VAE folder for the round trip")
    p.add_argument("--vocoder", help="another vocoder folder (e.g. from foley.training.vocoder)")
    p.add_argument("--every", type=number_arg(1, integer=True), default=2, help="take every N-th test clip (default 2)")
    add_threads(p, default=2)
    args = show_defaults(p).parse_args(argv)
    torch.set_num_threads(args.threads)
    synthsync = is_synthsync(args.data)
    clips = (load_manifest if synthsync else load_sfx_manifest)(args.data, "test")[::args.every]
    if not clips:  # before the models load
        raise FoleyError(f"{args.data}: the test split holds no clips")
    backbone = load_backbone(args.model, "cpu")
    if args.vae:
        backbone.c.vae = load_vae(args.vae)
    if args.vocoder:
        own, vocoder = vocoder_mel_config(args.vocoder), load_vocoder(args.vocoder)
        if vocoder.n_mels != backbone.mel.n_mels or own and replace(own, width=backbone.mel.width) != backbone.mel:
            raise FoleyError(f"--vocoder {args.vocoder}: another mel than --model {args.model}'s "
                             f"(its {VOCODER_MEL_CONFIG} or band count)")
        backbone.c.vocoder = vocoder
    embedder, classifier = get_embedder(args.embedder), SoundClassifier.load(args.classifier)
    info = Path(args.data) / ("synthsync.json" if synthsync else "sfx.json")
    sr = json.loads(info.read_text())["config"]["sample_rate"]  # compared at the corpus rate
    mel, n = backbone.mel, backbone.mel.width * backbone.mel.hop_length
    rows = {"real": [], "copy synthesis": [], "VAE round trip": []}
    logmels = {name: [] for name in rows}  # (M, T) natural-log mels at the model's rate
    for e in clips:
        wav, _ = read_audio(e["audio"], mel.sample_rate)
        length = min(len(wav), n)
        x = torch.zeros(1, n)
        x[0, :length] = torch.from_numpy(wav[:length])
        with torch.no_grad():
            copy = backbone.vocoder(image_to_mel(mel_to_image(backbone._log_mel(x), mel), mel))[0]
            trip = backbone.decode_latents(backbone.encode_audio(x))[0]
        frames = length // mel.hop_length
        for name, audio in (("real", x[0]), ("copy synthesis", copy), ("VAE round trip", trip)):
            rows[name].append(resample(audio[:length].float().numpy(), mel.sample_rate, sr))
            with torch.no_grad():
                logmels[name].append(backbone._log_mel(audio[None].float())[0, :, :frames].numpy())
    labels = [e["class" if synthsync else "label"] for e in clips]
    for name, wavs in rows.items():
        per_clip, _ = embed_set(embedder, wavs, sr)
        accuracy, known = class_accuracy(classifier, per_clip, labels)
        freq, time = detail_kept(logmels["real"], logmels[name])
        print(f"{name:>15s}  clips {known:4d}  class accuracy {accuracy:.3f}  detail kept: frequency {freq:.2f}, "
              f"time {time:.2f}", flush=True)


if __name__ == "__main__":
    one_line_errors(main, "vae_round_trip.py")
