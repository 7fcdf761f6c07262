"""The shipped demo model end to end on the committed example clip (golden tokens)."""
import numpy as np
import pytest

from foley.pipelines.dub import FoleyPipeline

# Greedy LM output for data/examples/hammer.mp4 around its first strike (0.72 s = token 36).
GOLDEN_TOKENS_32_TO_56 = [0, 0, 0, 0, 125, 80, 17, 108, 61, 60, 60, 60, 18, 18, 18, 18, 18, 123, 123, 123, 115, 30, 114, 125]
GOLDEN_RMS_ENVELOPE = [0.00069, 0.04046, 0.03315, 0.00069, 0.00067, 0.0325, 0.0163, 0.00069]  # 2 steps, seed 0


@pytest.fixture(scope="module")
def demo():
    return FoleyPipeline.from_pretrained("demo", device="cpu")


def test_demo_tokens_are_golden_and_audio_fits(demo):
    tokens = demo.predict_tokens("data/examples/hammer.mp4")
    assert len(tokens) == 200 and tokens[32:56].tolist() == GOLDEN_TOKENS_32_TO_56
    assert demo.silence_unit == 0 and (tokens[:36] == 0).all()  # the silence unit until the first strike
    audio = demo.render(tokens, 4.0, steps=2)
    assert audio.shape == (64_000,) and np.isfinite(audio).all() and 0 < np.abs(audio).max() <= 1
    envelope = np.sqrt((audio.reshape(8, -1) ** 2).mean(axis=1))  # RMS per 0.5 s
    np.testing.assert_allclose(envelope, GOLDEN_RMS_ENVELOPE, rtol=0.02, atol=2e-4)


def test_a_short_clip_is_dubbed_as_a_whole_window(demo, tmp_path):
    """0.32 s around the first strike (0.72 s): the strike is heard, at the tokens it has in
    the whole clip (a short window alone used to come out at -62 dBFS)."""
    from foley.media.ffmpeg import run_ffmpeg

    short = tmp_path / "short.mp4"
    run_ffmpeg(["-ss", "0.6", "-i", "data/examples/hammer.mp4", "-t", "0.3", str(short)], what=str(short))
    result = demo.dub(short, steps=2)
    assert result.audio.shape == (5_120,) and result.tokens.shape == (16,)
    assert (result.tokens[:7] == 0).all() and result.tokens[7:11].tolist() == GOLDEN_TOKENS_32_TO_56[4:8]
    assert 10 * np.log10((result.audio ** 2).mean()) > -35  # the strike, not the -63 dBFS of silence


def test_a_real_video_the_model_does_not_know_comes_back_silent(demo, tmp_path):
    """A real scene (moving colour bars and noise, nothing SynthSync has): all silence units,
    nothing rendered, and the model's description for the summary."""
    from conftest import lavfi_video

    video = lavfi_video(tmp_path / "real.mp4", "testsrc2=s=320x240:r=30:d=3")
    result = demo.dub(video, steps=2)
    assert not result.recognized and not np.any(result.audio)
    assert result.unfamiliar > 0.9  # its frames are far from SynthSync's: the LM is not asked
    note = demo.unrecognized_note(result)
    assert "of the frames are unlike any this model was trained on" in note
    assert "SynthSync's eight synthetic events" in note and "SynthSync's eight" in demo.unrecognized_note()


def test_the_example_clips_frames_are_familiar(demo):
    features = demo.encode_frames("data/examples/hammer.mp4", 4.0)  # (86, 128)
    assert demo.frame_stats.unfamiliar(features) < 0.05


def test_the_events_the_demo_model_says_it_knows_are_in_words_its_backbone_learned(demo):
    """The note of an unknown video names what the model knows; each of those names, given to
    `foley compose --model demo`, is in the backbone's vocabulary ("a hand clap" was not: "hands clapping")."""
    from foley.pipelines.compose import unknown_words

    events = [e.strip() for e in demo.config.knows.split(":", 1)[1].split(",")]
    assert len(events) == 8
    assert {e: unknown_words(demo.backbone.text.tokenizer, e) for e in events} == {e: [] for e in events}
