"""The rules planner on descriptions and edits as sound designers write them in cue sheets and mix notes."""
import pytest

from foley.pipelines.plan import PlanError
from foley.pipelines.planners import RulesPlanner


def placed(text, duration_s=10):
    return sorted((e.caption, round(e.start_s, 3), round(e.end_s, 3)) for e in RulesPlanner().plan(text, duration_s).events)


def edited(bed, text):
    p = RulesPlanner()
    plan = p.plan(text, 10, p.plan(bed, 10))
    return sorted((e.caption, round(e.start_s, 3), round(e.end_s, 3), e.gain_db) for e in plan.events)


def test_a_dashed_span_after_from_between_or_at_is_that_span():
    assert placed("rain from 0-10s") == placed("rain between 0-10 s") == [("rain", 0, 10)]
    assert placed("wind at 2-4 s") == [("wind", 2, 4)]
    assert placed("footsteps from 2s-5s") == placed("footsteps 2s-5s") == [("footsteps", 2, 5)]
    assert placed("birds chirping from 0-10s, church bell at 5s") == [("birds chirping", 0, 10), ("church bell", 5, 7)]
    assert ("birds", 2, 5, 0) in edited("rain, a door slams at 7 s", "add birds from 2-5 s")
    assert [e.mute for e in RulesPlanner().plan("mute the rain from 3-5 s", 10, RulesPlanner().plan("rain", 10)).events] \
        == [((3.0, 5.0),)]


def test_a_count_with_as_many_times_is_one_sound_at_each():
    assert placed("2 knocks at 1s and 1.8s") == [("a knock", 1, 3), ("a knock", 1.8, 3.8)]
    assert placed("2 gunshots at 3s and 5s") == [("a gunshot", 3, 5), ("a gunshot", 5, 7)]
    assert placed("three loud knocks at 1, 2 and 3 s") == [("a loud knock", 1, 3), ("a loud knock", 2, 4),
                                                           ("a loud knock", 3, 5)]
    assert placed("a dog barks twice, at 2 s and 4 s") == [("a dog barks", 2, 4), ("a dog barks", 4, 6)]
    # added in an edit too, one take each
    p = RulesPlanner()
    bed = p.plan("rain, a door slams at 7 s", 10)
    added = [e for e in p.plan("add a dog barks at 3 s and 5 s", 10, bed).events if e.caption == "a dog barks"]
    assert [(e.start_s, e.end_s) for e in added] == [(3, 5), (5, 7)] and added[0].seed != added[1].seed
    assert edited("rain, a door slams at 7 s", "add two knocks at 5s and 6s")[1:3] == [("a knock", 5, 7, 0), ("a knock", 6, 8, 0)]
    with pytest.raises(PlanError, match="add one sound per turn"):  # a count the times do not give: not guessed
        p.plan("add three knocks at 5s and 6s", 10, bed)


def test_a_word_that_stresses_a_time_is_no_part_of_the_sound():
    for said in ["right at 3 s", "exactly at 3 s", "at exactly 3 s", "precisely at 3 s", "just at 3 s"]:
        assert placed(f"a door slams {said}") == [("a door slams", 3, 5)], said
    assert placed("a door slams right at the start") == [("a door slams", 0, 2)]
    assert placed("rain for exactly 4 s") == [("rain", 0, 4)]
    assert placed("a car passes from left to right at 3 s") == [("a car passes", 3, 5)]  # a pan's "right" stays its own


def test_a_time_last_in_its_part_with_no_word_for_it_is_its_time():
    assert placed("door creak 1s, footsteps 2s-5s, door slam 6s") == [("door creak", 1, 3), ("door slam", 6, 8),
                                                                      ("footsteps", 2, 5)]
    assert placed("a bell rings 0:04") == [("a bell rings", 4, 6)]
    assert placed("rain 0:00-0:10, thunder 0:04") == [("rain", 0, 10), ("thunder", 4, 8)]
    assert placed("a door slams, silence 2 s, a dog barks") == placed("a door slams, silence for 2 s, a dog barks")
    assert placed("thunder, 2 s later a dog barks") == [("a dog barks", 2, 4), ("thunder", 0, 2)]  # its own word
    assert placed("a dog barks every 2 s")[0][1:] == (0, 10)
    # ended by "!" or "?" as by a full stop; in milliseconds or minutes as in seconds: never left in its caption
    assert placed("door slam 6s! glass break 8s?") == [("door slam", 6, 8), ("glass break", 8, 10)]
    assert placed("glass break 500ms") == placed("glass break 500 ms") == [("glass break", 0.5, 2.5)]
    with pytest.raises(PlanError, match="off the 10 s timeline"):
        placed("rain 2 min")


def test_a_cue_sheets_labels_head_its_lines():
    assert placed("AMB: city traffic\nSFX: car horn @ 2s\nSFX: door slam @ 5.5s") == [
        ("car horn", 2, 4), ("city traffic", 0, 10), ("door slam", 5.5, 7.5)]
    assert placed("BG: rain\nSFX: door slam at 3s") == [("door slam", 3, 5), ("rain", 0, 10)]
    # a time after a dash, a colon or a comma is the sound's before it, not that sound again
    for said in ["door slam - 6s", "door slam \u2013 0:06", "door slam: 6 s", "door slam, 6s", "door slam - at 6 s"]:
        assert placed(said) == [("door slam", 6, 8)], said
    assert placed("BG: rain\nSFX: door slam - 3s\nSFX: glass break - 0:07") == [
        ("door slam", 3, 5), ("glass break", 7, 9), ("rain", 0, 10)]
    assert placed("SFX - door slam at 3s") == [("door slam", 3, 5)]


def test_counts_written_as_marks_and_rhythms_said_as_apart():
    assert placed("door knock (x3) at 2s") == placed("door knock x3 at 2s")
    assert len(placed("door knock (x3) at 2s")) == 3
    assert placed("a dog barks 2x") == [("a dog barks", 0, 5), ("a dog barks", 5, 10)]
    assert placed("gunshot (2x), then silence") == [("gunshot", 0, 3.333), ("gunshot", 3.333, 6.667)]
    assert placed("a 4x4 truck passes at 2 s") == [("a 4x4 truck passes", 2, 4)]
    plan = RulesPlanner().plan("a door slams twice, 1 second apart, at 3 s", 10)
    assert [(e.caption, e.start_s, e.end_s, e.period_s) for e in plan.events] == [("a door slams", 3, 5, 1)]
    plan = RulesPlanner().plan("two gunshots two seconds apart", 10)
    assert [(e.caption, e.start_s, e.end_s, e.period_s) for e in plan.events] == [("a gunshot", 0, 4, 2)]
    # a count after a rhythm, with its comma, as before it
    plan = RulesPlanner().plan("a bell rings every 2 s, 4 times", 10)
    assert [(e.start_s, e.end_s, e.period_s) for e in plan.events] == [(0, 8, 2)]


def test_a_rhythm_until_a_time_a_span_said_length_first_and_a_silence_until_a_time():
    plan = RulesPlanner().plan("a dog barks every 2 seconds until 8 s", 10)
    assert [(e.caption, e.start_s, e.end_s, e.period_s) for e in plan.events] == [("a dog barks", 0, 8, 2)]
    assert placed("a baby cries for 3 s from 2 s") == placed("a baby cries from 2 s for 3 s") == [("a baby cries", 2, 5)]
    assert placed("silence until 3 s, then rain") == [("rain", 3, 10)]
    assert placed("silence till 2 s, then footsteps until 6 s, then a door slams") == [("a door slams", 6, 10),
                                                                                      ("footsteps", 2, 6)]
    assert placed("typing, then a pause of 2 seconds, then more typing") == [("typing", 0, 4), ("typing", 6, 10)]
    with pytest.raises(PlanError, match="cannot place 'until 8 s'"):  # a rhythm of no sound
        placed("rain, every 2 s until 8 s")


def test_other_marks_and_places_on_the_timeline():
    assert placed("thunder at the 4 second mark, rain from the 2 second mark") == [("rain", 2, 10), ("thunder", 4, 8)]
    assert placed("footsteps from the 2 second mark to the 6 second mark") == [("footsteps", 2, 6)]
    assert placed("a cough around the 3s mark") == [("a cough", 3, 5)]
    assert placed("glass breaks halfway through the clip") == [("glass breaks", 5, 7)]


def test_a_change_of_level_or_a_fade_said_as_a_part_is_noted_not_a_sound():
    for text, said in [("wind, louder from 5 s", "'louder from 5 s'"), ("rain, quieter at the end", "'quieter at 8 s'"),
                       ("footsteps walking away, fading out", "'fading out'")]:
        p = RulesPlanner()
        assert len(p.plan(text, 10).events) == 1, text
        assert p.notes and p.notes[0].startswith(said) and p.notes[0].endswith("a sound keeps its level along its span")


def test_a_verb_said_until_a_time_is_of_the_thing_before_it():
    assert placed("an engine starts at 1 s, idles until 6 s, then shuts off") == [
        ("an engine idles", 3, 6), ("an engine starts", 1, 10), ("the engine shuts off", 6, 10)]


def test_a_mix_note_changes_a_level_by_its_amount():
    bed = "rain, a door slams at 7 s"
    assert edited(bed, "rain -3dB") == edited(bed, "rain down 3 dB") == edited(bed, "make the rain 3 dB quieter")
    assert edited(bed, "door +2 dB") == edited(bed, "make the door +2 dB") == edited(bed, "make the door louder by 2 dB")
    assert edited(bed, "rain -3dB")[1] == ("rain", 0, 10, -3)
    assert edited(bed, "turn the rain down 3 dB")[1] == ("rain", 0, 10, -3)
    with pytest.raises(PlanError, match="gains go from -40 to"):
        edited(bed, "rain -60 dB")
    with pytest.raises(PlanError, match="is an edit, and there is no bed to edit yet"):
        RulesPlanner().plan("rain -3 dB", 10)


def test_a_shift_said_in_short_without_the():
    bed = "wind, a dog barks at 2 s, a car passes at 6 s"
    assert edited(bed, "car 1 s earlier") == edited(bed, "the car 1 s earlier") == edited(bed, "make the car 1 s earlier")
    assert ("a car passes", 5, 7, 0) in edited(bed, "car 1 s earlier")
    assert edited(bed, "dog a bit later") == edited(bed, "make the dog a bit later")
    assert edited(bed, "everything 1 s later") == edited(bed, "move everything 1 s later")


def test_a_sentence_may_start_with_its_time():
    assert placed("forest ambience, birds. 00:04 branch snaps. 00:07-00:12 footsteps running through leaves. 00:15 gunshot, "
                  "birds scatter.", 20) == [("birds", 0, 20), ("birds scatter", 17, 20), ("branch snaps", 4, 6),
                                            ("footsteps running through leaves", 7, 12), ("forest ambience", 0, 20),
                                            ("gunshot", 15, 17)]
    assert placed("rain. 3 s: thunder. 5 s: a dog barks") == [("a dog barks", 5, 7), ("rain", 0, 10), ("thunder", 3, 7)]


def test_a_time_written_without_a_space_is_no_verb():
    assert placed("a door opens at 2s and closes at 4s") == placed("a door opens at 2 s and closes at 4 s") == [
        ("a door closes", 4, 6), ("a door opens", 2, 4)]
    assert placed("a kettle boils at 3s and whistles at 8s") == [("a kettle boils", 3, 10), ("a kettle whistles", 8, 10)]


def test_how_long_a_sound_takes_and_where_at_an_edge():
    assert placed("a door creaks open over 3 seconds") == [("a door creaks open", 0, 3)]  # no sound "over" it
    assert placed("door creaks open slowly over 3 seconds starting at 1 s") == [("door creaks open slowly", 1, 4)]
    assert placed("crowd applause at the end for 3 seconds") == placed("crowd applause for 3 seconds at the end") == [
        ("crowd applause", 7, 10)]
    assert placed("church bells ring for 5 seconds at the start") == [("church bells ring", 0, 5)]
    assert placed("a beep lasting 2 seconds") == placed("a beep that lasts for 2 s") == [("a beep", 0, 2)]
    assert placed("a hum that lasts 4 s at 3 s") == placed("a hum at 3 s lasting 4 s") == [("a hum", 3, 7)]
    # after a comma, and in other units: still its length, not the sound again nor a time left in its caption
    for said in ["a beep, lasting 2 s", "a beep, which lasts 2 s", "a beep lasting 2000 ms", "a beep lasting 0:02"]:
        assert placed(said) == [("a beep", 0, 2)], said


def test_a_count_in_brackets_another_and_a_bare_change_of_pace():
    assert placed("clock ticking throughout, cuckoo at 6 s (3 times)") == placed(
        "clock ticking throughout, cuckoo at 6 s 3 times")
    assert len(placed("a knock (three times) at 2 s")) == 3
    plan = RulesPlanner().plan("a car passes at 3 s. Another car passes at 6 s.", 10)
    assert [(e.caption, e.start_s) for e in plan.events] == [("a car passes", 3), ("a car passes", 6)]
    assert plan.events[0].seed_used != plan.events[1].seed_used  # two takes
    assert placed("an owl hoots, another owl answers at 5 s")[0] == ("an owl answers", 5, 7)
    p = RulesPlanner()
    assert [e.caption for e in p.plan("heartbeat, then faster", 10).events] == ["heartbeat"]
    assert p.notes == ["'faster' is not applied to 'heartbeat': a sound keeps its own rhythm and speed"]


def test_a_span_said_last_or_with_starting_and_ending():
    assert placed("rain 2 to 8 seconds") == placed("rain starting at 2s and ending at 8s") == [("rain", 2, 8)]
    assert placed("an alarm 2 to 6 s") == placed("an alarm from 2 to 6 s")
    assert placed("a dog barks at 2 s and stops at 4 s") == [("a dog barks", 2, 4)]


def test_a_length_said_before_the_sound_is_its_length():
    assert placed("a 2 second beep at 3 s") == placed("a 2-second-long beep at 3 s") == [("a beep", 3, 5)]
    assert placed("a 3-second whoosh at 2 s, then a 5 s long rumble of thunder") == [
        ("a rumble of thunder", 5, 10), ("a whoosh", 2, 5)]
    assert placed("a dog barks, a 2 second beep 3 seconds later") == [("a beep", 3, 5), ("a dog barks", 0, 3)]
    assert placed("at 2 s, a 1 second beep") == placed("at 2 s, a beep for 1 s") == [("a beep", 2, 3)]
    assert placed("rain, a 2 s pause, then thunder") == [("rain", 0, 4), ("thunder", 6, 10)]  # a silence, as before
    # with a count or a rhythm the length would be the whole run's: left as said
    assert placed("a 1.5 s beep every 3 s") == [("a 1.5 s beep", 0, 10)]
    assert [c for c, _, _ in placed("a 2 second beep 3 times")] == ["a 2 second beep"] * 3
    # a length and another after the sound: refused, not a sound "a beep for" at 4 s (nor two beeps)
    for said in ("a 2 second beep for 4 s", "a 2 second beep over 4 s", "a 2 second beep lasting 4 s"):
        with pytest.raises(PlanError, match="cannot place 'a beep for 4 s'"):
            placed(said)
    assert placed("a 2 second beep around 4 s") == [("a beep", 4, 6)]
    # a silence said with its length first is a silence, not a sound "a a silence"
    assert placed("rain, a 2 second silence, then thunder") == placed("rain, a 2 s pause, then thunder")
    assert placed("a 2 second silence then a beep") == [("a beep", 2, 10)]
