import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foley.pipelines.plan import (Plan, PlanError, fill_said, is_plan_text, parse_plan, pasted_plan, plan_changes,
                                  validate)

PAPER_CALLS = """Auffusion.generate('thunder clap', start_time=2, end_time=5);
Auffusion.generate("rain falling", start_time=0, end_time=10)"""

PAPER_JSON = """Here is the plan:
```json
{"events": [
  {"caption": "basketball bouncing", "start_time": 0, "end_time": 7},
  {"caption": "ball hits the basket", "start_time": 5, "end_time": 7},
  {"caption": "crowd cheering", "start_time": 7, "end_time": 10}
]}
```"""


def spans(plan):
    return [(e.caption, e.start_s, e.end_s) for e in plan.events]


def test_paper_examples_in_both_forms():
    assert spans(parse_plan(PAPER_CALLS)) == [("rain falling", 0, 10), ("thunder clap", 2, 5)]
    assert spans(parse_plan(PAPER_JSON)) == [("basketball bouncing", 0, 7), ("ball hits the basket", 5, 7),
                                             ("crowd cheering", 7, 10)]
    motor = "Auffusion.generate('motor humming', start_time=0, end_time=10); Auffusion.generate('a man speaking', start_time=3, end_time=6)"
    assert spans(parse_plan(f"```python\n{motor}\n```")) == [("motor humming", 0, 10), ("a man speaking", 3, 6)]


def test_json_forms():
    bare = '[{"text": "dog barks", "start": "1.5s", "end": 3}, {"prompt": "cat meows", "start_s": 3, "end_s": 10}]'
    assert spans(parse_plan(bare)) == [("dog barks", 1.5, 3), ("cat meows", 3, 10)]
    withdur = '{"duration": 6, "events": [{"caption": "bell", "start_time": 1, "end_time": 6, "gain_db": -6, "seed": 4}]}'
    plan = parse_plan(withdur)
    assert plan.duration_s == 6 and plan.events[0].gain_db == -6 and plan.events[0].seed == 4
    assert Plan.from_dict(json.loads(plan.to_json())) == plan


def test_repairs_with_clear_intent():
    plan = validate([{"caption": "a", "start": 8, "end": 3}, {"caption": "b", "start": -2, "end": 4},
                     {"caption": "c", "start": 12, "end": 14}], 10)
    # reversed times swapped, negative start clipped, the event past the end dropped,
    # and the latest event extended to the end of the timeline.
    assert spans(plan) == [("b", 0, 4), ("a", 3, 10)]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("make it loud", "no plan found"),
    ('{"events": []}', "no events"),
    ('[{"caption": "", "start": 0, "end": 3}]', "has no caption"),
    ('[{"caption": 5, "start": 0, "end": 3}]', "event 1's caption must be text, got 5"),
    ('[{"caption": "x", "start": "soon", "end": 3}]', "start must be a number"),
    ('[{"caption": "x", "start": 20, "end": 30}]', "no event lies inside the 10 s timeline$"),
    ('[{"caption": "x", "start": 0, "end": 4, "mute": [[0, 4]]}]', "or is heard there .an event muted all along"),
    ('[{"caption": "a"}, {"caption": "b"}, {"caption": "c"}, {"caption": "d"}]', "4 sounds play at once"),
    ("Auffusion.generate(__import__('os').system('x'), start_time=0, end_time=1)", "only literal arguments"),
    ('[{"caption": "x", "start": 0, "end": 3, "gain_db": 100}]', r"event 1: gain must be between -40 and \+12 dB, got 100"),
    ('[{"caption": "x", "start": 0, "end": 3, "seed": 99999999999999999999}]', "event 1: seed must be between 0 and 4294967295"),
    ('[{"caption": "x", "start": 0, "end": 3, "seed": -1}]', "event 1: seed must be between 0 and"),
])
def test_rejections_are_clear(text, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(text)


def test_a_pasted_plan_must_be_whole_json():
    whole = '{"duration_s": 6, "events": [{"caption": "rain", "start_time": 0, "end_time": 2}]}'
    assert pasted_plan(whole).duration_s == 6 and spans(pasted_plan(whole)) == [("rain", 0, 2)]  # times kept as given
    with pytest.raises(PlanError, match=r"the plan is not valid JSON \(.* at line 1, column \d+\)"):
        pasted_plan(whole[:-2])  # cut short: the events would be read, the duration lost
    assert spans(pasted_plan(f"here is the plan: {whole}")) == [("rain", 0, 2)]  # words before it
    past = '{"duration_s": 6, "events": [{"caption": "rain", "start_s": 0, "end_s": 6}, {"caption": "thunder", "start_s": 7, "end_s": 9}]}'
    with pytest.raises(PlanError, match=r"event 2 \('thunder', 7 to 9 s\) lies outside the 6 s timeline"):
        pasted_plan(past)  # not left out without a word
    assert spans(parse_plan(past)) == [("rain", 0, 6)]  # a planner's new plan: left out
    with pytest.raises(PlanError, match=r"the plan is followed by words \('then a door slams'\) that it would leave out"):
        pasted_plan(f"{whole} then a door slams")
    with pytest.raises(PlanError, match=r"the plan is not valid JSON \(Extra data"):
        pasted_plan(f"{whole} {whole}")  # two plans: which one?


def test_a_plan_in_json_may_allow_more_sounds_at_once():
    four = [{"caption": c, "start_time": 0, "end_time": 10} for c in "abcd"]
    with pytest.raises(PlanError, match=r"4 sounds play at once from 0 s \(a; b; c; d\); at most 3 may overlap \(a plan "
                                        r"in JSON may allow more: \"max_simultaneous\"\)"):
        pasted_plan(json.dumps({"duration_s": 10, "events": four}))
    plan = pasted_plan(json.dumps({"duration_s": 10, "max_simultaneous": 4, "events": four}))
    assert plan.max_simultaneous == 4 and pasted_plan(plan.to_json()) == plan  # as --plan-only prints it
    for bad in (0, 2.5, 33, "many"):
        with pytest.raises(PlanError, match="max_simultaneous must be"):
            pasted_plan(json.dumps({"duration_s": 10, "max_simultaneous": bad, "events": four}))


def test_the_steady_backgrounds_that_play_together_are_one_sound_at_once():
    """Rain and wind under a storm's thunder and a dog are one ambience (leveled under the rest as one bed), so the
    four fit a bed of 3 at once; four sounds with attacks do not, nor more layers of an ambience than the limit."""
    def at(*captions):
        return [{"caption": c, "start_time": 0, "end_time": 10} for c in captions]

    storm = validate(at("rain", "wind", "thunder", "a dog barks"), 10)
    assert [e.caption for e in storm.events] == ["rain", "wind", "thunder", "a dog barks"]
    assert validate(at("rain", "wind", "birds chirping", "thunder", "a dog barks"), 10).max_simultaneous == 3
    with pytest.raises(PlanError, match=r"^4 sounds play at once from 0 s \(rain and wind as one ambience; thunder; a "
                                        r"dog barks; a cat meows\); at most 3"):
        validate(at("rain", "wind", "thunder", "a dog barks", "a cat meows"), 10)
    with pytest.raises(PlanError, match=r"^4 backgrounds play together from 0 s \(rain, wind, birds chirping and "
                                        r"traffic\); one ambience holds at most 3, as many as may play at once: leave "
                                        r"one out \(a plan in JSON may allow more"):
        validate(at("rain", "wind", "birds chirping", "traffic"), 10)  # more layers than an ambience holds
    assert validate(at("rain", "wind", "birds chirping", "traffic"), 10, max_simultaneous=4).max_simultaneous == 4
    assert validate(at("rain", "wind", "birds chirping", "thunder", "a dog barks"), 10).max_simultaneous == 3


def test_a_crowded_plan_works_out_the_sounds_that_play_at_its_peak_once(monkeypatch):
    """Its names and its ambience's layers are of the one list (worked out twice before, once for each)."""
    import foley.pipelines.plan as plan

    found, playing_at = [], plan.playing_at
    monkeypatch.setattr(plan, "playing_at", lambda *args: found.append(playing_at(*args)) or found[-1])
    with pytest.raises(plan.CrowdedError) as crowded:
        validate([{"caption": c, "start_time": 0, "end_time": 10} for c in ("rain", "wind", "thunder", "a dog barks",
                                                                             "a cat meows")], 10)
    assert len(found) == 1 and len(found[0]) == 5  # every sound plays from 0 s
    error = crowded.value
    assert error.names == ["rain and wind as one ambience", "thunder", "a dog barks", "a cat meows"]
    assert (error.layers, error.needed) == ([], 4)  # two layers: no more than the limit


def test_a_pasted_call_that_is_no_generate_call_is_refused_not_dropped(tmp_path):
    rain = "Auffusion.generate('rain', start_time=0, end_time=10)"
    for other in ("Auffusion.generat('thunder', start_time=2, end_time=4)", "print('x')"):
        with pytest.raises(PlanError, match=re.escape(f"the plan holds {other!r}, which is no generate(...) call")):
            pasted_plan(f"{rain}; {other}")
    marker = tmp_path / "ran"
    with pytest.raises(PlanError, match="which is no generate"):
        pasted_plan(f"{rain}\nopen({str(marker)!r}, 'w')")
    assert not marker.exists()
    assert spans(pasted_plan(f"Here is the plan: {rain}")) == [("rain", 0, 10)]  # words before the calls
    thunder = "Auffusion.generat('thunder', start_time=2, end_time=4)"
    for text in (f"Here is the plan: {rain}; {thunder}", f"y = {thunder}; {rain}", f"    {rain}\n    {thunder}"):
        with pytest.raises(PlanError, match=re.escape("the plan holds")):
            pasted_plan(text)
    with pytest.raises(PlanError, match="no plan found"):  # misspelt calls alone are no description either
        pasted_plan(thunder)
    with pytest.raises(PlanError, match="gives start_tme=, which no plan has"):
        pasted_plan("Auffusion.generate('rain', start_tme=3, end_time=10)")
    assert spans(pasted_plan("Auffusion.generate('rain (Mr. x.y(z))', start_time=0, end_time=10)")) == [
        ("rain (Mr. x.y(z))", 0, 10)]  # a call inside a caption is words


def test_calls_are_never_executed(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(PlanError):
        parse_plan(f"Auffusion.generate(open({str(marker)!r}, 'w'), start_time=0, end_time=2)")
    assert not marker.exists()


event = st.fixed_dictionaries({"caption": st.one_of(st.text(max_size=30), st.integers()),
                               "start_time": st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.none()),
                               "end_time": st.one_of(st.floats(allow_nan=True), st.integers(-5, 20))})
fuzz_text = st.one_of(
    st.text(max_size=300),
    st.lists(event, max_size=5).map(json.dumps),
    st.lists(event, max_size=4).map(lambda evs: "; ".join(
        f"Auffusion.generate({e['caption']!r}, start_time={e['start_time']!r}, end_time={e['end_time']!r})" for e in evs)),
    st.text(alphabet="[]{}()'\",:generatAuffsion.=0123456789 ", max_size=200),
)


def check_parse(text, duration):
    try:
        plan = parse_plan(text, duration_s=duration)
    except PlanError:
        return
    assert plan.events and all(0 <= e.start_s < e.end_s <= plan.duration_s for e in plan.events)
    assert max(e.end_s for e in plan.events) == plan.duration_s


@settings(max_examples=500, deadline=None, database=None)
@given(fuzz_text, st.floats(0.1, 700))
def test_fuzzed_inputs_only_raise_plan_errors(text, duration):
    check_parse(text, duration)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, database=None)
@given(fuzz_text, st.floats(0.1, 700))
def test_fuzzed_inputs_only_raise_plan_errors_10k(text, duration):
    check_parse(text, duration)


def test_plan_changes_say_what_an_edit_did():
    base = validate([{"caption": "rain", "start": 0, "end": 10, "seed": 1}, {"caption": "a drum", "start": 3, "end": 5}], 10)
    edit = validate([{"caption": "rain", "start": 0, "end": 10, "seed": 2},
                     {"caption": "a drum", "start": 4, "end": 6, "gain_db": -3}], 10, reach_end=False)
    assert plan_changes(base, edit) == ["rain: another take", "a drum: 3-5 s -> 4-6 s, +0 dB -> -3 dB"]
    swap = validate([{"caption": "rain", "start": 0, "end": 10, "seed": 1}, {"caption": "a bell", "start": 3, "end": 5}],
                    10, reach_end=False)
    assert plan_changes(base, swap) == ["replaced: a drum (3-5 s) -> a bell (3-5 s)"]
    fewer = validate([{"caption": "rain", "start": 0, "end": 10, "seed": 1}], 10, reach_end=False)
    assert plan_changes(base, fewer) == ["removed: a drum (3-5 s)"] and plan_changes(fewer, base) == ["added: a drum (3-5 s)"]
    assert plan_changes(base, base) == []
    thirds = validate([{"caption": "a bell", "start": 2.333, "end": 4.667}], 10, reach_end=False)
    later = validate([{"caption": "a bell", "start": 3, "end": 5.334, "mute": [[3.333, 4.001]]}], 10, reach_end=False)
    assert plan_changes(thirds, later) == ["a bell: 2.33-4.67 s -> 3-5.33 s, muted 3.33-4 s"]  # to 0.01 s, as listed
    shots = validate([{"caption": "a gunshot", "start": t, "end": t + 0.5} for t in (2, 4, 6)], 10, reach_end=False)
    quieter = validate([{"caption": "a gunshot", "start": t, "end": t + 0.5, "gain_db": -4} for t in (2, 4, 6)], 10,
                       reach_end=False)  # 'make the gunshots quieter by 4 dB': each line says which one
    assert plan_changes(shots, quieter) == [f"a gunshot ({t}-{t}.5 s): +0 dB -> -4 dB" for t in (2, 4, 6)]
    moved = validate([{"caption": "a gunshot", "start": t, "end": t + 0.5} for t in (2, 4, 7)], 10, reach_end=False)
    assert plan_changes(shots, moved) == ["a gunshot: 6-6.5 s -> 7-7.5 s"]  # its spans say which
    bells = validate([{"caption": "a bell", "start": t, "end": t + 0.5} for t in (2, 4, 6)], 10, reach_end=False)
    assert plan_changes(shots, bells) == ["replaced: a gunshot -> a bell (3 times: 2-2.5, 4-4.5, 6-6.5 s)"]  # was: a
    # line removed and a line added for each take


def test_fill_is_read_kept_and_checked():
    plan = parse_plan('{"events": [{"caption": "footsteps", "start_time": 0, "end_time": 4, "fill": true},'
                      ' {"caption": "a bell", "start_time": 4, "end_time": 10, "fill": "False"}]}')
    assert [e.fill for e in plan.events] == [True, False]
    assert Plan.from_dict(json.loads(plan.to_json())) == plan  # a session keeps it
    assert not parse_plan('[{"caption": "a bell", "fill": null}]').events[0].fill  # an empty table cell
    with pytest.raises(PlanError, match="event 1: fill must be true or false, got 3"):
        parse_plan('[{"caption": "a bell", "fill": 3}]')
    once = validate([{"caption": "footsteps", "start_time": 0, "end_time": 4}], 10, reach_end=False)
    assert plan_changes(once, validate([{"caption": "footsteps", "start_time": 0, "end_time": 4, "fill": True}], 10,
                                       reach_end=False)) == ["footsteps: repeated to its end"]


def test_a_pasted_plan_in_a_fence_or_after_words_is_read_and_a_plan_without_events_is_refused():
    plan = '{"duration_s": 5, "events": [{"caption": "a door knocks", "start_s": 0, "end_s": 3}]}'
    for text in (f"```json\n{plan}\n```", f"Here is my plan: {plan}", plan):
        assert is_plan_text(text)
        got = pasted_plan(text)
        assert got.duration_s == 5 and [e.caption for e in got.events] == ["a door knocks"]
    assert not is_plan_text("rain, then a door knocks at 3 s")
    with pytest.raises(PlanError, match='the plan has no "events" list \\(its keys: duration_s, event\\)'):
        pasted_plan('{"duration_s": 3, "event": [{"caption": "a bell"}]}')
    with pytest.raises(PlanError, match='the plan has no "events" list \\(its "events" is a number, not a list\\)'):
        pasted_plan('{"events": 3}')  # it said "its keys: events"
    with pytest.raises(PlanError, match="event 1: seed must be a whole number, got 1.5"):
        pasted_plan('[{"caption": "a bell", "seed": 1.5}]')


def test_a_period_is_read_kept_and_checked():
    plan = parse_plan('[{"caption": "hammering", "start_time": 0, "end_time": 6, "period_s": "1.5 s"},'
                      ' {"caption": "footsteps", "start_time": 0, "end_time": 4, "fill": true, "period_s": null}]')
    assert [(e.caption, e.fill, e.period_s) for e in plan.events] == [("footsteps", True, None), ("hammering", True, 1.5)]
    assert Plan.from_dict(json.loads(plan.to_json())) == plan
    assert parse_plan('[{"caption": "a bell", "period_s": null, "period": 2}]').events[0].period_s == 2
    for raw, message in [('{"period_s": 0.01}', "event 1: period must be between 0.05 and 60 s, got 0.01"),
                         ('{"period_s": 0.0496}', "got 0.0496"), ('{"period_s": 60.0004}', "got 60.0004"),
                         ('{"period_s": "fast"}', "event 1 period must be a number"),
                         ('{"period_s": 1, "fill": false}', "event 1: a period is the time between the repeats"),
                         ('{"period_s": 1, "period_from": "ear"}', "event 1: period_from must be 'tempo' (a rhythm a "
                                                                   "tempo edit worked out) or absent, got 'ear'"),
                         ('{"fill": true, "period_from": "tempo"}', "event 1: period_from 'tempo' says where a period "
                                                                    "came from, and it gives none")]:
        with pytest.raises(PlanError, match=re.escape(message)):
            parse_plan(f'[{{"caption": "a bell", "start_time": 0, "end_time": 4, {raw[1:-1]}}}]')
    usual = validate([{"caption": "hammering", "start_time": 0, "end_time": 6, "fill": True}], 10, reach_end=False)
    slow = validate([{"caption": "hammering", "start_time": 0, "end_time": 6, "period_s": 2}], 10, reach_end=False)
    # a change of rhythm says the one it had: "faster" or its undo is heard as said
    assert plan_changes(usual, slow) == ["hammering: its usual rhythm -> every 2 s"]
    assert plan_changes(slow, usual) == ["hammering: every 2 s -> its usual rhythm"]
    fast = validate([{"caption": "hammering", "start_time": 0, "end_time": 6, "period_s": 1}], 10, reach_end=False)
    assert plan_changes(slow, fast) == ["hammering: every 2 s -> every 1 s"]
    once = validate([{"caption": "hammering", "start_time": 0, "end_time": 6}], 10, reach_end=False)
    assert plan_changes(once, slow) == ["hammering: repeated to its end, every 2 s"]
    assert [fill_said(e) for e in (once.events[0], usual.events[0], slow.events[0])] == [
        "", "  (fills its span)", "  (fills its span, every 2 s)"]


def test_the_ui_table_keeps_every_field_of_a_plan():
    pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
    from foley.ui import plan_from_rows, plan_rows

    plan = validate([{"caption": "hammering", "start_time": 0, "end_time": 4, "period_s": 1.5, "seed": 7},
                     {"caption": "a bell", "start_time": 4, "end_time": 10, "gain_db": -6, "mute": [[8, 9], [5, 6]]}], 10)
    rows = plan_rows(plan)
    assert rows[1][-1] == "5-6, 8-9" and plan_from_rows(rows, 10) == plan
    cleared = [row[:5] + [float("nan"), "", ""] for row in rows] + [["", None, None, None, False, None, None, None]]
    assert [(e.period_s, e.seed, e.mute) for e in plan_from_rows(cleared, 10).events] == [(None, None, ())] * 2
    typed = [rows[0], rows[1][:7] + ["4.5 - 5 s; 9 to 12 seconds"]]  # a mute typed by hand, cut to the event's span
    assert plan_from_rows(typed, 10).events[1].mute == ((4.5, 5), (9, 10))
    assert validate([{"caption": "rain", "mute": [2, 4]}], 10).events[0].mute == ((2, 4),)  # one span, flat
    with pytest.raises(PlanError, match="event 1: mute must be a list of \\[start, end\\] pairs"):
        validate([{"caption": "rain", "mute": [[1, 2, 3]]}], 10)
    with pytest.raises(PlanError, match="^event 2: mute takes spans of seconds, e.g. 2-4, 6-8; got 'abc'$"):
        plan_from_rows([rows[0], rows[1][:7] + ["abc"]], 10)  # the table's form, not JSON's
    shortened = [rows[0], rows[1][:2] + [6.5] + rows[1][3:]]  # the last event typed shorter stays so
    assert [(e.start_s, e.end_s) for e in plan_from_rows(shortened, 10).events] == [(0, 4), (4, 6.5)]
    for k, said in ((1, "start"), (2, "end")):  # an emptied time: refused, not read as the timeline's edge
        emptied = [rows[0], rows[1][:k] + [float("nan")] + rows[1][k + 1:]]
        with pytest.raises(PlanError, match=f"^'a bell': its {said} cell is empty; type a time in seconds$"):
            plan_from_rows(emptied, 10)
    with pytest.raises(PlanError, match="event 2 has no caption"):  # neither caption nor end: the caption is said
        plan_from_rows([rows[0], [None, 2, None, 0, False, None, None, ""]], 10)
    four = validate([{"caption": c, "start_time": 0, "end_time": 10} for c in "abcd"], 10, max_simultaneous=4)
    assert plan_from_rows(plan_rows(four), 10, four.max_simultaneous) == four  # the plan's own limit
    worked_out = validate([{"caption": "footsteps", "start_time": 0, "end_time": 4, "period_s": 0.33,
                            "period_from": "tempo"}], 10)  # a rhythm a tempo edit worked out: the table keeps it so
    assert plan_from_rows(plan_rows(worked_out), 10, shown=worked_out) == worked_out
