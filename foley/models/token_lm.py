"""The video-to-token language model: frame features + caption -> ``<AUD_x>`` unit ids.

Gemma-2 (``Gemma2ForCausalLM``) with an added vocabulary (``<Video>``, ``</Video>``,
``<Caption>``, ``</Caption>``, ``<AUD_0>`` ... ``<AUD_{K-1}>``), LoRA adapters and trainable
rows for the new tokens through peft, and the temporal connector, which turns frame
features into embeddings spliced between ``<Video>`` and ``</Video>`` of a Gemma chat
prompt (Audio-Agent section 3.4)::

    <bos><start_of_turn>user
    {instruction}
    Video: <Video> v_1 ... v_N </Video>
    Caption: <Caption>{caption}</Caption>
    {request}<end_of_turn>
    <start_of_turn>model
    <AUD_x> ... <AUD_y><eos>

The loss is next-token cross-entropy on the audio tokens and the EOS after them.
Generation is constrained: a clip of T tokens (T = 50 Hz x duration) gets exactly T audio
tokens, then EOS. Batches are left-padded; each row's rotary positions start at its first
real token, in training and in generation alike, so a clip's output does not depend on its
batch.

Positions (``TokenLMConfig.positions``): ``sequential`` numbers the sequence 0, 1, 2, ...
(the paper's). ``time_aligned`` puts the video frames on the audio token grid (frame k at
head + round(k x 50 / 21.5)) and the audio tokens ``aligned_span`` positions after the
video start, so every audio token sits at the same rotary distance from the frame of its
own instant, whatever the clip's length or caption: the alignment becomes a fixed relative
offset that one attention head can learn, instead of a count the LM has to keep.

A saved model is a directory::

    config.json             TokenLMConfig
    tokenizer/              the text tokenizer with the added vocabulary
    trainable.safetensors   connector.* and lm.* (peft's LoRA and new-token weights), float32
    units.json              the fingerprint of the unit tokenizer whose units it learned
                            (``UnitTokenizer.fingerprint``), where training knew it
    base/                   the frozen Gemma-2 weights, only when the base was initialized
                            here (random init: tests, the demo); otherwise config.base names it
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ..config import is_finite_number, is_whole_number
from ..errors import FoleyError
from ..media.files import atomic_dir
from .connector import ConnectorConfig, TemporalConnector, build_connector
from .hub import checked_weights, load_pretrained, quiet_loading

FORMAT = "foley-token-lm"
CONFIG_NAME = "config.json"
TRAINABLE_NAME = "trainable.safetensors"
TOKENIZER_DIR = "tokenizer"
UNITS_NAME = "units.json"
BASE_DIR = "base"
DEMO_DIR = Path(__file__).resolve().parents[1] / "assets" / "demo" / "lm"

VIDEO_OPEN, VIDEO_CLOSE, CAPTION_OPEN, CAPTION_CLOSE = "<Video>", "</Video>", "<Caption>", "</Caption>"
MARKERS = (VIDEO_OPEN, VIDEO_CLOSE, CAPTION_OPEN, CAPTION_CLOSE)
CHAT_TOKENS = ("<start_of_turn>", "<end_of_turn>")
IGNORE_INDEX = -100
POSITIONS = ("sequential", "time_aligned")
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

INSTRUCTION = (
    "You are a Foley artist. You write the sound for a silent video, not the video itself. "
    "The sound has to match what the video shows, both in meaning and in timing. "
    "The video comes as a sequence of frame embeddings between the video markers, and a short "
    "description comes between the caption markers. Answer with audio indices only, each one "
    "written as an AUD token.")
REQUEST = "Write the audio for this video."


def audio_token(i: int) -> str:
    return f"<AUD_{i}>"


@dataclass(frozen=True)
class LoraSettings:
    r: int = 64
    alpha: int = 64
    dropout: float = 0.05
    target_modules: tuple[str, ...] = DEFAULT_TARGETS

    def __post_init__(self) -> None:
        if not is_whole_number(self.r) or not all(is_finite_number(v) for v in (self.alpha, self.dropout)):
            raise FoleyError(f"LoRA r must be a whole number and alpha and dropout numbers, got {self.r!r}, "
                             f"{self.alpha!r} and {self.dropout!r}")
        if not isinstance(self.target_modules, tuple) or not all(isinstance(m, str) for m in self.target_modules):
            raise FoleyError(f"LoRA target_modules must be a list of module names, got {self.target_modules!r}")
        if self.r < 1 or self.alpha <= 0 or not 0 <= self.dropout < 1 or not self.target_modules:
            raise FoleyError("LoRA needs r >= 1, alpha > 0, 0 <= dropout < 1 and at least one target module")


@dataclass(frozen=True)
class TokenLMConfig:
    base: str = "google/gemma-2-2b-it"  # hub id or local folder of a Gemma-2 causal LM; "" = random init
    gemma: dict | None = None  # Gemma2Config fields for a random-init base (vocab_size is set here)
    text_tokenizer: str = ""  # folder of the text tokenizer; "" = the base's own
    n_units: int = 500  # K: <AUD_0> ... <AUD_{K-1}>
    connector: ConnectorConfig = field(default_factory=ConnectorConfig)
    lora: LoraSettings = field(default_factory=LoraSettings)
    use_video: bool = True  # False: the "no video" ablation, prompted with the caption only
    positions: str = "sequential"  # "sequential" (the paper's) or "time_aligned" (see module doc)
    aligned_span: int = 1024  # time_aligned: positions reserved for the video on the token grid
    video_fps: float = 21.5  # time_aligned: the rates that map frame k to token k * token_rate_hz / video_fps
    token_rate_hz: float = 50.0
    instruction: str = INSTRUCTION
    request: str = REQUEST

    def __post_init__(self) -> None:
        if not isinstance(self.base, str) or not isinstance(self.text_tokenizer, str):
            raise FoleyError(f"base and text_tokenizer must be text, got {self.base!r} and {self.text_tokenizer!r}")
        if not isinstance(self.use_video, bool):
            raise FoleyError(f"use_video must be true or false, got {self.use_video!r}")
        if self.gemma is not None and not isinstance(self.gemma, dict):
            raise FoleyError(f"gemma must be a dict of Gemma-2 config fields, got {self.gemma!r}")
        if not self.base and not self.gemma:
            raise FoleyError("the token LM needs a base model (hub id or folder) or a `gemma` config for random init")
        if not is_whole_number(self.n_units) or self.n_units < 1:
            raise FoleyError(f"n_units must be a whole number >= 1, got {self.n_units!r}")
        if not is_whole_number(self.aligned_span) or self.aligned_span < 1:
            raise FoleyError(f"aligned_span must be a whole number >= 1, got {self.aligned_span!r}")
        if not all(is_finite_number(rate) and rate > 0 for rate in (self.video_fps, self.token_rate_hz)):
            raise FoleyError(f"video_fps and token_rate_hz must be positive numbers, got {self.video_fps!r} and "
                             f"{self.token_rate_hz!r}")
        if self.positions not in POSITIONS:
            raise FoleyError(f"unknown positions {self.positions!r}; choose from {', '.join(POSITIONS)}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lora"]["target_modules"] = list(self.lora.target_modules)
        return {"format": FORMAT, **data}

    @classmethod
    def from_dict(cls, data: dict) -> "TokenLMConfig":
        data = dict(data)
        if data.pop("format", None) != FORMAT:
            raise FoleyError(f"not a foley token LM config (expected \"format\": \"{FORMAT}\")")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown token LM settings: {sorted(unknown)}")
        connector = ConnectorConfig.from_dict(data.pop("connector", {}))
        lora = dict(data.pop("lora", {}))
        if isinstance(lora.get("target_modules"), list):  # a JSON list; anything else is refused as it is
            lora["target_modules"] = tuple(lora["target_modules"])
        return cls(connector=connector, lora=LoraSettings(**lora), **data)


@dataclass(frozen=True)
class SamplingConfig:
    do_sample: bool = False  # False: greedy
    temperature: float = 1.0
    top_k: int = 0  # 0: no top-k filter
    top_p: float = 1.0  # 1.0: no nucleus filter
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature <= 0 or self.top_k < 0 or not 0 < self.top_p <= 1:
            raise FoleyError("sampling needs temperature > 0, top_k >= 0 and 0 < top_p <= 1")


def build_text_tokenizer(texts: list[str], vocab_size: int = 1024):
    """A Gemma tokenizer (byte-fallback BPE, Gemma's special tokens) trained on ``texts``: the
    stand-in for Gemma's 256k-token tokenizer when nothing can be downloaded."""
    from transformers import GemmaTokenizer

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", *CHAT_TOKENS]
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]  # byte fallback: any text stays encodable
    bpe = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    bpe.normalizer = normalizers.Replace(" ", "\u2581")  # Gemma's space marker
    # Merges stay inside words, as in Gemma's own vocabulary (a tiny corpus would otherwise merge whole sentences).
    bpe.pre_tokenizer = pre_tokenizers.Split("\u2581", behavior="merged_with_next")
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials + byte_tokens,
                                                       show_progress=False))
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return GemmaTokenizer(vocab=model["vocab"], merges=merges, additional_special_tokens=list(CHAT_TOKENS))


class AudioTokenConstraint:
    """Logits processor: a row writes ``<AUD_x>`` until it holds its T tokens, then EOS
    (generate pads finished rows). transformers has no per-row length constraint."""

    def __init__(self, n_tokens: torch.Tensor, first_audio_id: int, n_units: int, eos_id: int):
        self.n_tokens = n_tokens  # (B,)
        self.first, self.n_units, self.eos = first_audio_id, n_units, eos_id

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1]  # tokens generated so far (the prompt is passed as embeddings)
        vocab = torch.arange(scores.shape[1], device=scores.device)  # (V,)
        is_audio = (vocab >= self.first) & (vocab < self.first + self.n_units)  # (V,)
        writing = (self.n_tokens.to(scores.device) > step)[:, None]  # (B, 1)
        allowed = torch.where(writing, is_audio[None], (vocab == self.eos)[None])  # (B, V)
        return scores.masked_fill(~allowed, float("-inf"))


def _base_state(lm) -> dict[str, torch.Tensor]:
    """The frozen base weights under their plain names (peft's wrappers and adapters removed)."""
    state = {}
    for name, tensor in lm.get_base_model().state_dict().items():
        if "lora_" in name or "trainable_tokens_" in name:
            continue
        state[name.replace(".token_adapter.base_layer.", ".").replace(".base_layer.", ".")] = tensor
    return state


def whole_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor itself, or the whole of an FSDP2 shard (a DTensor): every process must take part."""
    from torch.distributed.tensor import DTensor

    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor


class TokenLM(nn.Module):
    def __init__(self, config: TokenLMConfig, lm, tokenizer, connector: TemporalConnector):
        super().__init__()
        self.config = config
        self.lm = lm  # peft PeftModelForCausalLM around Gemma2ForCausalLM (after merge_lora: the plain model)
        self.merged = False
        self.tokenizer = tokenizer
        self.connector = connector
        self.tokenizer_fingerprint: str | None = None  # of the unit tokenizer whose units it learned, if known
        self.first_audio_id = tokenizer.convert_tokens_to_ids(audio_token(0))
        self.eos_id, self.bos_id, self.pad_id = tokenizer.eos_token_id, tokenizer.bos_token_id, tokenizer.pad_token_id
        head = f"<start_of_turn>user\n{config.instruction}\nVideo: {VIDEO_OPEN}"
        self._head_ids = [self.bos_id] + tokenizer(head, add_special_tokens=False).input_ids

    @property
    def device(self) -> torch.device:
        return self.connector.proj.weight.device

    @property
    def n_units(self) -> int:
        return self.config.n_units

    # ------------------------------------------------------------------ layout ----------
    def _tail_ids(self, caption: str) -> list[int]:
        """The prompt after the video: the caption between its markers, then the request. The
        caption is read as plain text: a marker, chat or ``<AUD_x>`` token typed in it is spelled
        out, not taken as that token."""
        def ids(text: str, **kwargs) -> list[int]:
            return self.tokenizer(text, add_special_tokens=False, **kwargs).input_ids

        return (ids(f"{VIDEO_CLOSE}\nCaption: {CAPTION_OPEN}") + ids(caption, split_special_tokens=True)
                + ids(f"{CAPTION_CLOSE}\n{self.config.request}<end_of_turn>\n<start_of_turn>model\n"))

    def _tail_room(self, n_frames: int) -> int | None:
        """The most prompt-tail tokens that fit after ``n_frames`` video frames: time-aligned
        positions keep ``aligned_span`` grid positions for both (None: no limit)."""
        if self.config.positions == "sequential" or n_frames == 0:
            return None
        ratio = self.config.token_rate_hz / self.config.video_fps  # grid positions per frame
        return self.config.aligned_span - round((n_frames - 1) * ratio) - 1

    def check_caption(self, caption: str, n_frames: int) -> None:
        """Refuse (FoleyError) a caption whose prompt leaves no room for ``n_frames`` video frames."""
        n_tail, room = len(self._tail_ids(caption)), self._tail_room(n_frames)
        if room is not None and n_tail > room:
            raise FoleyError(f"the caption is too long for this model: its part of the prompt would take {n_tail} "
                             f"tokens, and next to a window's {n_frames} video frames there is room for {room}; "
                             "shorten it")

    def _positions(self, n_head: int, n_frames: int, n_tail: int, n_target: int) -> list[int]:
        """Rotary positions of one row: head, video frames, prompt tail, targets."""
        n = n_head + n_frames + n_tail + n_target
        if self.config.positions == "sequential":
            return list(range(n))
        # time_aligned: frame k sits at token-grid position n_head + round(k * 50 / 21.5) and target t at
        # n_head + span + t, so a token and the frame of its instant are always `span` positions apart.
        span, ratio = self.config.aligned_span, self.config.token_rate_hz / self.config.video_fps
        room = self._tail_room(n_frames)
        if room is not None and n_tail > room:
            raise FoleyError(f"{n_frames} video frames and a prompt tail (caption and request) of {n_tail} tokens "
                             f"do not fit aligned_span={span}: a shorter clip or caption")
        video = [n_head + round(k * ratio) for k in range(n_frames)]
        return [*range(n_head), *video, *range(n_head + span - n_tail, n_head + span + n_target)]

    def build_inputs(self, frames: torch.Tensor | None, frame_counts: torch.Tensor | None, captions: list[str],
                     units: torch.Tensor | None = None, unit_counts: torch.Tensor | None = None):
        """Left-padded prompt (+ targets) embeddings.

        frames (B, N, D_frame) with frame_counts (B,) real frames per row (None: no video);
        units (B, T) with unit_counts (B,) (None: prompts only, for generation).
        Returns embeds (B, L, D_lm), attention_mask (B, L), position_ids (B, L) and
        labels (B, L) (IGNORE_INDEX outside the audio tokens and their EOS; None without units).
        """
        batch = len(captions)
        embed = self.lm.get_input_embeddings()
        device = self.device
        if frames is not None and self.config.use_video:
            mask = torch.arange(frames.shape[1], device=device)[None] < frame_counts.to(device)[:, None]  # (B, N)
            video = self.connector(frames.to(device, self.connector.proj.weight.dtype), mask)  # (B, N, D_lm)
        else:
            video, frame_counts = None, torch.zeros(batch, dtype=torch.long)
        head = embed(torch.tensor(self._head_ids, device=device))  # (H, D_lm)
        rows, label_rows, position_rows = [], [], []
        for i, caption in enumerate(captions):
            ids = self._tail_ids(caption)
            n_prompt_tail, n_frames, n_target = len(ids), int(frame_counts[i]), 0
            if units is not None:
                target = (units[i, : int(unit_counts[i])] + self.first_audio_id).tolist() + [self.eos_id]
                ids, n_target = ids + target, len(target)
            parts = [head] + ([video[i, :n_frames].to(head.dtype)] if video is not None else [])
            rows.append(torch.cat(parts + [embed(torch.tensor(ids, device=device))]))  # (L_i, D_lm)
            label_rows.append([IGNORE_INDEX] * (len(rows[-1]) - n_target) + ids[len(ids) - n_target:])
            position_rows.append(self._positions(len(head), n_frames if video is not None else 0, n_prompt_tail,
                                                 n_target))
        length = max(len(r) for r in rows)
        embeds = torch.stack([nn.functional.pad(r, (0, 0, length - len(r), 0)) for r in rows])  # (B, L, D_lm)
        attention_mask = torch.stack([torch.arange(length, device=device) >= length - len(r) for r in rows]).long()
        position_ids = torch.tensor([[0] * (length - len(p)) + p for p in position_rows], device=device)  # (B, L)
        labels = None
        if units is not None:
            labels = torch.tensor([[IGNORE_INDEX] * (length - len(r)) + r for r in label_rows], device=device)
        return embeds, attention_mask, position_ids, labels

    # ------------------------------------------------------------------ training --------
    def forward(self, captions: list[str], units: torch.Tensor, unit_counts: torch.Tensor,
                frames: torch.Tensor | None = None, frame_counts: torch.Tensor | None = None,
                change_weight: float = 1.0, unit_dropout: float = 0.0):
        """Teacher-forced pass. Returns (loss, logits (B, T_max + 1, V)): the mean cross-entropy of
        the audio tokens and EOS, and the logits that predict the last T_max + 1 positions.

        ``change_weight`` w > 1 multiplies the cross-entropy of every audio token that differs
        from the token before it (the moments a sound starts or changes: few tokens, and the
        ones only the video can tell) by w; the mean stays over all targets.

        ``unit_dropout`` p > 0 replaces each audio token of the input history (not of the
        targets) by a random unit with probability p (draws from torch's global generator):
        the history then stops telling where a sound is, so the prediction has to read it
        from the video."""
        embeds, attention_mask, position_ids, labels = self.build_inputs(frames, frame_counts, captions, units,
                                                                         unit_counts)
        if unit_dropout > 0:
            is_unit = (labels != IGNORE_INDEX) & (labels != self.eos_id)  # (B, L): audio tokens, as inputs too
            drop = is_unit & (torch.rand(labels.shape, device=labels.device) < unit_dropout)
            noise = self.first_audio_id + torch.randint(self.n_units, labels.shape, device=labels.device)
            embed = self.lm.get_input_embeddings()
            embeds = torch.where(drop[..., None], embed(noise).to(embeds.dtype), embeds)
        keep = int(unit_counts.max()) + 2  # targets sit at the end (left padding): T_max + EOS, + 1 for the shift
        # Only the target positions get logits: a (B, L, 256k) tensor would dominate memory.
        out = self.lm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids,
                      logits_to_keep=keep, use_cache=False)
        logits = out.logits[:, :-1]  # (B, T_max + 1, V): position j predicts token j + 1
        targets = labels[:, -keep + 1:]  # (B, T_max + 1)
        if change_weight == 1.0:
            loss = nn.functional.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
            return loss, logits
        ce = nn.functional.cross_entropy(logits.float().transpose(1, 2), targets, ignore_index=IGNORE_INDEX,
                                         reduction="none")  # (B, T_max + 1)
        is_unit = (targets != IGNORE_INDEX) & (targets != self.eos_id)
        changed = torch.zeros_like(is_unit)
        changed[:, 1:] = is_unit[:, 1:] & is_unit[:, :-1] & (targets[:, 1:] != targets[:, :-1])
        weights = 1.0 + (change_weight - 1.0) * changed.float()
        return (ce * weights).sum() / (targets != IGNORE_INDEX).sum(), logits

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def enable_gradient_checkpointing(self) -> None:
        self.lm.get_base_model().activation_checkpointing_enable({"use_reentrant": False})

    def merge_lora(self) -> None:
        """Fold LoRA and the new-token rows into the base weights and drop peft's wrappers:
        inference only (the same outputs, faster); a merged model cannot be trained or saved."""
        self.lm = self.lm.merge_and_unload()
        self.merged = True

    # ------------------------------------------------------------------ generation ------
    @torch.no_grad()
    def generate(self, captions: list[str], n_tokens: list[int], frames: torch.Tensor | None = None,
                 frame_counts: torch.Tensor | None = None, sampling: SamplingConfig = SamplingConfig(),
                 use_cache: bool = True) -> list[torch.Tensor]:
        """Exactly ``n_tokens[i]`` unit ids (T_i,) for clip i (frames (B, N, D) with frame_counts (B,)).

        ``use_cache=True``: transformers' ``generate`` with its KV cache. ``use_cache=False``:
        every step re-runs the whole sequence (a reference for the cache, and its cost).
        """
        from transformers import LogitsProcessorList

        if len(n_tokens) != len(captions) or any(n < 0 for n in n_tokens):
            raise FoleyError("generate needs one non-negative token count per caption")
        embeds, attention_mask, position_ids, _ = self.build_inputs(frames, frame_counts, captions)
        counts = torch.tensor(n_tokens, dtype=torch.long)
        constraint = AudioTokenConstraint(counts, self.first_audio_id, self.n_units, self.eos_id)
        options = dict(do_sample=sampling.do_sample, temperature=sampling.temperature, top_k=sampling.top_k,
                       top_p=sampling.top_p) if sampling.do_sample else dict(do_sample=False)
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(sampling.seed)  # sampling draws from the global generator; leave it as it was
            if use_cache:
                out = self.lm.generate(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids,
                                       logits_processor=LogitsProcessorList([constraint]),
                                       max_new_tokens=max(n_tokens) + 1, min_new_tokens=0, eos_token_id=self.eos_id,
                                       pad_token_id=self.pad_id, **options)  # (B, <= T_max + 1)
            else:
                out = self._generate_uncached(embeds, attention_mask, position_ids, constraint, sampling,
                                              max(n_tokens) + 1)
        result = []
        for row, n in zip(out.cpu(), n_tokens):
            ids = row[:n] - self.first_audio_id
            if len(ids) != n or (ids < 0).any() or (ids >= self.n_units).any() or row[n] != self.eos_id:
                raise RuntimeError("constrained decoding produced something other than the audio tokens")
            result.append(ids)
        return result

    def _generate_uncached(self, embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                           constraint: AudioTokenConstraint, sampling: SamplingConfig, max_new: int) -> torch.Tensor:
        """Decoding that recomputes every position at every step, written out because transformers'
        ``generate`` always keeps a cache when the prompt comes as embeddings. Same processors,
        sampling and padding of finished rows as ``generate``. Returns (B, <= max_new) token ids."""
        from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

        processors = [constraint]
        if sampling.do_sample:
            processors += [TemperatureLogitsWarper(sampling.temperature)] if sampling.temperature != 1.0 else []
            processors += [TopKLogitsWarper(sampling.top_k)] if sampling.top_k else []
            processors += [TopPLogitsWarper(sampling.top_p)] if sampling.top_p < 1.0 else []
        embed = self.lm.get_input_embeddings()
        batch = len(embeds)
        tokens = torch.zeros(batch, 0, dtype=torch.long, device=embeds.device)  # (B, S)
        finished = torch.zeros(batch, dtype=torch.bool, device=embeds.device)
        for step in range(max_new):
            steps = torch.arange(1, step + 1, device=embeds.device)
            logits = self.lm(inputs_embeds=torch.cat([embeds, embed(tokens)], 1),  # (B, L + S, D_lm)
                             attention_mask=torch.cat([attention_mask, attention_mask.new_ones(batch, step)], 1),
                             position_ids=torch.cat([position_ids, position_ids[:, -1:] + steps], 1),
                             use_cache=False, logits_to_keep=1).logits[:, -1].float()  # (B, V)
            for processor in processors:
                logits = processor(tokens, logits)
            if sampling.do_sample:
                next_ids = torch.multinomial(torch.softmax(logits, -1), num_samples=1).squeeze(1)  # (B,)
            else:
                next_ids = logits.argmax(-1)  # (B,)
            next_ids = torch.where(finished, self.pad_id, next_ids)
            tokens = torch.cat([tokens, next_ids[:, None]], 1)
            finished |= next_ids == self.eos_id
            if finished.all():
                break
        return tokens

    # ------------------------------------------------------------------ save / load -----
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Connector, LoRA and new-token weights, float32 on CPU. Under FSDP2 the shards of these
        weights (only these) are gathered, so every process must call it."""
        from peft import get_peft_model_state_dict

        self._check_unmerged()
        state = {f"connector.{k}": v for k, v in self.connector.state_dict().items()}
        # Not the resized embedding itself: a loaded base is resized the same way again (_add_rows).
        lm_state = get_peft_model_state_dict(self.lm, save_embedding_layers=False)
        state.update({f"lm.{k}": v for k, v in lm_state.items()})
        return {k: whole_tensor(v.detach()).float().cpu().contiguous() for k, v in state.items()}

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        from peft import set_peft_model_state_dict

        expected = {k: v.shape for k, v in self.trainable_state_dict().items()}
        bad = sorted(set(state) ^ set(expected)) or [k for k in expected if state[k].shape != expected[k]]
        if bad:
            raise FoleyError(f"the trainable weights do not fit this model (e.g. {bad[0]})")
        self.connector.load_state_dict({k[10:]: v for k, v in state.items() if k.startswith("connector.")})
        result = set_peft_model_state_dict(self.lm, {k[3:]: v for k, v in state.items() if k.startswith("lm.")})
        if result.unexpected_keys:
            raise FoleyError(f"the trainable weights do not fit this model (e.g. {result.unexpected_keys[0]})")

    def _check_unmerged(self) -> None:
        if self.merged:
            raise FoleyError("this token LM's LoRA is merged into its weights (inference only): load it again to "
                             "train or save it")

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        self._check_unmerged()
        config = replace(self.config, text_tokenizer=TOKENIZER_DIR)
        with atomic_dir(directory) as tmp:
            if not self.config.base or self.config.base == BASE_DIR:  # the base was made here: ship it
                config = replace(config, base=BASE_DIR)
                with quiet_loading():  # no "Writing model shards" bar amid a run's own lines
                    self.lm.get_base_model().save_pretrained(tmp / BASE_DIR, state_dict=_base_state(self.lm))
            self.tokenizer.save_pretrained(tmp / TOKENIZER_DIR)
            save_file(self.trainable_state_dict(), str(tmp / TRAINABLE_NAME))
            (tmp / CONFIG_NAME).write_text(json.dumps(config.to_dict(), indent=1) + "\n", encoding="utf-8")
            if self.tokenizer_fingerprint:
                write_units_record(tmp, self.tokenizer_fingerprint)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str = "cpu", dtype: torch.dtype = torch.float32,
                        trainable: bool = False) -> "TokenLM":
        """Load a directory written by ``save_pretrained`` (``demo``: the shipped model).
        ``trainable=True`` leaves LoRA, new tokens and connector trainable (to resume training)."""
        from ..device import resolve_device

        path = DEMO_DIR if str(path) == "demo" else Path(path)
        if not (path / CONFIG_NAME).is_file():
            inside = path / "lm"  # where a `foley train lm` run writes its LM
            run = f"; a training run's folder: give {inside}" if (inside / CONFIG_NAME).is_file() else ""
            raise FoleyError(f"{path}: not a token LM directory (no {CONFIG_NAME}){run}")
        try:
            config = TokenLMConfig.from_dict(json.loads((path / CONFIG_NAME).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
            raise FoleyError(f"{path / CONFIG_NAME}: unreadable token LM config ({e})") from None
        except FoleyError as e:  # a setting it does not know, or a value it refuses
            raise FoleyError(f"{path / CONFIG_NAME}: {e}") from None
        resolved = config
        for name in ("base", "text_tokenizer"):
            value = getattr(config, name)
            if value and (path / value).is_dir():
                resolved = replace(resolved, **{name: str(path / value)})
            elif value in (BASE_DIR, TOKENIZER_DIR):  # what save_pretrained writes: never the cwd's or a hub id
                raise FoleyError(f"{path / value}: no such folder (the token LM's {name}; an incomplete copy?)")
        model = build_token_lm(resolved, dtype=dtype)
        model.config = config
        try:
            trained = load_file(str(path / TRAINABLE_NAME))
        except (OSError, SafetensorError) as e:
            raise FoleyError(f"{path / TRAINABLE_NAME}: not a readable weights file ({e})") from None
        try:
            model.load_trainable_state_dict(trained)
        except FoleyError as e:  # LoRA of another base or other settings, a connector of other sizes
            raise FoleyError(f"{path / TRAINABLE_NAME}: {e}: were they trained on another base than "
                             f"{config.base!r}, or with other settings than {path / CONFIG_NAME}'s?") from None
        model.tokenizer_fingerprint = read_units_record(path)
        model.requires_grad_(False)
        if trainable:
            _mark_trainable(model)
        return model.to(resolve_device(device)).eval()


def write_units_record(directory: str | os.PathLike, fingerprint: str) -> None:
    """Record in an LM directory which unit tokenizer's units it learned."""
    (Path(directory) / UNITS_NAME).write_text(json.dumps({"tokenizer_fingerprint": fingerprint}, indent=1) + "\n",
                                              encoding="utf-8")


def read_units_record(directory: str | os.PathLike) -> str | None:
    """The fingerprint ``write_units_record`` left in an LM directory; None where there is none."""
    path = Path(directory) / UNITS_NAME
    if not path.is_file():
        return None
    try:
        fingerprint = json.loads(path.read_text(encoding="utf-8"))["tokenizer_fingerprint"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError) as e:
        raise FoleyError(f"{path}: unreadable record of the LM's unit tokenizer ({e})") from None
    if not isinstance(fingerprint, str) or not fingerprint:
        raise FoleyError(f"{path}: unreadable record of the LM's unit tokenizer (tokenizer_fingerprint {fingerprint!r})")
    return fingerprint


def _mark_trainable(model: TokenLM) -> None:
    """Train exactly the connector, LoRA and the new token rows (peft's own selection)."""
    model.requires_grad_(False)
    model.connector.requires_grad_(model.config.use_video)
    for name, param in model.lm.named_parameters():
        if "lora_" in name or "trainable_tokens_delta" in name:
            param.requires_grad_(True)


def add_vocabulary(tokenizer, n_units: int) -> list[int]:
    """Add the markers and ``<AUD_0..K-1>`` (no-op where present); returns their ids, which
    must be contiguous for the audio tokens."""
    tokenizer.add_tokens([*MARKERS, *(audio_token(i) for i in range(n_units))], special_tokens=True)
    ids = tokenizer.convert_tokens_to_ids([*MARKERS, *(audio_token(i) for i in range(n_units))])
    audio = ids[len(MARKERS):]
    if audio != list(range(audio[0], audio[0] + n_units)) or tokenizer.unk_token_id in ids:
        raise FoleyError("the text tokenizer's audio tokens are not contiguous; use a tokenizer without <AUD_x> entries")
    return ids


def _add_rows(base, rows: int) -> None:
    """Grow the embedding (and an untied head) to ``rows``, every new row the mean of the old
    ones. Deterministic, unlike transformers' default random draw: the base is re-read and
    resized at every load, and the saved new-row deltas must land on the same rows again."""
    old = base.get_input_embeddings().num_embeddings
    base.resize_token_embeddings(rows, mean_resizing=False)
    with torch.no_grad():
        for table in {id(m.weight): m.weight for m in (base.get_input_embeddings(), base.get_output_embeddings())
                      if m is not None}.values():  # (rows, D); one table when tied
            table[old:] = table[:old].mean(0)


@quiet_loading()
def build_token_lm(config: TokenLMConfig, tokenizer=None, dtype: torch.dtype = torch.float32) -> TokenLM:
    """Base LM (loaded, or random init from ``config.gemma``) + added vocabulary + LoRA +
    connector. Only the connector, LoRA and the new token rows are trainable."""
    from huggingface_hub.errors import StrictDataclassError
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, Gemma2Config, Gemma2ForCausalLM

    if tokenizer is None:
        source = config.text_tokenizer or config.base
        if not source:
            raise FoleyError("a random-init token LM needs a text tokenizer (config.text_tokenizer or an argument)")
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
        except (OSError, ValueError, TypeError, AttributeError) as e:  # also a damaged tokenizer_config.json
            raise FoleyError(f"cannot load the text tokenizer {source!r}: {str(e).splitlines()[0]}") from None
    new_ids = add_vocabulary(tokenizer, config.n_units)
    if config.base:
        try:
            base = load_pretrained(checked_weights(Gemma2ForCausalLM.from_pretrained, "Gemma-2 model"), config.base,
                                   dtype=dtype)  # no hub retries
        except OSError as e:
            raise FoleyError(f"cannot load the Gemma-2 model {config.base!r}: {str(e).splitlines()[0]}") from None
        if base.get_input_embeddings().num_embeddings < len(tokenizer):
            _add_rows(base, len(tokenizer))
    else:
        try:
            gemma = Gemma2Config(**{**config.gemma, "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
                                    "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id})
        except (TypeError, ValueError, StrictDataclassError) as e:  # a field of the wrong type or value
            raise FoleyError(f"gemma: not a Gemma-2 config ({' '.join(str(e).split())})") from None
        unknown = set(gemma.to_dict()) - set(Gemma2Config().to_dict())  # kept as they are, used by nothing: a typo
        if unknown:
            raise FoleyError(f"gemma: unknown Gemma-2 config fields: {sorted(unknown)}")
        base = Gemma2ForCausalLM(gemma).to(dtype)
    if base.config.hidden_size != config.connector.lm_dim:
        raise FoleyError(f"connector.lm_dim={config.connector.lm_dim} does not match the LM width "
                         f"{base.config.hidden_size}")
    lora = LoraConfig(r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
                      target_modules=list(config.lora.target_modules),
                      trainable_token_indices={"embed_tokens": new_ids})
    with warnings.catch_warnings():  # peft reads transformers' deprecated `is_gradient_checkpointing`
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        try:
            lm = get_peft_model(base, lora)
        except ValueError as e:  # peft's NoMatchingPeftModuleError: a target module the base does not have
            raise FoleyError(f"lora.target_modules: {' '.join(str(e).split())}") from None
    model = TokenLM(config, lm, tokenizer, build_connector(config.connector))
    _mark_trainable(model)
    return model
