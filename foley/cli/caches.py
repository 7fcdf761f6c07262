"""foley tokenize and foley extract: audio tokens and frame features, cached for training."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import counted


def _model_component(spec: str, key: str) -> str:
    """The folder of a model's component ``key`` (a shipped name such as demo or sfx, or a model
    folder with pipeline.json), or ``spec`` itself (e.g. a tokenizer folder or a model name)."""
    from ..pipelines.dub import CONFIG_NAME, PipelineConfig, component_path, model_dir

    root = model_dir(spec)
    if not (root / CONFIG_NAME).is_file():
        return spec
    return str(component_path(root, key, getattr(PipelineConfig.read(root / CONFIG_NAME), key)))


def _cmd_tokenize(args: argparse.Namespace) -> int:
    from ..media.video import quiet_ffmpeg_log
    from ..models.unit_tokenizer import UnitTokenizer

    if args.audio is not None and args.manifest is not None:  # a second manifest after --manifest reads as AUDIO
        raise FoleyError(f"AUDIO {args.audio} and --manifest {args.manifest} both given: give one of them "
                         "(--manifest takes one file)")
    if (args.audio is None) == (args.manifest is None) or (args.manifest is None) != (args.out is None):
        raise FoleyError("give either AUDIO, or --manifest FILE together with --out DIR")
    if args.manifest and args.format:
        raise FoleyError("--format is for AUDIO's tokens; --manifest writes a cache of unit ids (foley train lm reads it)")
    if args.manifest:
        from ..datasets.token_cache import cache_tokens

        tokenizer = UnitTokenizer.from_pretrained(_model_component(args.model, "tokenizer"))
        quiet_ffmpeg_log()  # loading the tokenizer turns FFmpeg's log on: a damaged file would print hundreds of lines
        result = cache_tokens(tokenizer, args.manifest, args.out, progress=not args.quiet)
        c = result["counts"]
        print(f"{args.out}: {counted(c['done'], 'clip')} tokenized, {c['skipped']} already cached, "
              f"{c['failed']} failed (of {c['total']})")
        for clip_id, error in result["failures"][:10]:
            print(f"foley: warning: {clip_id}: {error}", file=sys.stderr)
        if c["failed"]:
            print(f"foley: warning: {counted(c['failed'], 'failed clip')}, listed in {args.out}/failed.jsonl",
                  file=sys.stderr)
        return 1 if c["failed"] else 0
    from ..media.audio import read_audio

    quiet_ffmpeg_log()  # importing the tokenizer's modules turns FFmpeg's log on
    wav, rate = read_audio(args.audio, sample_rate=16_000)
    tokenizer = UnitTokenizer.from_pretrained(_model_component(args.model, "tokenizer"))
    ids = tokenizer.encode(wav, sample_rate=rate)
    if args.format in (None, "aud"):
        print(tokenizer.to_text(ids))
    elif args.format == "ids":
        print(" ".join(map(str, ids.tolist())))
    else:
        print(json.dumps({"path": args.audio, "duration_s": len(wav) / rate, "token_rate_hz": rate / tokenizer.features.hop,
                          "n_units": tokenizer.n_units, "ids": ids.tolist()}))
    return 0


def _barrier(state):
    """``state.wait_for_everyone`` for a sharded extract. Its processes meet once the cache is checked and
    once every share is encoded, so the first to finish waits for the last: the usual 10 or 30 minutes'
    timeout of a collective (``PartialState``'s ``timeout``) would be too short. A process that meets
    one that has ended (its own error said above) says so in one line, not with the collective's traceback."""
    def wait() -> None:
        try:
            state.wait_for_everyone()
        except RuntimeError:  # gloo's "Connection closed by peer", NCCL's abort
            raise FoleyError(f"process {state.process_index}: another process of this run has ended; "
                             "its error is said above") from None
    return wait


def _cmd_extract(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from accelerate import PartialState

    from ..config import TimeBase
    from ..datasets.frame_cache import extract_features
    from ..datasets.manifest import read_manifest
    from ..media.video import quiet_ffmpeg_log
    from ..models.frame_encoder import load_frame_encoder

    for manifest in args.manifests:  # a bad manifest is refused before the model loads (or downloads)
        read_manifest(manifest)
    spec = _model_component(args.model, "frame_encoder")
    if args.pretrained is not None and Path(spec).is_dir():  # a saved encoder's weights are its own
        raise FoleyError(f"--pretrained is for an open_clip model name; --model {args.model} is a frame encoder "
                         "with its own weights (leave --pretrained out)")
    state = PartialState(cpu=args.device == "cpu", timeout=timedelta(days=7))
    device = str(state.device) if state.num_processes > 1 else args.device
    encoder = load_frame_encoder(spec, pretrained=args.pretrained, device=device, batch_size=args.batch_size)
    quiet_ffmpeg_log()  # importing torchvision with the frame encoder turns FFmpeg's log back on
    result = extract_features(encoder, args.manifests, args.out, fps=TimeBase().video_fps, rank=state.process_index,
                              world=state.num_processes, barrier=_barrier(state), progress=not args.quiet)
    c = result["counts"]
    share = f" by process {state.process_index}" if state.num_processes > 1 else ""
    print(f"{args.out}: {counted(c['done'], 'clip')} encoded, {c['skipped']} already cached, {c['failed']} failed "
          f"(of {c['total']}{share})")
    for clip_id, error in result["failures"][:10]:
        print(f"foley: warning: {clip_id}: {error}", file=sys.stderr)
    if c["failed"]:  # the first 10 are said above; the file lists them all (of every process)
        print(f"foley: warning: {counted(c['failed'], 'failed clip')}, listed in {args.out}/failed.jsonl",
              file=sys.stderr)
    return 1 if c["failed"] else 0
