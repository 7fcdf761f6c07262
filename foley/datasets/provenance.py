"""Licence and attribution of each recording, read from what the packages ship.

- Debian ``copyright`` files and Red Eclipse's per-folder ``readme.txt`` are machine-readable
  (DEP-5, https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/): stanzas of
  ``Files`` / ``Copyright`` / ``License`` fields; the last stanza that matches a file wins.
  Upstream paths differ from installed ones, so a stanza matches by its patterns'
  trailing components (``etc/samples/bd_808.flac`` matches ``.../samples/bd_808.flac``).
- Widelands documents each sound in ``wl-sound-docu.csv`` (file, location, author, licence);
  sounds whose author is UNKNOWN are of unknown origin.
- 0 A.D.'s ``audio/LICENSE.txt`` (and its Debian ``Files: *`` stanza) covers all its audio.
"""
from __future__ import annotations

import csv
import email.parser
import fnmatch
import io
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Provenance:
    licence: str
    attribution: str


@dataclass(frozen=True)
class _Stanza:
    patterns: tuple[str, ...]
    copyright: str
    licence: str
    source: str


_CC_URL = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)")


def prose_provenance(text: str) -> Provenance | None:
    """A plain licence text: the Creative Commons URL names the licence, the first line the
    work and its author (``This work "vapour", created by ...``). None without such a URL."""
    url = _CC_URL.search(text)
    if not url:
        return None
    return Provenance(f"CC-{url.group(1).upper()}-{url.group(2)}", text.strip().splitlines()[0].strip())


def parse_dep5(text: str) -> list[_Stanza]:
    """The ``Files`` stanzas of a DEP-5 document, in order. A stanza without a ``License``
    field whose text (up to the next stanza) is a plain licence text, as some of Red
    Eclipse's are, is read as one."""
    groups: list[tuple[dict, str]] = []  # (fields, the stanza's text with the paragraphs after it)
    for block in text.replace("\r\n", "\n").split("\n\n"):
        message = email.parser.Parser().parsestr(block.strip() + "\n")
        fields = dict(message.items())
        if "Files" in fields:
            groups.append((fields, message.get_payload()))
        elif groups and not groups[-1][0].get("License"):
            groups[-1] = (groups[-1][0], groups[-1][1] + "\n" + block)
    stanzas = []
    for fields, prose in groups:
        licence = fields.get("License", "").splitlines()[0].strip() if fields.get("License") else ""
        copyright = " ".join(fields.get("Copyright", "").split())
        found = prose_provenance(prose) if not licence else None
        if found:
            licence, copyright = found.licence, found.attribution
        stanzas.append(_Stanza(patterns=tuple(fields["Files"].split()), copyright=copyright, licence=licence,
                               source=" ".join(fields.get("Source", "").split())))
    return stanzas


def _matches(pattern: str, path: str) -> bool:
    pat, parts = pattern.split("/"), path.split("/")
    if len(pat) <= len(parts) and fnmatch.fnmatchcase("/".join(parts[-len(pat):]), pattern):
        return True
    return not any(c in pat[-1] for c in "*?[") and pat[-1] == parts[-1]  # same file, other folder


def dep5_provenance(stanzas: list[_Stanza], path: str) -> Provenance | None:
    """The last stanza matching ``path`` (installed or upstream form), or None."""
    found = None
    for stanza in stanzas:
        if any(_matches(p, path) for p in stanza.patterns):
            found = stanza
    if found is None:
        return None
    attribution = found.copyright + (f" ({found.source})" if found.source else "")
    return Provenance(found.licence, attribution)


def widelands_docs(text: str) -> dict[str, Provenance | None]:
    """``location/file`` (below ``sound/``) -> provenance, None for sounds of unknown origin."""
    rows = list(csv.reader(io.StringIO(text)))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "File Name")
    columns = rows[header]
    out: dict[str, Provenance | None] = {}
    for row in rows[header + 1:]:
        if len(row) < len(columns) or not row[0].strip():
            continue
        entry = dict(zip(columns, row))
        location = entry["Location"].strip().split("sound", 1)[-1].strip("/")  # "sound/metal", "data/sound/farm"
        key = f"{location}/{entry['File Name'].strip()}".strip("/")
        author, licence = entry["Author"].strip(), entry["License"].strip()
        known = author and author.upper() != "UNKNOWN" and licence
        source = entry.get("Source", "").strip()
        out[key] = Provenance(licence, author + (f" ({source})" if source.startswith("http") else "")) if known else None
    return out
