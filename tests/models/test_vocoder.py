"""Vocoders: Auffusion's HiFi-GAN through SpeechT5HifiGan, and Griffin-Lim."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from foley.errors import FoleyError
from foley.models.mel import MelConfig, log_mel
from foley.models.vocoder import GriffinLimConfig, GriffinLimVocoder, HifiGanVocoder, load_vocoder

from auffusion_models import write_auffusion_vocoder


def test_converted_hifigan_equals_the_original_generator(tmp_path):
    ref = write_auffusion_vocoder(tmp_path / "vocoder", seed=3)
    ours = load_vocoder(tmp_path / "vocoder")
    assert isinstance(ours, HifiGanVocoder)
    mel = torch.randn(2, 16, 25, generator=torch.Generator().manual_seed(0)) - 3.0  # (B, n_mels, T)
    with torch.no_grad():
        expected = ref(mel)[:, 0]  # (B, T * 160)
        got = ours(mel)
    assert got.shape == (2, 25 * 160)
    assert expected.abs().max() > 0.01  # not a trivially silent output
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_hifigan_save_load_round_trip(tmp_path):
    write_auffusion_vocoder(tmp_path / "a", seed=1)
    voc = load_vocoder(tmp_path / "a")
    voc.save_pretrained(tmp_path / "b")
    again = load_vocoder(tmp_path / "b")
    mel = torch.randn(1, 16, 10)
    with torch.no_grad():
        assert torch.equal(voc(mel), again(mel))


def test_a_saved_hifigan_missing_a_weight_is_refused_not_filled_at_random(tmp_path):
    from safetensors.torch import load_file, save_file

    write_auffusion_vocoder(tmp_path / "a", seed=1)
    load_vocoder(tmp_path / "a").save_pretrained(tmp_path / "b")
    weights = tmp_path / "b" / "model.safetensors"
    save_file({k: v for k, v in load_file(weights).items() if k != "conv_post.bias"}, weights, metadata={"format": "pt"})
    with pytest.raises(FoleyError, match=r"b: the vocoder's weights lack conv_post.bias \(an incomplete or other "
                                         r"model's weights file\)$"):
        load_vocoder(tmp_path / "b")


def test_a_saved_vocoder_config_that_would_fail_when_run_is_refused_at_load(tmp_path):
    import json

    write_auffusion_vocoder(tmp_path / "a", seed=1)
    load_vocoder(tmp_path / "a").save_pretrained(tmp_path / "b")
    config = tmp_path / "b" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "upsample_rates": [5, 4, 4, 2, 1]}))
    with pytest.raises(FoleyError, match=r"b/config.json: upsample_rates has 5 entries but upsample_kernel_sizes "
                                         r"has 4$"):  # every weight fits: it loaded, then failed when run
        load_vocoder(tmp_path / "b")
    GriffinLimVocoder(GriffinLimConfig(mel=MelConfig(n_mels=16))).save_pretrained(tmp_path / "g")
    config = tmp_path / "g" / "config.json"
    for name, value, said in (("n_iter", "32", "n_iter must be a whole number >= 1, got '32'"),
                              ("momentum", 1.5, "momentum must be a number from 0 to below 1, got 1.5")):
        config.write_text(json.dumps({**json.loads(config.read_text()), "n_iter": 32, "momentum": 0.99, name: value}))
        with pytest.raises(FoleyError, match=rf"g/config.json: not a usable Griffin-Lim config \({said}\)$"):
            load_vocoder(tmp_path / "g")


def test_auffusion_checkpoint_without_generator_entry_is_rejected(tmp_path):
    write_auffusion_vocoder(tmp_path / "v")
    torch.save({"discriminator": {}}, tmp_path / "v" / "vocoder.pt")
    with pytest.raises(FoleyError, match="generator"):
        load_vocoder(tmp_path / "v")


def test_griffin_lim_keeps_the_spectrogram_and_the_timing(tmp_path):
    mel_cfg = MelConfig(n_mels=64, width=100)
    voc = GriffinLimVocoder(GriffinLimConfig(mel=mel_cfg, n_iter=32))
    wav = np.zeros(16000, np.float32)
    rng = np.random.default_rng(0)
    for onset in (0.25, 0.6):  # decaying noise bursts
        i = int(onset * 16000)
        wav[i:i + 1600] = rng.standard_normal(1600) * np.exp(-np.arange(1600) / 300) * 0.8
    logmel = log_mel(wav, mel_cfg)  # (1, 64, 100)
    out = voc(logmel)
    assert out.shape == (1, 16000)
    again = log_mel(out, mel_cfg)
    loud = logmel > np.log(1e-2)
    assert (again - logmel)[loud].abs().mean() < 1.0  # nats, on the loud bins
    env = out[0].abs().numpy()
    for onset in (0.25, 0.6):  # the energy rises within 10 ms of the true onset
        i = int(onset * 16000)
        assert env[i - 800:i - 160].max() < 0.2 * env[i:i + 800].max()
    voc.save_pretrained(tmp_path / "gl")
    assert isinstance(load_vocoder(tmp_path / "gl"), GriffinLimVocoder)
