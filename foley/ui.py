"""``foley ui``: a web page for dubbing videos and composing sound beds (Gradio).

It listens on 127.0.0.1 unless told otherwise. The models load once: the dub pipeline for
the dub tab, a text-to-audio backbone (``sfx`` by default) for the compose tab. Each browser session writes into its
own folder under one temporary root, which also holds Gradio's uploads; nothing is
written elsewhere. Bad input shows as one message in the page, never a traceback.
"""
import contextlib
import functools
import hashlib
import ipaddress
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from .errors import FoleyError
from .media.files import atomic_path
from .media.video import quiet_ffmpeg_log

try:
    import gradio as gr
except ImportError:
    raise FoleyError("the web UI needs the ui extra: pip install 'foley[ui]'") from None

PLAN_HEADERS = ["caption", "start_s", "end_s", "gain_db", "fill", "period_s", "seed", "mute"]
MIX_RANGE_DB = (-80.0, 20.0)  # the original's gain under the Foley, as `foley dub --mix-original` takes it
# What the command line's notes call flags, said as the page's controls
PAGE_WORDS = {"--keep-original keeps it as a second track": "'keep the original track' keeps it as a second track",
              "(--mix-original)": "('mix the original under it')",
              "(--keep-original would copy it again)": "('keep the original track' would copy it again)",
              # the compose tab's refusals: the page's session is the browser's, a new bed is a button
              "give it another --session file": "press New bed",
              " (foley compose: --session FILE keeps its turns)": "",
              " (foley compose: --session FILE keeps it for the next turn)": "",
              "on a follow-up turn (--session FILE)": "with Apply edit",
              "(the session's turns: foley compose --session FILE)": "(the turns are listed under the bed)"}
MAX_PAGE_TEXT_CHARS = 20000  # any text, a plan pasted as JSON included (the rules planner takes descriptions of 2,000)
SESSION_IDLE_S = 24 * 3600  # a session folder untouched this long is removed (its browser session is long gone)


def number_in(value, name: str, low: float, high: float, whole: bool = False) -> float:
    """A number field's value, checked: FoleyError (one line, naming the field) when it is
    empty, not a number, outside [low, high], or not whole where it must be."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high or whole and number != int(number):
        kind = "a whole number" if whole else "a number"
        def bound(x: float) -> str:  # 4294967295, not 4.29497e+09
            return str(int(x)) if float(x).is_integer() else f"{x:g}"

        raise FoleyError(f"{name}: give {kind} from {bound(low)} to {bound(high)}"
                         + ("" if value is None else f", not {value}"))
    return int(number) if whole else number


def kept_video(video: str | os.PathLike, folder: Path) -> Path:
    """``video`` kept in ``folder`` under its own name, in a subfolder named by a digest of its
    path: a hard link (the uploads share the server's root), else a copy."""
    kept = folder / hashlib.sha256(str(video).encode()).hexdigest()[:16] / Path(video).name
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(video, kept)
        except OSError:
            with atomic_path(kept) as part:
                shutil.copyfile(video, part)
    return kept


def for_the_page(message: str, upload: str | None = None) -> str:
    """A dub's note or error as the page says it: its controls instead of command-line flags,
    and an uploaded file by its name, not by its temporary path."""
    for flag, words in PAGE_WORDS.items():
        message = message.replace(flag, words)
    return message.replace(str(upload), Path(upload).name) if upload else message


def backbone_name(model: str) -> str:
    """A session's backbone (as ``canonical_model`` gives it) as the page says it: a folder by its
    name, not by the server's path."""
    return Path(model).name if Path(model).is_absolute() else model


EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "hammer.mp4"


class Studio:
    """The state shared by every browser session: the model (loaded on first use), the
    temporary root, and the work both tabs do. ``dub`` and ``compose`` are plain methods so
    that they can be tested without a browser."""

    def __init__(self, model: str = "demo", device: str = "auto", root: str | os.PathLike | None = None,
                 compose_model: str = "sfx", planners: tuple[str, ...] = ("rules",)):
        self.model, self.compose_model, self.device = model, compose_model, device
        # the planners the page offers, as the server was started; a visitor names no other (no model of its choosing
        # is loaded on the server), each made once and kept
        self.planners = tuple(dict.fromkeys(planners))
        self._planners: dict = {}
        self.root = Path(root or tempfile.mkdtemp(prefix="foley-ui-"))
        self._pipeline = self._backbone = None
        self._lock = threading.Lock()  # one generation at a time: the CPU has no room for two
        self._turns_lock = threading.Lock()  # guards _turn_locks and turns_running
        self._turn_locks: dict[str, threading.Lock] = {}  # one turn at a time per session (New bed, edit, table)
        self.turns_running = 0  # the page's dubs and compose turns under way (``running``)

    @property
    def pipeline(self):
        from .pipelines.dub import FoleyPipeline

        if self._pipeline is None:
            self._pipeline = FoleyPipeline.from_pretrained(self.model, device=self.device)
        return self._pipeline

    @property
    def backbone(self):
        from .pipelines.compose import load_backbone

        if self._backbone is None:
            self._backbone = load_backbone(self.compose_model, self.device, flag="--compose-model")
        return self._backbone

    @functools.cached_property
    def compose_sampler(self):
        """The compose backbone's own sampler settings (its sampler.json), the sliders' start."""
        from .pipelines.compose import SamplerConfig

        return SamplerConfig.for_backbone(self.compose_model)

    @functools.cached_property
    def compose_model_id(self) -> str:
        """The compose backbone's identity in the event cache (a digest of its files: once)."""
        from .pipelines.compose import model_id

        return model_id(self.compose_model)

    def session_dir(self, session: str) -> Path:
        """This session's folder: named by a digest of the session id, so that two ids never share
        one (nor the sessions folder itself). A new one first removes folders idle SESSION_IDLE_S."""
        folder = self.root / "sessions" / hashlib.sha256(str(session).encode()).hexdigest()[:32]
        if not folder.exists():
            self.remove_idle_sessions()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def remove_idle_sessions(self, idle_s: float = SESSION_IDLE_S) -> None:
        """Remove the session folders whose files are all older than ``idle_s`` seconds."""
        import time

        now = time.time()
        for old in (self.root / "sessions").glob("*/"):
            try:
                last = max(p.stat().st_mtime for p in [old, *old.iterdir()])
            except OSError:
                continue
            if now - last > idle_s:
                shutil.rmtree(old, ignore_errors=True)

    def planner(self, spec: str) -> tuple:
        """(the planner ``spec`` names, the lock it plans under): one of ``planners`` (FoleyError
        for another, PlanError for a spec no planner has), made on first use and kept."""
        from .pipelines.planners import get_planner

        if spec not in self.planners:
            raise FoleyError(f"planner {spec!r} is not one this page offers ({', '.join(self.planners)}; "
                             "foley ui --planner SPEC adds one)")
        with self._turns_lock:
            if spec not in self._planners:
                self._planners[spec] = (get_planner(spec, device=self.device), threading.Lock())
            return self._planners[spec]

    def plan(self, spec: str, text: str, duration_s: float, previous) -> tuple:
        """(the plan, the planner's notes) of ``text`` by the planner ``spec`` names (:meth:`planner`)."""
        chosen, lock = self.planner(spec)
        with lock:  # its notes are those of its last plan
            return chosen.plan(text, duration_s, previous), list(getattr(chosen, "notes", []))

    @contextlib.contextmanager
    def running(self):
        """Count a dub or compose turn of the page while it runs: ``launch`` does not leave it to
        Python's exit, which would stop its thread inside torch and abort the process."""
        with self._turns_lock:
            self.turns_running += 1
        try:
            yield
        finally:
            with self._turns_lock:
                self.turns_running -= 1

    def _turn_lock(self, session: str) -> threading.Lock:
        with self._turns_lock:
            return self._turn_locks.setdefault(str(session), threading.Lock())

    # ---------------------------------------------------------------------------- dub ---
    def dub(self, video: str | None, session: str, caption: str = "", steps: int | None = None,
            guidance: float | None = None,
            seed: int = 0, keep_original: bool = False, mix_original_db: float | None = None,
            progress=None, mix_asked: bool = False) -> dict:
        """Dub one video into this session's folder: paths of the mp4 (or .mov / .mkv), the
        wav and a spectrogram picture, and the summary's notes. Raises FoleyError."""
        from .config import MAX_SEED
        from .media.video import probe_video
        from .pipelines.compose import bed_description
        from .pipelines.dub_batch import OutputOptions, dub_batch

        if not video:
            raise FoleyError("upload a video or pick the example first")
        seed = number_in(seed, "seed", 0, MAX_SEED, whole=True)
        if mix_asked or mix_original_db is not None:  # asked for with an empty field: said, not skipped
            mix_original_db = number_in(mix_original_db, "original gain (dB)", *MIX_RANGE_DB)
        video = Path(video)
        out = self.session_dir(session) / "dub"
        if out.exists():  # one result at a time per session
            for old in out.iterdir():
                old.unlink()
        report = progress or (lambda stage, i, n: None)
        results, said = {}, []

        def generate(path):
            with self._lock:
                result = results[path] = self.pipeline.dub(
                    path, caption=(caption or "").strip() or None, steps=None if steps is None else int(steps),
                    guidance=None if guidance is None else float(guidance), seed=seed, progress=report)
            said.extend(self.pipeline.dub_notes(result))
            return result.audio, result.sample_rate

        options = OutputOptions(overwrite=True, keep_original=keep_original, mix_original_db=mix_original_db)
        def silent_note(path) -> str:
            result = results.pop(path, None)
            bed = result and bed_description(result.caption if result.caption_given else None,
                                             len(result.audio) / result.sample_rate)
            hint = (f"; the Compose tab, given this video and {bed[0]!r}, lays {bed[1]} under it (a description gives "
                    "their times)" if bed and self.pipeline.not_dubbed(result) else "")
            known = "".join(f"; the {name} model knows these pictures" for name in (result.known_by if result else ()))
            return self.pipeline.unrecognized_note(result) + known + hint

        summary = dub_batch([video], out, generate, options, silent_note=silent_note)
        if summary.failed:
            raise FoleyError(summary.failed[0][1])
        wav = out / f"{video.stem}.wav"
        movie = next(p for p in out.iterdir() if p.stem == video.stem and p.suffix != ".wav")
        picture = out / f"{video.stem}.png"
        onset_picture(wav, probe_video(video), picture)
        notes = [for_the_page(note) for note in self.pipeline.caption_notes(caption, where=False)  # as foley dub says
                 + said + [note for _, note in summary.notes]]
        return {"video": movie, "wav": wav, "picture": picture, "notes": notes}

    # ------------------------------------------------------------------------ compose ---
    def compose(self, text: str, session: str, *args, **kwargs) -> dict:
        """One compose turn (:meth:`_compose`), after any other turn of this session has ended: two
        at once (New bed and Apply edit pressed together) would both read the bed as it was, and
        the one saved last would undo the other and write over its files. A ``foley compose --session``
        turn on its file holds it as well (the page's turn is refused while that one runs, and the
        other way round). Raises FoleyError, naming the session's files without the server's folder."""
        from .pipelines.compose import turn_lock

        path = self.session_dir(session) / "bed.json"
        try:
            with self._turn_lock(session), turn_lock(path):
                return self._compose(text, session, *args, **kwargs)
        except FoleyError as e:
            raise FoleyError(for_the_page(str(e), path)) from None

    def _compose(self, text: str, session: str, duration_s: float = 10.0, planner: str = "rules",
                 steps: int | None = None, guidance: float | None = None, table: "list[list] | None" = None,
                 new: bool = False, video: str | None = None) -> dict:
        """One compose turn in this session: ``text`` plans (a description, or an edit of the
        current plan), or ``table`` (rows as :func:`plan_rows` gives them) replaces the plan
        as edited by hand. Only changed events are generated. A new bed with a ``video`` is as
        long as it and laid under it, as every later bed of the session is (``result["video"]``:
        the picture copied, the bed as its sound, its own sound as a second track); ``result["stems"]``: each
        sound of the bed as a WAV of its own (``--stems``). Raises FoleyError."""
        from .config import MAX_GUIDANCE, MAX_STEPS
        from .media.audio import write_audio
        from .media.mux import check_original_keepable, mux_audio, other_streams_note, output_container
        from .pipelines.compose import EventCache, Session, bed_video, render, stem_names, stems_folder, timeline_image
        from .pipelines.compose import VIDEO_LENGTH_TOLERANCE_S, backbone_source, canonical_model, turn_notes
        from .pipelines.compose import edited_rhythms, unchanged_refusal
        from .pipelines.rules.edit_forms import check_turn_said, is_undo

        from .pipelines.plan import DURATION_RANGE_S, plan_changes

        under = bed_video(video, "video") if new and video else None
        if under:  # its own sound goes with the bed as a second track: one that cannot is said before the render
            check_original_keepable(under)
        duration_s = under.duration_s if under else number_in(duration_s, "duration (s)", *DURATION_RANGE_S)
        # checked, as the turn records them: a session keeps only settings it can read back
        given = {**({} if steps is None else {"steps": number_in(steps, "steps", 1, MAX_STEPS, whole=True)}),
                 **({} if guidance is None else {"guidance": number_in(guidance, "guidance", 0, MAX_GUIDANCE)})}
        folder = self.session_dir(session)
        path = folder / "bed.json"
        # a new bed replaces the session when it is saved: one that fails leaves the old one as it was
        state = Session(path, duration_s, []) if new else Session.open(path, duration_s)
        # the session's sampler options and onset alignment, as foley compose keeps them (a turn of the command line
        # on this session may have given --scheduler or --no-align), the sliders' steps and guidance over them
        kept, align = {**state.sampler, **given}, state.align
        made_with = state.model  # the backbone of the takes this turn starts from (an undo: those of its turn)
        if under:  # the session's own link to its upload, which the uploads' clean-up would remove while it goes on
            under = bed_video(kept_video(under.path, folder / "videos"), "video")
        elif state.video_path:  # laid under the video of its first turn
            try:
                under = bed_video(state.video_path, "the bed's video")
            except FoleyError as e:
                raise FoleyError(for_the_page(str(e), state.video_path)) from None
        undo, planned = False, []  # planned: the planner's notes
        if table is not None:
            if state.plan is None:
                raise FoleyError("compose a bed first; the table edits its plan")
            plan = plan_from_rows(table, state.duration_s, state.plan.max_simultaneous, state.plan)
            text = "(plan edited in the table)"
        else:
            if (not text or not text.strip()) and (new or state.plan is None):
                raise FoleyError("describe the sound bed first, e.g. 'rain, then thunder, then a horse neighs'")
            if not text or not text.strip():
                raise FoleyError("type an edit of the bed first, e.g. 'make the rain quieter'")
            if not new and state.plan is None:
                raise FoleyError("there is no bed to edit yet: describe one and press New bed")
            if len(text) > MAX_PAGE_TEXT_CHARS:  # a chat planner's prompt, or the JSON read, would be as long
                raise FoleyError(f"the text is {len(text)} characters long; it takes at most {MAX_PAGE_TEXT_CHARS}")
            undo = state.plan is not None and is_undo(text)
            if undo:  # at the steps and guidance that turn had, its sounds read back from the cache
                plan, then = state.undone()
                kept, align, made_with = then.get("sampler", {}), then.get("align", True), then.get("model")
                sampler = replace(self.compose_sampler, **kept)
                if any(given[k] != getattr(sampler, k) for k in given):
                    planned.append(f"undone at the steps and guidance the bed had then ({sampler.steps} steps, "
                                   f"guidance {sampler.guidance:g}), not the sliders'")
            else:
                if state.plan is not None:
                    check_turn_said(text)  # "redo", "undo twice": no planner's either
                plan, planned = self.plan(planner, text.strip(), state.duration_s, state.plan)
        changes = plan_changes(state.plan, plan) if not new and state.plan is not None else []
        if not new and not undo and not changes:  # no turn is recorded for it
            raise FoleyError(unchanged_refusal("the table" if table is not None else repr(text.strip())))
        if changes:  # what the edit did, first, as foley compose says it
            planned.insert(0, ("changed (back to the plan before the last turn): " if undo else "changed: ")
                           + "; ".join(changes))
        if under and abs(plan.duration_s - under.duration_s) > VIDEO_LENGTH_TOLERANCE_S:  # a plan pasted as JSON
            raise FoleyError(f"the plan is {plan.duration_s:g} s long and the video {under.duration_s:g} s; a bed laid "
                             "under a video is as long as the video")
        # what the last turn said is not said again (as foley compose): its captions' notes, when its backbone is this
        # one; its events' notes, when their takes were made with this turn's sampler (and onset alignment);
        # its hold's
        sampler = replace(self.compose_sampler, **kept)
        model = canonical_model(self.compose_model)
        settings = {**kept, "steps": sampler.steps, "guidance": sampler.guidance}
        previous = state.plan if not state.model or state.model == model else None
        takes_kept = state.sampler == settings and state.align == align
        held_before = state.turns[-1].get("held_db") if state.turns else None
        backbone = self.backbone
        cache = EventCache(state.cache_dir, model_id=self.compose_model_id)
        stems: dict = {}  # caption -> its part of the mix (samples,)
        with self._lock:
            mix, stats = render(plan, backbone, cache, sampler, align_onsets=align, stems=stems,
                                edited_rhythms=edited_rhythms(plan, state.plan))
        turn = len(state.turns) + 1  # a new bed's files take names no earlier turn's have: one that fails leaves them
        while new and (folder / f"bed-{turn}.wav").exists():
            turn += 1
        wav = write_audio(folder / f"bed-{turn}.wav", mix, backbone.mel.sample_rate)
        picture = folder / f"bed-{turn}.png"
        timeline_image(plan, mix, backbone.mel.sample_rate, picture, stats.heard_from_s)
        stem_files = [write_audio(stems_folder(wav) / name, part, backbone.mel.sample_rate)
                      for name, part in zip(stem_names(list(stems)), stems.values())]
        movie = None
        if under:
            movie = mux_audio(under.path, wav, folder / f"bed-{turn}{output_container(under)}", keep_original=True,
                              sample_rate=backbone.mel.sample_rate, info=under)
        try:  # the files the session's last turn wrote in this folder, as it wrote them (foley compose names its own)
            last = Session.open(path, duration_s) if new else state
        except FoleyError:  # a New bed over a file that is no session
            last = None
        last_files = {p for p in (last.own_files()[0] if last else ()) if folder.resolve() in p.parents}
        state.model, state.sampler, state.align = model, settings, align
        state.add_turn(text, plan, stats, str(wav), picture, undo=undo, video=under and under.path, video_output=movie,
                       stems=dict(zip(stems, stem_files)))  # as foley compose --timeline --stems records them
        state.save()
        for other in (folder / "videos").glob("*/") if new else ():  # the videos of the beds this one replaced
            if not under or other != Path(under.path).parent:
                shutil.rmtree(other, ignore_errors=True)
        for earlier in folder.glob("bed-*"):  # earlier turns' files: the page shows this turn's (Gradio serves copies)
            if earlier.name.split(".")[0] != wav.stem:
                if earlier.is_dir():
                    shutil.rmtree(earlier, ignore_errors=True)
                else:
                    earlier.unlink(missing_ok=True)
        for stale in last_files - {p.resolve() for p in (wav, picture, movie, *stem_files) if p}:  # as it wrote them
            stale.unlink(missing_ok=True)
            if stale.parent.suffix == ".stems":
                with contextlib.suppress(OSError):  # its last stem gone
                    stale.parent.rmdir()
        if not new and made_with and made_with != model and stats.generated:  # foley compose --model, another page
            planned.append(f"this bed was composed with the backbone {backbone_name(made_with)}; its sounds are "
                           f"generated again with this page's, {backbone_name(model)}")
        notes = planned + turn_notes(plan, stats, previous, takes_kept, held_before, text=backbone.text,
                                     source=backbone_source(self.compose_model), video=bool(under),
                                     where=False)  # no path of the server's in the page
        if not new and not under and duration_s != state.duration_s:  # a bed under a video is as long as it
            notes.append(f"this bed stays {state.duration_s:g} s long; a duration applies to a new bed (New bed)")
        if new and not under and abs(plan.duration_s - duration_s) > VIDEO_LENGTH_TOLERANCE_S:  # not its rounding
            notes.append(f"the plan gives its own length, {plan.duration_s:g} s; the duration {duration_s:g} s is not used")
        if new and under:
            notes.append(f"the bed is as long as the video, {under.duration_s:g} s")
            if under.audio_tracks > 1:
                notes.append(f"the video has {under.audio_tracks} audio tracks; the first is kept as the original")
            if under.other_streams:
                notes.append(f"the video: {other_streams_note(under)}")
        return {"wav": wav, "picture": picture, "plan": plan_rows(plan), "turns": state.turns, "notes": notes,
                "video": movie, "stems": stem_files}


def plan_rows(plan) -> list[list]:
    """The plan as table rows (PLAN_HEADERS); an unset period or seed is an empty cell, the muted
    spans are text ("2-4, 6-8")."""
    return [[e.caption, round(e.start_s, 2), round(e.end_s, 2), round(e.gain_db, 1), e.fill, e.period_s, e.seed,
             ", ".join(f"{a:g}-{b:g}" for a, b in e.mute)] for e in plan.events]


def plan_from_rows(table: list[list], duration_s: float, max_simultaneous: int = 3, shown=None):
    """The plan of an edited table (rows as :func:`plan_rows` gives them; rows without a caption
    are skipped, and so are other empty cells: an empty period or seed is unset), at the times
    typed in it, with the edited plan's limit of sounds at once (a rhythm kept, where it came from:
    :func:`rhythms_kept`). ``shown``: the plan the table
    showed; a time (s) or gain (dB) in a cell as plan_rows rounded one of its events' is that one
    exactly, so a row left as it was keeps its event (3.333 s shown as 3.33). Raises PlanError,
    also for an emptied start or end (it would have been read as the timeline's edge)."""
    from .pipelines.plan import PlanError, rhythms_kept, validate

    def blank(cell) -> bool:  # None, blank text, or the NaN a cleared number cell may hold
        return cell is None or (isinstance(cell, str) and not cell.strip()) or (isinstance(cell, float) and np.isnan(cell))

    events = shown.events if shown else ()
    times = {round(t, 2): t for e in events for t in (e.start_s, e.end_s)}  # as shown -> the plan's own
    exact = {"start_s": times, "end_s": times, "gain_db": {round(e.gain_db, 1): e.gain_db for e in events}}
    rows = [{k: v for k, v in zip(PLAN_HEADERS, row) if not blank(v)} for row in table if row and str(row[0]).strip()]
    for row in rows:
        row.update({k: exact[k][row[k]] for k in exact if isinstance(row.get(k), (int, float)) and row[k] in exact[k]})
        if "caption" in row and (missing := [k for k in ("start_s", "end_s") if k not in row]):
            said = " and ".join(k.removesuffix("_s") for k in missing)
            raise PlanError(f"{row['caption']!r}: its {said} cell is empty; type a time in seconds")
    # a shortened last event stays short; a rhythm kept, where it came from
    return rhythms_kept(validate(rows, duration_s, max_simultaneous, reach_end=False), shown)


def history_markdown(turns: list[dict]) -> str:
    lines = [f"{i}. {t['text']} — {len(t['plan']['events'])} event{'s' * (len(t['plan']['events']) != 1)}, "
             f"{t['generated']} generated, "
             f"{t['reused']} reused, {t['seconds']:.1f} s" for i, t in enumerate(turns, 1)]
    return "\n".join(lines) or "No turns yet."


ONSET_BLOCK_S = 60.0  # a long track's onsets are detected a minute at a time


def onset_picture(wav_path: Path, info, out: Path) -> None:
    """Spectrogram of the dubbed track with its detected onsets (red) over the picture's
    frame times (grey ticks along the top), in the memory of a minute's track however long
    it is (PICTURE_FRAMES, ONSET_BLOCK_S)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .evaluation.onset import detect_onsets
    from .media.audio import PICTURE_FRAMES, read_audio, spectrogram_db

    wav, sr = read_audio(wav_path, sample_rate=None)
    fig, ax = plt.subplots(figsize=(10, 3.2))
    spec = spectrogram_db(wav, max_frames=PICTURE_FRAMES)
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0, extent=(0, len(wav) / sr, 0, sr / 2000))
    top = sr / 2000
    frames = np.arange(info.frame_count) / info.fps
    ax.vlines(frames, top * 0.96, top, color="0.8", linewidth=0.6)
    block = round(ONSET_BLOCK_S * sr)
    for t in [(start + onset) / sr for start in range(0, len(wav), block)
              for onset in detect_onsets(wav[start:start + block], sr, backtrack=True)]:
        ax.axvline(t, color="#e33", linestyle="--", linewidth=1.2)
    ax.set_xlim(0, len(wav) / sr)
    ax.set_xlabel("seconds (grey ticks: video frames; red: detected onsets)")
    ax.set_ylabel("kHz")
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=90)
    plt.close(fig)


WARNING_S = 15  # a refusal stays on the page this long (the dub tab's notes keep it)


def build_app(studio: Studio, example: str | None = None) -> gr.Blocks:
    """The Gradio page: a Dub tab and a Compose tab."""
    def session_of(request: gr.Request) -> str:
        return request.session_hash or "local"

    def run_dub(video, caption, steps, guidance, seed, keep, mix, mix_db, request: gr.Request,
                progress=gr.Progress()):
        def report(stage, i, n):
            if n:
                progress((i, n), desc=stage, unit=studio.pipeline.PROGRESS_UNITS[stage])

        try:
            with studio.running():
                result = studio.dub(video, session_of(request), caption, steps, guidance, seed, keep,
                                    mix_db if mix else None, progress=report, mix_asked=mix)
        except FoleyError as e:
            message = for_the_page(str(e), video)
            gr.Warning(message, duration=WARNING_S, title="Could not dub")
            return None, None, None, f"**Could not dub:** {message}"
        notes = "\n".join(f"- {n}" for n in result["notes"]) or "Done."
        return str(result["video"]), str(result["picture"]), [str(result["video"]), str(result["wav"])], notes

    def run_compose(text, duration, planner, steps, guidance, request: gr.Request, table=None, new=False,
                    video=None):
        try:
            with studio.running():
                result = studio.compose(text, session_of(request), duration, planner, steps, guidance, table, new,
                                        video)
        except FoleyError as e:
            message = for_the_page(str(e), video)
            gr.Warning(message, duration=WARNING_S, title="Could not compose")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()  # the page keeps the last good bed
        notes = "".join(f"\n\nNote: {for_the_page(n, video)}" for n in result["notes"])
        laid = str(result["video"]) if result["video"] else None
        return (result["plan"], str(result["picture"]), str(result["wav"]), history_markdown(result["turns"]) + notes,
                laid, [str(p) for p in result["stems"]])

    def new_bed(text, duration, planner, steps, guidance, video, request: gr.Request):
        return run_compose(text, duration, planner, steps, guidance, request, new=True, video=video)

    def video_length(video):  # a new bed under a video is as long as it: the field shows its length
        from .pipelines.compose import bed_video

        if not video:
            return gr.update(interactive=True)
        try:
            return gr.update(value=round(bed_video(video, "video").duration_s, 3), interactive=False)
        except FoleyError as e:
            gr.Warning(for_the_page(str(e), video), duration=WARNING_S, title="Not a video for a bed")
            return gr.update(interactive=True)

    def edit_bed(text, duration, planner, steps, guidance, request: gr.Request):
        return run_compose(text, duration, planner, steps, guidance, request)

    def edit_table(table, duration, planner, steps, guidance, request: gr.Request):
        rows = table.values.tolist() if hasattr(table, "values") else table
        return run_compose("", duration, planner, steps, guidance, request, table=rows)

    with gr.Blocks(title="foley", analytics_enabled=False,
                   delete_cache=(3600, SESSION_IDLE_S)) as app:  # uploads and the copies of results, as sessions go
        gr.Markdown("# foley\nSound for silent video, and layered sound beds from a description.")
        with gr.Tab("Dub"):
            with gr.Row():
                with gr.Column():
                    video = gr.Video(label="video", sources=["upload"], elem_id="dub-input")
                    if example:
                        gr.Examples([[example]], inputs=[video], label="example clip")
                    caption = gr.Textbox(label="caption (optional)", placeholder="a hammer strikes a metal plate")
                    with gr.Row():
                        defaults = studio.pipeline.config  # the model's own sampler settings
                        steps = gr.Slider(1, 50, value=defaults.steps, step=1, label="steps", elem_id="dub-steps")
                        guidance = gr.Slider(1, 10, value=defaults.guidance, step=0.5, label="guidance")
                        seed = gr.Number(0, precision=0, label="seed")
                    with gr.Row():
                        keep = gr.Checkbox(label="keep the original track")
                        mix = gr.Checkbox(label="mix the original under it")
                        mix_db = gr.Number(-12, label="original gain (dB)")
                    dub_button = gr.Button("Dub", variant="primary", elem_id="dub-button")
                with gr.Column():
                    result = gr.Video(label="dubbed", interactive=False, elem_id="dub-result")
                    picture = gr.Image(label="sound and onsets", type="filepath", interactive=False,
                                       show_label=False)  # the label would hide the top of the picture
                    files = gr.File(label="downloads", file_count="multiple", interactive=False)
                    notes = gr.Markdown(elem_id="dub-notes")
            dub_button.click(run_dub, [video, caption, steps, guidance, seed, keep, mix, mix_db],
                             [result, picture, files, notes])
        with gr.Tab("Compose"):
            with gr.Row():
                with gr.Column():
                    text = gr.Textbox(label="description, or an edit of the current bed", elem_id="compose-text",
                                      placeholder="rain, then thunder, then a horse neighs")
                    with gr.Row():
                        duration = gr.Number(10, label="duration (s)", elem_id="compose-duration")
                        planner = gr.Dropdown(list(studio.planners), value=studio.planners[0], label="planner",
                                              interactive=len(studio.planners) > 1)
                        sampler = studio.compose_sampler  # the compose backbone's own settings
                        c_steps = gr.Slider(1, max(50, sampler.steps), value=sampler.steps, step=1, label="steps",
                                            elem_id="compose-steps")
                        c_guidance = gr.Slider(min(1, sampler.guidance), max(10, sampler.guidance),
                                               value=sampler.guidance, step=0.5, label="guidance")
                    c_video = gr.Video(label="video to lay a new bed under (optional; the bed is as long as it)",
                                       sources=["upload"], elem_id="compose-video-input")
                    with gr.Row():
                        new_button = gr.Button("New bed", variant="primary", elem_id="compose-new")
                        edit_button = gr.Button("Apply edit", elem_id="compose-edit")
                    table = gr.Dataframe(headers=PLAN_HEADERS, datatype=["str", "number", "number", "number", "bool", "number", "number", "str"],
                                         interactive=True, label="plan (editable)", elem_id="compose-plan")
                    table_button = gr.Button("Render the edited table", elem_id="compose-table")
                with gr.Column():
                    timeline = gr.Image(label="timeline", type="filepath", interactive=False, show_label=False)
                    bed = gr.Audio(label="mix", type="filepath", interactive=False, elem_id="compose-audio")
                    laid = gr.Video(label="the bed under the video", interactive=False, elem_id="compose-video")
                    stem_files = gr.File(label="stems: each sound as a WAV of its own, as long as the bed (together, the bed)",
                                         file_count="multiple", interactive=False, elem_id="compose-stems")
                    history = gr.Markdown("No turns yet.", elem_id="compose-history")
            inputs = [text, duration, planner, c_steps, c_guidance]
            outputs = [table, timeline, bed, history, laid, stem_files]
            c_video.change(video_length, [c_video], [duration])
            new_button.click(new_bed, inputs + [c_video], outputs)
            edit_button.click(edit_bed, inputs, outputs)
            table_button.click(edit_table, [table, duration, planner, c_steps, c_guidance], outputs)
    return app


def check_address(host: str, port: int) -> bool:
    """Refuse, before any model loads, an address the page could not be served on: a host that
    does not resolve to this machine, or a port in use (Gradio would say only that it cannot
    find an empty port). Raises FoleyError; else says whether only this machine can open the page
    there (a loopback address)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise FoleyError(f"--host {host}: not a known address ({e.strerror})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind(address)
        except OSError as e:
            raise FoleyError(f"cannot serve on {host}:{port} ({e.strerror})") from None
    return ipaddress.ip_address(address[0]).is_loopback


def check_ffprobe() -> None:
    """Refuse a PATH with FFmpeg's ``ffmpeg`` and not its ``ffprobe``: Gradio takes the one for
    both, and probes every video the page shows with the other (a page that shows none: its
    dubs fail). Raises FoleyError."""
    if shutil.which("ffmpeg") and not shutil.which("ffprobe"):
        raise FoleyError(f"{shutil.which('ffmpeg')} is on PATH without ffprobe, which the page's video player "
                         "runs with it; install FFmpeg's ffprobe too, or take ffmpeg off PATH (foley needs neither)")


def launch(model: str = "demo", host: str = "127.0.0.1", port: int = 7860, device: str = "auto",
           compose_model: str = "sfx", planners: tuple[str, ...] = ("rules",)) -> None:
    """Serve the page until interrupted. Raises FoleyError for an address it cannot serve on,
    an ``ffmpeg`` without ``ffprobe`` (``check_ffprobe``) or a model that does not load."""
    local = check_address(host, port)
    check_ffprobe()
    root = Path(tempfile.mkdtemp(prefix="foley-ui-"))
    studio = None
    try:  # the root goes however this ends, a model that fails to load included
        os.environ["GRADIO_TEMP_DIR"] = str(root / "uploads")  # Gradio's uploads stay under the same root
        example = EXAMPLE if EXAMPLE.is_file() else None  # in a source checkout
        studio = Studio(model, device, root, compose_model, planners)
        studio.pipeline, studio.backbone  # load before serving: the first click should not wait for them
        for spec in studio.planners:  # nor for a planner's model; one that cannot be made is said now
            studio.planner(spec)
        quiet_ffmpeg_log()
        app = build_app(studio, str(example) if example else None)
        allowed = [str(root)] + ([str(example.parent)] if example else [])
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # `kill` cleans up as Ctrl-C does
        try:
            app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, allowed_paths=allowed,
                                                          ssr_mode=False, quiet=True, footer_links=[],
                                                          max_file_size="2gb",  # an upload is a video, not the disk
                                                          prevent_thread_lock=True)  # served: said, then waited on
        except OSError:  # free when checked, taken while the models loaded (another foley ui, say)
            raise FoleyError(f"cannot serve on {host}:{port} (taken while the models loaded)") from None
        reach = "this machine only; foley ui --host 0.0.0.0 serves it to the network; " if local else ""
        print(f"foley ui: http://{host}:{port}  ({reach}files under {root}, removed on exit)", flush=True)
        app.block_thread()  # until Ctrl-C
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if studio is not None and studio.turns_running:  # stopped (Ctrl-C, kill) while a turn ran in a thread:
            # Python's exit would stop that thread inside torch ("terminate called without an active exception",
            # an abort); its files are gone with the root, so the process ends here
            print("foley ui: stopped; the dub or compose turn under way is dropped", file=sys.stderr, flush=True)
            sys.stdout.flush()
            error = sys.exc_info()[1]
            asked = error is None or isinstance(error, SystemExit)  # Gradio takes Ctrl-C in; kill is a SystemExit
            os._exit(0 if asked else 130 if isinstance(error, KeyboardInterrupt) else 1)
