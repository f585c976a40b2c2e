"""The writer across processes and failures: two processes on one run, fork, a store that
goes away and comes back, the bounded backlog, offline spool and `sync`."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest
from client_helpers import log_in_forked_child, metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning, spool
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.types import File


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


APPENDER = textwrap.dedent(
    """
    import sys, jupyter_mltrack as mlt
    store, run_id, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    run = mlt.init_run(store=store, with_id=run_id, flush_period=0.05)
    for i in range(1000):
        run["shared/loss"].log(float(i), step=i)
        run[f"own/{tag}"].log(float(i))
    run.stop()
    """
)


def test_two_processes_appending_to_one_run_keep_everything(store: Store) -> None:
    run = mlt.init_run(store=store.config.url, blobs=str(store.config.blob_root))
    run.stop()
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, store.config.url, run.id, tag])
        for tag in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    shared = fields.read_series(store, run.info.id, "shared/loss")
    assert shared is not None and len(shared) == 2000
    assert sorted(shared.values) == sorted([float(i) for i in range(1000)] * 2)
    f = fields.get_field(store, run.info.id, "shared/loss")
    assert f is not None and f.count == 2000 and (f.min, f.max) == (0.0, 999.0)
    for tag in ("a", "b"):
        own = fields.read_series(store, run.info.id, f"own/{tag}")
        assert own is not None and list(own.values) == [float(i) for i in range(1000)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_keeps_logging_and_parent_points_are_not_doubled(
    sqlite_store: Store,
) -> None:
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=60)
    for i in range(10):
        run["parent"].log(float(i))  # pending in the buffer at fork time
    assert log_in_forked_child(run, "child", 1.0) == 0
    run.stop()
    parent = fields.read_series(sqlite_store, run.info.id, "parent")
    child = fields.read_series(sqlite_store, run.info.id, "child")
    assert parent is not None and len(parent) == 10
    assert child is not None and list(child.values) == [1.0]
    assert runs.get(sqlite_store, run.id).state == "finished"


def test_store_errors_are_retried_and_reported(sqlite_store: Store) -> None:
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=0.05)
    real_write = sqlite_store.write
    broken = {"on": True}

    def flaky_write():  # type: ignore[no-untyped-def]
        if broken["on"]:
            raise OSError("disk full")
        return real_write()

    run.store.write = flaky_write  # type: ignore[method-assign]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for i in range(100):
            run["loss"].log(float(i))
        run.wait()
        assert run._lifecycle.writer is not None and run._lifecycle.writer.failures >= 1
        broken["on"] = False
        run.wait()
    text = " ".join(str(w.message) for w in seen if issubclass(w.category, MLTrackWarning))
    assert "cannot write to the store (disk full); 100 points" in text
    assert "store reachable again" in text
    assert list(fields.read_series(sqlite_store, run.info.id, "loss").values) == [  # type: ignore[union-attr]
        float(i) for i in range(100)
    ]
    run.store.write = real_write  # type: ignore[method-assign]
    run.stop()


def test_backlog_is_bounded_and_says_what_it_dropped(sqlite_store: Store) -> None:
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=60, max_buffered_points=250)
    real_write = run.store.write
    run.store.write = lambda: (_ for _ in ()).throw(OSError("down"))  # type: ignore[method-assign]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for chunk in range(3):
            for i in range(100):
                run["loss"].log(float(chunk * 100 + i))
            run.wait()
    text = " ".join(str(w.message) for w in seen)
    assert "250 points are waiting; dropped the oldest 50 points" in text
    run.store.write = real_write  # type: ignore[method-assign]
    run.stop()
    kept = fields.read_series(sqlite_store, run.info.id, "loss")
    assert kept is not None and list(kept.values) == [float(i) for i in range(50, 300)]


def test_points_waiting_for_an_unreachable_store_are_packed_every_flush_period(
    sqlite_store: Store,
) -> None:
    """While the store is down and the writer backs off (here for a minute), what is logged
    is still taken every flush period into packed arrays: a waiting point costs at most 32
    bytes, not the ~100 of the caller's Python floats (5 M waiting points: 0.16 GB, not 0.5)."""
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=0.05)
    run.wait()
    real_write = run.store.write
    run.store.write = lambda: (_ for _ in ()).throw(OSError("down"))  # type: ignore[method-assign]
    writer = run._lifecycle.writer
    assert writer is not None
    n = 100_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run["loss"].log(-1.0)
        for _ in range(12):  # failed attempts: the writer's next retry is a minute away
            run.wait()
        deadline = time.monotonic() + 20
        while writer.failures < 13 and time.monotonic() < deadline:
            time.sleep(0.05)  # its own next attempt fails too, then it backs off
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(n):
                run["loss"].log(i * 0.5)  # floats no cache shares
            deadline = time.monotonic() + 20
            while sum(b.points for b in writer.backlog) <= n and time.monotonic() < deadline:
                time.sleep(0.05)
            gc.collect()
            used = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert sum(b.points for b in writer.backlog) == n + 1, "not packed while backing off"
        assert not any(sb.items for sb in run._outbox.series)
        assert used / n <= 32, f"{used / n:.1f} bytes per waiting point"
        run.store.write = real_write  # type: ignore[method-assign]
        run.stop()
    data = fields.read_series(sqlite_store, run.info.id, "loss")
    assert data is not None and list(data.values) == [-1.0] + [i * 0.5 for i in range(n)]


def test_unreachable_store_falls_back_to_offline_and_sync_keeps_the_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    dead = "postgresql://nobody@127.0.0.1:1/none"
    with pytest.warns(MLTrackWarning, match=r"Logging offline to .*mltrack sync"):
        run = mlt.init_run(store=dead, project="credit", name="on the train")
        # The writer thread finds the store down; `mode` waits for it to decide.
        assert run.mode == "offline" and run.offline_dir is not None
    custom = run.info.custom_run_id
    assert custom is not None and custom.startswith("offline-")
    run["params/lr"] = 0.1
    for i in range(5):
        run["loss"].log(1.0 / (i + 1))
    run["notes"].upload(File.from_content("hello", extension="txt"))
    run.stop()
    (sp,) = spool.list_spools()
    assert sp.meta["target_url"] == dead
    created = run.info.created_at
    synced = spool.sync(sp, store)
    assert synced.custom_run_id == custom and synced.name == "on the train"
    assert synced.created_at == created  # the time it ran, not the time of the sync
    assert synced.state == "finished" and synced.project == "credit"
    assert not sp.path.exists()
    again = mlt.init_run(
        store=store.config.url, blobs=str(store.config.blob_root), with_id=custom, mode="read-only"
    )
    assert again.id == synced.short_id
    assert again["params/lr"].fetch() == 0.1
    assert again["loss"].fetch_values()["value"].tolist() == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    out = again["notes"].download(str(tmp_path / "n.txt"))
    assert Path(out).read_text() == "hello"


def test_offline_resume_of_an_existing_run_appends_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_store: Store
) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    online = mlt.init_run(store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root))
    online["loss"].log(1.0)
    online.stop()
    off = mlt.init_run(store=sqlite_store.config.url, with_id=online.id, mode="offline")
    off["loss"].log(2.0, step=1)
    off.stop()
    (sp,) = spool.list_spools()
    assert sp.label == online.id
    spool.sync(sp, sqlite_store)
    data = fields.read_series(sqlite_store, online.info.id, "loss")
    assert data is not None and list(data.values) == [1.0, 2.0]


def test_open_store_used_by_offline_spool_is_a_real_store(tmp_path: Path) -> None:
    st = open_store(f"sqlite:///{tmp_path}/x.db", cached=False)
    assert st.revision() is not None
    st.dispose()


def test_stop_with_the_store_down_spools_what_is_left_for_sync(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=60)
    run["loss"].log(1.0)
    run.wait()
    real_write = run.store.write
    run.store.write = lambda: (_ for _ in ()).throw(OSError("server gone"))  # type: ignore[method-assign]
    run["loss"].log(2.0)
    run["final/f1"] = 0.8
    with pytest.warns(MLTrackWarning, match=r"last 1 points and 1 field updates are kept in"):
        run.stop()
    run.store.write = real_write  # type: ignore[method-assign]
    assert runs.get(sqlite_store, run.id).state == "running"  # not told yet
    (sp,) = spool.list_spools()
    spool.sync(sp, sqlite_store)
    data = fields.read_series(sqlite_store, run.info.id, "loss")
    assert data is not None and list(data.values) == [1.0, 2.0]
    assert fields.get_field(sqlite_store, run.info.id, "final/f1").value == 0.8  # type: ignore[union-attr]
    assert runs.get(sqlite_store, run.id).state == "finished"
