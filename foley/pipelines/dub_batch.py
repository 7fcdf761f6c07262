"""`foley dub` batches: collect videos, skip finished ones, write OUT/<stem>.wav and
OUT/<stem>.mp4 (or .mov / .mkv, whichever holds the picture stream as it is) for each, and
keep going past a bad file.

The sound itself comes from a ``generate(video_path) -> (wav, sample_rate)`` callable
(the :class:`~foley.pipelines.dub.FoleyPipeline`); this module only does the file work around
it: checks that can fail before generating, fitting the audio to the picture, optionally
mixing the original track under it, loudness normalization, and writing the wav and the
video together (both or neither at their final paths), the picture copied. Several processes
(``accelerate launch``) share a batch: each dubs its :func:`process_share` of the same list, and
:func:`merge_summaries` joins their summaries into one.
"""
from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

from ..errors import FoleyError, MediaError
from ..media.audio import normalize_loudness, read_audio, relative_gain, resample, write_audio
from ..media.files import atomic_paths, check_free_space, missing_folders, name_max, removed_if_empty, trial_write
from ..media.mux import (CONTAINERS, align_to_picture, check_original_keepable, fit_length, mux_audio,
                          other_streams_note, output_container)
from ..media.video import VIDEO_SUFFIXES, VideoInfo, check_moving, first_frame_digest, probe_video


# Generated sound whose peak stays below this is no sound at all: the demo model writes
# about -47 dBFS peaks when it hears nothing, and peaks near -4 dBFS for its events.
NO_SOUND_PEAK_DBFS = -35.0


@dataclass(frozen=True)
class OutputOptions:
    overwrite: bool = False
    keep_original: bool = False  # the original track as a second audio track
    mix_original_db: float | None = None  # mix the original track under the Foley at this gain
    settings: dict = field(default_factory=dict)  # how the sound is made (model, sampler, seed): recorded in the wav
    sample_rate: int | None = None  # the generated sound's rate (Hz), when known: a folder without room for a
    # video's wav at it and its picture stream is refused before that video's sound is generated


@dataclass
class BatchSummary:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (video, what the user should know)
    silent: list[str] = field(default_factory=list)  # done, with a silent Foley track
    silent_skipped: list[str] = field(default_factory=list)  # skipped, dubbed earlier with a silent Foley track

    def lines(self) -> list[str]:
        silent = f" ({len(self.silent)} with a silent Foley track)" if self.silent else ""
        them = "it" if len(self.skipped) == 1 else "them"
        silent_skipped = f", {len(self.silent_skipped)} with a silent Foley track" if self.silent_skipped else ""
        skipped = (f", skipped {len(self.skipped)} (already dubbed{silent_skipped}; --overwrite dubs {them} again)"
                   if self.skipped else "")
        out = [f"done {len(self.done)}{silent}{skipped}, failed {len(self.failed)}"]
        return (out + [f"  note: {video}: {note}" for video, note in self.notes]
                + [f"  failed: {reason}" for _, reason in self.failed])


def collect_inputs(inputs: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Videos named by files, folders and glob patterns (the videos of both, by suffix: VIDEO_SUFFIXES; a
    folder's sorted, hidden ones left out); and the inputs that name nothing usable, with the reason."""
    videos, problems = [], []
    for item in inputs:
        path = Path(item)
        if not item.strip():  # Path("") is the current folder: never dubbed unasked
            problems.append((item, "an empty input name (give a video, a folder such as ., or a pattern)"))
        elif path.is_dir():
            named = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES
                           and not p.name.startswith("."))  # hidden, as a glob has them (and a run's temporary files)
            found = [p for p in named if p.is_file()]
            videos += found
            problems += [(str(p), f"{p}: " + ("a link to nothing" if p.is_symlink() and not p.exists() else
                                              "not a file") + " (in a folder given)")
                         for p in named if not p.is_file() and not p.is_dir()]
            if not found:  # its subfolders are not searched
                problems.append((item, f"{item}: the folder holds no video files ({', '.join(VIDEO_SUFFIXES)}; "
                                       "subfolders are not searched)"))
        elif path.exists():
            videos.append(path)
        elif any(c in item for c in "*?["):  # its videos, as a folder's: not a clip's sidecar files nor the dubs' wavs
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            found = [p for p in matches if p.suffix.lower() in VIDEO_SUFFIXES]
            videos += found
            if not found:
                problems.append((item, f"{item}: the pattern matches no file" if not matches else
                                 f"{item}: the pattern matches no video file ({', '.join(VIDEO_SUFFIXES)}; "
                                 "a file named itself is dubbed whatever its suffix)"))
        else:
            problems.append((item, f"{item}: no such file"))
    # Each file once, under the name it was given: a link is dubbed under its own name (two links
    # to one file are two videos), and a file reached twice (as itself and through a folder) is one.
    unique: dict[tuple[Path, str], Path] = {}
    for p in videos:
        unique.setdefault((p.resolve(), p.name), Path(os.path.abspath(p)))
    return list(unique.values()), problems


def without_own_outputs(videos: list[Path], out_dir: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """(videos to dub, videos left out): those that are the output video of another video of
    the batch in ``out_dir`` are left out, so a pattern or folder that reaches the output folder
    (``'clips/**/*.mp4' -o clips/dub``) finds the same batch again on a rerun. A video in
    ``out_dir`` itself is dubbed there in another container than its own (:func:`check_outputs`
    refuses one written onto itself): a video there of its name is its dub only where it is in the
    container it is written in (:func:`written_container`), with the wav beside it, and carries its
    picture, so that ``clip.mov`` (H.264, dubbed as ``clip.mp4``) and a video ``clip.mp4`` in ``d``
    with ``-o d`` are two inputs, not each other's dubs."""
    resolved = [Path(v).resolve() for v in videos]

    def dubs(video: Path, itself: Path) -> set[Path]:
        """The videos dubbing ``video`` may write, or has written beside it."""
        paths = {output_paths(video, Path(out_dir), suffix)[1].resolve() for suffix in CONTAINERS}
        if itself not in paths:
            return paths
        suffix = written_container(video)
        wav_path, dub = output_paths(video, Path(out_dir), suffix or "")
        return ({dub.resolve()} if suffix and dub.resolve() != itself and wav_path.exists() and dub.exists()
                and same_picture(video, dub) else set())

    outputs = set().union(*(dubs(video, itself) for video, itself in zip(videos, resolved)))
    kept = [v for v, r in zip(videos, resolved) if r not in outputs]
    return kept, [v for v, r in zip(videos, resolved) if r in outputs]


def process_share(n_videos: int, process: int, processes: int) -> range:
    """The positions of the videos that process ``process`` of ``processes`` dubs: every
    ``processes``-th one from ``process`` on. The shares differ by at most one video, cover each
    video once, and depend on nothing but the arguments, so processes that collected the same list
    need not talk to agree on them."""
    return range(process, n_videos, processes)


def merge_summaries(parts: list[BatchSummary], videos: list[Path]) -> BatchSummary:
    """One summary of a batch that several processes shared, each entry in the order of
    ``videos``: what one process dubbing them all would have reported."""
    position = {str(video): i for i, video in enumerate(videos)}

    def in_batch_order(entries: list) -> list:
        return sorted(entries, key=lambda e: position[e if isinstance(e, str) else e[0]])  # stable: notes keep theirs

    return BatchSummary(**{f.name: in_batch_order([e for part in parts for e in getattr(part, f.name)])
                           for f in fields(BatchSummary)})


def name_known_sounds_once(summary: BatchSummary, named: dict[str, tuple[str, str]]) -> None:
    """Make the batch's first silent-track note (in the summary's order) name the sounds the
    model knows, so that a batch, however many processes shared it, says them once. ``named``:
    video -> (its silent-track note as written, the same naming the sounds)."""
    for i, (video, note) in enumerate(summary.notes):
        if video in named and note.startswith(named[video][0]):
            plain, naming = named[video]
            summary.notes[i] = (video, naming + note[len(plain):])
            return


def name_clashes(videos: list[Path], out_dir: Path) -> dict[int, str]:
    """Positions of the videos whose outputs would collide with those of an earlier video of the
    same name, or whose output names are too long for ``out_dir``'s file system, with the reason;
    found over the whole batch, since the two may go to different processes."""
    first: dict[str, Path] = {}
    clashes = {}
    longest = name_max(out_dir)
    for i, video in enumerate(videos):
        if (n := max(len(p.name.encode()) for s in CONTAINERS for p in output_paths(video, out_dir, s))) > longest:
            clashes[i] = (f"{video}: its output names would be {n} bytes long, and the file system of {out_dir} "
                          f"takes {longest}; rename it")
        elif video.stem in first:
            clashes[i] = (f"{video}: same name as {first[video.stem]}; the outputs would collide (dub it on its own "
                          f"with another -o)")
        else:
            first[video.stem] = video
    return clashes


def output_paths(video: Path, out_dir: Path, suffix: str = ".mp4") -> tuple[Path, Path]:
    """OUT/<stem>.wav and OUT/<stem><suffix>."""
    return out_dir / f"{video.stem}.wav", out_dir / f"{video.stem}{suffix}"


def existing_dub(video: Path, out_dir: Path) -> Path | None:
    """The finished dub of a video named as ``video`` in ``out_dir``: its video, when the wav
    and a video next to it are both there (the pair is the unit of completion; a lone wav is
    not; ``video`` itself, in ``out_dir``, is no dub of it); else None."""
    wav_path, _ = output_paths(video, out_dir)
    if not wav_path.exists():
        return None
    return next((path for path in _dub_videos(video, out_dir) if path.exists()), None)


def _dub_videos(video: Path, out_dir: Path) -> list[Path]:
    """The paths in ``out_dir`` a dub of ``video`` may write its video at, ``video`` itself left out."""
    itself = Path(video).resolve()
    return [path for s in CONTAINERS if (path := output_paths(video, out_dir, s)[1]).resolve() != itself]


def unfinished_output(video: Path, out_dir: Path) -> Path | None:
    """A file in ``out_dir`` that dubbing ``video`` would write over although it is no
    finished dub (a wav without its video, a video without its wav, anything else of that
    name; not ``video`` itself), or None; such a file is never replaced without --overwrite."""
    if existing_dub(video, out_dir) is not None:
        return None
    return next((path for path in (output_paths(video, out_dir)[0], *_dub_videos(video, out_dir)) if path.exists()),
                None)


SETTINGS_KEY = "foley dub"  # the wav's comment tag: {"foley dub": {setting: value}, "silent": true or false}
SILENT_KEY = "silent"  # whether the dub's Foley track is silent


def _recorded(wav_path: Path) -> dict:
    """The JSON object of a dub's wav's comment tag; empty for a wav without one."""
    try:
        with sf.SoundFile(str(wav_path)) as f:
            recorded = json.loads(f.comment or "null")
    except (RuntimeError, OSError, ValueError):  # soundfile.LibsndfileError is a RuntimeError; JSONDecodeError a ValueError
        return {}
    return recorded if isinstance(recorded, dict) else {}


def recorded_settings(wav_path: Path) -> dict | None:
    """The settings that a dub's wav records in its comment tag; None for a wav without them
    (another program's, or a dub from before they were recorded)."""
    return _settings_of(_recorded(wav_path))


def _settings_of(tag: dict) -> dict | None:
    """The settings in a dub's wav's comment tag (:func:`_recorded`); None where it has none."""
    settings = tag.get(SETTINGS_KEY)
    return settings if isinstance(settings, dict) else None


def settings_changes(recorded: dict | None, wanted: dict) -> list[str]:
    """The settings in ``wanted`` that differ from those ``recorded``, in words
    (``seed 0, now 1``); none when nothing was recorded, and none of a setting it does not record (a dub
    from before that setting was recorded, such as ``threads``: whether it differs is not known)."""
    def said(value) -> str:
        if value is None:
            return "none given"
        if isinstance(value, str):
            return repr(value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value).lower() if isinstance(value, bool) else str(value)

    def pair(old, new) -> str:  # in full when the short forms read the same (5 and 5.0000001)
        return f"{said(old)}, now {said(new)}" if said(old) != said(new) else f"{old!r}, now {new!r}"

    if recorded is None:
        return []
    return [f"{key} {pair(recorded[key], value)}" for key, value in wanted.items()
            if key in recorded and recorded[key] != value]


def same_picture(video: Path, dubbed: Path) -> bool | None:
    """Whether ``dubbed`` carries ``video``'s picture (a dub copies the picture stream: the
    same size, frame count, duration within a frame and first frame's pixels); None when
    ``video`` cannot be read (its dubbing reports why) and False when ``dubbed`` cannot."""
    try:
        source = probe_video(video)
    except MediaError:
        return None
    try:
        done = probe_video(dubbed)
        if not ((source.width, source.height, source.frame_count) == (done.width, done.height, done.frame_count)
                and abs(source.duration_s - done.duration_s) <= 1.0 / max(source.fps, 1.0)):
            return False
        return first_frame_digest(video) == first_frame_digest(dubbed)
    except MediaError:
        return False


def _finished_wav(path: Path, video: Path) -> bool:
    """``path`` is a readable WAV as long as ``video`` (within 0.1 s; the dub writes it exactly
    as long), so not one cut short or another sound left there."""
    try:
        wav = sf.info(str(path))
        return wav.frames > 0 and abs(wav.frames / wav.samplerate - probe_video(video).duration_s) <= 0.1
    except (RuntimeError, OSError, MediaError):  # soundfile.LibsndfileError is a RuntimeError
        return False


def _readable_video(path: Path, moving: bool = False) -> bool:
    """``path`` is a readable video (a probe of the file); with ``moving``, one of at least two frames, as a
    dub needs."""
    try:
        info = probe_video(path)
        if moving:
            check_moving(info)
        return True
    except MediaError:
        return False


def needs_model(videos: list[Path], out_dir: str | os.PathLike, overwrite: bool) -> bool:
    """Whether any video of the whole batch will be generated: neither already dubbed (nor
    refused for a file of its outputs' names in their place) nor failed for a name clash, and
    readable and moving (a probe of the file: a batch of unreadable files and still images fails
    without loading a model).
    Every process sharing the batch gets the same answer."""
    out_dir = Path(out_dir)
    clashes = name_clashes(videos, out_dir)
    return any(i not in clashes and (overwrite or (existing_dub(v, out_dir) is None and unfinished_output(v, out_dir) is None))
               and _readable_video(v, moving=True) for i, v in enumerate(videos))


def written_container(video: Path) -> str | None:
    """The suffix of the container ``video``'s dub is written in (:func:`output_container`: an
    H.264 ``clip.mov``'s is ``.mp4``); None for a video that cannot be read or holds none (its dub
    fails before anything is written)."""
    try:
        return output_container(probe_video(video))
    except MediaError:
        return None


def check_outputs(videos: list[Path], out_dir: str | os.PathLike) -> None:
    """Refuse, before anything is generated, a batch whose outputs would land on one of its
    inputs (a video's wav, or its video in the container it is written in: ``clip.mov`` with
    ``-o`` its own folder is refused only where its picture stream goes into ``.mov``), or whose
    output folder cannot be written."""
    out_dir = Path(out_dir)
    inputs = {Path(v).resolve() for v in videos}
    for video in videos:
        for suffix in CONTAINERS:
            wav_path, video_path = output_paths(Path(video), out_dir, suffix)
            if wav_path.resolve() in inputs:
                raise FoleyError(f"{wav_path}: the wav of {Path(video).name}'s dub would overwrite this input; "
                                 "choose another output folder (-o)")
            if video_path.resolve() in inputs and written_container(Path(video)) == suffix:
                raise FoleyError(f"{video_path}: the dub of {Path(video).name} would be written there ({suffix} holds "
                                 "its picture stream as it is) and would overwrite this input video; choose another "
                                 "output folder (-o)")
    if out_dir.exists() and not out_dir.is_dir():
        raise FoleyError(f"{out_dir}: exists and is not a folder")
    if not out_dir.exists() and out_dir.suffix.lower() in {*CONTAINERS, *VIDEO_SUFFIXES, ".wav"}:  # e.g. -o out.mp4
        raise FoleyError(f"{out_dir}: -o names an output folder (each video's NAME.wav and NAME.mp4 go into it), "
                         f"not a file; give a folder, e.g. -o {out_dir.with_suffix('')}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FoleyError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    try:
        trial_write(out_dir)
    except OSError as e:
        raise FoleyError(f"{out_dir}: the output folder is not writable ({e.strerror or e})") from None


def read_original(info: VideoInfo) -> tuple[np.ndarray, int] | None:
    """A video's own track to mix under its Foley, (C, N) with C <= 2 (more channels downmixed to
    stereo), and its rate; None for a video without one. Read before the sound is generated: a
    track that cannot be read fails first. Raises MediaError for one that cannot be read."""
    return read_audio(info.path, sample_rate=None, mono=False, stereo=True) if info.has_audio else None


def finish_audio(foley: np.ndarray, sample_rate: int, info: VideoInfo, mix_original_db: float | None = None,
                 original: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, int, bool]:
    """The track to write, its rate, and whether the model made any sound (below
    ``NO_SOUND_PEAK_DBFS`` its output is replaced by silence, which normalization leaves silent).
    The Foley track (N,) at ``sample_rate`` is fitted to the picture and loudness-normalized. With
    ``mix_original_db`` and the ``original`` track (:func:`read_original`), it is mixed in on the picture's clock,
    its loudness ``mix_original_db`` LU from the Foley's (:func:`relative_gain`), at its own rate
    where that is higher and in its own channels (mono or stereo: more are downmixed to stereo),
    the Foley in each; the mix is normalized. Under a silent Foley track the original is the output
    as it is, level included."""
    n = round(info.duration_s * sample_rate)
    wav = fit_length(np.asarray(foley, np.float32), n)  # (n,)
    peak = float(np.abs(wav).max()) if n else 0.0
    heard = peak > 10 ** (NO_SOUND_PEAK_DBFS / 20)
    if not heard:
        wav = np.zeros(n, np.float32)
    if mix_original_db is None or original is None:
        return normalize_loudness(wav, sample_rate), sample_rate, heard
    original, own_rate = original  # (C, N'), C <= 2
    rate = max(own_rate, sample_rate)
    original = align_to_picture(resample(original, own_rate, rate), rate, info)  # (C, m)
    if not heard:  # nothing to mix it under
        return original, rate, heard
    foley = np.broadcast_to(fit_length(resample(wav, sample_rate, rate), original.shape[-1]), original.shape)  # (C, m)
    mix = foley + np.float32(relative_gain(original, foley, rate, mix_original_db)) * original  # as heard: in each channel
    return normalize_loudness(mix, rate), rate, heard


SILENT_NOTE = "no sound events found; the Foley track is silent"


def _dub_one(video: Path, out_dir: Path, generate: Callable[[Path], tuple[np.ndarray, int]],
             options: OutputOptions, silent_note: str | Callable[[Path], str]) -> tuple[list[str], bool]:
    """Write one video's outputs; returns the notes for the summary and whether the Foley track
    is heard (not silent). Every check that can fail does so before generating; the wav and the
    video reach their final paths together."""
    info = check_moving(probe_video(video))
    notes = []
    wants_original = options.keep_original or options.mix_original_db is not None
    if wants_original and not info.has_audio:
        notes.append("no original audio track to keep or mix; dubbed with the Foley track alone")
    elif wants_original and info.audio_tracks > 1:
        used = " and ".join(w for w, on in (("kept", options.keep_original),
                                            ("mixed", options.mix_original_db is not None)) if on)
        notes.append(f"it has {info.audio_tracks} audio tracks; the first is {used} as the original")
    if info.other_streams:
        notes.append(other_streams_note(info))
    if options.keep_original:
        check_original_keepable(info)
    suffix = output_container(info)
    if suffix != ".mp4":
        notes.append(f"written as {suffix}: its {info.codec} picture stream cannot go into .mp4 without re-encoding")
    wav_path, video_path = output_paths(video, out_dir, suffix)
    # outputs not there yet: one there by the end was written by another run meanwhile, and is kept
    fresh = set() if options.overwrite else {p for p in (wav_path, video_path) if not os.path.lexists(p)}
    wav_bytes = round(info.duration_s * options.sample_rate) * 2 if options.sample_rate else 0  # mono 16-bit at least
    check_free_space(out_dir, info.picture_bytes + wav_bytes, f"the dub of {video.name} (its picture stream"
                     + (" and its wav)" if wav_bytes else ")"))
    original = read_original(info) if options.mix_original_db is not None else None
    foley, sr = generate(video)
    wav, sr, heard = finish_audio(foley, sr, info, options.mix_original_db, original)
    del original
    del foley
    if not heard:
        note = silent_note(video) if callable(silent_note) else silent_note
        if info.has_audio and not wants_original:  # the output would drop a soundtrack without a word
            note += "; the video's own soundtrack is not in the output (--keep-original keeps it as a second track)"
        elif info.has_audio and options.mix_original_db is not None:  # nothing to mix it under
            note += "; the output's sound is the video's own soundtrack alone (--mix-original)"
            note += ", in one track (--keep-original would copy it again)" if options.keep_original else ""
        elif info.has_audio:  # kept: a player starts with it, not with the silence
            note += "; players start with the video's own soundtrack, kept as the second track"
        notes.append(note)
    with atomic_paths([wav_path, video_path], fresh) as (wav_part, video_part):  # both in place, or neither
        try:
            write_audio(wav_part, wav, sr, comment=json.dumps({SETTINGS_KEY: options.settings, SILENT_KEY: not heard})
                        if options.settings else None)
        except MediaError as e:  # said of the output, not of its temporary file
            raise MediaError(str(e).replace(str(wav_part), str(wav_path), 1)) from None
        del wav  # the muxer reads the written track back
        mixed = options.mix_original_db is not None and info.has_audio
        title = ("foley + original" if heard else "original") if mixed else "foley"  # what the track holds
        kept = options.keep_original and info.has_audio and title != "original"  # not the same track twice
        try:
            mux_audio(video, wav_part, video_part, keep_original=kept, sample_rate=sr, info=info, title=title,
                      original_default=not heard)
        except MediaError as e:  # said of the output, not of its temporary file
            raise MediaError(str(e).replace(str(video_part), str(video_path), 1)) from None
    return notes, heard


def dub_batch(videos: list[Path], out_dir: str | os.PathLike, generate: Callable[[Path], tuple[np.ndarray, int]],
              options: OutputOptions = OutputOptions(), on_start: Callable[[Path, int, int], None] | None = None,
              silent_note: str | Callable[[Path], str] = SILENT_NOTE, process: int = 0, processes: int = 1,
              on_failed: Callable[[Path, str], None] | None = None,
              on_skipped: Callable[[Path, int, int], None] | None = None,
              summary: BatchSummary | None = None) -> BatchSummary:
    """Dub every video (or, as process ``process`` of ``processes`` sharing the batch, its
    :func:`process_share`); a failure is recorded with its reason and the batch goes on.
    ``silent_note`` (or ``silent_note(video)``, asked after ``generate(video)``) is the
    summary's note on a video whose Foley track is silent. ``on_start(video, i, n)`` gets the
    video's position in the whole batch, as ``on_skipped(video, i, n)`` for one already dubbed
    (skipped even when its wav records other ``options.settings``: a note names them);
    ``on_failed(video, reason)`` hears of each failure as it happens (the summary lists them
    all at the end). ``summary``: the summary to fill in as the batch goes (a caller whose batch
    is interrupted still has what was done).

    Raises FoleyError at once (nothing generated) if an output could overwrite an input or
    the output folder cannot be written; every process sharing the batch checks the same.
    """
    out_dir = Path(out_dir)
    new_folders = [] if processes > 1 else missing_folders(out_dir)  # a shared batch's folder is every process's
    check_outputs(videos, out_dir)
    with removed_if_empty(new_folders):  # a batch that wrote nothing (all failed, interrupted) leaves no folder
        summary = BatchSummary() if summary is None else summary
        clashes = name_clashes(videos, out_dir)

        def failed(video: Path, reason: str) -> None:
            summary.failed.append((str(video), reason))
            if on_failed:
                on_failed(video, reason)

        share = process_share(len(videos), process, processes)
        for i in (i for i in share if i in clashes):  # said before anything is generated
            failed(videos[i], clashes[i])
        for i in (i for i in share if i not in clashes):
            video = videos[i]
            dubbed = None if options.overwrite else existing_dub(video, out_dir)
            same = None if dubbed is None else same_picture(video, dubbed)
            wav_path = output_paths(video, out_dir)[0]
            if same and _finished_wav(wav_path, video):
                summary.skipped.append(str(video))
                tag = _recorded(wav_path)  # read once: whether it is silent, and its settings
                summary.silent_skipped += [str(video)] if tag.get(SILENT_KEY) is True else []
                if changes := settings_changes(_settings_of(tag), options.settings):
                    summary.notes.append((str(video), f"dubbed earlier with other settings ({'; '.join(changes)}); "
                                                      "--overwrite dubs it again"))
                if on_skipped:
                    on_skipped(video, i, len(videos))
                continue
            if on_start:
                on_start(video, i, len(videos))
            if same is not None:  # never replaced without being asked
                what = (f"{wav_path}: empty, not a readable WAV or not as long as the video (cut short?)" if same else
                        f"{dubbed}: the dub of another video named {video.name}" if _readable_video(dubbed) else
                        f"{dubbed}: not a readable video (cut short?)")
                failed(video, f"{what}; --overwrite replaces it, or choose another output folder (-o)")
                continue
            folder = next((p for s in CONTAINERS for p in output_paths(video, out_dir, s) if p.is_dir()), None)
            if folder is not None:
                failed(video, f"{folder}: a folder is in the place of an output; move it, or choose another output folder (-o)")
                continue
            if not options.overwrite and (present := unfinished_output(video, out_dir)) is not None:
                partner = "video" if present.suffix == ".wav" else "wav"
                failed(video, f"{present}: exists without a {partner} of its name beside it, so it is no finished dub "
                              "(a dub whose other file was removed, or another file); "
                              "--overwrite replaces it, or choose another output folder (-o)")
                continue
            try:
                notes, heard = _dub_one(video, out_dir, generate, options, silent_note)
            except FoleyError as e:
                failed(video, str(e))
                continue
            except OSError as e:  # the file system refused an output: that video fails, the batch goes on
                failed(video, f"{e.filename2 or e.filename or out_dir}: cannot write the output ({e.strerror or e})")
                continue
            summary.done.append(str(video))
            summary.silent += [] if heard else [str(video)]
            summary.notes += [(str(video), note) for note in notes]
        return summary
