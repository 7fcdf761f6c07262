"""A follow-up edit of a plan: the sound it names, the time or span it says, and the plan it makes: ``rules_edit``."""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import replace

from ..plan import (GAIN_RANGE_DB, MAX_EVENTS, PERIOD_RANGE_S, TEMPO, CrowdedError, Event, Plan, PlanError,
                    _max_overlap, heard_s, listed, merged_spans, mute_said, period_worked_out, playing_at, playing_said,
                    seconds_said, sounds_counted, span_said, validate)
from .description import (_ALLOWED_TO, _AND, _IN_THE_BACKGROUND, _NOT_A_COUNT, _THROUGHOUT, BED_UNDER_DB, _new_take,
                          _on_timeline, _pieces, _repeated, _said_once, _take, _timed_event, _times_said, _together,
                          _untimed, rules_layout)
from .edit_forms import (_A_BIT, _AT_ONCE, _EARLIER, _EDIT_VERBS, _EDITS, _EFFECT_ASKED, _LEVEL_SPAN, _LEVEL_WORDS,
                         _MOVE_TO_PLACE, _NUM, _PERCENT, _REMOVE_AFTER, _MUCH, _SHORT_NOT, _SOME_MORE, _TO_LEVEL,
                         _TWO_EDITS, _TWO_SHORT, _UNITLESS, A_BIT_DB, A_BIT_LONGER_S, MUCH_DB, NUDGE_S, TEMPO_STEP,
                         _edit_said, _is_edit, editor_said, short_edit)
from .times import (_AT_SIGN, _COUNT, _COUNTS, _count, _DASHED, _DECIMAL, _IN_AT, _LASTING, _MANY, _NOT_ONE_TIME,
                    _NUMBER, _OF_IT, _SAID_AT, _SCATTERED, _SOON, _STRAY_TIME, _TIME_TAIL, _TIMED, _TIMED_TAIL, _UNIT_S,
                    _UNTIL, MIN_LENGTH_S, TIMED_LENGTH_S, _counted, _half_seconds, _repeats, _rhythm, _scatter,
                    _scattered, in_seconds, said_times, timed_length_s)
from .words import (_ARTICLE, _ORDINAL_STEMS, _ORDINALS, _SILENCE, _SOUND_VERBS, _STOP, _VERB, _WHERE_WORDS, _alike,
                    _clean, _does, _fills, _learned_spans, _stems, _subject, _words, is_background, is_iterative,
                    repeat_period_s, third_person, until_said, weighted)

AT_TOLERANCE_S = 1.0  # "the ball at 6 s" names a ball that plays within this of 6 s
_AT = re.compile(r"^(?P<a>.+?)\s+(?:at|around)\s+(-?\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)?$", re.I)
# "the second last knock" (second-to-last, next to last, penultimate, last but one, "the last knock but one"): counted
# from the end, not the second knock nor the last
_FROM_LAST = r"(?P<back>(?:second|2nd|next|third|3rd)[\s-]+(?:to[\s-]+)?last|penultimate|last[\s-]+but[\s-]+one)"
_ORDINAL = re.compile(rf"^(?:the\s+)?(?:{_FROM_LAST}|(?P<n>{'|'.join(_ORDINALS)}))\s+(?P<a>.+?)"
                      rf"(?P<but>(?<=\S)\s+but\s+one)?$", re.I)
# "the first two knocks", "the last 3 knocks": several by their order
_FIRST_N = re.compile(rf"^(?:the\s+)?(?P<edge>first|last|final)\s+(?P<n>\d+|{_MANY})\s+(?P<a>.+)$", re.I)


# "whistle 2", "the knock #3", "knock number 3": one of several by its number, as "the second whistle" (a number alone
# after it in a change of level may be its amount: "lower dog 3")
_NUMBERED = re.compile(r"^(?:the\s+)?(?P<a>[a-z][a-z' ]*?)\s+(?P<sign>#\s*|no\.?\s*|number\s+)?(?P<n>[1-8])$", re.I)


def _ordinal_index(ordinal: re.Match) -> int:
    """The index among several of a sound that ``_ORDINAL`` matched: "the second ball" 1, "the last ball" -1, "the
    second last ball" (or "the last ball but one") -2, "the third last ball" -3."""
    if ordinal["back"]:
        return -3 if ordinal["back"].lower().startswith(("third", "3rd")) else -2
    n = _ORDINALS[ordinal["n"].lower()]
    return -2 if ordinal["but"] and n == -1 else n


# A sound named by a pronoun ("make it louder", "remove that", "move them 1 s later"): the bed's one sound
_PRONOUN = re.compile(r"^(?:it|that|this|them|those|these|(?:that|this|the)\s+(?:one|sound))$", re.I)


# "her", "him" name a person's sound: "her" one of these, "him" one of those, either one of the others
_PERSONS = {"her": r"woman|women|girl|lady|she|mother|grandmother", "him": r"man|men|boy|guy|he|father|grandfather"}
_PERSON_PRONOUN = re.compile(r"^(?P<p>her|him|she|he)$", re.I)


def _person_scores(previous: Plan, pronoun: str, target: str) -> list[int]:
    """Which events ``pronoun`` ("her", "him") names: the person's sound the session's last turn edited, else the bed's
    one sound of a person it says ("a woman screams" for "her"), else of one it may be ("someone coughs"); PlanError
    naming them when it may be several or none."""
    said = "her" if pronoun.lower() in ("her", "she") else "him"
    person = re.compile(rf"\b(?:{_PERSONS[said]}|person|people|someone|somebody|child|kid|baby)\b", re.I)
    edited = {e.caption for e in previous.events if e.edited}
    if len(edited) == 1 and person.search(next(iter(edited))):
        return [int(e.edited) for e in previous.events]
    for who in (rf"\b(?:{_PERSONS[said]})\b", person.pattern):  # "a man coughs" before "someone knocks"
        people = {e.caption for e in previous.events if re.search(who, e.caption, re.I)}
        if len(people) == 1:
            return [int(e.caption in people) for e in previous.events]
        if people:
            break
    raise PlanError(f"{target.strip()!r} does not say which sound of the bed it means; name it by its words (the "
                    f"sounds are: {_captions_said(previous)})")


def _compound_scores(previous: Plan, words: str) -> list[int]:
    """How many words of ``words`` each event's caption says as the end of a longer word ("fire" of "a campfire
    crackling")."""
    return [sum(any(w.endswith(said) and w != said for w in _words(e.caption)) for said in _words(words)
                if len(said) >= 4) for e in previous.events]


def _scores(previous: Plan, words: str, target: str) -> list[int]:
    """How many word stems each event's caption shares with ``words``, or when none shares one,
    with the words that name the same sound (``_alike``: "the shot" of "a gun fires"), or the end of one of its words
    ("the fire" of "a campfire crackling"); PlanError
    naming the events when none does either (``target``: the words as the edit gave them). A
    pronoun ("it", "them", ``_PRONOUN``) names the sound a session's last turn edited (``Event.edited``), else the
    bed's one sound, and is refused when it has several; "her" or "him" a person's sound (``_person_scores``)."""
    if pronoun := _PERSON_PRONOUN.match(words.strip()):
        return _person_scores(previous, pronoun["p"], target)
    if _PRONOUN.match(words.strip()):
        captions = list(dict.fromkeys(e.caption for e in previous.events))
        if len({e.caption for e in previous.events if e.edited}) == 1:  # the sound the last turn edited
            return [int(e.edited) for e in previous.events]
        if len(captions) > 1:
            raise PlanError(f"{target.strip()!r} does not say which sound of the bed it means; name it by its words "
                            f"(the sounds are: {'; '.join(captions)})")
        return [1] * len(previous.events)
    want = _stems(words)
    scores = [len(want & _stems(e.caption)) for e in previous.events]
    if max(scores, default=0) == 0:
        scores = [len(_alike(want) & _stems(e.caption)) for e in previous.events]
    if max(scores, default=0) == 0:
        scores = _compound_scores(previous, words)
    if max(scores, default=0) == 0:
        known = sorted({w for e in previous.events for w in _words(e.caption)})
        close = [m for w in sorted(_words(words)) for m in difflib.get_close_matches(w, known, n=1, cutoff=0.66)]
        guess = f" (did you mean {' '.join(close)!r}?)" if close else ""
        raise PlanError(f"no event matches {target!r}{guess}; the events are: "
                        f"{_captions_said(previous)}")
    return scores


def _singular(noun: str) -> str:
    """One of a plural noun said in an edit: "knocks" -> "knock", "punches" -> "punch", "glass" kept."""
    return re.sub(r"(?:(?<=sh)|(?<=ch)|(?<=ss)|(?<=x))es$|(?<!s)s$", "", noun)


def _captions_said(plan: Plan) -> str:
    """The captions of ``plan``'s events, each once, in time order, with how many takes it has where
    several: "a gunshot (3 takes); rain"."""
    counts = {}
    for e in plan.events:
        counts[e.caption] = counts.get(e.caption, 0) + 1
    return "; ".join(f"{c} ({n} takes)" if n > 1 else c for c, n in counts.items())


def _laid_again(e: Event) -> bool:
    """``e`` is laid again and again over its span, stroke after stroke (not rain, a continuous sound, filling it)."""
    return e.fill and not (is_background(e.caption) and not is_iterative(e.caption))


def _beats_said(e: Event, target: str, noun: str, first: int = 0, last: int = 0) -> str:
    """Why ``target`` ("the last hit", "the first two steps") names no sound of the bed: ``e``, the one sound it names,
    is laid again and again over its span, and an edit takes all of it; with the rhythm the plan gives, the start (or
    the stop) that leaves out its ``first`` (or ``last``) beats."""
    x = f"the {_ARTICLE.sub('', noun.strip())}"
    said = (f"{target.strip()!r}: {e.caption!r} is one sound laid again and again from {seconds_said(e.start_s)} to "
            f"{seconds_said(e.end_s)} s, and an edit takes all of it ('{x}')")
    # its beats, one a period from its start: those that start more than MIN_LENGTH_S before its end
    beats = ([e.start_s + k * e.period_s for k in range(math.ceil((e.length_s - MIN_LENGTH_S) / e.period_s))]
             if e.period_s else [])
    n = first or last
    which = f"its {'first' if first else 'last'} {'beat' if n == 1 else f'{n} beats'}"
    if first and first < len(beats):
        return f"{said}; to leave out {which}: 'make {x} start at {seconds_said(beats[first])} s'"
    if last and last < len(beats):
        return f"{said}; to leave out {which}: 'make {x} stop at {seconds_said(beats[-last])} s'"
    return f"{said}; to take part of it out: 'remove {x} from A to B s'"


def _head(caption: str) -> str:
    """The last word of ``caption``'s subject, the thing its sound is of ("train" of "a train arrives"), or "" when it
    has none ("a train station ambience": "train" only says which ambience)."""
    thing = _subject(caption)
    return thing.split()[-1] if thing else ""


def _match(previous: Plan, target: str) -> int:
    """Index of the event whose caption shares most words with ``target``. Several equally
    good: ``target`` says which by a time ("the ball at 6 s": the one playing then, else the
    nearest start) or an order ("the second ball", "the last ball"), or it is all one's words ("the rain" of "rain") or
    one's subject (``_head``: "the train" of "a train arrives", not of "a train station ambience"), else PlanError
    naming them."""
    target = target.strip()
    if _FIRST_N.match(target):  # "the first two knocks" said of an edit of one event (move, ...)
        noun = _FIRST_N.match(target)["a"]
        raise PlanError(f"{target!r} names several sounds, and this edit takes one: say which, e.g. 'the second "
                        f"{noun[:-1] if noun.endswith('s') and not noun.endswith('ss') else noun}'")
    if _ALL_BUT.match(target):  # "everything but the rain" said of an edit of one event (move, ...)
        raise PlanError(f"{target!r} names several sounds, and this edit takes one: name it; all but some can be "
                        f"{_EVERY_SAID}")
    if ((numbered := _NUMBERED.match(target)) and _in_bed(previous, numbered["a"])
            and not any(numbered["n"] in e.caption.split() for e in previous.events)):
        n = int(numbered["n"])
        target = f"the {n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n, 'th')} {numbered['a']}"
    at = _AT.match(target)
    ordinal = None if at else _ORDINAL.match(target)
    words = at["a"] if at else ordinal["a"] if ordinal else target
    if ordinal and re.fullmatch(r"(?:one|sound|event)", words.strip(), re.I):  # "the last one": of the whole bed
        n, count = _ordinal_index(ordinal), len(previous.events)
        if n >= count or -n > count:
            raise PlanError(f"{target!r}: the bed has {count} sound{'s' if count > 1 else ''}")
        edited = [i for i, e in enumerate(previous.events) if e.edited]
        if (words.strip().lower() == "one" and 1 < len(edited) < count and -len(edited) <= n < len(edited)
                and edited[n] != n % count):  # "the second one" after "make the knocks louder": which?
            a, b = previous.events[edited[n]], previous.events[n % count]
            raise PlanError(f"{target!r}: of the sounds the last turn edited, {a.caption!r} at "
                            f"{seconds_said(a.start_s)} s, or of the whole bed, {b.caption!r} at "
                            f"{seconds_said(b.start_s)} s? say which by its time: 'the one at "
                            f"{seconds_said(a.start_s)} s' or 'the one at {seconds_said(b.start_s)} s'")
        return n % len(previous.events)
    # "the sound at 2 s", "the one at 2 s": whichever sound plays then
    scores = [1] * len(previous.events) if at and _PRONOUN.match(words.strip()) else _scores(previous, words, target)
    best = max(scores)
    tied = [i for i, score in enumerate(scores) if score == best]  # in time order, as a plan's events are
    if at:
        t = float(at.group(2))
        near = [i for i in tied
                if previous.events[i].start_s - AT_TOLERANCE_S <= t < previous.events[i].end_s + AT_TOLERANCE_S]
        if not near:
            which = "; ".join(f"{previous.events[i].caption} at {span_said(previous.events[i])}" for i in tied)
            raise PlanError(f"nothing that matches {at['a'].strip()!r} plays at {t:g} s ({which})")
        one = previous.events[near[0]]
        if len(tied) == 1 and one.start_s + AT_TOLERANCE_S < t < one.end_s:  # a time within the one sound: a part of it
            raise PlanError(f"{target!r}: {one.caption!r} plays from {seconds_said(one.start_s)} to "
                            f"{seconds_said(one.end_s)} s, so {t:g} s is a time within it, not which sound; an edit "
                            f"takes the whole sound (to stop it there: make {at['a'].strip()} stop at {t:g} s; to "
                            f"take it out from then: remove {at['a'].strip()} after {t:g} s)")
        return min(near, key=lambda i: (not previous.events[i].start_s <= t < previous.events[i].end_s,
                                        abs(previous.events[i].start_s - t)))
    if ordinal:
        n = _ordinal_index(ordinal)
        if len(tied) == 1 and _laid_again(previous.events[tied[0]]):  # "the last hit" of one sound laid again and again
            raise PlanError(_beats_said(previous.events[tied[0]], target, words, first=int(n == 0), last=int(n == -1)))
        if n >= len(tied) or -n > len(tied):
            raise PlanError(f"{target!r}: there "
                            + ("is 1 such event" if len(tied) == 1 else f"are {len(tied)} such events"))
        return tied[n]
    exact = [i for i in tied if _stems(previous.events[i].caption) == _stems(words)]
    if len(tied) > 1 and len(exact) == 1:  # "the rain" is "rain", not "rain on a tin roof"
        return exact[0]
    heads = [i for i in tied if _stems(_head(previous.events[i].caption)) & _stems(words)]
    if len(tied) > 1 and len(heads) == 1:  # "the train" is "a train arrives", not "a train station ambience"
        return heads[0]
    if len(tied) > 1:
        which = "; ".join(f"{previous.events[i].caption} at {seconds_said(previous.events[i].start_s)} s" for i in tied)
        if _PRONOUN.match(target):  # the bed's one sound, several times
            raise PlanError(f"{target!r} is {len(tied)} events ({which}), and this edit takes one: say which, e.g. "
                            f"'the second one' or 'the last one'")
        noun = re.sub(r"^(?:(?:the|a|an|all|both|every|each)\s+)+", "", target, flags=re.I)
        last = noun.split()[-1] if noun.split() else noun
        caption = previous.events[tied[0]].caption  # "the dog barks": the caption's verb, no plural
        verb = last.lower().endswith("s") and last.lower() in _words(caption) - _words(_subject(caption) or "")
        one = noun if verb else _singular(noun)  # "the second knock", "... punch"
        many = (noun if one != noun or verb or last.endswith("ing")  # "all the barking"
                else f"{noun}es" if re.search(r"(?:s|sh|ch|x)$", noun) else f"{noun}s")
        example = f"'the {one} at {seconds_said(previous.events[tied[1]].start_s)} s' or 'the second {one}'"
        if _EVERY_ONE.match(target):  # all of them asked of an edit of one event (replace, move, ...)
            raise PlanError(f"{target!r} names {len(tied)} events ({which}), and this edit takes one: say which, e.g. "
                            f"{example}; all of them can be {_EVERY_SAID}")
        raise PlanError(f"{target!r} matches {len(tied)} events ({which}); say which, e.g. {example} (or all of them: "
                        f"'all the {many}', to be {_EVERY_SAID})")
    return tied[0]


_EVERY_ONE = re.compile(r"^(?:all|every|each|both)\s+(?:of\s+)?(?:the\s+)?(?P<a>.+)$", re.I)
# "everything but the rain" (said "all the sounds but the rain"), "all except the dog and the cat": the others; "all the
# knocks but the first" (``n``): the other knocks
_ALL_BUT = re.compile(r"^(?:all|every|each)\s+(?:of\s+)?(?:the\s+)?(?:(?P<all>(?:other\s+)?(?:sounds?|events?"
                      r"|others?))\s+|(?P<n>[a-z][a-z' ]*?)\s+)?"
                      r"(?:but(?:\s+not)?|except(?:\s+for)?|other\s+than|apart\s+from|besides|save\s+for|bar)\s+"
                      r"(?P<x>.+)$",
                      re.I)
# An order said alone after "all the knocks but": "the first", "the last one", "the first two", of the knocks
_ORDER_ALONE = re.compile(rf"^(?:the\s+)?(?:(?:{'|'.join(_ORDINALS)})|(?:second|2nd|next|third|3rd)[\s-]+(?:to[\s-]+)?"
                          rf"last|penultimate|last[\s-]+but[\s-]+one|(?:first|last|final)\s+(?:\d+|{_MANY}))"
                          rf"(?:\s+ones?)?$", re.I)


def _all_but(previous: Plan, target: str) -> list[int] | None:
    """The indices of the events that ``target`` leaves out of the bed's when it says "all ... but X"
    (``_ALL_BUT``; X may list several: "the rain and the dog"), else None; of those it names when it says
    which ("all the knocks but the first"), or X is one of several takes by its order ("all but the last
    knock": the other knocks). PlanError when X names no event, or every one."""
    m = _ALL_BUT.match(target.strip())
    if m is None:
        return None
    x, noun = m["x"].strip(), m["n"]
    order = _ORDINAL.match(x)
    if noun is None and not m["all"] and order and not re.fullmatch(r"(?i)(?:one|sound|event)s?", order["a"]):
        noun = order["a"]  # "all but the last knock": of the knocks
    pool = _all_matching(previous, f"all the {noun}", listed=False) if noun else range(len(previous.events))
    if noun and _ORDER_ALONE.match(x):  # "all the knocks but the first (one)": the first knock
        x = re.sub(r"(?i)\s+ones?$", "", x) + f" {noun}"
    kept = set()
    for part in (p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+or\s+", x) if p.strip()):
        kept.update(_all_matching(previous, part) or [_match(previous, part)])
    others = [i for i in pool if i not in kept]
    if not others:
        raise PlanError(f"{target.strip()!r} names no sound: {m['x'].strip()!r} is every sound "
                        f"{'it names' if noun else 'of the bed'}")
    return others


# The edits that may take every event a target names ("all the knocks"); a move to a time, a start or a stop
# takes one
_EVERY_KINDS = ("remove", "gain", "retake", "replace", "shift", "length", "last", "tempo", "rhythm")
_EVERY_SAID = ("removed, made louder or quieter, taken again, replaced, moved by N s, or made longer, shorter, faster "
               "or slower")


def _all_matching(previous: Plan, target: str, listed: bool = True) -> list[int] | None:
    """The indices of every event that ``target`` names when it says "all", "every", "each" or
    "both" ("all the dogs": each bark of "a dog barks now and then"), or names in the plural what
    several captions name in the singular ("the dogs"), or (``listed``) lists ("the rain and the dog":
    ``_listed``), else None. PlanError when it names none."""
    if (others := _all_but(previous, target)) is not None:
        return others
    if listed and (found := _listed(previous, target)) is not None:
        return found
    if first_n := _FIRST_N.match(target.strip()):  # "the first two knocks": of those it names, in time order
        scores = _scores(previous, first_n["a"], target.strip())
        tied = [i for i, score in enumerate(scores) if score == max(scores)]
        n = int(first_n["n"]) if first_n["n"].isdigit() else _COUNTS[first_n["n"].lower()]
        if len(tied) == 1 and _laid_again(previous.events[tied[0]]):  # "the first two steps" of one sound laid again
            first = first_n["edge"].lower() == "first"
            raise PlanError(_beats_said(previous.events[tied[0]], target, first_n["a"], first=n * first,
                                        last=n * (not first)))
        if n > len(tied):
            there = "is 1 such event" if len(tied) == 1 else f"are {len(tied)} such events"
            raise PlanError(f"{target.strip()!r}: there {there}")
        return tied[:n] if first_n["edge"].lower() == "first" else tied[-n:]
    every = _EVERY_ONE.match(target.strip())
    if every and re.fullmatch(r"(?:the\s+)?(?:sounds|events)", every["a"].strip(), re.I):  # "all the sounds": the bed
        return list(range(len(previous.events)))
    if _PRONOUN.match(target.strip()):  # "make it louder", "make them louder": each take of the bed's one sound (or
        # of the one the last turn edited)
        return [i for i, score in enumerate(_scores(previous, target, target)) if score]
    if every is None:
        if _AT.match(target.strip()) or _ORDINAL.match(target.strip()):
            return None  # "the birds at 4 s", "the second dogs barking": one of them (``_match``)
        said = re.findall(r"[a-z]+", target.lower())
        # "the dogs barking": its plural noun, a word of no caption
        unknown = [w for w in said if w.endswith("s") and not any(w in _words(e.caption) for e in previous.events)]
        noun = unknown[-1:] or said[-1:]
        plural = noun and noun[0].endswith("s") and not any(noun[0] in _words(e.caption) for e in previous.events)
        one = {noun[0][:-1], *([noun[0][:-2]] if noun[0].endswith("es") else []),  # "knocks", "punches", "bodies"
               *([noun[0][:-3] + "y"] if noun[0].endswith("ies") else [])} if plural else set()
        named = [i for i, e in enumerate(previous.events) if one & _words(e.caption)]
        if plural and not named:  # "the shots" of "gunshots" said three times: a word of the same sound, of one caption
            alike = [i for i, e in enumerate(previous.events) if _alike(_stems(" ".join(one))) & _stems(e.caption)]
            named = alike if len({previous.events[i].caption for i in alike}) == 1 else []
        verb = noun and noun[0].endswith("s") and re.fullmatch(r"(?:(?:the|those|these)\s+)?[a-z]+", target.strip(),
                                                               re.I)
        # "the knocks" of "someone knocks on a door" three times: its verb said as a plural noun
        if not plural and verb:
            named = [i for i, e in enumerate(previous.events) if noun[0] in _words(e.caption)
                     and noun[0] not in _words(_subject(e.caption) or "")]
        if len(named) < 2 and re.match(r"(?i)(?:(?:the|those|these)\s)?.*[a-z][^su\W]s\b", target.strip()):
            # "the computer beeps", "the birds" (or "beeps", in short) of "computer beeps", "birds chirp" said three
            # times: a caption said without an article, in the plural, or its plural subject names all its takes
            said = _stems(target)
            named = [i for i, e in enumerate(previous.events) if not _ARTICLE.match(e.caption)
                     and said in (_stems(e.caption), _stems(_subject(e.caption) or ""))]
        return named if len(named) > 1 else None
    scores = _scores(previous, every["a"], target.strip())
    return [i for i, score in enumerate(scores) if score == max(scores)]


# "a louder one", "a bigger one", "something softer": no sound to replace one with
_NO_SOUND_NAMED = re.compile(r"^(?:(?:an?|the|some)\s+)?(?:[a-z]+\s+)?(?:one|ones)$|^something(?:\s+[a-z]+)*$", re.I)


# "after each beep", "before every knock", "with each gunshot", "after all the barks", "after both barks": a time for
# each of several sounds
_EACH = re.compile(r"\s+(?P<w>after|before|with)\s+(?:(?:each|every)\s+(?P<y>[a-z]+)"
                   r"|(?:all|both)(?:\s+(?:of\s+)?the)?\s+(?P<ys>[a-z]+[^s\W]s))\b", re.I)


def _numbers(m: re.Match) -> list[float]:
    return [float(g) for g in m.groups() if g is not None and re.fullmatch(_NUM, g)]


_AGAIN_BEFORE_TIME = re.compile(r"\s+(?:again|once\s+more|one\s+more\s+time)(?=\s+(?:at|from|between|for)\s+\d|\s*$)",
                                re.I)
_REPLACE_AT_LAST_WITH = re.compile(r"^(?:replace|swap)\s+(?P<a>.+)\s+with\s+(?P<b>.+)$", re.I)


def _names_more(previous: Plan, longer: str, shorter: str) -> bool:
    """Whether ``longer`` shares more words with a caption of ``previous`` than ``shorter`` does with any."""
    def most(words: str) -> int:
        return max(len(_stems(words) & _stems(e.caption)) for e in previous.events)
    return most(longer) > most(shorter)


def _does_with(text: str) -> bool:
    """Whether a replacing sound is a thing that does something with something ("a lamp flashes with a beep"): one
    sound to replace one with (not "rain with thunder", "a car with a loud engine": two, as a description reads
    them)."""
    parts = re.split(r"\s+with\s+", _clean(text), flags=re.I)
    return len(parts) > 1 and _subject(parts[0]) is not None and all(_one_sound(p) for p in parts)


def _one_sound(text: str) -> bool:
    """Whether an added or replacing sound is one: no sequence or simultaneity words part it."""
    pieces = _pieces(_SCATTERED.sub(" occasionally", text))
    return len(pieces) == 1 and len(_together(_clean(pieces[0][0]))) == 1


def _added(text: str, duration_s: float) -> list[dict]:
    """The events of "add X", "add X at T s [for N s]", "add X from A to B s" or "add X for N s"
    (from the start; without a length, to the end): one, or with "twice" / "N times" that many
    sharing its span, one sound each, or with "now and then" about one every SCATTER_PERIOD_S of it.
    "X throughout" (or "the whole time", "in the background", ...) lasts the whole timeline, as in a
    description, and "X in the background" that is no background sound is BED_UNDER_DB under the rest."""
    if not _THROUGHOUT.search(text):
        return _added_as_said(text, duration_s)
    events = _added_as_said(_clean(_THROUGHOUT.sub(" ", text)), duration_s)
    for e in events if len(events) == 1 else ():  # the whole timeline, whatever time it says
        e.update(start_time=0.0, end_time=duration_s, fill=e["fill"] or not is_background(e["caption"]))
    for e in events if _IN_THE_BACKGROUND.search(text) else ():
        e["gain_db"] = 0.0 if is_background(e["caption"]) else -BED_UNDER_DB
    return events


_AT_TIMES = re.compile(rf"^(?P<x>.+?)\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}(?:,\s*(?:at\s+)?{_DECIMAL}\s*{_UNIT_S})+)$",
                       re.I)


def _added_as_said(text: str, duration_s: float) -> list[dict]:
    """The events of "add X ...", as :func:`_added`, without words that make it last the whole timeline."""
    text = _AGAIN_BEFORE_TIME.sub("", _SCATTERED.sub(" occasionally", text))  # "add the dog again at 8 s"
    at = _AT_TIMES.match(_clean(text))
    if at and _repeats(at["x"])[0] is None:  # "add a knock at 5 s and 6 s" ("at 5 s, 6 s"): one at each time
        return [e for t in re.findall(_DECIMAL, at["t"]) for e in _added_as_said(f"{at['x']} at {t} s", duration_s)]
    if _SILENCE.match(_TIMED_TAIL.sub("", _clean(text))):
        raise PlanError("a silence adds no sound; to quiet a part of the bed, remove a sound or make it shorter")
    text, scattered = _scattered(text)
    if scattered:  # over the span it gives, or the whole timeline
        event = _added_one(text, duration_s, once=True)
        return _scatter(event["caption"], event["start_time"], event["end_time"])
    repeat, times = _repeats(_clean(text))
    if repeat is None:
        return [_added_one(_clean(text), duration_s, once=False)]
    said = repeat[0]  # with the span a quick run gives ("two knocks": 0.6 s)
    lasting = _LASTING.match(said) if _TIMED.match(said) is None else None
    # Added without a start, they share the span from 0 s: N s, or the whole timeline.
    span = (f" from 0 to {float(lasting.group(2)) if lasting else duration_s!r} s" if lasting or not repeat["t"]
            else repeat["t"])
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


def _in_bed(previous: Plan, words: str) -> bool:
    """``words`` name a sound of the bed (one or several, as :func:`_scores` reads them)."""
    try:
        _scores(previous, words, words)
    except PlanError:
        return False
    return True


def _moved_to(e: dict, t: float, d: float) -> None:
    """Move the event ``e`` (a plan's event as a dict) to start at ``t`` s of a ``d`` s timeline: one
    that reaches an edge of the timeline is cut there; a background that played to the end plays to the
    end from where it is moved; a one-shot the end cut gets its own length back ("thunder at 9 s" of
    10 s, moved to 6 s, rings its 4 s)."""
    cut = e["end_time"] >= d - 1e-3 and t < e["start_time"]
    bed = is_background(e["caption"]) and cut
    length = e["end_time"] - e["start_time"]
    if cut and not bed and not e["fill"]:
        length = max(length, timed_length_s(e["caption"]))
    start, end = _on_timeline(e["caption"], t, d if bed else t + length, d, f"moving it to {t:g} s")
    e.update(start_time=start, end_time=end, mute=_moved(e["mute"], t - e["start_time"]))


def _target(previous: Plan, target: str) -> int:
    """The event an edit names as ``target`` (see :func:`_match`); PlanError when it names
    several different events ("remove the ball and the drum"): one edit per turn."""
    _one_named(previous, target)
    return _match(previous, target)


def _one_named(previous: Plan, target: str) -> None:
    """PlanError when ``target`` lists several different events ("the ball and the drum")."""
    if (found := _listed(previous, target)) is not None:
        names = "; ".join(previous.events[i].caption for i in found)
        raise PlanError(f"{target!r} names {len(found)} sounds ({names}); edit one per turn (to make louder or "
                        f"quieter, take again, remove, move by N s, or make longer, shorter, faster or slower, several "
                        f"at once: 'the rain and the dog')")


def _listed(previous: Plan, target: str) -> list[int] | None:
    """The indices of the events that ``target`` lists ("the rain and the dog", "the rain, the wind and the
    dog", "both the rain and the dog"), each part named as an edit names one sound (or all it names: "all
    the dogs"), else None: one part, or parts that name one event ("the salt and pepper" of "salt and pepper
    grinding"). PlanError when a part names no event and the words are not one caption's: never half of a list."""
    parts = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.sub(r"(?i)^both\s+", "", target.strip()))
             if p.strip()]
    if len(parts) < 2:
        return None
    if last := _ORDINAL.match(parts[-1].strip()):  # "the second and (the) fourth knocks": each of the last one's sound
        parts = [f"{p} {last['a']}" if _ORDER_ALONE.match(p.strip()) else p for p in parts]
    found = []
    for part in parts:
        try:
            named = _all_matching(previous, part, listed=False) or [_match(previous, part)]
        except PlanError:
            if any(_stems(target) - {"both"} <= _stems(e.caption) for e in previous.events):
                return None  # "the salt and pepper": one caption's words
            raise
        found += [i for i in named if i not in found]
    return sorted(found) if len(found) > 1 else None


MIN_PIECE_S = 0.25  # a piece of a sound left shorter than this by a removed span goes too: it would be a click


# Words of time, of a part, of another sound or of another edit left in an edit's target ("the rain for 2 s",
# "the end of the rain", "the rain once the dog barks", "the rain except", "the rain quieter for the"): a part or
# a time the rules planner cannot read, not a way to name the sound (unless the sound's own caption says them).
_WHEN_IN_TARGET = re.compile(
    r"\b(?:at|for|from|between|after|before|until|till|during|in|over|to)\s+(?:the\s+)?(?:very\s+)?"
    r"(?:first|last|final|end|start|beginning|middle|half|\d|a\s+(?:second|moment|bit|while)|second\b"
    r"|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"|\b(?:end|start|beginning|middle|rest|tail|half|part|first\s+part|last\s+part)\s+of\b"
    r"|\b(?:first|last|final)\s+\d(?!\d*\s+(?!(?:s|secs?|seconds?|ms|minutes?)\b)[a-z])"  # not "the first 2 knocks"
    r"|\b(?:while|whilst|whenever|when|since|until|till|where|as\s+soon\s+as|as\s+long\s+as"
    r"|by\s+the\s+time|once\s+(?:the|a|an|it|they)|as\s+(?:the|a|an|it|they)|right\s+after)\b"
    r"|\b(?:except|apart\s+from|other\s+than|but\s+not|besides|save\s+for|near|toward|towards|halfway|partway"
    r"|later|early(?:\s+on)?|late|tail|from\s+now\s+on)\b"
    r"|\b(?:louder|quieter|softer|fade|fades|stop|stops|longer|shorter|earlier|sooner)\b"
    r"|\b(?:for|in|over|during|the|at|from|to)\s*$", re.I)


# Words of an amount or a "not" left in an edit's target ("make the dog much later", "turn the rain all the way down",
# "make the dog a moment later"): an amount the edit cannot read, not a way to name the sound
_AMOUNT_IN_TARGET = re.compile(r"\b(?:not|never|all\s+the\s+way|a\s+lot|lots|much|way|far|a\s+(?:little\s+)?bit|bit"
                               r"|lil|wee|tiny|slightly|tad|touch|notch|smidge|fraction|split\s+second|moment|(?:tenth"
                               r"|(?<!the\s)fifth|quarter)s?|half|some|most|or|twice|thrice|\w+\s+times|somewhat"
                               r"|kinda|sorta|kind\s+of|sort\s+of|quite|really|super|extra|little|hair|bunch"
                               r"|loads|heaps|tons?|significantly|considerably|substantially|massively|hugely"
                               r"|drastically|dramatically)\b|n't\b"
                               r"|\b\d+(?:\.\d+)?\s*[x\u00d7](?!\w)",
                               re.I)  # "remove half the rain", "make the dog 3 or 4 dB quieter": not the whole sound,
# one amount; "make the thunder 2x longer": no amount in seconds


# "every other knock", "every second knock", "alternate knocks", "the odd knocks", "the other knocks", "the remaining
# knocks": some of a sound's takes, by no order the rules planner reads (not all of them)
_SOME_TAKES = re.compile(r"\b(?:(?:every|each)\s+(?:other|second|2nd|third|3rd)(?=\s+(?!(?:s|secs?|seconds?)\b)[a-z])"
                         r"|alternat(?:e|ing)|odd|even|other(?!\s+than\b)|remaining)\b", re.I)


def _check_target(previous: Plan, target: str, instruction: str, kind: str) -> None:
    """PlanError for a target with words of time, of a part or of another edit beyond a time that
    picks an event ("the ball at 6 s"), or words of an amount (``_AMOUNT_IN_TARGET``), unless a caption
    of the plan holds those words."""
    if but := _ALL_BUT.match(target.strip()):  # "everything except the rain": the words of the sounds kept
        target = but["x"]
    at = _AT.match(target.strip())
    named = at["a"] if at else target
    if kind == "shift":  # "make the child come in later": its start (a shift's), not "in" a part or time
        named = re.sub(r"(?i)(?<=\bcome)\s+in$", "", named)
    if (ordinal := _ORDINAL.match(named.strip())) and ordinal["back"]:  # "the next to last knock": no time
        named = ordinal["a"]
    captions = " | ".join(" ".join(e.caption.lower().split()) for e in previous.events)
    amount = [m[0] for m in _AMOUNT_IN_TARGET.finditer(named)
              if not re.search(rf"\b{re.escape(' '.join(m[0].lower().split()))}\b", captions)]
    if amount and re.fullmatch(r"(?i)not|never|n't", amount[0]):  # "don't make the rain quieter"
        raise PlanError(f"{instruction.strip()!r}: the rules planner reads an edit to make, not one said with "
                        f"{amount[0]!r}; say the change plainly ('make X a bit quieter', 'undo' to take back the last "
                        f"turn)")
    if kind == "gain" and (numbered := _NUMBERED.match(named.strip())) and not numbered["sign"] and _in_bed(
            previous, numbered["a"]):  # "make whistle 2 louder": the second whistle, or 2 dB?
        x, n = numbered["a"], numbered["n"]
        several = len(_all_matching(previous, f"all the {x}") or []) > 1
        raise PlanError(f"{instruction.strip()!r}: {n} what? for its level: 'make the {_ARTICLE.sub('', x)} quieter by "
                        f"{n} dB' (or louder)" + (f"; one of several by its order: '{x} #{n}'" if several else ""))
    if some := [m[0] for m in _SOME_TAKES.finditer(named) if not re.search(rf"\b{m[0].lower()}\b", captions)]:
        one = _singular(re.findall(r"[a-z]+", named.lower())[-1])
        many = f"{one}es" if re.search(r"(?:s|sh|ch|x)$", one) else f"{one}s"
        raise PlanError(f"{instruction.strip()!r}: the rules planner cannot tell which of them {some[0]!r} means; it "
                        f"names them all ('all the {many}'), all but some ('all the {many} but the first'), or each by "
                        f"its order ('the second {one} and the fourth {one}')")
    said = [m[0] for m in _WHEN_IN_TARGET.finditer(named) if " ".join(m[0].lower().split()) not in captions]
    if kind == "gain" and _LEVEL_WORDS.search(named):  # "lower the rain by 3 dB after 5 s": the amount unread
        raise PlanError(f"{instruction.strip()!r}: say the change of level last and alone ('lower X by 3 dB', "
                        "'make X 50% quieter'); it applies to the whole sound")
    seconds = rf"\d\s*(?:{_UNIT_S}|ms)\b"  # "cut 2 s off the rain": a time the edit has not read
    if said or any(re.search(said_so, named) and not re.search(said_so, captions)
                   for said_so in (_STRAY_TIME, seconds)):
        how = ("; to take a sound out of part of the bed: remove X from A to B s, before T s, after T s or for the "
               "first/last N s" if kind.startswith("remove") else "")
        raise PlanError(f"{instruction.strip()!r}: the rules planner cannot read which part or time of the sound "
                        f"it means{how}; it names a sound by its words, a time ('the ball at 6 s') or an order "
                        f"('the second ball')")
    if amount:
        how = {"gain": " in dB ('make X quieter by 12 dB')", "shift": " in seconds ('make X 2 s later', or earlier)",
               "length": " in seconds ('make X 2 s longer', or shorter)",
               "tempo": " ('make X faster' or slower: its rhythm by 1.5; 'twice as fast')"}.get(kind, "")
        raise PlanError(f"{instruction.strip()!r}: the rules planner cannot read {amount[0]!r} in it; say the edit "
                        f"plainly{', with its amount' + how if how else ''}")


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
    if (others := _all_but(previous, target)) is not None:  # "everything but the rain"
        found = others
    elif not every and (_ORDINAL.match(target) or _AT.match(target)):  # "the second ball", "the ball at 6 s"
        found = [_match(previous, target)]
    elif every and re.fullmatch(r"(?:the\s+)?(?:sounds|events)", every["a"].strip(), re.I):  # "everything": the bed
        found = list(range(len(previous.events)))
    else:
        scores = _scores(previous, every["a"] if every else target, target)
        found = [i for i, score in enumerate(scores) if score == max(scores)]
    playing = [i for i in found if previous.events[i].start_s < end and previous.events[i].end_s > start]
    if not playing:
        which = "; ".join(f"{previous.events[i].caption} at {span_said(previous.events[i])}" for i in found)
        raise PlanError(f"nothing that matches {target!r} plays from {start:g} to {end:g} s ({which})")
    captions = {previous.events[i].caption for i in playing}
    if len(captions) > 1 and not every:
        exact = [i for i in playing if _stems(previous.events[i].caption) == _stems(target)]  # "the rain",
        # not "rain on a roof"
        if not exact:
            raise PlanError(f"{target!r} matches {len(captions)} sounds that play then "
                            f"({'; '.join(sorted(captions))}); "
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


RUN_GAP_S = 2.0  # one-shots of a sound this far apart or closer are one run, respaced together ("the knocks faster")


def _respaced(group: list[dict], slower: bool, duration_s: float, said: str, step: float = TEMPO_STEP) -> None:
    """Several one-shots of one sound in a run ("make the knocks faster" on three knocks) closer
    together or further apart, in place: the run's timing from its first start divided by
    ``step``, or times it (each span with it, so that none overlaps the next). PlanError when
    they are apart by more than RUN_GAP_S, when faster would start two closer than a rhythm may
    (PERIOD_RANGE_S), or slower would end them after the timeline."""
    group = sorted(group, key=lambda e: e["start_time"])
    if any(b["start_time"] - a["end_time"] > RUN_GAP_S for a, b in zip(group, group[1:])):
        at = ", ".join(f"{seconds_said(e['start_time'])}" for e in group)
        raise PlanError(f"{said!r}: these are {len(group)} sounds apart (at {at} s), not one run to space closer or "
                        f"further apart; move them one at a time")
    first, step = group[0]["start_time"], step if slower else 1 / step
    apart = min(b["start_time"] - a["start_time"] for a, b in zip(group, group[1:]))
    if apart * step < PERIOD_RANGE_S[0]:
        raise PlanError(f"{said!r}: they start {apart:g} s apart; faster would be {apart * step:.3g} s, and a "
                        f"rhythm is from {PERIOD_RANGE_S[0]:g} s")
    if first + (group[-1]["end_time"] - first) * step > duration_s + 1e-9:
        raise PlanError(f"{said!r}: spaced further apart they would end after the {duration_s:g} s timeline (move them "
                        f"earlier first)")
    for e in group:
        e.update(start_time=round(first + (e["start_time"] - first) * step, 3), end_time=round(
            first + (e["end_time"] - first) * step, 3), mute=tuple((first + (a - first) * step,
                                                                    first + (b - first) * step)
                                                                   for a, b in e["mute"]))


def _moved(mute: tuple[tuple[float, float], ...], step: float) -> tuple[tuple[float, float], ...]:
    """An event's muted spans moved with it by ``step`` seconds (the plan cuts them to its span)."""
    return tuple((a + step, b + step) for a, b in mute)


_STOP_VERB = r"(?:stops?|ends?|finish(?:es)?|fades?\s+out|cuts?\s+(?:off|out)|dies?(?:\s+(?:out|off|down|away))?)"
_START_VERB = r"(?:starts?|begins?|comes?\s+in|kicks?\s+in|fades?\s+in)"
_ITS_STOP, _ITS_START = re.compile(rf"{_STOP_VERB}$", re.I), re.compile(rf"{_START_VERB}$", re.I)


def _said_of_bed(previous: Plan, text: str) -> str:
    """An edit said as what a sound of ``previous`` does, as the edit patterns read it: "the typing
    stops at 5 s" is "make the typing stop at 5 s" ("start", "come in", "the dog stops barking"
    too), "the phone rings at 2 s" is "move the phone to 2 s" when "rings" is a word of that
    sound's caption, or the sound is a one-shot named by its noun alone ("the horn honks" on "a car
    horn"; not "the rain pauses"); that word also picks one of several sounds the name matches.
    Read on a session only, of a sound of the bed: in a description these say a sound, and another
    verb ("the door opens at 1 s" on a door slam) says another sound."""
    should = re.match(r"(?i)(?!(?:the|that|this|these|those|an?|some)\s)(?P<x>[a-z]+(?:\s+[a-z]+)?)\s+should\s", text)
    if should and _in_bed(previous, should["x"]):  # "kettle should start at 5 s": said without "the", as with it
        return f"the {text}"
    m = re.match(rf"^(?P<a>(?:the|that|this|these|those)\s+.+?)\s+(?P<v>[a-z]+(?:\s+(?:in|off|out|down|away))?)"
                 rf"(?:\s+(?P<ing>[a-z]+ing))?\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?|\d+:[0-5]\d(?:\.\d+)?)$", text,
                 re.I)
    if not m and re.match(rf"(?i)(?!(?:an?|some)\s)[a-z]+(?:\s+[a-z]+)?\s+(?:{_STOP_VERB}|{_START_VERB})"
                          rf"\s+at\s+\d", text) and not _is_edit(text):  # "rain stops at 8 s", in short
        said = _said_of_bed(previous, f"the {text}")
        return text if said == f"the {text}" else said
    if not m or _is_edit(text):
        return text
    level = re.match(r"^(?P<a>.+?)\s+(?:(?:gets?|grows?|becomes?|goes|go|turns?)\s+(?:much\s+|a\s+(?:bit|little)\s+)?"
                     r"(?P<d>louder|quieter|softer|heavier|stronger|harder|lighter|weaker|loud|quiet|soft|heavy|strong)"
                     r"|(?P<up>picks?\s+up|swells?|builds?|intensif(?:ies|y))|(?P<down>eases?\s+(?:off|up)))\s+at\s",
                     text, re.I)
    named = _stems(level["a"] if level else m["a"]) - _ORDINAL_STEMS - {"this", "that", "these", "those"}
    sounds = [e.caption for e in previous.events if named and named <= _alike(_stems(e.caption))]  # "the steps" too
    if not sounds:  # no sound of the bed: a sound to add, as the refusal of a description says
        return text
    if level:  # "the rain gets louder at 5 s"
        louder = bool(level["up"]) or bool(level["d"]) and level["d"].lower() in (
            "louder", "heavier", "stronger", "harder", "loud", "heavy", "strong")
        raise PlanError(f"{text!r}: a change of level applies to the whole sound ('make {level['a']} "
                        f"{'louder' if louder else 'quieter'}'); "
                        "a level that changes within a sound is not read")
    # its own word picks one of several the name matches: "the dog howls" of dogs barking and a dog howling
    picked = {c for c in sounds if _its_own(m["ing"] or m["v"], c)}
    target = f"the {_ARTICLE.sub('', next(iter(picked)))}" if len(set(sounds)) > 1 and len(picked) == 1 else m["a"]
    if picked and not m["ing"]:  # its own word ("the bus stops at 4 s" of "a bus stops"): moved there
        return f"move {target} to {m['t']}"
    if _ITS_STOP.fullmatch(m["v"]):
        return f"make {target} stop at {m['t']}"
    if _ITS_START.fullmatch(m["v"]):
        return f"make {target} start at {m['t']}"
    if not m["ing"] and any(_its_own(m["v"], c) or _subject(c) is None and not is_background(c)
                            and _stems(c.split()[-1]) <= named for c in sounds):
        return f"move {target} to {m['t']}"  # its own sound, elsewhere: its verb, or any for a sound named by a noun
    return text


def _its_own(verb: str, caption: str) -> bool:
    """Whether ``verb`` ("rings", "goes off") is said in ``caption``, or a verb naming the same sound
    is ("tolls" of "a bell rings": ``_ALIKE``)."""
    said, words = _stems(verb), _stems(caption)
    return said <= words or len(said) == 1 and bool(_alike(said) & words)


# "add a cat hisses 1 s after the door", "make the phone ring right after the door", "... 1 s before the
# door": a time said from a sound of the bed
_AFTER_EVENT = re.compile(rf"\s+(?:(?P<to>to)\s+|at\s+)?(?:(?P<n>{_DECIMAL})\s*{_UNIT_S}\s+(?P<dir>after|before)"
                          rf"|(?:{_SOON}|a\s+moment|moments)\s+after"
                          rf"|(?P<when>when|as\s+soon\s+as|just\s+as|(?:(?:at\s+)?the\s+same\s+time\s+)?as|after|while"
                          rf"|during|(?:{_SOON}\s+)?(?P<before>before))"
                          r")\s+(?P<y>(?:the|that|this)\s+[^,;]+?)$", re.I)
# "when the rain stops", "1 s after the rain ends": from the end of that sound; "when the knocking starts": its start
_ITS_END = re.compile(r"\s+(?:(?P<end>stops?|ends?|finish(?:es)?|fades?\s+out|dies?\s+(?:down|away|out)|(?:is"
                      r"|are)\s+over)|starts?|begins?)(?:\s+[a-z]+ing)?$", re.I)  # "when the tires stop screeching":
# their end


# "move the footsteps (1 s) before the door", "make the dog bark before the door": a sound of the bed placed before
# another (not "make the rain start 1 s before the door": its start then)
_MOVED_BEFORE = re.compile(r"^(?:(?:move|put)\s+(?P<x>.+?)(?:\s+to)?|(?:make|have|let)\s+(?P<y>(?:the|that"
                           r"|this)\s+.+?)\s+(?!(?:start|begin|come|stop|end|finish|fade)s?\b)[a-z]+)$", re.I)


# "make the rain and the thunder quieter", "make the rain, the wind and the dog later": the sounds listed before the
# second is said with the edit are one edit's
_LISTED_HEAD = re.compile(r"^(?:make|have|let)\s+(?:both\s+)?(?:the|that|this|these|those|all)(?:,?\s+(?!(?:louder"
                          r"|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower|then|also|by|to|at"
                          r"|db)\b)[a-z']+)+?(?:\s*,|\s*,?\s+and)\s+$", re.I)


def _two_edits(text: str) -> tuple[str, str] | None:
    """The first and the second edit when ``text`` says two (``_TWO_EDITS``, ``_TWO_SHORT``: "make the drum later and
    the ball louder"), else None; the sounds one edit lists ("make the rain and the thunder quieter") are one edit."""
    two = _TWO_EDITS.search(text) or _TWO_SHORT.search(text)
    if two is None:
        return None
    head = text[:two.start("second")]
    if _LISTED_HEAD.match(head):  # what follows the list may still say two
        rest = _two_edits(f"make {two['second']}")
        return None if rest is None else (head + rest[0][len("make "):], rest[1])
    return re.sub(r"(?i)(?:\s*[,;.]|\s+(?:and|then))?(?:\s+(?:then|also))?\s*$", "", head), two["second"]


# What an edit says of its sound's end ("make the rain stop", "stop the rain"): a time said of it is where it ends
_STOP_SAID = re.compile(r"^(?:stop|end|fade\s+out|cut\s+off)\s.+|\s(?:stop|end|finish|fade\s+out|cut\s+off)(?:s|es)?$",
                        re.I)


def _edit_seconds(text: str) -> str:
    """``text`` with times in milliseconds or words said in seconds, as edits read them: "500 ms",
    "half a second", "two seconds", "a second after", ".5 s"; "@ 3 s" is "at 3 s"."""
    text = _half_seconds(_AT_SIGN.sub(" at ", re.sub(r"(?<![\w.])\.(?=\d)", "0.", text)))  # ".5 s", "@ 3 s"
    text = re.sub(r"\ba\s+(?:split\s+second|fraction(?:\s+of\s+a\s+second)?)(?=\s+(?:later|earlier|sooner|longer"
                  r"|shorter)\b)",
                  "a bit", text, flags=re.I)  # "a split second later": a bit later
    text = re.sub(r"\ba\s+sec(?:ond)?(?=\s+(?:after|before|later|earlier|sooner|longer|shorter)\b)|(?:(?<=\bby\s)"
                  r"|(?<=\bfor\s)|(?<=\blast\s))a\s+sec(?:ond)?\b|(?:(?<=\bcut\s)|(?<=\btake\s)|(?<=\btrim\s)"
                  r"|(?<=\bshave\s))a\s+sec(?:ond)?(?=\s+(?:off|from)\b)",
                  "1 s", text, flags=re.I)  # "a second after", "a sec later", "by a second", "make X last a second",
    # "cut a second off X"
    text = re.sub(rf"\b({_NUMBER})(?=[-\s]+(?:s|secs?|seconds?|ms|milliseconds?|db|decibels?)\b"
                  rf"|\s+(?:to|and)\s+(?:{_NUMBER})[-\s]+(?:s|secs?|seconds?)\b)",  # "from two to four seconds" too
                  lambda m: str(_COUNTS[m[1].lower()]), text, flags=re.I)
    text = re.sub(r"(?<=\d)\s*decibels?\b", " dB", text, flags=re.I)  # "by 3 decibels"
    text = _DASHED.sub(r"from \g<a> to \g<b> \g<u>", text)  # "the drill 3-5 s": a span, not 5 s earlier
    return re.sub(r"\b(\d+(?:\.\d+)?)\s*(?:ms|msecs?|milliseconds?)\b", lambda m: f"{float(m[1]) / 1000:g} s", text,
                  flags=re.I)


# "the footsteps should start with the car" ("make the rain stop together with the music", "start the steps with the
# car"): when that starts (a stop, when it stops); "sync the steps with the car" ("line X up with Y", "align X with Y"):
# moved to when it starts
_WITH_EVENT = re.compile(rf"\b(?P<v>{_START_VERB}|(?P<stop>{_STOP_VERB}))\s+(?:together\s+|along\s+|in\s+sync\s+"
                         rf"|at\s+the\s+same\s+time\s+)?with\s+(?P<y>(?:the|that|this)\s+[^,;]+?)$", re.I)
_SYNCED = re.compile(r"^(?:(?:sync|align|line)(?:\s+up)?\s+(?P<a>.+?)(?:\s+up)?\s+(?:with|to)|(?P<v>start|begin|stop"
                     r"|end|finish)\s+(?P<b>(?:the|that|this)\s.+?)\s+(?:together\s+|along\s+)?with)\s+"
                     r"(?P<y>(?:the|that|this)\s+[^,;]+?)$", re.I)  # "start the steps with the car" too


def _after_event(previous: Plan, text: str) -> str:
    """``text`` with a time said from a sound of ``previous`` (``_AFTER_EVENT``) as "at T s": N s
    after or before its start, with it ("when the door slams", "start with the door": ``_WITH_EVENT``), or,
    "right after" it, at its end."""
    text = _SYNCED.sub(lambda m: f"make {m['b']} {m['v']} with {m['y']}" if m["v"] else
                       f"move {m['a']} to when {m['y']}", text)  # synced: moved whole (a start keeps a fill's end)
    if w := _WITH_EVENT.search(text):  # a stop: when that stops
        ends = " stops" if w["stop"] and not _ITS_END.search(w["y"]) else ""
        text = f"{text[:w.start()]}{w['v']} when {w['y']}{ends}"
    m = _AFTER_EVENT.search(text)
    if not m or m["when"] and m["when"].lower() in ("while", "during") and not re.match(r"add\s", text, re.I):
        return text  # "while the dog barks" adds a sound then; of a sound of the bed it says a part of it
    if re.fullmatch(rf"the\s+(?:very\s+)?(?:start|beginning|end){_OF_IT}", m["y"], re.I):
        return text  # "2 s before the end": of the timeline
    if (m["when"] or "").lower() == "as" and re.search(r"(?i)\b(?:same(?:\s+[a-z]+)?|as\s+[a-z]+|such)$",
                                                       text[:m.start()]):
        return text  # "the same level as the thunder", "as loud as the thunder": no time
    if m["n"] and (two := _NOT_ONE_TIME.search(text[:m.start("n")])):  # "add a bell 1 to 2 s after the door"
        raise PlanError(f"{text[two.start():m.end()]!r}: give one time ('{m['n']} s {m['dir']} {m['y']}')")
    end = _ITS_END.search(m["y"])
    e = previous.events[_target(previous, m["y"][:end.start()] if end else m["y"])]
    # when it stops (said so, or "N s after" a sound that lasts its span: a bed, a filled one), else when it starts
    spans = m["n"] and m["dir"].lower() == "after" and (e.fill or is_background(e.caption)) and not end
    said = e.end_s if end and end["end"] or spans else e.start_s  # "1 s after the rain starts": its start
    head, before = text[:m.start()], m["before"] or m["n"] and m["dir"].lower() == "before"
    if before and _STOP_SAID.search(head):  # "make the rain stop (1 s) before the dog": where that starts (1 s before)
        t = said - float(m["n"] or 0)
    elif before and (m["before"] or _MOVED_BEFORE.match(head)):
        # "before the dog": so that it ends where that starts, a sound moved with its length; a sound moved "1 s before
        # the dog" ends 1 s before it starts (one added there starts then: "add a clap 1 s before the rain stops")
        moved = _MOVED_BEFORE.match(head)
        length = previous.events[_target(previous, moved["x"] or moved["y"])].length_s if moved else TIMED_LENGTH_S
        t = said - float(m["n"]) - length if m["n"] else max(0.0, said - length)
        if t < 0:
            raise PlanError(f"{text.strip()!r}: that would start it at {t:g} s, before the bed begins ({e.caption!r} "
                            f"starts at {seconds_said(e.start_s)} s)")
    elif m["n"]:
        t = said + float(m["n"]) * (1 if m["dir"].lower() == "after" else -1)
        if spans and t >= previous.duration_s:  # "1 s after the steam" of steam held to the end: after it starts?
            raise PlanError(f"{text.strip()!r}: {e.caption!r} plays to the end of the bed ({seconds_said(e.start_s)}-"
                            f"{seconds_said(e.end_s)} s), so {m['n']} s after it is past the {previous.duration_s:g} s "
                            f"timeline; from its start: '{head.strip()} {m['n']} s after {m['y']} starts'")
    else:
        t = said if m["when"] and m["when"].lower() != "after" or end else e.end_s  # "right after": when it is over
    return f"{text[:m.start()]} {'to' if m['to'] else 'at'} {t:g} s"


# "add another one at 8 s", "add one more knock", "add another bark", "add a second scream": one more of a sound
# of the bed
_ANOTHER = re.compile(r"^add\s+(?:another|one\s+more|an?\s+(?:second|third|fourth|fifth|2nd|3rd|4th|5th))"
                      r"(?:\s+(?P<x>(?!(?:at|from|for|between)\b)[a-z](?:(?!\s(?:and|then)\s)[^\d,;])*?))?"  # not "...,
                      r"(?P<t>\s+(?:at|from|for|between|\d)\b.*)?$", re.I)  # and make it quieter": a second edit


# "make the dog bark again at 6 s", "add the dog again at 6 s": another of it (not the dog moved there)
_AGAIN = re.compile(r"^(?:(?:make|have|let)\s+(?P<x>(?:the|that|this)\s+[a-z][^\d]*?)\s+[a-z]+|add\s+(?P<y>(?:the|that"
                    r"|this)\s+[a-z][^\d]*?))\s+(?:again|once\s+more|one\s+more\s+time)(?P<t>\s+(?:at|from|for"
                    r"|between)\b.*)?$", re.I)


# "add two more knocks (at 5 s and 6 s)": that many more of a sound of the bed
_MORE = re.compile(rf"^add\s+(?P<n>\d+|{_MANY})\s+more\s+(?P<x>[a-z](?:(?!\s(?:and|then)\s)[^\d,;])*?)"
                   rf"(?P<t>\s+at\s+\d.*)?$", re.I)


# "add a few more phone rings" ("several more", "a couple more"; "some more", of a sound said in the plural: not "some
# more thunder", another thunder): more of a sound of the bed, with no count
_FEW_MORE = re.compile(rf"^add\s+(?:a\s+few|several|a\s+couple(?:\s+of)?|{_SOME_MORE})\s+more\s+"
                       r"(?P<x>[a-z][^\d,;]*?)(?:\s+(?:at|from|for|between)\s+\d.*)?$", re.I)


def _names_a_one_shot(previous: Plan, said: str) -> bool:
    """Whether ``said`` shares words with a sound of ``previous`` that is no background ("phone rings" of "a phone
    rings", "knocks" of "someone knocks")."""
    return any(not is_background(e.caption) and _stems(said) & _stems(e.caption) for e in previous.events)


_MOVED_FROM = re.compile(rf"^(?P<v>move|shift)\s+(?P<x>.+?)\s+from\s+(?P<a>{_DECIMAL})\s*(?:{_UNIT_S})?\s+to\s+"
                         rf"(?P<b>{_DECIMAL}\s*{_UNIT_S})$", re.I)


def _moved_from(previous: Plan, said: str) -> str:
    """``said`` with "move the thunder from 2 s to 3 s" as "move the thunder at 2 s to 3 s" where a sound of ``previous``
    it names starts at 2 s (a move from one time to another; else "from A to B" is left to be read as a span)."""
    m = _MOVED_FROM.match(said)
    if m and any(abs(e.start_s - float(m["a"])) < 0.05 and _stems(m["x"]) & _stems(e.caption) for e in previous.events):
        return f"{m['v']} {m['x']} at {m['a']} s to {m['b']}"
    return said


def _check_added_again(previous: Plan, the: re.Match, instruction: str) -> None:
    """PlanError for a background of ``previous`` added again with "the" at a time it sounds (``the``: its words
    ``x`` and time ``t``, "add the fridge at 2 s" of a fridge humming throughout): louder, or another take,
    instead."""
    e = previous.events[_target(previous, f"the {the['x']}")]
    t, x = float(re.search(_DECIMAL, the["t"])[0]), f"the {the['x']}"
    if e.start_s - 1e-3 <= t < e.end_s:
        raise PlanError(f"{instruction.strip()!r}: {e.caption!r} already sounds at {t:g} s (it plays from "
                        f"{seconds_said(e.start_s)} to {seconds_said(e.end_s)} s); to hear more of it: 'make {x} "
                        f"louder'; another take of it: 'another take of {x}'")


def _another(previous: Plan, text: str, instruction: str) -> str:
    """``text`` with one more of a sound of ``previous`` (``_ANOTHER``) said by that sound's caption:
    "add another knock at 8 s" on a bed of "a door knocks" adds a door knock, with no time said
    where the last of them ends. "another one" names the bed's one sound that is no background;
    PlanError (quoting ``instruction``, the edit as said) when there are several to choose from. A level said last
    stays last ("add another knock, quietly")."""
    if (level := _added_level(text)) and level["x"] != text:
        return _another(previous, level["x"], instruction) + text[len(level["x"]):]
    text = _AGAIN.sub(lambda m: f"add another {_ARTICLE.sub('', m['x'] or m['y'])}{m['t'] or ''}", text)
    if (few := _FEW_MORE.match(text)) and _names_a_one_shot(previous, few["x"]):
        raise PlanError(f"{instruction.strip()!r}: how many, and when? e.g. 'add 2 more {few['x'].strip()} at A s and "
                        f"B s' (or one at a time: 'add another {_singular(few['x'].strip())} at T s')")
    if more := _MORE.match(text):  # as many more as times said, each at its own
        one = _singular(more["x"].strip())
        n = int(more["n"]) if more["n"].isdigit() else _COUNTS[more["n"].lower()]
        if n > 1 and len(re.findall(_DECIMAL, more["t"] or "")) != n:
            times = [f"{chr(ord('A') + k)} s" for k in range(min(n, 3))]
            raise PlanError(f"{instruction.strip()!r}: say when each plays: 'add {more['n']} more "
                            f"{more['x'].strip()} at {', '.join(times[:-1])}{', ...' if n > 3 else ''} and "
                            f"{times[-1]}' (or one at a time: 'add another {one} at T s')")
        text = f"add another {one}{more['t'] or ''}"
    m = _ANOTHER.match(text)
    if not m:
        return text
    sounds = list(dict.fromkeys(e.caption for e in previous.events if not is_background(e.caption)))
    if m["x"] and m["x"].strip().lower() != "one":
        scores = [len(_stems(m["x"]) & _stems(c)) for c in sounds]
        if not any(scores):  # "add another gunshot" of "a gun fires": a word that names the same sound
            scores = [len(_alike(_stems(m["x"])) & _stems(c)) for c in sounds]
        best = max(scores, default=0)
        named = [c for c, score in zip(sounds, scores) if score == best and best]
        if not named:  # "add another rain at 6 s" of rain that stopped at 4 s: a background of the bed by its caption
            named = list(dict.fromkeys(e.caption for e in previous.events
                                       if is_background(e.caption) and _stems(m["x"]) & _stems(e.caption)))
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


# Words a turn may begin with that say nothing of the edit ("ok, now make the rain louder", "and remove the dog")
_LEAD_IN = re.compile(r"^(?:(?:ok(?:ay)?|now|also|and|then|next|so|great|good|nice|cool|perfect|alright|all\s+right"
                      r"|actually|hmm+|yes|yeah|thanks|thank\s+you)\s*[,.!;:]*\s+)+", re.I)
# ... and words that take back what was said, before an edit only ("no, make the rain quieter"; not "no thunder")
_TAKEN_BACK = re.compile(r"^(?:(?:no|nah|nope|wait|oops|sorry|oh|um+|uh+)\s*[,.!;:]+\s+)+", re.I)  # not "no more rain"


def _without_lead_in(text: str) -> str:
    """``text`` without the words it begins with that say nothing of the edit (``_LEAD_IN``): before
    a comma or a full stop, or before an edit ("now make ...", "ok now rain louder", "and slower"; not "cool
    breeze")."""
    if (back := _TAKEN_BACK.match(text)) and (_is_edit(editor_said(text[back.end():]))
                                              or _ALONE.match(text[back.end():]) or _UNITLESS.match(text[back.end():])):
        text = text[back.end():]  # "no, quieter" too
    m = _LEAD_IN.match(text)
    if not m:
        return text
    try:
        edit = (_is_edit(editor_said(text[m.end():])) or _ALONE.match(text[m.end():])  # "and slower", "now a bit
                or _UNITLESS.match(text[m.end():]))  # later", "ok dog +3"
    except PlanError:  # an effect asked for ("now add reverb"): said so of the edit alone
        edit = True
    return text[m.end():] if edit or re.search(r"[,.!;:]", m[0]) else text


# The length of the bed itself asked for ("make it 15 seconds", "extend the bed to 15 s", "trim the ending")
_BED = r"(?:it|(?:the\s+)?(?:whole\s+|entire\s+)?(?:bed|clip|mix|scene|track|thing|sequence|soundscape|timeline|audio))"
_BED_LENGTH = re.compile(
    rf"^(?:(?:make|set|change|extend|lengthen|shorten|trim|cut|crop)\s+(?:{_BED}|(?:the\s+|its\s+)?(?:duration|length"
    rf"|runtime)(?:\s+of\s+{_BED})?)\s+(?:to\s+|by\s+)?(?:be\s+)?(?P<n>{_DECIMAL})\s*(?:s|secs?|seconds?)(?:\s+long)?"
    rf"|(?:make\s+(?:the\s+)?(?:whole\s+|entire\s+)?(?:bed|clip|mix|scene|track|sequence|soundscape|timeline)\s+"
    rf"(?:longer|shorter))|(?:trim|cut|crop|shorten|lose)\s+the\s+(?:end|ending|tail|last\s+bit)"
    rf"|(?:extend|lengthen|shorten)\s+(?:the\s+)?(?:whole\s+|entire\s+)?(?:bed|clip|mix|scene|track|sequence"
    rf"|timeline))$", re.I)


# "make the footsteps last until the end", "extend the rain to the end", "stop the typing at the end": its stop at the
# timeline's end (an addition or a move places a sound "at the end", 2 s before it: said_times)
_TILL_THE_END = re.compile(r"^(?!(?:add|move|put|remove|delete|drop|mute|cut|silence|get\s+rid\s+of|take\s+out)\b)"
                           r"(?P<a>(?:stop|end|fade\s+out)\s.+?\sat|.+?\s(?:until|till|to|(?:stop|end|finish"
                           r"|fade\s+out)s?\s+at))\s+the\s+(?:very\s+)?end(?:\s+of\s+(?:it|the\s+(?:clip|bed|video"
                           r"|scene|track|timeline)))?$", re.I)


def _till_the_end(previous: Plan, text: str) -> str:
    """``text`` with the end of the timeline it says (``_TILL_THE_END``: "until the end") said as its time."""
    return _TILL_THE_END.sub(lambda m: re.sub(r"(?i)\sto$", " until", m["a"]) + f" {previous.duration_s:g} s", text)


# "let the bell ring out" ("play out"): it sounds until the timeline's end
_RING_OUT = re.compile(r"^(?:let|have|make)\s+(?P<a>.+?)\s+(?:ring|play|run)\s+out$", re.I)
# "loop the footsteps until 8 s" (the end said so: _TILL_THE_END); "loop the footsteps", with no time: to the end
_LOOP = re.compile(rf"^(?:loop|repeat)\s+(?P<a>.+?)\s+(?:until|till|to)\s+(?P<t>{_DECIMAL})\s*{_UNIT_S}?$", re.I)
_LOOP_ALONE = re.compile(r"^loop\s+(?P<a>(?:(?!\b(?:until|till|to|from|for|at)\b)[^\d])+)$", re.I)


def _looped(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` as "make X stop at T s" where it loops a repeated sound or a background until T s (``_LOOP``; the
    timeline's end when it says no time); PlanError for a one-shot, with the rhythm that repeats it."""
    loop = _LOOP.match(asked) or _LOOP_ALONE.match(asked)
    if loop is None:
        return asked
    t = loop.groupdict().get("t") or f"{previous.duration_s:g}"
    e = previous.events[_target(previous, loop["a"])]
    if not (e.fill or is_background(e.caption)):
        raise PlanError(f"{instruction.strip()!r}: {e.caption!r} plays once; to repeat it: '{loop['a']} every N s' (it "
                        f"then repeats over its span), then 'make {loop['a']} stop at {t} s'")
    return f"make {loop['a']} stop at {t} s"


# "make the drill twice as long" ("the drill half as long", "3 times as long", "2x longer"): that many times its length
_AS_LONG = re.compile(rf"^(?:make\s+)?(?P<a>.+?)\s+(?:(?:(?P<w>twice|half)|(?P<n>{_DECIMAL})\s*(?:x|\u00d7|times))"
                      rf"\s+as\s+long|(?P<m>{_DECIMAL})\s*(?:x|\u00d7|times)\s+(?P<d>longer|shorter))$", re.I)


def _as_long(previous: Plan, asked: str) -> str:
    """``asked`` as "make X last N s" where it asks for a multiple of X's length (``_AS_LONG``: "twice as long" of a
    sound of 3 s is "last 6 s")."""
    m = _AS_LONG.match(asked)
    if m is None:
        return asked
    times = {"twice": 2.0, "half": 0.5}[m["w"].lower()] if m["w"] else float(m["n"] or m["m"])
    times = 1 / times if m["d"] and m["d"].lower() == "shorter" and times > 0 else times
    return f"make {m['a']} last {round(times * previous.events[_target(previous, m['a'])].length_s, 3):g} s"


# "add thunder at 3 s, quietly", "add a bell at 5 s, -6 dB", "add wind, a bit louder": the level of the sound added
_ADDED_LEVEL = re.compile(rf"^(?P<x>add\s+\S.*?)(?:\s*,)?\s+(?:at\s+)?(?:(?P<bit>a\s+(?:little\s+)?bit|slightly)\s+"
                          rf"|{_MUCH}\s+)?(?:(?P<q>quietly|softly|quiet|soft|quieter|softer)|(?P<l>loudly|loud|louder)"
                          rf"|(?P<n>[-+\u2212]\s*{_DECIMAL})\s*db|(?P<n2>{_DECIMAL})\s*db\s+(?P<d>quieter|softer"
                          rf"|louder))$", re.I)


def _added_level(text: str) -> re.Match | None:
    """``_ADDED_LEVEL`` of ``text``, an addition with its level; None where the level is a second edit ("add
    thunder at 3 s and make it quieter")."""
    level = _ADDED_LEVEL.match(text)
    if level and not re.search(r"(?i)\b(?:and|then|make|turn|bring|get)(?:\s+(?:it|them|that|this|the\s+\S+))?$",
                               level["x"]):
        return level
    return None


def _added_gain(m: re.Match) -> float:
    """The gain in dB that an addition's level (``_ADDED_LEVEL``) gives the sound added: "quietly" as
    "quieter" (-6 dB; "a bit": -A_BIT_DB, "much": -MUCH_DB), "-6 dB", "3 dB louder"."""
    if m["n"]:
        return float(re.sub(r"\s", "", m["n"]).replace("\u2212", "-"))
    if m["n2"]:
        return float(m["n2"]) * (1 if m["d"].lower() == "louder" else -1)
    return (A_BIT_DB if m["bit"] else MUCH_DB if m["much"] else 6.0) * (1 if m["l"] else -1)


# "move the dog 2 s", "shift the thunder up 1 s": a time or an amount, said with no word for which (nor a direction)
_MOVED_BY_OR_TO = re.compile(rf"^(?:move|shift|nudge|push|pull)\s+(?P<a>(?:(?!\b(?:to|at|by|around|about|from|until"
                             rf"|till|after|before)\b)[^\d~@=])+?)(?:\s+(?:up|down|over|along))?\s+"
                             rf"(?P<n>{_DECIMAL})\s*{_UNIT_S}$", re.I)


# "trim the rain to 5 s", "cut the rain down to 5 s", "stretch the thunder to 4 s": until 5 s, or 5 s long (one reading
# where it starts at 0 s)
_CUT_TO = re.compile(rf"^(?P<v>trim|shorten|cut|stretch)\s+(?P<a>(?:(?!\b(?:from|between)\b).)+?)\s+(?:down\s+"
                     rf"|out\s+)?to\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}$", re.I)


# "drop the music 6", "turn the rain down 3", "drop the thunder by 6": an amount with no unit after a verb of level or
# of taking out; "lose the thunder 3 dB": a level said with a verb that takes the sound out
_BARE_AMOUNT = re.compile(rf"^(?P<v>drop|cut|lose|kill|turn|bring|pull|lower|raise|boost|reduce)\s+"
                          rf"(?P<a>(?:the|that|this|these|those|all|every|it|them)\b.*?)"
                          rf"(?<!\sat)(?<!\sto)(?<!\sfrom)(?<!\suntil)(?<!\still)(?<!\safter)(?<!\sbefore)(?<!\sin)"
                          rf"(?<!\sfor)(?<!\saround)(?<!\sand)(?<!\soff)(?<!\sout)"
                          rf"\s+(?:(?P<d>down|up)\s+)?(?:by\s+)?(?P<n>{_DECIMAL})(?P<db>\s*db)?$", re.I)


def _bare_amount(asked: str, instruction: str) -> str:
    """``asked`` with an amount said with no unit (``_BARE_AMOUNT``) in dB where a level is all it can be ("turn the
    rain down 3", "lower the rain 3", "drop the rain down 3"), as "quieter by 3" reads it. PlanError where it may
    also be a time ("drop the music 6", "cut the thunder by 3": dB or s?), or where a level follows a verb that takes
    the sound out ("lose the thunder 3 dB": lowered, or taken out?), with the edits that say each."""
    m = _BARE_AMOUNT.match(asked)
    if m is None:
        return asked
    v, louder = m["v"].lower(), m["v"].lower() in ("raise", "boost") or (m["d"] or "").lower() == "up"
    level = f"'make {m['a']} {'louder' if louder else 'quieter'} by {m['n']} dB'"
    if v in ("lose", "kill"):
        raise PlanError(f"{instruction.strip()!r}: to lower it by {m['n']} dB: {level}; to take it out: 'remove "
                        f"{m['a']}'")
    if m["db"]:
        return asked
    if m["d"] or v in ("lower", "raise", "boost", "reduce"):  # a level
        return f"{v} {m['a']} {m['n']} dB" if v in ("drop", "cut") else f"{asked} dB"
    if v in ("drop", "cut"):
        raise PlanError(f"{instruction.strip()!r}: {m['n']} what? for its level: {level}; to stop it then: "
                        f"'make {m['a']} stop at {m['n']} s'")
    return asked


# "put a door slam at 5 s", "throw in a bell at 8 s", "drop in a whoosh": a sound added
_PUT_A = re.compile(r"^(?:(?:put|stick|pop)\s+(?:in\s+)?|(?:throw|drop|slip)\s+in\s+)"
                    r"(?P<b>(?:an?|some|another|one\s+more)\s+.+)$", re.I)


def _put(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` as "add X" where it puts a sound in (``_PUT_A``: "put a door slam at 5 s", "stick a whoosh in at 4 s");
    PlanError where the bed has that sound ("put a dog bark at 7 s": the bed's moved, or another added?)."""
    put = _PUT_A.match(asked)
    if put is None or _EFFECT_ASKED.match(f"add {put['b']}"):  # "put some reverb on the dog": refused as an effect
        return asked
    added = re.sub(r"(?i)\s+in(?=\s+at\s)", "", put["b"])
    sound = _clean(re.sub(r"(?i)\s+(?:at|from|for|between|in)\s+.*$", "", added))
    if not re.match(r"(?i)another|one\s", added) and _in_bed(previous, sound):
        at = _SAID_AT.search(added)
        scores = _scores(previous, sound, sound)
        caption = previous.events[scores.index(max(scores))].caption
        raise PlanError(f"{instruction.strip()!r}: to move the bed's {caption!r} there: 'move the "
                        f"{_ARTICLE.sub('', _subject(caption) or caption)} to {at['t'] if at else 'T'} s'; to add "
                        f"another: 'add {added}'")
    return f"add {added}"


# "duck the music (under the dialogue)": a level that dips while another sound plays (with an amount, "duck the rain
# by 4 dB", the edit that gives it is offered as for any verb not read)
_DUCK = re.compile(r"^(?!.*\d)duck\s+(?P<a>.+?)(?:\s+(?:under|below|beneath|for|when|while|during|against)\s+"
                   r"(?P<b>.+?))?$", re.I)


def _duck_said(previous: Plan, duck: re.Match, instruction: str) -> str:
    """Why "duck X (under Y)" (``_DUCK``) is refused, a level being the whole sound's, with the edits that come nearest:
    X quieter throughout, or taken out while Y (a sound of ``previous`` that plays with it) plays."""
    said = (f"{instruction.strip()!r}: a sound's level is the whole sound's, not lowered while another plays; to "
            f"lower it throughout: 'make {duck['a']} quieter'")
    scores = _scores(previous, duck["a"], duck["a"])
    ducked = [e for e, score in zip(previous.events, scores) if score == max(scores)]  # all it may name: "the gunshots"
    under = previous.events[_target(previous, duck["b"])] if duck["b"] and _in_bed(previous, duck["b"]) else None
    if under and any(under.start_s < e.end_s and e.start_s < under.end_s for e in ducked):  # they play together
        said += (f"; to take it out while {duck['b']} plays: 'remove {duck['a']} from {seconds_said(under.start_s)} to "
                 f"{seconds_said(under.end_s)} s'")
    return said


# "drop the gunshot to -10", "drop the dog to 7": a level to end at, or a time (not the sound muted until then)
_DROP_TO = re.compile(rf"^drop\s+(?P<a>.+?)\s+(?:down\s+)?to\s+(?P<n>[-\u2212]?{_DECIMAL})\s*(?P<u>db|%|{_UNIT_S})?$",
                      re.I)


def _check_drop_to(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for "drop X to N" (``_DROP_TO``): a level it ends at (in dB, or below 0) is no change of it, and
    else, a time it is moved to or taken out until, with the edit that says each."""
    m = _DROP_TO.match(asked)
    if m is None:
        return
    scores = _scores(previous, m["a"], m["a"])  # PlanError where it names no sound of the bed
    n = float(m["n"].replace("\u2212", "-"))
    if n < 0 or (m["u"] or "").lower() in ("db", "%"):
        # of all it may name ("the gunshot" of three): the level they share
        gains = {e.gain_db for e, score in zip(previous.events, scores) if score == max(scores)}
        gain = gains.pop() if len(gains) == 1 else previous.events[_target(previous, m["a"])].gain_db
        if m["u"] == "%":
            change = "'by 6 dB', '50% quieter'"
        elif n == gain:
            raise PlanError(f"{instruction.strip()!r}: {m['a']} is at {gain:+g} dB already")
        else:
            change = f"'make {m['a']} {'quieter' if n < gain else 'louder'} by {abs(n - gain):g} dB'"
        raise PlanError(f"{instruction.strip()!r}: give the change, not the level it ends at ({m['a']} is at "
                        f"{gain:+g} dB now): {change}")
    raise PlanError(f"{instruction.strip()!r}: to move it there: 'move {m['a']} to {n:g} s'; to take it out until "
                    f"then: 'remove {m['a']} before {n:g} s'")


# "lengthen the rain to 7 s", "extend it until 7 s": until 7 s (not shorter, where it ends later: _wrong_way)
_LONGER_TO = re.compile(rf"^(?:extend|lengthen)\s+(?P<a>.+?)\s+(?:to|until)\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}?$", re.I)


def _wrong_way(previous: Plan, said: re.Match, longer: bool, instruction: str) -> None:
    """PlanError where a sound lengthened to T s (``_LONGER_TO``) already ends after T s, or one trimmed to T s
    (``_CUT_TO``) ends before it: the edit would do the other way than it says."""
    e = previous.events[_target(previous, said["a"])]
    if (e.end_s > float(said["n"])) if longer else (e.end_s < float(said["n"])):
        raise PlanError(f"{instruction.strip()!r}: {e.caption!r} ends at {seconds_said(e.end_s)} s, so stopping it at "
                        f"{said['n']} s would make it {'shorter' if longer else 'longer'}; say 'make {said['a']} "
                        f"stop at {said['n']} s' "
                        f"for that, or 'make {said['a']} last {said['n']} s' for that length")


def _at_once(previous: Plan, said: re.Match, instruction: str) -> Plan:
    """``previous`` with the limit of sounds at once that ``said`` gives (``_AT_ONCE``); PlanError for a
    limit out of 1 to MAX_EVENTS, the bed's own, or one the bed already plays more than."""
    n = int(said["n"]) if said["n"].isdigit() else _COUNTS[said["n"].lower()]
    if not 1 <= n <= MAX_EVENTS:
        raise PlanError(f"{instruction.strip()!r}: a bed plays from 1 to {MAX_EVENTS} sounds at once")
    if n == previous.max_simultaneous:
        raise PlanError(f"{instruction.strip()!r}: this bed already plays at most {n} at once")
    peak, when = _max_overlap(list(previous.events), n)
    if peak > n:
        names = "; ".join(playing_said(playing_at(list(previous.events), when), n))
        raise PlanError(f"{instruction.strip()!r}: the bed plays {peak} sounds at once from {seconds_said(when)} s "
                        f"({names}); remove or end one of them first")
    return replace(previous, max_simultaneous=n)


# "end the rain early", "make the thunder start late": how much is not said
_EARLY = re.compile(r"^(?:(?P<v>start|begin|end|stop|finish)\s+(?P<a>[^\d]+?)|(?:make|have|let)\s+(?P<b>.+?)\s+"
                    r"(?P<w>start|begin|end|stop|finish))\s+(?P<dir>early|late)$", re.I)  # not "end the rain 2 s early"


def _check_early(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for a start or an end of a sound of ``previous`` said early or late with no amount (``_EARLY``: "end
    the rain early"), with the edits that give one."""
    m = _EARLY.match(asked)
    if m is None or re.search(rf"\s{_A_BIT}$", m["a"] or m["b"], re.I):  # "end the rain a bit early": a bit earlier
        return
    _scores(previous, m["a"] or m["b"], m["a"] or m["b"])  # PlanError where it names no sound of the bed
    x, verb, way = m["a"] or m["b"], (m["v"] or m["w"]).lower(), _EARLIER[m["dir"].lower()]
    edge = "start" if verb in ("start", "begin") else "stop"
    raise PlanError(f"{instruction.strip()!r}: how much {way}? say 'make {x} {verb} 1 s {way}', or 'make {x} {edge} at "
                    f"T s'")


# "push the rain back (a bit)": later, or back in the mix? ("push the rain back 1 s" is later: _edit_said)
_PUSHED_BACK = re.compile(rf"^push\s+(?!.*\sin(?:to)?\s+the\s+mix$)(?:back\s+(?P<a>.+?)|(?P<b>.+?)\s+back)"
                          rf"(?:\s+{_A_BIT})?$", re.I)  # ("push the rain back in the mix": quieter)


def _check_pushed_back(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for a sound of ``previous`` pushed back with no unit (``_PUSHED_BACK``): a time, or a mixer's level,
    with the edits that say each."""
    m = _PUSHED_BACK.match(asked)
    if m is None:
        return
    x, bit = m["a"] or m["b"], f"{m['bit']} " if m["bit"] else ""
    _scores(previous, x, x)  # PlanError where it names no sound of the bed
    raise PlanError(f"{instruction.strip()!r}: later, or back in the mix? say 'move {x} {bit}later' (or 'move {x} 1 s "
                    f"later'), or 'make {x} {bit or 'a bit '}quieter'")


# "double the dog": a second take over it, twice as loud, or twice in a row? (not "double the length of the rain")
_DOUBLE = re.compile(r"^double\s+(?:up\s+)?(?P<a>(?!.*\b(?:length|duration|speed|tempo|level|volume|gain)\b).+?)"
                     r"(?:\s+up)?$", re.I)


def _check_double(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for a sound of ``previous`` doubled (``_DOUBLE``), with the edits that say each reading."""
    m = _DOUBLE.match(asked)
    if m is None or not _in_bed(previous, m["a"]):
        return
    e = previous.events[_target(previous, m["a"])]
    noun = _ARTICLE.sub("", _subject(e.caption) or e.caption)
    raise PlanError(f"{instruction.strip()!r}: a second take over it: 'add another {noun} at {seconds_said(e.start_s)} "
                    f"s'; twice as loud: 'make {m['a']} twice as loud'; twice in a row: 'replace {m['a']} with "
                    f"{e.caption} twice'")


# "more squeaks", "fewer whistles" ("less whistles"): more (fewer) takes of a sound said in the plural, or its level
# ("more rain": louder)?
# (a name of two words at most: not "more space between the knocks")
_MORE_OF = re.compile(r"^(?P<d>more|fewer|less)\s+(?P<a>(?:the\s+)?(?:[a-z']+\s+)?[a-z']+[^s\W]s)$", re.I)


def _check_more(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for more (or fewer, or less) of a sound of ``previous`` said in the plural (``_MORE_OF``) whose takes
    are one-shots, with the edits that say each reading; a background or a repeated sound is made louder (quieter)."""
    m = _MORE_OF.match(asked)
    if m is None or not _in_bed(previous, m["a"]):
        return
    named = [previous.events[i] for i in _all_matching(previous, f"all the {m['a']}")]
    if any(e.fill or is_background(e.caption) for e in named):
        return
    one = _singular(m["a"].split()[-1])
    if m["d"].lower() == "fewer":
        raise PlanError(f"{instruction.strip()!r}: to take one out: 'remove the last {one}' (or the first, ...)")
    if m["d"].lower() == "less":  # "less knocks": fewer of them, as said casually, or quieter, as "less rain" is
        raise PlanError(f"{instruction.strip()!r}: fewer of them, or quieter? to take one out: 'remove the last "
                        f"{one}' (or the first, ...); quieter: 'make the {m['a']} quieter'")
    raise PlanError(f"{instruction.strip()!r}: more of them, or louder? another: 'add another {one} at T s'; louder: "
                    f"'make the {m['a']} louder'")


# "only 2 knocks", "just two knocks", "keep only the first two knocks", "two knocks only", "just one knock" ("only the
# first knock"): so many of
# the bed's takes of a sound kept, the first ones (or "the last 2"), the others taken out
_ONLY = re.compile(rf"^(?:(?:(?:keep|leave)\s+(?:only|just)|only|just|keep)\s+(?:the\s+)?(?:(?P<edge>first|last)\s+"
                   rf"(?P<k>\d+|{_NUMBER})?|(?P<n>\d+|{_NUMBER}|a\s+single))\s*(?P<a>(?<=\s)[a-z][a-z' ]*?)(?:\s+only)?"
                   rf"|(?P<m>\d+|{_NUMBER})\s+(?P<b>[a-z][a-z' ]*?)\s+only)$", re.I)


def _only(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` as "remove all the Xs but the first N" where it keeps only N of a sound's takes (``_ONLY``); a
    sound repeated at a rhythm as "make X stop at T s", T where its Nth beat ends. PlanError where the bed has no
    more than N of them, or one repeated at no rhythm the plan gives."""
    m = _ONLY.match(asked)
    if m is None:
        return asked
    said, noun = m["n"] or m["k"] or m["m"] or "one", m["a"] or m["b"]  # "only the first knock": one
    n = 1 if said.lower().startswith("a ") else _count(said)
    if n < 1:
        return asked
    _scores(previous, noun, noun)  # else refused as "all the knocks", not as said
    takes = _all_matching(previous, f"all the {noun}", listed=False)
    if len(takes) == 1:
        e = previous.events[takes[0]]
        if e.fill and e.period_s:  # "a kettle whistles every 2 s": its first N beats
            return f"make the {noun} stop at {round(e.start_s + n * e.period_s, 3):g} s"
        if e.fill:
            x = _ARTICLE.sub("", noun)
            raise PlanError(f"{instruction.strip()!r}: {e.caption!r} is laid again and again to fill its span, at no "
                            f"rhythm the plan gives; to hear it {n} time{'s' if n > 1 else ''}: 'replace the {x} with "
                            f"{e.caption} {'once' if n == 1 else f'{n} times'}', or give it a rhythm first "
                            f"('the {x} every 0.5 s')")
    if n >= len(takes):
        has = f"{len(takes)} of them" if len(takes) > 1 else "one"
        raise PlanError(f"{instruction.strip()!r}: the bed has {has} ({_captions_said(previous)})"
                        + (f"; to add one: 'add another {_singular(noun)} at T s'" if n > len(takes) else ""))
    return f"remove all the {noun} but the {(m['edge'] or 'first').lower()} {n} {noun}"


# "use a cat instead": of the bed's one sound; of which, where it has several?
_INSTEAD = re.compile(r"^use\s+(?P<b>.+?)\s+instead$", re.I)


# "door slams instead", "the door should slam instead", "make the door slam instead": a new sound said in short, with
# no time or edit of its own ("the thunder at 1 s instead" is a move)
_SAID_INSTEAD = re.compile(r"^(?:(?:make|have|let)\s+(?P<m>(?:the|that|this)\s+[a-z' ]+?)\s+(?P<mv>[a-z]+)|(?P<s>"
                           r"(?:the|that|this)\s+[a-z' ]+?)\s+should\s+(?P<sv>[a-z]+)|(?!(?:it|that|this|them|use)\s)"
                           r"(?P<b>[a-z' ]+?))\s+instead$", re.I)
_NOT_A_SOUND = re.compile(r"\b(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower|heavier"
                          r"|lighter|one|ones|again|db)\b", re.I)


_NO_UNIT = r"(?!(?:s|secs?|seconds?|ms|mins?|minutes?|db|times?|percent)$)"  # a thing said, not "2 secs", "3 db"
_RECOUNTED = re.compile(rf"^(?:(?P<x>[a-z][a-z' ]*?)\s+(?P<c>{_COUNT})(?:\s*,)?\s+instead|make\s+(?P<a>(?:it|that"
                        rf"|this|them|(?:the|that|this)\s+[a-z' ]+?))\s+(?P<n>\d+|{_NUMBER})\s+{_NO_UNIT}"
                        rf"(?P<y>[a-z]{{3,}})|(?P<m>\d+|{_NUMBER})\s+{_NO_UNIT}(?P<z>[a-z]{{3,}}))$", re.I)


def _recounted(previous: Plan, asked: str) -> str:
    """``asked`` as "replace X with X's caption N times" where it says how many of a sound of the bed, one take, it
    should be: "dog barks 3 times instead" of "a dog barks", "make it 3 gunshots" (of a gunshot), "4 knocks" (of
    "someone knocks"); else ``asked`` (several takes of it: "only 2 knocks" keeps some of them)."""
    m = _RECOUNTED.match(_clean(asked))
    if m is None:
        return asked
    if m["x"]:  # "dog barks 3 times instead"
        named = _bed_sound_said(previous, f"the {_ARTICLE.sub('', m['x'])}") or _named_by_its_words(previous, m["x"])
        times = _count(m["c"])
    else:  # "make it 3 gunshots", "4 knocks": the plural names the sound
        noun, times = m["y"] or m["z"], _count(m["n"] or m["m"])
        if not noun.lower().endswith("s"):
            return asked
        named = _bed_sound_named(previous, noun)
        if named is None or _stems(noun) <= _stems(_subject(named[0]) or ""):  # "3 dogs" of "a dog barks": three
            return asked  # dogs, or three barks?
        try:  # "make the drum 3 gunshots", or "it" of the rain: another sound (of several: the one the plural names)
            named = named if not m["a"] or previous.events[_target(previous, m["a"])].caption == named[0] else None
        except PlanError:
            named = None if not _PRONOUN.match(m["a"]) else named
    if named is None or times < 2 or sum(e.caption == named[0] for e in previous.events) != 1:
        return asked
    i = next(k for k, e in enumerate(previous.events) if e.caption == named[0])
    return f"replace the {_ARTICLE.sub('', named[1])} at {seconds_said(previous.events[i].start_s)} s with " \
           f"{named[0]} {times} times"


_SAID_AGAIN = re.compile(rf"^(?:(?:do\s+)?(?:the\s+)?same\s+(?:thing\s+)?(?:for|with|to|on)\s+(?P<x>.+)|ditto\s+"
                         rf"(?:for\s+)?(?P<y>.+)|(?:(?:actually|i\s+meant)\s*,?\s+)?(?:at\s+|to\s+)?"
                         rf"(?P<t>{_DECIMAL})\s*{_UNIT_S}?)$", re.I)


def _said_again(previous: Plan, asked: str, instruction: str) -> str:
    """PlanError for an edit said as the last one again ("same for the ghost") or as a new time of it ("actually 6 s",
    "no, 6 s", a time alone):
    a turn reads its own words, not the last turn's, so it asks for the edit said whole; else ``asked``."""
    m = _SAID_AGAIN.match(_clean(asked))
    if m is None:
        return asked
    edited = list(dict.fromkeys(e.caption for e in previous.events if e.edited))
    last = f"the {_ARTICLE.sub('', _subject(edited[0]) or edited[0])}" if len(edited) == 1 else "X"
    if m["t"]:
        raise PlanError(f"{instruction.strip()!r}: say the edit whole, with its time: 'move {last} to {m['t']} s' (or "
                        f"'make {last} start at {m['t']} s', 'make {last} stop at {m['t']} s')")
    raise PlanError(f"{instruction.strip()!r}: say the edit whole, of {m['x'] or m['y']} (e.g. 'make "
                    f"{m['x'] or m['y']} louder'); an edit is not repeated from the last turn")


_BY_VERB = re.compile(rf"^(?P<h>(?:make|have|let)\s+)(?P<p>it|them)\s+(?P<v>[a-z]+)(?P<t>\s+at\s+{_DECIMAL}\s*"
                      rf"{_UNIT_S}?)$", re.I)


def _pronoun_by_verb(previous: Plan, asked: str) -> str:
    """``asked`` with "it" named by its verb where "it" names no one sound of the bed ("make it ring at 7 s" of rain and
    a phone ringing: "make the phone ring at 7 s"); else ``asked``."""
    m = _BY_VERB.match(asked)
    if m is None or len({e.caption for e in previous.events}) == 1 or len(
            {e.caption for e in previous.events if e.edited}) == 1:
        return asked
    picked = {e.caption for e in previous.events if _its_own(third_person(m["v"].lower()), e.caption)}
    if len(picked) != 1:
        return asked
    caption = picked.pop()
    return f"{m['h']}the {_ARTICLE.sub('', _subject(caption) or caption)} {m['v']}{m['t']}"


_PLAYED_FROM = re.compile(rf"^(?P<x>(?!{_SHORT_NOT}\s)[a-z][a-z' ]*?)\s+(?:only\s+)?(?:from|between)\s+"
                          rf"(?P<a>{_DECIMAL})\s*{_UNIT_S}?\s+(?:to|and|until|till|-)\s+(?P<b>{_DECIMAL})\s*{_UNIT_S}?"
                          r"(?:\s+only)?$", re.I)


def _played_from(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` as the one edit that plays a sound of the bed (one take) from A to B s ("crowd murmuring from 0 to 8 s
    only" of a crowd from 0 s: "make the crowd stop at 8 s"); PlanError naming both edits where it moves both edges;
    else ``asked``."""
    m = _PLAYED_FROM.match(_clean(asked))
    named = m and _bed_sound_said(previous, f"the {_ARTICLE.sub('', m['x'])}")
    if not named or sum(e.caption == named[0] for e in previous.events) != 1:
        return asked
    e, x = next(e for e in previous.events if e.caption == named[0]), f"the {named[1]}"
    a, b = float(m["a"]), float(m["b"])
    if abs(a - e.start_s) < 1e-3:
        return f"make {x} stop at {m['b']} s"
    if abs(b - e.end_s) < 1e-3 and (e.fill or is_background(e.caption)):  # a one-shot's start moves it whole
        return f"make {x} start at {m['a']} s"
    if abs(b - e.end_s) < 1e-3:
        raise PlanError(f"{instruction.strip()!r}: {e.caption!r} is one sound, from {seconds_said(e.start_s)} to "
                        f"{seconds_said(e.end_s)} s; one edge a turn: 'move {x} to {m['a']} s', then 'make {x} stop at "
                        f"{m['b']} s'")
    raise PlanError(f"{instruction.strip()!r}: {e.caption!r} plays from {seconds_said(e.start_s)} to "
                    f"{seconds_said(e.end_s)} s; one edge a turn: 'make {x} start at {m['a']} s', then 'make {x} stop "
                    f"at {m['b']} s'")


def _said_instead(previous: Plan, asked: str) -> str:
    """``asked`` as "use Y instead" where it says only a new sound Y and "instead" (``_SAID_INSTEAD``: "door slams
    instead", "make the door slam instead" is "use a door slams instead"), Y said with the article of the bed's sound
    it names ("a door creaks": "a door slams"); else ``asked``. Not an edit, nor Y the bed's sound itself ("the dog
    instead")."""
    m = _SAID_INSTEAD.match(asked)
    if m is None or _NOT_A_SOUND.search(asked) or m["b"] and (_EDIT_VERBS.match(asked) or short_edit(asked) != asked):
        return asked
    said = m["b"]
    if m["m"] or m["s"]:  # "make the door slam": the door slams
        thing, verb = (m["m"], m["mv"]) if m["m"] else (m["s"], m["sv"])
        if third_person(verb.lower()) not in _SOUND_VERBS:
            return asked
        said = f"{thing} {third_person(verb.lower())}"
    if re.match(r"(?i)(?:the|that|this)\s", said) and _subject(said) is None:
        return asked  # "the dog instead": a sound of the bed, named, not a new one
    said = re.sub(r"(?i)^(?:the|that|this)\s+(?=(?P<v>[a-z]))", lambda v: "an " if v["v"] in "aeiou" else "a ", said)
    captions = {e.caption for e in previous.events}
    if said.lower() in _SOUND_VERBS:  # "slams instead" of "a door creaks": "a door slams"
        thing = _subject(next(iter(captions))) if len(captions) == 1 else None
        if thing is None:
            return asked
        said = f"{thing} {said}"
    named = _bed_sound_named(previous, said)
    if named and _stems(said) <= _stems(named[0]):
        return asked  # the named sound itself ("the dog instead")
    caption = named[0] if named else next(iter(captions))
    article = _ARTICLE.match(caption)
    if article and not _ARTICLE.match(said) and said.split()[0].lower() in _words(_subject(caption) or caption):
        said = f"{article[0]}{said[0].lower()}{said[1:]}"  # "door slams" of "a door creaks": "a door slams"
    return f"use {said} instead"  # of several, and none named: which is asked


def _instead(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` as "replace it with Y" where it says "use Y instead" (``_INSTEAD``; or Y alone: ``_said_instead``) of
    a bed of one sound, or of the bed's sound Y's noun names ("use heavy rain instead": the rain; "door slams
    instead": the door); PlanError asking which where the bed has several."""
    m = _INSTEAD.match(_said_instead(previous, asked))
    if m is None:
        return asked
    captions = list(dict.fromkeys(e.caption for e in previous.events))
    last = _ARTICLE.sub("", (_subject(m["b"]) or m["b"]).strip()).split()[-1:]  # "heavy rain": rain
    if len(captions) > 1 and last and _in_bed(previous, f"the {last[0]}"):  # "use heavy rain instead" of the rain
        return f"replace the {last[0]} with {m['b']}"
    if len(captions) > 1 and (named := _bed_sound_named(previous, m["b"])):  # "use a door slam instead": the door
        return f"replace the {named[1]} with {m['b']}"
    if len(captions) > 1:
        noun = _ARTICLE.sub("", _subject(captions[-1]) or captions[-1])
        raise PlanError(f"{instruction.strip()!r}: instead of which sound? say 'use {m['b']} instead of the {noun}' "
                        f"(the sounds are: {_captions_said(previous)})")
    return f"replace it with {m['b']}"


# "make the rain heavier" ("lighter"): its level, as "the rain gets heavier" says in a description (not a change said
# of it: "the rain gets heavier", "... and gets heavier")
_HEAVIER = re.compile(rf"^(?:make\s+|(?!{_SHORT_NOT}\b))(?P<a>(?:(?!\b(?:gets?|grows?|becomes?|is|are|and"
                      rf"|then)\b)[^,;:.])+?)\s+(?P<how>(?:{_A_BIT}|{_MUCH})\s+)?(?P<d>heavier|lighter)"
                      rf"(?P<by>\s+by\s+.+)?$", re.I)


def _heavier(previous: Plan, text: str, notes: list[str] | None) -> str:
    """``text`` as "make X louder" where it makes X heavier (``_HEAVIER``; "lighter": quieter), with a note in
    ``notes`` saying so and the replacement that gives a heavier sound itself."""
    m = _HEAVIER.match(text)
    if m is None:
        return text
    louder = m["d"].lower() == "heavier"
    said = re.match(r"(?i)(?:the|that|this|these|those|all|every|each|both|it|them)\b", m["a"])  # else "rain heavier"
    x = m["a"] if said else f"the {m['a']}"
    try:
        caption = previous.events[_target(previous, x)].caption
    except PlanError:  # no one sound: the level edit says why
        caption = None
    if notes is not None and caption is not None:
        new = weighted(caption, louder)  # "heavy rain"; no "heavy kettle"
        named = _bed_sound_named(previous, x)
        thing = named[1] if named else _ARTICLE.sub("", _subject(caption) or caption)
        notes.append(f"{m['d'].lower()!r} is read as {'louder' if louder else 'quieter'}: the same take, its level "
                     f"{'raised' if louder else 'lowered'}" + (f"; for {m['d'].lower()} {thing} itself, a new take: "
                                                               f"'replace {x} with {new}'" if new else ""))
    return f"make {x} {m['how'] or ''}{'louder' if louder else 'quieter'}{m['by'] or ''}"


# "fade in the rain", "fade the music out over 2 s": a fade of a length of its own (one at a time is its start or
# stop: "fade the rain out at 8 s")
_FADE = re.compile(r"^(?:(?:make|have|let)\s+.+?\s+fade|fade(?:\s+.+?)?)\s+(?P<d>in|out|away)\b", re.I)


# "siren -> ambulance siren", "dog -> 3 s": an editor's note of a replacement, or of a move to that time
_ARROW = re.compile(r"^(?P<a>[^>]+?)\s*(?:-+>|=>|\u2192)\s*(?P<b>[^>]+)$")


def _arrow(asked: str) -> str:
    """``asked`` as the edit its arrow says (``_ARROW``): "replace X with Y", or "move X to T s" for a time."""
    if m := _ARROW.match(asked):
        moved = re.fullmatch(rf"(?:at\s+)?(?P<t>{_DECIMAL}\s*(?:{_UNIT_S})?)", m["b"], re.I)
        return f"move {m['a']} to {moved['t']}" if moved else f"replace {m['a']} with {m['b']}"
    return asked


# "louder", "a bit later", "shorter by 1 s" said alone: of the bed's one sound ("much later" says no amount)
_TIMES_AS = rf"(?:{_DECIMAL}\s*[x\u00d7]|(?:{_DECIMAL}|{_NUMBER})\s+times)"  # "3x", "three times"
_ALONE = re.compile(rf"^(?:(?:a\s+(?:little\s+)?bit|a\s+(?:little|touch|tad|notch)|slightly)\s+(?=\w)"
                    r"|(?:much|a\s+lot)\s+(?=louder|quieter|softer)"
                    rf"|{_TIMES_AS}\s+(?=louder|quieter|softer|faster|slower))?"
                    r"(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower|closer\s+together"
                    r"|(?:further|farther)\s+apart)(?:\s+by\s+.+)?$"
                    rf"|^(?:twice|half|{_TIMES_AS})\s+as\s+(?:fast|quick|slow|loud)$", re.I)


# "a bit more", "even more", "too much", "not that much": more (or less) of the last edit, which a turn does not keep
_MORE_ALONE = re.compile(r"^(?:(?:a\s+(?:little\s+)?bit|a\s+(?:little|touch|tad|lot)|much|way|even|some"
                         r"|just\s+a\s+bit)\s+)?(?:more|less)$|^(?:(?:that'?s|it'?s|that\s+is|it\s+is)\s+)?"
                         r"(?:(?:way|far|a\s+bit|much)\s+)?too\s+much$|^not\s+(?:that|so|as|too)\s+much$", re.I)


def _check_unit(previous: Plan, asked: str) -> None:
    """PlanError for an offset said with no unit (``_UNITLESS``: "dog +3", dB or seconds?), with the edits that say
    each of a sound of ``previous`` that it names; of several it names, of the first ("the first dog")."""
    m = _UNITLESS.match(asked)
    if m is None:
        return
    louder, said, x = m["sign"] == "+", m["a"], m["a"] if _ARTICLE.match(m["a"]) else f"the {m['a']}"
    if _in_bed(previous, m["a"]):
        try:
            _match(previous, m["a"])
        except PlanError:  # several sounds: the first of them
            said = x = f"the first {_singular(_ARTICLE.sub('', m['a']))}"
    raise PlanError(f"{_clean(asked)!r}: {m['n']} dB {'louder' if louder else 'quieter'}, or {m['n']} s "
                    f"{'later' if louder else 'earlier'}? say '{said} {m['sign']}{m['n']} dB', or 'make {x} "
                    f"{m['n']} s {'later' if louder else 'earlier'}'")


def _check_more_alone(previous: Plan, asked: str, instruction: str) -> None:
    """PlanError for more (or less) of an edit said alone (``_MORE_ALONE``: "a bit more"), with the edit said whole
    of the sound the last turn edited (else of the bed's last sound)."""
    if not _MORE_ALONE.match(asked):
        return
    edited = [e.caption for e in previous.events if e.edited] or [previous.events[-1].caption]
    noun = _ARTICLE.sub("", _subject(edited[-1]) or edited[-1])
    raise PlanError(f"{instruction.strip()!r}: more of which edit? say it whole, e.g. 'make the {noun} a bit louder' "
                    f"(or quieter, later, longer, faster)")


# "guitar down", "the rain way up": a mix note of a level said in short, of a sound of the bed by its own words
_UP_OR_DOWN = re.compile(r"^(?!(?:an?|some|make|turn|bring|pull|push|move|put|cut|drop|slow|speed|calm|settle|quiet"
                         r"|tone|dial|shut|sit|die|go|come)\s)(?P<a>[a-z][a-z' ]*?)\s+(?P<w>(?:way|far|right)\s+)?"
                         r"(?P<d>up|down)$", re.I)


def _up_or_down(previous: Plan, asked: str) -> str:
    """``asked`` as "turn X down" ("way down", "up") where it says a sound of ``previous`` and up or down alone
    (``_UP_OR_DOWN``), each of its words one of that sound's caption ("the car slows down" of "a car passes" is no
    mix note)."""
    m = _UP_OR_DOWN.match(asked)
    if m is None or not any(_stems(m["a"]) <= _stems(e.caption) for e in previous.events):
        return asked
    return f"turn {m['a']} {m['w'] or ''}{m['d']}"


def _said_alone(previous: Plan, asked: str, instruction: str) -> str:
    """``asked`` said of the bed's one sound where it names none (``_ALONE``: "louder"); PlanError asking which where
    the bed has several."""
    if not _ALONE.match(asked):
        return asked
    captions = list(dict.fromkeys(e.caption for e in previous.events))
    if len(captions) > 1 and len({e.caption for e in previous.events if e.edited}) != 1:  # else the one last edited
        one = [c for c in captions if sum(e.caption == c for e in previous.events) == 1] or captions  # named alone
        noun = _ARTICLE.sub("", _subject(one[-1]) or one[-1])
        raise PlanError(f"{instruction.strip()!r}: which sound? name it: 'make the {noun} {asked}' (the sounds are: "
                        f"{_captions_said(previous)})")
    return f"make it {asked}"


# "please" and "thanks" around an edit ("pls make the dog louder", "dog at 5 s pls"): no part of it
_POLITE = re.compile(r"^(?:please|pls|plz)\s+|(?:,?\s+(?:please|pls|plz|thanks|thank\s+you|thx|ty))+$", re.I)


def _typos_said(text: str) -> str:
    """``text`` with the little words of an edit typed in haste as said: "teh" ("hte") is "the", "ot" before a number
    "to" ("move the dog ot 4 s")."""
    text = re.sub(r"\b(?:teh|hte)\b", "the", text, flags=re.I)
    return re.sub(r"\bot(?=\s+\d)", "to", text, flags=re.I)


def _a_bit_said(text: str) -> str:
    """``text`` with a small amount said casually as the edits read it: "a lil bit" ("a wee bit", "a tiny bit") is "a
    bit", "a lil" is "a little"; run together, "abit" ("alittle"), or said alone without "a", "bit louder" ("little
    later"), it is "a bit" ("a little") too, and so is one said after the change ("quieter a touch" is "a touch
    quieter"); "even quieter" is "quieter" (again, after a turn that made it quieter)."""
    text = re.sub(r"\ba(?P<w>bit|little)\b", r"a \g<w>", text, flags=re.I)
    text = re.sub(r"\beven\s+(?=(?:a\s+(?:little\s+)?bit\s+|a\s+(?:little|touch|tad|lot)\s+|much\s+|slightly\s+)?"
                  r"(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower)\b)", "", text,
                  flags=re.I)
    text = re.sub(r"^(?P<w>bit|little|lil)(?=\s+(?:louder|quieter|softer|later|earlier|sooner|longer|shorter"
                  r"|faster|slower)\b)", lambda m: f"a {'bit' if m['w'].lower() == 'bit' else 'little'}", text,
                  flags=re.I)
    text = re.sub(r"\ba\s+(?:lil'?|wee|tiny|teeny(?:\s+tiny)?|little\s+tiny)\s+bit\b", "a bit", text, flags=re.I)
    text = re.sub(r"\ba\s+lil'?(?=\s)", "a little", text, flags=re.I)
    # said after the change, "quieter a touch" ("later a bit"): as "a touch quieter"
    return re.sub(r"\b(?P<d>louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower)\s+"
                  r"(?P<b>a\s+(?:little\s+)?bit|a\s+(?:little|touch|tad|notch)|slightly)$", r"\g<b> \g<d>", text,
                  flags=re.I)


# "cows off" ("the crowd off at 8 s", "... from 2 to 4 s"): as "turn the cows off" where it names a sound of the bed
# and says nothing it does (not "eases off", "the rain eases off at 5 s")
_OFF = re.compile(rf"^(?!{_SHORT_NOT}\s)(?P<a>[^,;:.\d]+?)\s+off(?P<r>\s+(?:at|from|between)\s+\d.*)?$", re.I)


def _off(previous: Plan, text: str) -> str:
    """``text`` as "turn X off" where it is a sound of ``previous`` said with "off" alone (``_OFF``)."""
    m = _OFF.match(text)
    return f"turn {m['a']} off{m['r'] or ''}" if m and not _subject(m["a"]) and _in_bed(previous, m["a"]) else text


def rules_edit(previous: Plan, instruction: str, notes: list[str] | None = None) -> Plan:
    """Apply one simple edit to ``previous``; events that do not change keep their seed. ``notes`` gets a line for an
    edit read in another way than said ("make the rain heavier": louder)."""
    asked = editor_said(_off(previous, _edit_seconds(_a_bit_said(_POLITE.sub("", _without_lead_in(_typos_said(_clean(
        until_said(instruction)))))))))
    if (mood := _MOOD.match(asked)) and not mood["x"] and not (
            mood["w"] and re.search(r"(?:ing|[^u]s|life|stock)$", mood["w"], re.I) or _in_bed(previous, mood["m"])):
        # "more spooky" ("less eerie", "spookier"): a feel, as "make it spookier" is (not "more rain", "more cheering")
        asked = f"make it {asked}"
    plain = re.sub(r"(?i),?\s+instead$", "", asked)  # "make it louder instead": the edit (not "use a cat instead")
    asked = plain if _ALONE.match(plain) or _is_edit(plain) and not re.match(r"(?i)use\s", plain) else asked
    _check_unit(previous, asked)
    _check_more_alone(previous, asked, instruction)
    asked = _up_or_down(previous, _said_alone(previous, _arrow(asked), instruction))
    asked = _ALLOWED_TO.sub(r"let \g<a> ", asked)  # "allow the rain to fade at 5 s": let it
    if (length := _BED_LENGTH.match(asked)) and not any(_words(asked) & _words(e.caption) for e in previous.events):
        # not "make the track 5 s" of "a train on the track"
        wanted = f"a bed of {length['n']} s" if length["n"] else "another length"
        raise PlanError(f"{instruction.strip()!r}: a session's bed keeps its length ({previous.duration_s:g} s); for "
                        f"{wanted}, describe it anew at "
                        f"that length (give it another --session file); to end a sound sooner: 'make X stop at "
                        f"T s', or 'remove everything after T s'")
    asked = _RING_OUT.sub(r"make \g<a> stop at the end", asked)
    asked = _till_the_end(previous, asked)
    asked = _looped(previous, asked, instruction)
    asked = _as_long(previous, asked)
    if longer := _LONGER_TO.match(asked):
        _wrong_way(previous, longer, True, instruction)
    if cut := _CUT_TO.match(asked):  # not "shorter by 5 s", nor the rain muted until 5 s
        _wrong_way(previous, cut, cut["v"].lower() == "stretch", instruction)
        if previous.events[_target(previous, cut["a"])].start_s > 0:
            raise PlanError(f"{instruction.strip()!r}: until {cut['n']} s, or {cut['n']} s long? say 'make {cut['a']} "
                            f"stop at {cut['n']} s', or 'make {cut['a']} last {cut['n']} s'")
        asked = f"make {cut['a']} stop at {cut['n']} s"
    if limit := _AT_ONCE.match(asked):
        return _at_once(previous, limit, instruction)
    asked = _put(previous, asked, instruction)
    if (duck := _DUCK.match(asked)) and _in_bed(previous, duck["a"]):
        raise PlanError(_duck_said(previous, duck, instruction))
    asked = _bare_amount(asked, instruction)
    _check_drop_to(previous, asked, instruction)
    _check_early(previous, asked, instruction)
    _check_pushed_back(previous, asked, instruction)
    _check_double(previous, asked, instruction)
    _check_more(previous, asked, instruction)
    asked = _said_again(previous, _recounted(previous, asked), instruction)
    asked = _instead(previous, _only(previous, asked, instruction), instruction)
    asked = _played_from(previous, _pronoun_by_verb(previous, asked), instruction)
    asked = _moved_from(previous, asked)
    # "a few more punches" ("two more knocks at 5 s and 6 s", "some more laughs") with no verb: as "add a few more
    # punches"
    asked = re.sub(rf"^(?=(?:a\s+few|several|a\s+couple(?:\s+of)?|{_SOME_MORE}|\d+|{_MANY})\s+more\s+"
                   rf"(?!(?:s|secs?|seconds?|db|times?)\b)[a-z])", "add ", asked, flags=re.I)
    # "add the glass at 7 s" ("add the dog at 2 s and 6 s"), the one-shot of the bed named with "the": another of it
    # ("add the rain back at 6 s" of rain that stopped at 4 s: another of it; of a fridge humming then, refused)
    if (the := re.match(r"(?i)^add\s+the\s+(?P<x>[a-z][^\d,;]*?)(?:\s+back)?(?P<t>\s+(?:at|from|between)\s+\d.*)$",
                        asked)) and not re.search(r"(?i)\s(?:again|once\s+more)$", the["x"]) \
            and _in_bed(previous, f"the {the['x']}"):
        if not _names_a_one_shot(previous, the["x"]):
            _check_added_again(previous, the, instruction)  # no sound captioned "the fridge" over the fridge
        asked = f"add another {the['x']}{the['t']}"
    # "another dog at 8 s" ("one more knock at 5 s"): as "add another dog at 8 s" (not "another take of X")
    asked = re.sub(r"^(?=(?:another|one\s+more)\s+(?!(?:take|version|one|pass|go|try|shot)\b)[a-z].*?\s+at\s+\d)",
                   "add ", asked, flags=re.I)
    # "make the chime at 7" ("make ball at 5"), a sound of the bed named by its words alone: moved there (not "make a
    # chime at 7", another)
    at = re.match(rf"(?i)^make\s+(?!(?:an?|another|some)\s)(?P<a>(?:the\s+)?[a-z][a-z' ]*?)\s+at\s+"
                  rf"(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$", asked)
    if at and _named_by_its_words(previous, at["a"]):
        asked = f"move {at['a']} to {at['t']}"
    text = _edit_said(short_edit(_said_of_bed(previous, _after_event(previous,
                                                                     _another(previous, asked, instruction)))))
    text = _heavier(previous, text, notes)
    if _LEVEL_SPAN.match(text):  # before "after 5 s" reads "at 5 s", a time that picks an event
        raise PlanError(f"{instruction.strip()!r}: a change of level applies to the whole sound; to take it out of "
                        f"part of the bed: remove X from A to B s, before T s or after T s")
    if by_or_to := _MOVED_BY_OR_TO.match(text):  # "move the dog 2 s" would read "at 2 s", "move it down 1 s" too
        x, n = by_or_to["a"], by_or_to["n"]
        raise PlanError(f"{instruction.strip()!r}: to {n} s, or by {n} s? say 'move {x} to {n} s', or 'move {x} {n} s "
                        f"later' (or earlier)")
    text = _clean(in_seconds(_REMOVE_AFTER.sub(r"\g<a> from ", text)))  # else "after 6 s" would read "at 6 s"
    if re.match(r"(?:add|move|put)\s", text, re.I):  # "add a bell at the end" (not "remove the rain at the end")
        text = said_times(_MOVE_TO_PLACE.sub(lambda m: f"{m['a']} {'in' if m['place'].endswith('middle') else 'at'} "
                                                       f"the {m['place']}", text), previous.duration_s)
        # "4 s in(to the clip)"
        text = re.sub(r"\bto\s+at\s+(?=\d)", "to ", _IN_AT.sub(lambda m: f" at {m['t']} s", text))
    added_gain = None
    if level := _added_level(text):  # "add thunder at 3 s, quietly": at -6 dB
        text, added_gain = level["x"], _added_gain(level)
    if two := _two_edits(text):
        first, second = two
        raise PlanError(f"one edit per turn: {_clean(first)!r} and {second!r} are two; "
                        f"give the second on the next turn")
    if _TO_LEVEL.match(text):  # "reduce the rain to 10%" is no change by 10%, nor "turn X down to" a replacement
        raise PlanError(f"{instruction.strip()!r}: give the change, not the level it ends at: 'by 6 dB', '50% quieter'")
    events = [dict(caption=e.caption, start_time=e.start_s, end_time=e.end_s, gain_db=e.gain_db, seed=e.seed,
                   fill=e.fill, period_s=e.period_s, mute=e.mute, period_from=e.period_from)
              for e in previous.events]
    d = previous.duration_s
    for kind, pattern in _EDITS:
        m = pattern.match(text)
        if not m:
            continue
        if kind == "swap" and re.match(r"(?i)swap\s.+\swith\s", m[0]) and not _in_bed(previous, m["b"]):
            if re.match(r"(?i)(?:the|that|this)\s", m["b"].strip()):  # "the horn": one meant in the bed, not there
                b = re.sub(r"(?i)^(?:the|that|this)\s+", "", m["b"].strip())
                raise PlanError(f"{instruction.strip()!r}: {m['b'].strip()!r} is no sound of the bed (its sounds: "
                                f"{_captions_said(previous)}); to put a new sound in its place: 'replace {m['a']} "
                                f"with {b}'")
            continue  # "swap the rain with wind" of a bed with no wind: a replacement
        if kind == "add" and (each := _EACH.search(m["b"])):  # "add a click after each beep": a time per sound
            w = {"after": "right after", "before": "just before"}.get(each["w"].lower(), each["w"].lower())
            one = each["y"] or _singular(each["ys"])  # "all the barks": a bark
            raise PlanError(f"{instruction.strip()!r}: an addition takes one time; add one for each {one} in turn: "
                            f"'add {m['b'][:each.start()].strip()} {w} the first {one}', then the second")
        if kind == "replace" and _NO_SOUND_NAMED.match(_clean(m["b"])):  # "replace the thunder with a louder one"
            raise PlanError(f"{instruction.strip()!r}: {_clean(m['b'])!r} names no sound to replace it with; for "
                            f"another take: 'another take of {m['a']}'; for its level: 'make {m['a']} louder' (or "
                            f"quieter); or name the sound it becomes: 'replace {m['a']} with' and its words")
        if kind in ("add", "replace"):
            # "replace the forest ambience with birds with rain": the "with" of a text the backbone learned is its own
            inside = [b for a, b in _learned_spans(text) if kind == "replace" and a < m.start("b") and m.end("a") < b]
            if inside:
                m = re.match(rf"^(?:replace|swap)\s+(?P<a>.{{{inside[0] - m.start('a')},}}?)\s+(?:with|by|for)\s+"
                             rf"(?P<b>.+)$",
                             text, re.I) or m
            if kind == "replace" and not _one_sound(m["b"]) and (last := _REPLACE_AT_LAST_WITH.match(text)):
                # "replace the car with a loud engine with a motorbike" of "a car with a loud engine passes" (not
                # "replace the bell with a car with a loud engine": the bell)
                m = last if _one_sound(last["b"]) and _names_more(previous, last["a"], m["a"]) else m
            at = _AT_TIMES.match(_clean(m["b"])) if kind == "add" else None
            if not _one_sound(m["b"]) and not (at and _repeats(at["x"])[0] is None) and not (
                    kind == "replace" and _does_with(m["b"])):
                sounds = [_clean(c) for p, _ in _pieces(m["b"]) for c in _together(_clean(p))]
                raise PlanError(f"{'add' if kind == 'add' else 'replace with'} one sound per turn: "
                                f"{', '.join(map(repr, sounds))} are {len(sounds)}")
        nums = _numbers(m)
        if kind in ("shift", "length", "gain", "last") and any(n <= 0 for n in nums):
            raise PlanError(f"{instruction.strip()!r}: the amount must be more than 0")
        fresh = []  # the events this edit makes: other takes than any of the same caption
        if kind == "add":
            events += (fresh := _added(m["b"], d))
            for e in fresh if added_gain is not None else ():
                e["gain_db"] = e.get("gain_db", 0.0) + added_gain
                if not GAIN_RANGE_DB[0] <= e["gain_db"] <= GAIN_RANGE_DB[1]:
                    raise PlanError(f"{instruction.strip()!r}: {e['gain_db']:+g} dB; gains go from "
                                    f"{GAIN_RANGE_DB[0]:+g} to {GAIN_RANGE_DB[1]:+g} dB")
        elif kind == "remove_span":  # "remove the rain from 2 to 4 s": what plays then is muted
            _check_target(previous, m["a"], instruction, kind)
            start, end = _removed_span(m, instruction, d)
            for i in sorted(_playing_in(previous, m["a"], start, end), reverse=True):
                events[i:i + 1] = _without_span(events[i], start, end)
        elif kind == "retake_all":  # every event generated from its next seed
            for e, was in zip(events, previous.events):
                e.update(seed=(was.seed_used + 1) % 2**31)
        elif kind == "swap":  # each takes the other's start, as moved there
            for said in (m["a"], m["b"]):
                _check_target(previous, said, instruction, kind)
            i, j = _target(previous, m["a"]), _target(previous, m["b"])
            if i == j:
                raise PlanError(f"{instruction.strip()!r}: {m['a']!r} and {m['b']!r} name one sound "
                                f"({previous.events[i].caption!r}); name two sounds of the bed")
            a, b = events[i], events[j]
            if abs(a["start_time"] - b["start_time"]) < 1e-3:
                raise PlanError(f"{instruction.strip()!r}: {a['caption']!r} and {b['caption']!r} both start at "
                                f"{seconds_said(a['start_time'])} s; swapped, nothing would change")
            start_a = a["start_time"]
            _moved_to(a, b["start_time"], d)
            _moved_to(b, start_a, d)
        else:
            _check_target(previous, m["a"], instruction, kind)
            every = _all_matching(previous, m["a"], listed=kind != "replace") if kind in _EVERY_KINDS else None
            targets = every or [_target(previous, m["a"])]
            if kind == "tempo":  # "faster", "slower": by TEMPO_STEP; "twice as fast", "half as fast": by 2; "3 times
                # as fast": by 3
                slower = (m["dir"] or m["x2"] or m["xd"]).lower() in ("slower", "half", "slow")
                tempo_step = 2.0 if m["x2"] else float(m["xn"]) if m["xn"] else TEMPO_STEP
                how = "slower" if slower else "faster"
                if tempo_step <= 1:
                    raise PlanError(f"{instruction.strip()!r}: {m['xn']} times as {m['xd']} changes nothing; say "
                                    f"'twice as fast', 'make X faster' (or slower: its rhythm by {TEMPO_STEP:g})")
            if kind == "tempo" and len(targets) > 1 and not any(events[i]["fill"] or is_background(events[i]["caption"])
                                                                for i in targets):  # several one-shots: their spacing
                _respaced([events[i] for i in targets], slower, d, instruction.strip(), tempo_step)
                targets = []
            if kind == "rhythm" and len(targets) > 1 and not any(events[i]["fill"]
                                                                 or is_background(events[i]["caption"])
                                                                 for i in targets):  # several one-shots: that far apart
                starts = sorted(events[i]["start_time"] for i in targets)
                apart = [b - a for a, b in zip(starts, starts[1:])]
                if max(apart) - min(apart) > 1e-3:
                    raise PlanError(f"{instruction.strip()!r}: these are {len(starts)} sounds at "
                                    f"{', '.join(seconds_said(t) for t in starts)} s, not evenly apart; move them "
                                    f"one at a time")
                _respaced([events[i] for i in targets], True, d, instruction.strip(), _rhythm(text)[1] / apart[0])
                targets = []
            for i in sorted(targets, reverse=True):  # from the last: removals keep the rest
                e = events[i]
                if kind == "replace" and _SILENCE.match(_clean(m["b"])):  # replaced with nothing: removed
                    events.pop(i)
                elif kind == "replace":
                    repeat, times = _repeats(_clean(m["b"]))
                    said = _counted(_clean(m["b"]))[0]  # its time as said, not the span of a quick run ("4 knocks")
                    if said is not None and said["t"] or _TIMED.match(_clean(m["b"])) or _STRAY_TIME.search(m["b"]):
                        raise PlanError(f"{instruction.strip()!r}: a replacement takes the place and span of what it "
                                        f"replaces; give it without a time, or remove one and add the other")
                    caption, share = ((repeat["c"] if repeat else _clean(m["b"])),
                                      (e["end_time"] - e["start_time"]) / times)
                    caption, period = _rhythm(caption, counted=times > 1)
                    fill = period is not None or times == 1 and (is_iterative(caption)
                                                                 or e["fill"] and not is_iterative(e["caption"]))
                    made = [{**e, "caption": caption, "seed": None, "start_time": e["start_time"] + k * share,
                             "end_time": e["start_time"] + (k + 1) * share if k + 1 < times else e["end_time"],
                             "fill": fill,
                             "period_s": period if period is not None else e["period_s"] if fill else None,
                             "period_from": e["period_from"] if period is None and fill else None}
                            for k in range(times)]  # "with X twice": its span shared;
                    # a span filled for X's nature is not Y's
                    events[i:i + 1] = made
                    fresh[:0] = made  # every target's, in the plan's order ("all the dogs": a take each)
                elif kind == "retake":  # the same event generated from the next seed
                    e.update(seed=(previous.events[i].seed_used + 1) % 2**31)
                elif kind == "remove":
                    events.pop(i)
                elif kind == "rhythm":  # a sound said once now fills its span at that rhythm
                    period = _rhythm(text)[1]
                    if math.ceil((e["end_time"] - e["start_time"] - MIN_LENGTH_S) / period) < 2:  # one beat: as it was
                        x = f"the {_ARTICLE.sub('', _subject(e['caption']) or e['caption'])}"
                        # a stop at the bed's end where that gives it two beats, else a move earlier before it
                        room = (f"'make {x} stop at {seconds_said(d)} s'" if d - e["start_time"] - MIN_LENGTH_S > period
                                else f"'move {x} to {seconds_said(max(0.0, d - 2 * period))} s', then 'make {x} stop "
                                     f"at {seconds_said(d)} s'" if d - MIN_LENGTH_S > period else None)
                        raise PlanError(f"{instruction.strip()!r}: {e['caption']!r} plays from "
                                        f"{seconds_said(e['start_time'])} to {seconds_said(e['end_time'])} s: every "
                                        f"{period:g} s, it plays once; " + (
                                            f"to repeat it, give it a longer span first ({room}), then this edit again"
                                            if room else f"the {seconds_said(d)} s bed holds one beat of it; give a "
                                                         f"shorter rhythm"))
                    e.update(fill=True, period_s=period, period_from=None)
                elif kind == "tempo":
                    # rain or wind, even filling a span it was given: no strokes to space (a run's are its hits)
                    if is_background(e["caption"]) and not is_iterative(e["caption"]):
                        raise PlanError(f"{e['caption']!r} is a continuous sound, with no strokes to make {how}")
                    if not e["fill"]:
                        x = f"the {_ARTICLE.sub('', _subject(e['caption']) or e['caption'])}" if _PRONOUN.match(
                            m["a"].strip()) else m["a"]  # "make it faster": named in the rhythm said
                        raise PlanError(f"{e['caption']!r} plays once; give it a rhythm to repeat at: "
                                        f"'{x} every N s'")
                    # from the rhythm heard: a take longer than the usual rhythm was laid at its own length, a
                    # run's steps at theirs
                    period, exact = repeat_period_s(previous.events[i])
                    period = period if exact else previous.events[i].heard_period_s or period
                    new = period_worked_out(period * (tempo_step if slower else 1 / tempo_step))
                    if not PERIOD_RANGE_S[0] <= new <= PERIOD_RANGE_S[1]:
                        raise PlanError(f"{e['caption']!r} repeats every {period_worked_out(period):g} s; {how} would "
                                        f"be {new:g} s, and a rhythm is from {PERIOD_RANGE_S[0]:g} to "
                                        f"{PERIOD_RANGE_S[1]:g} s")
                    # a rhythm said stays exact; one worked out from the sound's own keeps its unevenness
                    e.update(period_s=new, period_from=e["period_from"] if exact else TEMPO)
                elif kind == "end_at" or kind == "start_at" and (e["fill"] or is_background(e["caption"])):
                    # a bed or a repeated sound keeps its other edge; a one-shot's length is its take's: it moves
                    start, end = (e["start_time"], nums[0]) if kind == "end_at" else (nums[0], e["end_time"])
                    if end > d + 1e-9:
                        raise PlanError(f"{instruction.strip()!r}: the timeline ends at {d:g} s")
                    if end - start < MIN_LENGTH_S:
                        name = re.sub(r"(?i)^(?:out|off)\s+", "", m["a"])  # "fade out the music at 5": the music
                        at_start = kind == "end_at" and nums[0] >= e["start_time"] - 1e-6  # no sooner than it starts
                        edge = "to end" if kind == "end_at" else "to start"
                        how = (f"to take it out: remove {name}" if at_start else
                               f"{edge} at {nums[0]:g} s, move it (move {name} to "
                               f"{'T' if kind == 'end_at' else f'{nums[0]:g}'} s)")
                        raise PlanError(f"{instruction.strip()!r}: {e['caption']!r} plays from "
                                        f"{seconds_said(e['start_time'])} to {seconds_said(e['end_time'])} s; {how}")
                    e.update(start_time=start, end_time=end)
                elif kind in ("move_to", "start_at"):
                    if nums[0] < 0:
                        raise PlanError(f"{instruction.strip()!r}: a time is from 0 s on (to move it earlier by some "
                                        f"seconds: move {m['a']} N s earlier)")
                    if len(nums) > 1 and not nums[0] + MIN_LENGTH_S <= nums[1] <= d:  # "to 4-5 s": there, that long
                        raise PlanError(f"{instruction.strip()!r}: a span from {nums[0]:g} to {nums[1]:g} s; give one "
                                        f"that ends at least {MIN_LENGTH_S:g} s after it starts, by the timeline's end "
                                        f"({d:g} s)")
                    _moved_to(e, nums[0], d)
                    if len(nums) > 1:
                        e.update(end_time=nums[1])
                elif kind == "shift":
                    small = m["bit"] or m["verb"].lower() == "nudge"  # "nudge X earlier", "make X slightly later"
                    step = (nums[0] if nums else NUDGE_S if small else 1.0) * (1 if m["dir"].lower() == "later" else -1)
                    step = max(step, -e["start_time"])  # earlier than 0 s: at 0 s, its length kept
                    if re.search(r"\s(?:start|begin|come\s+in)$", m["a"], re.I) and (e["fill"]
                                                                                   or is_background(e["caption"])):
                        # "make the rain start later": a bed or a repeated sound keeps its end, as made to start at T s
                        if e["end_time"] - e["start_time"] - step < MIN_LENGTH_S:
                            raise PlanError(f"{instruction.strip()!r}: {e['caption']!r} plays from "
                                            f"{seconds_said(e['start_time'])} to {seconds_said(e['end_time'])} s; to "
                                            f"start {abs(step):g} s later, move it (move "
                                            f"{m['a'][:m['a'].rindex(' ')]} {abs(step):g} s later)")
                        e.update(start_time=e["start_time"] + step)
                        continue
                    start, end = _on_timeline(e["caption"], e["start_time"] + step, e["end_time"] + step, d,
                                              f"moving it by {step:+g} s")
                    e.update(start_time=start, end_time=end, mute=_moved(e["mute"], step))
                elif kind == "last":  # "make X last 4 s": from its start, held to the timeline
                    if nums[0] < MIN_LENGTH_S:
                        raise PlanError(f"{instruction.strip()!r}: a sound lasts at least {MIN_LENGTH_S:g} s (to take "
                                        f"it out: remove {m['a']})")
                    if len(targets) == 1 and e["end_time"] >= d - 1e-3 and nums[0] > e["end_time"] - e["start_time"]:
                        # held to the timeline, it would not change: moved earlier first, it has the room
                        room = max(0.0, d - nums[0])
                        how = (f"; to make it last {min(nums[0], d):g} s, move it first ('move {m['a']} to "
                               f"{seconds_said(room)} s')" if room < e["start_time"] - 1e-3 else "")
                        raise PlanError(f"{e['caption']!r} already lasts to the end of the {d:g} s timeline (from "
                                        f"{seconds_said(e['start_time'])} s){how}")
                    if notes is not None and e["start_time"] + nums[0] > d + 1e-3:  # held to the timeline: said
                        notes.append(f"{e['caption']!r} from {seconds_said(e['start_time'])} s lasts "
                                     f"{d - e['start_time']:g} s, to the end of the {d:g} s timeline, not {nums[0]:g} s; "
                                     f"to hear all of it, move it first ('move {m['a']} to "
                                     f"{seconds_said(max(0.0, d - nums[0]))} s')")
                    e.update(end_time=min(d, e["start_time"] + nums[0]))
                elif kind == "throughout":  # "the clock ticks the whole time": from 0 s to the timeline's end
                    e.update(start_time=0.0, end_time=d)
                elif kind == "length":
                    step = (nums[0] if nums else A_BIT_LONGER_S if m["bit"] else 1.0) * (
                        1 if m["dir"].lower() == "longer" else -1)
                    span = e["end_time"] - e["start_time"]
                    if span + step < 0.05:
                        raise PlanError(f"{e['caption']!r} lasts {span:g} s; {-step:g} s shorter leaves it no length "
                                        f"(remove it, or make it shorter by less)")
                    if step > 0 and e["end_time"] >= d - 1e-3:
                        raise PlanError(f"{e['caption']!r} already lasts to the end of the {d:g} s timeline")
                    e.update(end_time=min(d, e["end_time"] + step))
                else:
                    said = m.groupdict()  # the direction, or a verb that says it; "a bit" or not
                    louder = (said.get("dir") or said.get("verb")).lower() in ("louder", "up", "twice", "raise",
                                                                               "boost")
                    if nums and _PERCENT.search(m[0]):  # "50% quieter": the amplitude times 0.5
                        if not louder and nums[0] >= 100:
                            raise PlanError(f"{instruction.strip()!r}: {nums[0]:g}% quieter leaves no sound "
                                            f"(remove {m['a']} instead)")
                        step = round(20 * math.log10(1 + (nums[0] if louder else -nums[0]) / 100), 1)
                    else:
                        much = said.get("much") or said.get("way")  # "turn X way down"
                        step = (nums[0] if nums else A_BIT_DB if said.get("bit") else MUCH_DB if much else 6.0) * (
                            1 if louder else -1)
                    gain = e["gain_db"] + step
                    if not GAIN_RANGE_DB[0] <= gain <= GAIN_RANGE_DB[1]:
                        raise PlanError(f"{e['caption']!r} is at {e['gain_db']:+g} dB; {step:+g} dB would put it at "
                                        f"{gain:+g} dB, and gains go from {GAIN_RANGE_DB[0]:+g} to "
                                        f"{GAIN_RANGE_DB[1]:+g} dB")
                    e.update(gain_db=gain)
        if not events:
            raise PlanError("the edit would leave the plan empty")
        for e in events if kind not in ("remove", "remove_span") else ():  # an edit does not remove a sound
            if e.get("mute") and heard_s(e["start_time"], e["end_time"], e["mute"]) < MIN_LENGTH_S:
                raise PlanError(f"{instruction.strip()!r} would leave {e['caption']!r} muted all along (it is muted "
                                f"{mute_said(e['mute'])}); to take it out: remove it")
        _said_once(fresh)
        # each another take than the events before it (the later new ones have none yet)
        for k, new in enumerate(fresh):
            others = [o for o in events if o["caption"] == new["caption"] and all(o is not f for f in fresh[k:])]
            new["seed"] = _new_take(new["caption"], [_take(o["caption"], 0) if o.get("seed") is None else o["seed"]
                                                     for o in others])
        try:
            return validate(events, d, previous.max_simultaneous, reach_end=False)  # the edit as given, the rest kept
        except CrowdedError as e:
            raise PlanError(_crowded_said(previous, events, e, instruction.strip())) from None
    if (fade := _FADE.match(text)) and (named := _bed_sound_named(previous, text)):
        x, fades_in = f"the {named[1]}", fade["d"].lower() == "in"
        raise PlanError(f"{instruction.strip()!r}: a fade of a length of its own is not applied (a sound "
                        f"{'comes in' if fades_in else 'ends'} with a short fade); "
                        + (f"to bring it in later: 'make {x} start at T s'" if fades_in else
                           f"to end it sooner: 'make {x} stop at T s'; to lower it: 'make {x} quieter'"))
    examples = ("'make the rain louder', 'move the thunder to 3 s', 'remove the dog', 'add a bell at 5 s', 'replace "
                "the rain with wind' and 'undo' (all of them: foley compose --help")
    said = _AND.sub("", _clean(_AT_SIGN.sub(" at ", _POLITE.sub("", _clean(until_said(instruction))))))  # "@ 8s"
    said = _till_the_end(previous, said)  # "crickets til the end": a sound of the bed until 10 s
    pieces = [_clean(piece) for piece, _ in _pieces(said)]
    # "rain, then thunder" said to a session; not "the dog at 3 s, the horn ..."
    if not _EDIT_VERBS.match(text) and len(pieces) > 1 and not all(
            re.match(r"(?i)(?:then\s+)?(?:the|that|this)\s", piece) for piece in pieces):
        try:
            described = len(rules_layout(said, previous.duration_s).events)
        except PlanError:
            described = 0
        if described:
            raise PlanError(f"{instruction.strip()!r} reads as a new description ({described} sound"
                            f"{'s' if described > 1 else ''}), not an edit of "
                            f"this session's bed: a new description starts a new bed: give it another --session file "
                            f"(edits read here: {examples}))")
    try:  # "rain", "a dog barks at 5 s" said to a session: a sound, not an edit
        if _EDIT_VERBS.match(text) or len(_pieces(said)) > 1 or not (
                _TIME_TAIL.search(said) or is_background(said) or _subject(said)):  # said as an edit it cannot read
            raise PlanError(instruction)
        rules_layout(said, previous.duration_s)
    except PlanError:
        counted = re.sub(r"(?i)^(?:make|have|let)\s+", "", _times_said(said))  # "horn x2": "horn 2 times"
        count, until = re.search(rf"\b(?:{_COUNT})\b{_NOT_A_COUNT}", counted, re.I), _UNTIL.search(counted)
        said_of = count or until
        named = said_of and (_bed_sound_said(previous, counted) or _bed_sound_said(previous, f"the {counted}"))
        if named and not _ARTICLE.match(counted) and not (
                _stems(counted[:said_of.start()]) - {"only", "just"} <= _stems(named[0])):
            named = None  # "footsteps on gravel once" of footsteps on pavement: another sound
        named = named or count and _named_by_its_words(previous, counted[:count.start()])  # "squeaks x3"
        more = ((f" (to hear it {count[0]}: 'replace the {named[1]} with {named[0]} {count[0]}')" if count else
                 f" (to stop it there: 'make the {named[1]} stop at {until['t']} s')") if named else "")
        more += _amount_hint(said, named[1]) if not named and (named := _bed_sound_named(previous, said)) else ""
        if mood := _MOOD.match(said):
            more = (f": {_clean(mood['m'])!r} is how it feels, and the rules planner changes the sounds that play, not "
                    f"a feel: add or replace sounds for it ('add X at T s', 'replace X with Y')")
        raise PlanError(f"the rules planner does not understand {instruction.strip()!r}{more}; it reads edits such as "
                        f"{examples}; a new description starts a new bed: give it another --session file)") from None
    meant = _misspelt(said, previous)
    # "thunder at 4 s", "a dog barks at 8 s" said to a bed that has that very sound: as "the thunder at 4 s"
    same = _clean(re.sub(r"(?i)\s+(?:at|from|between|for|until|till)\s+.*$", "", said)).lower() in {
        e.caption.lower() for e in previous.events}
    counted = _times_said(said)  # "phone rings x2": "phone rings 2 times"
    count = re.search(rf"\b(?:{_COUNT})\b{_NOT_A_COUNT}", counted, re.I)  # not "twice as loud"
    if not meant and (named := _bed_sound_said(previous, f"the {_ARTICLE.sub('', said)}" if same else said)
                      or not _ARTICLE.match(said) and (_TIME_TAIL.search(said) or _UNTIL.search(said) or count)
                      and _bed_sound_said(previous, f"the {said}")  # "dog at 7" of a dog barking: as "the dog at 7"
                      or count and not _ARTICLE.match(said) and _named_by_its_words(previous, said[:count.start()])):
        # "the thunder at 4 s": no new sound, nor an edit read
        caption, noun = named
        at, until = _SAID_AT.search(in_seconds(said)), _UNTIL.search(in_seconds(said))  # "at 0:05": at 5 s
        how = re.search(r"\b(?:louder|quieter|softer|faster|slower|longer|shorter|later|earlier)\b", said, re.I)
        lasting = re.search(rf"\bfor\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}", said, re.I)
        span = re.search(rf"\b(?:from|between)\s+(?P<a>{_DECIMAL})\s*{_UNIT_S}?\s+(?:to|and|until|till)\s+"
                         rf"(?P<b>{_DECIMAL})",
                         said, re.I)
        if at and not (how or count or lasting or span or until) and sum(e.caption == caption
                                                                       for e in previous.events) == 1 and re.match(
                rf"(?i){re.escape(noun)}(?:s|es)\s", _ARTICLE.sub("", said)):  # "the knocks at 6 s" of one knocking
            return rules_edit(previous, f"move the {noun} to {at['t']} s", notes)
        hint = (f"; to make it {how[0].lower()}: 'make the {noun} {how[0].lower()}'" if how else
                f"; to hear it {count[0]}: 'replace the {noun} with {caption} {count[0]}'" if count else
                f"; to make it last {lasting['n']} s: 'make the {noun} last {lasting['n']} s'" if lasting else
                f"; to play it from {span['a']} to {span['b']} s: 'make the {noun} start at {span['a']} s', then 'make "
                f"the {noun} stop at {span['b']} s'" if span else
                f"; to stop it there: 'make the {noun} stop at {until['t']} s'" if until else
                f"; to move it there: 'move the {noun} to {at['t']} s'; to add another: 'add another {noun} at "
                f"{at['t']} s'" if at else "")
        raise PlanError(f"{instruction.strip()!r} names {caption!r}, a sound of this bed, with no edit the rules "
                        f"planner reads{hint} (edits read here: {examples}))")
    # "duck the rain by 4 dB", "fade out the rain", "pull the rain back 3 dB": not to add
    verb = re.match(r"(?i)(?P<v>[a-z]+(?:\s+(?:out|in|up|down|off|back|under|away|aside))?)\s+"
                    r"(?P<x>(?:the|that|this)\s.+)$", said)
    if not meant and verb and _subject(said) is None and (named := _bed_sound_said(previous, verb["x"])
                                                          or _bed_sound_named(previous, verb["x"])):
        raise PlanError(f"{instruction.strip()!r} names {named[0]!r}, a sound of this bed, with no edit the rules "
                        f"planner reads (it reads no {verb['v'].lower()!r}){_amount_hint(said, named[1])}; edits read "
                        f"here: {examples})")
    amount = re.search(r"\d\s*(?:db|%)|\b(?:louder|quieter|softer|level|volume|gain|in\s+the\s+mix)\b", said, re.I)
    # "the door needs more punch": a sound of the bed, said to do what no sound does, and when
    remark = re.match(r"(?i)(?:the|that|this)\s+(?P<x>[a-z]+)\s+(?P<w>[a-z']+)\b\D*$", said)
    remark = remark and remark["w"].lower() not in _SOUND_VERBS and _bed_sound_named(previous, remark["x"])
    if not meant and (amount or remark or verb and _subject(said) is None):  # a level, a verb's edit: no sound to add
        named = _bed_sound_named(previous, said)
        raise PlanError(f"the rules planner does not understand {instruction.strip()!r}"
                        f"{_amount_hint(said, named[1]) if named else ''}; it reads edits such as {examples})")
    said = re.sub(r"^(?:the|that|this)(?=\s+(?P<x>[a-z]))", lambda m: "an" if m["x"].lower() in "aeiou" else "a", said,
                  flags=re.I)  # "the cow moos at 3 s": no cow yet
    raise PlanError(f"{instruction.strip()!r} reads as a new description, not an edit of this session's bed: "
                    f"{f'did you mean {meant!r}? (or, ' if meant else ''}to add it, "
                    f"'add {said}'{')' if meant else ''}; a new description starts a new bed: give it another "
                    f"--session file (edits read here: {examples}))")


def overlap_notes(previous: Plan, plan: Plan) -> list[str]:
    """Notes of the one-shots an edit of ``previous`` moved, lengthened or respaced in ``plan`` onto a
    one-shot it left as it was, where the two did not overlap before ("make the knocks slower" of knocks
    that a door creak follows): what now plays over what, and the move that plays them in turn again;
    and of a sound added over a take of the same caption."""
    before = {(e.caption, e.seed_used): e for e in previous.events}
    kept = {(e.caption, e.seed_used, e.start_s, e.end_s) for e in previous.events}
    now = {(e.caption, e.seed_used, e.start_s, e.end_s) for e in plan.events}
    # a take again ("another take of the dog") is in the place of the one it replaces: not added over it
    retaken = {(e.caption, e.start_s, e.end_s) for e in previous.events
               if (e.caption, e.seed_used, e.start_s, e.end_s) not in now}

    def one_shot(e) -> bool:
        return not e.fill and not is_background(e.caption)

    def overlap(a, b) -> bool:
        return a.start_s < b.end_s - 1e-3 and b.start_s < a.end_s - 1e-3

    notes = []
    for a in plan.events:
        old = before.get((a.caption, a.seed_used))
        same = [b for b in previous.events if b.caption == a.caption and overlap(a, b)
                and (b.caption, b.seed_used, b.start_s, b.end_s) in now]
        if old is None and same and (a.caption, a.start_s, a.end_s) not in retaken:
            # "add a dog barks at 1 s" of a bed with one then: a second take over it
            notes.append(f"{a.caption!r} ({span_said(a)}) is added over the bed's own ({span_said(same[0])}): two "
                         f"takes of it at once")
        if old is None or (old.start_s, old.end_s) == (a.start_s, a.end_s) or not one_shot(a):
            continue
        under = [b for b in plan.events if (b.caption, b.seed_used, b.start_s, b.end_s) in kept and b is not a
                 and one_shot(b) and overlap(a, b) and not overlap(old, b)]
        if not under:
            continue
        said = "; ".join(f"{b.caption!r} ({span_said(b)})" for b in under)
        b = under[0]  # one sound whose start the edited one's end now runs into: moved by the overlap, in turn again
        noun = _ARTICLE.sub("", _subject(b.caption) or b.caption)
        if len({e.caption for e in plan.events if _stems(noun) & _stems(e.caption)}) > 1:  # "metal" of two: all words
            noun = _ARTICLE.sub("", b.caption)
        hint = (f"; to play them in turn: 'move the {noun} "
                f"{round(a.end_s - b.start_s, 2):g} s later'" if len(under) == 1 and a.start_s <= b.start_s
                and a.end_s < b.end_s else "")
        notes.append(f"{a.caption!r} ({span_said(a)}) now plays over {said}{hint}")
    return notes


# "a cow| mooing", "footsteps| on" (not "a whistling kettle": what it is, its head word last)
_DOING_OR_WHERE = re.compile(rf"(?<!^a)(?<!^an)(?<!^the)(?<!^some)\s+(?:[a-z]{{2,}}ing\b|(?:{_WHERE_WORDS})\s)", re.I)


def _bed_sound_said(previous: Plan, said: str) -> tuple[str, str] | None:
    """(caption, its noun) of the sound of ``previous`` that ``said`` names first with "the" ("the
    thunder at 4 s", "the dog barks three times", "the rain until 6 s") and gives no verb of another
    sound ("the door opens at 1 s" of a door that slams names another sound), else None; None too
    when it says another of it or a second sound ("the dog barks again at 5 s", "... at 3 s and 5 s")."""
    m = re.match(r"(?i)(?:the|that|this)\s+(?P<r>.+)$", said)
    if m and re.search(r"\b(?:and|again|once\s+more|another)\b", said, re.I):  # two sounds, or another of it: added
        return None
    captions = list(dict.fromkeys(e.caption for e in previous.events)) if m else []
    words = _stems(m["r"]) if m else set()
    captions.sort(key=lambda c: -len(words & _stems(c)))  # "the crowd roar" of crowd cheering and a crowd roaring
    first = re.match(r"[a-z]+", m["r"], re.I) if m else None
    for caption in captions:
        subject = _subject(caption)
        thing = subject or _DOING_OR_WHERE.split(caption, maxsplit=1)[0]
        noun = _ARTICLE.sub("", thing)  # "cow" of "a cow mooing", "footsteps" of "footsteps on grass"
        does = _does(caption)  # "knock" of "someone knocks": a person said with no noun is named by what they do
        # a sound named by what it does, or a word for it ("the laugh", "the laughter" of "a man laughs")
        verb = re.match(r"(?:(?:is|are)\s+)?(?P<v>[a-z]+)", caption[len(subject):].strip(), re.I) if subject else None
        by_verb = first and verb and first[0].lower() not in _STOP and _alike(_stems(first[0])) & _stems(verb["v"])
        said = _singular(first[0]) if by_verb else None  # named as its thing is ("squeaks x3" of a door: the door)
        # another form of its noun's head word ("the hammer" of hammering on an anvil; not "the train" of a train
        # station's ambience)
        form = (first[0] if first and not does and first[0].lower() not in _STOP
                and _stems(first[0]) & _stems(noun.split()[-1]) else None)
        for name in dict.fromkeys((*([] if does else [noun, *noun.split()[-1:]]), *([does] if does else []),
                                   *([said] if said else []), *([form] if form else []))):  # "scream" of
            # "distant scream" too
            after = re.match(rf"(?i){re.escape(name)}(?:s|es)?\b\s*(?P<w>[a-z']*)", m["r"])
            if after and (not after["w"] or _stems(after["w"]) <= _stems(caption)
                          or not (after["w"].lower() in _SOUND_VERBS or _VERB.fullmatch(after["w"]))):
                # named by what it does where its thing is another sound's too ("the bellows" of metal bellows, with
                # metal hissing): by the word said
                shared = sum(bool(_stems(noun) & _stems(c)) for c in captions) > 1
                return caption, (first[0] if shared else does or noun) if name == said else name
    return None


def _crowded_said(previous: Plan, events: list[dict], crowded: CrowdedError, edit: str) -> str:
    """Why ``edit``, which would make ``events`` of ``previous``, plays too many sounds at once, and
    what to do: end or remove one of those it leaves as they were, give it another time, or raise the
    bed's limit."""
    when, kept = crowded.when_s, {(e.caption, e.start_s, e.end_s) for e in previous.events}
    playing = [e for e in events if e["start_time"] <= when < e["end_time"]]

    def counted(without: dict) -> int:  # the sounds that play then without one of them
        steady = sum(is_background(e["caption"]) for e in playing if e is not without)
        return sounds_counted(len(playing) - 1 - steady, steady, crowded.limit)

    # those it left as they were whose end makes room (not one layer of an ambience that plays on without it)
    others = [e for e in playing
              if (e["caption"], e["start_time"], e["end_time"]) in kept and counted(e) < crowded.peak]
    earlier = [e for e in others if e["start_time"] < when - MIN_LENGTH_S]
    room = ""
    if others:
        one = min(earlier or others, key=lambda e: e["end_time"])  # the one that loses least
        name = f"the {_ARTICLE.sub('', _subject(one['caption']) or one['caption'])}"
        room = (f"make room first ('make {name} stop at {seconds_said(when)} s', or remove one), or " if earlier else
                f"make room first ('remove {name}'), or ")
    said = (f"would layer {len(crowded.layers)} backgrounds at once from {seconds_said(when)} s "
            f"({listed(crowded.layers)}); an ambience of this bed holds at most {crowded.limit}, as many as it plays "
            f"sounds at once" if crowded.layers else
            f"would play {crowded.peak} sounds at once from {seconds_said(when)} s ({'; '.join(crowded.names)}); this "
            f"bed plays at most {crowded.limit}")
    return (f"{edit!r} {said}: {room}give it another time; or, to allow {crowded.needed}: 'allow {crowded.needed} "
            f"sounds at once' as a turn, then this edit again")


def _bed_sound_named(previous: Plan, said: str) -> tuple[str, str] | None:
    """(caption, the word that names it) of the one sound of ``previous`` a word of ``said`` names ("the rain back 3 dB"
    of "heavy rain"), else None."""
    for word in re.findall(r"[a-z]+", said.lower()):
        named = {e.caption for e in previous.events if word not in _STOP and _stems(word) & _stems(e.caption)}
        if len(named) == 1:
            return named.pop(), word
    return None


def _named_by_its_words(previous: Plan, said: str) -> tuple[str, str] | None:
    """(caption, its noun) of the one sound of ``previous``, one take, that ``said`` names by words of its caption alone
    ("squeaks" of "a door squeaks": "door"), else None."""
    named = _bed_sound_named(previous, said)
    if (named is None or not _stems(said) or not _stems(said) <= _stems(named[0])
            or sum(e.caption == named[0] for e in previous.events) > 1):  # several takes: which?
        return None
    thing = _ARTICLE.sub("", _subject(named[0]) or "")  # "door"; not "someone" of "someone knocks": "knock"
    return named[0], thing if thing and thing.lower() not in ("someone", "somebody", "he", "she", "they") else named[1]


# "make it spookier" ("make the scream scarier", "make it more intense", "make it darker"): a feel asked of the bed or
# of a sound, read by no edit (a feel word, not one of level or pace: "noisier", "more often", "steadier" are edits);
# said alone too ("more spooky", "less eerie")
_FEELS = (r"spook|scar|creep|eer|bus|liv|happ|sad|mood|gloom|co[sz]|dream|cheer|dramat|intens|tens|rural|urban|natur"
          r"|realist|cinemat|epic|myster|romant|peace|calm|chaot|aliv|atmospher|immers|emotion|omin|menac|haunt|dark|warm"
          r"|cold|cool|deep|wild|weird|strang|dens|rich|full|bright|harsh|bleak|rough|gentl|sweet|grim")
_MOOD = re.compile(rf"^(?:(?:make\s+)?(?P<x>it|this|that|everything|all\s+the\s+sounds|the\s+[a-z' ]+?)\s+)?"
                   rf"(?P<m>(?:(?:a\s+(?:little\s+)?bit|a\s+little|a\s+lot|much|way|even|slightly)\s+)?"
                   rf"(?:(?:more|less)\s+(?P<w>(?:{_FEELS})[a-z]*)|(?:{_FEELS})[a-z]*(?:ier|er)))$", re.I)


def _amount_hint(said: str, noun: str) -> str:
    """The edit that gives the amount ``said`` gives, in dB, % or seconds, to the sound named ``noun``: "; to change
    its level by 3 dB: 'make the rain quieter by 3 dB' or 'louder by 3 dB'"; a length said ("last 4 s", "for 4 s") gives
    its length; '' for none."""
    if m := re.search(rf"(?P<n>{_DECIMAL})\s*(?P<u>db\b|%)", said, re.I):
        by = f"{m['n']} dB" if m["u"] != "%" else f"{m['n']}%"
        return f"; to change its level by {by}: 'make the {noun} quieter by {by}' or 'louder by {by}'"
    if m := re.search(rf"\b(?:last|lasts|for)\s+(?P<n>{_DECIMAL})\s*{_UNIT_S}", said, re.I):  # a length, not a shift
        return f"; to make it last {m['n']} s: 'make the {noun} last {m['n']} s'"
    if m := re.search(rf"(?<!at\s)(?<!to\s)(?<!from\s)(?<!until\s)(?<!till\s)(?<!and\s)(?<![\d.])(?P<n>{_DECIMAL})"
                      rf"\s*{_UNIT_S}", said, re.I):  # an amount, not a time ("at 2 s"), nor a time's last digits
        return f"; to move it by {m['n']} s: 'make the {noun} {m['n']} s later' or 'earlier'"
    return ""


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
