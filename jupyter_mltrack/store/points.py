"""Appending series points: every series of a batch in a few statements, chunks kept dense.

Everything that appends points comes here: the client's writer thread (`store.batches`, once
per flush), the importers (`store.imports`) and offline sync (`store.transfer`). Whatever the
number of series in the batch, one call makes about five statements (`points_sql`: on
SQLite an executemany or a few hundred rows per statement, on PostgreSQL arrays and a COPY):
one upsert of every series' `fields` row (count, last, min, max, last step) that gives their
ids and counts, one read of the chunks at their ends, one read and one delete of the chunks
merged away, one insert of every new chunk. On PostgreSQL a float series whose steps stay one
integer progression (nearly all) is merged by the server instead: one UPDATE appends the
chunks after the first and the new points to it (`points_sql.PostgresStatements.extend`), so
the stored points are neither read back nor sent again (that was half of a merging flush).
A series' new points are numbered from its count before them (the upsert holds the field
row's lock, so two processes appending to one series both keep their points).

Dense chunks. A run logging 10,000 series once a second gives each series a batch of a few
points per flush; a row per batch would cost more than the points. A batch is merged with the
series' last chunks as a binary counter does: while the chunk before it holds no more points
than it does and both fit in `CHUNK_POINTS`, they become one. Each point is rewritten at most
log2(CHUNK_POINTS) times and a series ends in a handful of chunks, at any number of series
(the old rule, one read-modify-write of the last chunk per series per flush, rewrote up to
a whole chunk for every point). Batches bigger than `MAX_CHUNK` are cut, so no row is huge.

Implicit steps. Steps are most often a run of integers with a fixed stride (0, 1, 2 ... or
0, 10, 20 ...): such a chunk stores no steps at all (an empty `steps`) and its steps are
`first_step + i * (last_step - first_step) / (count - 1)`, exact for integers (see
`encoding.compact_steps`). That is a third of a chunk's bytes, on disk and on every read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from . import points_sql
from .encoding import SeriesAppend, compact_steps, expand_steps, implied_stride, pack

# A batch joins the chunks before it while the result holds at most CHUNK_POINTS points;
# batches are cut at MAX_CHUNK points (1.5 MB of floats: a row any backend handles well).
CHUNK_POINTS = 4096
MAX_CHUNK = 65536


class TypeConflict(Exception):
    """The path already holds a field of another type (possibly written by another process)."""

    def __init__(self, path: str, existing: str, wanted: str) -> None:
        super().__init__(f"{path} is a {existing} field, not {wanted}")
        self.path, self.existing, self.wanted = path, existing, wanted


@dataclass(slots=True)
class _Stored:
    """A chunk already in the store, known by its size and step range until it has to be
    merged (`implicit`: it stores no steps)."""

    id: int
    seq: int
    count: int
    first_step: float
    last_step: float
    implicit: bool


@dataclass(slots=True)
class _Group:
    """Consecutive points that become one chunk: stored chunks and new batches, in order."""

    seq: int
    count: int
    parts: list[_Stored | SeriesAppend]

    def untouched(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], _Stored)


def append(session: Session, run_id: int, batches: Sequence[SeriesAppend]) -> None:
    """Append packed batches (several may name one path: they follow each other) to the run's
    series. Raises `TypeConflict` when a path holds another type; the caller's transaction
    then writes nothing."""
    by_path: dict[str, list[SeriesAppend]] = {}
    for b in batches:
        if b.count:
            by_path.setdefault(b.path, []).extend(_cut(b))
    if not by_path:
        return
    sql = points_sql.statements(session.connection())
    stored = sql.upsert(run_id, [_aggregates(bs) for bs in by_path.values()], time.time())
    before: dict[int, int] = {}
    bounds = []
    for path, bs in by_path.items():
        fid, ftype, count = stored[path]
        if ftype != bs[0].type:
            raise TypeConflict(path, ftype, bs[0].type)
        new = sum(b.count for b in bs)
        before[fid] = count - new
        # Only a series whose new points fit in a chunk merges with the chunks before them,
        # and only with chunks that start less than CHUNK_POINTS points before its end.
        if count > new and new < CHUNK_POINTS:
            bounds.append((fid, count - new - CHUNK_POINTS))
    tails: dict[int, list[_Stored]] = {}
    for fid, cid, seq, count, first, last, implicit in sorted(
        sql.tails(bounds), key=lambda r: (r[0], r[2])
    ):
        tails.setdefault(fid, []).append(_Stored(cid, seq, count, first, last, bool(implicit)))
    groups: list[tuple[int, str, _Group]] = []
    in_place: list[points_sql.Extension] = []
    for path, bs in by_path.items():
        fid, ftype, _count = stored[path]
        for g in _plan(tails.get(fid, []), before[fid], bs):
            if g.untouched():
                continue
            ext = _extension(ftype, g, before[fid]) if sql.extends_in_place else None
            if ext is None:
                groups.append((fid, ftype, g))
            else:
                in_place.append(ext)
    merged = [p.id for _fid, _t, g in groups for p in g.parts if isinstance(p, _Stored)]
    old = {
        int(cid): SeriesAppend("", "", st, v, ts, int(n), first, last)
        for cid, n, first, last, st, v, ts in sql.chunks(merged)
    }
    if in_place:
        # Chunks the extended ones absorbed are read by that statement, then deleted here.
        merged += sql.extend(in_place)
    sql.delete(merged)
    sql.insert(_row(fid, ftype, g, old) for fid, ftype, g in groups)


def _extension(ftype: str, g: _Group, before: int) -> points_sql.Extension | None:
    """A merge the store can make itself, without sending the stored points back and forth:
    a float group whose stored chunks (all at its start) and new batches make one implicit
    progression. Its first stored chunk gets the later stored ones and the new points
    appended (`points_sql.PostgresStatements.extend`); None for any other group."""
    if ftype != "float_series" or not isinstance(g.parts[0], _Stored):
        return None
    if not _one_progression(g.parts, g.count):
        return None
    stored = [p for p in g.parts if isinstance(p, _Stored)]
    new = [p for p in g.parts if not isinstance(p, _Stored)]
    if not new or g.parts[: len(stored)] != stored:  # pragma: no cover - _plan's order
        return None
    return (
        stored[0].id,
        before,
        g.count,
        new[-1].last_step,
        b"".join(p.values for p in new),
        b"".join(p.timestamps for p in new),
        [p.id for p in stored[1:]],
    )


def _cut(b: SeriesAppend) -> list[SeriesAppend]:
    """A batch as pieces of at most MAX_CHUNK points, their steps compacted."""
    if b.count <= MAX_CHUNK:
        steps = compact_steps(b.steps, b.count, b.first_step, b.last_step)
        if steps is b.steps:
            return [b]
        return [
            SeriesAppend(
                b.path, b.type, steps, b.values, b.timestamps, b.count, b.first_step,
                b.last_step, b.last, b.min, b.max, b.last_text,
            )
        ]  # fmt: skip
    every = expand_steps(b.steps, b.count, b.first_step, b.last_step)
    stamps = memoryview(b.timestamps)
    if b.type == "float_series":
        vals: Any = memoryview(b.values)
    else:
        vals = json.loads(b.values)
    out = []
    for i in range(0, b.count, MAX_CHUNK):
        j = min(i + MAX_CHUNK, b.count)
        part_vals = (
            bytes(vals[8 * i : 8 * j])
            if b.type == "float_series"
            else json.dumps(vals[i:j], ensure_ascii=False).encode()
        )
        out.append(
            SeriesAppend(
                path=b.path,
                type=b.type,
                steps=compact_steps(pack(every[i:j]), j - i, every[i], every[j - 1]),
                values=part_vals,
                timestamps=bytes(stamps[8 * i : 8 * j]),
                count=j - i,
                first_step=every[i],
                last_step=every[j - 1],
                # Aggregates are the whole batch's: only the first piece's are read.
                last=b.last,
                min=b.min,
                max=b.max,
                last_text=b.last_text,
            )
        )
    return out


def _smaller(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _larger(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _aggregates(bs: list[SeriesAppend]) -> points_sql.Aggregates:
    """One series' batches as one row of the field upsert."""
    last = bs[-1]
    low = high = None
    for b in bs:
        low, high = _smaller(low, b.min), _larger(high, b.max)
    count = sum(b.count for b in bs)
    return (last.path, last.type, count, last.last, last.last_text, last.last_step, low, high)


def _plan(tail: list[_Stored], seq: int, batches: list[SeriesAppend]) -> list[_Group]:
    """The series' end as chunks once `batches` are appended at `seq`: each batch absorbs the
    group before it while that one is not bigger and the two fit in CHUNK_POINTS."""
    if not tail and len(batches) == 1:
        return [_Group(seq, batches[0].count, [batches[0]])]
    stack = [_Group(c.seq, c.count, [c]) for c in tail]
    for b in batches:
        cur = _Group(seq, b.count, [b])
        seq += b.count
        while stack and stack[-1].count <= min(cur.count, CHUNK_POINTS - cur.count):
            prev = stack.pop()
            cur = _Group(prev.seq, prev.count + cur.count, prev.parts + cur.parts)
        stack.append(cur)
    return stack


def _row(fid: int, ftype: str, g: _Group, old: dict[int, SeriesAppend]) -> points_sql.ChunkRow:
    """A group's chunk row: its parts' points joined, steps compacted when they can be."""
    parts = [old[p.id] if isinstance(p, _Stored) else p for p in g.parts]
    first, last = parts[0].first_step, parts[-1].last_step
    if len(parts) == 1:
        steps = parts[0].steps  # compacted already (`_cut`, or when it was stored)
    elif _one_progression(parts, g.count):
        steps = b""
    else:
        steps = b"".join(
            p.steps or pack(expand_steps(p.steps, p.count, p.first_step, p.last_step))
            for p in parts
        )
        steps = compact_steps(steps, g.count, first, last)
    if ftype == "float_series":
        values = b"".join(p.values for p in parts)
    else:  # JSON lists: "[a, b]" + "[c]" -> "[a, b,c]"
        values = b",".join(p.values[1:-1] for p in parts).join((b"[", b"]"))
    return (
        fid,
        g.seq,
        g.count,
        first,
        last,
        steps,
        values,
        b"".join(p.timestamps for p in parts),
    )


def _one_progression(parts: Sequence[_Stored | SeriesAppend], count: int) -> bool:
    """Whether implicit-step parts make one implicit progression together (a slow loop's
    merges then never unpack steps)."""
    first = parts[0].first_step
    stride = implied_stride(count, first, parts[-1].last_step)
    if stride is None or not all(
        p.implicit if isinstance(p, _Stored) else not p.steps for p in parts
    ):
        return False
    at = int(first)
    for p in parts:
        if p.first_step != at or (
            p.count > 1 and implied_stride(p.count, p.first_step, p.last_step) != stride
        ):
            return False
        at += stride * p.count
    return True
