import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from foley.datasets.synthsync import generate
from foley.errors import FoleyError
from foley.evaluation.onset import OnsetConfig
from foley.evaluation.report import write_report
from foley.evaluation.scoring import evaluate_onsets, pair_files


@pytest.fixture(scope="module")
def synth_test(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth_eval")
    generate(root, n_train=0, n_test=8, seed=11, workers=2, progress=False)
    return root / "test"


def copy_wavs(src, dst, shift_s=0.0, noise=0.0, seed=0):
    dst.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for f in sorted(src.glob("*.wav")):
        x, sr = sf.read(f)
        n = int(shift_s * sr)
        if n:
            x = np.concatenate([np.zeros(n), x[:-n]])
        sf.write(dst / f.name, np.clip(x + noise * rng.standard_normal(len(x)), -1, 1), sr)
    return dst


def test_pairing_prefers_wav_and_lists_unpaired(synth_test, tmp_path):
    pairs = pair_files(synth_test, synth_test)
    assert len(pairs) == 8 and all(p.pred.suffix == ".wav" and p.sidecar["onsets_s"] for p in pairs)
    pred = copy_wavs(synth_test, tmp_path / "pred")
    (pred / "extra_clip.wav").write_bytes((pred / pairs[0].pred.name).read_bytes())
    (pred / pairs[1].pred.name).unlink()
    with pytest.raises(FoleyError) as err:
        pair_files(pred, synth_test)
    msg = str(err.value)
    assert "1 generated file(s) have no reference" in msg and "extra_clip" in msg
    assert f"1 reference file(s) have no generated counterpart in {pred}: {pairs[1].stem}" in msg


@pytest.mark.parametrize("gt", ["annotated", "detected"])
def test_ground_truth_scores_perfectly(synth_test, gt):
    result = evaluate_onsets(pair_files(synth_test, synth_test), gt=gt, workers=2)
    s = result["summary"]
    assert result["ground_truth"] == gt and s["n_clips"] == 8
    assert (s["onset_count_acc"], s["onset_detection_acc"], s["onset_ap"]) == (1.0, 1.0, 1.0)
    assert set(result["per_class"]) == {c["class"] for c in result["clips"]}


def test_shifted_copies_are_missed(synth_test, tmp_path):
    pred = copy_wavs(synth_test, tmp_path / "late", shift_s=0.2)
    s = evaluate_onsets(pair_files(pred, synth_test), workers=1)["summary"]
    assert s["onset_detection_acc"] == 0.0 and s["onset_ap"] < 0.6


def test_pairs_not_as_long_as_their_reference_are_listed(synth_test, tmp_path):
    pred = copy_wavs(synth_test, tmp_path / "cut")
    assert evaluate_onsets(pair_files(pred, synth_test), workers=1)["length_mismatches"] == []
    first = sorted(pred.glob("*.wav"))[0]
    x, sr = sf.read(first)
    sf.write(first, x[:sr], sr)  # 1 s of a 4 s clip
    for gt in ("annotated", "detected"):
        odd = evaluate_onsets(pair_files(pred, synth_test), gt=gt, workers=1)["length_mismatches"]
        assert odd == [{"stem": first.stem, "pred_s": 1.0, "ref_s": 4.0}]


def test_unreadable_files_are_listed(synth_test, tmp_path):
    pred = copy_wavs(synth_test, tmp_path / "broken")
    names = sorted(pred.glob("*.wav"))[:2]
    for f in names:
        f.write_text("not audio")
    with pytest.raises(FoleyError, match="2 file\\(s\\) could not be read") as err:
        evaluate_onsets(pair_files(pred, synth_test), workers=1)
    assert all(f.name in str(err.value) for f in names)
    from foley.evaluation.embedders import get_embedder
    from foley.evaluation.scoring import evaluate_fad

    with pytest.raises(FoleyError, match="2 file\\(s\\) could not be read") as err:  # FAD names them all too
        evaluate_fad(pred, synth_test, get_embedder("logmel"))
    assert all(f.name in str(err.value) for f in names)


def test_an_unreadable_file_of_one_folder_given_as_both_sides_is_listed_once(synth_test, tmp_path, capsys):
    """`foley eval report --pca K` read it as the generated file and as its reference: listed twice."""
    from foley.cli import main

    both = copy_wavs(synth_test, tmp_path / "both")
    broken = sorted(both.glob("*.wav"))[0]
    broken.write_text("not audio")
    assert main(["eval", "report", "--pred", str(both), "--ref", str(both), "--out", str(tmp_path / "report"),
                 "--pca", "2", "--threads", "1"]) == 2
    err = capsys.readouterr().err
    assert "1 file(s) could not be read: " in err and err.count(str(broken)) == 1


def test_a_file_with_nan_samples_is_listed_not_scored(synth_test, tmp_path):
    pred = copy_wavs(synth_test, tmp_path / "nan")
    first = sorted(pred.glob("*.wav"))[0]
    x, sr = sf.read(first, dtype="float32")
    x[100:200] = np.nan
    sf.write(first, x, sr, subtype="FLOAT")
    with pytest.raises(FoleyError, match=f"1 file\\(s\\) could not be read: {first}: the audio has NaN or infinite"):
        evaluate_onsets(pair_files(pred, synth_test), workers=1)
    x[100:200] = 1e20  # past float32 spectrograms' range: it would score no onsets
    sf.write(first, x, sr, subtype="FLOAT")
    with pytest.raises(FoleyError, match=f"could not be read: {first}: the audio peaks at \\+400 dBFS; float audio is at "
                                         "full scale at 1, and a file over \\+60 dBFS holds no recording"):
        evaluate_onsets(pair_files(pred, synth_test), workers=1)
    x[100:200] = 2.0  # over full scale, as float files may be: read
    sf.write(first, x, sr, subtype="FLOAT")
    assert len(evaluate_onsets(pair_files(pred, synth_test), workers=1)["clips"]) == len(list(pred.glob("*.wav")))


@pytest.mark.parametrize("text, said", [
    ("{bad", "not a readable annotation file"),
    ("[1, 2]", "the annotation file must hold a JSON object, got list"),
    ('{"onsets_s": "abc"}', "onsets_s must be a list of times >= 0 in seconds, got 'abc'"),
    ('{"onsets_s": [1, null]}', "onsets_s must be a list of times >= 0 in seconds, got [1, None]"),
    ('{"onsets_s": [-0.5]}', "onsets_s must be a list of times >= 0"),
    ('{"onsets_s": [1], "duration_s": 0}', "duration_s must be a time > 0 in seconds, got 0"),
    ('{"onsets_s": [1], "class": 3}', "class must be a class name (text), got 3"),
    ('{"onsets_s": [1], "class": ["ball"]}', "class must be a class name (text), got ['ball']"),
])
def test_a_bad_annotation_file_is_named(synth_test, tmp_path, text, said):
    ref = tmp_path / "ref"
    shutil.copytree(synth_test, ref)
    side = sorted(ref.glob("*.json"))[0]
    side.write_text(text)
    with pytest.raises(FoleyError, match=f"^{side}: {re.escape(said)}"):
        pair_files(synth_test, ref)


def test_reference_mode_rejects_annotations(synth_test):
    with pytest.raises(FoleyError, match="--gt annotated is for --mode robust"):
        evaluate_onsets(pair_files(synth_test, synth_test), OnsetConfig(mode="reference"), gt="annotated")


def test_report_folder(synth_test, tmp_path):
    pred = copy_wavs(synth_test, tmp_path / "noisy", shift_s=0.03, noise=0.01)
    report = write_report(pred, synth_test, tmp_path / "report", max_plots=2, workers=1)
    page = (tmp_path / "report" / "index.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "Reference mode" in page and "AVSync15" not in page
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["robust"]["summary"]["n_clips"] == 8 and data["fad"]["embedder"] == "logmel-stats" if data["fad"] else True
    assert "| all |" in (tmp_path / "report" / "report.md").read_text()
    assert report["robust"]["ground_truth"] == "annotated"
    write_report(pred, synth_test, tmp_path / "report", max_plots=0, workers=1)  # an earlier report is replaced


def test_the_report_page_and_summary_name_the_same_tolerance(synth_test, tmp_path):
    write_report(synth_test, synth_test, tmp_path / "r", OnsetConfig(delta_s=0.2, multi_delta=True), max_plots=0,
                 workers=1)
    assert "Matching tolerance 0.2 s (multi-delta)." in (tmp_path / "r" / "report.md").read_text()
    assert "tolerance 0.2 s (multi-delta).</p>" in (tmp_path / "r" / "index.html").read_text()


def test_a_report_never_replaces_files_it_did_not_write(synth_test, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>my page</p>")
    with pytest.raises(FoleyError, match=f"^{re.escape(str(site / 'index.html'))}: exists and is not part of an "
                                         "earlier report; choose another output folder$"):
        write_report(synth_test, synth_test, site, max_plots=0, workers=1)
    assert (site / "index.html").read_text() == "<p>my page</p>" and sorted(p.name for p in site.iterdir()) == ["index.html"]
    (site / "report.json").write_text("[1, 2]")  # JSON, but no report's
    with pytest.raises(FoleyError, match="report.json: exists and is not part of an earlier report"):
        write_report(synth_test, synth_test, site, max_plots=0, workers=1)


def test_report_shows_paper_table_for_avsync15(synth_test, tmp_path):
    ref = tmp_path / "ref"
    shutil.copytree(synth_test, ref)
    for side in ref.glob("*.json"):
        data = json.loads(side.read_text())
        side.write_text(json.dumps({**data, "dataset": "avsync15"}))
    write_report(ref, ref, tmp_path / "r", max_plots=0, workers=1)
    page = (tmp_path / "r" / "index.html").read_text()
    assert "the paper&#x27;s table" in page or "the paper's table" in page
    assert "69.38" in page and "this run (reference mode" in page


def test_cli_eval_errors_are_one_line(tmp_path, synth_test):
    proc = subprocess.run([sys.executable, "-m", "foley", "eval", "onset", "--pred", str(tmp_path / "none"),
                           "--ref", str(synth_test)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip() == f"foley: error: {tmp_path / 'none'}: no such folder"
    (tmp_path / "one.wav").write_bytes(b"RIFF")
    proc = subprocess.run([sys.executable, "-m", "foley", "eval", "onset", "--pred", str(tmp_path / "one.wav"),
                           "--ref", str(synth_test)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip() == (f"foley: error: {tmp_path / 'one.wav'}: a file, not a folder "
                                                            "(the files of two folders are paired by name)")
    proc = subprocess.run([sys.executable, "-m", "foley", "eval", "onset", "--pred", str(synth_test),
                           "--ref", str(synth_test), "--json", str(tmp_path / "o.json")], capture_output=True, text=True)
    assert proc.returncode == 0 and "AP 1.0000" in proc.stdout
    assert json.loads((tmp_path / "o.json").read_text())["summary"]["onset_ap"] == 1.0
    sidecar = next(synth_test.glob("*.json"))  # a reference's annotated onsets: never replaced by results
    kept = sidecar.read_bytes()
    codes = []
    for target in (tmp_path / "o.json", sidecar):  # results again: replaced; anything else: refused
        proc = subprocess.run([sys.executable, "-m", "foley", "eval", "onset", "--pred", str(synth_test),
                               "--ref", str(synth_test), "--json", str(target)], capture_output=True, text=True)
        codes.append(proc.returncode)
    assert codes == [0, 2] and proc.stdout == "" and proc.stderr == (
        f"foley: error: {sidecar}: exists and holds no results of foley eval; --json replaces only those "
        "(choose another name)\n")
    assert sidecar.read_bytes() == kept and json.loads((tmp_path / "o.json").read_text())["written_by"] == "foley eval"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="--workers 2 needs two cores")
def test_worker_pool_on_an_empty_numba_cache_leaves_a_cache_a_new_process_can_use(synth_test, tmp_path):
    """librosa's compiled functions are cached in the environment; the pool must not race to
    write them (later processes then crashed on float64 onset detection)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    proc = subprocess.run([sys.executable, "-m", "foley", "eval", "onset", "--pred", str(synth_test), "--ref",
                           str(synth_test), "--mode", "reference", "--workers", "2"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0 and "AP 1.0000" in proc.stdout, proc.stderr
    assert any((tmp_path / "numba").rglob("*.nbi"))  # the cache was written
    later = ("import numpy as np, librosa\n"
             "t = np.arange(22050) / 22050\n"
             "y = np.sin(2 * np.pi * 1000 * t) * (np.mod(t, 0.25) < 0.02)\n"
             "print(len(librosa.onset.onset_detect(y=y, sr=22050, delta=0.3)), "
             "len(librosa.onset.onset_detect(y=y.astype(np.float32), sr=22050, delta=0.3)))")
    proc = subprocess.run([sys.executable, "-c", later], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    float64, float32 = proc.stdout.split()
    assert float64 == float32 and int(float64) >= 3  # tone bursts at 0.25, 0.5 and 0.75 s (and at 0)


def test_cli_names_the_tolerances_multi_delta_averages_over(synth_test, capsys):
    from foley.cli import main

    for mode, deltas in (("robust", "0.1"), ("reference", "0.1, 0.15")):  # the original's np.arange(0.1, 0.15, 0.05)
        assert main(["eval", "onset", "--pred", str(synth_test), "--ref", str(synth_test), "--mode", mode,
                     "--multi-delta", "--workers", "1"]) == 0
        assert f", deltas {deltas} s, 8 clips)" in capsys.readouterr().out
    assert main(["eval", "onset", "--pred", str(synth_test), "--ref", str(synth_test), "--delta", "0.25",
                 "--multi-delta", "--workers", "1"]) == 0
    assert "deltas 0.1, 0.15, 0.2, 0.25 s, 8 clips)" in capsys.readouterr().out
    assert main(["eval", "onset", "--pred", str(synth_test), "--ref", str(synth_test), "--delta", "10",
                 "--workers", "1"]) == 0
    assert ", delta 10 s, 8 clips)" in capsys.readouterr().out
    assert main(["eval", "onset", "--pred", str(synth_test), "--ref", str(synth_test), "--delta", "1e9"]) == 2
    assert capsys.readouterr().err.startswith("foley: error: delta must be at most 10 s, got 1e+09: ")


def test_cli_report_says_a_figure_it_could_not_compute(synth_test, tmp_path, capsys):
    """Eight 4 s clips give logmel FAD fewer embeddings than dimensions: the terminal and the report
    both say so, with the option of the command that was run."""
    from foley.cli import main

    out = tmp_path / "r"
    assert main(["eval", "report", "--pred", str(synth_test), "--ref", str(synth_test), "--out", str(out),
                 "--max-plots", "0", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "foley: warning: no FAD in the report: generated set: FAD needs more embeddings than dimensions" in err
    said = json.loads((out / "report.json").read_text())["fad"]["error"]
    for text in (err, said, (out / "report.md").read_text(), (out / "index.html").read_text()):
        assert "(foley eval report --pca K with K below" in text and "eval fad" not in text


def test_results_are_never_written_into_the_reference_folder(synth_test, tmp_path, capsys):
    """A report or a --json file inside --ref is refused before any scoring; inside --pred, listed for its audio
    alone, they are written and change no score."""
    from foley.cli import main

    pred = copy_wavs(synth_test, tmp_path / "pred")
    ref = shutil.copytree(synth_test, tmp_path / "ref")
    before = sorted(p.name for p in ref.rglob("*"))
    for metric, option, path in (("report", "--out", ref / "report"), ("report", "--out", ref),
                                 ("onset", "--json", ref / "scores.json"), ("fad", "--json", ref / "fad.json")):
        assert main(["eval", metric, "--pred", str(pred), "--ref", str(ref), option, str(path)]) == 2
        assert capsys.readouterr().err == (f"foley: error: {option} {path}: inside --ref {ref}, a folder being "
                                           "scored; write the results beside it (another path)\n")
    assert sorted(p.name for p in ref.rglob("*")) == before
    scores = []
    for json_path in (tmp_path / "onset.json", pred / "onset.json", pred / "onset.json"):  # the second run beside it
        assert main(["eval", "onset", "--pred", str(pred), "--ref", str(ref), "--json", str(json_path)]) == 0
        capsys.readouterr()
        scores.append(json.loads(json_path.read_text())["summary"])
    assert scores[0] == scores[1] == scores[2]


def test_cli_report_with_a_pca_that_cannot_apply_fails_in_one_line(synth_test, tmp_path, capsys):
    """--pca asks for FAD by name: a report without it (a warning, exit 0) was not what was asked for."""
    from foley.cli import main

    out = tmp_path / "r"
    assert main(["eval", "report", "--pred", str(synth_test), "--ref", str(synth_test), "--out", str(out),
                 "--max-plots", "0", "--workers", "1", "--pca", "128"]) == 2
    assert capsys.readouterr().err == ("foley: error: foley eval report --pca 128: logmel-stats embeddings have 128 "
                                       "dimensions; --pca keeps fewer of them (below 128; 0: all, no PCA)\n")
    assert not out.exists()


def test_cli_says_which_reference_made_auto_detect_the_onsets(synth_test, tmp_path, capsys):
    from foley.cli import main

    ref = tmp_path / "ref"
    shutil.copytree(synth_test, ref)
    side = sorted(ref.glob("*.json"))[0]
    side.write_text(json.dumps({k: v for k, v in json.loads(side.read_text()).items() if k != "onsets_s"}))
    result = evaluate_onsets(pair_files(synth_test, ref), workers=1)
    assert result["ground_truth"] == "detected" and result["unannotated"] == [side.stem]
    assert main(["eval", "onset", "--pred", str(synth_test), "--ref", str(ref), "--workers", "1"]) == 0
    assert (f"1 of 8 references have no annotated onsets (e.g. {side.stem}.json), so onsets were detected on "
            "every reference") in capsys.readouterr().err
    assert evaluate_onsets(pair_files(synth_test, synth_test), workers=1)["unannotated"] == []


def test_a_video_reference_is_cut_to_its_picture(synth_test, tmp_path):
    """An AAC track decodes to whole frames of 1,024 samples: a 4 s clip's mp4 holds 4.032 s of
    audio at 16 kHz, read as the 4 s its stream says it lasts. Scored against it, a clip is cut to
    the 4 s the picture lasts, as against its wav: a burst in the 32 ms past the clip is no onset of it."""
    from foley.media.audio import read_audio

    wavs, videos, pred = tmp_path / "wavs", tmp_path / "videos", tmp_path / "pred"
    for f in sorted(synth_test.glob("*.mp4"))[:3]:  # no sidecars: the onsets are detected on the references
        wavs.mkdir(exist_ok=True), videos.mkdir(exist_ok=True), pred.mkdir(exist_ok=True)
        shutil.copy(f, videos / f.name)
        shutil.copy(f.with_suffix(".wav"), wavs / f.with_suffix(".wav").name)
        x, sr = sf.read(f.with_suffix(".wav"))
        burst = 0.9 * np.random.default_rng(0).standard_normal(round(0.032 * sr))
        sf.write(pred / f.with_suffix(".wav").name, np.clip(np.concatenate([x, burst]), -1, 1), sr)
    assert len(read_audio(next(videos.glob("*.mp4")))[0]) == 4 * 16_000
    by_wav, by_video = (evaluate_onsets(pair_files(pred, refs), gt="detected", workers=1) for refs in (wavs, videos))
    assert by_video["clips"] == by_wav["clips"] and by_video["length_mismatches"] == []


@pytest.mark.parametrize("suffix, codec", [(".mp4", "aac"), (".webm", "libopus")])
def test_an_audio_only_video_file_is_scored_as_the_audio_it_holds(synth_test, tmp_path, suffix, codec):
    """An .mp4 or .webm without a picture (the audio of a download, a model's AAC output) is an
    audio file: read, not refused for having no picture to put its track on."""
    from foley.media.ffmpeg import run_ffmpeg

    pred, refs = tmp_path / "pred", tmp_path / "ref"
    pred.mkdir(), refs.mkdir()
    for f in sorted(synth_test.glob("*.wav"))[:2]:
        shutil.copy(f, refs / f.name)
        run_ffmpeg(["-i", str(f), "-c:a", codec, str(pred / f.with_suffix(suffix).name)], what=f.name)
    s = evaluate_onsets(pair_files(pred, refs), gt="detected", workers=1)["summary"]
    assert (s["onset_detection_acc"], s["onset_ap"]) == (1.0, 1.0)


def test_fad_on_principal_components_of_the_reference_embeddings(synth_test, tmp_path):
    from foley.evaluation.embedders import get_embedder
    from foley.evaluation.scoring import evaluate_fad

    logmel = get_embedder("logmel")  # 128-d: more than 8 clips of 4 s have windows
    with pytest.raises(FoleyError, match=r"FAD needs more embeddings than dimensions .*foley eval fad --pca"):
        evaluate_fad(synth_test, synth_test, logmel)
    from foley.evaluation.fad import embedding_stats

    with pytest.raises(FoleyError, match=r"got N=28, D=28\).*--pca K with K below 28, e.g. 14\)$"):  # a hint that works
        embedding_stats(np.ones((28, 28)))  # what --pca 28 gives 28 embeddings
    same = evaluate_fad(synth_test, synth_test, logmel, pca_dims=8)
    assert same["embedder"] == f"{logmel.name}-pca8" and abs(same["fad"]) < 1e-6
    noisy = copy_wavs(synth_test, tmp_path / "noisy", noise=0.05)
    assert evaluate_fad(noisy, synth_test, logmel, pca_dims=8)["fad"] > 1.0


def test_pca_beyond_the_sets_embeddings_or_their_dimensions_is_said_plainly(synth_test):
    from foley.evaluation.embedders import get_embedder
    from foley.evaluation.scoring import evaluate_fad

    logmel = get_embedder("logmel")  # 128 dimensions
    n = evaluate_fad(synth_test, synth_test, logmel, pca_dims=8)["n_embeddings"]["pred"]  # each set's, under 128
    with pytest.raises(FoleyError, match=rf"^foley eval fad --pca {n}: FAD on {n} principal components needs more than "
                                         rf"{n} logmel-stats embeddings in each set, and the generated set has {n}; "
                                         rf"give --pca {n - 1} or fewer \(e.g. {n // 2}\), or more or longer clips$"):
        evaluate_fad(synth_test, synth_test, logmel, pca_dims=n)
    with pytest.raises(FoleyError, match=r"^foley eval fad --pca 128: logmel-stats embeddings have 128 dimensions; "
                                         r"--pca keeps fewer of them \(below 128; 0: all, no PCA\)$"):
        evaluate_fad(synth_test, synth_test, logmel, pca_dims=128)
    with pytest.raises(FoleyError, match=r"covariance \(got N=\d+, D=128\); .* or FAD on K principal components "
                                         r"\(foley eval fad --pca K with K below"):  # none asked for: none "fewer"
        evaluate_fad(synth_test, synth_test, logmel)


def test_a_video_reference_whose_track_starts_late_is_heard_on_its_picture(synth_test, tmp_path):
    from foley.media.ffmpeg import run_ffmpeg

    source = sorted(synth_test.glob("*.mp4"))[0]
    refs, pred = tmp_path / "ref", tmp_path / "pred"
    refs.mkdir(), pred.mkdir()
    run_ffmpeg(["-i", str(source), "-itsoffset", "1", "-i", str(source.with_suffix(".wav")), "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", "-c:a", "aac", "-t", "4", str(refs / "late.mp4")], what="late")
    x, sr = sf.read(source.with_suffix(".wav"))
    sf.write(pred / "late.wav", np.concatenate([np.zeros(sr), x])[:4 * sr], sr)  # the track where the picture has it
    s = evaluate_onsets(pair_files(pred, refs), gt="detected", workers=1)["summary"]
    assert (s["onset_detection_acc"], s["onset_ap"]) == (1.0, 1.0)
    # the same late track on the generated side is heard late too: no longer on the onsets
    late_pred, on_time = tmp_path / "late_pred", tmp_path / "on_time"
    late_pred.mkdir(), on_time.mkdir()
    (late_pred / "late.mp4").symlink_to(refs / "late.mp4")
    sf.write(on_time / "late.wav", x[:4 * sr], sr)
    s = evaluate_onsets(pair_files(late_pred, on_time), gt="detected", workers=1)["summary"]
    assert s["onset_ap"] < 0.7 and s["onset_detection_acc"] < 0.7


def test_a_report_that_cannot_be_written_whole_leaves_the_earlier_one(synth_test, tmp_path):
    out = tmp_path / "report"
    write_report(synth_test, synth_test, out, max_plots=0, workers=1)
    before = (out / "report.json").read_bytes(), (out / "report.md").read_bytes()
    (out / "index.html").unlink()
    (out / "index.html").mkdir()  # the last of the three cannot be placed
    shifted = copy_wavs(synth_test, tmp_path / "shifted", shift_s=0.1)
    with pytest.raises(FoleyError, match="index.html: cannot be written"):
        write_report(shifted, synth_test, out, max_plots=0, workers=1)
    assert ((out / "report.json").read_bytes(), (out / "report.md").read_bytes()) == before


def test_a_clip_figure_draws_the_onsets_the_scores_count(tmp_path, monkeypatch):
    # A reference under -60 dBFS is silence to the robust scores (no ground-truth onset): its plot draws none.
    import matplotlib.axes

    from foley.evaluation.report import _clip_figure
    from foley.evaluation.scoring import Pair

    sr, rng = 22_050, np.random.default_rng(0)
    hiss = 3e-5 * rng.standard_normal(2 * sr)
    hiss[20_000:20_300] *= 3  # the detector, scale-free, finds onsets in it
    t = np.arange(2 * sr) / sr
    sf.write(tmp_path / "ref.wav", hiss, sr, subtype="FLOAT")
    sf.write(tmp_path / "gen.wav", 0.5 * np.sin(2 * np.pi * 800 * t) * (np.mod(t, 0.5) < 0.03), sr)
    drawn = []
    monkeypatch.setattr(matplotlib.axes.Axes, "axvline", lambda ax, x, color, **kw: drawn.append((color, x)))
    scores = evaluate_onsets([Pair("a", tmp_path / "gen.wav", tmp_path / "ref.wav", None)], workers=1)["clips"][0]
    _clip_figure(Pair("a", tmp_path / "gen.wav", tmp_path / "ref.wav", None), "detected", OnsetConfig())
    assert scores["n_gt"] == 0 and scores["n_pred"] == 3
    green = [x for c, x in drawn if c == "#2ca02c"]
    red = [x for c, x in drawn if c == "#d62728"]
    assert green == [] and len(red) == 3 * 3  # on each of the three panels
    drawn.clear()  # annotations past the clip's end are not scored, nor drawn
    _clip_figure(Pair("a", tmp_path / "gen.wav", tmp_path / "gen.wav", {"onsets_s": [0.5, 2.5]}), "annotated", OnsetConfig())
    assert [x for c, x in drawn if c == "#2ca02c"] == [0.5] * 3


def test_every_audio_file_read_audio_reads_is_paired(synth_test, tmp_path):
    """An .aiff, .opus or .avi reference was left out of the pairing though read_audio reads it: the
    generated clip of its stem was then reported as having no reference."""
    from foley.media.ffmpeg import run_ffmpeg

    pred, refs = tmp_path / "pred", tmp_path / "ref"
    pred.mkdir(), refs.mkdir()
    for f, suffix in zip(sorted(synth_test.glob("*.wav")), (".aiff", ".opus", ".avi")):
        shutil.copy(f, pred / f.name)
        run_ffmpeg(["-i", str(f), str(refs / f.with_suffix(suffix).name)], what=f.name)
    pairs = pair_files(pred, refs)
    assert sorted(p.ref.suffix for p in pairs) == [".aiff", ".avi", ".opus"]
    s = evaluate_onsets(pairs, gt="detected", workers=1)["summary"]
    assert (s["onset_detection_acc"], s["onset_ap"]) == (1.0, 1.0)
