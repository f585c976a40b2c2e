"""Runs: creation with unique `KEY-n` ids, lookup, state, heartbeat and abort.

A run whose heartbeat is older than its stale period while it claims to be running is
reported as `crashed`. That is computed when reading, not written by a reaper, so a run whose
process comes back (a long pause, a suspended laptop) simply resumes and still ends properly.

Both sides of that comparison are the database's: a heartbeat is stamped with the database's
clock (`db_now`, in the UPDATE itself), readers compare with the database's clock
(`db_time`, or `db_now` inside their query), and the stale period is the one the run's writer
recorded with it (`Run.stale_after`: three of its heartbeat intervals). A writer on a host
whose clock is off, or with another MLTRACK_HEARTBEAT_INTERVAL than the reader's, is judged
right. The creation and end times stay the writer's (what the user saw when it ran).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..errors import InvalidInput, NotFound
from . import abort, config, names, projects
from .clock import NOW_SQL, effective_state
from .engine import Store
from .entities import RunInfo
from .models import RUN_STATES, Project, Run


class db_now(FunctionElement[float]):  # a SQL function, named as one
    """The database's clock, in seconds since the epoch (a float, like the time columns)."""

    type = Float()
    inherit_cache = True


@compiles(db_now, "postgresql")
def _db_now_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return NOW_SQL["postgresql"]


@compiles(db_now, "sqlite")
def _db_now_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return NOW_SQL["sqlite"]


def db_time(store: Store) -> float:
    """The database's clock now: what readers measure heartbeats against."""
    with store.engine.connect() as conn:
        return float(conn.scalar(select(db_now())) or 0.0)


def stale_cutoff(now: float | None = None) -> ColumnElement[float]:
    """The heartbeat time before which a running run is crashed, as SQL: `now` (default: the
    database's clock) less the run's stale period."""
    period = func.coalesce(Run.stale_after, config.STALE_AFTER)
    if now is None:
        return db_now() - period
    return literal(now, Float()) - period


def state_expression(now: float | None = None) -> ColumnElement[str]:
    """The same rule as `effective_state`, as SQL, for queries and sorting."""
    return case(
        (and_(Run.state == "running", Run.heartbeat_at < stale_cutoff(now)), "crashed"),
        else_=Run.state,
    )


def _info(r: Run, project: str, now: float) -> RunInfo:
    info = RunInfo(
        id=r.id,
        project_id=r.project_id,
        project=project,
        short_id=r.short_id,
        number=r.number,
        custom_run_id=r.custom_run_id,
        name=r.name,
        description=r.description,
        state=r.state,
        failed=r.failed,
        owner=r.owner,
        hostname=r.hostname,
        created_at=r.created_at,
        ended_at=r.ended_at,
        heartbeat_at=r.heartbeat_at,
        abort_requested=r.abort_requested,
        notebook_path=r.notebook_path,
        stale_after=r.stale_after,
    )
    state = effective_state(r.state, r.heartbeat_at, now, r.stale_after)
    return info if state == r.state else replace(info, state=state)


def create(
    store: Store,
    project: str | None,
    *,
    name: str = "",
    description: str = "",
    owner: str = "",
    hostname: str = "",
    custom_run_id: str | None = None,
    notebook_path: str | None = None,
    created_at: float | None = None,
) -> RunInfo:
    """A new running run. `created_at` is when the user asked for it, if that was earlier
    (a run created by the client's writer thread, a run synced from an offline spool)."""
    proj = projects.get_or_create(store, project)
    now = time.time()
    try:
        with store.write() as s:
            number = projects.next_run_number(s, proj.id)
            run = Run(
                project_id=proj.id,
                number=number,
                short_id=f"{proj.key}-{number}",
                custom_run_id=custom_run_id,
                name=name,
                description=description,
                state="running",
                failed=False,
                owner=owner,
                hostname=hostname,
                created_at=created_at if created_at is not None else now,
                heartbeat_at=db_now(),
                abort_requested=False,
                notebook_path=notebook_path,
                stale_after=config.STALE_AFTER,
            )
            s.add(run)
            s.flush()
            return _info(run, proj.name, run.heartbeat_at or 0.0)  # just beat: not stale
    except IntegrityError:
        if custom_run_id is not None:
            # Someone else created this custom id at the same moment: resume theirs.
            return get(store, custom_run_id, project=proj.name)
        raise


def restore(
    store: Store,
    project: str | None,
    short_id: str,
    *,
    created_at: float,
    custom_run_id: str | None = None,
    name: str = "",
    description: str = "",
    owner: str = "",
    hostname: str = "",
    notebook_path: str | None = None,
) -> RunInfo | None:
    """Create a run again under the short id it had, for a run the store has lost (restored
    from a backup, rolled back by a fault) while its data waited in an offline spool. The
    project's counter moves past its number so no later run takes it. None when this store
    cannot give that id back: another run holds it, or the project has another key here."""
    proj = projects.get_or_create(store, project)
    key, _, num = short_id.upper().rpartition("-")
    if key != proj.key or not num.isdigit():
        return None
    number = int(num)
    try:
        with store.write() as s:
            if s.scalar(select(Run.id).where(Run.short_id == short_id.upper())) is not None:
                return None
            s.execute(
                update(Project)
                .where(Project.id == proj.id, Project.last_run_number < number)
                .values(last_run_number=number)
            )
            run = Run(
                project_id=proj.id,
                number=number,
                short_id=short_id.upper(),
                custom_run_id=custom_run_id,
                name=name,
                description=description,
                state="running",
                failed=False,
                owner=owner,
                hostname=hostname,
                created_at=created_at,
                heartbeat_at=db_now(),
                abort_requested=False,
                notebook_path=notebook_path,
                stale_after=config.STALE_AFTER,
            )
            s.add(run)
            s.flush()
            return _info(run, proj.name, run.heartbeat_at or 0.0)
    except IntegrityError:  # taken meanwhile (the number, or the custom id)
        return None


def get(store: Store, run_id: str | int, *, project: str | None = None) -> RunInfo:
    """Find a run by short id (`CRED-12`), numeric id, or custom run id."""
    with store.read() as s:
        q = select(Run, Project.name, db_now()).join(Project, Project.id == Run.project_id)
        conds = []
        numeric = isinstance(run_id, int) or run_id.isdecimal()  # int() reads no other digits
        # An id past 64 bits names no run; passed to the database it overflows (a 500).
        if numeric and 0 <= int(run_id) < 2**63:
            conds.append(Run.id == int(run_id))
        if isinstance(run_id, str):
            conds.append(Run.short_id == run_id.upper())
            conds.append(Run.custom_run_id == run_id)
        if not conds:  # a huge integer: no run can have it
            raise NotFound(f"no run {run_id!r}")
        q = q.where(or_(*conds))
        if project is not None:
            q = q.where(Project.name == names.normalize_name(project))
        row = s.execute(q.order_by(Run.id).limit(1)).first()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return _info(row[0], row[1], row[2])


def find_custom(store: Store, project: str | None, custom_run_id: str) -> RunInfo | None:
    try:
        return get(store, custom_run_id, project=names.normalize_name(project))
    except NotFound:
        return None


def list_runs(
    store: Store, project: str | None = None, *, limit: int = 100, offset: int = 0
) -> list[RunInfo]:
    with store.read() as s:
        q = select(Run, Project.name, db_now()).join(Project, Project.id == Run.project_id)
        if project is not None:
            q = q.where(Project.name == names.normalize_name(project))
        q = q.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)
        return [_info(r, p, now) for r, p, now in s.execute(q)]


def set_state(store: Store, run_id: int, state: str, *, failed: bool | None = None) -> None:
    """The run's state. `running` (a resumed run) clears a past abort request. An end state
    becomes `aborted` when an abort was requested: the request was accepted while the run was
    running (`request_abort`), so the run ends as asked even if it was already stopping on its
    own; decided in the one UPDATE, so no request can slip in between."""
    if state not in RUN_STATES:
        raise InvalidInput(f"unknown run state {state!r}; one of {', '.join(RUN_STATES)}")
    now = time.time()
    values: dict[str, object] = {"state": state, "heartbeat_at": db_now()}
    if state != "running":
        values["ended_at"] = now
        values["state"] = case((Run.abort_requested.is_(True), "aborted"), else_=state)
    else:
        values["ended_at"] = None
        values["abort_requested"] = False
    if failed is not None:
        values["failed"] = failed
    with store.write() as s:
        found = s.scalar(select(Run.id).where(Run.id == run_id))
        if found is None:
            raise NotFound(f"no run with id {run_id}")
        s.execute(update(Run).where(Run.id == run_id).values(**values))


def heartbeat(store: Store, run_id: int) -> bool:
    """Record that the run is alive, by the database's clock, and the stale period this
    process beats by (config.STALE_AFTER); returns whether an abort was requested."""
    with store.write() as s:
        s.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(heartbeat_at=db_now(), stale_after=config.STALE_AFTER)
        )
        return bool(s.scalar(select(Run.abort_requested).where(Run.id == run_id)))


def abort_requested(store: Store, run_id: int) -> bool:
    """Whether someone asked the run to stop: one read of one row, which the run's writer
    makes after every flush (a second by default), so the request is seen at once."""
    with store.engine.connect() as conn:
        return bool(conn.scalar(select(Run.abort_requested).where(Run.id == run_id)))


def request_abort(store: Store, run_id: str | int) -> RunInfo:
    """Ask a running run to stop: `abort.request` (shared with `mltrack abort`, which runs
    it without SQLAlchemy) on a raw connection of the store's pool; the run as it is now."""
    conn = store.engine.raw_connection()
    try:
        rid, _short_id = abort.request(conn, store.engine.dialect.name, run_id)
    finally:
        conn.close()
    return get(store, rid)


def update_info(
    store: Store, run_id: int, *, name: str | None = None, description: str | None = None
) -> None:
    values = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    if values:
        with store.write() as s:
            s.execute(update(Run).where(Run.id == run_id).values(**values))
