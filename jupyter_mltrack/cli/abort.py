"""`mltrack abort RUN`: ask a running run to stop. Its writer reads the request with its next
flush (every second by default), ends the run `aborted` and interrupts the code running
(capture/abort.py). Imports the store and nothing else, so it starts at once."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("abort", help="ask a running run to stop")
    p.add_argument("run", help="run id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_abort)


def _abort(args: argparse.Namespace) -> int:
    from ..store import runs
    from .runs import open_from

    info = runs.request_abort(open_from(args), args.run)
    if args.json:
        print(json.dumps({"id": info.short_id, "abort_requested": True}))
    else:
        print(
            f"abort requested for {info.short_id}; the run stops and its code is interrupted "
            "at its next flush (within a second or two)"
        )
    return 0
