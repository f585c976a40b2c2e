"""The tracking client end to end on real stores: fields, series, tags, states, resume."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning, Run
from jupyter_mltrack.errors import InvalidInput, NotFound
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import Store


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def _run(store: Store, **kw: object) -> Run:
    return mlt.init_run(store=store.config.url, blobs=str(store.config.blob_root), **kw)  # type: ignore[arg-type]


def test_scalars_namespaces_and_fetch(store: Store) -> None:
    run = _run(store, project="ws/credit", name="baseline", tags=["xgb"])
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    run["parameters"] = {"lr": 0.1, "layers": 3, "opt": "adam", "nested": {"flag": True}}
    run["metrics/f1"] = 0.67
    run["data/when"] = when
    run["sys/tags"].add(["best", "v2"])
    run["sys/tags"].remove("v2")
    assert run["parameters/lr"].fetch() == 0.1
    assert run["parameters/layers"].fetch() == 3
    assert run["parameters"].fetch() == {
        "lr": 0.1,
        "layers": 3,
        "opt": "adam",
        "nested": {"flag": True},
    }
    assert run["data/when"].fetch() == when
    assert run["sys/tags"].fetch() == {"xgb", "best"}
    assert run["sys/id"].fetch() == run.id and run.id.startswith("CRED-")
    assert run["sys/name"].fetch() == "baseline"
    assert run.exists("parameters/nested/flag") and run.exists("parameters")
    assert not run.exists("nothing/here")
    structure = run.get_structure()
    assert set(structure["parameters"]) == {"lr", "layers", "opt", "nested"}
    run.stop()
    info = runs.get(store, run.id)
    assert info.state == "finished" and info.project == "credit"


def test_series_log_dict_and_fetch_values(store: Store) -> None:
    run = _run(store)
    for i in range(50):
        run["train/loss"].log(1.0 / (i + 1))
        run["train"].log({"acc": i / 50, "lr": 0.01}, step=i)
    run["train/loss"].extend([0.001, 0.0005], steps=[100, 101])
    run["notes"].log("epoch done")
    df = run["train/loss"].fetch_values()
    assert list(df.columns) == ["step", "value", "timestamp"]
    assert len(df) == 52 and df["step"].iloc[-1] == 101 and df["value"].iloc[0] == 1.0
    assert list(df["step"][:50]) == list(range(50))
    assert run["train/acc"].fetch_last() == pytest.approx(49 / 50)
    assert run["notes"].fetch_values()["value"].tolist() == ["epoch done"]
    f = fields.get_field(store, run.info.id, "train/loss")
    assert f is not None and f.count == 52 and f.min == 0.0005 and f.max == 1.0
    assert f.last_step == 101
    run.stop()


def test_nan_and_inf_are_kept_with_one_warning(store: Store) -> None:
    run = _run(store)
    run["loss"].log(1.0)
    with pytest.warns(mlt.client.MLTrackWarning, match=r"loss: logged nan"):
        run["loss"].log(math.nan)
        run["loss"].log(math.inf)
        run.wait()
    run["loss"].log(0.5)
    run["scalar"] = -math.inf
    vals = run["loss"].fetch_values()["value"].tolist()
    assert vals[0] == 1.0 and math.isnan(vals[1]) and vals[2] == math.inf and vals[3] == 0.5
    f = fields.get_field(store, run.info.id, "loss")
    assert f is not None and (f.min, f.max) == (0.5, 1.0)
    assert run["scalar"].fetch() == -math.inf
    run.stop()


def test_resume_with_id_and_custom_run_id_continues_steps(store: Store) -> None:
    run = _run(store, custom_run_id="exp-42")
    run["loss"].log(3.0)
    run["loss"].log(2.0)
    run.stop()
    again = _run(store, custom_run_id="exp-42")
    assert again.id == run.id
    again["loss"].log(1.0)  # continues at step 2
    again.stop()
    ro = _run(store, with_id=run.id, mode="read-only")
    df = ro["loss"].fetch_values()
    assert df["step"].tolist() == [0.0, 1.0, 2.0] and df["value"].tolist() == [3.0, 2.0, 1.0]
    with pytest.warns(mlt.client.MLTrackWarning, match="read-only"):
        ro["loss"].log(0.0)
    with pytest.raises(NotFound):
        _run(store, with_id="NOPE-99")


def test_context_manager_marks_failed_with_traceback(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), _run(store) as run:
        run["x"] = 1
        1 / 0  # noqa: B018
    info = runs.get(store, run.id)
    assert info.state == "failed" and info.failed
    data = fields.read_series(store, info.id, "monitoring/traceback")
    assert data is not None and "ZeroDivisionError" in data.values[0]


def test_neptune_capture_traceback_and_fail_on_exception_switches(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), _run(store, capture_traceback=False) as quiet:
        1 / 0  # noqa: B018
    assert runs.get(store, quiet.id).state == "failed"
    assert fields.get_field(store, quiet.info.id, "monitoring/traceback") is None
    with pytest.raises(ZeroDivisionError), _run(store, fail_on_exception=False) as tolerant:
        1 / 0  # noqa: B018
    info = runs.get(store, tolerant.id)
    assert info.state == "finished" and not info.failed
    data = fields.read_series(store, info.id, "monitoring/traceback")
    assert data is not None and "ZeroDivisionError" in data.values[0]


def test_uncaught_exception_in_a_script_fails_the_run(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    script = textwrap.dedent(
        f"""
        import jupyter_mltrack as mlt
        run = mlt.init_run(store={str(db)!r}, project="p")
        run["loss"].log(1.0)
        print(run.id, flush=True)
        raise RuntimeError("boom")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 1 and "RuntimeError: boom" in out.stderr
    from jupyter_mltrack.store.engine import open_store

    st = open_store(str(db), cached=False)
    info = runs.get(st, out.stdout.strip())
    assert info.state == "failed"
    tb = fields.read_series(st, info.id, "monitoring/traceback")
    assert tb is not None and "boom" in tb.values[0]
    assert fields.get_field(st, info.id, "loss") is not None
    st.dispose()


def test_modes(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="mode"):
        _run(store, mode="turbo")
    with pytest.raises(InvalidInput, match="with_id"):
        _run(store, mode="read-only")
    sync = _run(store, mode="sync")
    sync["a"].log(1.0)  # durable at return, no wait()
    assert fields.get_field(store, sync.info.id, "a") is not None
    sync.stop()
    debug = _run(store, mode="debug")
    debug["a"] = 1
    assert debug["a"].fetch() == 1
    debug.stop()
    assert runs.list_runs(store, None, limit=10)[0].id == sync.info.id  # debug wrote nothing


def test_api_token_and_neptune_style_project(store: Store) -> None:
    run = _run(
        store,
        project="my-workspace/ImageNet",
        api_token="ANONYMOUS",
        capture_hardware_metrics=False,
        capture_stdout=False,
        source_files=["*.py"],
    )
    assert run.info.project == "ImageNet" and run.id.startswith("IMAG-")
    assert run._capture_options["capture_hardware_metrics"] is False
    run.stop()


def test_fetch_runs_table_filters_with_a_query(store: Store) -> None:
    for f1 in (0.5, 0.7, 0.9):
        r = _run(store, project="credit", tags=["xgb"])
        r["metrics/f1"] = f1
        r.stop()
    other = _run(store, project="other")
    other["metrics/f1"] = 0.99
    other.stop()
    project = mlt.init_project("workspace/credit", api_token="x", store=store.config.url)
    table = project.fetch_runs_table(query="metrics/f1 > 0.6", columns=["metrics/f1"])
    df = table.to_pandas()
    assert sorted(df["metrics/f1"]) == [0.7, 0.9] and table.total == 2
    everything = project.fetch_runs_table(sort_by="metrics/f1", ascending=True)
    assert [row["sys/id"] for row in everything.items] == [
        row["sys/id"] for row in sorted(everything.items, key=lambda r: r["sys/id"])
    ]
    assert len(everything) == 3


def test_sys_name_description_delete_and_structure(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run(store, name="first")
    run["sys/name"] = "renamed"
    run["sys/description"] = "longer story"
    run["scratch/a"] = 1
    run["scratch/b"].log(2.0)
    run["keep"] = True
    del run["scratch"]
    run.wait()
    info = runs.get(store, run.id)
    assert (info.name, info.description) == ("renamed", "longer story")
    assert not run.exists("scratch/a") and not run.exists("scratch")
    assert fields.get_field(store, run.info.id, "scratch/b") is None
    run["scratch/a"] = "a string now"  # the path is free again, with another type
    assert run["scratch/a"].fetch() == "a string now"
    run.print_structure()
    out = capsys.readouterr().out
    assert "keep: bool" in out and "scratch:" in out and "id: sys" in out
    whole = run.fetch()
    assert whole["keep"] is True and whole["sys"]["name"] == "renamed"
    run.stop()


def test_a_dict_logs_each_key_like_its_own_log_call(store: Store) -> None:
    run = _run(store)
    for i in range(3):  # no step: each key counts its own steps
        run["m"].log({"a": float(i), "b": i, 7: i * 2.0})
    run["m"].log({"a": 10.0, "note": "text"}, step=5)
    with pytest.warns(MLTrackWarning, match="m/a: step 4 is before"):
        run["m"].log({"a": 1.0, "b": 1.0}, step=4)  # a goes back: warned (and kept); b is fine
    run.wait()
    a = run["m/a"].fetch_values()
    assert a["step"].tolist() == [0.0, 1.0, 2.0, 5.0, 4.0]
    assert a["value"].tolist() == [0, 1, 2, 10, 1]
    b = run["m/b"].fetch_values()
    assert b["step"].tolist() == [0.0, 1.0, 2.0, 4.0]
    assert run["m/7"].fetch_values()["value"].tolist() == [0.0, 2.0, 4.0]
    assert run["m/note"].fetch_values()["value"].tolist() == ["text"]
    # One dict call, one moment: every key of it has the same timestamp.
    assert a["timestamp"].iloc[0] == b["timestamp"].iloc[0]
    run.stop()
