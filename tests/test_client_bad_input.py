"""Every bad-input case of the issue: one clear warning naming the field and the value (an
exception with strict=True), and the rest of the run kept."""

from __future__ import annotations

import math
import threading
import warnings
from pathlib import Path

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning, Run
from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.store import encoding, fields
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.types import File


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


@pytest.fixture
def run(sqlite_store: Store) -> Run:
    r = mlt.init_run(store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root))
    yield r
    r.stop()


@pytest.fixture
def strict_run(sqlite_store: Store) -> Run:
    r = mlt.init_run(
        store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root), strict=True
    )
    yield r
    r.stop()


def _kept(run: Run) -> None:
    """After the bad call, the run still works."""
    run["after/ok"].log(1.0)
    run["after/scalar"] = "fine"
    assert run["after/ok"].fetch_last() == 1.0
    assert run["after/scalar"].fetch() == "fine"


class Unpicklable:
    def __reduce__(self) -> str:
        raise TypeError("no pickling this")


def big() -> str:
    """The issue's 200 MB string, built only by the tests that use it."""
    return "x" * 200_000_000


CASES = [
    (
        "str into float series",
        lambda r: (r["loss"].log(1.0), r["loss"].log("oops")),
        r"loss is a float_series field; 'oops'",
    ),
    (
        "float into string field",
        lambda r: (r.__setitem__("p/name", "a"), r.__setitem__("p/name", 2.5)),
        r"p/name is a string field; 2.5",
    ),
    (
        "scalar onto a series",
        lambda r: (r["s"].log(1.0), r.__setitem__("s", 3)),
        r"s is a float_series field",
    ),
    (
        "empty segment",
        lambda r: r["a//b"].log(1.0),
        r"'a//b' has an empty segment; write it as 'a/b'",
    ),
    ("trailing slash", lambda r: r.__setitem__("a/", 1), r"empty segment"),
    ("empty path", lambda r: r.__setitem__("", 1), r"cannot be empty"),
    ("path over 1024 bytes", lambda r: r["x" * 1025].log(1.0), r"1,025 bytes long; at most 1,024"),
    (
        "200 MB string",
        lambda r: r.__setitem__("notes", big()),
        r"notes: a string of 200,000,000 characters",
    ),
    (
        "200 MB string into a series",
        lambda r: r["log"].log(big()),
        r"log: cannot log <str of 200,000,000",
    ),
    (
        "unpicklable",
        lambda r: r["model"].upload(File.as_pickle(Unpicklable())),
        r"model: cannot pickle Unpicklable",
    ),
    (
        "missing upload",
        lambda r: r["f"].upload("/nonexistent/x.png"),
        r"f: file '/nonexistent/x.png' does not exist",
    ),
    (
        "missing upload_files",
        lambda r: r["fs"].upload_files("/nonexistent/*.csv"),
        r"fs: nothing matches",
    ),
    (
        "missing track_files",
        lambda r: r["data"].track_files("/nonexistent/dir"),
        r"data: nothing matches",
    ),
    (
        "unsupported type",
        lambda r: r.__setitem__("cfg", [1, 2]),
        r"cfg: cannot store \[1, 2\] of type list",
    ),
    ("None", lambda r: r.__setitem__("cfg2", None), r"cfg2: cannot store None"),
    (
        "bad step",
        lambda r: r["st"].log(1.0, step="three"),
        r"st: step 'three' is not a finite number",
    ),
    (
        "bad image",
        lambda r: r["img"].upload(File.as_image(object())),
        r"img: cannot make an image of object",
    ),
    (
        "sys field",
        lambda r: r.__setitem__("sys/state", "finished"),
        r"sys/state is set by the tracker",
    ),
    (
        "field under a field",
        lambda r: (r.__setitem__("a", 1), r.__setitem__("a/b", 2)),
        r"'a' is a int field, so it cannot hold",
    ),
    ("NUL in string", lambda r: r.__setitem__("t", "a\x00b"), r"t: the string contains NUL"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_warns_once_and_keeps_the_run(run: Run, case: tuple) -> None:
    _label, act, pattern = case
    with pytest.warns(MLTrackWarning, match=pattern):
        act(run)
    _kept(run)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_in_strict_mode(strict_run: Run, case: tuple) -> None:
    _label, act, pattern = case
    with pytest.raises(InvalidInput, match=pattern):
        act(strict_run)
    _kept(strict_run)


def test_backwards_step_warns_and_keeps_the_point(run: Run) -> None:
    run["loss"].log(1.0, step=5)
    with pytest.warns(MLTrackWarning, match=r"loss: step 3 is before the last logged step 5"):
        run["loss"].log(2.0, step=3)
    assert run["loss"].fetch_values()["step"].tolist() == [5, 3]


def test_nan_in_strict_mode_raises_in_the_caller(strict_run: Run) -> None:
    with pytest.raises(InvalidInput, match=r"loss: logged nan"):
        strict_run["loss"].log(math.nan)


def test_logging_after_stop_warns(sqlite_store: Store) -> None:
    r = mlt.init_run(store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root))
    r["loss"].log(1.0)
    r.stop()
    with pytest.warns(MLTrackWarning, match=r"loss: 2.0 not stored because the run was stopped"):
        r["loss"].log(2.0)
    ro = mlt.init_run(store=sqlite_store.config.url, with_id=r.id, mode="read-only")
    assert ro["loss"].fetch_values()["value"].tolist() == [1.0]


def test_repeats_warn_once_and_are_counted_at_stop(sqlite_store: Store) -> None:
    r = mlt.init_run(store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root))
    r["loss"].log(1.0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(1000):
            r["loss"].log("bad")
        r.stop()
    messages = [str(w.message) for w in seen if issubclass(w.category, MLTrackWarning)]
    assert sum("float_series field" in m for m in messages) == 1
    assert any("loss: 1,000x type" in m for m in messages)


def test_wrong_type_from_another_process_drops_only_that_series(sqlite_store: Store) -> None:
    r = mlt.init_run(store=sqlite_store.config.url, blobs=str(sqlite_store.config.blob_root))
    with sqlite_store.write() as s:  # another writer made it a string field meanwhile
        fields.upsert_scalars(s, r.info.id, [encoding.ScalarWrite("x", "string", text="t")])
    with pytest.warns(MLTrackWarning, match=r"x: it is a string field in the store"):
        r["x"].log(1.0)
        r["y"].log(2.0)
        r.wait()
    assert r["y"].fetch_last() == 2.0 and r["x"].fetch() == "t"
    r.stop()


def test_bool_and_numpy_scalars_are_numbers(run: Run) -> None:
    np = pytest.importorskip("numpy")
    run["acc"].log(np.float32(0.5))
    run["acc"].log(np.int64(1))
    run["acc"].log(True)
    run["n"] = np.int64(7)
    run["flag"] = np.bool_(True)
    assert run["acc"].fetch_values()["value"].tolist() == [0.5, 1.0, 1.0]
    assert run["n"].fetch() == 7 and run["flag"].fetch() is True


def test_logging_from_threads_keeps_every_point(run: Run) -> None:
    def work(k: int) -> None:
        for i in range(2000):
            run[f"t{k}/loss"].log(float(i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert len(run[f"t{k}/loss"].fetch_values()) == 2000


def test_file_problem_reported_by_writer_for_vanished_file(run: Run, tmp_path: Path) -> None:
    p = tmp_path / "gone.txt"
    p.write_text("x")
    run["f"].upload(str(p))
    p.unlink()
    with pytest.warns(MLTrackWarning, match=r"f: cannot read"):
        run.wait()
    _kept(run)
