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

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import fields, points, projects, runs, upsert
from .encoding import ScalarWrite, SeriesAppend
from .engine import Store
from .entities import RunInfo
from .models import Field, Run


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
            points.append(s, run_id, series)
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
