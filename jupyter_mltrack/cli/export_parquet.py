"""`mltrack export RUN|--query Q --format parquet -o DIR`: runs as two Parquet files, for
pandas, polars and DuckDB (`fetch_runs_table(...).to_pandas()` stays the in-Python way).

- `DIR/points.parquet`: one row per series point: `run_id` (KEY-n), `path`, `step`
  (float64), `timestamp` (timestamp[us, UTC]), `value` (float64: float series; null
  otherwise) and `text` (string series: the string; file series: the file's JSON metadata;
  null for float series). Rows are in each series' order, series by path, runs as selected.
- `DIR/fields.parquet`: one row per value that is not a series, plus each run's own
  columns as `sys/...` rows: `run_id`, `path`, `type`, `num` (numbers, booleans as 0/1,
  datetimes as epoch seconds), `int_value` (exact int64 for ints), `text` (strings; sets and
  files as JSON).

Series are read one at a time and written as they are read (a row group per series), so a
run of millions of points never sits in memory as Python objects. pyarrow (the `[neptune]`
extra) is imported here only, when the command runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import sysfields
from ..store import fields

if TYPE_CHECKING:
    from ..store.engine import Store
    from ..store.entities import RunInfo


def points_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("run_id", pa.string()),
            ("path", pa.string()),
            ("step", pa.float64()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("value", pa.float64()),
            ("text", pa.string()),
        ]
    )


def fields_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("run_id", pa.string()),
            ("path", pa.string()),
            ("type", pa.string()),
            ("num", pa.float64()),
            ("int_value", pa.int64()),
            ("text", pa.string()),
        ]
    )


def _sys_rows(info: RunInfo, now: float) -> Iterable[dict[str, Any]]:
    for f in sysfields.LISTED:
        if f.is_field:
            continue
        v = sysfields.value(f.path, info, project=info.project, state=info.state, now=now)
        if v is None:
            continue
        row: dict[str, Any] = {"run_id": info.short_id, "path": f.path, "type": f"sys:{f.type}"}
        if isinstance(v, (bool, int, float)):
            row["num"] = float(v)
        else:
            row["text"] = str(v)
        yield row


def _field_row(info: RunInfo, f: fields.FieldInfo) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": info.short_id, "path": f.path, "type": f.type}
    if f.type in ("float", "int", "bool", "datetime"):
        num = f.num
        if num is None and f.text:  # nan / inf kept in text (SQLite stores NaN as NULL)
            num = float(f.text)
        row["num"] = num
        if f.type == "int":
            row["int_value"] = f.int_value
    else:
        row["text"] = f.text
    return row


def write(store: Store, infos: list[RunInfo], out: Path) -> tuple[int, int]:
    """Write the two files for `infos` into `out`; returns (points, fields) written."""
    import time

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    p_schema, f_schema = points_schema(), fields_schema()
    n_points = 0
    field_rows: list[dict[str, Any]] = []
    now = time.time()
    with pq.ParquetWriter(out / "points.parquet", p_schema) as writer:
        for info in infos:
            field_rows.extend(_sys_rows(info, now))
            for f in fields.list_fields(store, info.id):
                if f.type not in fields.SERIES_TYPES:
                    field_rows.append(_field_row(info, f))
                    continue
                data = fields.read_series(store, info.id, f.path, as_numpy=True)
                if data is None or not len(data):
                    continue
                n = len(data)
                micros = np.round(np.asarray(data.timestamps) * 1e6).astype("int64")
                if f.type == "float_series":
                    value = pa.array(np.asarray(data.values, dtype="float64"))
                    text = pa.nulls(n, pa.string())
                else:
                    value = pa.nulls(n, pa.float64())
                    text = pa.array(
                        [v if isinstance(v, str) else json.dumps(v) for v in data.values],
                        pa.string(),
                    )
                table = pa.Table.from_arrays(
                    [
                        pa.array([info.short_id] * n, pa.string()),
                        pa.array([f.path] * n, pa.string()),
                        pa.array(np.asarray(data.steps, dtype="float64")),
                        pa.array(micros, pa.timestamp("us", tz="UTC")),
                        value,
                        text,
                    ],
                    schema=p_schema,
                )
                writer.write_table(table)
                n_points += n
    pq.write_table(pa.Table.from_pylist(field_rows, schema=f_schema), out / "fields.parquet")
    return n_points, len(field_rows)
