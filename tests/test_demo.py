"""The shipped demo model end to end on the committed example clip (golden tokens)."""
import numpy as np
import pytest

from foley.pipeline import FoleyPipeline

GOLDEN_FIRST_TOKENS = [0] * 16 + [36, 126, 19, 44, 75, 1, 94, 31]  # greedy LM output for data/examples/hammer.mp4
GOLDEN_RMS_ENVELOPE = [0.00618, 0.01935, 0.01664, 0.02115, 0.01393, 0.01008, 0.00521, 0.00891]  # 2 steps, seed 0


@pytest.fixture(scope="module")
def demo():
    return FoleyPipeline.from_pretrained("demo", device="cpu")


def test_demo_tokens_are_golden_and_audio_fits(demo):
    tokens = demo.predict_tokens("data/examples/hammer.mp4")
    assert len(tokens) == 200 and tokens[:24].tolist() == GOLDEN_FIRST_TOKENS
    audio = demo.render(tokens, 4.0, steps=2)
    assert audio.shape == (64_000,) and np.isfinite(audio).all() and 0 < np.abs(audio).max() <= 1
    envelope = np.sqrt((audio.reshape(8, -1) ** 2).mean(axis=1))  # RMS per 0.5 s
    np.testing.assert_allclose(envelope, GOLDEN_RMS_ENVELOPE, rtol=0.02, atol=2e-4)
