"""Asking a running run to stop, in two statements of plain DB-API SQL.

`mltrack abort` must answer at once (issue 18: 0.3 s), and importing SQLAlchemy alone takes
0.2 s of that. So the request is written for any DB-API connection: the CLI opens sqlite3 or
psycopg itself (`dbapi.connect`), the store lends its engine's raw connection
(`runs.request_abort`: the REST API, the magics). One implementation, whichever way in.

A request is accepted only while the run is running by the rule every reader applies
(`clock.effective_state`: a run whose heartbeat went stale reads as crashed), checked on the
database's clock inside the UPDATE, so nothing can change between the check and the write.
The run's writer reads the flag at its next flush and ends the run `aborted` (`runs.set_state`).
"""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, MLTrackError, NotFound, StoreError
from . import config, text
from .clock import NOW_SQL, effective_state


def request(conn: Any, dialect: str, run_id: str | int) -> tuple[int, str]:
    """Flag the run `run_id` names (numeric id, short id `KEY-n` in any case, or custom run
    id, resolved as `runs.get` does) for abort and commit; its (id, short id). NotFound when
    no run has that name, Conflict when it is not running."""
    try:
        return _request(conn, dialect, run_id)
    except MLTrackError:
        raise
    except Exception as e:  # the driver's own error: one line, as open_store words it
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"Cannot ask run {run_id!r} to stop: {why}") from None


def _request(conn: Any, dialect: str, run_id: str | int) -> tuple[int, str]:
    p = "?" if dialect == "sqlite" else "%s"
    conds: list[str] = []
    params: list[Any] = []
    # An id past 64 bits names no run; passed to the database it overflows.
    numeric = isinstance(run_id, int) or run_id.isdecimal()
    if numeric and 0 <= int(run_id) < 2**63:
        conds.append(f"id = {p}")
        params.append(int(run_id))
    if isinstance(run_id, str):
        text.check(run_id, "run id")  # InvalidInput, as the engine's guard says it
        conds += [f"short_id = {p}", f"custom_run_id = {p}"]
        params += [run_id.upper(), run_id]
    if not conds:
        raise NotFound(f"no run {run_id!r}")
    cur = conn.cursor()
    try:
        cur.execute(
            f"SELECT id, short_id FROM runs WHERE {' OR '.join(conds)} ORDER BY id LIMIT 1",
            params,
        )
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        rid, short_id = int(row[0]), str(row[1])
        now = NOW_SQL[dialect]
        cur.execute(
            f"UPDATE runs SET abort_requested = {p} WHERE id = {p} AND state = 'running' "
            f"AND (heartbeat_at IS NULL OR {now} - heartbeat_at <= COALESCE(stale_after, {p}))",
            (True, rid, config.STALE_AFTER),
        )
        done = cur.rowcount
        conn.commit()
        if done != 1:  # not running, or silent past its stale period
            cur.execute(
                f"SELECT state, heartbeat_at, stale_after, {now} FROM runs WHERE id = {p}", (rid,)
            )
            state, heartbeat_at, stale_after, at = cur.fetchone()
            state = effective_state(state, heartbeat_at, at, stale_after)
            raise Conflict(f"run {short_id} is {state}, not running: nothing to abort")
        return rid, short_id
    finally:
        cur.close()
