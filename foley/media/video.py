"""Video probing and frame decoding at an arbitrary target rate.

Frames are sampled on the time base's grid (t_k = k / fps) by picking, for each t_k, the
decoded frame whose presentation timestamp is nearest (ties, to within TIE_S, go to the earlier frame).
Timestamps are read per frame, so variable-frame-rate files are sampled correctly.

Times are those a player shows: packets that an edit list drops are not frames, the
first displayed frame is t = 0, and a display matrix (phone videos) turns the frames
upright before they are resized.

Decoding is streamed in chunks and each frame is resized inside the decoder, so memory
stays bounded for long or high-resolution videos. PyAV (FFmpeg's libraries) decodes first;
decord is the fallback. (decord first was faster, but it can hang on corrupt input.)
"""
from __future__ import annotations

import hashlib
import math
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Iterator

import av
import av.logging
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import MediaError
from .ffmpeg import local_file
from .inputs import INDEX_CUT, check_input_file, check_not_cut_short, without_index

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".3gp", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
                  ".flv")  # a folder's videos; a file given by name is read whatever its suffix


@dataclass(frozen=True)
class VideoInfo:
    path: str
    duration_s: float  # first displayed frame's timestamp to the end of the last one
    fps: float  # frame_count / duration_s (the average rate for variable-frame-rate files)
    frame_count: int  # displayed frames (an edit list's dropped frames not counted)
    width: int  # displayed size: the coded size turned by ``rotation``
    height: int
    codec: str
    has_audio: bool
    variable_frame_rate: bool
    rotation: int = 0  # degrees the picture is turned counter-clockwise for display (0, 90, 180, 270)
    start_s: float = 0.0  # first displayed frame, seconds after the file's start time
    audio_start_s: float | None = None  # first sample of the first audio track, seconds after the file's start
    audio_tracks: int = 0
    other_streams: int = 0  # streams besides the picture and the audio (subtitles, a second picture, data)
    stream_index: int = 0  # the picture stream's index in the file (FFmpeg's best video stream)
    picture_bytes: int = 0  # the size of the picture stream's packets (what a dub copies)

    def to_dict(self) -> dict:
        return asdict(self)


# Limits far above any request made in earnest, so that a slip (fps=1e9, a frame size of 20,000) is refused at once
# instead of exhausting memory. Sampling faster than a video's own rate only repeats its frames, and cameras outside
# the lab record at most about 1,000 frames a second (an hour's grid at MAX_FPS is 36 M timestamps, 0.3 GB). Frame
# encoders read frames of 224 to about 1,000 px; a 4096 x 4096 frame is 50 MB (a chunk of 64 of them 3.2 GB), and
# one of 20,000 px 1.2 GB. Frames of a larger video are had as decoded (size None).
MAX_FPS = 10_000
MAX_FRAME_SIZE = 4096


@dataclass(frozen=True)
class FrameSpec:
    """How decoded frames are shaped: short side resized to ``size`` then center-cropped
    to ``size`` x ``size`` (CLIP's preprocessing geometry). ``size=None`` keeps the native
    resolution. Raises MediaError for a size that is no whole number of pixels from 1 to
    MAX_FRAME_SIZE."""

    size: int | None = 224

    def __post_init__(self):
        if self.size is not None and (isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer))
                                      or self.size < 1):
            raise MediaError(f"frame size must be a whole number of pixels from 1 on (or None: as decoded), "
                             f"not {self.size!r}")
        if self.size is not None and self.size > MAX_FRAME_SIZE:
            raise MediaError(f"frame size must be at most {MAX_FRAME_SIZE} pixels (or None: as decoded), not "
                             f"{self.size}: frames that large would fill the memory")


def quiet_ffmpeg_log() -> None:
    """Stop PyAV forwarding FFmpeg's log lines (torchvision, imported with the frame encoder,
    turns them on): they repeat, less clearly, what foley reports about the same file."""
    av.logging.set_level(None)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(local_file(path), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        if without_index(path):
            raise MediaError(INDEX_CUT.format(path)) from None
        raise MediaError(f"{path}: not a readable media file ({_reason(e)})") from None


def _picture(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The video stream a player shows: FFmpeg's best video stream (the default one, with the
    most frames, not a cover-art picture), as decord reads too; None when there is none."""
    return container.streams.best("video")


def _reason(e: Exception) -> str:
    if isinstance(e, av.error.EOFError):
        return "it ends before any media data: empty or truncated"
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return text.splitlines()[0].strip().rstrip(":")


@dataclass(frozen=True)
class _Timing:
    times: np.ndarray  # (frame_count,) presentation times of the displayed frames, from 0
    duration_s: float
    start_s: float
    audio_start_s: float | None
    rotation: int
    stream: av.video.stream.VideoStream
    audio_tracks: int
    other_streams: int
    aspect: Fraction  # a pixel's width over its height (1 unless the picture is anamorphic)
    index: int  # the picture stream's index in the file
    picture_bytes: int  # the picture stream's packets, in bytes


def _rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """Counter-clockwise display rotation (multiple of 90) from the first frame's display matrix."""
    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation / 90)) % 4 * 90
    except av.error.FFmpegError:
        pass  # undecodable files fail later, with the decoder's reason
    return 0


_DISCARD_ALL = 48  # FFmpeg's AVDISCARD_ALL

# MPEG transport and program streams: broadcast and camcorder formats whose demuxers drop damaged
# packets, so a loss never reaches the decoder: it shows only as a gap in the picture's timestamps.
_DROPPING_FORMATS = {"mpegts", "mpeg"}
# A gap counts as a hole from this many frame intervals and this long on: a 3:2 pulldown's 1.5 intervals,
# a variable rate's dropped duplicates and pictures that share a timestamp are no holes.
_HOLE_INTERVALS, _HOLE_S = 4.0, 0.25


def _check_no_holes(path: Path, times: np.ndarray, max_share: float = 0.05) -> None:
    """Raise MediaError when the holes in ``times`` (sorted presentation times, s) add up to
    more than ``max_share`` of the picture's length."""
    gaps = np.diff(times)
    steps = gaps[gaps > 0]
    if not len(steps):
        return
    interval = float(np.median(steps))
    holes = gaps > max(_HOLE_INTERVALS * interval, _HOLE_S)
    missing = float((gaps[holes] - interval).sum())
    if missing > max_share * (times[-1] + interval):
        k = int(np.argmax(gaps))
        raise MediaError(f"{path}: corrupt video: its picture has gaps of {missing:.2f} s in all (the longest "
                         f"{gaps[k]:.2f} s, at {times[k]:.2f} s): frames lost, or timestamps that jump")


def _frame_step(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> int:
    """How long ``frame`` shows, in ``stream``'s time base: its own duration, else one interval
    of the stream's rate (0 when neither is known)."""
    if frame.duration:
        return frame.duration
    rate = stream.guessed_rate or stream.average_rate
    return round(1 / (rate * stream.time_base)) if rate else 0


class _PictureClock:
    """The presentation time (``stream``'s time base) of each decoded picture, in display
    order, for streams some of whose pictures carry no timestamp in the file (H.264 or HEVC in
    an MPEG program stream: the muxer stamps a packet, not every picture in it). An unstamped
    picture follows the one before it by that one's duration; once one has been seen, a stamp
    within 3 durations of where the picture falls anyway is taken for a neighbour's (the
    decoder can hand a packet's stamp to another picture of it) and the picture stays in its
    place, while a farther one (frames lost, a jump) is kept. Pictures before the first
    stamped one have no time (None)."""

    def __init__(self, stream: av.video.stream.VideoStream):
        self.stream, self.last, self.step, self.guessing = stream, None, 0, False

    def time(self, frame: av.VideoFrame) -> int | None:
        due = None if self.last is None else self.last + self.step
        if frame.pts is None:
            self.guessing, t = True, due
        elif self.guessing and due is not None and abs(frame.pts - due) < 3 * self.step:
            t = due
        else:
            t = frame.pts
        if t is not None:
            self.last, self.step = t, _frame_step(frame, self.stream)
        return t


def _decoded_times(path: Path) -> tuple[list[int], list[int]]:
    """Presentation times and durations (the stream's time base) of the decoded pictures that
    ``_PictureClock`` times, for a stream some of whose pictures carry no timestamp."""
    pts, durations = [], []
    with _open(path) as container:
        stream = _picture(container)
        clock = _PictureClock(stream)
        try:
            for frame in _decode_tolerant(container, stream):
                if (t := clock.time(frame)) is not None:
                    pts.append(t)
                    durations.append(clock.step)
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: corrupt or truncated video ({_reason(e)})") from None
    return pts, durations


def _frame_times(path: Path) -> _Timing:
    """Presentation times of the displayed video frames from the packets (an edit list's
    dropped packets left out), the end time of the last frame and where picture and audio
    start in the file."""
    container = _open(path)
    with container:
        stream = _picture(container)
        if stream is None:
            raise MediaError(f"{path}: is audio-only, it has no video stream" if container.streams.audio
                             else f"{path}: has no video frames")
        aspect, index = stream.sample_aspect_ratio, stream.index  # read while the file is open
        aspect = Fraction(aspect) if aspect and aspect > 0 else Fraction(1)
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_tracks = len(container.streams.audio)
        # a timecode track of the picture's own timecode is kept: the picture's timecode goes with it; so
        # is a QuickTime chapter track (data that FFmpeg's demuxer discards), written again from the chapters
        timecode = stream.metadata.get("timecode")
        other_streams = sum(s is not stream and s.type != "audio" and not (
            s.type == "data" and (timecode is not None and s.metadata.get("timecode") == timecode
                                  or s.discard == _DISCARD_ALL))
            for s in container.streams)
        file_start = (container.start_time or 0) / av.time_base
        pts, durations, unstamped, picture_bytes = [], [], 0, 0
        try:
            for packet in container.demux(stream):
                picture_bytes += 0 if packet.is_discard else packet.size  # a dub copies at least these
                if packet.pts is None or packet.is_discard:  # an empty packet with a time: the same picture again
                    unstamped += packet.pts is None and packet.size > 0 and not packet.is_discard
                    continue
                pts.append(packet.pts)
                durations.append(packet.duration or 0)
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: corrupt or truncated video ({_reason(e)})") from None
        if unstamped:  # pictures whose time only the decoder knows (it follows the one before)
            pts, durations = _decoded_times(path)
        if not pts and unstamped:  # a raw stream (H.264 Annex B, say): a player guesses a rate, foley does not
            raise MediaError(f"{path}: its {unstamped} pictures carry no times (a raw video stream); put it in a "
                             f"container at its frame rate first (ffmpeg -framerate FPS -i {path.name} -c copy "
                             f"{path.stem}.mp4)")
        if not pts:
            raise MediaError(INDEX_CUT.format(path) if without_index(path) else
                             f"{path}: the video stream has no frames")
        base = float(stream.time_base)
        order = np.argsort(pts, kind="stable")
        times = np.asarray(pts, dtype=np.float64)[order] * base
        last_duration = durations[order[-1]] * base
        if last_duration <= 0:
            gaps = np.diff(times)
            last_duration = float(np.median(gaps)) if len(gaps) else 1.0 / float(stream.average_rate or 25)
        end = times[-1] + last_duration
        start = times[0]
        if container.format.name in _DROPPING_FORMATS:
            _check_no_holes(path, times - start)
        # an AVI's is FFmpeg's guess where its header gives none (one written to a pipe); its RIFF size is checked
        declared = float(stream.duration * stream.time_base) if stream.duration and container.format.name != "avi" \
            else None
        if declared is not None and end - start < declared - max(0.5, 2 * last_duration):
            raise MediaError(f"{path}: truncated: frames stop at {end - start:.2f} s of the "
                             f"{declared:.2f} s the header declares")
        audio_start = (None if audio is None else
                       float(audio.start_time * audio.time_base) - file_start if audio.start_time is not None else 0.0)
    with _open(path) as again:  # a fresh demuxer: the one above is at the end of the file
        rotation = _rotation(again, _picture(again))
    return _Timing(times - start, end - start, start - file_start, audio_start, rotation, stream, audio_tracks,
                   other_streams, aspect, index, picture_bytes)


def check_moving(info: VideoInfo, said: str = "") -> VideoInfo:
    """``info`` of a video with at least two frames; MediaError (``said`` before its path) for a
    still image (a picture file, or a video of one frame): it has no time for sound to happen in."""
    if info.frame_count < 2:
        raise MediaError(f"{said}{info.path}: a still image ({info.codec}, one frame), not a video")
    return info


def probe_video(path: str | Path) -> VideoInfo:
    """Duration, frame rate, frame count, size, codec and audio presence of a video. Raises
    MediaError for a file that cannot be read or is cut short."""
    path = check_input_file(path)
    check_not_cut_short(path)
    timing = _frame_times(path)
    width, height = timing.stream.codec_context.width, timing.stream.codec_context.height
    if width < 1 or height < 1:
        raise MediaError(f"{path}: the video stream has no picture size (corrupt header)")
    if timing.aspect != 1:  # an anamorphic picture: the displayed size, as a player shows it
        width = max(1, round(width * timing.aspect))
    if timing.rotation in (90, 270):
        width, height = height, width
    gaps = np.diff(timing.times)
    vfr = bool(len(gaps) > 1 and (gaps.max() - gaps.min()) > 0.25 * float(np.median(gaps)))
    return VideoInfo(
        path=str(path),
        duration_s=float(timing.duration_s),
        fps=len(timing.times) / float(timing.duration_s),
        frame_count=len(timing.times),
        width=width,
        height=height,
        codec=timing.stream.codec_context.codec.canonical_name,  # "av1", not its decoder's name ("libdav1d")
        has_audio=timing.audio_start_s is not None,
        variable_frame_rate=vfr,
        rotation=timing.rotation,
        start_s=float(timing.start_s),
        audio_start_s=timing.audio_start_s,
        audio_tracks=timing.audio_tracks,
        other_streams=timing.other_streams,
        stream_index=timing.index,
        picture_bytes=timing.picture_bytes,
    )


def has_picture(path: str | Path) -> bool:
    """Whether ``path`` holds a video stream (an audio-only .mp4 or .webm holds none). Raises
    MediaError for a file that cannot be opened."""
    path = check_input_file(path)
    with _open(path) as container:
        return _picture(container) is not None


def first_frame_digest(path: str | Path) -> str:
    """SHA-256 of the first displayed frame's pixels (RGB): two files whose picture streams
    hold the same coded frames, as a dub and its source do, share it. Raises MediaError."""
    path = check_input_file(path)
    with _open(path) as container:
        if (stream := _picture(container)) is None:
            raise MediaError(f"{path}: no video stream")
        try:
            frame = next(_decode_tolerant(container, stream), None)
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: the picture does not decode ({_reason(e)})") from None
    if frame is None:
        raise MediaError(f"{path}: no frame decodes")
    return hashlib.sha256(frame.to_ndarray(format="rgb24").tobytes()).hexdigest()


def sample_times(duration_s: float, fps: float) -> np.ndarray:
    """The sampling grid t_k = k / fps covering [0, duration_s)."""
    n = max(1, math.ceil(duration_s * fps - 1e-6))
    return np.arange(n, dtype=np.float64) / fps


# Distances (s) this close are a tie: k / fps and a frame's time carry float rounding, which would otherwise decide
# the ties of a rate sampled at a multiple of it (25 fps at 50 Hz: every other target is midway between two frames).
TIE_S = 1e-9


def nearest_frames(frame_times: np.ndarray, targets: np.ndarray, tie_s: float = TIE_S) -> np.ndarray:
    """Index of the frame whose timestamp is nearest each target (ties, to within ``tie_s``: earlier frame)."""
    right = np.searchsorted(frame_times, targets, side="left").clip(1, len(frame_times) - 1)
    left = right - 1
    if len(frame_times) == 1:
        return np.zeros(len(targets), dtype=np.int64)
    pick_right = (frame_times[right] - targets) < (targets - frame_times[left]) - tie_s
    return np.where(pick_right, right, left)


def _resize_dims(width: int, height: int, size: int | None) -> tuple[int, int]:
    if size is None:
        return width, height
    scale = size / min(width, height)
    return max(size, round(width * scale)), max(size, round(height * scale))


def _center_crop(frames: np.ndarray, size: int | None) -> np.ndarray:
    """(N, H, W, 3) -> (N, size, size, 3)."""
    if size is None:
        return frames
    h, w = frames.shape[1:3]
    top, left = (h - size) // 2, (w - size) // 2
    return frames[:, top:top + size, left:left + size]


class _BackendError(Exception):
    """A decoder library failed on a file."""


def _iter_decord(path: Path, targets: np.ndarray, dims: tuple[int, int], chunk: int) -> Iterator[np.ndarray]:
    """``dims``: the displayed (width, height); decord turns frames upright itself."""
    import decord

    decord.logging.set_level(decord.logging.QUIET)
    try:
        # One decoder thread: decord's threaded decoding can deadlock on corrupt input.
        vr = decord.VideoReader(local_file(path), ctx=decord.cpu(0), width=dims[0], height=dims[1], num_threads=1)
        times = vr.get_frame_timestamp(np.arange(len(vr)))[:, 0].astype(np.float64)
        shown = np.flatnonzero(times >= -1e-6)  # an edit list's dropped frames have negative times
        if not len(shown):
            raise _BackendError("no displayed frames")
        # decord gives float32 times: a tie is one to within their rounding (0.9 ms an hour in)
        tie_s = TIE_S + 2 * float(np.finfo(np.float32).eps) * float(np.abs(times[shown]).max())
        picks = shown[nearest_frames(times[shown] - times[shown[0]], targets, tie_s)]
        for start in range(0, len(targets), chunk):
            unique, inverse = np.unique(picks[start:start + chunk], return_inverse=True)
            yield vr.get_batch(unique.tolist()).asnumpy()[inverse]  # (n, H, W, 3)
    except decord.DECORDError as e:
        last = str(e).split("Stack trace")[0].strip().splitlines()[-1]
        # "[01:08:17] /src/video/video_reader.cc:270: [file] Failed to ..." -> "Failed to ..."
        raise _BackendError(re.sub(r"^(\[[\d:]+\] )?\S+:\d+: (\[[^\]]*\] )?", "", last)) from None


def _decode_tolerant(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                     max_refused: int | None = None) -> Iterator[av.VideoFrame]:
    """The stream's frames, packet by packet. An empty packet with a timestamp (Theora's
    "same picture again") is not sent: libavcodec takes an empty packet for the end of the
    stream and refuses every packet after it. A packet the decoder refuses is skipped, as
    the ffmpeg command line does, up to ``max_refused`` of them (None: any number); one more
    raises MediaError, since the picture is then held still where it is lost. Raises when no packet
    at all decodes."""
    decoded, refused, error, first = 0, 0, None, None
    for packet in container.demux(stream):
        if packet.size == 0 and packet.pts is not None:
            continue
        try:
            frames = packet.decode()
        except (av.error.InvalidDataError, av.error.ArgumentError) as e:
            # without its traceback, which holds this frame and so the decoder: a cycle that only the garbage
            # collector frees, in a forked worker too, where freeing the decoder waits for threads fork did not copy
            error, refused = e.with_traceback(None), refused + 1
            first = first if first is not None or packet.pts is None else float(packet.pts * stream.time_base)
            if max_refused is not None and refused > max_refused:
                where = f", the first at {first - float((stream.start_time or 0) * stream.time_base):.2f} s" \
                    if first is not None else ""
                raise MediaError(f"{container.name}: corrupt video: more than {max_refused} of its frames cannot be "
                                 f"decoded ({_reason(e)}{where})")
            continue
        decoded += len(frames)
        yield from frames
    if not decoded and error is not None:
        raise error


def _iter_pyav(path: Path, targets: np.ndarray, dims: tuple[int, int], chunk: int, turns: int = 0,
               max_refused: int | None = None) -> Iterator[np.ndarray]:
    """Sequential decode; a decoded frame is kept only until the next one arrives, and
    converted to RGB only if some target picks it, in a second thread while decoding goes
    on. ``dims``: the displayed (width, height); frames are decoded at the coded size and
    turned ``turns`` x 90 degrees counter-clockwise (the display matrix). The decoder
    outputs only the frames an edit list shows; ``max_refused`` as in ``_decode_tolerant``."""
    width, height = dims[::-1] if turns % 2 else dims
    # One reformatter for the whole stream keeps its scaler: a frame's own to_ndarray builds a new one each time.
    reformatter = VideoReformatter()

    def to_rgb(frame: av.VideoFrame) -> np.ndarray:
        rgb = reformatter.reformat(frame, width=width, height=height, format="rgb24").to_ndarray()  # (h, w, 3) coded
        return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb  # (H, W, 3) upright

    out: list[Future] = []
    k = 0
    prev_t, prev, prev_rgb, t0 = 0.0, None, None, None

    def emit_prev():
        nonlocal prev_rgb, k
        if prev_rgb is None:
            prev_rgb = convert.submit(to_rgb, prev)  # PyAV releases the GIL while it scales
        out.append(prev_rgb)
        k += 1

    def stacked() -> np.ndarray:
        return np.stack([f.result() for f in out])  # (n, H, W, 3)

    with ThreadPoolExecutor(1) as convert, _open(path) as container:
        stream = _picture(container)
        stream.thread_type = "SLICE"  # frame threading can deadlock in avcodec_free_context after corrupt input
        clock = _PictureClock(stream)  # every picture's time, stamped in the file or not
        for frame in _decode_tolerant(container, stream, max_refused):
            if (pts := clock.time(frame)) is None:  # before any stamped picture: no time to count from
                continue  # (the probe leaves it out too)
            t = float(pts * stream.time_base)
            t0 = t if t0 is None else t0
            t -= t0
            # Targets nearer to the previous frame than to this one (ties, to within TIE_S: previous) take it.
            while prev is not None and k < len(targets) and targets[k] - prev_t <= t - targets[k] + TIE_S:
                emit_prev()
                if len(out) == chunk:
                    yield stacked()
                    out = []
            prev_t, prev, prev_rgb = t, frame, None
        if prev is None:
            raise MediaError(f"{path}: the video stream has no frames")
        while k < len(targets):
            emit_prev()
            if len(out) == chunk:
                yield stacked()
                out = []
        if out:
            yield stacked()


BACKENDS = ("auto", "pyav", "decord")  # iter_frames's decoders: "auto" is PyAV, then decord


def iter_frames(
    path: str | Path,
    fps: float = 21.5,
    spec: FrameSpec = FrameSpec(),
    chunk: int = 64,
    backend: str = "auto",
) -> Iterator[np.ndarray]:
    """Yield chunks of frames sampled at ``fps`` (Hz): uint8 arrays (n <= chunk, H, W, 3).

    All chunks together hold ``ceil(duration * fps)`` frames, frame k being the one
    nearest t_k = k / fps. ``backend`` is "auto" (PyAV, then decord), "decord" or "pyav".
    Raises MediaError (at the first chunk) for a rate (above 0, at most MAX_FPS), a ``spec``, a
    chunk size (a whole number from 1 on) or a backend not of these, and for a file that cannot be read.
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.number)) or not (fps > 0 and math.isfinite(fps)):
        raise MediaError(f"frame rate must be a positive number of frames a second, got {fps!r}")
    if fps > MAX_FPS:
        raise MediaError(f"frame rate must be at most {MAX_FPS:,} frames a second, got {fps:g}: sampling faster than "
                         "a video's own rate only repeats its frames")
    if not isinstance(spec, FrameSpec):
        raise MediaError(f"spec must be a FrameSpec (e.g. FrameSpec(size=224)), not {spec!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise MediaError(f"chunk must be a whole number of frames from 1 on, not {chunk!r}")
    if backend not in BACKENDS:
        raise MediaError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    info = probe_video(path)
    path = Path(info.path)
    targets = sample_times(info.duration_s, fps)
    dims = _resize_dims(info.width, info.height, spec.size)  # displayed (width, height)
    # "auto" decodes with PyAV first: decord can hang (not fail) on corrupt input. A few frames that
    # cannot be decoded are held over by the ones before them; more than 5 % of them fail the video.
    pyav = partial(_iter_pyav, turns=info.rotation // 90, max_refused=max(2, info.frame_count // 20))
    backends = {"auto": (pyav, _iter_decord), "decord": (_iter_decord,), "pyav": (pyav,)}[backend]
    for i, backend_fn in enumerate(backends):
        produced = 0
        try:
            for frames in backend_fn(path, targets, dims, chunk):
                produced += len(frames)
                yield _center_crop(frames, spec.size)
            return
        except (_BackendError, av.error.FFmpegError) as e:
            # Fall back only if nothing was handed out yet; otherwise the stream would repeat.
            if produced or i == len(backends) - 1:
                raise MediaError(f"{path}: cannot decode the video ({_reason(e)})") from None


def decode_frames(
    path: str | Path, fps: float = 21.5, spec: FrameSpec = FrameSpec(), backend: str = "auto"
) -> np.ndarray:
    """All frames sampled at ``fps`` as one uint8 array (N, H, W, 3). For long videos use
    :func:`iter_frames`, which keeps memory bounded."""
    return np.concatenate(list(iter_frames(path, fps, spec, backend=backend)), axis=0)
