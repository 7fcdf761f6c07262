"""Dataset evaluation: pair generated and reference files by name, score onsets and FAD."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import is_finite_number
from ..errors import FoleyError
from ..media.audio import AUDIO_SUFFIXES as AUDIO_FILE_SUFFIXES
from ..media.audio import read_audio
from ..media.files import read_json_object
from ..media.mux import align_to_picture
from ..media.video import VIDEO_SUFFIXES, has_picture, probe_video
from ..workers import worker_map
from .onset import OnsetConfig, mean_scores, onset_scores, warm_up_detector

# Preferred order when several files share a stem (a SynthSync folder has .wav and .mp4).
AUDIO_SUFFIXES = AUDIO_FILE_SUFFIXES + VIDEO_SUFFIXES


@dataclass(frozen=True)
class Pair:
    stem: str
    pred: Path
    ref: Path
    sidecar: dict | None  # the reference's <stem>.json (SynthSync / AVSync15 clips), if any


def results_json(result) -> str:
    """Evaluation results as strict JSON: an undefined figure (NaN) is ``null``, which any
    JSON reader accepts (Python's default writes a bare NaN)."""
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return clean(x.to_dict()) if hasattr(x, "to_dict") else x

    return json.dumps(clean(result), indent=1, allow_nan=False) + "\n"


def files_by_stem(folder: Path) -> dict[str, Path]:
    """The audio and video files of ``folder`` by stem (hidden ones left out; of two files of one
    stem, the suffix first in AUDIO_SUFFIXES). FoleyError for a file or a missing folder."""
    if folder.exists() and not folder.is_dir():
        raise FoleyError(f"{folder}: a file, not a folder (the files of two folders are paired by name)")
    if not folder.is_dir():
        raise FoleyError(f"{folder}: no such folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.is_file() and suffix in AUDIO_SUFFIXES and not path.name.startswith("."):
            best = found.get(path.stem)
            if best is None or AUDIO_SUFFIXES.index(suffix) < AUDIO_SUFFIXES.index(best.suffix.lower()):
                found[path.stem] = path
    return found


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def pair_files(pred_dir: str | os.PathLike, ref_dir: str | os.PathLike) -> list[Pair]:
    """Pairs of generated and reference files with the same stem; any unpaired file is an error."""
    pred_dir, ref_dir = Path(pred_dir), Path(ref_dir)
    preds, refs = files_by_stem(pred_dir), files_by_stem(ref_dir)
    if not preds:
        raise FoleyError(f"{pred_dir}: no audio or video files ({_listing(list(AUDIO_SUFFIXES))})")
    problems = []
    if missing := sorted(set(preds) - set(refs)):
        problems.append(f"{len(missing)} generated file(s) have no reference in {ref_dir}: {_listing(missing)}")
    if missing := sorted(set(refs) - set(preds)):
        problems.append(f"{len(missing)} reference file(s) have no generated counterpart in {pred_dir}: {_listing(missing)}")
    if problems:
        raise FoleyError("; ".join(problems))
    pairs = []
    for stem in sorted(preds):
        side = ref_dir / f"{stem}.json"
        sidecar = read_sidecar(side) if side.is_file() else None
        pairs.append(Pair(stem, preds[stem], refs[stem], sidecar))
    return pairs


def read_sidecar(path: Path) -> dict:
    """A reference's ``<stem>.json`` (SynthSync / AVSync15 annotations): a JSON object whose
    ``onsets_s``, where present, is a list of finite times >= 0 (s) and ``duration_s`` a finite
    time > 0. Raises FoleyError naming the file and what is wrong with it."""
    sidecar = read_json_object(path, "annotation file")
    onsets, duration = sidecar.get("onsets_s", []), sidecar.get("duration_s", 1.0)
    if not (isinstance(onsets, list) and all(is_finite_number(t) and t >= 0 for t in onsets)):
        raise FoleyError(f"{path}: onsets_s must be a list of times >= 0 in seconds, got {onsets!r:.80}")
    if not (is_finite_number(duration) and duration > 0):
        raise FoleyError(f"{path}: duration_s must be a time > 0 in seconds, got {duration!r:.80}")
    if not isinstance(sidecar.get("class", ""), (str, type(None))):
        raise FoleyError(f"{path}: class must be a class name (text), got {sidecar['class']!r:.80}")
    return sidecar


def _annotated(pair: Pair) -> bool:
    """The reference has annotated onsets (a sidecar with ``onsets_s``)."""
    return bool(pair.sidecar and "onsets_s" in pair.sidecar)


def resolve_gt(pairs: list[Pair], gt: str, cfg: OnsetConfig) -> str:
    """'annotated' or 'detected' ground truth; 'auto' picks annotations when every
    reference has them (robust mode only: the reference protocol detects them)."""
    annotated = all(map(_annotated, pairs))
    if gt == "auto":
        return "annotated" if annotated and cfg.mode == "robust" else "detected"
    if gt == "annotated":
        if cfg.mode == "reference":
            raise FoleyError("--gt annotated is for --mode robust; the reference protocol detects onsets on the reference audio")
        if not annotated:
            bare = [p.stem for p in pairs if not _annotated(p)]
            raise FoleyError(f"--gt annotated needs a <stem>.json with onsets_s next to every reference file; "
                             f"{len(bare)} of {len(pairs)} have none (e.g. {bare[0]}.json)")
    return gt


LENGTH_TOLERANCE_S = 0.1  # a generated clip and its reference differ by more: the pair is reported


def clip_audio(path: Path, duration_s: float | None = None) -> tuple[np.ndarray, int]:
    """A clip's audio (N,) and rate: a video's track on its picture's clock and as long as the
    picture (an AAC track decodes to whole frames of 1,024 samples, up to 64 ms more at 16 kHz, in
    which an onset may be detected that the clip does not have; a track may start after the
    picture), then cut to ``duration_s`` (a sidecar's) if given. A video file without a picture
    (an audio-only .mp4 or .webm) is read as the audio file it is."""
    wav, sr = read_audio(path, sample_rate=None)
    if path.suffix.lower() in VIDEO_SUFFIXES and has_picture(path):
        wav = align_to_picture(wav, sr, probe_video(path))
    return (wav if duration_s is None else wav[:round(duration_s * sr)]), sr


def _score_pair(job: tuple) -> dict:
    pair, cfg, gt = job
    try:
        pred, pred_sr = clip_audio(pair.pred)  # a generated video's track on its picture's clock too
        duration = pair.sidecar.get("duration_s") if gt == "annotated" else None
        if duration is None:
            ref, ref_sr = clip_audio(pair.ref, pair.sidecar.get("duration_s") if pair.sidecar else None)
            duration = len(ref) / ref_sr
        if gt == "annotated":
            scores = onset_scores(pred, pred_sr, gt_onsets_s=pair.sidecar["onsets_s"], duration_s=duration, cfg=cfg)
        else:
            scores = onset_scores(pred, pred_sr, ref_wav=ref, ref_sample_rate=ref_sr, cfg=cfg)
    except FoleyError as e:
        return {"stem": pair.stem, "error": str(e)}
    return {"stem": pair.stem, "class": (pair.sidecar or {}).get("class"), "scores": scores,
            "lengths_s": (round(len(pred) / pred_sr, 3), round(float(duration), 3))}


def unreadable(errors: list[str]) -> str:
    """One line naming the files that could not be read: the first five, and how many more; each once (with
    ``--pred`` and ``--ref`` one folder, each file is read on both sides)."""
    errors = list(dict.fromkeys(errors))
    return (f"{len(errors)} file(s) could not be read: " + " | ".join(errors[:5])
            + (f" | and {len(errors) - 5} more" if len(errors) > 5 else ""))


def evaluate_onsets(pairs: list[Pair], cfg: OnsetConfig = OnsetConfig(), gt: str = "auto",
                    workers: int | None = None) -> dict:
    """Per-clip and dataset onset figures. Unreadable files fail the run, listed together."""
    gt = resolve_gt(pairs, gt, cfg)
    jobs = [(p, cfg, gt) for p in pairs]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers > 1:
        warm_up_detector()
        with worker_map(_score_pair, jobs, workers, chunksize=max(1, min(8, len(jobs) // (8 * workers)))) as results:
            clips = list(results)
    else:
        clips = [_score_pair(j) for j in jobs]
    if errors := [c["error"] for c in clips if "error" in c]:
        raise FoleyError(unreadable(errors))
    classes = sorted({c["class"] for c in clips if c["class"]})
    return {
        "metric": "onset",
        # Pairs whose generated clip is not as long as its reference: usually the wrong folder, or a cut dub.
        "length_mismatches": [{"stem": c["stem"], "pred_s": c["lengths_s"][0], "ref_s": c["lengths_s"][1]}
                              for c in clips if abs(c["lengths_s"][0] - c["lengths_s"][1]) > LENGTH_TOLERANCE_S],
        "mode": cfg.mode,
        "ground_truth": gt,
        # References without annotated onsets where others have them: why "auto" detected them on all.
        "unannotated": [p.stem for p in pairs if not _annotated(p)] if gt == "detected" and any(map(_annotated, pairs))
        else [],
        "delta_s": cfg.delta_s,
        "multi_delta": cfg.multi_delta,
        "summary": mean_scores([c["scores"] for c in clips]),
        "per_class": {k: mean_scores([c["scores"] for c in clips if c["class"] == k]) for k in classes},
        "clips": [{"stem": c["stem"], "class": c["class"], **c["scores"].to_dict()} for c in clips],
    }


def evaluate_fad(pred_dir: str | os.PathLike, ref_dir: str | os.PathLike, embedder, pca_dims: int = 0) -> dict:
    """FAD between all generated and all reference files (pairing is checked, not needed);
    ``pca_dims``: on the first that many principal components of the reference embeddings (for
    an embedder wider than the sets have embeddings), the embedder then named ``<name>-pca<dims>``."""
    from .embedders import embed_audio
    from .fad import embedding_stats, frechet_distance, pca_projection

    pairs = pair_files(pred_dir, ref_dir)
    sets, errors = {}, []
    for side in ("pred", "ref"):
        rows = []
        for p in pairs:
            try:
                wav, sr = clip_audio(getattr(p, side))
            except FoleyError as e:  # every unreadable file is named, as the onset scores name them
                errors.append(str(e))
                continue
            rows.append(embed_audio(embedder, wav, sr))
        sets[side] = np.concatenate(rows, axis=0) if rows else None
    if errors:
        raise FoleyError(unreadable(errors))
    name = embedder.name
    if pca_dims:
        dims = sets["ref"].shape[1]
        fewest, smaller = min((len(sets["pred"]), "generated"), (len(sets["ref"]), "reference"))
        if pca_dims >= dims:  # as many components as dimensions: FAD on them all, turned
            raise FoleyError(f"foley eval fad --pca {pca_dims}: {name} embeddings have {dims} dimensions; --pca keeps "
                             f"fewer of them (below {dims}; 0: all, no PCA)")
        if pca_dims >= fewest >= 2:  # each set's covariance needs more embeddings than dimensions
            raise FoleyError(f"foley eval fad --pca {pca_dims}: FAD on {pca_dims} principal components needs more than "
                             f"{pca_dims} {name} embeddings in each set, and the {smaller} set has {fewest}; give --pca "
                             f"{fewest - 1} or fewer (e.g. {max(1, min(32, fewest // 2))}), or more or longer clips")
        project = pca_projection(sets["ref"], pca_dims)
        sets, name = {side: project(rows) for side, rows in sets.items()}, f"{name}-pca{pca_dims}"
    fad = frechet_distance(embedding_stats(sets["pred"], "generated set"), embedding_stats(sets["ref"], "reference set"))
    return {"metric": "fad", "embedder": name, "fad": fad, "n_clips": len(pairs),
            "n_embeddings": {"pred": len(sets["pred"]), "ref": len(sets["ref"])}}
