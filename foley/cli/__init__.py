"""The `foley` command line.

``main`` runs it; the parser is in ``parser``, each command in the module of its role (``prepare``,
``probe``, ``evaluate``, ``caches``, ``imports``, ``train``, ``compose``, ``sounds``, ``dub``, ``ui``),
the shared argument types and error handling in ``args`` and the notes it prints in ``notes``.
Importable from here too: the argument helpers other programs' command lines use (training
loops, eval/ and benchmarks/ scripts)."""
from __future__ import annotations

import sys

from .args import OneLineErrors, add_threads, device_arg, number_arg, one_line_errors, reported, show_defaults
from .parser import build_parser

__all__ = ["OneLineErrors", "add_threads", "build_parser", "device_arg", "main", "number_arg", "one_line_errors",
           "show_defaults"]


def main(argv: list[str] | None = None) -> int:
    for arg in sys.argv[1:] if argv is None else argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the terminal's encoding could not read ("\udcff")
            print(f"foley: error: {arg.encode('utf-8', 'backslashreplace').decode()!r} is not UTF-8 text",
                  file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    return reported("foley", lambda: _run(args))


def _run(args) -> int:
    if getattr(args, "threads", None) is not None:
        import torch
        torch.set_num_threads(args.threads)
    return args.func(args)
