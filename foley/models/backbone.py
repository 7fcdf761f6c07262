"""The text-to-audio latent diffusion backbone (Auffusion, or the demo model of the same classes).

prompt -> text states -> UNet denoising of (4, n_mels / f, width / f) latents (diffusers'
StableDiffusionPipeline loop with classifier-free guidance and any diffusers scheduler)
-> VAE decode -> mel image -> log-mel -> vocoder -> waveform at the mel's sample rate, cut to the duration.

Generation always runs at the model width (Auffusion's 10.24 s, the width it was
trained at) and cuts the audio to the requested duration. Visual features, when given,
reach the visual adapter's attention processors through ``cross_attention_kwargs``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import diffusers
import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    PNDMScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel

from ..config import SCHEDULER_NAMES, TimeBase
from ..errors import FoleyError
from ..media.files import atomic_dir
from .auffusion import Components, load_components
from .backbone_settings import DECODING_CONFIG, MEL_CONFIG, DecodingConfig
from .layout import LAYOUT_SD
from .text_condition import TextConditioner
from .mel import LogMel, MelConfig, image_to_mel, mel_to_image
from .visual_adapter import VisualCondition
from .vocoder import GriffinLimConfig, build_vocoder

SCHEDULERS = dict(zip(SCHEDULER_NAMES, (DPMSolverMultistepScheduler, DDIMScheduler, PNDMScheduler)))
# DDIM defaults to clipping x0 to [-1, 1], which is wrong for unit-variance latents (and
# Auffusion's PNDM config does not say): turn it off.
SCHEDULER_OVERRIDES = {"ddim": {"clip_sample": False}}
# Weight files are cut at this size (transformers' sharded layout, read back by from_pretrained): a pretrained
# text encoder would otherwise be one file of tens of MB in the repository.
SHARD_SIZE = "20MB"


def _steps_fit(sampler, steps: int) -> bool:
    """Whether diffusers' ``sampler`` lays ``steps`` sampling steps at distinct timesteps inside its
    training schedule: a "leading" spacing with a step offset puts the first of as many steps as the
    schedule has timesteps past its end (DDIM: timestep 1000 of 1000), or all of them at 1 (DPM-Solver)."""
    sampler.set_timesteps(steps)
    timesteps = sampler.timesteps.tolist()
    return max(timesteps) < sampler.config.num_train_timesteps and (steps == 1 or len(set(timesteps)) > 1)


@dataclass(frozen=True)
class BackboneConfig:
    """Sizes of a backbone built from scratch (the demo model, test models)."""

    mel: MelConfig = field(default_factory=MelConfig)
    latent_channels: int = 4
    vae_channels: tuple[int, ...] = (32, 64, 64)  # len - 1 downsamplings
    vae_layers_per_block: int = 1
    unet_channels: tuple[int, ...] = (64, 128, 128)
    unet_cross_attention: tuple[bool, ...] = (True, True, False)  # per level, finest first
    unet_layers_per_block: int = 1
    # The text states also pooled into the timestep embedding (diffusers' addition_embed_type
    # "text"), a global condition next to cross-attention.
    unet_text_pooling: bool = False
    # Zero terminal SNR (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are
    # Flawed"): the scaled-linear betas rescaled so the last training step is pure noise, with
    # v-prediction and trailing timesteps; False: Auffusion's schedule, epsilon prediction.
    zero_terminal_snr: bool = False
    attention_head_dim: int = 16
    text_dim: int = 64
    text_layers: int = 2
    text_heads: int = 2
    griffin_lim_iters: int = 32

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "BackboneConfig":
        data = dict(data)
        mel = MelConfig.from_dict(data.pop("mel", {}))
        return cls(mel=mel, **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def build_backbone(cfg: BackboneConfig, tokenizer=None, time: TimeBase | None = None, text: TextConditioner | None = None,
                   vocoder: torch.nn.Module | None = None) -> "AudioBackbone":
    """Random-init backbone of the given sizes.

    Text: a CLIP text model trained from scratch over ``tokenizer`` (stable-diffusion
    layout), or ``text``, e.g. a pretrained sentence encoder with a new condition adapter
    (condition-adapter layout); its output size must be ``cfg.text_dim``. Vocoder:
    ``vocoder`` (its mel must be ``cfg.mel``'s), or Griffin-Lim on ``cfg.mel``.
    """
    if len(cfg.unet_cross_attention) != len(cfg.unet_channels):
        raise FoleyError("unet_cross_attention needs one flag per entry of unet_channels")
    vae_factor = 2 ** (len(cfg.vae_channels) - 1)
    factor = vae_factor * 2 ** (len(cfg.unet_channels) - 1)  # the VAE's and the UNet's downsamplings
    if cfg.mel.n_mels % factor or cfg.mel.width % factor:
        raise FoleyError(f"a {cfg.mel.n_mels} x {cfg.mel.width} mel image does not divide by {factor}, the VAE's and "
                         f"the UNet's downsamplings together ({len(cfg.vae_channels)} and {len(cfg.unet_channels)} "
                         "levels): use fewer levels")
    flags = cfg.unet_cross_attention
    unet = UNet2DConditionModel(
        sample_size=(cfg.mel.n_mels // vae_factor, cfg.mel.width // vae_factor),
        in_channels=cfg.latent_channels, out_channels=cfg.latent_channels,
        down_block_types=tuple("CrossAttnDownBlock2D" if f else "DownBlock2D" for f in flags),
        up_block_types=tuple("CrossAttnUpBlock2D" if f else "UpBlock2D" for f in reversed(flags)),
        block_out_channels=cfg.unet_channels, layers_per_block=cfg.unet_layers_per_block,
        attention_head_dim=cfg.attention_head_dim, cross_attention_dim=cfg.text_dim, norm_num_groups=8,
        **(dict(addition_embed_type="text", addition_embed_type_num_heads=cfg.text_dim // cfg.attention_head_dim)
           if cfg.unet_text_pooling else {}))
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=cfg.latent_channels,
        down_block_types=("DownEncoderBlock2D",) * len(cfg.vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(cfg.vae_channels),
        block_out_channels=cfg.vae_channels, layers_per_block=cfg.vae_layers_per_block, norm_num_groups=8,
        sample_size=cfg.mel.n_mels)
    if text is None:
        text = TextConditioner(tokenizer, CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer), hidden_size=cfg.text_dim, intermediate_size=4 * cfg.text_dim,
            num_hidden_layers=cfg.text_layers, num_attention_heads=cfg.text_heads,
            max_position_embeddings=tokenizer.model_max_length, pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)).eval())
    if text.dim != cfg.text_dim:
        raise FoleyError(f"the text conditioner gives {text.dim}-d states; the UNet expects text_dim={cfg.text_dim}")
    # Stable Diffusion's training schedule, as Auffusion uses.
    betas = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                 steps_offset=1, set_alpha_to_one=False)
    if cfg.zero_terminal_snr:  # PNDM cannot rescale its betas: DDIM's config carries the schedule
        scheduler = DDIMScheduler(**betas, rescale_betas_zero_snr=True, prediction_type="v_prediction",
                                  timestep_spacing="trailing", clip_sample=False)
    else:  # Auffusion's PNDM sampler settings
        scheduler = PNDMScheduler(**betas, skip_prk_steps=True)
    if vocoder is None:
        vocoder = build_vocoder(GriffinLimConfig(mel=cfg.mel, n_iter=cfg.griffin_lim_iters))
    return AudioBackbone(Components(unet=unet.eval(), vae=vae.eval(), scheduler=scheduler, text=text,
                                    vocoder=vocoder, mel=cfg.mel, layout=text.layout), time)


def save_diffusers(module, folder: Path) -> None:
    """``module.save_pretrained(folder)`` (a diffusers model or scheduler) without the
    ``_name_or_path`` that diffusers keeps in a loaded module's config: the folder it was
    loaded from, a path of the machine that saved it, means nothing to whoever loads the copy."""
    module.save_pretrained(folder)
    for path in Path(folder).glob("*config.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.pop("_name_or_path", None) is not None:
            path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def visual_step_count(visual_steps: float, steps: int) -> int:
    """How many of ``steps`` sampling steps, from the first, a ``visual_steps`` fraction gives
    the visual condition: ceil(visual_steps * steps), where a product a rounding error above a
    whole number (0.28 * 25 = 7.000000000000001) counts as that number."""
    return math.ceil(round(visual_steps * steps, 9))


def visual_steps_said(visual_steps: float, steps: int) -> str:
    """The settings lines' words for a ``visual_steps`` fraction of ``steps``: '' for every step,
    else e.g. ' (with a caption: in the first 5 steps)'."""
    if visual_steps == 1:
        return ""
    n = visual_step_count(visual_steps, steps)
    return f" (with a caption: {({0: 'in no step', 1: 'in the first step'}).get(n, f'in the first {n} steps')})"


class AudioBackbone:
    """Frozen components and the generation loop. ``from_pretrained`` reads every Auffusion layout."""

    def __init__(self, components: Components, time: TimeBase | None = None) -> None:
        self.c = components
        self.time = time or TimeBase()
        for module in (self.unet, self.vae, self.c.text, self.c.vocoder):
            module.requires_grad_(False)
        self._log_mel = LogMel(self.mel)

    # ------------------------------------------------------------------ components ---
    unet = property(lambda self: self.c.unet)
    vae = property(lambda self: self.c.vae)
    text = property(lambda self: self.c.text)
    vocoder = property(lambda self: self.c.vocoder)
    mel = property(lambda self: self.c.mel)
    decoding = property(lambda self: self.c.decoding)

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, dtype: torch.dtype = torch.float32,
                        device: str | torch.device = "cpu") -> "AudioBackbone":
        backbone = cls(load_components(path_or_id, dtype))
        return backbone.to(device)

    def to(self, device: str | torch.device) -> "AudioBackbone":
        for module in (self.unet, self.vae, self.c.text, self.c.vocoder, self._log_mel):
            module.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return self.unet.device

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        """Save in the text conditioner's Auffusion layout, plus ``vocoder/`` and ``mel_config.json``:
        stable-diffusion (``model_index.json``, ``text_encoder/``, ``tokenizer/``) or condition-adapter
        (``condition_config.json``, ``text_encoder_0/`` with its tokenizer, ``condition_adapter_0/``)."""
        with atomic_dir(directory) as tmp:
            save_diffusers(self.unet, tmp / "unet")
            save_diffusers(self.vae, tmp / "vae")
            save_diffusers(self.c.scheduler, tmp / "scheduler")
            self.vocoder.save_pretrained(tmp / "vocoder")
            (tmp / MEL_CONFIG).write_text(json.dumps(self.mel.to_dict(), indent=2), encoding="utf-8")
            if self.c.decoding != DecodingConfig():
                (tmp / DECODING_CONFIG).write_text(json.dumps(asdict(self.c.decoding), indent=2), encoding="utf-8")
            if self.text.layout == LAYOUT_SD:
                self._save_sd_text(tmp)
            else:
                self.text.text_encoder.save_pretrained(tmp / "text_encoder_0", max_shard_size=SHARD_SIZE)
                self.text.tokenizer.save_pretrained(tmp / "text_encoder_0")
                self.text.adapter.save_pretrained(tmp / "condition_adapter_0")
                entry = {"text_encoder_name": "text_encoder_0", "condition_adapter_name": "condition_adapter_0",
                         "max_length": self.text.max_length}
                (tmp / "condition_config.json").write_text(json.dumps([entry], indent=2), encoding="utf-8")

    def _save_sd_text(self, tmp: Path) -> None:
        self.text.text_encoder.save_pretrained(tmp / "text_encoder", max_shard_size=SHARD_SIZE)
        self.text.tokenizer.save_pretrained(tmp / "tokenizer")
        index = {
            "_class_name": "StableDiffusionPipeline", "_diffusers_version": diffusers.__version__,
            "scheduler": ["diffusers", type(self.c.scheduler).__name__],
            "text_encoder": ["transformers", type(self.text.text_encoder).__name__],
            "tokenizer": ["transformers", type(self.text.tokenizer).__name__],
            "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
            "safety_checker": [None, None], "feature_extractor": [None, None],
            "requires_safety_checker": False,
        }
        (tmp / "model_index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")

    # -------------------------------------------------------------------- geometry ---
    @property
    def vae_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def latent_size(self) -> tuple[int, int]:
        """(height, width) of the latents at the model width."""
        return self.mel.n_mels // self.vae_factor, self.mel.width // self.vae_factor

    @property
    def image_tokens(self) -> int:
        """Visual tokens spanning the model width."""
        return round(self.mel.width_s * self.time.token_rate_hz)

    def check_duration(self, duration_s: float) -> None:
        if not 0 < duration_s <= self.mel.width_s + 1e-6:
            raise FoleyError(f"duration {duration_s} s is outside this model's range (0, {self.mel.width_s:.2f}] s")

    # --------------------------------------------------------------- audio <-> latents ---
    @torch.no_grad()
    def encode_audio(self, wav: torch.Tensor) -> torch.Tensor:
        """Waveforms (B, N) at the mel sample rate -> scaled VAE latents (B, C, h, w) (the mode)."""
        logmel = self._log_mel(wav.to(self.device))  # (B, M, N // hop)
        image = mel_to_image(logmel, self.mel).to(self.vae.dtype)  # (B, 3, M, width)
        return self.vae.encode(image).latent_dist.mode() * self.vae.config.scaling_factor

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """Scaled latents (B, C, h, w) -> waveforms (B, width * hop): :meth:`decode_mel`, then
        :meth:`vocode`."""
        return self.vocode(self.decode_mel(latents), generators)

    @torch.no_grad()
    def decode_mel(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents (B, C, h, w) -> the decoded natural-log mel (B, M, width), before noise filling."""
        image = self.vae.decode(latents / self.vae.config.scaling_factor).sample  # (B, 3, M, width)
        return image_to_mel(image, self.mel).to(image.dtype)

    @torch.no_grad()
    def vocode(self, logmel: torch.Tensor, generators: list[torch.Generator] | None = None,
               noise_fill: bool = True) -> torch.Tensor:
        """Natural-log mel (B, M, T) -> waveforms (B, T * hop). ``generators``: one per sample, for
        the decoding's noise filling (``DecodingConfig``; default: seeds 0..B-1); with
        ``noise_fill=False`` the mel goes to the vocoder as it is."""
        if (fill := self.c.decoding.noise_fill) and noise_fill:
            generators = generators or [torch.Generator(self.device).manual_seed(i) for i in range(len(logmel))]
            noise = torch.stack([torch.randn(logmel.shape[1:], generator=g, device=self.device) for g in generators])
            logmel = logmel + fill * noise.to(logmel.dtype)
        return self.vocoder(logmel)

    # ------------------------------------------------------------------ generation ---
    def visual_condition(self, visual: torch.Tensor, cfg: bool) -> VisualCondition:
        """Token features (B, T, D) of the clip -> a condition spanning the model width
        (zero features past the clip; zero features for the unconditional half under CFG)."""
        n = self.image_tokens
        states = visual[:, :n]
        states = torch.nn.functional.pad(states, (0, 0, 0, n - states.shape[1]))  # (B, n, D)
        if cfg:
            states = torch.cat([torch.zeros_like(states), states])  # (2B, n, D)
        return VisualCondition(states.to(self.device, self.unet.dtype), self.latent_size)

    @torch.no_grad()
    def generate(self, prompts: list[str], duration_s: float, steps: int = 100, guidance: float = 7.5,
                 seed: int | list[int] = 0, scheduler: str = "pndm", visual: torch.Tensor | None = None,
                 visual_steps: float = 1.0, step: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """Prompts (B) -> waveforms (B, samples(duration_s)), float32 in [-1, 1]: :meth:`sample`'s
        latents through :meth:`decode_latents`, the noise filling drawn from each sample's generator."""
        latents, generators = self.sample(prompts, duration_s, steps, guidance, seed, scheduler, visual, visual_steps,
                                          step)
        wav = self.decode_latents(latents, generators)  # (B, width * hop)
        return wav[:, : round(duration_s * self.mel.sample_rate)].float()

    @torch.no_grad()
    def sample(self, prompts: list[str], duration_s: float, steps: int = 100, guidance: float = 7.5,
               seed: int | list[int] = 0, scheduler: str = "pndm", visual: torch.Tensor | None = None,
               visual_steps: float = 1.0, step: Callable[[int, int], None] | None = None
               ) -> tuple[torch.Tensor, list[torch.Generator]]:
        """Prompts (B) -> scaled latents (B, C, h, w) one model window wide, and the B generators
        as the sampling left them (for :meth:`decode_latents`'s noise filling).

        Sample i uses seed ``seed + i`` (or ``seed[i]`` for a list of B seeds), so a batch gives
        the same clips as one call per prompt, up to float rounding.
        ``visual`` (B, T, D): token features at the token rate, for an attached visual adapter.
        ``visual_steps``: the fraction of the sampling steps, from the first, that use ``visual``
        (the first ``visual_step_count(visual_steps, N)`` of the sampler's N); the later steps are
        the prompt's alone. Diffusion sets a sample's coarse structure (when its events sound) in
        the early, noisy steps and its fine texture (what they sound like) in the late ones, so the
        visual condition can place the events and leave their timbre to the caption.
        ``step(i, n)``: called with the sampling steps done, i of n, before the first and after each.
        """
        self.check_duration(duration_s)
        if scheduler not in SCHEDULERS:
            raise FoleyError(f"unknown scheduler {scheduler!r}; choose from {', '.join(SCHEDULERS)}")
        if steps < 1:
            raise FoleyError(f"steps must be >= 1, got {steps}")
        if scheduler == "pndm" and self.c.scheduler.config.get("rescale_betas_zero_snr"):
            raise FoleyError("this backbone's noise schedule has zero terminal SNR, which the PNDM sampler cannot "
                             "follow: use --scheduler dpm or ddim")
        if not 0.0 <= visual_steps <= 1.0:
            raise FoleyError(f"visual_steps must be a fraction in [0, 1], got {visual_steps!r}")
        if visual is not None and visual.shape[0] != len(prompts):
            raise FoleyError(f"{visual.shape[0]} visual feature rows for {len(prompts)} prompts")
        seeds = [seed + i for i in range(len(prompts))] if isinstance(seed, int) else list(seed)
        if len(seeds) != len(prompts):
            raise FoleyError(f"{len(seeds)} seeds for {len(prompts)} prompts")
        cfg = guidance > 1.0
        sampler = SCHEDULERS[scheduler].from_config(self.c.scheduler.config, **SCHEDULER_OVERRIDES.get(scheduler, {}))
        if not _steps_fit(sampler, steps):
            most = next(n for n in range(steps - 1, 0, -1) if _steps_fit(sampler, n))
            raise FoleyError(f"{steps} {scheduler} steps do not fit this backbone's noise schedule of "
                             f"{sampler.config.num_train_timesteps} timesteps (its spacing and offset put a step past "
                             f"its end); take at most {most}")
        pipe = StableDiffusionPipeline(
            vae=self.vae, text_encoder=None, tokenizer=None, unet=self.unet,
            scheduler=sampler,
            safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        condition = None if visual is None or visual_steps == 0.0 else self.visual_condition(visual, cfg)

        visual_ends = condition is not None and visual_steps < 1.0

        def step_end(pipe, i: int, t, tensors: dict) -> dict:  # after sampling step i
            if visual_ends and i + 1 >= visual_step_count(visual_steps, pipe.num_timesteps):
                condition.active = False
            if step:
                step(i + 1, pipe.num_timesteps)
            return tensors

        if step:  # the sampler's own count of steps (PNDM's warm-up adds some); the pipeline sets them again
            sampler.set_timesteps(steps)
            step(0, len(sampler.timesteps))
        generators = [torch.Generator(self.device).manual_seed(s) for s in seeds]
        latents = pipe(
            prompt_embeds=self.text.encode(prompts).to(self.unet.dtype),
            negative_prompt_embeds=self.text.encode_negative(len(prompts)).to(self.unet.dtype),
            height=self.mel.n_mels, width=self.mel.width, num_inference_steps=steps, guidance_scale=guidance,
            generator=generators, output_type="latent",
            cross_attention_kwargs=None if condition is None else {"ip_hidden_states": condition},
            callback_on_step_end=step_end if visual_ends or step else None,
        ).images  # (B, 4, h, w)
        return latents, generators

