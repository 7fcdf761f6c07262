"""LM stage: train the connector, LoRA and new token rows to write a clip's unit ids.

Reads only caches: frame features (``foley extract``), unit ids (``foley tokenize
--manifest``) and the captions of the manifest; where the clips' files are at hand, a clip whose
file is not the one its cache read (by SHA-256) is refused. Loss: cross-entropy on the audio tokens
and the EOS after them. Runs under accelerate: one process, or several with DDP (CPU runs
use gloo) or FSDP2 (``fsdp_version: 2``; FSDP1 and DeepSpeed are refused). ``train/`` has
the launch configs: ``accelerate_lm_ddp.yaml`` and ``accelerate_lm_fsdp.yaml``. Under FSDP
the checkpoint is gathered whole, so it is the same file whatever the launch.

Every random draw of step s comes from seeds derived from (seed, s): the clip indices of
the global batch (each process takes its slice) and the global torch generator (LoRA
dropout), reseeded per step and process. With the optimizer and LR-schedule state in the
checkpoint, a resumed run continues exactly as if it had not stopped.

A run folder holds::

    init/          the model as built (config, text tokenizer, random-init base if any)
    checkpoint/    trainable.safetensors, optimizer.pt, scheduler.pt, state.json
    log.jsonl      step, loss, learning rate, tokens/s
    lm/            the final model: init/ with the trained weights, units.json (the unit
                   tokenizer the token cache was made with) and training.json (the config,
                   the clips and the caches it learned from)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from safetensors.torch import save_file

from ..cli.notes import counted
from ..config import MAX_SEED, is_finite_number, is_whole_number
from ..datasets.frame_cache import cache_info
from ..datasets.lm_data import LMData, load_lm_data
from ..errors import FoleyError
from ..media.files import atomic_dir
from ..models.token_lm import (TRAINABLE_NAME, TokenLM, TokenLMConfig, build_token_lm, whole_tensor,
                               write_units_record)
from . import (CHECKPOINT_DIR, check_apart, check_resumed_steps, check_run_folder, check_same_config, checkpoint_state,
               load_checkpoint_file, logs_step, note_stop, recorded_path,
               stop_before_first_step)

INIT_DIR = "init"
FINAL_DIR = "lm"
TRAINING_FILE = "training.json"
LOG_FILE = "log.jsonl"
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass
class LMTrainConfig:
    lm: TokenLMConfig = field(default_factory=TokenLMConfig)
    steps: int = 2000
    batch_size: int = 8  # global: split across processes
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 100
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 200
    precision: str = "auto"  # the frozen base's dtype and autocast; auto: bf16 on GPUs that have it, fp32 elsewhere
    gradient_checkpointing: bool = False
    change_weight: float = 1.0  # loss weight of audio tokens that differ from the previous one (1: plain)
    unit_dropout: float = 0.0  # share of input-history audio tokens replaced by random units (0: plain)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "warmup_steps", "seed", "checkpoint_every"):
            if not is_whole_number(getattr(self, name)):
                raise FoleyError(f"{name} must be a whole number, got {getattr(self, name)!r}")
        for name in ("lr", "weight_decay", "grad_clip", "change_weight", "unit_dropout"):
            if not is_finite_number(getattr(self, name)):
                raise FoleyError(f"{name} must be a number, got {getattr(self, name)!r}")
        if self.precision not in PRECISIONS:
            raise FoleyError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")
        if not isinstance(self.gradient_checkpointing, bool):
            raise FoleyError(f"gradient_checkpointing must be true or false, got {self.gradient_checkpointing!r}")
        if self.steps < 1 or self.batch_size < 1 or self.checkpoint_every < 1 or self.lr <= 0 or self.warmup_steps < 0:
            raise FoleyError("steps, batch_size and checkpoint_every must be >= 1, warmup_steps >= 0 and lr > 0")
        if not 0 <= self.seed <= MAX_SEED:  # --seed's range; the per-step seeds are derived from it
            raise FoleyError(f"seed must be between 0 and {MAX_SEED}, got {self.seed}")
        if not (0 <= self.unit_dropout < 1 and self.change_weight > 0 and self.weight_decay >= 0 and self.grad_clip > 0):
            raise FoleyError(f"unit_dropout must be in [0, 1), change_weight and grad_clip > 0 and weight_decay >= 0; "
                             f"got {self.unit_dropout!r}, {self.change_weight!r}, {self.grad_clip!r} and "
                             f"{self.weight_decay!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lm"] = self.lm.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "LMTrainConfig":
        data = dict(data)
        return cls(lm=TokenLMConfig.from_dict(data.pop("lm")), **data)


# ---------------------------------------------------------------------- training ---
def _step_indices(seed: int, step: int, n_clips: int, batch: int) -> list[int]:
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randint(n_clips, (batch,), generator=g).tolist()


def _lr_lambda(cfg: LMTrainConfig):
    def factor(step: int) -> float:  # linear warm-up, then cosine to 0
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        return 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)))
    return factor


def _whole_optimizer_state(optimizer) -> dict:
    """``optimizer.state_dict()`` with FSDP2's shards gathered. Every process must call it."""
    state = optimizer.state_dict()
    return {**state, "state": {i: {k: whole_tensor(v) for k, v in s.items()} for i, s in state["state"].items()}}


def _shard_optimizer_state(state: dict, optimizer) -> dict:
    """A whole optimizer state cut like the parameters it belongs to (FSDP2 DTensors; others as they are)."""
    from torch.distributed.tensor import DTensor, distribute_tensor

    params = [p for group in optimizer.param_groups for p in group["params"]]
    for i, values in state["state"].items():
        p = params[i]
        if isinstance(p, DTensor):  # every process holds the whole state: each keeps its own shard, no transfer
            values.update({k: distribute_tensor(v, p.device_mesh, p.placements, src_data_rank=None)
                           for k, v in values.items() if v.shape == p.shape})
    return state


def _clips(data: LMData) -> dict:
    """What a run learns from, as its checkpoint records it: the clip count and a digest of the
    clip ids in their order (the order the batches are drawn in)."""
    return {"n": len(data.ids), "ids_sha256": hashlib.sha256("\n".join(data.ids).encode()).hexdigest()[:16]}


def _save_checkpoint(run: Path, weights: dict, optimizer_state: dict, scheduler, step: int, cfg: LMTrainConfig,
                     processes: int, data: LMData) -> None:
    with atomic_dir(run / CHECKPOINT_DIR) as tmp:
        save_file(weights, str(tmp / "trainable.safetensors"))
        torch.save(optimizer_state, tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        (tmp / "state.json").write_text(json.dumps({"step": step, "processes": processes, "config": cfg.to_dict(),
                                                    "tokenizer_fingerprint": data.tokenizer_fingerprint,
                                                    "encoder_fingerprint": data.encoder_fingerprint,
                                                    "clips": _clips(data)}, indent=1), encoding="utf-8")


def train_lm(data: LMData, run: str | os.PathLike, cfg: LMTrainConfig, resume: bool = False,
             tokenizer=None, stop_after: int | None = None, log=print, sources: dict | None = None) -> TokenLM:
    """Train (or resume) in ``run``; writes RUN/checkpoint every ``checkpoint_every`` steps
    and RUN/lm at the end, with a ``training.json`` of ``cfg``, the clips (count and digest) and
    ``sources`` (what it was trained from: e.g. the caches' folders). ``tokenizer``: the text
    tokenizer for a new run whose config names none. ``stop_after`` ends the run after that many
    steps in total (an interruption, for tests) without writing RUN/lm. Under FSDP the returned
    model holds this process's shards."""
    from accelerate import Accelerator, PartialState
    from accelerate.utils import DistributedType

    from ..device import bf16_supported, resolve_device

    run = Path(run)
    cpu = resolve_device("auto").type == "cpu"  # processes without a GPU join a gloo group
    # Gemma's activations leave fp16's range (transformers issue 36822): no fp16, fp32 where bf16 is missing.
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and bf16_supported(PartialState(cpu=cpu).device))
    accelerator = Accelerator(cpu=cpu, mixed_precision="bf16" if bf16 else "no")
    checkpoint = run / CHECKPOINT_DIR
    done = None  # before this call's first step: reading the model and its checkpoint
    try:
        if accelerator.distributed_type == DistributedType.DEEPSPEED:
            raise FoleyError("DeepSpeed is not supported; launch with train/accelerate_lm_fsdp.yaml or "
                             "train/accelerate_lm_ddp.yaml")
        if accelerator.distributed_type == DistributedType.FSDP and not accelerator.is_fsdp2:
            raise FoleyError("FSDP1 is not supported; set fsdp_version: 2 in the accelerate config "
                             "(as train/accelerate_lm_fsdp.yaml does)")
        if cfg.batch_size % accelerator.num_processes:
            raise FoleyError(f"batch size {cfg.batch_size} does not split over {accelerator.num_processes} processes")
        dtype = torch.bfloat16 if bf16 else torch.float32
        if resume:
            state = checkpoint_state(checkpoint, run, "lm")
            check_same_config(run, state["config"], cfg.to_dict())
            if (learned := state.get("clips", _clips(data))) != _clips(data):  # (a checkpoint from before the record: unchecked)
                raise FoleyError(f"{run}: the checkpoint learned from other clips ({learned['n']} clips; the manifest "
                                 f"given has {len(data.ids)}{' in another order or with other ids' if learned['n'] == len(data.ids) else ''}); "
                                 "resume with the run's own --manifest")
            if state.get("tokenizer_fingerprint") != data.tokenizer_fingerprint:
                raise FoleyError(f"{run}: the checkpoint learned the units of another unit tokenizer than these "
                                 "(the token cache records another tokenizer); resume with the run's own --units")
            if state.get("encoder_fingerprint", data.encoder_fingerprint) != data.encoder_fingerprint:  # (unrecorded: unchecked)
                raise FoleyError(f"{run}: the checkpoint learned the features of another frame encoder than these "
                                 "(the feature cache records another encoder); resume with the run's own --features")
            model = TokenLM.from_pretrained(run / INIT_DIR, dtype=dtype, trainable=True)
            model.load_trainable_state_dict(load_checkpoint_file(checkpoint / "trainable.safetensors"))
            start = state["step"]
            check_resumed_steps(run, start, cfg.steps, log if accelerator.is_main_process else lambda _: None)
            # the cosine decay ends at `steps`; the warm-up's rates, all a run inside it has taken, do not depend on it
            if state["config"]["steps"] != cfg.steps and start > cfg.warmup_steps and accelerator.is_main_process:
                log(f"note: the learning rate now decays to step {cfg.steps} instead of {state['config']['steps']}: "
                    f"the weights will not be those of an uninterrupted {cfg.steps}-step run")
        else:
            if checkpoint.exists():
                if (checkpoint / "state.json").is_file():
                    checkpoint_state(checkpoint, run, "lm")  # a run of another command is named as such
                raise FoleyError(f"{run} already holds a training run; pass --resume to continue it")
            torch.manual_seed(cfg.seed)  # random-init base, connector and new rows
            model = build_token_lm(cfg.lm, tokenizer=tokenizer, dtype=dtype)
            if accelerator.is_main_process:
                if (run / INIT_DIR).exists():  # a run stopped before its first checkpoint: started again
                    log(f"{run}: a run stopped before its first checkpoint; starting it again")
                    shutil.rmtree(run / INIT_DIR)
                    (run / LOG_FILE).unlink(missing_ok=True)
                model.save_pretrained(run / INIT_DIR)
            accelerator.wait_for_everyone()
            start = 0
        if accelerator.is_main_process:  # said once the run is known to go ahead
            log(f"training the token LM on {counted(len(data.ids), 'clip')} ({cfg.steps} steps, "
                f"batch {cfg.batch_size})")
            if cfg.steps < cfg.warmup_steps:
                log(f"note: the run ends inside its {cfg.warmup_steps}-step warm-up: the learning rate rises to "
                    f"{cfg.lr * cfg.steps / cfg.warmup_steps:.2g} of {cfg.lr:g} and never decays")
        if cfg.gradient_checkpointing:
            model.enable_gradient_checkpointing()
        model.train()
        optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(cfg))
        # The scheduler is stepped here, once per step: accelerate's wrapper would step it once per process.
        # FSDP2 replaces the parameters (in place, in the same model): optimizer state is loaded after.
        ddp_model, optimizer = accelerator.prepare(model, optimizer)
        if resume:
            saved = load_checkpoint_file(checkpoint / "optimizer.pt")
            optimizer.load_state_dict(_shard_optimizer_state(saved, optimizer))
            scheduler.load_state_dict(load_checkpoint_file(checkpoint / "scheduler.pt"))
        per_rank = cfg.batch_size // accelerator.num_processes
        rank = accelerator.process_index
        end = cfg.steps if stop_after is None else min(cfg.steps, stop_after)
        log_path = run / LOG_FILE
        if resume and accelerator.is_main_process and log_path.is_file():  # the records past the checkpoint: done again
            kept = [line for line in log_path.read_text(encoding="utf-8").splitlines()
                    if json.loads(line)["step"] <= start]
            log_path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        t0, tokens = time.perf_counter(), 0
        done = start
        for step in range(start, end):
            idx = _step_indices(cfg.seed, step, len(data.ids), cfg.batch_size)[rank * per_rank:(rank + 1) * per_rank]
            batch = data.batch(idx, cfg.lm.use_video)
            torch.manual_seed((cfg.seed * 1_000_003 + step) * 1024 + rank)  # LoRA dropout of this step and process
            with accelerator.autocast():
                loss, _ = ddp_model(**batch, change_weight=cfg.change_weight, unit_dropout=cfg.unit_dropout)
            accelerator.backward(loss)
            if cfg.grad_clip:
                accelerator.clip_grad_norm_(model.trainable_parameters(), cfg.grad_clip)
            optimizer.step()
            lr = scheduler.get_last_lr()[0]  # the rate this step trained at
            scheduler.step()
            optimizer.zero_grad()
            tokens += int(batch["unit_counts"].sum()) + len(idx)
            done = step + 1
            if done % cfg.checkpoint_every == 0 or done == end:
                weights, optimizer_state = model.trainable_state_dict(), _whole_optimizer_state(optimizer)  # every process
                if accelerator.is_main_process:
                    _save_checkpoint(run, weights, optimizer_state, scheduler, done, cfg, accelerator.num_processes, data)
                accelerator.wait_for_everyone()
            if logs_step(done, end, 10):
                mean_loss = accelerator.reduce(loss.detach(), "mean").item()  # every process takes part
                if accelerator.is_main_process:
                    rate = tokens * accelerator.num_processes / (time.perf_counter() - t0)
                    record = {"step": done, "loss": round(mean_loss, 5), "lr": lr,
                              "target_tokens_per_s": round(rate, 1)}
                    with open(log_path, "a", encoding="utf-8") as f:
                        f.write(json.dumps(record) + "\n")
                    log(f"lm step {done}/{cfg.steps} loss {mean_loss:.4f} lr {record['lr']:.2e} "
                        f"({record['target_tokens_per_s']:.0f} target tokens/s)")
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM: said with the checkpoint to go on from
        if accelerator.is_main_process:
            note_stop(e, checkpoint, done, cfg.steps, resume)
        raise
    model.eval()
    model.tokenizer_fingerprint = data.tokenizer_fingerprint
    if end == cfg.steps and accelerator.is_main_process:  # the checkpoint of the last step holds the trained weights
        with atomic_dir(run / FINAL_DIR) as tmp:
            shutil.copytree(run / INIT_DIR, tmp, dirs_exist_ok=True)
            shutil.copyfile(checkpoint / "trainable.safetensors", tmp / TRAINABLE_NAME)
            if data.tokenizer_fingerprint:
                write_units_record(tmp, data.tokenizer_fingerprint)
            record = {"config": cfg.to_dict(), "clips": _clips(data), **(sources or {})}  # how it was trained
            (tmp / TRAINING_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    accelerator.wait_for_everyone()
    return model


def read_recipe(recipe: str | os.PathLike) -> LMTrainConfig:
    """The ``LMTrainConfig`` in the JSON file ``recipe``; FoleyError naming the file and what is wrong
    with it (no ``lm`` object, a setting it does not know, one out of range)."""
    if not Path(recipe).is_file():
        raise FoleyError(f"{recipe}: no such file")
    try:
        data = json.loads(Path(recipe).read_text(encoding="utf-8-sig"))
        if not (isinstance(data, dict) and isinstance(data.get("lm"), dict)):
            raise FoleyError("not an LM training config (a JSON object with the LM's settings under \"lm\", as "
                             "train/lm_demo.json has)")
        return LMTrainConfig.from_dict(data)
    except FoleyError as e:
        raise FoleyError(f"{recipe}: {e}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as e:
        raise FoleyError(f"{recipe}: not an LM training config ({e})") from None


def run_lm_training(recipe: str | os.PathLike | None, manifest: str, features: str, units: str,
                    run: str | os.PathLike, overrides: dict | None = None, resume: bool = False,
                    log=print) -> Path:
    """The ``foley train lm`` recipe: a config JSON (an ``LMTrainConfig``; None = the
    paper's defaults) with ``overrides``, the caches, then training. A random-init base
    without a text tokenizer gets a BPE tokenizer trained on the prompt and the captions."""
    from ..models.token_lm import build_text_tokenizer

    check_apart("--out", run, {"--features": features, "--units": units})
    if not resume:
        check_run_folder(run, (INIT_DIR, CHECKPOINT_DIR), own=(INIT_DIR, CHECKPOINT_DIR, LOG_FILE, FINAL_DIR))
    cfg = LMTrainConfig()
    if resume and recipe is None:  # the run's own config, with the settings given
        cfg = LMTrainConfig.from_dict(checkpoint_state(Path(run) / CHECKPOINT_DIR, run, "lm")["config"])
    elif recipe is not None:
        cfg = read_recipe(recipe)
    overrides = dict(overrides or {})
    lm_overrides = {k: overrides.pop(k) for k in ("use_video",) if k in overrides}
    cfg = LMTrainConfig(**{**asdict(cfg), **overrides, "lm": replace(cfg.lm, **lm_overrides)})
    info = cache_info(features)
    if info["dim"] != cfg.lm.connector.frame_dim:
        raise FoleyError(f"{features}: features are {info['dim']}-d but the connector takes "
                         f"{cfg.lm.connector.frame_dim}-d frames (connector.frame_dim)")
    if "fps" in info and abs(float(info["fps"]) - cfg.lm.video_fps) > 1e-6:  # frame k sits at k / video_fps
        raise FoleyError(f"{features}: features are at {info['fps']:g} frames a second but the LM places its frames "
                         f"at {cfg.lm.video_fps:g} (video_fps)")
    with stop_before_first_step(Path(run) / CHECKPOINT_DIR, resume):  # reading the caches can take minutes
        data = load_lm_data(manifest, features, units, cfg.lm.n_units)
        if cfg.lm.use_video:
            data.check_lengths(cfg.lm.video_fps, cfg.lm.token_rate_hz)
        tokenizer = None
        if not resume and not cfg.lm.base and not cfg.lm.text_tokenizer:
            tokenizer = build_text_tokenizer([cfg.lm.instruction, cfg.lm.request, "Video: Caption:", *data.captions])
    sources = {name: recorded_path(path) for name, path in (("manifest", manifest), ("features", features),
                                                             ("units", units))}
    train_lm(data, run, cfg, resume=resume, tokenizer=tokenizer, log=log, sources=sources)
    return Path(run) / FINAL_DIR
