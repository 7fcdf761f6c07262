"""Audio reading, writing and resampling.

soundfile reads and writes audio files; audio inside video containers (mp4, mkv, webm,
...) is decoded with PyAV. Resampling uses torchaudio's windowed-sinc resampler.
"""
from __future__ import annotations

import math
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from ..errors import MediaError
from .ffmpeg import local_file
from .files import atomic_path, size_said
from .inputs import INDEX_CUT, check_input_file, check_not_cut_short, without_index

TARGET_LUFS = -20.0
PEAK_LIMIT = 10 ** (-1 / 20)  # -1 dBTP (EBU R 128's ceiling for a true peak)
TRUE_PEAK_OVERSAMPLING = 4  # ITU-R BS.1770-4 Annex 2
TRUE_PEAK_MARGIN = 64  # input samples on each side of a chunk: more than the oversampling filter reaches (7)
MAX_GAIN_DB = 20.0  # the most normalization lifts a track (-40 LUFS reaches the target)
WRITE_BLOCK = 1 << 18  # samples per block written
FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")  # files that hold values beyond full scale
SAMPLE_BYTES = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4}  # bytes per sample of a subtype
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus", ".oga", ".aiff", ".aif", ".aifc", ".au", ".caf",
                  ".w64", ".wv", ".mka", ".aac", ".ac3", ".wma", ".mp2")  # a folder's audio files that read_audio reads


def resample(wav: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Resample along the last axis. (..., N) -> (..., round(N * target / orig))."""
    if orig_rate == target_rate:
        return wav.astype(np.float32, copy=False)
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), int(orig_rate), int(target_rate))
    return out.numpy()


WAV_NO_SIZE = 0x7FFF0000  # a 32-bit data size from here up that the file does not hold is a writer's word for
# "not known" (one writing to a pipe, that cannot go back to the header: FFmpeg 0xFFFFFFFF, SoX 0x7FFFF000,
# arecord 0x7FFFFFFF), as is a size of 0
WAV_MAX_CHUNKS = 1000  # chunks looked through for the data chunk
AU_SAMPLE_BYTES = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}  # bytes per sample of an AU file's encodings
LONG_NO_SIZE = 1 << 62  # a 64-bit W64 or CAF data size from here up that the file does not hold: "not known" (a
# writer to a pipe: FFmpeg's W64 2**63 - 1, CAF's -1)
# a W64 file's first two GUIDs (RIFF's "RIFF" and "WAVE"); a chunk's GUID begins with its name ("fmt ", "data")
W64_RIFF = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
W64_WAVE = b"wave\xf3\xac\xd3\x11\x8c\xd1\x00\xc0\x4f\x8e\xdb\x8a"
OGG_MAX_PAGE = 27 + 255 + 255 * 255  # the most bytes an Ogg page holds: its header, segment table and data


def _length_unknown(path: Path) -> bool:
    """Whether ``path`` is a WAV (RIFF, RIFX, RF64 or BW64) whose header does not give the length
    of its audio (a data size of 0, or WAV_NO_SIZE or more that the file does not hold; an RF64's
    64-bit size of 0): the audio runs to the end of the file. Raises MediaError for a WAV, W64, AIFF,
    CAF or AU file cut short, whose header gives more audio than the file holds, and an Ogg file that
    does not end with a whole page marked end of stream (libsndfile reads what is there without a
    word). Reads the header alone (an Ogg file's last 64 kB)."""
    try:
        f = path.open("rb")
    except OSError:  # the reader says why
        return False
    with f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(40)
        if head[:4] == b"OggS":
            _check_ogg_end(path, f, size)
            return False
        if head[:4] == b".snd" and len(head) >= 24:  # AU: offset, size, encoding, rate, channels (big-endian)
            offset, length, encoding, rate, channels = struct.unpack(">5I", head[4:24])
            if length != 0xFFFFFFFF and length > (held := max(size - offset, 0)):
                byte_rate = AU_SAMPLE_BYTES.get(encoding, 0) * rate * channels
                raise MediaError(f"{path}: the AU file is cut short: its header gives {_wav_bytes(length, byte_rate)} "
                                 f"of audio, the file holds {_wav_bytes(held, byte_rate)}")
            return False
        aiff = head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC")
        wav = head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE"
        w64 = head[:16] == W64_RIFF and head[24:40] == W64_WAVE
        caf = head[:4] == b"caff"
        if not (aiff or wav or w64 or caf):
            return False
        order = ">" if head[:4] in (b"RIFX", b"FORM") else "<"
        # where the chunks start, a chunk header's length, its size's struct (last in the header), chunks' alignment
        kind, at, header, size_format, align = ("W64", 40, 24, "<Q", 8) if w64 else ("CAF", 8, 12, ">Q", 1) if caf \
            else ("AIFF", 12, 8, ">I", 2) if aiff else ("WAV", 12, 8, order + "I", 2)
        no_size = LONG_NO_SIZE if w64 or caf else WAV_NO_SIZE
        f.seek(at)
        byte_rate, long_size = 0, None
        for _ in range(WAV_MAX_CHUNKS):
            chunk = f.read(header)
            if len(chunk) < header:
                return False
            name, (length,) = chunk[:4], struct.unpack(size_format, chunk[header - struct.calcsize(size_format):])
            length = max(length - header, 0) if w64 else length  # a W64 chunk's size counts its header
            start = f.tell()
            if name == b"ds64" and length >= 16:  # RF64: the 64-bit RIFF and data sizes
                long_size = struct.unpack("<Q", f.read(16)[8:])[0]
            elif name == b"fmt " and length >= 12:
                byte_rate = struct.unpack(order + "I", f.read(12)[8:])[0]
            elif name == b"COMM" and length >= 18 and head[8:12] == b"AIFF":  # channels, frames, bits, rate
                channels, _, bits = struct.unpack(">hIh", f.read(8))
                byte_rate = round(channels * -(-bits // 8) * _extended(f.read(10)))
            elif name == b"desc" and caf and length >= 24:  # rate, format, its flags, bytes and frames a packet
                rate, _, _, packet_bytes, packet_frames = struct.unpack(">d4sIII", f.read(24))
                byte_rate = round(rate * packet_bytes / packet_frames) if packet_frames else 0
            elif name in (b"data", b"SSND"):
                held = max(size - start, 0)
                if long_size is not None and length == 0xFFFFFFFF:  # an RF64's size is in its ds64 chunk
                    length = long_size
                elif length >= no_size and length > held:
                    return wav
                if length > held:
                    skip = {"AIFF": 8, "CAF": 4}.get(kind, 0)  # an SSND chunk's offset and block size; CAF's edit count
                    raise MediaError(f"{path}: the {kind} file is cut short: its header gives "
                                     f"{_wav_bytes(length - skip, byte_rate)} of audio, the file holds "
                                     f"{_wav_bytes(max(held - skip, 0), byte_rate)}")
                return length == 0 and wav
            if start + length >= size:  # the last chunk, and no audio
                return False
            f.seek(start + length + (-length % align))  # chunks are padded to a whole number of ``align`` bytes
    return False


def _extended(ten: bytes) -> float:
    """An AIFF's 80-bit IEEE 754 extended float (its sample rate, Hz); 0 for an exponent of 0."""
    exponent, mantissa = int.from_bytes(ten[:2], "big") & 0x7FFF, int.from_bytes(ten[2:10], "big")
    return mantissa * 2.0 ** (exponent - 16383 - 63) if exponent else 0.0


def _check_ogg_end(path: Path, f, size: int) -> None:
    """MediaError unless the Ogg file ``f`` (``size`` bytes) ends with a whole page marked end of
    stream, or holds one in its last OGG_MAX_PAGE bytes that what is not a page follows: a file
    cut short ends part way through a page, or with a page that does not end its stream (a writer
    marks every stream's last page, RFC 3533), and libsndfile reads it as empty or shorter."""
    f.seek(max(size - OGG_MAX_PAGE, 0))
    tail = f.read()
    at = tail.rfind(b"OggS")
    while at >= 0:
        if len(tail) - at >= 27 and len(tail) - at >= 27 + (n := tail[at + 26]):
            end, last = at + 27 + n + sum(tail[at + 27:at + 27 + n]), tail[at + 5] & 4  # 4: the end-of-stream flag
            if end == len(tail) and not last:
                raise MediaError(f"{path}: the Ogg file is cut short: its last page does not end its stream")
            if end <= len(tail) and last:
                return
        at = tail.rfind(b"OggS", 0, at)
    raise MediaError(f"{path}: the Ogg file is cut short: it ends part way through a page")


def _wav_bytes(n: int, byte_rate: int) -> str:
    """``n`` bytes of a file's audio in words, and in seconds where its ``byte_rate`` is known."""
    return f"{n:,} bytes" + (f" ({n / byte_rate:.2f} s)" if byte_rate else "")


def _mp3_declares_length(path: Path) -> bool:
    """Whether the MP3 file ``path`` has a Xing, Info or VBRI header in its first frame (after an
    ID3v2 tag): the length of its audio. Without one libsndfile guesses the length from the first
    frame and reads no further (a VBR file, a fraction of it)."""
    with path.open("rb") as f:
        head = f.read(10)
        if head[:3] == b"ID3" and len(head) == 10:  # its size: four 7-bit bytes, then a footer of 10 if flagged
            f.seek(10 + sum(b << 7 * (3 - i) for i, b in enumerate(head[6:10])) + (10 if head[5] & 0x10 else 0))
        else:
            f.seek(0)
        frame = f.read(200)
    return any(tag in frame[4:] for tag in (b"Xing", b"Info", b"VBRI"))


SF_NO_LENGTH = 1 << 62  # libsndfile's frame count of a file whose length it does not know (2**63 - 1)


def _read_soundfile(path: Path) -> tuple[np.ndarray, int] | None:
    """(C, N) float32 and the rate as libsndfile reads them; None for an MP3 whose length libsndfile
    would guess (no Xing, Info or VBRI header) and a file whose length it does not know (a FLAC
    written to a pipe: numpy cannot make room for 2**63 frames). Raises MediaError for a FLAC or MP3
    file cut short (fewer samples than its header gives), LibsndfileError for one libsndfile cannot read."""
    with sf.SoundFile(str(path)) as f:
        if f.frames >= SF_NO_LENGTH or (f.format == "MP3" and not _mp3_declares_length(path)):
            return None
        data = f.read(f.frames, dtype="float32", always_2d=True)  # (N, C); a count: GSM 6.10 cannot seek
        kind, declared, rate = f.format, f.frames, f.samplerate
    if kind in ("FLAC", "MP3") and len(data) < declared:
        raise MediaError(f"{path}: the {kind} file is cut short: its header gives {declared / rate:.2f} s "
                         f"of audio, the file holds {len(data) / rate:.2f} s")
    return data.T, rate


CUT_SLACK_S = 0.1  # audio decoded this much shorter than its container's header gives: the file is cut short


def _declared_length(container, stream) -> int | None:
    """The samples of ``stream`` that its container's header gives: an MP4 or MOV track's duration, a
    FLAC file's (its STREAMINFO's; none from a pipe), an audio-only Matroska or WebM file's; None
    elsewhere (FFmpeg's duration of an MP3 without a Xing header, an ADTS or AC-3 stream, ... is
    guessed from the bit rate; a Matroska file's is its longest stream's)."""
    rate = stream.codec_context.sample_rate
    if (container.format.name == "flac" or container.format.name.startswith("mov,")) and stream.duration:
        return round(float(stream.duration * stream.time_base) * rate)
    if container.format.name == "matroska,webm" and len(container.streams) == 1 and container.duration:
        return round(container.duration / 1e6 * rate)
    return None


def _open_container(path: Path, to_the_end: bool = False):
    """``path`` opened by FFmpeg (``to_the_end``: a WAV's data size ignored). MediaError for a file it cannot
    open (an MP4 or MOV cut short before its index said as such) or one without an audio stream."""
    import av  # FFmpeg's libraries load only for what soundfile cannot read (video containers, m4a, ...)

    try:
        container = av.open(local_file(path), metadata_errors="ignore",
                            options={"ignore_length": "1"} if to_the_end else None)
    except av.error.FFmpegError as e:
        if without_index(path):  # FFmpeg says only that the data is invalid
            raise MediaError(INDEX_CUT.format(path)) from None
        raise MediaError(f"{path}: not a readable audio or video file ({e.strerror or e})") from None
    if not container.streams.audio:
        container.close()
        raise MediaError(f"{path}: has no audio stream")
    return container


GAP_S = 0.002  # a gap between an audio stream's frames' times longer than this is silence (a stream cut and joined)


def _read_container(path: Path, stereo: bool = False, to_the_end: bool = False) -> tuple[np.ndarray, int]:
    """(C, N) float32 and the rate of the first audio stream, in the stream's own layout, each
    frame at its time (silence in a gap longer than GAP_S between frames, as FFmpeg plays it), as long
    as its container's header says it is where it says (:func:`_declared_length`; MediaError where
    it holds less, by more than CUT_SLACK_S, or the file fewer bytes than its header gives:
    :func:`check_not_cut_short`); with ``stereo``, more than two channels downmixed to
    two by FFmpeg (swresample's matrix); ``to_the_end``: a WAV's data size is ignored, its audio
    read to the end of the file."""
    import av

    with _open_container(path, to_the_end) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        layout = "stereo" if stereo and stream.codec_context.channels > 2 else stream.codec_context.layout
        # Converts any sample format to interleaved float32 at the native rate: PyAV's planar
        # frames of 8 channels (7.1) crash the interpreter when read into numpy.
        to_float = av.AudioResampler(format="flt", layout=layout, rate=rate)

        def samples(frames) -> list[np.ndarray]:
            return [f.to_ndarray().reshape(-1, len(f.layout.channels)).T for f in frames]  # (C, n) each

        chunks, held, origin = [], 0, None  # held: the samples so far; origin: the first frame's time (s)
        try:
            for frame in container.decode(stream):
                if frame.pts is not None and frame.time_base is not None:  # a frame after a gap starts at its time
                    at = float(frame.pts * frame.time_base)
                    origin = at if origin is None else origin
                    gap = round((at - origin) * rate) - held
                    if chunks and gap > GAP_S * rate:
                        chunks.append(np.zeros((chunks[-1].shape[0], gap), np.float32))
                        held += gap
                chunks += (new := samples(to_float.resample(frame)))
                held += sum(c.shape[1] for c in new)
            chunks += samples(to_float.resample(None))
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: corrupt or truncated audio ({e.strerror or e})") from None
        length = _declared_length(container, stream)
    if not chunks:
        raise MediaError(f"{path}: the audio stream has no samples")
    wav = np.concatenate(chunks, axis=1)
    if length and wav.shape[1] < length - CUT_SLACK_S * rate:
        raise MediaError(f"{path}: the file is cut short: its header gives {length / rate:.2f} s of audio, "
                         f"the file holds {wav.shape[1] / rate:.2f} s")
    check_not_cut_short(path)  # an AVI, or a Matroska file with a picture: their headers give bytes alone
    # an AAC track decodes to whole frames of 1,024 samples: the last one's padding is cut at the stream's end
    return np.ascontiguousarray(wav[:, :length], dtype=np.float32), rate


def check_audio(path: str | os.PathLike) -> Path:
    """``path`` as a Path, once its headers alone (no audio is decoded) show an audio file or a video with an
    audio track that :func:`read_audio` can open: MediaError for one that is missing, empty, not audio, has no
    audio stream or no samples, or is cut short as far as its headers tell. Damage inside the audio is found
    only when it is read."""
    path = check_input_file(path)
    if not _length_unknown(path):  # raises for a file whose header gives more audio than it holds
        try:
            with sf.SoundFile(str(path)) as f:
                if f.frames == 0:
                    raise MediaError(f"{path}: the audio has no samples")
            return path
        except sf.LibsndfileError:
            pass  # FFmpeg's to open
    _open_container(path).close()
    check_not_cut_short(path)
    return path


MAX_FLOAT_PEAK = 1000.0  # +60 dBFS: float samples past this are no recording (1 is full scale)


def read_audio(path: str | os.PathLike, sample_rate: int | None = 16_000, mono: bool = True,
               stereo: bool = False) -> tuple[np.ndarray, int]:
    """Read an audio file (or a video's first audio track) as float32 in [-1, 1].

    Returns ``(wav, rate)`` with wav (N,) if ``mono`` else (C, N), resampled to
    ``sample_rate`` unless it is None; ``stereo`` (with ``mono`` False): more than two
    channels are downmixed to two by FFmpeg (swresample's matrix: a 5.1 track's centre and
    surrounds into left and right). Raises MediaError for a file that cannot be read, one cut
    short (a WAV, W64, AIFF, CAF, AU, FLAC, MP3, MP4, MOV, AVI or Matroska file whose header gives
    more audio or bytes than it holds, an Ogg file that does not end with a page that ends its
    stream), one that holds no samples, or NaN, infinite or enormous ones (over MAX_FLOAT_PEAK),
    and for a ``sample_rate`` that is no positive whole number of Hz.
    """
    if sample_rate is not None:
        _check_rate(sample_rate, f"{path}: the sample rate to read at")
    path = check_input_file(path)
    stereo = stereo and not mono
    try:
        if _length_unknown(path):  # FFmpeg reads it to the end; libsndfile, nothing after a data size of 0
            wav, rate = _read_container(path, stereo, to_the_end=True)
        else:
            wav, rate = _read_soundfile(path) or _read_container(path, stereo)
    except sf.LibsndfileError:
        wav, rate = _read_container(path, stereo)
    if stereo and wav.shape[0] > 2:  # a file of more channels that soundfile reads: FFmpeg's downmix
        wav, rate = _read_container(path, stereo)
    if wav.shape[1] == 0:
        raise MediaError(f"{path}: the audio has no samples")
    if not np.isfinite(wav).all():  # a float file can hold them; every measure of it would be NaN or fail
        raise MediaError(f"{path}: the audio has NaN or infinite samples")
    if (peak := float(np.abs(wav).max())) > MAX_FLOAT_PEAK:  # its power overflows float32 spectrograms
        raise MediaError(f"{path}: the audio peaks at {20 * math.log10(peak):+.0f} dBFS; float audio is at full scale "
                         f"at 1, and a file over {20 * math.log10(MAX_FLOAT_PEAK):+.0f} dBFS holds no recording")
    if mono:
        wav = wav.mean(axis=0)
    if sample_rate is not None:
        wav, rate = resample(wav, rate, sample_rate), sample_rate
    return wav, rate


MAX_CHANNELS = 64  # audio to write with more channels than this (or than samples) is taken for (N, C)
MAX_RATE = 2**31 - 1  # the most Hz libsndfile's header field holds


def _check_rate(sample_rate, what: str) -> None:
    """MediaError, ``what`` first, unless ``sample_rate`` is a whole number of Hz from 1 to MAX_RATE."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) \
            or not 0 < sample_rate <= MAX_RATE:
        raise MediaError(f"{what} must be a positive whole number of Hz, not {sample_rate!r}")


def write_audio(path: str | os.PathLike, wav: np.ndarray, sample_rate: int, subtype: str = "PCM_16",
                comment: str | None = None) -> Path:
    """Write (N,) or (C, N) float audio atomically; values are clipped to [-1, 1], except in a
    float file (subtype FLOAT or DOUBLE: an intermediate, read back as written); ``comment``
    goes into the file's comment tag (a WAV's LIST/INFO ICMT chunk); the format is the suffix's.
    Raises MediaError for audio of another shape or with non-finite values, integer samples, a
    rate that is no positive whole number, a suffix whose format libsndfile does not write with
    ``subtype``, and when the file cannot be written (a full disk named as such); ``path`` is
    then left as it was."""
    if np.issubdtype(np.asarray(wav).dtype, np.integer):
        raise MediaError(f"{path}: audio to write is float samples in [-1, 1], not {np.asarray(wav).dtype} "
                         "(divide 16-bit samples by 32768)")
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim not in (1, 2) or 0 in wav.shape:
        raise MediaError(f"{path}: audio to write must be (N,) or (C, N) with C, N > 0, got shape {wav.shape}")
    if wav.ndim == 2 and wav.shape[0] > min(wav.shape[1], MAX_CHANNELS):
        raise MediaError(f"{path}: audio to write is (C, N), channels first; {wav.shape} would be {wav.shape[0]} "
                         "channels (soundfile reads (N, C): pass its transpose)")
    if not np.isfinite(wav).all():
        raise MediaError(f"{path}: audio to write contains NaN or infinite values")
    _check_rate(sample_rate, f"{path}: the sample rate")
    kind = Path(path).suffix[1:].upper()  # the format, by the suffix
    if kind not in sf.available_formats() or not sf.check_format(kind, subtype):
        raise MediaError(f"{path}: cannot write {subtype} audio in a file of that suffix (e.g. .wav or .flac)")
    channels = 1 if wav.ndim == 1 else wav.shape[0]
    tmp = None
    try:
        with atomic_path(path) as tmp:
            with sf.SoundFile(str(tmp), "w", sample_rate, channels, subtype=subtype) as f:
                if comment:
                    f.comment = comment
                for start in range(0, wav.shape[-1], WRITE_BLOCK):  # clipped block by block: no full copy
                    block = wav[..., start:start + WRITE_BLOCK]
                    f.write((block if subtype in FLOAT_SUBTYPES else np.clip(block, -1.0, 1.0)).T)
    except (sf.LibsndfileError, OSError) as e:  # the partial file is gone by now
        size = wav.size * SAMPLE_BYTES.get(subtype, 8) + 1024
        why = _write_failure(e, Path(path).parent, size).replace(str(tmp), str(path)) if tmp else str(e)
        raise MediaError(f"{path}: cannot write the audio ({why})") from None
    return Path(path)


def _write_failure(error: Exception, folder: Path, most_bytes: int) -> str:
    """Why a write failed, in words: libsndfile says only 'System error.' when the disk is full,
    so the free space is looked at (``most_bytes``: the file's size, with room for its header)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < most_bytes:
        return f"not enough free space: {size_said(free)} free, {size_said(most_bytes)} needed"
    return getattr(error, "strerror", None) or str(error)


def integrated_loudness(wav: np.ndarray, sample_rate: int, chunk: int = 1 << 18) -> float:
    """BS.1770-4 integrated loudness (LUFS) of mono (N,) or stereo (2, N) audio (the channels'
    energies summed, each weighted 1), measured as pyloudnorm's Meter does (its K-weighting
    filters, blocks and gates) but chunk by chunk: pyloudnorm filters float64 copies of the
    whole signal, about 7 times its float32 size."""
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    block, step = meter.block_size, 1.0 - meter.overlap
    channels = np.atleast_2d(wav)  # (C, N)
    n = channels.shape[-1]
    n_blocks = int(np.round((n / sample_rate - block) / (block * step))) + 1
    j = np.arange(n_blocks)
    lower = (block * (j * step) * sample_rate).astype(np.int64)  # pyloudnorm's block bounds
    upper = np.minimum((block * (j * step + 1) * sample_rate).astype(np.int64), n)
    z = sum(_block_energies(x, meter, lower, upper, chunk) for x in channels) / (block * sample_rate)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(z)  # per block
    audible = z[loudness >= -70.0]  # absolute gate
    if not len(audible):
        return float("-inf")
    relative = -0.691 + 10 * np.log10(audible.mean()) - 10.0
    gated = z[(loudness > relative) & (loudness > -70.0)]
    return float(-0.691 + 10 * np.log10(gated.mean())) if len(gated) else float("-inf")


def _block_energies(wav: np.ndarray, meter, lower: np.ndarray, upper: np.ndarray, chunk: int) -> np.ndarray:
    """Sum of squares of the K-weighted ``wav`` (N,) over each block [lower, upper)."""
    from scipy.signal import lfilter

    bounds = np.unique(np.concatenate([lower, upper]))
    energy_at = np.zeros(len(bounds))  # sum of squares of the weighted signal before each bound
    filters = list(meter._filters.values())
    states = [np.zeros(max(len(f.a), len(f.b)) - 1) for f in filters]
    total = 0.0
    for start in range(0, len(wav), chunk):
        x = wav[start:start + chunk].astype(np.float64)
        for k, f in enumerate(filters):
            x, states[k] = lfilter(f.b, f.a, x, zi=states[k])
            x *= f.passband_gain
        running = total + np.concatenate([[0.0], np.cumsum(x * x)])  # at start .. start + len(x)
        inside = (bounds >= start) & (bounds <= start + len(x))
        energy_at[inside] = running[bounds[inside] - start]
        total = running[-1]
    return energy_at[np.searchsorted(bounds, upper)] - energy_at[np.searchsorted(bounds, lower)]


def true_peak(wav: np.ndarray, chunk: int = 1 << 18) -> float:
    """The true peak of (..., N) audio, linear (0 for none): the largest magnitude of the
    signal oversampled 4 times (ITU-R BS.1770-4 Annex 2), which finds the peaks between
    samples that a converter or an AAC decoder reconstructs; at least the sample peak.
    Oversampled ``chunk`` samples at a time, each with TRUE_PEAK_MARGIN samples of its
    neighbours (the whole 10 min of a dub at once took about 600 MB)."""
    if not wav.size:
        return 0.0
    n, peak = wav.shape[-1], float(np.abs(wav).max())
    for start in range(0, n, chunk):
        lo, end, hi = max(0, start - TRUE_PEAK_MARGIN), min(n, start + chunk), min(n, start + chunk + TRUE_PEAK_MARGIN)
        oversampled = resample(wav[..., lo:hi], 1, TRUE_PEAK_OVERSAMPLING)  # (..., 4 (hi - lo))
        inside = oversampled[..., TRUE_PEAK_OVERSAMPLING * (start - lo):TRUE_PEAK_OVERSAMPLING * (end - lo)]
        peak = max(peak, float(np.abs(inside).max()))
    return peak


def normalize_loudness(mix: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
                       max_gain_db: float = MAX_GAIN_DB) -> np.ndarray:
    """``mix`` times its :func:`loudness_gain` (one copy of ``mix``, made in float32)."""
    out = np.array(mix, dtype=np.float32)
    out *= np.float32(loudness_gain(out, sample_rate, target_lufs, max_gain_db))
    return out


def loudness_gain(mix: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
                  max_gain_db: float = MAX_GAIN_DB) -> float:
    """The linear gain that brings ``mix`` to ``target_lufs`` integrated loudness, at most
    ``max_gain_db`` (near-silence is never lifted into a noise bed), lowered where needed so
    that the true peaks (:func:`true_peak`) stay under -1 dBTP (the ceiling wins). 1 for silence. A mix under 0.4 s (one
    BS.1770 block) is measured over 0.4 s, as if silence followed it: its momentary loudness."""
    gain = 1.0
    if mix.size and np.any(mix):
        block = int(0.4 * sample_rate)
        short = [(0, 0)] * (mix.ndim - 1) + [(0, max(0, block - mix.shape[-1]))]
        loudness = integrated_loudness(np.pad(mix, short), sample_rate)
        if np.isfinite(loudness):
            gain = 10 ** (min(target_lufs - loudness, max_gain_db) / 20)
    peak = true_peak(mix) * gain
    return gain * PEAK_LIMIT / peak if peak > PEAK_LIMIT else gain


def relative_gain(signal: np.ndarray, reference: np.ndarray, sample_rate: int, db: float) -> float:
    """The linear gain that puts ``signal``'s integrated loudness (BS.1770, LUFS) ``db`` from
    ``reference``'s, e.g. -12: 12 LU under it; 10 ** (db / 20) when either has no measurable
    loudness (silence, or under 0.4 s). Both are mono (N,) or stereo (2, N) at ``sample_rate``."""
    def loudness(wav: np.ndarray) -> float:
        return integrated_loudness(wav, sample_rate) if wav.shape[-1] >= int(0.4 * sample_rate) and np.any(wav) else -np.inf

    level, target = loudness(signal), loudness(reference)
    if not (np.isfinite(level) and np.isfinite(target)):
        return 10 ** (db / 20)
    return 10 ** ((target + db - level) / 20)


PICTURE_FRAMES = 2000  # the pictures are 900 pixels wide: a longer sound's spectrogram is pooled to as many columns


def spectrogram_db(wav: np.ndarray, n_fft: int = 1024, hop: int = 256, max_frames: int | None = None) -> np.ndarray:
    """(n_fft // 2 + 1, frames) STFT magnitude in dB relative to the loudest bin, for
    pictures (draw from -80 to 0). The reference never falls below 1e-2 (about -95 dB for a
    full-scale tone), so silence stays at the floor instead of being drawn as loud as the
    loudest sound. ``max_frames``: a longer one is that many columns wide or fewer, each the
    loudest of the frames it stands for, computed some columns at a time (the picture of an
    hour of sound in the memory of a minute's)."""
    import librosa

    wav = np.asarray(wav, np.float32)
    frames = 1 + len(wav) // hop  # as stft centres them
    if max_frames is None or frames <= max_frames:
        magnitude = np.abs(librosa.stft(wav, n_fft=n_fft, hop_length=hop))
    else:
        group = -(-frames // max_frames)  # frames a column stands for
        padded = np.pad(wav, n_fft // 2)  # as stft centres its frames
        parts = []
        for first in range(0, frames, 32 * group):  # 32 columns at a time
            count = min(32 * group, frames - first)
            part = np.abs(librosa.stft(padded[first * hop:(first + count - 1) * hop + n_fft], n_fft=n_fft,
                                       hop_length=hop, center=False))  # (bins, count)
            columns = -(-count // group)
            part = np.pad(part, ((0, 0), (0, columns * group - count)))  # a short last column: zeros lose to any frame
            parts.append(part.reshape(len(part), columns, group).max(axis=2))
        magnitude = np.concatenate(parts, axis=1)
    return librosa.amplitude_to_db(magnitude, ref=max(float(magnitude.max()), 1e-2), amin=1e-9)
