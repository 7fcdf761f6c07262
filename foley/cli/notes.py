"""What the commands say on the terminal besides their results: notes on stderr, lines wrapped to
the terminal's width, counts of things."""
from __future__ import annotations

import re
import shutil
import sys
import textwrap


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` in the plural unless n is 1: "1 video", "3 videos"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _note(text: str) -> None:
    """``note: TEXT`` on stderr, wrapped to a terminal's width as the summary is."""
    print("\n".join(_fit_terminal([f"note: {text}"], sys.stderr)), file=sys.stderr)


# a command a note suggests, "foley compose 'X at 1 s' --video PATH": kept on one line, to be pasted
_COMMAND = re.compile(r"foley [a-z-]+ (?:'[^']*'|\S+)(?: --?[a-z-]+(?: (?!-)(?:'[^']*'|[^\s;]+))?)*")


def _fit_terminal(lines: list[str], stream=None) -> list[str]:
    """The lines wrapped to the terminal's width, each continuation indented under its text and a
    command they suggest kept whole; as they are when ``stream`` (stdout) is no terminal (a pipe or
    a file keeps a note on one line for grep)."""
    if not (stream or sys.stdout).isatty():
        return lines
    width = max(shutil.get_terminal_size().columns - 1, 40)
    wrapped = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        whole = _COMMAND.sub(lambda m: m[0].replace(" ", "\0"), line)  # its spaces break no line
        wrapped += [part.replace("\0", " ") for part in textwrap.wrap(
            whole, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [line]]
    return wrapped
