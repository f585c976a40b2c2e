"""SIGKILL at random moments while a script logs ~100,000 points/s (neptune loses seconds on
a kill; Aim leaves killed runs "in progress" and sometimes a corrupt repository).

What must hold after every kill: every point logged more than one flush period (plus the
time one flush takes to commit, `COMMIT_SLACK`) before the kill is in the store, exactly once
and in order; the run still reads `running` right after the kill but `crashed` once its
heartbeat is older than the timeout (computed at read time, in Python and in SQL, and watched
on the real clock with the scripts' heartbeat shortened to 0.5 s); the SQLite
file passes `PRAGMA integrity_check`; and the next run in the same store works.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from jupyter_mltrack import init_run
from jupyter_mltrack.query.table import runs_table
from jupyter_mltrack.store import clock, config, fields
from jupyter_mltrack.store import runs as runs_repo
from jupyter_mltrack.store.models import Run

from .harness import (
    QUIET_ENV,
    Worker,
    assert_exact_prefix,
    open_fresh,
    report,
    size,
    stored_steps,
)

FLUSH_PERIOD = 1.0
# A flush started one period after a point was logged still has to pack and commit it; on
# two busy CI cores that takes up to a few hundred ms for 100,000 points.
COMMIT_SLACK = 0.6
RATE = 100_000
# The killed scripts heartbeat every 0.5 s (MLTRACK_HEARTBEAT_INTERVAL), so their runs must
# read `crashed` 1.5 s after their last heartbeat - watched on the real clock, not computed.
HEARTBEAT = 0.5


def _kill_trial(
    tmp: Path, url: str, blobs: Path, k: int, rng: random.Random
) -> dict[str, float | str]:
    w = Worker.start(
        tmp,
        url,
        blobs,
        name=f"crash{k}",
        rate=RATE,
        flush_period=FLUSH_PERIOD,
        env={"MLTRACK_HEARTBEAT_INTERVAL": str(HEARTBEAT)},
    )
    try:
        # Past the first flush, then a random moment within the next two flush periods.
        w.wait_logged(int(RATE * FLUSH_PERIOD * 1.2))
        time.sleep(rng.uniform(0.0, 2.0 * FLUSH_PERIOD))
        killed_at = time.time()
        w.kill()
    finally:
        w.kill()
    run_id = w.run_id
    assert run_id is not None
    progress = w.progress_points()
    logged = progress[-1][1]
    store = open_fresh(url, blobs)
    try:
        steps, values = stored_steps(store, run_id)
        stored = len(steps)
        assert_exact_prefix(steps, values, stored)
        due = max(
            (c for t, c in progress if t <= killed_at - FLUSH_PERIOD - COMMIT_SLACK), default=0
        )
        assert stored >= due, (
            f"trial {k}: {due:,} points were logged more than {FLUSH_PERIOD + COMMIT_SLACK} s "
            f"before the kill but only {stored:,} are stored"
        )
        # How old the newest lost point was at the kill: the window SIGKILL really cost.
        lost_since = min((t for t, c in progress if c > stored), default=killed_at)
        first_batch = progress[0][0] - progress[0][1] / RATE
        elapsed = progress[-1][0] - first_batch

        info = runs_repo.get(store, run_id)
        assert info.state == "running", "a run must not read crashed right after a kill"
        hb = info.heartbeat_at
        assert hb is not None
        later = hb + config.STALE_AFTER + 1
        assert clock.effective_state(info.state, hb, now=hb + 1) == "running"
        assert clock.effective_state(info.state, hb, now=later) == "crashed"
        with store.read() as s:
            sql_state = s.scalar(select(runs_repo.state_expression(later)).where(Run.id == info.id))
        assert sql_state == "crashed"
        table = runs_table(store, query='sys/state = "crashed"', columns=["sys/id"], now=later)
        assert run_id in [row["sys/id"] for row in table.items]
    finally:
        store.dispose()
    return {
        "run": run_id,
        "killed_at": killed_at,
        "logged": logged,
        "stored": stored,
        "window": killed_at - lost_since if stored < logged else 0.0,
        "rate": logged / elapsed if elapsed > 0 else 0.0,
    }


@pytest.mark.timeout(900)
def test_sigkill_loses_at_most_one_flush_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in QUIET_ENV.items():
        monkeypatch.setenv(k, v)
    db = tmp_path / "store" / "mltrack.db"
    url = f"sqlite:///{db}"
    blobs = tmp_path / "blobs"
    rng = random.Random(int(time.time()))
    trials = size(3, 20)
    results = [_kill_trial(tmp_path, url, blobs, k, rng) for k in range(trials)]

    # The file is sound after all those kills...
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # ...and the next run works: a new, unique id, its points stored, it ends finished.
    run = init_run(project="reliability", store=url, blobs=str(blobs), flush_period=0.2)
    for i in range(5000):
        run["train/loss"].log(float(i), step=i)
    run.stop()
    store = open_fresh(url, blobs)
    try:
        info = runs_repo.get(store, run.id)
        assert info.state == "finished"
        data = fields.read_series(store, info.id, "train/loss")
        assert data is not None and list(data.values) == [float(i) for i in range(5000)]
        ids = [r.short_id for r in runs_repo.list_runs(store, "reliability", limit=1000)]
        assert len(ids) == len(set(ids)) == trials + 1
    finally:
        store.dispose()

    # On the real clock, read as the scripts' interval sets it: every killed run turns
    # `crashed` (Python, SQL, query language) once its last heartbeat is older than the
    # stale period, and not long after.
    monkeypatch.setattr(config, "STALE_AFTER", 3 * HEARTBEAT)
    killed = {str(r["run"]) for r in results}
    last_kill = max(float(r["killed_at"]) for r in results)
    store = open_fresh(url, blobs)
    try:
        while True:
            table = runs_table(store, query='sys/state = "crashed"', columns=["sys/id"])
            crashed = {row["sys/id"] for row in table.items}
            if crashed == killed:
                break
            assert crashed < killed, f"a run that ended normally reads crashed: {crashed}"
            late = time.time() - last_kill
            assert late < 3 * HEARTBEAT + FLUSH_PERIOD + 5, f"still not crashed: {killed - crashed}"
            time.sleep(0.05)
        for run_id in killed:
            info = runs_repo.get(store, run_id)
            assert info.state == "crashed" and info.heartbeat_at is not None
            assert time.time() - info.heartbeat_at > config.STALE_AFTER
        assert runs_repo.get(store, run.id).state == "finished"
    finally:
        store.dispose()

    windows = [float(r["window"]) for r in results]
    summary = (
        f"crash: {trials} SIGKILLs, {sum(r['logged'] for r in results):,.0f} points logged at "
        f"{min(r['rate'] for r in results):,.0f}-{max(r['rate'] for r in results):,.0f} points/s; "
        f"lost window at kill max {max(windows):.2f} s, mean {sum(windows) / len(windows):.2f} s "
        f"(flush_period {FLUSH_PERIOD} s)"
    )
    report(summary)
