"""A throwaway PostgreSQL database for a bench: created empty, dropped after, on the server
at 127.0.0.1 (trust auth, as the tests use). The benches print their SQLite figures first and
add PostgreSQL's only when the server answers.

    from scratch_pg import postgres_wanted, scratch_database  # bench/ on sys.path
    if postgres_wanted(args.no_postgres):
        with scratch_database("bench_history") as url: ...
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_wanted(skip: bool, admin: str = ADMIN) -> bool:
    """Whether to measure PostgreSQL too: not when `skip` (--no-postgres), nor when the server
    does not answer, for any reason (psycopg missing, nothing listening), which is printed."""
    if skip:
        return False
    try:
        import psycopg

        psycopg.connect(admin, autocommit=True, connect_timeout=5).close()
    except Exception as e:
        print(f"\n(PostgreSQL skipped: {e})")
        return False
    return True


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
