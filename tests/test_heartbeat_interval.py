"""MLTRACK_HEARTBEAT_INTERVAL: read once at import, it sets both the client's heartbeat and
the stale rule (crashed = running with a heartbeat older than 3 intervals), so a test can
watch a killed run turn `crashed` in seconds. A bad value warns and keeps the default."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_mltrack.query.table import runs_table
from jupyter_mltrack.store import config, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import open_store

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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    # This process reads with the same interval the child was started with.
    monkeypatch.setattr(config, "STALE_AFTER", 3 * interval)
    store = open_store(StoreConfig(url, tmp_path / "blobs"), cached=False)
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().split()[0]
        # Alive for several stale periods: its heartbeat keeps it `running`.
        time.sleep(2 * config.STALE_AFTER)
        assert runs.get(store, run_id).state == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed = time.time()
        while runs.get(store, run_id).state == "running":
            assert time.time() - killed < config.STALE_AFTER + 2 * interval + 5, "never crashed"
            time.sleep(0.05)
        crashed_after = time.time() - killed
        table = runs_table(store, query='sys/state = "crashed"', columns=["sys/id"])
        assert [row["sys/id"] for row in table.items] == [run_id]
        # Not before its heartbeat was older than the stale period (the last one was at
        # most one interval, plus a flush, before the kill).
        assert crashed_after > config.STALE_AFTER - interval - 0.2
    finally:
        proc.kill()
        proc.wait(10)
        store.dispose()
