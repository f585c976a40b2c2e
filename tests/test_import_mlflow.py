"""`mltrack import mlflow`: a real MLflow tracking store (SQLite, created by MLflow's own
client here) imported into SQLite and PostgreSQL and checked value by value."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.importers.mlflow import typed_param
from jupyter_mltrack.store.engine import Store

mlflow = pytest.importorskip("mlflow", reason="the [mlflow] extra (in the test extra)")
T0 = 1_700_000_000_000  # ms


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two experiments: `credit` with a finished and a failed run, `other` with one run."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    credit = client.create_experiment("credit", artifact_location=str(root / "artifacts"))
    other = client.create_experiment("other", artifact_location=str(root / "artifacts2"))
    base = client.create_run(credit, run_name="baseline", start_time=T0)
    rid = base.info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("train/loss", 1.0 / (i + 1), T0 + 1000 * i, i) for i in range(5)]
        + [Metric("val_f1", 0.61, T0 + 9000, 0), Metric("val_f1", 0.67, T0 + 9500, 1)],
        params=[Param("lr", "0.01"), Param("epochs", "64"), Param("amp", "True"),
                Param("code", "001"), Param("eps", "1e-3")],
        tags=[RunTag("stage", "baseline"), RunTag("best", ""),
              RunTag("mlflow.note.content", "first try")],
    )  # fmt: skip
    (root / "src").mkdir()
    (root / "src" / "weights.bin").write_bytes(b"\x00weights")
    (root / "src" / "report.txt").write_text("ok")
    client.log_artifact(rid, str(root / "src" / "weights.bin"), "model")
    client.log_artifact(rid, str(root / "src" / "report.txt"))
    client.set_terminated(rid, "FINISHED", end_time=T0 + 60_000)
    failed = client.create_run(credit, run_name="diverged", start_time=T0 + 100_000)
    client.log_metric(failed.info.run_id, "train/loss", float("nan"), T0 + 100_500, 0)
    client.set_terminated(failed.info.run_id, "FAILED", end_time=T0 + 101_000)
    elsewhere = client.create_run(other, run_name="x", start_time=T0)
    client.set_terminated(elsewhere.info.run_id, "KILLED", end_time=T0 + 1)
    return {"uri": uri, "base": rid, "failed": failed.info.run_id, "other": elsewhere.info.run_id}


def _import(store: Store, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(
        ["--store", store.config.url, "--blobs", str(store.config.blob_root),
         "import", "mlflow", *argv, "--json"]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    return dict(json.loads(out.out))


def _open(store: Store, run_id: str) -> Any:
    return mlt.init_run(
        with_id=run_id, mode="read-only", store=store.config.url, blobs=str(store.config.blob_root)
    )


def test_mlflow_runs_round_trip(
    store: Store, mlflow_store: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uri = mlflow_store["uri"]
    report = _import(store, capsys, "--tracking-uri", uri, "--experiment", "credit")
    assert (report["runs_created"], report["runs_unchanged"], report["skipped"]) == (2, 0, [])
    assert report["points"] == 5 + 2 + 1 and report["files"] == 2

    run = _open(store, mlflow_store["base"])
    info = run.info
    assert info.custom_run_id == mlflow_store["base"] and info.project == "credit"
    assert (info.name, info.description, info.state) == ("baseline", "first try", "finished")
    assert (info.created_at, info.ended_at) == (T0 / 1000, T0 / 1000 + 60)
    assert run["parameters"].fetch() == {
        "lr": 0.01, "epochs": 64, "amp": True, "code": "001", "eps": "1e-3",
    }  # fmt: skip
    assert run["sys/tags"].fetch() == {"stage=baseline", "best"}
    assert run["mlflow/tags/stage"].fetch() == "baseline"
    loss = run["train/loss"].fetch_values()
    assert list(loss["step"]) == [0, 1, 2, 3, 4]
    assert list(loss["value"]) == [1.0 / (i + 1) for i in range(5)]
    assert [t.timestamp() for t in loss["timestamp"]] == [T0 / 1000 + i for i in range(5)]
    assert list(run["val_f1"].fetch_values()["value"]) == [0.61, 0.67]
    got = Path(run["artifacts"].download(str(tmp_path / "art")))
    assert (got / "model" / "weights.bin").read_bytes() == b"\x00weights"
    assert (got / "report.txt").read_text() == "ok"
    run.stop()

    bad = _open(store, mlflow_store["failed"])
    assert bad.info.state == "failed" and bad.info.failed
    assert bad["train/loss"].fetch_values()["value"].isna().all()
    bad.stop()
    found = mlt.init_project("credit", store=store.config.url).fetch_runs_table(
        query=f'sys/custom_run_id = "{mlflow_store["base"]}"'
    )
    assert list(found.to_pandas()["sys/name"]) == ["baseline"]


def test_second_import_adds_nothing(
    store: Store, mlflow_store: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    first = _import(store, capsys, "--tracking-uri", mlflow_store["uri"])
    assert first["runs_created"] == 3
    again = _import(store, capsys, "--tracking-uri", mlflow_store["uri"])
    assert (again["runs_created"], again["runs_unchanged"], again["points"]) == (0, 3, 0)
    other = _open(store, mlflow_store["other"])
    assert other.info.project == "other" and other.info.state == "aborted"
    other.stop()


def test_typed_params() -> None:
    assert [typed_param(t) for t in ("64", "-3", "0.5", "True", "False")] == [
        64,
        -3,
        0.5,
        True,
        False,
    ]
    assert [typed_param(t) for t in ("001", "1e-3", "0.50", "true", "")] == [
        "001", "1e-3", "0.50", "true", "",
    ]  # fmt: skip
    assert math.isnan(typed_param("nan"))  # what MLflow wrote for float("nan")


def test_unknown_experiment_and_missing_uri(
    store: Store,
    mlflow_store: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    base = ["--store", store.config.url, "import", "mlflow"]
    assert main([*base, "--tracking-uri", mlflow_store["uri"], "--experiment", "nope"]) == 1
    assert "no experiment named 'nope'" in capsys.readouterr().err
