"""The paper-scale video-to-audio path with random weights: build it, load it as a user would, time it.

    python benchmarks/paper_scale.py --device cuda --out paper_scale.json   # paper size: ~20 GB, a GPU machine
    python benchmarks/paper_scale.py --tiny --device cpu --out tiny.json    # every size shrunk, the same code

Every component of the paper's video-to-audio path (DESIGN.md section 2, REFERENCE.md
section 1) is built with random weights through the package's builders and the libraries'
own model classes, written as a foley model directory (``pipeline.json`` and one folder per
component, in the layouts real checkpoints use) and loaded through
``FoleyPipeline.from_pretrained(DIR, device=...)``:

- frame encoder: open_clip ``ViT-L-14`` (open_clip's model config), random init;
- token LM: Gemma-2-2B (google/gemma-2-2b ``config.json``) over a Gemma BPE text tokenizer
  of 256,000 entries (trained here on synthetic words: no hub), plus ``<Video>``,
  ``</Video>``, ``<Caption>``, ``</Caption>`` and ``<AUD_0..499>``: 256,504 embedding rows;
  LoRA r = alpha = 64, dropout 0.05 (the paper's recipe); the temporal connector 768 -> 2304;
- unit tokenizer: HuBERT-Base (facebook/hubert-base-ls960 ``config.json``), layer 9, 500
  random k-means centroids;
- backbone: Auffusion = Stable Diffusion 1.5's UNet and VAE (their ``config.json``) and the
  CLIP ViT-L/14 text encoder (openai/clip-vit-large-patch14), in auffusion-full-no-adapter's
  layout, with Auffusion's HiFi-GAN as ``vocoder/{config.json, vocoder.pt}`` (weight norm);
- visual adapter: K/V projections in every cross-attention layer of that UNet.

``--tiny`` shrinks every width, depth and vocabulary, and the mel to 64 bands, but keeps the
time base: the dub is still one 10 s window of 215 frames and 500 tokens on a mel of 1024
frames (10.24 s). The code path is the same.

Figures, each the median of 3 after one warm-up, synchronized on CUDA:

1. a 10 s dub of a synthetic video (FFmpeg testsrc) at ``--steps`` diffusion steps, split as
   ``FoleyPipeline.dub`` splits it: ``encode_frames`` + ``tokens_from_frames`` (frames+tokens)
   and ``render`` (diffusion+vocoder);
2. one LM training step at batch 4 (10 s clips): the step of ``foley.training.lm.train_lm``
   (forward, backward, gradient clipping, AdamW) on the LM loaded for training; bf16 autocast
   with a bf16 base on a CUDA GPU with bf16, float32 elsewhere;
3. one adapter training step at batch 8: the step of ``foley.training.adapter.train_adapter``
   (epsilon MSE through the frozen UNet, AdamW on the float32 adapter); the UNet in bf16 under
   bf16 autocast on a CUDA GPU with bf16, float32 elsewhere.

Peak memory of a training step: ``torch.cuda.max_memory_allocated`` on CUDA; on CPU the
process's peak resident set (VmHWM, reset through ``/proc/self/clear_refs``; Linux only).
Both include the resident model. ``--workdir`` keeps the model directory and reuses it in a
later run (delete it to rebuild); by default it lives in a temporary folder.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import open_clip
import torch
from diffusers import AutoencoderKL, DDPMScheduler, PNDMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from foley.cli import OneLineErrors, number_arg, one_line_errors, show_defaults
from foley.config import MAX_STEPS, TimeBase
from foley.datasets.lm_data import LMData
from foley.device import bf16_supported, resolve_device
from foley.errors import FoleyError
from foley.media.ffmpeg import run_ffmpeg
from foley.media.files import atomic_write_text, check_writable
from foley.models.auffusion import Components
from foley.models.layout import LAYOUT_SD
from foley.models.text_condition import TextConditioner
from foley.models.backbone import AudioBackbone
from foley.models.connector import ConnectorConfig
from foley.models.frame_encoder import FrameEncoderConfig, build_frame_encoder
from foley.models.hub import quiet_loading
from foley.models.hubert_features import HubertFeaturesConfig, build_hubert_features
from foley.models.mel import MelConfig
from foley.models.token_lm import (
    INSTRUCTION,
    MARKERS,
    REQUEST,
    LoraSettings,
    TokenLM,
    TokenLMConfig,
    build_text_tokenizer,
    build_token_lm,
)
from foley.models.unit_tokenizer import UnitTokenizer
from foley.models.visual_adapter import VisualAdapterConfig, VisualCondition, build_visual_adapter
from foley.models.vocoder import build_vocoder, hifigan_config_from_auffusion
from foley.pipelines.dub import CONFIG_NAME, FoleyPipeline, PipelineConfig
from foley.training.adapter import AdapterTrainConfig, visual_features
from foley.training.lm import LMTrainConfig
from tokenizers import pre_tokenizers  # Hugging Face's (sorted as first-party: the repository has tokenizers/)

CAPTION = "a hammer strikes a metal plate"
DUB_S = 10.0
N_UNITS = 500  # HuBERT k-means km500
LM_BATCH = 4
REPEATS = 3
MIB = 2 ** 20

# google/gemma-2-2b config.json (= transformers' Gemma2Config defaults); vocab_size comes from the tokenizer.
GEMMA_2_2B = dict(
    hidden_size=2304, intermediate_size=9216, num_hidden_layers=26, num_attention_heads=8, num_key_value_heads=4,
    head_dim=256, hidden_activation="gelu_pytorch_tanh", max_position_embeddings=8192, initializer_range=0.02,
    rms_norm_eps=1e-6, rope_parameters={"rope_theta": 10000.0, "rope_type": "default"}, attention_bias=False,
    attention_dropout=0.0, query_pre_attn_scalar=256, sliding_window=4096, final_logit_softcapping=30.0,
    attn_logit_softcapping=50.0)
# facebook/hubert-base-ls960 config.json (= transformers' HubertConfig defaults).
HUBERT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                   conv_dim=(512,) * 7, num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16)
# openai/clip-vit-large-patch14 text_config (Auffusion's text encoder); vocab_size and special ids from the tokenizer.
CLIP_L_TEXT = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                   max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768)
# runwayml/stable-diffusion-v1-5 unet/config.json (Auffusion fine-tunes this UNet).
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8)
# runwayml/stable-diffusion-v1-5 vae/config.json (Auffusion keeps SD's VAE).
SD_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
    act_fn="silu", norm_num_groups=32, sample_size=512)
# Stable Diffusion's scheduler_config.json (PNDM, as Auffusion ships it; the same as foley's build_backbone).
SD_SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                    skip_prk_steps=True, steps_offset=1, set_alpha_to_one=False)
# Auffusion's vocoder/config.json (REFERENCE.md section 3); num_mels comes from the mel.
AUFFUSION_HIFIGAN = dict(resblock="1", upsample_rates=[5, 4, 4, 2], upsample_kernel_sizes=[11, 8, 8, 4],
                         upsample_initial_channel=512, resblock_kernel_sizes=[3, 7, 11],
                         resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]], sampling_rate=16000)


@dataclass(frozen=True)
class Scale:
    """Sizes of every component: ``PAPER`` the paper's, ``TINY`` the same configs with small widths."""

    name: str
    gemma: dict
    text_vocab: int  # text tokenizer entries before the added vocabulary
    lora: LoraSettings
    connector: ConnectorConfig
    tower: str  # open_clip model name
    tower_cfg: dict
    hubert: dict
    hubert_layer: int
    clip_text: dict
    clip_vocab: int
    unet: dict
    vae: dict
    hifigan: dict
    mel: MelConfig = field(default_factory=MelConfig)  # Auffusion's: 256 bands, 1024 frames (10.24 s)


PAPER = Scale(  # LoRA and connector: foley's defaults, the paper's recipe (REFERENCE.md section 1)
    name="paper", gemma=GEMMA_2_2B, text_vocab=256_000, lora=LoraSettings(), connector=ConnectorConfig(),
    tower="ViT-L-14", tower_cfg=open_clip.get_model_config("ViT-L-14"), hubert=HUBERT_BASE, hubert_layer=9,
    clip_text=CLIP_L_TEXT, clip_vocab=49_408, unet=SD15_UNET, vae=SD_VAE, hifigan=AUFFUSION_HIFIGAN)
TINY = Scale(
    name="tiny",
    gemma={**GEMMA_2_2B, "hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
           "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32, "query_pre_attn_scalar": 32},
    text_vocab=1000, lora=LoraSettings(r=4, alpha=4), connector=ConnectorConfig(frame_dim=32, lm_dim=64),
    tower="ViT-L-14-foley-tiny",
    tower_cfg={"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8,
                                               "head_width": 32},
               "text_cfg": {"context_length": 77, "vocab_size": 1000, "width": 32, "heads": 2, "layers": 1}},
    hubert={**HUBERT_BASE, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2,
            "intermediate_size": 64, "conv_dim": (16,) * 7, "num_conv_pos_embeddings": 16,
            "num_conv_pos_embedding_groups": 4},
    hubert_layer=2,
    clip_text={**CLIP_L_TEXT, "hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 2,
               "num_attention_heads": 2, "projection_dim": 32},
    clip_vocab=1000,
    unet={**SD15_UNET, "block_out_channels": (16, 16, 32, 32), "layers_per_block": 1, "norm_num_groups": 8,
          "cross_attention_dim": 32, "attention_head_dim": 2},
    vae={**SD_VAE, "block_out_channels": (8, 8, 16, 16), "layers_per_block": 1, "norm_num_groups": 4},
    hifigan={**AUFFUSION_HIFIGAN, "upsample_initial_channel": 16},
    mel=MelConfig(n_mels=64))


# ----------------------------------------------------------------------- building ---
def synthetic_words(n: int, seed: int = 0) -> list[str]:
    """n random lower-case words of 4-12 letters: a corpus with enough distinct pieces for any BPE size."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 13, n)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))[rng.integers(0, 26, int(lengths.sum()))]
    return ["".join(word) for word in np.split(letters, np.cumsum(lengths)[:-1])]


def gemma_text_tokenizer(vocab_size: int):
    """foley's Gemma BPE tokenizer (``build_text_tokenizer``) with exactly ``vocab_size`` entries,
    trained on the LM prompt, the caption and synthetic words: the stand-in for Gemma's own."""
    words = synthetic_words(vocab_size // 2)
    corpus = [INSTRUCTION, REQUEST, "Video: Caption:", CAPTION]
    corpus += [" ".join(words[i:i + 1000]) for i in range(0, len(words), 1000)]
    tokenizer = build_text_tokenizer(corpus, vocab_size=vocab_size)
    if len(tokenizer) != vocab_size:
        raise FoleyError(f"the synthetic corpus gave a text tokenizer of {len(tokenizer)} entries, not {vocab_size}")
    return tokenizer


def clip_tokenizer(vocab_size: int):
    """A CLIP BPE tokenizer with exactly ``vocab_size`` entries in openai/clip-vit-large-patch14's
    arrangement: the 256 byte symbols, the same as word ends (``</w>``), merges, then
    ``<|startoftext|>`` and ``<|endoftext|>``. The merges join letters into ever longer pieces."""
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    letters = "abcdefghijklmnopqrstuvwxyz"
    n_merges = vocab_size - 2 * len(symbols) - 2
    merges, pieces = [], list(letters)
    while len(merges) < n_merges:
        merges += [(piece, letter + end) for piece in pieces for letter in letters for end in ("", "</w>")]
        pieces = [piece + letter for piece in pieces for letter in letters]
    merges = merges[:n_merges]
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>",
                                                                                       "<|endoftext|>"]
    return CLIPTokenizer(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, model_max_length=77)


def save_frame_encoder(scale: Scale, directory: Path) -> None:
    torch.manual_seed(0)
    config = FrameEncoderConfig(model=scale.tower, pretrained="", model_cfg=scale.tower_cfg)
    build_frame_encoder(config).save_pretrained(directory)


def vocabulary_rows(lm: TokenLM) -> int:
    """Rows of the LM's output embedding (Gemma ties it to the input embedding)."""
    return lm.lm.get_output_embeddings().weight.shape[0]  # peft forwards it to the base model


def save_token_lm(scale: Scale, directory: Path) -> None:
    """Gemma-2 + added vocabulary + LoRA + connector; checks the embedding grew by the added tokens."""
    tokenizer = gemma_text_tokenizer(scale.text_vocab)
    torch.manual_seed(0)
    config = TokenLMConfig(base="", gemma=scale.gemma, n_units=N_UNITS, connector=scale.connector, lora=scale.lora)
    lm = build_token_lm(config, tokenizer=tokenizer)
    rows = vocabulary_rows(lm)
    if rows != scale.text_vocab + len(MARKERS) + N_UNITS:
        raise FoleyError(f"the LM embedding has {rows} rows, not {scale.text_vocab} + {len(MARKERS)} + {N_UNITS}")
    lm.save_pretrained(directory)


def save_unit_tokenizer(scale: Scale, directory: Path) -> None:
    torch.manual_seed(0)
    features = build_hubert_features(HubertFeaturesConfig(hubert=scale.hubert, layer=scale.hubert_layer))
    UnitTokenizer(features, torch.randn(N_UNITS, features.dim)).save_pretrained(directory)


def write_auffusion_vocoder(directory: Path, vocoder, config: dict) -> None:
    """``vocoder/{config.json, vocoder.pt}`` as Auffusion ships them: a torch pickle whose
    ``generator`` holds the original HiFi-GAN keys with weight norm (``weight_g`` = the norm
    over every dim but 0, ``weight_v``; ``ups.*`` for the upsampler). Replaces the folder's files."""
    state = {}
    for key, value in vocoder.model.state_dict().items():
        if key in ("mean", "scale"):  # SpeechT5HifiGan's input normalization, unused by Auffusion's
            continue
        key = "ups." + key[len("upsampler."):] if key.startswith("upsampler.") else key
        if key.endswith(".weight"):
            stem = key[:-len(".weight")]
            state[f"{stem}.weight_g"] = torch.norm_except_dim(value, 2, 0)
            state[f"{stem}.weight_v"] = value
        else:
            state[key] = value
    for old in directory.iterdir():
        old.unlink()
    (directory / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    torch.save({"generator": state}, directory / "vocoder.pt")


def save_backbone_and_adapter(scale: Scale, backbone_dir: Path, adapter_dir: Path) -> None:
    """Auffusion in the stable-diffusion layout (foley's ``AudioBackbone.save_pretrained``,
    Auffusion's vocoder format), and a visual adapter for its UNet."""
    torch.manual_seed(0)
    tokenizer = clip_tokenizer(scale.clip_vocab)
    text = CLIPTextModel(CLIPTextConfig(**scale.clip_text, vocab_size=len(tokenizer),
                                        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                                        eos_token_id=tokenizer.eos_token_id))
    hifigan = {**scale.hifigan, "num_mels": scale.mel.n_mels}
    vocoder = build_vocoder(hifigan_config_from_auffusion(hifigan))
    backbone = AudioBackbone(Components(
        unet=UNet2DConditionModel(**scale.unet), vae=AutoencoderKL(**scale.vae),
        scheduler=PNDMScheduler(**SD_SCHEDULER), text=TextConditioner(tokenizer, text.eval()), vocoder=vocoder,
        mel=scale.mel, layout=LAYOUT_SD))
    backbone.save_pretrained(backbone_dir)
    write_auffusion_vocoder(backbone_dir / "vocoder", vocoder, hifigan)
    unit_dim = scale.hubert["hidden_size"]  # the k-means centroids are HuBERT features
    build_visual_adapter(VisualAdapterConfig(visual_dim=unit_dim), backbone.unet).save_pretrained(adapter_dir)


def build_model_dir(scale: Scale, root: Path, log=print) -> None:
    """Every component, then ``pipeline.json`` (last: its presence marks a complete directory)."""
    config = PipelineConfig(caption=CAPTION, knows="nothing (random weights, a benchmark model)")
    parts = [("frame encoder", lambda: save_frame_encoder(scale, root / config.frame_encoder)),
             ("token LM", lambda: save_token_lm(scale, root / config.lm)),
             ("unit tokenizer", lambda: save_unit_tokenizer(scale, root / config.tokenizer)),
             ("backbone and visual adapter",
              lambda: save_backbone_and_adapter(scale, root / config.backbone, root / config.adapter))]
    root.mkdir(parents=True, exist_ok=True)
    for what, save in parts:
        t0 = time.perf_counter()
        with quiet_loading():
            save()
        gc.collect()  # one paper-size component in memory at a time
        log(f"  built and saved the {what} in {time.perf_counter() - t0:.1f} s")
    atomic_write_text(root / CONFIG_NAME, json.dumps(config.to_dict(), indent=1) + "\n")


def write_test_video(path: Path, duration_s: float) -> Path:
    """FFmpeg's testsrc pattern, 320x240 at 25 fps, H.264."""
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc=s=320x240:r=25:d={duration_s}", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], what=str(path))
    return path


# ----------------------------------------------------------------------- measuring ---
def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def release(device: torch.device) -> None:
    """Free what the last stage left (reference cycles, the CUDA allocator's cache)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def timed(fn, device: torch.device) -> tuple[float, object]:
    """(seconds, result) of ``fn()``, synchronized on CUDA."""
    synchronize(device)
    start = time.perf_counter()
    result = fn()
    synchronize(device)
    return time.perf_counter() - start, result


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    elif device.type == "cpu":
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := the current resident set


def peak_memory_mib(device: torch.device) -> float | None:
    """Peak since ``reset_peak_memory``, MiB; None where it is not measured (MPS, CPU off Linux)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / MIB
    if device.type == "cpu":
        with contextlib.suppress(OSError):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MIB
    return None


def memory_kind(device: torch.device) -> str:
    return {"cuda": "torch.cuda.max_memory_allocated", "cpu": "process peak resident set (VmHWM)"}.get(
        device.type, "not measured")


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def measure_steps(step, device: torch.device) -> tuple[list[float], float | None]:
    """Seconds of ``REPEATS`` calls of ``step`` after one warm-up, and their peak memory (MiB)."""
    step()
    reset_peak_memory(device)
    times = [timed(step, device)[0] for _ in range(REPEATS)]
    return times, peak_memory_mib(device)


def dub_once(pipe: FoleyPipeline, video: Path, steps: int, device: torch.device) -> tuple[float, float, bool]:
    """One dub of ``video`` (as long as the model window) through the calls ``FoleyPipeline.dub``
    makes: seconds of frames+tokens and of diffusion+vocoder, and whether the LM's own tokens
    were rendered. A random LM that writes only the silence unit would make ``render`` skip
    the diffusion; the next unit is rendered then, so the time is a render's."""
    t_tokens, tokens = timed(lambda: pipe.tokens_from_frames(pipe.encode_frames(video, DUB_S), DUB_S, CAPTION),
                             device)
    own = not bool((tokens == pipe.silence_unit).all())
    if not own:
        tokens = (tokens + 1) % pipe.tokenizer.n_units
    t_audio, audio = timed(lambda: pipe.render(tokens, DUB_S, CAPTION, steps=steps), device)
    if len(audio) != pipe.time.samples(DUB_S) or not np.isfinite(audio).all():
        raise RuntimeError(f"the dub gave {len(audio)} samples (finite: {bool(np.isfinite(audio).all())})")
    return t_tokens, t_audio, own


def lm_step_figures(model_dir: Path, device: torch.device) -> dict:
    """One LM training step at batch 4 as ``train_lm`` runs it, on the LM loaded for training."""
    cfg = LMTrainConfig()
    bf16 = bf16_supported(device)  # train_lm's precision "auto"
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = TokenLM.from_pretrained(model_dir / "lm", device=str(device), dtype=dtype, trainable=True)
    model.train()
    time_base = TimeBase()
    g = torch.Generator().manual_seed(0)
    n_frames, n_tokens = time_base.video_frames(DUB_S), time_base.tokens(DUB_S)
    data = LMData([f"clip{i}" for i in range(LM_BATCH)], [CAPTION] * LM_BATCH,
                  [torch.randn(n_frames, model.config.connector.frame_dim, generator=g) for _ in range(LM_BATCH)],
                  [torch.randint(0, model.n_units, (n_tokens,), generator=g) for _ in range(LM_BATCH)])
    batch = data.batch(list(range(LM_BATCH)), model.config.use_video)
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext

    def step() -> None:
        with autocast():
            loss, _ = model(**batch, change_weight=cfg.change_weight, unit_dropout=cfg.unit_dropout)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), cfg.grad_clip)
        optimizer.step()
        optimizer.zero_grad()

    times, peak = measure_steps(step, device)
    return {"times_s": times, "peak_mib": peak, "precision": "bf16 autocast, bf16 base" if bf16 else "float32",
            "params": count(model), "trainable_params": sum(p.numel() for p in model.trainable_parameters())}


def adapter_step_figures(model_dir: Path, device: torch.device) -> dict:
    """One adapter training step at batch 8 as ``train_adapter`` runs it with precision "auto":
    the frozen UNet in bf16 under bf16 autocast on a CUDA GPU that has bf16 (float32 elsewhere;
    the fp16 fallback of older GPUs is not mirrored), the adapter and AdamW in float32. Random
    latents, unit ids and the caption's text states stand in for the cache (the cost does not
    depend on them)."""
    bf16 = bf16_supported(device)  # train_adapter's "auto" where the GPU has bf16
    dtype = torch.bfloat16 if bf16 else torch.float32
    backbone = AudioBackbone.from_pretrained(model_dir / "backbone", dtype=dtype, device=device)
    tokenizer = UnitTokenizer.from_pretrained(model_dir / "tokenizer")
    cfg = AdapterTrainConfig(adapter=VisualAdapterConfig(visual_dim=tokenizer.unit_dim))
    batch = cfg.batch_size
    centroids = tokenizer.centroids(torch.arange(tokenizer.n_units))  # (K, D)
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(batch, backbone.unet.config.in_channels, *backbone.latent_size, generator=g)  # (B, 4, h, w)
    ids = torch.randint(0, tokenizer.n_units, (batch, backbone.image_tokens), generator=g)  # (B, T)
    text = backbone.text.encode([CAPTION] * batch)  # (B, L, D_text)
    noise_scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
    adapter = build_visual_adapter(cfg.adapter, backbone.unet).to(device, torch.float32).attach(backbone.unet)
    adapter.requires_grad_(True)
    optimizer = torch.optim.AdamW(adapter.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    backbone.unet.train()
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext

    def step() -> None:
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (batch,), generator=g)
        noise = torch.randn(latents.shape, generator=g).to(device, dtype)
        noisy = noise_scheduler.add_noise(latents.to(device, dtype), noise, t)
        cond = VisualCondition(visual_features(ids, centroids).to(device, dtype), backbone.latent_size)
        with autocast():
            pred = backbone.unet(noisy, t.to(device), text.to(device, dtype),
                                 cross_attention_kwargs={"ip_hidden_states": cond}).sample  # (B, 4, h, w)
        loss = torch.nn.functional.mse_loss(pred.float(), noise.float())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    times, peak = measure_steps(step, device)
    precision = "bf16 UNet, bf16 autocast, float32 adapter" if bf16 else "float32"
    return {"times_s": times, "peak_mib": peak, "precision": precision, "batch": batch, "params": count(adapter)}


def pipeline_params(pipe: FoleyPipeline) -> dict:
    backbone = pipe.backbone
    return {"frame_encoder": count(pipe.frame_encoder), "hubert": count(pipe.tokenizer.features),
            "unet": count(backbone.unet), "vae": count(backbone.vae), "text_encoder": count(backbone.text),
            "vocoder": count(backbone.vocoder), "lm_embedding_rows": vocabulary_rows(pipe.lm)}


def dtypes(pipe: FoleyPipeline) -> dict:
    name = lambda m: str(next(m.parameters()).dtype).replace("torch.", "")  # noqa: E731
    return {"frame_encoder": f"{name(pipe.frame_encoder)} (precision {pipe.frame_encoder.config.precision})",
            "lm": name(pipe.lm), "backbone": name(pipe.backbone.unet), "vocoder": name(pipe.backbone.vocoder),
            "adapter": name(pipe.adapter)}


# ----------------------------------------------------------------------------- main ---
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--tiny", action="store_true", help="shrink every size (the same code path; CPU tests)")
    ap.add_argument("--out", default="paper_scale.json", help="JSON file of the figures")
    ap.add_argument("--workdir", default=None, help="where the model directory is written and reused "
                                                     "(default: a temporary folder)")
    ap.add_argument("--steps", type=number_arg(1, MAX_STEPS, integer=True), default=25, help="diffusion steps of the dub")
    args = show_defaults(ap).parse_args(argv)
    if not args.out or Path(args.out).is_dir():
        raise FoleyError(f"--out {args.out!r}: not a file name (the figures are written there as JSON)")
    if not Path(args.out).resolve().parent.is_dir():
        raise FoleyError(f"--out {args.out}: its folder does not exist")
    check_writable(args.out)  # before minutes of measuring
    if args.workdir is not None and Path(args.workdir).exists() and not Path(args.workdir).is_dir():
        raise FoleyError(f"--workdir {args.workdir}: not a folder")
    return args


def run(args: argparse.Namespace, workdir: Path, log=print) -> dict:
    scale = TINY if args.tiny else PAPER
    device = resolve_device(args.device)
    model_dir = workdir / f"foley-{scale.name}"
    t_build = 0.0
    if (model_dir / CONFIG_NAME).is_file():
        log(f"reusing the {scale.name} model directory {model_dir} (delete it to rebuild)")
    else:
        log(f"building the {scale.name} model directory {model_dir}")
        t_build, _ = timed(lambda: build_model_dir(scale, model_dir, log), torch.device("cpu"))
    video = write_test_video(workdir / "testsrc_10s.mp4", DUB_S)

    t_load, pipe = timed(lambda: FoleyPipeline.from_pretrained(model_dir, device=str(device)), device)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    log(f"device {device} ({device_name}), torch {torch.__version__}; loaded in {t_load:.1f} s")
    params, types = pipeline_params(pipe), dtypes(pipe)
    log(f"dubbing {DUB_S:g} s at {args.steps} steps, {1 + REPEATS} times")
    runs = [dub_once(pipe, video, args.steps, device) for _ in range(1 + REPEATS)][1:]  # the first warms up
    tokens_s, audio_s, own_tokens = (list(column) for column in zip(*runs))
    del pipe
    release(device)
    log(f"LM training steps, batch {LM_BATCH}")
    lm = lm_step_figures(model_dir, device)
    release(device)
    log("adapter training steps")
    adapter = adapter_step_figures(model_dir, device)
    params.update(lm=lm.pop("params"), lm_trainable=lm.pop("trainable_params"), adapter=adapter.pop("params"))
    figures = {
        "dub_frames_tokens_s": statistics.median(tokens_s),
        "dub_diffusion_vocoder_s": statistics.median(audio_s),
        "dub_total_s": statistics.median([a + b for a, b in zip(tokens_s, audio_s)]),
        "lm_step_s": statistics.median(lm["times_s"]), "lm_step_peak_mib": lm["peak_mib"],
        "adapter_step_s": statistics.median(adapter["times_s"]), "adapter_step_peak_mib": adapter["peak_mib"],
    }
    return {
        "scale": scale.name, "device": str(device), "device_name": device_name, "torch": torch.__version__,
        "settings": {"dub_s": DUB_S, "steps": args.steps, "repeats": REPEATS, "lm_batch": LM_BATCH,
                     "adapter_batch": adapter["batch"], "memory": memory_kind(device),
                     "lm_step_precision": lm["precision"], "adapter_step_precision": adapter["precision"],
                     "dub_rendered_own_tokens": all(own_tokens)},
        "dtypes": types, "params": params, "build_s": t_build, "load_s": t_load, "figures": figures,
        "runs_s": {"dub_frames_tokens": tokens_s, "dub_diffusion_vocoder": audio_s,
                   "lm_step": lm["times_s"], "adapter_step": adapter["times_s"]},
    }


def report(results: dict, log=print) -> None:
    """One line per figure, and the sizes."""
    p, f, s = results["params"], results["figures"], results["settings"]
    m = lambda n: f"{n / 1e6:,.2f} M"  # noqa: E731
    mib = lambda v: "not measured" if v is None else f"{v:,.0f} MiB"  # noqa: E731
    text_rows = p["lm_embedding_rows"] - len(MARKERS) - N_UNITS
    log(f"{results['scale']} scale on {results['device']} ({results['device_name']}); dtypes: "
        + ", ".join(f"{k} {v}" for k, v in results["dtypes"].items()))
    log(f"parameters: frame encoder {m(p['frame_encoder'])}, LM {m(p['lm'])} (trainable {m(p['lm_trainable'])}; "
        f"{p['lm_embedding_rows']:,} embedding rows = {text_rows:,} text + {len(MARKERS)} markers + {N_UNITS} units), "
        f"HuBERT {m(p['hubert'])}, UNet {m(p['unet'])}, VAE {m(p['vae'])}, text encoder {m(p['text_encoder'])}, "
        f"vocoder {m(p['vocoder'])}, visual adapter {m(p['adapter'])}")
    log(f"dub {s['dub_s']:g} s at {s['steps']} steps: frames+tokens {f['dub_frames_tokens_s']:.2f} s, "
        f"diffusion+vocoder {f['dub_diffusion_vocoder_s']:.2f} s, total {f['dub_total_s']:.2f} s (median of {REPEATS})")
    log(f"LM training step, batch {s['lm_batch']} ({s['lm_step_precision']}): {f['lm_step_s']:.2f} s "
        f"(median of {REPEATS}), peak memory {mib(f['lm_step_peak_mib'])}")
    log(f"adapter training step, batch {s['adapter_batch']} ({s['adapter_step_precision']}): "
        f"{f['adapter_step_s']:.2f} s (median of {REPEATS}), peak memory {mib(f['adapter_step_peak_mib'])}")
    log(f"peak memory: {s['memory']} over the {REPEATS} timed steps, model included")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        workdir = Path(args.workdir) if args.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        results = run(args, workdir)
    report(results)
    atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
    print(f"figures written to {args.out}")
    return results


if __name__ == "__main__":
    one_line_errors(lambda argv: main(argv) and None, "paper_scale.py")  # main returns the figures, not a status
