"""foley compose: a turn (plan, render, mix, the files it writes) and a session's view."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import _note, counted


BED_SECONDS = 10.0  # foley compose's bed length when none is given


def _cmd_compose(args: argparse.Namespace) -> int:
    from ..media.files import missing_folders, removed_if_empty
    from ..pipelines.compose import Session, session_cache_dir, turn_lock

    if args.session and Path(args.session).is_symlink():  # the session it links to, with its cache and files beside it
        if not Path(args.session).exists():
            raise FoleyError(f"--session {args.session}: a link to nothing ({os.readlink(args.session)}); give the "
                             "session file itself, or remove the link to start a new session there")
        args.session = os.path.realpath(args.session)
        with contextlib.suppress(ValueError):  # said from here, unless on another drive (Windows)
            args.session = os.path.relpath(args.session)
    if args.text is None:  # "foley compose --session bed.json": what the session holds
        if not (args.session and Path(args.session).exists() and not Path(args.session).is_dir()):
            where = (f"{args.session} is a folder" if Path(args.session).is_dir() else f"{args.session} is not there") \
                if args.session else ""
            raise FoleyError("give a description, e.g. foley compose 'rain, a door slams at 2 s' (or, to see a "
                             + (f"session, a file that is one: {where})" if args.session else "session, --session FILE)"))
        session = Session.open(args.session, BED_SECONDS)
        unused = [flag for flag, value in (("--duration", args.duration), ("-o", args.output), ("--model", args.model),
                                           ("--steps", args.steps), ("--guidance", args.guidance),
                                           ("--scheduler", args.scheduler), ("--timeline", args.timeline),
                                           ("--stems", args.stems),
                                           ("--video", args.video), ("--align", args.align)) if value is not None]
        if unused:
            _note(f"{', '.join(unused)} appl{'y' if len(unused) > 1 else 'ies'} to a turn; with no text the session "
                  + ("plan is printed" if args.plan_only and session.plan is not None else "is shown"))
        if args.plan_only and session.plan is not None:  # the plan alone, as a turn's --plan-only prints it
            print(session.plan.to_json())
            return 0
        _show_session(session)
        return 0
    if not args.text.strip():
        raise FoleyError("the text is empty: give a description" + (
            ", or an edit of the session (with no text at all, the session is shown)" if args.session else ""))
    if args.session and Path(args.session).is_dir():  # "--session .": its cache would be named after no file
        raise FoleyError(f"--session {args.session}: is a folder; give a session file, e.g. "
                         f"{Path(args.session) / 'bed.json'}")
    if args.session and (cache := session_cache_dir(args.session)).exists() and not cache.is_dir():
        raise FoleyError(f"{cache}: is a file where the session keeps the sounds it made; "
                         "move it away, or give the session another name")

    # A turn that writes nothing (an error, Ctrl-C, SIGTERM) leaves none of the folders it made.
    places = [Path(p).parent for p in (args.output, args.timeline) if p]
    new_cache = None  # the cache folder a new session's first turn makes
    if args.session:  # the session's cache folder is made next to it
        places.append(session_cache_dir(args.session))
        new_cache = None if places[-1].exists() or Path(args.session).exists() else places[-1]
    with contextlib.ExitStack() as new_folders:
        for place in places:
            new_folders.enter_context(removed_if_empty(missing_folders(place)))
        if args.session and Path(args.session).is_file() and not args.plan_only:  # a follow-up turn holds its
            # session until it is saved (a plan alone saves nothing)
            Session.open(args.session, BED_SECONDS)  # a file that is no session is refused before its lock is made
            cache_gone = not session_cache_dir(args.session).exists()  # before the lock makes the folder
            with turn_lock(args.session):
                return _compose_turn(args, new_folders, cache_gone)
        try:
            return _compose_turn(args, new_folders)
        except BaseException:  # failed or stopped (Ctrl-C, SIGTERM): the cache it made is kept for the turn again
            if new_cache and not Path(args.session).exists() and any(new_cache.glob("*.wav")):
                _note(f"{new_cache}/ keeps the sounds this first turn generated, for a turn with --session "
                      f"{args.session} to reuse; remove it if that session is not to be made")
            raise


def _plan_lines(plan, align: bool = True, flat=frozenset()) -> list[str]:
    """A plan's events as a compose turn prints them: span, caption, gain and how it fills it; a
    sound that swells, laid (``align``) at its loudest at its start, says so: it is heard before it; one
    whose take came out at one level (``flat``: (caption, start s) pairs, RenderStats.flat), that it is laid
    from its start."""
    from ..pipelines.plan import fill_said
    from ..pipelines.rules.words import peaks_at_its_time

    def peaked(e) -> str:
        if not (align and peaks_at_its_time(e.caption, e.fill)):
            return ""
        if (e.caption, e.start_s) in flat:
            return f"  (laid from {e.start_s:g} s: it came out at one level, with no swell to peak then)"
        return f"  (at its loudest at {e.start_s:g} s, its swell before)"

    return [f"  {e.start_s:6.2f}-{e.end_s:6.2f} s  {e.caption}{f' {e.gain_db:+.0f} dB' if e.gain_db else ''}"
            f"{fill_said(e)}{peaked(e)}" for e in plan.events]


def _limit_said(plan) -> str:
    """The plan's limit of sounds at once where a turn raised it ("at most 4 sounds at once"), else ""."""
    from ..pipelines.plan import Plan

    return f"at most {plan.max_simultaneous} sounds at once" if plan.max_simultaneous != Plan.max_simultaneous else ""


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
    limit = _limit_said(session.plan)
    lines = _plan_lines(session.plan, session.align, set(session.flat))  # as its last turn laid them
    print("\n".join([f"plan ({limit}):" if limit else "plan:", *lines, "turns:"]))
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
    stems_said = [f"{stems[0].parent}/ ({counted(len(stems), 'stem')}"
                  + (f", {gone} not there" if gone else "")
                  + (f", {edited} changed since this session wrote them" if edited else "") + ")"] if stems else []
    print("files: " + ", ".join([f"{f}{state(f)}" for f in files if f] + stems_said))


def shared_cache_dir(stack: contextlib.ExitStack) -> Path:
    """~/.cache/foley/compose, the event cache of compose runs without a session; when it cannot
    be written (said in a note), a temporary folder that ``stack`` removes: the cache only saves
    time, and the bed is made all the same."""
    import tempfile

    from ..media.files import trial_write

    folder = Path.home() / ".cache" / "foley" / "compose"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        trial_write(folder)
        return folder
    except OSError as e:
        _note(f"{folder}: cannot be written ({e.strerror or e}); this run's events are not kept for later runs")
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="foley-compose-")))


def _compose_turn(args: argparse.Namespace, new_folders: contextlib.ExitStack, cache_gone: bool = False) -> int:
    """One compose turn; ``new_folders`` removes, as the turn ends, the folders it made that stay empty;
    ``cache_gone``: a follow-up turn whose session's cache folder was not there (its sounds are generated again)."""
    from ..media.files import missing_folders, removed_if_empty
    from ..media.mux import check_original_keepable, output_container
    from ..pipelines.compose import (
        EventCache,
        SamplerConfig,
        VIDEO_LENGTH_TOLERANCE_S,
        Session,
        backbone_source,
        bed_video,
        canonical_model,
        edited_rhythms,
        laid_flat,
        model_id,
        new_captions,
        render,
        stem_names,
        stems_folder,
        turn_backbone,
        turn_notes,
        unchanged_refusal,
    )
    from tqdm import tqdm

    from ..media.video import quiet_ffmpeg_log
    from ..pipelines.plan import plan_changes, seconds_said
    from ..pipelines.planners import get_planner
    from ..pipelines.rules.description import says_silence
    from ..pipelines.rules.edit_forms import check_not_an_edit, check_turn_said, is_export, is_undo

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
    if previous is not None and not undo:
        check_turn_said(args.text)  # "redo", "undo twice": no planner's either
        if is_export(args.text):  # "export": no edit, the file each turn writes
            raise FoleyError(f"{args.text.strip()!r}: each turn writes the bed as it is made, this session's to "
                             f"{session.bed_path} (its files: foley compose --session {args.session}); to have it "
                             "elsewhere, copy it, or give the next edit -o FILE")
    undone, settings = session.undone() if undo else (None, {})
    # Laid under its video again: the last turn's, or for an undo that of the turn it returns to (the last
    # turn's when that one had none: its bed is not left under a picture of a plan it no longer has).
    laid_under = (undo and settings.get("video")) or (session.video_path if continuing else None)
    if continuing and not video and laid_under:
        video = bed_video(str(laid_under), f"{args.session}: its video", " (pass --video FILE)")
    if continuing and video and abs(video.duration_s - session.duration_s) > VIDEO_LENGTH_TOLERANCE_S:
        raise FoleyError(f"{video.path} is {video.duration_s:g} s long and this session's bed {session.duration_s:g} s; "
                         "a new session with --video makes a bed as long as its video")
    if not (session and session.plan):
        try:
            check_not_an_edit(args.text)  # said before any file or model is looked at
        except FoleyError as e:  # "--session bed.json" with a typo in its name: said which file is not there
            raise FoleyError(f"{e}; {args.session} is no session yet" if args.session else str(e)) from None
    out = Path(args.output or (session.bed_path if session else "compose.wav"))
    if continuing and out.resolve() in {p.resolve() for p in session.stem_paths}:
        raise FoleyError(f"-o {args.output}: a stem this session wrote; give the bed a name of its own")
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
        # A place outside the session's folder that no option gave (a session moved, or from elsewhere) is written
        # again only where the session's own file is there as it wrote it.
        for path, what, flag in ((not args.output and out, "bed", "-o"),
                                 (not args.timeline and timeline and Path(timeline), "timeline picture", "--timeline")):
            if continuing and path and session.outside(path) and path.resolve() not in own:
                raise FoleyError(f"{args.session}: its {what} is recorded at {path}, outside the session's folder, and "
                                 f"is not there as the session wrote it; give {flag} to say where this turn writes it")
        # The video with the bed: the bed's name, in the first container that holds the picture as it is
        # (a bed not named .wav, "-o .", has none: it is refused below).
        movie = out.with_suffix(output_container(video)) if video and out.suffix.lower() == ".wav" else None
        if video:  # its own sound goes with the bed as a second track
            check_original_keepable(video)
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
    # An undo renders at the settings of the turn it returns to, as the page's does: its events are read back.
    kept = {**settings.get("sampler", session.sampler if session else {}), **({} if undo else given)}
    sampler = SamplerConfig.for_backbone(model, **kept)
    align = settings.get("align", session.align if session else True) if undo or args.align is None else args.align
    unused = [f"--{k} {v:g}" if isinstance(v, (int, float)) else f"--{k} {v}"  # by an undo: said with the plan
              for k, v in given.items() if getattr(sampler, k) != v]
    if args.align is not None and args.align != align:
        unused.append("--align" if args.align else "--no-align")
    planner = None if undo else get_planner(args.planner, base_url=args.planner_url, model=args.planner_model,
                                            device=args.device)
    plan = undone if undo else planner.plan(args.text, session.duration_s if session else duration_s, previous)
    changes = plan_changes(previous, plan) if previous is not None else []
    if previous is not None and not undo and not changes:  # no turn is recorded for it
        raise FoleyError(unchanged_refusal(repr(args.text.strip())))
    captions = list(dict.fromkeys(e.caption for e in plan.events))  # a stem each, in the order they come
    kept_names = session.stem_names if continuing else None  # a sound kept by an edit keeps its stem's name
    stems = dict(zip(captions, (stems_folder(out) / name for name in stem_names(captions, kept_names)))) \
        if with_stems else {}
    if stems and not args.plan_only:  # before the backbone is loaded
        if args.session and Path(args.session).resolve() in {p.resolve() for p in (stems_folder(out), *stems.values())}:
            what = "the stems' folder" if Path(args.session).resolve() == stems_folder(out).resolve() else "a stem"
            raise FoleyError(f"{args.session}: the session file would also be {what}; give it a name "
                             f"of its own, e.g. {Path(args.session).with_suffix('.json')}")
        new_folders.enter_context(removed_if_empty(missing_folders(stems_folder(out))))  # one a stopped turn made
        _check_replaceable(list(stems.values()), None if args.overwrite else own, changed)
        fresh |= {p for p in stems.values() if not args.overwrite and not os.path.lexists(p)}
    planned = list(getattr(planner, "notes", []))  # what it could not do as said
    if unused:
        planned.append(f"undone at the settings the bed had then ({sampler.steps} {sampler.scheduler} steps, guidance "
                       f"{sampler.guidance:g}{'' if align else ', onsets as they came'}); {', '.join(unused)} not used")
    same_model = not (session and session.model and session.model != model)
    if not same_model:  # said with the plan, before any render
        planned.append(f"back to {model}, the backbone of the turn this undoes to" if undo and not args.model else
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
        return _print_plan_only(args, plan, previous, model, continuing, planned)
    # the events an earlier turn made as they are now (its notes of them said), unless their takes are made anew
    made_before = previous if continuing and same_model and session.sampler == kept and session.align == align else None
    limit = _limit_said(plan)
    print(f"plan ({planner.name if planner else 'undo'}, {plan.duration_s:g} s{', ' + limit if limit else ''}):")
    print("\n".join(_plan_lines(plan, align, laid_flat(plan, made_before, session.flat if made_before else []))))
    for note in planned:  # under the plan it speaks of
        _note(note)
    if previous is not None:
        print(("changed (back to the plan before the last turn): " if undo else "changed: ")
              + ("; ".join(changes) or "nothing (the plan is as it was)"))
    held_before = session.turns[-1].get("held_db") if continuing and session.turns else None  # the mix last heard
    if cache_gone and session.turns:  # a session moved or copied without it: said before a render of minutes
        original = session.path.with_name(f"{session.saved_as}.cache") if session.copied else None
        _note(f"{session.cache_dir}/, where this session keeps the sounds it generated, is not there; each sound "
              "is generated again" + (f" (to reuse those of {session.saved_as}, copy {original}/ as "
                                      f"{session.cache_dir}/ first)" if original and original.is_dir() else ""))
    backbone = turn_backbone(model, args.device, flag)  # loaded when a take is made, or a new caption checked
    if new_captions(plan, previous if same_model else None):
        for note in turn_notes(plan, None, previous if same_model else None, text=backbone.text,
                               source=backbone_source(model)):  # those of its captions, before the render
            _note(note)
    with contextlib.ExitStack() as stack:
        cache_dir = session.cache_dir if session else shared_cache_dir(stack)
        parts_of_mix: dict = {} if stems else None  # caption -> its stem (samples,)
        bars = []  # on a terminal, the bar of the model window being diffused: its sound, its steps

        def cleared() -> None:
            while bars:
                bars.pop().close()

        stack.callback(cleared)

        def making(e, i: int, n: int) -> None:
            if i == 0:  # a window begins
                cleared()
                bars.append(tqdm(total=n, desc=f"  making {e.caption}", leave=False, unit="step",
                                 disable=None))  # None: only on a terminal
            bars[-1].n = i
            bars[-1].refresh()

        def mixed(e, repeats: int) -> None:
            cleared()
            print(f"  mixed: {e.caption}" + (f" ({repeats} times until {seconds_said(e.end_s)} s)" if repeats > 1
                                             else ""), file=sys.stderr)

        mix, stats = render(plan, backbone, EventCache(cache_dir, model_id=model_id(model)), sampler,
                            align_onsets=align, stems=parts_of_mix, edited_rhythms=edited_rhythms(plan, previous),
                            progress=mixed, making=making)
    quiet_ffmpeg_log()  # again: importing torchvision with a backbone loaded turns FFmpeg's log back on
    if session and not continuing and session.path.exists():
        raise FoleyError(f"{session.path}: another turn started this session while this one ran; "
                         "this turn wrote nothing")
    # stems of sounds gone since, in the folder of this bed (a bed written elsewhere with -o keeps the last one's)
    stale = ({p.resolve() for p in session.stem_paths if p.parent.resolve() == stems_folder(out).resolve()}
             - {p.resolve() for p in stems.values()}) if continuing else set()

    def record(written: dict[Path, Path], part: Path) -> None:  # the session with this turn, placed with its files
        session.model, session.sampler, session.align = model, kept, align
        session.add_turn(args.text, plan, stats, out, timeline, undo=undo, video=video and video.path,
                         video_output=movie, stems=stems, written=written)
        session.save(part)

    _write_turn_files(plan, mix, backbone.mel.sample_rate, out, timeline, movie, video,
                      {path: parts_of_mix[caption] for caption, path in stems.items()}, fresh,
                      (session.path, record) if session else None, stats.heard_from_s)
    for path in stale:  # as the session wrote them; one changed since is kept
        if path.resolve() in own:
            with contextlib.suppress(OSError):  # a stem left behind is not worse than the turn untold
                path.unlink()
    _report_turn(plan, stats, sampler, out, timeline, stems, movie, video, made_before, held_before)
    return 0


def _write_turn_files(plan, mix, sample_rate: int, out: Path, timeline: str | None, movie: Path | None, video,
                      stems: dict, fresh: set[Path], session: tuple | None = None,
                      heard_from_s: list[float] | None = None) -> None:
    """Write a turn's bed ``mix`` (samples,) at ``sample_rate`` Hz to ``out``, its timeline picture,
    its ``movie`` (the bed under ``video``'s picture, the video's own sound kept as a second track),
    its ``stems`` (path -> samples,) and its ``session`` (its path, and ``record(written, part)``
    that writes it to ``part``, ``written`` the temporary file of each of the others; ``heard_from_s``: where
    each event is laid, for the picture: RenderStats.heard_from_s): all reach
    their paths together, or none does. A path in
    ``fresh`` (not there when the turn began) found written meanwhile by another run is kept,
    and none of this turn's is written. Raises FoleyError naming the output that failed."""
    from ..media.audio import write_audio
    from ..media.files import atomic_paths
    from ..media.mux import mux_audio
    from ..pipelines.compose import timeline_image

    parts: dict[Path, Path] = {}  # final path -> the temporary file it is written as
    writers = [(out, lambda part: write_audio(part, mix, sample_rate))]
    if timeline:
        writers.append((Path(timeline), lambda part: timeline_image(plan, mix, sample_rate, part, heard_from_s)))
    if movie:  # the bed as written (its part), under the picture
        writers.append((movie, lambda part: mux_audio(video.path, parts[out], part, keep_original=True,
                                                      sample_rate=sample_rate, info=video)))
    writers += [(path, lambda part, samples=samples: write_audio(part, samples, sample_rate))
                for path, samples in stems.items()]
    if session:  # last: it records what the others hold
        writers.append((session[0], lambda part: session[1](dict(parts), part)))
    finals = [Path(final) for final, _ in writers]
    with atomic_paths(finals, fresh) as temporary:
        parts.update(zip(finals, temporary))
        for (final, write), part in zip(writers, temporary):
            try:
                write(part)
            except FoleyError as e:  # said of the output, not of its temporary file
                raise FoleyError(str(e).replace(str(part), str(final))) from None
            except OSError as e:
                raise FoleyError(f"{final}: cannot be written ({e.strerror or e})") from None


def _print_plan_only(args: argparse.Namespace, plan, previous, model: str, continuing: bool, planned: list[str]) -> int:
    """A ``--plan-only`` turn: its notes on stderr (``planned``, and the captions ``model``'s
    backbone would hear as other sounds), the plan's JSON alone on stdout; writes nothing."""
    from ..pipelines.compose import backbone_source, turn_notes

    unused = [flag for flag, given in (("-o", args.output), ("--timeline", args.timeline), ("--stems", args.stems))
              if given]  # the files a turn would write
    said = ["--plan-only writes nothing" + (f" ({', '.join(unused)} not used)" if unused else "")]
    if args.session:
        said.append(f"{args.session} is " + ("as it was" if continuing else "not started (a turn without --plan-only "
                                             "starts it)"))
    if args.session or unused:
        _note("; ".join(said))
    for note in planned:
        _note(note)
    source = backbone_source(model)
    if Path(source).is_dir():  # captions it would hear as other sounds, said before any render
        from ..models.text_condition import load_text_conditioner

        try:
            text = load_text_conditioner(source)
        except (FoleyError, OSError, ValueError) as e:  # the plan stands; the render would refuse the folder
            _note(f"the captions were not checked against {model}: its text encoder does not load "
                  f"({str(e).splitlines()[0] if str(e) else type(e).__name__})")
        else:
            for note in turn_notes(plan, None, previous, text=text, source=source):
                _note(note)
    print(plan.to_json())
    return 0


def _report_turn(plan, stats, sampler, out: Path, timeline: str | None, stems: dict, movie: Path | None,
                 video, previous=None, held_before: float | None = None) -> None:
    """What a turn that wrote its files says: the render's notes (of a follow-up turn, of the
    events it changed: those of the others an earlier turn gave, ``previous`` its plan, None when
    every take was made anew; of the mix's hold by the peak ceiling, only where it differs from
    ``held_before``, the dB the session's last turn recorded), then each file written (the bed,
    its timeline picture, its stems' folder, its video) and what it holds."""
    from ..media.mux import other_streams_note
    from ..pipelines.compose import stems_folder, turn_notes

    for note in turn_notes(plan, stats, previous, takes_kept=True, held_before=held_before, video=bool(video)):
        _note(note)
    events = f"{len(plan.events)} event{'s' if len(plan.events) != 1 else ''}"
    takes = stats.generated + stats.reused  # a filled or repeated event is several takes
    takes_said = f" ({takes} takes)" if takes != len(plan.events) else ""
    print(f"wrote {out}: a {plan.duration_s:g} s bed of {events}{takes_said}, {stats.generated} generated, "
          f"{stats.reused} reused from the cache, made in {stats.seconds:.1f} s ({sampler.steps} {sampler.scheduler} "
          f"steps, guidance {sampler.guidance:g})")
    if timeline:
        print(f"wrote {timeline}: the plan over the spectrogram")
    if stems:
        print(f"wrote {stems_folder(out)}/: " + ("1 stem, as long as the bed" if len(stems) == 1 else
                                                 f"{len(stems)} stems, one a sound, each as long as the bed; together "
                                                 "they are the bed"))
    if movie:
        print(f"wrote {movie}: the picture of {video.path} with the bed"
              + (" (its own sound kept as a second track)" if video.has_audio else ""))
        if video.audio_tracks > 1:
            _note(f"{video.path} has {video.audio_tracks} audio tracks; the first is kept as the original")
        if video.other_streams:
            _note(f"{video.path}: {other_streams_note(video)}")


def _check_compose_outputs(out: Path, timeline: str | None, session: str | None, replaceable: set[Path] | None,
                           changed: set[Path] = frozenset(), movie: Path | None = None, video: str | None = None) -> None:
    """Refuse, before any work, a bed (``out``, WAV), timeline picture (PNG) or video with the bed
    (``movie``, laid under ``video``) that would replace a file not in ``replaceable`` (resolved
    paths; None: any, --overwrite; ``changed``: the session's own files changed since it wrote
    them), a session file that is one of them or cannot be written, a bed inside the session's cache of
    sounds, or any of them that is ``video``.
    Raises FoleyError."""
    from ..media.files import check_writable
    from ..pipelines.compose import session_cache_dir

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
    if session and (cache := session_cache_dir(session)).resolve() in out.resolve().parents:
        raise FoleyError(f"-o {out}: inside the session's cache of sounds ({cache}/); give the bed a place of its own")
    _check_replaceable([out, *([picture] if picture else []), *([movie] if movie else [])], replaceable, changed)
    if session:  # written with them, its cache of sounds beside it (-o puts the bed elsewhere)
        check_writable(session)


def _check_replaceable(paths: list[Path], replaceable: set[Path] | None, changed: set[Path] = frozenset()) -> None:
    """Refuse an output in ``paths`` that is a folder, or would replace a file not in
    ``replaceable`` (see ``_check_compose_outputs``), or cannot be written. Raises FoleyError."""
    from ..media.files import check_writable

    for path in paths:
        if path.is_dir() and not path.is_symlink():  # no --overwrite replaces a folder
            raise FoleyError(f"{path}: a folder of that name is there; give a file name")
        if os.path.lexists(path) and replaceable is not None and path.resolve() not in replaceable:
            why = "changed since this session wrote it" if path.resolve() in changed else "exists"
            raise FoleyError(f"{path}: {why}; pass --overwrite to replace it")
        check_writable(path)
