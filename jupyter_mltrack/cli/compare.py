"""`mltrack compare RUN RUN...`: fields side by side, differing rows marked."""

from __future__ import annotations

import argparse
import time
from typing import Any

from .. import sysfields
from ..errors import InvalidInput
from ..store import fields, runs
from .runs import cell, open_from, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare the fields of two or more runs")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run ids (at least two)")
    p.add_argument("--diff", action="store_true", help="only fields whose values differ")
    p.add_argument("--prefix", help="only fields under this namespace, e.g. parameters")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    if len(args.runs) < 2:
        raise InvalidInput("compare needs at least two runs")
    store = open_from(args)
    infos = [runs.get(store, r) for r in args.runs]
    seen: set[int] = set()
    for given, info in zip(args.runs, infos, strict=True):
        if info.id in seen:
            raise InvalidInput(f"{given!r} names a run given already: compare different runs")
        seen.add(info.id)
    by_run = fields.fields_of_runs(store, [i.id for i in infos])
    paths = sorted({p for fs in by_run.values() for p in fs})
    if args.prefix:
        pre = args.prefix.rstrip("/")
        paths = [p for p in paths if p == pre or p.startswith(pre + "/")]
    table: dict[str, dict[str, Any]] = {}
    for path in paths:
        vals = {}
        for info in infos:
            f = by_run[info.id].get(path)
            vals[info.short_id] = None if f is None else f.value
        differs = len({repr(v) for v in vals.values()}) > 1
        if args.diff and not differs:
            continue
        table[path] = {"values": vals, "differs": differs}
    if args.json:
        print_json({"runs": [i.short_id for i in infos], "fields": table})
        return 0
    headers = ["", "field", *[i.short_id for i in infos]]
    rows = [
        ["≠" if row["differs"] else "", path, *[cell(v) for v in row["values"].values()]]
        for path, row in table.items()
    ]
    rows[:0] = _sys_rows(infos)
    print_table(rows, headers)
    return 0


def _sys_rows(infos: list[Any]) -> list[list[str]]:
    """The sys fields compare lines runs up on (sysfields: `compared`), as the lab does."""
    now = time.time()
    rows = []
    for f in sysfields.LISTED:
        if f.compared:
            vals = [
                sysfields.value(f.path, i, project=i.project, state=i.state, now=now) for i in infos
            ]
            differs = len({repr(v) for v in vals}) > 1
            rows.append(["≠" if differs else "", f.path, *[cell(v) for v in vals]])
    return rows
