"""Atomic file writing: a final path only ever holds a complete file."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import FoleyError


def _through_link(final: str | os.PathLike) -> Path:
    """``final``, or the file it links to: a file replaced through a symbolic link stays linked
    (as editors write), the link is not replaced by a file. A broken link is replaced."""
    final = Path(final)
    return Path(os.path.realpath(final)) if final.is_symlink() and final.is_file() else final


def _pid_namespace() -> str:
    """This process's process-ID namespace where the system says (a container's process ids are its own), else ''."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


# Temporary files and folders are named ".<name>.<HOST>-<pid>.<random><suffix>": HOST (a hash of the host's name and
# process-ID namespace) and the process id say which process made one, so that those left by a process killed while
# writing (kill -9, a power cut) are known for a dead writer's and removed by the next run that writes there.
_HOST = hashlib.sha256(f"{socket.gethostname()}\0{_pid_namespace()}".encode()).hexdigest()[:8]
_DEAD_WRITERS = re.compile(rf"\..*\.{_HOST}-([0-9]+)\.[a-z0-9_]{{8}}(\.part(\.[^.]*)?|\.kept)")  # 8: tempfile's random
_SWEPT: set[str] = set()  # the folders this process has cleared of dead writers' temporary files


def _writer_prefix(name: str) -> str:
    """The start of the name of a temporary file or folder this process makes for a final name ``name``."""
    return f".{name}.{_HOST}-{os.getpid()}."


def _remove_dead_writers(folder: Path) -> None:
    """Remove from ``folder`` the temporary files and folders that processes of this host which no longer run
    left there (named as ``_writer_prefix`` names them), the first time this process writes there (once:
    a folder of many files is not looked through at every write). Only on POSIX systems, where a process id
    can be asked after without signalling it; one that cannot be removed stays (it harms nothing)."""
    key = os.path.abspath(folder)
    if os.name != "posix" or key in _SWEPT:
        return
    _SWEPT.add(key)
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if (m := _DEAD_WRITERS.fullmatch(entry.name)) and not _runs(int(m[1])):
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)


def _runs(pid: int) -> bool:
    """Whether a process ``pid`` runs here (another user's included; a pid that cannot be asked after does)."""
    try:
        os.kill(pid, 0)  # signal 0: asks, sends nothing
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process, or a number no pid is
        return True
    return True


def _temporary_beside(final: Path, suffix: str) -> Path:
    """A new empty file next to ``final``, hidden, named after the start of its name (a final
    name near the file system's limit still gets one) and ending in ``suffix``; what dead
    writers left in its folder is removed first."""
    _remove_dead_writers(final.parent)
    fd, name = tempfile.mkstemp(prefix=_writer_prefix(final.stem[:32]), suffix=suffix, dir=final.parent)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it onto ``final`` on success.

    The temporary file keeps the final suffix so that tools which infer the format from
    the extension (ffmpeg, soundfile) behave as for the final path. On any error the
    temporary file is removed and ``final`` is left untouched. A link to a file is written
    through.
    """
    final = _through_link(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _temporary_beside(final, f".part{final.suffix}")
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_paths(finals: list[Path], fresh: set[Path] = frozenset()) -> Iterator[list[Path]]:
    """Yield a temporary path next to each of ``finals`` (as ``atomic_path`` does); on success
    put them all in place, or none: a file that cannot be put in place (a folder of its name,
    a file that may not be replaced) puts back the ones placed before it as they were, and
    raises FoleyError naming it. ``fresh``: finals that were not there when the work began; one
    there by now (another run wrote it meanwhile) is kept and nothing is placed (FoleyError).
    A link to a file is written through."""
    finals = [_through_link(f) for f in finals]
    parts: list[Path] = []
    try:
        for final in finals:
            final.parent.mkdir(parents=True, exist_ok=True)
            parts.append(_temporary_beside(final, f".part{final.suffix}"))
        yield parts
        for part in parts:
            os.chmod(part, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        if taken := [f for f in finals if f in fresh and os.path.lexists(f)]:
            raise FoleyError(f"{taken[0]}: another run wrote it while this one ran; it is kept, and this run's "
                             "files are not written (pass --overwrite to replace it)")
        _place_together(finals, parts)
    finally:
        for part in parts:
            with contextlib.suppress(OSError):  # what failed is said; a file left behind is not worse
                part.unlink(missing_ok=True)


def _place_together(finals: list[Path], parts: list[Path]) -> None:
    """Rename each of ``parts`` onto its final path; on a failure, undo the renames before it
    (each replaced file kept meanwhile as a hard link, or a copy where links are not made)."""
    for final in finals:
        if final.is_dir() and not final.is_symlink():
            raise FoleyError(f"{final}: cannot be written (a folder of that name is there); none of this run's "
                             "files are written")
    placed: list[tuple[Path, Path | None]] = []  # (final, the file it replaced, kept aside)
    try:
        for final, part in zip(finals, parts):
            kept = None
            if os.path.lexists(final):
                kept = _temporary_beside(final, ".kept")
                kept.unlink()  # a name to link to
                try:
                    os.link(final, kept, follow_symlinks=False)
                except OSError:
                    shutil.copy2(final, kept, follow_symlinks=False)
            try:
                os.replace(part, final)
            except BaseException:
                if kept is not None:
                    kept.unlink()
                raise
            placed.append((final, kept))
    except BaseException as e:  # an error, or Ctrl-C / SIGTERM between two renames
        for done, kept in reversed(placed):
            with contextlib.suppress(OSError):  # as far as it goes: the error below is said all the same
                if kept is not None:
                    os.replace(kept, done)
                else:
                    done.unlink()
        if not isinstance(e, OSError):
            raise
        raise FoleyError(f"{final}: cannot be written ({e.strerror or e}); none of this run's files are "
                         "written") from None
    for _, kept in placed:
        if kept is not None:
            kept.unlink()


def check_writable(final: str | os.PathLike) -> None:
    """Raise FoleyError unless a file can be written at ``final`` (its folder is made if
    missing, as ``atomic_path`` does): checked before long work, so that a bad output path
    fails at once in one line instead of after the work."""
    final = Path(final)
    if final.is_dir() and not final.is_symlink():
        raise FoleyError(f"{final}: cannot be written (a folder of that name is there)")
    above = next((p for p in final.parents if os.path.lexists(p)), None)  # what is there of its folder
    if above is not None and not above.is_dir():
        raise FoleyError(f"{final}: cannot write there ({above} is a file, not a folder)")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        trial_write(final.parent)
    except OSError as e:
        raise FoleyError(f"{final}: cannot write there ({e.strerror or e})") from None


def size_said(n_bytes: int) -> str:
    """A size in words: "66 kB", "1.5 MB", "12.8 TB" (SI units)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes / 1e3:.0f} kB"


def check_free_space(folder: str | os.PathLike, needed_bytes: int, what: str) -> None:
    """Raise FoleyError when the file system of ``folder`` has less free space than ``needed_bytes`` (a lower bound
    of what is to be written there, ``what``): checked before long work, so that a disk too full for its result
    fails at once; a folder whose free space cannot be read passes."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed_bytes:
        raise FoleyError(f"{folder}: not enough free space for {what}: {size_said(free)} free, at least "
                         f"{size_said(needed_bytes)} needed")


def name_max(folder: str | os.PathLike) -> int:
    """The longest file name (bytes) the file system of ``folder`` (or of its nearest existing
    parent) takes; 255 where it does not say."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or the name unknown there
        return 255


def trial_write(folder: str | os.PathLike) -> None:
    """Create and drop a temporary file in ``folder``; raises OSError if that fails (permissions
    alone miss read-only mounts and the like)."""
    with tempfile.TemporaryFile(dir=folder):
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(final: str | os.PathLike, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to ``final``; move it onto ``final`` on success.

    An existing ``final`` is replaced only once the new folder is complete. What was written
    gets the usual modes (some writers, e.g. safetensors and transformers, make files 0600).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_writers(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_writer_prefix(final.name[:32]), suffix=".part", dir=final.parent))
    try:
        yield tmp
        mask = _umask()
        for path in [tmp, *tmp.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            _remove(old)
            try:
                os.replace(final, old)
                os.replace(tmp, final)
            except BaseException:  # stopped between the two (Ctrl-C): the folder as it was, not none
                if old.exists() and not final.exists():
                    os.replace(old, final)
                raise
            _remove(old)
        else:
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove(path: Path) -> None:
    """Delete a file or a folder tree, if there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def read_json_object(path: str | os.PathLike, what: str) -> dict:
    """The JSON object in ``path``. Raises FoleyError naming the file as a ``what`` when it cannot
    be read or parsed, or holds something other than an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FoleyError(f"{path}: not a readable {what} ({e})") from None
    if not isinstance(data, dict):
        raise FoleyError(f"{path}: the {what} must hold a JSON object, got {type(data).__name__}")
    return data


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_folders(folder: str | os.PathLike) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for path in (Path(folder), *Path(folder).parents):
        if path.exists():
            break
        missing.append(path)
    return missing


@contextlib.contextmanager
def removed_if_empty(folders: list[Path]) -> Iterator[None]:
    """Remove each of ``folders`` (deepest first) that is empty when the block ends, however it
    ends: a command that created its output folder and wrote nothing leaves none behind."""
    try:
        yield
    finally:
        for folder in folders:
            try:
                folder.rmdir()
            except FileNotFoundError:  # not made (or gone): one above it may have been
                continue
            except OSError:  # not empty: kept as it is, and so are those above it
                break


def files_digest(paths) -> str:
    """16 hex digits of the SHA-256 of the files' SHA-256s, in the given order: what identifies
    a run's inputs (weights, recordings) wherever they lie."""
    digest = hashlib.sha256(" ".join(sha256_file(p) for p in paths).encode())
    return digest.hexdigest()[:16]


def refuse_to_replace(out: str | os.PathLike, overwrite: bool, holds: str | None = None, what: str = "",
                      file: bool = False) -> None:
    """Raise FoleyError if ``out`` (a file or folder a command would write) exists and
    ``overwrite`` is not given: a model, a shipped one included, is never replaced unasked. With
    ``holds`` (a file every ``what`` folder has), not even with ``overwrite`` an existing
    ``out`` that is not empty and lacks it: a folder of something else is never deleted. With
    ``file``, ``out`` is a file to write: also refused where none can be (``check_writable``)."""
    from ..errors import FoleyError

    out = Path(out)
    if file:
        check_writable(out)
    if not (out.exists() or out.is_symlink()):
        return
    if not overwrite:
        raise FoleyError(f"{out}: already exists (pass --overwrite to replace it)")
    if holds and not (out / holds).is_file() and not (out.is_dir() and not any(out.iterdir())):
        raise FoleyError(f"{out}: exists and is not a {what} folder (no {holds}); --overwrite replaces only those")


def refuse_output_holding_inputs(out: str | os.PathLike, inputs: list, what: str) -> None:
    """Raise FoleyError if the output folder ``out`` is, or holds, one of ``inputs`` (None
    entries skipped): replacing it would destroy the input. ``what`` names the output."""
    from ..errors import FoleyError

    target = Path(out).resolve()
    for source in filter(None, inputs):
        resolved = Path(source).resolve()
        if target == resolved:
            raise FoleyError(f"{out}: is the input; write the {what} to another folder")
        if target in resolved.parents:
            raise FoleyError(f"{out}: holds the input {source}; write the {what} to another folder")


def refuse_foreign_files(folder: Path, what: str, own: str, own_prefix: str | None = None) -> None:
    """Raise FoleyError when ``folder``, an output for a ``what`` that has no ``cache.json`` yet, holds a
    file or folder other than its lock, its folder ``own`` and files whose names start with ``own_prefix``:
    a cache is made in a new or empty folder, not among a user's files. Checked before the run's lock
    is made there; a folder whose ``own`` holds files is left to the cache's own check (it names them)."""
    if (folder / "cache.json").is_file() or not folder.is_dir() or (folder / own).is_dir() and any(
            (folder / own).iterdir()):
        return
    others = sorted(p.name for p in folder.iterdir() if p.name not in (".lock", own)
                    and not (own_prefix and p.name.startswith(own_prefix)))
    if others:
        raise FoleyError(f"{folder}: holds other files than a {what} (no cache.json), e.g. {others[0]}; "
                         "give --out a new or empty folder")


@contextlib.contextmanager
def held(lock_file: str | os.PathLike, busy: str, what: str) -> Iterator[None]:
    """Hold filelock's lock on ``lock_file`` (in a folder that exists) while the block runs; when
    another process holds it, FoleyError ``busy`` at once rather than a wait; one naming ``what``
    when it cannot be made."""
    from filelock import FileLock, Timeout

    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FoleyError(busy) from None
    except OSError as e:
        raise FoleyError(f"{Path(lock_file).parent}: cannot hold {what} ({e.strerror or e})") from None
    try:
        yield
    finally:
        lock.release()


def one_run_at_a_time(folder: str | os.PathLike, what: str):
    """Hold ``folder`` (which exists) for one run (``held``, on its ``.lock``): a second run
    writing the same ``what`` at once is refused (FoleyError) rather than left to race it."""
    return held(Path(folder) / ".lock", f"{folder}: another run is writing this {what}; run this one when it has "
                "finished", f"the {what}")
