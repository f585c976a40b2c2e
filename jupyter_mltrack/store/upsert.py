"""INSERT ... ON CONFLICT in the store's dialect, and the `blobs` rows every writer records.

Fields, series chunks, checkpoint links and blob rows may already exist when written (a field
overwritten, a file shared by two runs or two checkpoints). SQLite and PostgreSQL both spell
that ON CONFLICT, each through its own dialect's `insert()`: the repositories take it from here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from .models import Blob


def dialect_insert(session: Session) -> Any:
    """The dialect's `insert` (it knows `on_conflict_do_nothing/update`)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def record_blobs(session: Session, blobs: Iterable[tuple[str, int, str]]) -> None:
    """Insert (sha256, size, mime) rows, ignoring ones already there. The file itself is
    written to the `BlobStore` first, so a row never names a missing file."""
    rows = {sha: (size, mime) for sha, size, mime in blobs}
    if not rows:
        return
    now = time.time()
    ins = dialect_insert(session)(Blob).on_conflict_do_nothing(index_elements=[Blob.sha256])
    session.execute(
        ins,
        [
            {"sha256": sha, "size": size, "mime": mime, "created_at": now}
            for sha, (size, mime) in rows.items()
        ],
    )
