"""AVSync15 preparation: validate a user's download, write manifests, cut evaluation clips.

Expected layout (lzhangbj/ASVA):

    ROOT/videos/<class_folder>/<file>.mp4
    ROOT/train.txt, ROOT/test.txt      lines "<class_folder>/<file>.mp4"
    ROOT/class_mapping.json

Evaluation clips follow the published protocol: windows of ``clip_s`` seconds (2 s), a
fixed number per test video (3), here spread evenly from the start to the end of the
video. Missing or unreadable videos are reported and skipped; the rest is prepared.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..config import MAX_CLIPS_PER_VIDEO
from ..errors import FoleyError
from ..media.audio import read_audio, write_audio
from ..media.ffmpeg import run_ffmpeg
from ..media.mux import fit_length
from ..media.files import atomic_path, atomic_write_text, one_run_at_a_time, sha256_file
from ..media.video import probe_video
from ..workers import worker_map

SAMPLE_RATE = 16_000
OUTPUTS = ("train.jsonl", "test.jsonl", "test_clips.jsonl", "problems.txt", "test_clips", ".lock")  # all a run writes
CLIP_FILES = (".mp4", ".wav", ".json")
SOUND_SHORT_S = 0.05  # a clip's sound this much shorter than its window is padded with silence (an encoder's delay)
LONGEST_SUFFIX = ".safetensors"  # the longest suffix a file named by a clip's id gets (its cached features)
NAME_MAX_BYTES = 255  # a file name's limit on common file systems


@dataclass(frozen=True)
class ClipConfig:
    clip_s: float = 2.0
    clips_per_video: int = 3

    def __post_init__(self) -> None:
        if not math.isfinite(self.clip_s) or round(self.clip_s, 3) <= 0:  # ffmpeg gets ms
            raise FoleyError(f"need a positive clip length, got {self.clip_s} s")
        if not 1 <= self.clips_per_video <= MAX_CLIPS_PER_VIDEO:
            raise FoleyError(f"clips per video must be between 1 and {MAX_CLIPS_PER_VIDEO}, got {self.clips_per_video}")

    def starts(self, duration_s: float) -> list[float]:
        span = duration_s - self.clip_s
        if span < -1e-3:
            return []
        n = self.clips_per_video
        return sorted({round(max(0.0, span) * i / (n - 1), 3) if n > 1 else 0.0 for i in range(n)})  # each window once


def _caption(class_folder: str, mapping: dict) -> str:
    name = mapping.get(class_folder)
    return (name if isinstance(name, str) else class_folder).replace("_", " ").strip()


def _read_split(root: Path, split: str, problems: list[str]) -> list[str]:
    """The videos a split's list names, each once (one named again is a problem, and used once)."""
    path = root / f"{split}.txt"
    if not path.is_file():
        raise FoleyError(f"{root}: not an AVSync15 folder ({split}.txt is missing)")
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    except UnicodeDecodeError as e:
        raise FoleyError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    if not lines:  # nothing to prepare the split from, and no problem to list
        raise FoleyError(f"{path}: empty; it lists the {split} videos, one <class_folder>/<file> a line")
    names = []
    for line in lines:
        rel = PurePosixPath(line)  # "./a//b" reads as "a/b"
        if rel.is_absolute() or len(rel.parts) != 2 or ".." in rel.parts:
            problems.append(f"{split}: {path} names {line}, not <class_folder>/<file>; it is left out")
        else:
            names.append(str(rel))
    problems += [f"{split}: {path} names {name} again; it is used once" for name in
                 sorted({n for n in names if names.count(n) > 1})]
    return list(dict.fromkeys(names))


def _check_out(out: Path) -> None:
    """Refuse an OUT that holds a finished preparation or files no preparation writes."""
    if (out / "test_clips.jsonl").exists():
        raise FoleyError(f"{out}: already holds a prepared AVSync15; choose an empty folder")
    if out.is_dir() and (other := sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS)):
        raise FoleyError(f"{out}: holds {other[0]}{f' and {len(other) - 1} more' if len(other) > 1 else ''}, "
                         "which no AVSync15 preparation writes; choose an empty folder")


def _cut(job: tuple) -> dict:
    """One evaluation clip: re-encoded picture (cutting needs it), 16 kHz wav, sidecar."""
    video, start, cfg, stem, out_dir, meta = job
    out_dir = Path(out_dir)
    side = {"id": stem, "dataset": "avsync15", **meta, "start_s": start, "duration_s": cfg.clip_s}
    done = out_dir / f"{stem}.json"  # written last: the clip of an interrupted run is whole when it is there
    if done.is_file() and (out_dir / f"{stem}.wav").is_file() and (out_dir / f"{stem}.mp4").is_file():
        try:
            if json.loads(done.read_text(encoding="utf-8")) == side:
                return {**side, "reused": True}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass  # cut again
    try:
        with atomic_path(out_dir / f"{stem}.mp4") as part:
            run_ffmpeg(["-ss", f"{start:.3f}", "-t", f"{cfg.clip_s:.3f}", "-i", str(video), "-map", "0:v:0", "-map", "0:a:0",
                        "-c:v", "libx264", "-preset", "fast", "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "1",
                        "-c:a", "aac", "-b:a", "128k", str(part)], what=f"{video} at {start:.2f} s")
        if not probe_video(out_dir / f"{stem}.mp4").has_audio:
            raise FoleyError(f"{video}: its sound ends before the {cfg.clip_s:g} s window at {start:.2f} s")
        wav, _ = read_audio(out_dir / f"{stem}.mp4", sample_rate=SAMPLE_RATE)
        n = round(cfg.clip_s * SAMPLE_RATE)
        if wav.shape[-1] < n - round(SOUND_SHORT_S * SAMPLE_RATE):  # a reference with sound in part of its window
            raise FoleyError(f"{video}: its sound ends {wav.shape[-1] / SAMPLE_RATE:.2f} s into the "
                             f"{cfg.clip_s:g} s window at {start:.2f} s")
        write_audio(out_dir / f"{stem}.wav", fit_length(wav, n), SAMPLE_RATE)
        atomic_write_text(out_dir / f"{stem}.json", json.dumps(side, indent=1) + "\n")
        return side
    except FoleyError as e:
        for suffix in CLIP_FILES:  # no half clip is left for a folder's reader (foley dub, foley eval)
            (out_dir / f"{stem}{suffix}").unlink(missing_ok=True)
        return {"id": stem, "error": str(e)}


def prepare_avsync15(root: str | os.PathLike, out: str | os.PathLike, cfg: ClipConfig = ClipConfig(),
                     workers: int | None = None, progress: bool = True) -> dict:
    """Validate ROOT, write OUT/{train,test}.jsonl and OUT/test_clips/, and OUT/problems.txt.
    An interrupted run is continued: the clips it finished are kept (those of a video whose content
    is unchanged); one that leaves nothing to train on or to score with writes no
    OUT/test_clips.jsonl and can be run again. FoleyError for a ROOT that is no AVSync15 folder, an
    empty train.txt or test.txt, a video in both splits, two videos of one name (a clip's id), an OUT
    that holds a finished preparation, or one another run is preparing."""
    root, out = Path(root).absolute(), Path(out)  # the manifests name the videos wherever they are read from
    if not root.is_dir():
        raise FoleyError(f"{root}: no such folder")
    if out.exists() and not out.is_dir():
        raise FoleyError(f"{out}: a file, not a folder")
    if not (root / "videos").is_dir():
        raise FoleyError(f"{root}: not an AVSync15 folder (no videos/ folder)")
    if out.resolve().is_relative_to((root / "videos").resolve()):  # its clips would sit among the videos it reads
        raise FoleyError(f"{out}: is or lies inside {root / 'videos'}, the videos it is prepared from; choose a folder "
                         "outside it")
    mapping_path = root / "class_mapping.json"
    if not mapping_path.is_file():
        raise FoleyError(f"{root}: not an AVSync15 folder (class_mapping.json is missing)")
    try:
        mapping = json.loads(mapping_path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise FoleyError(f"{mapping_path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise FoleyError(f"{mapping_path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    mapping = mapping if isinstance(mapping, dict) else {}
    _check_out(out)

    problems: list[str] = []
    lists = {split: _read_split(root, split, problems) for split in ("train", "test")}
    if both := [name for name in lists["test"] if name in set(lists["train"])]:
        raise FoleyError(f"{root}: train.txt and test.txt both name {both[0]}"
                         f"{f' and {len(both) - 1} more videos' if len(both) > 1 else ''}; a video belongs to one split")
    named: dict[str, str] = {}  # clip id (the file's stem) -> the video first named with it
    for rel in lists["train"] + lists["test"]:
        if (first := named.setdefault(Path(rel).stem, rel)) != rel:
            raise FoleyError(f"{root}: videos/{first} and videos/{rel} have one name, {Path(rel).stem!r}, and a clip's "
                             "id is its file's name; rename one of them")
    for split, rels in lists.items():  # a clip's id names its files: one too long for them is left out
        longest = NAME_MAX_BYTES - len(f"_{cfg.clips_per_video - 1}{LONGEST_SUFFIX}")
        problems += [f"{split}: videos/{rel}: its name ({len(Path(rel).stem.encode())} bytes) is too long for the files "
                     f"its clips are kept in (at most {longest} bytes); it is left out"
                     for rel in rels if len(Path(rel).stem.encode()) > longest]
        problems += [f"{split}: videos/{rel}: its name starts with '.', which no clip id may (a hidden file); "
                     "it is left out" for rel in rels if Path(rel).stem.startswith(".")]
        lists[split] = [rel for rel in rels if len(Path(rel).stem.encode()) <= longest
                        and not Path(rel).stem.startswith(".")]
    out.mkdir(parents=True, exist_ok=True)
    with one_run_at_a_time(out, "AVSync15 preparation"):  # two runs at once would remove each other's clips
        _check_out(out)  # a run that held it meanwhile may have finished it
        return _prepare(root, out, cfg, lists, mapping, problems, workers, progress)


def _prepare(root: Path, out: Path, cfg: ClipConfig, lists: dict[str, list[str]], mapping: dict,
             problems: list[str], workers: int | None, progress: bool) -> dict:
    """:func:`prepare_avsync15` once ROOT's lists are read and OUT is held by this run."""
    manifests: dict[str, list[dict]] = {}
    for split in ("train", "test"):
        entries = []
        for rel in lists[split]:
            video = root / "videos" / rel
            class_folder = rel.split("/")[0]
            try:
                info = probe_video(video)
            except FoleyError as e:
                problems.append(f"{split}: {e}")
                continue
            if not info.has_audio:
                problems.append(f"{split}: {video}: has no audio track")
                continue
            entries.append({"id": Path(rel).stem, "video": str(video), "audio": str(video), "class": class_folder,
                            "caption": _caption(class_folder, mapping), "duration_s": round(info.duration_s, 3)})
        manifests[split] = entries

    jobs = []
    for e in manifests["test"]:
        starts = cfg.starts(e["duration_s"])
        if not starts:
            problems.append(f"test: {e['video']}: shorter than {cfg.clip_s} s ({e['duration_s']} s)")
        digest = sha256_file(e["video"]) if starts else None  # an earlier run's clip is kept if cut from this content
        for k, start in enumerate(starts):
            meta = {"class": e["class"], "caption": e["caption"], "source": e["video"], "source_sha256": digest}
            jobs.append((e["video"], start, cfg, f"{e['id']}_{k}", str(out / "test_clips"), meta))
    (out / "test_clips").mkdir(parents=True, exist_ok=True)

    from tqdm import tqdm

    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    try:
        with worker_map(_cut, jobs, workers) as cut:
            results = list(tqdm(cut, total=len(jobs), disable=not progress, desc="avsync15 clips", unit="clip"))
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM: the clips cut so far (each whole once its sidecar is there)
        kept = sum((out / "test_clips" / f"{job[3]}.json").is_file() for job in jobs)
        e.add_note(f"with {kept} of {len(jobs)} evaluation clips cut in {out / 'test_clips'}; the same command keeps "
                   "them and cuts the rest")
        raise
    cut_now = {job[3] for job in jobs}
    for path in sorted((out / "test_clips").iterdir()):  # an earlier run's clips this one does not make
        if path.suffix in CLIP_FILES and path.stem not in cut_now:
            path.unlink()
    reused = sum(bool(r.pop("reused", False)) for r in results)
    clips = [{"video": f"test_clips/{r['id']}.mp4", "audio": f"test_clips/{r['id']}.wav", **r}
             for r in results if "error" not in r]  # a manifest too: paths relative to its folder
    problems += [f"test clip {r['id']}: {r['error']}" for r in results if "error" in r]

    for split, entries in manifests.items():
        atomic_write_text(out / f"{split}.jsonl", "".join(json.dumps(e) + "\n" for e in entries))
    atomic_write_text(out / "problems.txt", "".join(p + "\n" for p in problems))
    if manifests["train"] and clips:  # the mark of a finished preparation: a failed one can be run again
        atomic_write_text(out / "test_clips.jsonl", "".join(json.dumps(c) + "\n" for c in clips))
    return {"train": len(manifests["train"]), "test": len(manifests["test"]), "clips": len(clips), "reused": reused,
            "problems": problems}
