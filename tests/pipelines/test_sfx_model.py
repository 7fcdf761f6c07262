"""The shipped recorded-sound dub model (`--model sfx`) end to end on its example clip."""
import json
from pathlib import Path

import numpy as np
import pytest

import foley
from foley.pipelines.dub import FoleyPipeline, model_dir

# Greedy LM output for data/examples/hammer_metal.mp4 around its first two strikes (0.72 s and 1.12 s).
GOLDEN_TOKENS_30_TO_60 = [0, 0, 0, 0, 0, 0, 0, 88, 88, 98, 89, 89, 110, 72, 8, 8, 116, 116, 0, 0, 0, 0, 0, 0, 0, 0,
                          88, 88, 98, 89]


@pytest.fixture(scope="module")
def sfx():
    return FoleyPipeline.from_pretrained("sfx", device="cpu")


def test_the_sfx_model_writes_a_sound_at_every_strike(sfx):
    tokens = sfx.predict_tokens("data/examples/hammer_metal.mp4")
    assert len(tokens) == 200 and tokens[30:60].tolist() == GOLDEN_TOKENS_30_TO_60
    sound = (tokens != sfx.silence_unit).numpy().astype(int)
    starts_s = np.nonzero(np.diff(np.r_[0, sound]) == 1)[0] / 50
    onsets_s = json.loads(open("data/examples/hammer_metal.json").read())["onsets_s"]
    assert len(starts_s) == len(onsets_s)
    np.testing.assert_allclose(starts_s, onsets_s, atol=0.1)  # the onset metric's tolerance


def test_the_sfx_model_renders_at_its_backbones_rate(sfx):
    assert sfx.backbone.c.decoding.noise_fill == pytest.approx(0.2)  # its decoding.json, as measured
    assert (sfx.config.scale, sfx.config.visual_steps) == pytest.approx((1.25, 0.2))  # pipeline.json, as measured
    tokens = sfx.predict_tokens("data/examples/hammer_metal.mp4")
    audio = sfx.render(tokens, 4.0, "hammering on metal", steps=2)
    assert sfx.time.sample_rate == 22_050 and audio.shape == (88_200,) and np.isfinite(audio).all()
    rms = np.sqrt((audio[: 88_200 // 20 * 20].reshape(20, -1) ** 2).mean(axis=1))  # per 0.2 s
    assert rms[3:6].max() > 2 * rms[:3].max()  # the first strike (0.72 s) is louder than the silence before it


def test_its_visual_condition_works_at_the_finest_resolution_only(sfx):
    from foley.models.visual_adapter import resolution_level

    assert sfx.adapter.cfg.resolutions == 1  # as measured: the class of more clips right, the timing kept
    levels = len(sfx.backbone.unet.down_blocks)
    every = [n for n in sfx.backbone.unet.attn_processors if n.endswith("attn2.processor")]
    finest = min(resolution_level(n, levels) for n in every)
    assert sfx.adapter.names == sorted(n for n in every if resolution_level(n, levels) == finest)
    assert 0 < len(sfx.adapter.names) < len(every)


def test_the_sfx_model_captions_the_example_by_what_it_shows(sfx):
    seen = sfx.caption_probe.seen(sfx.encode_frames("data/examples/hammer_metal.mp4", 4.0))
    assert (seen.label, seen.caption) == ("hammer_metal", "a hammer strikes a metal plate") and seen.probability > 0.8


def test_the_sfx_model_says_what_it_knows(sfx, tmp_path):
    from conftest import lavfi_video

    result = sfx.dub(lavfi_video(tmp_path / "real.mp4", "testsrc2=s=320x240:r=30:d=2"), steps=2)
    assert not result.recognized and not np.any(result.audio)
    assert "footsteps on grass, gravel, snow, wood, concrete or sand" in sfx.unrecognized_note(result)


def test_the_sfx_model_tells_its_own_pictures_from_the_demo_models(sfx):
    own = sfx.frame_stats.unfamiliar(sfx.encode_frames("data/examples/hammer_metal.mp4", 4.0))
    other = sfx.frame_stats.unfamiliar(sfx.encode_frames("data/examples/hammer.mp4", 4.0))
    assert own < 0.1 and other > 0.9  # its dub of the demo's example is silence with a note, not a misnamed sound


def test_a_video_one_shipped_model_does_not_know_names_the_one_that_does(sfx):
    from foley.pipelines.dub import models_that_know

    assert sfx.root == model_dir("sfx") and sfx.frame_encoder_dir.is_dir()
    demo_clip = sfx.encode_frames("data/examples/hammer.mp4", 4.0)  # the demo model's own example
    assert models_that_know(demo_clip, sfx.frame_encoder_dir, sfx.root) == ("demo",)
    own = sfx.encode_frames("data/examples/hammer_metal.mp4", 4.0)
    assert models_that_know(own, sfx.frame_encoder_dir, model_dir("demo")) == ("sfx",)
    assert models_that_know(own, sfx.frame_encoder_dir, sfx.root) == ()  # itself is not named
    result = sfx.dub("data/examples/hammer.mp4", steps=2)
    assert sfx.not_dubbed(result) and result.known_by == ("demo",)


def test_a_caption_it_never_learned_is_noted(sfx):
    note = sfx.caption_notes("a dog barks")
    assert len(note) == 1 and note[0].startswith("'a dog barks' is unlike every sound this backbone learned")
    assert sfx.caption_notes("a church bell rings") == [] and sfx.caption_notes(None) == []
    # one as near as another sound sharing a word may be: which it may come out like
    assert sfx.caption_notes("a glass shatters")[0].startswith(
        "'a glass shatters' is nearest to 'a finger rubs the rim of a glass' of the sounds this backbone learned")
    # near (0.70), but sharing only "ambience": another place's sound
    assert sfx.caption_notes("street ambience")[0].startswith(
        "'street ambience' is nearest to 'harbour ambience' of the sounds this backbone learned (similarity 0.70)")
    assert sfx.caption_notes("a bicycle bell rings") == []  # near a bell that rings


def test_its_files_carry_licence_and_frame_statistics():
    root = model_dir("sfx")
    config = json.loads((root / "pipeline.json").read_text())
    assert (root / config["frame_encoder"]).resolve() == (model_dir("demo") / "frame_encoder").resolve()
    assert (root / config["frame_stats"]).is_file() and (root / "LICENSE.md").is_file()


def test_its_backbone_is_the_compose_backbones_run_fine_tuned_and_shares_the_rest():
    from foley.models.layout import component_dir
    from foley.pipelines.compose import SHIPPED_BACKBONES

    root = model_dir("sfx")
    own = root / json.loads((root / "pipeline.json").read_text())["backbone"]
    compose = Path(foley.__file__).parent / SHIPPED_BACKBONES["sfx"]
    assert (own / "LICENSE.md").is_file()
    assert component_dir(own, "unet") == own / "unet" and component_dir(own, "vae") == own / "vae"
    for shared in ("text_encoder_0", "scheduler", "vocoder"):
        assert component_dir(own, shared, ()).resolve() == (compose / shared).resolve()
    own_training, compose_training = (json.loads((d / "training.json").read_text()) for d in (own, compose))
    first = own_training["init_training"]  # two fine-tunes of 1,500 steps, the second from the first
    for tune in (own_training, first):
        assert tune["args"]["recipe"] == "demo" and tune["args"]["unet_steps"] == 1_500
    assert first["init_args"]["unet_steps"] == 20_000  # compose's CPU run (15,500 steps) continued
    cpu_run = compose_training["init_training"]  # compose's UNet: that run at 15,500, fine-tuned on a GPU
    assert compose_training["args"]["device"] == "cuda" and cpu_run["args"]["unet_steps"] == 15_500
    assert {k: v for k, v in first["init_args"].items() if k != "unet_steps"} == {
        k: v for k, v in cpu_run["args"].items() if k != "unet_steps"}
