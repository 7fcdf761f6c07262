"""The frame encoder: a frozen open_clip image tower, one pooled vector per video frame.

Frames are sampled at the time base's video rate (21.5 Hz) by :mod:`foley.media.video`, which
already resizes and centre-crops them to the tower's image size; the encoder scales them
to [0, 1], applies the tower's own mean/std normalization and returns the tower's pooled
(projected) embedding, (N, D) float32, D = the CLIP embedding width (768 for ViT-L-14).

The tower is any open_clip model: a built-in name with a pretrained tag (``ViT-L-14`` +
``openai``, the paper's), a checkpoint file, ``hf-hub:``/``local-dir:`` names, or a custom
architecture given as an open_clip model config (registered with open_clip under the
model name; the demo's small tower, or a timm image model such as EfficientNet-Lite0,
see :mod:`foley.models.frame_encoder_import`). A saved encoder is a directory::

    config.json          FrameEncoderConfig, with the architecture spelled out
    visual.safetensors   the image tower's weights (the text tower is never kept)
"""
from __future__ import annotations

if __name__ == "__main__":  # as a program: from here, so that a Ctrl-C while torch loads below is one line too
    from ..cli.args import run_module

    run_module("foley.models.frame_encoder")

import contextlib
import hashlib
import json
import logging
import os
import pickle
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ..config import is_whole_number
from ..device import resolve_device
from ..errors import FoleyError
from ..media.files import atomic_dir, refuse_to_replace
from .hub import load_failure

FORMAT = "foley-frame-encoder"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "visual.safetensors"
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


@dataclass
class FrameEncoderConfig:
    model: str = "ViT-L-14"  # open_clip model name (or hf-hub:/local-dir: name)
    pretrained: str = "openai"  # open_clip tag, checkpoint file, or "" for random init
    model_cfg: dict | None = None  # an open_clip architecture (embed_dim, vision_cfg, text_cfg) for `model`
    batch_size: int = 32  # frames per forward pass
    precision: str = "auto"  # auto: bf16 (or fp16) autocast on CUDA, fp32 elsewhere
    preprocess: dict | None = None  # open_clip force_preprocess_cfg, e.g. {"mean": [...], "std": [...]}

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not isinstance(self.pretrained, str):
            raise FoleyError(f"model and pretrained must be text, got {self.model!r} and {self.pretrained!r}")
        if self.precision not in PRECISIONS:
            raise FoleyError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")
        if not is_whole_number(self.batch_size) or self.batch_size < 1:
            raise FoleyError(f"batch_size must be a whole number >= 1, got {self.batch_size!r}")
        if not all(isinstance(v, (dict, type(None))) for v in (self.model_cfg, self.preprocess)):
            raise FoleyError(f"model_cfg and preprocess must be dicts, got {self.model_cfg!r} and {self.preprocess!r}")

    def to_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "FrameEncoderConfig":
        data = dict(data)
        if data.pop("format", None) != FORMAT:
            raise FoleyError(f"not a foley frame encoder config (expected \"format\": \"{FORMAT}\")")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown frame encoder settings: {sorted(unknown)}")
        return cls(**data)


@contextlib.contextmanager
def _quiet_open_clip():
    """open_clip warns on the root logger that a tower 'initialized randomly' even when we
    load its weights right after, and logs a failed download before raising it (which
    ``_build_tower`` reports); hide both while it builds."""
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _register(name: str, model_cfg: dict) -> None:
    """Make ``model_cfg`` known to open_clip as ``name`` (open_clip reads configs from files)."""
    import open_clip

    known = open_clip.get_model_config(name)
    if known is not None:
        if known != model_cfg:
            raise FoleyError(f"open_clip already has a different model called {name!r}; rename the custom tower")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.json"
        path.write_text(json.dumps(model_cfg), encoding="utf-8")
        open_clip.add_model_config(path)


def _build_tower(config: FrameEncoderConfig, load_weights: bool) -> nn.Module:
    import open_clip

    if config.model_cfg is not None:
        _register(config.model, config.model_cfg)
    pretrained = config.pretrained if load_weights and config.pretrained else None
    # A checkpoint file (what open_clip does with a file that is no tag, for a name without a
    # hf-hub:/local-dir: schema) is loaded once the tower is built: what is wrong with it is its own.
    checkpoint = pretrained if (pretrained and os.path.isfile(pretrained) and not config.model.startswith(
        ("hf-hub:", "local-dir:")) and not open_clip.get_pretrained_cfg(config.model, pretrained)) else None
    try:
        with _quiet_open_clip():
            model = open_clip.create_model(config.model, pretrained=None if checkpoint else pretrained,
                                           force_preprocess_cfg=config.preprocess)
    except pickle.UnpicklingError as e:  # a downloaded checkpoint torch's weights_only refuses, or no pickle at all
        raise FoleyError(f"{config.pretrained}: not a checkpoint of plain weights for {config.model!r} "
                         f"({load_failure(e)})") from None
    except (TypeError, ValueError) as e:  # open_clip's own configs build: a field of model_cfg open_clip does not take
        if config.model_cfg is None:
            raise
        raise FoleyError(f"model_cfg: not an open_clip architecture for {config.model!r} ({e})") from None
    except RuntimeError as e:
        raise FoleyError(f"cannot build open_clip model {config.model!r} "
                         f"(pretrained {config.pretrained!r}): {str(e).splitlines()[0].split(' Available:')[0]}"
                         " (open_clip.list_models() names them)") from None
    if checkpoint:
        try:
            with _quiet_open_clip():
                open_clip.load_checkpoint(model, checkpoint, strict=True, weights_only=True)
        except Exception as e:  # noqa: BLE001 - refused, not a pickle, damaged, or weights that do not fit
            raise FoleyError(f"{checkpoint}: not a checkpoint of plain weights for {config.model!r} "
                             f"({load_failure(e)})") from None
    return model.visual


@torch.no_grad()
def _probe_dim(visual: nn.Module, size: int) -> int:
    """Feature width of a tower that does not state it (open_clip's timm towers): one blank image."""
    return visual(torch.zeros(1, 3, size, size)).shape[-1]


class FrameEncoder(nn.Module):
    """uint8 frames (N, H, W, 3) -> pooled features (N, D); frozen."""

    def __init__(self, config: FrameEncoderConfig, visual: nn.Module):
        super().__init__()
        self.config = config
        self.visual = visual.eval().requires_grad_(False)
        pre = visual.preprocess_cfg
        size = pre["size"]
        size = (size, size) if isinstance(size, int) else tuple(size)
        if size[0] != size[1]:
            raise FoleyError(f"the image tower takes {size[0]}x{size[1]} images; only square towers are supported")
        self.image_size = int(size[0])
        self.register_buffer("mean", torch.tensor(pre["mean"]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(pre["std"]).view(1, 3, 1, 1), persistent=False)
        self.dim = int(getattr(visual, "output_dim", 0) or _probe_dim(self.visual, self.image_size))

    @property
    def device(self) -> torch.device:
        return self.mean.device

    def _autocast(self):
        precision = self.config.precision
        if self.device.type != "cuda" or precision == "fp32":
            return contextlib.nullcontext()
        if precision == "auto":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)

    def _pixels(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 (n, H, W, 3) -> normalized float (n, 3, S, S)."""
        x = frames.to(self.device).permute(0, 3, 1, 2).float() / 255.0  # (n, 3, H, W)
        if x.shape[-2:] != (self.image_size, self.image_size):
            # Frames not decoded at the tower size: shortest side to S, then a centre crop.
            h, w = x.shape[-2:]
            scale = self.image_size / min(h, w)
            size = (max(self.image_size, round(h * scale)), max(self.image_size, round(w * scale)))
            x = nn.functional.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)
            top, left = (size[0] - self.image_size) // 2, (size[1] - self.image_size) // 2
            x = x[..., top:top + self.image_size, left:left + self.image_size].clamp(0, 1)
        return (x - self.mean) / self.std  # (n, 3, S, S)

    @torch.inference_mode()
    def forward(self, frames) -> torch.Tensor:
        """frames: uint8 (N, H, W, 3) array or tensor -> (N, D) float32 on the encoder's device."""
        frames = torch.as_tensor(np.asarray(frames) if not isinstance(frames, torch.Tensor) else frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
            raise FoleyError(f"the frame encoder takes uint8 RGB frames (N, H, W, 3), got "
                             f"{frames.dtype} of shape {tuple(frames.shape)}")
        out = []
        for start in range(0, len(frames), self.config.batch_size):
            with self._autocast():
                out.append(self.visual(self._pixels(frames[start:start + self.config.batch_size])).float())  # (n, D)
        return torch.cat(out) if out else torch.zeros(0, self.dim, device=self.device)  # (N, D)

    def encode_video(self, path: str | os.PathLike, fps: float = 21.5,
                     progress: Callable[[int], None] | None = None) -> torch.Tensor:
        """A video file -> (N, D) float32 features of its frames sampled at ``fps`` (on CPU);
        ``progress(n)`` hears the number of frames encoded so far after each chunk of them."""
        from ..media.video import FrameSpec, iter_frames
        from ..memory import release_freed_memory

        chunks, done = [], 0
        for frames in iter_frames(path, fps=fps, spec=FrameSpec(size=self.image_size), chunk=self.config.batch_size):
            chunks.append(self(frames).cpu())  # (n, D)
            release_freed_memory()  # each chunk's decoded frames: a long video's would add up
            done += len(frames)
            if progress is not None:
                progress(done)
        return torch.cat(chunks)  # (N, D)

    def fingerprint(self) -> str:
        """sha256 of the architecture and the tower weights: equal fingerprints give equal features."""
        h = hashlib.sha256(json.dumps([self.config.model, self.config.model_cfg], sort_keys=True).encode())
        if self.config.preprocess:  # another mean/std gives other features from the same weights
            h.update(json.dumps(self.config.preprocess, sort_keys=True).encode())
        for name, tensor in sorted(self.visual.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ save / load -----
    def save_pretrained(self, directory: str | os.PathLike, texts: dict[str, str] | None = None) -> None:
        """Write the encoder folder (replacing ``directory`` only once complete); ``texts``: more
        files written with it, name -> text (a model card, a licence)."""
        import open_clip

        model_cfg = self.config.model_cfg or open_clip.get_model_config(self.config.model)
        if model_cfg is None:
            raise FoleyError(f"cannot save {self.config.model!r}: open_clip has no architecture config for it")
        config = FrameEncoderConfig(**{**asdict(self.config), "model_cfg": model_cfg, "pretrained": WEIGHTS_NAME})
        with atomic_dir(directory) as tmp:
            save_file({k: v.detach().cpu().contiguous() for k, v in self.visual.state_dict().items()},
                      str(tmp / WEIGHTS_NAME))
            (tmp / CONFIG_NAME).write_text(json.dumps(config.to_dict(), indent=1) + "\n", encoding="utf-8")
            for name, text in (texts or {}).items():
                (tmp / name).write_text(text, encoding="utf-8")

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str = "cpu", **overrides) -> "FrameEncoder":
        """Load a directory written by ``save_pretrained`` (``overrides``: e.g. batch_size)."""
        path = Path(path)
        if not (path / CONFIG_NAME).is_file():
            raise FoleyError(f"{path}: not a frame encoder directory (no {CONFIG_NAME})")
        try:
            data = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise FoleyError(f"{path / CONFIG_NAME}: unreadable frame encoder config ({e})") from None
        try:
            config = FrameEncoderConfig.from_dict({**data, **overrides})
        except (FoleyError, TypeError) as e:  # a setting it does not know, a value of another kind, not an object
            raise FoleyError(f"{path / CONFIG_NAME}: not a usable frame encoder config ({e})") from None
        if config.pretrained == WEIGHTS_NAME:
            visual = _build_tower(config, load_weights=False)
            try:
                state = load_file(str(path / WEIGHTS_NAME))
                missing, unexpected = visual.load_state_dict(state, strict=False)
            except (OSError, SafetensorError, RuntimeError) as e:  # missing, damaged, or weights of other shapes
                raise FoleyError(f"{path / WEIGHTS_NAME}: not readable as {config.model}'s weights "
                                 f"({(str(e).strip().splitlines() or [type(e).__name__])[-1].strip()})") from None
            if missing or unexpected:
                raise FoleyError(f"{path / WEIGHTS_NAME}: weights do not fit {config.model} "
                                 f"(e.g. {(missing or unexpected)[0]})")
        else:
            visual = _build_tower(config, load_weights=True)
        return cls(config, visual).to(resolve_device(device))


def build_frame_encoder(config: FrameEncoderConfig, device: str = "cpu") -> FrameEncoder:
    """The tower of ``config`` with its pretrained weights (random init if ``pretrained`` is "")."""
    return FrameEncoder(config, _build_tower(config, load_weights=True)).to(resolve_device(device))


def load_frame_encoder(spec: str, pretrained: str | None = None, device: str = "cpu",
                       batch_size: int | None = None) -> FrameEncoder:
    """A saved encoder directory, or an open_clip model name (with ``pretrained``: a tag such as
    ``openai``, a checkpoint file, or "" for random weights)."""
    overrides = {} if batch_size is None else {"batch_size": batch_size}
    if Path(spec).is_dir():
        return FrameEncoder.from_pretrained(spec, device=device, **overrides)
    config = FrameEncoderConfig(model=spec, **({} if pretrained is None else {"pretrained": pretrained}), **overrides)
    return build_frame_encoder(config, device=device)


def main(argv: list[str] | None = None) -> None:
    """``python -m foley.models.frame_encoder --config CONFIG.json --seed S --out DIR``: build the
    tower of a config (random init where ``pretrained`` is "") and save it."""
    import argparse

    from ..cli import number_arg
    from ..config import MAX_SEED

    parser = argparse.ArgumentParser(prog="python -m foley.models.frame_encoder", description=main.__doc__)
    parser.add_argument("--config", required=True, help="FrameEncoderConfig JSON (e.g. train/frame_encoder_demo.json)")
    parser.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0, help="seed of a random init")
    parser.add_argument("--out", required=True, help="encoder folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    refuse_to_replace(args.out, args.overwrite)
    try:
        data = json.loads(Path(args.config).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FoleyError(f"{args.config}: not a frame encoder config ({e})") from None
    if not isinstance(data, dict):
        raise FoleyError(f"{args.config}: not a frame encoder config (a JSON object is needed)")
    config = FrameEncoderConfig.from_dict(data)
    torch.manual_seed(args.seed)
    encoder = build_frame_encoder(config)
    encoder.save_pretrained(args.out)
    n = sum(p.numel() for p in encoder.parameters())
    print(f"frame encoder written to {args.out}: {config.model}, {n / 1e6:.2f} M parameters, "
          f"{encoder.image_size} px -> {encoder.dim}-d")
