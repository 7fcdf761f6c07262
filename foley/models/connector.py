"""The temporal connector: per-frame CLIP features -> LM input embeddings.

A stack of 1-D convolutions over the frame axis (each mixes neighbouring frames and keeps
their order), optionally pre-normalized and residual, then a linear projection into the
language model's embedding width (Audio-Agent section 3.4)::

    f (B, N, D_frame) -> [norm -> Conv1d(k) -> GELU (+ f)] x n_layers -> Linear -> v (B, N, D_lm)

Padded frames of a batch (``frame_mask`` False) are zeroed before every convolution, so a
clip's embeddings do not depend on what it is batched with.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..config import is_whole_number
from ..errors import FoleyError

NORMS = ("layernorm", "none")


@dataclass(frozen=True)
class ConnectorConfig:
    frame_dim: int = 768  # width of the frame features (open_clip ViT-L-14: 768)
    lm_dim: int = 2304  # embedding width of the language model (gemma-2-2b: 2304)
    kernel_size: int = 3  # frames each convolution sees (odd, centred)
    n_layers: int = 2  # convolutions over time; 0 = projection only
    residual: bool = True
    norm: str = "layernorm"  # before each convolution: "layernorm" or "none"

    def __post_init__(self) -> None:
        for name in ("frame_dim", "lm_dim", "kernel_size", "n_layers"):
            if not is_whole_number(getattr(self, name)):
                raise FoleyError(f"connector {name} must be a whole number, got {getattr(self, name)!r}")
        if not isinstance(self.residual, bool):
            raise FoleyError(f"connector residual must be true or false, got {self.residual!r}")
        if self.norm not in NORMS:
            raise FoleyError(f"unknown connector norm {self.norm!r}; choose from {', '.join(NORMS)}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise FoleyError(f"connector kernel_size must be a positive odd number, got {self.kernel_size}")
        if self.frame_dim < 1 or self.lm_dim < 1 or self.n_layers < 0:
            raise FoleyError("connector frame_dim and lm_dim must be >= 1 and n_layers >= 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ConnectorConfig":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown connector config fields: {sorted(unknown)}")
        return cls(**data)


class _TemporalConv(nn.Module):
    def __init__(self, dim: int, kernel_size: int, norm: str, residual: bool):
        super().__init__()
        self.norm = nn.LayerNorm(dim) if norm == "layernorm" else nn.Identity()
        self.conv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2)
        self.residual = residual

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        # x (B, N, D), keep (B, N, 1)
        h = self.norm(x) * keep  # (B, N, D), padded frames zeroed
        h = nn.functional.gelu(self.conv(h.transpose(1, 2)).transpose(1, 2))  # (B, N, D)
        return x + h if self.residual else h


class TemporalConnector(nn.Module):
    def __init__(self, config: ConnectorConfig):
        super().__init__()
        self.config = config
        self.blocks = nn.ModuleList(
            _TemporalConv(config.frame_dim, config.kernel_size, config.norm, config.residual)
            for _ in range(config.n_layers))
        self.proj = nn.Linear(config.frame_dim, config.lm_dim)

    def forward(self, frames: torch.Tensor, frame_mask: torch.Tensor | None = None) -> torch.Tensor:
        """frames (B, N, D_frame), frame_mask (B, N) bool (True = real frame) -> (B, N, D_lm)."""
        if frames.ndim != 3 or frames.shape[-1] != self.config.frame_dim:
            raise FoleyError(f"the connector takes frame features (B, N, {self.config.frame_dim}), "
                             f"got shape {tuple(frames.shape)}")
        keep = (torch.ones(frames.shape[:2], dtype=torch.bool, device=frames.device) if frame_mask is None
                else frame_mask).unsqueeze(-1).to(frames.dtype)  # (B, N, 1)
        x = frames * keep  # (B, N, D_frame)
        for block in self.blocks:
            x = block(x, keep)  # (B, N, D_frame)
        return self.proj(x)  # (B, N, D_lm)


def build_connector(config: ConnectorConfig) -> TemporalConnector:
    return TemporalConnector(config)
