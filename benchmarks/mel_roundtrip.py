"""Round-trip errors of the mel image and of Griffin-Lim, on real clips.

1. log-mel -> image -> log-mel (Auffusion's 256-mel settings): the error where the log-mel
   lies inside the clamp range [ln 1e-5, ln 200], and how much of it lies outside.
2. waveform -> log-mel -> Griffin-Lim -> log-mel (the demo's 64-mel settings): the mean
   absolute log-mel error on bins louder than -40 dB below the clip's peak bin.

    python benchmarks/mel_roundtrip.py AUDIO... (e.g. a SynthSync test split's wavs) [--threads N]
"""
from __future__ import annotations

import math

import torch

from foley.cli import OneLineErrors, add_threads, one_line_errors, show_defaults
from foley.media.audio import read_audio
from foley.models.mel import LogMel, MelConfig, image_to_mel, mel_to_image
from foley.models.vocoder import GriffinLimConfig, GriffinLimVocoder


def main(argv: list[str] | None = None) -> None:
    ap = OneLineErrors(description=__doc__.split("\n\n")[0])
    ap.add_argument("audio", nargs="+")
    add_threads(ap)
    args = show_defaults(ap).parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    auff = MelConfig()
    demo = MelConfig(n_mels=64, width=416)
    lo, hi = math.log(auff.min_value), math.log(auff.max_value)
    vocoder = GriffinLimVocoder(GriffinLimConfig(mel=demo))
    max_err, sum_err, n_in, n_out, gl_err = 0.0, 0.0, 0, 0, []
    for path in args.audio:
        wav = torch.from_numpy(read_audio(path)[0])[None]
        logmel = LogMel(auff)(wav)  # (1, 256, T)
        t = min(logmel.shape[-1], auff.width)
        back = image_to_mel(mel_to_image(logmel, auff), auff)[..., :t]
        inside = (logmel[..., :t] >= lo) & (logmel[..., :t] <= hi)
        err = (back - logmel[..., :t]).abs()[inside]
        max_err, sum_err = max(max_err, err.max().item()), sum_err + err.sum().item()
        n_in, n_out = n_in + inside.sum().item(), n_out + (~inside).sum().item()
        small = LogMel(demo)(wav)
        again = LogMel(demo)(vocoder(small))
        loud = small > small.max() - math.log(100.0)
        gl_err.append((again - small).abs()[loud].mean().item())
    print(f"{len(args.audio)} clips")
    print(f"mel -> image -> mel: max abs error {max_err:.2e}, mean {sum_err / max(1, n_in):.2e} (nats, "
          f"range {hi - lo:.2f}); {100 * n_out / (n_in + n_out):.2f} % of bins outside the clamp range")
    print(f"Griffin-Lim ({vocoder.cfg.n_iter} iterations, 64 mels): mean abs log-mel error on loud bins "
          f"{sum(gl_err) / len(gl_err):.3f} nats")


if __name__ == "__main__":
    one_line_errors(main, "mel_roundtrip.py")
