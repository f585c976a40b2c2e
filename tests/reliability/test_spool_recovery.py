"""A store fault, then a store that lost the run: `mltrack sync` still delivers the spool
(issue 14, item 4).

The run logs, the store fails under it (a full disk for SQLite, the database switched to
read-only for PostgreSQL) and `stop()` spools what it could not write. Then the store comes
back from a backup taken before the run existed, as after a rollback. Before the fix `sync`
failed every time with "no run 'RO-2'", or, if a new run had taken that id meanwhile, added
the spooled points to that other run. Now it creates the run again under its short id,
custom id and creation time; when another run holds the short id, under a new one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.client import MLTrackWarning
from jupyter_mltrack.errors import NotFound
from jupyter_mltrack.store import engine as engine_mod
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

from .harness import QUIET_ENV

PG_ADMIN = os.environ.get("MLTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _forget(url: str) -> None:
    """Close this process's pooled connections to the store (the client's included)."""
    for key, st in list(engine_mod._cache.items()):
        if key[0] == url:
            st.dispose()
            engine_mod._cache.pop(key, None)


@dataclass
class FaultyStore:
    """A store that can be backed up, made to fail, and rolled back to the backup."""

    kind: str
    url: str
    blobs: Path
    where: Path  # the tmpfs (SQLite) or the scratch folder

    def open(self) -> Store:
        return open_store(StoreConfig(self.url, self.blobs), cached=False)

    @property
    def db(self) -> str:
        return self.url.rsplit("/", 1)[1]

    def backup(self) -> None:
        _forget(self.url)
        if self.kind == "sqlite":
            src = sqlite3.connect(self.where / "mltrack.db")
            dst = sqlite3.connect(self.where.parent / "backup.db")
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
        else:
            _admin(f'CREATE DATABASE "{self.db}_bak" TEMPLATE "{self.db}"')

    def fail(self) -> None:
        if self.kind == "sqlite":  # fill the disk
            # Unbuffered: a buffered file keeps the bytes a full disk refused and raises
            # ENOSPC again when `with` closes it, depending on how the last write aligned.
            with open(self.where / "filler", "wb", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
        else:
            _admin(f'ALTER DATABASE "{self.db}" SET default_transaction_read_only = on')
            _admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{self.db}' AND pid <> pg_backend_pid()"
            )

    def roll_back(self) -> None:
        """The store as the backup has it: the run and its points before the fault gone."""
        _forget(self.url)
        if self.kind == "sqlite":
            for name in ("filler", "mltrack.db", "mltrack.db-wal", "mltrack.db-shm"):
                (self.where / name).unlink(missing_ok=True)
            shutil.copy(self.where.parent / "backup.db", self.where / "mltrack.db")
        else:
            _admin(f'DROP DATABASE "{self.db}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{self.db}" TEMPLATE "{self.db}_bak"')


@pytest.fixture(params=["sqlite", "postgres"])
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultyStore]:
    if request.param == "postgres":
        url = str(request.getfixturevalue("pg_url"))
        yield FaultyStore("postgres", url, tmp_path / "blobs", tmp_path)
        _forget(url)
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}_bak" WITH (FORCE)')
        return
    disk = tmp_path / "disk"
    disk.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill ({r.stderr.strip()}); needs root")
    url = f"sqlite:///{disk}/mltrack.db"
    try:
        yield FaultyStore("sqlite", url, tmp_path / "blobs", disk)
    finally:
        _forget(url)
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.filterwarnings("ignore:mltrack. cannot write to the store")
@pytest.mark.parametrize("id_taken", [False, True], ids=["id-free", "id-taken"])
def test_sync_recreates_a_run_the_store_lost(
    faulty: FaultyStore,
    id_taken: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for k, v in QUIET_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    st = faulty.open()
    assert runs.create(st, "ro").short_id == "RO-1"
    st.dispose()
    faulty.backup()  # the store before the run below existed

    run = mlt.init_run(
        store=faulty.url,
        blobs=str(faulty.blobs),
        project="ro",
        custom_run_id="nightly-7",
        name="on the train",
        flush_period=0.05,
    )
    assert run.id == "RO-2"
    for i in range(100):
        run["loss"].log(float(i), step=i)
    run.wait()  # reported written
    faulty.fail()
    with pytest.warns(MLTrackWarning, match=r"kept in .*mltrack sync"):
        for i in range(100, 250):
            run["loss"].log(float(i), step=i)
        run.stop()
    faulty.roll_back()

    st = faulty.open()
    try:
        with pytest.raises(NotFound):
            runs.get(st, run.id)
        other = runs.create(st, "ro", name="someone else") if id_taken else None
        if other is not None:
            assert other.short_id == run.id  # the rolled-back counter gave it out again
        assert main(["sync"]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        synced = runs.get(st, "nightly-7", project="ro")
        expected_id = "RO-3" if id_taken else run.id
        assert f"{run.id} -> {expected_id} (ro)" in out
        assert synced.short_id == expected_id and synced.custom_run_id == "nightly-7"
        assert synced.created_at == pytest.approx(run.info.created_at, abs=1e-6)
        assert synced.name == "on the train" and synced.state == "finished"
        points = fields.read_series(st, synced.id, "loss")
        assert points is not None
        assert list(points.steps) == list(range(100, 250))  # all the spool had
        if other is not None:  # nothing of the spool went to the other run
            assert fields.list_fields(st, other.id) == []
        later = runs.create(st, "ro")  # the counter moved past the recreated id
        assert later.short_id == ("RO-4" if id_taken else "RO-3")
    finally:
        st.dispose()
