"""A real sound-effects corpus from five Debian packages (``foley prepare sfx``).

Sources (facts in REFERENCE.md section 9): 0ad-data (CC-BY-SA-3.0), redeclipse-data
(CC-BY-SA-3.0 and CC-BY-3.0 per folder), sonic-pi-samples (CC0) train the shipped models;
widelands-data and tuxpaint-stamps-default (GPL-2+) are evaluation-only: the ``unseen``
split, sources no shipped model learned from.

Each kept file becomes a 16 kHz mono clip with leading and trailing silence trimmed, a
label and a caption (:mod:`foley.datasets.sfx_taxonomy`), and its package, version,
original path, licence and attribution (:mod:`foley.datasets.provenance`). Splits are made
by recording: takes of one recording (``swordhit_12``, ``swordhit_12a``) and files with
identical audio are one recording (the first copy is kept, the others listed), which sits in one split only; per label, a fixed
hash order sends about ``test_fraction`` of the recordings (at least one, when the label
has two or more) to ``test``. The output is a deterministic function of the packages.

Layout: ``<split>/<id>.wav``, ``<split>.jsonl`` manifests, ``sfx.json`` (counts, labels,
config), ``problems.txt`` (unreadable or silent files), ``dropped.txt`` (files the
taxonomy leaves out, with the reason), ``ATTRIBUTION.md``.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import resample, write_audio
from ..media.files import atomic_dir, atomic_write_text
from . import debian
from .manifest import read_manifest
from .provenance import Provenance, dep5_provenance, parse_dep5, prose_provenance, widelands_docs
from .sfx_taxonomy import label_of

CORPUS_VERSION = 1
SPLITS = ("train", "test", "unseen")
AUDIO_SUFFIXES = (".ogg", ".flac", ".wav")
CORPUS_FILES = (*SPLITS, *(f"{split}.jsonl" for split in SPLITS), "problems.txt", "dropped.txt", "ATTRIBUTION.md",
                "sfx.json")


@dataclass(frozen=True)
class SfxConfig:
    sample_rate: int = 16_000
    trim_db: float = 40.0  # leading/trailing frames this far below the loudest frame (RMS) are silence
    min_duration_s: float = 0.05  # shorter after trimming: dropped as silent
    max_duration_s: float = 30.0  # longer (ambiences): cut, with a 50 ms fade
    test_fraction: float = 0.2


@dataclass(frozen=True)
class SourceSpec:
    package: str
    short: str  # clip id prefix
    root: str  # the sound folder in the package, or a zip file holding it
    zip_folder: str  # the sound folder inside that zip ("" when root is a folder)
    trainable: bool  # its licences allow shipped weights (CC0, CC-BY, CC-BY-SA)
    licence: str  # when no finer record names one
    attribution: str


SOURCES = (
    SourceSpec("0ad-data", "0ad", "usr/share/games/0ad/mods/public/public.zip", "audio/", True,
               "CC-BY-SA-3.0", "Wildfire Games (http://www.wildfiregames.com/)"),
    SourceSpec("redeclipse-data", "redeclipse", "usr/share/games/redeclipse/data/sounds/", "", True,
               "CC-BY-SA-3.0", "Red Eclipse Team"),
    SourceSpec("sonic-pi-samples", "sonicpi", "usr/share/sonic-pi/samples/", "", True, "CC0", "Sonic Pi"),
    SourceSpec("widelands-data", "widelands", "usr/share/games/widelands/data/sound/", "", False,
               "GPL-2+", "Widelands Development Team"),
    SourceSpec("tuxpaint-stamps-default", "tuxpaint", "usr/share/tuxpaint/stamps/", "", False,
               "GPL-2", "Bill Kendrick and the Tux Paint contributors"),
)
PACKAGES = tuple(s.package for s in SOURCES)
_SPEC = {s.package: s for s in SOURCES}


# ------------------------------------------------------------------------- sources ---

def identify(path: str | os.PathLike) -> list[str]:
    """The packages a .deb or an extracted folder holds."""
    path = Path(path)
    if path.is_file():
        name = debian.read_control(path).get("Package", "")
        if name not in _SPEC:
            raise FoleyError(f"{path}: package {name!r} is not a sound-effects source ({', '.join(PACKAGES)})")
        return [name]
    if path.is_dir():
        found = [s.package for s in SOURCES if (path / s.root).exists()]
        if not found:
            raise FoleyError(f"{path}: holds none of the sound folders of {', '.join(PACKAGES)}")
        return found
    raise FoleyError(f"{path}: no such .deb file or folder")


def resolve_sources(given: list[str], packages: list[str], download_dir: Path) -> dict[str, debian.PackageSource]:
    """Package name -> source, from the paths given, else ``apt-get download``."""
    sources: dict[str, debian.PackageSource] = {}
    for path in given:
        for name in identify(path):
            source = debian.open_source(path, name)
            if name in sources:  # which one is meant is not for the order of the arguments to decide
                first = sources[name]
                raise FoleyError(f"{first.path} ({first.version}) and {source.path} ({source.version}) both hold "
                                 f"{name}; give one")
            sources[name] = source
    for name in packages:
        if name not in sources:
            sources[name] = debian.open_source(debian.apt_download(name, download_dir), name)
    return {name: sources[name] for name in PACKAGES if name in packages}  # trainable first: duplicates keep theirs


@dataclass
class _File:
    package: str
    path: str  # below the sound root, with extension
    data: bytes


def _read_package(spec: SourceSpec, source: debian.PackageSource, scratch: Path
                  ) -> tuple[list[_File], dict, list[str]]:
    """The audio files the taxonomy keeps, the provenance records, and the audio files it leaves out."""
    meta: dict[str, bytes] = {}
    left_out: list[str] = []
    files: list[_File] = []
    copyright_path = f"usr/share/doc/{spec.package}/copyright"

    def keep_audio(rel: str) -> bool:
        if not rel.lower().endswith(AUDIO_SUFFIXES):
            return False
        if label_of(spec.package, rel.rsplit(".", 1)[0]) is None:
            left_out.append(rel)
            return False
        return True

    def wanted(rel: str) -> bool:
        if rel == copyright_path or rel == spec.root:
            return True
        if not rel.startswith(spec.root) or spec.zip_folder:
            return False
        below = rel[len(spec.root):]
        return keep_audio(below) or below.endswith(("readme.txt", "wl-sound-docu.csv")) \
            or spec.package == "tuxpaint-stamps-default" and below.endswith(".txt") and "_desc" not in below

    zip_path = None
    try:
        for rel, open_file in debian.iter_files(source, wanted, under=(spec.root, copyright_path)):
            with open_file() as src:
                if rel == spec.root and spec.zip_folder:  # 0 A.D.'s 3.3 GB public.zip: copied out, read by member
                    zip_path = scratch / Path(rel).name
                    with open(zip_path, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 22)
                elif rel.startswith(spec.root) and keep_audio(rel[len(spec.root):]):
                    files.append(_File(spec.package, rel[len(spec.root):], src.read()))
                else:
                    meta[rel[len(spec.root):] if rel.startswith(spec.root) else rel] = src.read()
    except debian.DAMAGED as e:  # a member cut short: the .deb's data tar is streamed as it is read
        raise debian.damaged(source.path, "data.tar", e) from None
    if spec.zip_folder:
        if zip_path is None:
            raise FoleyError(f"{source.path}: no {spec.root} in the package")
        try:
            with zipfile.ZipFile(zip_path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    name = info.filename
                    if not name.startswith(spec.zip_folder) or info.is_dir():
                        continue
                    below = name[len(spec.zip_folder):]
                    if keep_audio(below):
                        files.append(_File(spec.package, below, archive.read(info)))
        except zipfile.BadZipFile as e:
            raise FoleyError(f"{source.path}: {spec.root} is not a readable zip ({e})") from None
        finally:
            zip_path.unlink(missing_ok=True)
    files.sort(key=lambda f: f.path)
    return files, meta, sorted(set(left_out))


class _Provenances:
    """Per-file licence and attribution from a package's records."""

    def __init__(self, spec: SourceSpec, meta: dict[str, bytes]) -> None:
        self.spec = spec
        text = lambda key: meta[key].decode("utf-8", "replace")  # noqa: E731
        copyright_key = f"usr/share/doc/{spec.package}/copyright"
        self.package = parse_dep5(text(copyright_key)) if copyright_key in meta else []
        self.folders = {key.rsplit("/", 1)[0] if "/" in key else "": text(key)
                        for key in meta if key.endswith("readme.txt")}
        self.widelands = widelands_docs(text("wl-sound-docu.csv")) if "wl-sound-docu.csv" in meta else None

    def __call__(self, path: str) -> Provenance | None:
        """None: of unknown origin."""
        if self.widelands is not None:
            return self.widelands.get(path)
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if folder in self.folders:
            found = self._readme(self.folders[folder], path.rsplit("/", 1)[-1])
            if found and found.licence:  # a record without a licence says nothing: the package's then
                return found
        found = dep5_provenance(self.package, path)
        return found or Provenance(self.spec.licence, self.spec.attribution)

    @staticmethod
    def _readme(text: str, name: str) -> Provenance | None:
        stanzas = parse_dep5(text)
        if stanzas:
            return dep5_provenance(stanzas, name)
        return prose_provenance(text)


# ------------------------------------------------------------------------- clips -------

def decode_clip(data: bytes, cfg: SfxConfig) -> np.ndarray:
    """Encoded audio -> (N,) float32 mono at ``cfg.sample_rate``, edges trimmed, capped.
    Raises FoleyError when unreadable or silent."""
    import librosa
    import soundfile as sf

    try:
        wav, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as e:
        raise FoleyError(f"unreadable ({e})") from None
    wav = resample(wav.mean(axis=1), rate, cfg.sample_rate)
    if not np.isfinite(wav).all() or np.abs(wav).max(initial=0.0) < 1e-4:
        raise FoleyError("silent")
    wav, _ = librosa.effects.trim(wav, top_db=cfg.trim_db, frame_length=1024, hop_length=256)
    if len(wav) < cfg.min_duration_s * cfg.sample_rate:
        raise FoleyError(f"shorter than {cfg.min_duration_s * 1000:.0f} ms after trimming")
    limit = int(cfg.max_duration_s * cfg.sample_rate)
    if len(wav) > limit:
        fade = int(0.05 * cfg.sample_rate)
        wav = wav[:limit].copy()
        wav[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return wav.astype(np.float32)


def recording_key(package: str, path: str) -> str:
    """Takes of one recording share a key: a letter after the take number is dropped."""
    stem = re.sub(r"(?<=\d)[a-z]$", "", path.rsplit(".", 1)[0])
    return f"{package}:{stem}"


def clip_id(spec: SourceSpec, path: str) -> str:
    stem = path.rsplit(".", 1)[0].lower().replace("/", "-")
    return f"{spec.short}-{re.sub(r'[^a-z0-9_-]', '_', stem)}"


def _order(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def assign_splits(clips: list[dict], test_fraction: float) -> None:
    """Set each clip's ``split``: recordings (``recording``) never straddle two splits."""
    by_label: dict[str, set[str]] = defaultdict(set)
    for clip in clips:
        if clip["trainable"]:
            by_label[clip["label"]].add(clip["recording"])
    test: set[str] = set()
    for label, recordings in by_label.items():
        if len(recordings) >= 2:
            ordered = sorted(recordings, key=_order)
            test.update(ordered[:max(1, round(test_fraction * len(ordered)))])
    for clip in clips:
        clip["split"] = ("test" if clip["recording"] in test else "train") if clip["trainable"] else "unseen"


def _drop_duplicates(clips: list[dict]) -> list[str]:
    """Keep the first clip of each distinct audio (trainable packages come first); list the rest."""
    first: dict[str, dict] = {}
    keep, dropped = [], []
    for clip in clips:
        seen = first.setdefault(clip["audio_sha256"], clip)
        if seen is clip:
            keep.append(clip)
        else:
            dropped.append(f"{clip['package']}:{clip['original_path']}: the same audio as {seen['package']}:"
                           f"{seen['original_path']}")
    clips[:] = keep
    return dropped


# ------------------------------------------------------------------------- build -------

def prepare_sfx(out: str | os.PathLike, sources: dict[str, debian.PackageSource], cfg: SfxConfig = SfxConfig(),
                overwrite: bool = False, progress: bool = True) -> dict:
    """Build the corpus in ``out`` from ``sources`` (package name -> source). Returns sfx.json."""
    from tqdm import tqdm

    out = Path(out)
    check_output(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    clips: list[dict] = []
    problems: list[str] = []
    dropped: list[str] = []
    audio: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.scratch-", dir=out.parent) as scratch:
        for name, source in sources.items():
            spec = _SPEC[name]
            files, meta, left_out = _read_package(spec, source, Path(scratch))
            dropped += [f"{name}:{path}: left out by the taxonomy (music, voice, interface, ...)" for path in left_out]
            provenance = _Provenances(spec, meta)
            descriptions = {k.rsplit(".", 1)[0]: v.decode("utf-8", "replace").splitlines()[0]
                            for k, v in meta.items() if k.endswith(".txt") and v.strip()}
            for file in tqdm(files, desc=name, unit="file", disable=not progress):
                stem = file.path.rsplit(".", 1)[0]
                origin = provenance(file.path)
                if origin is None:
                    dropped.append(f"{name}:{file.path}: of unknown origin")
                    continue
                try:
                    wav = decode_clip(file.data, cfg)
                except FoleyError as e:
                    problems.append(f"{name}:{file.path}: {e}")
                    continue
                named = label_of(name, stem, descriptions.get(stem))
                cid = clip_id(spec, file.path)
                if cid in audio:  # another name of one id (bd_boom.flac and bd_boom.wav, Kick.ogg and kick.ogg)
                    first = next(c["original_path"] for c in clips if c["id"] == cid)
                    dropped.append(f"{name}:{spec.root}{spec.zip_folder}{file.path}: the same clip id ({cid}) as "
                                   f"{name}:{first}")
                    continue
                audio[cid] = wav
                clips.append({
                    "id": cid, "label": named.label, "caption": named.caption,
                    "duration_s": round(len(wav) / cfg.sample_rate, 3),
                    "package": name, "package_version": source.version,
                    "original_path": spec.root + spec.zip_folder + file.path,
                    "licence": origin.licence, "attribution": origin.attribution,
                    "recording": recording_key(name, file.path), "trainable": spec.trainable,
                    "audio_sha256": hashlib.sha256(np.round(wav * 32767).astype(np.int16).tobytes()).hexdigest(),
                })
    dropped += _drop_duplicates(clips)
    assign_splits(clips, cfg.test_fraction)
    entries: dict[str, list[dict]] = {s: [] for s in SPLITS}
    with atomic_dir(out) as tmp:  # an existing corpus is replaced only once the new one is complete
        for clip in sorted(clips, key=lambda c: c["id"]):
            split = clip.pop("split")
            clip.pop("trainable"), clip.pop("audio_sha256")
            write_audio(tmp / split / f"{clip['id']}.wav", audio[clip["id"]], cfg.sample_rate)
            entries[split].append({"id": clip["id"], "audio": f"{split}/{clip['id']}.wav", **clip})
        for split in SPLITS:
            atomic_write_text(tmp / f"{split}.jsonl", "".join(json.dumps(e) + "\n" for e in entries[split]))
        atomic_write_text(tmp / "problems.txt", "".join(line + "\n" for line in problems))
        atomic_write_text(tmp / "dropped.txt", "".join(line + "\n" for line in sorted(dropped)))
        atomic_write_text(tmp / "ATTRIBUTION.md", attribution_text([e for split in SPLITS for e in entries[split]]))
        info = {
            "name": "foley-sfx", "corpus_version": CORPUS_VERSION, "config": asdict(cfg),
            "sources": {name: {"version": source.version, "trainable": _SPEC[name].trainable}
                        for name, source in sources.items()},
            "table": corpus_table(entries),
            "labels": {split: sorted({e["label"] for e in entries[split]}) for split in SPLITS},
            "problems": len(problems), "dropped": len(dropped),
        }
        atomic_write_text(tmp / "sfx.json", json.dumps(info, indent=1) + "\n")
    return info


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse an output that is a file, or a non-empty folder other than an earlier corpus
    (which ``overwrite`` allows to replace)."""
    if out.exists() and not out.is_dir():
        raise FoleyError(f"{out}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise FoleyError(f"{out}: the folder is not empty; pass --overwrite to replace its corpus")
        if not (out / "sfx.json").is_file():
            raise FoleyError(f"{out}: not a sound-effects corpus (no sfx.json); refusing to clear it")
        if other := sorted(p.name for p in out.iterdir() if p.name not in CORPUS_FILES):  # replacing it removes them
            raise FoleyError(f"{out}: holds {other[0]}{f' and {len(other) - 1} more' if len(other) > 1 else ''} "
                             "besides the corpus; move it out before replacing the corpus")


def corpus_table(entries: dict[str, list[dict]]) -> list[dict]:
    """Clips, minutes and labels per source and split."""
    rows = []
    for split in SPLITS:
        by_package: dict[str, list[dict]] = defaultdict(list)
        for e in entries[split]:
            by_package[e["package"]].append(e)
        for package in sorted(by_package):
            group = by_package[package]
            rows.append({"split": split, "package": package, "clips": len(group),
                         "minutes": round(sum(e["duration_s"] for e in group) / 60, 2),
                         "labels": len({e["label"] for e in group}),
                         "recordings": len({e["recording"] for e in group})})
    return rows


def attribution_text(entries: list[dict], intro: str = "Sound effects from Debian packages. Per-clip licence and "
                     "attribution are in the manifests.") -> str:
    """Markdown crediting every (package, licence, author) of ``entries`` (manifest entries)."""
    lines = ["# Attribution", "", intro, ""]
    credits = Counter((e["package"], e["package_version"], e["licence"], e["attribution"]) for e in entries)
    for (package, version, licence, attribution), n in sorted(credits.items()):
        lines.append(f"- {package} {version}: {n} clip(s), {licence}, {attribution}")
    return "\n".join(lines) + "\n"


SFX_ENTRY_KEYS = ("label", "caption")  # what every reader of the corpus needs


def load_sfx_manifest(root: str | os.PathLike, split: str) -> list[dict]:
    """A split's entries with ``audio`` resolved against ``root``.

    Raises FoleyError (one line naming the file) when the manifest is missing or malformed,
    or an entry lacks the corpus's ``label`` or ``caption`` (a SynthSync folder, say)."""
    path = Path(root) / f"{split}.jsonl"
    hint = f"is {root} a corpus made by `foley prepare sfx`?"
    if not path.is_file():
        raise FoleyError(f"{path}: no such manifest ({hint})")
    entries = read_manifest(path, media=("audio",))
    for e in entries:
        missing = [k for k in SFX_ENTRY_KEYS if k not in e]
        if missing:
            raise FoleyError(f"{path}: clip {e['id']} has no {', '.join(missing)} ({hint})")
        e["audio"] = e.pop("source")
    return entries
