"""Store faults under a running training loop: disk full, a read-only store, the database
server going away (neptune's stop() hanging for hours, W&B marking runs crashed after a blip).

In each: the loop keeps logging at its pace through the fault (its progress file keeps
growing), the client warns in words that name the fault, and everything logged is in the
store afterwards - or, where the outage outlasts the bounded buffer, exactly what it said it
dropped is missing and nothing else.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import (
    FULL,
    QUIET_ENV,
    Worker,
    assert_exact_prefix,
    open_fresh,
    report,
    stored_steps,
)

PG_ADMIN = os.environ.get("MLTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RATE = 20_000


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in QUIET_ENV.items():
        monkeypatch.setenv(k, v)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _drop_connections(db: str) -> None:
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{db}' AND pid <> pg_backend_pid()"
    )


def _wait_for(cond, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _keeps_logging(w: Worker, seconds: float) -> int:
    """The training loop goes on during the fault: points logged over `seconds`."""
    before = w.logged()
    time.sleep(seconds)
    gained = w.logged() - before
    assert gained >= RATE * seconds * 0.5, f"the loop stalled: {gained} points in {seconds} s"
    return gained


def _warned(w: Worker, pattern: str) -> bool:
    return any(re.search(pattern, line, re.I) for line in w.warnings())


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small-disk"
    where.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill ({r.stderr.strip()}); needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(path: Path) -> None:
    with open(path, "wb") as fh:
        block = b"\0" * 65536
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError:
            pass


def test_disk_full_warns_keeps_looping_and_keeps_everything(
    small_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_disk}/mltrack.db"
    w = Worker.start(tmp_path, url, small_disk / "blobs", rate=RATE, flush_period=0.2)
    try:
        w.wait_logged(RATE // 2)
        filler = small_disk / "filler"
        _fill(filler)
        _wait_for(
            lambda: _warned(w, r"cannot write to the store .*full"), 20, "a disk-full warning"
        )
        during = _keeps_logging(w, 1.5)
        filler.unlink()
        _wait_for(lambda: _warned(w, r"reachable again"), 30, "the recovery notice")
        after = w.logged()
        _keeps_logging(w, 0.5)
        w.stop()
    finally:
        w.kill()
    store = open_fresh(url, small_disk / "blobs")
    try:
        steps, values = stored_steps(store, w.run_id or "")
        assert_exact_prefix(steps, values, w.logged())
    finally:
        store.dispose()
    report(
        f"disk full (8 MB tmpfs filled): loop went on ({during:,} points logged while full), "
        f"warned '{next(x for x in w.warnings() if 'full' in x)[:90]}...', all {w.logged():,} "
        f"points stored ({w.logged() - after:,} after space returned)"
    )


def test_read_only_database_mid_run(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL switched to read-only under the client (its connections dropped so the
    setting applies), then back: the writes refused meanwhile are all retried and kept."""
    db = pg_url.rsplit("/", 1)[1]
    w = Worker.start(tmp_path, pg_url, tmp_path / "blobs", rate=RATE, flush_period=0.2)
    try:
        w.wait_logged(RATE // 2)
        _admin(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
        _drop_connections(db)
        _wait_for(lambda: _warned(w, r"read-only transaction"), 20, "a read-only warning")
        during = _keeps_logging(w, 1.0)
        _admin(f'ALTER DATABASE "{db}" SET default_transaction_read_only = off')
        _drop_connections(db)
        _wait_for(lambda: _warned(w, r"reachable again"), 30, "the recovery notice")
        w.stop()
    finally:
        w.kill()
    store = open_fresh(pg_url, tmp_path / "blobs")
    try:
        steps, values = stored_steps(store, w.run_id or "")
        assert_exact_prefix(steps, values, w.logged())
    finally:
        store.dispose()
    report(
        f"read-only PostgreSQL mid-run: loop went on ({during:,} points while read-only), "
        f"warned, all {w.logged():,} points stored"
    )


def test_database_gone_beyond_the_buffer_says_what_it_dropped(pg_url: str, tmp_path: Path) -> None:
    """The database refuses connections for longer than the bounded buffer lasts: the client
    drops the oldest points, says how many, and keeps everything else."""
    db = pg_url.rsplit("/", 1)[1]
    buffered = RATE  # one second of points
    w = Worker.start(
        tmp_path, pg_url, tmp_path / "blobs", rate=RATE, flush_period=0.2, max_buffered=buffered
    )
    try:
        w.wait_logged(RATE // 2)
        _admin(f'ALTER DATABASE "{db}" WITH ALLOW_CONNECTIONS false')
        _drop_connections(db)
        _wait_for(lambda: _warned(w, r"cannot write to the store"), 20, "an outage warning")
        _keeps_logging(w, 2.5)
        _wait_for(lambda: _warned(w, r"dropped the oldest"), 20, "the dropped-points notice")
        _admin(f'ALTER DATABASE "{db}" WITH ALLOW_CONNECTIONS true')
        _wait_for(lambda: _warned(w, r"reachable again"), 60, "the recovery notice")
        w.stop()
    finally:
        w.kill()
        _admin(f'ALTER DATABASE "{db}" WITH ALLOW_CONNECTIONS true')
    said = [
        int(m.group(1).replace(",", ""))
        for x in w.warnings()
        for m in [re.search(r"\(([\d,]+) dropped so far\)", x)]
        if m
    ]
    dropped = max(said)
    store = open_fresh(pg_url, tmp_path / "blobs")
    try:
        steps, _ = stored_steps(store, w.run_id or "")
    finally:
        store.dispose()
    assert len(steps) + dropped == w.logged(), "lost more (or less) than the client said"
    assert steps == sorted(set(steps)), "points repeated or out of order"
    assert steps[-1] == w.logged() - 1, "the newest points must be kept"
    report(
        f"database unreachable past a {buffered:,}-point buffer: {dropped:,} oldest points "
        f"dropped and reported, the other {len(steps):,} stored"
    )


@pytest.mark.skipif(
    not FULL,
    reason="restarts the shared PostgreSQL server: full mode only "
    "(make reliability-full), never beside other tests",
)
def test_postgres_restart_mid_run(pg_url: str, tmp_path: Path) -> None:
    cluster = os.listdir("/etc/postgresql")[0]
    w = Worker.start(tmp_path, pg_url, tmp_path / "blobs", rate=RATE, flush_period=0.2)
    try:
        w.wait_logged(RATE // 2)
        t0 = time.monotonic()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True
        )
        down = time.monotonic() - t0
        _keeps_logging(w, 0.5)
        _wait_for(lambda: _warned(w, r"reachable again") or not w.warnings(), 60, "recovery")
        w.stop()
    finally:
        w.kill()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"], check=False
        )
    store = open_fresh(pg_url, tmp_path / "blobs")
    try:
        steps, values = stored_steps(store, w.run_id or "")
        assert_exact_prefix(steps, values, w.logged())
    finally:
        store.dispose()
    report(
        f"PostgreSQL server restarted mid-run ({down:.1f} s restart): all {w.logged():,} points "
        f"stored; warnings: {len(w.warnings())}"
    )
