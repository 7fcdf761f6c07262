"""Onset accuracy and onset AP, as defined by CondFoleyGen's `predict_onset.py`.

Two modes share one matching procedure:

- ``reference``: the published algorithm loop for loop, quirks included, so that numbers
  compare with the papers' tables. Onsets of both tracks are detected with librosa
  (delta 0.3) at 22050 Hz. The NMS visits onsets in ``np.argsort(confidence)[::-1]``
  order (numpy's default sort, whose order of ties depends on the CPU's sort kernels) and
  removes suppressed onsets from the list it is iterating over, so the onset after each
  removed one escapes suppression; the matching picks a candidate by
  ``np.argsort(env)[-1]``; the loop over ground-truth onsets stops once every generated
  onset is used (later ground-truth onsets are then not counted as misses, which inflates
  AP); ``--multi-delta`` uses ``np.arange(0.1, delta + 0.05, 0.05)``; a clip without
  generated onsets scores AP = 1.0. Two deviations: a clip without ground-truth onsets
  has undefined detection accuracy and AP (NaN, left out of dataset means and counted;
  the original gives 0 and sklearn's value for labels without a positive), and where the
  original crashes on an onset in the first 0.05 s (an empty confidence window) the
  window is clipped to the signal instead.
- ``robust`` (our default): a clean greedy NMS (ties kept in time order), every
  ground-truth onset is counted (no early stop), and the empty cases are defined: no
  ground truth and no prediction scores 1 everywhere; no ground truth but predictions:
  detection 1 (nothing to miss), AP 0; ground truth but no prediction: detection 0, AP 0.
  Ground-truth onsets may come from annotations (e.g. SynthSync sidecars) instead of the
  detector.

Three figures per clip, named without ambiguity:
``onset_count_acc`` (1 if the raw onset counts are equal), ``onset_detection_acc``
(matched ground-truth onsets / ground-truth onsets) and ``onset_ap``.
"""
from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from ..config import is_finite_number
from ..errors import FoleyError

MODES = ("robust", "reference")
DETECT_DELTA = 0.3  # librosa peak-picking threshold of the reference metric
# The widest matching tolerance (s): the metric asks whether a sound comes at its picture's moment, to a
# tenth of a second in the papers; one of seconds pairs onsets that have nothing to do with each other
# (SynthSync's clips are 4 s long, AVSync15's evaluation clips 2 s), and --multi-delta would average
# over a tolerance every 0.05 s up to it.
MAX_DELTA_S = 10.0


@dataclass(frozen=True)
class OnsetConfig:
    """Settings of the onset metric (times in s, rates in Hz). Raises FoleyError, in one line, for a mode
    not of MODES and for a setting of another kind or range than its comment says."""

    mode: str = "robust"
    sample_rate: int = 22_050
    delta_s: float = 0.1  # matching tolerance (strict |p - g| < delta), > 0 and at most MAX_DELTA_S
    window_s: float = 0.05  # confidence window (+-) and NMS suppression window, > 0
    detect_delta: float = DETECT_DELTA  # librosa's peak-picking threshold, >= 0
    multi_delta: bool = False  # average over delta = 0.1, 0.15, ... up to delta_s

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise FoleyError(f"onset mode must be one of {MODES}, got {self.mode!r}")
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, numbers.Integral) \
                or self.sample_rate <= 0:
            raise FoleyError(f"the onset sample rate must be a whole number of Hz > 0, got {self.sample_rate!r}")
        if not (is_finite_number(self.window_s) and self.window_s > 0):
            raise FoleyError(f"the confidence window must be a finite number of seconds > 0, got {self.window_s!r}")
        if not (is_finite_number(self.detect_delta) and self.detect_delta >= 0):
            raise FoleyError(f"the detector's threshold (detect_delta) must be a finite number >= 0, "
                             f"got {self.detect_delta!r}")
        if not isinstance(self.multi_delta, (bool, np.bool_)):
            raise FoleyError(f"multi_delta must be True or False, got {self.multi_delta!r}")
        if not (is_finite_number(self.delta_s) and self.delta_s > 0):
            raise FoleyError(f"delta must be a finite number > 0, got {self.delta_s!r}")
        if self.delta_s > MAX_DELTA_S:
            raise FoleyError(f"delta must be at most {MAX_DELTA_S:g} s, got {self.delta_s:g}: it is how far a "
                             "generated onset may be from its reference onset and still be on time (0.1 s in the "
                             "papers)")
        if self.multi_delta and self.delta_s < 0.1 - 1e-9:  # no tolerance to average over
            raise FoleyError(f"multi-delta averages over tolerances from 0.1 s up to delta, so delta must be at "
                             f"least 0.1, got {self.delta_s:g}")

    @property
    def deltas_s(self) -> list[float]:
        """Matching tolerances: 0.1, 0.15, ... up to delta_s with ``multi_delta`` (reference
        mode: the original's ``np.arange(0.1, delta + 0.05, 0.05)``, float steps and all)."""
        if not self.multi_delta:
            return [self.delta_s]
        if self.mode == "reference":
            return [float(d) for d in np.arange(0.1, self.delta_s + 0.05, 0.05)]
        return [round(0.1 + 0.05 * i, 10) for i in range(int(math.floor((self.delta_s - 0.1) / 0.05 + 1e-9)) + 1)]


@dataclass(frozen=True)
class OnsetScores:
    onset_count_acc: float
    onset_detection_acc: float
    onset_ap: float
    n_gt: int
    n_pred: int

    def to_dict(self) -> dict:
        return asdict(self)


def detect_onsets(wav: np.ndarray, sample_rate: int, delta: float = DETECT_DELTA, backtrack: bool = False) -> np.ndarray:
    """Onset positions in samples: librosa's detector with the reference's settings
    (``backtrack``: each moved back to the energy minimum before it, where the attack starts)."""
    import librosa

    if not np.any(wav):
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():  # a clip under librosa's n_fft (2048) is padded; its warning says only that
        warnings.filterwarnings("ignore", message=r"n_fft=\d+ is too large for input signal", category=UserWarning)
        envelope = librosa.onset.onset_strength(y=wav.astype(np.float32), sr=sample_rate)
    frames = librosa.onset.onset_detect(onset_envelope=envelope, sr=sample_rate, delta=delta)
    if backtrack and len(frames):  # librosa's own backtracking fails on an empty list
        frames = np.unique(librosa.onset.onset_backtrack(frames, envelope))  # two onsets after one minimum: one
    return librosa.frames_to_samples(frames).astype(np.int64)


def warm_up_detector(sample_rate: int = 22_050) -> None:
    """Run the detector once in this process, before a pool of workers starts.

    librosa compiles its numba functions on first use and caches them inside the
    environment; workers compiling the same functions at once can leave cache entries that
    crash later processes (a numba cache race). Compiled and cached here first, the workers
    only read them.
    """
    t = np.arange(sample_rate) / sample_rate
    clicks = np.sin(2 * np.pi * 1000 * t) * (np.mod(t, 0.25) < 0.02)  # four tone bursts
    detect_onsets(clicks, sample_rate)


def _confidence(env: np.ndarray, onsets, half: int) -> np.ndarray:
    """Max of the envelope within +-half samples of each onset (window clipped at 0)."""
    return np.array([env[max(0, p - half):p + half].max() for p in onsets], dtype=np.float64)


def _nms(onsets: np.ndarray, conf: np.ndarray, half: int) -> np.ndarray:
    """Greedy NMS by descending confidence (ties in time order); kept indices into ``onsets``."""
    order = list(np.argsort(-conf, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if abs(int(onsets[j]) - int(onsets[i])) >= half]
    return np.array(sorted(keep), dtype=np.int64)


def _match(gt: np.ndarray, pred: np.ndarray, conf: np.ndarray, env: np.ndarray, tol: float
           ) -> tuple[list[int], list[float], int]:
    """Robust matching: each ground-truth onset (time order) takes the unused predicted onset
    within ``tol`` with the largest envelope value. Returns labels, scores and hits."""
    used = np.zeros(len(pred), dtype=bool)
    y, score, hits = [], [], 0
    for g in np.sort(gt):
        cand = np.flatnonzero(~used & (np.abs(pred - g) < tol))
        if len(cand):
            best = cand[np.argmax(env[pred[cand]])]
            used[best] = True
            y.append(1)
            score.append(float(conf[best]))
            hits += 1
        else:
            y.append(1)
            score.append(0.0)
    for i in np.flatnonzero(~used):
        y.append(0)
        score.append(float(conf[i]))
    return y, score, hits


# Reference mode: CondFoleyGen's `onset_nms` and `eval_osnets` step for step. Written as the
# original loops over Python lists (not vectorized) because their quirks live in the loop
# order: which tie numpy's argsort puts first, and the list shrinking under its iteration.

def _nms_reference(onsets: np.ndarray, conf: np.ndarray, window: float) -> list[int]:
    """Kept onsets (sorted sample positions) of the original NMS; ``window`` in samples."""
    remaining = [int(p) for p in onsets]
    kept = []
    for i in np.argsort(conf)[::-1]:
        current = int(onsets[i])
        if current not in remaining:
            continue
        kept.append(current)
        remaining.remove(current)
        for other in remaining:  # removing while iterating skips the next onset, as the original does
            if abs(current - other) < window:
                remaining.remove(other)
    return sorted(kept)


def _match_reference(gt: np.ndarray, kept: list[int], env: np.ndarray, tol: float, half: int
                     ) -> tuple[list[int], list[float], int]:
    """Labels, scores and hits of the original matching loop (early stop included)."""
    unused = list(kept)
    y, score, hits = [], [], 0
    for g in gt:
        near = [k for k in range(len(unused)) if abs(unused[k] - int(g)) < tol]
        if not near:
            y.append(1)
            score.append(0.0)
            continue
        best = near[np.argsort([env[unused[k]] for k in near])[-1]]
        hits += 1
        y.append(1)
        score.append(float(_confidence(env, [unused[best]], half)[0]))
        unused.remove(unused[best])
        if not unused:
            break
    for p in unused:
        y.append(0)
        score.append(float(_confidence(env, [p], half)[0]))
    return y, score, hits


def _ap(y: list[int], score: list[float]) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(np.asarray(y), np.asarray(score)))


def score_onsets(gt: np.ndarray, pred_raw: np.ndarray, pred_wav: np.ndarray, cfg: OnsetConfig) -> OnsetScores:
    """Scores of one clip from onset positions (samples at cfg.sample_rate, ground truth in
    time order) and the generated waveform (N,) at cfg.sample_rate (for the confidence envelope).
    Raises FoleyError for a waveform of another shape or without a sample."""
    sr = cfg.sample_rate
    gt = np.asarray(gt, dtype=np.int64)
    pred_raw = np.asarray(pred_raw, dtype=np.int64)
    pred_wav = np.asarray(pred_wav)
    if pred_wav.ndim != 1 or not len(pred_wav):
        raise FoleyError(f"the generated waveform must be mono samples (N,) with N >= 1, got shape {pred_wav.shape}: "
                         "nothing to score onsets on")
    count_acc = float(len(gt) == len(pred_raw))
    env = np.abs(pred_wav.astype(np.float64))
    span = env.max() - env.min()
    env = (env - env.min()) / span if span > 0 else np.zeros_like(env)
    half = int(cfg.window_s * sr)
    conf_raw = _confidence(env, pred_raw, half)

    accs, aps = [], []
    if cfg.mode == "reference":
        kept = _nms_reference(pred_raw, conf_raw, cfg.window_s * sr)
        for delta in cfg.deltas_s:
            if len(gt) == 0:
                acc, ap = math.nan, math.nan
            else:
                y, score, hits = _match_reference(gt, kept, env, delta * sr, half)
                acc, ap = hits / len(gt), _ap(y, score)  # no kept onsets: all labels 1, AP 1.0
            accs.append(acc)
            aps.append(ap)
    else:
        keep = _nms(pred_raw, conf_raw, half) if len(pred_raw) else np.zeros(0, dtype=np.int64)
        pred, conf = pred_raw[keep], conf_raw[keep]
        for delta in cfg.deltas_s:
            acc, ap = _clip_figures(gt, pred, conf, env, delta * sr)
            accs.append(acc)
            aps.append(ap)
    return OnsetScores(count_acc, float(np.mean(accs)), float(np.mean(aps)), len(gt), len(pred_raw))


def _clip_figures(gt, pred, conf, env, tol) -> tuple[float, float]:
    """Robust-mode detection accuracy and AP, the empty cases defined."""
    if len(gt) == 0:
        return 1.0, (1.0 if len(pred) == 0 else 0.0)
    if len(pred) == 0:
        return 0.0, 0.0
    y, score, hits = _match(gt, pred, conf, env, tol)
    return hits / len(gt), _ap(y, score)


def prepare_audio(wav: np.ndarray, sample_rate: int, cfg: OnsetConfig, n_samples: int | None = None) -> np.ndarray:
    """Mono, resampled to cfg.sample_rate (soxr, as librosa.load does), cut or padded."""
    import librosa

    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim == 2:
        wav = wav.mean(axis=0)
    if sample_rate != cfg.sample_rate:
        wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=cfg.sample_rate, res_type="soxr_hq")
    if n_samples is not None:
        wav = wav[:n_samples] if len(wav) >= n_samples else np.pad(wav, (0, n_samples - len(wav)))
    return wav


SILENT_PEAK_DBFS = -60.0  # robust mode: a track whose peak is below this is silence, with no onsets


def heard(wav: np.ndarray, cfg: OnsetConfig) -> np.ndarray:
    """``wav`` as the robust mode scores it: silent (zeros) when its peak is under SILENT_PEAK_DBFS.
    The detector and the confidence are scale-free (min-max normalized), so without this an
    inaudible hiss scores its one onset like a loud one (AP n/(n+1) against silence's 0); the
    reference mode keeps the published protocol."""
    if cfg.mode == "reference" or not len(wav) or np.max(np.abs(wav)) >= 10 ** (SILENT_PEAK_DBFS / 20):
        return wav
    return np.zeros_like(wav)


def onset_scores(
    pred_wav: np.ndarray,
    sample_rate: int,
    ref_wav: np.ndarray | None = None,
    ref_sample_rate: int | None = None,
    gt_onsets_s: Sequence[float] | None = None,
    duration_s: float | None = None,
    cfg: OnsetConfig = OnsetConfig(),
) -> OnsetScores:
    """Scores of one generated clip against its reference.

    ``pred_wav`` and ``ref_wav`` are audio (N,) or (C, N) (channels averaged) at
    ``sample_rate`` and ``ref_sample_rate`` Hz (default: ``sample_rate``). Ground truth is
    either ``gt_onsets_s`` (annotations, s; robust mode only) or the onsets detected on
    ``ref_wav``. Both tracks are cut or padded to ``duration_s`` (s; default: the reference's
    length, else the prediction's). Raises ValueError unless exactly one of ``ref_wav`` and
    ``gt_onsets_s`` is given (annotations in robust mode only); FoleyError for a track of
    another shape or with NaN or infinite samples, a rate that is no positive whole number and
    a duration that holds no sample.
    """
    if (ref_wav is None) == (gt_onsets_s is None):
        raise ValueError("give exactly one of ref_wav or gt_onsets_s")
    if gt_onsets_s is not None and cfg.mode == "reference":
        raise ValueError("reference mode detects ground-truth onsets on the reference audio; annotations are robust-mode only")
    ref_sample_rate = ref_sample_rate or sample_rate
    pred_wav = _checked_track(pred_wav, sample_rate, "the generated audio")
    if ref_wav is not None:
        ref_wav = _checked_track(ref_wav, ref_sample_rate, "the reference audio")
    sr = cfg.sample_rate
    if duration_s is None:
        duration_s = ref_wav.shape[-1] / ref_sample_rate if ref_wav is not None else pred_wav.shape[-1] / sample_rate
    n = int(round(duration_s * sr)) if math.isfinite(duration_s) else 0
    if n < 1:
        raise FoleyError(f"nothing to score: a duration of {duration_s:g} s holds no sample at {sr} Hz")
    pred = heard(prepare_audio(pred_wav, sample_rate, cfg, n), cfg)
    if ref_wav is not None:
        gt = detect_onsets(heard(prepare_audio(ref_wav, ref_sample_rate, cfg, n), cfg), sr,
                           cfg.detect_delta)
    else:
        gt = np.array([round(t * sr) for t in gt_onsets_s if 0 <= t < duration_s], dtype=np.int64)
    return score_onsets(gt, detect_onsets(pred, sr, cfg.detect_delta), pred, cfg)


def _checked_track(wav, sample_rate, what: str) -> np.ndarray:
    """``wav`` as float32 (N,) or (C, N); FoleyError naming ``what`` for audio of another shape (channels last
    among them), NaN or infinite samples, or a ``sample_rate`` that is no positive whole number of Hz."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Integral) or sample_rate <= 0:
        raise FoleyError(f"{what}: the sample rate must be a positive whole number of Hz, not {sample_rate!r}")
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim not in (1, 2) or (wav.ndim == 2 and not 0 < wav.shape[0] <= wav.shape[1]):
        raise FoleyError(f"{what}: expected audio (N,) or (C, N), channels first, got shape {wav.shape}")
    if not np.isfinite(wav).all():
        raise FoleyError(f"{what}: the audio has NaN or infinite samples")
    return wav


def mean_scores(scores: Sequence[OnsetScores]) -> dict:
    """Dataset figures: means over clips (NaN clips left out and counted)."""
    out: dict = {"n_clips": len(scores)}
    for key in ("onset_count_acc", "onset_detection_acc", "onset_ap"):
        values = np.array([getattr(s, key) for s in scores], dtype=np.float64)
        defined = values[~np.isnan(values)]
        out[key] = float(defined.mean()) if len(defined) else math.nan
        out[f"{key}_undefined_clips"] = int(np.isnan(values).sum())
    return out

