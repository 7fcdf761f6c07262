"""Auffusion checkpoints: folder layouts and prompt encoding.

Two released layouts, one loader (``load_components``):

- ``stable-diffusion`` (``auffusion/auffusion-full-no-adapter``, and the layout this
  package saves): ``model_index.json``, ``unet/``, ``vae/``, ``text_encoder/``,
  ``tokenizer/``, ``scheduler/``, ``vocoder/``. Prompts are tokenized padded to the
  tokenizer's max length; the negative prompt is the empty string.
- ``condition-adapter`` (``auffusion/auffusion``, ``auffusion/auffusion-full``):
  ``condition_config.json`` lists text encoders (``text_encoder_0/``, holding its
  tokenizer too) and their condition adapters (``condition_adapter_0/{config.json,
  condition_adapter.pt}``: Linear then LayerNorm). Prompts are tokenized without
  padding, the hidden states zero-padded or cut to the max length, then adapted; the
  unconditional embedding is all zeros.

A folder may carry ``mel_config.json`` (this package's addition); without it the mel
settings are Auffusion's (:class:`foley.models.mel.MelConfig` defaults). It may also carry
``components.json`` (this package's addition): a map from a component folder name (``unet``,
``vae``, ``scheduler``, ``vocoder``, a text encoder's name) to a folder given relative to this
one, so two backbones can share a text encoder and vocoder without copies, e.g.
``{"vocoder": "../backbone/vocoder"}``. A folder of that name inside this one comes first.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import diffusers
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import AutoModel, AutoTokenizer

from ..config import is_finite_number
from ..errors import FoleyError
from ..media.files import atomic_path
from .hub import HUB_ID, check_hub_reachable, quiet_loading
from .mel import MelConfig
from .vocoder import load_vocoder

LAYOUT_SD = "stable-diffusion"
LAYOUT_CONDITION = "condition-adapter"
MEL_CONFIG = "mel_config.json"
DECODING_CONFIG = "decoding.json"
MAX_NOISE_FILL = 2.0  # nats; beyond, the noise is the sound
COMPONENTS = "components.json"
# Files a hub download needs (the safety checker and image feature extractor are unused).
HUB_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "*.pt", "*.bin"]


def resolve_model_dir(path_or_id: str | os.PathLike) -> Path:
    """A local folder, or a hub id downloaded into the hub cache."""
    path = Path(path_or_id)
    if path.is_dir():
        return path
    if path.exists():
        raise FoleyError(f"{path}: not a model folder")
    if not HUB_ID.fullmatch(str(path_or_id)):  # ./x, /x, a/b/c: a path, never a hub id
        raise FoleyError(f"{path_or_id}: no such model folder")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(str(path_or_id), allow_patterns=HUB_PATTERNS, local_files_only=True))
    except Exception:  # noqa: BLE001 - not in the cache: download it
        pass
    try:
        check_hub_reachable()
    except OSError as e:
        raise FoleyError(f"{path_or_id}: no such folder, {e}") from None
    try:
        return Path(snapshot_download(str(path_or_id), allow_patterns=HUB_PATTERNS))
    except Exception as e:  # noqa: BLE001 - any hub failure becomes one line
        raise FoleyError(f"{path_or_id}: no such folder, and the hub download failed ({type(e).__name__})") from None


def shared_components(directory: Path) -> dict[str, Path]:
    """The folders ``components.json`` names (component name -> folder), for the components
    this folder does not hold itself; {} without the file. FoleyError (one line) when the file
    is unreadable or names a folder that does not exist."""
    path = directory / COMPONENTS
    if not path.is_file():
        return {}
    try:
        shared = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FoleyError(f"{path}: unreadable ({e})") from None
    if not isinstance(shared, dict):
        raise FoleyError(f"{path}: expected a map of component name to folder, got {type(shared).__name__}")
    folders = {}
    for name, target in shared.items():
        if (directory / name).is_dir():
            continue
        if not (directory / str(target)).is_dir():
            raise FoleyError(f"{path}: {name} -> {target}: no such folder")
        folders[name] = directory / str(target)
    return folders


def component_dir(directory: Path, name: str, needs: tuple[str, ...] = ("config.json",)) -> Path:
    """The folder of component ``name``: ``directory/name``, else where ``components.json`` points.

    FoleyError (one line) when neither holds a folder, or the folder lacks a file in ``needs``
    (an empty or partly copied folder is named before a library fails inside it).
    """
    own = directory / name
    folder = own if own.is_dir() else shared_components(directory).get(name)
    if folder is None:
        raise FoleyError(f"{directory}: missing the {name}/ folder of an Auffusion checkpoint")
    for file in needs:
        if not (folder / file).is_file():
            raise FoleyError(f"{folder}: no {file} (an empty or partial {name} folder)")
    return folder


def detect_layout(directory: Path) -> str:
    if (directory / "condition_config.json").is_file():
        return LAYOUT_CONDITION
    if (directory / "model_index.json").is_file():
        return LAYOUT_SD
    raise FoleyError(f"{directory}: not an Auffusion folder (no model_index.json or condition_config.json)")


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
        directory = Path(directory)
        adapter = cls(json.loads((directory / "config.json").read_text(encoding="utf-8")))
        state = torch.load(directory / "condition_adapter.pt", map_location="cpu", weights_only=True)
        adapter.load_state_dict(state)
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
    except (OSError, ValueError, TypeError) as e:
        raise FoleyError(f"{folder}: no usable tokenizer ({str(e).strip().splitlines()[0]})") from None


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
        encoder = AutoModel.from_pretrained(component_dir(directory, "text_encoder"), dtype=dtype).eval()
        check_tokenizer(tokenizer, encoder, tokenizer_dir)
        return TextConditioner(tokenizer, encoder)
    entries = json.loads((directory / "condition_config.json").read_text(encoding="utf-8"))
    if not isinstance(entries, list) or len(entries) != 1:
        raise FoleyError(f"{directory / 'condition_config.json'}: exactly one text encoder is supported "
                         f"(the released checkpoints have one), found {len(entries) if isinstance(entries, list) else entries!r}")
    entry = entries[0]
    names = ("text_encoder_name", "condition_adapter_name")
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) and entry[k] for k in names)):
        raise FoleyError(f"{directory / 'condition_config.json'}: its entry needs {' and '.join(names)}, "
                         f"got {entry!r}")
    encoder_dir = component_dir(directory, entry["text_encoder_name"])
    tokenizer = load_tokenizer(encoder_dir)
    encoder = AutoModel.from_pretrained(encoder_dir, dtype=dtype).eval()
    check_tokenizer(tokenizer, encoder, encoder_dir)
    adapter_dir = component_dir(directory, entry["condition_adapter_name"], ("config.json", "condition_adapter.pt"))
    adapter = ConditionAdapter.from_pretrained(adapter_dir).to(dtype).eval()
    return TextConditioner(tokenizer, encoder, adapter, max_length=entry.get("max_length"))


@dataclass(frozen=True)
class DecodingConfig:
    """How the VAE's mel reaches the vocoder (``decoding.json`` in a backbone folder; absent: as is).

    ``noise_fill``: the standard deviation, in nats, of Gaussian noise added to every bin and
    frame of the decoded log-mel, as a codec's noise filling restores the fine texture its
    coding smoothed away: a VAE trained on few recordings decodes mels smoother in time and
    frequency than real ones, and the vocoder then rings at the mel frame rate. Silence stays
    silence (the log-mel's floor moves by the same nats)."""

    noise_fill: float = 0.0

    def check(self, where: str) -> "DecodingConfig":
        if not (is_finite_number(self.noise_fill) and 0.0 <= self.noise_fill <= MAX_NOISE_FILL):
            raise FoleyError(f"{where}: noise_fill must be a number of nats from 0 to {MAX_NOISE_FILL:g}, "
                             f"got {self.noise_fill!r:.40}")
        return self


@dataclass
class Components:
    """What a backbone folder holds, loaded."""

    unet: UNet2DConditionModel
    vae: AutoencoderKL
    scheduler: object  # a diffusers scheduler
    text: TextConditioner
    vocoder: torch.nn.Module
    mel: MelConfig
    layout: str
    decoding: DecodingConfig = DecodingConfig()


def load_scheduler(directory: Path):
    cfg = json.loads((directory / "scheduler_config.json").read_text(encoding="utf-8"))
    cls = getattr(diffusers, cfg.get("_class_name", ""), None)
    if cls is None:
        raise FoleyError(f"{directory / 'scheduler_config.json'}: unknown scheduler {cfg.get('_class_name')!r}")
    return cls.from_pretrained(directory)


@quiet_loading()
def load_components(path_or_id: str | os.PathLike, dtype: torch.dtype = torch.float32) -> Components:
    directory = resolve_model_dir(path_or_id)
    layout = detect_layout(directory)
    folders = {sub: component_dir(directory, sub, needs) for sub, needs in (
        ("unet", ("config.json",)), ("vae", ("config.json",)), ("scheduler", ("scheduler_config.json",)),
        ("vocoder", ()))}  # load_vocoder names what its formats lack
    mel_path = directory / MEL_CONFIG
    mel = MelConfig.from_dict(json.loads(mel_path.read_text(encoding="utf-8"))) if mel_path.is_file() else MelConfig()
    unet = UNet2DConditionModel.from_pretrained(folders["unet"], torch_dtype=dtype).eval()
    vae = AutoencoderKL.from_pretrained(folders["vae"], torch_dtype=dtype).eval()
    vocoder = load_vocoder(folders["vocoder"])
    if vocoder.n_mels != mel.n_mels:  # found at load, not after a whole diffusion run
        raise FoleyError(f"{folders['vocoder']}: a vocoder of {vocoder.n_mels} mel bands, but {directory} makes "
                         f"{mel.n_mels}-band mels")
    return Components(unet=unet, vae=vae, scheduler=load_scheduler(folders["scheduler"]),
                      text=_load_text_conditioner(directory, layout, dtype),
                      vocoder=vocoder.to(dtype).eval(), mel=mel, layout=layout, decoding=load_decoding(directory))


def load_decoding(directory: Path) -> DecodingConfig:
    """A backbone folder's ``decoding.json``, checked; the default when it has none."""
    path = directory / DECODING_CONFIG
    if not path.is_file():
        return DecodingConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DecodingConfig(**data).check(str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
        raise FoleyError(f"{path}: not a decoding config ({e})") from None
