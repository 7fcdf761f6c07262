"""CLAP score (the paper's text-to-audio metric): cosine similarity between the CLAP audio
embedding of a generated clip and the CLAP text embedding of its caption.

Loads any transformers `ClapModel` layout (e.g. `laion/clap-htsat-unfused`) from a local
directory or the hub cache.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import FoleyError
from ..media.audio import read_audio, resample
from .scoring import files_by_stem


def _pooled(out) -> torch.Tensor:
    return getattr(out, "pooler_output", out)  # transformers 5 wraps the projected embedding


class ClapScorer:
    def __init__(self, model: str = "laion/clap-htsat-unfused", device: str = "cpu"):
        from transformers import ClapModel, ClapProcessor

        from ..models.hub import load_pretrained

        try:
            self.processor = load_pretrained(ClapProcessor.from_pretrained, model)
            self.model = load_pretrained(ClapModel.from_pretrained, model).eval().to(device)
        except (OSError, ValueError) as e:
            raise FoleyError(f"cannot load the CLAP model {model!r} ({str(e).splitlines()[0]})") from None
        self.name, self.device = f"clap:{model}", device
        self.sample_rate = self.processor.feature_extractor.sampling_rate

    @torch.no_grad()
    def audio_embeddings(self, wavs: list[np.ndarray], sample_rate: int) -> torch.Tensor:
        wavs = [resample(np.asarray(w, np.float32), sample_rate, self.sample_rate) for w in wavs]
        inputs = self.processor.feature_extractor(wavs, sampling_rate=self.sample_rate, return_tensors="pt")
        emb = _pooled(self.model.get_audio_features(**inputs.to(self.device)))  # (B, D)
        return torch.nn.functional.normalize(emb, dim=-1)

    @torch.no_grad()
    def text_embeddings(self, captions: list[str]) -> torch.Tensor:
        inputs = self.processor.tokenizer(captions, padding=True, return_tensors="pt")
        emb = _pooled(self.model.get_text_features(**inputs.to(self.device)))  # (B, D)
        return torch.nn.functional.normalize(emb, dim=-1)

    def score(self, wavs: list[np.ndarray], sample_rate: int, captions: list[str]) -> np.ndarray:
        """Cosine similarity of each clip with its caption, (B,)."""
        a, t = self.audio_embeddings(wavs, sample_rate), self.text_embeddings(captions)
        return (a * t).sum(-1).cpu().numpy()


def read_captions(path: str | os.PathLike) -> dict[str, str]:
    """{stem: caption} from .json ({stem: caption}), .jsonl ({"id"|"stem", "caption"}) or
    tab-separated lines "stem<TAB>caption"."""
    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no such captions file")
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".json":
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("expected an object {stem: caption}")
            return {str(k): str(v) for k, v in data.items()}
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            return {str(r.get("id", r.get("stem"))): str(r["caption"]) for r in rows}
        pairs = [line.split("\t", 1) for line in text.splitlines() if line.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("every line must be 'stem<TAB>caption'")
        return {k.strip(): v.strip() for k, v in pairs}
    except (ValueError, KeyError, AttributeError) as e:
        raise FoleyError(f"{path}: cannot read captions ({e})") from None


def captioned_files(audio_dir: str | os.PathLike, captions: dict[str, str]) -> dict[str, Path]:
    """The audio files of ``audio_dir`` by stem; FoleyError when there are none or one has no
    caption (checked before a CLAP model loads)."""
    files = files_by_stem(Path(audio_dir))
    if missing := sorted(set(files) - set(captions)):
        raise FoleyError(f"{len(missing)} audio file(s) have no caption: {', '.join(missing[:8])}")
    if not files:
        raise FoleyError(f"{audio_dir}: no audio files")
    return files


def clap_scores(scorer: ClapScorer, audio_dir: str | os.PathLike, captions: dict[str, str], batch: int = 8) -> dict:
    files = captioned_files(audio_dir, captions)
    stems, scores = sorted(files), []
    for i in range(0, len(stems), batch):
        chunk = stems[i:i + batch]
        wavs = [read_audio(files[s], sample_rate=48_000)[0] for s in chunk]
        scores += scorer.score(wavs, 48_000, [captions[s] for s in chunk]).tolist()
    return {"metric": "clap", "model": scorer.name, "clap_score": float(np.mean(scores)), "n_clips": len(stems),
            "clips": dict(zip(stems, scores))}
