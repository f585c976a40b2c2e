"""`mltrack sync`: upload offline runs (mode="offline", or spooled because the store was
unreachable) to their store, keeping their run id."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import MLTrackError
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
                "target": s.meta.get("target_url"),
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
    done, failed = [], []
    for i, sp in enumerate(waiting, 1):
        try:
            info = spool.sync(sp, target)
        except MLTrackError as e:
            failed.append({"spool": str(sp.path), "run": sp.label, "error": str(e)})
            if not args.json:
                print(escape(f"[{i}/{len(waiting)}] {sp.label}: {e}"), file=sys.stderr)
            continue
        done.append(
            {"run": info.short_id, "custom_run_id": info.custom_run_id, "project": info.project}
        )
        if not args.json:
            print(escape(f"[{i}/{len(waiting)}] {sp.label} -> {info.short_id} ({info.project})"))
    if args.json:
        print_json({"synced": done, "failed": failed})
    elif not waiting:
        print("no offline runs waiting")
    return 1 if failed else 0
