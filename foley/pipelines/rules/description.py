"""A description split into its parts (sequence and simultaneity words, counts, headings, qualifiers)
and laid on the timeline as a plan: ``rules_layout``."""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace

from ..plan import MAX_EVENTS, Plan, PlanError, caption_seed, crowding, seconds_said, sounds_counted, validate
from .edit_forms import _CHANGE_AT_END, _is_edit
from .times import (_AFTER_WORD, _CLOCK_TIME, _COUNT, _DECIMAL, _EVERY, _LASTING, _LATER, _MANY, _NO_TIME_BEFORE,
                    _NUMBER, _OCCASIONALLY, _PLACE, _ROW, _SAID_AT_LAST, _SCATTERED, _SECONDS, _SOON, _STRAY_TIME,
                    _THROUGHOUT_WORDS, _TIME_TAIL, _TIMED, _TIMED_TAIL, _UNIT_S, MAX_REPEATS, MIN_LENGTH_S,
                    PACE_AFTER_COMMA, TIMED_LENGTH_S, _count, _repeats, _rhythm, _scatter, _scattered, in_seconds,
                    relative_times, said_times, timed_length_s)
from .words import (LEARNED_SOUNDS, _AGAIN_AND_AGAIN, _AGAIN_WORDS, _ARTICLE, _BACKGROUND, _BIRDS, _DETERMINERS,
                    _LEARNED_NAMES, _LEARNED_OR, _PARTICIPLE, _PARTICLES, _PASSIVE, _PLACES, _SILENCE,
                    _SOUND_VERB_STEMS, _SOUND_VERBS, _STOP_VERBS, _STOPS, _VERB, _WHERE, _WHERE_WORDS, _clean, _fills,
                    _learned_spans, _plural_verb, _stems, _subject, is_background, is_iterative, should_said,
                    until_said)


# A screenplay's marks of where a sound is heard from, "(O.S.)", "(V.O.)", "O.S.", "(CONT'D)": no sound of their own
_SCRIPT_MARK = re.compile(r"\s*\((?:O\.?\s*S|O\.?\s*C|V\.?\s*O|CONT'?D)\.?\)|\s+(?:O\.S|O\.C|V\.O)\.?(?=\s*(?:[,;:!?)]|\.|$))")
# A screenplay's transitions ("CUT TO:", "FADE IN:", "SMASH CUT TO:", "DISSOLVE TO:"), in capitals or before a colon
_TRANSITION = re.compile(r"(?:(?:smash|match|jump|hard|quick)\s+)?cut\s+(?:to(?:\s+black)?|back\s+to)|fade\s+(?:in|out|up|"
                         r"to\s+(?:black|white))|dissolve\s+to|intercut(?:\s+with)?|back\s+to\s+scene", re.I)
# A screenplay's camera direction onto a thing ("CLOSE ON the kettle", "ANGLE ON the door", "We see a dog"): what is
# seen, no sound; "it" or "they" in the sentence after it is that thing ("Close on the kettle: it whistles")
_CAMERA = (r"(?:(?:extreme\s+)?close[\s-]?up\s+(?:on|of)|close\s+on|angle\s+on|insert(?:\s+of|\s+on)?|push\s+in\s+on"
           r"|(?:pan|tilt)\s+(?:up\s+|down\s+)?(?:to|across|along)|zoom\s+(?:in\s+|out\s+)?(?:on|to)|we\s+see|back\s+on)")
_CAMERA_ON = re.compile(rf"(?:^|(?<=[.!?;:]\s)|(?<=\n))\s*{_CAMERA}\s+(?P<thing>[^.:;!?\n]+?)\s*(?P<end>[.:;!?]\s+"
                        rf"(?P<it>it|they)\b|[.:;!?]|$)", re.I)
# A request's words before what it asks for ("can you make me a sound of a dog barking", "I want to hear rain",
# "please generate waves", "the sound of a helicopter"): no sound of their own
_REQUEST = re.compile(r"^\s*(?:(?:ok(?:ay)?|so|hi|hey|please)[,!]?\s+)*"
                      r"(?:(?:(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+|let\s+me\s+)"
                      r"|(?:i\s+(?:want|need|would\s+like)|i'd\s+like)\s+(?=[a-z])(?!(?:it|them|that|this|you)\b))?"
                      r"(?:(?:give|create|generate|compose|produce|play|design)\s+(?:me\s+|us\s+)?"
                      r"|make\s+(?:me|us)\s+|make\s+(?=(?:a|the)\s+sounds?\s+of\b)"  # not "make the rain louder"
                      r"|(?:to\s+)?hear\s+)?(?=[a-z])(?!(?:it|them|that|this)\b))?"
                      r"(?:(?:the\s+|a\s+)?(?:sounds?(?:\s+effects?)?|sfx|soundscape|audio)\s+of\s+)?", re.I)
# "in the distance, a dog barks", "outside, rain falls": where the sound after it is heard, said first (it was a sound
# of its own)
_WHERE_FIRST = re.compile(r"(?:^|(?<=[.;!?]\s))\s*(?P<w>(?:somewhere\s+)?(?:(?:far\s+)?in\s+the\s+distance|far\s+(?:away|off)"
                          r"|nearby|close\s+by|upstairs|downstairs|overhead)\s*,?|(?:outside|inside)\s*,)\s+"
                          r"(?P<x>[a-z][^,;:.!?]*?)(?=\s*(?:[,;.!?]|$))", re.I)  # "inside the house": no clause


def _where_after(m: re.Match) -> str:
    """A ``_WHERE_FIRST`` match said after its sound's words, before its time: "a dog barks in the distance at 3 s"."""
    where, sound = m["w"].rstrip(" ,"), m["x"]
    time = _TIME_TAIL.search(sound)
    return f"{sound[:time.start()]} {where}{time[0]}" if time else f"{sound} {where}"
# "after dark", "just before dawn": when the scene is, which a bed does not sound; left out
_AFTER_DARK = re.compile(r"\s*\b(?:(?:just|right|long|well|shortly|soon|late|early)\s+)?(?:after|before)\s+(?:the\s+)?"
                         r"(?:dark|nightfall|sundown|sunset|dusk|dawn|daybreak|sunrise|midnight|noon)\b", re.I)
# "while it rains": the weather's "it", which names no sound before it ("a dog rains" it was)
_WEATHER = {"rain": "rain", "pour": "heavy rain", "snow": "snow", "hail": "hail", "drizzl": "drizzle", "thunder": "thunder"}
_IT_RAINS = re.compile(r"\bit(?:\s+is|'s)?\s+(?:(?:starts?|begins?)\s+(?:to\s+)?)?"
                       r"(?P<w>rain|pour|snow|hail|drizzl|thunder)(?:s|es|e|ing)?\b", re.I)
# "and again" with no time of its own is the sound again after it ("a horse neighs at 2 s and again")
_SEQ = re.compile(r"\s*(?:,?\s*\b(?:and then|followed\s+(?:immediately\s+|shortly\s+|soon\s+)?by|then|after that|afterwards"
                  r"|before(?:\s+long)?"
                  r"|(?:and\s+)?not\s+long\s+after(?=\s+(?:a|an|some|someone|somebody|people)\s)"  # "..., not long after a dog"
                  r"|(?:and\s+)?after\s+(?:a\s+(?:(?:little|short)\s+)?while|a\s+(?:bit|moment)|some\s+time|a\s+few\s+moments)"
                  r"\b"  # "wind, after a while a dog barks", "rain, and after a moment thunder": in turn
                  r"|(?:(?:and\s+)?(?:not\s+long|a\s+moment|moments|a\s+(?:(?:little|short)\s+)?while|a\s+bit|some\s+time|shortly"
                  r"|soon)\s+(?:after(?:wards)?(?=\s*(?:[,;.]|$))"
                  r"|later(?=\s*(?:[,;.]|$)|\s+[a-z])))"  # "..., not long after, a dog barks", "a moment
                  # later a dog barks"; not "soon after the door slams"
                  r"|(?<!\bagain\s)and(?=\s+(?:again|once\s+more|one\s+more\s+time)"
                  r"(?:\s+(?:a\s+(?:bit|little|moment)\s+|soon\s+|shortly\s+)?(?:later|after))?"
                  r"(?:\s*[,;.]|\s*$|\s+then\b))"
                  r"|and(?=\s+(?:[a-z'-]+\s+){0,3}(?:starts|begins)\s+(?:to\s+[a-z]+|[a-z]+ing)\b))\b"  # "..., and a dog
                  # starts barking": in turn
                  r"|[,;]|(?<!\d):(?!\d)|(?<=\d):(?=\s)|[.!?]+\s|\s[-\u2013\u2014]+\s)\s*", re.I)  # not 0:03's
# "and" before a number is part of a time ("between 2 and 4 s"), not two sounds; an "as" that
# compares ("twice as loud", "as big as", group "compare"; but "twice as rain falls") is none either.
_SIM = re.compile(r"\s+(?:(?P<compare>as\s+(?!well\b)\w+\s+as|(?:twice|thrice|times|half|so)\s+as\s+\w+(?=\s*$|\s+as\b))(?=\s|$)"
                  r"|(?:just\s+)?\b(?:while|with|over|during|as\s+well\s+as|as|and(?!\s+-?\d))\b\s+)", re.I)
# "X after Y", "X right after Y" (not "one after another")
_AFTER = re.compile(rf"(?<!\bone)(?:\s+{_SOON})?\s+\bafter\b\s+"
                    r"(?!(?:another|the\s+other)\b)", re.I)
# "debris falls right after, ...": an "after" that ends its part says only that it comes in turn
_AFTER_ALONE = re.compile(rf"(?<!\bthen){_NO_TIME_BEFORE}(?<!\d)\s+(?:{_SOON}\s+)?{_AFTER_WORD}(?=\s*(?:[,;.:!]|$))", re.I)
# "an explosion at 2 s, debris falling right after": the sound comes in turn, said with "then" (as a
# layer of the scene, "debris falling" would go on under it)
_COMMA_AFTER = re.compile(rf",\s*(?!then\b)(?P<x>[^,;.:!]*?[a-z]){_NO_TIME_BEFORE}(?=\s+(?:{_SOON}\s+)?{_AFTER_WORD}"
                          r"\s*(?:[,;.:!]|$))", re.I)
# "an explosion at 2 s and debris falls right after": the sound after "and" comes in turn, not with it
# "a door slams and right after a dog barks", "X, right after Y" said with "and": Y after X
_AND_RIGHT_AFTER = re.compile(rf"(?:\s+and|\s*,)\s+(?:then\s+)?(?:{_SOON}\s+after|and\s+after(?!\s+(?:a|some)\s+(?:while|bit"
                              r"|moment|time|few|little|short)\b)|immediately|right\s+away"
                              r"|straight\s+away)(?:wards?)?(?:\s+(?:that|this|it))?\s*,?\s+(?=\S)", re.I)


# "before the explosion, a fuse hisses", "just before the door slams, a dog barks": said first, what follows
# its comma comes first ("a fuse hisses, then the explosion"); between two sounds "before" is "then" already (the
# comma of a text the backbone learned is the sound's: "..., footsteps on dirt, running")
_BEFORE_FIRST = re.compile(r"(?:^|(?<=[.;!?]\s))\s*(?:(?:just|right|shortly|moments|a\s+moment|not\s+long|long)\s+)?"
                           r"before\s+(?!long\b)(?P<y>[^,;:.!?]+?)\s*,\s*(?!(?:and\s+)?then\b)"
                           rf"(?P<x>(?:{_LEARNED_OR}[^,;:.!?])+?)(?=\s*(?:[,;.!?]|$))", re.I)


# "while rain falls a dog barks", "just before the door slams a dog barks": a clause said first with no comma
# after it, up to the article of the next sound (not "while a car with a loud engine passes ...")
_CLAUSE_FIRST = re.compile(r"(?:^|(?<=[.;!?]\s))(?P<c>(?:(?:just|right|shortly|moments|a\s+moment)\s+)?"
                           r"(?:while|whilst|as|when|during|before|after)\s+(?:(?:the|a|an|some)\s+)?"
                           r"(?:[a-z'-]+\s+){0,2}?[a-z'-]+)\s+(?=(?:a|an|the|some|someone|somebody)\s)", re.I)
_NOT_CLAUSE_END = {"with", "of", "at", "to", "from", "by", "for", "and", "or", "as", "than", "is", "are", "was", "the",
                   "a", "an", "some"} | set(_WHERE_WORDS.split("|"))


# "a ball bounces 3 times and stops", "a dog barks twice and runs away": what the thing does after its count comes
# in turn (not "a dog barks twice and a cat meows")
_COUNT_AND_VERB = re.compile(rf"\b(?P<n>once|twice|thrice|(?:{_NUMBER}|\d+)\s+times)\s+and\s+(?:then\s+)?"
                             r"(?=(?P<v>[a-z]+s)\b)", re.I)


# "the clock strikes twelve", "a bell tolls three": a count of strokes said after its verb, that many times
_STRUCK = re.compile(rf"\b(?P<v>(?:strike|chime|toll|bong)s?)\s+(?P<n>{_NUMBER}|\d{{1,2}})(?:\s+o'?clock)?"
                     r"(?=\s*(?:[,;:!?]|\.(?!\d)|$)|\s+(?:at|from|between|then|and|while|as|with|in|on)\b)", re.I)


# "rain, wind and thunder, all at once" ("all together", "at the same time"), "4 sounds at once: rain, wind, thunder,
# a dog": a list of sounds heard together
_ONCE = r"(?:at\s+once|together|at\s+the\s+same\s+time|simultaneously)"
_ALL_AT_ONCE = re.compile(rf"^(?P<l>[^.;:]+?),\s*(?:all\s+)?{_ONCE}[.!]?\s*$|^(?P<l2>[^.;:]+?)\s+all\s+{_ONCE}[.!]?\s*$"
                          rf"|^(?:(?:\d+|{_NUMBER}|all)\s+)?(?:(?:the\s+)?sounds?|layers?)\s+{_ONCE}\s*:\s*"
                          r"(?P<l3>[^.;:]+?)[.!]?\s*$", re.I)
# "rain and wind together", "a dog barks and a cat meows together": what "and" says already (not "a man and a woman talk
# together": one sound, ``_together``)
_TOGETHER = re.compile(r"(?P<x>[^,;.]+?)\s+together(?=\s*(?:[,;.!]|$))", re.I)


# "allow the rain to fade at 5 s" (a part that begins so): what the sound does, "the rain fade at 5 s"
_ALLOWED_TO = re.compile(r"(?:^|(?<=[,;:]\s)|(?<=\bthen\s))allow\s+(?P<a>(?:the|that|this|these|those|it)\b[^,;]*?)"
                         r"\s+to\s+(?=[a-z])", re.I)


def _at_once(description: str) -> list[str] | None:
    """The sounds a description lists as heard together (``_ALL_AT_ONCE``), two or more; the one sound said
    so after a comma ("birds, all at once"), alone; else None."""
    m = _ALL_AT_ONCE.match(description.strip())
    said = m and (m["l"] or m["l2"] or m["l3"])
    parts = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", said or "") if p.strip()]
    return parts if len(parts) > 1 or m and m["l"] else None


# "at 3 am", "around 11:30 p.m.": a time of day (``_CLOCK_TIME``), said of a scene or a sound, no time on the bed
_AT_CLOCK_TIME = re.compile(rf"\s+(?:at|around|about)\s+{_CLOCK_TIME.pattern}", re.I)


# "knock knock knock", "bang, bang": one sound's word said again, that many of it
_SAID_AGAIN = re.compile(r"(?:^|(?<=[,;:.!?]\s))(?P<w>knock|tap|clap|beep|honk|bang|boom|click|ding|pop|drip|thud|clang)"
                         r"(?:[\s,]+(?P=w)){1,7}(?=\s*(?:[,;.!?]|$)|\s+(?:at|from|then|and|while|on|against)\b)", re.I)


# "an alarm beeps until someone hits it at 4 s", "a kettle whistles until someone takes it off the stove": what ends
# the sound comes after it, at the time said (not "until the end", "until 6 s", "until midnight")
_UNTIL_CLAUSE = re.compile(r"\s+(?:until|till)\s+(?P<y>(?:a|an|the|someone|somebody|he|she|they|it|people)\s+"
                           r"(?!(?:very\s+)?(?:end|start|beginning)\b)[^,;:.!?]*?)(?:\s+at\s+(?P<t>\d+(?:\.\d+)?\s*s))?"
                           r"(?=\s*(?:[,;:!?]|\.(?!\d)|$))", re.I)


# a stop at a time, and what comes with it: what comes after it ("the rain stops at 5 s and birds start singing")
_STOP_AND = re.compile(rf"(?P<s>\b(?:{_STOP_VERBS}|stop|end|fade\s+(?:out|away))"
                       rf"\s+at\s+{_DECIMAL}\s*{_UNIT_S}),?\s+and\s+(?!(?:then|stops?|ends?)\b)", re.I)


def _until_then(m: re.Match) -> str:
    """An ``_UNTIL_CLAUSE`` said as the sound up to the time, then what ends it there ("X until 4 s, then Y at
    4 s"), or in turn where no time is said and Y has a verb ("X, then Y")."""
    if m["t"]:
        return f" until {m['t']}, then {m['y']} at {m['t']}"
    return f", then {m['y']}" if _subject(m["y"]) else m[0]


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
                      r"(?:we|you)\s+(?:can\s+|then\s+|now\s+|suddenly\s+)?hear|"  # a screenplay's "We hear rain"
                      r"meanwhile|shortly|soon|immediately|directly|afterwards|(?:right|just)(?=\s+(?:after|then)\b)"
                      r"|more(?=\s+[a-z])(?!\s+(?:than|and)\b)"  # "then more typing": typing again
                      r"|(?:the\s+|a\s+)?sounds?\s+of(?=\s+[a-z]))"  # "then the sound of thunder": thunder
                      r"(?:\s+|$))+", re.I)
_ANOTHER = re.compile(r"^another\s+(?!(?:one|time)\b)(?=(?P<v>[aeiou])?[a-z])", re.I)  # "another car passes": a car
# "the dog barks again" is the dog's bark (not "again and again", "over and over again")
_TRAILING = re.compile(r"(?:(?:^|\s+)(?:and|also|then|with|while|(?<!\bagain\sand\s)(?<!\bover\s)again|once\s+more"
                       r"|one\s+more\s+time|too|as\s+well))+$", re.I)
# "a door opens and closes", "a dog barks and growls": one sound doing two things, not two sounds (a time, "at 2s
# and closes at 4s", is no verb)
_TWO_VERBS = re.compile(r"[a-z]*[^s\W\d]s(?:\s+(?:open|shut|closed|up|down|off|out|away|in|back|over))?\s+and\s+[a-z]*[^s\W\d]s"
                        r"(?:\s+(?:once|twice|thrice|again|occasionally|\d|at|from|between|for|every|in|on|into|to|away|"
                        r"off|up|down|out|back|open|shut|closed|[a-z]+ly\b).*)?", re.I)


# Pairs that are one thing ("pots and pans clatter", "a saw moves back and forth"), not two sounds
_PAIR = re.compile(r"\b(?:back\s+and\s+forth|to\s+and\s+fro|on\s+and\s+off|off\s+and\s+on|up\s+and\s+down|in\s+and\s+out"
                   r"|over\s+and\s+over|again\s+and\s+again|round\s+and\s+round|pots\s+and\s+pans|knives?\s+and\s+forks?"
                   r"|rock\s+and\s+roll|salt\s+and\s+pepper|nuts\s+and\s+bolts|bits\s+and\s+pieces|odds\s+and\s+ends"
                   r"|cups?\s+and\s+saucers?|hammer\s+and\s+(?:chisel|nails?)|horse\s+and\s+(?:cart|carriage))\b", re.I)


# A verb two things do together, after the second of them: "a man and a woman talk" (not "a man and a woman's voice")
_SHARED_VERB = re.compile(r"(?:a|an|the|one|some)\s+(?:[a-z'-]+\s+){1,2}?(?:talk|chat|argue|fight|laugh|sing|shout|whisper"
                          r"|walk|run|play|dance|collide|crash|clash|cheer|scream|yell|kiss|giggle|speak|bicker|wrestle"
                          r"|greet|meet)\b(?!')", re.I)


# "with" that says what a thing has, the thing's verb after it: "a car with a loud engine passes", "a man
# with a hammer hits a nail" (one sound); not "rain with thunder", "a dog barks with birds chirping"
_THING = re.compile(r"(?:a|an|the|one|some)(?:\s+[a-z'-]+){1,3}", re.I)
_HAS = re.compile(r"(?:[a-z'-]+\s+){1,4}[a-z'-]*[^s\W]s\b.*", re.I)


def _together(part: str) -> list[str]:
    """``part`` split at its simultaneity words (``_SIM``: "rain while a dog barks"), not inside a pair that names one
    thing (``_PAIR``) or a text the backbone learned (``_learned_spans``)."""
    pieces, start = [], 0
    found = list(_SIM.finditer(part))
    pairs = [m.span() for m in _PAIR.finditer(part)] + _learned_spans(part)
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
        # "a sword clashes with another sword 3 times": what the verb before it is done with, not "a dog barks
        # with birds chirping", "a bell rings with a dog barking"
        done_with = (word == "with" and bool(before) and (before[-1].lower() in _SOUND_VERBS or len(before) > 1
                                                            and before[-2].lower() not in _DETERMINERS
                                                            and bool(_VERB.fullmatch(before[-1])))
                     and bool(_DONE_WITH.fullmatch(rest)) and not re.search(r"[^s\W]s\b|ing\b", _COUNT_OR_TIME.sub("", rest)))
        # "a car drives over gravel", "a kettle boils over": a place or a way, not "thunder over rain"
        over = word == "over" and bool(before) and bool(re.fullmatch(r"[a-z'-]+(?:[^s\W]s|ed|ing)", before[-1], re.I))
        # "a door opens and closes" (a thing, then its two verbs), not "birds and crickets", "the dogs and cats"
        two_verbs = (len(before) > 1 + particle and before[-2 - particle].lower() not in _DETERMINERS
                     and _TWO_VERBS.fullmatch(joined))
        # "a door swings back and forth and creaks": a verb alone after "and" is the same thing's
        said = thing.lower().split()
        has_verb = any(_VERB.fullmatch(w) and k and said[k - 1] not in _DETERMINERS for k, w in enumerate(said))
        lone_verb = word == "and" and has_verb and re.fullmatch(r"[a-z'-]*[^s\W]s(?:\s+[a-z]+ly)?", rest, re.I)
        # "a glass is dropped and shatters", "eggs are cracked into a bowl and whisked": what is done to one thing
        done_to = (word == "and" and bool(_PASSIVE.match(thing)) and not _TIME_TAIL.search(thing)
                   and bool(_DONE_NEXT.match(rest) or _VERB.match(rest) and _subject(f"it {rest}") == "it"))
        whole = bool(_THROUGHOUT.fullmatch(rest))  # "wind during the whole time": how long, not a second sound
        # "louder and louder drums", "closer and closer": one word said twice, not two sounds
        twice = word == "and" and bool(before) and rest.lower().split()[:1] == [before[-1].lower()]
        # "a man and a woman talk", "a cat and a dog fight": one verb of both, one sound
        shared = word == "and" and bool(_THING.fullmatch(thing)) and not has_verb and bool(_SHARED_VERB.match(rest))
        # "a soft and slow violin (plays)", "a dog barks quickly and sharply": how one sound sounds (not "rain
        # falls hard and fast footsteps approach")
        manner = (word == "and" and bool(before) and bool(re.fullmatch(_MANNER_WORD, before[-1], re.I))
                  and bool(re.match(_MANNER_WORD, rest, re.I))
                  and (not _subject(rest)
                       or bool(re.fullmatch(rf"(?:(?:an?|the|some)\s+)?{_MANNER_WORD}", thing, re.I))))
        if not (m["compare"] or in_pair or has or done_with or over or two_verbs or lone_verb or done_to or whole
                or twice or shared or manner):
            pieces.append(part[start:m.start()])
            start = m.end()
    return [*pieces, part[start:]]


# A thing a verb is done with ("another sword", "its partner"), a count or a time after it; and that count or time
_COUNT_OR_TIME_SAID = r"(?:\s+(?:once|twice|thrice|\S+\s+times|(?:at|from|for|between)\s+\d.*))"
_DONE_WITH = re.compile(r"(?:a|an|the|another|each|its|his|her|their|some)\s+(?:other|[a-z'-]+(?:\s+[a-z'-]+){0,2}?)"
                        rf"{_COUNT_OR_TIME_SAID}*", re.I)
_COUNT_OR_TIME = re.compile(rf"{_COUNT_OR_TIME_SAID}+$", re.I)


# What is done next to a thing said in the passive voice, with its participle alone: "(a door is opened,) then closed
# quietly", "and caught three times", "(a baby cries,) then is soothed" (not "then scattered applause", a sound of its own)
_DONE_NEXT = re.compile(rf"^(?P<be>(?:is|are|gets|get)\s+)?{_PARTICIPLE}(?:\s+(?:[a-z]+ly|open|shut|closed|up|down|off|out|away"
                        rf"|back|again|once|twice|thrice|\w+\s+times|(?:at|from|for|between)\s+\d.*"
                        rf"|(?:{_WHERE_WORDS}|to|from|at)\s+(?:a|an|the|his|her|its|their)\s.*))*$", re.I)


# "wind throughout", "traffic in the background": a sound over the whole timeline, beside the others
_IN_THE_BACKGROUND = re.compile(r"\bin\s+the\s+background\b", re.I)  # throughout, and under the rest
BED_UNDER_DB = 10.0  # how far a background sound is leveled under the events on top of it (compose's render)
# ... in brackets too: "eggs sizzling (throughout)", "[in the background]"
_THROUGHOUT = re.compile(rf"\s*(?:\(\s*{_THROUGHOUT_WORDS}\s*\)|\[\s*{_THROUGHOUT_WORDS}\s*\]|{_THROUGHOUT_WORDS})",
                         re.I)


# "rain starts at 2 s", "the music begins at 3 s": a background from then on, its start no sound of its own
# (not "an engine starts at 2 s": the sound of it starting)
_BEGINS = re.compile(r"\s+(?:starts|begins|comes\s+in|kicks\s+in)(?=\s+(?:at|from)\s+\d)", re.I)


# "a dog barks at 3 s in the distance": where a sound is heard, said after its time, goes with the sound
_TIME_THEN_WHERE = re.compile(rf"^(?P<c>.+?)(?P<t>\s+(?:at|from|between)\s+\d[^,]*?\s*(?:s|secs?|seconds?)(?:\s+for\s+"
                              rf"\d+(?:\.\d+)?\s*(?:s|secs?|seconds?))?)\s+(?P<w>(?:{_WHERE_WORDS})\s+\D+)$", re.I)


# "a punch at 1 s knocks him down": the time said after the thing, before what it does
_TIME_THEN_DOES = re.compile(r"^(?P<c>(?:an?|the|one|some)\s+[a-z'-]+(?:\s+[a-z'-]+)?)(?P<t>\s+at\s+\d+(?:\.\d+)?\s*"
                             r"(?:s|secs?|seconds?))\s+(?P<w>[a-z'-]*[^s\W\d]s\b\D*)$", re.I)


def _timed_event(caption: str, duration_s: float, once: bool = False, period_s: float | None = None,
                 notes: list[str] | None = None) -> dict | None:
    """An event for a part with its own times ("a dog barks at 3 s", "at 3 s for 1 s" or "for 1 s
    at 3 s", "rain from 2 to 6 s", "between 2 and 6 s", "footsteps from 5 s": to the end), else
    None. A span given fills (one
    sound only when ``once``: a share of a repeat's span); so does an iterative sound placed "at T s",
    and one given a rhythm (``period_s``). A background, or a sound given a rhythm, placed "at T s" lasts to the
    end. ``notes`` gets a
    line for a span said to end past the timeline ("rain from 0 to 20 s" on a 10 s bed): it ends with it."""
    caption = _TIME_THEN_DOES.sub(r"\g<c> \g<w>\g<t>", caption)  # "a gunshot at 9 s silences the room"
    caption = _TIME_THEN_WHERE.sub(r"\g<c> \g<w>\g<t>", caption)  # "a dog barks at 3 s in the distance"
    begun = _BEGINS.sub("", caption)
    m = _TIMED.match(begun if is_background(begun) and not re.match(r"an?\s", caption, re.I) else caption)
    if not m:
        return None
    at, length, a, b, c, d, for_, at_, from_ = m.groups()[1:]
    at, length = (at, length) if at_ is None else (at_, for_)
    if from_ is not None:  # "from T s": to the end (one past the end is refused as off the timeline)
        start_s = float(from_)
        end_s = duration_s if start_s < duration_s else start_s + TIMED_LENGTH_S
    elif at is not None:  # a background placed "at T s" keeps playing to the end, as an untimed one does, and so
        # does a sound given a rhythm ("a clock ticks every second at 1 s"), as "from T s"
        on = (not length and not once and (is_background(_clean(m["c"])) or period_s is not None)
              and float(at) < duration_s)
        start_s, end_s = float(at), (duration_s if on else float(at) + (float(length) if length else
                                                                         timed_length_s(m["c"])))
    else:
        start_s, end_s = sorted((float(a or c), float(b or d)))  # reversed times swapped, as in any plan
    if end_s - start_s < MIN_LENGTH_S:
        raise PlanError(f"{_clean(m['c'])!r} is given too short a length ({start_s:g} to {end_s:g} s; "
                        f"a sound lasts at least {MIN_LENGTH_S:g} s)")
    if _STRAY_TIME.search(_clean(m["c"])):  # "a dog barks at 2 s at 5 s"
        raise PlanError(f"cannot place {caption!r}: it gives more than one time")
    said_end = end_s if length or a is not None or c is not None else None  # an end the text gives
    start_s, end_s = _on_timeline(_clean(m["c"]), start_s, end_s, duration_s, f"placing it at {start_s:g} s")
    if notes is not None and said_end is not None and said_end > end_s + 1e-6:
        note = (f"{_clean(m['c'])!r} is said to last until {said_end:g} s; the bed is {duration_s:g} s long, so it stops "
                f"there (make the bed {said_end:g} s long to keep all of it)")
        notes += [] if note in notes else [note]
    # A span the text gives ("for 1 s", "from 2 to 6 s") is how long the sound lasts: it fills it.
    return {"caption": _clean(_TRAILING.sub("", _clean(m["c"]))) or _clean(m["c"]),  # "thunder again at 6 s": thunder
            "start_time": start_s, "end_time": end_s, "period_s": period_s,
            "fill": _fills(m["c"], at is None or bool(length), once, period_s)}


def _rings_on(event: dict, duration_s: float = math.inf) -> bool:
    """Whether a placed event is a sound that rings on, given no length of its own (RINGING_LENGTH_S,
    or less where the timeline of ``duration_s`` ends)."""
    length, ringing = event["end_time"] - event["start_time"], timed_length_s(event["caption"])
    return not event["fill"] and ringing > TIMED_LENGTH_S and (
        abs(length - ringing) < 1e-9 or event["end_time"] >= duration_s - 1e-9 and length < ringing)


def _crowded(event: dict, others: list[dict], max_simultaneous: int) -> bool:
    """Whether a sound coming in over ``event``'s tail (TIMED_LENGTH_S after its start) would be one
    more than ``max_simultaneous`` with it and the ``others`` that play there (beds under thunder, one
    ambience: :func:`sounds_counted`)."""
    t = event["start_time"] + TIMED_LENGTH_S
    playing = [o for o in others if o is not event and o["start_time"] <= t < o["end_time"]]
    steady = sum(is_background(o["caption"]) for o in playing)
    return sounds_counted(2 + len(playing) - steady, steady, max_simultaneous) > max_simultaneous


def _repeated(caption: str, span: str, times: int, duration_s: float, notes: list[str] | None = None) -> list[str]:
    """The parts of "``caption`` ``times`` times``span``": ``times`` parts that share the span
    the text gives ("for 3 s", "from 2 to 8 s", "at 3 s": 2 s each, up to the end of the
    timeline), or that many plain parts; the whole as one part when the span is in no form read
    here (it is then refused as one). ``notes`` gets a line for a span said to end past the
    timeline: the parts share what is left of it."""
    if not span:
        return [caption] * times
    whole = caption + span
    m = _TIMED.match(whole)
    if m is None:
        lasting = _LASTING.match(whole)
        return [f"{caption} for {float(lasting.group(2)) / times!r} s"] * times if lasting else [whole]
    at, length, a, b, c, d, for_, at_, from_ = (None if x is None else float(x) for x in m.groups()[1:])
    end_said = any(x is not None for x in (b, d, length, for_))  # "to 8 s", "and 8 s", "for 3 s"
    if from_ is not None:  # "from T s": to the end
        a, b = from_, duration_s
    elif at is not None or at_ is not None:
        a, b = (at, at + (length or TIMED_LENGTH_S * times)) if at is not None else (at_, at_ + for_)  # "twice at 3 s":
        # each its own TIMED_LENGTH_S, as one at 3 s has
    a, b = sorted((a, b) if a is not None else (c, d))
    if a >= duration_s - 0.05:  # refused as one event there would be
        return [caption + span]
    said_end = b if end_said else None
    b = min(b, duration_s)  # the span is held to the timeline, as one event's is, before it is shared
    if notes is not None and said_end is not None and said_end > b + 1e-6:
        note = (f"{_clean(caption)!r} {times} times is said to last until {said_end:g} s; the bed is {duration_s:g} s "
                f"long, so they share {a:g} to {b:g} s (make the bed {said_end:g} s long to keep all of it)")
        notes += [] if note in notes else [note]
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


# What bellows ("a bull snorts, bellows"); after anything else "bellows" alone is a sound of its own, a forge's
_BELLOWS = re.compile(r"\b(?:bulls?|cows?|cattle|ox|oxen|stags?|deer|elks?|moose|walrus(?:es)?|lions?|man|men|giants?"
                      r"|crowd|someone|somebody|he|she)$", re.I)
_PERSON = re.compile(r"^(?:someone|somebody|he|she|a\s+(?:man|woman|person|boy|girl|child|kid)|the\s+(?:man|woman|person|"
                     r"boy|girl|child|kid))$", re.I)
_OBJECT = re.compile(r"\s(?:on|at|against|into|onto|in|with|through|to|towards?|past)\s+(?P<o>(?:a|an|the)\s+[a-z' ]+?)$",
                     re.I)


# What a thing does something to, right after its verb: "a glass" of "drops a glass", "a vase" of "knocks over a vase"
_DIRECT_OBJECT = re.compile(rf"^[a-z'-]+(?:\s+(?:up|down|over|off|out|away|back))?\s+(?P<o>(?:a|an|the)\s+"
                            rf"[a-z'-]+(?:\s+[a-z'-]+){{0,2}}?)"
                            rf"(?=$|\s+(?:{_WHERE_WORDS}|with|and|from|[a-z]+ly)\b)", re.I)


def _done_to(caption: str) -> str | None:
    """What "it" names when something is done to it after ``caption``: the thing ``caption``'s thing
    acts on ("a glass" of "a man drops a glass", "a window" of "a woman opens a window"), else what
    ``_it`` names ("a phone" of "a phone rings"; None for "someone knocks")."""
    said = _clean(_TIME_TAIL.sub("", caption))
    thing = _subject(said)
    acted_on = _DIRECT_OBJECT.match(said[len(thing):].strip()) if thing else None
    return acted_on["o"] if acted_on else _it(caption)


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
_COUNTED_AGAIN = re.compile(r"^(?:and\s+)?(?:a|the)\s+(?:second|third|fourth|fifth|sixth|final|last)(?:\s+one)?"
                            r"(?:\s+(?P<x>(?!(?:at|from|between|for|later|after|before|earlier|passes|of|or|and)\b)"
                            r"[a-z][^\d]*?))?"
                            r"(?P<t>\s+(?:at|from|between|for)\s+\d.*)?$", re.I)


# What comes and what goes: a part that begins with a verb of going is of the thing that came before
# it, over the sounds said between ("a train approaches, a horn blows at 5 s, then passes": the train)
_COMES = re.compile(r"^(?P<thing>.+?)\s+(?:approaches|arrives|comes|draws\s+near|pulls\s+(?:in|up)|rolls\s+in)\b", re.I)
_GOES = {"passes", "departs", "leaves", "recedes", "drives", "pulls", "speeds", "rolls", "goes", "moves", "rides",
         "flies"}


def _comer(text: str) -> str | None:
    """The thing that comes in the last of ``text``'s simultaneous parts that says one comes (``_COMES``)."""
    return next((m["thing"] for m in reversed([_COMES.match(_clean(c)) for c in _together(text)]) if m), None)


def _named(text: str, last: str | None, comer: str | None = None) -> tuple[str, str | None]:
    """``text`` with its simultaneous parts that name no sound (``_BARE``: "a horse neighs at 3 s
    and again at 6 s", "a door slams at 2 s, then twice at 6 s", "a bell at 2 s, at 5 s and at
    8 s") given the sound of the part before them, ``last``, and those that begin with a sound's
    verb given its thing ("a door creaks open, then slams"), or with a verb of going, the thing that
    came before them, ``comer`` (``_COMES``); and the sound its last part names."""
    members, named = _together(text), []
    lead = _LEAD_TIME.match(_clean(members[0]))
    # "at 3 s, X and Y": both at 3 s (a background, rain, keeps its slot), "from 2 to 6 s, X and Y" both then
    scope = lead["t"] if lead and re.match(r"(?:at|from|between)\s", lead["t"], re.I) else None  # not "four times"
    # "a glass breaks at 2.5 s and a woman screams": the time said of the first is the others' too (not of "while")
    said_at = _SAID_AT_LAST.search(_clean(members[0])) if len(members) > 1 else None
    if scope is None and said_at and re.match(r"\s*and\s", text[len(members[0]):], re.I):
        scope = said_at[0]
    for member in members:
        member = _LEAD_TIME.sub(r"\g<c> \g<t>", _clean(member))  # "at 3 s a dog barks", "twice a dog barks"
        member = _TIME_THEN_DOES.sub(r"\g<c> \g<w>\g<t>", member)  # "a man at 2 s coughs": its thing is "a man"
        if scope and not _TIME_TAIL.search(member) and not (scope[:2].lower() == "at" and is_background(member)):
            member = f"{member} {scope}"
        if last and re.match(r"(?:and|also)\s+(\S+)", member, re.I) and member.split()[1].lower() in _SOUND_VERBS:
            member = member.split(None, 1)[1]  # "..., then stops, and neighs": what the thing before does
        thing, words = (_subject(last) if last else None), _TIME_TAIL.sub("", member).lower().split()
        it_done_to = thing and len(words) > 1 and words[0] not in ("it", "the") and "it" in words[1:]
        done_to = _done_to(last) if it_done_to else None
        if done_to and not _STOPS.match(_clean(_TIME_TAIL.sub("", member))):  # "..., then someone picks it up"
            member = re.sub(r"(?<=\s)it\b", f"the {_ARTICLE.sub('', done_to)}", member, count=1, flags=re.I)
            words = _TIME_TAIL.sub("", member).lower().split()
        it = _it(last) if last and len(words) > 1 and words[0] == "it" else None
        if it and comer and words[1] in _GOES:  # "a bus arrives, the doors open, then it leaves": the bus
            it = comer
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
        learned = " ".join(words) in LEARNED_SOUNDS  # "a door slams, then swimming at 5 s": no door swims
        # "a bell rings, punches on a bag": a sound learned by name, said in the plural with more words, after a thing
        # (no bell punches; a man does); said alone it is what the thing does ("a sword swings, then whooshes")
        learned = learned or len(words) > 1 and not _PERSON.match(thing or "") and words[0] not in _stems(words[0]) \
            and _stems(words[0]) <= _LEARNED_NAMES
        if doer and len(words) == 1 and words[0].endswith("ing") and words[0] not in _NOT_GOING_ON and not learned:
            member = f"{doer} {member}"  # "a dog growling, then barking at 3 s": the dog barking
        elif (done := _DONE_NEXT.match(member)) and (done["be"] and thing
                                                     or (passive := _PASSIVE.match(_clean(last or "")))):
            # "a door is opened, then closed quietly": the door is closed; "a baby cries, then is soothed"
            member = f"{thing} {member}" if done["be"] and thing else f"{passive['thing']} {passive['be']} {member}"
        # "..., then slams at 2 s"; not "..., then claps of thunder" (a plural noun)
        elif comer and words and words[0] in _GOES and thing and _clean(thing).lower() != _clean(comer).lower():
            member = f"{comer} {member}"  # "a train approaches, a horn blows, then passes": the train passes
        elif (thing and words and (words[0] in _SOUND_VERBS or _plural_verb([thing.split()[-1], words[0]], 1))
                and (len(words) < 2 or words[1] not in ("of", "from"))
                and not learned
                and not (words == ["bellows"] and not _BELLOWS.search(thing))  # metal never bellows: a forge's
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
                           rf"(?P<n>(?:{_COUNT}|{_AGAIN_WORDS})(?:\s+(?:{_ROW}|(?:very\s+)?(?:quickly|rapidly|fast)))?"
                           rf"(?:,?\s+(?:at|from|between)\s+\d[^,;]*?)?)"
                           rf"(?=\s*(?:$|[,;]|\.\s|\.$|\s+(?:(?:and\s+)?then|while|with|as|and)\b))", re.I)
# a count written as a multiplier, after the sound or before it: "footsteps x3", "a knock x 2", "3x door knock"
# "2x louder", "2x speed", "2x longer", "twice as loud": how, not how often
_NOT_A_COUNT = r"(?!\s*(?:louder|quieter|softer|faster|slower|speed|longer|shorter|later|earlier|sooner|as)\b)"
_TIMES_MARK = re.compile(rf"(?:\s+[x\u00d7]|\s*\u00d7)\s*(?P<n>\d+)\b(?![.,]\d|\s*(?:s|secs?|seconds?)\b){_NOT_A_COUNT}"
                         rf"|\b(?P<m>\d+)\s*[x\u00d7]\s+{_NOT_A_COUNT}(?=[a-z])"
                         rf"|\s*\(\s*(?:[x\u00d7]\s*(?P<b>\d+)|(?P<b2>\d+|{_NUMBER})\s*(?:[x\u00d7]|\s+times))\s*\)"  # "(x3)", "(3x)"
                         r"|\s+(?P<e>\d+)\s?[x\u00d7](?=\s*(?:$|[,;]|\.(?!\d)|\s+(?:at|from|between|for|then|and|while)\b))",
                         re.I)  # "a dog barks 2x", last in its part


def _times_said(text: str) -> str:
    """``text`` with a count written as a multiplier (``_TIMES_MARK``) said in words: "footsteps x3" is "footsteps 3
    times", "3x door knock" "3 times door knock"."""
    return _TIMES_MARK.sub(lambda m: f"{m['m']} times " if m["m"] else
                           f" {m['n'] or m['b'] or m['b2'] or m['e']} times", text)


_TIME_SAID = _DECIMAL + _SECONDS
# a part that says only when the untimed sound before it starts: "..., starting at 10 s" (read "at 10 s"),
# "door slam - 6s" (a cue sheet's time after a dash, as "door slam 6s")
_STARTING = re.compile(rf"^(?:(?P<how>at|from)\s+(?P<t>{_TIME_SAID})(?:\s+on(?:wards?)?)?|(?P<t2>{_DECIMAL}\s*{_UNIT_S}))$", re.I)
# a part that says only when or how often: "at 3 s", "from 2 to 6 s", "now and then"
_WHEN_ONLY = re.compile(rf"^(?:occasionally|(?:at|from|between)\s+{_TIME_SAID}(?:\s+(?:to|until|till|and)\s+{_TIME_SAID})?"
                        rf"(?:\s+for\s+{_TIME_SAID})?)$", re.I)


def _pieces(text: str) -> list[tuple[str, str]]:
    """The parts of ``text`` between its sequence words (``_SEQ``), each with the sequence word
    after it ('' for the last; of two with nothing between, "; then", the word); none inside a
    text the backbone learned ("footsteps on dirt, running": ``_learned_spans``)."""
    out, start = [], 0
    learned = _learned_spans(text)
    for m in _SEQ.finditer(text):
        if any(a < m.start() and m.end() < b for a, b in learned):
            continue
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
               r"(?:(?P<level>louder|quieter|softer|loudly|quietly|softly|loud|quiet|soft|faint)"
               r"(?:\s+(?:in\s+the\s+mix|than\s+[a-z' ]+|as\s+[a-z' ]+))?"
               r"|(?P<low>low|lower|high|higher)\s+in\s+the\s+mix)")  # not "(high)": a pitch
_CHANGED = r"(?:(?:gradually|slowly|steadily)\s+)?(?:getting|growing|becoming|gets?|grows?|becomes?)\s+"  # "getting faster",
# "and (gradually) gets heavier"
_CHANGES = r"faster|slower|louder|quieter|softer|heavier|lighter|closer|nearer|farther|further"
_REVERB_SAID = r"(?:(?:a|some|lots\s+of|much|heavy|long|short|big|little|lots|of)\s+)*(?:reverb|echo)"  # "a long echo"
_QUALIFIER = re.compile(rf"\(?\s*(?:{_LEVEL_SAID}|(?:from\s+)?(?:left|right)\s+to\s+(?:right|left)"
                        r"|panned\s+(?:hard\s+)?(?:left|right|center|centre)|(?:hard\s+)?(?:left|right)"
                        rf"|{_CHANGED}(?P<change>{_CHANGES})(?:\s+and\s+(?:{_CHANGES}))?"  # "getting louder and louder"
                        r"|speeding\s+up|slowing\s+down|speeds?\s+up|slows?\s+down|in\s+stereo|faster|slower"
                        r"|(?P<fade>(?:slowly\s+|gradually\s+)?(?:fading\s+(?:in|out|away)|dying\s+(?:away|down|out)))"
                        rf"|(?P<effect>{_REVERB_SAID}"
                        r"|(?:(?:heavily|slightly|very|quite)\s+)?(?:reverberated|reverberant|echoing|muffled|distorted)"
                        r"(?:\s*,?\s+as\s+if\s+heard\s+from\s+[a-z ]+)?|as\s+if\s+heard\s+from\s+[a-z ]+)"
                        r"|(?:a\s+)?(?:steady|slow|fast|quick|regular|irregular|even|constant)\s+(?:rhythm|pace|tempo|beat))"
                        r"\s*\)?", re.I)
_LEVEL_INLINE = re.compile(r"\s+(?P<q>(?:(?:twice|half|\d+\s+times|three\s+times)\s+as\s+(?:loud|quiet|soft)\s+as|(?:much\s+|"
                           r"a\s+bit\s+|slightly\s+|far\s+)?(?:louder|quieter|softer)\s+than)\s+[a-z' ]+?)"
                           r"(?=\s+(?:at|from|between|for)\s+\d|\s*$)", re.I)  # "thunder louder than the rain at 3 s"
_SAID_IN_BRACKETS = re.compile(r"\s*\((?P<q>[^()]*)\)")  # "thunder (loud)"
_PANNED_INLINE = re.compile(r"\s+(?:panning\s+)?(?P<q>(?:from\s+)?(?:left|right)\s+to\s+(?:right|left))\b",
                            re.I)  # "a car passes from left to right at 3 s"


# An effect or a change said of the sound before it with "with" or "and" ("a door slams at 2 s with reverb",
# "rain starts at 3 s and (it) gets heavier"): noted, as a qualifier is, and left out
_WITH_QUALIFIER = re.compile(rf"\s+(?:with|and)\s+(?:(?:it|they)\s+(?={_CHANGED}|s(?:lows?|peeds?)\s))?"
                             rf"(?P<q>(?:an\s+)?{_REVERB_SAID}|{_CHANGED}(?:{_CHANGES})(?:\s+and\s+(?:{_CHANGES}))?"
                             r"|(?:slows?\s+down|speeds?\s+up))"
                             r"(?=\s*(?:[,;.:!]|$)|\s+(?:then|and|while|at)\b)", re.I)


def _qualifier_note(said: str, before: str, form: str | None = None) -> str:
    """The note for a qualifier ``said`` of the sound ``before`` that the plan does not apply: for a
    level, the edit that sets it (with the amount said); ``form``, a qualifier of the same sense, is
    read when ``said`` is in no form of ``_QUALIFIER`` ("louder and louder": "getting louder")."""
    m = _QUALIFIER.fullmatch(form or said)
    level, change = (m["level"] or m["low"] or "").lower(), (m["change"] or "").lower()
    thing = re.sub(r"^(?:a|an|the)\s+", "", _subject(before) or before, flags=re.I)
    amount = re.search(r"(\d+(?:\.\d+)?)\s*db", said, re.I)
    return f"{said!r} is not applied to {before!r}: " + (
        f"a level is an edit once the bed is made ('make the {thing} "
        f"{'louder' if level in ('louder', 'loud', 'loudly', 'high', 'higher') else 'quieter'} by {amount[1] if amount else 6} dB')"
        if level else "a sound keeps its level along its span" if change in ("louder", "quieter", "softer", "heavier", "lighter")
        or m["fade"]
        else "a bed's sounds are as generated, with no reverb, echo or filter on them" if m["effect"]
        else "a sound keeps its distance along its span" if change in ("closer", "nearer", "farther", "further")
        else "a bed is mono" if re.search(r"left|right|centre|center|stereo", said, re.I)
        else "a sound keeps its own rhythm and speed")


# "rain until 6 s", "rain, which fades out at 6 s", "the music stops at 6 s": a sound that sounds up
# to a time, read as the sound and then its stop there ("rain, then the rain stops at 6 s")
_STOP_VERB = (r"(?:stops?|ends?|fades?(?:\s+(?:out|away))?|dies\s+(?:down|away|out)|falls\s+silent"
              r"|goes\s+(?:quiet|silent)|comes\s+to\s+an?\s+(?:stop|halt))")
_ENDS_AT = re.compile(rf"^(?P<x>.+?)\s+(?:(?P<which>which|that|and)\s+(?:then\s+)?{_STOP_VERB}\s+at"
                      rf"|(?P<verb>{_STOP_VERB})\s+at|(?:until|till))\s+(?P<t>{_DECIMAL}\s*{_UNIT_S})$", re.I)
# ", which fades out at 6 s", ", stopping at 7 s", ", comes to a stop at 7 s", "then stopping at 7 s"
_WHICH_ENDS_AT = re.compile(rf"^(?:(?:which|that)\s+{_STOP_VERB}|(?:comes|coming)\s+to\s+an?\s+(?:stop|halt)|stopping"
                            rf"|ending|fading\s+(?:out|away))\s+at\s+(?P<t>{_DECIMAL}\s*{_UNIT_S})$", re.I)
# "a fan whirs stopping at 5 s": as said after a comma, after a verb or an -ing word ("a car stopping at 5 s" is the
# sound of its stopping)
_STOPPING_AT = re.compile(rf"(?:(?<=[a-z][^s\W]s)|(?<=[a-z]{{2}}ing))(?=\s+(?:stopping|ending|fading\s+(?:out|away)"
                          rf"|coming\s+to\s+an?\s+(?:stop|halt))\s+at\s+{_DECIMAL}\s*{_UNIT_S})", re.I)
# "... and comes to a stop at 7 s outside an inn": the place said after the stop's time is the sound's
_STOP_THEN_WHERE = re.compile(rf"^(?P<x>.+?)(?P<s>\s+(?:(?:which|that|and)\s+(?:then\s+)?)?{_STOP_VERB}\s+at\s+"
                              rf"{_DECIMAL}\s*{_UNIT_S})\s+(?P<w>(?:{_WHERE_WORDS})\s+\D+)$", re.I)


def _stop_at(sound: str, t: str) -> str:
    """The words for ``sound``'s stop at time ``t`` (as said, unit and all): "the rain stops at 6 s";
    named by its words before a comma or a joining word, which would part the stop from its sound
    ("the fire burning stops" of "a fire burning and crackling", "the footsteps on dirt stops" of
    "footsteps on dirt, running")."""
    said = re.split(r"[,;]|\s+(?:and|with|while|over|as|during|then|after|before)\s+", _ARTICLE.sub("", _clean(sound)),
                    maxsplit=1, flags=re.I)[0]
    return f"the {' '.join(re.findall(r'[a-z]+', said.lower()))} stops at {t}"


def _ended(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` with a sound said to sound up to a time (``_ENDS_AT``; ", which fades out at T s"
    after it) as the sound, then its stop at that time; a one-shot said to sound until then ("a
    phone rings until 6 s") comes again and again up to it. A sound with "a" or "an" that stops at
    a time ("an engine stops at 6 s") is the sound of its stopping, and stays."""
    out, until = [], None  # until: the time a silence lasts to, the start of what follows it
    for piece, sep in pieces:
        clean = _STOP_THEN_WHERE.sub(r"\g<x> \g<w>\g<s>", _clean(piece))
        if until and not _TIME_TAIL.search(clean):  # "... until 3 s, then footsteps (until 6 s)": from 3 s
            said = re.subn(r"\s(?=(?:until|till)\s+\d)", f" from {until} ", clean, count=1, flags=re.I)
            piece = clean = said[0] if said[1] else f"{clean} at {until}"
        until = None
        which = _WHICH_ENDS_AT.match(clean)
        if which and out and re.fullmatch(r",|[,;]?\s*(?:and\s+)?then", out[-1][1]):  # "rain, which fades out at 6 s"
            out[-1] = (out[-1][0], "then")
            out.append((_stop_at(out[-1][0], which["t"]), sep))
            continue
        m = _ENDS_AT.match(clean)
        sound = _clean(_EVERY.sub(" ", m["x"])) if m else ""  # "a dog barks every 2 s until 8 s": its rhythm kept
        m = m if sound else None  # "every 2 s until 8 s" names no sound
        its = m and out and sound.split()[0].lower() in _SOUND_VERBS and _it(out[-1][0])  # what "idles until 6 s" is of
        if its:
            sound = f"{_ARTICLE.sub('', its)} {sound}"  # "an engine starts, idles until 6 s": the engine idles, in turn
        if m and not m["verb"] and not m["which"] and _SILENCE.match(sound):  # "silence until 3 s, then rain": from 3 s
            out.append((sound, sep))
            until = m["t"]
            continue
        named_before = m and any(_stems(sound) <= _stems(p) for p, _ in out)  # "rain, then the rain stops at 6 s"
        if m and m["verb"] and named_before and not re.search(r"\d", sound):  # "rain, rain stops at 8 s": its stop
            out.append((_stop_at(sound, m["t"]), sep))
            continue
        if (m and not re.search(r"\d", sound) and not re.fullmatch(r"it|they|all|everything", sound, re.I)
                and not (m["verb"] and (re.match(r"an?\s", sound, re.I) or named_before))):
            if (is_background(sound) and not its and out and out[-1][1] in (",", "and")
                    and any(_TIME_TAIL.search(p) for p, _ in out)):  # "a dog barks at 2 s, rain until 8 s": a layer
                out.append((f"{m['x']} from 0 to {m['t']}", sep))
                continue
            again = "" if m["verb"] or m["which"] or is_background(sound) or is_iterative(sound) or sound != m["x"] \
                else " repeatedly"
            out += [(m["x"] + again, "then"), (_stop_at(sound, m["t"]), sep)]
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


# A word alone after a comma or a colon that says how the sound before it sounds ("a drum, fast", "rain, heavy",
# "wind: strong"), or words joined by "and" ("a violin, soft and slow": one sound, ``_together``; a level among
# them, "a drum, fast and loud", is noted as a level alone is)
_MANNER_WORD = (r"(?:(?:very|quite|really)\s+)?(?:fast|quick|slow|heavy|light|soft|gentle|hard|rapid|steady|strong"
                r"|quickly|slowly|rapidly|gently|softly|lightly|heavily|steadily|sharp|sharply|dull)\b")
_HOW = rf"(?:{_MANNER_WORD}|(?:(?:very|quite|really)\s+)?(?:loud|loudly|quiet|quietly|faint|faintly)\b)"
_MANNER = re.compile(rf"{_HOW}(?:\s+and\s+{_HOW})*", re.I)
_MANNERS_FIRST = re.compile(rf"(?:{_MANNER_WORD}\s+(?:and\s+)?)*", re.I)  # "soft " of "soft violin": said before


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
        words = re.split(r"\s+and\s+", _clean(piece), flags=re.I) if _MANNER.fullmatch(_clean(piece)) else []
        manner = [w for w in words if re.fullmatch(_MANNER_WORD, w, re.I)]
        if out and manner and out[-1][1] in (",", ":"):  # "a drum, fast": how the sound before sounds, in its words
            said += [w for w in words if w not in manner]  # "loud" of "fast and loud": a level, noted
            piece = " and ".join(manner)
            before = _clean(out.pop()[0])
            when = _TIME_TAIL.search(before)  # "a door slams at 3 s, hard": "a door slams hard at 3 s"
            when, before = (when[0], before[:when.start()]) if when else ("", before)
            article = _ARTICLE.match(before)
            head, rest = (article[0], before[article.end():]) if article else ("", before)
            said_first = _MANNERS_FIRST.match(rest).end()  # "a soft violin, slow": "a soft slow violin"
            head, rest = head + rest[:said_first], rest[said_first:]
            piece = (f"{before} {_clean(piece)}{when}" if _subject(before) or manner[-1].lower().endswith("ly")
                     else f"{head}{_clean(piece)} {rest}{when}")  # "a fast drum", "a soft slow violin"
        timed = out and not _QUALIFIER.fullmatch(_clean(piece)) and _TIME_TAIL.search(piece)  # "wind, louder from 5 s"
        qualifier = bool(out and _QUALIFIER.fullmatch(_clean(_TIME_TAIL.sub("", piece) if timed else piece)))
        dropped = qualifier and out[-1][1] == "-" and sep == "-"
        if qualifier and timed:  # a level that changes within its sound
            if notes is not None:
                notes.append(f"{_clean(piece)!r} is not applied to {_clean(_TIME_TAIL.sub('', out[-1][0]))!r}: a sound "
                             f"keeps its level along its span")
            out[-1] = (out[-1][0], sep)
            continue
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


_TIME_OF_DAY = {"day", "night", "dawn", "dusk", "morning", "evening", "afternoon", "midnight", "noon", "sunrise", "sunset",
                "dark", "nightfall", "sundown", "midday", "twilight", "daybreak", "nighttime", "daytime",
                "lunchtime", "teatime", "dinnertime", "suppertime",  # and a meal's time ("a kitchen at lunchtime:")
                # and the days and seasons a scene is set on ("the night before Christmas: sleigh bells jingle")
                "christmas", "halloween", "easter", "eve", "weekend", "monday", "tuesday", "wednesday", "thursday",
                "friday", "saturday", "sunday", "summer", "winter", "autumn",
                "o'clock"}  # a time on a clock, read as this word in a heading ("Bedroom, 3 am: ...")
# The words of a scene's heading: a place, a time of day, a label ("a forest at night:", "INT.
# KITCHEN - NIGHT:", "Ambience:", "Sounds:"); a part before a colon with any other word names a sound.
_HEADING_WORDS = set("""a an the at in on of by after before inside outside int ext interior exterior day night dawn dusk morning
evening afternoon midnight noon forest woods wood street city town village kitchen workshop garage office room bedroom
bathroom house home cabin barn farm field beach shore coast park garden cave church station airport harbor harbour port
market cafe restaurant bar factory warehouse school hospital library alley road highway bridge tunnel basement attic
hallway corridor lobby stadium arena mountain mountains desert jungle lake meadow harbourside dock docks scene setting
location place sounds sound effect effects special needed description audio design soundscape events breakfast lunch
dinner supper ambience ambiences ambient background
foreground mix bed layers amb atmos atmosphere shot wide medium tracking establishing aerial opening closing final pov
closeup close up extreme montage angle
bg fx sfx spot foley cue cues living dining lounge hall studio shop store supermarket mall gym platform hotel apartment
flat porch yard backyard rooftop roof balcony countryside suburb suburbs neighborhood neighbourhood camp campsite
battlefield construction site swamp marsh riverbank island valley hill hills canyon prairie lab laboratory classroom
courtroom castle dungeon temple prison cell bakery diner pub tavern inn saloon casino theater theatre cinema museum
gallery zoo playground schoolyard parking lot shed mill mine cellar laundromat plan step
quiet busy empty small big large old dark crowded abandoned cozy cosy late early summer winter spring autumn sunny
foggy misty cold hot warm modern deserted peaceful calm noisy little tiny huge dusty lonely haunted medieval futuristic
spooky creepy open suburban urban rural bustling sleepy my our your his her their stormy rainy windy snowy wet dry
icy frozen humid sunrise sunset over across above o'clock""".split()) | _PLACES | _TIME_OF_DAY  # and a place whose name
# is its ambience ("a farmyard morning:", "a seaside at dawn:"), and every time of day ("a busy kitchen at midday:")
# A part of these words alone, one of them a time of day ("at night, an owl hoots", "after dark, ..."), says when, not a sound
_WHEN_WORDS = {"at", "in", "on", "the", "a", "one", "this", "that", "last", "every", "of", "after", "before", "during",
               "late", "early", "by", "around", "until", "till"}
# Rooms, whose name says where, not what sounds (a street, a forest or a beach has a sound of its own)
_ROOMS = set("""kitchen office room bedroom bathroom house home cabin garage workshop hallway corridor lobby basement attic
apartment flat studio shop store lab laboratory classroom library hospital hotel cellar shed living dining lounge""".split())


_SLUG = re.compile(r"(?:int|ext|int\.?\s*/\s*ext|ext\.?\s*/\s*int|i\s*/\s*e)", re.I)  # a screenplay's scene heading
# A heading's words that say what follows it is the bed ("Ambience: forest, birds", "Background: traffic, a siren")
_BED_LABELS = {"ambience", "ambiences", "ambient", "amb", "atmos", "atmosphere", "background", "bed", "bg", "layers"}
# A cue sheet's labels, which may head a line with a dash too ("SFX - a door slams at 3 s")
_LABELS = _BED_LABELS | {"sfx", "fx", "foley", "spot", "cue", "cues", "events", "sounds"}


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
    ("Thunderstorm: heavy rain, ..."). The parts listed after a heading that labels the bed
    (``_BED_LABELS``: "Ambience: forest, birds") last throughout, each without a time of its own."""
    out, run = [], []  # run: the parts of heading words since the last sound
    bed = False  # after a heading that labels a bed, up to the end of its list: each part a layer throughout
    pieces = _without_slug(pieces)
    for k, (piece, sep) in enumerate(pieces):
        words = re.findall(r"[a-z']+|\d", _CLOCK_TIME.sub(" o'clock ", piece.lower()))  # "3 am": a time of day
        if not out and not run and set(sep) <= set("-\u2013\u2014") and sep and k + 1 < len(pieces) and words and (
                set(words) <= _HEADING_WORDS or words[-1] in _SCENES and _titles(_clean(piece), pieces[k + 1:])):
            # "Kitchen - ...", "Basketball game - crowd cheering, ...": a heading's dash, as its colon; not a sound's
            # before the sounds after it ("explosion - debris falling, people screaming": a dash between sounds)
            sep = ":"
        if _TRANSITION.fullmatch(piece.strip()) and (piece.strip().isupper() or sep == ":"):  # "CUT TO:": no sound
            continue
        if set(words) & _TIME_OF_DAY and set(words) <= _TIME_OF_DAY | _WHEN_WORDS:  # "at night, ...": when, not a sound
            if sep == ":" or sep in (".", "!") and not out:  # "Kitchen, morning: ...": the place before it, a heading
                run = []
            continue
        place = _LAYER_PLACE.search(_clean(piece))  # "A thunderstorm over a city: ...": where it is heard, no sound
        where = re.findall(r"[a-z']+", place[0].lower())[1:] if place else []
        title = _clean(piece)[:place.start()] if where and set(where) <= _HEADING_WORDS else _clean(piece)
        if (not out and sep == ":" and k + 1 < len(pieces) and is_background(title)
                and len(re.findall(r"[a-z']+", title.lower())) <= 3
                and _bed_only(_THROUGHOUT.sub("", _clean(pieces[k + 1][0])))):  # "Thunderstorm: heavy rain, ...": a title
            run, bed = [], bool(set(words) & _BED_LABELS)
            continue
        if not out and not run and sep == ":" and _titles(title, pieces[k + 1:]):  # "a car chase: engines roar, ..."
            continue
        label = sep == ":" or sep == "-" and set(words) <= _LABELS  # "SFX:" after a bed's list too, "SFX - ..."
        # a first sentence of a few words that ends with a room, whatever its words before it ("Horror corridor."; not
        # "Footsteps in the hallway.": a sound where it is heard)
        room = (not out and not run and sep in (".", "!") and 0 < len(words) <= 4 and words[-1] in _ROOMS
                and not _WHERE.search(_clean(piece)))
        if words and (room or all(w in _HEADING_WORDS or w.isdigit() for w in words)) and (not bed or label):
            # "Scene 2:" up to a colon: a heading, dropped; so is a first sentence of a place at a time of day ("Forest
            # at dawn.") or of a room ("An office.", "Kitchen."; not "A busy street.": its sound)
            dated = not out and not run and sep in (".", "!") and set(words) & (_TIME_OF_DAY | _ROOMS)
            run = [] if label or dated else run + [(piece, sep)]
            bed = sep == ":" and bool(set(words) & _BED_LABELS)
            continue
        if bed and not re.search(r"\d", piece) and not _THROUGHOUT.search(piece) and not _now_and_then(piece):
            piece = " and ".join(f"{_clean(m)} throughout" for m in _together(_AND.sub("", piece)))
        bed = bed and sep == ","
        out += run + [(piece, sep)]
        run = []
    return out + run or pieces


def _clause(piece: str) -> bool:
    """Whether a part says a thing and what it does: "a siren wails", "engines roar"; not "barks
    twice", "a loud crack", "it growls"."""
    words = _clean(piece).lower().split()
    return bool(words) and words[0] not in ("it", "they", "he", "she", "someone", "somebody") and bool(
        _subject(" ".join(words)))


# Words that name a scene, not a thing that sounds: "a boxing match: punches, grunts" is no match that punches
_SCENES = set("""fight fights brawl match game battle chase party race robbery heist concert show duel shootout gunfight
fistfight riot protest parade festival wedding ceremony celebration ambush raid attack escape getaway pursuit
standoff showdown ring""".split())


def _titles(title: str, rest: list[tuple[str, str]]) -> bool:
    """Whether a description's first part before a colon is the title of the scene after it, no
    sound: a thing without a verb, of four words at most, before at least two sounds in their own
    words (``_own_sound``: "a car chase: engines roar, tires squeal, a siren wails", "A saloon fight:
    piano playing in the background, glasses shatter"), or ending in a word of a scene (``_SCENES``:
    "a fight: punches, kicks"). Not "thunder: a loud crack, then a rumble" nor "a dog: barks, then
    growls": what follows says how it sounds."""
    words = re.findall(r"[a-z']+", title.lower())
    return (0 < len(words) <= 4 and not _clause(title) and not re.search(r"\d", title) and bool(rest)
            and (words[-1] in _SCENES or len(rest) >= 2 and all(_own_sound(piece) for piece, _ in rest[:2])))


def _own_sound(piece: str) -> bool:
    """Whether a part names a sound in words of its own: a thing and what it does (``_clause``: "glasses
    shatter"), a thing doing it ("piano playing in the background"), or a background ("distant traffic")."""
    said = _clean(_TIME_TAIL.sub("", piece))
    return _clause(said) or bool(_DOING.match(said)) or is_background(said)


_DOING = re.compile(r"^(?:an?\s+|the\s+|some\s+)?[a-z'-]+(?:\s+[a-z'-]+)?\s+[a-z]{3,}ing\b", re.I)  # "piano playing"


# What a thing is doing, said after its name and a colon: an -ing word and no thing of its own ("wind: howling",
# "a dog: barking twice", "thunder: rumbling in the distance"; not "Thunderstorm: howling wind, ...")
_DOING_AFTER = re.compile(rf"[a-z]{{3,}}ing(?:\s+(?:{_WHERE_WORDS}|at|from|between|for|until|till|once|twice|thrice"
                          rf"|again|away|off|up|down|out|(?:{_NUMBER}|\d+)\s+times|[a-z]+ly|\d)\b.*)?", re.I)


def _named_first(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pieces`` with a first part before a colon (or a dash) that names only a thing made the subject of
    the verb after it: "a dog: barks twice, then growls" (or "a dog - barks ...") is "a dog barks twice, then growls"
    ("Door: opens at 2 s, ...", "a dog: it barks, ..."), or of what it is doing (``_DOING_AFTER``:
    "wind: howling" is "wind howling"); not a scene's title (``_SCENES``)."""
    if len(pieces) < 2 or not (pieces[0][1] == ":" or set(pieces[0][1]) <= set("-\u2013\u2014")) or _clause(
            pieces[0][0]) or re.search(r"\d", pieces[0][0]):  # "a dog: barks ...", "a dog - barks ..."
        return pieces
    thing, (piece, sep) = _clean(pieces[0][0]), pieces[1]
    words, named = _clean(piece).split(), re.findall(r"[a-z']+", thing.lower())
    if not 0 < len(named) <= 4 or set(named) <= _HEADING_WORDS or named[-1] in _SCENES or not words:
        return pieces  # "Scene:", "Sounds:", "a fight: punches, kicks": no thing
    if words[0].lower() in ("it", "they") and len(words) > 1:
        words = words[1:]
    doing = bool(_DOING_AFTER.fullmatch(" ".join(words))) and (words[0].lower() not in _NOT_GOING_ON  # not "lightning"
                                                               or _stems(words[0]) <= _SOUND_VERB_STEMS)  # "walking"
    if not doing and words[0].lower() not in _SOUND_VERBS and not _plural_verb([named[-1], words[0].lower()], 1):
        return pieces  # "two dogs: bark at 2 s" has its verb
    return [(f"{thing} {' '.join(words)}", sep), *pieces[2:]]


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


def _thing(caption: str) -> str | None:
    """The thing a caption's sound is of, without its article ("engine" of "an engine idles"; ``_subject``)."""
    subject = _subject(caption)
    return _ARTICLE.sub("", subject).lower() if subject else None


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
# "wind in the trees", "wind howls outside": where it is says nothing of a change
_LAYER_PLACE = re.compile(rf"\s+(?:{_PLACE}|outside|outdoors|indoors|inside|overhead)$", re.I)


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
        return is_background(_clean(member)) and all(w in _LAYER_WORDS or w in _BACKGROUND or w in _BIRDS or w in _PLACES
                                                     or w.endswith("ing") and w not in _CHANGING for w in words)

    return not re.search(r"\d", piece) and all(layer(m) for m in _together(piece))


# -ing words that name a thing ("a wedding bell"), or a way from place to place ("someone walking
# on gravel, a door opens at 5 s": the walk comes to the door), not what goes on in a scene
_NOT_GOING_ON = {"something", "nothing", "anything", "everything", "morning", "evening", "ceiling", "building", "string",
                 "strings", "spring", "swing", "thing", "things", "wedding", "clothing", "railing", "pudding", "lightning",
                 "walking", "speeding", "driving", "running", "jogging", "marching", "trotting", "galloping", "limping", "stumbling", "sprinting",
                 "hurrying", "rushing", "climbing", "crawling"}


_TIME_FIRST = re.compile(r"^(?:(?:and|then)\s+)?(?:at|from|between)\s+\d", re.I)  # "at 3 s a dog barks"

# -ing words of a thing done once ("a glass breaking", "a door slamming"): a sound at a time, not one that goes on
_ONCE_DOING = {"breaking", "shattering", "slamming", "exploding", "popping", "snapping", "crashing", "smashing",
               "bursting", "cracking", "dropping", "falling", "landing", "hitting", "closing", "opening", "firing",
               "shooting", "banging"}


def goes_on(caption: str) -> bool:
    """Whether a caption is a sound that goes on over a span, not one at a time: a background (rain, an engine), one
    of steps or strokes (footsteps: ``is_iterative``), or a thing said doing it with an -ing word and no verb of its
    own ("bicycle wheels rolling on a road", "a dog barking"; not "a car driving by", which comes and goes, nor "a
    glass breaking", done once: ``_ONCE_DOING``)."""
    words = re.findall(r"[a-z']+", caption.lower())
    doing = [w for w in words if w.endswith("ing") and len(w) > 4 and w not in _NOT_GOING_ON and w not in _CHANGING]
    return is_background(caption) or is_iterative(caption) or bool(
        doing and doing[0] not in _ONCE_DOING and not _SOUND_VERBS & set(words))


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
    ambience = sum(is_background(m) for piece, _ in pieces[:first] for m in _together(piece))
    room -= sounds_counted(0, ambience, room)
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
        if (k and pieces[k - 1][1] in (",", ";", "and") and any(_TIME_TAIL.search(p) for p in out)
                and not re.search(r"[a-z]", sep)  # not "rain, then ...", nor "rain until 8 s" (rain, then its stop)
                and (_now_and_then(_AND.sub("", piece)) or _bed_only(_THROUGHOUT.sub("", _AND.sub("", piece))))):
            # after a sound at a time, and not "then": a layer of the whole scene ("rain, thunder at
            # 2 s, wind gusts now and then"; "a dog barks at 2 s, rain"), not what comes after that sound; each of
            # "wind and traffic (all along)"
            piece = " and ".join(f"{m} throughout" for m in _together(_THROUGHOUT.sub("", _AND.sub("", piece))))
        layer = _AND.sub("", piece)  # ", and wind": wind; not ", later wind"
        layers = _together(out[-1]) if k and out and pieces[k - 1][1] in (",", ";") else []  # the ambience so far
        if (layers and _bed_only(layers[0]) and all(_bed_only(m) or _now_and_then(m) for m in layers)
                and (_bed_only(layer) or _now_and_then(layer))):
            out[-1] = f"{out[-1]} while {layer}"
            continue
        start = _STARTING.match(piece)
        if (start and out and not re.search(r"\b(?:at|from|between)\s+\d", out[-1]) and not _BARE.match(out[-1])
                and k and (sep != "," and pieces[k - 1][1] == "," or re.fullmatch(r":|[-\u2013\u2014]+", pieces[k - 1][1]))):
            # "a dog barks every 2 s, starting at 10 s", "a knock every 0.5 s for 2 s, at 2 s" (a length is no time):
            # its start (before a comma, the next sound's: "X, at 3 s, Y");
            # after a dash or a colon, a cue sheet's time: "door slam - 6s", "door slam - 6s, glass break - 8s"
            how = "from" if _OCCASIONALLY.search(_SCATTERED.sub(" occasionally", out[-1])) else (start["how"] or "at").lower()
            out[-1] = f"{out[-1]} {how} {start['t'] or start['t2']}"
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
        # "X at 2 s and at 7 s, Y at 4 s": X's, Y has its own (a length is no time: "at 2 s, a beep for 1 s")
        again = ahead is not None and re.search(r"\s(?:at|from|between)\s+\d", ahead, re.I)
        lead = lead if lead and ahead is not None and (not out or sep == ",") and not _leans(ahead) and not again else None
        if along and out:
            out[-1] = f"{out[-1]} while {along}"
        elif (along or lead) and ahead is not None:
            joined = f"{ahead} while {along}" if clause else f"{along} while {ahead}"  # in the order said
            pieces[k + 1] = (joined if along else f"{lead.group()} {ahead}", pieces[k + 1][1])
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


def _without_camera(text: str) -> str:
    """``text`` without its camera directions (``_CAMERA_ON``): "Close on the kettle: it whistles"
    is "the kettle whistles"; "CLOSE ON the kettle." alone names no sound, while "We see a dog
    barking" is the dog's bark (the thing does something: a verb or an -ing word)."""
    def said(m: re.Match) -> str:
        if m["it"]:
            return m["thing"]
        sounding = _subject(m["thing"]) or re.search(r"[a-z]{3}ing\b", m["thing"], re.I)
        return f"{m['thing']}{m['end']}" if sounding else ""

    return _CAMERA_ON.sub(said, text)


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
    description = until_said(description)  # "rain til 6 s": until 6 s
    parts = []  # (text, once): once, a part is one sound ("X once", one of "X twice")
    last = None  # the sound the part before names
    comer = None  # the thing the last part that says one comes names ("a train approaches")
    for fade in _FADES.finditer(description):  # the sound plays on, at its level
        if notes is not None:
            notes.append(f"{_clean(fade.group())!r} is not applied: a sound keeps its level along its span (to end "
                         "one sooner: make X stop at T s)")
    said = _IT_RAINS.sub(lambda m: _WEATHER[m["w"].lower()],
                         _AFTER_DARK.sub("", _without_camera(_SCRIPT_MARK.sub("", _REQUEST.sub("", should_said(description),
                                                                                                count=1)))))
    said = _WHERE_FIRST.sub(_where_after, said)
    if together := _at_once(said):  # "rain, wind and thunder, all at once": each a layer, as many as they are
        if len(together) == 1 and notes is not None:
            notes.append(f"{said.strip()!r} says one sound, {_clean(together[0])!r}: nothing to lay together with it")
        said, max_simultaneous = " with ".join(together), min(max(max_simultaneous, len(together)), MAX_EVENTS)
    said = _TOGETHER.sub(lambda m: m["x"] if len(_together(m["x"])) > 1 else m[0], said)
    said = _ALLOWED_TO.sub(r"\g<a> ", said)  # "allow the rain to fade at 5 s": the rain fades at 5 s
    for m in _AT_CLOCK_TIME.finditer(said):  # "an owl hoots at 3 am": when in the day, not on the bed
        if notes is not None and not re.match(r"\s*:", said[m.end():]):  # not a heading's: "Kitchen at 11 pm:"
            notes.append(f"{m[0].strip()!r} is a time of day, not a time on the bed: left out (a time on the bed: "
                         "'at 2 s')")
    said = _AT_CLOCK_TIME.sub("", said)
    said = PACE_AFTER_COMMA.sub(" ", said)  # "footsteps on gravel, 2x faster": its pace
    for m in _WITH_QUALIFIER.finditer(said):  # of the sound its clause names
        if notes is not None:
            # its last clause with words ("rain, and gets heavier": rain)
            clause = next((c for c in reversed(re.split(r"[,;.]", said[:m.start()]))
                           if _LEADING.sub("", _clean(c))), "")
            notes.append(_qualifier_note(m["q"], _TIME_TAIL.sub("", _clean(clause))))
    said = _WITH_QUALIFIER.sub("", said)
    for m in _CHANGE_AT_END.finditer(said):  # "rain that gets louder", "the wind howls louder and louder"
        if notes is not None:
            clause = next((c for c in reversed(re.split(r"[,;]|\.(?!\d)", said[:m.start()]))
                           if _LEADING.sub("", _clean(c))), "")  # "rain starts, then gets heavier": rain
            notes.append(_qualifier_note(m["q"], _TIME_TAIL.sub("", _clean(clause)), m["w"] and f"getting {m['w']}"))
    said = _CHANGE_AT_END.sub("", said)
    text = _FADES.sub("\0", said)  # marked where a fade was, for what is left of its clause
    text = _FADED_AGAIN.sub(lambda m: "" if _stems(m["x"]) <= _stems(text[:m.start()]) else m[0], text).replace("\0", "")
    text = _AND_RIGHT_AFTER.sub(lambda m: m[0] if _names_one_before(text, m) else ", then ", text)
    # "a dog barks, then a door opens and shuts right after": the "and" (or comma) of a text the backbone learned is
    # its own
    learned = _learned_spans(text)
    text = _AND_AFTER.sub(lambda m: m[0] if any(a < m.start() < b for a, b in learned) else f", then {m['x']}", text)
    learned = _learned_spans(text)
    text = _COMMA_AFTER.sub(lambda m: m[0] if any(a < m.start() < b for a, b in learned) else f", then {m['x']}", text)
    text = _AFTER_ALONE.sub("", text)
    text = _SCATTERED.sub(" occasionally", relative_times(said_times(in_seconds(text), duration_s)))
    text = _UNTIL_CLAUSE.sub(_until_then, _STOPPING_AT.sub(",", text))
    text = _STOP_AND.sub(r"\g<s>, then ", text)  # "the rain stops at 5 s and birds start singing": then the birds
    text = _CLAUSE_FIRST.sub(lambda m: m[0] if m["c"].split()[-1].lower() in _NOT_CLAUSE_END else f"{m['c']}, ", text)
    text = _BEFORE_FIRST.sub(lambda m: f"{m['x']}, then {m['y']}", text)
    text = _STRUCK.sub(lambda m: f"{m['v']} {m['n']} times" if _count(m["n"]) <= MAX_REPEATS else m[0],
                       text)  # "strikes twelve": more than are laid one by one, the one sound said
    text = _SAID_AGAIN.sub(lambda m: f"a {m['w'].lower()} {len(re.findall(r'[a-z]+', m[0]))} times", text)
    text = _COUNT_AND_VERB.sub(lambda m: f"{m['n']}, then " if m["v"].lower() in _SOUND_VERBS or _STOPS.match(m["v"])
                               else m[0], text)
    text = _times_said(text)
    text = _COUNT_CLAUSE.sub(lambda m: " " + m["n"].replace(",", ""), text)
    layered = []  # the captions of sounds that go on under the timed ones, in turn (``_joined``)
    for seq in _joined(_listed(_without_heading(_without_qualifiers(_named_first(_ended(_pieces(text))), notes))),
                       layered, max_simultaneous):
        seq, last = _named(seq, last, comer)
        comer = _comer(seq) or comer
        before_after = _AFTER.split(seq, maxsplit=1)
        for part in list(reversed(before_after)) if len(before_after) == 2 else [seq]:
            repeat, times = (None, 1) if len(_together(part)) > 1 else _repeats(_clean(part))
            parts += ([(p, True) for p in _repeated(repeat["c"], repeat["t"] or "", times, duration_s, notes)]
                      if repeat else [(part, False)])
    timed, segments = [], [[]]  # segments: the groups between two wholly timed parts
    whole = []  # the captions said to sound "throughout"
    under = []  # those said to sound "in the background"
    said = []  # the captions of the parts so far
    for position, (part, once) in enumerate(parts):
        group, placed = [], []  # group: (caption, own length or None, once, times, period) sharing a slot
        members = [m for c in _together(part) if (m := _ANOTHER.sub(lambda a: "an " if a["v"] else "a ",
                                                                     _TRAILING.sub("", _LEADING.sub("", _clean(c)))))]
        whole += [_clean(_THROUGHOUT.sub(" ", m)) for m in members if _THROUGHOUT.search(m)]
        under += [_clean(_THROUGHOUT.sub(" ", m)) for m in members if _IN_THE_BACKGROUND.search(m)]
        members = [_clean(_THROUGHOUT.sub(" ", m)) for m in members]
        if not all(members):
            raise PlanError(f"{_clean(part)!r} names no sound; say which ('wind throughout')")
        if any(m.lower() in _DETERMINERS for m in members):  # "a", "the": no sound
            raise PlanError(f"{_clean(part)!r} names no sound; say which ('a dog barks')")
        for caption in members:
            stop = _STOPS.match(caption) if position + 1 < len(parts) else None  # last, it is the silence to the end
            if stop and (not stop["named"] or any(_stems(stop["named"]) <= _stems(c) for c in said)):
                group.append((caption, 0.0, True, 1, None))  # "then it stops, then X": no time of its own
                continue
            said.append(caption)
            throughout = caption in whole
            caption, scattered = _scattered(caption)
            if scattered:  # over its own span, the whole timeline, or in turns over its slot (``times`` None)
                event = _timed_event(caption, duration_s, once=True, notes=notes)
                if event is None and throughout:
                    timed += _scatter(_untimed(caption)[0], 0.0, duration_s)
                    continue
                placed += _scatter(event["caption"], event["start_time"], event["end_time"]) if event else []
                group += [] if event else [(*_untimed(caption), True, None, None)]
                continue
            repeat, times = _repeats(caption) if len(members) > 1 else (None, 1)  # "X twice while Y": X repeats
            pieces = _repeated(repeat["c"], repeat["t"], times, duration_s, notes) if repeat and repeat["t"] else []
            if pieces and _TIMED.match(pieces[0]):  # "X twice at 3 s while Y": placed where it says
                placed += [_timed_event(p, duration_s, once=True, notes=notes) for p in pieces]
            elif repeat:  # in turn over its slot, or over the "for N s" it gives
                group.append((repeat["c"], _untimed(pieces[0])[1] * times if pieces else None, True, times, None))
            else:
                beside = caption in whole and any(m not in whole for m in members)  # "X at 6 s while wind blows throughout"
                caption, period = _rhythm(caption, counted=once)
                event = _timed_event(caption, duration_s, once, period, notes)
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
    # the sounds said after a one-shot at several times ("a bell at 0 s and 9 s, punches on a bag"), with no room after
    # its last time, follow its first
    for k in range(len(segments) - 1, 1, -1):
        anchor, groups, first = segments[k][0], segments[k][1:], segments[k - 1]
        stop = min(e["start_time"] for e in segments[k + 1][0]) if k + 1 < len(segments) else duration_s
        if (groups and len(first) == 1 and {e["caption"] for e in anchor} == {e["caption"] for e in first[0]}
                and not any(is_background(e["caption"]) or e["period_s"] or _rings_on(e, duration_s) for e in anchor)
                and stop - max(e["end_time"] for e in anchor) < 0.25 * len(groups)):
            first += groups
            del segments[k][1:]
    # and those said before a sound at the bed's start follow it: nothing comes before 0 s ("punches on a bag, a bell at
    # 0 s"; not "rain, a bell at 0 s", a background that plays on under it)
    if len(segments) > 1 and min(e["start_time"] for e in segments[1][0]) <= 0:
        beneath = [g for g in segments[0] if all(is_background(c) and own is None for c, own, *_ in g)]
        segments[1][1:1] = [g for g in segments[0] if g not in beneath]
        segments[0] = beneath
    events, slot_ends = [], []
    for k, segment in enumerate(segments):
        groups = segment[1:] if k else segment  # a later segment starts with its anchor
        if not groups:
            continue
        # after a background or a rhythm placed from a time to the end ("rain at 3 s", "a clock ticks every second
        # at 1 s") or a sound that rings on ("an explosion at 1.5 s": RINGING_LENGTH_S), what follows comes in
        # TIMED_LENGTH_S, over its tail and after a stop ("wind, then it stops at 6 s, then ..."), at its time
        begin = max(e["start_time"] if _STOPS.match(e["caption"]) else min(e["end_time"], e["start_time"] + TIMED_LENGTH_S)
                    if _rings_on(e, duration_s) and not _crowded(e, events + timed, max_simultaneous)
                    or (is_background(e["caption"]) or e["period_s"] is not None) and e["end_time"] >= duration_s - 1e-9
                    else e["end_time"] for e in segment[0]) if k else 0.0
        stop = min((e["start_time"] for e in segments[k + 1][0]), default=duration_s) if k + 1 < len(segments) \
            else duration_s
        fixed = [max((n for _, n, *_ in g if n is not None), default=None) for g in groups]
        # a pause beside a run of its own length ("two knocks, a pause, then a knock") is PAUSE_S, not all the rest
        fixed = [_pause(g) if n is None and any(0 <= j < len(fixed) and fixed[j] is not None for j in (i - 1, i + 1))
                 else n for i, (g, n) in enumerate(zip(groups, fixed))]
        flexible = sum(n is None for n in fixed)
        free = stop - begin - sum(n for n in fixed if n is not None)
        beds = duration_s - begin >= 0.25 and all(is_background(c) and own is None and times == 1 and not once
                                                  for g in groups for c, own, once, times, _ in g)  # play on past slots
        if free < (0.25 * flexible if flexible else -0.05) and not (beds and free >= 0):
            captions = [c for g in groups for c, *_ in g]
            names = ", ".join(captions[:3]) + (f" and {len(captions) - 3} more" if len(captions) > 3 else "")
            it, its = ("it", "its") if len(captions) == 1 else ("them", "their")
            after = "; ".join(f"{e['caption']!r} at {seconds_said(e['start_time'])}-{seconds_said(e['end_time'])} s"
                              for e in segment[0]) if k \
                else ""
            fix = (f"the bed is {duration_s:g} s long: give {it} a shorter length, or make the bed longer"
                   if any(n is not None and n > duration_s + 1e-9 for n in fixed) else  # no time of its own fits it
                   f"give {it} a time of {its} own ('{captions[0]} at T s')"
                   f"{f', or the sound before {it} a shorter length (for N s)' if after else ''}")
            need = f"{'it needs' if len(captions) == 1 else 'they need'} {stop - begin - free + 0.25 * flexible:g} s"
            if stop < begin:  # the next timed sound starts before the one they follow ends: no span at all
                then = min(segments[k + 1][0], key=lambda e: e["start_time"])
                raise PlanError(f"no room for {names!r} after {after}: the next timed sound, {then['caption']!r} at "
                                f"{seconds_said(stop)} s, starts before that ends; {fix}")
            raise PlanError(f"no room for {names!r}: {stop - begin:g} s are free between {begin:g} and "
                            f"{stop:g} s{f' (after {after})' if after else ''}, and {need}; {fix}")
        slot = free / flexible if flexible else 0.0
        t = begin
        for i, (group, length) in enumerate(zip(groups, fixed)):
            span = length if length is not None else slot
            last = group is groups[-1] and length is None  # the last slot ends exactly at its bound
            slot_end = stop if last else t + span
            later = {_thing(c) for g in groups[i + 1:] for c, *_ in g} - {None}
            for caption, own, once, times, period in group:
                # a background plays on past its slot, unless the same thing sounds on in turn ("an engine
                # starts, then idles": its start ends where its idling begins), and so does a sound given a
                # rhythm when a sound at a time comes next ("a clock ticks every second, a phone rings at 4 s");
                # one of "a crowd cheers twice" keeps its slot, as a rhythm does when a sound comes in turn after it
                plays_on = ((is_background(caption) and _thing(caption) not in later or last and period is not None)
                            and times == 1 and not once)
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
    if notes is not None:
        notes.extend(_level_notes(events + timed))
    return _vary_repeats(_held(events, slot_ends, timed, duration_s, max_simultaneous, notes, layered))


# A level said in a sound's own words ("a faint knock", "distant thunder", "a dog barks in the distance"): the
# backbone hears the words, but each sound is leveled alike in the mix, so they set no level of their own
_LEVEL_WORDS = re.compile(r"\b(?:(?:very|really|quite|extremely|slightly)\s+)?(?:(?P<up>loud(?:ly)?|deafening|booming)"
                          r"|faint(?:ly)?|quiet(?:ly)?|soft(?:ly)?|distant|barely\s+audible)\b(?!\s+of\b)", re.I)  # not "the quiet of"
_FAR = re.compile(r"\b(?:in\s+the\s+distance|far\s+(?:away|off))\b", re.I)  # where it is heard from


def _level_notes(events: list[dict]) -> list[str]:
    """A note for each caption of ``events`` that says its level in its words (``_LEVEL_WORDS`` said of
    the sound, not of where it is, "a clock ticks in a quiet room"; ``_FAR``) and is given no gain: it is
    leveled as any other, and how to set its level once the bed is made (not of a background, leveled
    under the rest already)."""
    notes = []
    for caption in dict.fromkeys(e["caption"] for e in events if not e.get("gain_db") and not is_background(e["caption"])):
        head = _WHERE.split(caption, maxsplit=1)[0]
        if m := _LEVEL_WORDS.search(head) or _FAR.search(caption):
            thing = _clean(_FAR.sub("", _LEVEL_WORDS.sub("", _subject(head) or head)))
            thing = re.sub(r"^(?:a|an|the|some)\s+", "", thing, flags=re.I)
            if not thing or thing.split()[0].lower() in _NOT_CLAUSE_END:  # no sound's name to say: "loud" alone
                continue
            louder = bool(m.groupdict().get("up"))
            notes.append(f"{m[0]!r} in {caption!r} sets no level: each sound is leveled alike in the mix (once the bed "
                         f"is made: 'make the {thing} {'louder' if louder else 'quieter'} by 6 dB')")
    return notes


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
    play, as ``validate`` counts them (:func:`crowding`: the steady backgrounds that play together one)."""
    spans, begun = [], None
    for t, n in crowding([(e["start_time"], e["end_time"], is_background(e["caption"])) for e in events],
                         max_simultaneous):
        if n > max_simultaneous and begun is None:
            begun = t
        elif n <= max_simultaneous and begun is not None:
            spans.append((begun, t))
            begun = None
    return spans


PAUSE_S = {"short": 0.5, "": 1.0, "long": 2.0}  # a pause said without a length, beside a sound of its own length


def _pause(group: list[tuple]) -> float | None:
    """PAUSE_S of a slot that is a silence alone with no length of its own ("a pause", "a long
    pause", "silence"), else None."""
    caption, own = group[0][:2]
    m = re.match(r"a\s+(short|long)\s", caption, re.I)
    return PAUSE_S[m[1].lower() if m else ""] if len(group) == 1 and own is None and _SILENCE.match(caption) else None


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


def says_silence(text: str) -> bool:
    """``text`` asks for a silence or for its sounds to stop ("rain, then it stops", "a door slams,
    then silence for 2 s"): a bed whose end is silent on purpose. A silence between sounds ("two
    knocks, a pause, then two more knocks") asks for no silent end."""
    pieces = _pieces(in_seconds(text))
    return any(_STOPS.match(part) or _SILENCE.match(part) for c in _together(pieces[-1][0] if pieces else "")
               if (part := _clean(_TIMED_TAIL.sub("", _clean(c)))))


def _on_timeline(caption: str, start: float, end: float, duration_s: float, edit: str) -> tuple[float, float]:
    """(start, end) of an edited event cut to the timeline; PlanError when none of it is left on it."""
    if start >= duration_s - 0.05 or end <= 0.05:
        near_end = " (a sound starts at least 0.05 s before its end)" if 0 <= start < duration_s else ""
        raise PlanError(f"{edit} puts {caption!r} off the {duration_s:g} s timeline{near_end}")
    return max(0.0, start), min(duration_s, end)
