"""Does `foley compose` put each sound where the plan says, and is it the right sound?

    python eval/compose_check.py [--model demo] [--n 20] [--steps 25] [--guidance G] [--verbose]
    python eval/compose_check.py --model sfx --classifier sfx_classifier.json --embedder aisfx:DIR

For n descriptions "X then Y" and "X while Y" (pairs of different classes, 8 s beds), the
rules planner plans, the backbone generates, and the mix is checked event by event: the
first onset detected at or after (start - 0.1 s) must lie within 0.1 s of the planned
start, read twice: as the onset metric's detector reports it (the peak of the onset
strength, a frame or two into the attack) and backtracked to the energy minimum where the
sound starts; and a classifier must name the event's class from the sound after that
attack. Then one edit turn per bed (a caption change, "replace Y with Z") is timed
against a full regeneration.

Classes: SynthSync's eight with the demo classifier (0.3 s after the attack), or, with
``--classifier`` (a sound-effects classifier over ``--embedder`` embeddings), everyday
captions of the real-recordings corpus, classified from up to 2 s after the attack
(REAL_CLASSES; "a dog barks" has no training recordings and is never scored as right).
"""
from __future__ import annotations

import tempfile
import time
from collections import Counter
from itertools import permutations
from pathlib import Path

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.datasets.synthsync import CLASSES
from foley.evaluation.classifier import SoundClassifier
from foley.evaluation.embedders import get_embedder
from foley.evaluation.onset import detect_onsets
from foley.evaluation.sfx_classifier import predict_clip
from foley.pipelines.compose import EventCache, SamplerConfig, load_backbone, render
from foley.pipelines.planners import RulesPlanner

LEAD_S = 0.5  # silence put before the mix for detection: librosa cannot report an onset at t = 0
REAL_CLASSES = [  # (corpus label, caption as a user types it)
    ("thunder", "thunder"), ("footsteps on gravel", "footsteps on gravel"), ("arrow hits metal", "an arrow hits metal"),
    ("swords clash", "two swords clash"), ("axe chopping wood", "an axe chopping wood"),
    ("horse neighs", "a horse neighs"), ("water splash", "a splash of water"), ("explosion", "an explosion"),
    ("gunshot", "a gunshot"), ("dog barks", "a dog barks"),
]


class ClassSet:
    """Names and captions of the classes, and how a segment of the mix is classified."""

    def __init__(self, classifier: str | None, embedder: str | None):
        if classifier is None:
            self.items = [(c.name, c.captions[0]) for c in CLASSES]
            demo = SoundClassifier.load()
            self.classify = lambda wav, sr: demo.predict(wav)
            self.name = "demo classifier"
        else:
            clf, emb = SoundClassifier.load(classifier), get_embedder(embedder)
            self.items = REAL_CLASSES
            self.classify = lambda wav, sr: predict_clip(clf, emb, wav[: 2 * sr], sr)
            self.name = f"sound-effects classifier ({emb.name})"


def onset_times(mix: np.ndarray, sr: int, backtrack: bool) -> np.ndarray:
    lead = round(LEAD_S * sr)
    return (detect_onsets(np.concatenate([np.zeros(lead, mix.dtype), mix]), sr, backtrack=backtrack) - lead) / sr


def first_onset_near(onsets: np.ndarray, start_s: float) -> float | None:
    later = onsets[onsets >= start_s - 0.1]
    return float(later[0]) if len(later) else None


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="demo")
    ap.add_argument("--n", type=number_arg(1, integer=True), default=20)
    ap.add_argument("--steps", type=number_arg(1, integer=True), default=25)
    ap.add_argument("--guidance", type=number_arg(0), help="default: the backbone's, as foley compose samples it")
    ap.add_argument("--classifier", help="a sound-effects classifier JSON: real captions instead of SynthSync's")
    ap.add_argument("--embedder", help="the classifier's embedder (aisfx:DIR)")
    ap.add_argument("--verbose", action="store_true", help="one line per timed event")
    add_threads(ap)
    args = show_defaults(ap).parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.classifier and not args.embedder:
        ap.error("--classifier needs --embedder (the classifier's, e.g. aisfx:DIR)")
    n_classes = len(REAL_CLASSES if args.classifier else CLASSES)
    if args.n > n_classes * (n_classes - 1):
        ap.error(f"--n: at most {n_classes * (n_classes - 1)} beds (ordered pairs of {n_classes} classes)")
    classes = ClassSet(args.classifier, args.embedder)
    backbone = load_backbone(args.model, "cpu")
    sampler = SamplerConfig.for_backbone(args.model, steps=args.steps, guidance=args.guidance)
    planner, sr = RulesPlanner(), backbone.mel.sample_rate
    pairs = list(permutations(classes.items, 2))
    rng = np.random.default_rng(0)
    chosen = [pairs[i] for i in rng.choice(len(pairs), size=args.n, replace=False)]
    timed = placed = attacks = named = 0
    edit_seconds, full_seconds, regenerated = [], [], []
    per_class, right = Counter(), Counter()  # placed events, and those named right, per class
    with tempfile.TemporaryDirectory() as tmp:
        for i, (a, b) in enumerate(chosen):
            word = "then" if i % 2 == 0 else "while"
            text = f"{a[1]} {word} {b[1]}"
            plan = planner.plan(text, 8.0)
            cache = EventCache(Path(tmp) / f"bed{i}", args.model)
            t0 = time.perf_counter()
            mix, _ = render(plan, backbone, cache, sampler)
            full_seconds.append(time.perf_counter() - t0)
            peaks, attacks_s = onset_times(mix, sr, backtrack=False), onset_times(mix, sr, backtrack=True)
            # Simultaneous events share a start: only the first of a "while" bed is timed.
            for e in plan.events if word == "then" else plan.events[:1]:
                cls = a if e.caption in a[1] else b  # the planner may split a caption ("X with Y")
                onset, attack = first_onset_near(peaks, e.start_s), first_onset_near(attacks_s, e.start_s)
                timed += 1
                placed += onset is not None and abs(onset - e.start_s) <= 0.1
                label = None
                if attack is not None and abs(attack - e.start_s) <= 0.1:
                    attacks += 1
                    # An attack found in the lead-in silence reads as a few ms before 0: clamp, or
                    # the slice would start from the mix's end.
                    label = classes.classify(mix[max(0, round(attack * sr)):], sr)
                    named += label == cls[0]
                    per_class[cls[0]] += 1
                    right[cls[0]] += label == cls[0]
                if args.verbose:
                    found = ", ".join("none" if t is None else f"{t:.2f} s" for t in (onset, attack))
                    print(f"{text!r}: {cls[0]} planned at {e.start_s:.2f} s, first onset / attack {found}, "
                          f"classified {label}")
            other = classes.items[(classes.items.index(b) + 1) % len(classes.items)]
            edited = planner.plan(f"replace {b[1]} with {other[1]}", 8.0, plan)
            t0 = time.perf_counter()
            _, stats = render(edited, backbone, cache, sampler)
            edit_seconds.append(time.perf_counter() - t0)
            regenerated.append(stats.generated)
    print(f"{args.n} beds ({args.n - args.n // 2} 'then', {args.n // 2} 'while'), backbone {args.model}, "
          f"{sampler.steps} steps, guidance {sampler.guidance:g}")
    print(f"events timed: {timed}; within 0.1 s of the planned start: first onset (the onset metric's detector) "
          f"{placed} ({placed / timed:.0%}), first attack (the same, backtracked to where the sound starts) "
          f"{attacks} ({attacks / timed:.0%}); of the latter, named right by the {classes.name}: "
          f"{named} ({named / max(attacks, 1):.0%})")
    print("named right, per class: " + ", ".join(f"{c} {right[c]}/{n}" for c, n in sorted(per_class.items())))
    print(f"edit turn (one caption replaced): {np.mean(regenerated):.1f} event(s) generated of 2, "
          f"{np.mean(edit_seconds):.1f} s vs {np.mean(full_seconds):.1f} s for the full bed "
          f"({1 - np.mean(edit_seconds) / np.mean(full_seconds):.0%} saved)")


if __name__ == "__main__":
    one_line_errors(main, "compose_check.py")
