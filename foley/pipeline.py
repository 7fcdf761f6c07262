"""FoleyPipeline: a video in, synchronized sound out.

decode @21.5 Hz -> frame features -> connector + LM -> exactly T <AUD_x> tokens per window
-> k-means centroids -> backbone diffusion with the visual adapter -> vocoder -> windows
joined with equal-power crossfades -> trimmed to the video's length.

A model directory holds ``pipeline.json`` and one folder per component (each with its own
config), so ``FoleyPipeline.from_pretrained(dir)`` needs no preset name; ``demo`` is the
directory shipped with the package.

Videos longer than the model's window are dubbed in windows that overlap by
``overlap_s``. The LM writes each window's tokens from that window's frames; in the
overlap, the later window is conditioned on the earlier window's tokens, so both
renditions of the overlap come from the same tokens before they are crossfaded. Memory
stays flat with video length apart from the frame features (D floats per frame).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .config import TimeBase
from .crossfade import join_windows, window_starts
from .errors import FoleyError
from .fileio import atomic_write_text

CONFIG_NAME = "pipeline.json"


@dataclass(frozen=True)
class PipelineConfig:
    frame_encoder: str = "frame_encoder"  # component folders, relative to the model directory
    lm: str = "lm"
    tokenizer: str = "tokenizer"
    backbone: str = "backbone"
    adapter: str = "adapter"
    window_s: float = 10.0  # the clip length the LM and adapter were trained on
    overlap_s: float = 1.0
    caption: str = ""  # used when the user gives none
    scale: float = 0.5  # lambda of the visual cross-attention
    steps: int = 25
    guidance: float = 3.0
    scheduler: str = "dpm"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PipelineConfig":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown pipeline settings: {sorted(unknown)}")
        return cls(**data)


@dataclass
class DubResult:
    audio: np.ndarray  # (N,) float32, exactly as long as the video
    sample_rate: int
    tokens: torch.Tensor  # (T,) unit ids at 50 Hz over the whole video


def demo_dir() -> Path:
    return Path(str(resources.files("foley").joinpath("assets/demo")))


class FoleyPipeline:
    def __init__(self, config: PipelineConfig, frame_encoder, lm, tokenizer, backbone, adapter,
                 time: TimeBase = TimeBase()):
        if config.window_s > backbone.mel.width_s + 1e-6:
            raise FoleyError(f"window_s {config.window_s} exceeds the backbone's width {backbone.mel.width_s:.2f} s")
        if lm.n_units != tokenizer.n_units:
            raise FoleyError(f"the LM writes {lm.n_units} units but the tokenizer has {tokenizer.n_units}")
        self.config, self.time = config, time
        self.frame_encoder, self.lm, self.tokenizer, self.backbone, self.adapter = (
            frame_encoder, lm, tokenizer, backbone, adapter)
        adapter.attach(backbone.unet)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike = "demo", device: str = "auto") -> "FoleyPipeline":
        from .backbone import AudioBackbone
        from .device import resolve_device
        from .frame_encoder import FrameEncoder
        from .token_lm import TokenLM
        from .unit_tokenizer import UnitTokenizer
        from .visual_adapter import VisualAdapter

        root = demo_dir() if str(path) == "demo" else Path(path)
        if not (root / CONFIG_NAME).is_file():
            what = "the demo model is not installed" if str(path) == "demo" else "not a foley model directory"
            raise FoleyError(f"{root}: {what} (no {CONFIG_NAME})")
        try:
            config = PipelineConfig.from_dict(json.loads((root / CONFIG_NAME).read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as e:
            raise FoleyError(f"{root / CONFIG_NAME}: unreadable pipeline config ({e})") from None
        dev = resolve_device(device)
        half = torch.float16 if dev.type == "cuda" else torch.float32
        backbone = AudioBackbone.from_pretrained(root / config.backbone, dtype=half, device=dev)
        adapter = VisualAdapter.from_pretrained(root / config.adapter, scale=config.scale).to(dev, half)
        return cls(config,
                   FrameEncoder.from_pretrained(root / config.frame_encoder, device=str(dev)),
                   TokenLM.from_pretrained(root / config.lm, device=str(dev)),
                   UnitTokenizer.from_pretrained(root / config.tokenizer),
                   backbone, adapter)

    def save_config(self, directory: str | os.PathLike) -> None:
        atomic_write_text(Path(directory) / CONFIG_NAME, json.dumps(self.config.to_dict(), indent=1) + "\n")

    # ------------------------------------------------------------------------ dubbing ---
    def windows(self, duration_s: float) -> list[tuple[float, float]]:
        """(start_s, length_s) of each window covering the video."""
        sr = self.time.sample_rate
        total, window = round(duration_s * sr), round(self.config.window_s * sr)
        starts = window_starts(total, window, round(self.config.overlap_s * sr))
        return [(s / sr, min(window, total - s) / sr) for s in starts]

    def dub(self, video: str | os.PathLike, caption: str | None = None, scale: float | None = None,
            steps: int | None = None, guidance: float | None = None, seed: int = 0,
            progress: Callable[[str, int, int], None] | None = None) -> DubResult:
        """Generate the sound of ``video``: audio exactly as long as the video, and its tokens."""
        from .video import probe_video

        cfg = replace(self.config, **{k: v for k, v in dict(scale=scale, steps=steps, guidance=guidance).items()
                                      if v is not None})
        caption = caption if caption is not None else cfg.caption
        self.adapter.set_scale(cfg.scale)
        info = probe_video(video)
        tb = self.time
        report = progress or (lambda stage, i, n: None)
        report("frames", 0, 1)
        features = self.frame_encoder.encode_video(video, fps=tb.video_fps)  # (N, D_frame)
        report("frames", 1, 1)
        windows = self.windows(info.duration_s)
        chunks, tokens, token_end = [], [], 0  # token_end: tokens of the video fixed so far
        for k, (start_s, length_s) in enumerate(windows):
            report("windows", k, len(windows))
            first = round(start_s * tb.video_fps)
            frames = features[first:first + tb.video_frames(length_s)]  # (n, D_frame)
            t0 = round(start_s * tb.token_rate_hz)
            n_tok = tb.tokens(start_s + length_s) - t0  # windows tile the video's tokens exactly
            ids = self.lm.generate([caption], [n_tok], frames=frames[None], frame_counts=torch.tensor([len(frames)]),
                                   sampling=_sampling(seed + k))[0]  # (n_tok,)
            shared = max(0, min(token_end - t0, n_tok))  # overlap with the previous window
            if shared:
                ids = torch.cat([torch.cat(tokens)[t0:t0 + shared], ids[shared:]])
            tokens.append(ids[shared:])
            token_end = t0 + n_tok
            visual = self.tokenizer.centroids(ids)[None]  # (1, n_tok, D_unit)
            wav = self.backbone.generate([caption], duration_s=length_s, steps=cfg.steps, guidance=cfg.guidance,
                                         seed=seed + k, scheduler=cfg.scheduler, visual=visual)[0]
            chunks.append(wav.float().cpu().numpy())
        report("windows", len(windows), len(windows))
        sr = tb.sample_rate
        total = round(info.duration_s * sr)
        audio = join_windows(chunks, [round(s * sr) for s, _ in windows], total)
        return DubResult(audio, sr, torch.cat(tokens)[: tb.tokens(info.duration_s)])

    __call__ = dub


def _sampling(seed: int):
    from .token_lm import SamplingConfig

    return SamplingConfig(seed=seed)
