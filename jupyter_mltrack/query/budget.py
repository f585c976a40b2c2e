"""A time budget for the statements a query runs, on both backends.

The query language lets a user write what the database then works through: MATCHES over
every string of a store, many conditions, sort keys. Whatever the shape, the statements that
filter and sort run under `bounded()`, and one over QUERY_TIMEOUT is stopped and answered as
a `QueryTimeout` (a 400 saying the limit), never left running:

* SQLite: a progress handler, called every PROGRESS_STEPS virtual-machine steps, aborts the
  statement past the deadline; REGEXP checks the same deadline before each row, and refuses
  a row too costly to match at all (regex.py).
* PostgreSQL: `SET LOCAL statement_timeout` for the transaction; the server cancels the
  statement itself (its regex engine checks for cancels), and a pattern it cannot compile is
  a 400 too, not a 500.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session

from .regex import Budget, set_active, timeout_message
from .tokens import QueryError

QUERY_TIMEOUT = 10.0  # seconds; read at each call (tests lower it)
PROGRESS_STEPS = 10_000  # SQLite VM steps between deadline checks (~1 ms of work)
_PG_CANCELED = "57014"  # query_canceled: the statement timeout fired
_PG_BAD_REGEX = "2201B"  # invalid_regular_expression


class QueryTimeout(QueryError):
    """A query stopped at its time budget."""

    code = "query_timeout"


@contextlib.contextmanager
def bounded(session: Session, seconds: float | None = None) -> Iterator[None]:
    """Run the statements of the block under a budget of `seconds` (QUERY_TIMEOUT)."""
    limit = QUERY_TIMEOUT if seconds is None else seconds
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        with _postgresql(conn, limit):
            yield
    else:
        with _sqlite(conn, limit):
            yield


@contextlib.contextmanager
def _sqlite(conn: Any, seconds: float) -> Iterator[None]:
    raw = conn.connection.driver_connection
    budget = Budget(seconds, time.monotonic() + seconds)

    def over() -> int:
        if time.monotonic() <= budget.deadline:
            return 0
        budget.stop(timeout_message(seconds), timed_out=True)
        return 1  # nonzero: SQLite aborts the statement ("interrupted")

    set_active(budget)
    raw.set_progress_handler(over, PROGRESS_STEPS)
    try:
        yield
    except exc.OperationalError:
        if budget.reason is None:
            raise
        raise _error(budget) from None
    finally:
        raw.set_progress_handler(None, 0)
        set_active(None)
    if budget.reason is not None:  # a REGEXP that refused a row whose error was swallowed
        raise _error(budget)


def _error(budget: Budget) -> QueryError:
    reason = budget.reason or ""
    return QueryTimeout(reason) if budget.timed_out else QueryError(reason)


@contextlib.contextmanager
def _postgresql(conn: Any, seconds: float) -> Iterator[None]:
    # SET takes no bound parameters; the value is our own number, in whole milliseconds.
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
    try:
        yield
    except exc.DBAPIError as e:
        state = getattr(e.orig, "sqlstate", None)
        if state == _PG_CANCELED:
            raise QueryTimeout(timeout_message(seconds)) from None
        if state == _PG_BAD_REGEX:
            detail = str(e.orig).strip().splitlines()[0]
            raise QueryError(f"PostgreSQL cannot use this MATCHES pattern: {detail}") from None
        raise
    conn.exec_driver_sql("SET LOCAL statement_timeout TO DEFAULT")
