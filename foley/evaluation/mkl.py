"""MKL: mean KL divergence between the class distributions of real and generated audio.

Each clip is classified by PANNs Cnn14 (527 AudioSet classes). The published MKL code
(audioldm_eval's ``calculate_kl``, "kullback_leibler_divergence_sigmoid", used for the
MKL column of the video-to-audio tables) treats the 527 sigmoid outputs of a clip as its
distribution and, pairing generated and real clips by file name, averages over the pairs

    KL(p || q) = sum_c p_c * (log p_c - log(q_c + 1e-6)),   p = sigmoid(real logits),
                                                            q = sigmoid(generated logits).

Identical sets give sum_c p_c log(p_c / (p_c + 1e-6)), about -527e-6 per clip, not exactly 0.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from ..errors import FoleyError
from ..media.audio import resample
from .scoring import clip_audio, pair_files, unreadable

EPS = 1e-6  # added to the generated probabilities, as in the published code


def kl_sigmoid(real_logits: torch.Tensor, gen_logits: torch.Tensor) -> torch.Tensor:
    """Per-clip KL(p || q) of the sigmoid class outputs: (N, C), (N, C) logits -> (N,) nats."""
    if real_logits.shape != gen_logits.shape or real_logits.ndim != 2:
        raise FoleyError(f"MKL needs two (N, C) logit arrays of one shape, got {tuple(real_logits.shape)} "
                         f"and {tuple(gen_logits.shape)}")
    p, q = real_logits.double().sigmoid(), gen_logits.double().sigmoid()
    return torch.nn.functional.kl_div((q + EPS).log(), p, reduction="none").sum(dim=1)  # (N,)


def evaluate_mkl(pred_dir: str | os.PathLike, ref_dir: str | os.PathLike, classifier) -> dict:
    """MKL of generated files against the reference files of the same name.

    ``classifier``: a PANNs Cnn14 wrapper with ``logits(wav) -> (1, C)`` at its
    ``sample_rate`` (``get_embedder("panns:PATH")``). Returns the mean and the per-clip values.
    """
    if not hasattr(classifier, "logits"):
        raise FoleyError(f"MKL needs a classifier with class outputs (panns:PATH), not {classifier.name}")
    pairs = pair_files(pred_dir, ref_dir)
    logits, errors = {"pred": [], "ref": []}, []
    for pair in pairs:
        for side in logits:
            try:  # a video's track on its picture's clock, as the onset scores hear it
                wav, sr = clip_audio(getattr(pair, side))
            except FoleyError as e:  # every unreadable file is named, as the onset scores and FAD name them
                errors.append(str(e))
                continue
            wav = resample(wav, sr, classifier.sample_rate)
            logits[side].append(torch.from_numpy(np.asarray(classifier.logits(wav))))
    if errors:
        raise FoleyError(unreadable(errors))
    per_clip = kl_sigmoid(torch.cat(logits["ref"]), torch.cat(logits["pred"]))
    return {"metric": "mkl", "classifier": classifier.name, "mkl": float(per_clip.mean()), "n_clips": len(pairs),
            "clips": {pair.stem: float(v) for pair, v in zip(pairs, per_clip)}}
