"""Housekeeping of a whole store, outside any one run's writes: removing the blobs nothing
refers to (`mltrack gc`) and giving back the disk a big SQLite write-ahead log holds (a run's
end)."""

from __future__ import annotations

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
    """Remove every blob not in `reachable` and older than `grace` seconds (written or
    reused: `Blobs.exists`), with its `blobs` row, and temp files left by interrupted
    writes. The grace keeps what a checkpoint or an upload may have written before
    committing the row that names it. The blob store does the removing (`Blobs.collect`:
    for packs, a repack that writers do not wait for)."""
    done = store.blobs.collect(reachable, grace=grace, dry_run=dry_run)
    if not dry_run:
        with store.write() as s:
            for i in range(0, len(done.removed), _DELETE_BATCH):
                batch = list(done.removed[i : i + _DELETE_BATCH])
                s.execute(delete(Blob).where(Blob.sha256.in_(batch)))
    return BlobCollection(
        removed=len(done.removed),
        freed=done.freed,
        kept=len(reachable),
        stale_temp_files=done.stale_temp_files,
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
