import pytest

from foley.config import TimeBase
from foley.errors import FoleyError
from foley.presets import get_preset, preset_names


def test_paper_time_base_lengths():
    tb = TimeBase(duration_s=10.0)
    assert (tb.n_video_frames, tb.n_tokens, tb.n_samples, tb.n_mel_frames) == (215, 500, 160_000, 1000)
    assert (tb.token_hop, tb.mel_hop) == (320, 160)


def test_lengths_cover_fractional_durations():
    tb = TimeBase(duration_s=4.0)
    assert tb.n_video_frames == 86 and tb.video_frames(3.0) == 65 and tb.tokens(0.01) == 1
    assert tb.video_times(1.0)[1] == pytest.approx(1 / 21.5)
    assert tb.with_duration(10.24).n_mel_frames == 1024


def test_round_trip_and_validation():
    tb = TimeBase(duration_s=2.5)
    assert TimeBase.from_dict(tb.to_dict()) == tb
    with pytest.raises(FoleyError, match=r"^unknown TimeBase fields: \['fps'\]$"):
        TimeBase.from_dict({"fps": 3})
    with pytest.raises(FoleyError, match=r"^TimeBase.duration_s must be a positive finite number, got 0$"):
        TimeBase(duration_s=0)
    with pytest.raises(FoleyError, match=r"^TimeBase.token_rate_hz=48.0 must divide sample_rate=16000 into a whole "
                                         r"number of samples$"):
        TimeBase(token_rate_hz=48.0)


def test_presets():
    assert {"audio-agent", "demo"} <= set(preset_names())
    assert get_preset("audio-agent").time.n_tokens == 500
    with pytest.raises(FoleyError, match="unknown preset 'nope'; known presets: audio-agent, demo"):
        get_preset("nope")


def test_a_duration_is_a_number_of_any_kind_but_a_bool():
    import numpy as np

    assert TimeBase(duration_s=np.float32(3.0)).n_video_frames == 65
    with pytest.raises(FoleyError, match="duration_s must be a positive finite number, got True"):
        TimeBase(duration_s=True)
