"""foley import-*: foley folders made from other projects' weights."""
from __future__ import annotations

import argparse


def _cmd_import_tokenizer(args: argparse.Namespace) -> int:
    from ..models.tokenizer_import import import_unit_tokenizer

    tokenizer = import_unit_tokenizer(args.hubert, args.kmeans, args.out, layer=args.layer, overwrite=args.overwrite)
    print(f"tokenizer written to {args.out}: HuBERT layer {args.layer}, {tokenizer.n_units} units "
          f"of {tokenizer.unit_dim} dimensions")
    return 0


def _cmd_import_aisfx(args: argparse.Namespace) -> int:
    from ..evaluation.aisfx_import import import_aisfx

    model = import_aisfx(args.checkpoint, args.out, overwrite=args.overwrite)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"aiSFX embedder written to {args.out}: {n_params / 1e6:.1f} M parameters, {model.config.dim}-d embeddings "
          f"of {model.config.block_frames}-frame blocks at {model.config.sample_rate} Hz (CC BY 4.0, see "
          f"LICENSE-weights.txt); use it as --embedder aisfx:{args.out}")
    return 0


def _cmd_import_vocoder(args: argparse.Namespace) -> int:
    from ..models.vocoder import vocoder_mel_config
    from ..models.vocoder_import import import_hifigan

    vocoder = import_hifigan(args.checkpoint, args.config, args.out, half=args.half, license_file=args.license,
                             source=args.source, overwrite=args.overwrite)
    mel = vocoder_mel_config(args.out)
    n_params = sum(p.numel() for p in vocoder.parameters())
    print(f"vocoder written to {args.out}: HiFi-GAN, {n_params / 1e6:.1f} M parameters stored in "
          f"{'float16' if args.half else 'float32'}, {vocoder.sample_rate} Hz from {mel.n_mels}-band mels "
          f"(n_fft {mel.n_fft}, hop {mel.hop_length})")
    return 0


def _cmd_import_frame_encoder(args: argparse.Namespace) -> int:
    from ..models.frame_encoder_import import import_efficientnet_lite0

    encoder = import_efficientnet_lite0(args.checkpoint, args.out, license_file=args.license,
                                        overwrite=args.overwrite)
    n_params = sum(p.numel() for p in encoder.parameters())
    print(f"frame encoder written to {args.out}: {encoder.config.model}, {n_params / 1e6:.1f} M parameters, "
          f"{encoder.image_size} px -> {encoder.dim}-d; use it as foley extract --model {args.out}")
    return 0
