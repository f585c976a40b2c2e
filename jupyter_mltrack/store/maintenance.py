"""Housekeeping of a whole store, outside any one run's writes: removing the blobs nothing
refers to (`mltrack gc`) and giving back the disk a big SQLite write-ahead log holds (a run's
end)."""

from __future__ import annotations

import time
from collections.abc import Set
from dataclasses import dataclass

from sqlalchemy import delete

from .engine import Store
from .models import Blob

_DELETE_BATCH = 500  # shas per DELETE: under SQLite's bound-parameter limit


@dataclass(frozen=True)
class BlobCollection:
    """What `remove_unreachable_blobs` removed, or would have (`dry_run`)."""

    removed: int
    freed: int  # bytes
    kept: int  # reachable blobs
    stale_temp_files: int
    dry_run: bool


def remove_unreachable_blobs(
    store: Store, reachable: Set[str], *, grace: float, dry_run: bool = False
) -> BlobCollection:
    """Remove every blob file (and its `blobs` row) not in `reachable` and older than `grace`
    seconds, and temp files left by interrupted writes. The grace keeps what a checkpoint or
    an upload may have written before committing the row that names it."""
    cutoff = time.time() - grace
    doomed: list[tuple[str, int]] = []
    for sha in store.blobs.all_shas():
        if sha in reachable:
            continue
        st = store.blobs.path(sha).stat()
        if st.st_mtime < cutoff:
            doomed.append((sha, st.st_size))
    temps = 0
    if not dry_run:
        for sha, _size in doomed:
            store.blobs.remove(sha)
        with store.write() as s:
            for i in range(0, len(doomed), _DELETE_BATCH):
                batch = [sha for sha, _size in doomed[i : i + _DELETE_BATCH]]
                s.execute(delete(Blob).where(Blob.sha256.in_(batch)))
        temps = store.blobs.remove_stale_temp(grace)
    return BlobCollection(
        removed=len(doomed),
        freed=sum(size for _sha, size in doomed),
        kept=len(reachable),
        stale_temp_files=temps,
        dry_run=dry_run,
    )


def shrink_wal(store: Store) -> None:
    """Give the disk back: a big flush leaves a SQLite WAL as large as that flush. Only if no
    other connection is busy (a short timeout, never a wait); never raises, since only disk
    space is at stake (the data is already written). A no-op on PostgreSQL."""
    if not store.is_sqlite:
        return
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 50")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout = 60000")
    except Exception:
        pass
