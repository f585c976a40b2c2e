"""Opening stores: migrations on open (also when several processes open a brand-new store at
once), SQLite pragmas, and one clear line for every way opening can fail."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from jupyter_mltrack.errors import StoreError
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.config import StoreConfig, resolve
from jupyter_mltrack.store.engine import Store, make_engine, open_store
from jupyter_mltrack.store.models import Base
from jupyter_mltrack.store.revisions import SCHEMA_HEAD


def test_new_store_is_migrated_to_head(store: Store) -> None:
    assert store.revision() == SCHEMA_HEAD
    with store.read() as s:
        names = set(s.connection().dialect.get_table_names(s.connection()))
    assert {"projects", "runs", "fields", "series_chunks", "blobs", "checkpoints"} <= names


def test_sqlite_store_uses_wal_foreign_keys_and_busy_timeout(sqlite_store: Store) -> None:
    with sqlite_store.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 30000


def test_sqlite_commits_are_synced_to_disk_by_the_store_and_the_writer(tmp_path: Path) -> None:
    """`synchronous=FULL` on every SQLite connection, the client writer thread's included.

    In WAL mode NORMAL does not sync the WAL at commit: the last commits can be lost on
    power loss, an OS crash or a filesystem that goes read-only after an I/O error, though
    the client already said they were written. Issue 14 lost a whole run (its row and
    every point before the fault) that way; FULL syncs the WAL at each commit."""
    import threading

    from sqlalchemy import event

    import jupyter_mltrack as mlt
    from jupyter_mltrack.store import engine as engine_mod

    cfg = StoreConfig(f"sqlite:///{tmp_path}/s/mltrack.db", tmp_path / "blobs")
    store = open_store(cfg)  # cached: the store init_run below gets too
    seen: list[tuple[str, int]] = []

    def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        mode = dbapi_conn.execute("PRAGMA synchronous").fetchone()[0]
        seen.append((threading.current_thread().name, mode))

    event.listen(store.engine, "checkout", on_checkout)
    try:
        store.engine.pool.dispose()  # every connection from here on is a new one
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        run = mlt.init_run(store=cfg.url, blobs=str(cfg.blob_root), flush_period=0.05)
        assert run.store is store
        for i in range(50):
            run["loss"].log(float(i))
        run.stop()
    finally:
        store.dispose()
        engine_mod._cache.pop((cfg.url, str(cfg.blob_root)), None)
    writer = [mode for name, mode in seen if name == "mltrack-writer"]
    assert writer, f"the writer thread used no connection of this store: {seen}"
    assert {mode for _, mode in seen} == {2}, seen


def test_alembic_head_matches_code() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from jupyter_mltrack.store.engine import MIGRATIONS
    from jupyter_mltrack.store.revisions import KNOWN_REVISIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == SCHEMA_HEAD
    assert {r.revision for r in script.walk_revisions()} == set(KNOWN_REVISIONS)


def _migrate_with_alembic(engine: Engine) -> None:
    """The migrations replayed by Alembic (open_store builds an empty database from the
    models instead, which the next two tests prove equivalent)."""
    from alembic import command
    from alembic.config import Config

    from jupyter_mltrack.store.engine import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything a database says about its tables, in a comparable form."""
    insp = inspect(engine)

    def by_name(items: list[Any]) -> list[Any]:
        return sorted(items, key=lambda d: str(d.get("name")))

    out: dict[str, Any] = {}
    for t in sorted(insp.get_table_names()):
        out[t] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in insp.get_columns(t)
            ],
            "pk": insp.get_pk_constraint(t),
            "fks": by_name(insp.get_foreign_keys(t)),
            "indexes": by_name(insp.get_indexes(t)),
            "uniques": by_name(insp.get_unique_constraints(t)),
            "checks": by_name(insp.get_check_constraints(t)),
        }
    return out


EXPRESSION_INDEXES = ("ix_fields_path_sort",)


def test_models_match_migrations(store_url: str, tmp_path: Path) -> None:
    """A model change without a migration would show up here as a non-empty diff."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_mltrack.store.models import Base

    engine = make_engine(StoreConfig(store_url, tmp_path / "blobs"))
    try:
        _migrate_with_alembic(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # Alembic cannot compare an expression index (PostgreSQL reflects it rewritten, SQLite not
    # at all): ix_fields_path_sort shows as removed and added. The next test proves the models
    # and the migrations create the same one.
    diff = [
        d
        for d in diff
        if not (d[0] in ("add_index", "remove_index") and d[1].name in EXPRESSION_INDEXES)
    ]
    assert diff == []


def test_an_empty_database_gets_exactly_the_migrated_schema(store_url: str, tmp_path: Path) -> None:
    engine = make_engine(StoreConfig(store_url, tmp_path / "blobs"))
    try:
        _migrate_with_alembic(engine)
        migrated = _schema(engine)
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE alembic_version")
        assert _schema(engine) == {}
    finally:
        engine.dispose()
    st = open_store(StoreConfig(store_url, tmp_path / "blobs"), cached=False)
    try:
        assert st.revision() == SCHEMA_HEAD
        assert _schema(st.engine) == migrated
        assert runs.create(st, "fresh").short_id == "FRES-1"
    finally:
        st.dispose()


def _open_and_create(url: str, blobs: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        st = open_store(StoreConfig(url, Path(blobs)), cached=False)
        q.put(runs.create(st, "race").short_id)
    except Exception as e:
        q.put(f"ERROR {type(e).__name__}: {e}")


def test_concurrent_processes_open_a_brand_new_store(store_url: str, tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=_open_and_create, args=(store_url, str(tmp_path / "b2"), q))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert not [r for r in results if r.startswith("ERROR")], results
    assert sorted(results) == ["RACE-1", "RACE-2", "RACE-3", "RACE-4"]


def test_run_ids_are_unique_and_per_project(store: Store) -> None:
    a = [runs.create(store, "credit").short_id for _ in range(3)]
    b = runs.create(store, "workspace/other").short_id
    assert a == ["CRED-1", "CRED-2", "CRED-3"]
    assert b == "OTHE-1"
    assert runs.get(store, "cred-2").short_id == "CRED-2"


def test_custom_run_id_resumes(store: Store) -> None:
    r = runs.create(store, "p", custom_run_id="nightly-42")
    assert runs.find_custom(store, "p", "nightly-42") == r
    assert runs.find_custom(store, "p", "nope") is None


def test_stale_heartbeat_reads_as_crashed_and_recovers(store: Store) -> None:
    r = runs.create(store, "p")
    with store.write() as s:
        s.execute(
            text("UPDATE runs SET heartbeat_at = heartbeat_at - 100 WHERE id = :i"), {"i": r.id}
        )
    assert runs.get(store, r.id).state == "crashed"
    runs.heartbeat(store, r.id)
    assert runs.get(store, r.id).state == "running"
    runs.set_state(store, r.id, "finished")
    assert runs.get(store, r.id).state == "finished"


def test_abort_request_is_seen_by_heartbeat(store: Store) -> None:
    r = runs.create(store, "p")
    assert runs.heartbeat(store, r.id) is False
    runs.request_abort(store, r.short_id)
    assert runs.heartbeat(store, r.id) is True


def test_malformed_url_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as e:
        open_store(StoreConfig("postgresql://me:hunter2@host:notaport/db", tmp_path), cached=False)
    msg = str(e.value)
    assert "malformed" in msg and "hunter2" not in msg and "***" in msg
    assert "\n" not in msg


def test_unreachable_postgres_names_the_store_masked(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as e:
        open_store(StoreConfig("postgresql://me:hunter2@127.0.0.1:1/db", tmp_path), cached=False)
    msg = str(e.value)
    assert "postgresql://me:***@127.0.0.1:1/db" in msg and "hunter2" not in msg
    assert "running" in msg


def test_store_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    cfg = StoreConfig(f"sqlite:///{tmp_path}/n.db", tmp_path / "b")
    st = open_store(cfg, cached=False)
    with st.write() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    st.dispose()
    with pytest.raises(StoreError, match="newer"):
        open_store(cfg, cached=False)


def test_config_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLTRACK_STORE", "sqlite:////env/x.db")
    assert (
        resolve("sqlite:////arg.db", configured_store="sqlite:////cfg.db").url
        == "sqlite:////arg.db"
    )
    assert resolve(configured_store="sqlite:////cfg.db").url == "sqlite:////env/x.db"
    monkeypatch.delenv("MLTRACK_STORE")
    monkeypatch.delenv("MLTRACK_BLOBS")
    cfg = resolve(configured_store="sqlite:////cfg/c.db")
    assert cfg.url == "sqlite:////cfg/c.db" and cfg.blob_root == Path("/cfg/blobs")
    default = resolve()
    assert default.url.endswith("/mltrack/mltrack.db") and str(tmp_path) in default.url
    assert resolve(str(tmp_path / "plain.db")).url == f"sqlite:///{tmp_path}/plain.db"
