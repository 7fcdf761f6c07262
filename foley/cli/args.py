"""The shared argument types of the command line, and how its errors are said: one line on
stderr and an exit status."""
from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import threading
from pathlib import Path

from ..errors import FoleyError


def number_arg(low: float, high: float = math.inf, integer: bool = False, above: bool = False):
    """An argparse type: a finite number in [low, high] (``above``: in (low, high])."""
    def parse(text: str):
        try:
            value = int(text) if integer else float(text) + 0.0  # + 0.0: -0 reads as 0
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if integer else 'a number'}: {text!r}") from None
        if not (math.isfinite(value) and (low < value if above else low <= value) and value <= high):
            said = (lambda x: str(int(x))) if integer else (lambda x: f"{x:g}")
            bound = (f"between {said(low)} and {said(high)}" if math.isfinite(high)
                     else f"{'>' if above else '>='} {said(low)}")
            finite = "" if math.isfinite(value) else "a finite number "
            raise argparse.ArgumentTypeError(f"must be {finite}{bound}, got {text}")
        return value
    return parse


def path_arg(text: str) -> str:
    """An argparse type: a non-empty path (an empty one would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a file or folder (e.g. . for this one)")
    return text


def model_arg(text: str) -> str:
    """An argparse type: a model's name or folder, not empty (an empty one would be the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty model name; give a shipped model's name (demo, sfx) or a model folder")
    return text


DEVICE_SPEC = re.compile(r"auto|(?:cpu|cuda|mps)(?::\d+)?")


def device_arg(text: str) -> str:
    """An argparse type: a device foley runs on, as spelled for ``foley.device.resolve_device``
    (whether it is there is checked when a model loads)."""
    if not DEVICE_SPEC.fullmatch(text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use auto, cpu, cuda, cuda:N or mps")
    return text


def add_threads(p: argparse.ArgumentParser, default: int | None = None) -> None:
    """``--threads``: how many CPU threads torch computes with (``main`` sets it before the command runs; an
    eval or benchmark script, before its work), at most one per core (a mistyped 10000 would start that many
    threads and hold the machine). ``default``: the script's count; None: torch's."""
    said = "torch's, one per core" if default is None else default
    p.add_argument("--threads", type=number_arg(1, os.cpu_count() or 1, integer=True), default=default,
                   help=f"CPU threads of the computation, at most one per core (default: {said}; fewer "
                        "when other work shares the cores: two threads on a busy two-core machine can be many times "
                        "slower than one)")


def add_workers(p: argparse.ArgumentParser) -> None:
    """``--workers``: how many processes a batch job (clips made, cut or scored) runs in, at most one per
    core: each computes all the time, so more only share the cores (a mistyped 1000 would start that
    many processes, however few the clips)."""
    p.add_argument("--workers", type=number_arg(1, os.cpu_count() or 1, integer=True), default=None,
                   help="processes, at most one per core (default: all cores)")


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a batch scheduler), raised where the program is, so that it
    unwinds as on Ctrl-C: temporary files and empty new folders removed, finished outputs kept."""


_TERMINATING = threading.Event()  # a SIGTERM has been raised: the program is unwinding


def _terminate(signum, frame):
    # One SIGTERM stops the program; more while it unwinds are dropped (`timeout` signals the process and then
    # its whole group, so a process gets two at once): raised again inside the unwinding, between a lock taken
    # and let go, one left the lock held and the program waiting on it forever (a worker pool's shutdown).
    if not _TERMINATING.is_set():
        _TERMINATING.set()
        raise Terminated


def _interrupt_in(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that ``error`` came from, if any: one that arrives during an import
    can come back wrapped (Python 3.11 turns an exception in a class's ``__set_name__`` into a
    RuntimeError, and diffusers' lazy modules wrap that in another)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _interrupt_again(hook):
    """``sys.unraisablehook`` that sends again the signal of a Ctrl-C or SIGTERM raised while a
    finalizer ran (a ``__del__`` the garbage collector called), which Python would only print.
    It is sent from another thread a moment later, once the finalizer has returned, so that its
    handler raises it in the program's own code. Anything else goes to ``hook``."""
    def handle(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            signum = signal.SIGTERM if isinstance(unraisable.exc_value, Terminated) else signal.SIGINT
            _TERMINATING.clear()  # lost in the finalizer: the signal sent again is raised
            threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()
        else:
            hook(unraisable)
    return handle


class _ReaderGone:
    """``sys.stdout`` for a command's run: once its reader has gone (``| head``, ``| true``), what is
    printed goes nowhere, and the work goes on (a compose turn, a batch) rather than ending
    untold at the first print (Python's BrokenPipeError)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._to_nowhere()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._to_nowhere()

    def _to_nowhere(self) -> None:
        """The stream's file descriptor onto /dev/null: its buffer, and Python's flush at exit, go there."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self.stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _stopped(word: str, interrupt: KeyboardInterrupt) -> str:
    """``word`` and the notes the program added to ``interrupt`` on its way out ("interrupted after
    step 25 of 100: the checkpoint of step 20 is in ...")."""
    return " ".join([word, *getattr(interrupt, "__notes__", ())])


def reported(prog: str, call):
    """``call()``'s result; a FoleyError, or a file system refusal the code did not foresee (disk
    full, permissions, a library's missing file), becomes ``PROG: error: MESSAGE`` on stderr and
    2, running out of memory the same, an interrupt ``PROG: interrupted`` and 130, SIGTERM
    ``PROG: terminated`` and 143 (also one that an import wrapped in another error, or that a
    finalizer caught: ``_interrupt_again``; more while it stops are dropped), each with the notes
    the program added to it; output piped into e.g. ``head`` is cut there, and the work done whole
    (``_ReaderGone``)."""
    in_main_thread = threading.current_thread() is threading.main_thread()  # signal handlers are set there only
    _TERMINATING.clear()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    unraisable = sys.unraisablehook
    if in_main_thread:
        sys.unraisablehook = _interrupt_again(unraisable)
    stdout, sys.stdout = sys.stdout, _ReaderGone(sys.stdout)
    try:
        return call()
    except FoleyError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except OSError as e:  # "PATH: Permission denied", not Python's "[Errno 13] Permission denied: 'PATH'"
        where = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
        print(f"{prog}: error: {where}: {e.strerror}" if where and e.strerror else f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except MemoryError as e:  # numpy's says how much it asked for
        print(f"{prog}: error: not enough memory{f' ({e})' if str(e) else ''}", file=sys.stderr)
        return 2
    except Terminated as e:
        print(f"{prog}: {_stopped('terminated', e)}", file=sys.stderr)
        return 143
    except KeyboardInterrupt as e:
        print(f"{prog}: {_stopped('interrupted', e)}", file=sys.stderr)
        return 130
    except Exception as e:
        interrupt = _interrupt_in(e)
        if interrupt is None:
            raise
        terminated = isinstance(interrupt, Terminated)
        print(f"{prog}: {_stopped('terminated' if terminated else 'interrupted', interrupt)}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        sys.stdout.flush()  # a reader gone since is told nothing more
        sys.stdout = stdout
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            sys.unraisablehook = unraisable


def one_line_errors(main, prog: str, argv: list[str] | None = None) -> None:
    """Run ``main(argv)``, its errors reported as ``reported`` does, with their exit status."""
    status = reported(prog, lambda: main(argv))
    if status:
        raise SystemExit(status)


def run_module(module: str) -> None:
    """``python -m MODULE``, called at the top of MODULE before its own imports: MODULE imported under
    its name and its ``main(argv)`` run as ``one_line_errors`` does, the import included (torch and
    diffusers take seconds to load: a Ctrl-C then is one line and 130 too); exits with the status."""
    from importlib import import_module

    one_line_errors(lambda argv: import_module(module).main(argv), module)
    raise SystemExit(0)


def show_defaults(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add "default: X" to the --help line of every option (subcommands included) that has a
    default and whose text does not already name it; returns ``parser``."""
    for action in parser._actions:  # argparse has no public view of a parser's actions
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                show_defaults(sub)
        elif (action.option_strings and action.help != argparse.SUPPRESS
              and not any(action.default is v for v in (None, False, argparse.SUPPRESS)) and action.default != []
              and "default" not in (action.help or "")):  # identity: a default of 0 is shown, a flag's False is not
            # (nor a repeatable option's empty list)
            action.help = f"{action.help} (default: %(default)s)" if action.help else "default: %(default)s"
    return parser


class OneLineErrors(argparse.ArgumentParser):
    """argparse, with a bad argument said in one line (argparse prints the whole usage first),
    and no option taken from a prefix of its name (``--over`` is no ``--overwrite``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"allow_abbrev": False, **kwargs})

    def parse_known_args(self, args=None, namespace=None):
        self.given = list(sys.argv[1:] if args is None else args)  # for error(): what this (sub)command was given
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        # A file whose name starts with "-" is read as an option: say how to give it.
        given = getattr(self, "given", [])
        dashed = next((a for a in given if a.startswith("-") and len(a) > 1 and Path(a).exists()), None)
        hint = f"; {dashed!r} was read as an option: give it as ./{dashed} or after --" if dashed else ""
        self.exit(2, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown argument is said by the (sub)command it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            inner = chosen(self, parsed)
            # words after a text argument ("foley compose rain, then thunder"): the text unquoted
            texts = [getattr(parsed, a.dest) for a in inner._actions if not a.option_strings
                     and a.dest in ("text", "caption") and isinstance(getattr(parsed, a.dest, None), str)]
            words = not any(e.startswith("-") for e in extras)
            hint = f"; a text of several words is one argument: quote it, '{texts[0]} {' '.join(extras)}'" \
                if texts and words else ""
            inner.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return parsed


def chosen(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost subcommand's parser that ``parsed`` came through (argparse keeps subparsers
    in its private ``_actions``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(parsed, action.dest, None) in action.choices:
            return chosen(action.choices[getattr(parsed, action.dest)], parsed)
    return parser
