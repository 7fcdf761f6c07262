"""Reading Debian packages in Python: a ``.deb`` is an ``ar`` archive (format: deb(5)) that
holds ``control.tar.*`` (the package's name and version) and ``data.tar.*`` (its files).

Only the members a caller asks for are read; the data tar is streamed once, so a 1.4 GB
package needs no unpacking to disk. An extracted package folder (``dpkg-deb -x``, or the
installed files under ``/``) can stand in for the ``.deb``.
"""
from __future__ import annotations

import email.parser
import io
import lzma
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from ..errors import FoleyError

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60  # bytes: name 16, mtime 12, uid 6, gid 6, mode 8, size 10, magic 2
DAMAGED = (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error)  # a truncated or corrupt member's tar


def damaged(path: Path, member: str, e: Exception) -> FoleyError:
    """One line for a member tar that cannot be read (tarfile lists every method it tried)."""
    why = (str(e).splitlines() or [type(e).__name__])[0].rstrip(":")
    return FoleyError(f"{path}: a damaged or truncated Debian package ({member}: {why})")


@dataclass(frozen=True)
class PackageSource:
    """Where a package's files come from: a ``.deb`` file or an extracted folder."""

    path: Path
    name: str
    version: str

    @property
    def is_deb(self) -> bool:
        return self.path.is_file()


def _ar_members(f) -> Iterator[tuple[str, int, int]]:
    """(name, offset, size) of each member of an open ``ar`` archive."""
    if f.read(len(AR_MAGIC)) != AR_MAGIC:
        raise FoleyError(f"{getattr(f, 'name', 'archive')}: not a Debian package (no ar header)")
    while True:
        header = f.read(AR_HEADER)
        if len(header) < AR_HEADER:
            return
        try:
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        except ValueError:
            raise FoleyError(f"{getattr(f, 'name', 'archive')}: damaged ar member header") from None
        yield name, f.tell(), size
        f.seek(size + (size & 1), os.SEEK_CUR)  # members are 2-byte aligned


def _open_member(path: Path, prefix: str) -> tuple[object, int]:
    """An open file positioned at the ``prefix*`` member of the .deb, and its size."""
    f = open(path, "rb")
    try:
        for name, offset, size in _ar_members(f):
            if name.startswith(prefix):
                f.seek(offset)
                return f, size
    except BaseException:
        f.close()
        raise
    f.close()
    raise FoleyError(f"{path}: not a Debian package (no {prefix}* member)")


def read_control(path: Path) -> dict[str, str]:
    """The ``control`` fields (Package, Version, ...) of a .deb."""
    f, size = _open_member(path, "control.tar")
    with f:
        data = io.BytesIO(f.read(size))
    try:
        with tarfile.open(fileobj=data, mode="r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.lstrip("./") == "control":
                    text = tar.extractfile(member).read().decode("utf-8", "replace")
                    return dict(email.parser.Parser().parsestr(text).items())
    except DAMAGED as e:
        raise damaged(path, "control.tar", e) from None
    raise FoleyError(f"{path}: no control file")


def open_source(path: str | os.PathLike, name: str) -> PackageSource:
    """A .deb (its version read from its control file) or an extracted package folder."""
    path = Path(path)
    if path.is_file():
        control = read_control(path)
        if control.get("Package") != name:
            raise FoleyError(f"{path}: holds package {control.get('Package')!r}, expected {name!r}")
        return PackageSource(path, name, control.get("Version", "unknown"))
    if path.is_dir():
        return PackageSource(path, name, _installed_version(path, name))
    raise FoleyError(f"{path}: no such .deb file or folder")


def _installed_version(folder: Path, name: str) -> str:
    """The version dpkg recorded for an installed package, when ``folder`` is the root."""
    status = folder / "var/lib/dpkg/status"
    if status.is_file():
        for block in status.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            fields = dict(email.parser.Parser().parsestr(block).items())
            if fields.get("Package") == name:
                return fields.get("Version", "unknown")
    return "unknown"


def iter_files(source: PackageSource, wanted: Callable[[str], bool], under: tuple[str, ...] = ("",)
               ) -> Iterator[tuple[str, Callable[[], BinaryIO]]]:
    """(path, open) for each regular file below one of the ``under`` paths whose package path
    (e.g. ``usr/share/games/0ad/mods/public/public.zip``) ``wanted`` accepts, in archive
    order. ``open()`` gives a binary file; read it before the iteration moves on. In a
    folder only ``under`` is walked (the folder may be ``/``)."""
    if not source.is_deb:
        found = set()
        for prefix in under:
            base = source.path / prefix
            found.update([base] if base.is_file() else (p for p in base.rglob("*") if p.is_file()))
        for file in sorted(found):
            rel = file.relative_to(source.path).as_posix()
            if wanted(rel):
                yield rel, lambda file=file: open(file, "rb")
        return
    f, size = _open_member(source.path, "data.tar")
    try:
        with f, tarfile.open(fileobj=_Window(f, size), mode="r|*") as tar:
            for member in tar:
                rel = member.name.removeprefix("./")
                if member.isfile() and rel.startswith(under) and wanted(rel):
                    yield rel, lambda m=member: tar.extractfile(m)
    except DAMAGED as e:  # a member's data read by the caller fails there: it catches DAMAGED too
        raise damaged(source.path, "data.tar", e) from None


class _Window(io.RawIOBase):
    """A read-only view of ``size`` bytes of ``f`` from its current position."""

    def __init__(self, f, size: int) -> None:
        self.f, self.left = f, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.f.readinto(memoryview(buffer)[: min(len(buffer), self.left)])
        self.left -= n
        return n


def apt_download(name: str, folder: Path) -> Path:
    """``apt-get download NAME`` into ``folder``; the .deb's path."""
    if shutil.which("apt-get") is None:
        raise FoleyError(f"{name}: no .deb given and apt-get is not available here; "
                         f"download {name}_*.deb and pass it as a SOURCE")
    folder.mkdir(parents=True, exist_ok=True)
    # the file apt writes, by name (the folder may hold other versions of the package); asked in an empty
    # folder, as apt says nothing of a file already there
    with tempfile.TemporaryDirectory(prefix="foley-apt-") as empty:
        planned = subprocess.run(["apt-get", "download", "--print-uris", name], cwd=empty, capture_output=True, text=True)
    fields = planned.stdout.split()
    done = subprocess.run(["apt-get", "download", name], cwd=folder, capture_output=True, text=True) \
        if planned.returncode == 0 and len(fields) >= 2 else planned
    if done.returncode != 0 or len(fields) < 2 or not (folder / fields[1]).is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FoleyError(f"{name}: apt-get download failed ({last})")
    return folder / fields[1]
