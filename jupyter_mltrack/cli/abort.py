"""`mltrack abort RUN`: ask a running run to stop. Its writer reads the request with its next
flush (every second by default), ends the run `aborted` and interrupts the code running
(capture/abort.py). It starts at once (issue 18: 0.3 s): a store at the head schema is opened
with its plain driver (store/dbapi.py) and asked in plain SQL (store/abort.py), without
importing SQLAlchemy; any other store goes through `open_store`, which migrates or says why."""

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
    from ..store import abort, dbapi
    from ..store.config import resolve

    plain = dbapi.connect(resolve(args.store, args.blobs))
    if plain is None:
        from ..store import runs
        from .runs import open_from

        short_id = runs.request_abort(open_from(args), args.run).short_id
    else:
        conn, dialect = plain
        try:
            short_id = abort.request(conn, dialect, args.run)[1]
        finally:
            conn.close()
    if args.json:
        print(json.dumps({"id": short_id, "abort_requested": True}))
    else:
        print(
            f"abort requested for {short_id}; the run stops and its code is interrupted "
            "at its next flush (within a second or two)"
        )
    return 0
