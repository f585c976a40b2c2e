"""Bulk writes for the importers (`mltrack import neptune`, `mltrack import mlflow`).

An importer knows a whole run at once: its own columns (name, owner, creation and end
times, state) and thousands of points per series. So it does not go through the client's
per-point path (outbox, writer thread, one flush a second): it hands each piece of a run
(one part file of an export, one MLflow run) to `write_piece`, which writes the run's
columns, its fields, its blob rows and its packed series points in ONE transaction, together
with the piece's name in the run's `done_path` string set. A piece is therefore in the store
completely or not at all, and `pieces_done` tells an importer what a previous (interrupted)
import already wrote: importing again writes nothing twice, and an interrupted import goes
on where it stopped.

The imported run is found again by its source's id, kept as the run's `custom_run_id`
(`init_run(with_id=...)` and `sys/custom_run_id = "..."` in queries find it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import fields, projects, runs, upsert
from .encoding import ScalarWrite, SeriesAppend
from .engine import Store
from .entities import RunInfo
from .models import Field, Run, SeriesChunk


@dataclass(frozen=True)
class RunColumns:
    """The run's own values an importer sets (None: leave as it is)."""

    name: str | None = None
    description: str | None = None
    owner: str | None = None
    hostname: str | None = None
    created_at: float | None = None
    ended_at: float | None = None
    state: str | None = None
    failed: bool | None = None

    def values(self) -> dict[str, Any]:
        """The columns to write, under the model's names (heartbeat follows the end)."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if self.ended_at is not None:
            out["heartbeat_at"] = self.ended_at
        return out


def find_run(store: Store, project: str, custom_run_id: str) -> RunInfo | None:
    """The run imported earlier under this source id, in this project."""
    return runs.find_custom(store, project, custom_run_id)


@dataclass(frozen=True)
class NewRun:
    """A run to create with the first piece written (in the same transaction: a run never
    exists without the piece that made it)."""

    project: str
    custom_run_id: str


def _insert_run(s: Session, project_id: int, key: str, new: NewRun, columns: RunColumns) -> int:
    """A new run with its columns as the source says (not `running` since now)."""
    number = projects.next_run_number(s, project_id)
    created = columns.created_at if columns.created_at is not None else time.time()
    ended = columns.ended_at if columns.ended_at is not None else created
    row = Run(
        project_id=project_id,
        number=number,
        short_id=f"{key}-{number}",
        custom_run_id=new.custom_run_id,
        name=columns.name or "",
        description=columns.description or "",
        state=columns.state or "finished",
        failed=bool(columns.failed),
        owner=columns.owner or "",
        hostname=columns.hostname or "",
        created_at=created,
        ended_at=ended,
        heartbeat_at=ended,
        abort_requested=False,
    )
    s.add(row)
    s.flush()
    return int(row.id)


def pieces_done(store: Store, run_id: int, done_path: str) -> set[str]:
    """The pieces (part files, ...) of the run that an import has written completely."""
    f = fields.get_field(store, run_id, done_path)
    if f is None or f.type != "string_set" or not f.text:
        return set()
    try:
        return set(json.loads(f.text))
    except ValueError:
        return set()


def write_piece(
    store: Store,
    run: int | NewRun,
    *,
    piece: str,
    done_path: str,
    columns: RunColumns | None = None,
    blobs: Iterable[tuple[str, int, str]] = (),
    scalars: Sequence[ScalarWrite] = (),
    series: Sequence[SeriesAppend] = (),
) -> int:
    """Write one piece of an imported run, all or nothing, and mark it done (see the module
    doc); returns the run's id. `run` is the run's id, or a `NewRun` to create with this
    piece (if another import created it meanwhile, the piece goes to that run unless it has
    it already). Series batches are appended after what the run already holds, as a resumed
    run's would be; scalars overwrite (the last write of a path wins)."""
    cols = columns if columns is not None else RunColumns()
    proj = projects.get_or_create(store, run.project) if isinstance(run, NewRun) else None
    try:
        with store.write() as s:
            if isinstance(run, NewRun):
                assert proj is not None
                run_id = _insert_run(s, proj.id, proj.key, run, cols)
            else:
                run_id = run
                values = cols.values()
                if values:
                    s.execute(update(Run).where(Run.id == run_id).values(**values))
            upsert.record_blobs(s, blobs)
            fields.upsert_scalars(s, run_id, scalars)
            append_points(s, run_id, series)
            current = s.scalar(
                select(Field.text).where(Field.run_id == run_id, Field.path == done_path)
            )
            done = set(json.loads(current)) if current else set()
            done.add(piece)
            text = json.dumps(sorted(done), ensure_ascii=False)
            fields.upsert_scalars(s, run_id, [ScalarWrite(done_path, "string_set", text=text)])
            return run_id
    except IntegrityError:
        if not isinstance(run, NewRun):
            raise
        found = find_run(store, run.project, run.custom_run_id)
        if found is None:
            raise
        if piece in pieces_done(store, found.id, done_path):
            return found.id
        return write_piece(
            store,
            found.id,
            piece=piece,
            done_path=done_path,
            columns=columns,
            blobs=blobs,
            scalars=scalars,
            series=series,
        )


def _smaller(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _larger(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def append_points(s: Session, run_id: int, batches: Sequence[SeriesAppend]) -> None:
    """Append packed batches to a run's series in three statements, whatever their number:
    one upsert of every series' aggregates, one read of their ids and counts, one insert of
    every chunk. `fields.append_series` (the client's flush) spends two statements per batch,
    which at an export's thousands of series was the larger part of an import. Raises
    `fields.TypeConflict` when a path holds another type (the transaction then writes nothing).
    """
    if not batches:
        return
    now = time.time()
    merged: dict[str, dict[str, Any]] = {}
    for b in batches:
        m = merged.get(b.path)
        if m is None:
            m = merged[b.path] = {
                "run_id": run_id,
                "path": b.path,
                "type": b.type,
                "count": 0,
                "min": None,
                "max": None,
                "updated_at": now,
            }
        m["count"] += b.count
        m["last"], m["text"], m["last_step"] = b.last, b.last_text, b.last_step
        m["min"], m["max"] = _smaller(m["min"], b.min), _larger(m["max"], b.max)
    conn = s.connection()
    conn.execute(fields.series_upsert(s), list(merged.values()))
    stored: dict[str, tuple[int, str, int]] = {}
    paths = list(merged)
    for i in range(0, len(paths), 500):  # well under every backend's bound-parameter limit
        for path, fid, ftype, count in conn.execute(
            select(Field.path, Field.id, Field.type, Field.count).where(
                Field.run_id == run_id, Field.path.in_(paths[i : i + 500])
            )
        ):
            stored[path] = (fid, ftype, int(count))
    seq: dict[str, int] = {}
    for path, m in merged.items():
        fid, ftype, count = stored[path]
        if ftype != m["type"]:
            raise fields.TypeConflict(path, ftype, m["type"])
        seq[path] = count - m["count"]  # the series' count before these batches
    rows = []
    for b in batches:
        rows.append(
            {
                "field_id": stored[b.path][0],
                "seq": seq[b.path],
                "count": b.count,
                "first_step": b.first_step,
                "last_step": b.last_step,
                "steps": b.steps,
                "values": b.values,
                "timestamps": b.timestamps,
            }
        )
        seq[b.path] += b.count
    conn.execute(insert(SeriesChunk), rows)
