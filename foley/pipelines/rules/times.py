"""The forms of time the rules planner reads: times in other units or words rewritten in seconds
(``in_seconds``, ``said_times``), times said from another sound ("2 s later", "1 s after the door":
``relative_times``), counts ("twice", "three times in a row"), "now and then", rhythms ("every 2 s") and lengths."""
from __future__ import annotations

import random
import re

from ..plan import PERIOD_RANGE_S, PlanError, caption_seed
from .words import (STROKE_PERIOD_S, _LEARNED_OR, _ORDINAL_STEMS, _ORDINALS, _PARTICLES, _SOUND_VERBS, _STOPS,
                    _TIME_TAIL, _alike, _clean, _stems, _words, stroke_period_s)


# "right after", "soon after": an "after" with no time between
_SOON = r"(?:right|just|immediately|directly|shortly|soon|straight)"
# "after", "afterwards", "after that": what comes in turn; not after a time or a while ("2 s after", "a moment after")
_AFTER_WORD = r"after(?:wards|\s+(?:that|this|it))?"
_NO_TIME_BEFORE = r"(?<!\bs)(?<!\bsec)(?<!\bsecs)(?<!\bsecond)(?<!\bseconds)(?<!\bmoment)(?<!\blong)(?<!\bwhile)"
# "a door slams twice": that many parts in a row, each its own take; "twice for 3 s", "3 times
# from 2 to 8 s", "twice at 3 s": the parts share that span, one sound each.
_COUNTS = {"once": 1, "twice": 2, "thrice": 3, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
           "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_NUMBER = "|".join(w for w in _COUNTS if w not in ("once", "twice", "thrice"))
_MANY = "|".join(w for w in _COUNTS if _COUNTS[w] > 1 and w not in ("twice", "thrice"))
_COUNT = rf"(?<!\bat\s)(?<!\bfor\s)once|twice|thrice|(?:{_NUMBER}|\d+)\s+times?"
_REPEAT = re.compile(rf"^(?P<c>.+?)\s+(?P<n>{_COUNT})(?P<t>\s+(?:for|from|between|at)\s+\d.*)?$", re.I)
# "X twice on the door": a count of two or more before a place ("once more", "twice as loud",
# "two times a second" are no count)
_PLACE = (r"(?:on|in|into|onto|at|against|from|across|over|under|near|inside|outside|through|behind|along|down|up|"
          r"off|around)\s+(?:(?!\s(?:while|then|and|as)\s)[^,])+")
_MID_COUNT = re.compile(rf"^(?P<a>.+?)\s+(?P<n>twice|thrice|(?:{_MANY}|\d+)\s+times)"
                        rf"\s+(?P<b>{_PLACE}|(?!occasionally)[a-z]+ly)$", re.I)
# "twice in a row", "3 times in quick succession", "two gunshots in a row": what a count says already
_ROW = r"(?:in\s+(?:a\s+row|(?:quick\s+|rapid\s+)?succession)|one\s+after\s+(?:another|the\s+other)|back\s+to\s+back)"
# "two gunshots", "three loud knocks on the door": a count of a plural noun, a sound each ("two dogs
# bark" is not one: a verb follows)
_COUNTED_NOUN = re.compile(rf"^(?P<n>{_MANY}|\d+)\s+(?!(?:seconds|secs|minutes|mins)\b)(?P<adj>[a-z]+\s+)??(?P<noun>[a-z]+[^s\W]s)"
                           rf"(?P<b>\s+{_PLACE})?$", re.I)  # not "3 seconds": a time
_QUICK = re.compile(r"\s+(?:in\s+(?:quick|rapid|fast)\s+succession|(?:very\s+)?(?:rapidly|quickly"
                    r"|fast(?!\s+(?!(?:in|and|then|while|at|from|for|once|twice|thrice)\b)[a-z]))"  # not "a fast river"
                    r"(?:\s+in\s+a\s+row)?)(?=\s|$)", re.I)  # with a count: QUICK_S a sound
QUICK_S = 0.5
# Sounds that come in a quick run by nature: a count of them ("three knocks", "she claps twice")
# is laid at this period (s) from its start, not spread over its slot, and no slower when said quick.
RUN_PERIOD_S = {"knock": 0.3, "knocks": 0.3, "tap": 0.3, "taps": 0.3, "clap": 0.4, "claps": 0.4, "footstep": 0.5,
                "honk": 0.5, "honks": 0.5, "beep": 0.4, "beeps": 0.4}
_ROW_TAIL = re.compile(rf"\s+{_ROW}\s*$", re.I)
_IN_A_ROW = re.compile(rf"\b(?P<n>{_COUNT})\s+{_ROW}\b", re.I)
MAX_REPEATS = 8  # laid one by one, each its own take (a generation)


def _count(said: str) -> int:
    """The number of "twice", "3 times", "three", ..."""
    word = said.lower().split()[0]
    return _COUNTS[word] if word in _COUNTS else int(word)


def _one(adj: str, noun: str) -> str:
    """One of a counted plural noun: "a loud knock" of "loud " and "knocks"."""
    one = adj + re.sub(r"(?<=sh|ch|ss)es$|(?<=[xz])es$|s$", "", noun)
    return f"{'an' if one[0] in 'aeiou' else 'a'} {one}"


def _repeats(text: str) -> tuple[re.Match | None, int]:
    """(the match, the count) of "X twice", "X 3 times", ...; (None, 1) when it says none.
    A count inside the words is read as at their end, and one after a time as before it: "someone
    knocks twice on the door at 3 s" and "someone knocks on the door at 3 s twice" are "someone
    knocks on the door" twice at 3 s.
    A count said to come quickly ("in quick succession", "rapidly") shares QUICK_S a sound
    ("a dog barks 3 times in quick succession": 1.5 s), and a count of a sound that comes in a
    quick run (RUN_PERIOD_S: "three knocks", 0.9 s) its period, unless it gives its own span.
    Raises PlanError for 0 times, more than MAX_REPEATS, or a count given twice."""
    quick = _QUICK.search(text)
    repeat, times = _counted(text[:quick.start()] + text[quick.end():] if quick else text)
    return _in_a_run(repeat, times, QUICK_S if quick else None), times


def _in_a_run(repeat: re.Match | None, times: int, period_s: float | None) -> re.Match | None:
    """A count's match given the span its sounds share when they come one right after the other,
    ``period_s`` or the RUN_PERIOD_S of its sound (the shorter) a sound; as it was when it gives
    its own span or neither applies."""
    if repeat is None or times == 1 or re.match(r"\s+(?:for|from|between)\b", repeat["t"] or "", re.I):
        return repeat  # one sound, or its own span
    run = next((RUN_PERIOD_S[w] for w in re.findall(r"[a-z]+", repeat["c"].lower()) if w in RUN_PERIOD_S), None)
    periods = [p for p in (period_s, run) if p is not None]
    if not periods:
        return repeat
    return _REPEAT.match(f"{repeat['c']} {repeat['n']} for {min(periods) * times:g} s{repeat['t'] or ''}")


# "a few knocks", "several gunshots", "a couple of beeps": as many as "a few times" says (of a plural noun)
_SOME_NOUNS = {"a couple of": "two", "a couple": "two", "a few": "three", "several": "four", "a dozen": "twelve"}
_SOME_OF = re.compile(r"^(?P<s>a\s+couple(?:\s+of)?|a\s+few|several|a\s+dozen)(?=\s+[a-z])", re.I)


def _one_by_one(noun: str) -> bool:
    """Whether a counted plural noun is of sounds laid one by one, each a take ("knocks", "gunshots",
    "footsteps"), not a flock or a crowd ("20 birds")."""
    noun = noun.lower()
    return (noun in _SOUND_VERBS or noun in RUN_PERIOD_S or noun in STROKE_PERIOD_S
            or noun.endswith(("shots", "bangs", "beeps", "knocks", "claps", "chimes", "dings", "booms")))


def _counted(text: str) -> tuple[re.Match | None, int]:
    """:func:`_repeats` of a text that does not say its count comes quickly."""
    text = _IN_A_ROW.sub(lambda m: m["n"], text)
    tail = _TIME_TAIL.search(text)
    head, tail = (text[:tail.start()], tail.group()) if tail else (text, "")
    counted = _COUNTED_NOUN.match(_ROW_TAIL.sub("", _SOME_OF.sub(lambda m: _SOME_NOUNS[m["s"].lower()], head)))
    if counted and _count(counted["n"]) > MAX_REPEATS and _one_by_one(counted["noun"]):  # "twelve knocks"
        raise PlanError(_too_many(text, _one(counted["adj"] or "", counted["noun"]), _count(counted["n"])))
    if counted and _count(counted["n"]) <= MAX_REPEATS:  # "two loud bangs" is "a loud bang" two times; "20 birds" a flock
        adj = "" if (counted["adj"] or "").strip().lower() == "more" else counted["adj"] or ""  # "two more gunshots"
        head = f"{_one(adj, counted['noun'])}{counted['b'] or ''} {counted['n']} times"
        text = head + tail
    inside = None if _REPEAT.match(head) else _MID_COUNT.match(head)
    repeat = _REPEAT.match(f"{inside['a']} {inside['b']} {inside['n']}{tail}" if inside else text)
    if repeat is None:
        return None, 1
    said_late = None if repeat["t"] else _TIME_TAIL.search(repeat["c"])
    if said_late:  # "X at 2 s twice" is "X twice at 2 s": one after the other from 2 s
        repeat = _REPEAT.match(f"{repeat['c'][:said_late.start()]} {repeat['n']}{said_late.group()}")
    times = _count(repeat["n"])
    if _OCCASIONALLY.search(repeat["c"]):  # "a dog barks once in a while twice"
        raise PlanError(f"{_clean(_OCCASIONALLY.sub(' ', repeat['c']))!r} {repeat['n']} now and then: {_HOW_OFTEN}")
    if re.search(r"\b(?:or|to)$", repeat["c"], re.I):  # "once or twice", "two or three times"
        raise PlanError(f"{text!r} gives a choice of counts; give one ('twice', '3 times')")
    again = _REPEAT.match(repeat["c"]) or _MID_COUNT.match(repeat["c"])
    if again:
        said = again["c"] if "c" in again.groupdict() else f"{again['a']} {again['b']}"
        raise PlanError(f"{text!r} gives a count twice; say it once (e.g. '{said} {repeat['n']}')")
    if times == 0:
        raise PlanError(f"{text!r} is no sound (0 times); leave it out")
    if times > MAX_REPEATS:
        raise PlanError(_too_many(text, repeat["c"], times))
    return repeat, times


def _too_many(text: str, caption: str, times: int) -> str:
    """Why ``text``, ``caption`` said ``times`` times (more than MAX_REPEATS), is refused, and the
    rhythm that lays that many as one repeated take: its sound's usual run or stroke period, where it has one."""
    words = re.findall(r"[a-z]+", caption.lower())
    period = next((RUN_PERIOD_S[w] for w in words if w in RUN_PERIOD_S), None) or stroke_period_s(caption)
    every = (f"every {period:g} s' lays {times} as one repeated take ({times * period:g} s)" if period else
             f"every N s' lays {times} as one repeated take")
    return (f"{text!r}: at most {MAX_REPEATS} repeats are laid one by one; '{caption} {times} times, {every}, "
            f"'{caption} for N s' repeats it until N s")


# "now and then", "once in a while", "occasionally", ...: a sound at irregular times, about one every
# SCATTER_PERIOD_S over its span. Read before the parts are split ("and then", "while" split them),
# as the one word "occasionally".
_SCATTERED = re.compile(r"\s*\b(?:(?:every\s+)?now\s+and\s+(?:then|again)|once\s+in\s+a\s+while|from\s+time\s+to\s+time"
                        r"|every\s+so\s+often|at\s+times|occasionally|sporadically|intermittently)\b", re.I)
_OCCASIONALLY = re.compile(r"\s*\boccasionally\b|^(?:the\s+|an?\s+)?occasional\s+", re.I)  # "occasional thunder" too
SCATTER_PERIOD_S = 3.0
SCATTER_PAUSE_S = 0.25  # at least this silent between two of a sound said to come now and then
_HOW_OFTEN = "give a count ('twice'), a rhythm ('every 2 s') or 'now and then', one of them"


def _scattered(caption: str) -> tuple[str, bool]:
    """(the caption without its "occasionally", whether it said so). Raises PlanError when it
    also gives a count or a rhythm."""
    rest = _clean(_OCCASIONALLY.sub("", caption))
    if rest == _clean(caption):
        return caption, False
    if not rest:
        raise PlanError("'now and then' names no sound; say which ('a dog barks now and then')")
    if _repeats(_TIMED_TAIL.sub("", rest))[0] is not None or _EVERY.search(rest):
        raise PlanError(f"{rest!r} now and then: {_HOW_OFTEN}")
    return rest, True


def _scatter(caption: str, start_s: float, end_s: float) -> list[dict]:
    """The events of a sound said to come "now and then" over [start_s, end_s]: about one every
    SCATTER_PERIOD_S (at least one), each one sound at an irregular time in its share of the span
    and lasting as one placed at its time would (``timed_length_s``: a long sound, thunder, is not cut at its share's
    end), or until SCATTER_PAUSE_S before the next begins: a pause between them; the same times for the same caption."""
    times = max(1, round((end_s - start_s) / SCATTER_PERIOD_S))
    share = (end_s - start_s) / times
    rng = random.Random(caption_seed(caption))
    starts = [start_s + (k + 0.6 * rng.random()) * share for k in range(times)]
    return [{"caption": caption, "start_time": start, "end_time": min(end, start + timed_length_s(caption)),
             "period_s": None, "fill": False}
            for start, end in zip(starts, [*(t - SCATTER_PAUSE_S for t in starts[1:]), end_s])]


MIN_LENGTH_S = 0.05  # a part said to last less names no sound
_DECIMAL = r"\d+(?:\.\d+)?"  # a number of seconds as written: 3, 3.5
_UNIT_S = r"(?:s|secs?|seconds?)"
_N = rf"({_DECIMAL})"
_TO_THE_END = r"(?:to|until|till)\s+(?:the\s+)?end(?:\s+of\s+(?:it|the\s+(?:clip|bed|video|scene|sound|track)))?"
# "throughout", "the whole time", "in the background": over the whole timeline
_THROUGHOUT_WORDS = (r"\b(?:throughout|(?:(?:for|during|over|through)\s+)?the\s+(?:whole|entire)\s+(?:time|clip|bed"
                     r"|scene|video|track|thing|way(?:\s+through)?)|all\s+the\s+(?:time|way\s+through)|all\s+along"
                     r"|from\s+(?:start|beginning)\s+to\s+(?:finish|end)|in\s+the\s+background)\b")
_SECONDS = rf"\s*{_UNIT_S}?"
_TIMED = re.compile(rf"^(?P<c>.+?)(?:\s+(?:starting|beginning))?\s+(?:at\s+{_N}{_SECONDS}(?:\s+for\s+{_N}{_SECONDS})?"
                    rf"|(?:from|at)\s+{_N}{_SECONDS}\s+(?:to|until|till)\s+{_N}{_SECONDS}"
                    rf"|between\s+{_N}{_SECONDS}\s+and\s+{_N}{_SECONDS}"
                    rf"|for\s+{_N}{_SECONDS}\s+at\s+{_N}{_SECONDS}"
                    rf"|from\s+{_N}\s*{_UNIT_S}(?:\s+(?:on(?:wards?)?|{_TO_THE_END}))?)$", re.I)
_TIMED_TAIL = re.compile(r"\s+(?:at|from|between|for)\s+.*$", re.I)  # what follows a caption's name
_LASTING = re.compile(rf"^(?P<c>.+?)\s+for\s+{_N}{_SECONDS}$", re.I)
# A time left in a caption after the forms above: the rules planner could not place it.
_STRAY_TIME = re.compile(r"\b(?:at|from|for|to|until|till|between|and|after|in|by)\s+-?\d+(?:[.,]\d+)?"
                         r"(?:\s*(?:s|secs?|seconds?|ms|msecs?|milliseconds?|mins?|minutes?|h|hours?)\b|\s*$)"
                         r"|^-?\d+(?:[.,]\d+)?\s*(?:s|secs?|seconds?)?$|(?<!\w)-\d|(?<![\w:])\d+:\d+"
                         r"|\b(?:at|from|until|till|between|after)\s+-?\d|\b(?:secs?|seconds|ms|milliseconds?|minutes?)\b"
                         r"|\d\s*(?:s|secs?|seconds?|ms|msecs?|milliseconds?|mins?|minutes?)\s+"
                         r"(?:later|earlier|in|into|after|before|on)\b|\d\s*/\s*\d"  # "2 s later", "3 s in", "1/2 s"
                         r"|\b(?:at|from|for|to|until|till|between|after)\s+[-+]?(?:nan|inf(?:inity)?)\b"  # "at nan s"
                         r"|(?<![\w.])(?<!\bevery\s)(?<!\ba\s)(?<!\ban\s)\d+(?:\.\d+)?\s+(?:s|secs?)\b",  # "à 3 s" (not
                         # "every 2 s", nor "a 2 s beep 3 times": its words)
                         re.I)
# Times in other units, where a time is read (after "at", "by", ...; before "later", "longer"):
# rewritten in seconds, the unit the forms below read ("at 500 ms" -> "at 0.5 s", "at 0:03" -> "at 3 s").
_TIME_WORD = r"(?:at|around|from|to|until|till|between|and|for|by|every|first|last|after|before)"
_PART_END = r"\s*(?:[,;!?]|\.(?!\d)|$|\s+(?:and\s+)?then\b)"  # what ends a part: "door slam 6s!", "..., then"
_IN_UNIT = re.compile(rf"\b(?P<p>{_TIME_WORD}\s+)(?P<n>\d+(?:\.\d+)?)\s*(?P<u>ms|msecs?|milliseconds?|mins?|minutes?)\b"
                      rf"|(?P<n2>\d+(?:\.\d+)?)\s*(?P<u2>ms|msecs?|milliseconds?|mins?|minutes?)(?=\s+(?:later|earlier|sooner|"
                      rf"longer|shorter|after|before)\b|{_PART_END})", re.I)  # or last in its part: "glass break 500 ms"
# A time of day on a clock, no time on the bed: "3 am", "11:30 p.m.", "3 o'clock" (a scene's heading, "Bedroom, 3 am:")
_O_CLOCK = r"(?:[ap]\.?\s?m\b\.?|o'?clock\b)"
_CLOCK_TIME = re.compile(rf"\b\d{{1,2}}(?::[0-5]\d)?\s*{_O_CLOCK}", re.I)
_CLOCK = re.compile(rf"(?:\b(?P<p>{_TIME_WORD}\s+)|(?<![\w:]))(?P<m>\d+):(?P<s>[0-5]\d(?:\.\d+)?)\b(?!\s*{_O_CLOCK})"
                    rf"(?(p)|(?=\s+(?:later|earlier|sooner|longer|shorter)\b|{_PART_END}"
                    r"|\s*[-\u2013]\s*\d+:[0-5]\d))", re.I)  # "0:03 later", or last in its part: "a bell rings 0:04", "rain 0:02-0:06"


def _seconds_text(seconds: float) -> str:
    return f"{round(seconds, 3):.3f}".rstrip("0").rstrip(".") + " s"


# "at the 3 second mark", "from the 2 s mark", "around the 3 s mark", "on the 3 s mark" (each "at" but "from", ...)
_MARK = re.compile(r"\b(?P<p>at|to|from|until|till|by|after|before|(?P<about>around|about|near|on))\s+the\s+"
                   r"(?P<n>\d+(?:\.\d+)?)[-\s]?(?:s|secs?|seconds?)\s+mark\b", re.I)
# "a dog barks after 3 s", "shortly after 3 s"
_AFTER_TIME = re.compile(r"\b(?:(?:shortly|soon|just|right|immediately|directly)\s+)?after\s+(?=\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)\b)",
                         re.I)
# the "and" of a list of times ("at 2 s and 5 s", "at 2 s, 5 s and 8 s"; not "between 2 s and 4 s")
_TIME_LIST = re.compile(rf"(?P<head>(?:\bat\s+|,\s*){_DECIMAL}\s*{_UNIT_S})\s+and\s+"
                        rf"(?=(?:at\s+)?{_DECIMAL}\s*{_UNIT_S}\b)", re.I)
# "at 2, 5 and 8 s": the unit said once for a list of times
_NUMBER_LIST = re.compile(rf"\bat\s+(?P<list>{_DECIMAL}(?:\s*,\s*{_DECIMAL})*,?\s+and\s+{_DECIMAL})\s*{_UNIT_S}\b", re.I)
# "a dog barks 3 times at 2, 5 and 8 s", "... twice, at 2 s and 4 s", "2 knocks at 1 s and 1.8 s": a sound at each time
_COUNT_OF_TIMES = re.compile(rf"(?:\b(?P<n>twice|thrice|(?:{_NUMBER}|\d+)\s+times)|(?<![\w.])(?P<many>{_MANY}|\d+)\s+"
                             rf"(?P<adj>[a-z]+\s+)??(?P<noun>[a-z]+[^s\W]s))\s*,?\s+(?P<at>at\s+{_DECIMAL}\s*{_UNIT_S}"
                             rf"(?:\s*(?:,|,?\s+and)\s*(?:at\s+)?{_DECIMAL}\s*{_UNIT_S})+)(?=\s*(?:[,;.!]|$))", re.I)
_SOME_TIMES = {"a couple of times": "twice", "a couple times": "twice", "a few times": "three times",
               "several times": "four times"}
_SOME = re.compile("|".join(rf"\b{k}\b" for k in _SOME_TIMES), re.I)


# "a bell tolls 4 times, every 2 s": that many sounds at that rhythm
_TIMES_EVERY = re.compile(rf"\b(?P<n>twice|thrice|(?:{_NUMBER}|\d+)\s+times)\s*,?\s+every\s+(?P<p>\d+(?:\.\d+)?)\s*"
                          rf"(?:s|secs?|seconds?)\b|\bevery\s+(?P<p2>\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\s*,\s*"
                          rf"(?P<n2>twice|thrice|(?:{_NUMBER}|\d+)\s+times)\b", re.I)  # or "every 2 s, 4 times" (with its comma)
# "twelve knocks, every 0.3 s": a count of sounds laid one by one at a rhythm, as "a knock 12 times, every 0.3 s"
_NOUNS_EVERY = re.compile(rf"(?<![\w.])(?P<many>{_MANY}|\d+|a\s+couple(?:\s+of)?|a\s+few|several|a\s+dozen)\s+"
                          r"(?!(?:times|seconds|secs|minutes|mins)\b)"
                          rf"(?P<adj>[a-z]+\s+)??(?P<noun>[a-z]+[^s\W]s)\s*,?\s+(?=every\s+{_DECIMAL}\s*{_UNIT_S})",
                          re.I)
# "twice, 1 s apart", "two gunshots 2 seconds apart": a count at that rhythm
_APART = re.compile(rf"(?:\b(?P<n>twice|thrice|(?:{_NUMBER}|\d+)\s+times)|(?<![\w.])(?P<many>{_MANY}|\d+)\s+"
                    rf"(?P<adj>[a-z]+\s+)??(?P<noun>[a-z]+[^s\W]s))\s*,?\s+(?P<p>{_DECIMAL})\s*{_UNIT_S}\s+apart\b,?", re.I)


# Other ways of writing a time, rewritten as the forms below read them
# "five seconds", "at two, five and eight seconds", "from two to six seconds"
_NUMBER_WORDS = re.compile(rf"\b(?:{_NUMBER})(?:(?:\s*,\s*|,?\s+and\s+|\s+(?:to|until|till)\s+)(?:{_NUMBER}))*"
                           rf"(?=[-\s]+(?:s|secs?|seconds?|ms|milliseconds?|mins?|minutes?)\b)", re.I)
# "at 2 seconds in, a door slams", "3 s into the clip, ...": a time from the bed's start said first
_INTO = re.compile(r"(?:^|(?<=[,;:]\s)|(?<=\bthen\s))(?:at\s+)?(?P<n>\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\s+in(?:to\s+(?:it|the\s+(?:clip|bed|video|scene"
                   r"|sound|track)))?(?=\s*[,;:]|\s+(?:a|an|the)\b)", re.I)
# "a beep on 4 s", "a bell rings on 0:03", "on 2 and 5 s": at that time (not "a knock on 2 doors")
_ON_TIME = re.compile(rf"\bon\s+(?=(?:{_DECIMAL}\s*(?:{_UNIT_S}|ms|milliseconds?)?(?:\s*,\s*|,?\s+and\s+))*{_DECIMAL}\s*"
                      rf"(?:{_UNIT_S}|ms|milliseconds?)\b|\d+:[0-5]\d\b)", re.I)
_AT_SIGN = re.compile(r"(?:\s*@\s*|\s+(?:at\s+)?t\s*=\s*)(?=\d)", re.I)  # "a door slams @ 2s", "... at t=2s"
_ABOUT = re.compile(r"\b(?:(?P<p>at|to|by|from|until|till)\s+)?(?:about|around|approximately|roughly|near|nearly)\s+(?=\d)",
                    re.I)
# "right at 3 s", "exactly at the end", "at exactly 3 s", "for precisely 2 s": the time as said (not "to the
# right at 3 s")
_EXACTLY = re.compile(r"\b(?:(?:(?<!\bto\s)(?<!\band\s)right|exactly|precisely|just)\s+"
                      r"(?=at\s+(?:\d|the\s+(?:very\s+)?(?:start|beginning|end|middle)\b))|(?P<p>at|to|by|for|from|until|till)\s+(?:exactly|precisely)\s+(?=\d))", re.I)
# "2-6 s", "2s-6s", and "from 2-6 s", "between 2-6 s", "at 2-6 s" (a word before the span is its own)
_DASHED = re.compile(rf"(?:\b(?:from|between|at)\s+)?(?<![\w.])(?P<a>{_DECIMAL})\s*(?:{_UNIT_S}\s*)?[-\u2013]\s*"
                     rf"(?P<b>{_DECIMAL})\s*(?P<u>{_UNIT_S})\b", re.I)
_PAUSE = re.compile(rf"\b(?P<a>an?\s+)(?:(?P<n>{_DECIMAL})[-\s]*{_UNIT_S}\s+(?P<what>pause|silence|gap)\b"
                    rf"|(?P<what2>pause|silence|gap)\s+of\s+(?P<n2>{_DECIMAL})\s*{_UNIT_S}\b)", re.I)  # "a pause of 2 s" too
# "a 2 second beep", "a 3-second whoosh at 2 s", "a 5 s long rumble of thunder": a beep for 2 s, ... (not "a 1920s radio")
_LONG_SOUND = re.compile(rf"\b(?P<a>an?\s+)(?!\d{{3}}0s\b)(?P<n>{_DECIMAL})[-\s]*{_UNIT_S}(?:[-\s]+long)?\s+"
                         r"(?!(?:pause|silence|gap|mark|delay|interval|break|wait|rest|later|earlier|after|before)\b)"
                         r"(?P<x>[a-z](?:(?!\s(?:twice|thrice|\d+\s+times|every|repeatedly|again)\b)[^,;:!?])*?)"
                         r"(?!\s+(?:twice|thrice|\d+\s+times|every|repeatedly|again)\b)"  # not "a 2 s beep 3 times"
                         r"(?=\s*(?:[,;:!?]|\.(?!\d)|$)|\s+(?:then|while|and|at|from|starting|beginning|after|before|"
                         r"until|till)\b|(?<!\sfor)(?<!\sover)(?<!\slasting)(?<!\sin)(?<!\son)(?<!\sby)(?<!\saround)"
                         r"(?<!\sabout)(?<!\snear)\s+\d)", re.I)  # "a 2 s beep 3 s later", not "a 2 s beep for 4 s"
_STARTS_STOPS = re.compile(rf"\s+(?:(?:starts?|begins?)\s+at\s+(?P<a>{_DECIMAL}){_SECONDS}\s+and\s+"
                           rf"(?:stops?|ends?|fades?\s+out)|at\s+(?P<a2>{_DECIMAL}){_SECONDS}\s+and\s+(?:stopping|ending|fading\s+out))"
                           rf"\s+at\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b", re.I)  # and "(starting) at 2 s and ending at 6 s"
# "a chainsaw starts at 2 s and cuts wood until 8 s": "a chainsaw cuts wood from 2 to 8 s" ("... and runs until 8 s",
# "a dog starts barking at 2 s and keeps going until 6 s": "a chainsaw from 2 to 8 s", "a dog barking from 2 to 6 s")
_STARTS_UNTIL = re.compile(rf"\s+(?:starts?|begins?|comes?\s+in)(?P<g>\s+[a-z]+ing)?\s+at\s+(?P<a>{_DECIMAL}){_SECONDS}\s+and\s+"
                           rf"(?P<v>[a-z][a-z' ]*?)\s+(?:until|till|to)\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b", re.I)
_GOES_ON = re.compile(r"(?:goes|carries|keeps(?:\s+going)?|continues|lasts|runs|plays)(?:\s+on)?", re.I)
# "a bell rings at 2 s and keeps ringing until 5 s", "a dog barks at 1 s and goes on until 6 s": "a bell rings from 2 to 5 s"
_AT_KEEPS_UNTIL = re.compile(rf"\s+at\s+(?P<a>{_DECIMAL}){_SECONDS}\s+and\s+(?:keeps|goes\s+on|carries\s+on|continues)"
                             rf"(?:\s+[a-z]+ing)?\s+(?:until|till|to)\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b", re.I)


def _started_until(m: re.Match) -> str:
    """A sound said to start at one time and go on until another (``_STARTS_UNTIL``) as said from one to the other."""
    if _GOES_ON.fullmatch(m["v"]):
        return f"{m['g'] or ''} from {m['a']} to {m['b']} s"
    return m[0] if m["g"] else f" {m['v']} from {m['a']} to {m['b']} s"


# "a beep lasting 2 s", "a hum that lasts 4 s", "a beep, lasting 500 ms", "a hum, which lasts 0:04": for that long
_LASTS = re.compile(rf"(?:,?\s+(?:that|which))?,?\s+(?:lasting|lasts)\s+(?:for\s+)?(?=(?P<n>{_DECIMAL})\s*"
                    rf"(?:{_UNIT_S}|ms|msecs?|milliseconds?|mins?|minutes?)\b|\d+:[0-5]\d)", re.I)
_OVER_SECONDS = re.compile(rf"\bover\s+(?:the\s+(?:next|following)\s+|a\s+period\s+of\s+)?(?P<n>{_DECIMAL})\s*{_UNIT_S}\b", re.I)
_FROM_FOR = re.compile(rf"\bfrom\s+(?P<a>{_DECIMAL})\s*{_UNIT_S}\s+for\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b"
                       rf"|\bfor\s+(?P<b2>{_DECIMAL})\s*{_UNIT_S}\s+from\s+(?P<a2>{_DECIMAL})\s*{_UNIT_S}\b(?!\s*(?:to|until|till)\b)",
                       re.I)  # "from 4 s for 2 s", "for 2 s from 4 s"
_BULLET = r"(?:[*\u2022-]+\s*|\d{1,2}[.)]\s+|step\s+\d{1,2}\s*[:.)-]\s*)?"  # "- ", "* ", "1. ", "2) ", "Step 1:"
_LINES = re.compile(rf"(?i)\s*\n\s*{_BULLET}")  # one sound a line, bullets or not
# "0:03 thunder", "00:07 - a dog barks", "[0:03] thunder", "3 s: thunder", "0:02-0:05 footsteps": a line (or a
# part after a comma, or a sentence) that starts with its time or span, up to the end of its part or sentence (the
# comma of a text the backbone learned is the sound's: "0:02 footsteps on dirt, running")
_CLOCK_OR_S = r"(?:\d+:[0-5]\d(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)\b)"
_LINE_TIME = re.compile(rf"(?im)(?:^|(?<=[,;]\s)|(?<=[,;])|(?<=[.!?]\s))\s*{_BULLET}\[?(?P<t>{_CLOCK_OR_S})(?:\s*[-\u2013]\s*"
                        rf"(?P<b>{_CLOCK_OR_S}))?\]?\s*[-\u2013:]?\s+(?!(?:in|into|later|after|before|earlier|of|long|and|then"
                        rf"|for|apart)\b|{_O_CLOCK})"  # not "3:00 am"
                        rf"(?P<c>(?:{_LEARNED_OR}[^\W\d])(?:{_LEARNED_OR}[^\n,;.!?]|[.!?](?!\s|$))*)")


# "door slam 6s", "a bell rings 0:04", "rain 2 to 8 s": a part that ends with its time or span, with no word for it ("at")
_TIME_LAST = re.compile(rf"(?P<w>\b[a-z']+)\s+(?:(?P<a>{_DECIMAL})\s*{_UNIT_S}?\s+(?:to|until|till|through|thru)\s+)?"
                        rf"(?P<t>{_DECIMAL})\s*{_UNIT_S}(?={_PART_END})", re.I)
_NOT_ITS_TIME = set("""at for from to until till through thru up past since every first last final of by and or between
after before in into over during within next about around approximately roughly some another each per than only just
exactly precisely the a an its""".split())  # "for 2 s", "every 2 s", "the first 3 s": the word before it says what the time is


def _time_last(m: re.Match) -> str:
    """A part that ends with its time (``_TIME_LAST``) as the rules planner reads it: "door slam at
    6 s", "rain from 2 to 8 s"; "silence 2 s" (or "pause", "gap") is a silence that long, as "3 s silence" is."""
    if m["w"].lower() in _NOT_ITS_TIME:
        return m[0]
    if m["a"]:
        return f"{m['w']} from {m['a']} to {m['t']} s"
    how = "for" if re.fullmatch(r"silence|pause|gap|quiet", m["w"], re.I) else "at"
    return f"{m['w']} {how} {m['t']} s"


def _line_time(m: re.Match) -> str:
    """A part that starts with its time (``_LINE_TIME``) as the rules planner reads it: "thunder at
    0:03"; "3 s silence" stays a silence that long, "0:03 silence" is one at 0:03."""
    if ":" not in m["t"] and re.match(r"(?:silence|pause|gap|quiet)\b", m["c"], re.I):
        return m[0]
    return f"{m['c']} from {m['t']} to {m['b']}" if m["b"] else f"{m['c']} at {m['t']}"


# "A, then B, all while rain falls", "A, then B, all the while, wind blows", "A, meanwhile rain falls": under them all
_ALL_WHILE = re.compile(r"(?:[,;.]\s*(?:and\s+)?|^\s*)(?:all\s+(?:the\s+)?while|(?:all\s+)?the\s+whole\s+time\s+while"
                        r"|meanwhile),?\s+(?=\w)", re.I)
_ALL_THE_WHILE = re.compile(r",?\s+all\s+(?:the\s+)?while(?=\s*(?:$|[,;.]))", re.I)  # "a dog barks all the while": throughout
# "X and, at the same time, Y", "X, at the same time Y", "X and simultaneously Y", "X, and Y at the same time",
# "X and Y simultaneously": Y while X
_SAME_TIME = re.compile(r"(?:,?\s*\band\s*,?|,)\s*(?:at\s+the\s+same\s+time|simultaneously)\s*,?\s*(?=[a-z])", re.I)
_SAME_TIME_TAIL = re.compile(r",?\s+and\s+(?P<b>[^,;.]+?)\s+(?:at\s+the\s+same\s+time|simultaneously)(?=\s*(?:$|[,;.]))", re.I)
_SAID_AT_LAST = re.compile(r"\bat\s+\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)$", re.I)  # "... at 2 s", said last


def _at_the_same_time(m: re.Match) -> str:
    """A match of ``_SAME_TIME_TAIL`` ("X, and Y at the same time") as "X while Y", Y at X's time
    when one is said last of X ("a door slams at 2 s and a dog barks at the same time": both at 2 s)."""
    at = _SAID_AT_LAST.search(m.string[:m.start()])
    return f" while {m['b']}" + (f" {at[0]}" if at else "")


# "a horn at 3 s, then another at six": a number in words ending its part after "at", as "at 6" is read
_AT_NUMBER_WORD = re.compile(rf"\b(?P<p>at|from)\s+(?P<n>{_NUMBER})(?=\s*(?:[,;!?]|\.(?!\d)|$))", re.I)
# "four point five seconds": 4.5 s
_POINT = re.compile(rf"\b(?P<a>\d+|{_NUMBER})\s+point\s+(?P<b>(?:{_NUMBER}|\d)(?:\s+(?:{_NUMBER}|\d))*)"
                    rf"(?=[-\s]+(?:s|secs?|seconds?|ms|milliseconds?|mins?|minutes?)\b)", re.I)
_AND_A_HALF = re.compile(rf"\b(?P<n>\d+|{_NUMBER})\s+and\s+a\s+half(?=[-\s]+(?:s|secs?|seconds?)\b)", re.I)
_SOME_SECONDS = re.compile(r"\ba\s+(?:couple\s+(?:of\s+)?|(?P<few>few\s+))sec(?:ond)?s\b", re.I)
_HALF_A_SECOND = re.compile(r"\b(?:a\s+half-sec(?:ond)?(?=\s+(?:later|earlier|after|before)\b)|half(?:\s+a\s+|-)sec"
                            r"(?:ond)?|a\s+half\s+sec(?:ond)?|a\s+second\s+(?P<and>and\s+a\s+half))\b",
                            re.I)  # "half-second", "half a sec" too
# "a quarter (of a) second", "quarter-second", "three quarters of a second", "a tenth of a second": that part of one
_PARTS = {"quarter": 4, "third": 3, "fifth": 5, "tenth": 10}
_PART_OF_A_SECOND = re.compile(rf"\b(?:(?P<k>an?|{_NUMBER})[\s-]+|(?=quarter-second\b))"
                               r"(?:(?P<part>quarter)s?(?:\s+of\s+a\s+|[\s-]+)|(?P<part2>third|fifth|tenth)s?(?:\s+of\s+a\s+|-))"
                               r"second\b", re.I)  # not "a third second knock"


_VULGAR = {"\u00bc": 0.25, "\u00bd": 0.5, "\u00be": 0.75}  # a fraction written as one character


_FOR_A_SECOND = re.compile(r"\bfor\s+(?:a|one)\s+second\b(?=\s*(?:[,;:!?]|\.(?!\d)|$)|\s+(?:at|then|and|while|from|after|before)\b)", re.I)


def _half_seconds(text: str) -> str:
    """``text`` with "half a second" ("a half second"), "a second and a half", "a quarter of a
    second" ("a quarter second", "three quarters of a second", "a tenth of a second"), "a couple of
    seconds" (2) and "a few seconds" (3) in seconds."""
    text = _FOR_A_SECOND.sub("for 1 s", text)  # "a horn for a second at 4 s"
    text = re.sub(r"(?<![\d.])(?:(?P<n>\d+)\s*)?(?P<f>[\u00bc\u00bd\u00be])",  # "1\u00bd s", "\u00bc s": 1.5 s, 0.25 s
                  lambda m: f"{int(m['n'] or 0) + _VULGAR[m['f']]:g}", text)
    text = _HALF_A_SECOND.sub(lambda m: "1.5 s" if m["and"] else "0.5 s", text)

    def part(m: re.Match) -> str:  # "a quarter-second beep": a 0.25 s beep; "a quarter second later": 0.25 s later
        n = _COUNTS.get((m["k"] or "a").lower(), 1) / _PARTS[(m["part"] or m["part2"]).lower()]
        noun = re.match(r"\s+(?!(?:later|earlier|sooner|after|before|long|longer|shorter|of|and|or|to)\b)[a-z]", text[m.end():],
                        re.I)
        return f"{m['k'] + ' ' if noun and m['k'] and m['k'].lower() in ('a', 'an') else ''}{round(n, 3):g} s"

    text = _PART_OF_A_SECOND.sub(part, text)
    return _SOME_SECONDS.sub(lambda m: "3 s" if m["few"] else "2 s", text)


_SECONDS_OF_SOUND = re.compile(rf"(?<!first )(?<!last )(?<!final )(?<!the )(?<!after )(?<![\d.])\b(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+of\s+(?P<x>[a-z][^,;:.]*?)"
                               r"(?=\s*(?:[,;:.]|\s(?:then|while|and)\s|$))", re.I)  # at a part's start: not "the first 3 s of"
_SECONDS_OF = re.compile(rf"(?<!\ba\s)(?<!\ban\s)\b(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?:of\s+(?:silence|quiet|nothing)|silence)\b", re.I)  # "a 2 s silence": _PAUSE
_OF_IT = r"(?:\s+of\s+(?:it|the\s+(?:clip|bed|scene|video|sequence|track)))?(?!\s+of\b)"  # not "the end of the road"
_SAID_TIMES = [  # (pattern, the time it says on a timeline of duration d), read by :func:`said_times`
    (re.compile(rf"\b(?:at|near|towards?)\s+the\s+(?:very\s+)?end{_OF_IT}", re.I), lambda d: d - TIMED_LENGTH_S),
    (re.compile(rf"\b(?:at\s+the\s+(?:halfway|mid)[\s-]?(?:point|mark){_OF_IT}|at\s+the\s+midpoint{_OF_IT}"
                rf"|midway(?:\s+through{_OF_IT})?|halfway(?:\s+through(?:\s+the\s+(?:clip|bed|scene|video|sequence|track)\b|{_OF_IT}))?"
                rf"|(?:right\s+)?in\s+the\s+middle{_OF_IT})(?!\s+of\b)", re.I),
     lambda d: d / 2),
    (re.compile(rf"\b(?:at|near|towards?)\s+the\s+(?:very\s+)?(?:start|beginning){_OF_IT}", re.I), lambda d: 0.0),
]
# "3 s after the start", "2 s before the end (of the clip)": that far from an edge of the timeline
_FROM_EDGE = re.compile(rf"\b(?:at\s+)?(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?:after\s+the\s+(?:very\s+)?(?:start|beginning)"
                        rf"|before\s+the\s+(?:very\s+)?(?P<end>end)){_OF_IT}", re.I)


def _from_edge(m: re.Match, duration_s: float) -> float:
    """The time ``_FROM_EDGE`` says on a timeline of ``duration_s``; PlanError off it."""
    t = duration_s - float(m["n"]) if m["end"] else float(m["n"])
    if not 0 <= t <= duration_s:
        raise PlanError(f"{m[0].strip()!r} is off the {duration_s:g} s timeline; say its time, e.g. 'at 3 s'")
    return t


# "rain until the end", "a printer whirs at 3 s until the end of the clip"
_UNTIL_THE_END = re.compile(rf"(?:\s+at\s+(?P<t>{_DECIMAL})\s*{_UNIT_S})?\s+(?:until|till|to)\s+the\s+(?:very\s+)?end{_OF_IT}"
                            r"(?=\s*(?:[,;.]|$))", re.I)
_FIRST_LAST = re.compile(rf"\b(?:for|in|during|over)\s+the\s+(?P<edge>first|last|final)\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}\b{_OF_IT}",
                         re.I)
# "for the first half", "in the second half of the clip": half the timeline
_HALF = re.compile(rf"\b(?:for|in|during|over|through(?:out)?)\s+the\s+(?P<edge>first|second|last|latter|final)\s+half{_OF_IT}",
                   re.I)


_FROM_THE_START = re.compile(rf"\bfrom\s+the\s+(?:very\s+)?(?:start|beginning){_OF_IT}", re.I)
# "at the end for 3 s", "for 3 s at the end": the last 3 s (the first at the start)
_EDGE_FOR = re.compile(rf"\bat\s+the\s+(?:very\s+)?(?P<e>end|start|beginning){_OF_IT}\s+for\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}\b"
                       rf"|\bfor\s+(?P<n2>{_DECIMAL})\s*{_UNIT_S}\s+at\s+the\s+(?:very\s+)?(?P<e2>end|start|beginning){_OF_IT}",
                       re.I)


def said_times(text: str, duration_s: float) -> str:
    """``text`` with the times it says in words on a timeline of ``duration_s`` in seconds: "at the
    end" (TIMED_LENGTH_S before it), "halfway through", "in the middle", "at the start", "for (in,
    during, over) the first / last / final N s (of the clip)", and "until the end" (as a part that
    lasts to the end says it: nothing, or "from T s" after "at T s"); "for the first / second half" is half
    the timeline."""
    text = _UNTIL_THE_END.sub(lambda m: f" from {m['t']} s" if m["t"] else "", text)  # it lasts to the end
    text = _FROM_THE_START.sub("from 0 s", text)  # "rain from the start until 6 s"
    text = _EDGE_FOR.sub(lambda m: f"for the {'last' if (m['e'] or m['e2']).lower() == 'end' else 'first'} "
                                   f"{m['n'] or m['n2']} s", text)  # "at the end for 3 s": the last 3 s
    text = _FROM_EDGE.sub(lambda m: f"at {_from_edge(m, duration_s):g} s", text)
    for pattern, at in _SAID_TIMES:
        text = pattern.sub(lambda m: f"at {max(0.0, at(duration_s)):g} s", text)
    text = _HALF.sub(lambda m: f"from 0 to {duration_s / 2:g} s" if m["edge"].lower() == "first" else
                     f"from {duration_s / 2:g} to {duration_s:g} s", text)
    return _FIRST_LAST.sub(lambda m: f"from 0 to {m['n']} s" if m["edge"].lower() == "first" else
                           f"from {max(0.0, duration_s - float(m['n'])):g} to {duration_s:g} s", text)


# "thunder at 3 seconds in", "thunder 3 s into the clip": at that time
_IN_AT = re.compile(rf"\s+(?:at\s+)?(?P<t>{_DECIMAL})\s*{_UNIT_S}\s+in(?:to\s+(?:it|the\s+(?:clip|bed|video|scene|sound|"
                    r"track)))?(?=\s*(?:[,;:!?]|\.(?!\d)|$)|\s+(?:and|then)\b)", re.I)
# "rain, thunder 2 s later", "a dog barks at 2 s and again 3 s later", "a door slams at 2 s, 3 s later
# a dog barks": so long after the sound before starts
_LATER = re.compile(rf"\s+(?:about\s+)?(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?:later|{_AFTER_WORD})"
                    r"(?=\s*(?:[,;:!?]|\.(?!\d)|$)|\s+(?:and|then|while|with|as)\b)"
                    rf"|(?:^|(?<=[,;:.!?]\s)|(?<=\bthen\s)|(?<=\band\s))(?:about\s+)?(?P<first>{_DECIMAL})\s*{_UNIT_S}\s+"
                    rf"(?:later|after\s+(?:that|this))\s*,?\s+(?=\S)",
                    re.I)
_CHOICE_OF_TIMES = re.compile(rf"(?<![\d.]){_DECIMAL}\s*{_UNIT_S}?\s*(?:to|or|-|\u2013)\s*$", re.I)  # before _LATER's time
_SAID_AT = re.compile(rf"\b(?:at|from)\s+(?P<t>{_DECIMAL})(?:\s*{_UNIT_S})?\b", re.I)
_PART_END = re.compile(r"[,;:!?]|\.(?!\d)|\bthen\b", re.I)
_SAID_SPAN = re.compile(rf"\b(?:(?:from|between)\s+{_DECIMAL}\s*{_UNIT_S}?\s+(?:to|until|till|and)\s+(?P<b>{_DECIMAL})"
                        rf"|(?:at\s+(?P<a>{_DECIMAL})\s*{_UNIT_S}?\s+)?for\s+(?P<n>{_DECIMAL})(?:\s*{_UNIT_S}\s+at\s+"
                        rf"(?P<a2>{_DECIMAL}))?)\s*{_UNIT_S}?\b", re.I)


def _span_end(part: str) -> float | None:
    """The end of the span ``part`` gives its sound ("from 1 to 4 s", "at 2 s for 3 s", "for 3 s
    at 2 s"), or None."""
    m = ([None] + list(_SAID_SPAN.finditer(part)))[-1]
    if m and (m["b"] or m["a"] or m["a2"]):
        return float(m["b"]) if m["b"] else float(m["a"] or m["a2"]) + float(m["n"])
    return None


def _said_before(before: str) -> float | None:
    """When the sound said last in ``before`` is over or starts: the end of the span its part
    gives ("footsteps from 1 to 4 s", "rain for 3 s" when first), else the last time said in its
    part or in the part before it; 0 for a first part with no time; None when that sound's time
    is the planner's."""
    *earlier, current = _PART_END.split(before)
    earlier = [part for part in earlier if part.strip()]
    for part in (current, *earlier[-1:]):
        if (end := _span_end(part)) is not None:  # when it is over
            return end
        if said := list(_SAID_AT.finditer(part)):
            return float(said[-1]["t"])
        m = ([None] + list(_SAID_SPAN.finditer(part)))[-1]
        if m and part is not current and len(earlier) == 1:  # "rain for 3 s, thunder 1 s later": 0 to 3 s
            return float(m["n"])
    return 0.0 if len(earlier) == 1 else None


# "a door slams at 2 s, a dog barks 1 s after the door", "... right after the door": a time said from a
# sound named before
_AFTER_NAMED = re.compile(rf"(?:^|\s+)(?:(?:at|about|around|roughly|just|exactly|some|(?P<for>for))\s+)?"
                          rf"(?:[~+]\s*)?(?:(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+|(?P<soon>(?:right|just|shortly|soon|immediately|not\s+long"
                          r"|a\s+(?:moment|beat|split\s+second|little|bit)|moments)\s+)?)"
                          r"(?P<dir>after|before)\s+(?P<y>(?P<art>the|an?)\s+[^,;:!?.\d()\[\]]+?)"
                          r"(?=\s*(?:[,;:!?()\[\]]|\.(?!\d)|\s[-\u2013\u2014]|$)|\s+(?:and|then|while|(?:for|until|till)\s+\d)\b)",
                          re.I)
# where a sound's name ends: punctuation, a dash between spaces, a word of turn
_NAMED_END = re.compile(r"[,;:!?]|\.(?!\d)|\s[-\u2013\u2014]+\s|\b(?:then|and|while)\b", re.I)
_ITS_VERBS = {"stop", "end", "start", "begin", "finish", "fade", "out", "in", "come", "die", "down", "away", "shut",
              "open", "clos"}
_ITS_START_WORDS = {"start", "begin", "come", "in"}  # "1 s after the rain starts": from its start
_ITS_END_WORDS = {"stop", "end", "finish", "die", "out", "away"}  # "1 s before the rain stops": from its end
_KEPT_AFTER = re.compile(rf"(?:twice|thrice|once|again|{_NUMBER}\s+times|\d+\s+times|for|until|till|as|while|with|over|under)\b",
                         re.I)  # what X's name leaves that goes after the time ("twice", "as rain falls"); else before it
_NOT_ONE_TIME = re.compile(rf"(?<![\d.])(?<!\bat\s)(?<!\bfrom\s){_DECIMAL}\s*{_UNIT_S}?\s*(?:and|to|or|-|\u2013)\s*$",
                           re.I)  # "1 to 2 s after the door" (not "a dog barks at 3 s and 1 s after the dog ...")
_UNTIL = re.compile(rf"\b(?:until|till|up\s+to)\s+(?P<t>{_DECIMAL})", re.I)  # "music until 5 s": its end
_SOUND_START = re.compile(r"a|an|the|some|someone|somebody|people", re.I)  # a word that begins a sound's caption


def _part_time(part: str, first: bool, edge: str, which: int | None = None,
               when: float | None = None) -> tuple[float | None, bool]:
    """(a time of the sound of ``part``, whether it is where that sound ends): its ``edge``, "start"
    or "end" (the end of a span it is given: "from 1 to 4 s", "at 2 s for 3 s", "until 5 s", else
    its time), of its ``which``-th time said (an ordinal's index; else the last); else ``when`` (a
    time said alone before it); 0 for the first part with no time ("for N s": N at its end); None
    when that time is the planner's."""
    if edge == "end" and (end := _span_end(part)) is not None:
        return end, True
    if edge == "end" and (until := _UNTIL.search(part)):
        return float(until["t"]), True
    if said := list(_SAID_AT.finditer(part)):
        return float(said[which if which is not None and -len(said) <= which < len(said) else -1]["t"]), False
    if bare := re.fullmatch(rf"\s*(?P<t>{_DECIMAL})\s*{_UNIT_S}?\s*", part):  # "5 s" of "a bell at 1 s and 5 s"
        return float(bare["t"]), False
    if when is not None:
        return when, False
    if first:  # it starts the bed
        m = ([None] + list(_SAID_SPAN.finditer(part)))[-1]
        return (float(m["n"]), True) if m and edge == "end" and m["n"] else (0.0, False)
    return None, False


_VERB_PARTICLES = _PARTICLES | {"on", "again"}  # "goes off", "rings out", "comes on", "rings again"


def _its_verb(words: list[str]) -> int:
    """How many of ``words`` are a verb said of the sound before them: a word in -s ("chimes",
    "echoes") and its particles ("goes off", "rings out"); 0 when they start otherwise."""
    if not words or not re.fullmatch(r"[a-z]{3,}s", words[0], re.I) or words[0].lower() in ("as", "this", "plus"):
        return 0
    k = 1
    while k < len(words) and words[k].lower() in _VERB_PARTICLES:
        k += 1
    return k


def _named_part(before: str, words: list[str], first: bool) -> tuple[tuple[int, int] | None, int, int | None, str]:
    """(span of the part of ``before`` that names the sound ``words`` say, how many of the words name
    it, the index of the time an ordinal picks within that part, the text of every part said of that
    sound): the shortest name that a part names ("the door" of "the door slams a dog barks"), the
    last such part, or with an ordinal ("the first bell") that one of them; a part "again at 5 s" or
    "5 s" after one of them is one of them ("a bell at 1 s and 5 s"). Said after its sound, not that
    sound's own part ("a bell rings 3 s after the bell"). A name no part says may name a sound by
    what it is heard as (``_alike``: "the shot" of "a gun fires")."""
    seps = list(_NAMED_END.finditer(before))
    parts = list(zip([0] + [p.end() for p in seps], [p.start() for p in seps] + [len(before)]))
    parts = [p for p in (parts if first else parts[:-1]) if before[p[0]:p[1]].strip()]
    ordinal = next((_ORDINALS[w.lower()] for w in words if w.lower() in _ORDINALS), None)
    for widened, k in [(w, k) for w in (False, True) for k in range(2, len(words) + 1)]:
        named = _stems(" ".join(words[:k])) - _ORDINAL_STEMS
        named = _alike(named) if widened else named
        naming = []
        for i, p in enumerate(parts):  # "a bell at 1 s and again at 5 s", "a bell at 1 s and 5 s": the bell twice
            said = before[p[0]:p[1]]
            awaits = i + 1 < len(parts) and not re.search(r"\d", before[parts[i + 1][0]:parts[i + 1][1]])
            if named & _stems(said) or naming and naming[-1] == parts[i - 1] and (re.match(r"\s*again\b", said, re.I) or (
                    re.fullmatch(rf"\s*(?:at\s+)?{_DECIMAL}\s*{_UNIT_S}?\s*", said) and not awaits)):
                naming.append(p)  # not "at 5 s" of "...; at 5 s, a cow moos": the time of the sound after it
        if naming:
            said = " ".join(before[a:b] for a, b in naming)
            if ordinal is not None and len(naming) > 1:
                return naming[ordinal if -len(naming) <= ordinal < len(naming) else -1], k, None, said
            return naming[-1], k, ordinal, said
    return None, len(words), None, ""


def _time_from(m: re.Match, before: str, part: tuple[int, int], which: int | None, verbs: set[str]) -> float | None:
    """The time an ``_AFTER_NAMED`` match ``m`` says, from the sound of ``before[part]`` (its verbs
    ``verbs`` said with it, ``which`` of its times): N s after its end (or its start, said so) or
    before its start (or its end); with no number, where its placed length ends (a span's or a
    stop's own end: that) or, before it, ending where it starts; None when its time is the planner's."""
    after, x_said = m["dir"].lower() == "after", before[part[0]:part[1]]
    edge = "start" if verbs & _ITS_START_WORDS else "end" if verbs & _ITS_END_WORDS or after else "start"
    alone = None
    if part[0]:  # "at 2 s, a sheep baas": its time said alone in the part before it
        seps = list(_NAMED_END.finditer(before[:part[0]]))
        previous = before[seps[-2].end() if len(seps) > 1 else 0:seps[-1].start()] if seps else ""
        alone = re.fullmatch(rf"\s*(?:(?:and|then)\s+)?at\s+(?P<t>{_DECIMAL})\s*{_UNIT_S}?\s*", previous)
    t, ends = _part_time(x_said, part[0] == 0, edge, which, float(alone["t"]) if alone else None)
    if t is None:
        return None
    if m["n"]:
        return t + (0.0 if m["for"] else float(m["n"]) * (1 if after else -1))
    if not after:
        return max(0.0, t - TIMED_LENGTH_S)  # "before the door": ending where it starts, as an edit's
    stops = ends or _STOPS.match(_clean(_TIME_TAIL.sub("", x_said)))
    return t if stops else t + TIMED_LENGTH_S  # "right after the door": where its placed length ends


def _after_named(text: str) -> str:
    """``text`` with "N s after (before) the X" and "(right) after (before) the X" said as "at T s"
    ("for N s after the X": at its time for N s), from the part before it that names X
    (``_named_part``, ``_part_time``): after its end (a span's end, else its time and
    TIMED_LENGTH_S) or its start when its verb says so ("after the rain starts"); before its start
    (its end: "before the rain stops"). Said first ("1 s after the door, a dog barks", "1 s after
    the door slams a dog barks"), X's name is the shortest that names a sound before, with its own
    verbs. With no number, an X not said before is left as said (it is a sound of its own);
    PlanError for an "N s" from a "the X" not said before, from an X whose time is the
    planner's, two times ("1 to 2 s after the door"), or a time before the bed."""
    at = 0
    while m := _AFTER_NAMED.search(text, at):
        before = text[:m.start()]
        first = not before.strip() or re.search(r"(?:[,;:!?.()\[\]]|\s[-\u2013\u2014]|\b(?:then|and))\s*$", before)
        words = m["y"].split()
        part, k, which, said_of = _named_part(before, words, bool(first))
        if part is None:
            if m["art"].lower() != "the" or not m["n"]:  # "2 s after a flash", "a dog barks after the thunder"
                at = m.end()
                continue
            name = " ".join(words[:2]) if first else m["y"]
            raise PlanError(f"{m[0].strip()!r}: no sound said before it is {name!r}; say its time, e.g. 'at 3 s'")
        if m["n"] and (two := _NOT_ONE_TIME.search(before)):
            raise PlanError(f"{two[0].strip() + ' ' + m[0].strip()!r}: give one time from it "
                            f"('{m['n']} s {m['dir']} {' '.join(words[:k])}'), or each sound its own")
        own = _stems(said_of) | _ITS_VERBS | {"again"}  # "the door slams": its verbs are part of its name
        name_ends = k
        while k < len(words) and (stems := _stems(words[k])) and stems <= own:
            k += 1
        verbs = _stems(" ".join(words[name_ends:k]))
        rest = words[k:]
        if first:  # "1 s after the bell rings out a dog barks": the words before the sound's article are X's
            k_sound = next((j for j, w in enumerate(rest[:3]) if _SOUND_START.fullmatch(w)), None)
            if k_sound is not None:
                rest = rest[k_sound:]
            elif text[m.end():].lstrip()[:1] == "," and _its_verb(rest) == len(rest):  # "... after the bell chimes, ..."
                rest = []
        else:  # "a dog barks right after the alarm goes off": the alarm's words
            rest = rest[_its_verb(rest):]
        y, rest = " ".join(words[:k]), " ".join(rest)
        t = _time_from(m, before, part, which, verbs)
        if t is None:
            raise PlanError(f"{m[0].strip()!r}: {y!r} has no time said; give both sounds a time, e.g. 'at 3 s'")
        if t < 0:
            raise PlanError(f"{m[0].strip()!r} is before the bed starts ({t:g} s); say its time, e.g. 'at 0 s'")
        said = f" at {t:g} s for {m['n']} s" if m["for"] else f" at {t:g} s"
        tail = text[m.end():]
        if first:  # the time, then the sound after X's name; a separator after it a comma ("...: a scream")
            before = re.sub(r"(?<=[,;])\s*and\s*$", "", before)  # ", and 1 s after the door a dog barks"
            tail = re.sub(r"^\s*(?:[:;.]|\s[-\u2013\u2014]+)\s*(?=\S)", ", ", tail) if not rest else tail
            text = f"{before}{said} {rest}{tail}" if rest else f"{before}{said}{tail}"
        elif rest and not _KEPT_AFTER.match(rest):  # "a dog barks 1 s after the door in the distance": its caption
            text = f"{before} {rest}{said}{tail}"
        else:  # "... after the door twice", "... as rain falls"
            text = f"{before}{said}{' ' + rest if rest else ''}{tail}"
        at = len(before)
    return text


def relative_times(text: str) -> str:
    """``text`` with the times said from the start of the timeline ("at 3 seconds in"), from a sound
    named before (``_after_named``: "1 s after the door") or from the sound said before
    (``_said_before``: "rain, thunder 2 s later" is thunder at 2 s) as "at T s", one after another
    ("a bell at 1 s, a bell 1 s later, a bell 1 s later": at 1, 2 and 3 s). After a sound whose
    time the planner gives, the time is left as said, and refused."""
    text = re.sub(r"\ba\s+second\s+(?=(?:later|after|before)\b)", "1 s ", _IN_AT.sub(lambda m: f" at {m['t']} s", text),
                  flags=re.I)
    text = _after_named(text)
    at = 0
    while m := _LATER.search(text, at):
        if m["n"] and (choice := _CHOICE_OF_TIMES.search(text[:m.start("n")])):  # "a dog barks 2 to 3 s later"
            raise PlanError(f"{text[choice.start():m.end()].strip()!r}: give one time ('{m['n']} s later')")
        before = text[:m.start()]
        if not m["n"] and (joined := re.search(r"\s*,?\s*\band\s+$", before, re.I)):  # "X and 2 s later Y": Y at its time
            before = before[:joined.start()] + ", "
        start = _said_before(before)
        if start is None:
            at = m.end()
            continue
        said = f"at {start + float(m['n'] or m['first']):g} s"
        text = (text[:m.start()] + f" {said}" if m["n"] else before + f"{said} ") + text[m.end():]
    return text


_TIME_IN_BRACKETS = re.compile(r"\s*[(\[]\s*(?!\d+\s*(?:[x\u00d7]|\s+times)\s*[)\]])"
                               r"(?P<t>(?P<w>(?:at|from|between|for|starting\s+at)\s+)?\d[^()\[\]]*?)\s*[)\]]"
                               r"(?=\s*(?:[,;.!?]|$))", re.I)  # at the end of a part: "a clock (1920s) ticks" is no time, nor
# "(2x)", "(3 times)", a count


def _time_in_brackets(m: re.Match) -> str:
    """A time said in brackets, as said without them: "(3 s)" at 3 s, "(2-6 s)", "(2 s to 6 s)" from 2 to 6 s."""
    if m["w"]:
        return f" {m['t']}"
    ranged = re.search(r"\d\s*(?:s|secs?|seconds?)?\s*(?:-|\u2013|to|until|till)\s*\d", m["t"], re.I)
    return " from " + re.sub(r"\s*[-\u2013]\s*", " to ", m["t"]) if ranged else f" at {m['t']}"


# "once a second", "twice per second", "3 times a second", "each second": a rhythm, as "every N s" says it
_PER_SECOND = re.compile(rf"\b(?:(?P<n>once|twice|thrice|(?:{_NUMBER}|\d+)\s+times)\s+(?:a|per|each|every)|(?<!\ba\s)"
                         rf"(?:each|per))\s+second\b(?!\s+(?:later|after|before|earlier|one|time|take|of)\b)", re.I)


def _every_said(m: re.Match) -> str:
    """A ``_PER_SECOND`` match as a rhythm: "every second", "every 0.5 s"."""
    times = _count(m["n"]) if m["n"] else 1
    return "every second" if times == 1 else f"every {1 / times:.3g} s" if times else m[0]


_SPACED_TIME = re.compile(r"\b(?P<w>at|from|to|until|till|for|by|after|before|between)(?=\d)", re.I)  # "at3s"
# "[2s] door slam [5s] glass break": a bracketed time that starts the next sound's words, as at a line's start
_BRACKETED_CUE = re.compile(r"(?<=[a-z])\s+(?=\[\s*(?:\d+:[0-5]\d(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:s|secs?|seconds?))\s*\]"
                            r"\s+(?!(?:and|then|while|for|in|later|after|before)\b)[a-z])", re.I)
_MIN_SEC = re.compile(r"\b(?P<m>\d+)\s*m(?:ins?|inutes?)?\s*(?P<s>\d+(?:\.\d+)?)\s*s(?:ecs?|econds?)?\b", re.I)


def in_seconds(text: str) -> str:
    """``text`` with its times in milliseconds, minutes or m:ss written in seconds, and said as
    the rules planner reads them: "at the 3 second mark", "after 3 s", "around 3 s", "@ 3 s",
    "t=3 s" and "3 s in, ..." as "at 3 s", "from 3 s for 1 s" as "at 3 s for 1 s", "five seconds" as "5 seconds", "2-6 s" as "from 2 to 6 s", "a 2 s pause" as "a pause
    for 2 s", "a couple of times" as "twice", "a few times" as "three times"; a time last in its
    part ("door slam 6s") as "at 6 s", "2 knocks at 1 s and 2 s" as a knock at each, "twice, 1 s
    apart" as "every 1 s for 2 s"; its lines as parts one after another, and "rain -> thunder" as "rain, then
    thunder"."""
    def unit(m: re.Match) -> str:
        n, u = (m["n"], m["u"]) if m["n"] else (m["n2"], m["u2"])
        scale = 60.0 if u.lower().startswith("min") else 0.001
        return (m["p"] or "") + _seconds_text(float(n) * scale)

    text = _SPACED_TIME.sub(r"\g<w> ", text.replace("\u2026", "..."))  # "at3s", "rain\u2026then thunder"
    text = _BRACKETED_CUE.sub(", ", text.replace(" + ", " and ").replace(" / ", ", "))  # "rain + thunder", "a / b"
    # "2 -> 6 s", "0:02->0:05": a span, as "2-6 s"; "rain -> thunder": in turn
    text = re.sub(r"(?<=\d)(\s*(?:ms|s|secs?|seconds?)\b)?\s*(?:-+>|=>|\u2192)\s*(?=\d)", r"\1-", text)
    text = re.sub(r"\s*(?:-+>|=>|\u2192)\s*", ", then ", text)
    text = _LINE_TIME.sub(_line_time, re.sub(r"~\s*(?=\d)", "", text.strip()))  # "at ~3 s": about 3 s
    text = re.sub(rf"(?i)(?<=[.!?])\s*\n\s*{_BULLET}", " ", text)  # a line that ends a sentence: sentences ("An office.")
    text = _LINES.sub(", ", re.sub(rf"(?i)^{_BULLET}", "", text)).replace(" & ", " and ")
    text = _TIME_IN_BRACKETS.sub(_time_in_brackets, text)  # "rain (0-10 s)": rain 0-10 s
    text = _MIN_SEC.sub(lambda m: _seconds_text(60 * int(m["m"]) + float(m["s"])), text)  # "1m30s"
    text = re.sub(r"\bonce\s+(?=every\s)", "", text, flags=re.I)  # "once every 2 s": every 2 s
    text = _PER_SECOND.sub(_every_said, text)  # "once a second", "twice per second", "each second": a rhythm
    text = _ALL_THE_WHILE.sub(" throughout", _ALL_WHILE.sub(", while ", text))
    text = re.sub(r"\s+all\s+(?:the\s+)?(?=while\b)", " ", text, flags=re.I)  # "X all (the) while Y": X while Y
    text = _SAME_TIME_TAIL.sub(_at_the_same_time, _SAME_TIME.sub(" while ", text))
    def digits(m: re.Match) -> str:  # "two, five and eight" -> "2, 5 and 8"
        return re.sub(r"[a-z]+", lambda w: str(_COUNTS.get(w[0].lower(), w[0])), m[0], flags=re.I)

    text = _AT_NUMBER_WORD.sub(lambda m: f"{m['p']} {_COUNTS[m['n'].lower()]}", text)  # "then another at six"
    text = _AND_A_HALF.sub(lambda m: f"{_COUNTS.get(m['n'].lower(), m['n'])}.5", text)  # "three and a half seconds"
    text = _POINT.sub(lambda m: f"{_COUNTS.get(m['a'].lower(), m['a'])}."
                                + "".join(str(_COUNTS.get(d.lower(), d)) for d in m["b"].split()), text)
    text = re.sub(r"(?<![\w.])\.(?=\d)", "0.", _NUMBER_WORDS.sub(digits, text))  # ".5 s" -> "0.5 s"
    text = _half_seconds(text)
    text = _APART.sub(lambda m: f"{_one(m['adj'] or '', m['noun']) + ' ' + m['many'] + ' times' if m['noun'] else m['n']} "
                                f"every {m['p']} s", text)
    text = _NOUNS_EVERY.sub(lambda m: f"{_one(m['adj'] or '', m['noun'])} "
                                      f"{_SOME_NOUNS.get(' '.join(m['many'].lower().split()), m['many'])} times, "
                            if _one_by_one(m["noun"]) else m[0], text)  # not "three dogs", "20 birds": things
    text = _TIMES_EVERY.sub(lambda m: f"every {m['p'] or m['p2']} s for "
                                      f"{_count(m['n'] or m['n2']) * float(m['p'] or m['p2']):g} s", text)
    text = _SECONDS_OF.sub(r"a silence for \g<n> s", text)  # "2 s of silence"
    text = _SECONDS_OF_SOUND.sub(r"\g<x> for \g<n> s", text)  # "10 seconds of rain"
    # a rhythm that starts at a time goes on from it ("a dog barks every 2 s, starting at 10 s": from 10 s)
    text = re.sub(rf"(\bevery\s+(?:{_DECIMAL}\s*)?(?:s|secs?|seconds?)\b)(?:\s+(?:until|till|to)\s+the\s+(?:very\s+)?end)?"
                  r",?\s+(?:starting|beginning)\s+at\s+(?=\d)",
                  r"\1 from ", text, flags=re.I)
    text = re.sub(rf"({_SCATTERED.pattern})\s+(?=(?:starting|beginning)\s+at\s+\d)", r"\1, ", text,
                  flags=re.I)  # "now and then starting at 2 s": from 2 s on, as after a comma
    text = re.sub(r"\s+(?:starting|beginning)\s+(?=at\s+\d)", " ", text, flags=re.I)  # "3 times starting at 2 s"
    text = _PAUSE.sub(lambda m: f"{m['a']}{m['what'] or m['what2']} for {m['n'] or m['n2']} s",
                      _DASHED.sub(r"from \g<a> to \g<b> \g<u>", text))
    text = re.sub(r"\b(?:at|on)\s+second\s+(?P<n>\d+(?:\.\d+)?)\b(?!\s*(?:s|secs?|seconds?)\b)", r"at \g<n> s", text,
                  flags=re.I)  # "a bell at second 3"
    text = _LONG_SOUND.sub(r"\g<a>\g<x> for \g<n> s", _ON_TIME.sub("at ", text))
    text = _EXACTLY.sub(lambda m: f"{m['p']} " if m["p"] else "", text)
    text = _ABOUT.sub(lambda m: f"{m['p'] or 'at'} ", _AT_SIGN.sub(" at ", text))
    text = _INTO.sub(r"at \g<n> s", text)
    text = _STARTS_STOPS.sub(lambda m: f" from {m['a'] or m['a2']} to {m['b']} s", text)  # "rain starts at 0 s and stops at 6 s"
    text = _AT_KEEPS_UNTIL.sub(r" from \g<a> to \g<b> s", _STARTS_UNTIL.sub(_started_until, text))
    text = _LASTS.sub(" for ", _OVER_SECONDS.sub(r"for \g<n> s", text))  # "a door creaks open over 3 s": for 3 s, no sound "over" it
    text = _FROM_FOR.sub(lambda m: f"at {m['a'] or m['a2']} s for {m['b'] or m['b2']} s", text)  # "a dog barks from 4 s for 2 s"
    text = _IN_UNIT.sub(unit, text)
    text = _CLOCK.sub(lambda m: (m["p"] or "") + _seconds_text(60 * int(m["m"]) + float(m["s"])), text)
    text = _TIME_LAST.sub(_time_last, _DASHED.sub(r"from \g<a> to \g<b> \g<u>", text))  # "rain 0:02-0:06", "door slam 6 s"
    text = _AFTER_TIME.sub("at ", _MARK.sub(lambda m: f"{'at' if m['about'] else m['p']} {m['n']} s", text))
    text = _NUMBER_LIST.sub(lambda m: "at " + ", ".join(f"{n} s" for n in re.findall(r"\d+(?:\.\d+)?", m["list"])), text)
    # "a dog barks 3 times at 2, 5 and 8 s": the count is that of the times, each one sound
    def each_once(m: re.Match) -> str:
        times = re.findall(r"\d+(?:\.\d+)?", m["at"])
        if _count(m["n"] or m["many"]) != len(times):
            return m[0]
        return f"{_one(m['adj'] or '', m['noun']) + ' ' if m['noun'] else ''}at " + ", ".join(f"{t} s" for t in times)

    text = _COUNT_OF_TIMES.sub(each_once, text)
    while (listed := _TIME_LIST.sub(r"\g<head>, ", text)) != text:  # "at 2 s, 5 s and 8 s": one after another
        text = listed
    return _SOME.sub(lambda m: _SOME_TIMES[m[0].lower()], text)


TIMED_LENGTH_S = 2.0  # an event placed "at T s" lasts this long (as an added one does)
# Sounds that ring on for seconds after their attack: placed "at T s" without a length, they
# last RINGING_LENGTH_S (thunder's rumble was cut at 2 s, its fade a hard edge in the picture).
_RINGING = {"thunder", "thunderclap", "explosion", "explodes", "gong", "boom", "booms", "rumble", "rumbles", "rumbling"}
RINGING_LENGTH_S = 4.0


def rings_on(caption: str) -> bool:
    """Whether ``caption`` is a sound that rings on for seconds after its attack (thunder, an explosion, a gong)."""
    return bool(_words(caption) & _RINGING)


def timed_length_s(caption: str) -> float:
    """Seconds a sound placed "at T s" with no length of its own lasts: TIMED_LENGTH_S, or
    RINGING_LENGTH_S for one that rings on (:func:`rings_on`)."""
    return RINGING_LENGTH_S if rings_on(caption) else TIMED_LENGTH_S
# A rhythm: "every 2 s" (a bare number only where the part ends), "every second", "every half a second".
_EVERY = re.compile(rf"(?:^|\s+)every\s+(?:{_N}(?:\s*(?:s|secs?|seconds?))?(?=\s*$)|{_N}\s*(?:s|secs?|seconds?)(?=\s)"
                    rf"|(?P<half>half\s+(?:a\s+)?)?second(?=\s|$))", re.I)
_EVERY_UNREAD = re.compile(r"(?:^|\s)every\s+(?:[-+.]?\d|other\s+second|few\s+seconds)", re.I)


# A pace said after a sound as times its usual one: "footsteps on gravel 2x faster" ("twice as fast", "3 times slower",
# "half as fast", "at half speed")
_PACE_SAID = (rf"(?:(?:(?P<n>{_DECIMAL})\s*(?:x|\u00d7|times)|(?P<w>{_NUMBER})\s+times|(?P<two>twice)\s+as"
              r"|(?P<half>half)\s+as)\s+(?P<d>faster|slower|fast|quick|slow)|(?:at\s+)?(?P<speed>half|double)[\s-]"
              r"(?:speed|tempo))")
_PACE_TIMES = re.compile(rf"\s+{_PACE_SAID}$", re.I)
# the same after a comma, of the sound before it ("footsteps on gravel, 2x faster")
PACE_AFTER_COMMA = re.compile(rf"\s*,\s+(?={_PACE_SAID}\s*(?:[,;.]|$))", re.I)


def _paced(caption: str) -> tuple[str, float | None]:
    """A part without a pace said as times its usual one, and the rhythm it gives: its sound's usual rhythm
    (``stroke_period_s``) divided by the times faster (multiplied, slower), to 2 significant digits ("footsteps on
    gravel 2x faster": a step every 0.25 s); (``caption``, None) when it says none, or its sound has no usual rhythm
    ("an engine revs 3 times faster": its words). PlanError for a pace that changes nothing."""
    m = _PACE_TIMES.search(caption)
    rest = _clean(caption[:m.start()]) if m else caption
    usual = stroke_period_s(rest) if m else None
    if usual is None:  # "an engine revs 3 times faster": no rhythm of its own; the backbone hears the words
        return caption, None
    times = 2.0 if m["two"] or m["half"] or m["speed"] else float(m["n"]) if m["n"] else float(_count(m["w"]))
    if times <= 1:
        raise PlanError(f"{_clean(caption)!r}: {_clean(m[0])!r} changes no pace; give its rhythm ('{rest} every "
                        f"{usual:g} s')")
    slower = m["half"] or (m["speed"] or "").lower() == "half" or (m["d"] or "").lower() in ("slower", "slow")
    return rest, float(f"{usual * times if slower else usual / times:.2g}")


def _rhythm(caption: str, counted: bool = False) -> tuple[str, float | None]:
    """A part without its rhythm ("hammering every 2 s", "every second a clock ticks"; a pace as times its usual one,
    ``_paced``), and the
    rhythm's seconds from one sound to the next (None when it gives none). Raises PlanError for
    a rhythm it cannot read or outside PERIOD_RANGE_S, two rhythms, a rhythm and no sound, or a
    rhythm and a count (``counted``: the part is one of "X twice"; or it says "twice", "once")."""
    found = list(_EVERY.finditer(caption))
    if len(found) > 1:
        raise PlanError(f"{_clean(caption)!r} gives more than one rhythm")
    rest = _clean(caption[:found[0].start()] + " " + caption[found[0].end():]) if found else caption
    rest, paced = _paced(rest)
    if paced is not None and found:
        raise PlanError(f"{_clean(caption)!r} gives more than one rhythm")
    if _EVERY_UNREAD.search(rest):
        raise PlanError(f"cannot read the rhythm of {_clean(caption)!r}: say 'every N s' (decimals with a point: "
                        f"every 1.5 s), 'every second' or 'every half a second'")
    if not found and paced is None:
        return caption, None
    m = found[0] if found else None
    period = paced if m is None else float(m[1] or m[2]) if (m[1] or m[2]) else (0.5 if m["half"] else 1.0)
    if not PERIOD_RANGE_S[0] <= period <= PERIOD_RANGE_S[1]:
        raise PlanError(f"{_clean(caption)!r}: a rhythm is from {PERIOD_RANGE_S[0]:g} to {PERIOD_RANGE_S[1]:g} s "
                        f"between repeats, not {period:g} s")
    if not rest:
        raise PlanError(f"{_clean(caption)!r} gives a rhythm but names no sound")
    if counted or _repeats(_TIMED_TAIL.sub("", rest))[0] is not None:
        raise PlanError(f"{_clean(caption)!r}: give a count ('twice', 'once') or a rhythm ('every 2 s'), not both")
    return rest, period
