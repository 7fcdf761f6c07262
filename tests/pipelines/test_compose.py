import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import foley.pipelines.compose as compose_module
from foley.errors import FoleyError
from foley.models.backbone_settings import DecodingConfig
from foley.media.audio import normalize_loudness, read_audio, true_peak
from foley.media.ffmpeg import run_ffmpeg
from foley.pipelines.compose import (
    STEM_NAME_CHARS,
    SAMPLER_FILE,
    SESSION_VERSION,
    EventCache,
    SamplerConfig,
    Session,
    generate_event,
    model_id,
    turn_lock,
    render,
    stem_names,
)
from foley.pipelines.plan import Event
from foley.pipelines.planners import RulesPlanner

from auffusion_models import tiny_backbone
from conftest import sixteen_channel_clip

FAST = SamplerConfig(steps=2, guidance=2.0, scheduler="ddim")


def level_db(x: np.ndarray) -> float:
    """Mean power in dB (full scale 0 dB)."""
    return 10 * np.log10((x.astype(np.float64) ** 2).mean() + 1e-30)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    return tiny_backbone(tmp_path_factory.mktemp("bb"))


def test_render_places_events_and_edit_regenerates_only_changes(backbone, tmp_path):
    cache = EventCache(tmp_path / "cache", "tiny")
    planner = RulesPlanner()
    width = backbone.mel.width_s
    plan = planner.plan("a ball, then a drum", 2 * width)
    mix, stats = render(plan, backbone, cache, FAST)
    assert mix.shape == (round(2 * width * 16_000),) and mix.dtype == np.float32
    assert (stats.generated, stats.reused) == (2, 0) and np.abs(mix).max() <= 10 ** (-1 / 20) + 1e-6
    edited = planner.plan("replace the drum with a ball hit", plan.duration_s, plan)
    _, stats2 = render(edited, backbone, cache, FAST)
    assert (stats2.generated, stats2.reused) == (1, 1)
    _, stats3 = render(edited, backbone, cache, FAST)
    assert (stats3.generated, stats3.reused) == (0, 2)
    for k, entry in enumerate(sorted((tmp_path / "cache").glob("*.wav"))):  # cut short, or garbage
        entry.write_bytes(entry.read_bytes()[:2000] if k % 2 else b"garbage")
    _, stats4 = render(edited, backbone, cache, FAST)
    assert (stats4.generated, stats4.reused) == (2, 0)  # damaged entries are generated again, never used


def test_a_one_shot_moved_to_the_beds_end_keeps_its_take(backbone, tmp_path):
    width, sr = backbone.mel.width_s, 16_000  # 0.64 s
    short = generate_event(backbone, "a ball", 0.4, 5, FAST, align=True)[0][:3200]  # an aligned take: a window's, cut
    assert np.abs(short - generate_event(backbone, "a ball", width, 5, FAST, align=True)[0][:3200]).max() < 1e-6
    cache, planner = EventCache(tmp_path / "cache", "tiny"), RulesPlanner()
    plan = planner.plan("a ball at 0.2 s for 0.5 s", 2.0)
    mix, _ = render(plan, backbone, cache, FAST)
    moved = planner.plan("move the ball to 1.7 s", 2.0, plan)  # cut to 0.3 s by the bed's end
    assert moved.events[0].length_s == pytest.approx(0.3)
    moved_mix, stats = render(moved, backbone, cache, FAST)
    assert (stats.generated, stats.reused) == (0, 1)
    heard = slice(round(1.72 * sr), round(1.9 * sr))  # past the edge fade-in, before the release
    same = moved_mix[heard], mix[heard.start - round(1.5 * sr):heard.stop - round(1.5 * sr)]
    assert np.corrcoef(*same)[0, 1] > 0.99


def test_a_take_read_from_the_cache_is_the_take_as_generated(backbone, tmp_path):
    plan = RulesPlanner().plan("a ball, then a drum", 2.0)
    cache = EventCache(tmp_path / "cache", "tiny")
    generated, _ = render(plan, backbone, cache, FAST)
    reused, stats = render(plan, backbone, cache, FAST)
    assert stats.reused == 2 and np.abs(reused - generated).max() < 1e-6
    assert max(np.abs(cache.get(k.stem, 16_000)).max() for k in (tmp_path / "cache").glob("*.wav")) > 1.0  # not clipped


def test_a_turn_whose_takes_are_all_cached_renders_without_loading_the_backbone(backbone, tmp_path):
    from foley.pipelines.compose import DeferredBackbone, turn_backbone

    backbone.save_pretrained(tmp_path / "model")
    plan = RulesPlanner().plan("a ball, then a drum", 2.0)
    cache = EventCache(tmp_path / "cache", "tiny")
    generated, _ = render(plan, backbone, cache, FAST)
    deferred = turn_backbone(str(tmp_path / "model"), "cpu")
    assert isinstance(deferred, DeferredBackbone) and deferred.mel == backbone.mel
    reused, stats = render(plan, deferred, cache, FAST)
    assert stats.reused == 2 and stats.generated == 0 and np.abs(reused - generated).max() < 1e-6
    assert deferred._backbone is None  # read its settings alone
    _, stats = render(RulesPlanner().plan("a ball, then a bell", 2.0), deferred, cache, FAST)  # a new take: loaded
    assert stats.generated == 1 and deferred._backbone is not None


def test_aligned_takes_cut_by_another_alignment_are_not_reused(tmp_path, monkeypatch):
    """A change to how takes are aligned makes them again: the aligned key holds its revision."""
    cache = EventCache(tmp_path, "m")
    before = [cache.key("a door slams", 2.0, 0, FAST, aligned) for aligned in (True, False)]
    monkeypatch.setattr(compose_module, "ALIGNMENT_REVISION", compose_module.ALIGNMENT_REVISION + 1)
    after = [cache.key("a door slams", 2.0, 0, FAST, aligned) for aligned in (True, False)]
    assert before[0] != after[0] and before[1] == after[1]


def test_the_event_cache_tells_new_weights_in_the_same_folder_apart(tmp_path):
    """A retrained backbone saved where the old one was must not get the old one's sounds."""
    folder = tmp_path / "bb"
    (folder / "unet").mkdir(parents=True)
    (folder / "unet" / "weights.bin").write_bytes(b"old weights")
    (folder / "model_index.json").write_text("{}")
    before = model_id(str(folder))
    assert before.startswith(f"{folder.resolve()}@") and model_id(str(folder)) == before
    (folder / "unet" / "weights.bin").write_bytes(b"new weights")
    assert model_id(str(folder)) != before
    keys = {EventCache(tmp_path / "cache", m).key("rain", 2.0, 0, FAST, True) for m in (before, model_id(str(folder)))}
    assert len(keys) == 2
    assert model_id("sfx").startswith("sfx@")
    after = model_id(str(folder))
    (folder / SAMPLER_FILE).write_text('{"steps": 15}')  # new defaults: the keys hold the settings used
    (folder / "LICENSE.md").write_text("terms")
    (folder / "licenses").mkdir()
    (folder / "licenses" / "a.txt").write_text("terms")
    assert model_id(str(folder)) == after


def test_a_backbone_names_its_own_sampler_settings_and_given_ones_win(tmp_path):
    folder = tmp_path / "bb"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}")
    assert SamplerConfig.for_backbone(str(folder)) == SamplerConfig()  # no sampler.json: Auffusion's 7.5
    (folder / SAMPLER_FILE).write_text('{"guidance": 3.0, "steps": 30}')
    assert SamplerConfig.for_backbone(str(folder)) == SamplerConfig(steps=30, guidance=3.0)
    given = SamplerConfig.for_backbone(str(folder), steps=None, guidance=1.5, scheduler="ddim")
    assert given == SamplerConfig(steps=30, guidance=1.5, scheduler="ddim")
    for text, message in [('{"guidance": "high"}', "guidance a number from 0 to 50"),
                          ('{"cfg": 3}', r"got \['cfg'\]"), ('[3]', "got list"), ("{oops", "unreadable"),
                          ('{"steps": 0}', "steps must be a whole number from 1 to 1000"), ('{"steps": true}', "True"),
                          ('{"steps": 99999999}', "99999999"), ('{"guidance": 1e308}', r"1e\+308"),
                          ('{"scheduler": ["dpm"]}', r"\['dpm'\]")]:
        (folder / SAMPLER_FILE).write_text(text)
        with pytest.raises(FoleyError, match=message):
            SamplerConfig.for_backbone(str(folder))
    # The shipped sound-effects backbone is sampled as its measurements chose: guidance 3, not 7.5; 15 DPM steps.
    assert SamplerConfig.for_backbone("sfx") == SamplerConfig(steps=15, guidance=3.0, scheduler="dpm")


def test_the_event_cache_tells_new_shared_components_apart(tmp_path):
    """A backbone whose vocoder is another folder's (components.json): new vocoder weights there
    are new sounds here."""
    (tmp_path / "base" / "vocoder").mkdir(parents=True)
    (tmp_path / "base" / "vocoder" / "weights.bin").write_bytes(b"old vocoder")
    (tmp_path / "own" / "unet").mkdir(parents=True)
    (tmp_path / "own" / "components.json").write_text('{"vocoder": "../base/vocoder"}')
    (tmp_path / "own" / "model_index.json").write_text("{}")
    before = model_id(str(tmp_path / "own"))
    (tmp_path / "base" / "vocoder" / "weights.bin").write_bytes(b"new vocoder")
    assert model_id(str(tmp_path / "own")) != before


def test_long_event_is_windowed_and_deterministic(backbone):
    width = backbone.mel.width_s
    a, diffused = generate_event(backbone, "ball", 2.5 * width, seed=3, sampler=FAST)
    b, _ = generate_event(backbone, "ball", 2.5 * width, seed=3, sampler=FAST)
    assert a.shape == (round(2.5 * width * 16_000),) and diffused == 4  # 0.64 s windows, 0.32 s overlaps
    np.testing.assert_array_equal(a, b)


def test_a_background_moved_or_shortened_reuses_the_windows_it_shares(backbone, tmp_path):
    """Past the model width a background is whole windows, window k from seed + k whatever its
    length: made to start later, it is put together from the windows kept, none diffused again."""
    cache, planner = EventCache(tmp_path / "cache", "tiny"), RulesPlanner()
    bed = planner.plan("rain", 3.0)
    _, stats = render(bed, backbone, cache, FAST)
    kept = sorted(p.name for p in (tmp_path / "cache").glob("*.wav"))
    assert (stats.generated, stats.reused) == (1, 0) and len(kept) == 1 + 9  # the take, and its 9 windows
    later = planner.plan("make the rain start at 0.5 s", 3.0, bed)
    mix, stats = render(later, backbone, cache, FAST)
    assert (stats.generated, stats.reused) == (0, 1)  # its 7 windows were among the 9
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.wav")) == sorted(kept + [
        cache.key("rain", 2.5, later.events[0].seed_used, FAST, False, looped=True) + ".wav"])
    assert level_db(mix[:round(0.5 * 16_000)]) < -100 and level_db(mix[16_000:]) > -40  # the rain from 0.5 s
    longer = planner.plan("make the rain start at 0 s", 3.0, later)
    _, stats = render(longer, backbone, cache, FAST)
    assert (stats.generated, stats.reused) == (0, 1)
    short = planner.plan("make the rain last 0.5 s", 3.0, bed)  # shorter than a window: cut from the first
    mix, stats = render(short, backbone, cache, FAST)
    assert (stats.generated, stats.reused) == (0, 1) and level_db(mix[:round(0.4 * 16_000)]) > -40


def test_seeds_and_loudness():
    assert Event("rain", 0, 1, seed=5).seed_used == 5
    assert Event("rain", 0, 1).seed_used == Event("rain", 2, 9).seed_used != Event("wind", 0, 1).seed_used
    import pyloudnorm

    noise = (np.random.default_rng(0).standard_normal(32_000) * 0.01).astype(np.float32)
    out = normalize_loudness(noise, 16_000)
    assert pyloudnorm.Meter(16_000).integrated_loudness(out.astype(np.float64)) == pytest.approx(-20.0, abs=0.1)
    assert np.array_equal(normalize_loudness(np.zeros(100, np.float32), 16_000), np.zeros(100, np.float32))


def test_session_round_trip_and_bad_file(tmp_path):
    s = Session.open(tmp_path / "bed.json", 8.0)
    assert s.plan is None and s.cache_dir == tmp_path / "bed.json.cache"
    plan = RulesPlanner().plan("rain, then thunder", 8.0)
    from foley.pipelines.compose import RenderStats

    (tmp_path / "bed.wav").write_bytes(b"the bed")
    s.add_turn("rain, then thunder", plan, RenderStats(2, 0, 1.0), tmp_path / "bed.wav")
    s.save()
    again = Session.open(tmp_path / "bed.json", 3.0)
    assert again.plan == plan and again.duration_s == 8.0 and again.turns[0]["generated"] == 2
    (tmp_path / "future.json").write_text(json.dumps({**json.loads((tmp_path / "bed.json").read_text()), "version": 99}))
    with pytest.raises(FoleyError, match=r"future.json: a session of a newer foley \(version 99\); this foley reads "
                                         r"version 1: continue it with the foley that wrote it$"):
        Session.open(tmp_path / "future.json", 10)
    (tmp_path / "odd.json").write_text(json.dumps({**json.loads((tmp_path / "bed.json").read_text()), "version": "x"}))
    with pytest.raises(FoleyError, match="not a foley compose session \\(version 'x'; this foley reads version 1\\)"):
        Session.open(tmp_path / "odd.json", 10)
    saved = json.loads((tmp_path / "bed.json").read_text())
    (tmp_path / "bom.json").write_text("\ufeff" + json.dumps(saved), encoding="utf-8")  # as some editors save it
    assert Session.open(tmp_path / "bom.json", 3.0).plan == plan
    (tmp_path / "longer.json").write_text(json.dumps({**saved, "plan": {**saved["plan"], "duration_s": 12.0}}))
    with pytest.raises(FoleyError, match=r"not a foley compose session \(its plan is 12 s long and its bed 8 s\)"):
        Session.open(tmp_path / "longer.json", 10)  # not a bed that grows to 12 s on its next turn
    (tmp_path / "planless.json").write_text(json.dumps({**saved, "plan": None}))
    with pytest.raises(FoleyError, match=r"planless.json: not a foley compose session \(it has turns but no plan\)$"):
        Session.open(tmp_path / "planless.json", 10)  # not a new session whose first turn writes over its turns
    for key, value, said in (("version", True, "version True"), ("sampler", [], "sampler []")):
        (tmp_path / "typed.json").write_text(json.dumps({**saved, key: value}))
        with pytest.raises(FoleyError, match=rf"typed.json: not a foley compose session \({re.escape(said)};?"):
            Session.open(tmp_path / "typed.json", 10)
    for key, value in (("undo", "no"), ("generated", "x"), ("generated", -1), ("text", 5), ("seconds", "1 s")):
        (tmp_path / "turn.json").write_text(json.dumps({**saved, "turns": [{**saved["turns"][0], key: value}]}))
        with pytest.raises(FoleyError, match=rf"turn.json: not a foley compose session \(a turn's {key} "):
            Session.open(tmp_path / "turn.json", 10)
    (tmp_path / "junk.json").write_text("{oops")
    with pytest.raises(FoleyError, match="not a foley compose session"):
        Session.open(tmp_path / "junk.json", 10)
    (tmp_path / "empty.json").touch()
    with pytest.raises(FoleyError, match=r"empty.json: not a foley compose session \(the file is empty\)"):
        Session.open(tmp_path / "empty.json", 10)


def test_a_session_marks_what_its_last_turn_edited_so_that_it_names_it_next(tmp_path):
    """'make the dog louder', then 'make it quieter': 'it' is the dog (was: refused, naming the sounds)."""
    from foley.pipelines.compose import RenderStats

    p, s = RulesPlanner(), Session.open(tmp_path / "bed.json", 10.0)
    bed = p.plan("rain, a dog barks at 3 s", 10.0)
    (tmp_path / "bed.wav").write_bytes(b"the bed")
    s.add_turn("rain, a dog barks at 3 s", bed, RenderStats(2, 0, 1.0), tmp_path / "bed.wav")
    s.save()
    assert [e.edited for e in Session.open(tmp_path / "bed.json", 10.0).plan.events] == [False, False]  # a first turn
    s.add_turn("make the dog louder", p.plan("make the dog louder", 10.0, bed), RenderStats(0, 2, 1.0),
               tmp_path / "bed.wav")
    s.save()
    again = Session.open(tmp_path / "bed.json", 10.0)
    assert [e.edited for e in again.plan.events] == [False, True] and "edited" not in json.dumps(again.plan.to_dict())
    assert [e.gain_db for e in p.plan("make it quieter", 10.0, again.plan).events] == [0, 0]
    s.add_turn("undo", bed, RenderStats(0, 2, 1.0), tmp_path / "bed.wav", undo=True)
    s.save()
    assert not any(e.edited for e in Session.open(tmp_path / "bed.json", 10.0).plan.events)  # an undo edits nothing


def test_a_raised_limit_of_sounds_at_once_is_said_with_the_plan(backbone, tmp_path, foley_cli):
    """After 'allow 4 sounds at once', each turn's plan and the session shown say the bed's limit
    (before, only that turn's 'changed:' line did)."""
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--steps", "2", "--device", "cpu"]
    first = foley_cli(base + ["--model", str(tmp_path / "model"), "a ball, then a drum", "--duration", "2"],
                      cwd=tmp_path)
    assert first.returncode == 0 and first.stdout.splitlines()[0] == "plan (rules, 2 s):", first.stderr
    raised = foley_cli(base + ["allow 4 sounds at once"], cwd=tmp_path)
    assert raised.returncode == 0, raised.stderr
    assert raised.stdout.splitlines()[0] == "plan (rules, 2 s, at most 4 sounds at once):"
    louder = foley_cli(base + ["make the drum louder"], cwd=tmp_path)
    assert louder.stdout.splitlines()[0] == "plan (rules, 2 s, at most 4 sounds at once):"
    shown = foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path).stdout.splitlines()
    assert shown[1] == "plan (at most 4 sounds at once):"


def test_a_swelling_sound_is_said_heard_before_its_span_in_the_plan():
    """A whoosh said at 3.5 s is laid at its loudest then, its swell before: the plan's line says so,
    where '3.50- 5.50 s  a whoosh' read as heard from 3.5 s; not with --no-align, which lays it as it came."""
    from foley.cli.compose import _plan_lines
    from foley.pipelines.plan import Plan

    plan = Plan(10.0, (Event("a door slams", 1.0, 3.0), Event("a whoosh", 3.5, 5.5), Event("rain", 0.0, 10.0)))
    assert _plan_lines(plan) == ["    1.00-  3.00 s  a door slams",
                                 "    3.50-  5.50 s  a whoosh  (at its loudest at 3.5 s, its swell before)",
                                 "    0.00- 10.00 s  rain"]
    assert _plan_lines(plan, align=False)[1] == "    3.50-  5.50 s  a whoosh"


def test_cli_compose_turns(backbone, tmp_path, foley_cli):
    model = tmp_path / "model"
    backbone.save_pretrained(model)
    session = tmp_path / "bed.json"
    base = ["compose", "--model", "model", "--session", str(session), "--steps", "2", "--guidance", "2",
            "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a ball, then a drum", "--duration", "2", "--timeline", str(tmp_path / "t.png")],
                      cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 generated, 0 reused" in first.stdout and "(2 ddim steps, guidance 2)" in first.stdout
    assert (tmp_path / "bed.wav").is_file() and (tmp_path / "t.png").is_file()
    follow_up = [a for a in base if a not in ("--model", "model")]  # the session keeps its backbone
    second = foley_cli(follow_up + ["make the drum louder by 3 dB"], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 generated, 2 reused" in second.stdout  # a gain change needs no generation
    assert "changed: a drum: +0 dB -> +3 dB" in second.stdout
    saved = json.loads(session.read_text())
    assert saved["model"] == str(model.resolve())
    assert saved["sampler"] == {"steps": 2, "guidance": 2.0, "scheduler": "ddim"}
    elsewhere = tmp_path / "elsewhere"  # the session keeps the sampler options and the backbone's absolute path
    elsewhere.mkdir()
    third = foley_cli(["compose", "--session", str(session), "--device", "cpu", "make the drum quieter by 3 dB"],
                      cwd=elsewhere)
    assert third.returncode == 0, third.stderr
    assert "0 generated, 2 reused" in third.stdout and "(2 ddim steps, guidance 2)" in third.stdout
    assert [t["text"] for t in saved["turns"]] == ["a ball, then a drum", "make the drum louder by 3 dB"]
    (tmp_path / "other.wav").write_bytes(b"keep")  # a new session never overwrites a file it did not write
    fresh = [a if a != str(session) else str(tmp_path / "other.json") for a in base]
    refused = foley_cli(fresh + ["a ball", "-o", str(tmp_path / "other.wav")], cwd=tmp_path)
    assert refused.returncode == 2 and "exists; pass --overwrite" in refused.stderr
    assert (tmp_path / "other.wav").read_bytes() == b"keep"
    bad = foley_cli(base + ["make the drum sound like a bell"], cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "does not understand" in bad.stderr
    own = [a if a != str(session) else str(tmp_path / "own.json") for a in base]  # a bed written with -o ...
    assert foley_cli(own + ["a ball", "-o", "mine.wav"], cwd=tmp_path).returncode == 0
    follow_up = [a for a in own if a not in ("--model", "model")]
    follow = foley_cli(follow_up + ["make the ball louder by 2 dB"], cwd=elsewhere)
    assert follow.returncode == 0, follow.stderr  # ... is where its follow-up turns write it, from any folder
    assert f"wrote {tmp_path / 'mine.wav'}:" in follow.stdout and not (tmp_path / "own.wav").exists()
    # a follow-up's -o: a file of its own
    elsewhere_out = foley_cli(follow_up + ["make the ball louder by 1 dB", "-o", str(tmp_path / "other.wav")],
                              cwd=tmp_path)
    assert elsewhere_out.returncode == 2 and "other.wav: exists; pass --overwrite" in elsewhere_out.stderr
    assert (tmp_path / "other.wav").read_bytes() == b"keep"


def test_a_turn_shows_the_sound_it_is_making_step_by_step_on_a_terminal_only(backbone, tmp_path, foley_cli,
                                                                            monkeypatch):
    """Between the plan and the first 'mixed:' line a take is diffused (seconds on a CPU): on a terminal a bar names
    its sound and counts its steps, cleared as it is mixed; a pipe or a log gets the 'mixed:' lines alone."""
    import torch

    heard = []
    plan = RulesPlanner().plan("a ball, then a drum", 2.0)
    cache = EventCache(tmp_path / "cache", "tiny")
    _, stats = render(plan, backbone, cache, FAST, making=lambda e, i, n: heard.append((e.caption, i, n)))
    windows = [heard[k:k + 3] for k in range(0, len(heard), 3)]  # each window diffused: before, after each step
    assert len(windows) >= stats.generated == 2 and len(heard) == 3 * len(windows)
    assert all([(i, n) for _, i, n in w] == [(0, 2), (1, 2), (2, 2)] and len({c for c, _, _ in w}) == 1 for w in windows)
    assert list(dict.fromkeys(c for c, _, _ in heard)) == ["a ball", "a drum"]
    heard.clear()
    render(plan, backbone, cache, FAST, making=lambda e, i, n: heard.append((e.caption, i, n)))
    assert heard == []  # the cache's takes: nothing diffused
    for scheduler in ("dpm", "pndm"):  # counted as the sampler steps (PNDM: 3 steps are 5), the take as it was
        counted = []
        told = backbone.generate(["a ball"], 0.5, steps=3, scheduler=scheduler, step=lambda i, n: counted.append((i, n)))
        n = counted[0][1]
        assert counted == [(i, n) for i in range(n + 1)] and n >= 3, counted
        assert torch.equal(told, backbone.generate(["a ball"], 0.5, steps=3, scheduler=scheduler))
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--model", "model", "--steps", "2", "--guidance", "2", "--scheduler", "ddim", "--device", "cpu",
            "a ball, then a drum", "--duration", "2", "--overwrite"]
    piped = foley_cli(base + ["-o", "piped.wav"], cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert "making" not in piped.stderr and "\r" not in piped.stderr
    assert [line for line in piped.stderr.splitlines() if "mixed" in line] == ["  mixed: a ball", "  mixed: a drum"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = foley_cli(base + ["--steps", "3", "-o", "shown.wav"], cwd=tmp_path)  # new takes: 3 steps
    assert shown.returncode == 0, shown.stderr
    assert "  making a ball: " in shown.stderr and "3/3" in shown.stderr and "  making a drum: " in shown.stderr
    assert shown.stderr.index("making a ball") < shown.stderr.index("mixed: a ball") < shown.stderr.index("making a drum")


def test_stems_are_each_sound_of_the_bed_and_add_up_to_it(tmp_path):
    plan = RulesPlanner().plan("rain, a door slams at 1 s, a dog barks twice at 2 s", 4.0)
    louder = type(plan)(plan.duration_s, tuple(replace(e, gain_db=20.0) for e in plan.events))  # the ceiling holds it
    for p in (plan, louder):
        stems = {}
        mix, _ = render(p, BedBackbone(), EventCache(tmp_path, "bed"), FAST, stems=stems)
        assert list(stems) == ["rain", "a door slams", "a dog barks"]  # the two barks: one layer
        assert all(s.shape == mix.shape and s.dtype == np.float32 for s in stems.values())
        assert np.abs(sum(stems.values()) - mix).max() < 1e-6 * max(1.0, float(np.abs(mix).max()))
        door = stems["a door slams"]
        assert np.abs(door[:int(0.9 * 16_000)]).max() < 1e-6 < np.abs(door[16_000:2 * 16_000]).max()  # where it is laid
    assert stem_names(["rain", "a dog barks", "A dog barks!", "!!!", "x" * 80, "e\u0301cho", "con"]) == [
        "rain.wav", "a-dog-barks.wav", "a-dog-barks-2.wav", "sound.wav", "x" * STEM_NAME_CHARS + ".wav", "\u00e9cho.wav",
        "con-2.wav"]
    # a sound kept by an edit keeps its name, though the sound before it that took the plain one is gone
    assert stem_names(["A dog barks!", "rain"], kept={"a dog barks": "a-dog-barks.wav",
                                                      "A dog barks!": "a-dog-barks-2.wav"}) == ["a-dog-barks-2.wav", "rain.wav"]
    assert stem_names(["a dog barks"], kept={"A dog barks!": "a-dog-barks.wav"}) == ["a-dog-barks.wav"]  # its own gone


def test_cli_compose_stems_follow_the_session(backbone, tmp_path, foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a ball, then a drum", "--model", "model", "--duration", "2", "--stems"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "wrote bed.stems/: 2 stems, one a sound, each as long as the bed; together they are the bed" in first.stdout
    bed, sr = read_audio(tmp_path / "bed.wav")
    stems = {p.name: read_audio(p)[0] for p in (tmp_path / "bed.stems").iterdir()}
    assert sorted(stems) == ["a-ball.wav", "a-drum.wav"] and all(s.shape == bed.shape for s in stems.values())
    assert np.abs(sum(stems.values()) - bed).max() < 3 / 32768  # 16-bit files: each rounded on its own
    (tmp_path / "bed.stems" / "notes.txt").write_text("mine")
    second = foley_cli(base + ["replace the drum with a bell"], cwd=tmp_path)  # written again, the drum's gone
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (tmp_path / "bed.stems").iterdir()) == ["a-ball.wav", "a-bell.wav", "notes.txt"]
    assert "bed.stems/ (2 stems)" in foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path).stdout
    (tmp_path / "bed.stems" / "a-ball.wav").write_bytes(b"edited")  # changed since: kept, unless --overwrite
    refused = foley_cli(base + ["make the ball louder"], cwd=tmp_path)
    assert refused.returncode == 2 and "a-ball.wav: changed since this session wrote it; pass --overwrite" in refused.stderr
    assert (tmp_path / "bed.stems" / "a-ball.wav").read_bytes() == b"edited"
    assert "1 changed since this session wrote them" in foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path).stdout
    (tmp_path / "new.stems").mkdir()
    (tmp_path / "new.stems" / "a-ball.wav").write_bytes(b"someone's")  # a file the run did not write
    other = foley_cli(["compose", "a ball", "--model", "model", "--duration", "2", "--steps", "2", "--stems",
                       "-o", "new.wav", "--device", "cpu"], cwd=tmp_path)
    assert other.returncode == 2 and "new.stems/a-ball.wav: exists; pass --overwrite" in other.stderr
    assert not (tmp_path / "new.wav").exists()
    moved = foley_cli(base + ["remove the bell", "-o", "moved.wav"], cwd=tmp_path)  # a bed elsewhere, its stems with it
    assert moved.returncode == 0, moved.stderr
    assert [p.name for p in (tmp_path / "moved.stems").iterdir()] == ["a-ball.wav"]
    assert sorted(p.name for p in (tmp_path / "bed.stems").iterdir()) == ["a-ball.wav", "a-bell.wav", "notes.txt"]
    spelled = foley_cli(base + ["make the ball quieter", "-o", str(tmp_path / "moved.wav")], cwd=tmp_path)
    assert spelled.returncode == 0, spelled.stderr  # the same bed by another path: its stems written again, in place
    assert [p.name for p in (tmp_path / "moved.stems").iterdir()] == ["a-ball.wav"]
    stem = (tmp_path / "moved.stems" / "a-ball.wav").read_bytes()
    over_a_stem = foley_cli(base + ["make the ball louder", "-o", "moved.stems/a-ball.wav"], cwd=tmp_path)
    assert over_a_stem.returncode == 2 and over_a_stem.stderr == (
        "foley: error: -o moved.stems/a-ball.wav: a stem this session wrote; give the bed a name of its own\n")
    assert (tmp_path / "moved.stems" / "a-ball.wav").read_bytes() == stem
    assert not (tmp_path / "moved.stems" / "a-ball.stems").exists()
    in_the_cache = foley_cli(base + ["make the ball louder", "-o", "bed.json.cache/x.wav"], cwd=tmp_path)
    assert in_the_cache.returncode == 2 and in_the_cache.stderr == (
        "foley: error: -o bed.json.cache/x.wav: inside the session's cache of sounds (bed.json.cache/); give the bed "
        "a place of its own\n")
    assert not (tmp_path / "bed.json.cache" / "x.wav").exists()
    same_name = ["compose", "a ball", "--model", "model", "--duration", "2", "--steps", "2", "--stems", "--device", "cpu",
                 "--session", "take.stems"]
    refused = foley_cli(same_name, cwd=tmp_path)  # the session file would be the stems' folder: refused before any work
    assert refused.returncode == 2 and "take.stems: the session file would also be the stems' folder" in refused.stderr
    assert not (tmp_path / "take.stems").exists() and not (tmp_path / "take.stems.cache").exists()
    refused = foley_cli(same_name[:-1] + ["take.stems/a-ball.wav", "-o", "take.wav"], cwd=tmp_path)  # ... or a stem
    assert refused.returncode == 2 and refused.stderr == (
        "foley: error: take.stems/a-ball.wav: the session file would also be a stem; give it a name of its own, "
        "e.g. take.stems/a-ball.json\n")
    assert not (tmp_path / "take.stems").exists() and not (tmp_path / "take.wav").exists()


def test_a_turn_that_fails_leaves_no_stems_folder_it_made(backbone, tmp_path, foley_cli, monkeypatch):
    import foley.pipelines.compose as compose

    backbone.save_pretrained(tmp_path / "model")

    def fails(*args, **kwargs):
        raise FoleyError("the render failed")

    monkeypatch.setattr(compose, "render", fails)
    for extra in ([], ["--session", "new/s.json"]):
        run = foley_cli(["compose", "a ball", "--model", "model", "--duration", "2", "--steps", "2", "--stems",
                         "-o", "new/bed.wav", "--device", "cpu", *extra], cwd=tmp_path)
        assert run.returncode == 2 and "the render failed" in run.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_first_turn_stopped_after_its_takes_says_its_cache_keeps_them(backbone, tmp_path, foley_cli, monkeypatch):
    import foley.pipelines.compose as compose

    backbone.save_pretrained(tmp_path / "model")
    draw = compose.timeline_image

    def stopped(*args, **kwargs):  # Ctrl-C once the takes are made
        raise KeyboardInterrupt

    monkeypatch.setattr(compose, "timeline_image", stopped)
    base = ["compose", "a ball", "--model", "model", "--duration", "2", "--steps", "2", "--scheduler", "ddim",
            "--device", "cpu", "--session", "bed.json", "--timeline", "t.png"]
    run = foley_cli(base, cwd=tmp_path)
    assert run.returncode == 130 and run.stderr.endswith(
        "note: bed.json.cache/ keeps the sounds this first turn generated, for a turn with --session bed.json to "
        "reuse; remove it if that session is not to be made\nfoley: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bed.json.cache", "model"]
    monkeypatch.setattr(compose, "timeline_image", draw)
    again = foley_cli(base, cwd=tmp_path)  # the turn again: its take read back
    assert again.returncode == 0 and "0 generated, 1 reused" in again.stdout


def test_a_session_moved_or_copied_without_its_cache_says_its_sounds_are_generated_again(backbone, tmp_path, foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--model", str(tmp_path / "model"), "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    assert foley_cli(base + ["a ball", "--duration", "2", "--session", "bed.json"], cwd=tmp_path).returncode == 0
    (tmp_path / "moved").mkdir()
    for name in ("bed.json", "bed.wav"):
        shutil.copy(tmp_path / name, tmp_path / "moved" / name)
    moved = foley_cli(base + ["make the ball louder by 2 dB", "--session", "bed.json"], cwd=tmp_path / "moved")
    assert moved.returncode == 0 and "1 generated" in moved.stdout
    assert "note: bed.json.cache/, where this session keeps the sounds it generated, is not there; each sound is " \
           "generated again\n" in moved.stderr
    again = foley_cli(base + ["make the ball louder by 2 dB", "--session", "bed.json"], cwd=tmp_path / "moved")
    assert again.returncode == 0 and "is not there" not in again.stderr  # made again: kept since
    shutil.copy(tmp_path / "bed.json", tmp_path / "copy.json")
    copied = foley_cli(base + ["make the ball louder by 2 dB", "--session", "copy.json"], cwd=tmp_path)
    assert "is not there; each sound is generated again (to reuse those of bed.json, copy bed.json.cache/ as " \
           "copy.json.cache/ first)\n" in copied.stderr


def test_a_session_file_that_cannot_be_replaced_leaves_the_turns_files_as_they_were(backbone, tmp_path, foley_cli,
                                                                                      monkeypatch):
    """The session is put in place with the bed, picture and stems of its turn: where it cannot be,
    none of them is, and the session still describes the files that are there."""
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a ball, then a drum", "--model", "model", "--duration", "2", "--stems",
                              "--timeline", "t.png"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "cache" not in p.parent.name}
    replace = os.replace

    def refused_for_the_session(src, dst, *args, **kwargs):
        if Path(dst).name == "bed.json":
            raise PermissionError(1, "Operation not permitted")
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refused_for_the_session)
    failed = foley_cli(base + ["replace the drum with a bell"], cwd=tmp_path)
    assert failed.returncode == 2 and failed.stderr.endswith(
        "foley: error: bed.json: cannot be written (Operation not permitted); none of this run's files are written\n")
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "cache" not in p.parent.name} == before
    monkeypatch.setattr(os, "replace", replace)
    again = foley_cli(base + ["replace the drum with a bell"], cwd=tmp_path)  # its files still as it wrote them
    assert again.returncode == 0, again.stderr
    assert "files: bed.wav, t.png, bed.stems/ (2 stems)" in foley_cli(["compose", "--session", "bed.json"],
                                                                      cwd=tmp_path).stdout


def test_a_bed_without_a_session_is_made_when_the_event_cache_cannot_be_written(backbone, tmp_path, foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".cache").write_text("a file where the cache folder would go")
    done = foley_cli(["compose", "a ball", "--model", "model", "--duration", "1", "--steps", "2", "--scheduler",
                      "ddim", "--device", "cpu", "-o", "bed.wav"], cwd=tmp_path, env={"HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert f"note: {home / '.cache' / 'foley' / 'compose'}: cannot be written (" in done.stderr
    assert "this run's events are not kept for later runs" in done.stderr and (tmp_path / "bed.wav").is_file()


def test_a_session_keeps_its_files_next_to_itself(backbone, tmp_path, foley_cli):
    """Its bed and timeline are recorded relative to the session file: follow-up turns rewrite
    them (the picture too, without --timeline) while they are as it wrote them; a copied
    session writes beside the copy; a picture changed since, or a --timeline naming one the
    session did not draw, needs --overwrite."""
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--steps", "2", "--guidance", "2",
            "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["--model", str(tmp_path / "model"), "a ball, then a drum", "--duration", "2",
                              "--timeline", "t.png"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert [json.loads((tmp_path / "bed.json").read_text())["turns"][0][k] for k in ("output", "timeline")] == [
        "bed.wav", "t.png"]
    (tmp_path / "t.png").write_bytes(b"changed by hand")
    kept = foley_cli(base + ["make the drum louder by 2 dB"], cwd=tmp_path)
    assert kept.returncode == 2 and "t.png: changed since this session wrote it; pass --overwrite" in kept.stderr
    assert (tmp_path / "t.png").read_bytes() == b"changed by hand"
    second = foley_cli(base + ["make the drum louder by 2 dB", "--overwrite"], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "wrote t.png" in second.stdout and (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    second_picture = (tmp_path / "t.png").read_bytes()
    # without a text, the session is shown: its plan as a turn prints it, its turns and files; nothing written
    shown = foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and shown.stderr == "" and lines[0].startswith("session bed.json: 2 s, model ")
    assert lines[0].endswith(", 2 turns") and lines[1] == "plan:" and second.stdout.splitlines()[1] in lines
    assert lines[-3:] == ["  1. a ball, then a drum  (2 generated)", "  2. make the drum louder by 2 dB  (0 generated)",
                          "files: bed.wav, t.png"]
    for missing in (["compose"], ["compose", "--session", "nope.json"]):
        refused = foley_cli(missing, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stderr.startswith("foley: error: give a description, e.g. ")
    assert "a folder" in foley_cli(["compose", "--session", str(tmp_path)], cwd=tmp_path).stderr
    as_json = foley_cli(["compose", "--session", "bed.json", "--plan-only"], cwd=tmp_path)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["events"][0]["caption"] == "a ball"
    flagged = foley_cli(["compose", "--session", "bed.json", "--duration", "3"], cwd=tmp_path)
    assert flagged.stderr == "note: --duration applies to a turn; with no text the session is shown\n"
    flagged = foley_cli(["compose", "--session", "bed.json", "--plan-only", "--steps", "5", "--stems"], cwd=tmp_path)
    assert flagged.stderr == "note: --steps, --stems apply to a turn; with no text the session plan is printed\n"
    assert json.loads(flagged.stdout)["events"][0]["caption"] == "a ball"
    empty = foley_cli(["compose", " ", "--session", "bed.json"], cwd=tmp_path)
    assert empty.returncode == 2 and "the text is empty" in empty.stderr
    (tmp_path / "t.png").write_bytes(b"changed by hand again")  # a file changed since is said so
    assert foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path).stdout.splitlines()[-1] == (
        "files: bed.wav, t.png (changed since this session wrote it)")
    (tmp_path / "t.png").write_bytes(second_picture)
    (tmp_path / "other.png").write_bytes(b"keep")
    refused = foley_cli(base + ["make the drum louder by 1 dB", "--timeline", "other.png"], cwd=tmp_path)
    assert refused.returncode == 2 and "other.png: exists; pass --overwrite" in refused.stderr
    assert (tmp_path / "other.png").read_bytes() == b"keep"
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(tmp_path / "bed.json", copy / "bed.json")
    bed_before = (tmp_path / "bed.wav").read_bytes()
    third = foley_cli(base + ["make the ball louder by 2 dB"], cwd=copy)
    assert third.returncode == 0, third.stderr
    assert sorted(p.name for p in copy.iterdir()) == ["bed.json", "bed.json.cache", "bed.wav", "t.png"]
    assert (tmp_path / "bed.wav").read_bytes() == bed_before  # the original session's bed is untouched
    # a copy beside it under another name writes files named after itself, never the original's
    shutil.copy(tmp_path / "bed.json", tmp_path / "variant.json")
    picture_before = (tmp_path / "t.png").read_bytes()
    variant = foley_cli([*base[:2], "variant.json", *base[3:], "make the ball louder by 2 dB"], cwd=tmp_path)
    assert variant.returncode == 0, variant.stderr
    assert ("note: variant.json is a copy of the session bed.json; its turns write variant.wav and the files named "
            "after it, not that session's") in variant.stderr
    assert (tmp_path / "bed.wav").read_bytes() == bed_before and (tmp_path / "t.png").read_bytes() == picture_before
    assert (tmp_path / "variant.wav").is_file() and (tmp_path / "variant.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "variant.json").read_text())["turns"][-1]["output"] == "variant.wav"
    # A session naming a file it did not write (here: one outside its folder) never replaces it unasked.
    (tmp_path / "victim.wav").write_bytes(b"keep")
    data = json.loads((copy / "bed.json").read_text())
    data["turns"][-1]["output"] = "../victim.wav"
    (copy / "bed.json").write_text(json.dumps(data))
    fourth = foley_cli(base + ["make the ball louder by 1 dB", "--overwrite"], cwd=copy)
    assert fourth.returncode == 2 and fourth.stderr == (
        "foley: error: bed.json: its bed is recorded at ../victim.wav, outside the session's folder, and is not there "
        "as the session wrote it; give -o to say where this turn writes it\n")
    assert (tmp_path / "victim.wav").read_bytes() == b"keep"
    # A session whose model folder is gone says so of the session, not of a --model nobody gave.
    (tmp_path / "model").rename(tmp_path / "moved")
    fifth = foley_cli(base + ["make the ball louder by 1 dB"], cwd=tmp_path)
    assert fifth.returncode == 2 and fifth.stderr == (
        f"foley: error: bed.json: its model {tmp_path / 'model'}: no such model folder (pass --model DIR)\n")
    # ... and so when its model folder is there but holds no model, before the plan is printed.
    (tmp_path / "model").mkdir()
    sixth = foley_cli(base + ["make the ball louder by 1 dB"], cwd=tmp_path)
    assert sixth.returncode == 2 and sixth.stdout == "" and sixth.stderr == (
        f"foley: error: bed.json: its model {tmp_path / 'model'}: not a model folder "
        "(no condition_config.json or model_index.json) (pass --model DIR)\n")


def test_a_session_writes_outside_its_folder_only_its_own_files_there(backbone, tmp_path, foley_cli):
    """A bed or picture recorded outside the session's folder (-o ../out/bed.wav) is written again
    while it is there as the session wrote it; one that is not (a session moved away from it, or
    from elsewhere, edited to point there) is refused in one line asking for -o or --timeline,
    and nothing is written."""
    backbone.save_pretrained(tmp_path / "model")
    (tmp_path / "s").mkdir()
    base = ["compose", "--session", "bed.json", "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a ball", "--model", tmp_path / "model", "--duration", "1", "-o", "../out/bed.wav",
                              "--timeline", "../out/bed.png"], cwd=tmp_path / "s")
    assert first.returncode == 0, first.stderr
    again = foley_cli(base + ["make the ball louder by 1 dB"], cwd=tmp_path / "s")
    assert again.returncode == 0 and "wrote ../out/bed.wav" in again.stdout and "wrote ../out/bed.png" in again.stdout
    (tmp_path / "y.wav").write_bytes(b"keep")
    session, saved = tmp_path / "s" / "bed.json", json.loads((tmp_path / "s" / "bed.json").read_text())
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for key, value, said in (("output", "../x.wav", "its bed is recorded at ../x.wav"),
                             ("output", str(tmp_path / "y.wav"), f"its bed is recorded at {tmp_path / 'y.wav'}"),
                             ("timeline", "../x.png", "its timeline picture is recorded at ../x.png")):
        last = {**saved["turns"][-1], key: value}
        session.write_text(json.dumps({**saved, "turns": [*saved["turns"][:-1], last]}))
        before[session] = session.read_bytes()
        refused = foley_cli(base + ["make the ball louder by 1 dB", "--overwrite"], cwd=tmp_path / "s")
        assert refused.returncode == 2 and refused.stderr == (
            f"foley: error: bed.json: {said}, outside the session's folder, and is not there as the session wrote it; "
            f"give {'-o' if key == 'output' else '--timeline'} to say where this turn writes it\n")
        assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    given = foley_cli(base + ["make the ball louder by 1 dB", "--timeline", "bed.png"], cwd=tmp_path / "s")
    assert given.returncode == 0 and "wrote bed.png" in given.stdout, given.stderr
    (tmp_path / "s" / "deeper").mkdir()  # moved alone, away from its files: ../out/ is another folder there
    session.rename(tmp_path / "s" / "deeper" / "bed.json")
    moved = foley_cli(base + ["make the ball louder by 1 dB"], cwd=tmp_path / "s" / "deeper")
    assert moved.returncode == 2
    assert "its bed is recorded at ../out/bed.wav, outside the session's folder" in moved.stderr
    assert not (tmp_path / "s" / "out").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_session_that_is_a_link_is_the_session_it_links_to_and_a_link_to_nothing_is_refused(backbone, tmp_path,
                                                                                               foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    (tmp_path / "real").mkdir()
    base = ["compose", "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a ball", "--model", tmp_path / "model", "--duration", "1", "--session", "bed.json"],
                      cwd=tmp_path / "real")
    assert first.returncode == 0, first.stderr
    (tmp_path / "s.json").symlink_to(Path("real") / "bed.json")
    linked = foley_cli(base + ["make the ball louder by 1 dB", "--session", "s.json"], cwd=tmp_path)
    assert linked.returncode == 0, linked.stderr
    # the bed's length and the time it took told apart (was "..., 0.3 s (2 ddim steps, ...)": read as the bed's)
    assert re.search(rf"^wrote {re.escape(str(Path('real') / 'bed.wav'))}: a 1 s bed of 1 event, 0 generated, 1 reused "
                     r"from the cache, made in \d+\.\d s \(2 ddim steps, guidance \d", linked.stdout, re.M)
    assert "copy" not in linked.stderr and (tmp_path / "s.json").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "real", "s.json"]
    assert json.loads((tmp_path / "real" / "bed.json").read_text())["name"] == "bed.json"
    (tmp_path / "s.json").unlink()
    (tmp_path / "s.json").symlink_to(Path("gone") / "bed.json")
    for plan_only in (["--plan-only"], []):
        done = foley_cli(["compose", "a ball", "--session", "s.json", "--duration", "1", *plan_only], cwd=tmp_path)
        assert done.returncode == 2 and done.stderr == (
            f"foley: error: --session s.json: a link to nothing ({Path('gone') / 'bed.json'}); give the session file "
            "itself, or remove the link to start a new session there\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "real", "s.json"]
    assert (tmp_path / "s.json").is_symlink()


def _rain_session(folder: Path) -> Path:
    """A saved session of one turn, "rain" (its bed.wav a stand-in), in ``folder``: its file."""
    from foley.pipelines.compose import RenderStats

    session = folder / "bed.json"
    s = Session.open(session, 8.0)
    (folder / "bed.wav").write_bytes(b"the bed")
    s.add_turn("rain", RulesPlanner().plan("rain", 8.0), RenderStats(1, 0, 1.0), folder / "bed.wav")
    s.save()
    return session


def test_a_turn_on_a_session_that_another_turn_holds_is_refused_at_once(tmp_path, foley_cli):
    session = _rain_session(tmp_path)
    saved = session.read_text()
    turn = ["compose", "make the gong louder", "--session", str(session)]
    with turn_lock(session):  # held by this process; the turn is another one
        held = subprocess.run([sys.executable, "-m", "foley", *turn], capture_output=True, text=True, cwd=tmp_path,
                              timeout=120)
    assert held.returncode == 2 and held.stdout == "" and held.stderr == (
        f"foley: error: {session}: another turn on this session is running; run this one when it has finished\n")
    assert session.read_text() == saved
    released = foley_cli(turn, cwd=tmp_path)
    assert released.returncode == 2 and "gong" in released.stderr and "another turn" not in released.stderr


def test_export_said_as_a_turn_says_where_each_turn_writes_the_bed(tmp_path, foley_cli):
    session = _rain_session(tmp_path)
    saved = session.read_text()
    for said in ("export", "save it as a wav"):  # was: "the rules planner does not understand 'export'"
        done = foley_cli(["compose", said, "--session", session.name], cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == "" and done.stderr == (
            f"foley: error: {said!r}: each turn writes the bed as it is made, this session's to bed.wav (its files: "
            "foley compose --session bed.json); to have it elsewhere, copy it, or give the next edit -o FILE\n")
    assert session.read_text() == saved
    first = foley_cli(["compose", "export", "--plan-only"], cwd=tmp_path)  # was: a plan of a sound 'export'
    assert first.returncode == 2 and "there is no bed yet to write: describe one first" in first.stderr


@pytest.mark.parametrize("content, why", [("[]", "a JSON list, not an object"), ('"x"', "a JSON str, not an object"),
                                          ('{"version": 1}', "no 'duration_s'"), ("{oops", "Expecting"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": "x"}),
                                           "'turns' must be a list of turns"),
                                          # edited by hand: each said of the session, in one line, before any work
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": -5, "turns": []}),
                                           "(duration_s -5; a bed is 0.5 to 600 s)"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": True, "turns": []}),
                                           "(duration_s True)"),  # was a 1 s bed
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [],
                                                       "plan": {"duration_s": 4, "max_simultaneous": True, "events": [
                                                           {"caption": "rain", "start_time": 0, "end_time": 4}]}}),
                                           "(max_simultaneous must be a number, got True)"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [],
                                                       "sampler": {"steps": "many"}}), "(sampler {'steps': 'many'})"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [],
                                                       "plan": {"duration_s": 4, "events": []}}),
                                           "(the plan has no events)"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [],
                                                       "plan": "rain"}), "(plan 'rain')"),
                                          pytest.param("[" * 100_000 + "]" * 100_000,
                                                       "(maximum recursion depth exceeded", id="nested too deep"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [],
                                                       "name": "../x/bed.json"}), "(name '../x/bed.json')"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4,
                                                       "turns": [{"text": "rain", "output": 5}]}),
                                           "(a turn's output 5)"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4,
                                                       "turns": [{"text": "rain", "stems_sha256": [1]}]}),
                                           "(a turn's stems_sha256 [1])"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4,
                                                       "turns": [{"text": "rain", "stems": {"rain": "../../x.wav"}}]}),
                                           "(a turn's stems {'rain': '../../x.wav'})"),
                                          (json.dumps({"version": SESSION_VERSION, "duration_s": 4, "turns": [
                                              {"text": "rain, wind", "stems": {"rain": "x.wav", "wind": "x.wav"}}]}),
                                           "(a turn's stems {'rain': 'x.wav', 'wind': 'x.wav'})")])
def test_a_file_that_is_no_session_is_refused_in_one_line_and_left_as_it_was(tmp_path, content, why, foley_cli):
    session = tmp_path / "s.json"
    session.write_text(content)
    done = foley_cli(["compose", "rain", "--session", str(session), "--plan-only"], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and why in done.stderr, done.stderr
    assert "not a foley compose session" in done.stderr and sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_session_that_is_a_pipe_is_refused_without_waiting_on_it(tmp_path, foley_cli):
    os.mkfifo(tmp_path / "s.json")
    said = "foley: error: s.json: not a foley compose session (a pipe, socket or device, not a file)\n"
    shown = foley_cli(["compose", "--session", "s.json"], cwd=tmp_path)
    assert shown.returncode == 2 and shown.stderr == said
    turn = subprocess.run([sys.executable, "-m", "foley", "compose", "rain", "--session", "s.json", "--plan-only"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,  # not waiting for ever
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert turn.returncode == 2 and turn.stderr == said and [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_a_file_in_the_place_of_the_session_cache_is_refused_before_generating(tmp_path, foley_cli):
    from foley.pipelines.compose import session_cache_dir

    cache = session_cache_dir(tmp_path / "s.json")
    cache.write_text("mine")
    done = foley_cli(["compose", "rain", "--session", "s.json", "--duration", "2"], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == (f"foley: error: {session_cache_dir('s.json')}: is a file where the "
                                                    "session keeps the sounds it made; move it away, or give the "
                                                    "session another name\n"), done.stderr
    assert [p.name for p in tmp_path.iterdir()] == [cache.name] and cache.read_text() == "mine"


@pytest.mark.parametrize("folder", [".", "beds"])
def test_a_session_that_is_a_folder_is_refused_in_one_line(tmp_path, folder, foley_cli):
    (tmp_path / "beds").mkdir()
    done = foley_cli(["compose", "rain", "--session", folder, "--duration", "2"], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == (f"foley: error: --session {folder}: is a folder; give a session "
                                                    f"file, e.g. {Path(folder) / 'bed.json'}\n"), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beds"] and not any((tmp_path / "beds").iterdir())


def test_a_timeline_draws_captions_in_any_script_without_a_warning_per_glyph(tmp_path):
    import warnings

    from foley.pipelines.compose import timeline_image

    plan = RulesPlanner().plan("雨, then 🐶 barks", 4.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        timeline_image(plan, np.zeros(64_000, np.float32), 16_000, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert not [w for w in caught if "Glyph" in str(w.message)]


def test_the_timeline_of_a_long_bed_is_drawn_in_bounded_memory(tmp_path):
    """A 600 s bed's timeline held 1.2 GB above the process's own: its spectrogram is pooled, as the dub tab's is."""
    import tracemalloc

    from foley.pipelines.compose import timeline_image

    rate, seconds = 16_000, 600
    bed = np.zeros(seconds * rate, np.float32)
    bed[rate::2 * rate] = 0.5  # a click every 2 s
    plan = RulesPlanner().plan("rain throughout, thunder at 100 s", float(seconds))
    tracemalloc.start()
    try:
        timeline_image(plan, bed, rate, tmp_path / "t.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300e6 and (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG", peak


def test_a_timeline_shows_where_a_sound_is_muted(tmp_path):
    import matplotlib.image

    from foley.pipelines.compose import timeline_image

    plan = RulesPlanner().plan("rain", 4.0)
    pictures = {}
    for name, mute in (("whole", ()), ("muted", ((1.0, 3.0),)), ("muted_late", ((2.0, 3.5),))):
        muted = replace(plan, events=[replace(plan.events[0], mute=mute)])
        timeline_image(muted, np.zeros(64_000, np.float32), 16_000, tmp_path / f"{name}.png")
        pictures[name] = matplotlib.image.imread(tmp_path / f"{name}.png")[:40]  # the bars' rows
    filled = [float(np.mean(p[..., :3])) for p in pictures.values()]  # a muted span is left unfilled: lighter
    assert filled[1] > filled[0] + 0.01 and not np.allclose(pictures["muted"], pictures["muted_late"])


def test_first_attack_is_where_the_sound_starts():
    from foley.pipelines.compose import first_attack

    sr = 16_000
    wav = np.zeros(sr, np.float32)
    burst = np.random.default_rng(0).standard_normal(1600).astype(np.float32) * np.exp(-np.arange(1600) / 300)
    wav[8000:9600] = burst
    start = first_attack(wav, sr)
    assert 8000 - 0.03 * sr <= start <= 8000  # backtracked, within 30 ms (librosa's frame resolution)
    assert first_attack(np.zeros(100, np.float32), sr) == 0


def test_a_take_that_sounds_from_its_first_sample_keeps_its_attack():
    """librosa finds no onset in a clip's first 1024 samples: a take sounding from its start (the sfx
    backbone's steps on grass) lost its first 64 ms (46 ms at 22050 Hz), attack and all, when aligned."""
    from foley.pipelines.compose import first_attack

    sr = 16_000
    rng = np.random.default_rng(2)
    for at in (0, 160, 480):  # from the first sample, 10 ms and 30 ms in
        wav = np.zeros(sr, np.float32)
        wav[at:at + 6400] = rng.standard_normal(6400) * np.exp(-np.arange(6400) / 1600) * 0.3
        assert at - 0.03 * sr <= first_attack(wav, sr) <= at, (at, first_attack(wav, sr))


def test_a_faint_bump_before_the_sound_is_not_where_it_starts():
    """A bump 30 dB under the burst that follows (as a generated rumble swells in): the burst,
    not the bump, lands on the start."""
    from foley.pipelines.compose import first_attack

    sr = 16_000
    rng = np.random.default_rng(1)
    wav = np.zeros(2 * sr, np.float32)
    wav[1600:2400] = rng.standard_normal(800) * np.exp(-np.arange(800) / 150) * 0.01
    wav[8000:12800] = rng.standard_normal(4800) * np.exp(-np.arange(4800) / 1200) * 0.3
    start = first_attack(wav, sr)
    assert 8000 - 0.03 * sr <= start <= 8000, start / sr
    assert np.abs(wav[start:start + round(0.03 * sr)]).max() > 0.1  # the burst's attack, kept whole


def test_an_attack_is_found_on_the_take_as_decoded_before_its_noise_filling(tmp_path, monkeypatch):
    """The noise filling's texture must not move where an event starts: the take heard is the
    filled one, shifted by the first attack of the same latents decoded without the filling.
    Here the decoder gives a burst at 0.4 s, and the filling adds one at 0.1 s as loud."""
    import torch

    from foley.pipelines.compose import first_attack

    bb = tiny_backbone(tmp_path / "bb")
    sr, width = bb.mel.sample_rate, bb.mel.width_s
    rng = np.random.default_rng(0)
    burst = (rng.standard_normal(1600) * np.exp(-np.arange(1600) / 300)).astype(np.float32)

    def decode(logmel, generators=None, noise_fill=True):
        wav = np.zeros(round(width * sr), np.float32)
        wav[6400:8000] += burst
        if noise_fill and bb.c.decoding.noise_fill:
            wav[1600:3200] += burst
        return torch.from_numpy(wav)[None]

    monkeypatch.setattr(bb, "vocode", decode)
    bb.c.decoding = DecodingConfig(noise_fill=0.35)
    heard, clean = decode(None)[0].numpy(), decode(None, noise_fill=False)[0].numpy()
    start = first_attack(clean, sr)
    assert 6400 - 0.03 * sr <= start <= 6400 and first_attack(heard, sr) <= 1600  # the filling's burst comes first
    out, _ = generate_event(bb, "ball", width, seed=3, sampler=FAST, align=True)
    np.testing.assert_array_equal(out, np.concatenate([heard[start:], np.zeros(start, np.float32)]))


class BedBackbone:
    """Stands in for the model: steady rain-like noise that swells in after 0.6 s (its first
    onset), as generated beds do."""

    class mel:
        sample_rate, width_s = 16_000, 10.0
        n_fft, n_mels, fmin, fmax = 1024, 64, 0.0, 8000.0

    decoding = DecodingConfig()

    def generate(self, captions, duration_s, **kw):
        import torch

        n = round(duration_s * 16_000)
        noise = np.random.default_rng(kw["seed"]).standard_normal(n).astype(np.float32) * 0.1
        noise[:9600] *= 0.01
        return torch.from_numpy(noise)[None]


class LateBackbone(BedBackbone):
    """Stands in for the model: silence, then from 0.5 s a steady sound to the window's end."""

    def generate(self, captions, duration_s, **kw):
        import torch

        wav = np.random.default_rng(kw["seed"]).standard_normal(round(duration_s * 16_000)).astype(np.float32) * 0.3
        wav[:8000] = 0.0
        return torch.from_numpy(wav)[None]


class FaintSeedBackbone(BedBackbone):
    """Stands in for the model: near-silence (peak about -60 dBFS) from the seeds in ``faint``, a
    steady sound from the others."""

    def __init__(self, faint):
        self.faint = set(faint)

    def generate(self, captions, duration_s, **kw):
        import torch

        wav = np.random.default_rng(kw["seed"]).standard_normal(round(duration_s * 16_000)).astype(np.float32) * 0.3
        return torch.from_numpy(wav * np.float32(1e-3 if kw["seed"] in self.faint else 1.0))[None]


class SwellBackbone(BedBackbone):
    """Stands in for the model: a whoosh, noise swelling in from 0.2 s to its loudest at 1 s and
    away by 1.8 s, after a faint bump at 0.05 s (as the sfx backbone's "a whoosh" came out)."""

    def generate(self, captions, duration_s, **kw):
        import torch

        n, sr = round(duration_s * 16_000), 16_000
        t = np.arange(n) / sr
        shape = np.where(np.abs(t - 1.0) < 0.8, np.cos(np.pi * (t - 1.0) / 1.6) ** 2, 0.0)
        shape += np.where((t > 0.05) & (t < 0.25), 0.03, 0.0)
        noise = np.random.default_rng(kw["seed"]).standard_normal(n)
        return torch.from_numpy((noise * shape * 0.3).astype(np.float32))[None]


def test_a_whoosh_at_a_time_is_at_its_loudest_then(tmp_path):
    """A whoosh at 3 s was laid from its first onset (a faint bump), at its loudest about 1 s later;
    it passes by at 3 s, its swell before it, as does a car said to pass in other words (it drives
    by, a truck goes past). Near the bed's start it begins there, whole; a door slam's take still
    starts at its time."""
    from foley.pipelines.compose import loudest_moment

    sr, cache = 16_000, EventCache(tmp_path, "swell")
    for said, at in (("a whoosh at 3 s", 3.0), ("an arrow whooshes past at 2.5 s", 2.5),
                     ("a car drives by at 2 s", 2.0), ("a truck goes past at 3.5 s", 3.5)):
        mix, _ = render(RulesPlanner().plan(said, 6.0), SwellBackbone(), cache, FAST)
        assert abs(loudest_moment(mix, sr) / sr - at) < 0.05, (said, loudest_moment(mix, sr) / sr)
    mix, _ = render(RulesPlanner().plan("a whoosh at 0.5 s", 6.0), SwellBackbone(), cache, FAST)
    peak = loudest_moment(mix, sr)
    assert peak > 0.6 * sr and level_db(mix[:round(0.2 * sr)]) < level_db(mix[peak - 800:peak + 800]) - 15
    mix, _ = render(RulesPlanner().plan("a door slams at 3 s", 6.0), SwellBackbone(), cache, FAST)
    assert level_db(mix[:round(2.9 * sr)]) < -60 and loudest_moment(mix, sr) > 3.3 * sr  # no swell: from its start


class FlatPassBackbone(BedBackbone):
    """Stands in for the model: a car that passes at one level, noise from 0.1 s to 2 s (as the sfx backbone's
    "a car passes" came out, within 3 dB of its loudest), then silence."""

    def generate(self, captions, duration_s, **kw):
        import torch

        n = round(duration_s * 16_000)
        wav = np.random.default_rng(kw["seed"]).standard_normal(n).astype(np.float32) * 0.2
        wav[:1600] = wav[32_000:] = 0.0
        return torch.from_numpy(wav)[None]


def test_a_pass_by_that_does_not_swell_is_laid_from_its_time_and_said(tmp_path):
    """A car 'passes at 3 s' at one level was laid with its loudest 0.1 s at 3 s: heard from 1.1 s, silent
    from 3 s (its slot's 3-5 s). A take that does not swell is laid from its time, as a one-shot, with a note;
    a whoosh's swell still peaks at its time."""
    from foley.pipelines.compose import render_notes, take_swells

    sr = 16_000
    mix, stats = render(RulesPlanner().plan("a car passes at 3 s", 6.0), FlatPassBackbone(), EventCache(tmp_path, "f"),
                        FAST)
    assert level_db(mix[:round(2.95 * sr)]) < -60 and level_db(mix[round(3.2 * sr):round(4.8 * sr)]) > -30
    assert stats.flat == [("a car passes", 3.0)]
    assert "'a car passes' came out at one level, with no swell to peak at 3 s: it is laid from 3 s" in \
        " ".join(render_notes(stats, 6.0))
    t = np.arange(2 * sr) / sr
    assert take_swells(np.sin(np.pi * t / 2) ** 4 * np.random.default_rng(0).standard_normal(2 * sr), sr)
    assert not take_swells(np.random.default_rng(0).standard_normal(2 * sr), sr)


def test_a_sessions_plan_says_a_pass_by_laid_at_one_level_is_laid_from_its_time(backbone, tmp_path, foley_cli,
                                                                                monkeypatch):
    """A car said to pass at 3 s whose take came out at one level is laid from 3 s: the session's plan and a later
    turn's that keeps its take say so (they said it was at its loudest at 3 s, its swell before, as the plan
    printed before the render had it); moved, it is planned to peak at its new time again."""
    backbone.save_pretrained(tmp_path / "model")

    class Flat(FlatPassBackbone):
        text = None  # no caption notes

    monkeypatch.setattr(compose_module, "turn_backbone", lambda *a, **k: Flat())
    base = ["compose", "--session", "bed.json", "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    first = foley_cli(base + ["a car passes at 3 s, a door slams at 1 s", "--model", "model", "--duration", "6"],
                      cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "a car passes  (at its loudest at 3 s, its swell before)" in first.stdout  # before the render knew
    assert "'a car passes' came out at one level" in first.stderr
    laid = "a car passes  (laid from 3 s: it came out at one level, with no swell to peak then)"
    shown = foley_cli(["compose", "--session", "bed.json"], cwd=tmp_path)
    assert laid in shown.stdout and "its swell before" not in shown.stdout
    louder = foley_cli(base + ["make the door louder by 2 dB"], cwd=tmp_path)
    assert louder.returncode == 0, louder.stderr
    assert laid in louder.stdout and "came out at one level" not in louder.stderr  # said once
    moved = foley_cli(base + ["move the car to 4 s"], cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert "a car passes  (at its loudest at 4 s, its swell before)" in moved.stdout
    assert "'a car passes' came out at one level, with no swell to peak at 4 s" in moved.stderr
    assert "(laid from 4 s: it came out at one level" in foley_cli(["compose", "--session", "bed.json"],
                                                                   cwd=tmp_path).stdout


def test_a_one_shot_that_comes_out_nearly_silent_is_drawn_again(tmp_path):
    from foley.pipelines.compose import FAINT_RETAKES, RETAKE_SEED_STEP

    planner = RulesPlanner()
    plan = planner.plan("a ball bounces at 1 s", 4.0)
    seed = plan.events[0].seed_used
    mix, stats = render(plan, FaintSeedBackbone({seed}), EventCache(tmp_path / "a", "faint"), FAST)
    assert (stats.generated, stats.faint) == (2, []) and level_db(mix[16_000:3 * 16_000]) > -40  # the second try
    every = {seed + r * RETAKE_SEED_STEP for r in range(1 + FAINT_RETAKES)}
    _, stats = render(plan, FaintSeedBackbone(every), EventCache(tmp_path / "b", "faint"), FAST)
    assert stats.generated == 1 + FAINT_RETAKES and [c for c, _, _ in stats.faint] == ["a ball bounces"]  # said, kept
    bed = planner.plan("rain", 4.0)
    _, stats = render(bed, FaintSeedBackbone({bed.events[0].seed_used}), EventCache(tmp_path / "c", "faint"), FAST)
    assert stats.generated == 1  # a background is not drawn again


class LateSeedBackbone(BedBackbone):
    """Stands in for the model, its window 4 s: from the seeds in ``late``, a steady sound from 3.5 s to the
    window's end; from the others, a 1 s sound from 0.5 s; around it a noise floor 80 dB down (the vocoder's
    silence is never digital)."""

    class mel(BedBackbone.mel):
        width_s = 4.0

    def __init__(self, late):
        self.late = set(late)

    def generate(self, captions, duration_s, **kw):
        import torch

        wav = np.random.default_rng(kw["seed"]).standard_normal(round(duration_s * 16_000)).astype(np.float32) * 0.3
        span = slice(56_000, None) if kw["seed"] in self.late else slice(8_000, 24_000)
        wav[:span.start] *= 1e-4
        wav[span.stop or len(wav):] *= 1e-4
        return torch.from_numpy(wav)[None]


def test_a_one_shot_cut_by_its_window_because_it_began_late_is_drawn_again(tmp_path):
    """A take whose sound begins at 3.5 s of a 4 s window, moved onto the event's start, stops 0.5 s later
    while sounding: another seed is drawn; when every try is cut, the note says so."""
    from foley.pipelines.compose import FAINT_RETAKES, RETAKE_SEED_STEP, cut_by_its_window, render_notes

    sr, plan = 16_000, RulesPlanner().plan("a ball bounces at 1 s", 4.0)
    seed = plan.events[0].seed_used
    late, _ = generate_event(LateSeedBackbone({seed}), "a ball bounces", 4.0, seed, FAST, align=True)
    assert cut_by_its_window(late, 2 * sr, sr) and not cut_by_its_window(late, round(0.2 * sr), sr)
    mix, stats = render(plan, LateSeedBackbone({seed}), EventCache(tmp_path / "a", "late"), FAST)
    assert (stats.generated, stats.late) == (2, []) and level_db(mix[round(1.6 * sr):round(1.9 * sr)]) > -40
    every = {seed + r * RETAKE_SEED_STEP for r in range(1 + FAINT_RETAKES)}
    _, stats = render(plan, LateSeedBackbone(every), EventCache(tmp_path / "b", "late"), FAST)
    assert stats.generated == 1 + FAINT_RETAKES and stats.late == [("a ball bounces", 1.0)]
    assert any("began late in the model's window" in note for note in render_notes(stats, 4.0))


def test_an_aligned_event_still_sounds_at_its_end_rather_than_stopping_short():
    """A 1 s event whose attack comes 0.5 s into the take: moved onto the start, it is followed
    by what the window holds after its first second, not by 0.5 s of silence."""
    sr = 16_000
    wav, _ = generate_event(LateBackbone(), "a ball bounces", 1.0, seed=0, sampler=FAST, align=True)
    assert wav.shape == (sr,) and 0.2 < np.abs(wav[: round(0.03 * sr)]).max()  # the attack on the start
    assert level_db(wav[-sr // 10:]) > level_db(wav[: sr // 2]) - 1  # and still sounding at the end
    short, _ = generate_event(LateBackbone(), "a ball bounces", 0.3, seed=0, sampler=FAST, align=True)
    assert np.abs(short).max() > 0.2  # its sound starts after its 0.3 s, and is still what it plays
    long, _ = generate_event(LateBackbone(), "a ball bounces", 12.0, seed=0, sampler=FAST, align=True)  # past a window
    end = len(np.trim_zeros(long, "b"))  # the shift's room at the end, after a release
    assert long.shape == (12 * sr,) and 8000 - 0.03 * sr <= 12 * sr - end <= 8000
    assert np.abs(long[end - 400:end]).max() < 0.1 * np.abs(long[end - 4400:end - 4000]).max()


def test_a_bed_still_covers_its_whole_span(tmp_path):
    plan = RulesPlanner().plan("rain, then a ball bounces", 8.0)
    rain = next(e for e in plan.events if e.caption == "rain")
    assert (rain.start_s, rain.end_s) == (0.0, 8.0)
    mix, _ = render(plan, BedBackbone(), EventCache(tmp_path, "bed"), FAST)
    sr = 16_000
    tail, rain_only = mix[-sr // 2:], mix[sr:3 * sr]  # the ball's aligned sound ends before the last 0.5 s
    assert level_db(tail) > level_db(rain_only) - 6  # the last 0.5 s still rains (it was digitally silent)


def test_a_sound_still_ringing_at_its_planned_end_is_released_not_cut(tmp_path):
    """The stand-in's noise is loud up to the ball's planned end (4 s; not aligned, so not
    shifted); the drum after it starts 40 dB down. The last 50 ms of the ball fade out."""
    plan = RulesPlanner().plan("a ball bounces, then a drum", 8.0)
    assert [(e.start_s, e.end_s) for e in plan.events] == [(0.0, 4.0), (4.0, 8.0)]
    mix, _ = render(plan, BedBackbone(), EventCache(tmp_path, "ring"), FAST, align_onsets=False)
    sr = 16_000
    assert level_db(mix[round(3.95 * sr):4 * sr]) < level_db(mix[2 * sr:3 * sr]) - 15


class BuzzBackbone(BedBackbone):
    """Stands in for the model: noise pulsing at 75 Hz, as the HiFi-GAN vocoder's wind comes out; with
    ``tone``, a loud hum over it, 20 harmonics of 200 Hz (a tonal bed: an engine, a fridge)."""

    def __init__(self, tone=False):
        self.tone = tone

    def generate(self, captions, duration_s, **kw):
        import torch

        t = np.arange(round(duration_s * 16_000)) / 16_000
        wav = np.random.default_rng(kw["seed"]).standard_normal(len(t)) * (1 + 0.9 * np.cos(2 * np.pi * 75 * t)) * 0.05
        wav += 0.1 * np.sin(2 * np.pi * 200 * np.outer(t, np.arange(1, 21))).sum(1) if self.tone else 0.0
        return torch.from_numpy(wav.astype(np.float32))[None]


def pulsing(wav, sr=16_000):
    """How much (N,) ``wav``'s 1-4 kHz envelope repeats every 13.3 ms (75 Hz): its autocorrelation there."""
    from scipy.signal import butter, sosfiltfilt

    env = np.abs(sosfiltfilt(butter(4, [1000, 4000], "bandpass", fs=sr, output="sos"), wav))
    env = sosfiltfilt(butter(4, 400, "lowpass", fs=sr, output="sos"), env)
    env -= env.mean()
    lag = round(sr / 75)
    return float(env[:-lag] @ env[lag:] / (env @ env))


def test_a_steady_noise_bed_loses_the_vocoders_buzz_and_keeps_its_spectrum():
    """A steady noisy background's windows are drawn again as noise with each frame's mel-band power: the
    75 Hz pulsing is gone, the spectrum (each band's level over the take) moves by under 1 dB. A tonal bed
    keeps its take (its hum is no noise), as does a one-shot."""
    import librosa
    from foley.pipelines.compose import is_steady_noise

    sr = 16_000
    buzzing = BuzzBackbone().generate(["wind"], 4.0, seed=1)[0].numpy()
    assert pulsing(buzzing) > 0.5 and is_steady_noise(buzzing, BedBackbone.mel)
    wav, _ = generate_event(BuzzBackbone(), "wind", 4.0, seed=1, sampler=FAST, loop=True)
    assert pulsing(wav) < 0.1
    bank = librosa.filters.mel(sr=sr, n_fft=1024, n_mels=40)
    spectrum = [10 * np.log10(bank @ (np.abs(librosa.stft(x, n_fft=1024)) ** 2).mean(1)) for x in (buzzing, wav)]
    assert np.abs(spectrum[1] - spectrum[0])[2:].max() < 1.0
    for backbone, kw in ((BuzzBackbone(tone=True), dict(loop=True)), (BuzzBackbone(), dict(loop=False))):
        made = backbone.generate(["wind"], 4.0, seed=1)[0].numpy()
        wav, _ = generate_event(backbone, "wind", 4.0, seed=1, sampler=FAST, **kw)
        np.testing.assert_array_equal(wav, made)


def test_a_background_that_falls_silent_before_its_end_or_begins_late_is_looped_over_the_silence():
    """An engine's hum that dies at 2 s of a 3 s span: its sounding part again, crossfaded, to
    the end, at the same level; one that begins late is looped back to the start too; a sound
    that lasts to its ends is left as it is."""
    from foley.pipelines.compose import loop_sounding, sounding_span

    sr = 16_000
    hum = np.zeros(3 * sr, dtype=np.float32)
    hum[int(0.2 * sr):2 * sr] = 0.3 * np.random.default_rng(0).standard_normal(int(1.8 * sr)).astype(np.float32)
    filled = loop_sounding(hum, sr)
    assert filled.shape == hum.shape and sounding_span(filled)[1] == len(hum)
    np.testing.assert_array_equal(filled[:int(1.7 * sr)], hum[:int(1.7 * sr)])  # what sounded is kept
    quarters = filled[int(0.25 * sr):].reshape(-1, sr // 4)
    assert np.ptp([level_db(q) for q in quarters]) < 1.5  # no hole, no bump where the loop joins
    late = np.concatenate([np.zeros(sr, np.float32), hum[int(0.2 * sr):2 * sr], np.zeros(sr // 2, np.float32)])
    looped = loop_sounding(late, sr)  # silent for 1 s, sounds for 1.8 s, then silent for 0.5 s
    assert looped.shape == late.shape and sounding_span(looped) == (0, len(late))
    np.testing.assert_array_equal(looped[int(1.3 * sr):int(2.5 * sr)], late[int(1.3 * sr):int(2.5 * sr)])  # in place
    assert np.ptp([level_db(q) for q in looped[:3 * sr].reshape(-1, sr // 4)]) < 1.5
    steady = hum.copy()
    steady[2 * sr:] = 0.3 * np.random.default_rng(1).standard_normal(sr).astype(np.float32)
    steady[:int(0.2 * sr)] = 0.3
    assert loop_sounding(steady, sr) is steady
    chirp = np.zeros(3 * sr, dtype=np.float32)  # one chirp of "birds chirp" (0.1 s) at 1 s: repeated with pauses
    chirp[sr:int(1.1 * sr)] = 0.5 * np.sin(np.arange(int(0.1 * sr)) * 0.3)
    chirps = loop_sounding(chirp, sr)
    np.testing.assert_array_equal(chirps[int(0.95 * sr):int(1.15 * sr)], chirp[int(0.95 * sr):int(1.15 * sr)])
    loud = np.abs(chirps.reshape(-1, sr // 100)).max(axis=1) > 0.1  # 10 ms frames
    onsets = np.flatnonzero(np.diff(loud.astype(int)) == 1) + 1
    assert len(onsets) >= 5 and np.all(np.diff(onsets) >= 40)  # every 0.45 s or so, a pause between


def hiss_db(wav: np.ndarray, sr: int = 16_000) -> np.ndarray:
    """(frames,) level in dB of ``wav``'s 2-7 kHz band in 50 ms frames."""
    from scipy.signal import butter, sosfilt

    band = sosfilt(butter(4, [2000, 7000], "band", fs=sr, output="sos"), wav)
    frame = sr // 20
    return np.array([level_db(band[i:i + frame]) for i in range(0, len(band) - frame + 1, frame)])


def test_a_backgrounds_loop_joins_it_as_it_was_there_without_its_windows_edges():
    """A window of "a machine humming" whose hiss dies away 40 dB over its 3 s, then silence: looped forwards,
    its loud start came back over the quiet at each seam (2-7 kHz up 20 dB within 0.1 s), with the click 22 ms
    into the window; looped backwards and forwards in turn, without its first and last LOOP_EDGE_S, every seam
    joins it to itself, the click heard once, where it is kept."""
    from scipy.signal import butter, sosfilt

    from foley.pipelines.compose import loop_sounding

    sr, n = 16_000, 3 * 16_000
    hiss = sosfilt(butter(4, 2000, "high", fs=sr, output="sos"), np.random.default_rng(0).standard_normal(n))
    take = np.zeros(4 * sr, np.float32)
    take[:n] = 0.2 * np.sin(2 * np.pi * 120 * np.arange(n) / sr) + 0.1 * hiss * 10 ** (-2 * np.arange(n) / n)
    take[round(0.022 * sr)] += 2.0
    filled = loop_sounding(take, sr)
    np.testing.assert_array_equal(filled[:int(2.5 * sr)], take[:int(2.5 * sr)])  # what sounded is kept
    hiss = hiss_db(filled)
    assert np.abs(np.diff(hiss[1:])).max() < 3, np.diff(hiss).round(1)  # no jump at a seam (the click's frame aside)
    assert hiss[57:63].max() < hiss[54:57].mean() + 3  # it goes on as quiet as it ended: the loud start is not back
    clicks = np.flatnonzero(np.abs(np.diff(filled)) > 1.0) / sr
    assert len(clicks) and clicks.max() < 0.05, clicks  # one click, where it is kept
    late = np.concatenate([take[n - 1::-1], np.zeros(sr, np.float32)])[-4 * sr:]  # the same, backwards: it begins late
    hiss = hiss_db(loop_sounding(late, sr))
    assert np.abs(np.diff(hiss[:-2])).max() < 3, np.diff(hiss).round(1)


class WindowClickBackbone(BedBackbone):
    """Stands in for the sfx backbone's windows of "a machine humming": a 120 Hz hum, 4 s a window, with a click
    22 ms into each, as its windows begin with a burst."""

    class mel(BedBackbone.mel):
        width_s = 4.0

    def generate(self, captions, duration_s, **kw):
        import torch

        n = round(duration_s * 16_000)
        wav = 0.2 * np.sin(2 * np.pi * 120 * np.arange(n) / 16_000)
        wav[352] += 0.5
        return torch.from_numpy(wav.astype(np.float32))[None]


def test_a_later_window_of_a_background_begins_without_the_burst_at_its_start():
    """The windows of a 10 s hum start at 0, 3 and 6 s: the click at the start of the second and third, faded in
    under the first and second, was heard as a tick; a later window's first LOOP_EDGE_S are left out."""
    from scipy.signal import butter, sosfilt

    sr = 16_000
    wav, diffused = generate_event(WindowClickBackbone(), "a machine humming", 10.0, seed=1, sampler=FAST, loop=True)
    assert diffused == 3
    ticks = np.abs(sosfilt(butter(4, 4000, "high", fs=sr, output="sos"), wav))
    assert ticks[:int(0.1 * sr)].max() > 0.03  # the bed's first window keeps its start
    assert ticks[int(0.1 * sr):].max() < 1e-3, np.flatnonzero(ticks > 1e-3)[:3] / sr


def test_a_muted_span_silences_its_sound_there_and_keeps_its_take_elsewhere(tmp_path):
    """"remove the rain from 3 to 5 s": nothing is generated again; the rain is silent in the span
    (faded over MUTE_FADE_S each side) and the same take at the same level, sample for sample,
    outside it: a muted span does not re-level the bed."""
    from foley.pipelines.compose import MUTE_FADE_S

    sr, planner, cache = 16_000, RulesPlanner(), EventCache(tmp_path, "bed")
    bed = planner.plan("rain", 8.0)
    whole, _ = render(bed, BedBackbone(), cache, FAST)
    cut = planner.plan("remove the rain from 3 to 5 s", 8.0, bed)
    mix, stats = render(cut, BedBackbone(), cache, FAST)
    assert stats.generated == 0 and stats.reused == 1
    assert level_db(mix[3 * sr:5 * sr]) < -100  # silent
    outside = np.r_[round(1 * sr):round((3 - MUTE_FADE_S) * sr), round((5 + MUTE_FADE_S) * sr):round(7.5 * sr)]
    np.testing.assert_allclose(mix[outside], whole[outside], rtol=1e-4, atol=1e-6)  # the same take, as loud
    fade = mix[round((5 + MUTE_FADE_S / 2) * sr):round((5 + MUTE_FADE_S) * sr)]
    assert level_db(fade) < level_db(mix[6 * sr:7 * sr]) - 1  # back in over the fade, not at once


def test_a_take_loses_its_offset_and_infrasound_but_keeps_what_is_heard():
    from foley.pipelines.compose import without_rumble

    sr = 22_050
    t = np.arange(2 * sr) / sr
    heard = (0.3 * np.sin(2 * np.pi * 440 * t) * (t >= 1)).astype(np.float32)  # from 1 s on
    clean = without_rumble(heard + 0.05 + 0.2 * np.sin(2 * np.pi * 8 * t).astype(np.float32), sr)  # DC and 8 Hz
    assert clean.dtype == np.float32 and abs(clean[sr // 2:].mean()) < 2e-3
    assert level_db(clean[sr // 2:sr]) < level_db(heard[sr:]) - 30  # the rumble before the tone: gone
    assert abs(level_db(clean[sr + sr // 4:]) - level_db(heard[sr + sr // 4:])) < 0.1  # the tone: kept


class ClickBackbone(BedBackbone):
    """Stands in for the model: for birds, a 2 ms click every half second in silence, as a window
    of "birds chirping" came out (one chirp and its click); for anything else, steady noise."""

    def generate(self, captions, duration_s, **kw):
        import torch

        if "birds" not in captions[0]:
            return super().generate(captions, duration_s, **kw)
        clip = np.zeros(round(duration_s * 16_000), np.float32)
        for start in range(0, len(clip) - 32, 8000):
            clip[start:start + 32] = 0.5
        return torch.from_numpy(clip)[None]


def test_a_sparse_bed_peaks_under_the_events_on_top_of_it(tmp_path):
    """Leveled on its sounding part, a bed of clicks in silence peaked 26 dB over its loudness,
    over the dog barking on top of it; its peaks stay BED_CREST_DB over a bed's level."""
    plan = RulesPlanner().plan("birds chirping, a dog barks at 2 s", 4.0)
    mix, _ = render(plan, ClickBackbone(), EventCache(tmp_path, "c"), FAST, align_onsets=False)
    sr = 16_000
    bed, dog = np.abs(mix[:int(1.9 * sr)]).max(), np.percentile(np.abs(mix[int(2.7 * sr):int(3.7 * sr)]), 99.9)
    assert bed < dog, (bed, dog)  # (before: 0.77 against 0.56)


def test_a_bed_is_mixed_under_the_events_on_top_of_it(tmp_path):
    """The stand-in generates rain and the ball at the same level; the mix keeps the bed
    BED_UNDER_DB under the ball: rain + ball is 10 log10(1 + 10^-1) = 0.4 dB over the ball."""
    from foley.pipelines.compose import BED_UNDER_DB

    plan = RulesPlanner().plan("rain, then a ball bounces", 8.0)
    mix, _ = render(plan, BedBackbone(), EventCache(tmp_path, "bed"), FAST)
    sr = 16_000
    difference = level_db(mix[5 * sr:7 * sr]) - level_db(mix[sr:3 * sr])  # ball + rain vs rain alone
    assert abs(difference - (BED_UNDER_DB + 0.41)) < 1.0, difference


@pytest.mark.parametrize("gain_db", [-6.0, 3.0])
def test_a_gain_is_heard_as_given_even_on_the_only_event(tmp_path, gain_db):
    """A bed of rain alone, then the same rain at gain_db: the mix moves by gain_db. The stand-in's
    rain at -20 LUFS peaks near -5 dBFS, so +3 dB stays under the ceiling."""
    plan = RulesPlanner().plan("rain", 4.0)
    changed = type(plan)(plan.duration_s, tuple(replace(e, gain_db=gain_db) for e in plan.events))
    cache = EventCache(tmp_path, "bed")
    before, _ = render(plan, BedBackbone(), cache, FAST)
    after, stats = render(changed, BedBackbone(), cache, FAST)
    assert level_db(after) - level_db(before) == pytest.approx(gain_db, abs=0.05) and stats.held_db < 0.05
    assert true_peak(after) <= 10 ** (-1 / 20) + 1e-6


def test_a_gain_above_the_ceiling_is_held_at_it(tmp_path):
    plan = RulesPlanner().plan("rain", 4.0)
    louder = type(plan)(plan.duration_s, tuple(replace(e, gain_db=20.0) for e in plan.events))
    plain, _ = render(plan, BedBackbone(), EventCache(tmp_path, "bed"), FAST)
    mix, stats = render(louder, BedBackbone(), EventCache(tmp_path, "bed"), FAST)
    assert true_peak(mix) == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    # the 0 dB mix peaks at P dBTP; +20 dB takes it to P + 20, and the ceiling (-1 dBTP) holds it back by the rest
    plain_peak_db = 20 * np.log10(true_peak(plain))
    assert stats.held_db == pytest.approx(plain_peak_db + 20 + 1, abs=0.05)


class QuietBackbone(BedBackbone):
    """A model that answers with a whisper (peak about -50 dBFS)."""

    def generate(self, captions, duration_s, **kw):
        return super().generate(captions, duration_s, **kw) * 0.01


def test_nearly_silent_events_are_reported(tmp_path):
    plan = RulesPlanner().plan("a ball bounces", 2.0)
    _, stats = render(plan, QuietBackbone(), EventCache(tmp_path, "quiet"), FAST)
    assert [caption for caption, _, _ in stats.faint] == ["a ball bounces"]
    assert -70 < stats.faint[0][1] < -35
    _, loud = render(plan, BedBackbone(), EventCache(tmp_path, "loud"), FAST)
    assert loud.faint == []


class OneShotBackbone(BedBackbone):
    """Stands in for the model: a 0.5 s burst, then silence to the window's end."""

    def generate(self, captions, duration_s, **kw):
        import torch

        wav = np.zeros(round(duration_s * 16_000), np.float32)
        wav[:8000] = np.random.default_rng(kw["seed"]).standard_normal(8000).astype(np.float32) * 0.3
        return torch.from_numpy(wav)[None]


def test_a_one_shot_silent_for_most_of_its_span_is_said_to_be_one_sound(tmp_path):
    from foley.pipelines.compose import render_notes

    _, stats = render(RulesPlanner().plan("a bell rings", 6.0), OneShotBackbone(), EventCache(tmp_path, "one"), FAST)
    assert [(c, t, round(s, 1), n) for c, t, s, n in stats.short] == [("a bell rings", 0.0, 0.5, 6.0)]
    assert render_notes(stats, 6.0) == ["'a bell rings' at 0 s is one sound: it sounds 0.5 s of its 6 s, then is silent "
                                        "('a bell rings every 2 s' fills its span)"]  # said so as an edit too
    assert render_notes(stats, 6.0, said_before={("a bell rings", 0.0)}) == []  # a session's turn that kept it
    _, thirds = render(RulesPlanner().plan("a bell rings, then rain", 7.0), OneShotBackbone(), EventCache(tmp_path, "one"),
                       FAST)
    assert render_notes(thirds, 7.0)[0].startswith("'a bell rings' at 0 s is one sound: it sounds 0.5 s of its 3.5 s")
    slot = RulesPlanner().plan("a door slams, then a bell rings, then rain", 10.0)  # the bell from 3.333 s
    _, thirds = render(slot, OneShotBackbone(), EventCache(tmp_path, "one"), FAST)
    assert "'a bell rings' at 3.33 s is one sound: it sounds 0.5 s of its 3.33 s" in render_notes(thirds, 10.0)[1]
    _, filled = render(RulesPlanner().plan("a bell rings repeatedly", 6.0), OneShotBackbone(),
                       EventCache(tmp_path, "one"), FAST)
    _, brief = render(RulesPlanner().plan("a bell rings for 2 s", 6.0), OneShotBackbone(), EventCache(tmp_path, "one"),
                      FAST)
    assert filled.short == brief.short == []  # filled, or in a span it nearly sounds
    # a sound said again (or to come now and then, each as long as one at its time) is one sound each time, as asked:
    # no note
    plan = RulesPlanner().plan("a bell rings, then a bell rings", 12.0)
    assert len(plan.events) == 2 and all(e.length_s >= 3 for e in plan.events)
    _, again = render(plan, OneShotBackbone(), EventCache(tmp_path, "one"), FAST)
    assert again.short == []
    _, now_and_then = render(RulesPlanner().plan("a bell rings now and then", 12.0), OneShotBackbone(),
                             EventCache(tmp_path, "one"), FAST)
    assert now_and_then.short == []


def test_a_session_turn_gives_the_notes_of_the_sounds_it_changed_not_again_those_of_the_others(tmp_path, capsys):
    from foley.cli.compose import _report_turn

    planner = RulesPlanner()
    first = planner.plan("a bell rings, then rain", 7.0)
    quieter = planner.plan("make the rain quieter", 7.0, first)  # the bell as it was
    moved = planner.plan("move the bell 0.5 s later", 7.0, first)
    louder = planner.plan("make the bell louder", 7.0, first)  # its level: the same take where it was
    said = {}
    for name, plan, previous in (("first", first, None), ("quieter", quieter, first), ("moved", moved, first),
                                 ("louder", louder, first)):
        _, stats = render(plan, OneShotBackbone(), EventCache(tmp_path, "one"), FAST)
        _report_turn(plan, stats, FAST, tmp_path / "bed.wav", None, {}, None, None, previous)
        said[name] = [line for line in capsys.readouterr().err.splitlines() if "is one sound" in line]
    assert said["first"] == ["note: 'a bell rings' at 0 s is one sound: it sounds 0.5 s of its 3.5 s, then is silent "
                             "('a bell rings every 2 s' fills its span)"]
    assert said["quieter"] == said["louder"] == []  # said on the turn that made it
    assert said["moved"] == [said["first"][0].replace("at 0 s", "at 0.5 s")]


def test_a_session_says_the_mix_is_held_at_the_ceiling_on_the_turn_that_holds_it_not_on_each_later_turn(tmp_path,
                                                                                                        capsys):
    from foley.cli.compose import _report_turn
    from foley.pipelines.compose import Session

    planner = RulesPlanner()
    first = planner.plan("rain, a bell rings at 1 s", 4.0)
    louder = planner.plan("make the bell louder by 12 dB", 4.0, first)
    moved = planner.plan("move the bell to 2 s", 4.0, louder)  # the bell as loud: the mix held about as much
    quieter = planner.plan("make the bell quieter by 3 dB", 4.0, moved)  # held 3 dB less
    cache, session = EventCache(tmp_path, "bed"), Session(tmp_path / "bed.json", 4.0, [])
    said = {}
    for name, plan, previous in (("first", first, None), ("louder", louder, first), ("moved", moved, louder),
                                 ("quieter", quieter, moved)):
        _, stats = render(plan, BedBackbone(), cache, FAST)
        held_before = session.turns[-1]["held_db"] if session.turns else None
        _report_turn(plan, stats, FAST, tmp_path / "bed.wav", None, {}, None, None, previous, held_before)
        said[name] = [line for line in capsys.readouterr().err.splitlines() if "-1 dBTP ceiling" in line]
        session.add_turn(name, plan, stats, tmp_path / "bed.wav", written={Path(tmp_path / "bed.wav"): __file__})
        assert session.turns[-1]["held_db"] == round(stats.held_db, 2)
    assert said["first"] == [] and len(said["louder"]) == 1  # said on the turn whose gain holds the mix
    assert said["moved"] == []  # not again on a turn that left the hold as it was
    assert len(said["quieter"]) == 1 and said["quieter"] != said["louder"]  # again, with the hold it changed to
    _, stats = render(moved, BedBackbone(), cache, FAST)
    _report_turn(moved, stats, FAST, tmp_path / "bed.wav", None, {}, None, None, louder, None)
    assert "-1 dBTP ceiling" in capsys.readouterr().err  # a session from before the hold was kept: said


def test_cli_compose_refuses_an_unknown_model_before_planning(tmp_path, foley_cli):
    done = foley_cli(["compose", "rain", "--model", "nosuch", "-o", str(tmp_path / "x.wav")], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "not a shipped backbone (sfx, demo)" in done.stderr and done.stdout == ""
    assert not (tmp_path / "x.wav").exists()
    path = foley_cli(["compose", "rain", "--model", "./missingdir", "-o", str(tmp_path / "x.wav")], cwd=tmp_path)
    assert path.returncode == 2 and path.stderr == "foley: error: --model ./missingdir: no such model folder\n"
    assert path.stdout == "" and not (tmp_path / "x.wav").exists()
    (tmp_path / "empty").mkdir()
    (tmp_path / "weights.bin").write_bytes(b"x")
    for model, said in (("empty", "not a model folder (no condition_config.json or model_index.json)"),
                        ("weights.bin", "a file, not a model folder")):
        bad = foley_cli(["compose", "rain", "--model", model, "-o", str(tmp_path / "x.wav")], cwd=tmp_path)
        assert bad.returncode == 2 and bad.stderr == f"foley: error: --model {model}: {said}\n", bad.stderr
        assert bad.stdout == "" and not (tmp_path / "x.wav").exists()


def test_cli_compose_refuses_an_output_that_is_not_wav_before_planning(tmp_path, foley_cli):
    done = foley_cli(["compose", "rain", "-o", str(tmp_path / "bed")], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "give -o a path ending in .wav" in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_cli_compose_never_writes_over_a_file_it_was_not_asked_to_replace(tmp_path, foley_cli):
    (tmp_path / "keep.wav").write_bytes(b"audio")
    (tmp_path / "clip.mp4").write_bytes(b"video")
    for args, said in ((["-o", "bed.wav", "--timeline", "keep.wav"], "keep.wav: the timeline is written as PNG"),
                       (["-o", "bed.wav", "--timeline", "clip.mp4"], "clip.mp4: the timeline is written as PNG"),
                       (["-o", "bed.wav", "--timeline", "t.jpg"], "t.jpg: the timeline is written as PNG"),
                       (["--session", "s.wav"], "s.wav: the session file would also be the bed; give it a name of "
                                                "its own, e.g. s.json"),
                       (["--session", "s.png", "--timeline", "s.png"], "s.png: the session file would also be the "
                                                                        "timeline")):
        done = foley_cli(["compose", "rain", *args], cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.startswith(f"foley: error: {said}"), done.stderr
    (tmp_path / "t.png").write_bytes(b"picture")
    done = foley_cli(["compose", "rain", "--timeline", "t.png"], cwd=tmp_path)
    assert done.returncode == 2 and "t.png: exists; pass --overwrite to replace it" in done.stderr
    edit = foley_cli(["compose", "make the rain louder", "--timeline", "t.png"], cwd=tmp_path)  # no bed: said first
    assert edit.returncode == 2 and "is an edit, and there is no bed to edit yet" in edit.stderr
    typo = foley_cli(["compose", "make the rain louder", "--session", "bde.json"], cwd=tmp_path)  # which file is not there
    assert typo.returncode == 2 and typo.stderr.endswith("; bde.json is no session yet\n"), typo.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "keep.wav", "t.png"]
    assert (tmp_path / "keep.wav").read_bytes() == b"audio" and (tmp_path / "t.png").read_bytes() == b"picture"


def test_cli_compose_plan_only_prints_json_alone_and_writes_nothing(tmp_path, foley_cli):
    (tmp_path / "compose.wav").write_bytes(b"a bed")  # the default output, which --plan-only does not write
    done = foley_cli(["compose", "rain, then thunder", "--plan-only"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert [e["caption"] for e in plan["events"]] == ["rain", "thunder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.wav"]
    assert done.stderr == ""  # rain goes on to the end of the bed: nothing to say
    started = foley_cli(["compose", "rain", "--plan-only", "--session", "s.json"], cwd=tmp_path)
    assert started.returncode == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["compose.wav"]
    assert "note: --plan-only writes nothing; s.json is not started" in started.stderr, started.stderr
    files = foley_cli(["compose", "rain", "--plan-only", "-o", "x.wav", "--timeline", "t.png", "--stems"], cwd=tmp_path)
    assert files.returncode == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["compose.wav"]
    assert files.stderr == "note: --plan-only writes nothing (-o, --timeline, --stems not used)\n"
    from foley.pipelines.compose import SESSION_VERSION
    from foley.pipelines.plan import Plan

    kept = json.dumps({"version": SESSION_VERSION, "duration_s": 10.0, "model": None, "sampler": {}, "turns": [],
                       "plan": Plan(10.0, (Event("rain", 0.0, 10.0),)).to_dict()})
    (tmp_path / "s.json").write_text(kept)
    edited = foley_cli(["compose", "make the rain quieter", "--plan-only", "--session", "s.json"], cwd=tmp_path)
    assert edited.returncode == 0 and json.loads(edited.stdout)["events"][0]["gain_db"] == -6, edited.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.wav", "s.json"]  # no cache folder, no lock
    assert (tmp_path / "s.json").read_text() == kept
    (tmp_path / "demo.json").write_text(kept.replace('"model": null', '"model": "demo"'))
    switched = foley_cli(["compose", "make the rain quieter", "--plan-only", "--session", "demo.json", "--model",
                          "sfx"], cwd=tmp_path)
    assert switched.returncode == 0, switched.stderr  # the switch of backbone is said with the plan, before any render
    assert "note: this session was composed with --model demo; its events are generated again with sfx" in switched.stderr
    (tmp_path / "demo.json").unlink()
    # an edit that changes nothing is no turn
    same = foley_cli(["compose", "make the rain start at 0 s", "--session", "s.json"], cwd=tmp_path)
    assert same.returncode == 2 and same.stderr == ("foley: error: 'make the rain start at 0 s' changes nothing: the "
                                                    "plan would be as it is\n")
    faded = foley_cli(["compose", "fade out the rain at the end", "--session", "s.json"], cwd=tmp_path)
    assert faded.returncode == 2 and faded.stderr == (
        "foley: error: 'fade out the rain at the end' changes nothing: the plan would be as it is; a sound's end is "
        "faded over 0.25 s wherever it stops, and no edit sets a fade's length\n")
    assert (tmp_path / "s.json").read_text() == kept


def test_cli_compose_says_when_the_sounds_end_well_before_the_default_bed(tmp_path, foley_cli):
    run = ["compose", "footsteps on gravel for 4 s", "--plan-only"]
    done = foley_cli(run, cwd=tmp_path)
    assert done.returncode == 0 and json.loads(done.stdout)["duration_s"] == 10.0
    assert done.stderr == ("note: the sounds end at 4 s and the bed is 10 s (the default); --duration 4 makes it "
                           "as long as they are\n")
    given = foley_cli([*run, "--duration", "10"], cwd=tmp_path)
    assert given.returncode == 0 and given.stderr == ""  # a length the user chose is not questioned
    paused = foley_cli(["compose", "two knocks, a pause, then two more knocks", "--plan-only"], cwd=tmp_path)
    assert paused.returncode == 0, paused.stderr  # a pause between the sounds asks for no silent end
    assert ("note: the sounds end at 2.2 s and the bed is 10 s (the default); --duration 2.2 makes it as long as "
            "they are\n") in paused.stderr
    pasted = ["compose", '{"duration_s": 5, "events": [{"caption": "a door opens and shuts", '
              '"start_s": 0, "end_s": 3}]}', "--plan-only"]
    done = foley_cli(pasted, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""  # its length is the plan's, not the default
    done = foley_cli([*pasted, "--duration", "3"], cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "note: the plan gives its own length, 5 s; --duration 3 is not used\n"


def test_cli_compose_refuses_an_output_it_cannot_write_before_any_work(tmp_path, foley_cli):
    (tmp_path / "a_file").write_text("")
    for args in (["-o", str(tmp_path / "a_file" / "x.wav")],
                 ["-o", str(tmp_path / "ok.wav"), "--timeline", str(tmp_path / "a_file" / "t.png")],
                 ["-o", str(tmp_path / "ok.wav"), "--session", str(tmp_path / "a_file" / "s.json")]):  # its cache
        done = foley_cli(["compose", "rain", *args], cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "cannot write there (" in done.stderr and "a_file is a file, not a folder)" in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
    (tmp_path / "a_dir.wav").mkdir()  # a folder named like the bed: said so, with or without --overwrite
    for extra in ([], ["--overwrite"]):
        done = foley_cli(["compose", "rain", "-o", "a_dir.wav", *extra], cwd=tmp_path)
        assert done.returncode == 2 and done.stderr == "foley: error: a_dir.wav: a folder of that name is there; give a " \
            "file name\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir.wav", "a_file"]


class StepBackbone(BedBackbone):
    """A one-shot model: a 0.15 s burst at the start of every clip, then silence (as the sfx
    backbone answers "footsteps": one step)."""

    def generate(self, captions, duration_s, **kw):
        import torch

        clip = np.zeros(round(duration_s * 16_000), np.float32)
        rng = np.random.default_rng(kw["seed"])  # a struck sound: sharp attack, 30 ms decay
        clip[:2400] = rng.standard_normal(2400) * np.exp(-np.arange(2400) / 480) * rng.uniform(0.1, 0.3)
        return torch.from_numpy(clip)[None]


def test_a_one_shot_still_sounding_at_the_beds_end_is_said_to_be_cut(tmp_path):
    """The stand-in's burst lasts 0.15 s: at 3.9 s of a 4 s bed it is cut, at 2.5 s it rings out
    inside the 1.5 s left."""
    from foley.pipelines.compose import render_notes

    plan = RulesPlanner().plan("a ball bounces at 2.5 s and a drum at 3.9 s", 4.0)
    assert [(e.caption, e.start_s, e.end_s) for e in plan.events] == [("a ball bounces", 2.5, 4.0), ("a drum", 3.9, 4.0)]
    _, stats = render(plan, StepBackbone(), EventCache(tmp_path, "steps"), FAST)
    assert stats.cut == [("a drum", 3.9)]
    assert render_notes(stats, plan.duration_s) == ["'a drum' at 3.9 s still sounds when the bed ends at 4 s and is "
                                                   "cut there; an earlier start or a longer bed lets it end"]
    from foley.pipelines.compose import cut_note

    assert cut_note("a door slams", 0.0, 2.0).endswith("cut there; a longer bed lets it end")  # no earlier start
    assert cut_note("a door slams", 1.0, 2.0, video=True).endswith("cut there; an earlier start lets it end")  # no longer bed
    whole = RulesPlanner().plan("a ball bounces at 2.5 s", 4.0)  # 1.5 s to the end: the burst ends inside it
    assert render(whole, StepBackbone(), EventCache(tmp_path, "steps"), FAST)[1].cut == []


def burst_starts(mix: np.ndarray, sr: int) -> np.ndarray:
    """Start times (s) of the bursts in ``mix``: where the 10 ms RMS rises above -40 dB of its peak."""
    frames = np.sqrt((mix[: len(mix) // 160 * 160].reshape(-1, 160).astype(np.float64) ** 2).mean(axis=1))
    loud = frames > frames.max() * 1e-2
    return np.flatnonzero(loud[1:] & ~loud[:-1]) * 0.01 + 0.01 if loud[0] == 0 else \
        np.concatenate([[0.0], np.flatnonzero(loud[1:] & ~loud[:-1]) * 0.01 + 0.01])


def test_a_sound_that_fills_its_span_is_repeated_take_after_take(tmp_path):
    from foley.pipelines.compose import FILL_JITTER, FILL_TAKES

    plan = RulesPlanner().plan("footsteps for 3 s", 5.0)
    assert [(e.caption, e.start_s, e.end_s, e.fill) for e in plan.events] == [("footsteps", 0.0, 3.0, True)]
    told = []
    mix, stats = render(plan, StepBackbone(), EventCache(tmp_path, "steps"), FAST, progress=lambda e, n: told.append(n))
    starts = burst_starts(mix, 16_000)
    gaps = np.diff(starts)
    assert len(starts) == told[0] == 6, starts  # 0, 0.5, ..., 2.5 s: a step each period while half of one fits
    low, high = 0.5 * (1 - FILL_JITTER) - 0.02, 0.5 * (1 + FILL_JITTER) + 0.02  # a walk's two steps a second
    assert np.all(gaps > low) and np.all(gaps < high), gaps
    assert starts[-1] < 3.0 and np.abs(mix[round(3.0 * 16_000):]).max() < 1e-6  # nothing past the span
    peaks = [float(np.abs(mix[round(s * 16_000):round((s + 0.2) * 16_000)]).max()) for s in starts]
    assert stats.generated == FILL_TAKES and len(set(np.round(peaks[:4], 4))) == 4  # four takes, each its own
    # then round them again (take 0 has the fade-in), each repeat at its own level, at most FILL_LEVEL_JITTER_DB down
    from foley.pipelines.compose import FILL_LEVEL_JITTER_DB

    assert 0.01 < abs(20 * np.log10(peaks[5] / peaks[1])) <= FILL_LEVEL_JITTER_DB + 0.01, peaks
    again, stats = render(plan, StepBackbone(), EventCache(tmp_path, "steps"), FAST)
    assert np.array_equal(again, mix) and (stats.generated, stats.reused) == (0, FILL_TAKES)  # deterministic, cached


def test_a_sound_said_once_is_one_take_and_a_sounding_take_is_not_repeated(tmp_path):
    assert RulesPlanner().plan("footsteps", 3.0).events[0].fill  # a run of steps, by the word
    once = RulesPlanner().plan("footsteps once", 3.0)
    assert not once.events[0].fill
    mix, stats = render(once, StepBackbone(), EventCache(tmp_path, "once"), FAST)
    assert len(burst_starts(mix, 16_000)) == 1 and stats.generated == 1
    rain = RulesPlanner().plan("rain for 3 s", 5.0)  # it sounds all along: nothing to repeat
    assert rain.events[0].fill
    _, stats = render(rain, BedBackbone(), EventCache(tmp_path, "rain"), FAST)
    assert stats.generated == 1


@pytest.mark.parametrize("caption, period_s", [("an axe chopping wood", 1.6), ("knocking on a door", 0.25),
                                                ("a horse trotting", 0.35), ("wood splitting", 0.45)])
def test_a_filled_sound_keeps_its_usual_rhythm(tmp_path, caption, period_s):
    from foley.pipelines.compose import FILL_JITTER
    from foley.pipelines.plan import Plan

    plan = Plan(6.0, (Event(caption, 0.0, 6.0, fill=True),))
    starts = burst_starts(render(plan, StepBackbone(), EventCache(tmp_path, "r"), FAST)[0], 16_000)
    gaps = np.diff(starts)  # a take sounds about 0.1 s, then a 0.1 s pause: each rhythm here is slower than that
    assert len(gaps) >= 2 and np.all(np.abs(gaps - period_s) < period_s * FILL_JITTER + 0.02), (caption, gaps)


def test_a_rhythm_the_plan_gives_is_kept_even_when_takes_are_longer(tmp_path):
    from foley.pipelines.compose import FILL_PAUSE_S
    from foley.pipelines.plan import Plan

    plan = Plan(4.0, (Event("knocking", 0.0, 3.0, fill=True, period_s=0.15),))  # a take and its pause: 0.2 s
    starts = burst_starts(render(plan, StepBackbone(), EventCache(tmp_path, "k"), FAST)[0], 16_000)
    gaps = np.diff(starts)
    assert 0.15 < 0.1 + FILL_PAUSE_S and len(gaps) >= 15, gaps
    assert np.all(np.abs(starts - starts[0] - 0.15 * np.arange(len(starts))) < 0.015), starts  # on the grid, no drift


class RingingBackbone(BedBackbone):
    """A model whose every take rings for 3 s, then is silent (as a clock's tick came out)."""

    def generate(self, captions, duration_s, **kw):
        import torch

        clip = np.zeros(round(duration_s * 16_000), np.float32)
        clip[:3 * 16_000] = np.random.default_rng(kw["seed"]).standard_normal(3 * 16_000) * 0.1
        return torch.from_numpy(clip)[None]


class LongStepBackbone(BedBackbone):
    """A model whose every take sounds 1 s (a long step, as the sfx backbone's footsteps on wood
    sometimes come out), then is silent."""

    def generate(self, captions, duration_s, **kw):
        import torch

        clip = np.zeros(round(duration_s * 16_000), np.float32)
        clip[:16_000] = np.random.default_rng(kw["seed"]).standard_normal(16_000) * 0.1
        return torch.from_numpy(clip)[None]


def test_slower_makes_repeats_slower_than_the_rhythm_they_were_heard_at(tmp_path):
    """Takes longer than a walk's 0.5 s are laid at their own length (1.1 s apart): "slower"
    starts from that, as the session's last turn recorded it, not from the usual rhythm (0.75 s,
    faster than heard)."""
    from foley.pipelines.compose import FILL_JITTER, RenderStats

    p, session = RulesPlanner(), Session.open(tmp_path / "walk.json", 12.0)
    plan = p.plan("footsteps on wood", 12.0)
    _, stats = render(plan, LongStepBackbone(), EventCache(tmp_path, "walk"), FAST)
    heard = stats.periods_s[0]  # the mean from one take's start to the next
    assert abs(heard - 1.1) < 1.1 * FILL_JITTER
    (tmp_path / "walk.wav").write_bytes(b"the bed")
    session.add_turn("footsteps on wood", plan, stats, tmp_path / "walk.wav")
    session.save()
    again = Session.open(tmp_path / "walk.json", 12.0)
    assert again.plan == plan and again.plan.events[0].heard_period_s == heard
    assert "heard_period_s" not in json.dumps(again.plan.to_dict())  # not part of the plan
    slower = p.plan("make the footsteps slower", 12.0, again.plan)
    assert slower.events[0].period_s == float(f"{heard * 1.5:.2g}")  # said as it is heard: "every 1.6 s"
    mix, stats = render(slower, LongStepBackbone(), EventCache(tmp_path, "walk"), FAST)
    period = slower.events[0].period_s
    apart = np.diff(burst_starts(mix, 16_000))  # each step a little off its beat (a rhythm worked out, not said)
    assert abs(stats.periods_s[0] - period) < 0.01 * period and abs(np.median(apart) - period) < 0.05 * period
    assert p.plan("make the footsteps slower", 12.0, plan).events[0].period_s == 0.75  # never laid: a walk's 0.5 s
    _, stats = render(RulesPlanner().plan("a door slams, then footsteps", 4.0), StepBackbone(),
                      EventCache(tmp_path, "door"), FAST)
    assert stats.periods_s[0] is None and stats.periods_s[1] > 0  # a one-shot has no rhythm
    data = json.loads((tmp_path / "walk.json").read_text())
    for bad in ([1.1, 1.1], [0], ["1.1"], 1.1):  # one positive number (or null) per event of the turn's plan
        data["turns"][0]["periods_s"] = bad
        (tmp_path / "bad.json").write_text(json.dumps(data))
        with pytest.raises(FoleyError, match="bad.json: not a foley compose session \\(a turn's periods_s"):
            Session.open(tmp_path / "bad.json", 12.0)
    data["turns"][0]["periods_s"] = [heard]
    data["plan"]["events"].insert(0, {"caption": "rain", "start_s": 0, "end_s": 12})  # a plan edited by hand
    (tmp_path / "edited.json").write_text(json.dumps(data))
    edited = Session.open(tmp_path / "edited.json", 12.0)  # the rhythms heard are of the plan the turn laid
    assert [e.heard_period_s for e in edited.plan.events] == [None, None]
    assert RenderStats().periods_s == []


def clicks_take(n_samples: int, seed: int = 0, every_s: float = 0.5, for_s: float = 3.0, floor: float = 0.0):
    """A take that is a run (steps, drips): a click every ``every_s`` for ``for_s``, then silence;
    ``floor``: the amplitude of a 60 Hz hum under the run (where a cut without a fade clicks), from
    0.25 s before the first click."""
    sr, rng, lead = 16_000, np.random.default_rng(seed), 0.25 if floor else 0.0
    take = np.zeros(n_samples, np.float32)
    take[:round((lead + for_s) * sr)] = floor * np.sin(2 * np.pi * 60 * np.arange(round((lead + for_s) * sr)) / sr)
    for t in np.arange(lead, lead + for_s - 1e-9, every_s):
        i = round(t * sr)
        take[i:i + 800] += rng.standard_normal(800).astype(np.float32) * np.exp(-np.arange(800) / 120) * 0.5
    return take


class RunBackbone(BedBackbone):
    """A model that answers with a run: a click every 0.5 s for 3 s of its window (as the sfx backbone
    answers "footsteps on gravel, running" or "water dripping" with many steps or drips in one take)."""

    def generate(self, captions, duration_s, **kw):
        import torch

        return torch.from_numpy(clicks_take(round(duration_s * 16_000), kw["seed"]))[None]


def test_a_run_take_is_cut_at_its_hits_and_laid_at_the_rhythm():
    """A take of clicks every 0.5 s laid at a rhythm 1.5 times faster is heard every 0.33 s (cut
    into single clicks, not the take cut every 0.33 s), 1.5 times slower every 0.75 s, the span's
    length kept, and every cut faded: the hum under the clicks never jumps there."""
    from foley.evaluation.onset import detect_onsets
    from foley.pipelines.compose import fill_span, take_hits

    sr, total = 16_000, 8 * 16_000
    assert np.allclose(np.array(take_hits(clicks_take(4 * sr), sr)) / sr, [0, .5, 1, 1.5, 2, 2.5], atol=0.04)
    for period in (0.5 / 1.5, 0.5 * 1.5):
        out, starts, takes = fill_span(lambda k: clicks_take(4 * sr, k, floor=0.02), total, sr, seed=1,
                                       period_s=period, exact=True)
        onsets = detect_onsets(out, sr) / sr
        assert out.shape == (total,) and len(starts) == len(np.arange(0, 8, period)) and takes == min(4, 1 + round(
            8 / period) // 6)
        assert abs(np.median(np.diff(onsets)) - period) < 0.02 and len(onsets) >= len(starts) - 1, (period, onsets)
        hum = 0.02 * 2 * np.pi * 60 / sr  # the hum's own steepest step between samples: a cut without a fade, 0.02
        assert max(np.abs(np.diff(out[max(0, t - 32):t + 32])).max() for t in starts) < 3 * hum
    out, starts, _ = fill_span(lambda k: clicks_take(4 * sr, k), total, sr, seed=1, period_s=0.33)  # laid whole
    assert abs(np.median(np.diff(starts)) / sr - 0.5) < 0.01  # its strokes are its clicks: the rhythm heard


def test_runs_laid_whole_follow_one_another_at_their_pace_with_no_gap():
    """Takes that are runs (a horse walking: a step every 0.25 s over the sound of the street) laid one after
    another: no pause of silence between them (there was one of about 0.1 s), crossfaded over the release."""
    from foley.pipelines.compose import fill_span

    sr, total = 16_000, 8 * 16_000
    out, starts, _ = fill_span(lambda k: clicks_take(4 * sr, k, every_s=0.25, floor=0.02), total, sr, seed=1)
    frames = out[:round(7.5 * sr)].reshape(-1, sr // 50)  # 20 ms each
    assert np.sqrt((frames ** 2).mean(1)).min() > 0.005  # the hum (RMS 0.014) never stops
    assert np.median(np.diff(starts)) / sr < 0.3  # the steps at their pace


def test_a_run_laid_at_a_rhythm_keeps_its_own_timing_and_levels():
    """A run whose steps are not evenly apart, each at its own level, laid 1.5 times faster or slower by a tempo edit
    (natural): each step is as far off its beat, in periods, as it was off the take's own mean rhythm (scaled with
    the rhythm, not laid on a metronome's grid), at most HIT_SHIFT_MAX of one, at its own level; the rhythm itself is
    kept (no drift). At a rhythm said, each is on its beat (a clock's ticks every second), at its own level."""
    from foley.pipelines.compose import HIT_SHIFT_MAX, fill_span

    sr, total = 16_000, 8 * 16_000
    times, gains = np.array([0.05, 0.61, 1.0, 1.63, 2.05, 2.49]), np.array([0.5, 0.3, 0.45, 0.15, 0.5, 0.35])
    take = np.zeros(4 * sr, np.float32)
    rng = np.random.default_rng(0)
    for t, g in zip(times, gains):
        take[round(t * sr):round(t * sr) + 800] += rng.standard_normal(800).astype(np.float32) * np.exp(
            -np.arange(800) / 120) * g
    rhythm, first = np.polyfit(np.arange(6), times, 1)  # 0.48 s: each step up to 0.09 s off it
    own = np.clip((times - first - rhythm * np.arange(6)) / rhythm, -HIT_SHIFT_MAX, HIT_SHIFT_MAX)  # in periods
    for period in (rhythm / 1.5, rhythm * 1.5):
        said = np.array(fill_span(lambda k: take, total, sr, seed=1, period_s=period, exact=True)[1])
        assert np.abs(said - np.round(np.arange(len(said)) * period * sr)).max() <= 1, period  # on its beats
        out, starts, _ = fill_span(lambda k: take, total, sr, seed=1, period_s=period, exact=True, natural=True)
        beats = np.arange(len(starts))
        off = (np.array(starts) / sr - beats * period) / period  # each step off its beat, in periods
        assert off[0] == 0 and np.abs(off[1:] - own[beats[1:] % 6]).max() < 0.01, (period, off, own)  # the take's own
        assert np.abs(off).max() > 0.1  # not a metronome's
        assert abs((starts[-1] - starts[0]) / sr / beats[-1] - period) < 0.1 * period / beats[-1]  # the rhythm kept
        peaks = np.array([np.abs(out[s:s + round(0.2 * sr)]).max() for s in starts[:6]])
        own_peaks = np.array([np.abs(take[round(t * sr):round(t * sr) + 800]).max() for t in times])
        assert np.allclose(peaks / peaks[0], own_peaks / own_peaks[0], rtol=0.02), peaks  # each step at its own level


def test_a_repeat_of_a_take_that_begins_on_its_attack_keeps_its_peak():
    """An aligned take begins on its attack: the sfx backbone's chops of "axe chopping wood" peak 2-4 ms in. Faded
    in over 10 ms of it, equal takes were heard 9 dB apart (-0.9, -4.0, -9.9 dBFS); each repeat keeps its peak
    but for FILL_LEVEL_JITTER_DB, faded in over PIECE_ATTACK_S, still with no step at its start."""
    from foley.pipelines.compose import FILL_LEVEL_JITTER_DB, PIECE_ATTACK_S, fill_span

    sr = 16_000
    chop = np.zeros(sr, np.float32)
    chop[:2400] = 0.3 * np.random.default_rng(0).standard_normal(2400) * np.exp(-np.arange(2400) / 480)
    chop[32] = 1.0  # its peak, 2 ms in
    out, starts, _ = fill_span(lambda k: chop, 4 * sr, sr, seed=0, period_s=1.0)
    assert len(starts) >= 3
    peaks = np.array([np.abs(out[s:s + 800]).max() for s in starts])
    assert peaks.min() >= 10 ** (-FILL_LEVEL_JITTER_DB / 20) - 1e-6, 20 * np.log10(peaks)
    for s in starts[1:]:
        assert out[s] == 0 and np.abs(out[s:s + round(PIECE_ATTACK_S * sr)]).max() < np.abs(chop[:16]).max()


def test_single_steps_at_a_rhythm_a_tempo_edit_worked_out_are_a_little_off_the_beat_a_rhythm_said_is_exact():
    """One step a take, laid at a rhythm: said (a clock every second, "every 0.33 s") each lands on its beat, at its
    take's level; worked out by a tempo edit from the sound's own rhythm (natural), each is off its beat by up to
    TEMPO_JITTER of a period, seeded (the same each time), the rhythm kept (no drift), and each after the first
    up to FILL_LEVEL_JITTER_DB quieter, as a run's hits keep their own."""
    from foley.pipelines.compose import FILL_LEVEL_JITTER_DB, TEMPO_JITTER, fill_span

    sr, total, period = 16_000, 8 * 16_000, 0.33
    take = np.zeros(sr, np.float32)
    take[:800] = np.random.default_rng(0).standard_normal(800) * np.exp(-np.arange(800) / 120) * 0.5  # one step

    def laid(natural: bool) -> tuple[np.ndarray, np.ndarray]:  # (where each step is laid, s), (its peak)
        out, starts, _ = fill_span(lambda k: take, total, sr, seed=3, period_s=period, exact=True, natural=natural)
        return np.array(starts) / sr, np.array([np.abs(out[s:s + 800]).max() for s in starts])

    said, said_peaks = laid(False)
    assert np.diff(said).std() < 1e-4 and np.ptp(said_peaks) < 1e-6  # a metronome's, as asked
    natural, peaks = laid(True)
    off = (natural - np.arange(len(natural)) * period) / period  # in periods
    assert len(natural) == len(said) and off[0] == 0 and np.abs(off).max() <= TEMPO_JITTER + 1e-3
    assert np.diff(natural).std() > 0.01 * period, np.diff(natural).std()  # not a metronome's
    assert abs(np.polyfit(np.arange(len(natural)), natural, 1)[0] - period) < 0.01 * period  # the rhythm kept
    assert np.all(peaks <= peaks[0] + 1e-6) and np.ptp(peaks) > 0.05 * peaks[0]  # each at a level of its own ...
    assert peaks.min() >= peaks[0] * 10 ** (-FILL_LEVEL_JITTER_DB / 20) - 1e-6  # ... up to 3 dB down
    again, _ = laid(True)
    assert np.array_equal(again, natural)  # seeded


def test_a_tempo_edit_of_single_steps_is_heard_off_the_grid_a_rhythm_said_is_not(tmp_path):
    """Footsteps whose takes are one step each: 'make the footsteps faster' lays them at 0.33 s, each step off its
    beat (intervals varied, where they were all 0.33 s); 'footsteps on grass every 0.33 s' lays them on it."""
    p, sr = RulesPlanner(), 16_000
    edited = p.plan("make the footsteps faster", 8.0, p.plan("footsteps on grass", 8.0))
    said = p.plan("footsteps on grass every 0.33 s", 8.0)
    assert edited.events[0].period_s == said.events[0].period_s == 0.33
    sd = {}
    for name, plan in (("edited", edited), ("said", said)):
        mix, _ = render(plan, StepBackbone(), EventCache(tmp_path, "steps"), FAST)
        loud = np.abs(mix) > 0.05 * np.abs(mix).max()
        steps = [i for i in np.flatnonzero(loud) if not loud[max(0, i - 1600):i].any()]  # after 0.1 s of quiet
        assert len(steps) == 25, (name, len(steps))
        sd[name] = np.diff(steps).std() / sr
    assert sd["said"] < 0.001 and sd["edited"] > 0.005, sd


def test_the_quiet_a_drip_rings_on_with_never_repeats_itself():
    """A cave's quiet rung on to the next drip is new noise with its spectrum each time round: looped as it was,
    its samples came round again every half of it (heard as a flutter at 0.14 to 0.18 s on the sfx backbone's).
    Its level is kept (the next test)."""
    from foley.pipelines.compose import fill_span

    sr, total, rng = 16_000, 6 * 16_000, np.random.default_rng(1)
    take = np.zeros(4 * sr, np.float32)
    take[:3 * sr] = rng.standard_normal(3 * sr).astype(np.float32) * 0.01
    for t in np.arange(0, 3, 0.5):  # a drip every 0.5 s over it, then silence
        take[round(t * sr):round(t * sr) + 800] += rng.standard_normal(800).astype(np.float32) * np.exp(
            -np.arange(800) / 120) * 0.5
    out, starts, _ = fill_span(lambda k: take, total, sr, seed=1, period_s=2.0, exact=True)
    rest = out[starts[0] + round(0.6 * sr):starts[0] + round(1.9 * sr)].astype(np.float64)
    floor = take[:3 * sr].astype(np.float64)
    norms = np.sqrt(np.convolve(floor ** 2, np.ones(400), "valid"))
    copied = max(np.abs(np.correlate(floor, piece, "valid")).__truediv__(norms * np.linalg.norm(piece)).max()
                 for piece in (rest[i:i + 400] for i in range(0, len(rest) - 400, 800)))  # 25 ms pieces
    assert copied < 0.3, copied  # looped, its pieces matched the take's own samples (at 0.9 and more)


def test_a_run_laid_slower_than_its_hits_last_rings_on_with_its_ambience_to_the_next_beat():
    """Drips over a cave's quiet: laid every 1.5 s (each drip and its quiet lasting 0.5 s), the quiet rings on to the
    next drip, looped and crossfaded, at its own level, where it was silent for the rest of each beat; drips with
    nothing under them, or steps each dying away into the next, leave the rest of the beat silent."""
    from foley.pipelines.compose import fill_span

    sr, total = 16_000, 8 * 16_000

    def drips(floor: float) -> np.ndarray:  # a drip every 0.5 s over 3 s of quiet (low noise), then silence
        rng = np.random.default_rng(1)
        take = np.zeros(4 * sr, np.float32)
        take[:3 * sr] = np.convolve(rng.standard_normal(3 * sr), np.ones(8) / 8, "same").astype(np.float32) * floor
        for t in np.arange(0, 3, 0.5):
            take[round(t * sr):round(t * sr) + 800] += rng.standard_normal(800).astype(np.float32) * np.exp(
                -np.arange(800) / 120) * 0.5
        return take

    def rms_db(x: np.ndarray) -> float:
        return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)

    take = drips(0.05)
    quiet = rms_db(take[round(0.2 * sr):round(0.45 * sr)])
    out, starts, _ = fill_span(lambda k: take, total, sr, seed=1, period_s=1.5, exact=True)
    assert np.allclose(np.array(starts) / sr, np.arange(0, 8, 1.5), atol=0.01)  # evenly apart: no step of its own
    for beat in np.array(starts[:-1]):  # the rest of each beat: the quiet, not silence, and no dip where it loops
        rest = out[beat + round(0.6 * sr):beat + round(1.45 * sr)]
        frames = [rms_db(rest[i:i + 800]) for i in range(0, len(rest) - 800, 400)]
        assert abs(rms_db(rest) - quiet) < 1.5 and min(frames) > quiet - 4, (beat / sr, rms_db(rest), quiet, min(frames))
        seam = out[beat + round(1.5 * sr) - 320:beat + round(1.5 * sr) + 160]  # into the next drip's fade-in
        assert rms_db(seam) > quiet - 4, (beat / sr, rms_db(seam), quiet)
    out, starts, _ = fill_span(lambda k: drips(0.0), total, sr, seed=1, period_s=1.5, exact=True)
    assert np.abs(out[starts[1] - round(0.9 * sr):starts[1] - round(0.05 * sr)]).max() == 0  # nothing under them
    rng = np.random.default_rng(2)  # steps on gravel, each dying away into the next: no quiet that holds to loop
    steps = np.zeros(4 * sr, np.float32)
    for t in np.arange(0, 3, 0.5):
        steps[round(t * sr):round((t + 0.5) * sr)] += rng.standard_normal(sr // 2).astype(np.float32) * np.exp(
            -np.arange(sr // 2) / (0.08 * sr)) * 0.5
    out, starts, _ = fill_span(lambda k: steps, total, sr, seed=1, period_s=1.5, exact=True)
    assert np.abs(out[starts[1] - round(0.9 * sr):starts[1] - round(0.05 * sr)]).max() == 0


def test_a_rhythm_asked_of_a_steady_sound_is_refused(tmp_path):
    """Steady noise has no clear onsets to lay at a rhythm: asked for one by an edit ("make the rain faster"
    of rain said to drip), the turn is refused in one line, not rendered unchanged; given one by its description
    ("rain every 2 s"), it is laid as it comes, and a note says so."""
    from foley.pipelines.compose import SteadySoundError, edited_rhythms, fill_span, render_notes, take_hits
    from foley.pipelines.plan import Plan

    sr = 16_000
    noise = np.random.default_rng(0).standard_normal(4 * sr).astype(np.float32) * 0.1
    swell = noise * (1 + 0.8 * np.sin(2 * np.pi * 0.7 * np.arange(4 * sr) / sr)).astype(np.float32)  # gusts of wind
    assert take_hits(noise, sr) == [] and take_hits(swell, sr) == [] and take_hits(np.zeros(sr, np.float32), sr) == []
    out, starts, _ = fill_span(lambda k: noise, 2 * sr, sr, seed=1)  # no rhythm asked: the steady take as it is
    assert np.array_equal(out, noise[:2 * sr]) and starts == [0]
    with pytest.raises(SteadySoundError, match="no clear onsets"):
        fill_span(lambda k: noise, 2 * sr, sr, seed=1, period_s=0.6, exact=True)
    bed = Plan(8.0, (Event("heavy rain dripping", 0.0, 8.0, fill=True), Event("a door slams", 2.0, 4.0)))
    plan = Plan(8.0, (Event("heavy rain dripping", 0.0, 8.0, fill=True, period_s=0.6), Event("a door slams", 2.0, 4.0)))
    assert edited_rhythms(plan, bed) == {0} and edited_rhythms(plan, None) == edited_rhythms(plan, plan) == set()
    with pytest.raises(FoleyError, match=r"^'heavy rain dripping' is a steady sound, with no clear onsets \(no steps, "
                                         r"drips or knocks\) to lay every 0.6 s$"):
        render(plan, BedBackbone(), EventCache(tmp_path, "rain"), FAST, edited_rhythms=edited_rhythms(plan, bed))
    told = []
    mix, stats = render(plan, BedBackbone(), EventCache(tmp_path, "rain"), FAST, progress=lambda e, n: told.append(n))
    as_it_comes, _ = render(bed, BedBackbone(), EventCache(tmp_path, "rain"), FAST)
    assert np.array_equal(mix, as_it_comes) and told == [1, 1]  # as if it had no rhythm
    notes = render_notes(stats, 8.0)  # (the stand-in's door slam, steady noise too, sounds on past its span)
    assert notes[0].startswith("'a door slams' at 2 s still sounds when its span ends at 4 s")
    assert notes[1:] == ["'heavy rain dripping' at 0 s is a steady sound, with no clear onsets (no steps, drips or "
                         "knocks) to lay every 0.6 s: it is laid as it comes, over its span"]
    rain = RulesPlanner().plan("rain every 2 s", 14.0)  # rain: steady before any take is made to tell
    assert rain.events[0].period_s == 2
    _, stats = render(rain, BedBackbone(), EventCache(tmp_path, "rain every 2 s"), FAST)
    assert stats.steady == [("rain", 2, 0.0)] and stats.generated == 1  # its span alone, no take made only to be left
    with pytest.raises(FoleyError, match=r"^'rain' is a steady sound, with no clear onsets"):  # asked by an edit
        render(rain, BedBackbone(), EventCache(tmp_path, "rain"), FAST, edited_rhythms=frozenset({0}))


class WashBackbone(BedBackbone):
    """Stands in for the model, its window 4 s: a wash of noise at one level for 3 s that fades out over 0.3 s,
    then silence (the sfx backbone's answer to "a tap dripping": running water, no drip in it)."""

    class mel(BedBackbone.mel):
        width_s = 4.0

    def generate(self, captions, duration_s, **kw):
        import torch

        n = round(duration_s * 16_000)
        wav = np.random.default_rng(kw["seed"]).standard_normal(n).astype(np.float32) * 0.1
        wav[48_000:52_800] *= np.linspace(1, 0, 4800, dtype=np.float32)
        wav[52_800:] = 0.0
        return torch.from_numpy(wav)[None]


def test_a_rhythm_asked_of_a_take_that_holds_its_level_until_its_window_fades_it_is_refused(tmp_path):
    """A take that holds one level for most of its window and then fades, with no hit but its start, is a
    steady sound its window's end cut, not a one-shot: a rhythm edit ("make the dripping slower") is refused,
    not laid as a 3 s wash, then silence to the next beat; a rhythm it was described with is laid as it
    comes. A one-shot's decay, or a run of hits, still holds a rhythm."""
    from foley.pipelines.compose import SteadySoundError, edited_rhythms, fill_span, holds_its_level
    from foley.pipelines.plan import Plan

    sr = 16_000
    wash = WashBackbone().generate(None, 4.0, seed=1)[0].numpy()
    rng = np.random.default_rng(2)
    slam = np.zeros(4 * sr, np.float32)  # a hit dying away over 1.5 s
    slam[:24_000] = rng.standard_normal(24_000) * np.exp(-np.arange(24_000) / (0.2 * sr)) * 0.3
    knocks = np.zeros(4 * sr, np.float32)  # three knocks, each 0.1 s of noise, in 3.2 s
    for t in (0.0, 1.5, 3.0):
        knocks[round(t * sr):round(t * sr) + 1600] = rng.standard_normal(1600) * 0.3
    assert holds_its_level(wash, sr) and not holds_its_level(slam, sr) and not holds_its_level(knocks, sr)
    with pytest.raises(SteadySoundError, match="no clear onsets"):
        fill_span(lambda k: wash, 8 * sr, sr, seed=1, period_s=5.2, exact=True)
    out, starts, _ = fill_span(lambda k: slam, 8 * sr, sr, seed=1, period_s=5.2, exact=True)
    assert np.array(starts).tolist() == [0, round(5.2 * sr)]  # a one-shot at its rhythm
    described = Plan(8.0, (Event("a tap dripping", 0.0, 8.0, fill=True),))
    slower = Plan(8.0, (Event("a tap dripping", 0.0, 8.0, fill=True, period_s=5.2),))
    with pytest.raises(FoleyError, match=r"^'a tap dripping' is a steady sound, with no clear onsets \(no steps, "
                                         r"drips or knocks\) to lay every 5.2 s$"):
        render(slower, WashBackbone(), EventCache(tmp_path, "wash"), FAST,
               edited_rhythms=edited_rhythms(slower, described))
    mix, stats = render(slower, WashBackbone(), EventCache(tmp_path, "wash"), FAST)  # said with it: as it comes
    assert stats.steady == [("a tap dripping", 5.2, 0.0)]
    assert np.array_equal(mix, render(described, WashBackbone(), EventCache(tmp_path, "wash"), FAST)[0])


def test_takes_that_hold_their_level_follow_one_another_with_no_dip(tmp_path):
    """Running water whose window fades it out at 3 s is laid take after take, each from where the one before
    begins to fade: no pause of silence, no dip, in the stream (each take was followed after its fade, 0.1 s and
    up to 8 % of its length later: 0.3 to 0.6 s of it under its level)."""
    from foley.pipelines.compose import fill_span

    sr = 16_000
    takes = [WashBackbone().generate(None, 4.0, seed=k)[0].numpy() for k in range(4)]
    out, starts, _ = fill_span(lambda k: takes[k], 10 * sr, sr, seed=1)
    assert np.allclose(np.array(starts) / sr, [0, 3.1, 6.2, 9.3], atol=0.11)  # 3 dB into its fade
    frames = [level_db(out[i:i + 800]) for i in range(0, len(out), 800)]  # every 50 ms
    assert min(frames) > level_db(takes[0][:48_000]) - 6, min(frames)  # each take after the first up to 3 dB quieter


def test_faster_of_a_run_take_quickens_the_steps_heard(tmp_path):
    """A run's takes (a click every 0.5 s) are laid whole, and the rhythm heard is their clicks';
    "make the running faster" lays those clicks 1.5 times as fast, not the takes' joins."""
    from foley.evaluation.onset import detect_onsets

    p, sr = RulesPlanner(), 16_000
    plan = p.plan("footsteps on gravel, running", 8.0)
    before, stats = render(plan, RunBackbone(), EventCache(tmp_path, "run"), FAST)
    heard = stats.periods_s[0]
    assert 0.4 < heard < 0.5  # its clicks, 0.5 s apart, and the shorter joins of its takes: as many a second
    laid = replace(plan, events=(replace(plan.events[0], heard_period_s=heard),))  # as a session's last turn laid it
    faster = p.plan("make the running faster", 8.0, laid)
    assert faster.events[0].period_s == float(f"{heard / 1.5:.2g}")
    after, stats = render(faster, RunBackbone(), EventCache(tmp_path, "run"), FAST)
    was, now = (detect_onsets(mix, sr) / sr for mix in (before, after))
    assert abs(np.median(np.diff(was)) - 0.5) < 0.02 and abs(np.median(np.diff(now)) - faster.events[0].period_s) < 0.02
    assert len(now) >= 1.3 * len(was) and len(after) == len(before)


class WholeRunBackbone(BedBackbone):
    """A model whose every take is a run of clicks every 0.5 s to its end (as a run of steps may fill a window)."""

    def generate(self, captions, duration_s, **kw):
        import torch

        n = round(duration_s * 16_000)  # from its first sample (no onset to move) over a hum to its last
        hum = 0.04 * np.sin(2 * np.pi * 60 * np.arange(n) / 16_000).astype(np.float32)  # as loud as an attack is
        return torch.from_numpy(clicks_take(n, kw["seed"], for_s=duration_s) + hum)[None]


def test_a_run_that_fills_its_window_is_heard_at_its_hits_and_a_tempo_edit_starts_from_them(tmp_path):
    """A take that is a run to its window's end sounds to its end: over a longer span it is generated across it, and
    the rhythm heard is its clicks' (0.5 s), recorded for a tempo edit, not none (which fell back on the usual 0.33 s
    of a run, making it "faster" from a rhythm never heard)."""
    p = RulesPlanner()
    plan = p.plan("footsteps on gravel, running", 14.0)
    told = []
    _, stats = render(plan, WholeRunBackbone(), EventCache(tmp_path, "run"), FAST, progress=lambda e, n: told.append(n))
    heard = stats.periods_s[0]  # a click every 0.5 s, and where the windows join
    assert 0.45 < heard < 0.55 and told[0] >= 25, (heard, told)
    laid = replace(plan, events=(replace(plan.events[0], heard_period_s=heard),))
    assert p.plan("make the running faster", 14.0, laid).events[0].period_s == float(f"{heard / 1.5:.2g}") > 0.3  # not
    # 0.33 / 1.5


def test_a_rhythm_the_plan_gives_keeps_its_last_beat(tmp_path):
    from foley.pipelines.plan import Plan

    plan = Plan(10.0, (Event("a clock ticks", 0.0, 10.0, fill=True, period_s=1.0),))  # 0, 1, ..., 9 s
    told = []
    mix, _ = render(plan, RingingBackbone(), EventCache(tmp_path, "tick"), FAST, progress=lambda e, n: told.append(n))
    assert told == [10]  # the beat at 9 s starts inside the span, though its 3 s ring does not fit
    sr = 16_000  # each 3 s ring is faded out where the next beat begins: they do not pile up into a drone
    assert abs(level_db(mix[5 * sr:6 * sr]) - level_db(mix[:sr])) < 1.5
    assert level_db(mix[round(1.99 * sr):2 * sr]) < level_db(mix[round(2.2 * sr):round(2.8 * sr)]) - 10


def test_a_dubs_caption_is_suggested_over_the_video_where_it_goes_on_and_at_a_time_where_it_is_one_sound():
    """'foley dub --caption' on a video it leaves silent suggests a bed: a sound that goes on ('bicycle wheels rolling
    on a road', rain, footsteps) over the whole video, not a 2 s sound at 1 s; a sound at a time there."""
    from foley.pipelines.compose import bed_description

    assert bed_description("bicycle wheels rolling on a road", 7.5) == ("bicycle wheels rolling on a road throughout",
                                                                        "the caption's sound from start to end")
    plan = RulesPlanner().plan("bicycle wheels rolling on a road throughout", 7.5)
    assert [(e.start_s, e.end_s, e.fill) for e in plan.events] == [(0.0, 7.5, True)]  # it fills the video
    for going in ("rain", "footsteps on gravel", "an engine idling", "typing on a keyboard", "a dog barking"):
        assert bed_description(going, 7.5)[0] == f"{going} throughout", going
    for once in ("a bicycle bell rings", "a door slams", "a glass breaking", "a car driving by", "thunder"):
        assert bed_description(once, 7.5)[0] == f"{once} at 1 s", once


def test_stroke_period_reads_the_first_rhythm_word():
    from foley.pipelines.rules.words import stroke_period_s

    assert stroke_period_s("Footsteps running on gravel") == 0.5 and stroke_period_s("running footsteps") == 0.33
    assert stroke_period_s("a dog barks") is None and stroke_period_s("") is None
    assert stroke_period_s("an axe chopping wood") == 1.6 and stroke_period_s("chopping vegetables") == 0.3  # a knife
    assert stroke_period_s("a horse gallops") == 0.45 and stroke_period_s("someone walks on gravel") == 0.5
    for noun in ("three knocks on the door", "thunder claps", "two hammers", "water runs from the taps"):
        assert stroke_period_s(noun) is None, noun  # plural nouns are not a rhythm


def test_a_take_that_starts_with_its_attack_is_faded_in_where_it_is_laid_again():
    """An aligned take starts with its attack, mid-waveform: laid again inside a span, it would
    start with a step from silence (a click); it comes in over PIECE_FADE_S instead."""
    from foley.pipelines.compose import fill_span

    sr = 16_000
    take = np.zeros(sr, np.float32)
    take[:1600] = 0.3 * np.cos(2 * np.pi * 300 * np.arange(1600) / sr) * np.linspace(1, 0, 1600)  # from its peak on
    out, starts, _ = fill_span(lambda k: take, 2 * sr, sr, seed=1)
    repeats = len(starts)
    steepest = 0.3 * 2 * np.pi * 300 / sr  # the tone's own steepest step between samples
    assert repeats > 3 and np.abs(np.diff(out)).max() < 1.1 * steepest


def test_a_take_that_stops_dead_is_released_where_it_is_laid():
    """The sfx backbone's steps on grass are blocks of noise that stop dead: each repeat is released
    to where it stops (its last 25 ms about 10 dB under its body), where its 10 ms fade-out fell on
    the silence the trim keeps after it (its end as loud as its body); its attack is left as it was."""
    from foley.pipelines.compose import fill_span

    sr = 16_000
    take = np.zeros(sr, np.float32)
    take[:6400] = np.random.default_rng(3).standard_normal(6400) * 0.2  # 0.4 s, then nothing
    out, starts, _ = fill_span(lambda k: take, 3 * sr, sr, seed=1)
    assert len(starts) >= 4
    for t, following in zip(starts, starts[1:]):  # the last one is cut at the span's end (the event's release)
        end = t + np.flatnonzero(out[t:following])[-1] + 1
        body, tail = level_db(out[t + 1600:t + 4800]), level_db(out[end - 400:end])
        assert tail < body - 8, (t / sr, body, tail)
    assert level_db(out[:160]) > level_db(out[1600:4800]) - 1  # the first take starts as it was made


def test_a_take_longer_than_its_rhythm_is_followed_by_its_pause_alone():
    """A clock's take that sounds 2.7 s (its rhythm a tick a second) is laid again after its 0.1 s pause: the
    rhythm's unevenness (8 % of a second) is no gap of silence (8 % of the take's 2.8 s opened gaps of 0.25-0.3 s)."""
    from foley.pipelines.compose import FILL_JITTER, FILL_PAUSE_S, fill_span

    sr = 16_000
    take = np.zeros(4 * sr, np.float32)
    n = round(2.7 * sr)  # a ring that dies away over its 2.7 s (not a held level, a stream's)
    take[:n] = np.random.default_rng(3).standard_normal(n) * 0.2 * np.exp(-np.arange(n) / (0.9 * sr))
    for seed in range(6):
        out, starts, _ = fill_span(lambda k: take, 12 * sr, sr, seed=seed, period_s=1.0)
        gaps = np.diff(starts) / sr - 2.7
        assert len(starts) == 4 and np.all(gaps >= FILL_PAUSE_S - 0.01), (seed, gaps)
        assert np.all(gaps <= FILL_PAUSE_S + FILL_JITTER * 1.0), (seed, gaps)


def test_fill_span_asks_for_takes_only_when_it_needs_them():
    from foley.pipelines.compose import fill_span

    sr, asked = 16_000, []

    def take(k):
        asked.append(k)
        clip = np.zeros(sr, np.float32)
        clip[:800] = 0.5
        return clip

    out, starts, takes = fill_span(take, sr, sr, seed=1)  # 1 s span: 0, ~0.45, ~0.9 s (half of it fits)
    assert out.shape == (sr,) and (len(starts), takes) == (3, 3) and asked == [0, 1, 2]
    asked.clear()
    whole = np.full(sr, 0.1, np.float32)
    out, starts, takes = fill_span(lambda k: asked.append(k) or whole, sr, sr, seed=1)
    assert np.array_equal(out, whole) and (starts, takes) == ([0], 1) and asked == [0]
    out, starts, takes = fill_span(lambda k: whole, 2 * sr, sr, seed=1)  # continuous, shorter than the span
    assert out is None and (starts, takes) == ([0], 1)  # the caller generates the span in windows
    long = np.zeros(4 * sr, np.float32)
    long[:3 * sr] = 0.2  # sounds 3 s of its 4: in a 1 s span, its first second (before, nothing)
    out, starts, takes = fill_span(lambda k: long, sr, sr, seed=1)
    assert np.array_equal(out, long[:sr]) and (starts, takes) == ([0], 1)
    late = np.zeros(sr, np.float32)
    late[3200:4000] = 0.5  # each take sounds from 0.2 s on: a given rhythm's beats start with the sound
    out, laid, _ = fill_span(lambda k: late, 6 * sr, sr, seed=1, period_s=1.5, exact=True)
    starts = np.flatnonzero(np.diff((np.abs(out) > 0.1).astype(int)) == 1) + 1
    assert laid == [0, 24_000, 48_000, 72_000] and np.allclose(starts / sr, np.array([0, 1.5, 3, 4.5]) + starts[0] / sr, atol=1e-3), starts / sr
    assert starts[0] / sr < 0.02  # (the sounding part begins a frame, 8 ms, before the sound)
    # a beat starting 20 ms before the span's end would be its fade-in alone: not laid, nor counted
    _, laid, _ = fill_span(lambda k: late, round(4.52 * sr), sr, seed=1, period_s=1.5, exact=True)
    assert laid == [0, 24_000, 48_000]


def test_fill_span_lays_every_take_it_asks_for():
    """The next take's length decided whether half of it fits, so a take was made (seconds of
    diffusion) and then left out: a 1.7 s span of the sfx backbone's 0.46 s steps made 4, laid 3."""
    from foley.pipelines.compose import FILL_TAKES, fill_span

    sr = 16_000
    for sounding_s in (0.3, 0.46, 3.0):  # steps, and a take of seconds ("water dripping")
        clip = np.zeros(4 * sr, np.float32)
        clip[:round(sounding_s * sr)] = 0.2
        for span_s in np.arange(0.5, 8.0, 0.05):
            asked = []
            out, starts, takes = fill_span(lambda k: asked.append(k) or clip, round(span_s * sr), sr, seed=1)
            assert asked == list(range(min(len(starts), FILL_TAKES))) and takes == len(asked), (sounding_s, span_s)


def test_a_filled_span_of_long_takes_sounds_to_its_end():
    """A take that sounds for seconds ("water dripping": 3.3 s of its window) is laid again while
    more than a period of the span would be left silent after it, the last one cut at the span's
    end: an 8 s span of dripping once fell silent from 6.3 s, half of a third take not fitting."""
    from foley.pipelines.compose import fill_span

    sr = 16_000
    take = np.zeros(4 * sr, np.float32)
    take[:3 * sr] = 0.2  # sounds 3 s of its 4: a pause, then the next one from about 3.1 s
    out, starts, takes = fill_span(lambda k: take, round(4.2 * sr), sr, seed=1)
    assert len(starts) == 2 and takes == 2 and 2.8 < starts[1] / sr < 3.4, starts
    assert np.abs(out[round(3.5 * sr):]).min() > 0.1  # sounds to the span's end (the event's release fades it there)
    short = np.zeros(sr, np.float32)
    short[:800] = 0.5  # a step: its repeats end where half of one no longer fits, as before
    out, starts, _ = fill_span(lambda k: short, sr, sr, seed=1)
    assert len(starts) == 3 and not out[starts[-1] + 800:].any()


class NarrowStepBackbone(StepBackbone):
    """The one-shot model with a 2 s window: spans past it are longer than one take."""

    class mel(BedBackbone.mel):
        width_s = 2.0


def test_a_filled_span_longer_than_the_model_window_is_repeated_to_its_end_and_edits_keep_the_takes(tmp_path):
    from foley.pipelines.compose import FILL_TAKES

    planner, cache = RulesPlanner(), EventCache(tmp_path, "narrow")
    plan = planner.plan("footsteps for 5 s", 6.0)
    mix, stats = render(plan, NarrowStepBackbone(), cache, FAST)
    starts = burst_starts(mix, 16_000)
    assert len(starts) >= 10 and starts[-1] > 4.3 and np.diff(starts).max() < 0.55, starts
    longer = planner.plan("make the footsteps longer by 1 s", 6.0, plan)
    mix, stats = render(longer, NarrowStepBackbone(), cache, FAST)
    assert burst_starts(mix, 16_000)[-1] > 5.3 and (stats.generated, stats.reused) == (0, FILL_TAKES)
    rain = planner.plan("rain for 5 s", 6.0)  # continuous: generated across the span in windows, not laid
    narrow_bed = type("NarrowBed", (BedBackbone,), {"mel": NarrowStepBackbone.mel})()
    mix, stats = render(rain, narrow_bed, EventCache(tmp_path, "rain"), FAST)
    assert level_db(mix[round(4.5 * 16_000):5 * 16_000]) > level_db(mix[16_000:2 * 16_000]) - 6
    assert stats.generated == 2  # the one-window take, then the span in windows


def test_a_session_keeps_its_alignment_and_an_undo_the_settings_of_its_turn(backbone, tmp_path, foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--guidance", "2", "--scheduler", "ddim",
            "--device", "cpu", "--model", str(tmp_path / "model")]

    def turn(*words):
        done = foley_cli(base + list(words), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout, read_audio(tmp_path / "bed.wav", sample_rate=None)[0]

    turn("a ball, then a drum", "--duration", "2", "--steps", "2", "--no-align")
    said, louder = turn("make the drum louder by 3 dB")  # a gain: nothing generated, the events kept as they came
    assert "0 generated" in said and json.loads((tmp_path / "bed.json").read_text())["align"] is False
    said, _ = turn("make the drum quieter by 3 dB", "--steps", "3")
    assert "2 generated" in said
    undone = foley_cli(base + ["undo", "--steps", "3", "--align"], cwd=tmp_path)  # at the settings of its turn, as
    said, back = undone.stdout, read_audio(tmp_path / "bed.wav", sample_rate=None)[0]  # the page's: read back
    assert "changed (back to the plan before the last turn): a drum: +0 dB -> +3 dB" in said
    assert "0 generated" in said and "(2 ddim steps" in said and np.abs(back - louder).max() < 1e-3
    assert ("note: undone at the settings the bed had then (2 ddim steps, guidance 2, onsets as they came); "
            "--steps 3, --align not used\n") in undone.stderr
    assert [json.loads((tmp_path / "bed.json").read_text())[k] for k in ("sampler", "align")] == [
        {"guidance": 2.0, "scheduler": "ddim", "steps": 2}, False]


def test_a_bed_another_run_wrote_meanwhile_is_kept_with_no_picture_of_this_run(backbone, tmp_path, monkeypatch,
                                                                                capsys):
    import foley.pipelines.compose as compose
    from foley.cli import main

    backbone.save_pretrained(tmp_path / "model")
    draw = compose.timeline_image

    def drawn_while_another_run_writes_the_bed(*args):
        (tmp_path / "bed.wav").write_bytes(b"the other run's bed")
        draw(*args)

    monkeypatch.setattr(compose, "timeline_image", drawn_while_another_run_writes_the_bed)
    monkeypatch.chdir(tmp_path)
    code = main(["compose", "a ball", "--duration", "1", "--steps", "2", "--scheduler", "ddim", "--device", "cpu",
                 "--model", str(tmp_path / "model"), "-o", "bed.wav", "--timeline", "bed.png"])
    assert code == 2 and "bed.wav: another run wrote it while this one ran; it is kept" in capsys.readouterr().err
    assert (tmp_path / "bed.wav").read_bytes() == b"the other run's bed" and not (tmp_path / "bed.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bed.wav", "model"]  # no temporary file left


def test_undo_takes_back_turns_one_by_one_from_the_cache(backbone, tmp_path, foley_cli):
    backbone.save_pretrained(tmp_path / "model")
    base = ["compose", "--session", "bed.json", "--steps", "2", "--guidance", "2",
            "--scheduler", "ddim", "--device", "cpu", "--model", str(tmp_path / "model")]

    def turn(*words):
        return foley_cli(base + list(words), cwd=tmp_path)

    nothing = turn("undo")  # no bed yet
    assert nothing.returncode == 2 and "there is no bed yet, so nothing to undo" in nothing.stderr
    assert not (tmp_path / "bed.json").exists()
    assert turn("a ball, then a drum", "--duration", "2").returncode == 0
    first_bed = read_audio(tmp_path / "bed.wav", sample_rate=None)[0]
    plans = [json.loads((tmp_path / "bed.json").read_text())["plan"]]
    for edit in ("make the drum louder by 3 dB", "remove the ball"):
        assert turn(edit).returncode == 0
        plans.append(json.loads((tmp_path / "bed.json").read_text())["plan"])
    back = turn("undo")  # the ball is back, as it was: nothing generated
    assert back.returncode == 0, back.stderr
    assert "plan (undo, 2 s)" in back.stdout and "0 generated" in back.stdout
    assert json.loads((tmp_path / "bed.json").read_text())["plan"] == plans[1]
    again = turn("go back")  # and the turn before it
    assert again.returncode == 0 and json.loads((tmp_path / "bed.json").read_text())["plan"] == plans[0]
    bed = read_audio(tmp_path / "bed.wav", sample_rate=None)[0]  # the first bed (its events read back from the cache)
    assert bed.shape == first_bed.shape and np.abs(bed - first_bed).max() < 1e-3
    done = turn("undo that")
    assert done.returncode == 2 and done.stderr == "foley: error: nothing to undo: the bed is as its first turn made it\n"
    session = json.loads((tmp_path / "bed.json").read_text())
    assert [t["text"] for t in session["turns"]] == ["a ball, then a drum", "make the drum louder by 3 dB",
                                                     "remove the ball", "undo", "go back"]
    assert [t.get("undo", False) for t in session["turns"]] == [False, False, False, True, True]
    assert turn("make the ball quieter by 2 dB").returncode == 0  # an edit after undos goes on from the bed as it is
    saved = (tmp_path / "bed.json").read_text()
    edited = json.loads(saved)  # edited by hand: a turn's plan of another length
    for earlier in edited["turns"]:
        earlier["plan"]["duration_s"] = 5
    (tmp_path / "bed.json").write_text(json.dumps(edited))
    longer = turn("undo", "--plan-only")
    assert longer.returncode == 2 and longer.stderr == (
        "foley: error: bed.json: a turn's plan cannot be read back (it is 5 s long and the bed 2 s)\n")
    (tmp_path / "bed.json").write_text(saved)
    shown = turn("undo", "--plan-only", "--planner", "openai")  # no planner is asked: it would need a URL here
    assert shown.returncode == 0 and json.loads(shown.stdout)["events"] == plans[0]["events"]
    other = turn("undo", "--plan-only", "--model", "demo")  # a backbone given: not the one of the turn it undoes to
    assert other.returncode == 0 and "back to" not in other.stderr
    assert f"note: this session was composed with --model {tmp_path / 'model'}; its events are generated again with " \
           "demo\n" in other.stderr
    for said, refusal in (("undo twice", "undo takes back one turn at a time"), ("redo", "there is no redo")):
        refused = turn(said, "--plan-only", "--planner", "openai")  # said before any planner is asked, whichever
        assert refused.returncode == 2 and refusal in refused.stderr and "URL" not in refused.stderr
    assert turn("undo").returncode == 0
    assert json.loads((tmp_path / "bed.json").read_text())["plan"] == plans[0]
    session["turns"][1] = "garbled"  # a session file edited by hand
    (tmp_path / "bed.json").write_text(json.dumps(session))
    garbled = turn("undo")
    assert garbled.returncode == 2 and garbled.stderr.startswith(
        "foley: error: bed.json: not a foley compose session ('turns' must be a list of turns)")


def test_a_video_whose_own_sound_cannot_go_with_the_bed_is_refused_before_the_model_loads(tmp_path, capsys):
    """The video's own track goes with the bed as a second track: one of 16 channels (AAC holds 8)
    is refused before any sound is generated, and nothing is written."""
    from foley.cli import main

    clip = sixteen_channel_clip(tmp_path / "clip.mov")
    bed = ["compose", "a ball", "--video", str(clip), "-o", str(tmp_path / "bed.wav"), "--model", str(tmp_path / "none")]
    assert main(bed) == 2
    assert capsys.readouterr().err == (f"foley: error: {clip}: its audio track has 16 channels and cannot be kept as "
                                       "a second track (it would be encoded to AAC, which holds at most 8)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mov"]


def test_a_bed_laid_under_a_video_is_as_long_as_it_and_follow_up_turns_lay_it_again(backbone, av_clip, tmp_path,
                                                                                      capsys):
    """--video: the bed takes the video's length, and BED.mp4 holds the video's picture stream
    copied, the bed as its first track and the video's own sound as a second; a session lays
    its later beds under the same video, and refuses one of another length."""
    import av

    from foley.cli import main
    from foley.media.video import probe_video

    from conftest import video_packet_hash

    backbone.save_pretrained(tmp_path / "model")
    session, bed, movie = tmp_path / "bed.json", tmp_path / "bed.wav", tmp_path / "bed.mp4"
    base = ["compose", "--session", str(session), "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    assert main(base + ["a ball", "--model", str(tmp_path / "model"), "--video", str(av_clip)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {movie}: the picture of {av_clip} with the bed (its own sound kept as a second track)" in out
    video_s = probe_video(av_clip).duration_s
    wav, rate = read_audio(bed)
    assert len(wav) == round(video_s * rate)
    assert video_packet_hash(movie) == video_packet_hash(av_clip)
    with av.open(str(movie)) as c:
        assert [s.metadata.get("title") or s.metadata.get("handler_name") for s in c.streams.audio] == [
            "foley", "original"]
        assert float(c.streams.audio[0].duration * c.streams.audio[0].time_base) == pytest.approx(video_s, abs=0.07)
    first = movie.read_bytes()
    assert main(base + ["make the ball louder by 3 dB"]) == 0  # no --video: the session's
    assert f"wrote {movie}:" in capsys.readouterr().out and movie.read_bytes() != first
    assert json.loads(session.read_text())["turns"][-1]["video"] == str(av_clip.resolve())

    longer = tmp_path / "longer.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                str(longer)], what=str(longer))
    written = {p: p.read_bytes() for p in (bed, movie, session)}
    assert main(base + ["make the ball louder by 1 dB", "--video", str(longer)]) == 2
    assert capsys.readouterr().err == (f"foley: error: {longer} is 3 s long and this session's bed {video_s:g} s; "
                                       "a new session with --video makes a bed as long as its video\n")
    assert {p: p.read_bytes() for p in written} == written
    fresh = ["compose", "a ball", "--model", str(tmp_path / "model"), "--device", "cpu"]
    assert main(fresh + ["--video", str(longer), "--duration", "2"]) == 2
    assert capsys.readouterr().err == (f"foley: error: --video makes the bed as long as {longer} (3 s); "
                                       "leave out --duration\n")
    still = tmp_path / "still.png"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48", "-frames:v", "1", str(still)], what=str(still))
    assert main(fresh + ["--video", str(still)]) == 2
    assert capsys.readouterr().err == f"foley: error: --video {still}: a still image (png, one frame), not a video\n"
    assert main(fresh + ["--video", str(longer), "-o", str(tmp_path / "longer.wav")]) == 2
    assert capsys.readouterr().err == (f"foley: error: {longer}: the video with the bed would replace the video it "
                                       "is laid under; give -o a bed of another name\n")
    assert main(fresh + ["--video", str(longer), "-o", str(tmp_path / "other" / "bed.wav")]) == 0
    (tmp_path / "other" / "bed.wav").unlink()  # a video of the bed's name that this run did not write is kept
    assert main(fresh + ["--video", str(longer), "-o", str(tmp_path / "other" / "bed.wav")]) == 2
    assert "bed.mp4: exists; pass --overwrite" in capsys.readouterr().err
    assert not (tmp_path / "other" / "bed.wav").exists()
    misnamed = tmp_path / "clip.wav"  # a video named like a bed is not overwritten by it
    shutil.copy(longer, misnamed)
    assert main(fresh + ["--video", str(misnamed), "-o", str(misnamed), "--overwrite"]) == 2
    assert capsys.readouterr().err == (f"foley: error: {misnamed}: the bed would replace the video it is laid under; "
                                       "give -o a bed of another name\n")
    (tmp_path / "taken" / "bed.wav").mkdir(parents=True)  # the bed cannot be written: neither is its video
    assert main(fresh + ["--video", str(longer), "-o", str(tmp_path / "taken" / "bed.wav"), "--overwrite"]) == 2
    assert "bed.wav: a folder of that name is there; give a file name" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["bed.wav"]

    # undo lays the bed under the video of the turn it returns to
    same_length = tmp_path / "same.mp4"
    shutil.copy(av_clip, same_length)
    assert main(base + ["make the ball quieter by 2 dB", "--video", str(same_length)]) == 0
    assert json.loads(session.read_text())["turns"][-1]["video"] == "same.mp4"  # in its folder: relative
    assert main(base + ["undo"]) == 0
    assert f"the picture of {av_clip.resolve()} with the bed" in capsys.readouterr().out
    assert json.loads(session.read_text())["turns"][-1]["video"] == str(av_clip.resolve())
    # undo back to a turn laid under no video keeps the bed under the one it has
    plain = ["compose", "--session", str(tmp_path / "w.json"), "--steps", "2", "--scheduler", "ddim", "--device", "cpu"]
    assert main(plain + ["a ball", "--model", str(tmp_path / "model"), "--duration", str(video_s)]) == 0
    assert main(plain + ["make the ball louder by 1 dB", "--video", str(av_clip)]) == 0
    capsys.readouterr()
    assert main(plain + ["undo"]) == 0
    assert f"wrote {tmp_path / 'w.mp4'}: the picture of {av_clip.resolve()}" in capsys.readouterr().out
    # a link at the video's name, even a broken one, is a file there: refused before any work
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "bed.mp4").symlink_to(tmp_path / "nowhere.mp4")
    assert main(fresh + ["--video", str(longer), "-o", str(tmp_path / "linked" / "bed.wav")]) == 2
    assert "bed.mp4: exists; pass --overwrite" in capsys.readouterr().err
    # a follow-up that fails on a session copied without its video leaves no cache folder
    alone = tmp_path / "alone"
    alone.mkdir()
    saved = json.loads(session.read_text())
    saved["turns"][-1]["video"] = "gone.mp4"
    (alone / "bed.json").write_text(json.dumps(saved))
    assert main(["compose", "make the ball louder by 1 dB", "--session", str(alone / "bed.json")]) == 2
    assert "its video " in capsys.readouterr().err and sorted(p.name for p in alone.iterdir()) == ["bed.json"]


def test_a_misspelt_word_of_a_caption_is_offered_the_learned_word_it_nearly_spells(monkeypatch):
    from types import SimpleNamespace

    import foley.models.known_sounds as known_sounds
    from foley.pipelines.compose import _did_you_mean

    class Vocabulary:  # a sentence encoder's whole words
        def get_vocab(self):
            return {w: i for i, w in enumerate("a an the rain door dog slams whinny horse barks owl gun".split())}

    known = ["rain", "thunder", "a door opens and shuts", "a horse neighs", "a gun shoots"]
    near = {"a door slams": 0.71, "an owl hoots": 0.51, "an owl shoots": 0.44,  # cosine similarities, as MiniLM's
            "a pan sling whirls": 0.8}

    def nearest(text, learned, captions):
        return [(c, 1.0 if c in learned else near.get(c.replace(", ", " and "), 0.35)) for c in captions]

    monkeypatch.setattr(known_sounds, "nearest_sounds", nearest)
    text = SimpleNamespace(tokenizer=Vocabulary())
    assert _did_you_mean(text, "rian", known) == " (did you mean 'rain'?)"
    assert _did_you_mean(text, "a dorr slams", known) == " (did you mean 'door'?)"
    assert _did_you_mean(text, "tunder", known) == " (did you mean 'thunder'?)"
    for spelt in ("a dog barks", "the horse whinnies"):  # words the encoder has (whinnies: whinny): no guess
        assert _did_you_mean(text, spelt, known) == "", spelt
    # a real word the encoder lacks: its respelling ("an owl shoots") is no learned sound, so no guess
    assert _did_you_mean(text, "an owl hoots", known) == ""
    # a word three letters longer than a learned one is no slip of it, however near its respelling comes
    assert _did_you_mean(text, "a pan sizzling whirls", [*known, "a sling whirls"]) == ""


def test_a_bed_laid_under_a_video_named_by_a_folder_is_refused_in_one_line(av_clip, tmp_path, capsys, monkeypatch):
    """-o . (or any name not ending in .wav) with --video: the bed's name is refused, not its video's."""
    from foley.cli import main

    monkeypatch.chdir(tmp_path)
    for given in (".", str(tmp_path), ".."):
        assert main(["compose", "rain", "--video", str(av_clip), "-o", given]) == 2
        assert capsys.readouterr().err == (f"foley: error: {Path(given)}: the bed is written as WAV; give -o a path "
                                           "ending in .wav\n")
    assert list(tmp_path.iterdir()) == []
