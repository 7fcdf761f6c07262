"""A tiny random foley model directory (pipeline.json + components) for the tests."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import HubertConfig, HubertModel

from foley.models.frame_encoder import build_frame_encoder
from foley.models.visual_adapter import VisualAdapterConfig, build_visual_adapter
from foley.pipelines.dub import CONFIG_NAME, PipelineConfig

from auffusion_models import tiny_backbone
from lm_models import TINY_TOWER, tiny_lm
from unit_models import TINY, K, make_tokenizer


def write_tiny_model(root: Path) -> Path:
    """The shipped layout with tiny random components: window 0.64 s, 2 DDIM steps."""
    torch.manual_seed(0)
    HubertModel(HubertConfig(**TINY)).save_pretrained(str(root / "hubert_src"))
    make_tokenizer(root / "hubert_src").save_pretrained(root / "tokenizer")
    build_frame_encoder(TINY_TOWER).save_pretrained(root / "frame_encoder")
    tiny_lm(n_units=K).save_pretrained(root / "lm")
    backbone = tiny_backbone(root)
    backbone.save_pretrained(root / "backbone")
    build_visual_adapter(VisualAdapterConfig(visual_dim=TINY["hidden_size"]), backbone.unet).save_pretrained(root / "adapter")
    config = PipelineConfig(scale=0.5, window_s=0.64, overlap_s=0.2, caption="a ball bounces on the floor", steps=2,
                            guidance=2.0, scheduler="ddim")
    (root / CONFIG_NAME).write_text(json.dumps(config.to_dict()))
    return root
