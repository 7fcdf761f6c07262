import json
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from foley.errors import FoleyError
from foley.media.video import probe_video
from foley.pipelines.dub import CONFIG_NAME, FoleyPipeline, dub_settings

from pipeline_models import write_tiny_model
from unit_models import K


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("tiny_pipeline"))


@pytest.fixture(scope="module")
def pipeline(model_dir):
    return FoleyPipeline.from_pretrained(model_dir, device="cpu")


def test_dub_gives_audio_and_tokens_exactly_as_long_as_the_video(pipeline, cfr_video):
    path, _ = cfr_video
    duration = probe_video(path).duration_s
    assert len(pipeline.windows(duration)) > 1
    result = pipeline.dub(path, seed=1)
    assert result.sample_rate == 16_000 and result.audio.shape == (round(duration * 16_000),)
    assert result.tokens.shape == (pipeline.time.tokens(duration),) and int(result.tokens.max()) < K
    again = pipeline.dub(path, seed=1)
    np.testing.assert_array_equal(result.audio, again.audio)


def test_a_pipeline_json_without_a_lambda_takes_the_adapters_own(model_dir, tmp_path):
    import shutil

    from foley.models.visual_adapter import VisualAdapter

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    adapter = VisualAdapter.from_pretrained(model / "adapter", scale=1.75)
    adapter.save_pretrained(model / "adapter")  # trained for lambda 1.75
    config = json.loads((model / "pipeline.json").read_text())
    assert FoleyPipeline.from_pretrained(model, device="cpu").config.scale == config["scale"]  # the model's, when said
    for unsaid in ({}, {"scale": None}):  # no lambda, or null: the adapter's own
        (model / "pipeline.json").write_text(json.dumps({**{k: v for k, v in config.items() if k != "scale"}, **unsaid}))
        pipe = FoleyPipeline.from_pretrained(model, device="cpu")
        assert pipe.config.scale == 1.75 and pipe.adapter.cfg.scale == 1.75


def test_windows_batched_give_what_one_window_at_a_time_gives(pipeline, cfr_video, monkeypatch):
    """Several windows per LM decoding loop and per diffusion batch, silent windows among them:
    the same greedy tokens, and each window's latents equal up to float rounding (compared
    before the vocoder: Griffin-Lim's phase search turns rounding into audible differences)."""
    path, _ = cfr_video
    duration = probe_video(path).duration_s
    windows = pipeline.windows(duration)
    latents, batches = [], []
    decode = pipeline.backbone.decode_latents
    monkeypatch.setattr(pipeline.backbone, "decode_latents",
                        lambda x, *rest: latents.extend(x) or batches.append(len(x)) or decode(x, *rest))

    def run():
        latents.clear(), batches.clear()
        result = pipeline.dub(path, seed=3, steps=2)
        tokens = result.tokens.clone()
        t0, n_tok = pipeline._token_span(*windows[1])
        tokens[:t0 + n_tok] = pipeline.silence_unit  # windows 0 and 1 silent, the others not
        pipeline.render(tokens, duration, seed=3, steps=2)
        return result.tokens, list(latents), list(batches)

    tokens, batched, sizes = run()
    monkeypatch.setattr(FoleyPipeline, "WINDOW_BATCH", 1)
    single_tokens, single, single_sizes = run()
    assert len(windows) == 7 and sizes == [4, 3, 2, 3] and single_sizes == [1] * 12
    assert torch.equal(single_tokens, tokens) and bool((tokens != pipeline.silence_unit).any())
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(batched, single))
    assert max(float(x.abs().max()) for x in batched) > 1e-1


def test_a_clip_shorter_than_the_window_is_generated_as_a_whole_window(pipeline, media_dir, monkeypatch):
    from conftest import lavfi_video

    short = lavfi_video(media_dir / "short.mp4", "testsrc=s=160x96:r=25:d=0.3")
    lengths = []
    generate = pipeline.backbone.generate
    monkeypatch.setattr(pipeline.backbone, "generate", lambda *a, **kw: lengths.append(kw["duration_s"]) or generate(*a, **kw))
    result = pipeline.dub(short)
    assert lengths == [pytest.approx(pipeline.config.window_s)]  # the model sees a full window
    duration = probe_video(short).duration_s  # 8 frames: 0.32 s
    assert result.audio.shape == (round(duration * 16_000),) and result.tokens.shape == (pipeline.time.tokens(duration),)


@pytest.mark.parametrize("settings, message", [(dict(steps=0), "steps must be a whole number >= 1, got 0"),
                                               (dict(steps=2.5), "steps must be a whole number >= 1, got 2.5"),
                                               (dict(guidance=-2.0), "guidance must be a finite number >= 0, got -2.0"),
                                               (dict(guidance=float("inf")), "guidance must be a finite number >= 0"),
                                               (dict(guidance="5"), "guidance must be a finite number >= 0, got '5'"),
                                               (dict(scale=float("nan")), "scale must be a finite number >= 0, got nan"),
                                               (dict(visual_steps=1.5), "visual_steps must be a fraction in [0, 1], got 1.5"),
                                               (dict(visual_steps=-0.5), "visual_steps must be a finite number >= 0"),
                                               (dict(seed=-1), "seed must be a whole number from 0 to 4294967295, not -1"),
                                               (dict(seed=1.5), "seed must be a whole number from 0 to"),
                                               (dict(seed="3"), "seed must be a whole number from 0 to"),
                                               (dict(caption=5), "a caption is text, not int")])
def test_bad_settings_are_refused_before_any_work(pipeline, cfr_video, monkeypatch, settings, message):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded frames despite bad settings")
    monkeypatch.setattr(pipeline, "encode_frames", no_decoding)
    with pytest.raises(FoleyError, match=re.escape(message)):
        pipeline.dub(cfr_video, **settings)


def test_settings_take_the_models_own_unless_given(pipeline):
    assert pipeline.settings() == pipeline.config
    cfg = pipeline.settings(steps=np.int64(3), guidance=0.0)  # numpy integers are whole numbers too
    assert (cfg.steps, cfg.guidance, cfg.scale) == (3, 0.0, pipeline.config.scale)


def test_windows_cover_the_video(pipeline):
    windows = pipeline.windows(2.0)
    assert windows[0][0] == 0 and windows[-1][0] + windows[-1][1] == pytest.approx(2.0)
    assert all(length <= 0.64 + 1e-9 for _, length in windows)
    assert pipeline.windows(0.3) == [(0.0, 0.3)]


def test_a_videos_beginning_gets_the_same_tokens_and_sound_however_long_it_goes_on(pipeline, cfr_video, monkeypatch):
    """Windows one every window_s - overlap_s from 0: a video and its first 60 % share every window but the
    shorter one's last, and with it their tokens and audio up to where that last window is heard."""
    path, _ = cfr_video
    duration = probe_video(path).duration_s
    features = pipeline.encode_frames(path, duration)  # (frames, D)
    short = int(0.6 * len(features)) / pipeline.time.video_fps
    windows, longer = pipeline.windows(short), pipeline.windows(duration)
    assert len(windows) > 2 and windows[:-1] == longer[:len(windows) - 1] and windows[-1] != longer[len(windows) - 1]
    tokens = pipeline.tokens_from_frames(features[:pipeline.time.video_frames(short)], short)
    all_tokens = pipeline.tokens_from_frames(features, duration)
    t0, n_tok = pipeline._token_span(*windows[-2])
    assert torch.equal(tokens[:t0 + n_tok], all_tokens[:t0 + n_tok])
    monkeypatch.setattr(FoleyPipeline, "WINDOW_BATCH", 1)  # one window per diffusion call: the same arithmetic
    audio = pipeline.render(tokens, short, seed=2, steps=2)
    all_audio = pipeline.render(all_tokens, duration, seed=2, steps=2)
    sr = pipeline.time.sample_rate
    heard = round((windows[-2][0] + windows[-2][1] - pipeline.config.overlap_s) * sr)  # the last window's crossfade
    assert float(np.abs(audio[:heard]).max()) > 1e-2
    np.testing.assert_allclose(audio[:heard], all_audio[:heard], atol=1e-5)


def test_bad_model_dirs(tmp_path, model_dir):
    with pytest.raises(FoleyError, match=r"not a foley model directory, nor a shipped model \(demo, sfx\)"):
        FoleyPipeline.from_pretrained(tmp_path)
    (tmp_path / CONFIG_NAME).write_text('{"window_s": 1, "nope": 2}')
    with pytest.raises(FoleyError, match="unknown pipeline settings"):
        FoleyPipeline.from_pretrained(tmp_path)
    # A copied model folder whose pipeline.json points outside it: the file and the resolved path are named.
    (tmp_path / CONFIG_NAME).write_text('{"frame_encoder": "../demo/frame_encoder", "backbone": "bb"}')
    for name in ("lm", "tokenizer", "adapter"):
        (tmp_path / name).mkdir()
    with pytest.raises(FoleyError, match=r"pipeline.json: backbone 'bb' -> .*bb: no such file or folder"):
        FoleyPipeline.from_pretrained(tmp_path)
    (tmp_path / "bb").mkdir()
    with pytest.raises(FoleyError, match=r"pipeline.json: frame_encoder '../demo/frame_encoder' -> .*demo"):
        FoleyPipeline.from_pretrained(tmp_path)
    # Settings that could not run are refused as the model loads, naming the file.
    for settings, said in [({"window_s": 0}, "window_s must be a time > 0 longer than overlap_s, got window_s 0"),
                           ({"window_s": 4.0, "overlap_s": 5},
                            "window_s must be a time > 0 longer than overlap_s, got window_s 4.0 and overlap_s 5"),
                           ({"overlap_s": -1}, "overlap_s must be a finite number >= 0, got -1"),
                           ({"steps": "ten"}, "steps must be a whole number >= 1, got 'ten'"),
                           ({"scheduler": "xyz"}, "unknown scheduler 'xyz'; choose from dpm, ddim, pndm")]:
        (tmp_path / CONFIG_NAME).write_text(json.dumps({"backbone": "bb", **settings}))
        with pytest.raises(FoleyError, match=f"{CONFIG_NAME}: {re.escape(said)}"):
            FoleyPipeline.from_pretrained(tmp_path)
    for value in ("", None, 5, ["lm"]):
        (tmp_path / CONFIG_NAME).write_text(json.dumps({"backbone": "bb", "lm": value}))
        with pytest.raises(FoleyError, match=r"pipeline.json: lm must name a file or folder, got " + re.escape(repr(value))):
            FoleyPipeline.from_pretrained(tmp_path)


def test_cli_dub(model_dir, pipeline, av_clip, tmp_path, foley_cli):
    out = tmp_path / "out"
    opts = ["-o", str(out), "--model", str(model_dir), "--device", "cpu", "--quiet"]
    first = subprocess.run([sys.executable, "-m", "foley", "dub", str(av_clip), *opts[:-1]], capture_output=True,
                           text=True)  # not --quiet: stderr shows what a user sees
    assert first.returncode == 0, first.stderr
    assert "done 1, failed 0" in first.stdout and (out / "with_audio.mp4").is_file()
    c = pipeline.config  # the settings used, then each video: no library bars or warnings; bars only on a terminal
    assert first.stderr.splitlines() == [f"model {model_dir}: {c.steps} {c.scheduler} steps, guidance {c.guidance:g}, "
                                         f"scale (lambda) {c.scale:g}, seed 0", f"[1/1] {av_clip}"]
    second = foley_cli(["dub", str(av_clip), str(tmp_path / "missing.mp4"), *opts], cwd=tmp_path)
    assert second.returncode == 1 and "done 0, skipped 1 (already dubbed; --overwrite dubs it again), failed 1" in second.stdout
    assert f"  failed: {tmp_path / 'missing.mp4'}: no such file" in second.stdout and second.stderr == ""
    (tmp_path / "bad.mp4").write_text("not a video")
    # an input's failure is said as it is found, then in the summary; one video's, in the summary alone
    third = foley_cli(["dub", str(tmp_path / "bad.mp4"), "gone.mp4", *opts[:-1]], cwd=tmp_path)
    progress, summary = third.stderr.splitlines(), third.stdout.splitlines()
    failure = f"  failed: {tmp_path / 'bad.mp4'}: not a readable media file"
    assert third.returncode == 1 and progress[0] == "  failed: gone.mp4: no such file"  # known before the model loads
    assert progress[1] == f"[1/1] {tmp_path / 'bad.mp4'}"  # no model line: nothing readable, no model loaded
    assert len(progress) == 2 and any(line.startswith(failure) for line in summary), third.stderr
    # Everything already dubbed: nothing to generate, so the model is not even loaded.
    fourth = foley_cli(["dub", str(av_clip), "-o", str(out), "--model", str(tmp_path / "no_model")], cwd=tmp_path)
    assert fourth.returncode == 0 and "done 0, skipped 1" in fourth.stdout, fourth.stderr
    assert fourth.stderr == f"[1/1] {av_clip}: already dubbed, skipped\n"


@pytest.mark.parametrize("device", [["--device", "cpu"], []], ids=["cpu", "auto"])
def test_a_dub_records_its_thread_count_and_a_rerun_on_another_says_so(model_dir, pipeline, av_clip, tmp_path,
                                                                       foley_cli, device):
    """The same seed on another --threads count can make another sound, but a rerun on it was skipped as if made
    with the same settings: no note. A dub from before the count was recorded is not said to differ. The
    default device, auto, is the CPU on a machine without a GPU: its dubs record the count too."""
    import soundfile as sf

    from foley.device import resolve_device
    from foley.media.audio import write_audio
    from foley.pipelines.dub_batch import SETTINGS_KEY, recorded_settings

    if not device and resolve_device("auto").type != "cpu":
        pytest.skip("--device auto is a GPU here")
    out = tmp_path / "out"
    args = ["dub", str(av_clip), "-o", str(out), "--model", str(model_dir), *device, "--quiet", "--threads", "1"]
    assert foley_cli(args, cwd=tmp_path).returncode == 0
    wav_path = out / "with_audio.wav"
    made = recorded_settings(wav_path)
    assert made["threads"] == 1
    wav, sr = sf.read(wav_path, dtype="float32")
    for earlier, note in (({**made, "threads": 7}, "dubbed earlier with other settings (threads 7, now 1); "
                                                   "--overwrite dubs it again"),
                          ({k: v for k, v in made.items() if k != "threads"}, None)):  # from before it was recorded
        write_audio(wav_path, wav, sr, comment=json.dumps({SETTINGS_KEY: earlier, "silent": False}))
        again = foley_cli(args, cwd=tmp_path)
        assert again.returncode == 0 and "done 0, skipped 1" in again.stdout
        assert (note in again.stdout) if note else "other settings" not in again.stdout, again.stdout


def test_a_batch_summary_names_the_known_sounds_once(model_dir, pipeline, av_clip, tmp_path, foley_cli):
    """Two videos unlike every training frame (statistics far from any frame): two notes, and
    which sounds the model knows is said in the first alone."""
    import shutil

    from foley.models.frame_stats import FrameStats

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    dim = pipeline.frame_encoder.dim
    FrameStats(torch.full((dim,), 1e3), torch.ones(dim), 1.0).save(model / "stats.safetensors")  # every frame far off
    config = json.loads((model / CONFIG_NAME).read_text())
    (model / CONFIG_NAME).write_text(json.dumps({**config, "frame_stats": "stats.safetensors", "knows": "a ball"}))
    for name in ("one", "two", "-three"):
        shutil.copy(av_clip, tmp_path / f"{name}.mp4")
    run = foley_cli(["dub", str(tmp_path / "one.mp4"), str(tmp_path / "two.mp4"), str(tmp_path / "-three.mp4"), "-o",
                     str(tmp_path / "out"),
                     "--model", str(model), "--device", "cpu", "--quiet"], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stdout.splitlines() if "of the frames are unlike any this model was trained on" in line]
    assert len(notes) == 3 and ("(this model knows a ball); the Foley track is silent; foley compose 'A DESCRIPTION' "
                                f"--video {tmp_path / 'one.mp4'} -o one_bed.wav lays described sounds under it") in notes[0]
    assert "this model knows" not in notes[1]
    assert f"--video {tmp_path / '-three.mp4'} -o ./-three_bed.wav lays" in notes[2]  # a name read as no option
    assert "done 3 (3 with a silent Foley track), failed 0" in run.stdout
    # Given a caption, the note says how to lay that sound under the video instead.
    captioned = foley_cli(["dub", str(tmp_path / "one.mp4"), "--caption", "a dog's bark", "-o", str(tmp_path / "out2"),
                           "--model", str(model), "--device", "cpu", "--quiet"], cwd=tmp_path)
    assert captioned.returncode == 0, captioned.stderr
    assert (f"the Foley track is silent; foley compose 'a dog'\"'\"'s bark at 1 s' --video {tmp_path / 'one.mp4'} -o "
            "one_bed.wav lays the caption's sound at 1 s under it (a description gives the time of each sound); the video's own"
            ) in captioned.stdout
    timed = foley_cli(["dub", str(tmp_path / "one.mp4"), "--caption", "a bell at 0.5 s", "-o", str(tmp_path / "out3"),
                       "--model", str(model), "--device", "cpu", "--quiet"], cwd=tmp_path)  # a time of its own: kept
    assert (f"foley compose 'a bell at 0.5 s' --video {tmp_path / 'one.mp4'} -o one_bed.wav lays the caption's sounds at "
            "their times "
            "under it") in timed.stdout


def test_cli_dub_says_a_note_on_the_caption_again_in_the_summary(model_dir, pipeline, av_clip, tmp_path, foley_cli,
                                                                 monkeypatch):
    import shutil

    from foley.models.frame_stats import FrameStats

    note = "'a dog barks': the words 'dog' and 'barks' are not in this backbone's vocabulary"
    monkeypatch.setattr(FoleyPipeline, "caption_notes", lambda self, caption, where=True: [note] if caption else [])
    run = foley_cli(["dub", av_clip, "--caption", "a dog barks", "-o", tmp_path / "out", "--model", model_dir,
                     "--device", "cpu", "--quiet"], cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == f"note: {note}\n", run.stderr  # as the model loads
    assert run.stdout.splitlines()[1] == f"  note: {note}", run.stdout  # and in the summary, under its counts
    # a batch whose every dub is silent (frames unlike the model's) heard no caption: not said again
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    dim = pipeline.frame_encoder.dim
    FrameStats(torch.full((dim,), 1e3), torch.ones(dim), 1.0).save(model / "stats.safetensors")  # every frame far off
    config = json.loads((model / CONFIG_NAME).read_text())
    (model / CONFIG_NAME).write_text(json.dumps({**config, "frame_stats": "stats.safetensors"}))
    silent = foley_cli(["dub", av_clip, "--caption", "a dog barks", "-o", tmp_path / "out2", "--model", model,
                        "--device", "cpu", "--quiet"], cwd=tmp_path)
    assert silent.returncode == 0 and silent.stderr == f"note: {note}\n", silent.stderr
    assert "(1 with a silent Foley track)" in silent.stdout and note not in silent.stdout, silent.stdout


def test_cli_dub_with_a_bad_model_leaves_no_output_folder(av_clip, tmp_path, foley_cli):
    out = tmp_path / "new" / "out"
    run = foley_cli(["dub", str(av_clip), "-o", str(out), "--model", str(tmp_path / "no_model")], cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("foley: error: ") and len(run.stderr.splitlines()) == 1
    assert not (tmp_path / "new").exists()


def test_cli_dub_of_unreadable_files_fails_them_without_loading_a_model_or_leaving_a_folder(tmp_path):
    (tmp_path / "fake.mp4").write_text("not a video")
    run = subprocess.run([sys.executable, "-m", "foley", "dub", str(tmp_path / "fake.mp4"), "-o", str(tmp_path / "new" / "out")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "fake.mp4: not a readable media file" in run.stdout
    assert "model demo" not in run.stderr and "Traceback" not in run.stderr and "moov" not in run.stderr, run.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("caption, visual_steps, interval", [
    ("a ball bouncing", "0.5", " (with a caption: in the first step)"),  # 0.5 of the 2 steps
    ("a ball bouncing", "0", " (with a caption: in no step)"),
    ("", "0.5", ""),  # no caption: every step
    ("  ", "0.5", ""),  # spaces only: no caption
    (None, "0.5", " (with a caption: in the first step)")])  # none given: the model's own caption
def test_cli_dub_says_where_the_visual_condition_works(model_dir, pipeline, av_clip, tmp_path, caption, visual_steps,
                                                       interval, foley_cli):
    run = foley_cli(["dub", str(av_clip), "-o", str(tmp_path), "--model", str(model_dir), "--device", "cpu",
                     "--visual-steps", visual_steps, *([] if caption is None else ["--caption", caption])], cwd=tmp_path)
    c = pipeline.config
    assert run.returncode == 0 and run.stderr.splitlines()[0] == (
        f"model {model_dir}: {c.steps} {c.scheduler} steps, guidance {c.guidance:g}, scale (lambda) {c.scale:g}"
        f"{interval}, seed 0"), run.stderr


@pytest.mark.parametrize("signal_name", ["SIGINT", pytest.param("SIGKILL", marks=pytest.mark.slow)])
def test_interrupted_batch_resumes(model_dir, av_clip, tmp_path, signal_name):
    import shutil
    import signal
    import time

    inputs = tmp_path / "in"
    inputs.mkdir()
    names = [f"clip{i}" for i in range(6)]
    for name in names:
        shutil.copy(av_clip, inputs / f"{name}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "foley", "dub", str(inputs), "-o", str(out), "--model", str(model_dir),
           "--device", "cpu", "--quiet"]
    # A shell without job control starts background jobs with SIGINT ignored, and children inherit
    # that; a terminal's Ctrl-C reaches a foreground process with the default action, as here.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not (out / "clip0.mp4").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(getattr(signal, signal_name))
    _, stderr = proc.communicate(timeout=60)
    if signal_name == "SIGINT":
        assert proc.returncode == 130 and stderr.strip().endswith("foley: interrupted") and "Traceback" not in stderr
    finished = [n for n in names if (out / f"{n}.mp4").exists()]
    assert "clip0" in finished and len(finished) < len(names)  # stopped inside the batch
    for n in finished:  # what is at a final path is whole
        assert probe_video(out / f"{n}.mp4").has_audio
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"done {len(names) - len(finished)}, skipped {len(finished)}" in again.stdout
    assert all((out / f"{n}.mp4").exists() and (out / f"{n}.wav").exists() for n in names)


@pytest.mark.parametrize("overwrite, rerun", [
    (False, "the same command skips it and dubs the rest"),
    (True, "the same command dubs it again, as --overwrite asks; without --overwrite it skips every finished dub")])
def test_an_interrupted_batch_says_what_it_kept_and_what_a_rerun_does(model_dir, av_clip, tmp_path, monkeypatch,
                                                                      foley_cli, overwrite, rerun):
    import foley.pipelines.dub_batch as dub_batch_module

    def stopped_after_one(videos, out_dir, generate, options, *, summary, **_):  # Ctrl-C during the second video
        summary.done.append(str(videos[0]))
        summary.silent.append(str(videos[0]))
        raise KeyboardInterrupt

    monkeypatch.setattr(dub_batch_module, "dub_batch", stopped_after_one)
    run = foley_cli(["dub", str(av_clip), "-o", str(tmp_path / "out"), "--model", str(model_dir), "--device", "cpu",
                     "-q", *(["--overwrite"] if overwrite else [])], cwd=tmp_path)
    assert run.returncode == 130 and run.stderr.splitlines() == [
        f"stopped: 1 video dubbed before it (1 with a silent Foley track), kept in {tmp_path / 'out'}/ ({rerun})",
        "foley: interrupted"], run.stderr


def test_silent_windows_are_not_rendered(pipeline, monkeypatch):
    calls = []
    generate = pipeline.backbone.generate
    monkeypatch.setattr(pipeline.backbone, "generate", lambda *a, **kw: calls.append(1) or generate(*a, **kw))
    n = pipeline.time.tokens(2.0)
    silent = torch.full((n,), pipeline.silence_unit)
    audio = pipeline.render(silent, 2.0, steps=1)
    assert calls == [] and audio.shape == (32_000,) and not np.any(audio)  # silence, not a noise bed
    tokens = silent.clone()
    tokens[:5] = (pipeline.silence_unit + 1) % K  # a sound in the first window only
    audio = pipeline.render(tokens, 2.0, steps=1)
    first = pipeline.windows(2.0)[0][1]
    assert len(calls) == 1 and np.any(audio[:round(first * 16_000) // 2]) and not np.any(audio[-100:])


def test_a_video_with_nothing_known_is_said_so(pipeline, cfr_video, tmp_path, monkeypatch):
    from foley.pipelines.dub_batch import dub_batch

    monkeypatch.setattr(pipeline, "tokens_from_frames", lambda features, span_s, caption, seed, progress: torch.full(
        (pipeline.time.tokens(span_s),), pipeline.silence_unit))
    result = pipeline.dub(cfr_video[0])
    assert not result.recognized and not np.any(result.audio)
    summary = dub_batch([cfr_video[0]], tmp_path, lambda v: (result.audio, result.sample_rate),
                        silent_note=pipeline.unrecognized_note())
    assert summary.notes == [(str(cfr_video[0]), "no sound event this model knows was seen; the Foley track is silent")]


def test_a_video_unlike_the_training_frames_is_not_dubbed(pipeline, cfr_video, tmp_path, monkeypatch):
    from foley.models.frame_stats import FrameStats
    from foley.pipelines.dub_batch import dub_batch

    video = cfr_video[0]
    own = pipeline.frame_encoder.encode_video(video, fps=pipeline.time.video_fps)  # (N, D)
    calls = []
    writer = pipeline.tokens_from_frames
    monkeypatch.setattr(pipeline, "tokens_from_frames", lambda *a, **kw: calls.append(1) or writer(*a, **kw))
    monkeypatch.setattr(pipeline, "frame_stats", FrameStats.fit(own + 0.01 * torch.randn(own.shape)))
    familiar = pipeline.dub(video, steps=1)
    assert calls == [1] and familiar.unfamiliar < 0.1
    torch.manual_seed(0)
    monkeypatch.setattr(pipeline, "frame_stats", FrameStats.fit(torch.randn(200, own.shape[1]) * 0.01 + 5.0))
    result = pipeline.dub(video, steps=1)
    assert calls == [1] and result.unfamiliar > 0.99  # the LM was not asked
    assert not result.recognized and not np.any(result.audio)
    summary = dub_batch([video], tmp_path, lambda v: (result.audio, result.sample_rate),
                        silent_note=lambda v: pipeline.unrecognized_note(result))
    assert summary.notes == [(str(video), "100% of the frames are unlike any this model was trained on; "
                                          "the Foley track is silent")]
    assert pipeline.not_dubbed(result) and not pipeline.not_dubbed(familiar)
    captioned = pipeline.dub(video, caption="a dog's bark", steps=1)
    assert not np.any(captioned.audio) and captioned.caption_given and not result.caption_given


def test_statistics_of_another_frame_encoder_are_refused_at_load(pipeline):
    from foley.models.frame_stats import FrameStats

    p = pipeline
    stats = FrameStats.fit(torch.randn(10, p.frame_encoder.dim + 1))
    with pytest.raises(FoleyError, match=f"statistics are of {p.frame_encoder.dim + 1}-d features but the frame "
                                         f"encoder gives {p.frame_encoder.dim}-d"):
        FoleyPipeline(p.config, p.frame_encoder, p.lm, p.tokenizer, p.backbone, p.adapter, frame_stats=stats)


def test_an_lm_of_another_unit_tokenizers_units_is_refused_at_load(pipeline, model_dir, monkeypatch, tmp_path):
    import shutil

    from foley.models.token_lm import write_units_record

    copy = shutil.copytree(model_dir, tmp_path / "model")
    write_units_record(copy / "lm", "0" * 64)
    with pytest.raises(FoleyError, match=rf"^{re.escape(str(copy))}: the LM learned the units of another unit tokenizer"):
        FoleyPipeline.from_pretrained(copy, device="cpu")
    (copy / "lm" / "units.json").write_text('{"tokenizer_fingerprint": null}')
    with pytest.raises(FoleyError, match=r"units.json: unreadable record of the LM's unit tokenizer"):
        FoleyPipeline.from_pretrained(copy, device="cpu")
    p = pipeline
    monkeypatch.setattr(p.lm, "tokenizer_fingerprint", "0" * 64)
    with pytest.raises(FoleyError, match=r"the LM learned the units of another unit tokenizer than the model's"):
        FoleyPipeline(p.config, p.frame_encoder, p.lm, p.tokenizer, p.backbone, p.adapter)
    monkeypatch.setattr(p.lm, "tokenizer_fingerprint", p.tokenizer.fingerprint())  # its own: loads
    p.adapter.detach(p.backbone.unet)  # the new pipeline attaches it again
    FoleyPipeline(p.config, p.frame_encoder, p.lm, p.tokenizer, p.backbone, p.adapter)


def test_without_a_caption_the_probe_captions_what_it_sees(pipeline, cfr_video, monkeypatch):
    from foley.models.caption_probe import CaptionProbe

    video = cfr_video[0]
    own = pipeline.frame_encoder.encode_video(video, fps=pipeline.time.video_fps)  # (N, D)
    g = torch.Generator().manual_seed(0)
    clips = [own + 0.01 * torch.randn(own.shape, generator=g) for _ in range(3)]
    clips += [own + 3.0 + 0.01 * torch.randn(own.shape, generator=g) for _ in range(3)]
    probe = CaptionProbe.fit(clips, ["drum"] * 3 + ["ball"] * 3, ["drumming"] * 3 + ["a ball bouncing"] * 3)
    asked = []
    writer, renderer = pipeline.tokens_from_frames, pipeline.render
    monkeypatch.setattr(pipeline, "tokens_from_frames",
                        lambda f, s, caption, *a: asked.append(caption) or writer(f, s, caption, *a))
    monkeypatch.setattr(pipeline, "render",
                        lambda t, s, caption, *a: asked.append(caption) or renderer(t, s, caption, *a))
    monkeypatch.setattr(pipeline, "caption_probe", probe)
    result = pipeline.dub(video, steps=1)
    assert asked == ["drumming", "drumming"] and result.caption == "drumming"
    assert result.seen.label == "drum" and result.seen.probability > 0.9
    assert result.probed and len(pipeline.dub_notes(result)) == 1
    assert re.fullmatch(r"seen: drum \(p (0\.9\d|1\.00)\), captioned 'drumming'", pipeline.dub_notes(result)[0])
    for caption, used in (("", ""), (" ", ""), ("a splash ", "a splash")):  # a caption given, even none, is the user's
        asked.clear()
        result = pipeline.dub(video, steps=1, caption=caption)
        assert asked == [used, used] and result.seen is None and result.caption == used
        assert not result.probed and pipeline.dub_notes(result) == []
    monkeypatch.setattr(probe, "threshold", 1.0)  # sees nothing for sure: the model's own default caption
    asked.clear()
    result = pipeline.dub(video, steps=1)
    assert asked == [None, pipeline.config.caption] and result.seen is None and result.probed
    unsure = "no event this model knows was seen clearly enough to caption it; dubbed without a caption"
    assert [n[:len(unsure)] for n in pipeline.dub_notes(replace(result, recognized=True))] == [unsure]
    assert pipeline.dub_notes(replace(result, recognized=False)) == []  # a silent track: its own note says why
    partly = replace(result, recognized=True, unfamiliar=0.345)
    assert pipeline.dub_notes(partly)[1] == ("34% of the frames are unlike any this model was trained on; the sound "
                                             "may be wrong where they show")


def test_cli_dub_says_in_the_summary_what_the_probe_captioned(model_dir, pipeline, av_clip, tmp_path):
    import shutil

    from foley.models.caption_probe import CaptionProbe

    own = pipeline.frame_encoder.encode_video(av_clip, fps=pipeline.time.video_fps)  # (N, D)
    g = torch.Generator().manual_seed(0)
    clips = [own + shift + 0.01 * torch.randn(own.shape, generator=g) for shift in (0.0, 0.0, 3.0, 3.0)]
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    CaptionProbe.fit(clips, ["drum", "drum", "ball", "ball"], ["drumming"] * 2 + ["a ball bouncing"] * 2).save(
        model / "probe.safetensors")
    config = json.loads((model / CONFIG_NAME).read_text())
    (model / CONFIG_NAME).write_text(json.dumps({**config, "caption_probe": "probe.safetensors"}))
    run = subprocess.run([sys.executable, "-m", "foley", "dub", str(av_clip), "-o", str(tmp_path / "out"),
                          "--model", str(model), "--device", "cpu", "--quiet"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "", run.stderr  # --quiet: the summary alone says it
    assert re.search(rf"note: {re.escape(str(av_clip))}: seen: drum \(p (0\.9\d|1\.00)\), captioned 'drumming'",
                     run.stdout), run.stdout


def test_a_probe_of_another_frame_encoder_is_refused_at_load(pipeline):
    from foley.models.caption_probe import CaptionProbe

    p = pipeline
    probe = CaptionProbe.fit([torch.randn(4, p.frame_encoder.dim + 1) + k for k in range(4)], ["a", "a", "b", "b"],
                             ["x", "x", "y", "y"])
    with pytest.raises(FoleyError, match=f"the caption probe reads {p.frame_encoder.dim + 1}-d features"):
        FoleyPipeline(p.config, p.frame_encoder, p.lm, p.tokenizer, p.backbone, p.adapter, caption_probe=probe)


def test_the_visual_condition_leaves_the_late_steps_to_a_caption_only(pipeline, monkeypatch):
    asked = []
    generate = pipeline.backbone.generate
    monkeypatch.setattr(pipeline.backbone, "generate", lambda *a, **kw: asked.append(kw["visual_steps"]) or generate(*a, **kw))
    tokens = torch.full((pipeline.time.tokens(0.5),), (pipeline.silence_unit + 1) % K)
    for caption in ("a ball bouncing", ""):
        pipeline.render(tokens, 0.5, caption, steps=1, visual_steps=0.2)
    assert asked == [0.2, 1.0]


def test_the_silence_note_says_why(pipeline):
    from foley.models.caption_probe import Seen
    from foley.pipelines.dub import DubResult

    quiet = dict(audio=np.zeros(10, np.float32), sample_rate=16_000, tokens=torch.zeros(1, dtype=torch.long))
    assert pipeline.unrecognized_note(DubResult(**quiet, recognized=True)).startswith(
        "the events the model placed came out too faint to hear")
    seen = Seen("drum", "drumming", 0.9)
    assert pipeline.unrecognized_note(DubResult(**quiet, recognized=False, seen=seen)) == (
        "the model saw drum, but no event of it that sounds; the Foley track is silent")
    assert pipeline.unrecognized_note(DubResult(**quiet, recognized=False)).startswith("no sound event this model knows")


def test_dub_settings_fill_in_the_models_defaults_without_loading_it(tmp_path):
    given = dict(caption=None, scale=None, steps=4, guidance=None, visual_steps=None, seed=3, threads=2)
    assert dub_settings("demo", **given) == {"model": "demo", "caption": None, "scale": 1.0, "steps": 4, "guidance": 5.0,
                                             "visual-steps": 1.0, "seed": 3,
                                             "threads": 2}  # demo's pipeline.json, steps as given
    assert dub_settings("demo", **{**given, "caption": ""})["caption"] == ""  # --caption '' is not "none given"
    assert dub_settings(tmp_path / "none", **given)["guidance"] is None  # no readable config: the given values alone
    assert "threads" not in dub_settings("demo", **{**given, "threads": None})  # on a GPU: its CPU threads do not count


def test_frame_encoding_reports_its_progress_chunk_by_chunk(pipeline, cfr_video, monkeypatch):
    monkeypatch.setattr(pipeline.frame_encoder.config, "batch_size", 16)
    span = probe_video(cfr_video[0]).duration_s
    heard = []
    features = pipeline.encode_frames(cfr_video[0], span, lambda stage, i, n: heard.append((stage, i, n)))
    total = pipeline.time.video_frames(span)
    assert len(features) == total and {n for _, _, n in heard} == {total} and {s for s, _, _ in heard} == {"frames"}
    counts = [i for _, i, _ in heard]
    assert counts[0] == 0 and counts[-1] == total and counts == sorted(counts)
    assert len(set(counts)) - 2 >= total // 16  # a step for each chunk of 16 frames, not 0 then all


def test_every_progress_bar_of_a_dub_says_what_it_counts(model_dir, cfr_video, tmp_path, monkeypatch):
    import tqdm

    from foley.cli import main

    bars = []

    class Recorded(tqdm.tqdm):
        def __init__(self, *args, **kwargs):
            bars.append((kwargs["desc"].strip(), kwargs["unit"]))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm, "tqdm", Recorded)
    assert main(["dub", str(cfr_video[0]), "-o", str(tmp_path / "out"), "--model", str(model_dir), "--steps", "2"]) == 0
    assert dict(bars) == FoleyPipeline.PROGRESS_UNITS == {"frames": "frame", "tokens": "window", "audio": "window"}
