"""One notebook's history at scale, on both backends: the first page of `list` and `create`
cost the same at 10,000 checkpoints as at 100, and a long-lived process's SQLite WAL stays
bounded.

Cost is proved by the database's own query plans, not by timing (a timed test flips on a busy
machine; bench/bench_history.py prints the times): every statement that `list` and `create`
send must reach the history through an index (SQLite: a SEARCH, never a SCAN of the table nor
a temporary B-tree to sort; PostgreSQL: no Seq Scan of `checkpoints` and no Sort), so their
work does not grow with the history's length."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from history_helpers import analyze, grow_history, notebook
from sqlalchemy import delete, event, select

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store.engine import WAL_LIMIT, Store
from jupyter_mltrack.store.models import Checkpoint


@contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the store sends to the database meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT") and not many:
            seen.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _plan_problems(store: Store, sql: str, params: Any) -> list[str]:
    """What in this statement's plan reads the history whole (an empty list: nothing)."""
    if "checkpoints" not in sql:
        return []
    with store.engine.connect() as conn:
        if store.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            return [
                r[-1]
                for r in rows
                if r[-1].startswith("SCAN checkpoints") or "TEMP B-TREE" in r[-1]
            ]
        (doc,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).one()
    plan = doc if isinstance(doc, list) else json.loads(doc)
    problems: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        kind = node.get("Node Type", "")
        if kind == "Seq Scan" and node.get("Relation Name") == "checkpoints":
            problems.append("Seq Scan on checkpoints")
        if kind == "Sort" and "checkpoints" in json.dumps(node):
            problems.append(f"Sort on {node.get('Sort Key')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return problems


def assert_indexed(store: Store, fn: Callable[[], object]) -> int:
    """Run `fn`; every statement it sent reaches the history by an index. Returns how many
    statements touched `checkpoints` (so a test can see it looked at something)."""
    with statements(store) as seen:
        fn()
    touching = [(sql, p) for sql, p in seen if "checkpoints" in sql]
    for sql, params in touching:
        problems = _plan_problems(store, sql, params)
        assert not problems, f"{problems} in: {sql}"
    return len(touching)


@pytest.fixture
def histories(store: Store) -> Store:
    grow_history(store, "short.ipynb", 100, manual_every=3)
    grow_history(store, "long.ipynb", 10_000, manual_every=3)
    analyze(store)  # a history that grew to 10,000 checkpoints has been seen by autovacuum
    return store


@pytest.mark.parametrize("exclude", [(), ("save",)])
def test_first_page_at_10000_checkpoints_costs_what_it_does_at_100(
    histories: Store, exclude: tuple[str, ...]
) -> None:
    def page(path: str) -> Callable[[], object]:
        return lambda: repo.list_checkpoints(histories, path, exclude_triggers=exclude, limit=50)

    entries, total = repo.list_checkpoints(histories, "long.ipynb", exclude_triggers=exclude)
    assert total == (3334 if exclude else 10_000) and len(entries) == 50
    assert [e.seq for e in entries[:3]] == ([9999, 9996, 9993] if exclude else [10_000, 9999, 9998])
    assert assert_indexed(histories, page("long.ipynb")) >= 1


def test_create_reaches_the_history_by_index_only(histories: Store) -> None:
    counter = iter(range(10**6))

    def create(path: str) -> Callable[[], object]:
        return lambda: service.create(histories, path, notebook(f"{path} {next(counter)}"))

    create("long.ipynb")()  # warm: the manifest of the head is cached as in a live server
    assert assert_indexed(histories, create("long.ipynb")) >= 1
    with histories.read() as s:
        top = s.scalars(
            select(Checkpoint.seq)
            .where(Checkpoint.notebook_path == "long.ipynb")
            .order_by(Checkpoint.seq.desc())
            .limit(1)
        ).one()
    assert top == 10_002


def test_the_wal_of_a_long_lived_process_stays_bounded(sqlite_store: Store, tmp_path: Path) -> None:
    db = sqlite_store.config.sqlite_path
    assert db is not None
    wal = Path(f"{db}-wal")
    nb = notebook("wal")
    biggest = 0
    for i in range(400):
        nb.cells[i % 20].source = f"y = {i}" + " # padding" * 50
        service.create(sqlite_store, "wal.ipynb", nbformat.from_dict(nb))
        if i % 10 == 0:
            repo.list_checkpoints(sqlite_store, "wal.ipynb")  # readers come and go meanwhile
        biggest = max(biggest, wal.stat().st_size)
    assert biggest <= WAL_LIMIT, f"the WAL reached {biggest:,} bytes"


def test_totals_follow_deletes_and_other_writers(store: Store) -> None:
    for i in range(4):
        service.create(store, "a.ipynb", notebook(f"a {i}"), trigger="manual" if i else "save")
    entries, total = repo.list_checkpoints(store, "a.ipynb", limit=1)
    assert total == 4
    repo.remove(store, entries[0].id)
    assert repo.list_checkpoints(store, "a.ipynb", limit=1)[1] == 3
    assert repo.list_checkpoints(store, "a.ipynb", exclude_triggers=["save"], limit=1)[1] == 2
    assert repo.list_checkpoints(store, "a.ipynb", trigger="save", limit=0)[1] == 1
    assert repo.list_checkpoints(store, None, limit=1)[1] == 3
    with store.write() as s:  # any writer, not only `append`: sync's copy inserts rows
        s.execute(delete(Checkpoint).where(Checkpoint.trigger == "save"))
    assert repo.list_checkpoints(store, "a.ipynb", limit=1)[1] == 2


def test_a_migrated_store_counts_the_checkpoints_it_had(store_url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from jupyter_mltrack.store.config import StoreConfig
    from jupyter_mltrack.store.engine import MIGRATIONS, make_engine, open_store

    engine = make_engine(StoreConfig(store_url, tmp_path / "blobs"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.exec_driver_sql(
            "INSERT INTO notebooks (id, path, deleted, created_at, updated_at) "
            "VALUES (1, 'old.ipynb', false, 0, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO blobs (sha256, size, mime, created_at) VALUES ('m', 1, 'x', 0)"
        )
        for seq, trig in enumerate(["save", "save", "manual"], 1):
            conn.exec_driver_sql(
                "INSERT INTO checkpoints (id, notebook_id, seq, created_at, name, description, "
                '"trigger", author, size, manifest_sha, content_sha, cells_added, '
                "cells_removed, cells_modified, from_disk, notebook_path) VALUES "
                f"('c{seq}', 1, {seq}, {seq}, '', '', '{trig}', '', 0, 'm', 'h', 0, 0, 0, "
                "false, 'old.ipynb')"
            )
    engine.dispose()
    st = open_store(StoreConfig(store_url, tmp_path / "blobs"), cached=False)
    try:
        assert repo.list_checkpoints(st, "old.ipynb", limit=1)[1] == 3
        assert repo.list_checkpoints(st, "old.ipynb", exclude_triggers=["save"], limit=0)[1] == 1
    finally:
        st.dispose()
