"""Word-level vocabularies and helpers that the rules planner's reading shares: a caption's words and stems,
sound verbs and a caption's subject, background and iterative sounds and their usual rhythms, silences and stops."""
from __future__ import annotations

import re

_SILENCE = re.compile(r"^(?:(?:a\s+(?:short\s+|long\s+)?)?(?:silence|pause|gap)|nothing|quiet)$", re.I)
# "..., then it stops", "then the rain stops": a silence that ends what sounds when it starts (a
# background held to the end too): everything, or the sounds named before it ("the rain", or
# "rain" said bare; not "an engine stops", a sound of its own); "a crowd cheers, then quiets down", "then the
# birds go quiet"
_STOPS = re.compile(r"^(?:(?:it|they|all|everything|(?:the\s+)?(?P<named>(?!(?:a|an|the)\s)[a-z ]+?))\s+)?"
                    r"(?:stops?|ends?|fades?(?:\s+(?:out|away))?|(?:dies|die)\s+(?:down|away|out)"
                    r"|falls?\s+(?:silent|quiet)|go(?:es)?\s+(?:quiet|silent)|quiet(?:en)?s?\s+down)$", re.I)
# a thing's sound of stopping, said at the end of its caption: "the engine stops", "the crowd quiets down"
_STOP_VERBS = (r"stops|ends|fades\s+(?:out|away)|dies\s+(?:down|away|out)|falls\s+(?:silent|quiet)|goes\s+(?:quiet|silent)"
               r"|quiet(?:en)?s\s+down")  # in the third person
_STOPPING = re.compile(rf"\s(?:{_STOP_VERBS})$", re.I)
_BACKGROUND = {"rain", "wind", "traffic", "crowd", "engine", "motor", "hum", "humming", "ambience", "river", "chatter",
               "chattering", "murmur", "murmuring", "gulls", "seagulls", "pigeons", "frogs", "fridge", "refrigerator",
               "ventilation", "machinery",
               "ocean", "waves", "stream", "applause", "cheering", "music", "drizzle", "storm", "fire", "crackling",
               "rains", "raining", "rainfall", "drizzling", "breeze", "thunderstorm", "waterfall", "surf", "birdsong",
               "sizzle", "sizzles", "sizzling", "frying", "boiling", "boils", "bubbling", "hiss", "hissing", "steam",
               "crickets", "cicadas", "insects", "campfire", "bonfire", "fireplace", "forge", "furnace", "crackles",
               "downpour", "highway", "freeway", "motorway", "restaurant", "cafe", "conditioner", "conditioning",
               "hums", "hovers", "hovering"}
# Places whose name alone is their ambience ("a busy market", "a rainy street at night", "a forest at dawn"): a
# background where it ends its words (or a time of day follows it) and no verb says what a thing there does ("a
# train arrives at the station" is the train's; "an office door" is a door)
_PLACES = {"street", "streets", "city", "town", "village", "market", "marketplace", "station", "forest", "woods", "jungle",
           "beach", "shore", "seaside", "harbour", "harbor", "park", "countryside", "farm", "farmyard", "meadow",
           "swamp", "marsh", "desert", "airport", "stadium", "arena", "battlefield", "playground", "schoolyard",
           "campsite", "suburb", "neighborhood", "neighbourhood", "downtown", "plaza", "bazaar", "mall",
           "supermarket", "casino", "pub", "diner", "canteen", "cafeteria", "office", "classroom", "library",
           "hospital", "factory", "warehouse", "subway", "lobby", "courtyard"}
_PLACE_SAID = re.compile(rf"\b(?:{'|'.join(sorted(_PLACES))})\b(?=\s*$|\s+at\s)", re.I)
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
                   "iron", "cracker", "crackers", "gun", "horn", "siren", "hammer", "hammering"}


# What follows a sound's name to say where it is heard: "a dog barks in the rain", "a glass breaks in a restaurant"
_WHERE_WORDS = r"in|on|under|through|across|into|onto|beneath|behind|inside|outside|near|along|against|amid|amidst"
_WHERE = re.compile(rf"\s+(?:{_WHERE_WORDS})\s+", re.I)


_SHUTS = re.compile(r"[a-z]\s+(?:open|shut|closed)\s*$", re.I)  # "the doors hiss open": a thing done once
_TIME_TAIL = re.compile(r"\s+(?:at|from|between|for)\s+\d.*$", re.I)  # "at 3 s", "from 2 to 6 s", ...


def is_background(caption: str) -> bool:
    """A background sound (rain, wind, crowd, ...): it keeps going, it has no attack to place.
    What a thing has says nothing of it ("a car with a loud engine passes" is no background), nor
    where a thing that does something is heard ("a dog barks in the rain"; but "leaves rustling in
    the wind" is the wind's), nor a bed word that names another thing with the next ("a fire
    alarm rings", "a steam train"); a place named alone is its ambience ("a busy market"); nor the sound of one
    stopping ("the engine stops", "... stops in the garage": ``_STOPPING``) or of one opening or shutting ("the
    doors hiss open")."""
    said = _TIME_TAIL.sub("", caption).strip()
    if any(_STOPPING.search(s) for s in (said, _WHERE.split(said, maxsplit=1)[0])) or _SHUTS.search(said):
        return False
    caption = re.split(r"\s+with\s+", caption, maxsplit=1, flags=re.I)[0]
    head = _WHERE.split(caption, maxsplit=1)[0]
    # a plural's verb not read: "leaves rustle in the wind" is the wind's, as "leaves rustling in the wind" is
    thing = _subject(head, plural=False)
    said = re.findall(r"[a-z]+", (head if thing else caption).lower())
    compound = {k for k, w in enumerate(said[:-1]) if w in _BACKGROUND and said[k + 1] in _COMPOUND_TAILS}
    words = _words(" ".join(w for k, w in enumerate(said) if k not in compound and k - 1 not in compound))
    return bool(words & _BACKGROUND or words & _BIRDS and not words & _BIRDS_MOVE
                or _PLACE_SAID.search(head) and thing is None and not re.search(r"[a-z]ing\b", head, re.I)
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
                   # the same sounds said with a verb ("someone walks on gravel", "a horse gallops", "a clock
                   # ticks": a tick a second, as "drips" is a drip); forms that are as often plural nouns of
                   # one-shots ("three knocks", "thunder claps", "two hammers", "taps", "runs") are left out: their
                   # sound would be laid over the whole span
                   "walks": 0.5, "jogs": 0.36, "trots": 0.35, "gallops": 0.45, "digs": 1.8, "swims": 1.1,
                   "pecks": 0.3, "ticks": 1.0}


OTHER_PERIOD_S = 0.45  # a repeated sound with no usual rhythm in STROKE_PERIOD_S: no faster than this


# A knife's chops on a board come quicker than an axe's: "chopping vegetables", "a knife chopping onions"
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


# Sounds that swell to their loudest and fall away: "a whoosh", "an arrow whooshes past", "a swoosh", "a gust",
# "a riser", "a fly-by", "a passing train", "a car passes", "a jet flies past", "a car drives by", "a truck goes past"
_SWELLS = re.compile(r"\b(?:wh?oosh\w*|swoosh\w*|swish\w*|gusts?|risers?|fly-?bys?|pass-?bys?|pass(?:es|ing)"
                     r"|whizz\w*)\b|\b(?:fl(?:y|ies|ying)|zoom\w*|speed\w*|rush\w*|driv(?:e|es|ing)|go(?:es|ing)?"
                     r"|roar(?:s|ing)?|rac(?:e|es|ing))\s+(?:by|past)\b", re.I)


def swells(caption: str) -> bool:
    """A sound that swells to its loudest and falls away (``_SWELLS``: a whoosh, a gust, a riser, a
    fly-by, a car passing by): said at a time, it is heard at its loudest then, as it passes."""
    return bool(_SWELLS.search(caption))


def peaks_at_its_time(caption: str, fill: bool = False) -> bool:
    """A sound laid (onsets aligned) with its loudest moment at its time, its swell before it: a
    one-shot that swells (:func:`swells`), not one that fills its span nor a background."""
    return not fill and not is_background(caption) and swells(caption)


_PARTICLES = {"open", "shut", "closed", "up", "down", "off", "out", "away", "in", "back", "over"}  # "creaks open"
_VERB = re.compile(r"[a-z'-]*[^s\W\d]s\b", re.I)  # a word that may be a verb ("barks"; not "glass", nor a time, "3s")


_DETERMINERS = {"a", "an", "the", "some", "many", "several", "few", "two", "three", "four", "five", "more", "lots",
                "of", "and", "with", "while"}


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
smashes bumps scratches taps thunders speeds accelerates zooms whizzes leaves reverses revs pulls applauds cheers gasps
shoots shakes answers starts clears chews sniffs gulps slurps mutters mumbles wheezes snarls lunges bites crows caws
hovers""".split())


_PLURALS = {"people", "children", "men", "women", "geese", "mice", "feet", "sheep", "deer", "cattle", "crowd",
            "audience"}


# Things said heavy or light ("heavy rain", "light footsteps", "a heavy door"): "make X heavier" may ask for another take
# of that; of anything else ("a kettle") it is only louder
_SAID_HEAVY = set("rain rainfall downpour snow snowfall footsteps footstep steps breathing traffic impact thud boots "
                  "door gate machinery boulder cart truck object".split())
_SAID_LIGHT = set("rain rainfall drizzle snow snowfall footsteps footstep steps breathing traffic wind breeze "
                  "tapping".split())


def weighted(caption: str, heavy: bool) -> str | None:
    """``caption`` said heavy ("rain" -> "heavy rain", "a door creaks" -> "a heavy door creaks", "light rain" -> "heavy
    rain"), or light, where one of its things is said so (``_SAID_HEAVY``, ``_SAID_LIGHT``); else None."""
    if not _words(caption) & (_SAID_HEAVY if heavy else _SAID_LIGHT):
        return None
    article = _ARTICLE.match(caption)
    rest = re.sub(r"(?i)^(?:heavy|light|soft|gentle|hard)\s+", "", caption[article.end():] if article else caption)
    lead = "" if article is None else "a " if article[0].lower().startswith("a") else article[0]  # "an old door": "a"
    return f"{lead}{'heavy' if heavy else 'light'} {rest}"


def third_person(verb: str) -> str:
    """A verb as a thing's third person ("slam" -> "slams", "crash" -> "crashes", "cry" -> "cries", "come in" ->
    "comes in")."""
    first, _, rest = verb.partition(" ")
    said = (first + "es" if re.search(r"(?:s|sh|ch|x|z|o)$", first) else
            first[:-1] + "ies" if re.search(r"[^aeiou]y$", first) else first + "s")
    return f"{said} {rest}".strip()


# "rain should start at 2 s", "a dog should bark at 3 s", "footsteps should stop at 6 s": what it says the sound does
# ("rain starts at 2 s"), of a verb of a sound or of its start or stop
_SHOULD = re.compile(r"\b(?P<x>[a-z']+)\s+should\s+(?P<v>(?:come|kick|fade)\s+(?:in|out)|[a-z]+)\b", re.I)
_STARTS_OR_STOPS = {"starts", "begins", "stops", "ends", "finishes", "comes in", "kicks in", "fades in", "fades out"}


# "til" ("'til"): until, as "rain til 6 s" says a time a sound lasts to
_TIL = re.compile(r"(?<![\w'])'?til(?=\s)", re.I)


def until_said(text: str) -> str:
    """``text`` with "til" ("'til") said "until": "rain til 6 s" is "rain until 6 s"."""
    return _TIL.sub("until", text)


def should_said(text: str) -> str:
    """``text`` with what it says a sound should do said as what it does (``_SHOULD``): "rain should start at 2 s"
    is "rain starts at 2 s", "dogs should bark" is "dogs bark"."""
    def does(m: re.Match) -> str:
        one = third_person(m["v"].lower())
        if one not in _SOUND_VERBS and one not in _STARTS_OR_STOPS:
            return m[0]
        many = m["x"].lower() in _PLURALS or re.search(r"[^sui]s$", m["x"].lower())  # not "the bus", "the glass"
        return f"{m['x']} {m['v'] if many else one}"

    return _SHOULD.sub(does, text)


def _plural_verb(words: list[str], k: int) -> bool:
    """Whether ``words[k]`` is a sound's verb after a plural ("the doors open", "dogs bark", "birds fly")."""
    w, before = words[k].lower(), words[k - 1].lower()
    return bool({w + "s", w + "es", w[:-1] + "ies"} & _SOUND_VERBS) and (
        before.endswith("s") and not before.endswith("ss") or before in _PLURALS)


def _subject(caption: str, plural: bool = True) -> str | None:
    """The thing a caption's sound is of: its words before its first verb ("a door" of "a door
    creaks open", "the doors" of "the doors open", unless not ``plural``), or None when it has no verb
    after a word of its own ("rain", "thunder")."""
    words = caption.split()
    k = next((k for k, w in enumerate(words) if k and w.lower() not in _DETERMINERS
              and (w.lower() in _SOUND_VERBS or _VERB.fullmatch(w) or plural and _plural_verb(words, k))
              and words[k - 1].lower() not in _DETERMINERS), None)
    return " ".join(words[:k]) if k else None


_ARTICLE = re.compile(r"^(?:an?|the|some)\s+", re.I)


# A person said with no noun of their own ("someone knocks", "somebody is typing"): no name for their sound
_SOMEONE = re.compile(r"^(?:someone|somebody|he|she)\s+(?:(?:is|are)\s+(?P<ing>[a-z]+ing)|(?P<v>[a-z]+))\b", re.I)


def _does(caption: str) -> str | None:
    """What a person said with no noun of their own does in ``caption``, the name an edit gives its sound ("knock" of
    "someone knocks", "type" of "somebody types", "typing" of "someone is typing"); None for any other caption."""
    m = _SOMEONE.match(caption)
    if m is None:
        return None
    return m["ing"] or re.sub(r"(?:(?<=sh)|(?<=ch)|(?<=ss)|(?<=x))es$|(?<!s)s$", "", m["v"])


# A past participle ("dropped", "thrown"), and a caption in the passive voice: "a glass is dropped", "eggs are
# cracked into a bowl"; what is done to it next is said with the participle alone ("..., then closed", "and whisked")
_PARTICIPLE = (r"(?:[a-z]{2,}ed|broken|thrown|caught|struck|hit|shut|torn|drawn|blown|shaken|beaten|spun|swung|flung"
               r"|rung|cut|split|bitten|ground|sawn|dug|stuck|shot|lit|set|put|driven|ridden|taken|eaten|swept|kept|held"
               r"|left|thrust|hung|stung|wrung|sprung|sent|bent|built|brought|bought)")
_PASSIVE = re.compile(rf"^(?P<thing>.+?)\s+(?P<be>is|are|gets|get)\s+(?:being\s+)?{_PARTICIPLE}\b", re.I)


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


# Verbs that name one sound of a thing ("the horse whinnies" of "a horse neighs", "the bell tolls" of "a
# bell rings"): a verb of a group said of a sound is that sound's own; and the nouns a sound is heard as
# where they are not its verb's ("the shot" of "a gun fires", "the blast" of "an explosion"; "the crash"
# of "a glass shatters" is its group's verb). Kept as word stems (``_stems``).
_SOUND_VERB_STEMS = _stems(" ".join(_SOUND_VERBS))  # "knock" of "knocks", "gallop" of "gallops", ...
_ALIKE = [_stems(words) for words in (
    "neighs whinnies nickers", "barks woofs yaps", "meows miaows mews", "rings chimes tolls dings",
    "honks beeps toots blares", "slams bangs", "shatters smashes crashes breaks",
    "explodes booms blasts explosion detonation detonates", "fires shoots shot gunshot gunfire bang",
    "chirps tweets sings", "rumbles rolls", "moos lows", "clucks bawks",
    "footsteps steps walks walking runs running jogs jogging", "shuts closes closed",
    "applauds applause claps clapping", "laughs laughter laughing giggles", "child children kid")]


def _alike(stems: set[str]) -> set[str]:
    """``stems`` with the verbs and nouns that name the same sound (``_ALIKE``)."""
    return stems.union(*(group for group in _ALIKE if group & stems))


_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6, "eighth": 7,
             "last": -1, "final": -1, "1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4, "6th": 5, "7th": 6, "8th": 7}
_ORDINAL_STEMS = _stems(" ".join(_ORDINALS))  # left out of a sound's name: "the first bell" names a bell


# The texts the shipped sound-effects backbone learned (``foley sounds``: sounds.json next to its weights, the
# ``sfx`` of compose's SHIPPED_BACKBONES), each one sound wherever it is said whole: "footsteps on dirt, running" is
# no footsteps, then running
_LEARNED_FILE = "assets/sfx/backbone/sounds.json"


def _learned_sounds() -> list[str]:
    """The texts in ``_LEARNED_FILE``, their words lower case and single-spaced ([] where it is not installed)."""
    import json
    from importlib import resources

    try:
        sounds = json.loads(resources.files("foley").joinpath(_LEARNED_FILE).read_text(encoding="utf-8"))["sounds"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [" ".join(s.lower().split()) for s in sounds if isinstance(s, str) and s.strip()]


LEARNED_SOUNDS = frozenset(_learned_sounds())
# The one-word names among them ("punch", "a gunshot", "thud"), as word stems: said in the plural ("punches on a bag"),
# each is those sounds, not what a thing said before does
_LEARNED_NAMES = frozenset(stem for s in LEARNED_SOUNDS if len(s.split()) == 1 or re.match(r"an?\s+\S+$", s)
                           for stem in _stems(s.split()[-1]))
# Those a comma or a joining word inside would part ("footsteps on dirt, running", "a chisel and mallet on stone",
# "forest ambience with birds"), said whole: one sound, as a pair that names one thing is
_PARTED = sorted((s for s in LEARNED_SOUNDS if re.search(r"[,;]|\b(?:and|with|while|over|as|during|then|after|before"
                                                         r"|followed)\b", s)), key=len, reverse=True)
_LEARNED_SAID = "|".join(r"\s*,\s*".join(r"\s+".join(map(re.escape, p.split())) for p in s.split(",")) for s in _PARTED)
_LEARNED = re.compile(rf"(?<![\w-])(?:{_LEARNED_SAID})(?![\w-])", re.I) if _PARTED else None
# One of them as an alternative of a pattern that reads a part up to its comma: "0:02 footsteps on dirt, running"
_LEARNED_OR = rf"{_LEARNED.pattern}|" if _LEARNED else ""


def _learned_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` says a text the backbone learned that a joining word inside it would part (``_LEARNED``)."""
    return [m.span() for m in _LEARNED.finditer(text)] if _LEARNED else []


# A phrase in quotes ("'footsteps on dirt, running' from 1 to 4 s", '“rain”'): the words said, not the quotes (a
# straight single quote only at a word's edges: not the apostrophes of "the dog's bark", "the dogs' bowls")
_QUOTED = re.compile(r"\"(?P<a>[^\"\n]+)\"|\u201c(?P<b>[^\u201c\u201d\n]+)\u201d|\u2018(?P<c>[^\u2018\u2019\n]+)\u2019"
                     r"|(?<![\w'])'(?P<d>[^'\n]*[^\s'])'(?![\w'])")


def _unquoted(text: str) -> str:
    """``text`` with the quotes around its quoted phrases left out (``_QUOTED``)."""
    return _QUOTED.sub(lambda m: m["a"] or m["b"] or m["c"] or m["d"], text)
