"""`mltrack export RUN --format json|csv`: every field and every series point of a run.

JSON: `{"run": {sys...}, "fields": {path: value}, "series": {path: {step, value, timestamp}}}`.
CSV (long form, one row per point or scalar): `path,type,step,value,timestamp`. Numbers are
written as numbers; a text cell that a spreadsheet would take for a formula (starting with
`= + - @`, tab or CR) gets a leading `'`, as OWASP's CSV-injection guidance says, so a stored
`=HYPERLINK(...)` opens as text. To stdout, both formats go through the CLI's terminal
escaping (`terminal`); `-o FILE` gets the exact text.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidInput
from ..query.table import json_safe
from ..store import fields, runs
from .progress import Progress
from .runs import json_default, open_from
from .terminal import escape

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export", help="export a run's fields and series to JSON or CSV, runs to Parquet"
    )
    p.add_argument("run", nargs="?", help="run id")
    p.add_argument("--format", "-f", choices=["json", "csv", "parquet"], default="json")
    p.add_argument(
        "--output", "-o", help="file to write (default: stdout); parquet: a folder, required"
    )
    p.add_argument("--query", "-q", help="parquet: the runs matching this query")
    p.add_argument("--project", "-p", help="parquet with --query: the project")
    p.set_defaults(func=_export)


@contextlib.contextmanager
def _target(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
    else:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            yield fh


def csv_cell(value: Any) -> Any:
    """A cell as written: numbers stay numbers (a negative one is no formula); text that
    starts like a formula is prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _export(args: argparse.Namespace) -> int:
    if args.format == "parquet":
        return _parquet(args)
    if args.run is None or args.query is not None:
        raise InvalidInput(f"--format {args.format} exports one RUN (--query needs parquet)")
    store = open_from(args)
    info = runs.get(store, args.run)
    flds = fields.list_fields(store, info.id)
    series = [f for f in flds if f.type in fields.SERIES_TYPES]
    # On a terminal while the data goes elsewhere (-o, or stdout piped): drawn between the
    # lines of the data on that same terminal, it would garble them.
    to_terminal = args.output is None and sys.stdout.isatty()
    bar = Progress("series", enabled=len(series) > 1 and not to_terminal)
    with bar, _target(args.output) as out:
        if args.format == "json":
            doc: dict[str, Any] = {
                "run": {
                    "id": info.short_id,
                    "project": info.project,
                    "name": info.name,
                    "state": info.state,
                    "failed": info.failed,
                    "owner": info.owner,
                    "created_at": info.created_at,
                    "ended_at": info.ended_at,
                    "custom_run_id": info.custom_run_id,
                },
                "fields": {f.path: f.value for f in flds if f.type not in fields.SERIES_TYPES},
                "series": {},
            }
            for i, f in enumerate(series, 1):
                data = fields.read_series(store, info.id, f.path)
                if data is not None:
                    doc["series"][f.path] = {
                        "type": f.type,
                        "step": list(data.steps),
                        "value": list(data.values),
                        "timestamp": list(data.timestamps),
                    }
                bar(i, len(series), f.path)
            json.dump(json_safe(doc), out, default=json_default, ensure_ascii=False)
            out.write("\n")
        else:
            # A terminal gets plain "\n" line ends: the escaping would show "\r" as text.
            w = csv.writer(out, lineterminator="\r\n" if args.output else "\n")
            w.writerow(["path", "type", "step", "value", "timestamp"])
            for f in flds:
                if f.type not in fields.SERIES_TYPES:
                    v = f.value
                    v = v if isinstance(v, (int, float, str)) else json.dumps(v)
                    w.writerow([csv_cell(f.path), f.type, "", csv_cell(v), ""])
            for i, f in enumerate(series, 1):
                data = fields.read_series(store, info.id, f.path)
                if data is not None:
                    path = csv_cell(f.path)
                    for s, v, t in zip(data.steps, data.values, data.timestamps, strict=True):
                        v = v if not isinstance(v, dict) else json.dumps(v)
                        w.writerow([path, f.type, s, csv_cell(v), t])
                bar(i, len(series), f.path)
    if args.output:
        total = sum(f.count for f in series)
        print(
            escape(
                f"exported {info.short_id}: {len(flds)} fields, {total:,} points -> {args.output}"
            ),
            file=sys.stderr,
        )
    return 0


def _parquet(args: argparse.Namespace) -> int:
    """RUN or the runs of --query, as DIR/points.parquet and DIR/fields.parquet."""
    if not args.output:
        raise InvalidInput("--format parquet writes two files: give the folder with -o DIR")
    if (args.run is None) == (args.query is None):
        raise InvalidInput("--format parquet exports a RUN or the runs of --query, one of them")
    try:
        from . import export_parquet
    except ImportError as e:  # pragma: no cover - pyarrow is in the [neptune] extra
        raise InvalidInput(f"parquet needs pyarrow ({e}): pip install pyarrow") from None
    store = open_from(args)
    if args.run is not None:
        infos = [runs.get(store, args.run)]
    else:
        from ..query import runs_table

        table = runs_table(store, project=args.project, query=args.query, limit=None)
        infos = [runs.get(store, row["sys/id"]) for row in table.items]
    points, values = export_parquet.write(store, infos, Path(args.output))
    print(
        escape(
            f"exported {len(infos)} run(s): {points:,} points, {values:,} values "
            f"-> {args.output}/points.parquet, fields.parquet"
        ),
        file=sys.stderr,
    )
    return 0
