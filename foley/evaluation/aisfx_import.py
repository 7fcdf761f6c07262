"""The explicit import step for the aiSFX checkpoint (a torch pickle holding numpy scalars).

The PyPI package ``aisfx`` 0.1.2 ships ``aisfx/models/checkpoint.pth``: a torch zip pickle,
written under numpy 1.x, of the pair ``(state_dict, ds_dict)``: float32 tensors (int64
``num_batches_tracked``) and ``{dataset: (numpy.int64 head index, n_classes)}``. It is read
once, with ``torch.load(weights_only=True)`` allowing beyond tensors only the globals
those numpy scalars need: ``numpy.core.multiarray.scalar`` (numpy 1.x's name, mapped to
numpy 2's ``numpy._core.multiarray.scalar``), ``numpy.dtype`` and the int64 dtype class.
Any other global (``os.system`` in a crafted file, say) is refused before it is called.
The result is a folder that loads without unpickling::

    foley import-aisfx aisfx/models/checkpoint.pth --out DIR

DIR holds ``config.json`` + ``model.safetensors`` (``AisfxNet.save_pretrained``) and
``LICENSE-weights.txt`` (CC BY 4.0, the attribution, the source file's SHA-256).
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import numpy as np
import torch
from numpy._core.multiarray import scalar as _numpy_scalar

from ..errors import FoleyError
from ..media.files import atomic_dir, refuse_output_holding_inputs, refuse_to_replace, sha256_file
from .aisfx import WEIGHTS_FILE, AisfxConfig, AisfxNet

LICENSE_FILE = "LICENSE-weights.txt"

ALLOWED_GLOBALS = [(_numpy_scalar, "numpy.core.multiarray.scalar"), np.dtype, np.dtypes.Int64DType]

ATTRIBUTION = """\
aiSFX pre-trained model X-Sequential-CE (weights), converted by `foley import-aisfx`.

Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
Copyright (c) 2022 A.B. Ma and A. Lerch

Attribution: Alison Bernice Ma and Alexander Lerch, "Representation Learning for the
Automatic Indexing of Sound Effects Libraries", Proceedings of the 23rd International
Society for Music Information Retrieval Conference (ISMIR), 2022, pp. 866-875.
Source: https://github.com/alisonbma/aisfx, PyPI package aisfx 0.1.2
(aisfx/models/checkpoint.pth).

Changes: the PyTorch pickle was converted to safetensors (config.json + model.safetensors);
the values are unchanged (float32).
"""


def _load_pickle(path: Path):
    """torch.load with weights_only=True and only ALLOWED_GLOBALS added; one-line FoleyError otherwise."""
    try:
        with torch.serialization.safe_globals(ALLOWED_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a refused or unreadable pickle fails in many ways
        message = str(e)
        refused = re.search(r"GLOBAL (\S+)", message)
        if refused:
            raise FoleyError(f"{path}: refused: the pickle asks for {refused.group(1)}, which an aiSFX checkpoint "
                             f"does not hold (nothing was run)") from None
        detail = re.search(r"WeightsUnpickler error:\s*(.+)", message)
        reason = detail.group(1) if detail else (message.strip().splitlines() or [type(e).__name__])[0]
        raise FoleyError(f"{path}: not a readable aiSFX checkpoint ({reason.strip()})") from None


def read_aisfx_checkpoint(path: str | os.PathLike) -> AisfxNet:
    """The package's ``checkpoint.pth`` -> an ``AisfxNet`` (eval mode, float32 weights).

    The width comes from the first conv's shape, the heads from ``ds_dict`` (ordered by
    their index). Raises ``FoleyError`` (one line) for a missing, refused, unreadable or
    mis-shaped file.
    """
    path = Path(path)
    if not path.is_file():
        raise FoleyError(f"{path}: no such aiSFX checkpoint")
    if not zipfile.is_zipfile(path):
        raise FoleyError(f"{path}: not an aiSFX checkpoint (not a PyTorch zip archive)")
    obj = _load_pickle(path)
    if not (isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], dict) and isinstance(obj[1], dict)):
        raise FoleyError(f"{path}: not an aiSFX checkpoint (expected the pair (state_dict, ds_dict), "
                         f"got {type(obj).__name__})")
    state, datasets = obj
    try:
        heads = sorted((int(index), str(name), int(n_classes)) for name, (index, n_classes) in datasets.items())
    except (TypeError, ValueError):
        raise FoleyError(f"{path}: not an aiSFX checkpoint (ds_dict values are not (index, n_classes) pairs)") from None
    if [index for index, _, _ in heads] != list(range(len(heads))):
        raise FoleyError(f"{path}: not an aiSFX checkpoint (head indices {[i for i, _, _ in heads]} are not 0..n-1)")
    first = state.get("embedding_net.conv_block1.conv1.weight")
    if not isinstance(first, torch.Tensor) or first.ndim != 4:
        raise FoleyError(f"{path}: not an aiSFX checkpoint (no embedding_net.conv_block1.conv1.weight)")
    model = AisfxNet(AisfxConfig(width=int(first.shape[0]), heads=tuple((name, n) for _, name, n in heads)))
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise FoleyError(f"{path}: not an aiSFX checkpoint ({len(missing)} missing and {len(unexpected)} unexpected "
                         f"weights, e.g. {(missing or unexpected)[0]})")
    for key, value in state.items():
        if not isinstance(value, torch.Tensor) or value.shape != expected[key].shape:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise FoleyError(f"{path}: {key} is {shape}, expected {tuple(expected[key].shape)}")
        if value.is_floating_point() != expected[key].is_floating_point():  # load_state_dict would convert it
            raise FoleyError(f"{path}: {key} is {value.dtype}, expected {expected[key].dtype}")
        if value.is_floating_point() and not torch.isfinite(value).all():  # NaN embeddings, NaN FAD
            raise FoleyError(f"{path}: {key} holds NaN or infinite values")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.eval()


def import_aisfx(checkpoint: str | os.PathLike, out: str | os.PathLike, *, overwrite: bool = False) -> AisfxNet:
    """Convert the package's ``checkpoint.pth`` into the folder ``out`` and return the model.

    Everything is read and checked before anything is written; ``out`` appears complete or
    not at all (an existing ``out`` is replaced only with ``overwrite``). Raises
    ``FoleyError`` (one line) for any bad input.
    """
    checkpoint, out = Path(checkpoint), Path(out)
    refuse_output_holding_inputs(out, [checkpoint], "aiSFX embedder")
    refuse_to_replace(out, overwrite, holds=WEIGHTS_FILE, what="aiSFX embedder")
    model = read_aisfx_checkpoint(checkpoint)
    licence = ATTRIBUTION + f"Source file: {checkpoint.name}, SHA-256 {sha256_file(checkpoint)}\n"
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        (tmp / LICENSE_FILE).write_text(licence, encoding="utf-8")
    return model
