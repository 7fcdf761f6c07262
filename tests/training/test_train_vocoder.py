"""Vocoder fine-tuning (foley.training.vocoder) on a tiny imported HiFi-GAN and a tiny corpus."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from foley.cli import main as foley_main
from foley.media.audio import write_audio
from foley.models.mel import LogMel, MelConfig
from foley.models.vocoder import HifiGanVocoder, load_vocoder, vocoder_mel_config
from foley.errors import FoleyError
from foley.training.vocoder import (PERIODS, TRAINING_FILE, Discriminators, cli, draw_batch, train_entries,
                                    training_clips)

from auffusion_models import write_jik876


def _inputs(tmp: Path) -> tuple[Path, Path]:
    """A corpus in `foley prepare sfx`'s layout (two noisy clips, one too short for a piece,
    one silent, one of dither at -90 dBFS) and a tiny imported HiFi-GAN (12 kHz, hop 16)."""
    rng = np.random.default_rng(0)
    corpus, lines = tmp / "corpus", []
    for i, (n, level) in enumerate(((6000, 0.1), (200, 0.1), (3000, 0.0), (3000, 3e-5))):
        wav = (rng.standard_normal(n) * level).astype(np.float32)
        write_audio(corpus / "train" / f"c{i}.wav", wav, 12000)
        lines.append(json.dumps({"id": f"c{i}", "audio": f"train/c{i}.wav", "caption": "rain", "label": "rain",
                                 "duration_s": n / 12000}))
    (corpus / "train.jsonl").write_text("\n".join(lines) + "\n")
    checkpoint, config, _ = write_jik876(tmp / "jik876")
    assert foley_main(["import-vocoder", str(checkpoint), "--config", str(config), "--out", str(tmp / "vocoder")]) == 0
    return corpus, tmp / "vocoder"


def test_the_discriminators_score_every_period_and_scale():
    scores, features = Discriminators()(torch.randn(2, 1, 1000))
    assert len(scores) == len(PERIODS) + 3 and len(features) == len(scores)
    assert all(s.shape[0] == 2 and s.ndim == 2 for s in scores)
    assert [len(f) for f in features] == [6] * len(PERIODS) + [8] * 3  # the convolutions and the last layer


def test_an_unnormalized_log_mel_keeps_the_level():
    cfg = MelConfig(sample_rate=12000, n_fft=64, hop_length=16, win_length=48, n_mels=8, fmax=6000.0)
    wav = torch.from_numpy(np.random.default_rng(1).standard_normal((1, 1600)).astype(np.float32)) * 0.5
    log_mel = LogMel(cfg)
    quiet, loud = log_mel(wav * 0.1, normalize=False), log_mel(wav, normalize=False)
    assert torch.allclose(loud - quiet, torch.full_like(loud, math.log(10.0)), atol=1e-3)
    assert torch.allclose(log_mel(wav * 0.1), log_mel(wav), atol=1e-4)  # normalized: the level is gone


def test_training_pieces_are_the_clips_mel_frames_and_their_samples(tmp_path):
    corpus, vocoder = _inputs(tmp_path)
    mel = vocoder_mel_config(vocoder)
    clips = training_clips(train_entries(corpus), mel, 32 * mel.hop_length)
    assert [len(c) for c in clips] == [6000, 512]  # the short clip padded to one piece, silence and dither left out
    assert all(abs(float(c.abs().max()) - mel.peak) < 1e-6 for c in clips)
    mels = [LogMel(mel)(c[None])[0] for c in clips]
    logmel, wav = draw_batch(clips, mels, 4, 32, mel.hop_length, torch.Generator().manual_seed(0))
    assert logmel.shape == (4, mel.n_mels, 32) and wav.shape == (4, 32 * mel.hop_length)
    assert torch.allclose(LogMel(mel)(wav, normalize=False)[:, :, 2:-2], logmel[:, :, 2:-2], atol=1e-4)  # inner frames


@pytest.mark.parametrize("mel_only", [True, False])
def test_the_command_fine_tunes_the_vocoder_and_resumes_exactly(tmp_path, mel_only):
    corpus, vocoder = _inputs(tmp_path)
    common = ["--vocoder", str(vocoder), "--data", str(corpus), "--steps", "3", "--batch", "2", "--lr", "1e-3",
              "--critic-warmup", "1", *(["--mel-only"] if mel_only else [])]
    cli([*common, "--out", str(tmp_path / "a")])
    cli([*common, "--out", str(tmp_path / "b"), "--stop-at", "2"])
    assert not (tmp_path / "b").exists()
    cli([*common, "--out", str(tmp_path / "b")])
    source, a, b = (load_vocoder(d) for d in (vocoder, tmp_path / "a", tmp_path / "b"))
    assert isinstance(a, HifiGanVocoder) and vocoder_mel_config(tmp_path / "a") == vocoder_mel_config(vocoder)
    changed = False
    for key, value in source.model.state_dict().items():
        assert torch.equal(a.model.state_dict()[key], b.model.state_dict()[key])
        changed |= not torch.allclose(a.model.state_dict()[key], value)
    assert changed
    assert json.loads((tmp_path / "a" / TRAINING_FILE).read_text())["args"]["mel_only"] is mel_only
    assert "critic" in torch.load(tmp_path / "a.run" / "vocoder.pt", weights_only=True) or mel_only


def test_a_stopped_fine_tune_says_which_checkpoint_it_keeps(tmp_path, monkeypatch, capsys):
    import foley.training.vocoder as vocoder_training

    corpus, vocoder = _inputs(tmp_path)
    lr = vocoder_training._lr

    def ctrl_c_in_step_2(step, *rest):
        if step == 2:
            raise KeyboardInterrupt
        return lr(step, *rest)

    monkeypatch.setattr(vocoder_training, "_lr", ctrl_c_in_step_2)
    with pytest.raises(SystemExit) as exit_:
        cli(["--vocoder", str(vocoder), "--data", str(corpus), "--steps", "3", "--batch", "2", "--mel-only",
             "--checkpoint-every", "1", "--out", str(tmp_path / "a")])
    assert exit_.value.code == 130
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"interrupted after vocoder step 2 of 3: the checkpoint of step 2 is in {tmp_path / 'a.run' / 'vocoder.pt'}; "
        "the same command goes on from it")


def test_during_the_critic_warmup_only_the_discriminators_learn(tmp_path):
    corpus, vocoder = _inputs(tmp_path)
    cli(["--vocoder", str(vocoder), "--data", str(corpus), "--steps", "2", "--batch", "2", "--critic-warmup", "2",
         "--out", str(tmp_path / "a")])
    source, a = load_vocoder(vocoder).model.state_dict(), load_vocoder(tmp_path / "a").model.state_dict()
    assert all(torch.equal(value, a[key]) for key, value in source.items())
    state = torch.load(tmp_path / "a.run" / "vocoder.pt", weights_only=True)
    torch.manual_seed(0)
    fresh = Discriminators().state_dict()
    assert any(not torch.allclose(value, state["critic"][key]) for key, value in fresh.items())


def test_bad_inputs_are_one_line_and_leave_nothing(tmp_path, capsys):
    corpus, vocoder = _inputs(tmp_path)
    common = ["--data", str(corpus), "--steps", "1", "--batch", "1", "--mel-only"]
    (tmp_path / "gl").mkdir()
    (tmp_path / "gl" / "config.json").write_text(json.dumps({"vocoder_type": "griffin_lim"}))
    for bad, message in ((["--vocoder", str(tmp_path / "gl")], "not a HiFi-GAN vocoder folder with mel_config.json"),
                         (["--vocoder", str(tmp_path / "none")], "no vocoder config.json")):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli([*common, *bad, "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "Traceback" not in err and message in err
        assert not (tmp_path / "x").exists() and not (tmp_path / "x.run").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep").write_text("x")
    with pytest.raises(SystemExit):
        cli([*common, "--vocoder", str(vocoder), "--out", str(tmp_path / "full")])
    assert "already exists and is not empty" in capsys.readouterr().err
    assert (tmp_path / "full" / "keep").read_text() == "x"


def test_pieces_of_clips_too_quiet_for_the_segment_are_refused_not_drawn_forever():
    frames, hop = 60_000, 16
    click = torch.zeros(frames * hop)
    click[100] = 0.95  # one click at the peak: a piece of ~1e6 samples around it has an RMS below 1e-3
    with pytest.raises(FoleyError, match="give a shorter --segment"):
        draw_batch([click], [torch.zeros(8, frames)], 2, frames, hop, torch.Generator().manual_seed(0))


def _fails(capsys, argv: list[str]) -> str:
    """The one line a refused run prints (exit status 2, no traceback)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        cli(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_a_run_refuses_other_inputs_and_broken_checkpoints_in_one_line(tmp_path, capsys):
    corpus, vocoder = _inputs(tmp_path)
    common = ["--data", str(corpus), "--steps", "3", "--batch", "1", "--mel-only", "--out", str(tmp_path / "v")]
    cli([*common, "--vocoder", str(vocoder), "--stop-at", "1"])
    # Another vocoder at the same folder name (every backbone's is vocoder/): other weights, refused.
    checkpoint, config, _ = write_jik876(tmp_path / "jik876b", seed=1)
    assert foley_main(["import-vocoder", str(checkpoint), "--config", str(config), "--out",
                       str(tmp_path / "other" / "vocoder")]) == 0
    assert "other settings (vocoder '" in _fails(capsys, [*common, "--vocoder", str(tmp_path / "other" / "vocoder")])
    # Other recordings under the same corpus folder: refused too.
    write_audio(corpus / "train" / "c0.wav", np.full(6000, 0.1, np.float32), 12000)
    assert "other settings (data '" in _fails(capsys, [*common, "--vocoder", str(vocoder)])
    # A truncated checkpoint is named, with what to do.
    run_checkpoint = tmp_path / "v.run" / "vocoder.pt"
    run_checkpoint.write_bytes(run_checkpoint.read_bytes()[:1000])
    assert "vocoder.pt: not a readable checkpoint" in _fails(capsys, [*common, "--vocoder", str(vocoder)])
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("flags, message", [
    (["--out", "{tmp}/v", "--run", "{tmp}/v"], "give the checkpoints a folder of their own"),
    (["--out", "{tmp}/v", "--run", "{tmp}/v/run"], "give the checkpoints a folder of their own"),
    (["--out", "{tmp}/v", "--run", "{tmp}/vocoder"], "is or shares a folder with --vocoder"),
    (["--out", "{tmp}/corpus/v"], "is or shares a folder with --data"),
    (["--out", "{tmp}/v", "--device", "meta"], "unknown device 'meta'"),
    (["--out", "{tmp}/v", "--seed", "123456789012345678901"], "--seed"),
])
def test_bad_folders_devices_and_seeds_are_one_line_before_any_work(tmp_path, capsys, flags, message):
    corpus, vocoder = _inputs(tmp_path)
    argv = ["--data", str(corpus), "--vocoder", str(vocoder), "--steps", "1", "--batch", "1", "--mel-only",
            *(f.format(tmp=tmp_path) for f in flags)]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert message in _fails(capsys, argv)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_a_backbones_own_vocoder_is_fine_tuned_with_the_backbones_mel(tmp_path):
    """A backbone's vocoder/ has no mel_config.json of its own: the backbone's, one folder up, is its mel."""
    corpus, vocoder = _inputs(tmp_path)
    backbone = tmp_path / "backbone"
    shutil.copytree(vocoder, backbone / "vocoder")
    (backbone / "vocoder" / "mel_config.json").rename(backbone / "mel_config.json")
    cli(["--vocoder", str(backbone / "vocoder"), "--data", str(corpus), "--steps", "1", "--batch", "1", "--mel-only",
         "--out", str(tmp_path / "tuned")])
    assert vocoder_mel_config(tmp_path / "tuned") == vocoder_mel_config(vocoder)
