"""Device choice: ``auto`` is cuda, then mps, then cpu; nothing else hard-codes a device."""
from __future__ import annotations

import torch

from .errors import FoleyError


def resolve_device(spec: str = "auto") -> torch.device:
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):  # torch knows others (meta, xpu, ...) foley does not run on
        raise FoleyError(f"unknown device {spec!r}; use auto, cpu, cuda, cuda:N or mps")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise FoleyError(f"--device {spec} was asked for, but no CUDA GPU is available")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise FoleyError(f"--device {spec} was asked for, but the CUDA GPUs here are "
                         + ", ".join(f"cuda:{i}" for i in range(torch.cuda.device_count())))
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise FoleyError(f"--device {spec} was asked for, but MPS is not available")
    return device


def bf16_supported(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 at full speed: CUDA GPUs from Ampere on (CPUs emulate it)."""
    return device.type == "cuda" and torch.cuda.is_bf16_supported()
