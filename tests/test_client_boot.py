"""A new async run is created by its writer thread, so `init_run` returns before the store is
open: what is logged meanwhile is kept, what needs the run waits for it, and a run that cannot
be created anywhere says so without raising into the training loop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import log_in_forked_child, metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning
from jupyter_mltrack.errors import StoreError
from jupyter_mltrack.store import engine, fields, runs
from jupyter_mltrack.store.engine import Store


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


@pytest.fixture
def held_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Opening the (real) store waits until the test sets the event, so the test can act
    while the run is still being created."""
    release = threading.Event()
    real_open = engine.open_store

    def open_when_released(*args: Any, **kwargs: Any) -> Store:
        release.wait(30)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(engine, "open_store", open_when_released)
    yield release
    release.set()


def test_the_client_path_of_init_run_imports_no_sqlalchemy() -> None:
    # init_run's own thread imports the client and the run context captures only;
    # SQLAlchemy (~0.3 s) is the writer thread's.
    code = (
        "import sys, pkgutil, importlib, jupyter_mltrack.client.init, jupyter_mltrack.capture\n"
        "for m in pkgutil.iter_modules(jupyter_mltrack.capture.__path__):\n"
        "    importlib.import_module('jupyter_mltrack.capture.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_logging_before_the_run_exists_is_kept(
    sqlite_store: Store, held_open: threading.Event
) -> None:
    url, blobs = sqlite_store.config.url, str(sqlite_store.config.blob_root)
    before = time.time()
    run = mlt.init_run(store=url, blobs=blobs, project="boot", name="first", tags=["a"])
    returned = time.time()
    assert not run._lifecycle.ready.is_set()  # the store is not even open yet
    for i in range(100):
        run["train/loss"].log(1.0 / (i + 1))
    run["params"] = {"lr": 0.01, "opt": "adam"}
    run["sys/name"] = "renamed"
    run["sys/tags"].add("b")
    held_open.set()
    assert run.id == "BOOT-1"  # waits for the row
    assert run["sys/name"].fetch() == "renamed"
    run.stop()
    info = runs.get(sqlite_store, "BOOT-1")
    assert info.name == "renamed" and info.state == "finished"
    # The creation time is when init_run was called, not when the writer got to it.
    assert before <= info.created_at <= returned
    loss = fields.read_series(sqlite_store, info.id, "train/loss")
    assert loss is not None and len(loss) == 100 and loss.values[0] == 1.0
    got = {f.path: f.value for f in fields.list_fields(sqlite_store, info.id)}
    assert got["params/lr"] == 0.01 and got["params/opt"] == "adam"
    assert sorted(got["sys/tags"]) == ["a", "b"]


def test_a_run_that_cannot_be_created_anywhere_warns_and_never_raises_into_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the offline spool cannot be made under a file")
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(blocker))
    dead = "postgresql://nobody@127.0.0.1:1/none"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run = mlt.init_run(store=dead, project="nowhere")
        run["loss"].log(1.0)  # before the writer found out: kept in a buffer, then dropped
        with pytest.raises(StoreError, match="could not be created"):
            _ = run.id
        for i in range(1000):  # after: every call returns, nothing piles up
            run["loss"].log(float(i))
            run["x"] = i
        run.wait()
        run.stop()
    messages = [str(w.message) for w in seen if issubclass(w.category, MLTrackWarning)]
    assert any("the run could not be created" in m for m in messages), messages
    assert "not created" in repr(run)
    assert all(len(sb.items) <= 3 for sb in run._outbox.series)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_while_the_run_is_being_created_waits_for_it(
    sqlite_store: Store, held_open: threading.Event
) -> None:
    run = mlt.init_run(store=sqlite_store.config.url, flush_period=60)
    run["parent"].log(1.0)
    threading.Timer(0.3, held_open.set).start()
    # The before-fork hook lets the creation finish first.
    assert log_in_forked_child(run, "child", 2.0) == 0
    run.stop()
    child = fields.read_series(sqlite_store, run.info.id, "child")
    parent = fields.read_series(sqlite_store, run.info.id, "parent")
    assert child is not None and list(child.values) == [2.0]
    assert parent is not None and list(parent.values) == [1.0]
