"""A store opened with its plain driver (sqlite3, psycopg), for the commands that must start
at once (`mltrack abort`): no SQLAlchemy import (0.2 s), no ORM, no migrations.

Only a store at the head schema is opened this way. Anything else (an older schema to
migrate, a newer one, a missing database, a URL with SQLAlchemy options, a server that does
not answer) returns None, and the caller goes through `engine.open_store`, which migrates or
says what is wrong in its own words: the fast path never has error messages of its own.
"""

from __future__ import annotations

from typing import Any

from .config import StoreConfig
from .revisions import SCHEMA_HEAD

_PG_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def connect(config: StoreConfig) -> tuple[Any, str] | None:
    """(connection, dialect name) for a store at SCHEMA_HEAD, or None (see the module)."""
    conn = _open(config)
    if conn is None:
        return None
    dialect, connection = conn
    try:
        cur = connection.cursor()
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
        cur.close()
        if row is not None and row[0] == SCHEMA_HEAD:
            return connection, dialect
    except Exception:  # no version table, a driver error: open_store says it better
        pass
    connection.close()
    return None


def _open(config: StoreConfig) -> tuple[str, Any] | None:
    try:
        if config.backend == "sqlite":
            path = config.sqlite_path
            if path is None or "?" in config.url or not path.is_file():
                return None
            import sqlite3

            # Autocommit: each statement its own transaction; the busy timeout as the engine's.
            return "sqlite", sqlite3.connect(path, timeout=60, isolation_level=None)
        if config.url.startswith(_PG_PREFIXES):
            import psycopg

            url = "postgresql://" + config.url.split("://", 1)[1]
            return "postgresql", psycopg.connect(url, connect_timeout=10)
    except Exception:  # a driver missing, a server down: open_store words it
        return None
    return None
