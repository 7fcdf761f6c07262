"""A backbone's text side: the tokenizer and text encoder of either Auffusion layout, and the
condition layout's adapter (Linear then LayerNorm), loaded without the UNet, VAE or vocoder and
without importing a diffusion library (``foley compose --plan-only`` reads captions with it)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

from ..config import is_whole_number
from ..errors import FoleyError
from ..media.files import atomic_path, read_json_object
from .hub import checked_weights, load_failure, quiet_loading
from .layout import LAYOUT_CONDITION, LAYOUT_SD, component_dir, detect_layout, resolve_model_dir


class ConditionAdapter(torch.nn.Module):
    """Auffusion's condition adapter: Linear(condition_dim -> cross_attention_dim), LayerNorm."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        self.config = dict(config)
        self.proj = torch.nn.Linear(config["condition_dim"], config["cross_attention_dim"])
        self.norm = torch.nn.LayerNorm(config["cross_attention_dim"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, L, condition_dim) -> (B, L, cross_attention_dim)
        return self.norm(self.proj(x))

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike) -> "ConditionAdapter":
        """Auffusion's ``config.json`` + ``condition_adapter.pt`` (a torch pickle of plain tensors, read with
        ``weights_only=True``); FoleyError (one line) naming the file that is unreadable or does not fit."""
        directory = Path(directory)
        config_path, weights = directory / "config.json", directory / "condition_adapter.pt"
        config = read_json_object(config_path, "condition adapter config")
        dims = [config.get(key) for key in ("condition_dim", "cross_attention_dim")]
        if not all(is_whole_number(d) and d > 0 for d in dims):
            raise FoleyError(f"{config_path}: condition_dim and cross_attention_dim must be whole numbers > 0, "
                             f"got {dims[0]!r} and {dims[1]!r}")
        adapter = cls(config)
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            adapter.load_state_dict(state)
        except Exception as e:  # noqa: BLE001 - not a pickle, a refused one, or weights of other names or shapes
            raise FoleyError(f"{weights}: not the weights of a {dims[0]} -> {dims[1]} condition adapter "
                             f"({load_failure(e)})") from None
        return adapter

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        """Auffusion's own format (a torch state-dict pickle), for round trips and tests."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(json.dumps(self.config, indent=2), encoding="utf-8")
        with atomic_path(directory / "condition_adapter.pt") as tmp:
            torch.save(self.state_dict(), tmp)


class TextConditioner(torch.nn.Module):
    """Prompts -> cross-attention states (B, max_length, D), in either layout's convention."""

    def __init__(self, tokenizer, text_encoder: torch.nn.Module, adapter: ConditionAdapter | None = None,
                 max_length: int | None = None) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder
        self.adapter = adapter
        self.max_length = int(max_length or tokenizer.model_max_length)

    @property
    def layout(self) -> str:
        return LAYOUT_SD if self.adapter is None else LAYOUT_CONDITION

    @property
    def dim(self) -> int:
        return self.adapter.config["cross_attention_dim"] if self.adapter is not None else self.text_encoder.config.hidden_size

    def _device(self) -> torch.device:
        return next(self.text_encoder.parameters()).device

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> torch.Tensor:
        # list of B prompts -> (B, max_length, D)
        if self.adapter is None:
            ids = self.tokenizer(prompts, padding="max_length", max_length=self.max_length, truncation=True,
                                 return_tensors="pt").input_ids.to(self._device())
            return self.text_encoder(ids).last_hidden_state
        rows = []
        for prompt in prompts:  # unpadded, one at a time, as Auffusion encodes
            ids = self.tokenizer(prompt, truncation=True, max_length=self.max_length, return_tensors="pt").input_ids
            states = self.text_encoder(ids.to(self._device())).last_hidden_state  # (1, n, D_text)
            rows.append(F.pad(states, (0, 0, 0, self.max_length - states.shape[1])))
        return self.adapter(torch.cat(rows))

    @torch.no_grad()
    def encode_negative(self, batch: int) -> torch.Tensor:
        # -> (B, max_length, D): the empty prompt (stable-diffusion layout) or zeros (condition layout)
        if self.adapter is None:
            return self.encode([""] * batch)
        weight = self.adapter.proj.weight
        return torch.zeros(batch, self.max_length, self.dim, dtype=weight.dtype, device=weight.device)


def load_tokenizer(folder: Path):
    """``AutoTokenizer`` from ``folder``; FoleyError (one line) when transformers cannot build one."""
    try:
        return AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, TypeError, AttributeError) as e:  # AttributeError: a config that is no JSON object
        raise FoleyError(f"{folder}: no usable tokenizer ({str(e).strip().splitlines()[0]})") from None


def load_text_encoder(folder: Path, dtype: torch.dtype) -> torch.nn.Module:
    return checked_weights(AutoModel.from_pretrained, "text encoder")(folder, dtype=dtype).eval()


def check_tokenizer(tokenizer, encoder, folder: Path) -> None:
    """FoleyError (one line) when the tokenizer cannot be the text encoder's: more tokens than
    its embedding has rows, or fewer than half as many (a folder without its vocabulary files,
    from which transformers builds a few-token tokenizer that maps every word to [UNK])."""
    rows = encoder.get_input_embeddings().num_embeddings
    if not rows // 2 <= len(tokenizer) <= rows:
        raise FoleyError(f"{folder}: a tokenizer of {len(tokenizer)} tokens for a text encoder of {rows}; its "
                         "vocabulary files are missing or belong to another model")


def _load_text_conditioner(directory: Path, layout: str, dtype: torch.dtype) -> TextConditioner:
    if layout == LAYOUT_SD:
        tokenizer_dir = component_dir(directory, "tokenizer", ("tokenizer_config.json",))
        tokenizer = load_tokenizer(tokenizer_dir)
        encoder = load_text_encoder(component_dir(directory, "text_encoder"), dtype)
        check_tokenizer(tokenizer, encoder, tokenizer_dir)
        return TextConditioner(tokenizer, encoder)
    try:
        entries = json.loads((directory / "condition_config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FoleyError(f"{directory / 'condition_config.json'}: not a readable condition config ({e})") from None
    if not isinstance(entries, list) or len(entries) != 1:
        raise FoleyError(f"{directory / 'condition_config.json'}: exactly one text encoder is supported "
                         f"(the released checkpoints have one), found {len(entries) if isinstance(entries, list) else entries!r}")
    entry = entries[0]
    names = ("text_encoder_name", "condition_adapter_name")
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) and entry[k] for k in names)):
        raise FoleyError(f"{directory / 'condition_config.json'}: its entry needs {' and '.join(names)}, "
                         f"got {entry!r}")
    if entry.get("max_length") is not None and not (is_whole_number(entry["max_length"]) and entry["max_length"] > 0):
        raise FoleyError(f"{directory / 'condition_config.json'}: max_length must be a whole number > 0, "
                         f"got {entry['max_length']!r}")
    encoder_dir = component_dir(directory, entry["text_encoder_name"])
    tokenizer = load_tokenizer(encoder_dir)
    encoder = load_text_encoder(encoder_dir, dtype)
    check_tokenizer(tokenizer, encoder, encoder_dir)
    adapter_dir = component_dir(directory, entry["condition_adapter_name"], ("config.json", "condition_adapter.pt"))
    adapter = ConditionAdapter.from_pretrained(adapter_dir).to(dtype).eval()
    return TextConditioner(tokenizer, encoder, adapter, max_length=entry.get("max_length"))


@quiet_loading()
def load_text_conditioner(path_or_id: str | os.PathLike, dtype: torch.dtype = torch.float32) -> TextConditioner:
    """A backbone's text conditioner alone (tokenizer, text encoder and, in the condition layout,
    its adapter): what a caption is read by, without the UNet, VAE and vocoder."""
    directory = resolve_model_dir(path_or_id)
    return _load_text_conditioner(directory, detect_layout(directory), dtype)
