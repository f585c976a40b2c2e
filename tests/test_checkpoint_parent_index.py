"""Save retention finds a removed save's children through the index on
checkpoints.parent_id (migration 0007), on both backends.

Proved by the query plan of the statement `thinning.remove_saves` sends, not by timing
(bench/bench_thinning.py prints the times: 20,000 checkpoints, 12,900 removed). PostgreSQL is
asked with sequential scans disabled, so a plan on a small table still shows whether an index
can serve the lookup: with none, it falls back to a Seq Scan whatever the setting."""

from __future__ import annotations

import json
from typing import Any

from history_helpers import grow_history
from sqlalchemy import event

from jupyter_mltrack.store import thinning
from jupyter_mltrack.store.engine import Store


def children_lookups(store: Store, ids: list[str]) -> list[tuple[str, Any]]:
    """Remove `ids`; the SELECTs by parent_id that removal sent, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT") and "parent_id IN" in sql and not many:
            seen.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        removed, _moved = thinning.remove_saves(store, ids)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert removed == len(ids)
    return seen


def plan(store: Store, sql: str, params: Any) -> str:
    with store.engine.connect() as conn:
        if store.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            return "\n".join(str(r[-1]) for r in rows)
        with conn.begin():
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            (doc,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).one()
    return json.dumps(doc if isinstance(doc, list) else json.loads(doc))


def test_removing_saves_finds_their_children_by_the_parent_index(store: Store) -> None:
    ids = grow_history(store, "line.ipynb", 300)
    doomed = ids[1:-1:2]  # every other save, never the first or the newest
    lookups = children_lookups(store, doomed)
    assert lookups, "remove_saves no longer looks children up by parent_id"
    for sql, params in lookups:
        shown = plan(store, sql, params)
        assert "ix_checkpoints_parent" in shown, shown
        if store.is_sqlite:
            assert "SCAN checkpoints" not in shown, shown
        else:
            assert "Seq Scan" not in shown, shown
