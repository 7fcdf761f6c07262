"""Unit-level evaluation of a token LM on SynthSync: does it write the clip's units, and
does it put the sounds at the right times?

- **Unit accuracy**: share of the T tokens of a clip equal to the ground-truth units of its
  real audio (all frames, and frames whose true unit is a sound unit).
- **Sound units**: units whose frames, on the train split, are mostly above -40 dBFS (RMS of
  the 20 ms hop); the others are noise-floor units, which flicker between events.
- **Event F1**: events are the starts of runs of at least 3 sound units; matched one-to-one
  (nearest first) to the annotated onsets within 0.1 s; F1 of the counts pooled over clips.
  The same figure on the ground-truth units is the ceiling this event reading allows.
- **Change F1**: every unit change is an event (the plain reading); reported for reference.
- **Video use**: the teacher-forced loss (nats per target token) with each clip's own frames
  and with the frames of the clip as many places on in the split as it has classes (SynthSync
  cycles through its classes, so that clip has the same class and other event times). A model
  that reads the video has a lower loss with its own frames.

Run: ``python -m foley.evaluation.lm --model DIR --data SYNTHSYNC --features CACHE --units CACHE``.
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.evaluation.lm")

import argparse
import json
import time

import numpy as np
import torch

from ..cli import add_threads, number_arg
from ..config import MAX_SEED
from ..datasets.lm_data import LMData, load_lm_data
from ..datasets.synthsync import load_manifest
from ..errors import FoleyError
from ..media.audio import read_audio
from ..media.files import atomic_write_text, check_writable
from ..models.token_lm import SamplingConfig, TokenLM

SILENCE_DBFS = -40.0
MIN_RUN = 3
TOLERANCE_S = 0.1


def sound_units(data: LMData, audio_paths: list[str], n_units: int, hop: int = 320) -> np.ndarray:
    """(K,) bool: units whose frames are mostly above SILENCE_DBFS in these clips."""
    loud, total = np.zeros(n_units), np.zeros(n_units)
    for units, path in zip(data.units, audio_paths):
        wav, _ = read_audio(path, sample_rate=16_000)
        u = units.numpy()
        frames = np.pad(wav, (0, max(0, len(u) * hop - len(wav))))[: len(u) * hop].reshape(len(u), hop)
        rms_db = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
        np.add.at(loud, u, rms_db > SILENCE_DBFS)
        np.add.at(total, u, 1)
    return loud > 0.5 * total


def run_onsets_s(units: np.ndarray, sound: np.ndarray, rate_hz: float = 50.0) -> np.ndarray:
    """Times of the first frames of runs of >= MIN_RUN sound units."""
    is_sound = np.concatenate([[False], sound[units], [False]])
    edges = np.diff(is_sound.astype(int))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return starts[ends - starts >= MIN_RUN] / rate_hz


def change_times_s(units: np.ndarray, rate_hz: float = 50.0) -> np.ndarray:
    return (np.nonzero(units[1:] != units[:-1])[0] + 1) / rate_hz


def match_counts(pred_s: np.ndarray, gt_s: np.ndarray, tol_s: float = TOLERANCE_S) -> tuple[int, int, int]:
    """(hits, false alarms, misses): each onset takes the nearest unused event within tol_s."""
    used, hits = set(), 0
    for g in gt_s:
        free = [i for i in range(len(pred_s)) if i not in used and abs(pred_s[i] - g) <= tol_s]
        if free:
            used.add(min(free, key=lambda i: abs(pred_s[i] - g)))
            hits += 1
    return hits, len(pred_s) - hits, len(gt_s) - hits


def f1(counts: np.ndarray) -> dict:
    hits, false_alarms, misses = counts
    precision = hits / max(hits + false_alarms, 1)
    recall = hits / max(hits + misses, 1)
    return {"f1": 2 * precision * recall / max(precision + recall, 1e-12), "precision": precision, "recall": recall}


def score_units(pred: list[np.ndarray], gt: list[np.ndarray], onsets: list[np.ndarray], sound: np.ndarray) -> dict:
    """All figures of a set of predicted unit sequences (one per clip)."""
    equal = np.concatenate([p == g for p, g in zip(pred, gt)])
    on_sound = np.concatenate([sound[g] for g in gt])
    events = sum(np.array(match_counts(run_onsets_s(p, sound), o)) for p, o in zip(pred, onsets))
    changes = sum(np.array(match_counts(change_times_s(p), o)) for p, o in zip(pred, onsets))
    activity = np.concatenate([sound[p] == sound[g] for p, g in zip(pred, gt)])
    return {"unit_acc": float(equal.mean()), "unit_acc_sound_frames": float(equal[on_sound].mean()),
            "sound_vs_noise_acc": float(activity.mean()), "event": f1(events), "change": f1(changes)}


@torch.no_grad()
def teacher_forced_loss(model: TokenLM, data: LMData, batch_size: int, frame_shift: int = 0) -> float:
    """Mean loss per target token; clip i gets the frames of clip i + frame_shift."""
    total, count = 0.0, 0
    for i in range(0, len(data.ids), batch_size):
        idx = list(range(i, min(i + batch_size, len(data.ids))))
        batch = data.batch(idx, use_video=model.config.use_video)
        if model.config.use_video and frame_shift:
            other = data.batch([(j + frame_shift) % len(data.ids) for j in idx], use_video=True)
            batch["frames"], batch["frame_counts"] = other["frames"], other["frame_counts"]
        n = int(batch["unit_counts"].sum()) + len(idx)
        total += model(**batch)[0].item() * n
        count += n
    return total / count


def evaluate(model: TokenLM, data: LMData, onsets: list[np.ndarray], sound: np.ndarray, batch_size: int = 16,
             sampling: SamplingConfig = SamplingConfig(), n_classes: int = 8) -> dict:
    """``n_classes``: the split's class cycle (8 synthesized, 13 recorded), the frame shift of the
    video-use loss; a split of no more clips than that has no other clip of a clip's class, and
    the loss with another clip's frames is None (it would be the clip's own)."""
    video_use = {"loss_own_frames": teacher_forced_loss(model, data, batch_size), "loss_other_clip_frames": None}
    if len(data.ids) > n_classes:
        video_use["loss_other_clip_frames"] = teacher_forced_loss(model, data, batch_size, n_classes)
    else:
        video_use["note"] = (f"{len(data.ids)} clips of {n_classes} classes: no clip has another of its class "
                             "to take the frames of")
    pred = []
    start = time.perf_counter()
    for i in range(0, len(data.ids), batch_size):
        idx = list(range(i, min(i + batch_size, len(data.ids))))
        batch = data.batch(idx, use_video=model.config.use_video)
        pred += [p.numpy() for p in model.generate(batch["captions"], batch["unit_counts"].tolist(),
                                                    batch.get("frames"), batch.get("frame_counts"), sampling)]
    seconds = time.perf_counter() - start
    gt = [u.numpy() for u in data.units]
    return {"clips": len(gt), "model": score_units(pred, gt, onsets, sound), "video_use": video_use,
            "ground_truth_units": score_units(gt, gt, onsets, sound),
            "sound_units": int(sound.sum()), "generation_s": round(seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m foley.evaluation.lm", description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--model", required=True, help="token LM folder (or demo)")
    parser.add_argument("--data", required=True, help="SynthSync folder (train split: sound units; test: scores)")
    parser.add_argument("--features", required=True, help="frame feature cache of both splits")
    parser.add_argument("--units", required=True, help="unit id cache of both splits")
    parser.add_argument("--split", default="test")
    parser.add_argument("--batch-size", type=number_arg(1, integer=True), default=16)
    add_threads(parser, default=1)
    parser.add_argument("--sample", action="store_true", help="sample instead of greedy decoding")
    parser.add_argument("--temperature", type=number_arg(0, above=True), default=1.0)
    parser.add_argument("--top-k", type=number_arg(0, integer=True), default=0, help="0: no top-k filter")
    parser.add_argument("--top-p", type=number_arg(0, 1, above=True), default=1.0, help="1: no nucleus filter")
    parser.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.json:
        check_writable(args.json)  # before the generation, which takes a while
    torch.set_num_threads(args.threads)
    entries = load_manifest(args.data, args.split)
    if unannotated := [e["id"] for e in entries if "onsets_s" not in e]:
        raise FoleyError(f"{args.data}/{args.split}.jsonl: {len(unannotated)} clips without annotated onsets "
                         f"(onsets_s), e.g. {unannotated[0]}; this evaluation needs them (SynthSync's)")
    model = TokenLM.from_pretrained(args.model)
    train = load_lm_data(f"{args.data}/train.jsonl", args.features, args.units, model.n_units)
    sound = sound_units(train, [e["audio"] for e in load_manifest(args.data, "train")], model.n_units)
    data = load_lm_data(f"{args.data}/{args.split}.jsonl", args.features, args.units, model.n_units)
    if model.tokenizer_fingerprint and data.tokenizer_fingerprint not in (None, model.tokenizer_fingerprint):
        raise FoleyError(f"{args.units}: these units were made with another unit tokenizer than the one the LM "
                         "learned (its units.json); tokenize the clips with the model's own tokenizer")
    sampling = SamplingConfig(do_sample=args.sample, temperature=args.temperature, top_k=args.top_k,
                              top_p=args.top_p, seed=args.seed)
    result = evaluate(model, data, [np.array(e["onsets_s"]) for e in entries], sound, args.batch_size, sampling,
                      n_classes=len({e["class"] for e in entries}))
    result.update({"model_dir": args.model, "split": args.split, "use_video": model.config.use_video,
                   "sampling": sampling.__dict__})
    print(json.dumps(result, indent=1))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
