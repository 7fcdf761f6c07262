"""Copy synthesis: how closely each vocoder rebuilds real audio from its own mel.

For every clip in --clips (wav, flac, ogg, mp3, ...; any rate, mixed to mono) and every vocoder: the
clip is resampled to the vocoder's rate, its log-mel computed with the vocoder's own mel
settings (``LogMel``: peak-normalized to 0.95), vocoded, and compared with that
peak-normalized reference:

- multi-resolution STFT distance (``foley.evaluation.stft_distance``: spectral
  convergence + log-magnitude L1 at FFT 512/1024/2048, hop 1/4), averaged over clips;
- energy relative to the reference, dB, over the whole band and above 4 kHz (medians over
  clips; the band reaches each vocoder's Nyquist frequency: 8 kHz at 16 kHz, 11 kHz at
  22.05 kHz);
- CPU seconds (all threads) and wall seconds per second of audio, torch on ``--threads``
  threads (default 2; a busy machine inflates both: idle torch threads spin);
- with --embedder, FAD of the vocoded clips against the references, each clip embedded at
  the lower of the two rates (a 16 kHz reference has nothing above 8 kHz, so a vocoder's
  output above 8 kHz is not counted against it); with --pca N, both sets
  projected first on the references' N leading principal components (aiSFX has 512
  dimensions, more than a test set of a few minutes has blocks).

Vocoders: Griffin-Lim (32 iterations) on the demo backbone's mel (16 kHz, 64 bands); and
for each --vocoder folder (one with ``mel_config.json``, e.g. written by ``foley
import-vocoder``) the vocoder itself and Griffin-Lim on its mel.

    python benchmarks/vocoder_copy.py --clips DIR --vocoder HIFIGAN_DIR [--vocoder DIR ...]
        [--embedder SPEC [--pca N]] [--json OUT] [--limit N] [--pictures DIR] [--threads 2]
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from foley.cli import OneLineErrors, add_threads, number_arg, one_line_errors, show_defaults
from foley.errors import FoleyError
from foley.evaluation.embedders import embed_audio, get_embedder
from foley.evaluation.fad import embedding_stats, frechet_distance
from foley.evaluation.stft_distance import FFT_SIZES, stft_distance
from foley.media.audio import AUDIO_SUFFIXES, read_audio, resample, spectrogram_db
from foley.media.files import atomic_write_text, check_writable
from foley.models.mel import LogMel, MelConfig
from foley.models.vocoder import GriffinLimConfig, GriffinLimVocoder, load_vocoder, vocoder_mel_config

HIGH_BAND_HZ = 4000.0
PICTURE_CLIPS = 3


@dataclass
class Entry:
    """One vocoder and its mel, with the per-clip results gathered for it."""
    name: str
    vocoder: torch.nn.Module
    mel: MelConfig
    clips: list[dict] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)


def demo_mel() -> MelConfig:
    path = resources.files("foley").joinpath("assets/demo/backbone/mel_config.json")
    return MelConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))


def build_entries(vocoder_dirs: list[str], gl_iters: int = 32) -> list[Entry]:
    """Griffin-Lim on the demo mel; per folder, Griffin-Lim on its mel (once per distinct mel), then its vocoder."""
    def griffin_lim(mel: MelConfig) -> Entry:
        voc = GriffinLimVocoder(GriffinLimConfig(mel=mel, n_iter=gl_iters)).eval()
        return Entry(f"griffin-lim {gl_iters} it ({mel.sample_rate} Hz, {mel.n_mels} mels)", voc, mel)

    entries = [griffin_lim(demo_mel())]
    for directory in vocoder_dirs:
        mel = vocoder_mel_config(directory)
        if mel is None:
            raise FoleyError(f"{directory}: no mel_config.json (the mel the vocoder expects)")
        if all(e.mel != mel for e in entries):
            entries.append(griffin_lim(mel))
        entries.append(Entry(Path(directory).name, load_vocoder(directory).eval(), mel))
    return entries


def long_enough(entries: list[Entry], n_samples: int, rate: int) -> bool:
    """Whether a clip of ``n_samples`` at ``rate`` has, at every vocoder's rate, more samples than the
    mel's reflect padding ((n_fft - hop) / 2) and than the STFT distance's (half its largest FFT)."""
    return all(n_samples * e.mel.sample_rate // rate > max((e.mel.n_fft - e.mel.hop_length) // 2, max(FFT_SIZES) // 2)
               for e in entries)


def peak_normalize(wav: np.ndarray, peak: float) -> np.ndarray:
    """As ``LogMel`` does before its STFT: the largest magnitude becomes ``peak`` (silence stays silent)."""
    return wav / max(float(np.abs(wav).max()), 1e-12) * peak


def band_db(estimate: np.ndarray, reference: np.ndarray, sample_rate: int, above_hz: float = 0.0) -> float:
    """10 log10 of the STFT energy from ``above_hz`` up of ``estimate`` over ``reference`` (N,), dB."""
    def energy(wav: np.ndarray) -> float:
        x = torch.from_numpy(np.asarray(wav, np.float64))
        spec = torch.stft(x, 1024, 256, window=torch.hann_window(1024, dtype=torch.float64), return_complex=True)
        freqs = torch.fft.rfftfreq(1024, 1.0 / sample_rate)
        return float(spec[freqs >= above_hz].abs().pow(2).sum())

    return 10.0 * np.log10(max(energy(estimate), 1e-12) / max(energy(reference), 1e-12))


def copy_synthesis(entry: Entry, wav: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(vocoded, peak-normalized reference cut to the same length, CPU s, wall s), at the vocoder's rate."""
    mel = entry.mel
    ref = peak_normalize(resample(wav, rate, mel.sample_rate), mel.peak)
    logmel = LogMel(mel)(torch.from_numpy(ref)[None])  # (1, n_mels, T)
    cpu, wall = time.process_time(), time.perf_counter()
    with torch.no_grad():
        out = entry.vocoder(logmel)[0].numpy()  # (T * hop,)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = min(len(out), len(ref))
    return out[:n], ref[:n], cpu, wall


def draw(path: Path, name: str, ref: np.ndarray, ref_rate: int, outputs: list[tuple[str, np.ndarray, int]]) -> None:
    """Spectrograms of the reference and each vocoder's output, one row each, in dB from -80 to 0 relative
    to the row's own loudest bin (levels are compared in the table, not here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("reference", ref, ref_rate)] + outputs
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, 2.0 * len(rows)), sharex=True, squeeze=False)
    for ax, (title, wav, rate) in zip(axes[:, 0], rows):
        db = spectrogram_db(wav)  # (513, frames)
        ax.imshow(db, origin="lower", aspect="auto", vmin=-80, vmax=0, cmap="magma",
                  extent=(0, len(wav) / rate, 0, rate / 2000))
        ax.set_ylim(0, ref_rate / 2000)
        ax.set_ylabel("kHz")
        ax.set_title(title, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel(f"{name}: seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", required=True, help="folder of audio files (wav, flac, ogg, mp3, ...)")
    ap.add_argument("--vocoder", action="append", default=[], help="vocoder folder with mel_config.json (repeatable)")
    ap.add_argument("--embedder", help="FAD embedder, e.g. logmel or aisfx:DIR (default: no FAD)")
    ap.add_argument("--pca", type=number_arg(0, integer=True),
                    help="FAD on this many principal components of the reference embeddings")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--limit", type=number_arg(1, integer=True), help="only the first N clips (sorted by name)")
    ap.add_argument("--pictures", help=f"folder for spectrogram pictures of the first {PICTURE_CLIPS} clips")
    ap.add_argument("--gl-iters", type=number_arg(1, integer=True), default=32,
                    help="Griffin-Lim iterations (default: 32)")
    add_threads(ap, default=2)
    args = show_defaults(ap).parse_args(argv)
    if args.json:
        check_writable(args.json)  # a bad --json fails now, not after the copy synthesis
    torch.set_num_threads(args.threads)
    clips = sorted(p for p in Path(args.clips).iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)[:args.limit]
    if not clips:
        raise FoleyError(f"{args.clips}: no audio files ({', '.join(AUDIO_SUFFIXES[:4])}, ...)")
    entries = build_entries(args.vocoder, args.gl_iters)
    embedder = get_embedder(args.embedder) if args.embedder else None
    ref_embeddings, skipped = [], []
    if args.pictures:
        Path(args.pictures).mkdir(parents=True, exist_ok=True)
    picture_rate = max(e.mel.sample_rate for e in entries)
    for i, path in enumerate(clips):
        wav, rate = read_audio(path, sample_rate=None)
        if not long_enough(entries, len(wav), rate):
            skipped.append(path.name)
            print(f"[{i + 1}/{len(clips)}] {path.name}: skipped, too short ({len(wav) / rate:.3f} s)", flush=True)
            continue
        if embedder is not None:
            ref_embeddings.append(embed_audio(embedder, peak_normalize(wav, entries[0].mel.peak), rate))
        pictures = []
        for e in entries:
            out, ref, cpu, wall = copy_synthesis(e, wav, rate)
            seconds = len(out) / e.mel.sample_rate
            e.clips.append({"clip": path.name, "duration_s": seconds, **stft_distance(out, ref).to_dict(),
                            "level_db": band_db(out, ref, e.mel.sample_rate),
                            "high_band_db": band_db(out, ref, e.mel.sample_rate, HIGH_BAND_HZ),
                            "cpu_s_per_s": cpu / seconds, "wall_s_per_s": wall / seconds})
            if embedder is not None:  # at the reference's rate: no vocoder is credited or blamed for a band it lacks
                e.embeddings.append(embed_audio(embedder, resample(out, e.mel.sample_rate, min(rate, e.mel.sample_rate)),
                                                min(rate, e.mel.sample_rate)))
            pictures.append((e.name, out, e.mel.sample_rate))
        if args.pictures and i - len(skipped) < PICTURE_CLIPS:
            ref = peak_normalize(resample(wav, rate, picture_rate), entries[0].mel.peak)
            draw(Path(args.pictures) / f"{path.stem}.png", path.name, ref, picture_rate, pictures)
        print(f"[{i + 1}/{len(clips)}] {path.name}", flush=True)

    if not entries[0].clips:
        raise FoleyError(f"{args.clips}: every clip is too short")
    project = lambda x: x  # noqa: E731
    if embedder is not None and args.pca:
        refs = np.concatenate(ref_embeddings)
        center = refs.mean(axis=0)
        basis = np.linalg.svd(refs - center, full_matrices=False)[2][: args.pca].T  # (D, pca)
        project = lambda x: (x - center) @ basis  # noqa: E731
    results = {"clips": len(clips) - len(skipped), "skipped": skipped, "pca": args.pca,
               "audio_s": sum(c["duration_s"] for c in entries[0].clips),
               "embedder": embedder.name if embedder else None, "vocoders": []}
    print(f"\n{'vocoder':<40} {'rate':>6} {'SC':>6} {'logmag':>7} {'total':>6} {'level dB':>9} {'>4kHz dB':>9} "
          f"{'cpu s/s':>8} {'wall s/s':>8} {'FAD':>8}")
    for e in entries:
        mean = {k: float(np.mean([c[k] for c in e.clips])) for k in ("spectral_convergence", "log_magnitude", "total")}
        seconds = sum(c["duration_s"] for c in e.clips)
        summary = {"name": e.name, "sample_rate": e.mel.sample_rate, "n_mels": e.mel.n_mels, **mean,
                   "level_db_median": float(np.median([c["level_db"] for c in e.clips])),
                   "high_band_db_median": float(np.median([c["high_band_db"] for c in e.clips])),
                   "cpu_s_per_s": sum(c["cpu_s_per_s"] * c["duration_s"] for c in e.clips) / seconds,
                   "wall_s_per_s": sum(c["wall_s_per_s"] * c["duration_s"] for c in e.clips) / seconds,
                   "fad": None, "per_clip": e.clips}
        if embedder is not None:
            try:
                summary["fad"] = frechet_distance(embedding_stats(project(np.concatenate(e.embeddings)), e.name),
                                                  embedding_stats(project(np.concatenate(ref_embeddings)), "references"))
            except FoleyError as err:
                summary["fad_error"] = str(err).replace("foley eval fad --pca", "--pca")  # this script's option
        results["vocoders"].append(summary)
        fad = "n/a" if summary["fad"] is None else f"{summary['fad']:.3f}"
        print(f"{e.name:<40} {e.mel.sample_rate:>6} {mean['spectral_convergence']:>6.3f} {mean['log_magnitude']:>7.3f} "
              f"{mean['total']:>6.3f} {summary['level_db_median']:>+9.1f} {summary['high_band_db_median']:>+9.1f} "
              f"{summary['cpu_s_per_s']:>8.3f} {summary['wall_s_per_s']:>8.3f} {fad:>8}")
        if "fad_error" in summary:
            print(f"  FAD: {summary['fad_error']}")
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    one_line_errors(lambda argv: main(argv) and None, "vocoder_copy.py")  # main returns the results, not a status
