"""Tiny random token LMs and frame encoders for the tests (CPU, float32, fixed seeds)."""
from __future__ import annotations

import pytest
import torch

from foley.models.connector import ConnectorConfig
from foley.models.frame_encoder import FrameEncoderConfig
from foley.models.token_lm import (
    INSTRUCTION,
    REQUEST,
    LoraSettings,
    TokenLMConfig,
    build_text_tokenizer,
    build_token_lm,
)

N_UNITS = 12
FRAME_DIM = 8
CAPTIONS = ["a ball bounces on the floor", "hands clapping", "a hammer strikes a nail", "glasses clinking"]

TINY_GEMMA = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1, head_dim=16, initializer_range=0.3, max_position_embeddings=1024)
TINY_TOWER = FrameEncoderConfig(
    model="foley-test-tower", pretrained="", batch_size=4,
    model_cfg={"embed_dim": FRAME_DIM, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8,
                                                      "head_width": 16},
               "text_cfg": {"context_length": 8, "vocab_size": 64, "width": 16, "heads": 1, "layers": 1}})


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on a shared CPU: one thread is ~10x faster than several fighting for cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_lm_config(**changes) -> TokenLMConfig:
    base = dict(base="", gemma=TINY_GEMMA, n_units=N_UNITS, instruction="Foley.", request="Audio?",
                connector=ConnectorConfig(frame_dim=FRAME_DIM, lm_dim=32, n_layers=1),
                lora=LoraSettings(r=4, alpha=8, dropout=0.0, target_modules=("q_proj", "v_proj", "down_proj")))
    return TokenLMConfig(**{**base, **changes})


def tiny_text_tokenizer():
    return build_text_tokenizer([INSTRUCTION, REQUEST, "Video: Caption:", *CAPTIONS], vocab_size=300)


def tiny_lm(seed: int = 0, **changes):
    torch.manual_seed(seed)
    return build_token_lm(tiny_lm_config(**changes), tokenizer=tiny_text_tokenizer())


def fitted_lm(seed: int = 0, steps: int = 40, **changes):
    """A tiny LM fitted to random unit sequences of 4 random clips: non-trivial, clip-dependent
    outputs (a random Gemma with tied embeddings mostly repeats one token)."""
    model = tiny_lm(seed, **changes)
    frames, counts, captions = clip_batch([11, 3, 7, 9], seed)
    units = torch.randint(0, N_UNITS, (4, 12), generator=torch.Generator().manual_seed(seed + 5))
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=2e-2)
    model.train()
    for _ in range(steps):
        loss, _ = model(captions, units, torch.full((4,), 12), frames, counts)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.eval()


def perturb(model, seed: int = 1, scale: float = 0.3) -> None:
    """Give every trainable tensor (LoRA B included) random non-zero values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.trainable_parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))


def clip_batch(n_frames: list[int], seed: int = 0):
    """Random frame features (B, N_max, FRAME_DIM), their counts and captions."""
    g = torch.Generator().manual_seed(seed)
    frames = torch.randn(len(n_frames), max(n_frames + [1]), FRAME_DIM, generator=g)
    return frames, torch.tensor(n_frames), [CAPTIONS[i % len(CAPTIONS)] for i in range(len(n_frames))]
