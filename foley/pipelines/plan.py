"""Sound plans: timed atomic events on a timeline, and a forgiving, safe parser for them.

A plan is what a planner writes for `foley compose`: events with a caption, a start and an
end (seconds), an optional gain and seed, an optional ``fill`` (the sound repeats, take after
take, until its end: footsteps, hammering) with an optional ``period_s`` (seconds from one take
to the next; without it, the sound's usual rhythm), an optional ``mute`` (spans of the timeline
where its take is silenced: "remove the rain from 2 to 4 s"), and the total duration. The rules (from the
Audio-Agent paper): times inside [0, duration], at least one event reaching the end,
overlaps allowed, a few sounds at once at most (three, the steady backgrounds that play together counted as one
ambience; a chat planner is asked for that too).

Parsing accepts JSON (bare or inside code fences; a list of events or an object with an
``events`` list) and the paper's call-string form
``Auffusion.generate('rain', start_time=0, end_time=10); ...``. Calls are read with
``ast`` (never executed). Plans are repaired where the intent is clear (times clipped to
the timeline, reversed times swapped, the last event extended to the end) and otherwise
rejected with a :class:`PlanError` that says why.
"""
from __future__ import annotations

import ast
import json
import math
import re
import textwrap
import zlib
from dataclasses import asdict, dataclass, field, replace

from ..config import MAX_SEED
from ..errors import FoleyError
from .rules.words import is_background

MAX_CAPTION_CHARS = 200
MAX_EVENTS = 32
GAIN_RANGE_DB = (-40.0, 12.0)
DURATION_RANGE_S = (0.5, 600.0)  # a bed's length
PERIOD_RANGE_S = (0.05, 60.0)  # a filled event's time from one take to the next
TEMPO = "tempo"  # Event.period_from of a rhythm a tempo edit worked out from the sound's own


class PlanError(FoleyError):
    """A plan that cannot be read or repaired."""


class CrowdedError(PlanError):
    """A plan with more sounds at once than it allows: ``names``, the sounds that play at ``when_s``
    (:func:`playing_said`), ``peak`` of them as counted against ``limit``, the most it allows (:func:`crowding`);
    ``layers``, the captions of their ambience's layers where they are more than it holds (the limit), else none;
    ``needed``, the least limit they play under (:func:`limit_needed`)."""

    def __init__(self, message: str, peak: int, when_s: float, names: list[str], limit: int, layers: list[str] = (),
                 needed: int | None = None):
        super().__init__(message)
        self.peak, self.when_s, self.names, self.limit = peak, when_s, names, limit
        self.layers, self.needed = list(layers), peak if needed is None else needed


def caption_seed(caption: str) -> int:
    """The seed of an event that gives none: stable, derived from its caption."""
    return zlib.crc32(caption.encode()) % 2**31


@dataclass(frozen=True)
class Event:
    caption: str
    start_s: float
    end_s: float
    gain_db: float = 0.0
    seed: int | None = None
    fill: bool = False  # the sound lasts its whole span: repeated take after take when a take is shorter
    period_s: float | None = None  # with fill: seconds from one take to the next (None: the sound's usual rhythm)
    mute: tuple[tuple[float, float], ...] = ()  # (start, end) s on the bed's timeline where its take is silenced
    # with period_s, where the rhythm came from: None, said (by the text, a plan or an edit that gives it: kept
    # exactly); TEMPO, worked out by a tempo edit from the sound's own rhythm ("make the footsteps faster"): laid
    # with a performer's small unevenness, as the sound was before the edit
    period_from: str | None = None
    # Not part of the plan: with fill, the mean seconds from one stroke (a take, or a hit of a take that is a run) to
    # the next as a session's last render laid them (a take longer than the usual rhythm waits for its end; None: not
    # rendered, or laid once). Tempo edits read it.
    heard_period_s: float | None = field(default=None, compare=False)
    # Not part of the plan either: a session's last turn changed or added it ("make the dog louder"), so that "it" in
    # the next turn names it.
    edited: bool = field(default=False, compare=False)

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def seed_used(self) -> int:
        """The seed the event is generated with: its own, or a stable one derived from its caption."""
        return self.seed if self.seed is not None else caption_seed(self.caption)


@dataclass(frozen=True)
class Plan:
    duration_s: float
    events: tuple[Event, ...] = field(default_factory=tuple)
    max_simultaneous: int = 3

    def to_dict(self) -> dict:
        return {"duration_s": self.duration_s, "max_simultaneous": self.max_simultaneous,
                "events": [{k: v for k, v in asdict(e).items()
                            if (k not in ("mute", "period_from") or v) and k not in ("heard_period_s", "edited")}
                           for e in self.events]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> "Plan":
        return validate(data.get("events", []), _number(data["duration_s"], "duration"),
                        _limit(data.get("max_simultaneous", 3)), reach_end=False)  # a saved plan is kept as it was


def seconds_said(t: float) -> str:
    """A time as a turn's messages say it: to 0.01 s, as a plan's listing gives it ("3.33", "2")."""
    return f"{round(t, 2):g}"


def period_worked_out(period_s: float) -> float:
    """A period an edit works out (a rhythm heard, made faster or slower), to 2 significant
    digits, as a listener could tell it apart and as it is said back: 1.384 s is 1.4 s."""
    return float(f"{period_s:.2g}")


def span_said(e: Event) -> str:
    """An event's span as a turn's messages say it: "3.33-5 s"."""
    return f"{seconds_said(e.start_s)}-{seconds_said(e.end_s)} s"


def fill_said(e: Event) -> str:
    """How an event lasts, for a plan's listing: "" (one take), "  (fills its span)", or with the
    rhythm the plan gives, "  (fills its span, every 2 s)"; then where it is muted, "  (muted 2-4 s)"."""
    muted = f"  (muted {mute_said(e.mute)})" if e.mute else ""
    if not e.fill:
        return muted
    return (f"  (fills its span, every {e.period_s:g} s)" if e.period_s else "  (fills its span)") + muted


def rhythm_said(e: Event) -> str:
    """The rhythm a filled event is laid at, for a change of it: "every 2 s" (the plan's), else
    "its usual rhythm" (its sound's)."""
    return f"every {e.period_s:g} s" if e.period_s else "its usual rhythm"


def mute_said(mute) -> str:
    """Where an event is muted, from its (start, end) spans: "2-4 s and 6-8 s"."""
    return " and ".join(f"{seconds_said(a)}-{seconds_said(b)} s" for a, b in mute)


def heard_s(start_s: float, end_s: float, mute) -> float:
    """Seconds of an event from ``start_s`` to ``end_s`` that its muted (start, end) spans leave heard."""
    return end_s - start_s - sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in merged_spans(mute))


def plan_changes(previous: Plan, plan: Plan) -> list[str]:
    """What an edit changed, a line each ("removed: a drum (3.33-6.67 s)", "a drum: 3.33-6.67 s
    -> 4.33-7.67 s", "a drum: another take"; of one of several events of a caption, not moved,
    "a drum (3.33-6.67 s): +0 dB -> -3 dB"): events are paired by caption, unchanged ones
    first; the rest are removed or added (one of each: replaced; each take of one sound in the same spans as those of
    another: replaced, in one line, "replaced: a dog barks -> a cat (3 times: 1-3, 4-6, 7-9 s)")."""
    old, new = list(previous.events), list(plan.events)
    for e in list(new):  # unchanged
        if e in old:
            old.remove(e), new.remove(e)
    lines = []
    for e in list(new):  # the same caption, changed
        was = next((o for o in old if o.caption == e.caption), None)
        if was is None:
            continue
        old.remove(was), new.remove(e)
        said = [f"{span_said(was)} -> {span_said(e)}" if (was.start_s, was.end_s) != (e.start_s, e.end_s) else "",
                (f"muted {mute_said(e.mute)}" if e.mute else "no longer muted") if was.mute != e.mute else "",
                f"{was.gain_db:+g} dB -> {e.gain_db:+g} dB" if was.gain_db != e.gain_db else "",
                "another take" if was.seed_used != e.seed_used else "",
                ("repeated to its end" if e.fill else "once") if was.fill != e.fill else "",
                (f"{rhythm_said(was)} -> {rhythm_said(e)}" if was.fill else rhythm_said(e))
                if e.fill and was.period_s != e.period_s and (was.fill or e.period_s) else ""]
        several = sum(o.caption == e.caption for o in plan.events) > 1  # which of them: by its span, unless said
        named = f"{e.caption} ({span_said(e)})" if several and not said[0] else e.caption
        lines.append(f"{named}: {', '.join(w for w in said if w)}")
    if plan.max_simultaneous != previous.max_simultaneous:  # a plan given as JSON with its own limit
        lines.append(f"at most {plan.max_simultaneous} sounds at once (was {previous.max_simultaneous})")
    if len(old) == 1 and len(new) == 1:
        return lines + [f"replaced: {old[0].caption} ({span_said(old[0])}) -> {new[0].caption} ({span_said(new[0])})"]
    spans = sorted((e.start_s, e.end_s) for e in new)
    if len(new) > 1 and len({e.caption for e in old}) == len({e.caption for e in new}) == 1 and spans == sorted(
            (e.start_s, e.end_s) for e in old):  # each take of one sound replaced in its span: one line
        return lines + [f"replaced: {old[0].caption} -> {new[0].caption} ({len(new)} times: "
                        f"{', '.join(f'{seconds_said(a)}-{seconds_said(b)}' for a, b in spans)} s)"]
    return (lines + [f"removed: {e.caption} ({span_said(e)})" for e in old]
            + [f"added: {e.caption} ({span_said(e)})" for e in new])


def rhythms_kept(plan: Plan, previous: Plan | None) -> Plan:
    """``plan`` whose events keep the ``period_from`` of an event of ``previous`` of their caption and rhythm: a plan
    given back whole (by a chat planner, or as a table) says the rhythm, not where it came from."""
    kept = {(e.caption, e.period_s): e.period_from for e in previous.events if e.period_from} if previous else {}
    return replace(plan, events=tuple(replace(e, period_from=e.period_from or kept.get((e.caption, e.period_s)))
                                      for e in plan.events))


# ------------------------------------------------------------------------ validation ---

def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PlanError(f"{what} must be a number, got {value!r}"[:200])
    try:
        x = float(str(value).strip().rstrip("s").strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise PlanError(f"{what} must be a number, got {value!r}"[:200]) from None
    if not math.isfinite(x):
        raise PlanError(f"{what} must be finite, got {value!r}")
    return x


def _limit(value) -> int:
    """A plan's own limit of sounds at once ("max_simultaneous", as --plan-only prints it); PlanError
    unless a whole number from 1 to MAX_EVENTS."""
    limit = _number(value, "max_simultaneous")
    if limit != int(limit) or not 1 <= limit <= MAX_EVENTS:
        raise PlanError(f"max_simultaneous must be a whole number from 1 to {MAX_EVENTS}, got {limit:g}")
    return int(limit)


def _event(raw, i: int, duration_s: float, keep_times: bool = False) -> Event | None:
    """One event from a dict with forgiving key names; None if it lies outside the timeline
    (PlanError with ``keep_times``: a plan given as it is to be heard) or is muted all along."""
    if not isinstance(raw, dict):
        raise PlanError(f"event {i + 1} must be an object with a caption, a start and an end")
    keys = {str(k).lower(): v for k, v in raw.items()}
    caption = next((keys[k] for k in ("caption", "text", "prompt", "description", "sound") if k in keys), None)
    if caption is not None and not isinstance(caption, str):
        raise PlanError(f"event {i + 1}'s caption must be text, got {caption!r}"[:200])
    if not isinstance(caption, str) or not caption.strip():
        raise PlanError(f"event {i + 1} has no caption")
    caption = " ".join(caption.split())
    if len(caption) > MAX_CAPTION_CHARS:
        raise PlanError(f"event {i + 1}: caption longer than {MAX_CAPTION_CHARS} characters")
    start_raw = next((keys[k] for k in ("start_time", "start", "start_s", "onset") if k in keys), 0.0)
    end_raw = next((keys[k] for k in ("end_time", "end", "end_s", "offset") if k in keys), duration_s)
    start, end = _number(start_raw, f"event {i + 1} start"), _number(end_raw, f"event {i + 1} end")
    if end < start:
        start, end = end, start  # reversed times: the intent is clear
    said = f"{start:g} to {end:g} s"
    start, end = max(0.0, start), min(duration_s, end)
    if end - start < 0.05:
        if keep_times:
            raise PlanError(f"event {i + 1} ({caption!r}, {said}) lies outside the {duration_s:g} s timeline")
        return None  # nothing of it on the timeline
    gain = _number(keys.get("gain_db", keys.get("gain", 0.0)), f"event {i + 1} gain")
    if not GAIN_RANGE_DB[0] <= gain <= GAIN_RANGE_DB[1]:
        raise PlanError(f"event {i + 1}: gain must be between {GAIN_RANGE_DB[0]:+g} and {GAIN_RANGE_DB[1]:+g} dB, "
                        f"got {gain:g}")
    seed = keys.get("seed")
    if seed is not None:
        number = _number(seed, f"event {i + 1} seed")
        if not number.is_integer():
            raise PlanError(f"event {i + 1}: seed must be a whole number, got {seed!r}"[:200])
        seed = int(number)
        if not 0 <= seed <= MAX_SEED:
            raise PlanError(f"event {i + 1}: seed must be between 0 and {MAX_SEED}, got {seed}")
    fill = str(keys.get("fill")).strip().lower()  # true, false or absent; a table's bool cell or the word as text too
    if fill not in ("true", "false", "none", ""):
        raise PlanError(f"event {i + 1}: fill must be true or false, got {keys.get('fill')!r}"[:200])
    period = next((keys[k] for k in ("period_s", "period") if str(keys.get(k)).strip().lower() not in ("", "none")),
                  None)
    if period is not None:
        period = _number(period, f"event {i + 1} period")
        if not PERIOD_RANGE_S[0] <= period <= PERIOD_RANGE_S[1]:
            raise PlanError(f"event {i + 1}: period must be between {PERIOD_RANGE_S[0]:g} and {PERIOD_RANGE_S[1]:g} s, "
                            f"got {period:g}")
        if fill == "false":
            raise PlanError(f"event {i + 1}: a period is the time between the repeats of a sound that fills its span; "
                            f"it has fill false")
        fill, period = "true", round(period, 3)  # a period given: the sound repeats
    period_from = str(keys.get("period_from")).strip().lower()  # "tempo", or absent: said
    if period_from not in (TEMPO, "none", ""):
        raise PlanError(f"event {i + 1}: period_from must be {TEMPO!r} (a rhythm a tempo edit worked out) or absent, "
                        f"got {keys.get('period_from')!r}"[:200])
    if period_from == TEMPO and period is None:
        raise PlanError(f"event {i + 1}: period_from {TEMPO!r} says where a period came from, and it gives none")
    mute = _mute(keys.get("mute", keys.get("muted")), start, end, i)
    if heard_s(start, end, mute) < 0.05:
        return None  # nothing of it is heard
    return Event(caption, round(start, 3), round(end, 3), float(gain), seed, fill == "true", period, mute,
                 TEMPO if period_from == TEMPO else None)


def _mute(raw, start: float, end: float, i: int) -> tuple[tuple[float, float], ...]:
    """An event's muted spans: pairs [a, b] of seconds on the timeline (a table cell may give them as
    text, "2-4, 6-8"), cut to the event's span, sorted and merged; ones under 0.05 s are dropped."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
        return ()
    if isinstance(raw, str):  # "2-4, 6-8", "2 - 4 s and 6 to 8 seconds", "2–4"
        pairs = [re.split(r"\s*[-–]\s*|\s+to\s+", re.sub(r"\s*(?:s|secs?|seconds?)$", "", part.strip(), flags=re.I))
                 for part in re.split(r"[,;]|\s+and\s+", raw) if part.strip()]
    elif isinstance(raw, (list, tuple)):
        flat = len(raw) == 2 and not any(isinstance(x, (list, tuple)) for x in raw)
        pairs = [raw] if flat else list(raw)  # [2, 4]: one span
    else:
        raise PlanError(f"event {i + 1}: mute must be a list of [start, end] pairs, got {raw!r}"[:200])
    spans = []
    for pair in pairs:
        if isinstance(raw, str) and len(pair) != 2:  # a table's cell
            raise PlanError(f"event {i + 1}: mute takes spans of seconds, e.g. 2-4, 6-8; got {raw!r}"[:200])
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise PlanError(f"event {i + 1}: mute must be a list of [start, end] pairs, got {raw!r}"[:200])
        a, b = sorted(_number(x, f"event {i + 1} mute") for x in pair)
        a, b = max(a, start), min(b, end)
        if b - a >= 0.05:
            spans.append((round(a, 3), round(b, 3)))
    return merged_spans(spans)


def merged_spans(spans) -> tuple[tuple[float, float], ...]:
    """(start, end) spans sorted, those that overlap or touch joined into one."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def sounds_counted(sounds: int, ambience: int, limit: int) -> int:
    """How many sounds count against a bed's ``limit`` of sounds at once: each of ``sounds`` one, and the
    ``ambience``, steady backgrounds playing together (rain and wind: ``is_background``, leveled under the rest as
    one bed by compose's render), one between them while they are no more than the limit; more are each counted,
    over it (refused; the limit they need: :func:`limit_needed`)."""
    return sounds + (min(ambience, 1) if ambience <= limit else ambience)


def limit_needed(sounds: int, ambience: int) -> int:
    """The least limit of sounds at once that ``sounds`` and an ``ambience`` of that many layers play under
    (:func:`sounds_counted`): the ambience one sound, its layers no more than the limit."""
    return max(sounds + min(ambience, 1), ambience)


def crowding(spans: list[tuple[float, float, bool]], limit: int) -> list[tuple[float, int]]:
    """(time s, sounds counted from then: :func:`sounds_counted`) at each start and end of ``spans``, (start s,
    end s, whether it is a layer of the ambience: ``is_background``), in time order; one that ends as another begins
    does not overlap it."""
    points = sorted([(a, 1, steady) for a, _, steady in spans] + [(b, -1, steady) for _, b, steady in spans],
                    key=lambda p: (p[0], p[1]))
    sounds = ambience = 0
    counts = []
    for t, step, steady in points:
        if steady:
            ambience += step
        else:
            sounds += step
        counts.append((t, sounds_counted(sounds, ambience, limit)))
    return counts


def _max_overlap(events: list[Event], limit: int) -> tuple[int, float]:
    """The most sounds ``events`` play at once as counted against ``limit`` (:func:`crowding`), and the first time
    they do (s)."""
    peak, when = 0, 0.0
    for t, n in crowding([(e.start_s, e.end_s, is_background(e.caption)) for e in events], limit):
        if n > peak:
            peak, when = n, t
    return peak, when


def playing_at(events: list[Event], when_s: float) -> list[Event]:
    """The events of ``events`` that play at ``when_s`` (s): begun by then, not ended."""
    return [e for e in events if e.start_s <= when_s < e.end_s]


def playing_said(playing: list[Event], limit: int) -> list[str]:
    """The sounds ``playing`` at one time (:func:`playing_at`), as counted against ``limit``: each caption, the
    steady backgrounds counted as one said together ("rain and wind as one ambience")."""
    steady = [e.caption for e in playing if is_background(e.caption)]
    if not 1 < len(steady) <= limit:
        return [e.caption for e in playing]
    return [f"{listed(steady)} as one ambience"] + [e.caption for e in playing if not is_background(e.caption)]


def listed(names: list[str]) -> str:
    """Names said as a list: "rain", "rain and wind", "rain, wind and birds"."""
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def validate(raw_events, duration_s: float, max_simultaneous: int = 3, reach_end: bool = True) -> Plan:
    """Build a valid plan from raw event dicts, repairing what has a clear intent. ``reach_end``:
    a new plan's latest event is extended to the end of the timeline (a bed has no silent
    tail); an edited, saved or pasted plan keeps the times it was given, and an event of it
    outside the timeline is refused (a new plan's is left out)."""
    duration_s = _number(duration_s, "duration")
    if not DURATION_RANGE_S[0] <= duration_s <= DURATION_RANGE_S[1]:
        raise PlanError(f"duration must be between {DURATION_RANGE_S[0]:g} and {DURATION_RANGE_S[1]:g} s, got {duration_s:g}")
    if not isinstance(raw_events, list) or not raw_events:
        raise PlanError("the plan has no events")
    if len(raw_events) > MAX_EVENTS:
        raise PlanError(f"the plan has {len(raw_events)} events; at most {MAX_EVENTS} are allowed")
    events = [e for i, raw in enumerate(raw_events) if (e := _event(raw, i, duration_s, not reach_end)) is not None]
    if not events:
        muted = any(isinstance(r, dict) and (r.get("mute") or r.get("muted")) for r in raw_events)
        raise PlanError(f"no event lies inside the {duration_s:g} s timeline"
                        + (" or is heard there (an event muted all along is left out)" if muted else ""))
    if reach_end and max(e.end_s for e in events) < duration_s:
        last = max(range(len(events)), key=lambda i: events[i].end_s)
        events[last] = replace(events[last], end_s=round(duration_s, 3))  # one event must reach the end
    events.sort(key=lambda e: (e.start_s, e.end_s))  # the order a saved plan is read back in
    peak, when = _max_overlap(events, max_simultaneous)
    if peak > max_simultaneous:
        playing = playing_at(events, when)
        names = playing_said(playing, max_simultaneous)
        layers = [e.caption for e in playing if is_background(e.caption)]
        needed = limit_needed(len(playing) - len(layers), len(layers))
        more = " (a plan in JSON may allow more: \"max_simultaneous\")"
        if len(layers) > max_simultaneous:  # an ambience of more layers than sounds may play at once
            raise CrowdedError(f"{len(layers)} backgrounds play together from {when:g} s ({listed(layers)}); one "
                               f"ambience holds at most {max_simultaneous}, as many as may play at once: leave one "
                               f"out{more}", peak, when, names, max_simultaneous, layers, needed)
        raise CrowdedError(f"{peak} sounds play at once from {when:g} s ({'; '.join(names)}); at most "
                           f"{max_simultaneous} may overlap{more}", peak, when, names, max_simultaneous, needed=needed)
    return Plan(round(duration_s, 3), tuple(events), max_simultaneous)


# --------------------------------------------------------------------------- parsing ---

_FENCE = re.compile(r"```(?:json|python|py)?\s*(.*?)```", re.S | re.I)
_CALL = re.compile(r"[\w.]*generate\s*\(", re.I)


def _json_events(text: str):
    """(events, duration or None, max_simultaneous or None) of the first JSON value in ``text``
    that holds an events list, else None."""
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"[\[{]", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            for key in ("events", "plan", "calls"):
                if isinstance(value.get(key), list):
                    return value[key], value.get("duration_s", value.get("duration")), value.get("max_simultaneous")
            if any(k in value for k in ("caption", "text", "prompt", "description")):
                return [value], None, None
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value, None, None
    return None


def _balanced_call(text: str, open_at: int) -> str | None:
    """The text from the "(" at ``open_at`` to its matching ")", quotes respected."""
    depth, quote, i = 0, None, open_at
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1  # skip the escaped character
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[open_at:i + 1]
        i += 1
    return None


# The keyword arguments a generate(...) call may give (``_event`` reads them).
_CALL_KEYWORDS = {"caption", "text", "prompt", "description", "sound", "start_time", "start", "start_s", "onset",
                  "end_time", "end", "end_s", "offset", "gain_db", "gain", "seed", "fill", "period_s", "period",
                  "period_from"}


def _call_events(text: str) -> list[dict] | None:
    """Events from `X.generate('caption', start_time=a, end_time=b)` calls, read with ast."""
    events = []
    for m in _CALL.finditer(text):
        call = _balanced_call(text, m.end() - 1)
        if call is None:
            continue
        try:
            node = ast.parse("f" + call, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if not isinstance(node, ast.Call):
            continue
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            raise PlanError(f"cannot read the call {call[:80]!r}: only literal arguments are allowed") from None
        if unknown := sorted(set(map(str.lower, kwargs)) - _CALL_KEYWORDS):
            raise PlanError(f"the call {'generate' + call[:60]!r} gives {unknown[0]}=, which no plan has (a misspelling of "
                            f"{', '.join(sorted(_CALL_KEYWORDS & {'start_time', 'end_time', 'gain_db', 'seed'}))}?)")
        if args and "caption" not in kwargs:
            kwargs["caption"] = args[0]
        if len(args) >= 3:
            kwargs.setdefault("start_time", args[1])
            kwargs.setdefault("end_time", args[2])
        events.append(kwargs)
    return events or None


_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_DOTTED_CALL = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\s*\(")  # "Auffusion.generat(", outside quotes


def _other_statement(text: str) -> str | None:
    """The first call in ``text`` that is not a generate(...) call and that stands alone as a
    statement of it read as Python source (parsed by ast, never run: "print('x')"), or that is
    a dotted call anywhere outside quotes ("Auffusion.generat(" after words, or assigned); or None."""
    source = textwrap.dedent(text)
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        body = []
    for node in body:
        if isinstance(node, ast.Expr) and isinstance(call := node.value, ast.Call):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name.lower() != "generate":
                return ast.get_source_segment(source, node)[:80]
    unquoted = _QUOTED.sub("''", text)
    other = next((m for m in _DOTTED_CALL.finditer(unquoted) if not m[0].rstrip("( ").lower().endswith(".generate")), None)
    return other[0].rstrip("( ") + "(...)" if other else None


_JSON_START = re.compile(r"\{\s*\"|\[\s*\{")  # where a JSON plan begins inside words: {" or [{


def is_plan_text(text: str) -> bool:
    """``text`` is a plan itself (JSON events, alone, in a ``` fence or after a few words, or
    generate(...) calls), not a description of one."""
    return text.lstrip().startswith(("{", "```")) or bool(re.match(r"\s*\[\s*[{\]]", text)) or bool(_CALL.search(text) or _JSON_START.search(text)
                                                               or _DOTTED_CALL.search(_QUOTED.sub("''", text)))


def pasted_plan(text: str, duration_s: float = 10.0, max_simultaneous: int = 3) -> Plan:
    """A plan a user gave as text (JSON as ``--plan-only`` prints it, or generate(...) calls):
    as :func:`parse_plan`, but JSON must be whole (a truncated paste is refused, not read in
    part) and the times are kept as given. JSON in a ``` fence, or after words ("Here is the
    plan: {...}"), is read from the fence or from where it begins; words after it are refused."""
    fence = _FENCE.search(text)
    if fence:
        text = fence.group(1)
    elif not _CALL.search(text) and (start := _JSON_START.search(text)) and not text.lstrip().startswith(("{", "[")):
        text = text[start.start():]
    calls = len(_CALL.findall(text))
    if calls and not text.lstrip().startswith(("{", "[")) and len(_call_events(text) or []) != calls:
        raise PlanError(f"the plan has {calls} generate(...) calls and not all of them can be read (one cut short?)")
    if calls and (other := _other_statement(text)):
        raise PlanError(f"the plan holds {other!r}, which is no generate(...) call (a misspelt one?); "
                        "a plan is generate(...) calls only")
    if text.lstrip().startswith(("{", "[")):
        try:
            value, end = json.JSONDecoder().raw_decode(text.lstrip())
            if rest := text.lstrip()[end:].strip():  # more of the plan, said in words? it would be left out
                if re.search(r"[\[{]", rest):
                    value = json.loads(text)  # more JSON: says where
                raise PlanError(f"the plan is followed by words ({rest[:40]!r}) that it would leave out; give the "
                                "plan alone (words before it are read past)")
        except json.JSONDecodeError as e:
            raise PlanError(f"the plan is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
        except RecursionError:
            raise PlanError("the plan is not valid JSON (nested too deeply)") from None
        if isinstance(value, dict) and not any(isinstance(value.get(k), list) for k in ("events", "plan", "calls")) \
                and not any(k in value for k in ("caption", "text", "prompt", "description")):
            json_type = {bool: "true or false", int: "a number", float: "a number", str: "a string", dict: "an object",
                         type(None): "null"}  # {"events": 3}: what the key holds, in JSON's words
            said = next((f"its \"{k}\" is {json_type[type(value[k])]}, not a list" for k in ("events", "plan", "calls")
                         if k in value), f"its keys: {', '.join(map(str, value))}")
            raise PlanError(f"the plan has no \"events\" list ({said})"[:200])
    return parse_plan(text, duration_s, max_simultaneous, reach_end=False)


def parse_plan(text: str, duration_s: float = 10.0, max_simultaneous: int = 3, reach_end: bool = True) -> Plan:
    """A plan from a planner's answer (JSON or call strings, fenced or not); ``reach_end`` as
    in :func:`validate` (False for an edit)."""
    if not isinstance(text, str) or not text.strip():
        raise PlanError("the planner's answer is empty")
    if len(text) > 100_000:
        raise PlanError("the planner's answer is too long to be a plan")
    bodies = _FENCE.findall(text) + [text]
    for body in bodies:
        found = _json_events(body)
        if found is not None:
            events, duration, limit = found
            return validate(events, _number(duration, "duration") if duration is not None else duration_s,
                            _limit(limit) if limit is not None else max_simultaneous, reach_end)
        calls = _call_events(body)
        if calls is not None:
            return validate(calls, duration_s, max_simultaneous, reach_end)
    raise PlanError("no plan found: expected JSON events or Auffusion.generate('...', start_time=.., end_time=..) calls")
