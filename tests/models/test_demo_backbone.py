"""The shipped demo backbone and adapter load through the same code as any checkpoint."""
from __future__ import annotations

from pathlib import Path

import torch

import foley
from foley.models.backbone import AudioBackbone
from foley.models.unit_tokenizer import UnitTokenizer
from foley.models.visual_adapter import VisualAdapter

DEMO = Path(foley.__file__).parent / "assets" / "demo"


def test_demo_backbone_and_adapter_generate_a_clip():
    backbone = AudioBackbone.from_pretrained(DEMO / "backbone")
    assert backbone.mel.width_s >= 4.0 and backbone.unet.dtype == torch.float32
    adapter = VisualAdapter.from_pretrained(DEMO / "adapter")
    tokenizer = UnitTokenizer.from_pretrained(DEMO / "tokenizer")
    assert adapter.cfg.visual_dim == tokenizer.unit_dim and adapter.cfg.temporal == "gaussian"
    adapter.attach(backbone.unet)
    try:
        visual = tokenizer.centroids(torch.randint(tokenizer.n_units, (1, 200)))  # (1, T, D)
        wav = backbone.generate(["a ball bouncing"], 4.0, steps=2, scheduler="ddim", guidance=3.0, visual=visual)
    finally:
        adapter.detach(backbone.unet)
    assert wav.shape == (1, 64000) and torch.isfinite(wav).all() and wav.abs().max() > 0.01
