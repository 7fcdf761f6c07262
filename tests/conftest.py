"""Shared fixtures: small media files made on the fly with FFmpeg and PyAV."""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from foley.media.ffmpeg import run_ffmpeg

CODE_BITS = 10  # frame index encoded as 10 black/white blocks
BLOCK = 12


def index_image(i: int, width: int = 160, height: int = 96) -> np.ndarray:
    """A frame that shows its own index as a row of black/white blocks (robust to H.264)."""
    img = np.full((height, width, 3), 128, np.uint8)
    for b in range(CODE_BITS):
        img[40:40 + BLOCK, 10 + b * BLOCK:10 + (b + 1) * BLOCK] = 255 if (i >> b) & 1 else 0
    return img


def read_index(img: np.ndarray) -> int:
    bits = [img[40 + 3:40 + BLOCK - 3, 10 + b * BLOCK + 3:10 + (b + 1) * BLOCK - 3].mean() > 128 for b in range(CODE_BITS)]
    return sum(int(bit) << b for b, bit in enumerate(bits))


def write_index_video(path: Path, times_s: list[float], width: int = 160, height: int = 96) -> Path:
    """H.264 mp4 whose frame i is shown at times_s[i] (any spacing: constant or variable rate)."""
    pts = [int(round(float(t) * 1000)) for t in times_s]
    gaps = np.diff(pts).tolist()
    duration = dict(zip(pts, gaps + [gaps[-1] if gaps else 40]))  # each frame lasts until the next
    with av.open(str(path), "w") as c:
        stream = c.add_stream("libx264", rate=1000)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ms = Fraction(1, 1000)
        stream.time_base = ms
        stream.options = {"crf": "8", "bf": "0"}

        def mux(packets):
            for p in packets:
                p.duration = duration[p.pts]
                c.mux(p)

        for i, t in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(index_image(i, width, height), format="rgb24")
            frame.pts = t
            frame.time_base = ms  # not stream.time_base: the muxer changes it
            mux(stream.encode(frame))
        mux(stream.encode(None))
    return path


def lavfi_video(path: Path, spec: str, *extra: str) -> Path:
    """A video from an FFmpeg lavfi source, e.g. spec='testsrc=s=320x240:r=30:d=2'."""
    run_ffmpeg(["-f", "lavfi", "-i", spec, *extra, "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", str(path)], what=str(path))
    return path


def sixteen_channel_clip(path: Path) -> Path:
    """A 1 s video whose own track is 16 channels of PCM (as a field recorder's or a broadcast file's)."""
    pan = "pan=hexadecagonal|" + "|".join(f"c{i}=c0" for i in range(16))
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=1", "-f", "lavfi", "-i", "sine=d=1:r=16000",
                "-af", pan, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", str(path)], what=str(path))
    return path


def sine(freq: float, seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wav = 0.5 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([wav] * channels) if channels > 1 else wav


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def cfr_video(media_dir) -> tuple[Path, np.ndarray]:
    """3 s at 30 fps, frames showing their index; returns (path, frame times)."""
    times = np.arange(90) / 30
    return write_index_video(media_dir / "cfr30.mp4", list(times)), times


@pytest.fixture(scope="session")
def vfr_video(media_dir) -> tuple[Path, np.ndarray]:
    """Variable frame rate: gaps drawn from 10-90 ms; returns (path, frame times)."""
    rng = np.random.default_rng(1)
    times = np.concatenate([[0.0], np.cumsum(rng.choice([0.01, 0.02, 0.04, 0.09], size=80))])
    times = np.round(times, 3)
    return write_index_video(media_dir / "vfr.mp4", list(times)), times


@pytest.fixture(scope="session")
def av_clip(media_dir) -> Path:
    """2 s 320x240 25 fps H.264 with a 440 Hz AAC stereo track at 44.1 kHz."""
    path = media_dir / "with_audio.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
                "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-shortest", str(path)], what=str(path))
    return path


def video_packet_hash(path) -> tuple[str, int]:
    digest, n = hashlib.sha256(), 0
    with av.open(str(path)) as c:
        for packet in c.demux(c.streams.video[0]):
            if packet.size:
                digest.update(bytes(packet))
                n += 1
    return digest.hexdigest(), n


@pytest.fixture
def fresh_accelerate_state():
    """accelerate keeps one process-wide state whose mixed precision cannot change once set:
    a test that trains in another precision starts and ends with it cleared."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


@dataclass
class Ran:
    """What a `foley` command did: as subprocess.CompletedProcess, without its args."""
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def foley(capsys):
    """``run(*args)``: the `foley` command line in this process, as (exit code, stdout, stderr)."""
    from foley.cli import main

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def foley_cli(capsys, monkeypatch):
    """``run(args, cwd, env=None)``: the `foley` command line ARGS, run in this process from folder
    CWD with ENV's variables set, as a Ran. The same as ``python -m foley ARGS`` but for the
    imports, paid once per test session rather than some 10 s per command; warnings raised
    during the command are written to its stderr, as Python's own handler would."""
    from foley.cli import main

    def run(args, cwd, env=None) -> Ran:
        capsys.readouterr()
        with monkeypatch.context() as m, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            m.chdir(cwd)
            for name, value in (env or {}).items():
                m.setenv(name, value)
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:  # argparse's refusals
                code = e.code if isinstance(e.code, int) else int(e.code is not None)
        said = capsys.readouterr()
        shown = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
        return Ran(code, said.out, said.err + shown)

    return run
