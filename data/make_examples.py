"""Rebuild the example clips in data/examples/ (deterministic).

    python data/make_examples.py

- hammer.mp4: SynthSync clip 1 of the test split of seed 0 (4 s, five hammer strikes).
- medley.mp4: a 12 s clip made differently: three SynthSync test clips of seed 0 of
  different classes (ball, drum, clap) played one after the other, re-encoded as one
  H.264 + AAC file; its sidecar lists every event with its class and onset.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from foley.datasets.synthsync import SynthConfig, render_clip, write_clip
from foley.media.audio import write_audio
from foley.media.ffmpeg import run_ffmpeg

OUT = Path(__file__).resolve().parent / "examples"


def main() -> None:
    cfg = SynthConfig()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hammer = render_clip(0, "test", 1, cfg)
        entry = write_clip(hammer, tmp, cfg)
        (OUT / "hammer.mp4").write_bytes((tmp / f"{entry['id']}.mp4").read_bytes())
        (OUT / "hammer.json").write_text(json.dumps(hammer["sidecar"], indent=1) + "\n")

        parts = [render_clip(0, "test", i, cfg) for i in (0, 3, 7)]  # ball, drum, clap
        frames = np.concatenate([p["frames"] for p in parts])
        audio = np.concatenate([p["audio"] for p in parts])
        wav = write_audio(tmp / "medley.wav", audio, cfg.sample_rate)
        run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{cfg.size_px}x{cfg.size_px}", "-r", str(cfg.fps),
                    "-i", "pipe:0", "-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-b:a", "96k",
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact", str(OUT / "medley.mp4")],
                   what="medley.mp4", stdin=frames.tobytes())
        clip_s = cfg.n_frames / cfg.fps
        events = [{"class": p["sidecar"]["class"], "onset_s": round(k * clip_s + t, 6)}
                  for k, p in enumerate(parts) for t in p["sidecar"]["onsets_s"]]
        side = {"id": "medley", "duration_s": clip_s * len(parts), "caption": "a ball bounces, a drum is hit, hands clap",
                "onsets_s": [e["onset_s"] for e in events], "events": events,
                "made_from": "SynthSync seed 0, test clips 0, 3 and 7, one after the other"}
        (OUT / "medley.json").write_text(json.dumps(side, indent=1) + "\n")


if __name__ == "__main__":
    main()
