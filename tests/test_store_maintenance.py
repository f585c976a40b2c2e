"""store.maintenance on both backends: `mltrack gc`'s removal of unreachable blobs (files and
rows, dry run, grace) and the WAL shrink a run's end asks for."""

from __future__ import annotations

from pathlib import Path

from blob_helpers import put_aged
from sqlalchemy import select

from jupyter_mltrack.store import maintenance, upsert
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Blob


def _blob(store: Store, data: bytes, age: float) -> str:
    sha = put_aged(store.blobs, data, age)
    with store.write() as s:
        upsert.record_blobs(s, [(sha, len(data), "application/octet-stream")])
    return sha


def _rows(store: Store) -> set[str]:
    with store.read() as s:
        return set(s.scalars(select(Blob.sha256)))


def test_only_old_unreachable_blobs_go_files_and_rows(store: Store) -> None:
    kept = _blob(store, b"kept", age=7200)
    old = _blob(store, b"old and unreachable", age=7200)
    young = _blob(store, b"young", age=10)
    dry = maintenance.remove_unreachable_blobs(store, {kept}, grace=3600, dry_run=True)
    assert (dry.removed, dry.freed, dry.kept, dry.dry_run) == (
        1,
        store.blobs.stored_size(old),
        1,
        True,
    )
    assert set(store.blobs.all_shas()) == {kept, old, young} == _rows(store)

    done = maintenance.remove_unreachable_blobs(store, {kept}, grace=3600)
    assert (done.removed, done.dry_run) == (1, False)
    assert set(store.blobs.all_shas()) == {kept, young} == _rows(store)


def test_shrink_wal_gives_back_the_disk_of_a_big_write(store: Store) -> None:
    with store.write() as s:
        upsert.record_blobs(
            s, [(f"{i:064x}", i, "application/octet-stream") for i in range(20_000)]
        )
    maintenance.shrink_wal(store)  # a no-op on PostgreSQL, which must not fail either
    if store.is_sqlite:
        db = store.config.sqlite_path
        assert db is not None
        wal = Path(f"{db}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    assert len(_rows(store)) == 20_000
