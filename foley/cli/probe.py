"""foley probe: what a player shows of videos."""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import FoleyError
from .notes import counted


def _describe(info: dict) -> str:
    """One line of ``foley probe``: what a player shows (edit list applied, size upright)."""
    parts = [f"{info['duration_s']:.3f} s, {info['frame_count']} frame{'s' if info['frame_count'] != 1 else ''} "
             f"at {info['fps']:.3f} fps"
             + (" (variable)" if info["variable_frame_rate"] else ""),
             f"{info['width']}x{info['height']} {info['codec']}"
             + (f" (rotated {info['rotation']} degrees for display)" if info["rotation"] else ""),
             ("with" if info["has_audio"] else "no") + " audio"
             + (f" ({info['audio_tracks']} tracks)" if info["audio_tracks"] > 1 else "")
             + (f", {counted(info['other_streams'], 'other stream')}"
                if info["other_streams"] else "")]
    if abs(info["start_s"]) > 5e-4:
        parts.append(f"picture starts {info['start_s']:.3f} s into the file")
    if info["frame_count"] < 2:  # what check_moving refuses
        parts.append("a still image: foley dub and compose --video take videos of two frames or more")
    return f"{info['path']}: " + ", ".join(parts)


def _cmd_probe(args: argparse.Namespace) -> int:
    from ..media.video import probe_video

    failed = 0
    for path in args.inputs:
        try:
            info = probe_video(path).to_dict()
        except FoleyError as e:
            print(f"foley: error: {e}", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(info) if args.json else _describe(info))
    return 1 if failed else 0
