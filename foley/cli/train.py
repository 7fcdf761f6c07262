"""foley train: the visual adapter and the video-to-token LM."""
from __future__ import annotations

import argparse
from pathlib import Path


ADAPTER_STEPS = 1000  # foley train adapter's default length


def _resumable(args: argparse.Namespace, kind: str) -> None:
    """With --resume, FoleyError at once when --out holds no checkpoint of a ``foley train {kind}`` run:
    before the models' modules are imported and a tokenizer or the data are read (seconds to minutes)."""
    from ..training import CHECKPOINT_DIR, checkpoint_state

    if args.resume:
        checkpoint_state(Path(args.out) / CHECKPOINT_DIR, args.out, kind)


def _before_first_step(args: argparse.Namespace):
    """Around the imports of the training modules (seconds): a Ctrl-C there is said with the state the run's
    folder is left in, as one while the run reads its data."""
    from ..training import CHECKPOINT_DIR, stop_before_first_step

    return stop_before_first_step(Path(args.out) / CHECKPOINT_DIR, args.resume)


def _cmd_train_adapter(args: argparse.Namespace) -> int:
    _resumable(args, "adapter")
    with _before_first_step(args):
        from ..models.unit_tokenizer import UnitTokenizer
        from ..models.visual_adapter import VisualAdapterConfig
        from ..training.adapter import AdapterTrainConfig, run_config, run_training

    # A resumed run goes on with its own settings where this call gives none; a new one with the defaults.
    own = run_config(args.out) if args.resume else None
    base = own or AdapterTrainConfig(steps=ADAPTER_STEPS)
    given = lambda value, kept: kept if value is None else value  # noqa: E731
    visual_dim = UnitTokenizer.from_pretrained(args.tokenizer).unit_dim
    cfg = AdapterTrainConfig(
        adapter=VisualAdapterConfig(visual_dim=visual_dim, temporal=given(args.temporal, base.adapter.temporal),
                                    temporal_sigma_tokens=given(args.sigma, base.adapter.temporal_sigma_tokens),
                                    scale=given(args.scale, base.adapter.scale),
                                    resolutions=given(args.resolutions, base.adapter.resolutions)),
        steps=given(args.steps, base.steps), batch_size=given(args.batch_size, base.batch_size),
        lr=given(args.lr, base.lr), seed=given(args.seed, base.seed),
        checkpoint_every=given(args.checkpoint_every, base.checkpoint_every),
        precision=given(args.precision, base.precision), caption_dropout=given(args.caption_dropout, base.caption_dropout),
        init=given(args.init, base.init))
    out = run_training(args.data, args.backbone, args.tokenizer, args.out, cfg, resume=args.resume)
    print(f"adapter written to {out}")
    return 0


def _cmd_train_lm(args: argparse.Namespace) -> int:
    _resumable(args, "lm")
    with _before_first_step(args):
        from accelerate import PartialState

        from ..training.lm import run_lm_training

    overrides = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size), ("lr", args.lr),
                                   ("seed", args.seed), ("checkpoint_every", args.checkpoint_every),
                                   ("precision", args.precision),
                                   ("gradient_checkpointing", args.gradient_checkpointing)) if v is not None}
    if args.no_video:
        overrides["use_video"] = False
    out = run_lm_training(args.config, args.manifest, args.features, args.units, args.out, overrides,
                          resume=args.resume)
    if PartialState().is_main_process:
        print(f"token LM written to {out}")
    return 0
