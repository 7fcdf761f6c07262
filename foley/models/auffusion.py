"""Auffusion checkpoints: folder layouts and prompt encoding.

Two released layouts, one loader (``load_components``):

- ``stable-diffusion`` (``auffusion/auffusion-full-no-adapter``, and the layout this
  package saves): ``model_index.json``, ``unet/``, ``vae/``, ``text_encoder/``,
  ``tokenizer/``, ``scheduler/``, ``vocoder/``. Prompts are tokenized padded to the
  tokenizer's max length; the negative prompt is the empty string.
- ``condition-adapter`` (``auffusion/auffusion``, ``auffusion/auffusion-full``):
  ``condition_config.json`` lists text encoders (``text_encoder_0/``, holding its
  tokenizer too) and their condition adapters (``condition_adapter_0/{config.json,
  condition_adapter.pt}``: Linear then LayerNorm). Prompts are tokenized without
  padding, the hidden states zero-padded or cut to the max length, then adapted; the
  unconditional embedding is all zeros.

A folder may carry ``mel_config.json`` (this package's addition); without it the mel
settings are Auffusion's (:class:`foley.models.mel.MelConfig` defaults). It may also carry
``components.json`` (this package's addition): a map from a component folder name (``unet``,
``vae``, ``scheduler``, ``vocoder``, a text encoder's name) to a folder given relative to this
one, so two backbones can share a text encoder and vocoder without copies, e.g.
``{"vocoder": "../backbone/vocoder"}``. A folder of that name inside this one comes first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import diffusers
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel

from ..errors import FoleyError
from ..media.files import read_json_object
from .backbone_settings import DecodingConfig, backbone_mel, load_decoding
from .hub import checked_weights, quiet_loading
from .layout import component_dir, detect_layout, resolve_model_dir
from .mel import MelConfig
from .text_condition import TextConditioner, load_text_conditioner
from .vocoder import load_vocoder

@dataclass
class Components:
    """What a backbone folder holds, loaded."""

    unet: UNet2DConditionModel
    vae: AutoencoderKL
    scheduler: object  # a diffusers scheduler
    text: TextConditioner
    vocoder: torch.nn.Module
    mel: MelConfig
    layout: str
    decoding: DecodingConfig = DecodingConfig()


def load_scheduler(directory: Path):
    cfg = read_json_object(directory / "scheduler_config.json", "scheduler config")
    cls = getattr(diffusers, cfg.get("_class_name", ""), None)
    if cls is None:
        raise FoleyError(f"{directory / 'scheduler_config.json'}: unknown scheduler {cfg.get('_class_name')!r}")
    try:
        scheduler = cls.from_pretrained(directory)
    except (TypeError, ValueError, AttributeError) as e:  # a setting of the wrong kind or value
        raise FoleyError(f"{directory / 'scheduler_config.json'}: not a usable {cfg['_class_name']} config "
                         f"({' '.join(str(e).split())[:300]})") from None
    return scheduler


@quiet_loading()
def load_components(path_or_id: str | os.PathLike, dtype: torch.dtype = torch.float32) -> Components:
    directory = resolve_model_dir(path_or_id)
    layout = detect_layout(directory)
    folders = {sub: component_dir(directory, sub, needs) for sub, needs in (
        ("unet", ("config.json",)), ("vae", ("config.json",)), ("scheduler", ("scheduler_config.json",)),
        ("vocoder", ()))}  # load_vocoder names what its formats lack
    mel = backbone_mel(directory)
    unet = checked_weights(UNet2DConditionModel.from_pretrained, "UNet")(folders["unet"], torch_dtype=dtype).eval()
    vae = checked_weights(AutoencoderKL.from_pretrained, "VAE")(folders["vae"], torch_dtype=dtype).eval()
    vocoder = load_vocoder(folders["vocoder"])
    if vocoder.n_mels != mel.n_mels:  # found at load, not after a whole diffusion run
        raise FoleyError(f"{folders['vocoder']}: a vocoder of {vocoder.n_mels} mel bands, but {directory} makes "
                         f"{mel.n_mels}-band mels")
    if (vocoder.sample_rate, vocoder.hop_length) != (mel.sample_rate, mel.hop_length):  # audio of another speed or length
        raise FoleyError(f"{folders['vocoder']}: a vocoder of {vocoder.sample_rate} Hz audio, {vocoder.hop_length} "
                         f"samples per mel frame, but {directory} makes mels of {mel.sample_rate} Hz audio, "
                         f"{mel.hop_length} samples per frame")
    text = load_text_conditioner(directory, dtype)
    if isinstance(unet.config.cross_attention_dim, int) and text.dim != unet.config.cross_attention_dim:
        raise FoleyError(f"{directory}: its text encoder gives {text.dim}-d states, but its UNet attends to "
                         f"{unet.config.cross_attention_dim}-d ones (a text encoder of another model?)")
    return Components(unet=unet, vae=vae, scheduler=load_scheduler(folders["scheduler"]), text=text,
                      vocoder=vocoder.to(dtype).eval(), mel=mel, layout=layout, decoding=load_decoding(directory))




@quiet_loading()
def load_vae(folder: str | os.PathLike, dtype: torch.dtype = torch.float32) -> AutoencoderKL:
    """A VAE folder on its own (``config.json`` and weights, e.g. a training run's ``vae/``) in eval
    mode, to swap into a backbone; FoleyError (one line) for a missing folder or one no VAE loads from."""
    if not Path(folder).is_dir():
        raise FoleyError(f"{folder}: no such VAE folder")
    return checked_weights(AutoencoderKL.from_pretrained, "VAE")(str(folder), torch_dtype=dtype).eval()


