"""The shipped demo model end to end on the committed example clip (golden tokens)."""
import numpy as np
import pytest

from foley.pipeline import FoleyPipeline

GOLDEN_FIRST_TOKENS = [57] * 18 + [54] * 6  # greedy LM output for data/examples/hammer.mp4


@pytest.fixture(scope="module")
def demo():
    return FoleyPipeline.from_pretrained("demo", device="cpu")


def test_demo_tokens_are_golden_and_audio_fits(demo):
    tokens = demo.predict_tokens("data/examples/hammer.mp4")
    assert len(tokens) == 200 and tokens[:24].tolist() == GOLDEN_FIRST_TOKENS
    audio = demo.render(tokens, 4.0, steps=2)
    assert audio.shape == (64_000,) and np.isfinite(audio).all() and 0 < np.abs(audio).max() <= 1
