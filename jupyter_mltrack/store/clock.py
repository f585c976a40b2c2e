"""The database's clock and the rule that turns a silent running run into a crashed one.

Stdlib only: `runs` builds its SQLAlchemy queries from it, and `abort` runs it as plain
DB-API SQL (so `mltrack abort` need not import SQLAlchemy). One rule, whichever path reads it.
"""

from __future__ import annotations

from . import config

# The database's clock, in seconds since the epoch (a float, like the time columns).
NOW_SQL = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM now()) AS DOUBLE PRECISION)",
    # Milliseconds; 'now' is one value for the whole statement.
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}


def stale_period(stale_after: float | None) -> float:
    """A run's stale period: the one recorded with it, else this process's default."""
    return config.STALE_AFTER if stale_after is None else stale_after


def effective_state(
    state: str, heartbeat_at: float | None, now: float, stale_after: float | None = None
) -> str:
    """`crashed` for a running run whose heartbeat is older than its stale period at `now`
    (the database's clock: `runs.db_time`)."""
    stale = heartbeat_at is not None and now - heartbeat_at > stale_period(stale_after)
    return "crashed" if state == "running" and stale else state
