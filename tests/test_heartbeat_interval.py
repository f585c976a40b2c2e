"""Heartbeats and the stale rule (crashed = running with a heartbeat older than the run's stale
period). MLTRACK_HEARTBEAT_INTERVAL, read once at import, sets the client's heartbeat and the
period its runs record (three intervals), so a test can watch a killed run turn `crashed` in
seconds. A bad value warns and keeps the default. Heartbeats and staleness are measured by
the database's clock and each run's recorded period (issue 19.5): a writer whose clock is off,
or a reader with another setting, changes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from jupyter_mltrack.query.table import runs_table
from jupyter_mltrack.store import config, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Run

READ_CONSTANTS = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as seen:
    from jupyter_mltrack.store import config
    from jupyter_mltrack.client import writer
print(json.dumps([config.HEARTBEAT_INTERVAL, config.STALE_AFTER, writer.HEARTBEAT_INTERVAL,
                  [str(w.message) for w in seen]]))
"""

LIVE_RUN = """
import sys, time
import jupyter_mltrack as mlt
run = mlt.init_run(project="hb", flush_period=0.05, capture_hardware_metrics=False,
                   capture_stdout=False, capture_stderr=False)
print(run.id, flush=True)
while True:
    time.sleep(0.05)
"""


def _constants(value: str) -> list:
    env = {**os.environ, "MLTRACK_HEARTBEAT_INTERVAL": value}
    out = subprocess.run(
        [sys.executable, "-c", READ_CONSTANTS], env=env, capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out))


def test_the_variable_sets_the_heartbeat_and_the_stale_rule_and_bad_values_warn() -> None:
    assert _constants("0.5") == [0.5, 1.5, 0.5, []]
    interval, stale, client, seen = _constants("soon")
    assert (interval, stale, client) == (10.0, 30.0, 10.0)
    assert "MLTRACK_HEARTBEAT_INTERVAL='soon'" in seen[0] and "using 10" in seen[0]
    assert _constants("0")[:3] == [10.0, 30.0, 10.0]


def test_a_live_run_stays_running_and_a_killed_one_reads_crashed_after_three_intervals(
    tmp_path: Path,
) -> None:
    interval = 0.8
    url = f"sqlite:///{tmp_path}/mltrack.db"
    env = {
        **os.environ,
        "MLTRACK_STORE": url,
        "MLTRACK_BLOBS": str(tmp_path / "blobs"),
        "MLTRACK_HEARTBEAT_INTERVAL": str(interval),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", LIVE_RUN], env=env, stdout=subprocess.PIPE, text=True
    )
    # This process keeps its own (default, 30 s) setting: the run carries the child's period.
    stale = 3 * interval
    assert config.STALE_AFTER == 30.0
    store = open_store(StoreConfig(url, tmp_path / "blobs"), cached=False)
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().split()[0]
        assert runs.get(store, run_id).stale_after == stale
        # Alive for several stale periods: its heartbeat keeps it `running`.
        time.sleep(2 * stale)
        assert runs.get(store, run_id).state == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed = time.time()
        while runs.get(store, run_id).state == "running":
            assert time.time() - killed < stale + 2 * interval + 5, "never crashed"
            time.sleep(0.05)
        crashed_after = time.time() - killed
        table = runs_table(store, query='sys/state = "crashed"', columns=["sys/id"])
        assert [row["sys/id"] for row in table.items] == [run_id]
        # Not before its heartbeat was older than the stale period (the last one was at
        # most one interval, plus a flush, before the kill).
        assert crashed_after > stale - interval - 0.2
    finally:
        proc.kill()
        proc.wait(10)
        store.dispose()


SKEWED_RUN = """
import sys, time
# The writer's host clock is off by sys.argv[1] seconds: the one thing faked, where the
# client reads the time (the database keeps its own clock).
_real = time.time
time.time = lambda: _real() + float(sys.argv[1])
import jupyter_mltrack as mlt
run = mlt.init_run(project="hb", flush_period=0.05, capture_hardware_metrics=False,
                   capture_stdout=False, capture_stderr=False)
run["loss"].log(1.0)
run.wait()
print(run.id, flush=True)
while True:
    time.sleep(0.05)
"""


def _writer(store: Store, interval: float, skew: float = 0.0) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "MLTRACK_STORE": store.config.url,
        "MLTRACK_BLOBS": str(store.config.blob_root),
        "MLTRACK_HEARTBEAT_INTERVAL": str(interval),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SKEWED_RUN, str(skew)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"the writer did not start (exit {proc.poll()})"
    return proc, line.split()[0]


def _states(store: Store, run_id: str) -> tuple[str, str, list[str]]:
    """The run's state as runs.get and the runs table say it, and the ids the table's SQL
    filter calls running."""
    table = runs_table(store, columns=["sys/id", "sys/state"])
    (row,) = [r for r in table.items if r["sys/id"] == run_id]
    running = runs_table(store, query='sys/state = "running"', columns=["sys/id"])
    return runs.get(store, run_id).state, row["sys/state"], [r["sys/id"] for r in running.items]


@pytest.mark.parametrize("skew", [-3600.0, 3600.0], ids=["behind", "ahead"])
def test_a_writer_with_a_skewed_clock_is_judged_by_the_database_clock(
    store: Store, skew: float
) -> None:
    """Behind: its heartbeats used to look an hour old, so a live run read as crashed. Ahead:
    they looked an hour in the future, so a killed run stayed running for an hour."""
    interval = 0.5
    proc, run_id = _writer(store, interval, skew)
    try:
        time.sleep(4 * interval)
        assert _states(store, run_id) == ("running", "running", [run_id])
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.time() + 3 * interval + 10
        while runs.get(store, run_id).state == "running":
            assert time.time() < deadline, "a killed writer never read as crashed"
            time.sleep(0.05)
        assert _states(store, run_id) == ("crashed", "crashed", [])
    finally:
        proc.kill()
        proc.wait(10)


def test_a_run_keeps_its_writers_stale_period_whatever_the_readers_setting(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer beats every 60 s (stale after 180 s); this reader's own setting would call
    a run crashed after 1.5 s without a heartbeat. The run's recorded period wins."""
    proc, run_id = _writer(store, 60.0)
    try:
        monkeypatch.setattr(config, "STALE_AFTER", 1.5)  # as MLTRACK_HEARTBEAT_INTERVAL=0.5
        assert runs.get(store, run_id).stale_after == 180.0
        time.sleep(2.5)  # longer than the reader's period since the last heartbeat
        assert _states(store, run_id) == ("running", "running", [run_id])
    finally:
        proc.kill()
        proc.wait(10)
    # A run from before the period was recorded reads with the reader's setting, as it did.
    with store.write() as s:
        s.execute(update(Run).where(Run.short_id == run_id).values(stale_after=None))
    assert runs.get(store, run_id).state == "crashed"
