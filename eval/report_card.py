"""The report card: end-to-end results of a model on SynthSync test, next to references.

    python eval/report_card.py --data SYNTHSYNC_DIR --out runs/card [--n 40] [--model demo]
        [--embedder aisfx:DIR --classifier CLASSIFIER.json] [--steps N --scheduler dpm --guidance G]
        [--scale L --visual-steps F --seed S] [--rows dub] [--caption TEXT] [--threads N]

Rows (all rendered with each clip's own caption, or ``--caption`` for every clip, and the same
seed; ``--caption ''`` gives none, as ``foley dub`` without ``--caption``: a model with a
caption probe then captions each clip with what it sees, and every row uses that caption):
- ground truth: the clips' real audio (what the metrics give a perfect answer);
- dub: `foley dub` end to end (frames -> LM tokens -> adapter diffusion);
- oracle units: the tokenizer's units of the real audio -> adapter diffusion;
- text only: the dub's tokens with lambda = 0 (the backbone alone, from the caption);
- shuffled video: tokens predicted for another clip, rendered for this one.

Each row is scored by `foley eval report` (robust mode with annotated onsets, reference
mode, FAD with the offline log-mel embedder or ``--embedder``) and by a sound classifier
(class of the whole clip vs the clip's class): the demo classifier (log-mel at the onsets),
or ``--classifier``, e.g. one on aiSFX embeddings fitted on recorded-sound SynthSync
(``python -m foley.evaluation.sfx_classifier --data SYNTHSYNC``); card.md collects the table
and the wall-clock time per clip.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.config import MAX_SEED, SCHEDULER_NAMES
from foley.datasets.synthsync import load_manifest
from foley.errors import FoleyError
from foley.evaluation.classifier import DEMO_PATH, SoundClassifier
from foley.evaluation.embedders import PCAEmbedder, embed_audio, get_embedder
from foley.evaluation.report import write_report
from foley.evaluation.sfx_classifier import is_synthsync, predict_clip
from foley.media.audio import read_audio, write_audio
from foley.media.files import atomic_write_text, read_json_object
from foley.models.backbone import visual_steps_said
from foley.pipelines.dub import FoleyPipeline

ROWS = ("ground truth", "dub", "oracle units", "text only", "shuffled video")


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a SynthSync folder (`foley prepare synth`, with or without --sounds)")
    ap.add_argument("--split", default="test", help="the manifest's split to score (default test)")
    ap.add_argument("--n", type=number_arg(1, integer=True), default=40,
                    help="score the split's first N clips (default 40; all of them when it holds fewer)")
    ap.add_argument("--out", required=True,
                    help="the card's folder: card.md, card.json, each row's audio and reports; a rerun with the "
                         "same settings resumes it")
    ap.add_argument("--model", default="demo", help="demo | sfx | a model folder (default demo)")
    ap.add_argument("--steps", type=number_arg(1, integer=True), help="diffusion steps (default: the model's)")
    ap.add_argument("--scheduler", choices=SCHEDULER_NAMES, help="sampler (default: the model's)")
    ap.add_argument("--guidance", type=number_arg(0), help="classifier-free guidance (default: the model's)")
    ap.add_argument("--scale", type=number_arg(0), help="lambda of the visual cross-attention (default: the model's)")
    ap.add_argument("--visual-steps", type=number_arg(0, 1),
                    help="with a caption, the fraction of the steps that use the visual condition (default: the model's)")
    ap.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0,
                    help="diffusion seed of every clip (default 0)")
    ap.add_argument("--rows", default=",".join(ROWS[1:]),
                    help="comma-separated generated rows to render and score (default: all; 'dub' alone for a "
                         "quality/speed curve); the ground truth is always scored")
    ap.add_argument("--caption", help="render every clip with this caption instead of its own ('': none, as "
                                      "`foley dub` without --caption)")
    ap.add_argument("--embedder", default="logmel", help="FAD embedder: logmel | aisfx:DIR | ...")
    ap.add_argument("--fad-pca", type=number_arg(0, integer=True), default=0, metavar="DIMS",
                    help="FAD on the embedder's first DIMS principal components of the train split's real audio "
                         "(for embedders wider than the test set has blocks, e.g. aiSFX: 32)")
    ap.add_argument("--classifier", default=str(DEMO_PATH),
                    help="sound classifier JSON (default: the demo one); one on embeddings reads --embedder's")
    add_threads(ap)
    args = show_defaults(ap).parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    if not rows or set(rows) - set(ROWS[1:]) or "dub" not in rows:
        ap.error(f"--rows: a comma-separated choice of {', '.join(ROWS[1:])}, including dub")
    if Path(args.data).is_dir() and not is_synthsync(args.data):  # its clips lack classes, onsets and videos
        raise FoleyError(f"{args.data}: not a SynthSync folder (no synthsync.json; `foley prepare synth` makes one)")
    embedder, classifier = get_embedder(args.embedder), SoundClassifier.load(args.classifier)
    fad_embedder = embedder
    if args.fad_pca:
        train = load_manifest(args.data, "train")[:100]
        if not train:
            raise FoleyError(f"{args.data}: the train split holds no clips to fit --fad-pca's components on")
        blocks = np.concatenate([embed_audio(embedder, *read_audio(e["audio"], sample_rate=None)) for e in train])
        fad_embedder = PCAEmbedder(embedder, blocks, args.fad_pca)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FoleyError(f"{out}: a file is in the place of the card's folder; choose another --out")
    entries = load_manifest(args.data, args.split)
    if not entries:
        raise FoleyError(f"{args.data}: the {args.split} split holds no clips")
    if len(entries) < args.n:
        print(f"report_card: warning: the {args.split} split holds {len(entries)} clips, fewer than --n {args.n}; "
              f"the card scores all {len(entries)}", file=sys.stderr)
    entries = entries[: args.n]
    unknown = sorted({e["class"] for e in entries} - set(classifier.classes))
    if unknown:  # its class accuracy would be of names it cannot give
        raise FoleyError(f"{args.classifier}: the classifier names {len(classifier.classes)} classes and not the data's "
                         f"{', '.join(unknown[:3])}{', ...' if len(unknown) > 3 else ''}; give --classifier one fitted "
                         "on this data's train split (python -m foley.evaluation.sfx_classifier --data DATA)")

    pipe = FoleyPipeline.from_pretrained(args.model, device="cpu")
    pipe.config = replace(pipe.settings(steps=args.steps, guidance=args.guidance, scale=args.scale,
                                        visual_steps=args.visual_steps),
                          scheduler=args.scheduler or pipe.config.scheduler)
    # Finished outputs are kept for resuming, so a folder holds the card of one set of settings.
    settings = {"data": str(Path(args.data).resolve()), "split": args.split, "n": len(entries), "model": args.model,
                "steps": pipe.config.steps, "scheduler": pipe.config.scheduler, "guidance": pipe.config.guidance,
                "scale": pipe.config.scale, "visual_steps": pipe.config.visual_steps, "seed": args.seed,
                **({} if args.caption is None else {"caption": args.caption})}
    saved = out / "settings.json"
    if out.is_dir() and any(out.iterdir()) and not saved.is_file():
        raise FoleyError(f"{out} holds other files and no card; choose a new or empty --out")
    before = read_json_object(saved, "card's settings file") if saved.is_file() else settings
    if before != settings:
        changed = ", ".join(f"{k} {before.get(k)} -> {v}" for k, v in settings.items() if before.get(k) != v)
        raise FoleyError(f"{out} holds a card made with other settings ({changed}); use another --out")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(saved, json.dumps(settings, indent=1) + "\n")
    ref = out / "ref"
    ref.mkdir(parents=True, exist_ok=True)
    for e in entries:
        shutil.copy(e["audio"], ref / f"{e['id']}.wav")
        shutil.copy(e["sidecar"], ref / f"{e['id']}.json")
    sr = pipe.time.sample_rate
    dirs = {row: out / row.replace(" ", "_") for row in rows}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    # The caption each clip was dubbed with (None, from --caption '': the model's choice, as `foley dub`
    # without --caption) and its tokens, kept for resuming and for the other rows.
    dubbed = out / "dubbed.json"
    units = read_json_object(dubbed, "card's dub record") if dubbed.is_file() else {}
    seconds = []
    for e in entries:  # resumable: finished outputs are kept
        done = dirs["dub"] / f"{e['id']}.wav"
        if done.is_file() and e["id"] in units:
            continue
        t0 = time.perf_counter()
        result = pipe.dub(e["video"], caption=e["caption"] if args.caption is None else args.caption or None,
                          seed=args.seed)
        seconds.append(time.perf_counter() - t0)
        units[e["id"]] = {"caption": result.caption, "tokens": result.tokens.tolist()}
        write_audio(done, result.audio, sr)
        atomic_write_text(dubbed, json.dumps(units) + "\n")
    predicted = {k: torch.tensor(v["tokens"]) for k, v in units.items()}
    caption = lambda e: units[e["id"]]["caption"]  # noqa: E731
    for i, e in enumerate(entries):
        duration = e["duration_s"]
        n_tok = pipe.time.tokens(duration)

        def oracle():
            return pipe.tokenizer.encode(read_audio(e["audio"], sample_rate=sr)[0], sample_rate=sr)[:n_tok]

        for row, tokens, scale in (("oracle units", oracle, None), ("text only", lambda: predicted[e["id"]], 0.0),
                                   ("shuffled video", lambda: predicted[entries[(i + 1) % len(entries)]["id"]][:n_tok],
                                    None)):
            if row not in dirs or (dirs[row] / f"{e['id']}.wav").is_file():
                continue
            audio = pipe.render(torch.as_tensor(tokens()), duration, caption(e), scale=scale, seed=args.seed)
            write_audio(dirs[row] / f"{e['id']}.wav", audio, sr)

    def predict(wav):
        if classifier.features == "logmel-onset":
            return classifier.predict_clip(read_audio(wav, sample_rate=16_000)[0])
        return predict_clip(classifier, embedder, *read_audio(wav, sample_rate=None))

    table, class_acc = {}, {}
    for row in ("ground truth", *rows):
        pred = ref if row == "ground truth" else dirs[row]
        report = write_report(pred, ref, out / "reports" / row.replace(" ", "_"), embedder=fad_embedder, max_plots=6)
        table[row] = report
        class_acc[row] = sum(predict(pred / f"{e['id']}.wav") == e["class"] for e in entries) / len(entries)
    clip_s = entries[0]["duration_s"]
    lines = [f"SynthSync {args.split}, {len(entries)} clips of {clip_s:g} s, model `{args.model}`, "
             f"{pipe.config.steps} {pipe.config.scheduler} steps, guidance {pipe.config.guidance:g}, "
             f"lambda {pipe.config.scale:g}{visual_steps_said(pipe.config.visual_steps, pipe.config.steps)}, "
             f"seed {args.seed}, "
             + ("each clip's caption" if args.caption is None else f"caption {args.caption!r} for every clip"
                if args.caption else "no caption given (as `foley dub` without --caption)")
             + ", CPU "
             f"({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''}).", "",
             f"| row | onset-count acc | detection acc | AP | ref. count acc | ref. AP | FAD ({fad_embedder.name}) | class acc |",
             "|---|---|---|---|---|---|---|---|"]
    for row, r in table.items():
        rob, refm = r["robust"]["summary"], r["reference"]["summary"]
        fad = r["fad"].get("fad")
        lines.append(f"| {row} | {rob['onset_count_acc']:.3f} | {rob['onset_detection_acc']:.3f} | {rob['onset_ap']:.3f} | "
                     f"{refm['onset_count_acc']:.3f} | {refm['onset_ap']:.3f} | "
                     + (f"{fad:.2f}" if fad is not None else "n/a") + f" | {class_acc[row]:.3f} |")
    if (missing := next((r["fad"]["error"] for r in table.values() if "error" in r["fad"]), None)):
        why = missing.replace("foley eval fad --pca", "--fad-pca")  # this script's option
        lines += ["", f"No FAD: {why}"]
        print(f"report_card: warning: no FAD: {why}", file=sys.stderr)
    per_clip = sum(seconds) / len(seconds) if seconds else None
    lines += ["", f"Wall-clock time of `foley dub` on the CPU per {clip_s:g} s clip: {per_clip:.1f} s "
              f"({per_clip / clip_s:.2f} x real time), mean of the {len(seconds)} clips dubbed in this run."
              if seconds else f"Time of `foley dub` per clip: not measured, every clip's dub was kept from an "
                              f"earlier run in {out}."]
    atomic_write_text(out / "card.md", "\n".join(lines) + "\n")
    atomic_write_text(out / "card.json", json.dumps({"rows": {k: {"robust": v["robust"]["summary"],
                                                                    "reference": v["reference"]["summary"],
                                                                    "fad": v["fad"], "class_acc": class_acc[k]}
                                                                for k, v in table.items()},
                                                      "seconds_per_clip": per_clip, "n_clips": len(entries)}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        one_line_errors(main, "report_card")
    except SystemExit as e:
        if e.code in (130, 143):  # interrupted: finished clips are kept
            print("report_card: run the same command again to go on", file=sys.stderr)
        raise
