"""`foley eval report`: one folder with JSON, a Markdown summary and an HTML page."""
from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import FoleyError
from ..media.audio import spectrogram_db
from ..media.files import atomic_paths
from .embedders import Cnn14
from .mkl import evaluate_mkl
from .onset import OnsetConfig, detect_onsets, heard, prepare_audio
from .scoring import Pair, clip_audio, evaluate_fad, evaluate_onsets, pair_files, results_json

FIGURES = ("onset_count_acc", "onset_detection_acc", "onset_ap")
HEADERS = ("onset-count acc", "detection acc", "AP")


def published_avsync15() -> dict:
    """The Audio-Agent paper's AVSync15 table (Onset Acc / AP in %)."""
    return json.loads(resources.files("foley").joinpath("assets/avsync15_published.json").read_text())


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _rows(results: dict) -> list[tuple[str, dict]]:
    rows = [("all", results["summary"])]
    return rows + sorted(results["per_class"].items())


def _clip_figure(pair: Pair, gt: str, cfg: OnsetConfig) -> str:
    """PNG (base64) of the reference and generated waveforms and the generated spectrogram,
    with ground-truth (green) and predicted (red, dashed) onsets as ``cfg``'s scores count them
    (a track under SILENT_PEAK_DBFS has none; annotations within the clip)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sr = cfg.sample_rate
    ref_raw, ref_sr = clip_audio(pair.ref)  # as the scores hear it: a video's track on its picture's clock
    duration = (pair.sidecar or {}).get("duration_s") or len(ref_raw) / ref_sr
    n = int(round(duration * sr))
    ref = prepare_audio(ref_raw, ref_sr, cfg, n)
    pred_raw, pred_sr = clip_audio(pair.pred)
    pred = prepare_audio(pred_raw, pred_sr, cfg, n)
    gt_s = (np.array([t for t in pair.sidecar["onsets_s"] if 0 <= t < duration]) if gt == "annotated"
            else detect_onsets(heard(ref, cfg), sr, cfg.detect_delta) / sr)
    pred_s = detect_onsets(heard(pred, cfg), sr, cfg.detect_delta) / sr
    t = np.arange(n) / sr

    fig, axes = plt.subplots(3, 1, figsize=(9, 4.2), sharex=True, gridspec_kw={"height_ratios": [1, 1, 1.6]})
    for ax, wav, label in ((axes[0], ref, "reference"), (axes[1], pred, "generated")):
        ax.plot(t, wav, lw=0.5, color="#4a6fa5")
        ax.set_ylabel(label, fontsize=8)
        ax.set_yticks([])
    spec = spectrogram_db(pred)
    axes[2].imshow(spec, origin="lower", aspect="auto", cmap="magma", extent=(0, duration, 0, sr / 2 / 1000), vmin=-80, vmax=0)
    axes[2].set_ylabel("generated kHz", fontsize=8)
    axes[2].set_xlabel("seconds", fontsize=8)
    for ax in axes:
        for x in gt_s:
            ax.axvline(x, color="#2ca02c", lw=1.2)
        for x in pred_s:
            ax.axvline(x, color="#d62728", lw=1.0, ls="--")
        ax.tick_params(labelsize=7)
    fig.tight_layout(h_pad=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _table_md(title: str, results: dict) -> list[str]:
    lines = [f"### {title}", "", "| clips | " + " | ".join(HEADERS) + " | n |", "|---|---|---|---|---|"]
    for name, s in _rows(results):
        lines.append(f"| {name} | " + " | ".join(_fmt(s[k]) for k in FIGURES) + f" | {s['n_clips']} |")
    return lines + ([f"_{_undefined(results)}_", ""] if _undefined(results) else [""])


def _undefined(results: dict) -> str:
    """A note on clips left out of the means (no reference onsets, reference mode)."""
    n = results["summary"].get("onset_ap_undefined_clips", 0)
    return f"{n} clip(s) without reference onsets left out of detection acc and AP (undefined)" if n else ""


def _table_html(title: str, results: dict) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("clips", *HEADERS, "n"))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{_fmt(s[k])}</td>" for k in FIGURES)
        + f"<td>{s['n_clips']}</td></tr>" for name, s in _rows(results))
    note = f"<p class=note>{html.escape(_undefined(results))}</p>" if _undefined(results) else ""
    return f"<h3>{html.escape(title)}</h3><table><tr>{head}</tr>{body}</table>{note}"


def _paper_rows(reference: dict) -> list[tuple[str, str, str]]:
    rows = [(r["method"], f"{r['onset_acc']:.2f}", f"{r['onset_ap']:.2f}") for r in published_avsync15()["rows"]]
    s = reference["summary"]
    return rows + [("this run (reference mode; Acc = onset-count acc)",
                    f"{100 * s['onset_count_acc']:.2f}", f"{100 * s['onset_ap']:.2f}")]


CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}.clip{margin:1.2em 0}
.note{color:#555;font-size:.9em}.legend span{display:inline-block;margin-right:1.5em}"""


def _optional(metric: str, role: str, evaluate, pred_dir, ref_dir, model) -> dict | None:
    """``evaluate(pred_dir, ref_dir, model)``, or None without a model; a failure is reported
    in the result (the onset tables still get written)."""
    if model is None:
        return None
    try:
        return evaluate(pred_dir, ref_dir, model)
    except FoleyError as e:
        return {"metric": metric, role: model.name, "error": str(e)}


REPORT_FILES = ("report.json", "report.md", "index.html")


def _check_replaceable(out_dir: Path) -> None:
    """Raises FoleyError when writing a report into ``out_dir`` would replace a file of one of
    REPORT_FILES' names that no earlier report wrote (its report.json is not a report's)."""
    present = [out_dir / name for name in REPORT_FILES if (out_dir / name).exists()]
    if not present:
        return
    try:
        earlier = json.loads((out_dir / "report.json").read_text())
        ours = isinstance(earlier, dict) and {"robust", "reference", "n_clips"} <= earlier.keys()
    except (OSError, ValueError):
        ours = False
    if not ours:
        raise FoleyError(f"{present[0]}: exists and is not part of an earlier report; choose another output folder")


def write_report(pred_dir: str | os.PathLike, ref_dir: str | os.PathLike, out_dir: str | os.PathLike,
                 cfg: OnsetConfig = OnsetConfig(), gt: str = "auto", embedder=None, max_plots: int = 12,
                 workers: int | None = None, mkl_classifier=None, fad_pca: int = 0) -> dict:
    """Evaluate and write report.json, report.md and index.html into ``out_dir``.

    ``embedder`` (FAD, on ``fad_pca`` principal components if given: ``evaluate_fad``) and
    ``mkl_classifier`` (MKL, a PANNs Cnn14) are optional; a PANNs embedder also serves for MKL
    when no classifier is given. A FAD that cannot be computed is said in the report, but with
    ``fad_pca`` it raises FoleyError (nothing is written).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FoleyError(f"{out_dir}: exists and is not a folder")
    _check_replaceable(out_dir)
    pairs = pair_files(pred_dir, ref_dir)
    fad = _optional("fad", "embedder", partial(evaluate_fad, pca_dims=fad_pca), pred_dir, ref_dir, embedder)
    if fad and "error" in fad:  # its hint names this command's option, in the report as on the terminal
        fad["error"] = fad["error"].replace("foley eval fad --pca", "foley eval report --pca")
        if fad_pca:  # FAD on principal components was asked for: no report without it (said before the onsets)
            raise FoleyError(fad["error"])
    robust_cfg = OnsetConfig(**{**cfg.__dict__, "mode": "robust"})
    robust = evaluate_onsets(pairs, robust_cfg, gt=gt, workers=workers)
    reference = evaluate_onsets(pairs, OnsetConfig(**{**cfg.__dict__, "mode": "reference"}), gt="detected", workers=workers)
    if mkl_classifier is None and isinstance(getattr(embedder, "model", None), Cnn14):
        mkl_classifier = embedder
    mkl = _optional("mkl", "classifier", evaluate_mkl, pred_dir, ref_dir, mkl_classifier)
    is_avsync = all((p.sidecar or {}).get("dataset") == "avsync15" for p in pairs)
    report = {"pred": str(pred_dir), "ref": str(ref_dir), "n_clips": len(pairs), "robust": robust,
              "reference": reference, "fad": fad, "mkl": mkl, "dataset": "avsync15" if is_avsync else None}

    gt_name = "annotated" if robust["ground_truth"] == "annotated" else "detected on the reference audio"
    tolerance = f"{cfg.delta_s} s{' (multi-delta)' if cfg.multi_delta else ''}"  # the page says it as the summary does
    md = [f"# Evaluation: {pred_dir} vs {ref_dir}", "", f"{len(pairs)} clip pairs. Matching tolerance {tolerance}.", ""]
    md += _table_md(f"Robust mode (ground truth {gt_name})", robust)
    md += _table_md("Reference mode (CondFoleyGen protocol, detected ground truth)", reference)
    if fad:
        md += ["### FAD", "", f"- embedder `{fad['embedder']}`: " + (f"{fad['fad']:.4f}" if "fad" in fad else fad["error"]), ""]
    if mkl:
        md += ["### MKL", "", f"- classifier `{mkl['classifier']}` (KL of the sigmoid class outputs, real || generated, "
               "mean over pairs): " + (f"{mkl['mkl']:.4f}" if "mkl" in mkl else mkl["error"]), ""]
    if is_avsync:
        md += ["### AVSync15, published (%)", "", "| method | Onset Acc | Onset AP |", "|---|---|---|"]
        md += [f"| {m} | {a} | {p} |" for m, a, p in _paper_rows(reference)] + [""]

    parts = [f"<!doctype html><meta charset=utf-8><title>foley evaluation</title><style>{CSS}</style>",
             f"<h1>Evaluation</h1><p>{len(pairs)} clip pairs: generated <code>{html.escape(str(pred_dir))}</code> vs "
             f"reference <code>{html.escape(str(ref_dir))}</code>; tolerance {tolerance}.</p>",
             _table_html(f"Robust mode (ground truth {gt_name})", robust),
             _table_html("Reference mode (CondFoleyGen protocol, detected ground truth)", reference)]
    if fad:
        value = f"{fad['fad']:.4f}" if "fad" in fad else html.escape(fad["error"])
        parts.append(f"<h3>FAD</h3><p>embedder <code>{fad['embedder']}</code>: <b>{value}</b></p>")
    if mkl:
        value = f"{mkl['mkl']:.4f}" if "mkl" in mkl else html.escape(mkl["error"])
        parts.append(f"<h3>MKL</h3><p>classifier <code>{mkl['classifier']}</code> (KL of the sigmoid class outputs, "
                     f"real || generated, mean over pairs): <b>{value}</b></p>")
    if is_avsync:
        rows = "".join(f"<tr><td>{html.escape(m)}</td><td>{a}</td><td>{p}</td></tr>" for m, a, p in _paper_rows(reference))
        parts.append(f"<h3>AVSync15: the paper's table (%)</h3><table><tr><th>method</th><th>Onset Acc</th>"
                     f"<th>Onset AP</th></tr>{rows}</table><p class=note>{html.escape(published_avsync15()['note'])}</p>")
    shown = sorted(robust["clips"], key=lambda c: (c["onset_ap"], c["stem"]))[:max_plots]
    by_stem = {p.stem: p for p in pairs}
    parts.append(f"<h2>Clips</h2><p class=legend><span style='color:#2ca02c'>&#9474; ground-truth onsets</span>"
                 f"<span style='color:#d62728'>&#9478; generated onsets</span>the {len(shown)} lowest-AP clips</p>")
    for c in shown:
        png = _clip_figure(by_stem[c["stem"]], robust["ground_truth"], robust_cfg)  # the clips shown are robust's
        parts.append(f"<div class=clip><b>{html.escape(c['stem'])}</b> {html.escape(c['class'] or '')} &mdash; "
                     + ", ".join(f"{h} {_fmt(c[k])}" for h, k in zip(HEADERS, FIGURES))
                     + f"<br><img alt='{html.escape(c['stem'])}' src='data:image/png;base64,{png}'></div>")

    out_dir.mkdir(parents=True, exist_ok=True)
    texts = (results_json(report), "\n".join(md), "\n".join(parts) + "\n")
    with atomic_paths([out_dir / name for name in REPORT_FILES]) as tmps:  # all three in place, or none
        for tmp, text in zip(tmps, texts):
            tmp.write_text(text, encoding="utf-8")
    return report
