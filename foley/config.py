"""The time base shared by every component (every length is derived from here), the
limits of the diffusion sampler's settings, and how many evaluation clips a video gives."""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

from .errors import FoleyError

MAX_STEPS = 1000  # the training schedule's timesteps: more sampling steps than that are meaningless
MAX_GUIDANCE = 50.0  # far above any useful guidance; huge values overflow the latents to NaN
SCHEDULER_NAMES = ("dpm", "ddim", "pndm")  # the samplers a backbone offers (DPM-Solver++, DDIM, PNDM)
MAX_SEED = 2**32 - 1  # the usual 32-bit seed range; runs add small offsets to it (per window, per take)
MAX_CLIPS_PER_VIDEO = 100  # evaluation windows per video: 100 of 2 s over a 10 s video start 0.08 s (two frames) apart


def is_finite_number(value) -> bool:
    """A finite int or float, as a setting read from JSON must be (a bool is no number here)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def is_whole_number(value) -> bool:
    """An int, as a count read from JSON must be (a bool, or 2.0, is none here)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class TimeBase:
    """Rates of the data path and the clip duration they apply to.

    video frames at ``video_fps`` -> tokens at ``token_rate_hz`` -> audio at ``sample_rate``
    with a mel spectrogram at ``mel_rate_hz`` (hop = sample_rate / mel_rate_hz); rates in Hz,
    ``duration_s`` in seconds. Raises FoleyError for a field that is no positive finite number
    (a bool is none) and for a token or mel rate that does not divide ``sample_rate``.
    """

    video_fps: float = 21.5
    token_rate_hz: float = 50.0
    sample_rate: int = 16_000
    mel_rate_hz: float = 100.0
    duration_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("video_fps", "token_rate_hz", "sample_rate", "mel_rate_hz", "duration_s"):
            value = getattr(self, name)
            if not (is_finite_number(value) and value > 0):  # numpy's numbers too; True is no duration
                raise FoleyError(f"TimeBase.{name} must be a positive finite number, got {value!r}")
        for name, rate in (("token_rate_hz", self.token_rate_hz), ("mel_rate_hz", self.mel_rate_hz)):
            if not _is_integer(self.sample_rate / rate):
                raise FoleyError(f"TimeBase.{name}={rate} must divide sample_rate={self.sample_rate} "
                                 "into a whole number of samples")

    # Lengths for the configured duration ------------------------------------------------
    @property
    def n_video_frames(self) -> int:
        return self.video_frames(self.duration_s)

    @property
    def n_tokens(self) -> int:
        return self.tokens(self.duration_s)

    @property
    def n_samples(self) -> int:
        return self.samples(self.duration_s)

    @property
    def n_mel_frames(self) -> int:
        return self.mel_frames(self.duration_s)

    # Hops (audio samples per step) ------------------------------------------------------
    @property
    def token_hop(self) -> int:
        return round(self.sample_rate / self.token_rate_hz)

    @property
    def mel_hop(self) -> int:
        return round(self.sample_rate / self.mel_rate_hz)

    # Lengths for any duration: ceil, so that the steps cover the whole duration ---------
    def video_frames(self, duration_s: float) -> int:
        return _steps(duration_s, self.video_fps)

    def tokens(self, duration_s: float) -> int:
        return _steps(duration_s, self.token_rate_hz)

    def samples(self, duration_s: float) -> int:
        return _steps(duration_s, self.sample_rate)

    def mel_frames(self, duration_s: float) -> int:
        return _steps(duration_s, self.mel_rate_hz)

    def video_times(self, duration_s: float | None = None) -> list[float]:
        """Timestamps (s) of the frames sampled at ``video_fps`` over the duration."""
        n = self.video_frames(self.duration_s if duration_s is None else duration_s)
        return [k / self.video_fps for k in range(n)]

    def with_duration(self, duration_s: float) -> "TimeBase":
        return TimeBase(**{**asdict(self), "duration_s": duration_s})

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TimeBase":
        """The time base ``to_dict`` gave; FoleyError for fields of no TimeBase and for their values as above."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown TimeBase fields: {sorted(unknown)}")
        return cls(**data)


def _is_integer(x: float) -> bool:
    return abs(x - round(x)) < 1e-9


def _steps(duration_s: float, rate: float) -> int:
    # A tolerance keeps 4.0 s * 21.5 Hz = 86 exactly, not 87 through float error.
    return max(0, math.ceil(duration_s * rate - 1e-6))
