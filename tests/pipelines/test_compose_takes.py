"""How `foley compose` lays a one-shot's take in its slot: one take however long the slot (a sound
that rings on, thunder, is never followed by a second thunder), a ringing take released early is
said so, and the timeline draws a swelling sound where it is heard."""
from __future__ import annotations

import numpy as np
import torch

from foley.models.backbone_settings import DecodingConfig
from foley.pipelines.compose import EventCache, SamplerConfig, render, render_notes, timeline_image
from foley.pipelines.plan import Plan
from foley.pipelines.planners import RulesPlanner

FAST = SamplerConfig(steps=2, guidance=2.0, scheduler="ddim")
SR = 16_000


def level_db(x: np.ndarray) -> float:
    """Mean power in dB (full scale 0 dB)."""
    return 10 * np.log10((x.astype(np.float64) ** 2).mean() + 1e-30)


class Backbone:
    """Stands in for the model, its window ``width_s`` long: each take is the seed's noise under
    ``shape(t)`` (t in seconds from the window's start)."""

    decoding = DecodingConfig()

    def __init__(self, width_s: float, shape):
        self.mel = type("mel", (), {"sample_rate": SR, "width_s": width_s, "n_fft": 1024, "n_mels": 64,
                                        "fmin": 0.0, "fmax": SR / 2})
        self.shape = shape

    def generate(self, captions, duration_s, **kw):
        t = np.arange(round(duration_s * SR)) / SR
        noise = np.random.default_rng(kw["seed"]).standard_normal(len(t))
        return torch.from_numpy((noise * self.shape(t) * 0.3).astype(np.float32))[None]


def ringing(t):  # a strike, ringing to the window's end (as the sfx backbone's thunder: -22 dB at its 4.1 s)
    return np.exp(-t / 3.0)


def burst(t):  # a door slam: 0.5 s, then silence
    return (t < 0.5).astype(float)


def plan_of(duration_s: float, *events: tuple[str, float, float]) -> Plan:
    return Plan.from_dict({"duration_s": duration_s, "events": [
        {"caption": c, "start_s": a, "end_s": b} for c, a, b in events]})


def test_a_one_shot_in_a_slot_longer_than_the_window_is_one_take_then_silence(tmp_path):
    """"let the thunder ring out" (thunder from 1 s to the bed's end) generated its slot in windows:
    a second thunder; a door slam's 5 s slot (a "then" bed of 10 s) slammed in each window."""
    cache = EventCache(tmp_path, "takes")
    for caption, shape, sounds_s in (("thunder", ringing, 2.0), ("a door slams", burst, 0.5)):
        mix, _ = render(plan_of(8.0, (caption, 1.0, 8.0)), Backbone(2.0, shape), cache, FAST)
        heard = 1.0 + sounds_s
        assert level_db(mix[round((heard - 0.3) * SR):round((heard - 0.25) * SR)]) > -40, caption
        assert level_db(mix[round((heard + 0.1) * SR):]) < -80, caption  # its take alone, then silence
    # a sound that sounds to its take's end and does not ring on (a siren said alone) still covers its span
    mix, _ = render(plan_of(8.0, ("a siren wails", 1.0, 8.0)), Backbone(2.0, lambda t: np.ones_like(t)), cache, FAST)
    assert level_db(mix[round(7.0 * SR):round(7.5 * SR)]) > level_db(mix[2 * SR:3 * SR]) - 6


def test_a_note_names_a_persons_sound_by_what_they_do():
    from foley.pipelines.compose import late_note

    # was: "another take of the someone knocks at 2 s"
    assert late_note("someone knocks", 2.0).endswith("('another take of the knock at 2 s')")
    assert late_note("someone knocks on a door", 2.0).endswith("('another take of the door at 2 s')")


def test_a_sound_that_rings_on_released_before_its_take_ends_is_said_so(tmp_path):
    """Thunder between two timed sounds gets the 2 s between them, and its take rings for 4 s: it is
    released at 5 s, and the note says so and how to let it ring out (an edit the planner reads)."""
    planner, cache = RulesPlanner(), EventCache(tmp_path, "ring")
    plan = planner.plan("a door slams at 1 s, then thunder, then a drum at 5 s", 8.0)
    assert [(e.caption, e.start_s, e.end_s) for e in plan.events][1] == ("thunder", 3.0, 5.0)
    _, stats = render(plan, Backbone(4.0, ringing), cache, FAST)
    # (the stand-in's door and drum ring too)
    assert [(c, t, n, round(s, 1)) for c, t, n, s in stats.released if c == "thunder"] == [("thunder", 3.0, 2.0, 4.0)]
    note = next(n for n in render_notes(stats, 8.0) if n.startswith("'thunder'"))
    assert note == ("'thunder' at 3 s still rings when its span ends at 5 s and is released there, 2.0 s before its "
                    "take falls silent; a longer span lets it ring out ('make the thunder at 3 s last 4 s')")
    longer = planner.plan("make the thunder at 3 s last 4 s", 8.0, plan)
    mix, stats = render(longer, Backbone(4.0, ringing), cache, FAST)
    assert "thunder" not in [c for c, *_ in stats.released] and stats.generated == 0  # the same take, to its end
    assert level_db(mix[round(6.5 * SR):round(6.7 * SR)]) > -60
    # a span the text gives is the sound's: no note; nor where a take falls silent within its span
    for said, shape in (("thunder at 3 s for 2 s", ringing), ("a door slams at 1 s, then thunder, then a drum at 5 s",
                                                              burst)):
        _, stats = render(planner.plan(said, 8.0), Backbone(4.0, shape), EventCache(tmp_path / shape.__name__, "ring"),
                          FAST)
        assert stats.released == [], said


def test_a_sound_released_at_its_span_end_while_its_take_still_sounds_is_said_so_whatever_it_is(tmp_path):
    """'dishes clatter at 2 s' got the planner's 2 s, and the sfx backbone's take clatters at one level to its
    window's end: released at 4 s with no note, as thunder's is with one. A sound that does not ring on is said to
    sound on, its take to end, and the edit the note gives lets it."""
    planner, steady = RulesPlanner(), (lambda t: np.ones_like(t))
    plan = planner.plan("a kitchen: dishes clatter at 2 s, a drum at 6 s", 8.0)
    assert [(e.caption, e.start_s, e.end_s, e.fill) for e in plan.events][0] == ("dishes clatter", 2.0, 4.0, False)
    mix, stats = render(plan, Backbone(4.0, steady), EventCache(tmp_path, "clatter"), FAST)
    assert level_db(mix[round(3.95 * SR):4 * SR]) < level_db(mix[round(3.6 * SR):round(3.7 * SR)]) - 15  # released
    assert [(c, t, n, round(s, 1)) for c, t, n, s in stats.released] == [("dishes clatter", 2.0, 2.0, 4.0)]
    note = next(n for n in render_notes(stats, 8.0) if n.startswith("'dishes clatter'"))
    assert note == ("'dishes clatter' at 2 s still sounds when its span ends at 4 s and is released there, 2.0 s "
                    "before its take ends; a longer span lets it sound on ('make the dishes at 2 s last 4 s')")
    longer = planner.plan("make the dishes at 2 s last 4 s", 8.0, plan)
    assert longer.events[0].end_s == 6.0
    _, stats = render(longer, Backbone(4.0, steady), EventCache(tmp_path, "clatter"), FAST)
    assert stats.released == [] and stats.generated == 0  # the same take, heard to its end


def test_the_timeline_draws_a_swelling_sound_from_where_its_swell_is_laid(tmp_path, monkeypatch):
    """A whoosh at 3 s, at its loudest 0.8 s after its swell begins, is heard from 2.2 s: its bar starts there, not
    at 3 s."""
    import matplotlib.axes

    def swell(t):
        return np.where(np.abs(t - 1.0) < 0.8, np.cos(np.pi * (t - 1.0) / 1.6) ** 2, 0.0)

    mix, stats = render(RulesPlanner().plan("a door slams at 1 s, a whoosh at 3 s", 6.0), Backbone(4.0, swell),
                        EventCache(tmp_path, "swell"), FAST)
    assert abs(stats.heard_from_s[1] - 2.2) < 0.05 and stats.heard_from_s[0] == 1.0
    drawn, barh = [], matplotlib.axes.Axes.broken_barh
    monkeypatch.setattr(matplotlib.axes.Axes, "broken_barh",
                        lambda self, spans, *a, **kw: drawn.append(list(spans)) or barh(self, spans, *a, **kw))
    timeline_image(RulesPlanner().plan("a door slams at 1 s, a whoosh at 3 s", 6.0), mix, SR, tmp_path / "t.png",
                   stats.heard_from_s)
    heard = [spans for spans in drawn if spans]  # the filled bars (a muted span's outline is drawn with none)
    assert heard[0][0][0] == 1.0 and abs(heard[1][0][0] - 2.2) < 0.05
