"""Fitting unit tokenizers, and the recipe of the shipped demo tokenizer.

``python -m foley.training.tokenizer kmeans``  k-means on HuBERT features of a manifest
                                            (e.g. HuBERT-Base L9 km500 on your data)
``python -m foley.training.tokenizer demo``    the demo tokenizer: a small HuBERT trained
                                            HuBERT-iteration-1 style on SynthSync, then k-means
``python -m foley.training.tokenizer eval``    how informative the units are on SynthSync
``python -m foley.training.tokenizer bench``   encode throughput (seconds of audio per second)
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.training.tokenizer")

import argparse
import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from ..cli import add_threads, number_arg, reported, show_defaults
from ..datasets.synthsync import load_manifest
from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import atomic_dir, refuse_to_replace
from ..models.hubert_features import HubertFeatures, HubertFeaturesConfig, build_hubert_features
from ..models.kmeans import KMeansConfig, assign_units, fit_kmeans
from ..models.unit_tokenizer import CENTROIDS_NAME, DEMO_DIR, UnitTokenizer

SILENCE_RMS = 0.01  # a 20 ms hop with RMS below this (-40 dBFS) is silent; SynthSync's floor is 0.001
NOISE_FLOOR_RMS = 10 ** (-55 / 20)  # below this a hop holds the noise floor only


def read_wavs(entries: list[dict]) -> list[np.ndarray]:
    return [read_audio(e["audio"])[0] for e in entries]


def collect_features(features: HubertFeatures, wavs: list[np.ndarray], batch: int = 16) -> np.ndarray:
    """Token-rate features of every frame of every waveform, stacked: (sum T_i, D) float32."""
    out = []
    for start in range(0, len(wavs), batch):
        out += [f.numpy() for f in features.aligned(wavs[start:start + batch])]
    return np.concatenate(out)


def fit_unit_tokenizer(features: HubertFeatures, wavs: list[np.ndarray], kmeans: KMeansConfig) -> UnitTokenizer:
    centroids = fit_kmeans(collect_features(features, wavs), kmeans)
    return UnitTokenizer(features, torch.from_numpy(centroids))


def fit_silence_aware_tokenizer(features: HubertFeatures, wavs: list[np.ndarray], kmeans: KMeansConfig) -> UnitTokenizer:
    """Unit 0 = the mean feature of silent frames; units 1..K-1 = k-means of the other frames.

    Assignment stays the plain nearest centroid; only the fit changes, so that the
    noise floor between events (three quarters of SynthSync's frames) gets one unit
    instead of most of them.
    """
    feats = collect_features(features, wavs)  # (sum T_i, D)
    loud = np.concatenate([_hop_rms(w, features.hop, -(-len(w) // features.hop)) > SILENCE_RMS for w in wavs])
    sounds = fit_kmeans(feats[loud], replace(kmeans, n_clusters=kmeans.n_clusters - 1))
    silence = feats[~loud].mean(axis=0, keepdims=True)
    return UnitTokenizer(features, torch.from_numpy(np.concatenate([silence, sounds])))


# ------------------------------------------------------------------------ evaluation ---

def _hop_rms(wav: np.ndarray, hop: int, n: int) -> np.ndarray:
    padded = np.zeros(n * hop, np.float32)
    padded[: len(wav)] = wav[: n * hop]
    return np.sqrt((padded.reshape(n, hop) ** 2).mean(axis=1))  # (T,)


def evaluate_units(tokenizer: UnitTokenizer, entries: list[dict], wavs: list[np.ndarray] | None = None) -> dict:
    """How much the units say about SynthSync clips (class and onsets).

    - purity: share of non-silent frames whose unit's majority class (over these clips)
      is the frame's class; ``chance`` is the largest class share.
    - onset change rate: share of annotated onsets where the unit changes between the
      frame before and the frame whose hop holds the onset; ``other change rate``: the
      same over all other adjacent frame pairs more than 2 frames from an onset.
    - noise floor one unit: share of frames below -55 dBFS that take the most common unit
      among them.
    """
    wavs = read_wavs(entries) if wavs is None else wavs
    hop = tokenizer.features.hop
    units = [u.numpy() for start in range(0, len(wavs), 16)
             for u in tokenizer.encode_batch(wavs[start:start + 16])]
    pairs: dict[int, Counter] = {}
    class_frames: Counter = Counter()
    onset_changes, n_onsets, other_changes, n_other = 0, 0, 0, 0
    floor_units: Counter = Counter()
    for entry, wav, u in zip(entries, wavs, units):
        rms = _hop_rms(wav, hop, len(u))
        loud = rms > SILENCE_RMS
        floor_units.update(u[rms < NOISE_FLOOR_RMS].tolist())
        for unit in u[loud]:
            pairs.setdefault(int(unit), Counter())[entry["class"]] += 1
        class_frames[entry["class"]] += int(loud.sum())
        changed = u[1:] != u[:-1]  # changed[f - 1]: unit f differs from unit f - 1
        near = np.zeros(len(u), bool)
        for onset_s in entry["onsets_s"]:
            f = int(round(onset_s * tokenizer.features.sample_rate)) // hop
            if 1 <= f < len(u):
                onset_changes += int(changed[f - 1])
                n_onsets += 1
            near[max(0, f - 2):f + 3] = True
        other_changes += int(changed[~near[1:]].sum())
        n_other += int((~near[1:]).sum())
    n_loud = sum(class_frames.values())
    majority = sum(c.most_common(1)[0][1] for c in pairs.values())
    onset_rate, other_rate = onset_changes / max(1, n_onsets), other_changes / max(1, n_other)
    return {
        "clips": len(entries),
        "non_silent_frames": n_loud,
        "units_used": len(set(np.concatenate(units).tolist())),
        "purity": majority / max(1, n_loud),
        "chance_purity": max(class_frames.values(), default=0) / max(1, n_loud),
        "onset_change_rate": onset_rate,
        "other_change_rate": other_rate,
        "onset_change_ratio": onset_rate / other_rate if other_rate else math.inf,
        "noise_floor_one_unit": max(floor_units.values(), default=0) / max(1, floor_units.total()),
    }


# ------------------------------------------------------------------- the demo recipe ---

@dataclass
class DemoRecipe:
    """The demo tokenizer: a small HuBERT trained HuBERT-iteration-1 style (masked
    prediction of MFCC k-means targets) on SynthSync audio, then k-means on a layer.

    Silent frames (the noise floor) get one target class and one unit of their own: spent
    on the noise floor, classes and units flicker without meaning between events."""

    hubert: dict = field(default_factory=lambda: dict(
        hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=256,
        conv_dim=(64,) * 7, num_conv_pos_embeddings=32, num_conv_pos_embedding_groups=8, layerdrop=0.0))
    layer: int = 4
    n_units: int = 128
    mfcc_units: int = 100  # k-means classes of the MFCC targets (HuBERT's first iteration uses 100)
    epochs: int = 60
    batch_clips: int = 8
    crop_frames: int = 50  # each step trains on a random 1 s window of each clip
    lr: float = 2e-3
    warmup_steps: int = 50
    mask_prob: float = 0.5  # HuBERT's span masking: start probability x span length
    mask_length: int = 10
    unmasked_weight: float = 1.0  # loss weight of unmasked frames (HuBERT-Base: 0; see tokenizers/README.md)
    n_init: int = 20  # k-means restarts for the MFCC targets (the published value)
    units_n_init: int = 3  # k-means restarts for the units
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def mfcc_frames(padded: torch.Tensor, features: HubertFeatures) -> torch.Tensor:
    """MFCC + deltas + delta-deltas of a token-padded waveform, one per HuBERT frame: (T, 39)."""
    import torchaudio

    mfcc = torchaudio.transforms.MFCC(
        sample_rate=features.sample_rate, n_mfcc=13,
        melkwargs=dict(n_fft=features.receptive_field, hop_length=features.hop, n_mels=40, center=False))(padded)  # (13, T)
    d1 = torchaudio.functional.compute_deltas(mfcc)
    d2 = torchaudio.functional.compute_deltas(d1)
    return torch.cat([mfcc, d1, d2]).T  # (T, 39)


def train_demo_hubert(wavs: list[np.ndarray], recipe: DemoRecipe, log=print) -> HubertFeatures:
    """Masked prediction of MFCC k-means classes; returns the trained feature extractor."""
    from transformers import HubertConfig, HubertModel
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices

    torch.manual_seed(recipe.seed)
    np.random.seed(recipe.seed)  # transformers' _compute_mask_indices draws from numpy's global generator
    rng = np.random.default_rng(recipe.seed)
    model = HubertModel(HubertConfig(**recipe.hubert))
    features = HubertFeatures(model, HubertFeaturesConfig(layer=recipe.layer))
    inputs = [torch.nn.functional.pad(torch.from_numpy(w), features.token_padding(len(w))) for w in wavs]
    mfcc = [mfcc_frames(x, features) for x in inputs]
    loud = [torch.from_numpy(_hop_rms(w, features.hop, len(m)) > SILENCE_RMS) for w, m in zip(wavs, mfcc)]
    stacked = torch.cat(mfcc)[torch.cat(loud)]  # MFCC classes are fitted on sound frames only
    mean, std = stacked.mean(0), stacked.std(0) + 1e-5
    kmeans = KMeansConfig(n_clusters=recipe.mfcc_units - 1, n_init=recipe.n_init, seed=recipe.seed)
    mfcc_centroids = torch.from_numpy(fit_kmeans(((stacked - mean) / std).numpy(), kmeans))
    # target 0 = silent frame (the noise floor), 1..mfcc_units-1 = MFCC class of a sound frame
    targets = [torch.where(q, assign_units((m - mean) / std, mfcc_centroids) + 1, 0)
               for m, q in zip(mfcc, loud)]  # (T_i,) each

    head = torch.nn.Linear(model.config.hidden_size, recipe.mfcc_units)
    model.requires_grad_(True)  # HubertFeatures froze it
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.01)
    steps = recipe.epochs * math.ceil(len(wavs) / recipe.batch_clips)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / recipe.warmup_steps)
                                              * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    model.train()
    step, started = 0, time.time()
    for epoch in range(recipe.epochs):
        order = rng.permutation(len(wavs))
        total, count = 0.0, 0
        for start in range(0, len(order), recipe.batch_clips):
            idx = order[start:start + recipe.batch_clips]
            n_frames = min([recipe.crop_frames] + [len(targets[i]) for i in idx])
            starts = [int(rng.integers(0, len(targets[i]) - n_frames + 1)) for i in idx]  # random crops
            length = n_frames * features.hop + 2 * features.context
            batch = torch.stack([inputs[i][f * features.hop:f * features.hop + length] for i, f in zip(idx, starts)])  # (B, N)
            target = torch.stack([targets[i][f:f + n_frames] for i, f in zip(idx, starts)])  # (B, T)
            mask = torch.from_numpy(_compute_mask_indices((len(idx), n_frames), recipe.mask_prob,
                                                          recipe.mask_length, min_masks=2))  # (B, T)
            hidden = model(batch, mask_time_indices=mask).last_hidden_state  # (B, T, D)
            losses = torch.nn.functional.cross_entropy(head(hidden).transpose(1, 2), target, reduction="none")  # (B, T)
            loss = losses[mask].mean() + recipe.unmasked_weight * losses[~mask].mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            opt.step()
            sched.step()
            step += 1
            total, count = total + loss.item(), count + 1
        log(f"epoch {epoch + 1}/{recipe.epochs}: masked-prediction loss {total / count:.3f} "
            f"({time.time() - started:.0f} s)")
    model.eval()
    return HubertFeatures(model, HubertFeaturesConfig(layer=recipe.layer))


def train_wavs(data: str) -> list[np.ndarray]:
    """The audio of a folder's train split; FoleyError when it has no clips."""
    entries = load_manifest(data, "train")
    if not entries:
        raise FoleyError(f"{Path(data) / 'train.jsonl'}: the train split has no clips")
    return read_wavs(entries)


def fit_demo(data: str, out: str, recipe: DemoRecipe, log=print) -> dict:
    """Train the demo HuBERT on SynthSync train, fit its units, save to ``out``; returns test figures."""
    wavs = train_wavs(data)
    features = train_demo_hubert(wavs, recipe, log)
    tokenizer = fit_silence_aware_tokenizer(features, wavs, KMeansConfig(
        n_clusters=recipe.n_units, n_init=recipe.units_n_init, seed=recipe.seed))
    with atomic_dir(out) as tmp:  # whole or not there; a replaced tokenizer stays until then
        tokenizer.save_pretrained(tmp)
        (tmp / "recipe.json").write_text(json.dumps(recipe.to_dict(), indent=1) + "\n")
    return evaluate_units(tokenizer, load_manifest(data, "test"))


def throughput(tokenizer: UnitTokenizer, seconds: float = 40.0, clip_s: float = 4.0, threads: int = 2) -> float:
    """Seconds of audio tokenized per second of wall time (random audio, clips of clip_s)."""
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    n = int(clip_s * tokenizer.features.sample_rate)
    wavs = [0.1 * rng.standard_normal(n).astype(np.float32) for _ in range(max(1, round(seconds / clip_s)))]
    tokenizer.encode_batch(wavs[:1])  # warm-up
    started = time.perf_counter()
    tokenizer.encode_batch(wavs)
    return len(wavs) * clip_s / (time.perf_counter() - started)


def _load(model: str) -> UnitTokenizer:
    return UnitTokenizer.from_pretrained(DEMO_DIR if model == "demo" else model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foley.training.tokenizer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    km = sub.add_parser("kmeans", help="fit k-means units on HuBERT features of a SynthSync-style folder")
    km.add_argument("--hubert", default="", help="transformers HubertModel directory or hub id (default: '', a random Base)")
    km.add_argument("--data", required=True, help="folder with train.jsonl (audio paths per clip)")
    km.add_argument("--layer", type=number_arg(0, integer=True), default=9)
    km.add_argument("--n-units", type=number_arg(2, integer=True), default=500)
    km.add_argument("--out", required=True, help="tokenizer folder to write")
    km.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    demo = sub.add_parser("demo", help="train and fit the demo tokenizer on SynthSync")
    demo.add_argument("--data", required=True, help="SynthSync folder (foley prepare synth)")
    demo.add_argument("--out", required=True, help="tokenizer folder to write")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    add_threads(demo, default=1)
    ev = sub.add_parser("eval", help="unit purity and onset change rates on SynthSync test")
    ev.add_argument("--model", default="demo")
    ev.add_argument("--data", required=True)
    bench = sub.add_parser("bench", help="encode throughput in seconds of audio per second")
    bench.add_argument("--model", default="demo", help="demo, a tokenizer directory, or 'base' (random HuBERT-Base)")
    add_threads(bench, default=2)
    args = show_defaults(parser).parse_args(argv)
    return reported("foley.training.tokenizer", lambda: _run(args)) or 0  # errors, Ctrl-C: one line


def _run(args: argparse.Namespace) -> None:
    if args.command in ("kmeans", "demo"):  # an existing folder of something else is never written into
        refuse_to_replace(args.out, args.overwrite, holds=CENTROIDS_NAME, what="unit tokenizer")
    if args.command == "kmeans":
        torch.manual_seed(0)  # the random Base (no --hubert) is the same in every run
        features = build_hubert_features(HubertFeaturesConfig(pretrained=args.hubert, layer=args.layer))
        tokenizer = fit_unit_tokenizer(features, train_wavs(args.data), KMeansConfig(n_clusters=args.n_units))
        with atomic_dir(args.out) as tmp:
            tokenizer.save_pretrained(tmp)
    elif args.command == "demo":
        torch.set_num_threads(args.threads)
        print(json.dumps(fit_demo(args.data, args.out, DemoRecipe(), log=lambda s: print(s, flush=True))))
    elif args.command == "eval":
        print(json.dumps(evaluate_units(_load(args.model), load_manifest(args.data, "test")), indent=1))
    else:
        if args.model == "base":
            torch.manual_seed(0)
            features = build_hubert_features(HubertFeaturesConfig())
            tokenizer = UnitTokenizer(features, torch.randn(500, features.dim))
        else:
            tokenizer = _load(args.model)
        print(f"{args.model}: {throughput(tokenizer, threads=args.threads):.1f} s of audio per second "
              f"({args.threads} threads)")
