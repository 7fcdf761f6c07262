"""Checks on input paths that every reader shares."""
from __future__ import annotations

import os
import struct
from pathlib import Path

from ..errors import MediaError


def check_input_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path if it names a readable, non-empty regular file; MediaError saying
    why not (an empty path names no file: Path("") would be the current folder)."""
    if not str(path).strip():
        raise MediaError("no file given (the path is empty)")
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a file")
    if not path.is_file():  # a FIFO, socket or device: reading it could block or never end
        raise MediaError(f"{path}: not a regular file (a pipe, socket or device)")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")
    return path


RIFF_NO_SIZE = 0x7FFF0000  # an AVI's 32-bit RIFF size from here up that the file does not hold, or 0: "not known"
# (a writer to a pipe: FFmpeg leaves 0xFFFFFFFF)
MAX_PARTS = 100  # RIFF lists (an OpenDML AVI's AVIX, 1 GB each) or EBML elements (Matroska) looked through
EBML_HEADER, SEGMENT = 0x1A45DFA3, 0x18538067  # the IDs of a Matroska file's top-level elements


def check_not_cut_short(path: Path) -> None:
    """MediaError for an AVI or a Matroska (MKV, WebM) file whose header gives more bytes than the file
    holds: FFmpeg reads one cut short as far as it goes without a word (its frame counts and duration
    are then guesses from what is there). A size not known (a file written to a pipe, a browser's
    recording) is read to the end. Reads the headers alone."""
    try:
        with path.open("rb") as f:
            kind, end = _declared_end(f)
            size = os.fstat(f.fileno()).st_size
    except OSError:  # the reader says why
        return
    if end > size:
        raise MediaError(f"{path}: the {kind} file is cut short: its header gives {end:,} bytes, "
                         f"the file holds {size:,}")


def _declared_end(f) -> tuple[str, int]:
    """The kind of the AVI or Matroska file ``f`` and where its headers say it ends, bytes: the end
    of its last RIFF list, or its last Matroska segment (0 for another file, or where a size is not
    known). A RIFF list: its name, a 32-bit size (little-endian), padded to an even length."""
    size = os.fstat(f.fileno()).st_size
    head = f.read(12)
    at, end = 0, 0
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        for _ in range(MAX_PARTS):
            f.seek(at)
            head = f.read(8)
            if len(head) < 8 or head[:4] != b"RIFF":
                break
            length = int.from_bytes(head[4:], "little")
            if length == 0 or (length >= RIFF_NO_SIZE and at + 8 + length > size):
                break
            end = at + 8 + length
            at = end + (length & 1)
        return "AVI", end
    if head[:4] != EBML_HEADER.to_bytes(4, "big"):
        return "", 0
    kind = "Matroska"
    for _ in range(MAX_PARTS):
        f.seek(at)
        name, length, header = _ebml_element(f.read(12))
        if name == EBML_HEADER and length is not None:  # names the kind: Matroska or WebM
            f.seek(at + header)
            kind = "WebM" if b"webm" in f.read(min(length, 64)) else kind
        elif name != SEGMENT or length is None:  # past the segments, or a segment's size not known
            break
        end = at = at + header + length
    return kind, end


def _ebml_element(head: bytes) -> tuple[int | None, int | None, int]:
    """The ID, size (None: not known, all its bits 1) and header length of the EBML element whose
    first bytes are ``head`` ((None, None, 0) where they are none): an ID and a size of 1 to 8 bytes
    each, the length of each told by the leading zeros of its first byte."""
    fields, at = [], 0
    for _ in range(2):
        if at >= len(head) or head[at] == 0 or at + (n := 9 - head[at].bit_length()) > len(head):
            return None, None, 0
        fields.append((int.from_bytes(head[at:at + n], "big"), n))
        at += n
    (name, _), (size, n) = fields
    size &= (1 << 7 * n) - 1  # the size's length marker taken off
    return name, None if size == (1 << 7 * n) - 1 else size, at


BOX_LIMIT = 10_000  # top-level boxes looked through for the index
INDEX_CUT = "{}: an MP4/MOV file cut short, or still being written: its index (the moov box) is missing or incomplete"


def without_index(path: Path) -> bool:
    """Whether ``path`` is an ISO base media file (MP4, MOV: it opens with an ftyp box) whose top-level boxes hold
    no whole moov box, the index a camera or encoder writes last (ISO/IEC 14496-12 box headers: a 32-bit size,
    the type, a 64-bit size where the first is 1, to the end of the file where it is 0); FFmpeg says only that
    the data is invalid. Written by hand: no library at hand reads box headers alone."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            at = 0
            for k in range(BOX_LIMIT):
                f.seek(at)
                head = f.read(16)
                if len(head) < 8 or (k == 0 and head[4:8] != b"ftyp"):
                    return k > 0
                length = struct.unpack(">I", head[:4])[0]
                length = struct.unpack(">Q", head[8:16])[0] if length == 1 and len(head) == 16 else length
                if head[4:8] == b"moov":
                    return length != 0 and at + length > size
                if length < 8 or at + length >= size:  # the last box, or one cut short (0: to the end)
                    return True
                at += length
    except OSError:
        return False
    return False
