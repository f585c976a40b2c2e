"""A throwaway PostgreSQL database for a bench: created empty, dropped after, on the server
at 127.0.0.1 (trust auth, as the tests use). The benches print their SQLite figures first and
add PostgreSQL's only when the server answers.

    from scratch_pg import scratch_database, unavailable      # bench/ on sys.path
    why = unavailable()
    if why is None:
        with scratch_database("bench_history") as url: ...
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def unavailable(admin: str = ADMIN) -> str | None:
    """Why the server cannot be used (any reason: psycopg missing, nothing listening), or
    None when it answers."""
    try:
        import psycopg

        psycopg.connect(admin, autocommit=True, connect_timeout=5).close()
    except Exception as e:
        return str(e)
    return None


@contextmanager
def scratch_database(prefix: str, admin: str = ADMIN) -> Iterator[str]:
    """The URL of a new database `<prefix>_<random>`, dropped on exit even if a connection
    to it is still open (WITH (FORCE))."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
