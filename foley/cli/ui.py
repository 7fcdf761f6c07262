"""foley ui: the web page."""
from __future__ import annotations

import argparse


def _cmd_ui(args: argparse.Namespace) -> int:
    from ..ui import launch

    launch(args.model, args.host, args.port, args.device, args.compose_model, ("rules", *args.planner))
    return 0
