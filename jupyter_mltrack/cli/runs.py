"""`mltrack runs [QUERY]`: the runs table in the terminal (or `--json` for scripts).

Also home of the small text-table renderer the other run commands share: columns sized to
their content, capped so a long description cannot push the table off the screen. Those
commands import this module, so the store and the query package are imported where they are
used, not here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import sysfields
from .terminal import escape

if TYPE_CHECKING:
    from ..store.engine import Store

MAX_CELL = 40
# `mltrack runs` without -c: these sys/ columns, then at most this many parameters and metrics.
TERMINAL_SYS = ("sys/id", "sys/name", "sys/state", "sys/creation_time", "sys/duration")
TERMINAL_PARAMS = 4
TERMINAL_METRICS = 3


def open_from(args: argparse.Namespace) -> Store:
    from ..store.config import resolve
    from ..store.engine import open_store

    return open_store(resolve(args.store, args.blobs))


def cell(value: Any, *, time_column: bool = False, path: str = "") -> str:
    """A value as a short table cell, on one line: control characters (newlines included)
    escaped, so a stored value can neither break the table nor reach the terminal raw. A
    `sys/` duration (`path`) reads as the lab shows it (`3m 07s`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    field = sysfields.get(path)
    if field is not None and field.type == "duration" and isinstance(value, (int, float)):
        return sysfields.duration_text(value)
    if isinstance(value, float):
        if time_column and math.isfinite(value):
            return dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}"
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return cell(str(value.get("name") or value.get("path") or json.dumps(value)))
    text = escape(str(value))
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def print_table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, out: Any = None) -> None:
    """Columns sized to their content. Headers (field paths) and cells are escaped here, before
    measuring, so whatever a caller passes cannot carry a control character."""
    out = out or sys.stdout
    headers = [escape(h) for h in headers]
    rows = [[escape(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    total = shutil.get_terminal_size((120, 20)).columns
    while sum(widths) + 2 * len(widths) > total and max(widths) > 8:
        widths[widths.index(max(widths))] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    print("  ".join(fit(h, w).ljust(w) for h, w in zip(headers, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print("  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths, strict=True)), file=out)


def short_headers(columns: Sequence[str]) -> list[str]:
    """Column headers a terminal fits: each path by its shortest tail that no other column
    shown ends with (`sys/id` as `id`, `parameters/lr` as `lr`, but `train/loss` and
    `val/loss` whole); an aggregate (`max(train/loss)`) as it is."""
    parts = [[c] if "(" in c else c.split("/") for c in columns]
    headers = []
    for i, p in enumerate(parts):
        for k in range(1, len(p) + 1):
            tail = p[-k:]
            if not any(j != i and q[-k:] == tail for j, q in enumerate(parts)):
                break
        headers.append("/".join(tail))
    return headers


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def print_json(data: Any) -> None:
    from ..query.table import json_safe

    print(json.dumps(json_safe(data), indent=1, default=json_default, ensure_ascii=False))


def register(sub: Any) -> None:
    p = sub.add_parser(
        "runs",
        help="list runs, filtered by a query",
        description="List runs. QUERY is the query language, e.g. 'metrics/f1 > 0.6 AND "
        'sys/tags CONTAINS "xgb"\'.',
    )
    p.add_argument("query", nargs="?", default="", help="filter (default: all runs)")
    p.add_argument("--project", "-p", help="only this project")
    p.add_argument("--columns", "-c", action="append", help="extra columns (field paths)")
    p.add_argument("--sort", "-s", help="sort keys, '-' for descending (default: newest first)")
    p.add_argument("--limit", "-n", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_runs)


def _runs(args: argparse.Namespace) -> int:
    from ..query import runs_table
    from ..query.columns import column_paths
    from ..query.tokens import quote_path

    store = open_from(args)
    # Without -c, a table shows what the lab's shows first: the parameters and metrics the
    # runs share (fewer, to fit a terminal) after the essential sys/ columns. --json keeps
    # its fixed keys.
    auto = not args.columns and not args.json
    extra = args.columns
    if auto:
        paths = column_paths(store, query=args.query, project=args.project)
        suggested = paths.suggested(max_params=TERMINAL_PARAMS, max_metrics=TERMINAL_METRICS)
        extra = [quote_path(p) for p in suggested]  # a stored path may hold anything
    table = runs_table(
        store,
        project=args.project,
        query=args.query,
        columns=extra,
        sort=args.sort,
        limit=args.limit,
        offset=args.offset,
    )
    if args.json:
        print_json(table.to_dict())
        return 0
    columns = table.columns
    if auto and extra:
        columns = [c for c in table.columns if c in TERMINAL_SYS or c in suggested]
    times = set(table.time_columns)
    rows = [[cell(r.get(c), time_column=c in times, path=c) for c in columns] for r in table.items]
    print_table(rows, short_headers(columns))
    shown = len(table.items)
    # Past 2,000 runs the server estimates the total (query/pages.py): say so.
    total = f"about {table.total}" if table.total_estimated else str(table.total)
    more = args.offset + shown < table.total or table.next_cursor is not None
    print(f"\n{shown} of {total} run(s)" + (" (use --offset for more)" if more else ""))
    return 0
