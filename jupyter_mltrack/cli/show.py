"""`mltrack show RUN`: one run's sys values, then its parameters and metrics (what a W&B or
neptune user looks for first, by the runs table's rule: each field's `kind`), then every other
field; series with their aggregates."""

from __future__ import annotations

import argparse
from typing import Any

from ..sysfields import TIME_PATHS
from .runs import cell, open_from, print_json, print_table
from .terminal import escape


def register(sub: Any) -> None:
    p = sub.add_parser("show", help="show one run: sys values and fields")
    p.add_argument("run", help="run id (CRED-12) or custom run id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_show)


def _show(args: argparse.Namespace) -> int:
    from ..query.detail import run_detail

    detail = run_detail(open_from(args), args.run)
    if args.json:
        print_json(detail)
        return 0
    sys_rows = [
        [path, cell(v, time_column=path in TIME_PATHS, path=path)]
        for path, v in detail["sys"].items()
        if v not in (None, "")
    ]
    print_table(sys_rows, ["run", detail["id"]])
    print()
    groups: dict[str | None, list[list[str]]] = {"param": [], "metric": [], None: []}
    for f in detail["fields"]:
        if "count" in f:
            value = cell(f.get("last"))
            extra = f"{f['count']:,} pts"
            if f["type"] == "float_series":
                extra += f", min {cell(f.get('min'))}, max {cell(f.get('max'))}"
        else:
            value, extra = cell(f.get("value")), ""
        groups[f.get("kind")].append([f["path"], f["type"], value, extra])
    titles = {"param": "parameter", "metric": "metric", None: "field"}
    shown = False
    for kind, rows in groups.items():
        if rows:
            if shown:
                print()
            print_table(rows, [titles[kind], "type", "value / last", "series"])
            shown = True
    if not shown:
        print("(no fields)")
    cp = detail.get("checkpoint")
    if cp:
        print()
        print(escape(f"notebook checkpoint: {cp.get('id')} {cp.get('notebook_path', '')}"))
    return 0
