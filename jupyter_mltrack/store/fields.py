"""Fields and series points of runs: scalar upserts, packed series chunks, fast read-back.

One `fields` row per (run, path) holds a scalar's value or a series' aggregates (count, last,
min, max, last_step), so tables and queries never touch points. Points live in
`series_chunks`, one row per flushed batch per series, as little-endian float64 arrays
(string and file series: a UTF-8 JSON list of values). A chunk's `seq` is the series' point
count before it, taken from the same upsert that bumps the count: the row lock of that
statement makes it unique even when two processes append to one series, so both are kept.

Non-finite floats (NaN, ±Inf) are stored in the chunks as they are and left out of min/max;
a non-finite scalar also keeps its spelling in `text`, because SQLite stores NaN as NULL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, case, delete, insert, select, update
from sqlalchemy.orm import Session

from .encoding import ScalarWrite, SeriesAppend, unpack
from .engine import Store
from .models import Field, SeriesChunk
from .upsert import dialect_insert

SCALAR_TYPES = ("float", "int", "bool", "string", "datetime")
SERIES_TYPES = ("float_series", "string_series", "file_series")
SET_TYPES = ("string_set", "file_set")
FILE_TYPES = ("file",)
ALL_TYPES = SCALAR_TYPES + SERIES_TYPES + SET_TYPES + FILE_TYPES

# Small batches (slow loops, one flush per second) are merged into the series' last chunk
# while it holds fewer than CHUNK_POINTS points; big batches always get their own chunk.
MERGE_BELOW = 1024
CHUNK_POINTS = 4096


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


class TypeConflict(Exception):
    """The path already holds a field of another type (possibly written by another process)."""

    def __init__(self, path: str, existing: str, wanted: str) -> None:
        super().__init__(f"{path} is a {existing} field, not {wanted}")
        self.path, self.existing, self.wanted = path, existing, wanted


def series_upsert(session: Session) -> Any:
    """INSERT of a series' field row that, when the row exists, adds the batch to its
    aggregates (count, last, min, max, last_step) - unless the path holds another type, which
    updates nothing (the callers then raise `TypeConflict`)."""
    ins = dialect_insert(session)(Field)
    ex = ins.excluded
    return ins.on_conflict_do_update(
        index_elements=[Field.run_id, Field.path],
        set_={
            "count": Field.count + ex.count,
            "last": ex.last,
            "text": ex.text,
            "last_step": ex.last_step,
            "min": case(
                (ex.min.is_(None), Field.min),
                (Field.min.is_(None), ex.min),
                (ex.min < Field.min, ex.min),
                else_=Field.min,
            ),
            "max": case(
                (ex.max.is_(None), Field.max),
                (Field.max.is_(None), ex.max),
                (ex.max > Field.max, ex.max),
                else_=Field.max,
            ),
            "updated_at": ex.updated_at,
        },
        where=Field.type == ex.type,
    )


def append_series(session: Session, run_id: int, batches: Sequence[SeriesAppend]) -> None:
    """Append point batches: one upsert per series (aggregates + seq), one multi-row insert.

    Raises TypeConflict (and writes nothing for that batch) when a path holds another type;
    the caller decides what to drop.
    """
    if not batches:
        return
    now = time.time()
    stmt = series_upsert(session).returning(Field.id, Field.count)
    chunks = []
    for b in batches:
        row = session.execute(
            stmt,
            {
                "run_id": run_id,
                "path": b.path,
                "type": b.type,
                "count": b.count,
                "last": b.last,
                "min": b.min,
                "max": b.max,
                "last_step": b.last_step,
                "text": b.last_text,
                "updated_at": now,
            },
        ).first()
        if row is None:
            existing = session.scalar(
                select(Field.type).where(Field.run_id == run_id, Field.path == b.path)
            )
            raise TypeConflict(b.path, str(existing), b.type)
        field_id, count = row
        if (
            b.count < MERGE_BELOW
            and int(count) > b.count
            and _merge_into_last(session, field_id, b)
        ):
            continue
        chunks.append(
            {
                "field_id": field_id,
                "seq": int(count) - b.count,
                "count": b.count,
                "first_step": b.first_step,
                "last_step": b.last_step,
                "steps": b.steps,
                "values": b.values,
                "timestamps": b.timestamps,
            }
        )
    if chunks:
        session.execute(insert(SeriesChunk), chunks)


def _merge_into_last(session: Session, field_id: int, b: SeriesAppend) -> bool:
    """Append a small batch to the series' last chunk when that one is small too.

    A loop logging one point per flush would otherwise cost a row (and its ~100 bytes of
    overhead) per point. The upsert before this holds the field row's lock, so the last
    chunk cannot change under us, even with two processes appending.
    """
    last = session.execute(
        select(
            SeriesChunk.id,
            SeriesChunk.count,
            SeriesChunk.steps,
            SeriesChunk.values,
            SeriesChunk.timestamps,
        )
        .where(SeriesChunk.field_id == field_id)
        .order_by(SeriesChunk.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return False
    chunk_id, count, steps, old_values, timestamps = last
    if count + b.count > CHUNK_POINTS:
        return False
    if b.type == "float_series":
        values = bytes(old_values) + b.values
    else:
        merged = json.loads(old_values) + json.loads(b.values)
        values = json.dumps(merged, ensure_ascii=False).encode()
    session.execute(
        update(SeriesChunk)
        .where(SeriesChunk.id == chunk_id)
        .values(
            count=count + b.count,
            last_step=b.last_step,
            steps=bytes(steps) + b.steps,
            values=values,
            timestamps=bytes(timestamps) + b.timestamps,
        )
    )
    return True


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
        chunks = s.execute(
            select(SeriesChunk.steps, SeriesChunk.values, SeriesChunk.timestamps)
            .where(SeriesChunk.field_id == field_id)
            .order_by(SeriesChunk.seq)
        ).all()
    steps_b = b"".join(c[0] for c in chunks)
    ts_b = b"".join(c[2] for c in chunks)
    if ftype == "float_series":
        vals_b = b"".join(c[1] for c in chunks)
        if as_numpy:
            import numpy as np

            return SeriesData(
                ftype,
                np.frombuffer(steps_b, "<f8"),
                np.frombuffer(vals_b, "<f8"),
                np.frombuffer(ts_b, "<f8"),
            )
        return SeriesData(ftype, unpack(steps_b), unpack(vals_b), unpack(ts_b))
    values: list[Any] = []
    for c in chunks:
        values.extend(json.loads(c[1]))
    if as_numpy:
        import numpy as np

        return SeriesData(ftype, np.frombuffer(steps_b, "<f8"), values, np.frombuffer(ts_b, "<f8"))
    return SeriesData(ftype, unpack(steps_b), values, unpack(ts_b))


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
