"""`mltrack abort RUN`: ask a running run to stop; its writer sees it at the next heartbeat."""

from __future__ import annotations

import argparse
from typing import Any

from ..store import config, runs
from .runs import open_from, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("abort", help="ask a running run to stop")
    p.add_argument("run", help="run id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_abort)


def _abort(args: argparse.Namespace) -> int:
    info = runs.request_abort(open_from(args), args.run)
    if args.json:
        print_json({"id": info.short_id, "abort_requested": True})
    else:
        print(
            f"abort requested for {info.short_id}; the run is told at its next heartbeat "
            f"(within {int(config.HEARTBEAT_INTERVAL)} s)"
        )
    return 0
