"""foley sounds: what a compose backbone learned."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import FoleyError
from .notes import _note, counted


def _cmd_sounds(args: argparse.Namespace) -> int:
    """The texts a compose backbone learned (``sounds.json``), or the nearest of them to a caption,
    with the note ``foley compose`` would give it."""
    from ..models.known_sounds import SOUNDS_FILE, ranked_sounds, read_known_sounds
    from ..pipelines.compose import backbone_source, caption_notes

    source = backbone_source(args.model)
    known = read_known_sounds(source)
    if known is None:
        raise FoleyError(f"{args.model}: this backbone keeps no list of the sounds it learned ({SOUNDS_FILE} next to "
                         "its weights); the shipped sfx backbone does")
    if args.caption is None or not args.caption.strip():
        if args.caption is not None:
            raise FoleyError("give a caption to compare, e.g. foley sounds 'a car passes', or none for the whole list")
        if args.top is not None:
            raise FoleyError("-n counts the nearest sounds to a caption; the whole list is shown without one")
        print(f"{counted(len(known), 'sound')} the {args.model} backbone learned ({Path(source) / SOUNDS_FILE}):",
              file=sys.stderr)
        print("\n".join(known))
        return 0
    from ..models.layout import LAYOUT_CONDITION
    from ..models.text_condition import load_text_conditioner

    text = load_text_conditioner(source)
    if text.layout != LAYOUT_CONDITION:  # a word-level encoder (demo's): the words it never learned, as compose says
        for note in caption_notes(text, source, _captions(args.caption.strip()), where=False):
            _note(note)
        raise FoleyError(f"{args.model}: its text encoder gives no sentence similarity (Auffusion's condition layout "
                         f"has one); the whole list: foley sounds --model {args.model}")
    for caption in _captions(args.caption.strip()):
        print(f"nearest to {caption!r} of the {counted(len(known), 'sound')} the {args.model} backbone learned "
              "(cosine similarity):")
        ranked = ranked_sounds(text, known, caption, args.top or 10)  # nearest first
        for sound, similarity in ranked:
            print(f"  {similarity:.2f}  {sound}")
        for note in caption_notes(text, source, [caption], where=False):  # as a turn says it, "did you mean" too
            _note(note)
    return 0


def _captions(text: str) -> list[str]:
    """The captions a compose turn would render for ``text`` (the rules planner's: "rain, then a
    dog barks at 3 s" is rain and a dog barking), each once; ``text`` itself when it plans none.
    It is planned on the longest bed, so that a time any bed may have ("at 15 s") is read as one, else
    on the default bed (a sound said to come now and then is too many events on the longest)."""
    from ..pipelines.plan import DURATION_RANGE_S, PlanError
    from ..pipelines.planners import RulesPlanner
    from .compose import BED_SECONDS

    for duration_s in (DURATION_RANGE_S[1], BED_SECONDS):
        try:
            plan = RulesPlanner().plan(text, duration_s)
        except PlanError:  # an edit's words, say: compared as they are
            continue
        return list(dict.fromkeys(e.caption for e in plan.events)) or [text]
    return [text]
