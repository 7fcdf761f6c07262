"""The forms of an edit: the patterns a follow-up instruction is read by (``_EDITS``), an editor's words said
as them (``_edit_said``), and whether a text is an edit or an undo (``check_not_an_edit``, ``is_undo``)."""
from __future__ import annotations

import math
import re

from ..plan import PlanError
from .times import (_AT_KEEPS_UNTIL, _COUNTS, _DECIMAL, _NUMBER, _SECONDS, _STARTS_UNTIL, _THROUGHOUT_WORDS,
                    _TO_THE_END, _UNIT_S)
from .words import _ARTICLE, _LEARNED_OR, _LEARNED_SAID, _clean, should_said

_NUM = rf"(-?{_DECIMAL})"
_UNIT = rf"\s*{_UNIT_S}"
_BY_S = rf"(?:\s+by\s+{_NUM}(?:{_UNIT})?)?"
_TARGET = r"(?P<a>.+?)(?<!\sat)(?<!\saround)"  # "the ball at 6 s 2 s later": the time stays with the ball
_REMOVE = r"(?:remove|delete|drop|mute|cut|get\s+rid\s+of|take\s+out|leave\s+out)"
# "remove X after T s" (or "after three seconds"): from T s on
_REMOVE_AFTER = re.compile(rf"^(?P<a>{_REMOVE}\s.+?)\s+after\s+(?=\d|[a-z]+\s+{_UNIT_S}\b)", re.I)
_GAIN_UNIT = r"(?:db|%|\s*percent)"  # a gain in dB, or a change of the amplitude in per cent
_PERCENT = re.compile(r"\d\s*(?:%|percent)", re.I)
_MOVE_TO_PLACE = re.compile(r"^(?P<a>(?:move|put)\s.+?)\s+to\s+the\s+(?P<place>(?:very\s+)?(?:end|start|beginning"
                            r"|middle))$",
                            re.I)  # "move the door to the end": at the end
_LEVEL_SPAN = re.compile(r"^(?:(?:lower|raise|boost|reduce)\b|(?:make|turn|bring)\b.*\b(?:louder|quieter|softer|up"
                         r"|down)\b).*\b(?:after|before|until|till|from|between)\s+\d",
                         re.I)  # "lower the rain after 5 s": a span
_LEVEL_WORDS = re.compile(r"\bby\b|\bdb\b|%|\bpercent\b|\bnow\b", re.I)  # left in a gain edit's target: unread
# "reduce the rain to 10%", "set the rain to -6 dB", "rain at -6 dB": the level it ends at, not a change of it
_TO_LEVEL = re.compile(rf"^(?:set\s.+\s(?:(?:to|at)\s+)?|(?!add\s).+\s(?:down\s+|up\s+)?(?:to|at|be|level)\s+"
                       rf"|.+?\s*=\s*){_NUM}\s*{_GAIN_UNIT}$", re.I)
_A_BIT = r"(?P<bit>a\s+(?:little\s+)?bit|a\s+(?:little|touch|tad|notch)|slightly)"  # a change of A_BIT_DB
_MUCH = r"(?P<much>much|a\s+lot|(?<!all\sthe\s)way|far)"  # a change of MUCH_DB (not "all the way": no amount)
# "some more laughs", of a sound said in the plural: a few more (not "some more thunder": more of it)
_SOME_MORE = r"some(?=\s+more\s+[a-z][^\d,;]*?[^s\W]s(?:\s+(?:at|from|for|between)\s+\d.*)?$)"
# A word after a sound's name that asks for a level, a stop or a move, not for it to play on ("the clock stops
# throughout", "make the rain louder the whole time"): no "throughout" edit
_NOT_HELD = (r"(?:quieter|louder|softer|lower|fainter|silent|silenced|muted?|off|away|gone|dead|stops?|stopped|ends?"
             r"|ended|fades?|faded|later|earlier|sooner|longer|shorter|faster|slower)")
MUCH_DB = 12.0  # "make X much quieter"
NUDGE_S = 0.1  # "nudge X earlier", "make X a bit later"; a move said without an amount is 1 s
A_BIT_LONGER_S = 0.5  # "make X a bit longer" (or shorter); a change of length said without an amount is 1 s
A_BIT_DB = 3.0  # "make X a bit louder", "turn X down a little"; a change said without an amount is 6 dB
_EDITS = [
    ("retake_all", re.compile(r"^(?:(?:please\s+)?(?:try(?:\s+it)?\s+again|again|one more time|(?:give me\s+)?another"
                              r"(?:\s+(?:take|version|one))?|regenerate|re-?roll|(?:redo|regenerate|re-?roll)\s+(?:it"
                              r"|all|everything|the(?:\s+whole)?\s+bed)))$", re.I)),
    # "swap the glass and the body": two sounds of the bed trade places (a "with" naming no sound of the bed replaces)
    ("swap", re.compile(r"^(?:swap|switch|exchange)\s+(?:the\s+places\s+of\s+)?(?P<a>.+?)\s+(?:and|with)\s+"
                        r"(?P<b>(?:the|that|this)\s.+?)(?:\s+around|\s+over|\s+places)?$", re.I)),
    ("replace", re.compile(r"^(?:replace|swap)\s+(?P<a>.+?)\s+(?:with|by|for)\s+(?P<b>.+)$", re.I)),
    ("replace", re.compile(r"^(?:change|turn)\s+(?P<a>.+?)\s+(?:to|into)\s+(?P<b>.+)$", re.I)),
    ("retake", re.compile(r"^(?:(?:give me |try )?(?:another|an?\s+(?:new|different|fresh)|new|different|fresh) (?:take"
                          r"|version) (?:of|on|for)|try|redo|regenerate|re-?roll|re-?take"
                          r"|(?=\D+$)(?:give me )?(?:an?\s+)?different|(?=\D+$)give me another)"  # "a different car", no time
                          r"\s+(?P<a>.+?)"
                          r"(?:\s+again)?$", re.I)),
    ("remove_span", re.compile(rf"^{_REMOVE}\s+(?P<a>.+?)\s+(?:(?:from|between)\s+{_NUM}{_SECONDS}\s+(?:to|and|until"
                               rf"|till)\s+{_NUM}{_SECONDS}|(?P<after>after|from)\s+{_NUM}{_SECONDS}(?:\s+on(?:wards?)?"
                               rf"|\s+{_TO_THE_END})?|(?:(?:from\s+the\s+(?:start|beginning)\s+)?(?:to|until|till)"
                               rf"|before|up\s+to)\s+{_NUM}{_SECONDS}|(?:for|in|over|during)\s+the\s+(?P<edge>first"
                               rf"|last)\s+{_NUM}{_SECONDS})$", re.I)),
    ("gain", re.compile(rf"^(?P<verb>drop|cut)\s+(?P<a>.+?)\s+(?:(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|{_A_BIT}(?:\s+(?:down"
                        rf"|lower))?|down|lower)$", re.I)),  # a level ("drop the rain lower")
    ("remove", re.compile(rf"^{_REMOVE}\s+(?P<a>.+)$", re.I)),
    ("add", re.compile(r"^add\s+(?P<b>.+)$", re.I)),
    # "move the drill to 4-5 s" ("... to between 4 and 5 s", "put the drill at 4-5 s"): moved to 4 s, lasting until 5 s
    # (a span said with "put" alone: "put the drill from 4 to 5 s"; "move the drill from 3 to 5 s" is no span)
    ("move_to", re.compile(rf"^(?:move|(?P<put>put))\s+(?P<a>.+?)\s+(?:to\s+|(?(put)(?=(?:from|between)\s)|(?!)))"
                           rf"(?:from\s+{_NUM}(?:{_UNIT})?\s+(?:to|until|till)|between\s+{_NUM}(?:{_UNIT})?\s+and"
                           rf"|{_NUM}(?:{_UNIT})?\s+(?:to|until|till))\s+{_NUM}(?:{_UNIT})?$", re.I)),
    ("move_to", re.compile(rf"^(?:move|put)\s+(?P<a>.+?)\s+(?:to|at)\s+{_NUM}(?:{_UNIT})?$", re.I)),
    ("start_at", re.compile(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:start|begin|come\s+in|fade\s+in)\s+(?:at\s+)?"
                            rf"{_NUM}(?:{_UNIT})?$", re.I)),  # "make the rain start at 2 s"
    ("end_at", re.compile(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:stop|end|finish|fade(?:\s+out)?|cut\s+off)\s+"
                          rf"(?:at\s+)?{_NUM}(?:{_UNIT})?$",
                          re.I)),  # "make the crickets stop at 6 s", "let the rain fade at 5 s"
    ("end_at", re.compile(rf"^(?:stop|end|fade\s+out|cut\s+off)\s+(?P<a>.+?)\s+at\s+{_NUM}(?:{_UNIT})?$", re.I)),
    ("shift", re.compile(rf"^(?P<verb>make|move|shift|nudge|bring)\s+{_TARGET}\s+(?:by\s+)?(?:{_NUM}{_UNIT}\s+"
                         rf"|{_A_BIT}\s+)?(?P<dir>later|earlier|sooner){_BY_S}$", re.I)),
    ("length", re.compile(rf"^make\s+{_TARGET}\s+(?:{_NUM}{_UNIT}\s+|{_A_BIT}\s+)?(?P<dir>longer|shorter){_BY_S}$",
                          re.I)),
    ("gain", re.compile(rf"^make\s+(?P<a>.+?)\s+(?:{_NUM}\s*{_GAIN_UNIT}\s+|{_A_BIT}\s+|{_MUCH}\s+)?(?P<dir>louder"
                        rf"|quieter|softer)(?:\s+by\s+{_NUM}\s*{_GAIN_UNIT}?)?$", re.I)),
    ("gain", re.compile(r"^make\s+(?P<a>.+?)\s+(?P<dir>twice|half)\s+as\s+loud$", re.I)),  # the amplitude: +-6 dB
    ("gain", re.compile(rf"^(?:(?:turn|bring)\s+(?P<dir>up|down)|(?P<verb>lower|raise|boost|reduce))\s+(?P<a>.+?)"
                        rf"(?:\s+(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|\s+{_A_BIT}|\s+{_MUCH})?$",
                        re.I)),  # "turn down X", "lower X"
    ("gain", re.compile(rf"^(?:turn|bring)\s+(?P<a>.+?)(?<!\sall\sthe)\s+(?:(?P<way>way|right|far)\s+)?(?P<dir>up|down)"
                        rf"(?:\s+(?:by\s+)?{_NUM}\s*{_GAIN_UNIT}|\s+{_A_BIT}|\s+{_MUCH})?$",
                        re.I)),  # "turn X way down": much
    ("tempo", re.compile(rf"^make\s+{_TARGET}\s+(?:(?P<dir>faster|slower)|(?P<x2>twice|half)\s+as\s+(?:fast|quick)"
                         rf"|(?P<xn>{_DECIMAL})\s+times\s+as\s+(?P<xd>fast|quick|slow))$", re.I)),
    ("last", re.compile(rf"^make\s+{_TARGET}\s+last\s+(?:for\s+)?{_NUM}(?:{_UNIT})?$",
                        re.I)),  # a length, not a change of it
    # "make the clock last the whole time", "the clock ticks throughout", "keep the fridge humming all along": over the
    # whole timeline ("in the background" may ask for a level, "make X louder throughout" for a gain: neither)
    ("throughout", re.compile(rf"^(?:(?:make|have|let|keep)\s+)?(?P<a>(?:the|that|this|these|those)\s"
                              rf"(?:(?!\b{_NOT_HELD}\b).)+?|it|them)"
                              rf"(?:\s+(?:should\s+)?(?!(?:quiet|silent|mute|loud|soft|low|off|out|down|up|away|still"
                              rf"|gone|dead|faint|be|stay|later|earlier|sooner|longer|shorter|faster|slower)[a-z]*\b"
                              rf"|{_NOT_HELD}\b)[a-z]+(?:\s+on)?)?\s+(?!in\s+the\s+background){_THROUGHOUT_WORDS}$",
                              re.I)),
    ("rhythm", re.compile(rf"^(?:make\s+|repeat\s+)?{_TARGET}\s+(?:repeat\s+)?every\s+(?:{_NUM}(?:{_UNIT})?"
                          rf"|(?:half\s+(?:a\s+)?)?second)$", re.I)),  # read by _rhythm
]
# "allow 4 sounds at once", "up to 4 sounds at the same time": the bed's limit, a turn of its own
_AT_ONCE = re.compile(rf"^(?:(?:allow|let|play|have)\s+)?(?:up\s+to\s+|at\s+most\s+)?(?P<n>\d+|{_NUMBER})\s+"
                      r"(?:sounds?|events?|layers?)(?:\s+(?:to\s+)?play)?\s+"
                      r"(?:at\s+once|together|at\s+the\s+same\s+time|simultaneously)$", re.I)
# "replace the dog with a cat and make it louder", "make the thunder later and louder": two edits
_TWO_EDITS = re.compile(r"(?:[,;]|\.(?=\s)|\b(?:and|then))\s+(?:then\s+|also\s+)?(?P<second>(?:replace|swap|change"
                        r"|remove|delete|drop|mute|cut|add|move|shift|nudge|put|make|turn|bring|pull|push|lose|kill"
                        r"|silence|lower|raise|boost|take\s+out|get\s+rid\s+of|repeat|redo|regenerate|undo)\s.*"
                        r"|(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower)\b.*|(?:the|a"
                        r"|an)\s+[a-z' ]+?\s+(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster"
                        r"|slower)\b.*)$", re.I)
# "rain quieter and thunder later", "move the dog to 5 s and the thunder to 6 s", "rain -3 dB, thunder +2 dB": a second
# edit said in short after the first, with no verb of its own
_DONE = r"(?:louder|quieter|softer|later|earlier|sooner|longer|shorter|faster|slower|db|\d\s*(?:s|secs?|seconds?))"
_TWO_SHORT = re.compile(rf"\b{_DONE}\s*(?:[,;]|\s+(?:and|then))\s+(?:then\s+|also\s+)?(?P<second>(?:[a-z' ]+?\s+)?"
                        rf"(?:(?:{_DECIMAL}\s*(?:db|s|secs?|seconds?)|a\s+(?:bit|little))\s+)?(?:louder|quieter|softer"
                        rf"|later|earlier|sooner|longer|shorter|faster|slower|[-+\u2212]\s*{_DECIMAL}\s*db"
                        rf"|to\s+{_DECIMAL}(?:\s*{_UNIT_S})?\b.*)(?:\s+by\s+.+)?)$",
                        re.I)
TEMPO_STEP = 1.5  # "slower": the period times this; "faster": divided by it
# The edits the rules planner reads, as `foley compose --help` lists them
EDIT_HELP = ("another take (of the whole bed; or: try again), replace X with Y, swap X and Y (their times), "
             "another take of X (or: try X again), "
              "remove X [from A to B s | before T s | after T s | for the first/last N s], only N Xs (the first N kept), "
              "add X [at T s [for N s] | from A to B s | from T s], "
              "move X to T s (or: to A-B s; make the X VERB at T s, the X VERBs at T s), make X start/stop at T s "
              "(or: the X starts/stops at T s), make X later/earlier [by N s] (or: shift X by [-]N s), "
              "make X longer/shorter [by N s], make X last N s (or: the whole time, throughout), "
              "make X louder/quieter [by N dB or N% | a bit] (or: turn X up/down, lower/raise X), "
              "X every N s, make X faster/slower (a repeated sound, or a run of one sound's takes); "
              "X is a sound of the bed, or one of several by time or order: 'the ball at 6 s', 'the second ball', "
              "or all of them (to remove, make louder/quieter, take again, replace, move by N s, make longer/shorter "
              "or faster/slower): 'all the balls', or all but some: 'everything but the rain', or several: 'the rain "
              "and the dog'; 'it' of the sound the last turn edited, or when the bed has one "
              "sound, 'the last one' of the whole bed; a time may be said from "
              "a sound of the bed: '1 s after the door', 'right after the door'; "
              "allow N sounds at once (the bed's limit, 3 unless raised); and undo (the last turn)")
# Verbs that only begin an edit (a sound description may begin "drop a plate" or "cut the rope"; "change
# falls", "mute swans honk", "turn signals click": these begin an edit only before "the", "that", ...).
_EDIT_VERBS = re.compile(r"^(?:replace|swap|remove|delete|add|move|make|redo|regenerate|re-?roll|re-?take|another"
                         r"|shift|(?:turn|change|mute|have|let|switch|exchange)\s+"
                         r"(?:the|that|this|these|those|all|every|it|them)\b|"
                         r"turn\s+(?:up|down)|(?:bring|nudge)\s+(?:the|that|this|these|those|all|it)\b|"
                         r"(?:lower|raise|boost|reduce)\s(?=.*(?:\d\s*(?:db|%|percent)|\ba\s+(?:little\s+)?bit|\ba\s+"
                         r"(?:little|touch|tad)|\bslightly)$)|"
                         r"get\s+rid\s+of|take\s+out|"
                         r"give me another|again|one more time|(?:please\s+)?try(?:\s+it)?\s+again)\b", re.I)


_UNDO = re.compile(r"^(?:(?:actually|no|oops|sorry|hmm|ok(?:ay)?),?\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
                   r"(?:(?:undo|revert)(?:\s+(?:that|it|(?:the\s+)?(?:last|previous)"
                   r"(?:\s+(?:change|edit|turn|one))?|(?:that|the)\s+(?:change|edit)))?|go\s+back(?:\s+(?:one"
                   r"|a)\s+step)?|scratch\s+that|take\s+(?:that|it)\s+back|never\s*mind)(?:,?\s+(?:please|pls|plz|thanks"
                   r"|thx))?$", re.I)


_UNDO_PART = re.compile(r"^(?:please\s+)?(?:undo|revert)(?:\s+|\s*,\s*(?=undo\b))(?P<a>.+)$", re.I)  # "undo the rain"
# "undo the last two changes", "undo twice", "undo everything", "undo undo", "undo x2": several turns
_UNDO_TURNS = re.compile(r"(?:(?:the\s+)?(?:last\s+)?(?:\w+\s+)?(?:changes|edits|turns|steps|ones)|twice|\w+\s+times"
                         r"|everything|all(?:\s+of\s+(?:it|them))?|(?:all\s+)?the\s+(?:changes|edits|turns)"
                         r"|undo(?:[\s,]+undo)*|x\s*\d+|\d+(?:\s*x)?)", re.I)

# "redo", "undo the undo": an undo taken back (not "redo it", another take of the whole bed; not "undo undo", two undos)
_REDO = re.compile(r"^(?:please\s+)?(?:redo(?:\s+(?:the\s+)?(?:last\s+)?(?:change|edit|turn|undo))?|un-?undo|(?:undo\s+"
                   r"(?!undo\b)|revert\s+)(?:(?:the|that|my|your)\s+)?(?:last\s+)?undo)(?:,?\s+please)?$", re.I)


# "export", "save it as a wav", "render the mix": the file a turn writes, asked for as a turn
_EXPORT = re.compile(r"^(?:please\s+)?(?:export|save|render|bounce|download)(?:\s+(?:it|this|that|everything"
                     r"|(?:the\s+)?(?:whole\s+)?(?:bed|mix|audio|file|track|result|session|sound|wav)))?"
                     r"(?:\s+(?:out|down))?(?:\s+(?:as|to|into)\s+.+)?$", re.I)


def is_export(text: str) -> bool:
    """``text`` asks for the bed as a file ("export", "save it as a wav", "render the mix"): no edit, and no sound; each
    turn writes its bed."""
    return bool(_EXPORT.match(_clean(text)))


def is_undo(text: str) -> bool:
    """``text`` asks to undo the last turn of a session ("undo", "undo that", "go back", "revert
    the last change"): the bed goes back to the plan before it, whatever the planner."""
    return bool(_UNDO.match(_clean(text)))


def _is_edit(text: str) -> bool:
    """``text`` reads as an edit of a bed, not as a sound."""
    text = _edit_said(text)
    return bool(_EDIT_VERBS.match(text)) and any(pattern.match(text) for _, pattern in _EDITS)


# A change said of the sound before it ("a car passes and gets louder", "dogs bark and (they) get louder"): a
# description, whose change is noted
_AND_CHANGES = re.compile(r"\band\s+(?:(?:it|they)\s+)?(?:(?:gradually|slowly|steadily)\s+)?(?:(?:gets|grows|becomes)\s"
                          r"|(?:get|grow|become)\s+(?:faster|slower|louder|quieter|softer|heavier|lighter|closer|nearer"
                          r"|farther|further)\b)", re.I)
# ... or said at the end of its words without "and" ("rain that gets louder", "the rain gets quieter", "the wind howls
# louder and louder"): a description too, whose change is noted
_CHANGE_AT_END = re.compile(r"(?<=[\w'])\s*,?\s+(?:(?:that|which)\s+)?(?P<q>(?:(?:gradually|slowly|steadily)\s+)?(?:get"
                            r"(?:s|ting)?|grow(?:s|ing)?|become(?:s)?|becoming)\s+(?P<c>faster|slower|louder|quieter"
                            r"|softer|heavier|lighter|closer|nearer|farther|further)(?:\s+and\s+(?P=c))?|(?P<w>louder"
                            r"|quieter|softer|faster|slower)\s+and\s+(?P=w))(?=\s*(?:[,;.:!]|$)|\s+(?:then|while)\b)",
                            re.I)


def check_turn_said(text: str) -> None:
    """Refuse (PlanError) what a session's turn cannot be, whatever the planner: a redo ("redo", "undo the undo"),
    an undo of more than one turn ("undo twice", "undo undo"), or of a part of the bed ("undo the rain")."""
    said = _clean(text)
    if _REDO.match(said):
        raise PlanError(f"{text.strip()!r}: there is no redo; to have an edit that was undone again, give the edit "
                        f"again (the session's turns: foley compose --session FILE); another take of the whole bed: "
                        f"'try again'")
    if (m := _UNDO_PART.match(said)) and _UNDO_TURNS.fullmatch(m["a"]):
        raise PlanError(f"{text.strip()!r}: undo takes back one turn at a time; give it as a turn of its own for "
                        f"each turn to take back (undo, then undo again)")
    if m and not is_undo(text):  # not "undo please"
        raise PlanError(f"{text.strip()!r}: undo takes back the whole last turn; to take a sound out of the bed: "
                        f"remove {m['a']}")


def check_not_an_edit(text: str) -> None:
    """Refuse (PlanError) a first description that reads as an edit ("make the dog louder"), an
    undo ("undo", "undo undo", "undo twice") or a redo ("redo", "undo the undo"): there is no bed
    to edit yet, and it is no sound either."""
    text = should_said(text)  # "the rain should start at 2 s": a description of the rain from 2 s
    said = _clean(text)
    if is_undo(text) or _REDO.match(said) or (m := _UNDO_PART.match(said)) and _UNDO_TURNS.fullmatch(m["a"]):
        raise PlanError(f"{text.strip()!r}: there is no bed yet, so nothing to "
                        f"{'redo' if _REDO.match(said) else 'undo'}: describe a bed first "
                        "(foley compose: --session FILE keeps its turns)")
    # "a chainsaw starts at 2 s and runs until 8 s", "a dog barks at 1 s and goes on until 6 s": a sound and its span
    # (not "make the rain start at 2 s and ...")
    span_said = (_STARTS_UNTIL.search(text) or _AT_KEEPS_UNTIL.search(text)) and not _EDIT_VERBS.match(_clean(text))
    if is_export(text):
        raise PlanError(f"{text.strip()!r}: there is no bed yet to write: describe one first; each turn writes its bed "
                        "(compose.wav, or -o FILE)")
    if _AT_ONCE.match(said):
        raise PlanError(f"{text.strip()!r} sets how many sounds a bed plays at once: describe the bed first, then give "
                        "it as the next turn (foley compose: --session FILE keeps the bed)")
    if (_is_edit(_clean(text)) and not _AND_CHANGES.search(text) and not _CHANGE_AT_END.search(_clean(text))
            and not span_said):
        raise PlanError(f"{text.strip()!r} is an edit, and there is no bed to edit yet: describe a bed first "
                        "(foley compose: --session FILE keeps it for the next turn)")


# Words an edit begins with: "door 1 s later" is said in short, "make the door later" is not
_SHORT_NOT = (r"(?:make|move|shift|nudge|push|pull|bring|turn|put|have|let|delay|drop|cut|extend|trim|shorten|lengthen"
              r"|speed|slow|add|remove|replace|swap|change|start|stop|end)")


# The words that name a sound in an edit said in short: no time or amount, but an order ("the 2nd whistle", "the first 2
# knocks")
_NAMED = r"(?:[^,;:.\d]|\d(?:st|nd|rd|th)\b|(?<=#)\d\b|(?:(?<=\bfirst\s)|(?<=\blast\s))\d+\s)"


# Not a name that ends in a word of time ("hammering every -1 s", "a bell at -2 s": a time it cannot read)
_NO_TIME_WORD = "".join(rf"(?<!\b{w})" for w in ("every", "at", "by", "to", "from", "for", "in", "until", "till",
                                                   "after", "before", "around"))


# What a mix note ("rain -3 dB") names: words, a text the backbone learned with its comma ("footsteps on dirt, running")
_NOTE_NAME = rf"(?:{_LEARNED_SAID}|[^,;:.\d])+?" if _LEARNED_SAID else r"[^,;:.\d]+?"
# ... and, of one of several, its time ("the dog at 2 s +3 dB")
_NOTE_AT = rf"(?:\s+(?:at|around)\s+{_DECIMAL}(?:\s*{_UNIT_S})?)?"


def short_edit(text: str) -> str:
    """An edit said in short to a session as the edit patterns read it (in a description these are
    sounds: "louder rain", "the crowd cheers later"): "louder footsteps" is "make the footsteps
    louder", "the thunder (should come) a bit later" is "make the thunder a bit later" (and "the dog 1 s earlier",
    "door 1 s later" (a time or a length), "the knocks faster", ...), "speed up the footsteps" (or "slow X down") is
    "make the footsteps faster", and "much quieter rain" (or "slower footsteps", "shorter crowd") is "make the rain much
    quieter"."""
    text = re.sub(rf"^(?P<a>(?:(?:the|that|this)\s+|(?!{_SHORT_NOT}\b)){_NAMED}+?(?:\s+(?:at|around)\s+{_DECIMAL}"
                  rf"(?:\s*{_UNIT_S})?)?)(?:\s+(?:should|must|needs?\s+to|has\s+to|have\s+to)\s+"
                  rf"(?:be|come|happen|play|sound|go))?\s+(?P<dir>(?:{_A_BIT}\s+|{_DECIMAL}\s*{_UNIT_S}\s+)?"
                  rf"(?:later|earlier|sooner|longer|shorter|faster|slower)(?:\s+by\s+{_DECIMAL}(?:\s*{_UNIT_S})?)?"
                  rf"|(?:{_DECIMAL}\s*[x\u00d7]|(?:{_DECIMAL}|{_NUMBER})\s+times)\s+(?:faster|slower)"
                  rf"|(?:twice|half)\s+as\s+(?:fast|quick))$",
                  r"make \g<a> \g<dir>", text, flags=re.I)  # "the door 1 s later", "door later by 0.5 s", "steps 2x
    # faster", "steps twice as fast", "the bell at 9 s a tad later"
    # "dog too loud", "thunder too early": as "the dog is too loud"
    text = re.sub(rf"^(?!(?:an?|some|the|that|this|these|those|{_SHORT_NOT})\s)(?P<a>[a-z][a-z']*(?:\s+(?!(?:is|are)\b)"
                  rf"[a-z']+)?)(?<!'s)\s+(?P<r>(?:(?:much|way|far"
                  rf"|a\s+(?:bit|little|touch)|slightly)\s+)?too\s+(?:loud|quiet|soft|early|late|long|short|fast|slow))"
                  rf"(?:ly)?$", r"the \g<a> is \g<r>", text, flags=re.I)
    # "swap dog and thunder": as "swap the dog and the thunder"
    text = re.sub(r"^(?P<v>swap|switch|exchange)\s+(?P<a>[a-z][a-z' ]*?)\s+and\s+(?!(?:the|that|this)\s)(?P<b>[a-z][a-z' ]*?)"
                  r"(?P<r>\s+(?:around|over|places))?$",
                  lambda m: f"{m['v']} {m['a'] if _ARTICLE.match(m['a']) else 'the ' + m['a']} and the {m['b']}"
                            f"{m['r'] or ''}", text, flags=re.I)
    # "the whistle 2 s long": that long
    text = re.sub(rf"^(?P<a>(?:(?:the|that|this)\s+|(?!{_SHORT_NOT}\b)){_NAMED}+?)\s+(?P<n>{_DECIMAL}\s*{_UNIT_S})"
                  r"\s+long$", r"make \g<a> last \g<n>", text, flags=re.I)
    # "more space between the knocks" ("less time between ...", "a longer gap between ..."): their tempo
    text = re.sub(r"^(?:(?:put|leave|give)\s+)?(?P<d>more|less|a\s+(?:longer|shorter)|longer|shorter)\s+"
                  r"(?:space|time|room|gaps?|pauses?)\s+between\s+(?P<a>(?!.*\band\b).+)$",
                  lambda m: f"make {m['a']} {'faster' if m['d'].lower().endswith(('less', 'shorter')) else 'slower'}",
                  text, flags=re.I)
    # "tighten the gap between the knocks" ("tighten up the knocks"), "spread the gunshots out" ("space out
    # the knocks"): their tempo
    text = re.sub(r"^(?:tighten(?:\s+up)?\s+(?:the\s+(?:gaps?|space|spacing|timing)\s+(?:between|of)\s+)?(?P<a>"
                  r"(?!.*\band\b).+?)(?:\s+up)?|(?:spread|space)\s+(?:out\s+(?P<b>.+?)|(?P<c>.+?)\s+out)(?:\s+(?:more"
                  r"|a\s+bit))?)$",
                  lambda m: f"make {m['a'] or m['b'] or m['c']} {'faster' if m['a'] else 'slower'}", text, flags=re.I)
    # "the whistles closer together" ("bring the knocks closer together", "move them further apart"): their tempo (not
    # "the kettle closer": nearer)
    text = re.sub(r"^(?:(?:make|move|bring|put|push|spread|space)\s+)?(?P<a>.+?)\s+(?:(?P<c>closer\s+together)"
                  r"|(?:further|farther|more\s+spread\s+out|wider)\s+apart|more\s+spread\s+out)$",
                  lambda m: f"make {m['a']} {'faster' if m['c'] else 'slower'}", text, flags=re.I)
    # "speed up the footsteps", "slow the knocking down": their tempo
    text = re.sub(rf"^(?P<v>speed|slow)\s+(?:(?:up|down)\s+(?P<a>.+?)|(?P<b>.+?)\s+(?:up|down))"
                  rf"(?:\s+by\s+(?P<n>{_DECIMAL})\s*(?:x|\u00d7|times))?$",  # "... by 2x" too
                  lambda m: f"make {m['a'] or m['b']} {m['n'] + 'x ' if m['n'] else ''}"
                            f"{'faster' if m['v'].lower() == 'speed' else 'slower'}", text, flags=re.I)
    return re.sub(rf"^(?P<d>(?:(?:much|a\s+(?:little\s+)?bit|slightly)\s+)?(?:louder|quieter|softer|faster|slower"
                  rf"|longer|shorter))\s+"
                  rf"(?!(?:and|than)\b)(?P<a>{_NAMED}+)$",
                  lambda m: f"make the {_ARTICLE.sub('', m['a'])} {m['d']}", text, flags=re.I)


_SHIFT_SAID = re.compile(rf"^(?:(?:push|move|shift)\s+(?P<a>.+?)\s+(?P<dir>back)|(?:pull|move|shift|bring)\s+"
                         rf"(?P<b>.+?)\s+(?:forwards?|ahead))(?:\s+(?:by\s+)?(?P<n>{_DECIMAL}\s*{_UNIT_S}"
                         rf"|an?\s+sec(?:ond)?|{_A_BIT}))?$",
                         re.I)  # not "bring the rain back", "move the dog back to 2 s"


# "make the rain a storm", "make the dog into a cat": a replacement (not "make the dog a bit louder", "a second later")
_MAKE_INTO = re.compile(r"^make\s+(?P<a>(?:the|that|this|these|those|it|them)\b(?:(?!\b(?:like|as|sounds?|be"
                        r"|is)\b).)*?)\s+(?:into\s+|(?=an?\s+(?!(?:bit|little|touch|tad|lot|second|few|couple|half"
                        r"|quarter)\b)))(?P<b>[^\d]+?)(?<!louder)(?<!quieter)(?<!softer)(?<!later)(?<!earlier)"
                        r"(?<!sooner)(?<!longer)(?<!shorter)(?<!faster)(?<!slower)(?<!lower)(?<!higher)(?<!\slong)"
                        r"(?<!\sloud)(?<!sound)(?<!loop)(?<!fade)(?<!focus)(?<!ground)(?<!shot)(?<!echo)(?<!reverb)$",
                        re.I)  # not "make
# the rain a background sound", "... a loop", "... an echo": no sound to replace it with


# An effect asked of a sound ("more reverb on the thunder", "add echo to the door", "less bass on the rain"):
# "more X" would read it as a level, and "more distance" as louder
_EFFECT_ASKED = re.compile(r"^(?:(?:add|put|use|apply|give(?:\s+it)?)\s+)?(?:(?:some|more|less|a\s+(?:bit|little)\s+"
                           r"(?:of\s+)?(?:more\s+|less\s+)?|a\s+lot\s+(?:of\s+|more\s+|less\s+)?)\s*)?"
                           r"(?:(?P<e>reverb|echo|delay|distance|space|room|bass|treble|low\s+end|high\s+end|eq"
                           r"|compression|distortion)\s+(?:on|to|for|in)\s+(?P<a>.+)"
                           r"|(?P<bed>reverb|echo|delay|compression|distortion)"  # "add reverb": to the whole bed
                           r"(?:\s+(?:to\s+)?(?:it|everything|all|the\s+(?:whole\s+)?(?:bed|mix)))?)$", re.I)


# "make the door sound further away" ("the door more distant", "bring the train closer"): where it is heard from
_DISTANCE_ASKED = re.compile(r"^(?:(?:make|bring|put|place)\s+)?(?P<a>(?:the|that|this|it|them)\b.*?)"
                             r"(?:\s+(?:sound|seem|feel)s?(?:\s+like\s+it'?s)?)?\s+(?:(?:a\s+(?:bit|little|tad)|much"
                             r"|way|slightly)\s+)?(?:(?:further|farther)\s+(?:away|off|back)|(?:more\s+)?(?:distant"
                             r"|far\s+away|far\s+off|off\s+in\s+the\s+distance)|closer|nearer)$", re.I)


_EARLIER = {"early": "earlier", "late": "later"}  # "end the rain 2 s early": 2 s earlier


# "X is too loud" (early, long, fast, ...): made the other way
_TOO = {"loud": "quieter", "quiet": "louder", "soft": "louder"}
_TOO.update(early="later", late="earlier", long="shorter", short="longer", fast="slower", slow="faster")


def _edit_said(text: str) -> str:
    """An edit said in an editor's words as the edit patterns read it: "lose X" (or "kill",
    "silence") is "remove X", "pull X down 3 dB" is "bring X down 3 dB", "push X back a second"
    is "move X later by 1 s" ("pull X forward": earlier), "bring X in at T s" (or "bring in X at
    T s") is "make X come in at T s"."""
    text = re.sub(r"^(?:(?:can|could|would|will)\s+(?:you|u)\s+|(?:can|could|shall)\s+we\s+"
                  r"|we\s+(?:need\s+to|should)\s+|i(?:'d|\s+would)\s+like\s+(?:you\s+)?to\s+|let'?s\s+)"
                  r"(?:please\s+)?", "", text, flags=re.I)  # "can you (can u) make the rain a bit louder?"
    text = re.sub(r"\b(?P<w>louder|quieter|softer|loud|quiet|soft)(?:ly)?\s+in\s+the\s+mix$", r"\g<w>", text,
                  flags=re.I)  # "make the drill louder in the mix", "the drill is too loud in the mix"
    # "can the thunder come in at 3 s?", "could the door hit on 3": that edit asked of the sound
    text = re.sub(rf"^(?:can|could)\s+(?=(?:the|that|this)\s.+\s(?:at|on)\s+{_DECIMAL}\s*{_UNIT_S}?$)", "make ", text,
                  flags=re.I)
    # "have the man start talking at 5 s", "the man should start speaking at 7 s": its start (or stop) then
    text = re.sub(r"\b(?P<v>(?:start|begin|stop|finish)(?:s|es)?)\s+[a-z]+ing(?=\s+at\s+\d)", r"\g<v>", text,
                  flags=re.I)
    # "the rain as well as the dog"
    text = re.sub(r"\s+as\s+well\s+as\s+(?=(?:the|that|this)\s)", " and ", text, flags=re.I)
    # "quieten the rain (down)", "tone down the rain", "dial the rain down a bit": "turn X down"
    text = re.sub(r"^quieten\s+(?:down\s+)?(?P<a>.+?)(?:\s+down)?(?P<r>\s+(?:by\s+)?\d.*|\s+(?:a|much|way)\s.*)?$",
                  lambda m: f"turn {m['a']} down{m['r'] or ''}", text, flags=re.I)
    text = re.sub(r"^(?:tone|dial)\s+(?=(?:up|down)\s|.+\s(?:up|down)\b)", "turn ", text, flags=re.I)
    # "dial back the rain (a bit)", "dial the rain back 3 dB": a knob turned down, its level (not a time)
    text = re.sub(r"^dial\s+(?:back\s+(?P<a>.+?)|(?P<b>.+?)\s+back)(?P<r>\s+(?:by\s+)?\d.*|\s+(?:a|much|way)\s.*)?$",
                  lambda m: f"turn {m['a'] or m['b']} down{m['r'] or ''}", text, flags=re.I)
    # "double the speed of the steps" ("halve the tempo of ..."): twice (half) as fast
    text = re.sub(r"^(?P<v>double|halve)\s+the\s+(?:speed|tempo|pace|rate)\s+of\s+(?P<a>.+)$",
                  lambda m: f"make {m['a']} {'twice' if m['v'].lower() == 'double' else 'half'} as fast", text,
                  flags=re.I)
    # "make the dog 3 times louder" ("3x louder", "three times louder"): its amplitude times 3, as "twice as loud" doubles it (+6 dB)
    text = re.sub(rf"\b(?:(?P<n>\d+(?:\.\d+)?)\s*(?:x|\u00d7|times)|(?P<w>{_NUMBER})\s+times)\s+"
                  r"(?P<d>louder|quieter|softer)\b",
                  lambda m: m[0] if (n := float(m["n"] or _COUNTS[m["w"].lower()])) <= 1
                  else f"{20 * math.log10(n):.1f} dB {m['d']}", text, flags=re.I)
    # "make the footsteps 2x faster" ("two times slower"): "twice as fast" ("half as fast"), the tempo edits' factor 2;
    # "3x faster" ("three times as fast", "3 times slower"): "3 times as fast" ("as slow"), their rhythm by 3
    text = re.sub(r"\b(?:2\s*(?:x|\u00d7|times)|two\s+times)\s+(?P<d>faster|slower)\b",
                  lambda m: "twice as fast" if m["d"].lower() == "faster" else "half as fast", text, flags=re.I)
    text = re.sub(rf"\b(?:(?P<n>{_DECIMAL})\s*(?:x|\u00d7|times)|(?P<w>{_NUMBER})\s+times)\s+(?:(?P<d>faster|slower)"
                  rf"|as\s+(?P<e>fast|quick|slow))\b",
                  lambda m: f"{m['n'] or _COUNTS[m['w'].lower()]} times as "
                            f"{'slow' if (m['d'] or m['e']).lower() in ('slower', 'slow') else 'fast'}", text, flags=re.I)
    # "make the rain not much quieter" ("..., but not by much"): a small change; "less loud", "not as loud": quieter
    text = re.sub(r"\bnot\s+(?:(?:too|so|that|very)\s+|by\s+)?(?:much|a\s+lot)\s+(?=(?:louder|quieter|softer|later"
                  r"|earlier|sooner|longer|shorter)$)", "a bit ", text, flags=re.I)
    text = re.sub(r"^(?P<e>.+?\s)(?P<d>louder|quieter|softer|later|earlier|sooner|longer|shorter),?\s+but\s+not\s+"
                  r"(?:by\s+)?(?:(?:too|so|that|very)\s+)?(?:much|a\s+lot)$", r"\g<e>a bit \g<d>", text, flags=re.I)
    text = re.sub(r"\b(?:(?P<no>not\s+(?:quite\s+)?(?:as|so))|less|more)\s+(?P<w>loud|quiet|soft)$",
                  lambda m: ("quieter" if m["w"].lower() == "loud" else "louder")
                  if m["no"] or m[0][:4].lower() == "less" else ("louder" if m["w"].lower() == "loud" else "quieter"),
                  text, flags=re.I)  # "more quiet": quieter
    if m := _EFFECT_ASKED.match(_clean(text)):
        raise PlanError(f"{_clean(text)!r}: a bed's sounds are as generated; the rules planner sets their level, times "
                        f"and length, not their {(m['e'] or m['bed']).lower()} (a sound further away: "
                        f"'make {m['a'] or 'X'} quieter')")
    if m := _DISTANCE_ASKED.match(_clean(text)):
        raise PlanError(f"{_clean(text)!r}: a bed's sounds are as generated; the rules planner sets their level, times "
                        f"and length, not their distance (further away: 'make {m['a']} quieter'; closer: 'make "
                        f"{m['a']} louder')")
    # "make the door slam at 1 s" (or "on 1"), "the phone should ring at 2 s": it is moved there (a start or a stop is
    # its own edit)
    text = re.sub(rf"^(?!.*\b(?:start|stop|end|finish|begin|fade|come|cut|die|go|play|sound|louder|quieter|softer"
                  rf"|longer|shorter|faster|slower|earlier|later|quiet|loud|silent|again|also|too|twice|thrice"
                  rf"|time)s?\b)(?:(?:make|have|let)\s+(?P<a>(?:the|that|this)\s+.+?)|(?P<b>(?:the|that|this)\s+.+?)"
                  rf"\s+should)(?<!\sa)(?<!\san)\s+[a-z]+\s+(?:at|on)\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",  # not "make
                  # the dog a cat at 5 s"
                  lambda m: f"move {m['a'] or m['b']} to {m['t']}", text, flags=re.I)
    # "cut the rain by 2 s", "cut (trim, take, shave) 2 s off the rain", "add 2 s to the rain": its length by that much
    text = re.sub(rf"^(?:cut|trim)\s+(?P<a>(?:the|that|this|it)\b.*?)\s+by\s+(?P<n>{_DECIMAL}\s*{_UNIT_S})$",
                  r"make \g<a> shorter by \g<n>", text, flags=re.I)
    text = re.sub(rf"^(?:(?P<cut>cut|trim|take|shave)\s+(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+(?:off|from)"
                  rf"(?:\s+the\s+end\s+of)?|add\s+(?P<m>{_DECIMAL}\s*{_UNIT_S})\s+(?:to|onto)(?:\s+the\s+end\s+of)?)\s+"
                  rf"(?P<a>(?:the|that|this|it)\b.*)$",
                  lambda m: f"make {m['a']} {'shorter' if m['cut'] else 'longer'} by {m['n'] or m['m']}", text,
                  flags=re.I)
    # "cut in the thunder at 3 s", "cut to the thunder at 3 s": an editor's cut that brings it in then
    text = re.sub(r"^cut\s+(?:in|to)\s+(?P<a>(?:the|that|this)\s.+?)\s+at\s+", r"make \g<a> come in at ", text,
                  flags=re.I)
    text = re.sub(r"^fade\s+(?:in\s+(?P<a>.+?)|(?P<b>.+?)\s+in)\s+at\s+",  # "fade (in) the rain (in) at 3 s": its start
                  lambda m: f"make {m['a'] or m['b']} start at ", text, flags=re.I)
    text = re.sub(r"^(?:cut|kill|drop|lose|fade|end|stop)\s+(?:(?:off|out)\s+)?(?P<a>.+?)(?:\s+(?:off|out))?\s+"
                  r"(?:at|by)\s+(?P<t>[\d.]+\s*(?:s|secs?|seconds?|ms)?)$", r"make \g<a> stop at \g<t>", text,
                  flags=re.I)  # "fade out the cat at 8 s": the cat (not "out the cat", a cat that runs out)
    text = re.sub(r"^start\s+(?P<a>.+?)\s+at\s+", r"make \g<a> start at ", text, flags=re.I)  # as "make X start at"
    # "start the thunder 1 s earlier", "end the rain 2 s early": as "make X start (end) 1 s earlier"
    text = re.sub(rf"^(?P<v>start|begin|end|stop|finish)\s+(?P<a>.+?)\s+(?P<n>(?:{_DECIMAL}\s*{_UNIT_S}|{_A_BIT})\s+)?"
                  rf"(?P<dir>earlier|sooner|later|early|late)(?P<by>\s+by\s+{_DECIMAL}\s*{_UNIT_S})?$",
                  lambda m: f"make {m['a']} {m['v']} {m['n'] or ''}{_EARLIER.get(m['dir'].lower(), m['dir'])}"
                            f"{m['by'] or ''}",
                  text, flags=re.I)
    # "the rain should start at 2 s": as "make X start (stop) at"
    text = re.sub(rf"^(?P<a>(?:the|that|this)\s+.+?)\s+should\s+(?:(?P<end>stop|end|finish|fade\s+out|"
                  rf"cut\s+(?:off|out))|start|begin|come\s+in)\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",
                  lambda m: f"make {m['a']} {'stop' if m['end'] else 'start'} at {m['t']}", text, flags=re.I)
    # "shift the door by 1 s" (later, as a positive offset in an editor), "... by -1 s" (earlier)
    text = re.sub(rf"^(?P<v>move|shift|nudge|offset)\s+(?P<a>.+?)(?<!later)(?<!earlier)(?<!sooner)(?<!back)(?<!forward)"
                  rf"(?<!forwards)(?<!ahead)\s+(?:by\s+(?P<sign>[-+\u2212]?)|(?<!\sto\s)(?<!\sat\s)"
                  rf"(?P<bare>[-+\u2212]))\s*(?P<n>{_DECIMAL}\s*{_UNIT_S})$",  # "shift the door -1 s" too
                  lambda m: f"move {m['a']} {'earlier' if (m['sign'] or m['bare']) in ('-', chr(0x2212)) else 'later'} "
                            f"by {m['n']}",
                  text, flags=re.I)
    # its end, not the whole sound: "make the wind end 1 s earlier" is "make the wind shorter by 1 s" ("a bit earlier":
    # a bit shorter)
    text = re.sub(rf"^(?:make|have|let)\s+(?P<a>.+?)\s+(?:end|stop|finish)\s+(?:(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+"
                  rf"|{_A_BIT}\s+)?(?P<dir>earlier|sooner|later)(?:\s+by\s+(?P<by>{_DECIMAL}\s*{_UNIT_S}))?$",
                  lambda m: f"make {m['a']} {m['bit'] + ' ' if m['bit'] else ''}"
                            f"{'longer' if m['dir'].lower() == 'later' else 'shorter'}"
                            f"{'' if m['bit'] else ' by ' + (m['n'] or m['by'] or '1 s')}", text, flags=re.I)
    # "let the rain last until 7 s", "the rain should go on until 8 s", "extend the rain to 8 s": it stops then
    text = re.sub(rf"^(?:(?:make|have|let)\s+)?(?P<a>.+?)\s+(?:should\s+)?(?:(?:lasts?|go(?:es)?\s+on|continues?"
                  rf"|keeps?\s+going)\s+(?:until|till|to)|(?:go(?:es)?|runs?|plays?)\s+(?:until|till))\s+"
                  rf"(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",
                  r"make \g<a> stop at \g<t>", text, flags=re.I)
    # "let the kettle whistle until 5 s" (not "make the rain quiet until 5 s": a state, not its sound)
    text = re.sub(rf"^(?:make|have|let)\s+(?P<a>(?:the|that|this|these|those)\s.+?)\s+(?!(?:quiet|silent|mute|loud|soft"
                  rf"|low|off|out|down|up|away|still|gone|dead|faint|be|go|stay|keep)[a-z]*\b)[a-z]+\s+(?:only\s+)?"
                  rf"(?:until|till)\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$", r"make \g<a> stop at \g<t>", text, flags=re.I)
    text = re.sub(rf"^(?:extend|lengthen)\s+(?P<a>.+?)\s+(?:to|until)\s+(?P<t>{_DECIMAL}\s*{_UNIT_S}?)$",
                  r"make \g<a> stop at \g<t>", text, flags=re.I)
    text = re.sub(rf"^(?P<v>extend|lengthen|stretch|trim|shorten)\s+(?P<a>.+?)(?:\s+by\s+(?P<n>{_DECIMAL}\s*{_UNIT_S})"
                  rf"|\s+{_A_BIT})?$",
                  lambda m: f"make {m['a']} {m['bit'] + ' ' if m['bit'] else ''}"
                            f"{'longer' if m['v'].lower() in ('extend', 'lengthen', 'stretch') else 'shorter'}"
                            f"{' by ' + m['n'] if m['n'] else ''}", text, flags=re.I)
    # "make the whistle 2 s long", "make the phone ring for 3 s": that long
    text = re.sub(rf"^(?:make|have|let)\s+(?P<a>(?:the|that|this)\s+.+?)\s+(?:(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+long"
                  rf"|(?![a-z]+\s+for\s+the\b)[a-z]+\s+for\s+(?P<f>{_DECIMAL}\s*{_UNIT_S}))$",
                  lambda m: f"make {m['a']} last {m['n'] or m['f']}", text, flags=re.I)
    # "let the drill run longer" ("have the rain go on a bit longer", "keep the drill going 2 s longer", "have the
    # drill a bit longer"): its length
    text = re.sub(rf"^(?:let|have|keep)\s+(?P<a>(?:the|that|this|these|those|it|them)\b.*?)\s+"
                  rf"(?:(?:run|running|go|going|play|playing|ring|ringing|sound|sounding|last|continue|carry|carrying"
                  rf"|hum|humming|roll|rolling)(?:\s+on)?\s+)?(?P<d>(?:{_A_BIT}\s+|{_DECIMAL}\s*{_UNIT_S}\s+"
                  rf"|(?:much|a\s+lot|way|far)\s+)?(?:longer|shorter)(?:\s+by\s+{_DECIMAL}\s*{_UNIT_S})?)$",
                  r"make \g<a> \g<d>", text, flags=re.I)
    text = re.sub(rf"^delay\s+(?P<a>.+?)(?=(?:\s+by)?\s+(?:\d|an?\s+second\b|{_A_BIT})|$)", r"push \g<a> back", text,
                  flags=re.I)  # "delay the thunder (by) 1 s", "delay it a bit": later
    text = re.sub(r"^(?:cut|stop)\s+(?P<a>.+?)\s+short$", r"make \g<a> shorter", text, flags=re.I)  # not: remove it
    text = re.sub(r"^use\s+(?P<b>.+?)\s+instead\s+of\s+(?P<a>.+)$", r"replace \g<a> with \g<b>", text, flags=re.I)
    # "take another pass at the dog" ("have another go at", "one more take of"), "give the dog another try": another
    # take of it; said alone ("another pass", "have another go"), of the whole bed
    text = re.sub(r"^(?:(?:take|have|give\s+(?:it|me))\s+)?(?:another|one\s+more|a\s+(?:new|fresh|second))\s+(?P<w>pass|go"
                  r"|shot|try|stab|attempt|take|version)(?:\s+(?:at|on|of|for)\s+(?P<a>.+))?$",
                  lambda m: f"another take of {m['a']}" if m["a"] else "another take", text, flags=re.I)
    text = re.sub(r"^give\s+(?P<a>(?:the|that|this|these|those|it|them)\b.*?)\s+(?:another|one\s+more)\s+(?:pass|go"
                  r"|shot|try|take|attempt)$", r"another take of \g<a>", text, flags=re.I)
    # "swap the dog for another one" ("a different one", "a new one"): another take of it
    text = re.sub(r"^(?:replace|swap)\s+(?P<a>.+?)\s+(?:with|for)\s+(?:another|an?\s+(?:different|new|fresh|other))\s+"
                  r"(?:one|take|version)$", r"another take of \g<a>", text, flags=re.I)
    text = _MAKE_INTO.sub(r"replace \g<a> with \g<b>", text)  # "make the rain a storm", "make it into wind"
    text = re.sub(r"^make\s+(?P<a>.+?)\s+(?:at\s+|play\s+at\s+)?(?P<x>half|double)[\s-](?:speed|time|tempo)$",
                  lambda m: f"make {m['a']} {'half' if m['x'].lower() == 'half' else 'twice'} as fast", text,
                  flags=re.I)
    text = re.sub(r"^(?P<a>(?:the|that|this|these|those)\s.+?)(?<!\sis)(?<!\sare)(?<!'s)(?P<r>\s+(?:(?:much|way|far"
                  r"|a\s+(?:bit|little|touch)|slightly)\s+)?too\s+(?:loud|quiet|soft|early|late|long|short|fast|slow))"
                  r"(?:ly)?$",
                  r"\g<a> is\g<r>", text, flags=re.I)  # "the dog barks too early", "the birds chirp too loudly"
    text = re.sub(r"^(?P<a>.+?)(?:\s+is|\s+are|'s)\s+(?:(?P<much>much|way|far)\s+too\s+"
                  r"|(?P<bit>a\s+(?:bit|little|touch)\s+|slightly\s+)(?:too\s+)?|too\s+)"
                  r"(?P<d>loud|quiet|soft|early|late|long|short|fast|slow)$",
                  lambda m: f"make {m['a']} {'a bit ' if m['bit'] else 'much ' if m['much'] else ''}"
                            f"{_TOO[m['d'].lower()]}",
                  text, flags=re.I)  # "the rain is too loud", "the knocks are too fast", "the rain is a bit loud":
    # the other way ("way too": much)
    text = re.sub(r"^(?P<a>.+?)(?:\s+is\s+not|\s+are\s+not|'s\s+not|\s+isn't|\s+aren't)\s+"
                  r"(?P<d>loud|quiet|soft|early|late|long|short|fast|slow)\s+enough$",
                  lambda m: f"make {m['a']} "
                            f"{dict(early='earlier', late='later').get(m['d'].lower(), m['d'].lower() + 'er')}",
                  text, flags=re.I)  # "the dog is not loud enough"
    text = re.sub(r"^(?:(?:way|much|far)\s+)?too\s+much\s+(?P<a>.+)$", r"make the \g<a> quieter", text, flags=re.I)
    text = re.sub(r"^(?P<d>less|more)\s+(?P<a>.+)$",
                  lambda m: f"make the {_ARTICLE.sub('', m['a'])} "
                            f"{'quieter' if m['d'].lower() == 'less' else 'louder'}",
                  text, flags=re.I)  # "less rain", "more thunder": its level
    text = re.sub(r"^take\s+(?P<a>(?:the|that|this|these|those|it|them)\b.*?)\s+out$", r"remove \g<a>", text,
                  flags=re.I)
    text = re.sub(r"^(?:lose|kill|silence(?!\s+(?:until|till|for|from|at|between|then)\b|\s+\d))\s+|^(?:no|without"
                  r"(?=\s+(?:the|that|this|these|those|it|them|any)\b))\s+(?=[^,;.]+$)",
                  "remove ", text, flags=re.I)  # "no thunder": remove it; not "silence until 3 s", a silence
    text = re.sub(r"^add\s+(?:some\s+)?more\s+", "add ", text, flags=re.I)  # "add more thunder": another thunder
    # "thunder at 1 s instead", "thunder at 3 s instead of 2": the one at 2 s moved there
    text = re.sub(rf"^(?P<a>(?:{_LEARNED_OR}[^,;])+?)\s+at\s+(?P<t>[\d.]+\s*(?:s|secs?|seconds?)?)\s+instead"
                  rf"(?:\s+of\s+(?:at\s+)?(?P<o>[\d.]+)\s*(?:s|secs?|seconds?)?)?$",
                  lambda m: f"move {m['a']}{' at ' + m['o'] + ' s' if m['o'] else ''} to {m['t']}", text, flags=re.I)
    text = re.sub(r"\b(?:everything|all\s+of\s+it|it\s+all|the\s+whole\s+(?:bed|mix)|(?:every|each)\s+sound)\b",
                  "all the sounds", text, flags=re.I)
    # "make everything quieter except the rain", "turn it all down but the dog": as "make all the sounds but the rain
    # quieter"
    but = r"(?:but(?:\s+not)?|except(?:\s+for)?|other\s+than|apart\s+from|besides|save\s+for)\b"
    text = re.sub(rf"^(?P<h>(?:(?:make|turn|bring|move|nudge|shift)\s+)?all\s+the\s+sounds)\s+(?P<e>(?:"
                  rf"(?!{but})[^,;])+?)\s+(?P<x>{but}[^,;]+)$", r"\g<h> \g<x> \g<e>", text, flags=re.I)
    if not re.match(r"(?:make|turn|bring|move|put|add|remove|replace|swap|change|try|another|give|drop|cut|lower|raise|"
                    r"boost|reduce|nudge|push|pull)\b", text, re.I):  # "rain louder": make the rain louder
        text = re.sub(rf"^(?P<a>{_NAMED}+?(?:\s+(?:at|around)\s+{_DECIMAL}(?:\s*{_UNIT_S})?)?)\s+(?P<dir>(?:{_A_BIT}\s+"
                      rf"|much\s+|a\s+lot\s+|{_DECIMAL}\s*(?:db|%)\s+)?(?:louder|quieter|softer)(?:\s+by\s+.+)?)$",
                      r"make \g<a> \g<dir>", text, flags=re.I)  # "rain louder", "thunder louder by 3 dB", "the bell
        # at 9 s a tad louder"
    # a mix note said in short: "dog up 3" (in dB, as after a verb of level), "gunshots 2 dB down": as "dog up 3 dB"
    text = re.sub(rf"^(?!{_SHORT_NOT}\s)(?P<a>{_NOTE_NAME}{_NOTE_AT})\s+(?:(?P<d>up|down)\s+(?P<n>{_DECIMAL})"
                  rf"|(?P<m>{_DECIMAL})\s*db\s+(?P<e>up|down))$",
                  lambda m: f"{m['a']} {m['d'] or m['e']} {m['n'] or m['m']} dB", text, flags=re.I)
    # "traffic down a notch", "the rain up a bit": as "turn X down a notch"
    text = re.sub(rf"^(?!{_SHORT_NOT}\s)(?P<a>{_NOTE_NAME}{_NOTE_AT})\s+(?P<d>(?:up|down)\s+(?:a\s+(?:little\s+)?bit"
                  rf"|a\s+(?:little|touch|tad|notch)|slightly))$", r"turn \g<a> \g<d>", text, flags=re.I)
    # a mix note: "rain -3 dB", "make the door +2 dB", "rain down 3 dB": a change of its level by that much
    text = re.sub(rf"^(?:make\s+)?(?!(?:turn|bring|pull|push|drop|cut|lower|raise|boost|reduce|set|put|keep|add|replace"
                  rf"|use|insert)\s)"  # not "add a bell at 2 s -3 dB": the level of the sound it adds
                  rf"(?P<a>{_NOTE_NAME}{_NOTE_AT})(?<!\sto)(?<!\sat)(?<!\sbe)(?<!\slevel)(?<!=)(?:\s*:\s*|\s+)"
                  # not "set the rain to -6 dB", "the rain should be -6 dB", "rain = -6 dB": a level, not a change
                  # ("rain: -3 dB", "rain minus 3 dB" are)
                  rf"(?:(?P<sign>[-+\u2212]|minus\s|plus\s)\s*|(?P<dir>up|down)\s+(?:by\s+)?)(?P<n>{_DECIMAL})\s*db$",
                  lambda m: (
                      f"make {m['a']} "
                      f"{'louder' if (m['sign'] or m['dir']).strip().lower() in ('+', 'up', 'plus') else 'quieter'}"
                      f" by {m['n']} dB"), text, flags=re.I)
    # "push the drill back in the mix" ("sit it further back", "push back the drill in the mix", "down in the mix"),
    # "bring the drill forward in the mix" ("up front", "up in the mix"): a mixer's level, quieter (louder); "louder in
    # the mix", "too loud in the mix": as without it (above)
    text = re.sub(r"^(?P<v>push|pull|bring|move|sit|tuck)\s+(?P<d>back|forwards?|up|down)\s+(?P<a>(?:the|that|this"
                  r"|these|those|it|them)\b.*?)\s+(?P<m>in(?:to)?\s+the\s+mix)$", r"\g<v> \g<a> \g<d> \g<m>", text,
                  flags=re.I)
    text = re.sub(rf"^(?:(?:push|pull|bring|move|sit|tuck|set|put|place)\s+)?(?P<a>(?:the|that|this|these|those|it"
                  rf"|them)\b.*?)\s+(?:{_A_BIT}\s+)?(?:(?:further|farther|more)\s+)?(?P<d>back|down|lower|forwards?"
                  rf"|up(?:\s+front)?|higher)(?:\s+(?:in|into)\s+the\s+mix|(?<=front))$",
                  lambda m: f"make {m['a']} {m['bit'] + ' ' if m['bit'] else ''}"
                            f"{'quieter' if m['d'].lower() in ('back', 'down', 'lower') else 'louder'}", text,
                  flags=re.I)
    text = re.sub(r"^(?:pull|push)\s+(?=.+\s(?:up|down)\b)", "bring ", text, flags=re.I)
    # "pull the rain back 3 dB" (a mixer's "back": down), "pull back the rain by 3 dB"; without a level it is a time
    text = re.sub(rf"^(?:pull|push)\s+(?:back\s+(?P<a>.+?)|(?P<b>.+?)\s+back)\s+(?P<n>(?:by\s+)?{_DECIMAL}\s*db)$",
                  lambda m: f"bring {m['a'] or m['b']} down {m['n']}", text, flags=re.I)
    text = re.sub(r"^bring\s+(?:in\s+(?P<a>.+?)|(?P<b>.+?)\s+in)\s+at\s+",  # "bring (in) the thunder (in) at 4 s"
                  lambda m: f"make {m['a'] or m['b']} come in at ", text, flags=re.I)
    # "the gunshots 1 s apart" ("space the knocks 0.5 s apart"): their rhythm, as "every 1 s"
    text = re.sub(rf"^(?:(?:make|space|put|spread)\s+)?(?P<a>.+?)\s+(?P<n>{_DECIMAL}\s*{_UNIT_S})\s+apart$",
                  r"\g<a> every \g<n>", text, flags=re.I)
    # "push the dog a second later", "slide the dog to 5 s", "bump the dog 1 s earlier": a move (not "pull the rope from
    # 2 to 4 s", "push a cart to 3 s": sounds)
    text = re.sub(rf"^(?:push|pull|slide|bump|drag|shift)\s+(?=(?:the|that|this|these|those|it|them)\b"
                  rf"(?!.*\b(?:from|between)\b).*\s(?:(?:later|earlier|sooner)(?:\s+by\s+.+)?"
                  rf"|to\s+{_DECIMAL}(?:\s*{_UNIT_S})?)$)", "move ", text, flags=re.I)
    if m := _SHIFT_SAID.match(text):
        n = re.sub(r"^an?\s+sec(?:ond)?$", "1 s", m["n"] or "", flags=re.I)
        small = re.fullmatch(_A_BIT, n, re.I)
        text = (f"move {m['a'] or m['b']} {n + ' ' if small else ''}{'later' if m['dir'] else 'earlier'}"
                f"{' by ' + n if n and not small else ''}")
    return text


def editor_said(text: str) -> str:
    """An edit said in an editor's shorthand as the edit patterns read it, read of a session's bed only (in a
    description these are a sound's words: "turn off the lights", "footsteps at half speed"): "cat instead of dog" is
    "replace dog with cat"; "turn off the wind" ("switch the wind off") is "remove the wind", "... at 5 s" "stop the
    wind at 5 s"; "footsteps at half speed" is "make footsteps half as fast"; "ghost +1s" is "move ghost later by 1 s"
    ("-1 s": earlier); "make the drill more audible" ("noisier", "stronger") is "make the drill louder", "... subtler"
    ("less audible", "weaker") "quieter", and "quicker" "faster"; "faster by 2x" ("by a factor of 2") is "2x
    faster"."""
    if not re.match(r"(?:add|replace|swap|use|change|put)\b", text, re.I):  # a level, not a new sound's words
        text = re.sub(r"\s(?:more\s+(?:audible|prominent|present|noticeable)|noisier|stronger)(?=(?:\s+by\s+.+)?$)",
                      " louder", text, flags=re.I)
        text = re.sub(r"\s(?:less\s+(?:audible|prominent|present|noticeable|noisy)|more\s+subtle|subtler|weaker)"
                      r"(?=(?:\s+by\s+.+)?$)", " quieter", text, flags=re.I)
        text = re.sub(r"\squicker(?=(?:\s+by\s+.+)?$)", " faster", text, flags=re.I)  # "the steps need to be quicker"
        # "make the steps faster by 2x" ("slower by a factor of 3", "louder by 2x"): as "2x faster"
        text = re.sub(rf"\b(?P<d>faster|slower|louder|quieter|softer)\s+by\s+(?:(?:a\s+factor\s+of\s+)?"
                      rf"(?P<n>{_DECIMAL})\s*(?:x|\u00d7|times)|a\s+factor\s+of\s+(?P<m>{_DECIMAL}|{_NUMBER}))$",
                      lambda m: f"{m['n'] or _COUNTS.get(m['m'].lower(), m['m'])}x {m['d']}", text, flags=re.I)
    # (not "thunder at 3 s instead of 2": a move of the one at 2 s, read by ``_edit_said``)
    text = re.sub(rf"^(?!{_SHORT_NOT}\b|at\s|use\s)(?P<b>(?:(?!\b(?:louder|quieter|softer|later|earlier|sooner|longer"
                  rf"|shorter|faster|slower)\b)[^,;])+?)\s+instead\s+of\s+"
                  rf"(?P<a>(?!(?:at\s+)?{_DECIMAL}\s*{_UNIT_S}?$).+)$", r"replace \g<a> with \g<b>", text, flags=re.I)
    # "the drill for longer" ("play the rain for a bit longer", "keep the crowd going for 2 s longer"): as "the drill
    # longer"
    text = re.sub(rf"\s+for\s+(?=(?:{_A_BIT}\s+|{_DECIMAL}\s*{_UNIT_S}\s+)?(?:longer|shorter)$)", " ", text,
                  flags=re.I)
    # "turn the crowd off from 2 to 4 s" ("... between 2 and 4"): as "remove the crowd from 2 to 4 s"
    text = re.sub(rf"^(?:turn|switch|shut)\s+(?:off\s+(?P<a>.+?)|(?P<b>.+?)\s+off)(?:\s+at\s+(?P<t>{_DECIMAL}\s*"
                  rf"{_UNIT_S}?)|\s+(?P<w>(?:from|between)\s+{_DECIMAL}.*))?$",
                  lambda m: f"stop {m['a'] or m['b']} at {m['t']}" if m["t"] else
                  f"remove {m['a'] or m['b']}{' ' + m['w'] if m['w'] else ''}", text, flags=re.I)
    text = re.sub(rf"^(?!{_SHORT_NOT}\s)(?P<a>{_NOTE_NAME})\s+(?:at\s+|play\s+at\s+)?(?P<x>half|double)[\s-]"
                  r"(?:speed|time|tempo)$",
                  lambda m: f"make {m['a']} {'half' if m['x'].lower() == 'half' else 'twice'} as fast", text, flags=re.I)
    # its sign on its number (not "door slam - 6s": a dash)
    text = re.sub(rf"^(?!{_SHORT_NOT}\s)(?P<a>{_NOTE_NAME}{_NOTE_AT}){_NO_TIME_WORD}\s+(?P<sign>[-+\u2212])"
                  rf"(?P<n>{_DECIMAL}\s*{_UNIT_S})$",
                  lambda m: f"move {m['a']} {'later' if m['sign'] == '+' else 'earlier'} by {m['n']}", text, flags=re.I)
    return text


# "dog +3": an offset with no unit, dB or seconds? (refused with the bed in view: ``edits._check_unit``)
_UNITLESS = re.compile(rf"^(?!{_SHORT_NOT}\s)(?P<a>{_NOTE_NAME}{_NOTE_AT}){_NO_TIME_WORD}\s+(?P<sign>[-+\u2212])"
                       rf"(?P<n>{_DECIMAL})$", re.I)
