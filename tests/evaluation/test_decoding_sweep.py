"""eval/decoding_sweep.py's detail gain on the decoded mel."""
import importlib.util
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "eval" / "decoding_sweep.py"


def load_script():
    spec = importlib.util.spec_from_file_location("decoding_sweep", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_detail_gain_scales_what_a_moving_average_along_frequency_leaves():
    with_detail = load_script().with_detail
    mel = torch.randn(2, 80, 30, generator=torch.Generator().manual_seed(0))  # (B, M, T)
    assert torch.allclose(with_detail(mel, 1.0), mel, atol=1e-6)
    ramp = torch.linspace(-8, 0, 80)[None, :, None].expand(2, 80, 30)  # smooth along frequency: no detail
    assert torch.allclose(with_detail(ramp, 3.0)[:, 2:-2], ramp[:, 2:-2], atol=1e-5)
    smooth = with_detail(mel, 0.0)
    assert torch.allclose(with_detail(mel, 2.0) - smooth, 2 * (mel - smooth), atol=1e-5)
    assert torch.allclose(smooth[0, 10, 0], mel[0, 8:13, 0].mean(), atol=1e-6)  # a 5-band average
