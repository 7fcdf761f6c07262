"""Put generated audio into a video without touching its picture."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import av
import numpy as np

from ..errors import MediaError
from .audio import read_audio, write_audio
from .ffmpeg import local_file, run_ffmpeg
from .files import atomic_path, check_writable
from .video import VideoInfo, probe_video

# Audio tracks already in one of these codecs are copied as they are when kept.
_COPYABLE_AUDIO = {"aac", "mp3", "alac", "opus", "ac3", "eac3"}


def fit_length(wav: np.ndarray, n_samples: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly ``n_samples``."""
    if wav.shape[-1] >= n_samples:
        return wav[..., :n_samples]
    pad = [(0, 0)] * (wav.ndim - 1) + [(0, n_samples - wav.shape[-1])]
    return np.pad(wav, pad)


ORIGINAL_KBPS = (128, 512)  # the AAC rate of a video's own track when it is encoded again: its own, within these
AAC_MAX_CHANNELS = 8  # FFmpeg's AAC encoder takes up to 7.1


def _first_audio_track(path: Path) -> tuple[str, float | None, str, int] | None:
    """Codec, end time (s after the file's start; None if unknown), the AAC rate to encode it
    again at ("384k" for a 5.1 track of 384 kb/s; 64 kb/s a channel where the file does not say)
    and the channels of the first audio track."""
    with av.open(local_file(path), metadata_errors="ignore") as c:
        if not c.streams.audio:
            return None
        stream = c.streams.audio[0]
        end = None
        if stream.duration is not None and stream.start_time is not None:
            end = float((stream.start_time + stream.duration) * stream.time_base) - (c.start_time or 0) / av.time_base
        rate = (stream.bit_rate or stream.codec_context.bit_rate or 64_000 * stream.codec_context.channels) // 1000
        rate = f"{min(max(rate, ORIGINAL_KBPS[0]), ORIGINAL_KBPS[1])}k"
        return stream.codec_context.name, end, rate, stream.codec_context.channels


def _copies_original(info: VideoInfo, codec: str, end: float | None) -> bool:
    """Whether a kept original track (codec, end as ``_first_audio_track`` reads them) is copied as
    it is: its codec fits the containers and it lies within the picture."""
    within = (end is not None and end <= info.start_s + info.duration_s + 1e-3
              and info.audio_start_s >= info.start_s - 1e-3)
    return codec in _COPYABLE_AUDIO and within


def check_original_keepable(info: VideoInfo) -> None:
    """Raise MediaError when ``mux_audio(keep_original=True)`` cannot keep the probed video's own
    track: one it encodes again to AAC with more than AAC_MAX_CHANNELS channels (a recorder's 16).
    Checked before the sound is generated."""
    original = _first_audio_track(Path(info.path)) if info.has_audio else None
    if original is not None and original[3] > AAC_MAX_CHANNELS and not _copies_original(info, *original[:2]):
        raise MediaError(f"{info.path}: its audio track has {original[3]} channels and cannot be kept as a second "
                         f"track (it would be encoded to AAC, which holds at most {AAC_MAX_CHANNELS})")


def _file_start(path: Path) -> float:
    """The start time of the file (s; what ``VideoInfo``'s times are counted from)."""
    with av.open(local_file(path), metadata_errors="ignore") as c:
        return (c.start_time or 0) / av.time_base


def align_to_picture(original: np.ndarray, sample_rate: int, info: VideoInfo) -> np.ndarray:
    """A video's own track (..., N), read from its first sample, placed on the picture's
    clock: sample 0 is heard with the first displayed frame, and it lasts as the picture does."""
    if info.audio_start_s is None:
        raise MediaError(f"{info.path}: has no audio track")
    shift = round((info.audio_start_s - info.start_s) * sample_rate)  # > 0: the sound starts after the picture
    if shift > 0:
        original = np.pad(original, [(0, 0)] * (original.ndim - 1) + [(shift, 0)])
    else:
        original = original[..., -shift:]
    return fit_length(original, round(info.duration_s * sample_rate))


# Picture streams are copied, never re-encoded: the first of these containers that takes
# the stream as it is holds the output.
CONTAINERS = (".mp4", ".mov", ".mkv")


def _decodes(path: Path) -> bool:
    """Whether the video packets of ``path`` decode without error (a muxer may write what no
    reader takes; packets an edit list drops may decode to no frame, which is fine)."""
    try:
        with av.open(local_file(path), metadata_errors="ignore") as c:
            for _ in c.decode(video=0):
                pass
        return True
    except (av.error.FFmpegError, IndexError):
        return False


def other_streams_note(info: VideoInfo) -> str:
    """What to tell of a video's streams besides its picture and audio: a dub copies the
    picture stream a player shows and writes its own sound, so they are not in the output."""
    n = info.other_streams
    return (f"its {n} other stream{'s' if n != 1 else ''} (subtitles, a second picture, cover art or data) "
            f"{'are' if n != 1 else 'is'} not in the output, which holds the picture stream a player shows")


def output_container(info: VideoInfo) -> str:
    """The suffix of the first container in ``CONTAINERS`` that holds the probed video's
    picture stream copied as it is: a trial mux of a few frames must succeed and decode again
    (e.g. FFmpeg writes raw yuv420p into .mov, but nothing can read it back)."""
    with tempfile.TemporaryDirectory(prefix="foley-mux-") as tmp:
        for suffix in CONTAINERS:
            trial = Path(tmp) / f"trial{suffix}"
            try:
                run_ffmpeg(["-i", local_file(info.path), "-map", f"0:{info.stream_index}", "-c", "copy",
                            "-frames:v", "3", str(trial)], what="trial")
            except MediaError:
                continue
            if _decodes(trial):
                return suffix
    raise MediaError(f"{info.path}: no container ({', '.join(CONTAINERS)}) takes its {info.codec} picture stream "
                     "without re-encoding")


MOV_SUFFIXES = (".mp4", ".m4v", ".mov")  # the files FFmpeg's mov muxer writes


def _audio_codec(index: int, out: Path, bitrate: str) -> list[str]:
    """FFmpeg's options that encode the output's audio track ``index``: in an mp4 or mov AAC at
    ``bitrate``, whose edit list cuts the track to the sample; in Matroska, which cuts no AAC
    track, FLAC (lossless, its last frame as short as the track), so that the track ends with the
    picture there too (AAC's would run on to the end of its last 1024-sample frame: 4.096 s under
    4.08 s of picture at 16 kHz)."""
    if out.suffix.lower() in MOV_SUFFIXES:
        return [f"-c:a:{index}", "aac", f"-b:a:{index}", bitrate]
    return [f"-c:a:{index}", "flac"]


def _track_name(index: int, name: str, out: Path) -> list[str]:
    """FFmpeg's options that name the output's audio track ``index`` as players show it: in an mp4
    or mov the handler's name, and no ``title`` (one copied from the input included), which the mov
    muxer writes as a bare ``udta/name`` atom that FFmpeg's own reader warns about ("UDTA parsing
    failed retrying raw"); elsewhere (Matroska) the track's ``title``."""
    if out.suffix.lower() in MOV_SUFFIXES:
        return [f"-metadata:s:a:{index}", f"handler_name={name}", f"-metadata:s:a:{index}", "title="]
    return [f"-metadata:s:a:{index}", f"title={name}"]


def mux_audio(
    video: str | os.PathLike,
    audio: str | os.PathLike,
    out: str | os.PathLike,
    keep_original: bool = False,
    sample_rate: int = 16_000,
    audio_bitrate: str = "128k",
    info: VideoInfo | None = None,
    title: str = "foley",
    original_default: bool = False,
) -> Path:
    """Write ``out``: the picture stream of ``video`` copied bit-exactly, plus ``audio``
    encoded (AAC; FLAC in Matroska: ``_audio_codec``), fitted to the picture's duration and
    starting with its first displayed frame (a picture that starts late, or audio that starts
    early, stays in sync), its track named ``title``.

    With ``keep_original`` the video's own audio track follows as a second track, on its own
    clock relative to the picture: copied when its codec fits the container and it ends
    with the picture, otherwise cut to the picture and encoded as the Foley track is (AAC at
    its own bit rate, within ORIGINAL_KBPS); with ``original_default`` it is the track players
    start with (the Foley track otherwise). A video without an audio track gets the Foley track alone. ``out`` appears only when complete. ``info``:
    ``video``'s probe, if the caller has it already. Raises MediaError for a video or audio
    that cannot be read, an ``out`` that is the video, and a mux that fails; FoleyError, before
    any work, for an ``out`` that cannot be written (a folder, a file where its folder would be).
    """
    info = info or probe_video(video)
    video, out = Path(info.path), Path(out)
    if out.resolve() == video.resolve():
        raise MediaError(f"{out}: the output would overwrite the input video")
    check_writable(out)
    wav, _ = read_audio(audio, sample_rate=sample_rate, mono=False)  # (C, N): the track's own channels
    wav = fit_length(wav, round(info.duration_s * sample_rate))
    if keep_original:
        check_original_keepable(info)
    original = _first_audio_track(video) if keep_original else None
    picture_end = info.start_s + info.duration_s  # s after the file's start

    with tempfile.TemporaryDirectory(prefix="foley-mux-") as tmp:
        fitted = write_audio(Path(tmp) / "audio.wav", wav, sample_rate)
        # The file's own timestamps are kept (-copyts) and the output moved back by its start: by
        # default FFmpeg moves an MPEG-TS input's picture alone, when it is the only stream taken from
        # it, to the output's zero, and the Foley track would then come late by the picture's start.
        # Packets without a presentation time (an AVI's, some of an MPEG program stream's) get the one the
        # probe reads (+genpts): copied without one, pictures are shown out of order, an AVI's before the sound.
        file_start = _file_start(video)
        args = ["-copyts", "-fflags", "+genpts", "-i", local_file(video),
                "-itsoffset", f"{file_start + info.start_s:.6f}", "-i", str(fitted),
                "-output_ts_offset", f"{-file_start:.6f}", "-map", f"0:{info.stream_index}", "-map", "1:a:0"]
        codecs = ["-c:v", "copy", *_audio_codec(0, out, audio_bitrate), *_track_name(0, title, out)]
        if original is not None:
            codec, end, rate, _ = original
            args += ["-map", "0:a:0"]
            if _copies_original(info, codec, end):
                codecs += ["-c:a:1", "copy"]
            else:  # cut to the picture (sample-exact, its timestamps kept), then encoded as the Foley track is
                cut = f"atrim=start={file_start + info.start_s:.6f}:end={file_start + picture_end:.6f}"
                codecs += ["-filter:a:1", cut, *_audio_codec(1, out, rate)]
            codecs += [*_track_name(1, "original", out), "-disposition:a:1", "default" if original_default else "0"]
        with atomic_path(out) as part:
            mp4 = ["-movflags", "+faststart"] if out.suffix.lower() in MOV_SUFFIXES else []
            first = "0" if original is not None and original_default else "default"
            run_ffmpeg(args + codecs + ["-disposition:a:0", first, "-map_metadata", "0", *mp4, str(part)],
                       what=f"{out}: muxing {video}")
    return out
