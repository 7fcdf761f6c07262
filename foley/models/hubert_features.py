"""HuBERT layer features through transformers' ``HubertModel``.

Two framings of the same features:

* ``forward`` / ``reference``: the raw extractor, as fairseq's ``HubertFeatureReader``
  computes it: no padding, ``floor((N - 400) / 320) + 1`` frames for N samples (HuBERT's
  receptive field 400 and hop 320), long audio in chunks of ``max_chunk_samples``.
* ``aligned``: one frame per 320-sample hop, which is what the token stream needs
  (exactly ``ceil(N / 320)`` frames = ``TimeBase.tokens(N / 16000)``). The rule: pad the end
  with zeros to a multiple of 320 samples, then pad ``(400 - 320) / 2 = 40`` zeros on each
  side. Frame t then sees samples [320 t - 40, 320 t + 360) and is centred on its hop
  [320 t, 320 t + 320). Long audio is cut at hop boundaries into chunks that carry 40
  samples of real context from their neighbours, so the frame count stays exact.

Batches of different lengths are zero-padded with a mask: the first convolution's
GroupNorm (HuBERT-Base) is computed over each item's valid frames only, and padded frames
are masked out of self-attention, so padding changes no frame of any item.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from transformers import HubertConfig, HubertModel
from transformers.masking_utils import create_bidirectional_mask
from transformers.models.hubert.modeling_hubert import HubertGroupNormConvLayer

from ..errors import FoleyError
from .hub import checked_weights, load_pretrained, quiet_loading


@dataclass
class HubertFeaturesConfig:
    pretrained: str = ""  # transformers HubertModel directory or hub id; "" = random init from `hubert`
    hubert: dict = field(default_factory=dict)  # HubertConfig fields used for a random init (empty = Base sizes)
    layer: int = 9  # output of this transformer layer = transformers' hidden_states[layer]
    normalize_waveform: bool = False  # fairseq task.normalize: False for HuBERT-Base, True for Large
    max_chunk_samples: int = 1_600_000  # long audio is processed in chunks of at most this many samples
    batch_samples: int = 960_000  # at most this many (padded) samples in one forward pass

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "HubertFeaturesConfig":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown HuBERT feature settings: {sorted(unknown)}")
        kinds = {"pretrained": str, "hubert": dict, "layer": int, "normalize_waveform": bool,
                 "max_chunk_samples": int, "batch_samples": int}
        for name, value in data.items():
            if not isinstance(value, kinds[name]) or (kinds[name] is int and isinstance(value, bool)):
                raise FoleyError(f"HuBERT feature setting {name} must be a {kinds[name].__name__}, got {value!r}")
        return cls(**data)


@quiet_loading()
def build_hubert_features(config: HubertFeaturesConfig) -> "HubertFeatures":
    if config.pretrained:
        try:
            # the cache first, no hub retries; a weight the files lack or of another shape is refused, not left random
            model = load_pretrained(checked_weights(HubertModel.from_pretrained, "HuBERT model"), config.pretrained)
        except OSError as e:
            raise FoleyError(f"cannot load a HuBERT model from {config.pretrained!r}: {str(e).splitlines()[0]}") from None
    else:
        model = HubertModel(HubertConfig(**config.hubert))
    return HubertFeatures(model, config)


def _masked_group_norm(x: torch.Tensor, mask: torch.Tensor, norm: nn.GroupNorm) -> torch.Tensor:
    """GroupNorm over time with statistics from the valid frames only. x (B, C, F), mask (B, F)."""
    b, c, f = x.shape
    g = norm.num_groups
    m = mask[:, None, None, :].to(x.dtype)  # (B, 1, 1, F)
    xg = x.reshape(b, g, c // g, f)  # (B, G, C/G, F)
    count = m.sum(dim=(2, 3), keepdim=True) * (c // g)  # (B, 1, 1, 1)
    mean = (xg * m).sum(dim=(2, 3), keepdim=True) / count  # (B, G, 1, 1)
    var = (((xg - mean) * m) ** 2).sum(dim=(2, 3), keepdim=True) / count
    y = ((xg - mean) / torch.sqrt(var + norm.eps)).reshape(b, c, f)  # (B, C, F)
    return y * norm.weight[None, :, None] + norm.bias[None, :, None]


class HubertFeatures(nn.Module):
    """Frozen HuBERT truncated at ``config.layer``; features are float32 (B, F, D)."""

    sample_rate = 16_000

    def __init__(self, model: HubertModel, config: HubertFeaturesConfig):
        super().__init__()
        n_layers = model.config.num_hidden_layers
        if not 0 <= config.layer <= n_layers:
            raise FoleyError(f"feature layer {config.layer} does not exist: the HuBERT model has {n_layers} layers")
        self.model = model.eval().requires_grad_(False)
        self.config = config
        self.hop = int(np.prod(model.config.conv_stride))  # 320 samples = 20 ms at 16 kHz
        rf = 1
        for kernel, stride in reversed(list(zip(model.config.conv_kernel, model.config.conv_stride))):
            rf = (rf - 1) * stride + kernel
        self.receptive_field = rf  # 400 samples for HuBERT
        if (rf - self.hop) % 2:
            raise FoleyError(f"receptive field {rf} minus hop {self.hop} must be even to centre the frames")
        self.context = (rf - self.hop) // 2  # 40 samples of padding on each side in `aligned`
        self.chunk_samples = max(self.hop, config.max_chunk_samples // self.hop * self.hop)

    @property
    def dim(self) -> int:
        return self.model.config.hidden_size

    def n_frames(self, n_samples):
        """Frames of the raw extractor for N samples: floor((N - 400) / 320) + 1 (0 if N < 400)."""
        return self.model._get_feat_extract_output_lengths(n_samples)

    def token_padding(self, n_samples: int) -> tuple[int, int]:
        """(left, right) zeros that make the raw extractor give exactly ceil(N / hop) frames."""
        total = -(-n_samples // self.hop) * self.hop
        return self.context, total - n_samples + self.context

    # ------------------------------------------------------------------ raw extractor ---
    @torch.no_grad()
    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """wav (B, N) zero-padded, lengths (B,) -> features (B, F, D) and frame counts (B,)."""
        fe = self.model.feature_extractor
        x = wav[:, None, :]  # (B, 1, N)
        first = fe.conv_layers[0]
        if isinstance(first, HubertGroupNormConvLayer):
            x = first.conv(x)  # (B, C, F0)
            k, s = first.conv.kernel_size[0], first.conv.stride[0]
            valid = torch.arange(x.shape[-1])[None, :] < ((lengths - k) // s + 1)[:, None]  # (B, F0)
            x = first.activation(_masked_group_norm(x, valid, first.layer_norm))
        else:
            x = first(x)
        for conv in fe.conv_layers[1:]:
            x = conv(x)  # (B, C, F)
        frames = self.n_frames(lengths)  # (B,)
        mask = torch.arange(x.shape[-1])[None, :] < frames[:, None]  # (B, F)
        h = self.model.feature_projection(x.transpose(1, 2))  # (B, F, D)
        h = h.masked_fill(~mask[..., None], 0.0)
        encoder = self.model.encoder
        attention = create_bidirectional_mask(config=self.model.config, inputs_embeds=h, attention_mask=mask)
        h = h + encoder.pos_conv_embed(h)  # (B, F, D)
        if not self.model.config.do_stable_layer_norm:
            h = encoder.layer_norm(h)
        for layer in encoder.layers[: self.config.layer]:
            h = layer(h, attention_mask=attention)  # (B, F, D)
        return h, frames

    def _prepare(self, wav) -> torch.Tensor:
        wav = torch.as_tensor(np.asarray(wav, dtype=np.float32) if not torch.is_tensor(wav) else wav).float()
        if wav.ndim != 1:
            raise FoleyError(f"expected a mono waveform (N,), got shape {tuple(wav.shape)}")
        if wav.numel() == 0:
            raise FoleyError("the audio has no samples")
        if not torch.isfinite(wav).all():
            raise FoleyError("the audio contains NaN or infinite values")
        if self.config.normalize_waveform:
            wav = torch.nn.functional.layer_norm(wav, wav.shape)
        return wav

    def _run_segments(self, segments: list[torch.Tensor]) -> list[torch.Tensor]:
        """Raw features of 1-D segments, batched by length under the sample budget."""
        order = sorted(range(len(segments)), key=lambda i: -len(segments[i]))
        out: list[torch.Tensor] = [torch.empty(0)] * len(segments)
        start = 0
        while start < len(order):
            longest = len(segments[order[start]])
            size = max(1, self.config.batch_samples // longest)
            group = order[start:start + size]
            batch = torch.zeros(len(group), longest)  # (B, N)
            for row, i in enumerate(group):
                batch[row, : len(segments[i])] = segments[i]
            lengths = torch.tensor([len(segments[i]) for i in group])
            feats, frames = self(batch, lengths)  # (B, F, D), (B,)
            for row, i in enumerate(group):
                out[i] = feats[row, : frames[row]]
            start += size
        return out

    def reference(self, wav) -> torch.Tensor:
        """fairseq HubertFeatureReader framing: (N,) -> (floor((N - 400) / 320) + 1, D) per chunk."""
        wav = self._prepare(wav)
        if len(wav) < self.receptive_field:
            raise FoleyError(f"the audio is too short: {len(wav)} samples, HuBERT needs at least {self.receptive_field}")
        chunks = list(torch.split(wav, self.config.max_chunk_samples))
        if len(chunks) > 1 and len(chunks[-1]) < self.receptive_field:
            chunks = chunks[:-1]  # fairseq's reader yields no frame for such a tail
        return torch.cat(self._run_segments(chunks))  # (F, D)

    def aligned(self, wavs: list) -> list[torch.Tensor]:
        """One frame per 320-sample hop: each (N_i,) -> (ceil(N_i / 320), D). See the module doc."""
        segments, owners = [], []
        for item, wav in enumerate(wavs):
            wav = self._prepare(wav)
            padded = torch.nn.functional.pad(wav, self.token_padding(len(wav)))
            total = len(padded) - 2 * self.context
            for a in range(0, total, self.chunk_samples):
                b = min(total, a + self.chunk_samples)
                segments.append(padded[a:b + 2 * self.context])
                owners.append(item)
        feats = self._run_segments(segments)
        return [torch.cat([f for f, o in zip(feats, owners) if o == item]) for item in range(len(wavs))]

    # ------------------------------------------------------------------ save / load -----
    def save_pretrained(self, directory: str | os.PathLike) -> None:
        self.model.save_pretrained(str(directory))
