"""foley eval: onsets, FAD, MKL, the HTML report and CLAP scores, with their --json files."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import counted


def _onset_config(args: argparse.Namespace, mode: str | None = None):
    from ..evaluation.onset import OnsetConfig

    return OnsetConfig(mode=mode or args.mode, delta_s=args.delta, multi_delta=args.multi_delta)


RESULTS_MARK = {"written_by": "foley eval"}  # what a --json file of results says of itself


def _check_json_path(path: str | None) -> None:
    """Refuse, before any work, a --json that names a folder, a place that cannot be written,
    or a file other than an earlier results file (a reference's sidecar of onsets, say)."""
    if not path:
        return
    from ..media.files import trial_write

    target = Path(path)
    if target.is_dir():
        raise FoleyError(f"{path}: a folder; --json names the file to write")
    if target.exists():
        try:
            ours = RESULTS_MARK.items() <= json.loads(target.read_text(encoding="utf-8")).items()
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise FoleyError(f"{path}: exists and holds no results of foley eval; --json replaces only those "
                             "(choose another name)")
    folder = next((p for p in target.parents if p.exists()), Path("."))  # the deepest existing one
    try:
        trial_write(folder)
    except OSError as e:
        raise FoleyError(f"{path}: cannot be written ({e.strerror or e})") from None


def _check_outside_ref(option: str, path: str | None, ref: str) -> None:
    """Refuse, before any work, an output (``option`` ``path``: a --json file, a report's folder) that is or
    lies inside the reference folder ``ref``: results are written beside the reference files they score,
    never among them (a report there would be shipped with it; the predictions' folder is listed for its
    audio alone, so a report there does no harm)."""
    folder = Path(ref).resolve()
    if path and (Path(path).resolve() == folder or folder in Path(path).resolve().parents):
        raise FoleyError(f"{option} {path}: inside --ref {ref}, a folder being scored; write the results beside it "
                         "(another path)")


def _write_json(path: str | None, data: dict) -> None:
    if path:
        from ..evaluation.scoring import results_json
        from ..media.files import atomic_write_text

        atomic_write_text(path, results_json({**RESULTS_MARK, **data}))


def _panns(spec: str) -> str:
    """The classifier of MKL: PANNs Cnn14 weights, ``panns:PATH``."""
    if not spec.startswith("panns:") or not spec[len("panns:"):]:
        raise FoleyError(f"MKL needs a PANNs classifier: panns:PATH to Cnn14_16k_mAP=0.438.pth, not {spec!r}")
    return spec


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..evaluation.scoring import evaluate_fad, evaluate_onsets, pair_files

    _check_json_path(args.json)
    _check_outside_ref("--json", args.json, args.ref)
    if args.metric == "report":
        _check_outside_ref("--out", args.out, args.ref)
    if args.metric == "onset":
        cfg = _onset_config(args)
        result = evaluate_onsets(pair_files(args.pred, args.ref), cfg, gt=args.gt, workers=args.workers)
        s = result["summary"]
        # the tolerances averaged over (the reference mode's np.arange steps one past --delta 0.1, say)
        delta = f"deltas {', '.join(f'{d:g}' for d in cfg.deltas_s)} s" if args.multi_delta else f"delta {args.delta:g} s"
        print(f"onset ({result['mode']} mode, ground truth {result['ground_truth']}, {delta}, "
              f"{counted(s['n_clips'], 'clip')}): onset-count acc {s['onset_count_acc']:.4f}, "
              f"detection acc {s['onset_detection_acc']:.4f}, AP {s['onset_ap']:.4f}"
              + (f" ({counted(s['onset_ap_undefined_clips'], 'clip')} without reference onsets left out of detection "
                 "acc and AP)"
                 if s["onset_ap_undefined_clips"] else ""))
        if (bare := result["unannotated"]) and args.gt == "auto":
            print(f"foley: warning: {len(bare)} of {s['n_clips']} references have no annotated onsets (e.g. "
                  f"{bare[0]}.json), so onsets were detected on every reference", file=sys.stderr)
        if odd := result["length_mismatches"]:
            print(f"foley: warning: {len(odd)} of {s['n_clips']} generated clips differ in length from their reference "
                  f"(e.g. {odd[0]['stem']}: {odd[0]['pred_s']:g} s against {odd[0]['ref_s']:g} s; each is scored over "
                  "its reference's length); are these the right folders?", file=sys.stderr)
    elif args.metric == "fad":
        from ..evaluation.embedders import get_embedder

        result = evaluate_fad(args.pred, args.ref, get_embedder(args.embedder), pca_dims=args.pca)
        print(f"FAD ({result['embedder']}, {counted(result['n_clips'], 'clip')}): {result['fad']:.4f}")
    elif args.metric == "mkl":
        from ..evaluation.embedders import get_embedder
        from ..evaluation.mkl import evaluate_mkl

        result = evaluate_mkl(args.pred, args.ref, get_embedder(_panns(args.classifier)))
        print(f"MKL ({result['classifier']}, {counted(result['n_clips'], 'clip')}): {result['mkl']:.4f}")
    else:
        from ..evaluation.embedders import get_embedder
        from ..evaluation.report import write_report

        result = write_report(args.pred, args.ref, args.out, _onset_config(args, "robust"), gt=args.gt,
                              embedder=get_embedder(args.embedder), max_plots=args.max_plots, workers=args.workers,
                              mkl_classifier=get_embedder(_panns(args.mkl)) if args.mkl else None, fad_pca=args.pca)
        s = result["robust"]["summary"]
        print(f"report written to {args.out}/index.html ({counted(result['n_clips'], 'clip')}; robust AP {s['onset_ap']:.4f})")
        for name in ("fad", "mkl"):  # a figure the report could not compute is said here too, not only in it
            if (part := result.get(name)) and "error" in part:
                print(f"foley: warning: no {name.upper()} in the report: {part['error']}", file=sys.stderr)
    _write_json(args.json, result)
    return 0


def _cmd_eval_clap(args: argparse.Namespace) -> int:
    from ..device import resolve_device
    from ..evaluation.clap import ClapScorer, captioned_files, clap_scores, read_captions

    _check_json_path(args.json)
    captions = read_captions(args.captions)
    captioned_files(args.audio, captions)  # the files and their captions, before the model loads (or downloads)
    result = clap_scores(ClapScorer(args.model, str(resolve_device(args.device))), args.audio, captions)
    print(f"CLAP score ({result['model']}, {counted(result['n_clips'], 'clip')}): {result['clap_score']:.4f}")
    _write_json(args.json, result)
    return 0
