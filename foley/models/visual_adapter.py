"""The visual cross-attention adapter: decoupled cross-attention in a frozen UNet.

In every cross-attention layer (``attn2``) of the UNet (or, with ``resolutions``, in those of
its finest resolutions only), the processor computes

    Z = Attn(Q, K_txt, V_txt) + scale * Attn(Q, K_vis, V_vis)

with Q and the text branch the frozen layer's own, and new trainable projections
``to_k_vis`` / ``to_v_vis`` (no bias, like the text ones; initialized from the text K/V
where the widths match) applied to the visual features: the token centroids (B, T, D).
It is written as a diffusers attention processor and installed with
``UNet2DConditionModel.set_attn_processor``; detaching puts the original processors back.

Two variants behind ``VisualAdapterConfig.temporal``:

- ``"none"``: the paper's plain IP-Adapter-style attention, blind to time.
- ``"gaussian"``: time-aware. Query column x (of w at that UNet level) and token j (of T,
  both spanning the model width) get an additive attention bias
  ``-((x + 0.5) * T / w - 0.5 - j)^2 / (2 sigma^2)`` (sigma in tokens), so a mel column
  attends to the tokens of its own instant.

The visual features travel in ``cross_attention_kwargs["ip_hidden_states"]`` as a
:class:`VisualCondition`: diffusers passes that key to processors that accept it and drops
it silently for the others (self-attention), so no processor but ours needs to change.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import UNet2DConditionModel
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..config import is_finite_number
from ..errors import FoleyError
from ..media.files import atomic_dir

TEMPORAL_MODES = ("none", "gaussian")
NAMESPACE = "visual_adapter."
CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter.safetensors"
TRAINING_FILE = "training.json"


@dataclass(frozen=True)
class VisualAdapterConfig:
    visual_dim: int = 768  # width of the visual features (the k-means centroids)
    temporal: str = "gaussian"  # "none": the paper's plain attention; "gaussian": time-aware bias
    temporal_sigma_tokens: float = 1.0  # width of the time bias, in tokens (1 token = 20 ms at 50 Hz)
    scale: float = 0.5  # lambda at inference (the paper's default)
    # The cross-attention layers it works in: those of the UNet's finest `resolutions` resolutions
    # that have any (0: every layer, the paper's). Timing lives at the finer ones.
    resolutions: int = 0

    def __post_init__(self) -> None:
        if self.temporal not in TEMPORAL_MODES:
            raise FoleyError(f"unknown temporal mode {self.temporal!r}; choose from {', '.join(TEMPORAL_MODES)}")
        if self.visual_dim < 1 or self.temporal_sigma_tokens <= 0:
            raise FoleyError("visual_dim must be >= 1 and temporal_sigma_tokens > 0")
        if not isinstance(self.resolutions, int) or self.resolutions < 0:
            raise FoleyError(f"resolutions must be a whole number >= 0 (0: every layer), got {self.resolutions!r}")
        if not is_finite_number(self.scale) or self.scale < 0:
            raise FoleyError(f"scale (lambda) must be a finite number >= 0, got {self.scale!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "VisualAdapterConfig":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown visual adapter config fields: {sorted(unknown)}")
        return cls(**data)


@dataclass
class VisualCondition:
    states: torch.Tensor  # (B, T, D) token features spanning the model width
    latent_size: tuple[int, int]  # (h, w) of the UNet's input latents
    active: bool = True  # False: the processors skip the visual branch (steps past its interval)
    _biases: dict = field(default_factory=dict, repr=False)  # temporal biases, made once per generation

    def temporal_bias(self, n_query: int, sigma: float, dtype: torch.dtype) -> torch.Tensor:
        """:func:`temporal_bias` (n_query, T) of this condition; every layer and step of one
        generation shares it."""
        key = (n_query, sigma, dtype)
        if key not in self._biases:
            self._biases[key] = temporal_bias(n_query, self.latent_size, self.states.shape[1], sigma,
                                              self.states.device, dtype)
        return self._biases[key]


def _level_size(latent_size: tuple[int, int], n: int) -> tuple[int, int]:
    """(h, w) of the UNet level whose flattened length is n (each level halves, rounding up)."""
    h, w = latent_size
    while h * w > n:
        h, w = math.ceil(h / 2), math.ceil(w / 2)
    if h * w != n:
        raise FoleyError(f"cannot place {n} query positions on a {latent_size} latent grid")
    return h, w


def temporal_bias(n_query: int, latent_size: tuple[int, int], n_tokens: int, sigma: float,
                  device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Additive attention bias (n_query, n_tokens) favouring tokens at the query column's time."""
    _, w = _level_size(latent_size, n_query)
    column = torch.arange(n_query, device=device) % w  # row-major (h, w) flattening
    where = (column.float() + 0.5) * n_tokens / w - 0.5  # the query's time in token units
    tokens = torch.arange(n_tokens, device=device).float()
    return (-0.5 * ((where[:, None] - tokens[None, :]) / sigma) ** 2).to(dtype)


class VisualAttnProcessor(torch.nn.Module):
    """Decoupled text + visual cross-attention for one ``attn2`` layer."""

    def __init__(self, inner_dim: int, cfg: VisualAdapterConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.scale = cfg.scale
        self.to_k_vis = torch.nn.Linear(cfg.visual_dim, inner_dim, bias=False)
        self.to_v_vis = torch.nn.Linear(cfg.visual_dim, inner_dim, bias=False)

    # diffusers reads the accepted keyword names from __call__'s signature, so the
    # processor overrides __call__ (as diffusers' own nn.Module processors do).
    def __call__(self, attn, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None,
                 ip_hidden_states: VisualCondition | None = None) -> torch.Tensor:
        # hidden_states (B, N, C) or (B, C, H, W); encoder_hidden_states (B, L, D_text) -> like hidden_states
        # The text branch repeats diffusers' AttnProcessor2_0 step for step, so that scale = 0
        # gives the frozen layer's output bit for bit.
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch_size, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch_size, channel, height * width).transpose(1, 2)
        batch_size, sequence_length, _ = (
            hidden_states.shape if encoder_hidden_states is None else encoder_hidden_states.shape)
        if attention_mask is not None:
            attention_mask = attn.prepare_attention_mask(attention_mask, sequence_length, batch_size)
            attention_mask = attention_mask.view(batch_size, attn.heads, -1, attention_mask.shape[-1])
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)  # (B, N, inner)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)
        inner_dim = key.shape[-1]
        head_dim = inner_dim // attn.heads
        query = query.view(batch_size, -1, attn.heads, head_dim).transpose(1, 2)  # (B, heads, N, hd)
        key = key.view(batch_size, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.view(batch_size, -1, attn.heads, head_dim).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask, dropout_p=0.0,
                                             is_causal=False)  # (B, heads, N, hd)
        out = out.transpose(1, 2).reshape(batch_size, -1, attn.heads * head_dim).to(query.dtype)  # (B, N, inner)

        if ip_hidden_states is not None and ip_hidden_states.active:
            out = out + self.scale * self._visual(query, ip_hidden_states, attn.heads)

        out = attn.to_out[0](out)
        out = attn.to_out[1](out)
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(batch_size, channel, height, width)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor

    def _visual(self, query: torch.Tensor, cond: VisualCondition, heads: int) -> torch.Tensor:
        # query (B, heads, N, hd), cond.states (B, T, D) -> (B, N, heads * hd)
        states = cond.states.to(query.dtype)
        if states.shape[0] != query.shape[0]:
            raise FoleyError(f"visual features have batch {states.shape[0]}, the UNet runs batch {query.shape[0]}")
        b, _, n, head_dim = query.shape
        key = self.to_k_vis(states).view(b, -1, heads, head_dim).transpose(1, 2)  # (B, heads, T, hd)
        value = self.to_v_vis(states).view(b, -1, heads, head_dim).transpose(1, 2)
        bias = None
        if self.cfg.temporal == "gaussian":
            bias = cond.temporal_bias(n, self.cfg.temporal_sigma_tokens, query.dtype)  # (N, T)
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=bias)  # (B, heads, N, hd)
        return out.transpose(1, 2).reshape(b, n, heads * head_dim)


def _key(name: str) -> str:
    return name.replace(".", "/")  # module names may not contain dots


class VisualAdapter(torch.nn.Module):
    """One :class:`VisualAttnProcessor` per cross-attention layer of a UNet, keyed by processor path."""

    def __init__(self, cfg: VisualAdapterConfig, layers: dict[str, int]) -> None:
        super().__init__()
        self.cfg = cfg
        self.names = sorted(layers)
        self.processors = torch.nn.ModuleDict({_key(n): VisualAttnProcessor(layers[n], cfg) for n in self.names})
        self._saved: dict | None = None

    def processor(self, name: str) -> VisualAttnProcessor:
        return self.processors[_key(name)]

    # ---------------------------------------------------------------- attach / detach ---
    def attach(self, unet: UNet2DConditionModel) -> "VisualAdapter":
        if self._saved is not None:
            raise FoleyError("the visual adapter is already attached")
        current = unet.attn_processors
        missing = set(self.names) - set(current)
        if missing:
            raise FoleyError(f"the UNet has no cross-attention layer {sorted(missing)[0]} (adapter built for another UNet)")
        modules = dict(unet.named_modules())
        for name in self.names:  # the visual K/V give the width of the layer's queries
            width, want = modules[name[: -len(".processor")]].to_k.out_features, self.processor(name).to_k_vis.out_features
            if width != want:
                raise FoleyError(f"the UNet's cross-attention layer {name} is {width} wide and the adapter's {want} "
                                 "(adapter built for another UNet)")
        self._saved = dict(current)
        new = dict(current)
        new.update({n: self.processor(n) for n in self.names})
        unet.set_attn_processor(new)  # set_attn_processor empties the dict it is given
        return self

    def detach(self, unet: UNet2DConditionModel) -> None:
        if self._saved is None:
            raise FoleyError("the visual adapter is not attached")
        unet.set_attn_processor(dict(self._saved))
        self._saved = None

    def set_scale(self, scale: float) -> None:
        for proc in self.processors.values():
            proc.scale = float(scale)

    # ------------------------------------------------------------------ save / load ---
    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        """Adapter weights with namespaced keys: ``visual_adapter.<processor path>.to_k_vis.weight``."""
        return {f"{NAMESPACE}{n}.{k}": v.detach().contiguous()
                for n in self.names for k, v in self.processor(n).state_dict().items()}

    def load_adapter_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        expected = self.adapter_state_dict()
        if set(state) != set(expected):
            diff = sorted(set(state) ^ set(expected))
            raise FoleyError(f"adapter weights do not match this UNet's cross-attention layers (e.g. {diff[0]})")
        for n in self.names:
            prefix = f"{NAMESPACE}{n}."
            self.processor(n).load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})

    def save_pretrained(self, directory: str | os.PathLike, dtype: torch.dtype = torch.float32,
                        training: dict | None = None) -> None:
        """``adapter_config.json`` and the weights; ``training`` (how it was trained: its run's
        config and inputs) as ``training.json`` beside them."""
        with atomic_dir(directory) as tmp:
            if training is not None:
                (tmp / TRAINING_FILE).write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
            (tmp / CONFIG_FILE).write_text(json.dumps({"config": self.cfg.to_dict(), "layers": {
                n: self.processor(n).to_k_vis.out_features for n in self.names}}, indent=2), encoding="utf-8")
            save_file({k: v.to(dtype) for k, v in self.adapter_state_dict().items()}, str(tmp / WEIGHTS_FILE))

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, **overrides) -> "VisualAdapter":
        """Load a saved adapter; ``overrides`` replace config fields (e.g. ``scale``)."""
        directory = Path(directory)
        if not (directory / CONFIG_FILE).is_file():
            raise FoleyError(not_an_adapter(directory))
        try:
            meta = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
            adapter = cls(VisualAdapterConfig.from_dict({**meta["config"], **overrides}), meta["layers"])
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise FoleyError(f"{directory / CONFIG_FILE}: unreadable adapter config ({type(e).__name__}: {e})") from None
        try:
            state = load_file(str(directory / WEIGHTS_FILE))
        except (OSError, SafetensorError) as e:
            raise FoleyError(f"{directory / WEIGHTS_FILE}: not a readable weights file ({e})") from None
        adapter.load_adapter_state_dict({k: v.float() for k, v in state.items()})
        return adapter


def not_an_adapter(directory: str | os.PathLike) -> str:
    """Why the folder ``directory`` (which has no ``CONFIG_FILE``) is no adapter, naming the adapter inside it
    where it is a ``foley train adapter`` run's folder."""
    inside = Path(directory) / "adapter"
    run = f"; a training run's folder: give {inside}" if (inside / CONFIG_FILE).is_file() else ""
    return f"{directory}: not a visual adapter folder (no {CONFIG_FILE}){run}"


def resolution_level(name: str, levels: int) -> int:
    """The resolution of a UNet layer from its diffusers name, 0 the finest: ``down_blocks.i`` at
    i, ``mid_block`` at ``levels - 1``, ``up_blocks.j`` at ``levels - 1 - j`` (``levels``: the
    number of down blocks, each but the last halving the resolution, as UNet2DConditionModel builds them)."""
    block, _, index = name.partition(".")
    if block == "mid_block":
        return levels - 1
    i = int(index.split(".")[0])
    return i if block == "down_blocks" else levels - 1 - i


def build_visual_adapter(cfg: VisualAdapterConfig, unet: UNet2DConditionModel) -> VisualAdapter:
    """An adapter for the ``attn2`` layers of ``unet`` (all, or those of its ``cfg.resolutions``
    finest resolutions that have any); K/V start as copies of the text K/V where the visual
    width equals the text width, else with PyTorch's default init."""
    modules = dict(unet.named_modules())
    layers = {}
    for name in unet.attn_processors:
        if name.endswith("attn2.processor"):
            layers[name] = modules[name[: -len(".processor")]].to_k.out_features
    if not layers:
        raise FoleyError("the UNet has no cross-attention layers")
    if cfg.resolutions:
        levels = sorted({resolution_level(n, len(unet.down_blocks)) for n in layers})
        if cfg.resolutions > len(levels):
            raise FoleyError(f"resolutions {cfg.resolutions}: the UNet has cross-attention at {len(levels)} "
                             f"resolution{'s' if len(levels) > 1 else ''} (0: every layer)")
        levels = levels[: cfg.resolutions]
        layers = {n: w for n, w in layers.items() if resolution_level(n, len(unet.down_blocks)) in levels}
    adapter = VisualAdapter(cfg, layers)
    with torch.no_grad():
        for name in adapter.names:
            attn, proc = modules[name[: -len(".processor")]], adapter.processor(name)
            for text, vis in ((attn.to_k, proc.to_k_vis), (attn.to_v, proc.to_v_vis)):
                if text.weight.shape == vis.weight.shape:
                    vis.weight.copy_(text.weight)
    return adapter.to(unet.dtype)
