"""A tiny random HuBERT unit tokenizer for the tests (CPU, float32, fixed seeds)."""
from __future__ import annotations

import torch

from foley.models.hubert_features import HubertFeaturesConfig, build_hubert_features
from foley.models.unit_tokenizer import UnitTokenizer

TINY = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
            conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
K = 16


def make_tokenizer(hubert_dir, **settings) -> UnitTokenizer:
    features = build_hubert_features(HubertFeaturesConfig(pretrained=str(hubert_dir), layer=2, **settings))
    torch.manual_seed(1)
    return UnitTokenizer(features, torch.randn(K, TINY["hidden_size"]))
