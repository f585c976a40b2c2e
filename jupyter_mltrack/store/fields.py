"""Fields and series points of runs: scalar upserts, packed series chunks, fast read-back.

One `fields` row per (run, path) holds a scalar's value or a series' aggregates (count, last,
min, max, last_step), so tables and queries never touch points. Points live in
`series_chunks` as little-endian float64 arrays (string and file series: a UTF-8 JSON list of
values), written by `store.points` (which says how chunks are numbered, merged and how a
chunk of evenly spaced integer steps stores none); reading them back is here.

Non-finite floats (NaN, ±Inf) are stored in the chunks as they are and left out of min/max;
a non-finite scalar also keeps its spelling in `text`, because SQLite stores NaN as NULL.
"""

from __future__ import annotations

import json
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from .encoding import ScalarWrite, expand_steps, unpack
from .engine import Store
from .models import Field, SeriesChunk
from .points import TypeConflict
from .upsert import dialect_insert

SCALAR_TYPES = ("float", "int", "bool", "string", "datetime")
SERIES_TYPES = ("float_series", "string_series", "file_series")
SET_TYPES = ("string_set", "file_set")
FILE_TYPES = ("file",)
ALL_TYPES = SCALAR_TYPES + SERIES_TYPES + SET_TYPES + FILE_TYPES

__all__ = ["TypeConflict"]  # re-exported: writers catch it from here or from store.batches


@dataclass(frozen=True)
class FieldInfo:
    """One field as the client and the CLI see it (the value decoded by `value`)."""

    path: str
    type: str
    num: float | None
    int_value: int | None
    text: str | None
    count: int
    last: float | None
    min: float | None
    max: float | None
    last_step: float | None
    updated_at: float

    @property
    def value(self) -> Any:
        """The scalar value, or for a series its last value."""
        t = self.type
        if t in ("float", "datetime"):
            if self.num is None and self.text:
                return float(self.text)  # nan / inf / -inf kept in text
            return self.num
        if t == "int":
            return self.int_value
        if t == "bool":
            return None if self.num is None else bool(self.num)
        if t == "string":
            return self.text
        if t == "float_series":
            if self.last is None and self.count and self.text:
                return float(self.text)
            return self.last
        if t in ("string_set", "file_set", "file", "file_series", "string_series"):
            if self.text is None:
                return None
            if t == "string_series":
                return self.text
            return json.loads(self.text)
        return None


def _info(f: Field) -> FieldInfo:
    return FieldInfo(
        path=f.path,
        type=f.type,
        num=f.num,
        int_value=f.int_value,
        text=f.text,
        count=f.count or 0,
        last=f.last,
        min=f.min,
        max=f.max,
        last_step=f.last_step,
        updated_at=f.updated_at,
    )


# -- writing ---------------------------------------------------------------------------------


def upsert_scalars(session: Session, run_id: int, rows: Sequence[ScalarWrite]) -> None:
    """Insert or overwrite fields. The last write of a path in `rows` wins."""
    if not rows:
        return
    latest: dict[str, ScalarWrite] = {}
    for r in rows:
        latest[r.path] = r
    now = time.time()
    ins = dialect_insert(session)(Field)
    stmt = ins.on_conflict_do_update(
        index_elements=[Field.run_id, Field.path],
        set_={
            "type": ins.excluded.type,
            "num": ins.excluded.num,
            "int_value": ins.excluded.int_value,
            "text": ins.excluded.text,
            "updated_at": ins.excluded.updated_at,
        },
    )
    session.execute(
        stmt,
        [
            {
                "run_id": run_id,
                "path": r.path,
                "type": r.type,
                "num": r.num,
                "int_value": r.int_value,
                "text": r.text,
                "count": 0,
                "updated_at": now,
            }
            for r in latest.values()
        ],
    )


def current_text(session: Session, run_id: int, path: str) -> str | None:
    """The `text` of a field inside a write transaction (sets are read-modify-written)."""
    return session.scalar(select(Field.text).where(Field.run_id == run_id, Field.path == path))


def delete_field(session: Session, run_id: int, path: str) -> int:
    """Remove a field (or every field under a namespace); returns how many went."""
    prefix = path.rstrip("/") + "/"
    ids = select(Field.id).where(
        Field.run_id == run_id, (Field.path == path) | Field.path.startswith(prefix)
    )
    session.execute(delete(SeriesChunk).where(SeriesChunk.field_id.in_(ids)))
    result = session.execute(
        delete(Field).where(
            Field.run_id == run_id, (Field.path == path) | Field.path.startswith(prefix)
        )
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


# -- reading ---------------------------------------------------------------------------------


def list_fields(store: Store, run_id: int, prefix: str | None = None) -> list[FieldInfo]:
    with store.read() as s:
        q = select(Field).where(Field.run_id == run_id)
        if prefix:
            p = prefix.rstrip("/")
            q = q.where((Field.path == p) | Field.path.startswith(p + "/"))
        return [_info(f) for f in s.scalars(q.order_by(Field.path))]


def get_field(store: Store, run_id: int, path: str) -> FieldInfo | None:
    with store.read() as s:
        f = s.scalar(select(Field).where(Field.run_id == run_id, Field.path == path))
        return None if f is None else _info(f)


def fields_of_runs(
    store: Store, run_ids: Sequence[int], paths: Sequence[str] | None = None
) -> dict[int, dict[str, FieldInfo]]:
    """Fields of many runs at once (tables, compare): {run_id: {path: FieldInfo}}."""
    out: dict[int, dict[str, FieldInfo]] = {rid: {} for rid in run_ids}
    if not run_ids:
        return out
    with store.read() as s:
        q = select(Field).where(Field.run_id.in_(list(run_ids)))
        if paths is not None:
            q = q.where(Field.path.in_(list(paths)))
        for f in s.scalars(q):
            out[f.run_id][f.path] = _info(f)
    return out


@dataclass
class SeriesData:
    """Points of one series in append order. Float series: `values` is an array('d')
    (or a numpy array when `as_numpy`); string/file series: a list."""

    type: str
    steps: Any
    values: Any
    timestamps: Any

    def __len__(self) -> int:
        return len(self.steps)


def read_series(
    store: Store, run_id: int, path: str, *, as_numpy: bool = False
) -> SeriesData | None:
    """All points of a series: one query, chunks joined in C. None if there is no such series."""
    with store.read() as s:
        row = s.execute(
            select(Field.id, Field.type).where(Field.run_id == run_id, Field.path == path)
        ).first()
        if row is None or row[1] not in SERIES_TYPES:
            return None
        field_id, ftype = row
        chunks = _chunks(s, field_id)
    ts_b = b"".join(c[5] for c in chunks)
    if as_numpy:
        import numpy as np

        steps: Any = _steps_numpy(chunks)
        stamps: Any = np.frombuffer(ts_b, "<f8")
    else:
        steps = array("d")
        for c in chunks:
            steps.extend(expand_steps(c[3], c[0], c[1], c[2]))
        stamps = unpack(ts_b)
    if ftype == "float_series":
        vals_b = b"".join(c[4] for c in chunks)
        values: Any = np.frombuffer(vals_b, "<f8") if as_numpy else unpack(vals_b)
    else:
        values = []
        for c in chunks:
            values.extend(json.loads(c[4]))
    return SeriesData(ftype, steps, values, stamps)


# count, first_step, last_step, steps, values, timestamps
_Chunk = tuple[int, float, float, bytes, bytes, bytes]


def _chunks(s: Session, field_id: int) -> list[_Chunk]:
    """A series' chunks in order. On PostgreSQL the rows come in binary: bytea as text is
    hexadecimal, twice the bytes to send and to decode (a 1M-point series: ~200 ms against
    ~60 ms; bench/bench_series.py)."""
    c = SeriesChunk
    q = (
        select(c.count, c.first_step, c.last_step, c.steps, c.values, c.timestamps)
        .where(c.field_id == field_id)
        .order_by(c.seq)
    )
    conn = s.connection()
    if conn.dialect.name != "postgresql":
        return [tuple(r) for r in conn.execute(q)]  # type: ignore[misc]
    compiled = q.compile(dialect=conn.dialect)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cur:
        cur.execute(str(compiled), compiled.params)
        return [tuple(r) for r in cur.fetchall()]


def _steps_numpy(chunks: list[_Chunk]) -> Any:
    """The steps of all chunks as one float64 array, implicit ones computed."""
    import numpy as np

    if all(c[3] for c in chunks):
        return np.frombuffer(b"".join(c[3] for c in chunks), "<f8")
    out = np.empty(sum(c[0] for c in chunks), dtype="<f8")
    i = 0
    for count, first, last, steps, _v, _t in chunks:
        if steps:
            out[i : i + count] = np.frombuffer(steps, "<f8")
        elif count:
            stride = (last - first) / (count - 1) if count > 1 else 0.0
            out[i : i + count] = np.arange(count, dtype="<f8") * stride + first
        i += count
    return out


def last_float_point(store: Store, run_id: int, path: str) -> float | None:
    """The last stored value of a float series, read from its last chunk."""
    with store.read() as s:
        data = s.scalar(
            select(SeriesChunk.values)
            .join(Field, Field.id == SeriesChunk.field_id)
            .where(Field.run_id == run_id, Field.path == path)
            .order_by(SeriesChunk.seq.desc())
            .limit(1)
        )
    if not data:
        return None
    return unpack(data[-8:])[0]


def _shas_in(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        sha = value.get("sha256")
        if isinstance(sha, str):
            yield sha
    elif isinstance(value, list):
        for v in value:
            yield from _shas_in(v)


def referenced_blobs(store: Store) -> set[str]:
    """Every blob sha256 a field refers to (files, file series, file sets), for `mltrack gc`.

    Tracked-but-not-uploaded files (track_files) are included too: they have no blob, and
    naming them only keeps gc from deleting a blob that happens to have the same content.
    """
    out: set[str] = set()
    with store.read() as s:
        for (text,) in s.execute(
            select(Field.text).where(
                Field.type.in_(("file", "file_series", "file_set")), Field.text.is_not(None)
            )
        ):
            if text:
                out.update(_shas_in(json.loads(text)))
        for (values,) in s.execute(
            select(SeriesChunk.values)
            .join(Field, Field.id == SeriesChunk.field_id)
            .where(Field.type == "file_series")
        ):
            out.update(_shas_in(json.loads(values)))
    return out
