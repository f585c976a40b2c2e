"""`mltrack sync`: upload offline runs (mode="offline", or spooled because the store was
unreachable) to their store, keeping their run id.

Which store: each spool's own (the one the run was meant for), whose URL the spool keeps
without its password. When `--store`/`MLTRACK_STORE` names that same store, its URL (and
password) is used; otherwise the spool's URL as it is, and libpq looks for the password in
PGPASSWORD or ~/.pgpass. `--to-store` uploads every spool to `--store`/`MLTRACK_STORE`
instead. A run the store has lost since (a rollback, a restored backup) is created again
under its id and creation time."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import MLTrackError
from ..store.config import mask_url, resolve
from .progress import Progress
from .runs import cell, open_from, print_json, print_table
from .terminal import escape


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="upload offline runs to the store")
    p.add_argument("--list", action="store_true", help="only list what is waiting")
    p.add_argument(
        "--to-store",
        action="store_true",
        help="upload to --store/MLTRACK_STORE instead of the store each run was meant for",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    from ..client import spool

    waiting = spool.list_spools()
    if args.list:
        data = [
            {
                "spool": str(s.path),
                "run": s.label,
                "project": s.meta.get("project"),
                "target": mask_url(s.meta.get("target_url") or "") or None,
                "created_at": s.meta.get("created_at"),
            }
            for s in waiting
        ]
        if args.json:
            print_json(data)
        elif not data:
            print("no offline runs waiting")
        else:
            print_table(
                [
                    [
                        str(d["run"]),
                        cell(d["project"]),
                        cell(d["created_at"], time_column=True),
                        str(d["spool"]),
                    ]
                    for d in data
                ],
                ["run", "project", "created", "spool"],
            )
        return 0
    target = open_from(args) if args.to_store else None
    current = resolve(args.store, args.blobs)  # gives its password to a spool of that store
    done, failed = [], []
    bar = Progress.for_args(args, "runs")
    for i, sp in enumerate(waiting, 1):
        bar(i - 1, len(waiting), f"uploading {sp.label}")
        try:
            info = spool.sync(sp, target, current=current)
        except MLTrackError as e:
            failed.append({"spool": str(sp.path), "run": sp.label, "error": str(e)})
            if not args.json:
                bar.clear()
                print(escape(f"[{i}/{len(waiting)}] {sp.label}: {e}"), file=sys.stderr)
            continue
        done.append(
            {"run": info.short_id, "custom_run_id": info.custom_run_id, "project": info.project}
        )
        if not args.json:
            bar.clear()
            print(escape(f"[{i}/{len(waiting)}] {sp.label} -> {info.short_id} ({info.project})"))
    bar.close()
    if args.json:
        print_json({"synced": done, "failed": failed})
    elif not waiting:
        print("no offline runs waiting")
    return 1 if failed else 0
