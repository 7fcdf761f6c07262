"""The explicit import step for third-party tokenizer files that are Python pickles.

fairseq's HuBERT checkpoints (``hubert_base_ls960.pt``) and its joblib k-means files
(``hubert_base_ls960_L9_km500.bin``) are pickles: loading one runs code from the file.
Nothing else in foley loads them. Import files from a source you trust, once; the result
is a tokenizer directory of safetensors and JSON that loads safely from then on::

    foley import-tokenizer --hubert hubert_base_ls960.pt --kmeans km500.bin --out DIR

``--hubert`` may also name a transformers HubertModel directory or hub id
(``facebook/hubert-base-ls960`` is the same model as ``hubert_base_ls960.pt``).
"""
from __future__ import annotations

import ast
import os
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch
from transformers import HubertConfig, HubertModel

from ..errors import FoleyError
from ..media.files import atomic_dir, refuse_output_holding_inputs, refuse_to_replace
from .hub import quiet_loading
from .hubert_features import HubertFeatures, HubertFeaturesConfig, build_hubert_features
from .unit_tokenizer import CENTROIDS_NAME, UnitTokenizer


def import_joblib_kmeans(path: str | os.PathLike) -> torch.Tensor:
    """Centroids (K, D) of a joblib-pickled scikit-learn k-means (fairseq's ``km.bin``). Trusted files only."""
    import joblib

    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no such k-means file")
    try:
        km = joblib.load(path)
    except Exception as e:  # unpickling can fail in any way
        raise FoleyError(f"{path}: not a readable joblib k-means file ({type(e).__name__}: {e})") from None
    centers = getattr(km, "cluster_centers_", None)
    if centers is None or np.ndim(centers) != 2:
        raise FoleyError(f"{path}: holds a {type(km).__name__}, not a fitted scikit-learn k-means model")
    try:
        centers = np.asarray(centers, dtype=np.float32)
    except (TypeError, ValueError):
        raise FoleyError(f"{path}: the k-means centroids are not numbers") from None
    if not np.isfinite(centers).all():  # every frame would get unit 0
        raise FoleyError(f"{path}: the k-means centroids hold NaN or infinite values")
    return torch.from_numpy(centers)


def _section(cfg, name: str) -> dict:
    """cfg.model / cfg.task of a fairseq checkpoint as a plain dict (DictConfig, dict or Namespace)."""
    part = cfg[name] if not isinstance(cfg, Namespace) else cfg
    return dict(vars(part)) if isinstance(part, Namespace) else {k: part[k] for k in part}


def _conv_layers(spec: str) -> list[tuple[int, int, int]]:
    """fairseq's conv_feature_layers, e.g. "[(512,10,5)] + [(512,3,2)] * 4", read without eval."""
    def value(node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = value(node.left), value(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        return ast.literal_eval(node)

    try:
        return [tuple(layer) for layer in value(ast.parse(spec, mode="eval").body)]
    except (SyntaxError, ValueError, TypeError):
        raise FoleyError(f"unreadable conv_feature_layers {spec!r} in the fairseq checkpoint") from None


def _hubert_config(model: dict) -> HubertConfig:
    layers = _conv_layers(model.get("conv_feature_layers", "[(512,10,5)] + [(512,3,2)] * 4 + [(512,2,2)] * 2"))
    return HubertConfig(
        hidden_size=model.get("encoder_embed_dim", 768),
        num_hidden_layers=model.get("encoder_layers", 12),
        num_attention_heads=model.get("encoder_attention_heads", 12),
        intermediate_size=model.get("encoder_ffn_embed_dim", 3072),
        hidden_act=model.get("activation_fn", "gelu"),
        conv_dim=[c for c, _, _ in layers], conv_kernel=[k for _, k, _ in layers], conv_stride=[s for _, _, s in layers],
        conv_bias=model.get("conv_bias", False),
        feat_extract_norm="layer" if model.get("extractor_mode", "default") == "layer_norm" else "group",
        do_stable_layer_norm=model.get("layer_norm_first", False),
        num_conv_pos_embeddings=model.get("conv_pos", 128),
        num_conv_pos_embedding_groups=model.get("conv_pos_groups", 16),
    )


def _rename(key: str) -> str | None:
    """fairseq HubertModel state-dict key -> transformers HubertModel key (None: not needed)."""
    if key.startswith(("final_proj", "label_embs", "label_embs_concat", "target_glu")):
        return None
    key = key.replace("post_extract_proj", "feature_projection.projection")
    if key.startswith("layer_norm."):
        return "feature_projection." + key
    if key == "mask_emb":
        return "masked_spec_embed"
    if key.startswith("feature_extractor.conv_layers."):
        parts = key.split(".")  # feature_extractor.conv_layers.{i}.{j}[.1].{weight|bias}
        j = parts[3]
        return ".".join(parts[:3] + (["conv"] if j == "0" else ["layer_norm"]) + parts[-1:])
    key = key.replace("encoder.pos_conv.0.weight_g", "encoder.pos_conv_embed.conv.parametrizations.weight.original0")
    key = key.replace("encoder.pos_conv.0.weight_v", "encoder.pos_conv_embed.conv.parametrizations.weight.original1")
    key = key.replace("encoder.pos_conv.0.", "encoder.pos_conv_embed.conv.")
    for old, new in ((".self_attn_layer_norm.", ".layer_norm."), (".self_attn.", ".attention."),
                     (".fc1.", ".feed_forward.intermediate_dense."), (".fc2.", ".feed_forward.output_dense.")):
        key = key.replace(old, new)
    return key


def load_fairseq_hubert(path: str | os.PathLike) -> tuple[HubertModel, bool]:
    """A fairseq HuBERT checkpoint as a transformers HubertModel, and its task's ``normalize``.

    Unpickles the file (``weights_only=False``): trusted files only. Needs the classes
    pickled in it, i.e. the optional ``fairseq`` extra for real checkpoints.
    """
    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no such fairseq checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except ModuleNotFoundError as e:
        raise FoleyError(f"{path}: unpickling needs the module {e.name!r}; "
                         "install the fairseq extra (see README)") from None
    except Exception as e:
        raise FoleyError(f"{path}: not a readable fairseq checkpoint ({type(e).__name__}: {e})") from None
    cfg = state.get("cfg") or state.get("args") if isinstance(state, dict) else None
    if cfg is None or not isinstance(state.get("model"), dict):
        raise FoleyError(f"{path}: not a fairseq checkpoint (no cfg/args and model state)")
    try:
        model_cfg, task_cfg = _section(cfg, "model"), _section(cfg, "task")
        model = HubertModel(_hubert_config(model_cfg))
        weights = {new: v for k, v in state["model"].items() if (new := _rename(k)) is not None}
        missing, unexpected = model.load_state_dict(weights, strict=False)
    except FoleyError as e:
        raise FoleyError(f"{path}: {e}") from None
    except Exception as e:  # noqa: BLE001 - a cfg HubertConfig refuses (its own error class), weights that do not fit
        detail = "; ".join(line.strip() for line in str(e).strip().splitlines())
        raise FoleyError(f"{path}: not a HuBERT checkpoint foley can read ({type(e).__name__}: {detail[:300]})") from None
    missing = [k for k in missing if k != "masked_spec_embed"]
    if missing or unexpected:
        raise FoleyError(f"{path}: the checkpoint does not match a HuBERT model "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    for key, value in weights.items():  # load_state_dict copies integers and NaN into the float weights
        if not value.is_floating_point():
            raise FoleyError(f"{path}: the weight {key} is {value.dtype}; HuBERT's weights are floating point")
        if not torch.isfinite(value).all():
            raise FoleyError(f"{path}: the weight {key} holds NaN or infinite values")
    return model.eval(), bool(task_cfg.get("normalize", False))


def import_unit_tokenizer(hubert: str, kmeans: str | os.PathLike, out: str | os.PathLike, layer: int = 9,
                          overwrite: bool = False) -> UnitTokenizer:
    """Build a tokenizer directory from a HuBERT model (fairseq checkpoint file, transformers dir
    or hub id) and a joblib k-means file, and save it to ``out``. FoleyError names every input
    file that is missing, before either is read; ``out`` appears complete or not at all, never
    holds an input, and an existing one is replaced only with ``overwrite``."""
    fairseq = str(hubert).endswith(".pt") or Path(hubert).is_file()
    missing = [f"{path} (--{flag})" for path, flag in ((hubert, "hubert"), (kmeans, "kmeans"))
               if (flag == "kmeans" or fairseq) and not Path(path).is_file()]
    if missing:
        raise FoleyError(f"no such file: {' and '.join(missing)}")
    refuse_output_holding_inputs(out, [hubert if Path(hubert).exists() else None, kmeans], "tokenizer")
    refuse_to_replace(out, overwrite, holds=CENTROIDS_NAME, what="tokenizer")
    centroids = import_joblib_kmeans(kmeans)
    if fairseq:
        model, normalize = load_fairseq_hubert(hubert)
        features = HubertFeatures(model, HubertFeaturesConfig(layer=layer, normalize_waveform=normalize))
    else:
        features = build_hubert_features(HubertFeaturesConfig(pretrained=str(hubert), layer=layer))
    try:
        tokenizer = UnitTokenizer(features, centroids)
    except FoleyError as e:  # a k-means of other features than this HuBERT's
        raise FoleyError(f"{kmeans}: {e}") from None
    with atomic_dir(out) as tmp, quiet_loading():
        tokenizer.save_pretrained(tmp)
    return tokenizer
