"""Planners turn a description (or a follow-up instruction) into a :class:`Plan`.

- ``rules`` (offline default): splits on sequence words ("then", "followed by", "after",
  commas) and simultaneity words ("while", "with", "over", "and"), lays the parts on the
  timeline, and applies simple edits (replace, remove, move, lengthen, louder/quieter, add).
- ``hf:MODEL``: a local chat model through transformers, prompted with the planner
  instructions and worked examples below.
- ``openai``: any OpenAI-compatible chat endpoint (base URL, model and key from flags or
  the environment), with a timeout and retries.
"""
from __future__ import annotations

import difflib
import itertools
import json
import math
import os
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from typing import Protocol

from .plan import (GAIN_RANGE_DB, PERIOD_RANGE_S, Plan, PlanError, caption_seed, heard_s, is_plan_text, merged_spans,
                   mute_said, parse_plan, pasted_plan, validate)


class Planner(Protocol):
    name: str

    def plan(self, text: str, duration_s: float, previous: Plan | None = None) -> Plan:
        """A new plan for ``text``, or ``previous`` edited by the instruction ``text``."""


# ------------------------------------------------------------------------------ rules ---

_DIGIT_COMMA = re.compile(r"\d+(?:,\d+)+")


def _comma_said(number: str) -> str:
    """Why a comma between digits is refused: a comma separates sounds."""
    whole, decimal = number.replace(",", ""), number.replace(",", ".")
    if number.count(",") == 1 and re.fullmatch(r"\d{1,3},\d{3}", number):
        return f"{number!r}: a comma separates sounds; write {whole} for the number, {decimal} for a decimal"
    if number.count(",") == 1:
        return f"{number!r}: write a decimal with a point ({decimal}); a comma separates sounds"
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number):
        return f"{number!r}: write a number without separators ({whole}); a comma separates sounds"
    return f"{number!r}: a comma separates sounds; give each sound its own time ('X at 1 s, X at 2 s')"


# "and again" with no time of its own is the sound again after it ("a horse neighs at 2 s and again")
_SEQ = re.compile(r"\s*(?:,?\s*\b(?:and then|followed\s+(?:immediately\s+|shortly\s+|soon\s+)?by|then|after that|afterwards"
                  r"|before(?:\s+long)?"
                  r"|(?:and\s+)?not\s+long\s+after(?=\s+(?:a|an|some|someone|somebody|people)\s)"  # "..., not long after a dog"
                  r"|(?:(?:and\s+)?(?:not\s+long|a\s+moment|moments|shortly|soon)\s+(?:after(?:wards)?(?=\s*(?:[,;.]|$))"
                  r"|later(?=\s*(?:[,;.]|$)|\s+(?:a|an|the|some)\s)))"  # "..., not long after, a dog barks", "a moment
                  # later a dog barks"; not "soon after the door slams"
                  r"|(?<!\bagain\s)and(?=\s+(?:again|once\s+more|one\s+more\s+time)"
                  r"(?:\s+(?:a\s+(?:bit|little|moment)\s+|soon\s+|shortly\s+)?(?:later|after))?"
                  r"(?:\s*[,;.]|\s*$|\s+then\b)))\b"
                  r"|[,;]|(?<!\d):(?!\d)|(?<=\d):(?=\s)|[.!?]+\s|\s[-\u2013\u2014]+\s)\s*", re.I)  # not 0:03's
# "and" before a number is part of a time ("between 2 and 4 s"), not two sounds; an "as" that
# compares ("twice as loud", "as big as", group "compare"; but "twice as rain falls") is none either.
_SIM = re.compile(r"\s+(?:(?P<compare>as\s+(?!well\b)\w+\s+as|(?:twice|thrice|times|half|so)\s+as\s+\w+(?=\s*$|\s+as\b))(?=\s|$)"
                  r"|(?:just\s+)?\b(?:while|with|over|during|as\s+well\s+as|as|and(?!\s+-?\d))\b\s+)", re.I)
# "right after", "soon after": an "after" with no time between
_SOON = r"(?:right|just|immediately|directly|shortly|soon|straight)"
# "X after Y", "X right after Y" (not "one after another")
_AFTER = re.compile(rf"(?<!\bone)(?:\s+{_SOON})?\s+\bafter\b\s+"
                    r"(?!(?:another|the\s+other)\b)", re.I)
# "after", "afterwards", "after that": what comes in turn; not after a time or a while ("2 s after", "a moment after")
_AFTER_WORD = r"after(?:wards|\s+(?:that|this|it))?"
_NO_TIME_BEFORE = r"(?<!\bs)(?<!\bsec)(?<!\bsecs)(?<!\bsecond)(?<!\bseconds)(?<!\bmoment)(?<!\blong)(?<!\bwhile)"
# "debris falls right after, ...": an "after" that ends its part says only that it comes in turn
_AFTER_ALONE = re.compile(rf"(?<!\bthen){_NO_TIME_BEFORE}(?<!\d)\s+(?:{_SOON}\s+)?{_AFTER_WORD}(?=\s*(?:[,;.:!]|$))", re.I)
# "an explosion at 2 s, debris falling right after": the sound comes in turn, said with "then" (as a
# layer of the scene, "debris falling" would go on under it)
_COMMA_AFTER = re.compile(rf",\s*(?!then\b)(?P<x>[^,;.:!]*?[a-z]){_NO_TIME_BEFORE}(?=\s+(?:{_SOON}\s+)?{_AFTER_WORD}"
                          r"\s*(?:[,;.:!]|$))", re.I)
# "an explosion at 2 s and debris falls right after": the sound after "and" comes in turn, not with it
# "a door slams and right after a dog barks", "X, right after Y" said with "and": Y after X
_AND_RIGHT_AFTER = re.compile(rf"(?:\s+and|\s*,)\s+(?:then\s+)?(?:{_SOON}\s+after|and\s+after|immediately|right\s+away"
                              r"|straight\s+away)(?:wards?)?(?:\s+(?:that|this|it))?\s*,?\s+(?=\S)", re.I)


def _names_one_before(text: str, m: re.Match) -> bool:
    """Whether what follows ``m`` in ``text`` is "the X" of a sound said before it ("a door slams at
    2 s, shortly after the door a dog barks": a time from the door, not a sound after it)."""
    said = re.match(r"the\s+([a-z]+)", text[m.end():], re.I)
    return bool(said and _stems(said[1]) & _stems(text[:m.start()]))


_AND_AFTER = re.compile(r"\s+and\s+(?!(?:a\s+|an\s+)?(?:moment|while|second|seconds|few|bit|beat|little|instant|split)\b"
                        rf"|not\s+long\b|{_SOON}\b|\d)(?P<x>[^,;.:!]+?)\s+(?:{_SOON}\s+)?"
                        rf"(?:{_AFTER_WORD}|immediately|right\s+away)(?=\s*(?:[,;.:!]|$))", re.I)
# Joining words left at a part's ends name no sound: ", and wind" is "wind", "rain and" is "rain".
_LEADING = re.compile(r"^(?:(?:and|also|then|after|with|while|during|first|firstly|finally|lastly|suddenly|later|eventually|"
                      r"meanwhile|shortly|soon|immediately|directly|afterwards|(?:right|just)(?=\s+(?:after|then)\b))"
                      r"(?:\s+|$))+", re.I)
# "the dog barks again" is the dog's bark (not "again and again", "over and over again")
_TRAILING = re.compile(r"(?:(?:^|\s+)(?:and|also|then|with|while|(?<!\bagain\sand\s)(?<!\bover\s)again|once\s+more"
                       r"|one\s+more\s+time|too|as\s+well))+$", re.I)
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
_COUNTED_NOUN = re.compile(rf"^(?P<n>{_MANY}|\d+)\s+(?P<adj>[a-z]+\s+)??(?P<noun>[a-z]+[^s\W]s)(?P<b>\s+{_PLACE})?$", re.I)
_QUICK = re.compile(r"\s+(?:in\s+(?:quick|rapid|fast)\s+succession|(?:very\s+)?(?:rapidly|quickly|fast)"
                    r"(?:\s+in\s+a\s+row)?)(?=\s|$)", re.I)  # with a count: QUICK_S a sound
QUICK_S = 0.5
# Sounds that come in a quick run by nature: a count of them ("three knocks", "she claps twice")
# is laid at this period (s) from its start, not spread over its slot, and no slower when said quick.
RUN_PERIOD_S = {"knock": 0.3, "knocks": 0.3, "tap": 0.3, "taps": 0.3, "clap": 0.4, "claps": 0.4, "footstep": 0.5,
                "honk": 0.5, "honks": 0.5, "beep": 0.4, "beeps": 0.4}
_ROW_TAIL = re.compile(rf"\s+{_ROW}\s*$", re.I)
_IN_A_ROW = re.compile(rf"\b(?P<n>{_COUNT})\s+{_ROW}\b", re.I)
_TIME_TAIL = re.compile(r"\s+(?:at|from|between|for)\s+\d.*$", re.I)  # "at 3 s", "from 2 to 6 s", ...
MAX_REPEATS = 8  # laid one by one, each its own take (a generation)


# "a door opens and closes", "a dog barks and growls": one sound doing two things, not two sounds
_PARTICLES = {"open", "shut", "closed", "up", "down", "off", "out", "away", "in", "back", "over"}  # "creaks open"
_TWO_VERBS = re.compile(r"[a-z]*[^s\W]s(?:\s+(?:open|shut|closed|up|down|off|out|away|in|back|over))?\s+and\s+[a-z]*[^s\W]s"
                        r"(?:\s+(?:once|twice|thrice|again|occasionally|\d|at|from|between|for|every|in|on|into|to|away|"
                        r"off|up|down|out|back|open|shut|closed|[a-z]+ly\b).*)?", re.I)


# Pairs that are one thing ("pots and pans clatter", "a saw moves back and forth"), not two sounds
_PAIR = re.compile(r"\b(?:back\s+and\s+forth|to\s+and\s+fro|on\s+and\s+off|off\s+and\s+on|up\s+and\s+down|in\s+and\s+out"
                   r"|over\s+and\s+over|again\s+and\s+again|round\s+and\s+round|pots\s+and\s+pans|knives?\s+and\s+forks?"
                   r"|rock\s+and\s+roll|salt\s+and\s+pepper|nuts\s+and\s+bolts|bits\s+and\s+pieces|odds\s+and\s+ends"
                   r"|cups?\s+and\s+saucers?|hammer\s+and\s+(?:chisel|nails?)|horse\s+and\s+(?:cart|carriage))\b", re.I)


# "with" that says what a thing has, the thing's verb after it: "a car with a loud engine passes", "a man
# with a hammer hits a nail" (one sound); not "rain with thunder", "a dog barks with birds chirping"
_THING = re.compile(r"(?:a|an|the|one|some)(?:\s+[a-z'-]+){1,3}", re.I)
_HAS = re.compile(r"(?:[a-z'-]+\s+){1,4}[a-z'-]*[^s\W]s\b.*", re.I)
_VERB = re.compile(r"[a-z'-]*[^s\W]s\b", re.I)  # a word that may be a verb ("barks"; not "glass")


_DETERMINERS = {"a", "an", "the", "some", "many", "several", "few", "two", "three", "four", "five", "more", "lots",
                "of", "and", "with", "while"}


def _together(part: str) -> list[str]:
    """``part`` split at its simultaneity words (``_SIM``: "rain while a dog barks")."""
    pieces, start = [], 0
    found = list(_SIM.finditer(part))
    pairs = [m.span() for m in _PAIR.finditer(part)]
    for m, after in zip(found, [*found[1:], None]):
        word = m.group().strip().lower()
        before = part[:m.start()].split()  # the words before the joining word
        thing = _clean(part[start:m.start()])  # the words since the last split
        rest = part[m.end():after.start() if after else len(part)].strip()  # the words up to the next joining word
        particle = len(before) > 2 and before[-1].lower() in _PARTICLES  # "a door creaks open and slams shut"
        verb_at = part.rfind(" ", 0, m.start())
        verb_at = part.rfind(" ", 0, verb_at) if particle else verb_at
        joined = part[verb_at + 1:after.start() if after else len(part)]
        in_pair = any(a < m.end() and m.start() < b for a, b in pairs)
        has = word == "with" and _THING.fullmatch(thing) and not _VERB.search(thing) and _HAS.fullmatch(rest)
        # "a car drives over gravel", "a kettle boils over": a place or a way, not "thunder over rain"
        over = word == "over" and bool(before) and bool(re.fullmatch(r"[a-z'-]+(?:[^s\W]s|ed|ing)", before[-1], re.I))
        # "a door opens and closes" (a thing, then its two verbs), not "birds and crickets", "the dogs and cats"
        two_verbs = (len(before) > 1 + particle and before[-2 - particle].lower() not in _DETERMINERS
                     and _TWO_VERBS.fullmatch(joined))
        # "a door swings back and forth and creaks": a verb alone after "and" is the same thing's
        said = thing.lower().split()
        has_verb = any(_VERB.fullmatch(w) and k and said[k - 1] not in _DETERMINERS for k, w in enumerate(said))
        lone_verb = word == "and" and has_verb and re.fullmatch(r"[a-z'-]*[^s\W]s(?:\s+[a-z]+ly)?", rest, re.I)
        if not (m["compare"] or in_pair or has or over or two_verbs or lone_verb):
            pieces.append(part[start:m.start()])
            start = m.end()
    return [*pieces, part[start:]]


def _count(said: str) -> int:
    """The number of "twice", "3 times", "three", ..."""
    word = said.lower().split()[0]
    return _COUNTS[word] if word in _COUNTS else int(word)


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


def _counted(text: str) -> tuple[re.Match | None, int]:
    """:func:`_repeats` of a text that does not say its count comes quickly."""
    text = _IN_A_ROW.sub(lambda m: m["n"], text)
    tail = _TIME_TAIL.search(text)
    head, tail = (text[:tail.start()], tail.group()) if tail else (text, "")
    counted = _COUNTED_NOUN.match(_ROW_TAIL.sub("", head))
    if counted and _count(counted["n"]) <= MAX_REPEATS:  # "two loud bangs" is "a loud bang" two times; "20 birds" a flock
        adj = "" if (counted["adj"] or "").strip().lower() == "more" else counted["adj"] or ""  # "two more gunshots"
        one = adj + re.sub(r"(?<=sh|ch|ss)es$|(?<=[xz])es$|s$", "", counted["noun"])
        head = f"{'an' if one[0] in 'aeiou' else 'a'} {one}{counted['b'] or ''} {counted['n']} times"
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
        raise PlanError(f"{text!r}: at most {MAX_REPEATS} repeats are laid one by one; "
                        f"'{repeat['c']} for N s' repeats it until N s")
    return repeat, times


# "now and then", "once in a while", "occasionally", ...: a sound at irregular times, about one every
# SCATTER_PERIOD_S over its span. Read before the parts are split ("and then", "while" split them),
# as the one word "occasionally".
_SCATTERED = re.compile(r"\s*\b(?:(?:every\s+)?now\s+and\s+(?:then|again)|once\s+in\s+a\s+while|from\s+time\s+to\s+time"
                        r"|every\s+so\s+often|at\s+times|occasionally|sporadically|intermittently)\b", re.I)
_OCCASIONALLY = re.compile(r"\s*\boccasionally\b|^(?:the\s+|an?\s+)?occasional\s+", re.I)  # "occasional thunder" too
SCATTER_PERIOD_S = 3.0
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
    and lasting until the next begins (a long sound, thunder, is not cut at its share's end), the
    same times for the same caption."""
    times = max(1, round((end_s - start_s) / SCATTER_PERIOD_S))
    share = (end_s - start_s) / times
    rng = random.Random(caption_seed(caption))
    starts = [start_s + (k + 0.6 * rng.random()) * share for k in range(times)]
    return [{"caption": caption, "start_time": start, "end_time": end, "period_s": None, "fill": False}
            for start, end in zip(starts, [*starts[1:], end_s])]


_SILENCE = re.compile(r"^(?:(?:a\s+(?:short\s+|long\s+)?)?(?:silence|pause|gap)|nothing|quiet)$", re.I)
# "..., then it stops", "then the rain stops": a silence that ends what sounds when it starts (a
# background held to the end too): everything, or the sounds named before it ("the rain")
_STOPS = re.compile(r"^(?:(?:it|they|all|everything|the\s+(?P<named>[a-z ]+?))\s+)?(?:stops?|ends?|fades?(?:\s+(?:out|away))?"
                    r"|dies\s+(?:down|away|out)|falls\s+silent|goes\s+(?:quiet|silent))$", re.I)
_BACKGROUND = {"rain", "wind", "traffic", "crowd", "engine", "motor", "hum", "humming", "ambience", "river", "chatter",
               "chattering", "murmur", "murmuring", "gulls", "seagulls", "pigeons", "frogs", "fridge", "refrigerator",
               "ventilation", "machinery",
               "ocean", "waves", "stream", "applause", "cheering", "music", "drizzle", "storm", "fire", "crackling",
               "rains", "raining", "rainfall", "drizzling", "breeze", "thunderstorm", "waterfall", "surf", "birdsong",
               "sizzle", "sizzles", "sizzling", "frying", "boiling", "boils", "bubbling", "hiss", "hissing", "steam",
               "crickets", "cicadas", "insects", "campfire", "bonfire", "fireplace", "crackles", "downpour", "highway",
               "freeway", "motorway", "restaurant", "cafe", "conditioner", "conditioning", "hums", "hovers", "hovering"}
_BIRDS = {"birds", "songbirds"}  # many birds are a background ("birds chirping"), a bird is an event
_BIRDS_MOVE = {"take", "takes", "fly", "flies", "scatter", "scatters", "flap", "flaps", "flapping", "flutter",
               "flutters", "land", "lands", "startled"}  # and so are birds that take off
_STOP = {"a", "an", "the", "of", "to", "in", "on", "at", "it", "its", "is", "make", "sound", "sounds", "s", "sec",
         "seconds", "second", "by", "db", "from", "and"}


def _clean(caption: str) -> str:
    return " ".join(caption.strip(" .,;:!?\"'").split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP}


# A bed word before one of these names another thing: "a fire alarm", "a steam train", "wind chimes"
_COMPOUND_TAILS = {"alarm", "alarms", "truck", "trucks", "engine", "engines", "train", "trains", "whistle", "chime",
                   "chimes", "bell", "bells", "door", "doors", "extinguisher", "hydrant", "escape", "drill", "kettle",
                   "iron", "cracker", "crackers", "gun", "horn", "siren"}


def is_background(caption: str) -> bool:
    """A background sound (rain, wind, crowd, ...): it keeps going, it has no attack to place.
    What a thing has says nothing of it ("a car with a loud engine passes" is no background), nor
    a bed word that names another thing with the next ("a fire alarm rings", "a steam train")."""
    said = re.findall(r"[a-z]+", re.split(r"\s+with\s+", caption, maxsplit=1, flags=re.I)[0].lower())
    compound = {k for k, w in enumerate(said[:-1]) if w in _BACKGROUND and said[k + 1] in _COMPOUND_TAILS}
    words = _words(" ".join(w for k, w in enumerate(said) if k not in compound and k - 1 not in compound))
    return bool(words & _BACKGROUND or words & _BIRDS and not words & _BIRDS_MOVE
                or re.search(r"\broom\s+tone\b", caption, re.I))


# Sounds made of one step or stroke after another: the recordings are often of one (a single
# footstep), the words ask for a run of them ("footsteps on gravel", "hammering"). Each word's
# usual time from one stroke to the next (s): a walk's two steps a second, a run's three, a clock's
# tick a second, an axe's swing every second and a half; a run of them is laid no faster.
STROKE_PERIOD_S = {"footsteps": 0.5, "steps": 0.5, "walking": 0.5, "marching": 0.5, "running": 0.33, "jogging": 0.36,
                   "hooves": 0.4, "hoofbeats": 0.4, "trotting": 0.35, "galloping": 0.45, "hammering": 0.6,
                   "chopping": 1.6, "sawing": 0.7, "dripping": 0.9, "drips": 0.9, "ticking": 1.0, "knocking": 0.25,
                   "tapping": 0.3, "clapping": 0.4, "typing": 0.15, "digging": 1.8, "harvesting": 1.4,
                   "swimming": 1.1, "drumming": 0.25, "pecking": 0.3,
                   # the same sounds said with a verb ("someone walks on gravel", "a horse gallops"); forms
                   # that are as often plural nouns ("three knocks", "thunder claps", "two hammers", "ticks",
                   # "taps", "runs") are left out: their sound would be laid over the whole span
                   "walks": 0.5, "jogs": 0.36, "trots": 0.35, "gallops": 0.45, "digs": 1.8, "swims": 1.1,
                   "pecks": 0.3}


OTHER_PERIOD_S = 0.45  # a repeated sound with no usual rhythm in STROKE_PERIOD_S: no faster than this


# A knife's chops on a board come quicker than an axe's: "chopping vegetables", "a knife chops onions"
KNIFE_CHOP_PERIOD_S = 0.3
_KITCHEN = {"knife", "vegetables", "vegetable", "onion", "onions", "carrot", "carrots", "herbs", "board", "celery",
            "garlic", "salad", "potatoes", "meat"}


def stroke_period_s(caption: str) -> float | None:
    """Usual seconds from one stroke of an iterative sound to the next (``STROKE_PERIOD_S`` of the
    caption's first such word: "an axe chopping wood" 1.6; a knife's chopping, KNIFE_CHOP_PERIOD_S),
    or None for a sound that is not one."""
    words = re.findall(r"[a-z]+", caption.lower())
    period = next((STROKE_PERIOD_S[w] for w in words if w in STROKE_PERIOD_S), None)
    return KNIFE_CHOP_PERIOD_S if period == STROKE_PERIOD_S["chopping"] and _KITCHEN & set(words) else period


def repeat_period_s(event) -> tuple[float, bool]:
    """(seconds, exact) from one take of a filled plan event to the next: the period the plan
    gives (exact), else its sound's usual rhythm or OTHER_PERIOD_S (at least: a longer take waits)."""
    if event.period_s is not None:
        return event.period_s, True
    return stroke_period_s(event.caption) or OTHER_PERIOD_S, False


def _fills(caption: str, spanned: bool, once: bool, period_s: float | None) -> bool:
    """Whether a part fills its span (``Event.fill``): given a rhythm; else, unless said once, given
    a span ("for 3 s", "from 2 to 6 s") or an iterative sound."""
    return period_s is not None or not once and (spanned or is_iterative(caption))


# Words that ask for a sound again and again over its span ("a bell rings repeatedly"); the plan's
# caption is said without them
_AGAIN_WORDS = (r"(?:repeatedly|over\s+and\s+over(?:\s+again)?|again\s+and\s+again|time\s+after\s+time"
                r"|continuously|constantly|non-?stop|on\s+and\s+on)\b")
_AGAIN_AND_AGAIN = re.compile(rf"\s*\b{_AGAIN_WORDS}", re.I)


def is_iterative(caption: str) -> bool:
    """A sound that goes on step after step (footsteps, hooves, hammering, dripping, ...), or one
    said to come again and again ("repeatedly", "over and over"): a plan event for it fills its
    span (``Event.fill``) unless the text says "once"."""
    return stroke_period_s(caption) is not None or bool(_AGAIN_AND_AGAIN.search(caption))


MIN_LENGTH_S = 0.05  # a part said to last less names no sound
_DECIMAL = r"\d+(?:\.\d+)?"  # a number of seconds as written: 3, 3.5
_UNIT_S = r"(?:s|secs?|seconds?)"
_N = rf"({_DECIMAL})"
_TO_THE_END = r"(?:to|until|till)\s+(?:the\s+)?end(?:\s+of\s+(?:it|the\s+(?:clip|bed|video|scene|sound|track)))?"
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
                         r"|\b(?:at|from|for|to|until|till|between|after)\s+[-+]?(?:nan|inf(?:inity)?)\b",  # "at nan s"
                         re.I)
# Times in other units, where a time is read (after "at", "by", ...; before "later", "longer"):
# rewritten in seconds, the unit the forms below read ("at 500 ms" -> "at 0.5 s", "at 0:03" -> "at 3 s").
_TIME_WORD = r"(?:at|around|from|to|until|till|between|and|for|by|every|first|last|after|before)"
_IN_UNIT = re.compile(rf"\b(?P<p>{_TIME_WORD}\s+)(?P<n>\d+(?:\.\d+)?)\s*(?P<u>ms|msecs?|milliseconds?|mins?|minutes?)\b"
                      rf"|(?P<n2>\d+(?:\.\d+)?)\s*(?P<u2>ms|msecs?|milliseconds?|mins?|minutes?)(?=\s+(?:later|earlier|sooner|"
                      rf"longer|shorter|after|before)\b)", re.I)
_CLOCK = re.compile(rf"(?:\b(?P<p>{_TIME_WORD}\s+)|(?<![\w:]))(?P<m>\d+):(?P<s>[0-5]\d(?:\.\d+)?)\b"
                    rf"(?(p)|(?=\s+(?:later|earlier|sooner|longer|shorter)\b))", re.I)


def _seconds_text(seconds: float) -> str:
    return f"{round(seconds, 3):.3f}".rstrip("0").rstrip(".") + " s"


_MARK = re.compile(r"\b(?P<p>at|to)\s+the\s+(?P<n>\d+(?:\.\d+)?)[-\s]?(?:s|secs?|seconds?)\s+mark\b", re.I)  # "at the 3 second mark"
# "a dog barks after 3 s", "shortly after 3 s"
_AFTER_TIME = re.compile(r"\b(?:(?:shortly|soon|just|right|immediately|directly)\s+)?after\s+(?=\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)\b)",
                         re.I)
# the "and" of a list of times ("at 2 s and 5 s", "at 2 s, 5 s and 8 s"; not "between 2 s and 4 s")
_TIME_LIST = re.compile(rf"(?P<head>(?:\bat\s+|,\s*){_DECIMAL}\s*{_UNIT_S})\s+and\s+"
                        rf"(?=(?:at\s+)?{_DECIMAL}\s*{_UNIT_S}\b)", re.I)
# "at 2, 5 and 8 s": the unit said once for a list of times
_NUMBER_LIST = re.compile(rf"\bat\s+(?P<list>{_DECIMAL}(?:\s*,\s*{_DECIMAL})*,?\s+and\s+{_DECIMAL})\s*{_UNIT_S}\b", re.I)
_COUNT_OF_TIMES = re.compile(rf"\b(?P<n>twice|thrice|(?:{_NUMBER}|\d+)\s+times)\s+(?P<at>at\s+{_DECIMAL}\s*s"
                             rf"(?:\s*(?:,|,?\s+and)\s*(?:at\s+)?{_DECIMAL}\s*s)+)(?=\s*(?:[,;.!]|$))", re.I)
_SOME_TIMES = {"a couple of times": "twice", "a couple times": "twice", "a few times": "three times",
               "several times": "four times"}
_SOME = re.compile("|".join(rf"\b{k}\b" for k in _SOME_TIMES), re.I)


# "a bell tolls 4 times, every 2 s": that many sounds at that rhythm
_TIMES_EVERY = re.compile(rf"\b(?P<n>twice|thrice|(?:{_NUMBER}|\d+)\s+times)\s*,?\s+every\s+(?P<p>\d+(?:\.\d+)?)\s*"
                          r"(?:s|secs?|seconds?)\b", re.I)


# Other ways of writing a time, rewritten as the forms below read them
# "five seconds", "at two, five and eight seconds"
_NUMBER_WORDS = re.compile(rf"\b(?:{_NUMBER})(?:(?:\s*,\s*|,?\s+and\s+)(?:{_NUMBER}))*"
                           rf"(?=[-\s]+(?:s|secs?|seconds?|ms|milliseconds?|mins?|minutes?)\b)", re.I)
# "at 2 seconds in, a door slams", "3 s into the clip, ...": a time from the bed's start said first
_INTO = re.compile(r"(?:^|(?<=[,;:]\s)|(?<=\bthen\s))(?:at\s+)?(?P<n>\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\s+in(?:to\s+(?:it|the\s+(?:clip|bed|video|scene"
                   r"|sound|track)))?(?=\s*[,;:]|\s+(?:a|an|the)\b)", re.I)
_AT_SIGN = re.compile(r"(?:\s*@\s*|\s+(?:at\s+)?t\s*=\s*)(?=\d)", re.I)  # "a door slams @ 2s", "... at t=2s"
_ABOUT = re.compile(r"\b(?:(?P<p>at|to|by|from|until|till)\s+)?(?:about|around|approximately|roughly)\s+(?=\d)", re.I)
_DASHED = re.compile(rf"(?<![\w.])(?P<a>{_DECIMAL})\s*[-\u2013]\s*(?P<b>{_DECIMAL})\s*(?P<u>{_UNIT_S})\b", re.I)  # "2-6 s"
_PAUSE = re.compile(rf"\b(?P<a>an?\s+)(?P<n>{_DECIMAL})[-\s]*{_UNIT_S}\s+(?P<what>pause|silence|gap)\b", re.I)
_STARTS_STOPS = re.compile(rf"\s+(?:starts?|begins?)\s+at\s+(?P<a>{_DECIMAL}){_SECONDS}\s+and\s+"
                           rf"(?:stops?|ends?|fades?\s+out)\s+at\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b", re.I)
_FROM_FOR = re.compile(rf"\bfrom\s+(?P<a>{_DECIMAL})\s*{_UNIT_S}\s+for\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}\b", re.I)
_BULLET = r"(?:[*\u2022-]+\s*|\d{1,2}[.)]\s+|step\s+\d{1,2}\s*[:.)-]\s*)?"  # "- ", "* ", "1. ", "2) ", "Step 1:"
_LINES = re.compile(rf"(?i)\s*\n\s*{_BULLET}")  # one sound a line, bullets or not
# "0:03 thunder", "00:07 - a dog barks", "[0:03] thunder", "3 s: thunder", "0:02-0:05 footsteps": a line (or a
# part after a comma) that starts with its time or span
_CLOCK_OR_S = r"(?:\d+:[0-5]\d(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)\b)"
_LINE_TIME = re.compile(rf"(?im)(?:^|(?<=[,;]\s)|(?<=[,;]))\s*{_BULLET}\[?(?P<t>{_CLOCK_OR_S})(?:\s*[-\u2013]\s*"
                        rf"(?P<b>{_CLOCK_OR_S}))?\]?\s*[-\u2013:]?\s+(?!(?:in|into|later|after|before|earlier|of|long|and|then"
                        rf"|for)\b)(?P<c>[^\W\d][^\n,;]*)")


def _line_time(m: re.Match) -> str:
    """A part that starts with its time (``_LINE_TIME``) as the rules planner reads it: "thunder at
    0:03"; "3 s silence" stays a silence that long, "0:03 silence" is one at 0:03."""
    if ":" not in m["t"] and re.match(r"(?:silence|pause|gap|quiet)\b", m["c"], re.I):
        return m[0]
    return f"{m['c']} from {m['t']} to {m['b']}" if m["b"] else f"{m['c']} at {m['t']}"


# "wind throughout", "traffic in the background": a sound over the whole timeline, beside the others
_IN_THE_BACKGROUND = re.compile(r"\bin\s+the\s+background\b", re.I)  # throughout, and under the rest
BED_UNDER_DB = 10.0  # how far a background sound is leveled under the events on top of it (compose's render)
_THROUGHOUT = re.compile(r"\s*\b(?:throughout|the\s+whole\s+time|all\s+the\s+time|all\s+along|in\s+the\s+background)\b",
                         re.I)
# "A, then B, all while rain falls", "A, then B, all the while, wind blows", "A, meanwhile rain falls": under them all
_ALL_WHILE = re.compile(r"(?:[,;.]\s*(?:and\s+)?|^\s*)(?:all\s+(?:the\s+)?while|(?:all\s+)?the\s+whole\s+time\s+while"
                        r"|meanwhile),?\s+(?=\w)", re.I)
_ALL_THE_WHILE = re.compile(r",?\s+all\s+(?:the\s+)?while(?=\s*(?:$|[,;.]))", re.I)  # "a dog barks all the while": throughout
# "X and, at the same time, Y", "X, at the same time Y", "X and simultaneously Y", "X, and Y at the same time",
# "X and Y simultaneously": Y while X
_SAME_TIME = re.compile(r"(?:,?\s*\band\s*,?|,)\s*(?:at\s+the\s+same\s+time|simultaneously)\s*,?\s*(?=[a-z])", re.I)
_SAME_TIME_TAIL = re.compile(r",?\s+and\s+(?P<b>[^,;.]+?)\s+(?:at\s+the\s+same\s+time|simultaneously)(?=\s*(?:$|[,;.]))", re.I)


_AND_A_HALF = re.compile(rf"\b(?P<n>\d+|{_NUMBER})\s+and\s+a\s+half(?=[-\s]+(?:s|secs?|seconds?)\b)", re.I)
_SOME_SECONDS = re.compile(r"\ba\s+(?:couple\s+(?:of\s+)?|(?P<few>few\s+))seconds\b", re.I)
_HALF_A_SECOND = re.compile(r"\b(?:a\s+half-second(?=\s+(?:later|earlier|after|before)\b)|half(?:\s+a\s+|-)second"
                            r"|a\s+half\s+second|a\s+second\s+(?P<and>and\s+a\s+half)"
                            r"|(?P<quarter>(?:a\s+)?quarter(?:\s+of\s+a\s+|-)second))\b", re.I)  # "half-second" too


def _half_seconds(text: str) -> str:
    """``text`` with "half a second" ("a half second"), "a second and a half", "a quarter of a
    second", "a couple of seconds" (2) and "a few seconds" (3) in seconds."""
    text = _HALF_A_SECOND.sub(lambda m: "1.5 s" if m["and"] else "0.25 s" if m["quarter"] else "0.5 s", text)
    return _SOME_SECONDS.sub(lambda m: "3 s" if m["few"] else "2 s", text)


_SECONDS_OF_SOUND = re.compile(rf"(?<!first )(?<!last )(?<!final )(?<!the )(?<!after )(?<![\d.])\b(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+of\s+(?P<x>[a-z][^,;:.]*?)"
                               r"(?=\s*(?:[,;:.]|\s(?:then|while|and)\s|$))", re.I)  # at a part's start: not "the first 3 s of"
_SECONDS_OF = re.compile(rf"\b(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?:of\s+(?:silence|quiet|nothing)|silence)\b", re.I)
_OF_IT = r"(?:\s+of\s+(?:it|the\s+(?:clip|bed|scene|video|sequence|track)))?(?!\s+of\b)"  # not "the end of the road"
_SAID_TIMES = [  # (pattern, the time it says on a timeline of duration d), read by :func:`said_times`
    (re.compile(rf"\b(?:at|near|towards?)\s+the\s+(?:very\s+)?end{_OF_IT}", re.I), lambda d: d - TIMED_LENGTH_S),
    (re.compile(rf"\b(?:halfway(?:\s+through{_OF_IT})?|(?:right\s+)?in\s+the\s+middle{_OF_IT})(?!\s+of\b)", re.I),
     lambda d: d / 2),
    (re.compile(rf"\bat\s+the\s+(?:very\s+)?(?:start|beginning){_OF_IT}", re.I), lambda d: 0.0),
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


def said_times(text: str, duration_s: float) -> str:
    """``text`` with the times it says in words on a timeline of ``duration_s`` in seconds: "at the
    end" (TIMED_LENGTH_S before it), "halfway through", "in the middle", "at the start", "for (in,
    during, over) the first / last / final N s (of the clip)", and "until the end" (as a part that
    lasts to the end says it: nothing, or "from T s" after "at T s")."""
    text = _UNTIL_THE_END.sub(lambda m: f" from {m['t']} s" if m["t"] else "", text)  # it lasts to the end
    text = _FROM_EDGE.sub(lambda m: f"at {_from_edge(m, duration_s):g} s", text)
    for pattern, at in _SAID_TIMES:
        text = pattern.sub(lambda m: f"at {max(0.0, at(duration_s)):g} s", text)
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
    sound's own part ("a bell rings 3 s after the bell")."""
    seps = list(_NAMED_END.finditer(before))
    parts = list(zip([0] + [p.end() for p in seps], [p.start() for p in seps] + [len(before)]))
    parts = [p for p in (parts if first else parts[:-1]) if before[p[0]:p[1]].strip()]
    ordinal = next((_ORDINALS[w.lower()] for w in words if w.lower() in _ORDINALS), None)
    for k in range(2, len(words) + 1):
        named = _stems(" ".join(words[:k])) - _ORDINAL_STEMS
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
        start = _said_before(text[:m.start()])
        if start is None:
            at = m.end()
            continue
        said = f"at {start + float(m['n'] or m['first']):g} s"
        text = text[:m.start()] + (f" {said}" if m["n"] else f"{said} ") + text[m.end():]
    return text


_TIME_IN_BRACKETS = re.compile(r"\s*[(\[]\s*(?P<t>(?P<w>(?:at|from|between|for|starting\s+at)\s+)?\d[^()\[\]]*?)\s*[)\]]"
                               r"(?=\s*(?:[,;.!?]|$))", re.I)  # at the end of a part: "a clock (1920s) ticks" is no time


def _time_in_brackets(m: re.Match) -> str:
    """A time said in brackets, as said without them: "(3 s)" at 3 s, "(2-6 s)", "(2 s to 6 s)" from 2 to 6 s."""
    if m["w"]:
        return f" {m['t']}"
    ranged = re.search(r"\d\s*(?:s|secs?|seconds?)?\s*(?:-|\u2013|to|until|till)\s*\d", m["t"], re.I)
    return " from " + re.sub(r"\s*[-\u2013]\s*", " to ", m["t"]) if ranged else f" at {m['t']}"


_MIN_SEC = re.compile(r"\b(?P<m>\d+)\s*m(?:ins?|inutes?)?\s*(?P<s>\d+(?:\.\d+)?)\s*s(?:ecs?|econds?)?\b", re.I)


def in_seconds(text: str) -> str:
    """``text`` with its times in milliseconds, minutes or m:ss written in seconds, and said as
    the rules planner reads them: "at the 3 second mark", "after 3 s", "around 3 s", "@ 3 s",
    "t=3 s" and "3 s in, ..." as "at 3 s", "from 3 s for 1 s" as "at 3 s for 1 s", "five seconds" as "5 seconds", "2-6 s" as "from 2 to 6 s", "a 2 s pause" as "a pause
    for 2 s", "a couple of times" as "twice", "a few times" as "three times"; and its lines as
    parts one after another."""
    def unit(m: re.Match) -> str:
        n, u = (m["n"], m["u"]) if m["n"] else (m["n2"], m["u2"])
        scale = 60.0 if u.lower().startswith("min") else 0.001
        return (m["p"] or "") + _seconds_text(float(n) * scale)

    text = _LINE_TIME.sub(_line_time, re.sub(r"~\s*(?=\d)", "", text.strip()))  # "at ~3 s": about 3 s
    text = re.sub(rf"(?i)(?<=[.!?])\s*\n\s*{_BULLET}", " ", text)  # a line that ends a sentence: sentences ("An office.")
    text = _LINES.sub(", ", re.sub(rf"(?i)^{_BULLET}", "", text)).replace(" & ", " and ")
    text = _TIME_IN_BRACKETS.sub(_time_in_brackets, text)  # "rain (0-10 s)": rain 0-10 s
    text = _MIN_SEC.sub(lambda m: _seconds_text(60 * int(m["m"]) + float(m["s"])), text)  # "1m30s"
    text = re.sub(r"\bonce\s+(?=every\s)", "", text, flags=re.I)  # "once every 2 s": every 2 s
    text = _TIMES_EVERY.sub(lambda m: f"every {m['p']} s for {_count(m['n']) * float(m['p']):g} s", text)
    text = _ALL_THE_WHILE.sub(" throughout", _ALL_WHILE.sub(", while ", text))
    text = re.sub(r"\s+all\s+(?:the\s+)?(?=while\b)", " ", text, flags=re.I)  # "X all (the) while Y": X while Y
    text = _SAME_TIME_TAIL.sub(r" while \g<b>", _SAME_TIME.sub(" while ", text))
    def digits(m: re.Match) -> str:  # "two, five and eight" -> "2, 5 and 8"
        return re.sub(r"[a-z]+", lambda w: str(_COUNTS.get(w[0].lower(), w[0])), m[0], flags=re.I)

    text = _AND_A_HALF.sub(lambda m: f"{_COUNTS.get(m['n'].lower(), m['n'])}.5", text)  # "three and a half seconds"
    text = re.sub(r"(?<![\w.])\.(?=\d)", "0.", _NUMBER_WORDS.sub(digits, text))  # ".5 s" -> "0.5 s"
    text = _half_seconds(text)
    text = _SECONDS_OF.sub(r"a silence for \g<n> s", text)  # "2 s of silence"
    text = _SECONDS_OF_SOUND.sub(r"\g<x> for \g<n> s", text)  # "10 seconds of rain"
    # a rhythm that starts at a time goes on from it ("a dog barks every 2 s, starting at 10 s": from 10 s)
    text = re.sub(rf"(\bevery\s+(?:{_DECIMAL}\s*)?(?:s|secs?|seconds?)\b)(?:\s+(?:until|till|to)\s+the\s+(?:very\s+)?end)?"
                  r",?\s+(?:starting|beginning)\s+at\s+(?=\d)",
                  r"\1 from ", text, flags=re.I)
    text = re.sub(rf"({_SCATTERED.pattern})\s+(?=(?:starting|beginning)\s+at\s+\d)", r"\1, ", text,
                  flags=re.I)  # "now and then starting at 2 s": from 2 s on, as after a comma
    text = re.sub(r"\s+(?:starting|beginning)\s+(?=at\s+\d)", " ", text, flags=re.I)  # "3 times starting at 2 s"
    text = _PAUSE.sub(r"\g<a>\g<what> for \g<n> s", _DASHED.sub(r"from \g<a> to \g<b> \g<u>", text))
    text = _ABOUT.sub(lambda m: f"{m['p'] or 'at'} ", _AT_SIGN.sub(" at ", text))
    text = _INTO.sub(r"at \g<n> s", text)
    text = _STARTS_STOPS.sub(r" from \g<a> to \g<b> s", text)  # "rain starts at 0 s and stops at 6 s"
    text = _FROM_FOR.sub(r"at \g<a> s for \g<b> s", text)  # "a dog barks from 4 s for 2 s"
    text = _IN_UNIT.sub(unit, text)
    text = _CLOCK.sub(lambda m: (m["p"] or "") + _seconds_text(60 * int(m["m"]) + float(m["s"])), text)
    text = _AFTER_TIME.sub("at ", _MARK.sub(lambda m: f"{m['p']} {m['n']} s", text))
    text = _NUMBER_LIST.sub(lambda m: "at " + ", ".join(f"{n} s" for n in re.findall(r"\d+(?:\.\d+)?", m["list"])), text)
    # "a dog barks 3 times at 2, 5 and 8 s": the count is that of the times, each one sound
    def each_once(m: re.Match) -> str:
        times = re.findall(r"\d+(?:\.\d+)?", m["at"])
        return "at " + ", ".join(f"{t} s" for t in times) if _count(m["n"]) == len(times) else m[0]

    text = _COUNT_OF_TIMES.sub(each_once, text)
    while (listed := _TIME_LIST.sub(r"\g<head>, ", text)) != text:  # "at 2 s, 5 s and 8 s": one after another
        text = listed
    return _SOME.sub(lambda m: _SOME_TIMES[m[0].lower()], text)


TIMED_LENGTH_S = 2.0  # an event placed "at T s" lasts this long (as an added one does)
# Sounds that ring on for seconds after their attack: placed "at T s" without a length, they
# last RINGING_LENGTH_S (thunder's rumble was cut at 2 s, its fade a hard edge in the picture).
_RINGING = {"thunder", "thunderclap", "explosion", "explodes", "gong", "boom", "booms", "rumble", "rumbles", "rumbling"}
RINGING_LENGTH_S = 4.0


def timed_length_s(caption: str) -> float:
    """Seconds a sound placed "at T s" with no length of its own lasts: TIMED_LENGTH_S, or
    RINGING_LENGTH_S for one that rings on (thunder, an explosion, a gong)."""
    return RINGING_LENGTH_S if _words(caption) & _RINGING else TIMED_LENGTH_S
# A rhythm: "every 2 s" (a bare number only where the part ends), "every second", "every half a second".
_EVERY = re.compile(rf"(?:^|\s+)every\s+(?:{_N}(?:\s*(?:s|secs?|seconds?))?(?=\s*$)|{_N}\s*(?:s|secs?|seconds?)(?=\s)"
                    rf"|(?P<half>half\s+(?:a\s+)?)?second(?=\s|$))", re.I)
_EVERY_UNREAD = re.compile(r"(?:^|\s)every\s+(?:[-+.]?\d|other\s+second|few\s+seconds)", re.I)


def _rhythm(caption: str, counted: bool = False) -> tuple[str, float | None]:
    """A part without its rhythm ("hammering every 2 s", "every second a clock ticks"), and the
    rhythm's seconds from one sound to the next (None when it gives none). Raises PlanError for
    a rhythm it cannot read or outside PERIOD_RANGE_S, two rhythms, a rhythm and no sound, or a
    rhythm and a count (``counted``: the part is one of "X twice"; or it says "twice", "once")."""
    found = list(_EVERY.finditer(caption))
    if len(found) > 1:
        raise PlanError(f"{_clean(caption)!r} gives more than one rhythm")
    rest = _clean(caption[:found[0].start()] + " " + caption[found[0].end():]) if found else caption
    if _EVERY_UNREAD.search(rest):
        raise PlanError(f"cannot read the rhythm of {_clean(caption)!r}: say 'every N s' (decimals with a point: "
                        f"every 1.5 s), 'every second' or 'every half a second'")
    if not found:
        return caption, None
    m = found[0]
    period = float(m[1] or m[2]) if (m[1] or m[2]) else (0.5 if m["half"] else 1.0)
    if not PERIOD_RANGE_S[0] <= period <= PERIOD_RANGE_S[1]:
        raise PlanError(f"{_clean(caption)!r}: a rhythm is from {PERIOD_RANGE_S[0]:g} to {PERIOD_RANGE_S[1]:g} s "
                        f"between repeats, not {period:g} s")
    if not rest:
        raise PlanError(f"{_clean(caption)!r} gives a rhythm but names no sound")
    if counted or _repeats(_TIMED_TAIL.sub("", rest))[0] is not None:
        raise PlanError(f"{_clean(caption)!r}: give a count ('twice', 'once') or a rhythm ('every 2 s'), not both")
    return rest, period


# "rain starts at 2 s", "the music begins at 3 s": a background from then on, its start no sound of its own
# (not "an engine starts at 2 s": the sound of it starting)
_BEGINS = re.compile(r"\s+(?:starts|begins|comes\s+in|kicks\s+in)(?=\s+(?:at|from)\s+\d)", re.I)


def _timed_event(caption: str, duration_s: float, once: bool = False, period_s: float | None = None) -> dict | None:
    """An event for a part with its own times ("a dog barks at 3 s", "at 3 s for 1 s" or "for 1 s
    at 3 s", "rain from 2 to 6 s", "between 2 and 6 s", "footsteps from 5 s": to the end), else
    None. A span given fills (one
    sound only when ``once``: a share of a repeat's span); so does an iterative sound placed "at T s",
    and one given a rhythm (``period_s``). A background placed "at T s" lasts to the end."""
    begun = _BEGINS.sub("", caption)
    m = _TIMED.match(begun if is_background(begun) and not re.match(r"an?\s", caption, re.I) else caption)
    if not m:
        return None
    at, length, a, b, c, d, for_, at_, from_ = m.groups()[1:]
    at, length = (at, length) if at_ is None else (at_, for_)
    if from_ is not None:  # "from T s": to the end (one past the end is refused as off the timeline)
        start_s = float(from_)
        end_s = duration_s if start_s < duration_s else start_s + TIMED_LENGTH_S
    elif at is not None:  # a background placed "at T s" keeps playing to the end, as an untimed one does
        background = not length and not once and is_background(_clean(m["c"])) and float(at) < duration_s
        start_s, end_s = float(at), (duration_s if background else float(at) + (float(length) if length else
                                                                                 timed_length_s(m["c"])))
    else:
        start_s, end_s = sorted((float(a or c), float(b or d)))  # reversed times swapped, as in any plan
    if end_s - start_s < MIN_LENGTH_S:
        raise PlanError(f"{_clean(m['c'])!r} is given too short a length ({start_s:g} to {end_s:g} s; "
                        f"a sound lasts at least {MIN_LENGTH_S:g} s)")
    if _STRAY_TIME.search(_clean(m["c"])):  # "a dog barks at 2 s at 5 s"
        raise PlanError(f"cannot place {caption!r}: it gives more than one time")
    start_s, end_s = _on_timeline(_clean(m["c"]), start_s, end_s, duration_s, f"placing it at {start_s:g} s")
    # A span the text gives ("for 1 s", "from 2 to 6 s") is how long the sound lasts: it fills it.
    return {"caption": _clean(m["c"]), "start_time": start_s, "end_time": end_s, "period_s": period_s,
            "fill": _fills(m["c"], at is None or bool(length), once, period_s)}


def _rings_on(event: dict, duration_s: float = math.inf) -> bool:
    """Whether a placed event is a sound that rings on, given no length of its own (RINGING_LENGTH_S,
    or less where the timeline of ``duration_s`` ends)."""
    length, ringing = event["end_time"] - event["start_time"], timed_length_s(event["caption"])
    return not event["fill"] and ringing > TIMED_LENGTH_S and (
        abs(length - ringing) < 1e-9 or event["end_time"] >= duration_s - 1e-9 and length < ringing)


def _crowded(event: dict, others: list[dict], max_simultaneous: int) -> bool:
    """Whether a sound coming in over ``event``'s tail (TIMED_LENGTH_S after its start) would be one
    more than ``max_simultaneous`` with it and the ``others`` that play there (beds under thunder)."""
    t = event["start_time"] + TIMED_LENGTH_S
    return 2 + sum(o is not event and o["start_time"] <= t < o["end_time"] for o in others) > max_simultaneous


def _repeated(caption: str, span: str, times: int, duration_s: float) -> list[str]:
    """The parts of "``caption`` ``times`` times``span``": ``times`` parts that share the span
    the text gives ("for 3 s", "from 2 to 8 s", "at 3 s": 2 s each, up to the end of the
    timeline), or that many plain parts; the whole as one part when the span is in no form read
    here (it is then refused as one)."""
    if not span:
        return [caption] * times
    whole = caption + span
    m = _TIMED.match(whole)
    if m is None:
        lasting = _LASTING.match(whole)
        return [f"{caption} for {float(lasting.group(2)) / times!r} s"] * times if lasting else [whole]
    at, length, a, b, c, d, for_, at_, from_ = (None if x is None else float(x) for x in m.groups()[1:])
    if from_ is not None:  # "from T s": to the end
        a, b = from_, duration_s
    elif at is not None or at_ is not None:
        a, b = (at, at + (length or TIMED_LENGTH_S * times)) if at is not None else (at_, at_ + for_)  # "twice at 3 s":
        # each its own TIMED_LENGTH_S, as one at 3 s has
    a, b = sorted((a, b) if a is not None else (c, d))
    if a >= duration_s - 0.05:  # refused as one event there would be
        return [caption + span]
    b = min(b, duration_s)  # the span is held to the timeline, as one event's is, before it is shared
    step = (b - a) / times
    return [f"{caption} from {a + k * step!r} to {a + (k + 1) * step!r} s" for k in range(times)]


def _untimed(caption: str) -> tuple[str, float | None]:
    """(caption, length in s or None) of a part without a start time ("a dog barks for 2 s")."""
    m = _LASTING.match(caption)
    caption, length = (_clean(m["c"]), float(m.group(2))) if m else (caption, None)
    if length is not None and length < MIN_LENGTH_S:
        raise PlanError(f"{caption!r} is given too short a length ({length:g} s; a sound lasts at least {MIN_LENGTH_S:g} s)")
    if _STRAY_TIME.search(caption):
        later = " ('N s later' after a sound at a time, or after the first sound)" if _LATER.search(caption) else ""
        raise PlanError(f"cannot place {caption!r}: the rules planner reads 'X at T s', 'X at T s for N s', "
                        "'X from A to B s', 'X from T s' (to the end) and 'X for N s' (decimals with a point: 3.5 s)"
                        + later)
    if _is_edit(caption):
        raise PlanError(f"{caption!r} is an edit, not a sound: describe the bed first, then edit it on a "
                        "follow-up turn (--session FILE)")
    return caption, length


# A part that names no sound, only when or how often: "again at 6 s", "twice at 6 s", "at 5 s", "again"
_BARE = re.compile(rf"^(?:and\s+)?(?:(?:again|once\s+more|one\s+more(?:\s+time)?|another(?:\s+one)?)(?:\s+|$))?"
                   r"(?:(?:a\s+(?:bit|little|moment)\s+|soon\s+|shortly\s+)?(?:later|after)(?:\s+|$))?"
                   rf"(?P<when>(?:(?:once|twice|thrice|(?:{_NUMBER}|\d+)\s+times?)(?:\s+|$))?"
                   r"(?:(?:at|from|between|for)\s+\d.*|\d+(?:\.\d+)?\s*(?:s|secs?|seconds?))?)$", re.I)
_MORE = re.compile(rf"^(?:and\s+)?(?P<n>{_MANY}|\d+)\s+more(?P<t>(?:\s+(?:at|from|between|for)\s+\d.*)?)$", re.I)
_LEAD_TIME = re.compile(rf"^(?P<t>(?:at|from|between)\s+\d[^,]*?\s*(?:s|secs?|seconds?)(?:\s+for\s+\d+(?:\.\d+)?\s*"
                        rf"(?:s|secs?|seconds?))?|twice|thrice|(?:{_MANY}|\d+)\s+times),?\s+(?P<c>[a-z].*)$", re.I)


# Verbs of sounds (a thing's third person): a part that begins with one and names nothing before it
# does what the sound before names ("a door creaks open, then slams": the door slams). A list, not a
# pattern: "then footsteps" or "then cats meow" name their own sound.
_SOUND_VERBS = set("""approaches arrives barks bangs beeps bellows blares bleats booms bounces breaks buzzes chimes chirps clanks
clangs clashes clatters claps clicks closes coughs cracks crashes creaks cries crunches departs drips drives drops echoes
explodes fades falls fires flies gallops growls
grunts gurgles hisses honks hoots howls hums idles jingles knocks lands laughs meows moos neighs opens oinks passes pops purrs
quacks rattles recedes
revs rings roars rolls rumbles runs rustles screams screeches shatters shrieks shuts sighs sings sizzles slams snaps
sneezes snores
splashes sputters squeaks squeals squawks stomps swishes taps thuds thumps ticks toots tweets whimpers whines whirs
whistles whooshes yelps yells walks steps jumps hits strikes swings kicks punches throws slides scrapes stamps sweeps
chops saws pours spins climbs marches limps stumbles trips rides hurries rushes sprints jogs skids brakes screeches
smashes bumps scratches taps thunders speeds accelerates zooms whizzes leaves reverses revs pulls""".split())


def _subject(caption: str) -> str | None:
    """The thing a caption's sound is of: its words before its first verb ("a door" of "a door
    creaks open"), or None when it has no verb after a word of its own ("rain", "thunder")."""
    words = caption.split()
    k = next((k for k, w in enumerate(words) if k and w.lower() not in _DETERMINERS
              and (w.lower() in _SOUND_VERBS or _VERB.fullmatch(w)) and words[k - 1].lower() not in _DETERMINERS), None)
    return " ".join(words[:k]) if k else None


_PERSON = re.compile(r"^(?:someone|somebody|he|she|a\s+(?:man|woman|person|boy|girl|child|kid)|the\s+(?:man|woman|person|"
                     r"boy|girl|child|kid))$", re.I)
_OBJECT = re.compile(r"\s(?:on|at|against|into|onto|in|with|through|to|towards?|past)\s+(?P<o>(?:a|an|the)\s+[a-z' ]+?)$",
                     re.I)


def _it(caption: str) -> str | None:
    """What "it" names after ``caption``: its thing ("a door" of "a door creaks"; "thunder" of
    "thunder"), or, when that is a person, the thing the person acts on ("a wooden door" of
    "someone knocks on a wooden door"); None for a person acting on nothing said."""
    said = _clean(_TIME_TAIL.sub("", caption))
    thing = _subject(said) or said
    if not _PERSON.match(thing):
        return thing
    acted_on = _OBJECT.search(said)
    return acted_on["o"] if acted_on else None


# "a second gunshot", "a third (one)": one more of a sound said before; the order is no part of its sound
_COUNTED_AGAIN = re.compile(r"^(?:a|the)\s+(?:second|third|fourth|fifth|sixth|final|last)(?:\s+one)?"
                            r"(?:\s+(?P<x>(?!(?:at|from|between|for|later|after|before|earlier|passes|of|or|and)\b)"
                            r"[a-z][^\d]*?))?"
                            r"(?P<t>\s+(?:at|from|between|for)\s+\d.*)?$", re.I)


def _named(text: str, last: str | None) -> tuple[str, str | None]:
    """``text`` with its simultaneous parts that name no sound (``_BARE``: "a horse neighs at 3 s
    and again at 6 s", "a door slams at 2 s, then twice at 6 s", "a bell at 2 s, at 5 s and at
    8 s") given the sound of the part before them, ``last``, and those that begin with a sound's
    verb given its thing ("a door creaks open, then slams"); and the sound its last part names."""
    members, named = _together(text), []
    lead = _LEAD_TIME.match(_clean(members[0]))
    # "at 3 s, X and Y": both at 3 s (a background, rain, keeps its slot), "from 2 to 6 s, X and Y" both then
    scope = lead["t"] if lead and lead["t"][:1].lower() in "afb" else None
    for member in members:
        member = _LEAD_TIME.sub(r"\g<c> \g<t>", _clean(member))  # "at 3 s a dog barks", "twice a dog barks"
        if scope and not _TIME_TAIL.search(member) and not (scope[:2].lower() == "at" and is_background(member)):
            member = f"{member} {scope}"
        thing, words = (_subject(last) if last else None), _TIME_TAIL.sub("", member).lower().split()
        it = _it(last) if last and len(words) > 1 and words[0] == "it" else None
        if last and len(words) > 1 and words[0] == "another" and words[1] in _SOUND_VERBS:  # "another snaps"
            member, words, thing = f"{_it(last) or last} {member.split(None, 1)[1]}", [], None
        ordinal = _COUNTED_AGAIN.match(member) if last else None  # "a second gunshot", "a third 2 s later"
        if ordinal:
            member = f"{'a ' + ordinal['x'] if ordinal['x'] else last}{ordinal['t'] or ''}"
            words = _TIME_TAIL.sub("", member).lower().split()
        if it and not _STOPS.match(_clean(_TIME_TAIL.sub("", member))):  # "..., then it opens": the thing before
            member, words, thing = f"{it} {member.split(None, 1)[1]}", [], None
        going = re.match(r"^(.+?)\s+[a-z]+ing\b", _clean(last)) if last and not thing else None
        doer = thing or (going[1] if going else None)  # "a dog" of "a dog barks" or "a dog growling"
        if doer and len(words) == 1 and words[0].endswith("ing") and words[0] not in _NOT_GOING_ON:
            member = f"{doer} {member}"  # "a dog growling, then barking at 3 s": the dog barking
        # "..., then slams at 2 s"; not "..., then claps of thunder" (a plural noun)
        elif (thing and words and words[0] in _SOUND_VERBS and (len(words) < 2 or words[1] not in ("of", "from"))
                and not _STOPS.match(_clean(_TIME_TAIL.sub("", member)))):  # "..., then fades out": a stop
            member = f"{thing} {member}"
        more = _MORE.match(member)  # "two more": the sound before, that many times
        member = f"{last} {more['n']} times{more['t']}" if more and last else member
        bare = _BARE.match(member) if member else None
        if (bare or more) and not last:
            raise PlanError(f"{_clean(member)!r} names no sound; say which (e.g. 'a door slams {_clean(member)}')")
        if bare:
            when = bare["when"]
            bare_time = re.fullmatch(r"\d+(?:\.\d+)?\s*(?:s|secs?|seconds?)", when, re.I)  # not "3 times"
            member = f"{last} {'at ' if bare_time else ''}{when}".strip()  # "a bell at 2 s, 5 s and 8 s"
        else:
            head = _TRAILING.sub("", _LEADING.sub("", _clean(_TIME_TAIL.sub("", member))))
            try:
                repeat, _ = _repeats(head)
            except PlanError:  # said where the part is read
                repeat = None
            stop = _STOPS.match(head)  # "a horse gallops, then stops, then neighs": the horse neighs
            under = len(members) > 1 and _THROUGHOUT.search(head)  # "a log pops at 3 s while fire the whole time"
            if (not stop or stop["named"]) and not under:
                last = _clean(_OCCASIONALLY.sub(" ", _EVERY.sub(" ", repeat["c"] if repeat else head))) or last
        named.append(member)
    return (text if named == members else " while ".join(named)), last


_WHILE = re.compile(r"^(?:just\s+as|as|while|when|whilst|during)\s+(?P<rest>.+)$", re.I)  # "while rain falls, X"
# a count said after a comma, alone, is how often the sound before it comes: "a dog barks, 3 times"
# ("a dog barks - 3 times in a row", "a dog barks, twice, at 2 s", "a dog barks, 3 times while rain falls")
_COUNT_CLAUSE = re.compile(rf"(?:,|\s[-\u2013\u2014]+)\s*(?!(?:twice|half|\w+\s+times)\s+as\s+(?:loud|quiet|soft|faint)\b)"
                           rf"(?P<n>(?:{_COUNT}|{_AGAIN_WORDS})(?:\s+{_ROW})?"
                           rf"(?:,?\s+(?:at|from|between)\s+\d[^,;]*?)?)"
                           rf"(?=\s*(?:$|[,;]|\.\s|\.$|\s+(?:(?:and\s+)?then|while|with|as|and)\b))", re.I)
_TIME_SAID = _DECIMAL + _SECONDS
# a part that says only when the untimed sound before it starts: "..., starting at 10 s" (read "at 10 s")
_STARTING = re.compile(rf"^(?P<how>at|from)\s+(?P<t>{_TIME_SAID})(?:\s+on(?:wards?)?)?$", re.I)
# a part that says only when or how often: "at 3 s", "from 2 to 6 s", "now and then"
_WHEN_ONLY = re.compile(rf"^(?:occasionally|(?:at|from|between)\s+{_TIME_SAID}(?:\s+(?:to|until|till|and)\s+{_TIME_SAID})?"
                        rf"(?:\s+for\s+{_TIME_SAID})?)$", re.I)


def _pieces(text: str) -> list[tuple[str, str]]:
    """The parts of ``text`` between its sequence words (``_SEQ``), each with the sequence word
    after it ('' for the last; of two with nothing between, "; then", the word)."""
    out, start = [], 0
    for m in _SEQ.finditer(text):
        piece, sep = text[start:m.start()], m.group().strip().lower()
        if out and not piece.strip() and sep not in ",;:":
            out[-1] = (out[-1][0], sep)
        else:
            out.append((piece, sep))
        start = m.end()
    out.append((text[start:], ""))
    return [(piece, sep) for piece, sep in out if piece.strip()]


# A part that only says how the sound before it is mixed or changes ("wind, low in the mix", "a
# car passes - left to right -", "a heartbeat, getting faster", "thunder (loud)"): no sound of its own
_LEVEL_SAID = (r"(?:(?:much|far|a\s+(?:bit|little)|slightly|very|quite|really|\d+(?:\.\d+)?\s*db)\s+)*"
               r"(?:(?:twice|half|\d+\s+times|three\s+times)\s+as\s+)?"  # "twice as loud as the rain"
               r"(?:(?P<level>louder|quieter|softer|loud|quiet|soft|faint)"
               r"(?:\s+(?:in\s+the\s+mix|than\s+[a-z' ]+|as\s+[a-z' ]+))?"
               r"|(?P<low>low|lower|high|higher)\s+in\s+the\s+mix)")  # not "(high)": a pitch
_QUALIFIER = re.compile(rf"\(?\s*(?:{_LEVEL_SAID}|(?:from\s+)?(?:left|right)\s+to\s+(?:right|left)"
                        r"|panned\s+(?:hard\s+)?(?:left|right|center|centre)|(?:hard\s+)?(?:left|right)"
                        r"|(?:getting|growing|becoming)\s+(?P<change>faster|slower|louder|quieter|softer|closer|nearer"
                        r"|farther|further)|speeding\s+up|slowing\s+down|in\s+stereo"
                        r"|(?:a\s+)?(?:steady|slow|fast|quick|regular|irregular|even|constant)\s+(?:rhythm|pace|tempo|beat))"
                        r"\s*\)?", re.I)
_LEVEL_INLINE = re.compile(r"\s+(?P<q>(?:(?:twice|half|\d+\s+times|three\s+times)\s+as\s+(?:loud|quiet|soft)\s+as|(?:much\s+|"
                           r"a\s+bit\s+|slightly\s+|far\s+)?(?:louder|quieter|softer)\s+than)\s+[a-z' ]+?)"
                           r"(?=\s+(?:at|from|between|for)\s+\d|\s*$)", re.I)  # "thunder louder than the rain at 3 s"
_SAID_IN_BRACKETS = re.compile(r"\s*\((?P<q>[^()]*)\)")  # "thunder (loud)"
_PANNED_INLINE = re.compile(r"\s+(?:panning\s+)?(?P<q>(?:from\s+)?(?:left|right)\s+to\s+(?:right|left))\b",
                            re.I)  # "a car passes from left to right at 3 s"


def _qualifier_note(said: str, before: str) -> str:
    """The note for a qualifier ``said`` of the sound ``before`` that the plan does not apply: for a
    level, the edit that sets it (with the amount said)."""
    m = _QUALIFIER.fullmatch(said)
    level, change = (m["level"] or m["low"] or "").lower(), (m["change"] or "").lower()
    thing = re.sub(r"^(?:a|an|the)\s+", "", _subject(before) or before, flags=re.I)
    amount = re.search(r"(\d+(?:\.\d+)?)\s*db", said, re.I)
    return f"{said!r} is not applied to {before!r}: " + (
        f"a level is an edit once the bed is made ('make the {thing} "
        f"{'louder' if level in ('louder', 'loud', 'high', 'higher') else 'quieter'} by {amount[1] if amount else 6} dB')"
        if level else "a sound keeps its level along its span" if change in ("louder", "quieter", "softer")
        else "a sound keeps its distance along its span" if change in ("closer", "nearer", "farther", "further")
        else "a bed is mono" if re.search(r"left|right|centre|center|stereo", said, re.I)
        else "a sound keeps its own rhythm and speed")


# "rain until 6 s", "rain, which fades out at 6 s", "the music stops at 6 s": a sound that sounds up
# to a time, read as the sound and then its stop there ("rain, then the rain stops at 6 s")
_STOP_VERB = (r"(?:stops?|ends?|fades?(?:\s+(?:out|away))?|dies\s+(?:down|away|out)|falls\s+silent"
              r"|goes\s+(?:quiet|silent))")
_ENDS_AT = re.compile(rf"^(?P<x>.+?)\s+(?:(?P<which>which|that|and)\s+(?:then\s+)?{_STOP_VERB}\s+at"
                      rf"|(?P<verb>{_STOP_VERB})\s+at|(?:until|till))\s+(?P<t>{_DECIMAL}\s*{_UNIT_S})$", re.I)
_ARTICLE = re.compile(r"^(?:an?|the|some)\s+", re.I)
_WHICH_ENDS_AT = re.compile(rf"^(?:which|that)\s+{_STOP_VERB}\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S})$", re.I)


def _stop_at(sound: str, t: str) -> str:
    """The words for ``sound``'s stop at time ``t`` (as said, unit and all): "the rain stops at 6 s"."""
    return f"the {_ARTICLE.sub('', _clean(sound))} stops at {t}"


def _ended(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` with a sound said to sound up to a time (``_ENDS_AT``; ", which fades out at T s"
    after it) as the sound, then its stop at that time; a one-shot said to sound until then ("a
    phone rings until 6 s") comes again and again up to it. A sound with "a" or "an" that stops at
    a time ("an engine stops at 6 s") is the sound of its stopping, and stays."""
    out = []
    for piece, sep in pieces:
        clean = _clean(piece)
        which = _WHICH_ENDS_AT.match(clean)
        if which and out and out[-1][1] == ",":  # "rain, which fades out at 6 s"
            out[-1] = (out[-1][0], "then")
            out.append((_stop_at(out[-1][0], which["t"]), sep))
            continue
        m = _ENDS_AT.match(clean)
        named_before = m and any(_stems(m["x"]) <= _stems(p) for p, _ in out)  # "rain, then the rain stops at 6 s"
        if m and m["verb"] and named_before and not re.search(r"\d", m["x"]):  # "rain, rain stops at 8 s": its stop
            out.append((_stop_at(m["x"], m["t"]), sep))
            continue
        if (m and not re.search(r"\d", m["x"]) and not re.fullmatch(r"it|they|all|everything", m["x"], re.I)
                and not (m["verb"] and (re.match(r"an?\s", m["x"], re.I) or named_before))):
            if (is_background(m["x"]) and out and out[-1][1] in (",", "and")
                    and any(_TIME_TAIL.search(p) for p, _ in out)):  # "a dog barks at 2 s, rain until 8 s": a layer
                out.append((f"{m['x']} from 0 to {m['t']}", sep))
                continue
            again = "" if m["verb"] or m["which"] or is_background(m["x"]) or is_iterative(m["x"]) else " repeatedly"
            out += [(m["x"] + again, "then"), (_stop_at(m["x"], m["t"]), sep)]
            continue
        out.append((piece, sep))
    return out


# A sound said to be absent ("no rain", "but no music", "without traffic", "(no birds)", "a dog does
# not bark"): a bed holds only what it names, so it is left out, not laid as a sound
_NEGATED = re.compile(r"^(?:(?:and|but|with|yet)\s+)?(?:no|not|without|never)\s+[a-z]"
                      r"|(?:\b(?:does|do|did|is|are|will)\s+not|\b(?:doesn't|don't|didn't|isn't|aren't|won't|never))"
                      r"(?!\s+(?:stop|end|cease|let|quit|fade|die|pause)s?\b)\b", re.I)  # "never stops" goes on
_NEGATED_TAIL = re.compile(r"\s+(?:(?:but|and)\s+(?:no|not)|with\s+no|without)\s+[^,;()]+$", re.I)  # "thunder but no rain"
_JUST = re.compile(r"^(?:just|only)\s+(?!as\b|then\b|after\b|before\b|now\b|when\b)(?=\S)", re.I)  # "no rain, just wind"


def _without_qualifiers(pieces: list[tuple[str, str]], notes: list[str] | None) -> list[tuple[str, str]]:
    """``pieces`` without the parts and bracketed words that only qualify the sound before them
    (``_QUALIFIER``), or after them when they come first ("loud, a dog barks"), and without the
    sounds said to be absent (``_NEGATED``): the planner lays sounds and times, and ``notes`` gets
    a line for each, saying how a level is set instead (an edit of the bed once made)."""
    out, dropped, leading = [], False, []  # dropped: the piece before was a qualifier between dashes
    absent = []  # what is said to be absent, for the notes
    for piece, sep in pieces:
        for m in reversed([m for m in _SAID_IN_BRACKETS.finditer(piece) if _NEGATED.search(m["q"])]):
            piece = piece[:m.start()] + piece[m.end():]  # "crickets (no birds)"
            absent.append(m["q"])
        tail = _NEGATED_TAIL.search(_TIME_TAIL.sub("", piece))
        said = tail and tail.group().split()
        if tail and said[-1].lower() in _SOUND_VERBS:  # "a car with no muffler roars": what the thing has
            tail = None
        if tail and _clean(piece[:tail.start()]):
            absent.append(tail.group())
            piece = piece[:tail.start()] + piece[tail.end():]
        if _NEGATED.search(_clean(piece)):
            absent.append(piece)
            if out and sep:  # what came after it follows the sound before it
                out[-1] = (out[-1][0], sep)
            continue
        piece = _JUST.sub("", _clean(piece))
        if dropped and _WHEN_ONLY.match(_clean(piece)):  # "a car passes - left to right - at 3 s": at 3 s
            out[-1], dropped = (f"{out[-1][0]} {piece}", sep), False
            continue
        if not out and _QUALIFIER.fullmatch(_clean(piece)):  # "loud, a dog barks": of the sound after it
            leading.append(_clean(piece))
            continue
        bracketed = [m for m in _SAID_IN_BRACKETS.finditer(piece) if _QUALIFIER.fullmatch(m["q"].strip())]
        for m in reversed(bracketed):
            piece = piece[:m.start()] + piece[m.end():]
        if not _QUALIFIER.fullmatch(_clean(piece)):  # a pan or a level inside a sound's words, not the whole part
            for inline in (_PANNED_INLINE, _LEVEL_INLINE):  # not a compared sound ("... as loud as a cat meows")
                found = [m for m in inline.finditer(piece) if m["q"].split()[-1].lower() not in _SOUND_VERBS]
                bracketed += found
                for m in reversed(found):
                    piece = piece[:m.start()] + piece[m.end():]
        said, leading = leading + [m["q"].strip() for m in bracketed], []
        qualifier = bool(out and _QUALIFIER.fullmatch(_clean(piece)))
        dropped = qualifier and out[-1][1] == "-" and sep == "-"
        if qualifier:
            said.append(_clean(piece))
            piece = out.pop()[0]
        if notes is not None:
            notes.extend(_qualifier_note(q, _clean(_TIME_TAIL.sub("", piece))) for q in said)
        out.append((piece, sep))
    if absent and not out:
        raise PlanError(f"the description names no sound: {_clean(absent[0])!r} says one is absent, and a bed holds "
                        "only the sounds it names")
    if notes is not None:
        notes.extend(f"{_clean(a)!r} is left out: a bed holds only the sounds it names (to take one out of a bed: "
                     f"'remove X')" for a in absent)
    return out


# The words of a scene's heading: a place, a time of day, a label ("a forest at night:", "INT.
# KITCHEN - NIGHT:", "Ambience:", "Sounds:"); a part before a colon with any other word names a sound.
_HEADING_WORDS = set("""a an the at in on of by inside outside int ext interior exterior day night dawn dusk morning
evening afternoon midnight noon forest woods wood street city town village kitchen workshop garage office room bedroom
bathroom house home cabin barn farm field beach shore coast park garden cave church station airport harbor harbour port
market cafe restaurant bar factory warehouse school hospital library alley road highway bridge tunnel basement attic
hallway corridor lobby stadium arena mountain mountains desert jungle lake meadow harbourside dock docks scene setting
location place sounds sound events ambience ambiences ambient background foreground mix bed layers amb atmos atmosphere
bg fx sfx spot foley cue cues living dining lounge hall studio shop store supermarket mall gym platform hotel apartment
flat porch yard backyard rooftop roof balcony countryside suburb suburbs neighborhood neighbourhood camp campsite
battlefield construction site swamp marsh riverbank island valley hill hills canyon prairie lab laboratory classroom
courtroom castle dungeon temple prison cell bakery diner pub tavern inn saloon casino theater theatre cinema museum
gallery zoo playground schoolyard parking lot shed mill mine cellar laundromat plan step
quiet busy empty small big large old dark crowded abandoned cozy cosy late early summer winter spring autumn sunny
foggy misty cold hot warm modern deserted peaceful calm noisy little tiny huge dusty lonely haunted medieval futuristic
spooky creepy open suburban urban rural bustling sleepy my our your his her their stormy rainy windy snowy wet dry
icy frozen humid sunrise sunset""".split())
_TIME_OF_DAY = {"day", "night", "dawn", "dusk", "morning", "evening", "afternoon", "midnight", "noon", "sunrise", "sunset"}
# Rooms, whose name says where, not what sounds (a street, a forest or a beach has a sound of its own)
_ROOMS = set("""kitchen office room bedroom bathroom house home cabin garage workshop hallway corridor lobby basement attic
apartment flat studio shop store lab laboratory classroom library hospital hotel cellar shed living dining lounge""".split())


_SLUG = re.compile(r"(?:int|ext|int\.?\s*/\s*ext|ext\.?\s*/\s*int|i\s*/\s*e)", re.I)  # a screenplay's scene heading


def _without_slug(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` without a screenplay's scene headings: "INT." or "EXT." and the place and times
    that dashes join to it ("INT. DINER - DAY: ...", "EXT. PARKING LOT - NIGHT - CONTINUOUS. Rain
    falls"), each in capitals or heading words (``_HEADING_WORDS``), or any words when a colon
    ends them ("int. car - moving: ..."). A heading ends at its first full stop: "EXT. FOREST -
    DAWN. BIRDS CHIRP" keeps the birds."""
    def place(piece: str) -> bool:
        words = re.findall(r"[a-z']+", piece.lower())
        return piece.strip().isupper() or bool(words) and all(w in _HEADING_WORDS for w in words)

    out, k = [], 0
    while k < len(pieces):
        if not (_SLUG.fullmatch(pieces[k][0].strip()) and pieces[k][1] == "."):
            out.append(pieces[k])
            k += 1
            continue
        end = k + 1  # the place, then the parts a dash joins to it
        while end < len(pieces) and pieces[end][1] == "-":
            end += 1
        chain = pieces[k + 1:end + 1]
        said = len(chain) if chain and chain[-1][1] == ":" else next(
            (i for i, (p, _) in enumerate(chain) if not place(p)), len(chain))  # its places, up to a sound
        k += 1 + said  # "INT." alone before a sound: the sound kept
    return out or pieces


def _without_heading(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` without the headings of a scene: a screenplay's (:func:`_without_slug`), and parts
    before a colon that name only a place, a time of day or a label ("a forest at night: birds chirp,
    ...", "Ambience: rain, wind. Events: a door slams at 3 s"; not "thunder: ...", "a dog: ..."), and
    a background that opens the description before a colon and layers of one after it, its title
    ("Thunderstorm: heavy rain, ...")."""
    out, run = [], []  # run: the parts of heading words since the last sound
    pieces = _without_slug(pieces)
    for k, (piece, sep) in enumerate(pieces):
        words = re.findall(r"[a-z']+|\d", piece.lower())
        if (not out and sep == ":" and k + 1 < len(pieces) and is_background(piece) and len(words) <= 3
                and _bed_only(_clean(pieces[k + 1][0]))):  # "Thunderstorm: heavy rain, ...": a title
            run = []
            continue
        if words and all(w in _HEADING_WORDS or w.isdigit() for w in words):  # "Scene 2:"
            # up to a colon: a heading, dropped; so is a first sentence of a place at a time of day ("Forest at dawn.")
            # or of a room ("An office.", "Kitchen."; not "A busy street.": its sound)
            dated = not out and not run and sep in (".", "!") and set(words) & (_TIME_OF_DAY | _ROOMS)
            run = [] if sep == ":" or dated else run + [(piece, sep)]
            continue
        out += run + [(piece, sep)]
        run = []
    return out + run or pieces


def _leans(piece: str) -> bool:
    """Whether a part names no sound of its own: it says only when, or is a clause of
    simultaneity, or names only the sound before it again."""
    piece = _clean(piece)
    return bool(not piece or _WHILE.match(piece) or _WHEN_ONLY.match(piece) or _BARE.match(piece))


def _listed(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` with the "and" that ends a list of sounds in turn made one more comma: "a dog
    barks, a cat meows and a bird sings[, then ...]" is three sounds one after another, as with
    ", and" (and so is "..., and a bird sings while rain falls": the rain with the bird). Not after
    a part that leans on its neighbour ("at 3 s, a dog barks and a cat meows": both at 3 s; "while
    rain falls, ...")."""
    out = []
    for k, (piece, sep) in enumerate(pieces):
        members = _together(piece)
        stop = _STOPS.match(_clean(_TIME_TAIL.sub("", members[-1]))) if len(members) > 1 else None
        thing = _subject(_clean(members[-2])) if stop and not stop["named"] else None
        if thing:  # "a car passes at 3 s and stops at 5 s": the car stops, not the rain said before it
            named = f"the {_ARTICLE.sub('', thing)} {_clean(members[-1])}"
            piece = piece[:piece.rindex(members[-1])] + named
            members = [*members[:-1], named]
        ahead = _clean(pieces[k + 1][0]) if k + 1 < len(pieces) else ""
        ends = sep != "," or _leans(ahead) or bool(_THROUGHOUT.search(ahead))  # the list ends here
        listed = k and pieces[k - 1][1] == "," and ends and not _leans(pieces[k - 1][0]) and len(members) > 1
        rest = piece[piece.index(members[1], len(members[0])):] if listed else ""  # "C" or "C while rain falls"
        joiner = piece[len(members[0]):len(piece) - len(rest)]
        out += [(members[0], ","), (rest, sep)] if listed and joiner.strip().lower() == "and" else [(piece, sep)]
    return out


# What a layer of an ambience may say besides its background noun, where it is: how it sounds
# steadily and what it is like ("heavy rain falls", "birds chirping", "a stream flows", "distant
# traffic"); a word of change ("the wind picks up", "an engine starts", "rain gets heavier") or
# of time ("later wind") makes the part a sound in turn.
_LAYER_WORDS = set("""a an the some of and distant faint far nearby heavy light gentle soft steady constant low loud
strong busy quiet calm city street night morning evening forest summer tropical ambient background fall falls falling
blow blows blowing flow flows flowing chirp chirps chirping sing sings singing tweet tweets tweeting crackle crackles
crackling hum hums humming rush rushes rushing babble babbles babbling murmur murmurs murmuring buzz buzzes buzzing
drone drones droning trickle trickles trickling pour pours pouring howl howls howling rustle rustles rustling sizzle
sizzles sizzling bubble bubbles bubbling boil boils boiling lap laps lapping patter patters pattering chatter chatters
chattering hiss hisses hissing rumble rumbles rumbling idle idles idling crash crashing""".split())
_CHANGING = {"starting", "stopping", "beginning", "ending", "dying", "fading", "picking", "rising", "growing", "building",
             "revving", "passing", "approaching", "arriving", "leaving", "getting", "increasing", "decreasing", "swelling"}
_AND = re.compile(r"^(?:and|also|plus)\s+", re.I)
_IN_TURN = re.compile(r"^(?:and\s+)?(?:then|later|afterwards|after\s+that|eventually|finally|next|soon|shortly)\b", re.I)
_LAYER_PLACE = re.compile(rf"\s+{_PLACE}$", re.I)  # "wind in the trees": where it is says nothing of a change


def _now_and_then(piece: str) -> bool:
    """Whether a part is one sound said to come now and then, with no time or turn of its own
    ("occasional branches snapping"; not "rain, later a dog barks now and then")."""
    return bool(_OCCASIONALLY.search(piece) and not re.search(r"\d", piece) and len(_together(piece)) == 1
                and not _IN_TURN.match(piece))


def _bed_only(piece: str) -> bool:
    """Whether a part names background sounds only, each a steady layer of an ambience with no
    time, count, rhythm or change of its own ("rain", "wind and birds chirping", "a stream flows";
    not "the wind picks up", "an engine starts", "suddenly rain")."""
    def layer(member: str) -> bool:  # an -ing word says what goes on ("pigeons cooing"), unless it is a change
        words = re.findall(r"[a-z']+", _LAYER_PLACE.sub("", _clean(member)).lower())
        return is_background(_clean(member)) and all(w in _LAYER_WORDS or w in _BACKGROUND or w in _BIRDS
                                                     or w.endswith("ing") and w not in _CHANGING for w in words)

    return not re.search(r"\d", piece) and all(layer(m) for m in _together(piece))


# -ing words that name a thing ("a wedding bell"), or a way from place to place ("someone walking
# on gravel, a door opens at 5 s": the walk comes to the door), not what goes on in a scene
_NOT_GOING_ON = {"something", "nothing", "anything", "everything", "morning", "evening", "ceiling", "building", "string",
                 "strings", "spring", "swing", "thing", "things", "wedding", "clothing", "railing", "pudding", "lightning",
                 "walking", "speeding", "driving", "running", "jogging", "marching", "trotting", "galloping", "limping", "stumbling", "sprinting",
                 "hurrying", "rushing", "climbing", "crawling"}


_TIME_FIRST = re.compile(r"^(?:(?:and|then)\s+)?(?:at|from|between)\s+\d", re.I)  # "at 3 s a dog barks"


def _goes_on(piece: str) -> bool:
    """Whether a part says a sound that is no background as what goes on, an -ing word and no verb
    of its own, with no time, turn or change ("keyboard typing", "a clock ticking", "people
    chatting", "typing on a keyboard"; not "a clock ticks", "someone walking", "the fan stopping")."""
    words = re.findall(r"[a-z']+", piece.lower())
    going = [w for w in words if w.endswith("ing") and len(w) > 4 and w not in _CHANGING and w not in _NOT_GOING_ON]
    thing = _subject(piece)  # the words before a verb: none, or the -ing word and its own ("washing dishes")
    return bool(going and (thing is None or going[0] in thing.lower().split()) and not re.search(r"\d", piece)
                and not re.search(r"\b(?:once|twice|thrice|times|again)\b", piece, re.I)
                and not _IN_TURN.match(piece) and not _THROUGHOUT.search(piece) and not _OCCASIONALLY.search(piece)
                and not _STOPS.match(piece) and not is_background(piece))  # a background is laid as one already


def _layers(piece: str) -> bool:
    """Whether a part is sounds that go on (``_goes_on``), alone or with others or backgrounds ("a
    clock ticking and keyboard typing", "office ambience with keyboard typing")."""
    members = _together(piece)
    return any(_goes_on(m) for m in members) and all(_goes_on(m) or is_background(m) for m in members)


def _scene_layers(pieces: list[tuple[str, str]], room: int) -> list[bool]:
    """Which parts are layers of a scene under its sounds at times (``_layers``): said before the
    first of those, listed (not "then"; not a heading before a colon), in a description that stops nothing ("keyboard
    typing, a phone rings at 3 s"; not "a door slams at 2 s, a dog barking": a reaction; not "...,
    the typing stops at 6 s"), as many as there is ``room`` for beside the backgrounds said with
    them (the rest keep their turns)."""
    timed = [bool(_TIME_TAIL.search(f" {piece}")) for piece, _ in pieces]  # "at 3 s a dog barks" too
    # the first sound at a time that is no background from a time ("rain starts at 2 s": one more layer), if any
    sounds = [k for k, (piece, _) in enumerate(pieces) if timed[k]
              and not is_background(_BEGINS.sub("", _TIME_TAIL.sub("", f" {piece}")))]
    stops = any(_STOPS.match(_clean(_TIME_TAIL.sub("", m))) or _SILENCE.match(_clean(m))
                for piece, _ in pieces for m in _together(piece))
    first = (sounds or [timed.index(True)])[0] if any(timed) and not stops else 0
    room -= sum(is_background(m) for piece, _ in pieces[:first] for m in _together(piece))
    layers = []
    for k, (piece, sep) in enumerate(pieces):
        said = (k < first and _layers(_AND.sub("", piece)) and not re.search(r"[a-z]", pieces[k - 1][1] if k else "")
                and not re.search(r"[a-z]", sep) and sep != ":")  # not "typing, then ...", nor "Opening shot: ..."
        room -= sum(_goes_on(m) for m in _together(piece)) if said else 0
        layers.append(said and room >= 0)
    return layers


def _joined(pieces: list[tuple[str, str]], layered: list[str] | None = None, room: int = 3) -> list[str]:
    """The parts between sequence words, with the ones that lean on a neighbour joined to it: a
    clause of simultaneity ("while rain falls, a dog barks", "a dog barks, just as a cat
    meows") to the part before it, or when first to the one after it, as "X while Y"; a
    part that says only when or how often, followed by a comma and a sound ("at 3 s, a dog barks",
    "rain, then at 5 s, a dog barks", "now and then, a dog barks"), to the part after it (before
    another such part, or a "then", it is the sound before it again: "a bell at 2 s, at 5 s");
    and background sounds listed with commas ("rain, wind, birds chirping, and a dog barks at
    3 s") to one another, and a sound said to come now and then to them ("wind, occasional
    branches snapping"): the layers of one ambience, not sounds in turn. In a scene with sounds
    at times, a sound listed as what goes on (``_goes_on``: "keyboard typing, a phone rings at
    3 s": ``_scene_layers``, ``room`` the sounds that may play at once) is a layer under them all
    too; ``layered`` gets its captions, in turn."""
    out: list[str] = []
    pieces = [(_clean(piece), sep) for piece, sep in pieces]
    for k in range(len(pieces) - 1, 0, -1):  # "a dripping tap, every half a second": its rhythm
        if pieces[k - 1][1] == "," and _EVERY.match(pieces[k][0]) and not _clean(_EVERY.sub("", pieces[k][0])):
            pieces[k - 1:k + 1] = [(f"{pieces[k - 1][0]} {pieces[k][0]}", pieces[k][1])]
    going = _scene_layers(pieces, room)
    if layered is not None:
        layered += [_clean(m) for (piece, _), said in zip(pieces, going) if said
                    for m in _together(_AND.sub("", piece)) if _goes_on(m)]  # a background does not give way
    pieces = [(" and ".join(f"{_clean(m)} throughout" for m in _together(_AND.sub("", piece))) if said else piece, sep)
              for (piece, sep), said in zip(pieces, going)]
    for k, (piece, sep) in enumerate(pieces):
        if (k and pieces[k - 1][1] in (",", "and") and any(_TIME_TAIL.search(p) for p in out)
                and not re.search(r"[a-z]", sep)  # not "rain, then ...", nor "rain until 8 s" (rain, then its stop)
                and (_now_and_then(_AND.sub("", piece)) or _bed_only(_AND.sub("", piece)))):
            # after a sound at a time, and not "then": a layer of the whole scene ("rain, thunder at
            # 2 s, wind gusts now and then"; "a dog barks at 2 s, rain"), not what comes after that sound
            piece = f"{piece} throughout"
        layer = _AND.sub("", piece)  # ", and wind": wind; not ", later wind"
        layers = _together(out[-1]) if k and out and pieces[k - 1][1] == "," else []  # the ambience so far
        if (layers and _bed_only(layers[0]) and all(_bed_only(m) or _now_and_then(m) for m in layers)
                and (_bed_only(layer) or _now_and_then(layer))):
            out[-1] = f"{out[-1]} while {layer}"
            continue
        start = _STARTING.match(piece)
        if (start and out and not re.search(r"\b(?:at|from|between|for)\s+\d", out[-1]) and sep != ","
                and k and pieces[k - 1][1] == ","):  # "a dog barks every 2 s, starting at 10 s": its start
            how = "from" if _OCCASIONALLY.search(_SCATTERED.sub(" occasionally", out[-1])) else start["how"].lower()
            out[-1] = f"{out[-1]} {how} {start['t']}"
            continue
        clause, lead = _WHILE.match(piece), _WHEN_ONLY.match(_LEADING.sub("", piece))  # "and at 5 s, X"
        along = clause["rest"] if clause else None  # what sounds along with a neighbour
        if clause and len(out) > 1 and k + 1 == len(pieces):  # "A, then B, while rain falls": under them all
            along += " throughout"
        ahead = pieces[k + 1][0] if k + 1 < len(pieces) else None
        if (not clause and all(_THROUGHOUT.search(m) for m in _together(piece))
                and (out and not _TIME_FIRST.match(out[-1])  # not "at 3 s a dog barks while wind ...": both at 3 s
                     or not out and not re.search(r"[a-z]", sep) and not _IN_TURN.match(ahead or "")  # no "then"
                     and not _TIME_FIRST.match(ahead or ""))):
            # "..., wind throughout", "wind throughout, a dog barks" (not "wind throughout, then a dog barks")
            along = _LEADING.sub("", piece)
        again = ahead is not None and _TIME_TAIL.search(ahead)  # "X at 2 s and at 7 s, Y at 4 s": X's, Y has its own
        lead = lead if lead and ahead is not None and (not out or sep == ",") and not _leans(ahead) and not again else None
        if along and out:
            out[-1] = f"{out[-1]} while {along}"
        elif (along or lead) and ahead is not None:
            pieces[k + 1] = (f"{ahead} while {along}" if along else f"{lead.group()} {ahead}", pieces[k + 1][1])
        else:
            out.append(piece)
    return out


def _said_once(events: list[dict]) -> None:
    """Say the captions of ``events`` without their "repeatedly" (``_AGAIN_AND_AGAIN``), which
    made them fill their spans. Raises PlanError for one that names no sound else, or that is
    one sound (said once, or counted)."""
    for e in events:
        said, e["caption"] = e["caption"], _clean(_AGAIN_AND_AGAIN.sub(" ", e["caption"]))
        if not e["caption"]:
            raise PlanError(f"{said!r} names no sound; say which ('a bell rings {said}')")
        if said != e["caption"] and not e["fill"]:  # "X repeatedly twice", "X repeatedly once"
            raise PlanError(f"{said!r}: give a count ('twice', 'once') or 'repeatedly', not both")


# A fade said of a sound that still plays on: in ("wind fades in over the first 3 s"), or out at the end
_FADES = re.compile(r"\s+(?:(?:with|and)\s+)?(?:(?:an?|some)\s+)?(?:(?:slow|gradual|long|short|quick|soft|gentle)\s+)?"
                    r"fades?[- ]?in(?:\s+and\s+(?:an?\s+)?(?:(?:slow|gradual|long|short|quick|soft|gentle)\s+)?fade[- ]?out"
                    r"(?:\s+at\s+the\s+end)?)?(?=\s*(?:[,;.:!]|$))"  # "rain with a slow fade in (and a fade out ...)"
                    r"|\s+(?:(?:with|and)\s+)?(?:an?\s+)?(?:(?:slow|gradual|long|short|quick|soft|gentle)\s+)?fade[- ]?out\s+at\s+the"
                    r"\s+end(?=\s*(?:[,;.:!]|$))"
                    r"|\s+(?:(?:slowly|gradually)\s+)?fades?\s+(?:in(?:\s+(?:slowly|gradually))?(?:\s+(?:over|during|in|for)\s+"
                    r"(?:the\s+first\s+)?(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|ten)\s*(?:s|secs?|seconds?))?"
                    r"|(?:out|away)\s+(?:at|by|towards?)\s+the\s+(?:very\s+)?end(?:\s+of\s+(?:it|the\s+\w+))?)"
                    r"(?=\s*(?:[,;.:!]|$|\s+(?:then|and|while)\b))", re.I)


# What is left of a clause whose fade was taken out, naming a sound said before: "rain, ..., then the rain"
_FADED_AGAIN = re.compile(r"(?:\s*,\s*|\s+)(?:and\s+)?(?:then\s+)?the\s+(?P<x>[a-z' ]+?)\0", re.I)


def rules_layout(description: str, duration_s: float, max_simultaneous: int = 3, notes: list[str] | None = None) -> Plan:
    """Lay a description's parts on the timeline, in order. A part with its own times ("at T s",
    "from A to B s") is placed there; the parts between two such (or an edge of the timeline)
    share the time between them: one that says how long it lasts ("for N s") takes that and
    fills it (``Event.fill``: repeated until its end), the others equal slots, and simultaneous
    parts ("while", "with", "and") share their slot. A background sound (rain, wind, crowd, ...)
    keeps playing to the end. A part placed "from A to B s", "from T s" (to the end) or "at T s for
    N s" fills its span too,
    and so does an iterative sound (:func:`is_iterative`: footsteps, hammering, ...) unless said "once",
    and a part given a rhythm ("every 2 s", "every second": ``Event.period_s``).
    A part said "twice" or "N times" is that many parts in a row, each one sound; with a span
    ("twice for 3 s", "3 times from 2 to 8 s") they share it. A part said to come "now and then"
    ("once in a while", "occasionally", ...) is about one sound every SCATTER_PERIOD_S of its slot
    or span, each at an irregular time; one said to come "repeatedly" ("over and over", ...) fills
    its slot. "A, B and C" is three parts in turn (:func:`_listed`); pairs that name one thing
    ("pots and pans", ``_PAIR``) and a thing with what it has ("a car with a loud engine passes",
    ``_HAS``) are one part. ``notes`` gets a line for each sound ended early to keep to
    ``max_simultaneous``. Raises PlanError for a time it cannot read, or parts that do not fit."""
    parts = []  # (text, once): once, a part is one sound ("X once", one of "X twice")
    last = None  # the sound the part before names
    for fade in _FADES.finditer(description):  # the sound plays on, at its level
        if notes is not None:
            notes.append(f"{_clean(fade.group())!r} is not applied: a sound keeps its level along its span (to end "
                         "one sooner: make X stop at T s)")
    text = _FADES.sub("\0", description)  # marked where a fade was, for what is left of its clause
    text = _FADED_AGAIN.sub(lambda m: "" if _stems(m["x"]) <= _stems(text[:m.start()]) else m[0], text).replace("\0", "")
    text = _AND_RIGHT_AFTER.sub(lambda m: m[0] if _names_one_before(text, m) else ", then ", text)
    text = _AFTER_ALONE.sub("", _COMMA_AFTER.sub(r", then \g<x>", _AND_AFTER.sub(r", then \g<x>", text)))
    text = _SCATTERED.sub(" occasionally", relative_times(said_times(in_seconds(text), duration_s)))
    text = _COUNT_CLAUSE.sub(lambda m: " " + m["n"].replace(",", ""), text)
    layered = []  # the captions of sounds that go on under the timed ones, in turn (``_joined``)
    for seq in _joined(_listed(_without_heading(_without_qualifiers(_ended(_pieces(text)), notes))), layered,
                       max_simultaneous):
        seq, last = _named(seq, last)
        before_after = _AFTER.split(seq, maxsplit=1)
        for part in list(reversed(before_after)) if len(before_after) == 2 else [seq]:
            repeat, times = (None, 1) if len(_together(part)) > 1 else _repeats(_clean(part))
            parts += ([(p, True) for p in _repeated(repeat["c"], repeat["t"] or "", times, duration_s)]
                      if repeat else [(part, False)])
    timed, segments = [], [[]]  # segments: the groups between two wholly timed parts
    whole = []  # the captions said to sound "throughout"
    under = []  # those said to sound "in the background"
    said = []  # the captions of the parts so far
    for position, (part, once) in enumerate(parts):
        group, placed = [], []  # group: (caption, own length or None, once, times, period) sharing a slot
        members = [m for c in _together(part) if (m := _TRAILING.sub("", _LEADING.sub("", _clean(c))))]
        whole += [_clean(_THROUGHOUT.sub(" ", m)) for m in members if _THROUGHOUT.search(m)]
        under += [_clean(_THROUGHOUT.sub(" ", m)) for m in members if _IN_THE_BACKGROUND.search(m)]
        members = [_clean(_THROUGHOUT.sub(" ", m)) for m in members]
        if not all(members):
            raise PlanError(f"{_clean(part)!r} names no sound; say which ('wind throughout')")
        for caption in members:
            stop = _STOPS.match(caption) if position + 1 < len(parts) else None  # last, it is the silence to the end
            if stop and (not stop["named"] or any(_stems(stop["named"]) <= _stems(c) for c in said)):
                group.append((caption, 0.0, True, 1, None))  # "then it stops, then X": no time of its own
                continue
            said.append(caption)
            throughout = caption in whole
            caption, scattered = _scattered(caption)
            if scattered:  # over its own span, the whole timeline, or in turns over its slot (``times`` None)
                event = _timed_event(caption, duration_s, once=True)
                if event is None and throughout:
                    timed += _scatter(_untimed(caption)[0], 0.0, duration_s)
                    continue
                placed += _scatter(event["caption"], event["start_time"], event["end_time"]) if event else []
                group += [] if event else [(*_untimed(caption), True, None, None)]
                continue
            repeat, times = _repeats(caption) if len(members) > 1 else (None, 1)  # "X twice while Y": X repeats
            pieces = _repeated(repeat["c"], repeat["t"], times, duration_s) if repeat and repeat["t"] else []
            if pieces and _TIMED.match(pieces[0]):  # "X twice at 3 s while Y": placed where it says
                placed += [_timed_event(p, duration_s, once=True) for p in pieces]
            elif repeat:  # in turn over its slot, or over the "for N s" it gives
                group.append((repeat["c"], _untimed(pieces[0])[1] * times if pieces else None, True, times, None))
            else:
                beside = caption in whole and len(members) > 1  # "X at 6 s while wind blows throughout"
                caption, period = _rhythm(caption, counted=once)
                event = _timed_event(caption, duration_s, once, period)
                if event is None and beside:  # the whole timeline: its part's slot is its neighbour's alone
                    timed.append({"caption": caption, "start_time": 0.0, "end_time": duration_s, "period_s": period,
                                  "fill": _fills(caption, False, once, period)})
                else:
                    placed.append(event) if event else group.append((*_untimed(caption), once, 1, period))
        timed += placed
        if group:
            segments[-1].append(group)
        elif placed:  # an anchor: the parts after it start when it ends
            segments.append([])
            segments[-1].append(placed)
    if not timed and not any(segments):
        raise PlanError("the description names no sound")
    events, slot_ends = [], []
    for k, segment in enumerate(segments):
        groups = segment[1:] if k else segment  # a later segment starts with its anchor
        if not groups:
            continue
        # after a background placed from a time to the end ("rain at 3 s") or a sound that rings on
        # ("an explosion at 1.5 s": RINGING_LENGTH_S), what follows comes in TIMED_LENGTH_S, over its tail
        # and after a stop ("wind, then it stops at 6 s, then ..."), at its time
        begin = max(e["start_time"] if _STOPS.match(e["caption"]) else min(e["end_time"], e["start_time"] + TIMED_LENGTH_S)
                    if _rings_on(e, duration_s) and not _crowded(e, events + timed, max_simultaneous)
                    or is_background(e["caption"]) and e["end_time"] >= duration_s - 1e-9
                    else e["end_time"] for e in segment[0]) if k else 0.0
        stop = min((e["start_time"] for e in segments[k + 1][0]), default=duration_s) if k + 1 < len(segments) \
            else duration_s
        fixed = [max((n for _, n, *_ in g if n is not None), default=None) for g in groups]
        flexible = sum(n is None for n in fixed)
        free = stop - begin - sum(n for n in fixed if n is not None)
        beds = duration_s - begin >= 0.25 and all(is_background(c) and own is None and times == 1 and not once
                                                  for g in groups for c, own, once, times, _ in g)  # play on past slots
        if free < (0.25 * flexible if flexible else -0.05) and not (beds and free >= 0):
            captions = [c for g in groups for c, *_ in g]
            names = ", ".join(captions[:3]) + (f" and {len(captions) - 3} more" if len(captions) > 3 else "")
            raise PlanError(f"no room for {names!r}: {max(stop - begin, 0):g} s are free between {begin:g} and "
                            f"{stop:g} s, and they need {stop - begin - free + 0.25 * flexible:g} s")
        slot = free / flexible if flexible else 0.0
        t = begin
        for group, length in zip(groups, fixed):
            span = length if length is not None else slot
            last = group is groups[-1] and length is None  # the last slot ends exactly at its bound
            slot_end = stop if last else t + span
            for caption, own, once, times, period in group:
                # a background plays on past its slot, and so does a sound given a rhythm when a sound at a
                # time comes next ("a clock ticks every second, a phone rings at 4 s"); one of "a crowd
                # cheers twice" keeps its slot, as a rhythm does when a sound comes in turn after it
                plays_on = (is_background(caption) or last and period is not None) and times == 1 and not once
                end = t + own if own is not None else duration_s if plays_on else slot_end
                if times is None:  # "now and then": on past its slot when a sound at a time comes next, as a rhythm
                    end = duration_s if last and k + 1 < len(segments) and own is None else end
                    scattered = _scatter(caption, t, min(end, duration_s))
                    events += scattered
                    slot_ends += [min(slot_end, duration_s)] * len(scattered)
                    continue
                share = (min(end, duration_s) - t) / times
                for i in range(times):  # a repeat's sounds take their turns over the span
                    events.append({"caption": caption, "start_time": t + i * share,
                                   "end_time": t + (i + 1) * share if i + 1 < times else min(end, duration_s),
                                   "period_s": period,
                                   "fill": _fills(caption, own is not None, once, period)})
                    slot_ends.append(min(slot_end, duration_s))
            t += span
    silent = [e for e in events + timed if _SILENCE.match(e["caption"])]  # a silence keeps its slot only
    for stop in [e for e in events + timed if _STOPS.match(e["caption"]) or _SILENCE.match(e["caption"])]:
        named = stop not in silent and _STOPS.match(stop["caption"])["named"]  # a silence, too, ends what sounds
        before = [e for e in events + timed if e["start_time"] < stop["start_time"] and e not in silent
                  and e is not stop and (not named or _stems(named) <= _stems(e["caption"]))]
        for e in before:
            e["end_time"] = min(e["end_time"], stop["start_time"])
        latest = max((e["start_time"] for e in before), default=None)
        # "a bell rings at 2 s, then fades out at 5 s": the sound it stops sounds until then (a silence only ends it)
        for e in before if any(stop is t for t in timed) and not _SILENCE.match(stop["caption"]) else ():
            if e["start_time"] == latest:
                e["end_time"] = stop["start_time"]
        silent += [stop] if before or not named else []  # "a car engine stops" alone is a sound
    sounding = [k for k, e in enumerate(events) if all(e is not q for q in silent)]
    events, slot_ends = [events[k] for k in sounding], [slot_ends[k] for k in sounding]
    timed = [e for e in timed if all(e is not q for q in silent)]
    if not events and not timed:
        raise PlanError("the description names no sound")
    for e in events + timed:  # "wind throughout": the whole timeline, whatever its slot
        if e["caption"] in whole:
            e.update(start_time=0.0, end_time=duration_s, fill=e["fill"] or not is_background(e["caption"]))
        if not is_background(e["caption"]) and any(_stems(e["caption"]) <= _stems(u) for u in under):
            e["gain_db"] = -BED_UNDER_DB  # "a clock ticks in the background": as far under the rest as a bed is
    _said_once(events + timed)
    return _vary_repeats(_held(events, slot_ends, timed, duration_s, max_simultaneous, notes, layered))


def _held(events: list[dict], slot_ends: list[float], timed: list[dict], duration_s: float,
          max_simultaneous: int, notes: list[str] | None = None, layered: list[str] = ()) -> Plan:
    """The plan of ``events`` (in the order said) and ``timed``; where more than
    ``max_simultaneous`` sounds play at once, first a one-shot placed "at T s" (given no length:
    TIMED_LENGTH_S) that plays there ends where the next sound begins ("a door slams at 2 s, a dog
    barks at 3.5 s": the door's part ends at 3.5 s), then each part held past its slot (a
    background) that plays there ends where that begins, the first said first ("rain, then wind,
    then crickets, then a dog barks at 9 s": the rain ends at 9 s), and so does a sound ``layered``
    under the timed ones ("people chatting, cutlery clinking, a machine hissing, a cup shatters at
    4 s"). Raises PlanError when too many still play at once. ``notes`` gets a line for each sound
    so ended."""
    parts, placed = list(events), list(timed)
    for i, e in enumerate(placed):
        later = _next_start(e, parts + placed)
        if later is not None and any(a < e["end_time"] and b > later for a, b in _overloads(parts + placed, max_simultaneous)):
            placed[i] = {**e, "end_time": later}

    def ended(e: dict, since: float) -> dict | None:  # e, ended where too many would play at once after ``since``
        spans = [(a, b) for a, b in _overloads(parts + placed, max_simultaneous) if a < e["end_time"] and b > since]
        if not (spans and e["end_time"] > since and max(spans[0][0], since) - e["start_time"] >= MIN_LENGTH_S):
            return None  # else too many at once: refused
        if notes is not None and max(spans[0][0], since) < duration_s:
            notes.append(f"{e['caption']!r} ends at {max(spans[0][0], since):g} s, where it would be one of "
                         f"{max_simultaneous + 1} sounds at once; at most {max_simultaneous} play together "
                         "(a plan in JSON may allow more: \"max_simultaneous\")")
        return {**e, "end_time": max(spans[0][0], since)}

    for caption in layered:  # the first said first
        for i, e in enumerate(placed):
            placed[i] = e["caption"] == caption and ended(e, e["start_time"]) or e
    for k, e in enumerate(parts):
        parts[k] = ended(e, slot_ends[k]) or e
    return validate(parts + placed, duration_s, max_simultaneous, reach_end=False)


def _overloads(events: list[dict], max_simultaneous: int) -> list[tuple[float, float]]:
    """The (start, end) spans, in time order, where more than ``max_simultaneous`` of ``events``
    play (one that ends as another begins does not overlap it, as in ``validate``)."""
    points = sorted([(e["start_time"], 1) for e in events] + [(e["end_time"], -1) for e in events])
    spans, level, begun = [], 0, None
    for t, step in points:
        level += step
        if level > max_simultaneous and begun is None:
            begun = t
        elif level <= max_simultaneous and begun is not None:
            spans.append((begun, t))
            begun = None
    return spans


GIVE_WAY_S = 0.5  # a one-shot keeps at least this much of its part when it gives way to the next sound


def _next_start(event: dict, others: list[dict]) -> float | None:
    """Where a one-shot placed with no length of its own (TIMED_LENGTH_S) may end to give way: the
    start of the next sound inside its part that is no background (any sound, in the tail of one
    that rings on), GIVE_WAY_S or more after its own; None for any other event, or none such."""
    length = event["end_time"] - event["start_time"]
    if event["fill"] or is_background(event["caption"]) or abs(length - timed_length_s(event["caption"])) > 1e-9:
        return None
    later = [o["start_time"] for o in others if o is not event and (_rings_on(event) or not is_background(o["caption"]))
             and event["start_time"] + GIVE_WAY_S <= o["start_time"] < event["end_time"]]
    return min(later, default=None)


REPEAT_SEED_STEP = 1_000_003  # the k-th repeat of a caption: its seed + k * this (clear of "another take", +1)


def _take(caption: str, k: int) -> int:
    """The seed of a caption's k-th take (k = 0: the caption's own seed)."""
    return (caption_seed(caption) + k * REPEAT_SEED_STEP) % 2**31


def _new_take(caption: str, taken: list[int]) -> int | None:
    """The seed of a new event of ``caption``: None (its caption's own) unless an event of the
    same caption uses that; then the first take no other uses."""
    k = next(k for k in itertools.count() if _take(caption, k) not in taken)
    return _take(caption, k) if k else None


def _vary_repeats(plan: Plan) -> Plan:
    """A caption said again ("a ball bounces, then a drum, then a ball bounces") is another take
    of it, not the same audio twice: its k-th repeat without a seed of its own gets ``_take(caption, k)``."""
    seen: dict[str, int] = {}
    events = []
    for e in plan.events:
        k = seen[e.caption] = seen.get(e.caption, -1) + 1
        events.append(replace(e, seed=_take(e.caption, k)) if k and e.seed is None else e)
    return replace(plan, events=tuple(events))


def _stems(text: str) -> set[str]:
    """Words without a plural, third-person "s", "ing", "ed", a doubled last consonant or final
    "e" ("glasses" and "glass", "barks" and "barking", "bounces" and "bouncing", "chops" and
    "chopping", "cries" and "crying", "putts" and "putting"): enough to match a sound's name."""
    def stem(w: str) -> str:
        if w.endswith("sses"):
            return w[:-2]
        w = w[:-3] + "y" if w.endswith("ies") and len(w) > 4 else w
        w = w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w
        w = w[:-3] if w.endswith("ing") and len(w) > 5 else w[:-2] if w.endswith("ed") and len(w) > 4 else w
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousy":  # "chopp(ing)", "putt(s)": one form
            return w[:-1]
        return w[:-1] if w.endswith("e") and len(w) > 3 else w

    return {stem(w) for w in _words(text)}


_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1,
             "1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4}
_ORDINAL_STEMS = _stems(" ".join(_ORDINALS))  # left out of a sound's name: "the first bell" names a bell
AT_TOLERANCE_S = 1.0  # "the ball at 6 s" names a ball that plays within this of 6 s
_AT = re.compile(r"^(?P<a>.+?)\s+(?:at|around)\s+(-?\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)?$", re.I)
_ORDINAL = re.compile(rf"^(?:the\s+)?(?P<n>{'|'.join(_ORDINALS)})\s+(?P<a>.+)$", re.I)


def _scores(previous: Plan, words: str, target: str) -> list[int]:
    """How many word stems each event's caption shares with ``words``; PlanError naming the
    events when none shares one (``target``: the words as the edit gave them)."""
    want = _stems(words)
    scores = [len(want & _stems(e.caption)) for e in previous.events]
    if max(scores, default=0) == 0:
        known = sorted({w for e in previous.events for w in _words(e.caption)})
        close = [m for w in sorted(_words(words)) for m in difflib.get_close_matches(w, known, n=1, cutoff=0.66)]
        guess = f" (did you mean {' '.join(close)!r}?)" if close else ""
        raise PlanError(f"no event matches {target!r}{guess}; the events are: "
                        f"{'; '.join(e.caption for e in previous.events)}")
    return scores


def _match(previous: Plan, target: str) -> int:
    """Index of the event whose caption shares most words with ``target``. Several equally
    good: ``target`` says which by a time ("the ball at 6 s": the one playing then, else the
    nearest start) or an order ("the second ball", "the last ball"), else PlanError naming them."""
    target = target.strip()
    at = _AT.match(target)
    ordinal = None if at else _ORDINAL.match(target)
    words = at["a"] if at else ordinal["a"] if ordinal else target
    scores = _scores(previous, words, target)
    best = max(scores)
    tied = [i for i, score in enumerate(scores) if score == best]  # in time order, as a plan's events are
    if at:
        t = float(at.group(2))
        near = [i for i in tied if previous.events[i].start_s - AT_TOLERANCE_S <= t < previous.events[i].end_s + AT_TOLERANCE_S]
        if not near:
            which = "; ".join(f"{previous.events[i].caption} at {previous.events[i].start_s:g}-{previous.events[i].end_s:g} s"
                              for i in tied)
            raise PlanError(f"nothing that matches {at['a'].strip()!r} plays at {t:g} s ({which})")
        return min(near, key=lambda i: (not previous.events[i].start_s <= t < previous.events[i].end_s,
                                        abs(previous.events[i].start_s - t)))
    if ordinal:
        n = _ORDINALS[ordinal["n"].lower()]
        if n >= len(tied):
            raise PlanError(f"{target!r}: there " + ("is 1 such event" if len(tied) == 1 else f"are {len(tied)} such events"))
        return tied[n]
    exact = [i for i in tied if _stems(previous.events[i].caption) == _stems(words)]
    if len(tied) > 1 and len(exact) == 1:  # "the rain" is "rain", not "rain on a tin roof"
        return exact[0]
    if len(tied) > 1:
        which = "; ".join(f"{previous.events[i].caption} at {previous.events[i].start_s:g} s" for i in tied)
        noun = re.sub(r"^(?:(?:the|a|an|all|both|every|each)\s+)+", "", target, flags=re.I)
        last = noun.split()[-1] if noun.split() else noun
        one = noun[: -1] if last.endswith("s") and not last.endswith("ss") else noun  # "the second knock"
        many = (noun if one != noun or last.endswith("ing")  # "all the barking"
                else f"{noun}es" if re.search(r"(?:s|sh|ch|x)$", noun) else f"{noun}s")
        example = f"'the {one} at {previous.events[tied[1]].start_s:g} s' or 'the second {one}'"
        if _EVERY_ONE.match(target):  # all of them asked of an edit of one event (replace, move, ...)
            raise PlanError(f"{target!r} names {len(tied)} events ({which}), and this edit takes one: say which, e.g. "
                            f"{example}; all of them can be {_EVERY_SAID}")
        raise PlanError(f"{target!r} matches {len(tied)} events ({which}); say which, e.g. {example} (or all of them: "
                        f"'all the {many}', to be {_EVERY_SAID})")
    return tied[0]


_EVERY_ONE = re.compile(r"^(?:all|every|each|both)\s+(?:of\s+)?(?:the\s+)?(?P<a>.+)$", re.I)


# The edits that may take every event a target names ("all the knocks"); a move to a time, a start or a stop
# takes one
_EVERY_KINDS = ("remove", "gain", "retake", "replace", "shift", "length", "last", "tempo", "rhythm")
_EVERY_SAID = "removed, made louder or quieter, taken again, replaced, moved by N s, or made longer, shorter, faster or slower"


def _all_matching(previous: Plan, target: str) -> list[int] | None:
    """The indices of every event that ``target`` names when it says "all", "every", "each" or
    "both" ("all the dogs": each bark of "a dog barks now and then"), or names in the plural what
    several captions name in the singular ("the dogs"), else None. PlanError when it names none."""
    every = _EVERY_ONE.match(target.strip())
    if every and re.fullmatch(r"(?:the\s+)?(?:sounds|events)", every["a"].strip(), re.I):  # "all the sounds": the bed
        return list(range(len(previous.events)))
    if every is None:
        noun = re.findall(r"[a-z]+", target.lower())[-1:]
        plural = noun and noun[0].endswith("s") and not any(noun[0] in _words(e.caption) for e in previous.events)
        named = [i for i, e in enumerate(previous.events) if plural and noun[0][:-1] in _words(e.caption)]
        return named if len(named) > 1 else None
    scores = _scores(previous, every["a"], target.strip())
    return [i for i, score in enumerate(scores) if score == max(scores)]


_NUM = rf"(-?{_DECIMAL})"
_UNIT = rf"\s*{_UNIT_S}"
_BY_S = rf"(?:\s+by\s+{_NUM}(?:{_UNIT})?)?"
_TARGET = r"(?P<a>.+?)(?<!\sat)(?<!\saround)"  # "the ball at 6 s 2 s later": the time stays with the ball
_REMOVE = r"(?:remove|delete|drop|mute|cut|get\s+rid\s+of|take\s+out|leave\s+out)"
# "remove X after T s" (or "after three seconds"): from T s on
_REMOVE_AFTER = re.compile(rf"^(?P<a>{_REMOVE}\s.+?)\s+after\s+(?=\d|[a-z]+\s+{_UNIT_S}\b)", re.I)
_GAIN_UNIT = r"(?:db|%|\s*percent)"  # a gain in dB, or a change of the amplitude in per cent
_PERCENT = re.compile(r"\d\s*(?:%|percent)", re.I)
_MOVE_TO_PLACE = re.compile(r"^(?P<a>(?:move|put)\s.+?)\s+to\s+the\s+(?P<place>(?:very\s+)?(?:end|start|beginning|middle))$",
                            re.I)  # "move the door to the end": at the end
_LEVEL_SPAN = re.compile(r"^(?:(?:lower|raise|boost|reduce)\b|(?:make|turn|bring)\b.*\b(?:louder|quieter|softer|up|down)\b)"
                         r".*\b(?:after|before|until|till)\s+\d", re.I)  # "lower the rain after 5 s": a span
_LEVEL_WORDS = re.compile(r"\bby\b|\bdb\b|%|\bpercent\b|\bnow\b", re.I)  # left in a gain edit's target: unread
_TO_LEVEL = re.compile(rf"^(?:lower|raise|boost|reduce|turn|bring|make|set)\s.+\s(?:down\s+|up\s+)?to\s+{_NUM}\s*{_GAIN_UNIT}$", re.I)
_A_BIT = r"(?P<bit>a\s+(?:little\s+)?bit|a\s+(?:little|touch|tad)|slightly)"  # a change of A_BIT_DB
NUDGE_S = 0.1  # "nudge X earlier", "make X a bit later"; a move said without an amount is 1 s
A_BIT_DB = 3.0  # "make X a bit louder", "turn X down a little"; a change said without an amount is 6 dB
_EDITS = [
    ("retake_all", re.compile(r"^(?:(?:please\s+)?(?:try(?:\s+it)?\s+again|again|one more time|(?:give me\s+)?another"
                              r"(?:\s+(?:take|version|one))?|regenerate|re-?roll|(?:redo|regenerate|re-?roll)\s+(?:it|all|"
                              r"everything|the(?:\s+whole)?\s+bed)))$", re.I)),
    ("replace", re.compile(r"^(?:replace|swap)\s+(?P<a>.+?)\s+(?:with|by|for)\s+(?P<b>.+)$", re.I)),
    ("replace", re.compile(r"^(?:change|turn)\s+(?P<a>.+?)\s+(?:to|into)\s+(?P<b>.+)$", re.I)),
    ("retake", re.compile(r"^(?:(?:give me |try )?another (?:take|version) of|try|redo|regenerate|re-?roll)\s+(?P<a>.+?)"
                          r"(?:\s+again)?$", re.I)),
    ("remove_span", re.compile(rf"^{_REMOVE}\s+(?P<a>.+?)\s+(?:(?:from|between)\s+{_NUM}{_SECONDS}\s+(?:to|and|until|till)\s+"
                               rf"{_NUM}{_SECONDS}|(?P<after>after|from)\s+{_NUM}{_SECONDS}(?:\s+on(?:wards?)?|\s+{_TO_THE_END})?"
                               rf"|(?:(?:from\s+the\s+(?:start|beginning)\s+)?(?:to|until|till)|before|up\s+to)\s+{_NUM}{_SECONDS}"
                               rf"|(?:for|in|over|during)\s+the\s+(?P<edge>first|last)\s+{_NUM}{_SECONDS})$", re.I)),
    ("gain", re.compile(rf"^(?P<verb>drop|cut)\s+(?P<a>.+?)\s+(?:(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|{_A_BIT}|down)$", re.I)),  # a level
    ("remove", re.compile(rf"^{_REMOVE}\s+(?P<a>.+)$", re.I)),
    ("add", re.compile(r"^add\s+(?P<b>.+)$", re.I)),
    ("move_to", re.compile(rf"^(?:move|put)\s+(?P<a>.+?)\s+(?:to|at)\s+{_NUM}(?:{_UNIT})?$", re.I)),
    ("start_at", re.compile(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:start|begin|come\s+in)\s+(?:at\s+)?{_NUM}(?:{_UNIT})?$",
                            re.I)),  # "make the rain start at 2 s"
    ("end_at", re.compile(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:stop|end|finish|fade\s+out|cut\s+off)\s+(?:at\s+)?"
                          rf"{_NUM}(?:{_UNIT})?$", re.I)),  # "make the crickets stop at 6 s"
    ("end_at", re.compile(rf"^(?:stop|end|fade\s+out|cut\s+off)\s+(?P<a>.+?)\s+at\s+{_NUM}(?:{_UNIT})?$", re.I)),
    ("shift", re.compile(rf"^(?P<verb>make|move|shift|nudge)\s+{_TARGET}\s+(?:by\s+)?(?:{_NUM}{_UNIT}\s+|{_A_BIT}\s+)?"
                         rf"(?P<dir>later|earlier|sooner){_BY_S}$", re.I)),
    ("length", re.compile(rf"^make\s+{_TARGET}\s+(?:{_NUM}{_UNIT}\s+)?(?P<dir>longer|shorter){_BY_S}$", re.I)),
    ("gain", re.compile(rf"^make\s+(?P<a>.+?)\s+(?:{_NUM}\s*{_GAIN_UNIT}\s+|{_A_BIT}\s+)?(?P<dir>louder|quieter|softer)"
                        rf"(?:\s+by\s+{_NUM}\s*{_GAIN_UNIT}?)?$", re.I)),
    ("gain", re.compile(rf"^make\s+(?P<a>.+?)\s+(?P<dir>twice|half)\s+as\s+loud$", re.I)),  # the amplitude: +-6 dB
    ("gain", re.compile(rf"^(?:(?:turn|bring)\s+(?P<dir>up|down)|(?P<verb>lower|raise|boost|reduce))\s+(?P<a>.+?)"
                        rf"(?:\s+(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|\s+{_A_BIT})?$", re.I)),  # "turn down X", "lower X"
    ("gain", re.compile(rf"^(?:turn|bring)\s+(?P<a>.+?)\s+(?P<dir>up|down)(?:\s+(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|\s+{_A_BIT})?$",
                        re.I)),
    ("tempo", re.compile(rf"^make\s+{_TARGET}\s+(?P<dir>faster|slower)$", re.I)),
    ("last", re.compile(rf"^make\s+{_TARGET}\s+last\s+(?:for\s+)?{_NUM}(?:{_UNIT})?$", re.I)),  # a length, not a change of it
    ("rhythm", re.compile(rf"^(?:make\s+|repeat\s+)?{_TARGET}\s+(?:repeat\s+)?every\s+(?:{_NUM}(?:{_UNIT})?"
                          rf"|(?:half\s+(?:a\s+)?)?second)$", re.I)),  # read by _rhythm
]
# "replace the dog with a cat and make it louder", "make the thunder later and louder": two edits
_TWO_EDITS = re.compile(r"(?:[,;]|\b(?:and|then))\s+(?:then\s+|also\s+)?(?P<second>(?:replace|swap|change|remove|delete|drop|"
                        r"mute|cut|add|move|shift|nudge|put|make|turn|bring|pull|push|lose|kill|silence|lower|raise|boost|take\s+out|get\s+rid\s+of|repeat|redo|regenerate|undo)\s.*|(?:louder|quieter|softer|later|earlier|"
                        r"sooner|longer|shorter|faster|slower)\b.*|(?:the|a|an)\s+[a-z' ]+?\s+(?:louder|quieter|softer|later|"
                        r"earlier|sooner|longer|shorter|faster|slower)\b.*)$", re.I)
TEMPO_STEP = 1.5  # "slower": the period times this; "faster": divided by it
# The edits the rules planner reads, as `foley compose --help` lists them
EDIT_HELP = ("another take (of the whole bed; or: try again), replace X with Y, another take of X (or: try X again), "
              "remove X [from A to B s | before T s | after T s | for the first/last N s], "
              "add X [at T s [for N s] | from A to B s | from T s], "
              "move X to T s (or: make the X VERB at T s, the X VERBs at T s), make X start/stop at T s "
              "(or: the X starts/stops at T s), make X later/earlier [by N s] (or: shift X by [-]N s), "
              "make X longer/shorter [by N s], make X last N s, "
              "make X louder/quieter [by N dB or N% | a bit] (or: turn X up/down, lower/raise X), "
              "X every N s, make X faster/slower (a repeated sound); "
              "X is a sound of the bed, or one of several by time or order: 'the ball at 6 s', 'the second ball', "
              "or all of them (to remove, make louder/quieter, take again, replace, move by N s, make longer/shorter "
              "or faster/slower): 'all the balls'; a time may be said from "
              "a sound of the bed: '1 s after the door', 'right after the door'; "
              "and undo (the last turn)")
# Verbs that only begin an edit (a sound description may begin "drop a plate" or "cut the rope"; "change
# falls", "mute swans honk", "turn signals click": these begin an edit only before "the", "that", ...).
_EDIT_VERBS = re.compile(r"^(?:replace|swap|remove|delete|add|move|make|redo|regenerate|re-?roll|another|shift|"
                         r"(?:turn|change|mute|have|let)\s+(?:the|that|this|these|those|all|every|it|them)\b|"
                         r"turn\s+(?:up|down)|(?:bring|nudge)\s+(?:the|that|this|these|those|all|it)\b|"
                         r"(?:lower|raise|boost|reduce)\s(?=.*(?:\d\s*(?:db|%|percent)|\ba\s+(?:little\s+)?bit|\ba\s+(?:little|touch|tad)"
                         r"|\bslightly)$)|"
                         r"get\s+rid\s+of|take\s+out|"
                         r"give me another|again|one more time|(?:please\s+)?try(?:\s+it)?\s+again)\b", re.I)


_UNDO = re.compile(r"^(?:(?:actually|no|oops|sorry|hmm|ok(?:ay)?),?\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:(?:undo|revert)(?:\s+(?:that|it|(?:the\s+)?last"
                   r"(?:\s+(?:change|edit|turn|one))?))?|go\s+back(?:\s+one\s+step)?|scratch\s+that|take\s+(?:that|it)\s+back"
                   r"|never\s*mind)(?:,?\s+please)?$", re.I)
_UNDO_PART = re.compile(r"^(?:please\s+)?(?:undo|revert)\s+(?P<a>.+)$", re.I)  # "undo the rain"


def says_silence(text: str) -> bool:
    """``text`` asks for a silence or for its sounds to stop ("rain, then it stops", "a door slams,
    then silence for 2 s"): a bed whose end is silent on purpose."""
    return any(_STOPS.match(part) or _SILENCE.match(part) for piece, _ in _pieces(in_seconds(text))
               for c in _together(piece) if (part := _clean(_TIMED_TAIL.sub("", _clean(c)))))


def is_undo(text: str) -> bool:
    """``text`` asks to undo the last turn of a session ("undo", "undo that", "go back", "revert
    the last change"): the bed goes back to the plan before it, whatever the planner."""
    return bool(_UNDO.match(_clean(text)))


def _is_edit(text: str) -> bool:
    """``text`` reads as an edit of a bed, not as a sound."""
    text = _edit_said(text)
    return bool(_EDIT_VERBS.match(text)) and any(pattern.match(text) for _, pattern in _EDITS)


def check_not_an_edit(text: str) -> None:
    """Refuse (PlanError) a first description that reads as an edit ("make the dog louder"):
    there is no bed to edit yet, and it is no sound either."""
    if is_undo(text):
        raise PlanError(f"{text.strip()!r}: there is no bed yet, so nothing to undo: describe a bed first "
                        "(foley compose: --session FILE keeps its turns)")
    if _is_edit(_clean(text)):
        raise PlanError(f"{text.strip()!r} is an edit, and there is no bed to edit yet: describe a bed first "
                        "(foley compose: --session FILE keeps it for the next turn)")


def _numbers(m: re.Match) -> list[float]:
    return [float(g) for g in m.groups() if g is not None and re.fullmatch(_NUM, g)]


def _on_timeline(caption: str, start: float, end: float, duration_s: float, edit: str) -> tuple[float, float]:
    """(start, end) of an edited event cut to the timeline; PlanError when none of it is left on it."""
    if start >= duration_s - 0.05 or end <= 0.05:
        near_end = " (a sound starts at least 0.05 s before its end)" if 0 <= start < duration_s else ""
        raise PlanError(f"{edit} puts {caption!r} off the {duration_s:g} s timeline{near_end}")
    return max(0.0, start), min(duration_s, end)


_AGAIN_BEFORE_TIME = re.compile(r"\s+(?:again|once\s+more|one\s+more\s+time)(?=\s+(?:at|from|between|for)\s+\d|\s*$)", re.I)
_REPLACE_AT_LAST_WITH = re.compile(r"^(?:replace|swap)\s+(?P<a>.+)\s+with\s+(?P<b>.+)$", re.I)


def _one_sound(text: str) -> bool:
    """Whether an added or replacing sound is one: no sequence or simultaneity words part it."""
    pieces = _pieces(_SCATTERED.sub(" occasionally", text))
    return len(pieces) == 1 and len(_together(_clean(pieces[0][0]))) == 1


def _added(text: str, duration_s: float) -> list[dict]:
    """The events of "add X", "add X at T s [for N s]", "add X from A to B s" or "add X for N s"
    (from the start; without a length, to the end): one, or with "twice" / "N times" that many
    sharing its span, one sound each, or with "now and then" about one every SCATTER_PERIOD_S of it."""
    text = _AGAIN_BEFORE_TIME.sub("", _SCATTERED.sub(" occasionally", text))  # "add the dog again at 8 s"
    if _SILENCE.match(_TIMED_TAIL.sub("", _clean(text))):
        raise PlanError("a silence adds no sound; to quiet a part of the bed, remove a sound or make it shorter")
    text, scattered = _scattered(text)
    if scattered:  # over the span it gives, or the whole timeline
        event = _added_one(text, duration_s, once=True)
        return _scatter(event["caption"], event["start_time"], event["end_time"])
    repeat, times = _repeats(_clean(text))
    if repeat is None:
        return [_added_one(_clean(text), duration_s, once=False)]
    lasting = _LASTING.match(_clean(text)) if _TIMED.match(_clean(text)) is None else None
    # Added without a start, they share the span from 0 s: N s, or the whole timeline.
    span = f" from 0 to {float(lasting.group(2)) if lasting else duration_s!r} s" if lasting or not repeat["t"] else repeat["t"]
    return [_added_one(part, duration_s, once=True) for part in _repeated(repeat["c"], span, times, duration_s)]


def _added_one(text: str, duration_s: float, once: bool) -> dict:
    text, period = _rhythm(text, counted=once)
    event = _timed_event(text, duration_s, once, period)
    if event is None:
        caption, length = _untimed(text)
        start, end = _on_timeline(caption, 0.0, length if length is not None else duration_s, duration_s, "adding it")
        event = {"caption": caption, "start_time": start, "end_time": end, "period_s": period,
                 "fill": _fills(caption, length is not None, once, period)}
    return event


def _target(previous: Plan, target: str) -> int:
    """The event an edit names as ``target`` (see :func:`_match`); PlanError when it names
    several different events ("remove the ball and the drum"): one edit per turn."""
    _one_named(previous, target)
    return _match(previous, target)


def _one_named(previous: Plan, target: str) -> None:
    """PlanError when ``target`` lists several different events ("the ball and the drum")."""
    parts = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", target) if p.strip()]
    if len(parts) > 1:
        found = set()
        for part in parts:
            try:
                found.add(_match(previous, part))
            except PlanError:
                break
        else:
            if len(found) > 1:
                names = "; ".join(previous.events[i].caption for i in sorted(found))
                raise PlanError(f"{target!r} names {len(found)} sounds ({names}); edit one per turn")


MIN_PIECE_S = 0.25  # a piece of a sound left shorter than this by a removed span goes too: it would be a click


# Words of time, of a part, of another sound or of another edit left in an edit's target ("the rain for 2 s",
# "the end of the rain", "the rain once the dog barks", "the rain except", "the rain quieter for the"): a part or
# a time the rules planner cannot read, not a way to name the sound (unless the sound's own caption says them).
_WHEN_IN_TARGET = re.compile(
    r"\b(?:at|for|from|between|after|before|until|till|during|in|over|up\s+to)\s+(?:the\s+)?(?:very\s+)?"
    r"(?:first|last|final|end|start|beginning|middle|half|\d|a\s+(?:second|moment|bit|while)|second\b"
    r"|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"|\b(?:end|start|beginning|middle|rest|tail|half|part|first\s+part|last\s+part)\s+of\b"
    r"|\b(?:first|last|final)\s+\d|\b(?:while|whilst|whenever|when|since|until|till|where|as\s+soon\s+as|as\s+long\s+as"
    r"|by\s+the\s+time|once\s+(?:the|a|an|it|they)|as\s+(?:the|a|an|it|they)|right\s+after)\b"
    r"|\b(?:except|apart\s+from|other\s+than|but\s+not|besides|save\s+for|near|toward|towards|halfway|partway"
    r"|later|early\s+on|from\s+now\s+on)\b"
    r"|\b(?:louder|quieter|softer|fade|fades|stop|stops|longer|shorter|earlier|sooner)\b"
    r"|\b(?:for|in|over|during|the|at|from)\s*$", re.I)


def _check_target(previous: Plan, target: str, instruction: str, kind: str) -> None:
    """PlanError for a target with words of time, of a part or of another edit beyond a time that
    picks an event ("the ball at 6 s"), unless a caption of the plan holds those words."""
    at = _AT.match(target.strip())
    named = at["a"] if at else target
    captions = " | ".join(" ".join(e.caption.lower().split()) for e in previous.events)
    said = [m[0] for m in _WHEN_IN_TARGET.finditer(named) if " ".join(m[0].lower().split()) not in captions]
    if kind == "gain" and _LEVEL_WORDS.search(named):  # "lower the rain by 3 dB after 5 s": the amount unread
        raise PlanError(f"{instruction.strip()!r}: say the change of level last and alone ('lower X by 3 dB', "
                        "'make X 50% quieter'); it applies to the whole sound")
    if said or _STRAY_TIME.search(named) and not _STRAY_TIME.search(captions):
        how = ("; to take a sound out of part of the bed: remove X from A to B s, before T s, after T s or for the "
               "first/last N s" if kind.startswith("remove") else "")
        raise PlanError(f"{instruction.strip()!r}: the rules planner cannot read which part or time of the sound "
                        f"it means{how}; it names a sound by its words, a time ('the ball at 6 s') or an order "
                        f"('the second ball')")


def _removed_span(m: re.Match, instruction: str, duration_s: float) -> tuple[float, float]:
    """(start, end) in seconds of the span that "remove X from A to B s", "after T s", "before T s",
    "for the first/last N s" takes out, cut to the timeline; PlanError when it is none."""
    nums = _numbers(m)
    if any(n < 0 for n in nums):
        raise PlanError(f"{instruction.strip()!r}: a time is from 0 s on")
    if m["edge"]:
        start, end = (0.0, nums[0]) if m["edge"].lower() == "first" else (duration_s - nums[0], duration_s)
    elif len(nums) == 2:
        start, end = nums
    else:
        start, end = (nums[0], duration_s) if m["after"] else (0.0, nums[0])
    if end < start:
        raise PlanError(f"{instruction.strip()!r}: {end:g} s is not after {start:g} s")
    if end - start < MIN_LENGTH_S:
        raise PlanError(f"{instruction.strip()!r}: a span to take out lasts at least {MIN_LENGTH_S:g} s")
    start, end = max(0.0, start), min(duration_s, end)
    if end - start < MIN_LENGTH_S:
        raise PlanError(f"{instruction.strip()!r}: that span is off the {duration_s:g} s timeline")
    return start, end


def _playing_in(previous: Plan, target: str, start: float, end: float) -> list[int]:
    """The events ``target`` names that play between ``start`` and ``end`` s: every one of the best
    matches that does ("remove the dog barks after 6 s"), or the one an order or a time names ("the
    second ball", "the ball at 6 s"); PlanError when none plays then, or when matches of different
    captions do and none is named exactly."""
    target = target.strip()
    every = _EVERY_ONE.match(target)
    if not every:
        _one_named(previous, target)
    if not every and (_ORDINAL.match(target) or _AT.match(target)):  # "the second ball", "the ball at 6 s"
        found = [_match(previous, target)]
    elif every and re.fullmatch(r"(?:the\s+)?(?:sounds|events)", every["a"].strip(), re.I):  # "everything": the bed
        found = list(range(len(previous.events)))
    else:
        scores = _scores(previous, every["a"] if every else target, target)
        found = [i for i, score in enumerate(scores) if score == max(scores)]
    playing = [i for i in found if previous.events[i].start_s < end and previous.events[i].end_s > start]
    if not playing:
        which = "; ".join(f"{previous.events[i].caption} at {previous.events[i].start_s:g}-{previous.events[i].end_s:g} s"
                          for i in found)
        raise PlanError(f"nothing that matches {target!r} plays from {start:g} to {end:g} s ({which})")
    captions = {previous.events[i].caption for i in playing}
    if len(captions) > 1 and not every:
        exact = [i for i in playing if _stems(previous.events[i].caption) == _stems(target)]  # "the rain", not "rain on a roof"
        if not exact:
            raise PlanError(f"{target!r} matches {len(captions)} sounds that play then ({'; '.join(sorted(captions))}); "
                            "name one by more of its words, or all of them with 'all' before it")
        playing = exact
    return playing


def _without_span(event: dict, start: float, end: float) -> list[dict]:
    """``event`` (a plan event dict) with ``start`` to ``end`` s taken out: muted there, its take
    and the rest of it kept as they were ([the event]), or gone ([]) when it is a one-shot that
    begins inside the span (not a background or a repeated sound) or when less than MIN_PIECE_S
    of it would still be heard."""
    begin, stop = event["start_time"], event["end_time"]
    mute: list[tuple[float, float]] = []
    for a, b in merged_spans([*event["mute"], (max(start, begin), min(end, stop))]):
        if mute and a - mute[-1][1] < MIN_PIECE_S:  # what would be heard between them for less: muted too
            mute[-1] = (mute[-1][0], b)
        else:
            mute.append((a, b))
    if mute[0][0] - begin < MIN_PIECE_S:  # and so at an edge
        mute[0] = (begin, mute[0][1])
    if stop - mute[-1][1] < MIN_PIECE_S:
        mute[-1] = (mute[-1][0], stop)
    mute = tuple(mute)
    one_shot = not event["fill"] and not is_background(event["caption"])
    if one_shot and start <= begin or heard_s(begin, stop, mute) < MIN_PIECE_S:
        return []
    return [{**event, "mute": mute}]


def _moved(mute: tuple[tuple[float, float], ...], step: float) -> tuple[tuple[float, float], ...]:
    """An event's muted spans moved with it by ``step`` seconds (the plan cuts them to its span)."""
    return tuple((a + step, b + step) for a, b in mute)


_SHIFT_SAID = re.compile(rf"^(?:(?:push|move|shift)\s+(?P<a>.+?)\s+(?P<dir>back)|(?:pull|move|shift|bring)\s+(?P<b>.+?)\s+"
                         rf"(?:forwards?|ahead))(?:\s+(?:by\s+)?(?P<n>{_DECIMAL}\s*{_UNIT_S}|an?\s+second|{_A_BIT}))?$",
                         re.I)  # not "bring the rain back", "move the dog back to 2 s"


_ITS_STOP = re.compile(r"(?:stops?|ends?|finish(?:es)?|fades?\s+out|cuts?\s+(?:off|out)|dies?(?:\s+(?:out|off|down|away))?)$",
                       re.I)
_ITS_START = re.compile(r"(?:starts?|begins?|comes?\s+in|kicks?\s+in|fades?\s+in)$", re.I)


def _said_of_bed(previous: Plan, text: str) -> str:
    """An edit said as what a sound of ``previous`` does, as the edit patterns read it: "the typing
    stops at 5 s" is "make the typing stop at 5 s" ("start", "come in", "the dog stops barking"
    too), "the phone rings at 2 s" is "move the phone to 2 s" when "rings" is a word of that
    sound's caption, or the sound is a one-shot named by its noun alone ("the horn honks" on "a car
    horn"; not "the rain pauses"); that word also picks one of several sounds the name matches.
    Read on a session only, of a sound of the bed: in a description these say a sound, and another
    verb ("the door opens at 1 s" on a door slam) says another sound."""
    m = re.match(rf"^(?P<a>(?:the|that|this|these|those)\s+.+?)\s+(?P<v>[a-z]+(?:\s+(?:in|off|out|down|away))?)"
                 rf"(?:\s+(?P<ing>[a-z]+ing))?\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?|\d+:[0-5]\d(?:\.\d+)?)$", text, re.I)
    if not m or _is_edit(text):
        return text
    level = re.match(r"^(?P<a>.+?)\s+(?:(?:gets?|grows?|becomes?|goes|go|turns?)\s+(?:much\s+|a\s+(?:bit|little)\s+)?"
                     r"(?P<d>louder|quieter|softer|heavier|stronger|harder|lighter|weaker|loud|quiet|soft|heavy|strong)"
                     r"|(?P<up>picks?\s+up|swells?|builds?|intensif(?:ies|y))|(?P<down>eases?\s+(?:off|up)))\s+at\s",
                     text, re.I)
    named = _stems(level["a"] if level else m["a"]) - _ORDINAL_STEMS - {"this", "that", "these", "those"}
    sounds = [e.caption for e in previous.events if named and named <= _stems(e.caption)]
    if not sounds:  # no sound of the bed: a sound to add, as the refusal of a description says
        return text
    if level:  # "the rain gets louder at 5 s"
        louder = bool(level["up"]) or bool(level["d"]) and level["d"].lower() in (
            "louder", "heavier", "stronger", "harder", "loud", "heavy", "strong")
        raise PlanError(f"{text!r}: a change of level applies to the whole sound ('make {level['a']} "
                        f"{'louder' if louder else 'quieter'}'); "
                        "a level that changes within a sound is not read")
    # its own word picks one of several the name matches: "the dog howls" of dogs barking and a dog howling
    picked = {c for c in sounds if _stems(m["ing"] or m["v"]) <= _stems(c)}
    target = f"the {_ARTICLE.sub('', next(iter(picked)))}" if len(set(sounds)) > 1 and len(picked) == 1 else m["a"]
    if picked and not m["ing"]:  # its own word ("the bus stops at 4 s" of "a bus stops"): moved there
        return f"move {target} to {m['t']}"
    if _ITS_STOP.fullmatch(m["v"]):
        return f"make {target} stop at {m['t']}"
    if _ITS_START.fullmatch(m["v"]):
        return f"make {target} start at {m['t']}"
    verb = _stems(m["v"])
    if not m["ing"] and any(verb <= _stems(c) or _subject(c) is None and not is_background(c)
                            and _stems(c.split()[-1]) <= named for c in sounds):
        return f"move {target} to {m['t']}"  # its own sound, elsewhere: its verb, or any for a sound named by a noun
    return text


def _edit_said(text: str) -> str:
    """An edit said in an editor's words as the edit patterns read it: "lose X" (or "kill",
    "silence") is "remove X", "pull X down 3 dB" is "bring X down 3 dB", "push X back a second"
    is "move X later by 1 s" ("pull X forward": earlier), "bring X in at T s" is "make X come in
    at T s"."""
    text = re.sub(r"^(?:(?:can|could|would|will)\s+you\s+|i(?:'d|\s+would)\s+like\s+(?:you\s+)?to\s+|let'?s\s+)"
                  r"(?:please\s+)?", "", text, flags=re.I)  # "can you make the rain a bit louder?"
    # "make the door slam at 1 s", "the phone should ring at 2 s": it is moved there (a start or a stop is its own edit)
    text = re.sub(rf"^(?!.*\b(?:start|stop|end|finish|begin|fade|come|cut|die|go|play|sound|louder|quieter|softer|longer|shorter"
                  rf"|faster|slower|earlier|later|quiet|loud|silent)s?\b)"
                  rf"(?:(?:make|have|let)\s+(?P<a>(?:the|that|this)\s+.+?)|(?P<b>(?:the|that|this)\s+.+?)\s+should)"
                  rf"\s+[a-z]+\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",
                  lambda m: f"move {m['a'] or m['b']} to {m['t']}", text, flags=re.I)
    # "cut the rain (off) at 6 s", "fade the rain out at 6 s": it stops there (not: remove the rain playing at 6 s)
    text = re.sub(r"^(?:cut|kill|drop|lose|fade|end|stop)\s+(?P<a>.+?)(?:\s+(?:off|out))?\s+(?:at|by)\s+(?P<t>[\d.]+\s*"
                  r"(?:s|secs?|seconds?|ms)?)$", r"make \g<a> stop at \g<t>", text, flags=re.I)
    text = re.sub(r"^start\s+(?P<a>.+?)\s+at\s+", r"make \g<a> start at ", text, flags=re.I)  # as "make X start at"
    # "the rain should start at 2 s": as "make X start (stop) at"
    text = re.sub(rf"^(?P<a>(?:the|that|this)\s+.+?)\s+should\s+(?:(?P<end>stop|end|finish|fade\s+out|"
                  rf"cut\s+(?:off|out))|start|begin|come\s+in)\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",
                  lambda m: f"make {m['a']} {'stop' if m['end'] else 'start'} at {m['t']}", text, flags=re.I)
    # "shift the door by 1 s" (later, as a positive offset in an editor), "... by -1 s" (earlier)
    text = re.sub(rf"^(?P<v>move|shift|nudge|offset)\s+(?P<a>.+?)(?<!later)(?<!earlier)(?<!sooner)(?<!back)(?<!forward)"
                  rf"(?<!forwards)(?<!ahead)\s+by\s+(?P<sign>[-+\u2212]?)\s*(?P<n>{_DECIMAL}\s*{_UNIT_S})$",
                  lambda m: f"move {m['a']} {'earlier' if m['sign'] in ('-', chr(0x2212)) else 'later'} by {m['n']}",
                  text, flags=re.I)
    # its end, not the whole sound: "make the wind end 1 s earlier" is "make the wind shorter by 1 s"
    text = re.sub(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:end|stop|finish)\s+(?:(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+)?"
                  rf"(?P<dir>earlier|sooner|later)(?:\s+by\s+(?P<by>{_DECIMAL}\s*{_UNIT_S}))?$",
                  lambda m: f"make {m['a']} {'longer' if m['dir'].lower() == 'later' else 'shorter'} by "
                            f"{m['n'] or m['by'] or '1 s'}", text, flags=re.I)
    # "let the rain last until 7 s", "the rain should go on until 8 s", "extend the rain to 8 s": it stops then
    text = re.sub(rf"^(?:(?:make|have|let)\s+)?(?P<a>.+?)\s+(?:should\s+)?(?:lasts?|go(?:es)?\s+on|continues?|keeps?\s+going)"
                  rf"\s+(?:until|till|to)\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$", r"make \g<a> stop at \g<t>", text, flags=re.I)
    text = re.sub(rf"^extend\s+(?P<a>.+?)\s+(?:to|until)\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$", r"make \g<a> stop at \g<t>", text,
                  flags=re.I)
    text = re.sub(rf"^(?P<v>extend|lengthen|trim|shorten)\s+(?P<a>.+?)(?:\s+by\s+(?P<n>{_DECIMAL}\s*{_UNIT_S}))?$",
                  lambda m: f"make {m['a']} {'longer' if m['v'].lower() in ('extend', 'lengthen') else 'shorter'}"
                            f"{' by ' + m['n'] if m['n'] else ''}", text, flags=re.I)
    # "make the whistle 2 s long", "make the phone ring for 3 s": that long
    text = re.sub(rf"^(?:make|have|let)\s+(?P<a>(?:the|that|this)\s+.+?)\s+(?:(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+long"
                  rf"|(?![a-z]+\s+for\s+the\b)[a-z]+\s+for\s+(?P<f>{_DECIMAL}\s*{_UNIT_S}))$",
                  lambda m: f"make {m['a']} last {m['n'] or m['f']}", text, flags=re.I)
    text = re.sub(r"^delay\s+(?P<a>.+?)\s+by\s+", r"move \g<a> later by ", text, flags=re.I)
    text = re.sub(r"^use\s+(?P<b>.+?)\s+instead\s+of\s+(?P<a>.+)$", r"replace \g<a> with \g<b>", text, flags=re.I)
    text = re.sub(r"^(?P<a>.+?)(?:\s+is|\s+are|'s)\s+(?:much\s+|way\s+|(?P<bit>a\s+(?:bit|little|touch)\s+|slightly\s+))?"
                  r"too\s+(?P<d>loud|quiet|soft)$",
                  lambda m: f"make {m['a']} {'a bit ' if m['bit'] else ''}{'quieter' if m['d'].lower() == 'loud' else 'louder'}",
                  text, flags=re.I)
    text = re.sub(r"^(?P<d>less|more)\s+(?P<a>.+)$",
                  lambda m: f"make the {_ARTICLE.sub('', m['a'])} {'quieter' if m['d'].lower() == 'less' else 'louder'}",
                  text, flags=re.I)  # "less rain", "more thunder": its level
    text = re.sub(r"^(?:lose|kill|silence)\s+|^no\s+(?=[^,;.]+$)", "remove ", text, flags=re.I)  # "no thunder": remove it
    text = re.sub(r"^add\s+(?:some\s+)?more\s+", "add ", text, flags=re.I)  # "add more thunder": another thunder
    text = re.sub(r"^(?P<a>[^,;]+?)\s+at\s+(?P<t>[\d.]+\s*(?:s|secs?|seconds?)?)\s+instead$", r"move \g<a> to \g<t>", text,
                  flags=re.I)  # "thunder at 1 s instead"
    text = re.sub(r"\b(?:everything|all\s+of\s+it|the\s+whole\s+(?:bed|mix))\b", "all the sounds", text, flags=re.I)
    if not re.match(r"(?:make|turn|bring|move|put|add|remove|replace|swap|change|try|another|give|drop|cut|lower|raise|"
                    r"boost|reduce|nudge|push|pull)\b", text, re.I):  # "rain louder": make the rain louder
        text = re.sub(r"^(?P<a>[^,;:.\d]+?)\s+(?P<dir>(?:a\s+(?:bit|little)\s+)?(?:louder|quieter|softer)(?:\s+by\s+.+)?)$",
                      r"make \g<a> \g<dir>", text, flags=re.I)  # "rain louder", "thunder louder by 3 dB"
    text = re.sub(r"^(?:pull|push)\s+(?=.+\s(?:up|down)\b)", "bring ", text, flags=re.I)
    text = re.sub(r"^bring\s+(.+?)\s+in\s+at\s+", r"make \1 come in at ", text, flags=re.I)
    if m := _SHIFT_SAID.match(text):
        n = re.sub(r"^an?\s+second$", "1 s", m["n"] or "", flags=re.I)
        small = re.fullmatch(_A_BIT, n, re.I)
        text = (f"move {m['a'] or m['b']} {n + ' ' if small else ''}{'later' if m['dir'] else 'earlier'}"
                f"{' by ' + n if n and not small else ''}")
    return text


# "add a cat hisses 1 s after the door", "make the phone ring right after the door", "... 1 s before the
# door": a time said from a sound of the bed
_AFTER_EVENT = re.compile(rf"\s+(?:(?P<to>to)\s+|at\s+)?(?:(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?P<dir>after|before)|{_SOON}\s+after"
                          r"|(?P<when>when|as\s+soon\s+as|just\s+as|as|after|(?P<before>before))"
                          r")\s+(?P<y>(?:the|that|this)\s+[^,;]+?)$", re.I)
# "when the rain stops", "1 s after the rain ends": from the end of that sound; "when the knocking starts": its start
_ITS_END = re.compile(r"\s+(?:(?P<end>stops|ends|finishes|fades\s+out|dies\s+(?:down|away|out)|is\s+over)|starts|begins)$",
                      re.I)


def _edit_seconds(text: str) -> str:
    """``text`` with times in milliseconds or words said in seconds, as edits read them: "500 ms",
    "half a second", "two seconds", "a second after"."""
    text = _half_seconds(text)
    text = re.sub(r"\ba\s+second\s+(?=(?:after|before|later|earlier)\b)|(?<=\bby\s)a\s+second\b", "1 s ", text,
                  flags=re.I)  # "a second after", "by a second"
    text = re.sub(rf"\b({_NUMBER})(?=[-\s]+(?:s|secs?|seconds?|ms|milliseconds?|db|decibels?)\b)",
                  lambda m: str(_COUNTS[m[1].lower()]), text, flags=re.I)
    text = re.sub(r"(?<=\d)\s*decibels?\b", " dB", text, flags=re.I)  # "by 3 decibels"
    return re.sub(r"\b(\d+(?:\.\d+)?)\s*(?:ms|msecs?|milliseconds?)\b", lambda m: f"{float(m[1]) / 1000:g} s", text,
                  flags=re.I)


def _after_event(previous: Plan, text: str) -> str:
    """``text`` with a time said from a sound of ``previous`` (``_AFTER_EVENT``) as "at T s": N s
    after or before its start, with it ("when the door slams"), or, "right after" it, at its end."""
    m = _AFTER_EVENT.search(text)
    if not m:
        return text
    end = _ITS_END.search(m["y"])
    e = previous.events[_target(previous, m["y"][:end.start()] if end else m["y"])]
    after = m["n"] or m["when"].lower() == "after" if m["when"] else True  # "N s after", "after", "right after"
    # when it stops (said so, or "N s after" a sound that lasts its span: a bed, a filled one), else when it starts
    spans = m["n"] and m["dir"].lower() == "after" and (e.fill or is_background(e.caption)) and not end
    said = e.end_s if end and end["end"] or spans else e.start_s  # "1 s after the rain starts": its start
    if m["before"]:  # "before the dog": so that it ends where that starts
        t = max(0.0, said - TIMED_LENGTH_S)
    elif m["n"]:
        t = said + float(m["n"]) * (1 if m["dir"].lower() == "after" else -1)
    else:
        t = said if m["when"] and m["when"].lower() != "after" or end else e.end_s  # "right after": when it is over
    return f"{text[:m.start()]} {'to' if m['to'] else 'at'} {t:g} s"


# "add another one at 8 s", "add one more knock", "add another bark": one more of a sound of the bed
_ANOTHER = re.compile(r"^add\s+(?:another|one\s+more)(?:\s+(?P<x>(?!(?:at|from|for|between)\b)[a-z][^\d]*?))?"
                      r"(?P<t>\s+(?:at|from|for|between|\d)\b.*)?$", re.I)


def _another(previous: Plan, text: str) -> str:
    """``text`` with one more of a sound of ``previous`` (``_ANOTHER``) said by that sound's caption:
    "add another knock at 8 s" on a bed of "a door knocks" adds a door knock, with no time said
    where the last of them ends. "another one" names the bed's one sound that is no background;
    PlanError when there are several to choose from."""
    m = _ANOTHER.match(text)
    if not m:
        return text
    sounds = list(dict.fromkeys(e.caption for e in previous.events if not is_background(e.caption)))
    if m["x"] and m["x"].strip().lower() != "one":
        scores = [len(_stems(m["x"]) & _stems(c)) for c in sounds]
        best = max(scores, default=0)
        named = [c for c, score in zip(sounds, scores) if score == best and best]
        noun = _ARTICLE.sub("", m["x"])
        caption = named[0] if len(named) == 1 else f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
    elif len(sounds) == 1:
        caption = sounds[0]
    else:
        thing = _ARTICLE.sub("", _subject(sounds[-1]) or sounds[-1]) if sounds else "bell"
        raise PlanError(f"{text.strip()!r}: which sound? say it, e.g. 'add another {thing}{m['t'] or ' at 2 s'}'")
    ends = [e.end_s for e in previous.events if e.caption == caption]
    if m["t"] or not ends:
        return f"add {caption}{m['t'] or ''}"
    if max(ends) > previous.duration_s - MIN_LENGTH_S:  # with no time: after the last of it
        raise PlanError(f"{text.strip()!r}: the last {caption!r} plays to the end of the bed; say when, e.g. "
                        f"'{text.strip()} at 2 s'")
    return f"add {caption} at {max(ends):g} s"


def rules_edit(previous: Plan, instruction: str) -> Plan:
    """Apply one simple edit to ``previous``; events that do not change keep their seed."""
    text = _edit_said(_said_of_bed(previous, _after_event(previous, _another(previous, _edit_seconds(
        re.sub(r"^please\s+|,?\s+please$", "", _clean(instruction), flags=re.I))))))
    if _LEVEL_SPAN.match(text):  # before "after 5 s" reads "at 5 s", a time that picks an event
        raise PlanError(f"{instruction.strip()!r}: a change of level applies to the whole sound; to take it out of part "
                        "of the bed: remove X from A to B s, before T s or after T s")
    text = _clean(in_seconds(_REMOVE_AFTER.sub(r"\g<a> from ", text)))  # else "after 6 s" would read "at 6 s"
    if re.match(r"(?:add|move|put)\s", text, re.I):  # "add a bell at the end" (not "remove the rain at the end")
        text = said_times(_MOVE_TO_PLACE.sub(lambda m: f"{m['a']} {'in' if m['place'].endswith('middle') else 'at'} the "
                                                       f"{m['place']}", text), previous.duration_s)
    if two := _TWO_EDITS.search(text):
        raise PlanError(f"one edit per turn: {_clean(text[:two.start()])!r} and {two['second']!r} are two; "
                        f"give the second on the next turn")
    if _TO_LEVEL.match(text):  # "reduce the rain to 10%" is no change by 10%, nor "turn X down to" a replacement
        raise PlanError(f"{instruction.strip()!r}: give the change, not the level it ends at: 'by 6 dB', '50% quieter'")
    events = [dict(caption=e.caption, start_time=e.start_s, end_time=e.end_s, gain_db=e.gain_db, seed=e.seed, fill=e.fill,
                   period_s=e.period_s, mute=e.mute) for e in previous.events]
    d = previous.duration_s
    for kind, pattern in _EDITS:
        m = pattern.match(text)
        if not m:
            continue
        if kind in ("add", "replace"):
            if kind == "replace" and not _one_sound(m["b"]) and (last := _REPLACE_AT_LAST_WITH.match(text)):
                m = last if _one_sound(last["b"]) else m  # "replace the car with a loud engine with a motorbike"
            if not _one_sound(m["b"]):
                sounds = [_clean(c) for p, _ in _pieces(m["b"]) for c in _together(_clean(p))]
                raise PlanError(f"{'add' if kind == 'add' else 'replace with'} one sound per turn: "
                                f"{', '.join(map(repr, sounds))} are {len(sounds)}")
        nums = _numbers(m)
        if kind in ("shift", "length", "gain", "last") and any(n <= 0 for n in nums):
            raise PlanError(f"{instruction.strip()!r}: the amount must be more than 0")
        fresh = []  # the events this edit makes: other takes than any of the same caption
        if kind == "add":
            events += (fresh := _added(m["b"], d))
        elif kind == "remove_span":  # "remove the rain from 2 to 4 s": what plays then is muted
            _check_target(previous, m["a"], instruction, kind)
            start, end = _removed_span(m, instruction, d)
            for i in sorted(_playing_in(previous, m["a"], start, end), reverse=True):
                events[i:i + 1] = _without_span(events[i], start, end)
        elif kind == "retake_all":  # every event generated from its next seed
            for e, was in zip(events, previous.events):
                e.update(seed=(was.seed_used + 1) % 2**31)
        else:
            _check_target(previous, m["a"], instruction, kind)
            every = _all_matching(previous, m["a"]) if kind in _EVERY_KINDS else None
            for i in sorted(every or [_target(previous, m["a"])], reverse=True):  # from the last: removals keep the rest
                e = events[i]
                if kind == "replace" and _SILENCE.match(_clean(m["b"])):  # replaced with nothing: removed
                    events.pop(i)
                elif kind == "replace":
                    repeat, times = _repeats(_clean(m["b"]))
                    if repeat is not None and repeat["t"] or _TIMED.match(_clean(m["b"])) or _STRAY_TIME.search(m["b"]):
                        raise PlanError(f"{instruction.strip()!r}: a replacement takes the place and span of what it "
                                        f"replaces; give it without a time, or remove one and add the other")
                    caption, share = (repeat["c"] if repeat else _clean(m["b"])), (e["end_time"] - e["start_time"]) / times
                    caption, period = _rhythm(caption, counted=times > 1)
                    fill = period is not None or times == 1 and (is_iterative(caption) or e["fill"] and not is_iterative(e["caption"]))
                    fresh = [{**e, "caption": caption, "seed": None, "start_time": e["start_time"] + k * share,
                              "end_time": e["start_time"] + (k + 1) * share if k + 1 < times else e["end_time"],
                              "fill": fill, "period_s": period if period is not None else e["period_s"] if fill else None}
                             for k in range(times)]  # "with X twice": its span shared; a span filled for X's nature is not Y's
                    events[i:i + 1] = fresh
                elif kind == "retake":  # the same event generated from the next seed
                    e.update(seed=(previous.events[i].seed_used + 1) % 2**31)
                elif kind == "remove":
                    events.pop(i)
                elif kind == "rhythm":  # a sound said once now fills its span at that rhythm
                    e.update(fill=True, period_s=_rhythm(text)[1])
                elif kind == "tempo":
                    if not e["fill"] and is_background(e["caption"]):
                        raise PlanError(f"{e['caption']!r} is a continuous sound, with no strokes to make "
                                        f"{m['dir'].lower()}")
                    if not e["fill"]:
                        raise PlanError(f"{e['caption']!r} plays once; give it a rhythm to repeat at: "
                                        f"'{m['a']} every N s'")
                    period, _ = repeat_period_s(previous.events[i])
                    new = round(period * (TEMPO_STEP if m["dir"].lower() == "slower" else 1 / TEMPO_STEP), 3)
                    if not PERIOD_RANGE_S[0] <= new <= PERIOD_RANGE_S[1]:
                        raise PlanError(f"{e['caption']!r} repeats every {period:g} s; {m['dir'].lower()} would be "
                                        f"{new:g} s, and a rhythm is from {PERIOD_RANGE_S[0]:g} to {PERIOD_RANGE_S[1]:g} s")
                    e.update(period_s=new)
                elif kind == "end_at" or kind == "start_at" and (e["fill"] or is_background(e["caption"])):
                    # a bed or a repeated sound keeps its other edge; a one-shot's length is its take's: it moves
                    start, end = (e["start_time"], nums[0]) if kind == "end_at" else (nums[0], e["end_time"])
                    if end > d + 1e-9:
                        raise PlanError(f"{instruction.strip()!r}: the timeline ends at {d:g} s")
                    if end - start < MIN_LENGTH_S:
                        raise PlanError(f"{instruction.strip()!r}: {e['caption']!r} plays from {e['start_time']:g} to "
                                        f"{e['end_time']:g} s; {'to end' if kind == 'end_at' else 'to start'} at "
                                        f"{nums[0]:g} s, move it (move {m['a']} to T s)")
                    e.update(start_time=start, end_time=end)
                elif kind in ("move_to", "start_at"):  # an event that reaches an edge of the timeline is cut there
                    if nums[0] < 0:
                        raise PlanError(f"{instruction.strip()!r}: a time is from 0 s on (to move it earlier by some "
                                        f"seconds: move {m['a']} N s earlier)")
                    # a background that plays to the end keeps playing to the end from where it is moved
                    bed = is_background(e["caption"]) and e["end_time"] >= d - 1e-3 and nums[0] < e["start_time"]
                    start, end = _on_timeline(e["caption"], nums[0], d if bed else nums[0] + e["end_time"] - e["start_time"],
                                              d, f"moving it to {nums[0]:g} s")
                    e.update(start_time=start, end_time=end, mute=_moved(e["mute"], nums[0] - e["start_time"]))
                elif kind == "shift":
                    small = m["bit"] or m["verb"].lower() == "nudge"  # "nudge X earlier", "make X slightly later"
                    step = (nums[0] if nums else NUDGE_S if small else 1.0) * (1 if m["dir"].lower() == "later" else -1)
                    step = max(step, -e["start_time"])  # earlier than 0 s: at 0 s, its length kept
                    start, end = _on_timeline(e["caption"], e["start_time"] + step, e["end_time"] + step, d,
                                              f"moving it by {step:+g} s")
                    e.update(start_time=start, end_time=end, mute=_moved(e["mute"], step))
                elif kind == "last":  # "make X last 4 s": from its start, held to the timeline
                    if nums[0] < MIN_LENGTH_S:
                        raise PlanError(f"{instruction.strip()!r}: a sound lasts at least {MIN_LENGTH_S:g} s (to take "
                                        f"it out: remove {m['a']})")
                    e.update(end_time=min(d, e["start_time"] + nums[0]))
                elif kind == "length":
                    step = (nums[0] if nums else 1.0) * (1 if m["dir"].lower() == "longer" else -1)
                    span = e["end_time"] - e["start_time"]
                    if span + step < 0.05:
                        raise PlanError(f"{e['caption']!r} lasts {span:g} s; {-step:g} s shorter leaves it no length "
                                        f"(remove it, or make it shorter by less)")
                    if step > 0 and e["end_time"] >= d - 1e-3:
                        raise PlanError(f"{e['caption']!r} already lasts to the end of the {d:g} s timeline")
                    e.update(end_time=min(d, e["end_time"] + step))
                else:
                    said = m.groupdict()  # the direction, or a verb that says it; "a bit" or not
                    louder = (said.get("dir") or said.get("verb")).lower() in ("louder", "up", "twice", "raise", "boost")
                    if nums and _PERCENT.search(m[0]):  # "50% quieter": the amplitude times 0.5
                        if not louder and nums[0] >= 100:
                            raise PlanError(f"{instruction.strip()!r}: {nums[0]:g}% quieter leaves no sound "
                                            f"(remove {m['a']} instead)")
                        step = round(20 * math.log10(1 + (nums[0] if louder else -nums[0]) / 100), 1)
                    else:
                        step = (nums[0] if nums else A_BIT_DB if said.get("bit") else 6.0) * (1 if louder else -1)
                    gain = e["gain_db"] + step
                    if not GAIN_RANGE_DB[0] <= gain <= GAIN_RANGE_DB[1]:
                        raise PlanError(f"{e['caption']!r} is at {e['gain_db']:+g} dB; {step:+g} dB would put it at "
                                        f"{gain:+g} dB, and gains go from {GAIN_RANGE_DB[0]:+g} to {GAIN_RANGE_DB[1]:+g} dB")
                    e.update(gain_db=gain)
        if not events:
            raise PlanError("the edit would leave the plan empty")
        for e in events if kind not in ("remove", "remove_span") else ():  # an edit does not remove a sound
            if e.get("mute") and heard_s(e["start_time"], e["end_time"], e["mute"]) < MIN_LENGTH_S:
                raise PlanError(f"{instruction.strip()!r} would leave {e['caption']!r} muted all along (it is muted "
                                f"{mute_said(e['mute'])}); to take it out: remove it")
        _said_once(fresh)
        for k, new in enumerate(fresh):  # each another take than the events before it (the later new ones have none yet)
            others = [o for o in events if o["caption"] == new["caption"] and all(o is not f for f in fresh[k:])]
            new["seed"] = _new_take(new["caption"], [_take(o["caption"], 0) if o.get("seed") is None else o["seed"]
                                                     for o in others])
        return validate(events, d, previous.max_simultaneous, reach_end=False)  # the edit as given, the rest kept
    examples = ("'make the rain louder', 'move the thunder to 3 s', 'remove the dog', 'add a bell at 5 s', 'replace "
                "the rain with wind' and 'undo' (all of them: foley compose --help")
    said = _AND.sub("", _clean(instruction))
    try:  # "rain", "a dog barks at 5 s" said to a session: a sound, not an edit
        if _EDIT_VERBS.match(text) or len(_pieces(said)) > 1 or not (
                _TIME_TAIL.search(said) or is_background(said) or _subject(said)):  # said as an edit it cannot read
            raise PlanError(instruction)
        rules_layout(said, previous.duration_s)
    except PlanError:
        raise PlanError(f"the rules planner does not understand {instruction.strip()!r}; it reads edits such as "
                        f"{examples}; a new description starts a new bed: give it another --session file)") from None
    meant = _misspelt(said, previous)
    said = re.sub(r"^(?:the|that|this)(?=\s+(?P<x>[a-z]))", lambda m: "an" if m["x"].lower() in "aeiou" else "a", said,
                  flags=re.I)  # "the cow moos at 3 s": no cow yet
    raise PlanError(f"{instruction.strip()!r} reads as a new description, not an edit of this session's bed: "
                    f"{f'did you mean {meant!r}? ' if meant else ''}to add it, "
                    f"'add {said}'; a new description starts a new bed: give it another --session file "
                    f"(edits read here: {examples}))")


def _misspelt(said: str, previous: Plan) -> str | None:
    """``said`` ("the rian stops at 2 s") with the name of the bed's sound it nearly spells in
    place of its own ("the rain stops at 2 s"); None when its name is no near miss of one."""
    m = re.match(r"(?i)(?:the|that|this)\s+(?P<name>[a-z]+(?:\s+[a-z]+)?)", said)
    if not m:
        return None
    known = {w for e in previous.events for w in _words(e.caption)}
    stems = _stems(" ".join(known))
    for w in m["name"].split():  # the first two words after "the" name the sound
        if w.lower() in _STOP or _stems(w) & stems:
            continue
        swapped = [k for k in sorted(known) if sorted(k) == sorted(w.lower())]  # "dgo": letters in another order
        if close := swapped or difflib.get_close_matches(w.lower(), sorted(known), n=1, cutoff=0.75):
            return said[:m.start("name")] + m["name"].replace(w, close[0], 1) + said[m.end("name"):]
    return None


class RulesPlanner:
    name = "rules"

    def __init__(self):
        self.notes: list[str] = []  # what the last plan could not do as said, in a line each
    def plan(self, text: str, duration_s: float, previous: Plan | None = None) -> Plan:
        self.notes = []
        if is_plan_text(text):  # a plan itself, as --plan-only prints it
            plan = _reuse_seeds(pasted_plan(text, duration_s), previous)
            if previous is not None and plan.duration_s != previous.duration_s:
                raise PlanError(f"the plan is {plan.duration_s:g} s long; this session's bed is "
                                f"{previous.duration_s:g} s")
            return plan
        if m := _DIGIT_COMMA.search(text):  # else "at 3,5 s" is two parts, "at 3" and "5 s"
            raise PlanError(_comma_said(m[0]))
        if previous is not None and (m := _UNDO_PART.match(_clean(text))):
            raise PlanError(f"{text.strip()!r}: undo takes back the whole last turn; to take a sound out of the bed: "
                            f"remove {m['a']}")
        if previous is not None:
            return rules_edit(previous, text)
        check_not_an_edit(text)
        return rules_layout(text, duration_s, notes=self.notes)


# ------------------------------------------------------------------- chat planners ---

INSTRUCTIONS = """You plan sound effects for a sound designer. Break the description into short, \
atomic sound events, each one a single sound source, and place them on a timeline of {duration} seconds.
Answer with JSON only: {{"events": [{{"caption": "...", "start_time": seconds, "end_time": seconds}}, ...]}}.
Rules: every time lies between 0 and {duration}; at least one event ends at {duration}; events may \
overlap, but never more than two at the same moment; captions are short and concrete ("a dog barks", \
not "the dog from before"); an event that keeps going or repeats until its end time (footsteps, \
hammering, a clock ticking) adds "fill": true, and "period_s": seconds from one repeat to the next \
when the description gives a rhythm ("every 2 seconds"); an event may have "gain_db" (its loudness change \
in dB, from -40 to 12) and "mute": [[start, end], ...] (times where it is silenced: to take a sound out of part of \
the timeline, add a mute span rather than splitting the event). When you are given the current plan and a change to \
make, return the whole new plan, keeping the events the change does not touch exactly as they were."""

EXAMPLES = [
    ("rain all along, and a clap of thunder early on", 10,
     {"events": [{"caption": "rain falling", "start_time": 0, "end_time": 10},
                 {"caption": "a clap of thunder", "start_time": 2, "end_time": 5}]}),
    ("a basketball is dribbled, goes into the hoop, and the crowd goes wild", 10,
     {"events": [{"caption": "a basketball bouncing", "start_time": 0, "end_time": 7, "fill": True},
                 {"caption": "a ball hits the hoop", "start_time": 5, "end_time": 7},
                 {"caption": "a crowd cheering", "start_time": 7, "end_time": 10}]}),
]


def planner_messages(text: str, duration_s: float, previous: Plan | None) -> list[dict]:
    """Chat messages: instructions, worked examples, then the request."""
    messages = [{"role": "system", "content": INSTRUCTIONS.format(duration=f"{duration_s:g}")}]
    for description, duration, answer in EXAMPLES:
        messages += [{"role": "user", "content": f"Description ({duration} s): {description}"},
                     {"role": "assistant", "content": json.dumps(answer)}]
    if previous is None:
        request = f"Description ({duration_s:g} s): {text}"
    else:
        current = {"events": [{"caption": e.caption, "start_time": e.start_s, "end_time": e.end_s,
                               **({"fill": True} if e.fill else {}),
                               **({"period_s": e.period_s} if e.period_s else {}),
                               **({"gain_db": e.gain_db} if e.gain_db else {}),
                               **({"mute": [list(m) for m in e.mute]} if e.mute else {})} for e in previous.events]}
        request = f"Current plan: {json.dumps(current)}\nChange: {text}"
    return messages + [{"role": "user", "content": request}]


def _reuse_seeds(plan: Plan, previous: Plan | None) -> Plan:
    """Unchanged events keep their seed, so that only changed events are generated again."""
    if previous is None:
        return plan
    seeds = {(e.caption, e.start_s, e.end_s): e.seed for e in previous.events}
    return replace(plan, events=tuple(replace(e, seed=seeds.get((e.caption, e.start_s, e.end_s), e.seed))
                                      for e in plan.events))


class HFChatPlanner:
    """A local chat model (transformers) as the planner."""

    def __init__(self, model: str = "google/gemma-2-2b-it", device: str = "cpu", max_new_tokens: int = 400):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ..models.hub import load_pretrained

        try:
            self.tokenizer = load_pretrained(AutoTokenizer.from_pretrained, model)
            self.model = load_pretrained(AutoModelForCausalLM.from_pretrained, model).to(device).eval()
        except (OSError, ValueError) as e:
            raise PlanError(f"cannot load the planner model {model!r} ({str(e).splitlines()[0]})") from None
        self.name, self.device, self.max_new_tokens = f"hf:{model}", device, max_new_tokens

    def _prompt(self, messages: list[dict]) -> str:
        # Chat templates without a system role (Gemma) get the instructions in the first user turn.
        merged = [{"role": "user", "content": messages[0]["content"] + "\n\n" + messages[1]["content"]}] + messages[2:]
        return self.tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)

    def plan(self, text: str, duration_s: float, previous: Plan | None = None) -> Plan:
        import torch

        prompt = self._prompt(planner_messages(text, duration_s, previous))
        ids = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
        with torch.no_grad():
            out = self.model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False)
        answer = self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
        return _reuse_seeds(parse_plan(answer, duration_s, reach_end=previous is None), previous)


class OpenAIPlanner:
    """Any OpenAI-compatible `/chat/completions` endpoint."""

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 timeout_s: float = 60.0, retries: int = 2, backoff_s: float = 1.0):
        self.base_url = (base_url or os.environ.get("FOLEY_PLANNER_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
                         or "").rstrip("/")
        self.model = model or os.environ.get("FOLEY_PLANNER_MODEL") or "gpt-4o-mini"
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or ""
        if not self.base_url:
            raise PlanError("the openai planner needs a base URL (--planner-url or FOLEY_PLANNER_BASE_URL)")
        try:
            url = urllib.parse.urlsplit(self.base_url)
            url.port  # noqa: B018 -- raises ValueError for a port that is not a number
        except ValueError as e:
            raise PlanError(f"the planner base URL {self.base_url!r} is not a URL ({e})") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise PlanError(f"the planner base URL must be an http(s) URL such as http://localhost:8000/v1, "
                            f"got {self.base_url!r}")
        self.name, self.timeout_s, self.retries, self.backoff_s = f"openai:{self.model}", timeout_s, retries, backoff_s

    def _post(self, payload: dict) -> dict:
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})})
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code} {e.reason}"
                if e.code < 500 and e.code != 429:
                    raise PlanError(f"planner endpoint {self.base_url} refused the request ({last})") from None
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                last = "timed out" if isinstance(getattr(e, "reason", e), TimeoutError) or isinstance(e, TimeoutError) \
                    else str(getattr(e, "reason", e))
                continue
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                raise PlanError(f"planner endpoint {self.base_url} answered with something that is not JSON") from None
        raise PlanError(f"planner endpoint {self.base_url} failed after {self.retries + 1} attempt(s) ({last})")

    def plan(self, text: str, duration_s: float, previous: Plan | None = None) -> Plan:
        reply = self._post({"model": self.model, "temperature": 0, "messages": planner_messages(text, duration_s, previous)})
        try:
            answer = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise PlanError(f"planner endpoint {self.base_url} gave no chat completion in its answer") from None
        return _reuse_seeds(parse_plan(answer, duration_s, reach_end=previous is None), previous)


def get_planner(spec: str, **kwargs) -> Planner:
    """``rules`` | ``hf:MODEL`` | ``openai``."""
    if spec == "rules":
        return RulesPlanner()
    if spec.startswith("hf:") and len(spec) > 3:
        return HFChatPlanner(spec[3:], **{k: v for k, v in kwargs.items() if k in ("device",)})
    if spec == "openai":
        return OpenAIPlanner(**{k: v for k, v in kwargs.items() if k in ("base_url", "model", "api_key", "timeout_s")})
    raise PlanError(f"unknown planner {spec!r}; use rules, hf:MODEL or openai")
