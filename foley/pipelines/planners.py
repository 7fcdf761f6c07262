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

import json
import os
import re
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from typing import Protocol

from .plan import MAX_EVENTS, Plan, PlanError, is_plan_text, parse_plan, pasted_plan, rhythms_kept
from .rules.description import rules_layout
from .rules.edit_forms import check_not_an_edit, check_turn_said
from .rules.edits import overlap_notes, rules_edit
from .rules.words import _unquoted


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


# The longest description or edit the rules planner reads: 32 sounds fit in far less, and its time grows faster
# than the text does (about 4 s at 4,000 characters, minutes past 10,000)
MAX_TEXT_CHARS = 2000


# A text a refusal quotes whole is shortened to about this many characters, its start and end kept
QUOTED_CHARS = 100


class RulesPlanner:
    name = "rules"

    def __init__(self):
        self.notes: list[str] = []  # what the last plan could not do as said, in a line each (none: it was refused)

    def plan(self, text: str, duration_s: float, previous: Plan | None = None) -> Plan:
        try:
            return self._plan(text, duration_s, previous)
        except PlanError as e:  # a long text quoted whole would bury what the refusal says
            self.notes = []  # of a plan it refused: the refusal alone is said
            said = text.strip() if isinstance(text, str) else ""
            if len(said) <= QUOTED_CHARS or said not in str(e):
                raise
            raise PlanError(str(e).replace(said, f"{said[:QUOTED_CHARS - 25]}...{said[-20:]}")) from None

    def _plan(self, text: str, duration_s: float, previous: Plan | None) -> Plan:
        self.notes = []
        text = unicodedata.normalize("NFC", text)  # "é" typed as e and an accent (as macOS does) is one é
        if is_plan_text(text):  # a plan itself, as --plan-only prints it
            plan = _reuse_seeds(pasted_plan(text, duration_s), previous)
            if previous is not None and plan.duration_s != previous.duration_s:
                raise PlanError(f"the plan is {plan.duration_s:g} s long; this session's bed is "
                                f"{previous.duration_s:g} s")
            return plan
        text = _unquoted(text)  # "'footsteps on dirt, running' from 1 to 4 s": the sound the quotes name
        if len(text.strip()) > MAX_TEXT_CHARS:
            raise PlanError(f"the text is {len(text.strip())} characters long; a description or an edit takes at most "
                            f"{MAX_TEXT_CHARS} (a bed holds at most {MAX_EVENTS} sounds)")
        if m := _DIGIT_COMMA.search(text):  # else "at 3,5 s" is two parts, "at 3" and "5 s"
            raise PlanError(_comma_said(m[0]))
        if previous is not None:
            check_turn_said(text)
            plan = rules_edit(previous, text, notes=self.notes)
            self.notes += overlap_notes(previous, plan)
            return plan
        check_not_an_edit(text)
        return rules_layout(text, duration_s, notes=self.notes)


# ------------------------------------------------------------------- chat planners ---

INSTRUCTIONS = """You plan sound effects for a sound designer. Break the description into short, \
atomic sound events, each one a single sound source, and place them on a timeline of {duration} seconds.
Answer with JSON only: {{"events": [{{"caption": "...", "start_time": seconds, "end_time": seconds}}, ...]}}.
Rules: every time lies between 0 and {duration}; at least one event ends at {duration}; events may \
overlap, but never more than {limit} sounds at the same moment (steady backgrounds that play together, such as rain, \
wind, birds or traffic, count as one sound, up to {limit} of them); \
captions are short and concrete ("a dog barks", \
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
    """Chat messages: instructions (with the limit of sounds at once of ``previous``, else a new bed's), worked
    examples, then the request."""
    messages = [{"role": "system", "content": INSTRUCTIONS.format(duration=f"{duration_s:g}",
                                                                  limit=_at_once_limit(previous))}]
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


def _at_once_limit(previous: Plan | None) -> int:
    """The most sounds at once a chat planner's plan may play: the edited bed's limit, else a new bed's."""
    return previous.max_simultaneous if previous is not None else Plan.max_simultaneous


def _reuse_seeds(plan: Plan, previous: Plan | None) -> Plan:
    """Unchanged events keep their seed, so that only changed events are generated again, and a rhythm kept where
    it came from (:func:`rhythms_kept`)."""
    if previous is None:
        return plan
    seeds = {(e.caption, e.start_s, e.end_s): e.seed for e in previous.events}
    seeded = replace(plan, events=tuple(replace(e, seed=seeds.get((e.caption, e.start_s, e.end_s), e.seed))
                                        for e in plan.events))
    return rhythms_kept(seeded, previous)


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
        return _reuse_seeds(parse_plan(answer, duration_s, _at_once_limit(previous), reach_end=previous is None),
                            previous)


class OpenAIPlanner:
    """Any OpenAI-compatible `/chat/completions` endpoint."""

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 timeout_s: float = 60.0, retries: int = 2, backoff_s: float = 1.0):
        self.base_url = (base_url or os.environ.get("FOLEY_PLANNER_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
                         or "").rstrip("/")
        self.model = model or os.environ.get("FOLEY_PLANNER_MODEL") or "gpt-4o-mini"
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or ""
        if not self.base_url:
            raise PlanError("the openai planner needs a base URL (foley compose --planner-url, or "
                            "FOLEY_PLANNER_BASE_URL in the environment foley compose or foley ui runs in)")
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
        return _reuse_seeds(parse_plan(answer, duration_s, _at_once_limit(previous), reach_end=previous is None),
                            previous)


def get_planner(spec: str, **kwargs) -> Planner:
    """``rules`` | ``hf:MODEL`` | ``openai``."""
    if spec == "rules":
        return RulesPlanner()
    if spec.startswith("hf:") and len(spec) > 3:
        return HFChatPlanner(spec[3:], **{k: v for k, v in kwargs.items() if k in ("device",)})
    if spec == "openai":
        return OpenAIPlanner(**{k: v for k, v in kwargs.items() if k in ("base_url", "model", "api_key", "timeout_s")})
    raise PlanError(f"unknown planner {spec!r}; use rules, hf:MODEL or openai")
