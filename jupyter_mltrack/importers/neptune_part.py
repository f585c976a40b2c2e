"""One part file of a neptune-exporter export, turned into store writes.

The export's rows are long-form: one row per value (a parameter) or per point (a series),
with the value in the column of its type. `decode` turns one part's table into the run's
column values, its scalar fields, its series as packed chunks and the files to store, with
numpy on whole columns for the series (an export has millions of points; a Python loop per
point would be the import's whole cost).

How Neptune's attribute types map (docs/coming-from.md has the table):

- `float`, `int`, `string`, `bool`, `datetime`, `string_set`: fields of the same type;
- `float_series`, `string_series`, `file_series`: series of the same type;
- `histogram_series`: a string series whose values are JSON objects
  `{"type": ..., "edges": [...], "values": [...]}` (`json.loads` gives the histogram back);
- `file`: a file field, `file_set` and `artifact`: a file set (every file under the exported
  path, uploaded), the files copied from the export's files folder into the blob store;
- `sys/*`: the run's own columns where we have them (`SYS_COLUMNS`), `sys/tags` as the run's
  tags, Neptune 3's `sys/forking/parent` and `sys/forking/step` as `forking/parent` and
  `forking/step`; any other `sys/X` is kept as `neptune/sys/X`.

Steps are decimal(18, 6): they are read from the decimal's integer (exact) and divided by
10^6 once, so a step with at most 15 significant digits (every step below 10^9, with its six
decimals) is the float64 nearest to it and prints back as the same decimal. Larger steps
with fractions keep float64's ~16 significant digits (the report notes how many there were).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..client.paths import path_problem
from ..client.values import scalar_write
from ..store.encoding import ScalarWrite, SeriesAppend
from ..store.text import text_problem
from . import packing

if TYPE_CHECKING:
    import pyarrow as pa

    from ..store.blob_api import Blobs

PARAM_TYPES = ("float", "int", "string", "bool", "datetime", "string_set")
SERIES_TYPES = ("float_series", "string_series", "file_series", "histogram_series")
FILE_TYPES = ("file", "file_set", "artifact")
ALL_TYPES = PARAM_TYPES + SERIES_TYPES + FILE_TYPES
# sys attributes that are columns of the run here (the value's column in the export).
SYS_COLUMNS = {
    "sys/name": "name",
    "sys/description": "description",
    "sys/owner": "owner",
    "sys/hostname": "hostname",
    "sys/creation_time": "created_at",
    "sys/failed": "failed",
}
# When the run was last seen alive: its end here (Neptune keeps no end time).
SYS_END = ("sys/ping_time", "sys/modification_time")
FORK_FIELDS = {"sys/forking/parent": "forking/parent", "sys/forking/step": "forking/step"}
# Above this a step's six decimals no longer all survive in a float64.
EXACT_STEPS_BELOW = 1e9
_RUN_TEXT_LIMITS = {"name": 512, "description": 100_000, "owner": 256, "hostname": 256}


@dataclass
class Part:
    """What one part file adds to a run."""

    project_id: str | None = None
    run_id: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    end_candidates: list[float] = field(default_factory=list)
    scalars: list[ScalarWrite] = field(default_factory=list)
    series: list[SeriesAppend] = field(default_factory=list)
    blobs: list[tuple[str, int, str]] = field(default_factory=list)
    points: int = 0
    files: int = 0
    last_seen: float | None = None  # the newest point's timestamp
    inexact_steps: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


@dataclass
class Context:
    """What decoding needs besides the table."""

    blobs: Blobs
    files_root: Path | None
    step_multiplier: float = 1.0
    default_time: float = 0.0  # a point without a timestamp gets this one


# -- columns as numpy ------------------------------------------------------------------------


def decimal_steps(column: pa.ChunkedArray, multiplier: float) -> np.ndarray:
    """decimal128 steps as float64, from the decimal's integer: the one rounding is the final
    division (pyarrow's own cast rounds twice: 0.1 became 0.09999999999999999). Nulls: NaN."""
    import pyarrow as pa

    out = []
    for chunk in column.chunks:
        n = len(chunk)
        if not pa.types.is_decimal(chunk.type):
            vals = chunk.cast(pa.float64()).to_numpy(zero_copy_only=False) * multiplier
            out.append(np.asarray(vals, dtype=np.float64))
            continue
        scale = chunk.type.scale
        # decimal128: 16-byte little-endian two's complement; decimal(18, s) fits the low word.
        words = np.frombuffer(chunk.buffers()[1], dtype="<i8")
        raw = words[2 * chunk.offset : 2 * (chunk.offset + n) : 2]
        m = int(multiplier)
        if m == multiplier and m != 1 and n and int(np.abs(raw).max()) <= (2**53) // abs(m):
            vals = (raw * m).astype(np.float64) / 10.0**scale
        else:
            vals = raw.astype(np.float64) / 10.0**scale
            if multiplier != 1:
                vals = vals * multiplier
        if chunk.null_count:
            vals[~chunk.is_valid().to_numpy(zero_copy_only=False)] = np.nan
        out.append(vals)
    return np.concatenate(out) if out else np.empty(0)


def epoch_seconds(column: pa.ChunkedArray, default: float) -> np.ndarray:
    """timestamp[ms, UTC] as float epoch seconds (ms / 1000: exact to the millisecond)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ms = pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)
    secs: np.ndarray = np.asarray(ms, dtype=np.float64) / 1000.0
    secs[np.isnan(secs)] = default
    return secs


def _groups(paths: pa.ChunkedArray, steps: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Row indices of each attribute path, its points in step order (stable for ties)."""
    import pyarrow as pa

    if pa.types.is_dictionary(paths.type):  # as read (neptune.read_part)
        encoded = paths.unify_dictionaries().combine_chunks()
    else:
        encoded = paths.combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    names = encoded.dictionary.to_pylist()
    order = np.lexsort((steps, codes))
    bounds = np.cumsum(np.bincount(codes, minlength=len(names)))
    out, start = [], 0
    for name, end in zip(names, bounds.tolist(), strict=True):
        if end > start:
            out.append((name, order[start:end]))
        start = end
    return out


# -- decoding --------------------------------------------------------------------------------


def decode(table: pa.Table, ctx: Context) -> Part:
    """The writes of one part file (its rows of every attribute type)."""
    import pyarrow.compute as pc

    from . import neptune_files  # it builds on Part and Context, defined here

    part = Part()
    if table.num_rows == 0:
        return part
    for name in ("project_id", "run_id"):
        ids = pc.drop_null(table[name])
        if len(ids):
            setattr(part, name, ids[0].as_py())
    types = table["attribute_type"]
    present = set(pc.unique(types).to_pylist())
    for kind in sorted(t for t in present if t is not None and t not in ALL_TYPES):
        n = int(pc.sum(pc.equal(types, kind)).as_py() or 0)
        part.skipped.append((f"({kind})", f"{n} value(s) of unknown attribute type {kind!r}"))
    if None in present:
        n = int(table["attribute_type"].null_count)
        part.skipped.append(("(no type)", f"{n} row(s) without an attribute_type"))
    # Parameters first: a point without a timestamp gets the run's sys/creation_time.
    for kind in (t for t in ALL_TYPES if t in present):
        # Only the columns this kind reads: filtering the nested ones costs as much again.
        rows = table.select(_COLUMNS_OF[kind]).filter(pc.equal(types, kind))
        if kind in PARAM_TYPES:
            _params(part, kind, rows)
            continue
        ctx.default_time = part.columns.get("created_at", ctx.default_time)
        if kind in SERIES_TYPES:
            _series(part, kind, rows, ctx)
        else:
            neptune_files.file_fields(part, kind, rows, ctx)
    return part


_ID = ("attribute_path", "step", "timestamp")
_COLUMNS_OF = {
    **{
        t: (
            "attribute_path",
            "float_value",
            "int_value",
            "string_value",
            "bool_value",
            "datetime_value",
            "string_set_value",
        )
        for t in PARAM_TYPES
    },
    "float_series": (*_ID, "float_value"),
    "string_series": (*_ID, "string_value"),
    "file_series": (*_ID, "file_value"),
    "histogram_series": (*_ID, "histogram_value"),
    **{t: ("attribute_path", "file_value", "string_value") for t in FILE_TYPES},
}
_VALUE_COLUMN = {
    "float": "float_value",
    "int": "int_value",
    "string": "string_value",
    "bool": "bool_value",
    "datetime": "datetime_value",
    "string_set": "string_set_value",
}


def _params(part: Part, kind: str, rows: pa.Table) -> None:
    paths = rows["attribute_path"].to_pylist()
    values = rows[_VALUE_COLUMN[kind]].to_pylist()
    for path, value in zip(paths, values, strict=True):
        if path is None or value is None:
            if path is not None:
                part.skipped.append((path, f"a {kind} attribute without a value"))
            continue
        if path.startswith("sys/"):
            _sys(part, path, kind, value)
            continue
        if kind == "string_set":
            strings = sorted({str(v) for v in value if v is not None})
            bad = next((s for s in strings if text_problem(s)), None)
            if bad is not None:
                part.skipped.append((path, f"a tag {bad[:40]!r} {text_problem(bad)}"))
                continue
            text = json.dumps(strings, ensure_ascii=False)
            add_scalar(part, ScalarWrite(path, "string_set", text=text))
            continue
        write = scalar_write(path, value)
        if isinstance(write, str):
            part.skipped.append((path, write))
        else:
            add_scalar(part, write)


def add_scalar(part: Part, write: ScalarWrite) -> None:
    problem = path_problem(write.path)
    if problem is not None:
        part.skipped.append((write.path[:80], problem))
    else:
        part.scalars.append(write)


def _sys(part: Part, path: str, kind: str, value: Any) -> None:
    """A sys attribute: a column of the run, its tags, its fork, or `neptune/sys/...`."""
    column = SYS_COLUMNS.get(path)
    if column == "created_at" and kind == "datetime":
        part.columns[column] = value.timestamp()
    elif column == "failed" and kind == "bool":
        part.columns["failed"] = bool(value)
    elif column is not None and kind == "string":
        limit = _RUN_TEXT_LIMITS[column]
        if text_problem(value) is not None:
            part.skipped.append((path, f"the text {text_problem(value)}"))
        elif len(value) > limit:
            part.columns[column] = value[:limit]
            part.skipped.append((path, f"cut to {limit:,} characters (the column's size)"))
        else:
            part.columns[column] = value
    elif path in SYS_END and kind == "datetime":
        part.end_candidates.append(value.timestamp())
        add_scalar(part, ScalarWrite(f"neptune/{path}", "datetime", num=value.timestamp()))
    elif path == "sys/tags" and kind == "string_set":
        tags = sorted({str(v) for v in value if v is not None and not text_problem(str(v))})
        add_scalar(part, ScalarWrite("sys/tags", "string_set", text=json.dumps(tags)))
    elif path in FORK_FIELDS:
        write = scalar_write(FORK_FIELDS[path], value)
        if isinstance(write, ScalarWrite):
            add_scalar(part, write)
    elif path == "sys/custom_run_id" and value == part.run_id:
        pass  # the run's custom_run_id already (Neptune 3 exports name runs by it)
    else:
        write = (
            ScalarWrite(f"neptune/{path}", "string_set", text=json.dumps(sorted(map(str, value))))
            if kind == "string_set"
            else scalar_write(f"neptune/{path}", value)
        )
        if isinstance(write, str):
            part.skipped.append((path, write))
        else:
            add_scalar(part, write)


def _series(part: Part, kind: str, rows: pa.Table, ctx: Context) -> None:
    import pyarrow.compute as pc

    if kind == "float_series":
        missing = rows["float_value"].null_count
        if missing:
            part.skipped.append(
                ("(float_series)", f"{missing} point(s) without a value (left out)")
            )
            rows = rows.filter(pc.is_valid(rows["float_value"]))
    steps = decimal_steps(rows["step"], ctx.step_multiplier)
    no_step = np.isnan(steps)
    if no_step.any():  # a point without a step follows the one before it
        steps[no_step] = np.arange(len(steps), dtype=np.float64)[no_step]
    stamps = epoch_seconds(rows["timestamp"], ctx.default_time)
    if len(stamps):
        newest = float(stamps.max())
        part.last_seen = newest if part.last_seen is None else max(part.last_seen, newest)
    frac = np.abs(steps) >= EXACT_STEPS_BELOW
    if frac.any():
        part.inexact_steps += int(np.count_nonzero(frac & (steps != np.round(steps))))
    if kind == "float_series":
        values = rows["float_value"].to_numpy()
    for path, idx in _groups(rows["attribute_path"], steps):
        problem = path_problem(path)
        if problem is not None:
            part.skipped.append((path[:80], problem))
            continue
        s, t = steps[idx], stamps[idx]
        if kind == "float_series":
            batches = packing.float_chunks(path, s, values[idx], t)
            part.series.extend(batches)
            part.points += len(idx)
            continue
        items = _json_values(part, kind, path, rows, idx, ctx)
        keep = np.array([v is not None for v in items], dtype=bool)
        if not keep.all():
            s, t = s[keep], t[keep]
            items = [v for v in items if v is not None]
        for i in range(0, len(items), packing.CHUNK_POINTS):
            j = i + packing.CHUNK_POINTS
            vals = items[i:j]
            last = vals[-1]
            stored = "file_series" if kind == "file_series" else "string_series"
            part.series.append(
                SeriesAppend(
                    path=path,
                    type=stored,
                    steps=packing.pack(s[i:j]),
                    values=json.dumps(vals, ensure_ascii=False).encode(),
                    timestamps=packing.pack(t[i:j]),
                    count=len(vals),
                    first_step=float(s[i]),
                    last_step=float(s[i:j][-1]),
                    last_text=last if isinstance(last, str) else json.dumps(last),
                )
            )
            part.points += len(vals)


def _json_values(
    part: Part, kind: str, path: str, rows: pa.Table, idx: np.ndarray, ctx: Context
) -> list[Any]:
    """The values of a string, histogram or file series (None: left out, with the reason)."""
    import pyarrow as pa

    from . import neptune_files

    take = pa.array(idx)
    if kind == "string_series":
        out: list[Any] = []
        for v in rows["string_value"].take(take).to_pylist():
            if v is not None and text_problem(v):
                part.skipped.append((path, f"a point's text {text_problem(v)}"))
                v = None
            out.append(v)
        return out
    if kind == "histogram_series":
        return [
            None if h is None else json.dumps(h, separators=(",", ":"))
            for h in rows["histogram_value"].take(take).to_pylist()
        ]
    return [
        neptune_files.file_meta(part, path, None if f is None else f.get("path"), ctx)
        for f in rows["file_value"].take(take).to_pylist()
    ]
