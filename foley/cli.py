"""The `foley` command line."""
from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import FoleyError


def _cmd_prepare_synth(args: argparse.Namespace) -> int:
    from .synthsync import SynthConfig, generate

    info = generate(args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed,
                    cfg=SynthConfig(duration_s=args.duration), workers=args.workers,
                    overwrite=args.overwrite, progress=not args.quiet)
    counts = info["counts"]
    print(f"SynthSync written to {args.out}: {counts['train']} train + {counts['test']} test clips, "
          f"{len(info['classes'])} classes ({', '.join(info['classes'])})")
    return 0


def _cmd_prepare_avsync15(args: argparse.Namespace) -> int:
    from .avsync15 import ClipConfig, prepare_avsync15

    result = prepare_avsync15(args.root, args.out, ClipConfig(args.clip_s, args.clips_per_video),
                              workers=args.workers, progress=not args.quiet)
    print(f"AVSync15 prepared in {args.out}: {result['train']} train and {result['test']} test videos, "
          f"{result['clips']} evaluation clips")
    for line in result["problems"][:10]:
        print(f"foley: warning: {line}", file=sys.stderr)
    if result["problems"]:
        print(f"foley: warning: {len(result['problems'])} problem(s) in total, listed in {args.out}/problems.txt",
              file=sys.stderr)
    return 0 if result["train"] + result["test"] else 1


def _cmd_probe(args: argparse.Namespace) -> int:
    from .video import probe_video

    failed = 0
    for path in args.inputs:
        try:
            info = probe_video(path).to_dict()
        except FoleyError as e:
            print(f"foley: error: {e}", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(info) if args.json else
              f"{info['path']}: {info['duration_s']:.3f} s, {info['frame_count']} frames at "
              f"{info['fps']:.3f} fps{' (variable)' if info['variable_frame_rate'] else ''}, "
              f"{info['width']}x{info['height']} {info['codec']}, "
              f"{'with' if info['has_audio'] else 'no'} audio")
    return 1 if failed else 0


def _onset_config(args: argparse.Namespace, mode: str | None = None):
    from .onset_metrics import OnsetConfig

    try:
        return OnsetConfig(mode=mode or args.mode, delta_s=args.delta, multi_delta=args.multi_delta)
    except ValueError as e:
        raise FoleyError(str(e)) from None


def _write_json(path: str | None, data: dict) -> None:
    if path:
        from .fileio import atomic_write_text

        atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def _cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_fad, evaluate_onsets, pair_files

    if args.metric == "onset":
        result = evaluate_onsets(pair_files(args.pred, args.ref), _onset_config(args), gt=args.gt, workers=args.workers)
        s = result["summary"]
        print(f"onset ({result['mode']} mode, ground truth {result['ground_truth']}, delta {args.delta} s, "
              f"{s['n_clips']} clips): onset-count acc {s['onset_count_acc']:.4f}, "
              f"detection acc {s['onset_detection_acc']:.4f}, AP {s['onset_ap']:.4f}")
    elif args.metric == "fad":
        from .audio_embedders import get_embedder

        result = evaluate_fad(args.pred, args.ref, get_embedder(args.embedder))
        print(f"FAD ({result['embedder']}, {result['n_clips']} clips): {result['fad']:.4f}")
    else:
        from .audio_embedders import get_embedder
        from .report import write_report

        result = write_report(args.pred, args.ref, args.out, _onset_config(args, "robust"), gt=args.gt,
                              embedder=get_embedder(args.embedder), max_plots=args.max_plots, workers=args.workers)
        s = result["robust"]["summary"]
        print(f"report written to {args.out}/index.html ({result['n_clips']} clips; robust AP {s['onset_ap']:.4f})")
    _write_json(args.json, result)
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="foley", description="Video-to-audio Foley generation.")
    parser.add_argument("--version", action="version", version=f"foley {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    prepare = sub.add_parser("prepare", help="prepare datasets")
    prep_sub = prepare.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    synth = prep_sub.add_parser("synth", help="generate the SynthSync benchmark (videos, audio, exact onsets)")
    synth.add_argument("--out", required=True, help="output folder")
    synth.add_argument("--n-train", type=_positive_int, default=2000)
    synth.add_argument("--n-test", type=_positive_int, default=200)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--duration", type=float, default=4.0, help="clip duration in seconds")
    synth.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    synth.add_argument("--overwrite", action="store_true", help="replace an existing SynthSync folder")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=_cmd_prepare_synth)

    avs = prep_sub.add_parser("avsync15", help="validate an AVSync15 download, write manifests, cut 2 s evaluation clips")
    avs.add_argument("root", help="the AVSync15 folder (videos/, train.txt, test.txt, class_mapping.json)")
    avs.add_argument("--out", required=True, help="output folder")
    avs.add_argument("--clip-s", type=float, default=2.0, help="evaluation clip length in seconds")
    avs.add_argument("--clips-per-video", type=int, default=3)
    avs.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    avs.add_argument("--quiet", action="store_true", help="no progress bar")
    avs.set_defaults(func=_cmd_prepare_avsync15)

    probe = sub.add_parser("probe", help="print duration, frame rate, size and audio presence of videos")
    probe.add_argument("inputs", nargs="+", metavar="VIDEO")
    probe.add_argument("--json", action="store_true", help="one JSON object per line")
    probe.set_defaults(func=_cmd_probe)
    ev = sub.add_parser("eval", help="score generated audio against references (onsets, FAD, HTML report)")
    ev_sub = ev.add_subparsers(dest="metric", required=True, metavar="METRIC")
    for name, help_text in (("onset", "onset-count accuracy, detection accuracy and AP"),
                            ("fad", "Frechet Audio Distance"),
                            ("report", "a folder with JSON, Markdown and an HTML page with plots")):
        p = ev_sub.add_parser(name, help=help_text)
        p.add_argument("--pred", required=True, help="folder of generated files (wav or video, any rate)")
        p.add_argument("--ref", required=True, help="folder of reference files with the same names")
        p.add_argument("--json", help="also write the results to this JSON file")
        if name != "fad":
            if name == "onset":
                p.add_argument("--mode", choices=("robust", "reference"), default="robust")
            p.add_argument("--gt", choices=("auto", "annotated", "detected"), default="auto",
                           help="ground-truth onsets: sidecar annotations or detected on the reference (auto: "
                                "annotations when every reference has them, in robust mode)")
            p.add_argument("--delta", type=float, default=0.1, help="matching tolerance in seconds")
            p.add_argument("--multi-delta", action="store_true", help="average over 0.1, 0.15, ... up to --delta")
            p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
        if name != "onset":
            p.add_argument("--embedder", default="logmel", help="logmel | vggish:PATH | panns:PATH")
        if name == "report":
            p.add_argument("--out", required=True, help="report folder")
            p.add_argument("--max-plots", type=int, default=12, help="clips plotted (lowest AP first)")
        p.set_defaults(func=_cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FoleyError as e:
        print(f"foley: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("foley: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
