"""Loading the Auffusion layouts, prompt encoding, and text-only generation."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from diffusers import DPMSolverMultistepScheduler

from foley.errors import FoleyError
from foley.models.backbone_settings import DecodingConfig
from foley.models.layout import LAYOUT_CONDITION, LAYOUT_SD
from foley.models.backbone import AudioBackbone, _steps_fit, build_backbone
from foley.models.vocoder import GriffinLimConfig, GriffinLimVocoder, HifiGanVocoder

from auffusion_models import TINY, tiny_backbone, tiny_sentence_encoder, write_condition_layout, write_sd_layout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_backbone(tmp_path_factory.mktemp("tiny"))


def _unet_out(backbone: AudioBackbone, states: torch.Tensor) -> torch.Tensor:
    h, w = backbone.latent_size
    x = torch.randn(1, 4, h, w, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return backbone.unet(x, torch.tensor([10]), states).sample


def test_no_adapter_layout_loads_the_same_model(tiny, tmp_path):
    write_sd_layout(tiny, tmp_path / "m")
    loaded = AudioBackbone.from_pretrained(tmp_path / "m")
    assert loaded.text.layout == LAYOUT_SD and isinstance(loaded.vocoder, HifiGanVocoder)
    prompts = ["a ball", "drum hit"]
    cond = tiny.text.encode(prompts)
    torch.testing.assert_close(loaded.text.encode(prompts), cond, rtol=0, atol=0)
    torch.testing.assert_close(loaded.text.encode_negative(2), tiny.text.encode([""] * 2), rtol=0, atol=0)
    torch.testing.assert_close(_unet_out(loaded, cond[:1]), _unet_out(tiny, cond[:1]), atol=1e-5, rtol=1e-5)


def test_condition_adapter_layout_encodes_like_auffusion(tiny, tmp_path):
    adapter = write_condition_layout(tiny, tmp_path / "m")
    loaded = AudioBackbone.from_pretrained(tmp_path / "m")
    assert loaded.text.layout == LAYOUT_CONDITION
    got = loaded.text.encode(["a ball", "drum"])  # (2, 12, 16)
    with torch.no_grad():
        for row, prompt in zip(got, ["a ball", "drum"]):
            ids = tiny.text.tokenizer(prompt, return_tensors="pt").input_ids  # unpadded
            states = tiny.text.text_encoder(ids).last_hidden_state
            expected = adapter(F.pad(states, (0, 0, 0, 12 - states.shape[1])))[0]
            torch.testing.assert_close(row, expected, rtol=0, atol=1e-6)
    assert torch.equal(loaded.text.encode_negative(3), torch.zeros(3, 12, 16))


def test_a_backbone_can_share_its_text_encoder_and_vocoder(tiny, tmp_path):
    import shutil

    write_condition_layout(tiny, tmp_path / "base")
    own = tmp_path / "own"
    for sub in ("unet", "vae", "scheduler", "condition_adapter_0"):
        shutil.copytree(tmp_path / "base" / sub, own / sub)
    for name in ("condition_config.json", "mel_config.json"):
        shutil.copy(tmp_path / "base" / name, own)
    shared = {"vocoder": "../base/vocoder", "text_encoder_0": "../base/text_encoder_0"}
    (own / "components.json").write_text(json.dumps(shared))
    base, loaded = AudioBackbone.from_pretrained(tmp_path / "base"), AudioBackbone.from_pretrained(own)
    torch.testing.assert_close(loaded.text.encode(["a ball"]), base.text.encode(["a ball"]), rtol=0, atol=0)
    for a, b in zip(loaded.vocoder.state_dict().values(), base.vocoder.state_dict().values()):
        assert torch.equal(a, b)
    (own / "components.json").write_text(json.dumps({**shared, "vocoder": "../nowhere"}))
    with pytest.raises(FoleyError, match=r"components.json: vocoder -> ../nowhere: no such folder$"):
        AudioBackbone.from_pretrained(own)
    (own / "components.json").write_text(json.dumps({**shared, "vocoder": "../griffin_lim"}))
    GriffinLimVocoder(GriffinLimConfig(mel=replace(tiny.mel, n_mels=tiny.mel.n_mels + 8))).save_pretrained(
        tmp_path / "griffin_lim")
    with pytest.raises(FoleyError, match=rf"a vocoder of {tiny.mel.n_mels + 8} mel bands, but .* makes "
                                         rf"{tiny.mel.n_mels}-band mels$"):
        AudioBackbone.from_pretrained(own)
    (own / "components.json").unlink()
    with pytest.raises(FoleyError, match="missing the vocoder/"):
        AudioBackbone.from_pretrained(own)


def test_a_text_encoder_without_its_vocabulary_or_a_bad_condition_config_is_one_line(tiny, tmp_path):
    write_condition_layout(tiny, tmp_path / "base")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        (tmp_path / "base" / "text_encoder_0" / name).unlink(missing_ok=True)
    with pytest.raises(FoleyError, match=r"text_encoder_0: no usable tokenizer \(.*\)$"):
        AudioBackbone.from_pretrained(tmp_path / "base")
    torch.manual_seed(0)  # a WordPiece folder without its vocabulary: transformers builds 5 tokens, all words [UNK]
    build_backbone(TINY, text=tiny_sentence_encoder(tmp_path / "enc")).save_pretrained(tmp_path / "bert")
    for name in ("tokenizer.json", "vocab.txt"):
        (tmp_path / "bert" / "text_encoder_0" / name).unlink(missing_ok=True)
    with pytest.raises(FoleyError, match=r"text_encoder_0: a tokenizer of 5 tokens for a text encoder of \d+"):
        AudioBackbone.from_pretrained(tmp_path / "bert")
    for entries in ([5], [{"text_encoder_name": "text_encoder_0"}]):
        (tmp_path / "base" / "condition_config.json").write_text(json.dumps(entries))
        with pytest.raises(FoleyError, match="its entry needs text_encoder_name and condition_adapter_name"):
            AudioBackbone.from_pretrained(tmp_path / "base")


@pytest.mark.parametrize("sub, file", [("text_encoder_0", "config.json"), ("scheduler", "scheduler_config.json"),
                                       ("unet", "config.json"), ("condition_adapter_0", "config.json")])
def test_an_empty_component_folder_is_named_in_one_line(tiny, tmp_path, sub, file):
    import shutil

    write_condition_layout(tiny, tmp_path / "base")
    shutil.rmtree(tmp_path / "base" / sub)
    (tmp_path / "base" / sub).mkdir()
    with pytest.raises(FoleyError, match=rf"{sub}: no {file} \(an empty or partial {sub} folder\)$"):
        AudioBackbone.from_pretrained(tmp_path / "base")


class _RunsWhenUnpickled:
    """A pickle that would write a file if unpickling ran it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _edit_safetensors(path, edit) -> None:
    from safetensors.torch import load_file, save_file

    save_file(edit(load_file(path)), path, metadata={"format": "pt"})


def _without(name):
    return lambda state: {k: v for k, v in state.items() if k != name}


def _reshaped(name):
    return lambda state: {**state, name: torch.zeros(state[name].shape[0] + 1, *state[name].shape[1:])}


@pytest.mark.parametrize("sub, weights, edit, said", [
    ("unet", "diffusion_pytorch_model.safetensors", _reshaped("conv_in.weight"),
     r"unet: the UNet's weight conv_in.weight is \(17, 4, 3, 3\), but its config.json makes it \(16, 4, 3, 3\)$"),
    ("unet", "diffusion_pytorch_model.safetensors", _without("conv_in.weight"),
     r"unet: the UNet's weights lack conv_in.weight \(an incomplete or other model's weights file\)$"),
    ("vae", "diffusion_pytorch_model.safetensors", _without("decoder.conv_in.bias"),
     r"vae: the VAE's weights lack decoder.conv_in.bias"),
    ("text_encoder", "model.safetensors", _without("embeddings.position_embedding.weight"),  # was filled at random
     r"text_encoder: the text encoder's weights lack embeddings.position_embedding.weight"),
])
def test_weights_that_do_not_fill_the_model_are_named_in_one_line(tiny, tmp_path, sub, weights, edit, said):
    write_sd_layout(tiny, tmp_path / "m")
    _edit_safetensors(tmp_path / "m" / sub / weights, edit)
    with pytest.raises(FoleyError, match=said):
        AudioBackbone.from_pretrained(tmp_path / "m")


def test_half_precision_and_pickled_weights_load_in_float32_and_a_pickle_never_runs(tiny, tmp_path):
    from safetensors.torch import load_file

    write_sd_layout(tiny, tmp_path / "m")
    _edit_safetensors(tmp_path / "m" / "unet" / "diffusion_pytorch_model.safetensors",
                      lambda state: {k: v.bfloat16() for k, v in state.items()})
    _edit_safetensors(tmp_path / "m" / "vae" / "diffusion_pytorch_model.safetensors",
                      lambda state: {k: v.half() for k, v in state.items()})
    text = tmp_path / "m" / "text_encoder"
    torch.save(load_file(text / "model.safetensors"), text / "pytorch_model.bin")  # a torch pickle of plain tensors
    (text / "model.safetensors").unlink()
    loaded = AudioBackbone.from_pretrained(tmp_path / "m")
    assert {p.dtype for m in (loaded.unet, loaded.vae, loaded.text.text_encoder) for p in m.parameters()} == {torch.float32}
    torch.testing.assert_close(loaded.text.encode(["a ball"]), tiny.text.encode(["a ball"]), rtol=0, atol=0)
    assert torch.isfinite(loaded.generate(["a ball"], 0.4, steps=2)).all()
    marker = tmp_path / "ran"
    torch.save({"weight": _RunsWhenUnpickled(marker)}, text / "pytorch_model.bin")
    with pytest.raises(FoleyError, match=r"text_encoder: not a loadable text encoder \(a pickle that asks for "
                                         r"io.open, refused: nothing was run\)$"):
        AudioBackbone.from_pretrained(tmp_path / "m")
    assert not marker.exists()


def _pickled_weights_that_run(d):
    (d / "diffusion_pytorch_model.safetensors").unlink()
    torch.save({"conv_in.weight": _RunsWhenUnpickled(d / "ran")}, d / "diffusion_pytorch_model.bin")


_DAMAGED_UNET = [
    (lambda d: (d / "diffusion_pytorch_model.safetensors").write_bytes(b"\x10" * 64),  # a cut or foreign file
     r"unet: not a loadable UNet \(SafetensorError: Error while deserializing header"),
    (_pickled_weights_that_run, r"unet: not a loadable UNet \(a pickle that asks for io.open, refused: nothing was run\)$"),
    (lambda d: (d / "diffusion_pytorch_model.safetensors").unlink(), r"unet: not a loadable UNet \(OSError: Error no file"),
    (lambda d: (d / "config.json").write_text("[1, 2]"), r"unet/config.json: the UNet config must hold a JSON object"),
    (lambda d: (d.parent / "scheduler" / "scheduler_config.json").write_text(json.dumps(
        {"_class_name": "PNDMScheduler", "num_train_timesteps": "1000"})),
     r"scheduler/scheduler_config.json: not a usable PNDMScheduler config \("),
    (lambda d: (d.parent / "tokenizer" / "tokenizer_config.json").write_text("[]"),
     r"tokenizer: no usable tokenizer \('list' object has no attribute 'get'\)$"),
]
_DAMAGED_CONDITION_ADAPTER = [
    (lambda d: torch.save({"proj.weight": _RunsWhenUnpickled(d / "ran")}, d / "condition_adapter.pt"),
     r"condition_adapter.pt: not the weights of a 16 -> 16 condition adapter \(a pickle that asks for io.open, "
     r"refused: nothing was run\)$"),
    (lambda d: (d / "condition_adapter.pt").write_bytes(b"not a pickle"),
     r"condition_adapter.pt: not the weights of a 16 -> 16 condition adapter \(UnpicklingError: "),
    (lambda d: (d / "config.json").write_text(json.dumps({"condition_dim": 16, "cross_attention_dim": 32})),
     r"condition_adapter.pt: not the weights of a 16 -> 32 condition adapter \(RuntimeError: .*size mismatch for proj"),
    (lambda d: (d / "config.json").write_text(json.dumps({"cross_attention_dim": 16})),
     r"condition_adapter_0/config.json: condition_dim and cross_attention_dim must be whole numbers > 0, got None and 16$"),
    (lambda d: (d / "config.json").write_text("{"), r"condition_adapter_0/config.json: not a readable condition adapter config"),
    (lambda d: (d.parent / "condition_config.json").write_text("["), r"condition_config.json: not a readable condition config"),
    (lambda d: (d.parent / "condition_config.json").write_text(json.dumps(
        [{**json.loads((d.parent / "condition_config.json").read_text())[0], "max_length": "77"}])),
     r"condition_config.json: max_length must be a whole number > 0, got '77'$"),
]


@pytest.mark.parametrize("layout, folder, damage, said",
                         [(write_sd_layout, "unet", *case) for case in _DAMAGED_UNET]
                         + [(write_condition_layout, "condition_adapter_0", *case) for case in _DAMAGED_CONDITION_ADAPTER])
def test_a_damaged_component_file_is_named_in_one_line_and_never_runs(tiny, tmp_path, layout, folder, damage, said):
    """diffusers says only "Unable to load weights from checkpoint file" for the UNet's first three."""
    layout(tiny, tmp_path / "m")
    damage(tmp_path / "m" / folder)
    with pytest.raises(FoleyError, match=said):
        AudioBackbone.from_pretrained(tmp_path / "m")
    assert not (tmp_path / "m" / folder / "ran").exists()


@pytest.mark.parametrize("change, said", [
    ({"sampling_rate": 22050}, "a vocoder of 22050 Hz audio, 160 samples per mel frame, but .* makes mels of 16000 Hz "
                               "audio, 160 samples per frame$"),
    ({"upsample_rates": [3, 4, 4, 2]}, "a vocoder of 16000 Hz audio, 96 samples per mel frame"),  # the same weights fit
])
def test_a_vocoder_of_another_rate_or_hop_is_refused_at_load(tiny, tmp_path, change, said):
    write_sd_layout(tiny, tmp_path / "m")
    config = tmp_path / "m" / "vocoder" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), **change}))
    with pytest.raises(FoleyError, match=said):  # it would write audio of another speed, or too short
        AudioBackbone.from_pretrained(tmp_path / "m")


def test_a_text_encoder_of_another_width_than_the_unet_is_refused_at_load(tiny, tmp_path):
    import shutil

    from auffusion_models import tiny_tokenizer

    torch.manual_seed(0)
    build_backbone(replace(TINY, text_dim=32), tiny_tokenizer(tmp_path / "tok")).save_pretrained(tmp_path / "wide")
    tiny.save_pretrained(tmp_path / "m")
    shutil.rmtree(tmp_path / "m" / "text_encoder")  # shared with a backbone of 32-d text states
    (tmp_path / "m" / "components.json").write_text(json.dumps({"text_encoder": "../wide/text_encoder"}))
    with pytest.raises(FoleyError, match=r"m: its text encoder gives 32-d states, but its UNet attends to 16-d ones "
                                         r"\(a text encoder of another model\?\)$"):  # not a matmul error mid-generation
        AudioBackbone.from_pretrained(tmp_path / "m")


def test_saved_backbone_round_trips_with_its_griffin_lim_vocoder(tiny, tmp_path):
    tiny.save_pretrained(tmp_path / "m")
    loaded = AudioBackbone.from_pretrained(tmp_path / "m")
    assert isinstance(loaded.vocoder, GriffinLimVocoder) and loaded.mel == tiny.mel
    a = tiny.generate(["a ball"], 0.4, steps=2, seed=5)
    b = loaded.generate(["a ball"], 0.4, steps=2, seed=5)
    assert torch.equal(a, b)


def test_noise_filling_is_drawn_from_the_seed_saved_with_the_model_and_checked(tmp_path):
    bb = tiny_backbone(tmp_path / "t")
    plain = bb.generate(["a ball"], 0.4, steps=2, seed=3)
    bb.c.decoding = DecodingConfig(noise_fill=0.5)
    filled = bb.generate(["a ball"], 0.4, steps=2, seed=3)
    assert torch.equal(filled, bb.generate(["a ball"], 0.4, steps=2, seed=3))  # the seed decides the noise too
    assert not torch.equal(filled, bb.generate(["a ball"], 0.4, steps=2, seed=4))
    assert ((filled - plain).norm() / plain.norm()).item() > 0.01
    assert abs(20 * torch.log10(filled.norm() / plain.norm()).item()) < 1.5  # texture, not level
    bb.save_pretrained(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "decoding.json").read_text()) == {"noise_fill": 0.5}
    loaded = AudioBackbone.from_pretrained(tmp_path / "m")
    assert loaded.c.decoding == DecodingConfig(noise_fill=0.5)
    assert torch.equal(loaded.generate(["a ball"], 0.4, steps=2, seed=3), filled)
    for bad, said in (({"noise_fill": -1}, "noise_fill must be a number of nats from 0 to 2, got -1"),
                      ({"noise_fill": True}, "noise_fill must be a number of nats"),
                      ({"fill": 1}, "not a decoding config")):
        (tmp_path / "m" / "decoding.json").write_text(json.dumps(bad))
        with pytest.raises(FoleyError, match=f"decoding.json: {said}"):
            AudioBackbone.from_pretrained(tmp_path / "m")


def test_generation_shapes_seeds_batches_and_schedulers(tiny):
    one = tiny.generate(["a ball"], 0.5, steps=2, seed=1, scheduler="ddim")
    assert one.shape == (1, 8000) and one.dtype == torch.float32 and torch.isfinite(one).all()
    assert torch.equal(one, tiny.generate(["a ball"], 0.5, steps=2, seed=1, scheduler="ddim"))
    other = tiny.generate(["a ball"], 0.5, steps=2, seed=2, scheduler="ddim")
    batch = tiny.generate(["drum", "a ball"], 0.5, steps=2, seed=0, scheduler="ddim")  # sample i uses seed + i

    def rel(a, b):
        return ((a - b).norm() / b.norm()).item()

    # Batched UNet arithmetic differs in the last bits, which Griffin-Lim's phase iterations
    # magnify a little; another seed gives another clip altogether.
    assert rel(batch[1:], one) < 0.1 and rel(other, one) > 0.5
    assert tiny.generate(["a ball"], 0.64, steps=2, scheduler="dpm").shape == (1, 10240)
    # as many steps as the schedule has timesteps: Auffusion's "leading" spacing and step offset put one past its end
    # (an IndexError inside diffusers); said, with the most that fit
    with pytest.raises(FoleyError, match="1000 ddim steps do not fit this backbone's noise schedule of 1000 timesteps "
                                         r".*; take at most 999"):
        tiny.generate(["a ball"], 0.5, steps=1000, scheduler="ddim")
    # DPM-Solver told "leading" lays every one of as many steps at timestep 1, and one past the end with one fewer
    dpm = DPMSolverMultistepScheduler(num_train_timesteps=1000, steps_offset=1, timestep_spacing="leading")
    assert [_steps_fit(dpm, n) for n in (1000, 999, 998, 1)] == [False, False, True, True]


def test_bad_generation_requests(tiny):
    with pytest.raises(FoleyError, match="outside"):
        tiny.generate(["a ball"], 0.65, steps=1)  # tiny model width: 64 frames = 0.64 s
    with pytest.raises(FoleyError, match="scheduler"):
        tiny.generate(["a ball"], 0.5, steps=1, scheduler="euler-x")


def test_not_a_model_folder(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(FoleyError, match="not an Auffusion folder"):
        AudioBackbone.from_pretrained(tmp_path / "x")
    (tmp_path / "x" / "model_index.json").write_text(json.dumps({}))
    with pytest.raises(FoleyError, match="missing the unet/"):
        AudioBackbone.from_pretrained(tmp_path / "x")


@pytest.mark.parametrize("missing", ["./missing", "../a/missing", "/no/such/model", "a/b/c"])
def test_a_missing_path_is_not_sent_to_the_hub(missing):
    from foley.models.layout import resolve_model_dir

    with pytest.raises(FoleyError, match=r": no such model folder$"):
        resolve_model_dir(missing)
