"""foley prepare: the SynthSync, AVSync15 and sound-effects datasets."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import counted


def _cmd_prepare_synth(args: argparse.Namespace) -> int:
    from ..datasets.synthsync import SynthConfig, generate

    info = generate(args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed,
                    cfg=SynthConfig(duration_s=args.duration), workers=args.workers,
                    overwrite=args.overwrite, progress=not args.quiet, sounds=args.sounds)
    counts = info["counts"]
    kind = "recorded" if args.sounds else "synthesized"
    print(f"SynthSync written to {args.out}: {counted(counts['train'], 'train clip')} + "
          f"{counted(counts['test'], 'test clip')}, "
          f"{len(info['classes'])} classes with {kind} sounds ({', '.join(info['classes'])})")
    return 0


def _cmd_prepare_avsync15(args: argparse.Namespace) -> int:
    from ..datasets.avsync15 import ClipConfig, prepare_avsync15

    result = prepare_avsync15(args.root, args.out, ClipConfig(args.clip_s, args.clips_per_video),
                              workers=args.workers, progress=not args.quiet)
    reused = f" ({result['reused']} cut by an earlier run)" if result["reused"] else ""
    for line in result["problems"][:10]:
        print(f"foley: warning: {line}", file=sys.stderr)
    if result["problems"]:
        print(f"foley: warning: {counted(len(result['problems']), 'problem')} in total, listed in {args.out}/problems.txt",
              file=sys.stderr)
    if not (result["train"] and result["clips"]):  # nothing to train on, or to score with: not said prepared
        print(f"foley: error: {'no train video' if not result['train'] else 'no evaluation clip'} could be used; "
              f"{args.out} is not finished (fix the problems and run again)", file=sys.stderr)
        return 1
    print(f"AVSync15 prepared in {args.out}: {counted(result['train'], 'train video')} and "
          f"{counted(result['test'], 'test video')}, {counted(result['clips'], 'evaluation clip')}{reused}")
    return 0


def _cmd_prepare_sfx(args: argparse.Namespace) -> int:
    from ..datasets.sfx import SfxConfig, check_output, identify, prepare_sfx, resolve_sources

    packages = list(_sfx_packages()) if args.packages is None else [p.strip() for p in args.packages.split(",")]
    if not all(packages):
        raise FoleyError(f"--packages {args.packages!r}: an empty package name; choose from {', '.join(_sfx_packages())}")
    unknown = sorted(set(packages) - set(_sfx_packages()))
    if unknown:
        raise FoleyError(f"unknown package(s) {', '.join(unknown)}; choose from {', '.join(_sfx_packages())}")
    for source in args.sources:
        outside = sorted(set(identify(source)) - set(packages))
        if outside and not Path(source).is_dir():
            raise FoleyError(f"{source}: holds {', '.join(outside)}, which --packages leaves out")
    check_output(Path(args.out), args.overwrite)  # before any download
    download_dir = Path(args.download_dir) if args.download_dir else Path(args.out).parent / "debs"
    if download_dir.resolve().is_relative_to(Path(args.out).resolve()):  # the corpus replaces the folder whole
        raise FoleyError(f"--download-dir {download_dir} is inside --out {args.out}; choose a folder outside it")
    sources = resolve_sources(args.sources, packages, download_dir)
    info = prepare_sfx(args.out, sources, SfxConfig(), overwrite=args.overwrite, progress=not args.quiet)
    print(f"sound-effects corpus written to {args.out}:")
    print(f"  {'split':7s} {'package':24s} {'clips':>5s} {'minutes':>7s} {'labels':>6s} {'recordings':>10s}")
    for row in info["table"]:
        print(f"  {row['split']:7s} {row['package']:24s} {row['clips']:5d} {row['minutes']:7.1f} {row['labels']:6d} "
              f"{row['recordings']:10d}")
    print(f"  {counted(info['problems'], 'file')} unreadable, silent or too short in problems.txt; "
          f"{info['dropped']} left out "
          f"(by the taxonomy, of unknown origin, or the same audio or clip id as a kept file) in dropped.txt")
    return 0


def _sfx_packages() -> tuple[str, ...]:
    from ..datasets.sfx import PACKAGES

    return PACKAGES
