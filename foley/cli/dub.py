"""foley dub: a batch of videos, shared among processes under accelerate launch."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import _fit_terminal, _note, counted


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

    from ..device import resolve_device

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

    from ..pipelines.dub_batch import collect_inputs, merge_summaries, name_known_sounds_once, without_own_outputs

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
            summary = merge_summaries([share for share, _, _ in shares], videos)
            name_known_sounds_once(summary, {video: notes for _, named, _ in shares for video, notes in named.items()})
            summary.failed[:0] = problems  # the inputs that named no video, in the summary's count
            caption_notes = shares[0][2]  # every process's model says the same of the caption
        except FoleyError as e:  # nothing was dubbed: a bad output folder or model
            if speak:
                print(f"foley: error: {e}", file=sys.stderr)
    if summary is not None and speak:
        lines = summary.lines()
        if set(summary.done) - set(summary.silent):  # said as the model loaded, and again here where a dub heard it
            lines[1:1] = [f"  note: {note}" for note in caption_notes]
        print("\n".join(_fit_terminal(lines)))
        if summary.done or summary.skipped:
            print(f"outputs in {Path(args.output)}{os.sep}")
    sys.stdout.flush()
    state.wait_for_everyone()
    if summary is None:
        return 2
    return 1 if summary.failed else 0


def _dub_share(args: argparse.Namespace, videos, device: str, process: int, processes: int):
    """Dub this process's share of ``videos``; its summary, its silent-track notes for
    :func:`name_known_sounds_once` (video -> (note, note naming the known sounds)) and the notes on the caption (none
    when no video needed the model). Progress bars (on a terminal) only
    when one process dubs them all: several would draw over each other."""
    from ..media.files import missing_folders, removed_if_empty
    from ..pipelines.dub_batch import check_outputs

    new_folders = missing_folders(args.output)
    check_outputs(videos, args.output)  # before the model loads
    # A run that writes nothing (the model cannot load, every video fails, Ctrl-C) leaves no empty
    # folders behind; not when processes share the batch, as another may still write into them.
    with removed_if_empty(new_folders if processes == 1 else []):
        return _dub_checked_share(args, videos, device, process, processes)


def _dub_checked_share(args: argparse.Namespace, videos, device: str, process: int, processes: int):
    """``_dub_share`` once the outputs are checked: the model (when a video needs it), the dubs, the summary."""
    import torch
    from tqdm import tqdm

    from ..device import resolve_device
    from ..media.video import quiet_ffmpeg_log
    from ..pipelines.dub import dub_settings
    from ..pipelines.compose import bed_description
    from ..pipelines.dub_batch import BatchSummary, OutputOptions, dub_batch, needs_model

    quiet_ffmpeg_log()  # before the inputs are probed
    pipeline = None  # not loaded when every video is already dubbed, clashes or cannot be read
    caption_notes = []
    if needs_model(videos, args.output, args.overwrite):
        from ..models.backbone import visual_steps_said  # diffusers: seconds to import, only when a model is needed
        from ..pipelines.dub import FoleyPipeline

        pipeline = FoleyPipeline.from_pretrained(args.model, device=device)
        quiet_ffmpeg_log()  # again: importing torchvision with the frame encoder turns FFmpeg's log back on
        pipeline.check_caption(args.caption)
        caption_notes = pipeline.caption_notes(args.caption)
        if process == 0:
            for note in caption_notes:
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
            bar = bars[stage] = tqdm(total=n, desc=f"  {stage}", leave=False, unit=pipeline.PROGRESS_UNITS[stage],
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
        named = f"{Path(video).stem}_bed.wav"  # a bed of its own for each video of a batch
        named = shlex.quote(f"./{named}" if named.startswith("-") else named)  # "-o -clip_bed.wav" reads as an option
        hint = (f"; foley compose {shlex.quote(bed[0])} --video {shlex.quote(str(video))} -o {named} lays {bed[1]} "
                "under it (a description gives the time of each sound)" if bed and pipeline.not_dubbed(result) else "")
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
                            visual_steps=args.visual_steps, seed=args.seed,
                            threads=torch.get_num_threads() if resolve_device(device).type == "cpu"
                            else None)  # a GPU's sums: not these; --device auto on a machine without one: the CPU's
    settings |= {"keep-original": args.keep_original, "mix-original": args.mix_original}
    options = OutputOptions(overwrite=args.overwrite, keep_original=args.keep_original, mix_original_db=args.mix_original,
                            settings=settings, sample_rate=pipeline.time.sample_rate if pipeline is not None else None)
    summary = BatchSummary()
    try:
        dub_batch(videos, args.output, generate, options, on_start=on_start, on_failed=on_failed, on_skipped=on_skipped,
                  silent_note=silent_note, process=process, processes=processes, summary=summary)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is kept, before the line that says the run stopped
        if summary.done and processes == 1:
            them = "it" if len(summary.done) == 1 else "them"
            silent = f" ({len(summary.silent)} with a silent Foley track)" if summary.silent else ""
            rerun = (f"the same command dubs {them} again, as --overwrite asks; without --overwrite it skips every "
                     "finished dub" if args.overwrite else f"the same command skips {them} and dubs the rest")
            print(f"stopped: {counted(len(summary.done), 'video')} dubbed before it{silent}, kept in "
                  f"{Path(args.output)}{os.sep} ({rerun})", file=sys.stderr)
        raise
    summary.notes += [(str(video), note) for video, notes in video_notes.items() if str(video) in summary.done
                      for note in notes]
    for bar in bars.values():
        bar.close()
    return summary, named, caption_notes
