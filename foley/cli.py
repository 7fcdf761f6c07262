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

    probe = sub.add_parser("probe", help="print duration, frame rate, size and audio presence of videos")
    probe.add_argument("inputs", nargs="+", metavar="VIDEO")
    probe.add_argument("--json", action="store_true", help="one JSON object per line")
    probe.set_defaults(func=_cmd_probe)
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
