"""Opening a store: engine, SQLite pragmas, schema check and migrations.

Opening must be cheap in a kernel (a revision read, no Alembic import when the schema is
current) and safe when several kernels open a brand-new store at once (migrations run under
an inter-process lock: `flock` beside a SQLite file, an advisory lock on PostgreSQL).
Every failure becomes one `StoreError` line that names the store with its password masked.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from ..errors import StoreError
from . import text
from .blob_api import Blobs, open_blobs
from .config import StoreConfig, resolve
from .revisions import KNOWN_REVISIONS, SCHEMA_HEAD

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x6D6C7472  # "mltr"
WAL_LIMIT = 1 << 20  # bytes a SQLite WAL is cut back to
WAL_CHECKPOINT_PAGES = 200  # 800 KB of 4 KiB pages: under WAL_LIMIT with a commit's margin


class Store:
    """One open store: an engine, a session factory and the blob store."""

    def __init__(self, config: StoreConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.blobs: Blobs = open_blobs(config.blob_url)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(mltrack_write=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading: on SQLite a deferred transaction, never blocking writers."""
        with self._sessions() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error.

        On SQLite it starts with BEGIN IMMEDIATE: taking the write lock up front lets the busy
        timeout queue writers, where a deferred transaction upgrading to a writer would fail
        with "database is locked" at once. Blobs this process wrote are synced first: a row
        that names a blob never commits before the blob is on disk.
        """
        self.blobs.sync()
        with self._writes() as session, session.begin():
            yield session

    def revision(self) -> str | None:
        return _current_revision(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _engine_url(url: str) -> str:
    # psycopg 3 is the driver we ship; SQLAlchemy would pick psycopg2 for a bare postgresql://.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _regexp(pattern: Any, text: Any) -> bool | None:
    """SQLite's REGEXP; the query package (and RE2) load at the first MATCHES only."""
    from ..query.regex import sqlite_regexp

    return sqlite_regexp(pattern, text)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see Store.write)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        # FULL, not NORMAL: in WAL mode NORMAL does not sync the WAL at commit, so the last
        # commits (a run's row, its points) can vanish on power loss, an OS crash or a
        # filesystem going read-only on an I/O error, after the client reported them written
        # (issue 14: a whole run was lost that way). FULL syncs the WAL at every commit; the
        # writer thread batches points (one commit per flush), so it costs one fsync each.
        cur.execute("PRAGMA synchronous = FULL")
        # The WAL of a long-lived server stays small (issue 16: 4.1 MB beside a 0.47 MB
        # database): SQLite checkpoints (PASSIVE) after a commit once the WAL holds
        # WAL_CHECKPOINT_PAGES, and cuts the file back to WAL_LIMIT when it restarts it.
        cur.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        cur.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()
        # MATCHES: RE2 in linear time, not SQLAlchemy's backtracking `re` (issue 14.2).
        dbapi_conn.create_function("regexp", 2, _regexp, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("mltrack_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _postgres_session(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Values PostgreSQL moves out of line (series chunks, checkpoint text) are compressed
        # with lz4, not pglz: about as small, but a 1M-point flush of 100 series waited
        # 0.3 s instead of 0.9 and reads decompress faster (bench/bench_series.py). A server
        # without lz4 (before 14, or built without it) keeps pglz.
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SET default_toast_compression = 'lz4'")
            dbapi_conn.commit()
        except Exception:
            dbapi_conn.rollback()


def make_engine(config: StoreConfig) -> Engine:
    """Create the engine without touching the database."""
    try:
        if config.backend == "sqlite":
            path = config.sqlite_path
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                _engine_url(config.url), connect_args={"timeout": 60, "check_same_thread": False}
            )
            _sqlite_pragmas(engine)
        else:
            engine = create_engine(_engine_url(config.url), pool_pre_ping=True)
            if engine.dialect.name == "postgresql":
                _postgres_session(engine)
    except exc.NoSuchModuleError as e:
        raise StoreError(
            f"Store {config.masked_url}: no driver for this URL ({config.redact(str(e))}). "
            "For PostgreSQL: pip install 'jupyter-mltrack[postgres]'."
        ) from None
    except (exc.ArgumentError, ValueError) as e:
        # A ValueError quotes the piece it could not read (a port), which may be a piece of
        # a password with a raw '@' in it: it is not repeated.
        why = (
            config.redact(str(e))
            if isinstance(e, exc.ArgumentError)
            else "a part of it, e.g. the port, cannot be read"
        )
        raise StoreError(
            f"Store URL {config.masked_url!r} is malformed ({why}). Use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB in MLTRACK_STORE or c.MLTrack.store_url."
        ) from None
    except OSError as e:
        raise StoreError(
            f"Store {config.masked_url}: cannot create its folder ({config.redact(str(e))})."
        ) from None
    text.guard(engine)  # NUL and lone surrogates refused alike on both backends
    return engine


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except (exc.OperationalError, exc.ProgrammingError):
            return None


@contextlib.contextmanager
def _migration_lock(config: StoreConfig, engine: Engine) -> Iterator[None]:
    if config.backend == "sqlite":
        path = config.sqlite_path
        if path is None:  # in-memory: one process only
            yield
            return
        import fcntl

        with open(f"{path}.migrate-lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})")
                conn.commit()
    else:
        yield


def upgrade(store: Store) -> str:
    """Apply Alembic migrations up to SCHEMA_HEAD; returns the revision now in place."""
    with _migration_lock(store.config, store.engine):
        rev = _current_revision(store.engine)
        if rev == SCHEMA_HEAD:
            return SCHEMA_HEAD
        if rev is None and _create_empty(store.engine):
            return SCHEMA_HEAD
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return SCHEMA_HEAD


def _create_empty(engine: Engine) -> bool:
    """A database with no tables at all gets the head schema from the models in one
    transaction, stamped as SCHEMA_HEAD, instead of replaying the migrations through
    Alembic (~0.3 s, most of a first run's start). tests/test_store_engine.py proves both
    give the same schema. False (nothing done) when any table is there already."""
    from sqlalchemy import inspect, text

    from . import checkpoint_totals
    from .models import Base

    with engine.begin() as conn:
        if inspect(conn).get_table_names():
            return False
        Base.metadata.create_all(conn)
        checkpoint_totals.install(conn)
        # Alembic's own version table, as `alembic stamp` would create it.
        conn.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        conn.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": SCHEMA_HEAD}
        )
    return True


def _check_revision(store: Store, migrate: bool) -> None:
    rev = store.revision()
    if rev == SCHEMA_HEAD:
        return
    if rev is not None and rev not in KNOWN_REVISIONS:
        raise StoreError(
            f"Store {store.config.masked_url} has schema revision {rev}, newer than this "
            f"jupyter-mltrack knows ({SCHEMA_HEAD}). Upgrade it: pip install -U jupyter-mltrack."
        )
    if not migrate:
        raise StoreError(
            f"Store {store.config.masked_url} is at schema revision {rev or 'none'}; "
            f"run `mltrack db upgrade` to bring it to {SCHEMA_HEAD}."
        )
    upgrade(store)


_cache: dict[tuple[str, str], Store] = {}
_cache_lock = threading.Lock()


def open_store(
    config: StoreConfig | str | None = None,
    blobs: str | os.PathLike[str] | None = None,
    *,
    migrate: bool = True,
    cached: bool = True,
) -> Store:
    """Open (and by default migrate) a store; one engine per URL and process when cached."""
    cfg = config if isinstance(config, StoreConfig) else resolve(config, blobs)
    key = (cfg.url, cfg.blob_url)
    if cached:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None and hit.engine.pool is not None:
                return hit
    store = Store(cfg, make_engine(cfg))
    try:
        _check_revision(store, migrate)
    except StoreError:
        store.dispose()
        raise
    except exc.SQLAlchemyError as e:
        store.dispose()
        reason = cfg.redact(str(getattr(e, "orig", e) or e).strip().splitlines()[0])
        raise StoreError(
            f"Cannot open store {cfg.masked_url}: {reason}. Check that the database server "
            "is running and the URL is right (MLTRACK_STORE or c.MLTrack.store_url)."
        ) from None
    if cached:
        with _cache_lock:
            _cache[key] = store
    return store


def _forget_after_fork() -> None:
    # A forked child must not reuse the parent's pooled connections.
    for store in _cache.values():
        store.engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
