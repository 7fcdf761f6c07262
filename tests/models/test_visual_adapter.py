"""The visual cross-attention adapter inside a frozen UNet."""
from __future__ import annotations

import re

import pytest
import torch
from safetensors.torch import load_file

from foley.errors import FoleyError
from foley.models.visual_adapter import (
    VisualAdapter,
    VisualAdapterConfig,
    VisualAttnProcessor,
    VisualCondition,
    build_visual_adapter,
    resolution_level,
    temporal_bias,
)

from auffusion_models import tiny_backbone

DIM = 12  # visual feature width (differs from the tiny text width 16)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    return tiny_backbone(tmp_path_factory.mktemp("tiny"))


def _inputs(backbone, batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    h, w = backbone.latent_size
    latents = torch.randn(batch, 4, h, w, generator=g)
    text = torch.randn(batch, backbone.text.max_length, backbone.text.dim, generator=g)
    visual = torch.randn(batch, backbone.image_tokens, DIM, generator=g)
    return latents, text, VisualCondition(visual, backbone.latent_size)


def _run(backbone, latents, text, cond=None):
    with torch.no_grad():
        kwargs = None if cond is None else {"ip_hidden_states": cond}
        return backbone.unet(latents, torch.tensor([500] * len(latents)), text, cross_attention_kwargs=kwargs).sample


@pytest.mark.parametrize("temporal", ["none", "gaussian"])
def test_scale_zero_reproduces_the_frozen_unet_bit_exactly(backbone, temporal):
    latents, text, cond = _inputs(backbone)
    frozen = _run(backbone, latents, text)
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, temporal=temporal, scale=0.0), backbone.unet)
    adapter.attach(backbone.unet)
    try:
        assert torch.equal(_run(backbone, latents, text, cond), frozen)
        adapter.set_scale(0.5)
        assert not torch.allclose(_run(backbone, latents, text, cond), frozen, atol=1e-4)
    finally:
        adapter.detach(backbone.unet)


def test_generation_with_scale_zero_equals_text_only_generation(backbone):
    reference = backbone.generate(["a ball"], 0.5, steps=2, seed=3)
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, scale=0.0), backbone.unet).attach(backbone.unet)
    try:
        visual = torch.randn(1, 25, DIM)
        assert torch.equal(backbone.generate(["a ball"], 0.5, steps=2, seed=3, visual=visual), reference)
    finally:
        adapter.detach(backbone.unet)


@pytest.mark.parametrize("visual_steps, visual_calls", [(1.0, 4), (0.5, 2), (0.3, 2), (0.1, 1), (0.0, 0)])
def test_visual_steps_limit_the_visual_branch_to_the_first_steps(backbone, monkeypatch, visual_steps, visual_calls):
    """The first ceil(visual_steps x 4) of 4 sampling steps run the visual branch (once per step
    and layer, the CFG halves in one batch); none of them: the text-only sample, bit for bit."""
    reference = backbone.generate(["a ball"], 0.5, steps=4, seed=3, scheduler="ddim")
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, scale=1.0), backbone.unet).attach(backbone.unet)
    calls = []
    visual = VisualAttnProcessor._visual
    monkeypatch.setattr(VisualAttnProcessor, "_visual", lambda self, *a: calls.append(1) or visual(self, *a))
    try:
        out = backbone.generate(["a ball"], 0.5, steps=4, seed=3, scheduler="ddim", visual=torch.randn(1, 25, DIM),
                                visual_steps=visual_steps)
    finally:
        adapter.detach(backbone.unet)
    assert len(calls) == visual_calls * len(adapter.names)
    assert torch.equal(out, reference) == (visual_calls == 0)


@pytest.mark.parametrize("visual_steps", [-0.1, 1.5])
def test_visual_steps_outside_zero_to_one_are_refused(backbone, visual_steps):
    with pytest.raises(FoleyError, match=re.escape(f"visual_steps must be a fraction in [0, 1], got {visual_steps}")):
        backbone.generate(["a ball"], 0.5, steps=2, visual=torch.randn(1, 25, DIM), visual_steps=visual_steps)


def test_detach_restores_the_original_processors(backbone):
    before = backbone.unet.attn_processors
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM), backbone.unet).attach(backbone.unet)
    during = backbone.unet.attn_processors
    assert sum(isinstance(p, torch.nn.Module) and p in adapter.processors.values() for p in during.values()) == len(adapter.names)
    assert all(during[n] is before[n] for n in before if not n.endswith("attn2.processor"))
    with pytest.raises(FoleyError, match="already attached"):
        adapter.attach(backbone.unet)
    adapter.detach(backbone.unet)
    after = backbone.unet.attn_processors
    assert after.keys() == before.keys() and all(after[n] is before[n] for n in before)


def test_only_adapter_parameters_are_trainable(backbone):
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM), backbone.unet).attach(backbone.unet)
    try:
        trainable = sum(p.numel() for p in backbone.unet.parameters() if p.requires_grad)
        n_layers = len(adapter.names)
        assert n_layers == sum(n.endswith("attn2.processor") for n in backbone.unet.attn_processors) > 0
        assert trainable == sum(p.numel() for p in adapter.parameters()) == n_layers * 2 * DIM * 16
    finally:
        adapter.detach(backbone.unet)


def test_visual_kv_start_from_the_text_kv_when_widths_match(backbone):
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=backbone.text.dim), backbone.unet)
    modules = dict(backbone.unet.named_modules())
    for name in adapter.names:
        attn = modules[name[: -len(".processor")]]
        assert torch.equal(adapter.processor(name).to_k_vis.weight, attn.to_k.weight)
        assert torch.equal(adapter.processor(name).to_v_vis.weight, attn.to_v.weight)


def test_save_load_round_trip_with_namespaced_keys(backbone, tmp_path):
    torch.manual_seed(0)
    adapter = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, temporal="none", scale=0.7), backbone.unet)
    adapter.save_pretrained(tmp_path / "a")
    keys = load_file(str(tmp_path / "a" / "adapter.safetensors")).keys()
    assert all(k.startswith("visual_adapter.") and "attn2.processor.to_" in k for k in keys)
    again = VisualAdapter.from_pretrained(tmp_path / "a")
    assert again.cfg == adapter.cfg
    for k, v in adapter.adapter_state_dict().items():
        assert torch.equal(again.adapter_state_dict()[k], v)
    latents, text, cond = _inputs(backbone)
    outs = []
    for a in (adapter, again):
        a.attach(backbone.unet)
        outs.append(_run(backbone, latents, text, cond))
        a.detach(backbone.unet)
    assert torch.equal(*outs)
    assert VisualAdapter.from_pretrained(tmp_path / "a", scale=0.2).cfg.scale == 0.2


def test_resolutions_keep_the_layers_of_the_finest_ones(backbone):
    assert [resolution_level(n, 4) for n in ("down_blocks.2.attentions.0.x", "down_blocks.3.attentions.0.x",
                                             "mid_block.attentions.0.x", "up_blocks.0.attentions.1.x",
                                             "up_blocks.1.attentions.0.x")] == [2, 3, 3, 3, 2]
    every = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM), backbone.unet)
    assert every.names == sorted(n for n in backbone.unet.attn_processors if n.endswith("attn2.processor"))
    finest = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, resolutions=1), backbone.unet)
    assert finest.names == ["down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor",  # the tiny UNet: 2 levels
                            "up_blocks.1.attentions.0.transformer_blocks.0.attn2.processor",
                            "up_blocks.1.attentions.1.transformer_blocks.0.attn2.processor"]
    assert build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, resolutions=2), backbone.unet).names == every.names
    with pytest.raises(FoleyError, match=r"resolutions 3: the UNet has cross-attention at 2 resolutions"):
        build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, resolutions=3), backbone.unet)
    before = backbone.unet.attn_processors
    finest.attach(backbone.unet)
    try:
        mid = "mid_block.attentions.0.transformer_blocks.0.attn2.processor"
        assert backbone.unet.attn_processors[mid] is before[mid]  # a coarser layer keeps its text-only processor
    finally:
        finest.detach(backbone.unet)
    with pytest.raises(FoleyError, match="resolutions must be a whole number >= 0"):
        VisualAdapterConfig(resolutions=-1)
    for scale in (-0.5, float("nan")):
        with pytest.raises(FoleyError, match=r"scale \(lambda\) must be a finite number >= 0"):
            VisualAdapterConfig(scale=scale)


def test_adapter_for_another_unet_is_rejected(backbone):
    adapter = VisualAdapter(VisualAdapterConfig(visual_dim=DIM), {"down_blocks.9.attn2.processor": 16})
    with pytest.raises(FoleyError, match="no cross-attention layer"):
        adapter.attach(backbone.unet)
    layer = next(n for n in backbone.unet.attn_processors if n.endswith("attn2.processor"))
    narrow = VisualAdapter(VisualAdapterConfig(visual_dim=DIM), {layer: 8})  # a layer of that name, of another width
    with pytest.raises(FoleyError, match=rf"layer {re.escape(layer)} is \d+ wide and the adapter's 8"):
        narrow.attach(backbone.unet)
    assert narrow._saved is None  # nothing attached
    with pytest.raises(FoleyError, match="temporal"):
        VisualAdapterConfig(temporal="rope")


def test_temporal_bias_peaks_at_the_query_time():
    bias = temporal_bias(n_query=2 * 8, latent_size=(2, 8), n_tokens=32, sigma=1.0, device="cpu", dtype=torch.float32)
    assert bias.shape == (16, 32)
    assert torch.equal(bias[:8].argmax(dim=1), torch.tensor([1, 5, 9, 13, 17, 21, 25, 29]))  # 4 tokens per column
    assert torch.equal(bias[:8], bias[8:])  # every frequency row shares the time bias
    coarse = temporal_bias(n_query=4, latent_size=(2, 8), n_tokens=32, sigma=1.0, device="cpu", dtype=torch.float32)
    assert torch.equal(coarse.argmax(dim=1), torch.tensor([3, 11, 19, 27]))  # the next level: (1, 4), 8 tokens a column


def test_time_aware_variant_keeps_a_token_change_local(backbone):
    """In a cross-attention layer, changing the features of the first tokens moves only the
    first columns' output with the time-aware variant, and every column with the plain one."""
    name = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor"
    attn = dict(backbone.unet.named_modules())[name[: -len(".processor")]]
    h, w = backbone.latent_size
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(1, h * w, attn.to_q.in_features, generator=g)  # (B, N, C) at the finest level
    text = torch.randn(1, backbone.text.max_length, backbone.text.dim, generator=g)
    states = torch.randn(1, backbone.image_tokens, DIM, generator=g)
    changed = states.clone()
    changed[:, :2] += 3.0  # the first 2 tokens = the first latent column's time span
    spread = {}
    for temporal in ("none", "gaussian"):
        proc = build_visual_adapter(VisualAdapterConfig(visual_dim=DIM, temporal=temporal, scale=1.0),
                                    backbone.unet).processor(name)
        with torch.no_grad():
            a, b = (proc(attn, hidden, text, ip_hidden_states=VisualCondition(s, (h, w))) for s in (states, changed))
        per_column = (a - b).abs().view(h, w, -1).amax(dim=(0, 2))  # (w,)
        spread[temporal] = (per_column[w // 2:].max() / per_column[0]).item()
    assert spread["gaussian"] < 1e-3 and spread["none"] > 0.1


@pytest.mark.parametrize("fraction, steps, count", [(1.0, 25, 25), (0.2, 25, 5), (0.28, 25, 7), (0.56, 25, 14),
                                                    (0.001, 25, 1), (0.0, 25, 0), (0.3, 4, 2)])
def test_visual_step_count_rounds_up_but_not_a_rounding_error(fraction, steps, count):
    from foley.models.backbone import visual_step_count

    assert visual_step_count(fraction, steps) == count
