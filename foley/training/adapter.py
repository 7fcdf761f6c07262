"""Adapter stage: train the visual cross-attention K/V inside the frozen backbone.

Everything frozen is run once, into a cache (``build_adapter_cache``): the VAE latents of
each clip at the model width, its caption's text states, and the unit ids of its real
audio (padded with -1 to the model width), plus the tokenizer's centroid table. Training
(``train_adapter``) then reads only the cache: visual features = centroids of the ids
(zero past the clip), MSE on the backbone's training noise schedule and prediction type
(epsilon or v), AdamW on the adapter's parameters only, under accelerate (one process or
several; CPU runs use gloo). On the accelerator accelerate gives the process, the frozen UNet runs in
half precision under autocast (bf16 where the GPU has it, else fp16 with loss scaling);
the adapter's weights and the optimizer state stay float32.

Every random draw of step s (clip indices, timesteps, noise) comes from a generator seeded
with (seed, s) and is drawn for the global batch, each process taking its slice, so a
run resumed from a checkpoint continues exactly as if it had not stopped, and n
processes see the same global batches as one.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from diffusers import DDPMScheduler
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ..config import is_finite_number
from ..device import bf16_supported, resolve_device
from ..errors import FoleyError, MediaError
from ..media.files import atomic_dir, atomic_path, files_digest
from ..models.backbone import AudioBackbone
from ..models.visual_adapter import CONFIG_FILE as ADAPTER_CONFIG
from ..models.visual_adapter import TRAINING_FILE as ADAPTER_TRAINING
from ..models.visual_adapter import (VisualAdapter, VisualAdapterConfig, VisualCondition, build_visual_adapter,
                                     not_an_adapter)
from . import (CHECKPOINT_DIR, check_apart, check_resumed_steps, check_run_folder, check_same_config, checkpoint_state,
               load_checkpoint_file, logs_step, note_stop, recorded_path,
               stop_before_first_step)
from .backbone import denoising_target, load_clips

CACHE_FILE = "adapter_cache.safetensors"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
FINAL_DIR = "adapter"


@dataclass
class AdapterTrainConfig:
    adapter: VisualAdapterConfig = field(default_factory=VisualAdapterConfig)
    steps: int = 1000
    batch_size: int = 8  # global: split across processes
    lr: float = 1e-4
    weight_decay: float = 1e-2
    seed: int = 0
    checkpoint_every: int = 100
    precision: str = "auto"  # the frozen UNet's dtype and autocast; auto: bf16 (fp16 without it) on CUDA, else fp32
    caption_dropout: float = 0.0  # fraction of clips trained with the empty caption (`foley dub` without --caption)
    init: str = ""  # an adapter folder to start from (its weights of this run's layers); "": the text K/V or random

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise FoleyError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")
        if not 0.0 <= self.caption_dropout <= 1.0:
            raise FoleyError(f"caption dropout must be between 0 and 1, got {self.caption_dropout}")
        if self.steps < 0 or self.batch_size < 1 or self.checkpoint_every < 1 or not self.lr > 0:
            raise FoleyError("steps must be >= 0, batch_size and checkpoint_every >= 1 and lr > 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AdapterTrainConfig":
        data = dict(data)
        return cls(adapter=VisualAdapterConfig.from_dict(data.pop("adapter")), **data)


def training_precision(cfg: "AdapterTrainConfig"):
    """This process's accelerate state (a gloo group where there is no GPU) and the precision
    ``cfg.precision`` resolves to on its device. Raises FoleyError for fp16 without CUDA."""
    from accelerate import PartialState

    state = PartialState(cpu=resolve_device("auto").type == "cpu")
    precision = resolve_precision(cfg.precision, state.device)
    if precision == "fp16" and state.device.type != "cuda":
        raise FoleyError("fp16 training needs a CUDA GPU; use fp32 or bf16")
    return state, precision


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> bf16 on a CUDA GPU that has it, fp16 on one that does not, fp32 elsewhere."""
    if precision != "auto":
        return precision
    if device.type != "cuda":
        return "fp32"
    return "bf16" if bf16_supported(device) else "fp16"


# ------------------------------------------------------------------------- cache ---
def cache_inputs(data: str | os.PathLike, backbone: str, tokenizer: str, split: str = "train") -> dict[str, str]:
    """What a cache is made from, as digests (a folder: its files' and those its
    ``components.json`` shares; a hub id: itself): the split's manifest, the recordings it
    names, the backbone, the tokenizer. A cache made from other inputs is made again, never
    trained on."""
    from ..datasets.synthsync import load_manifest
    from ..models.layout import shared_components

    def digest(source: str) -> str:
        folder = Path(source)
        if not folder.is_dir():
            return source
        roots = [folder, *shared_components(folder).values()]
        return files_digest(sorted(f for root in roots for f in root.rglob("*") if f.is_file()))

    manifest = Path(data) / f"{split}.jsonl"
    # a recording that is missing is named when the cache is made
    recordings = [path for e in load_manifest(data, split) if (path := Path(e["audio"])).is_file()
                  ] if manifest.is_file() else []
    return {"data": files_digest([manifest]) if manifest.is_file() else str(manifest),
            "recordings": files_digest(recordings), "backbone": digest(backbone), "tokenizer": digest(tokenizer)}


def cached_inputs(path: str | os.PathLike) -> dict[str, str] | None:
    """The inputs (``cache_inputs``) a cache file records; None for a cache that records none."""
    with safe_open(str(path), "pt") as f:
        return json.loads((f.metadata() or {}).get("inputs", "null"))


@torch.no_grad()
def build_adapter_cache(backbone: AudioBackbone, tokenizer, data: str | os.PathLike, split: str,
                        out: str | os.PathLike, batch: int = 16, inputs: dict[str, str] | None = None) -> Path:
    """Latents, text states, unit ids and centroids of a SynthSync split -> one safetensors file,
    with ``inputs`` (``cache_inputs``) in its metadata. FoleyError for a split with no clips."""
    wavs, entries = load_clips(data, split, backbone.mel)  # (N, width * hop)
    if not entries:
        raise FoleyError(f"{Path(data) / f'{split}.jsonl'}: the {split} split has no clips")
    latents, text, ids = [], [], []
    n_tokens = backbone.image_tokens
    for i in range(0, len(entries), batch):
        chunk = entries[i:i + batch]
        latents.append(backbone.encode_audio(wavs[i:i + batch]).float().cpu())
        text.append(backbone.text.encode([e["caption"] for e in chunk]).float().cpu())
        for e, wav in zip(chunk, wavs[i:i + batch]):
            n = round(e["duration_s"] * backbone.mel.sample_rate)
            units = tokenizer.encode(wav[:n].numpy(), backbone.mel.sample_rate)[:n_tokens]
            ids.append(F.pad(units, (0, n_tokens - len(units)), value=-1))
    centroids = tokenizer.centroids(torch.arange(tokenizer.n_units))  # (K, D)
    path = Path(out) / CACHE_FILE
    with atomic_path(path) as tmp:
        tensors = {"latents": torch.cat(latents), "text": torch.cat(text), "ids": torch.stack(ids),
                   "centroids": centroids.float()}
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp),
                  metadata={"split": split, "clips": str(len(entries)), "inputs": json.dumps(inputs)})
    return path


def _readable(path: Path) -> bool:
    """Whether the cache file ``path`` opens as safetensors (a file cut short does not)."""
    try:
        with safe_open(str(path), "pt"):
            return True
    except (OSError, SafetensorError):
        return False


def load_adapter_cache(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no adapter training cache")
    return load_file(str(path))


def visual_features(ids: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Unit ids (B, T), -1 = past the clip -> centroid features (B, T, D), zero where -1."""
    valid = ids >= 0
    return centroids[ids.clamp(min=0)] * valid[..., None].to(centroids.dtype)


# ---------------------------------------------------------------------- training ---
class _Denoiser(torch.nn.Module):
    """The frozen UNet with the adapter attached: what the optimizer differentiates."""

    def __init__(self, unet) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, noisy: torch.Tensor, t: torch.Tensor, text: torch.Tensor, cond: VisualCondition) -> torch.Tensor:
        # (B, 4, h, w), (B,), (B, L, D_text), cond.states (B, T, D) -> (B, 4, h, w)
        return self.unet(noisy, t, text, cross_attention_kwargs={"ip_hidden_states": cond}).sample


def _step_draws(seed: int, step: int, n_clips: int, batch: int, latent_shape: tuple, n_train_steps: int,
                caption_dropout: float = 0.0):
    """Clip indices, timesteps, noise and which clips drop their caption, for step ``step``."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    idx = torch.randint(n_clips, (batch,), generator=g)
    t = torch.randint(0, n_train_steps, (batch,), generator=g)
    noise = torch.randn((batch, *latent_shape), generator=g)
    dropped = torch.rand(batch, generator=g) < caption_dropout  # drawn last: the draws above stay as they were
    return idx, t, noise, dropped


def _save_checkpoint(run: Path, adapter: VisualAdapter, optimizer, step: int, cfg: AdapterTrainConfig,
                     processes: int) -> None:
    with atomic_dir(run / CHECKPOINT_DIR) as tmp:
        save_file(adapter.adapter_state_dict(), str(tmp / "adapter.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps({"step": step, "processes": processes, "config": cfg.to_dict()},
                                                   indent=2))


def train_adapter(backbone: AudioBackbone, cache_path: str | os.PathLike, run: str | os.PathLike,
                  cfg: AdapterTrainConfig, resume: bool = False, stop_after: int | None = None,
                  log=print, sources: dict | None = None) -> VisualAdapter:
    """Train (or resume) the adapter; writes RUN/checkpoint every ``checkpoint_every`` steps and
    RUN/adapter at the end, with a ``training.json`` of ``cfg`` and ``sources`` (what it was
    trained from: e.g. the backbone's folder and digest). ``stop_after`` ends the run early
    after that many steps in total (an interruption, for tests) without writing RUN/adapter.

    The backbone's UNet moves to the accelerator's device; its dtype must be the one
    ``cfg.precision`` resolves to there (``run_training`` loads it so): fp32 weights under a
    bf16 autocast would train the same adapter at twice the memory. The adapter trains in
    float32 whatever the precision."""
    run = Path(run)
    state, precision = training_precision(cfg)
    if backbone.unet.dtype != DTYPES[precision]:
        raise FoleyError(f"the backbone's UNet is {backbone.unet.dtype} but precision {precision} trains it in "
                         f"{DTYPES[precision]}")
    accelerator = Accelerator(cpu=state.device.type == "cpu",
                              mixed_precision="no" if precision == "fp32" else precision)
    checkpoint = run / CHECKPOINT_DIR
    with stop_before_first_step(checkpoint, resume):
        cache = load_adapter_cache(cache_path)
        # (1, L, D): the caption `foley dub` renders when given none; only encoded when captions drop
        empty = backbone.text.encode([""]).float().cpu() if cfg.caption_dropout else None
    latents, text, ids, centroids = cache["latents"], cache["text"], cache["ids"], cache["centroids"]
    if centroids.shape[1] != cfg.adapter.visual_dim:
        raise FoleyError(f"adapter visual_dim {cfg.adapter.visual_dim} != the cached centroids' width {centroids.shape[1]}")
    if cfg.batch_size % accelerator.num_processes:
        raise FoleyError(f"batch size {cfg.batch_size} does not split over {accelerator.num_processes} processes")
    start = 0
    with torch.random.fork_rng(devices=[]):  # K/V not copied from the text ones start from the run's seed
        torch.manual_seed(cfg.seed)
        adapter = build_visual_adapter(cfg.adapter, backbone.unet)
    if cfg.init and not resume:  # a resumed run reads its own checkpoint
        adapter.load_adapter_state_dict(initial_weights(cfg.init, adapter))
    if resume:
        state = checkpoint_state(checkpoint, run, "adapter")
        # a config from before a new field: its default
        check_same_config(run, AdapterTrainConfig.from_dict(state["config"]).to_dict(), cfg.to_dict())
        adapter.load_adapter_state_dict(load_checkpoint_file(checkpoint / "adapter.safetensors"))
        start = state["step"]
        check_resumed_steps(run, start, cfg.steps, log if accelerator.is_main_process else lambda _: None)
    backbone.unet.to(accelerator.device)
    adapter.to(accelerator.device, torch.float32)
    adapter.attach(backbone.unet)
    done = start
    try:
        adapter.requires_grad_(True)
        optimizer = torch.optim.AdamW(adapter.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        if resume:
            optimizer.load_state_dict(load_checkpoint_file(checkpoint / "optimizer.pt"))
        model, optimizer = accelerator.prepare(_Denoiser(backbone.unet), optimizer)
        model.train()
        noise_scheduler = DDPMScheduler.from_config(backbone.c.scheduler.config)
        n_train = noise_scheduler.config.num_train_timesteps
        per_rank = cfg.batch_size // accelerator.num_processes
        mine = slice(accelerator.process_index * per_rank, (accelerator.process_index + 1) * per_rank)
        end = cfg.steps if stop_after is None else min(cfg.steps, stop_after)
        for step in range(start, end):
            idx, t, noise, dropped = _step_draws(cfg.seed, step, len(latents), cfg.batch_size,
                                                 tuple(latents.shape[1:]), n_train, cfg.caption_dropout)
            idx, t, noise, dropped = idx[mine], t[mine], noise[mine], dropped[mine]
            captions = text[idx] if empty is None else torch.where(dropped[:, None, None], empty, text[idx])  # (b, L, D)
            device = accelerator.device
            x0 = latents[idx].to(device, backbone.unet.dtype)
            noisy = noise_scheduler.add_noise(x0, noise.to(x0), t)
            cond = VisualCondition(visual_features(ids[idx], centroids).to(device, x0.dtype), backbone.latent_size)
            with accelerator.autocast():
                pred = model(noisy, t.to(device), captions.to(device, x0.dtype), cond)
            target = denoising_target(noise_scheduler, x0, noise.to(x0), t.to(device))
            loss = F.mse_loss(pred.float(), target.float())
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
            done = step + 1
            if done % cfg.checkpoint_every == 0 or done == end:
                if accelerator.is_main_process:
                    _save_checkpoint(run, adapter, optimizer, done, cfg, accelerator.num_processes)
                accelerator.wait_for_everyone()
            if accelerator.is_main_process and logs_step(done, end, 25):
                log(f"adapter step {done}/{cfg.steps} loss {loss.item():.4f}")
        if end == cfg.steps and accelerator.is_main_process:
            adapter.save_pretrained(run / FINAL_DIR, training={"config": cfg.to_dict(), **(sources or {})})
        accelerator.wait_for_everyone()
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM: said with the checkpoint to go on from
        if accelerator.is_main_process:
            note_stop(e, checkpoint, done, cfg.steps, resume)
        raise
    finally:
        adapter.detach(backbone.unet)
        adapter.requires_grad_(False)
    return adapter


def check_clips(data: str | os.PathLike, split: str = "train") -> None:
    """FoleyError, before any long work, for a split the cache cannot be made from: no clips, a
    clip without a caption (text) or a duration_s (seconds, > 0), or a recording that is not there
    or not audio as its headers tell (``check_audio``)."""
    from ..datasets.synthsync import load_manifest
    from ..media.audio import check_audio

    manifest = Path(data) / f"{split}.jsonl"
    entries = load_manifest(data, split)
    if not entries:
        raise FoleyError(f"{manifest}: the {split} split has no clips")
    for number, e in enumerate(entries, 1):
        clip = f"clip {e.get('id', number)!r}"
        if not isinstance(e.get("caption"), str):
            raise FoleyError(f"{manifest}: {clip} has no caption (text); the adapter learns each clip's sound with it")
        if not (is_finite_number(e.get("duration_s")) and e["duration_s"] > 0):
            raise FoleyError(f"{manifest}: {clip} has no duration_s (seconds, > 0); the adapter reads that much "
                             "of its recording")
        try:  # its headers alone: every recording is read when the cache is made
            check_audio(e["audio"])
        except MediaError as error:
            raise FoleyError(f"{error} ({clip} of {manifest}); fix it, or leave the clip out of the manifest") from None


def check_fits(cfg: AdapterTrainConfig, backbone: AudioBackbone, tokenizer, init: bool = False) -> VisualAdapter:
    """The adapter of ``cfg.adapter`` built on ``backbone``'s UNet (untrained); FoleyError when it cannot
    be (e.g. more resolutions than it has cross-attention at), its visual width is not ``tokenizer``'s
    centroids' (the visual features), or, with ``init``, ``cfg.init`` lacks weights of its layers."""
    if tokenizer.unit_dim != cfg.adapter.visual_dim:
        raise FoleyError(f"adapter visual_dim {cfg.adapter.visual_dim} != the tokenizer's centroid width "
                         f"{tokenizer.unit_dim}")
    adapter = build_visual_adapter(cfg.adapter, backbone.unet)
    if init:
        initial_weights(cfg.init, adapter)
    return adapter


def initial_weights(init: str | os.PathLike, adapter: VisualAdapter) -> dict[str, torch.Tensor]:
    """The weights of ``adapter``'s layers in the adapter folder ``init`` (which may have more
    layers: e.g. one trained in every layer, for a run in the finest resolutions only). Raises
    FoleyError when it lacks a layer or its features differ."""
    source = VisualAdapter.from_pretrained(init)
    if (source.cfg.visual_dim, source.cfg.temporal) != (adapter.cfg.visual_dim, adapter.cfg.temporal):
        raise FoleyError(f"{init}: an adapter for {source.cfg.visual_dim}-wide visual features with temporal "
                         f"{source.cfg.temporal!r}; this run has {adapter.cfg.visual_dim} and {adapter.cfg.temporal!r}")
    missing = sorted(set(adapter.names) - set(source.names))
    if missing:
        raise FoleyError(f"{init}: no weights for the layer {missing[0]}")
    weights = source.adapter_state_dict()
    return {k: weights[k] for k in adapter.adapter_state_dict()}


def write_initial_adapter(cfg: AdapterTrainConfig, backbone_path: str, tokenizer_path: str, run: Path, state) -> Path:
    """``--steps 0``: RUN/adapter, the adapter of ``cfg``'s layers on the backbone with ``cfg.init``'s weights
    of them, written by the main process of ``state``. FoleyError where it does not fit the backbone, the
    tokenizer or ``cfg.init``."""
    from ..models.unit_tokenizer import UnitTokenizer

    backbone = AudioBackbone.from_pretrained(backbone_path)
    adapter = check_fits(cfg, backbone, UnitTokenizer.from_pretrained(tokenizer_path))
    adapter.load_adapter_state_dict(initial_weights(cfg.init, adapter))
    if state.is_main_process:
        adapter.save_pretrained(run / FINAL_DIR, training={"config": cfg.to_dict(),
                                                           "backbone": recorded_path(backbone_path),
                                                           "tokenizer": recorded_path(tokenizer_path)})
    state.wait_for_everyone()
    return run / FINAL_DIR


def run_config(run: str | os.PathLike) -> AdapterTrainConfig | None:
    """The training config of the run in ``run``, as its checkpoint records it (None: no checkpoint)."""
    checkpoint = Path(run) / CHECKPOINT_DIR
    if not (checkpoint / "state.json").is_file():
        return None
    return AdapterTrainConfig.from_dict(checkpoint_state(checkpoint, run, "adapter")["config"])


def run_training(data: str, backbone_path: str, tokenizer_path: str, run: str | os.PathLike,
                 cfg: AdapterTrainConfig, resume: bool = False, log=print) -> Path:
    """The ``foley train adapter`` recipe: cache (once, by the main process, in float32 on this
    process's device), then train with the UNet in ``cfg.precision``; a new run of ``cfg.steps`` 0
    writes ``cfg.init``'s weights alone (``write_initial_adapter``), without a cache."""
    from ..models.unit_tokenizer import UnitTokenizer

    run = Path(run)
    check_apart("--out", run, {"--data": data, "--backbone": backbone_path, "--tokenizer": tokenizer_path,
                               "--init": cfg.init})
    if not resume and (run / CHECKPOINT_DIR).exists():
        if (run / CHECKPOINT_DIR / "state.json").is_file():
            checkpoint_state(run / CHECKPOINT_DIR, run, "adapter")  # a run of another command is named as such
        raise FoleyError(f"{run} already holds a training run; pass --resume to continue it")
    if resume:
        checkpoint_state(run / CHECKPOINT_DIR, run, "adapter")  # before the cache, which can take a while
    else:  # a run stopped before its first checkpoint left its cache; a --steps 0 run, its adapter alone (replaced)
        check_run_folder(run, (CACHE_FILE, f"{FINAL_DIR}/{ADAPTER_TRAINING}"), own=(CACHE_FILE, CHECKPOINT_DIR, FINAL_DIR))
    if cfg.init and not resume and not (Path(cfg.init) / ADAPTER_CONFIG).is_file():  # before the cache, too
        raise FoleyError(not_an_adapter(cfg.init))
    if not (cfg.steps or cfg.init or resume):  # the untrained adapter is no model to write (nor worth a cache)
        raise FoleyError("--steps 0 trains nothing: it writes the --init adapter's weights of this run's layers "
                         "alone; give --init ADAPTER, or --steps 1 or more")
    state, precision = training_precision(cfg)  # refused before the cache, which can take a while
    if not (cfg.steps or resume):  # no step reads the cache (nor the data): none is made
        return write_initial_adapter(cfg, backbone_path, tokenizer_path, run, state)
    check_clips(data)  # before the cache, too
    cache = run / CACHE_FILE
    inputs = cache_inputs(data, backbone_path, tokenizer_path)
    with state.main_process_first():
        if cache.is_file() and not _readable(cache):  # a copy cut short: made again from the same inputs
            log(f"{cache} cannot be read; making it again")
            cache.unlink()
        recorded = cached_inputs(cache) if cache.is_file() else None  # None: no cache, or one from before records
        if resume and recorded is not None and "recordings" not in recorded:  # from before they were recorded: unchecked
            recorded = {**recorded, "recordings": inputs["recordings"]}
        fresh = cache.is_file() and (recorded == inputs or (resume and recorded is None))
        if cache.is_file() and not fresh:
            # "other data and another backbone"
            changed = " and ".join(("another " if k in ("backbone", "tokenizer") else "other ") + k
                                   for k in inputs if (recorded or {}).get(k) != inputs[k])
            if resume:
                raise FoleyError(f"{run} was trained with {changed} than this call gives; "
                                 "give another --out for a new run")
            log(f"{cache} was made with {changed}; making it again")
        if not fresh:
            backbone, tokenizer = (AudioBackbone.from_pretrained(backbone_path, device=state.device),
                                   UnitTokenizer.from_pretrained(tokenizer_path))
            # before the cache, which can take a while
            check_fits(cfg, backbone, tokenizer, init=bool(cfg.init) and not resume)
            log(f"caching latents, text states and unit ids of {data} (train split)")
            try:
                build_adapter_cache(backbone, tokenizer, data, "train", run, inputs=inputs)
            except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM: the cache is written whole or not at all
                e.add_note("while caching the train split, before the first step: the cache is not kept" + (
                    f", the checkpoint in {run / CHECKPOINT_DIR} is; the same command goes on from it" if resume
                    else "; the same command starts again"))
                raise
    with stop_before_first_step(run / CHECKPOINT_DIR, resume):
        backbone = AudioBackbone.from_pretrained(backbone_path, dtype=DTYPES[precision], device=state.device)
    sources = {"data": recorded_path(data), "backbone": recorded_path(backbone_path),
               "tokenizer": recorded_path(tokenizer_path), "digests": inputs}
    train_adapter(backbone, cache, run, cfg, resume=resume, log=log, sources=sources)
    return run / FINAL_DIR
