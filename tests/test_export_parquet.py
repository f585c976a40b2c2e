"""`mltrack export --format parquet`: one row per series point plus a fields file, read back
with pandas value by value (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from pathlib import Path

import pandas as pd
import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.client import MLTrackWarning
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.types import File

T0 = 1_700_000_000.25


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


@pytest.fixture
def two_runs(store: Store, tmp_path: Path) -> list[str]:
    ids = []
    warnings.simplefilter("ignore", MLTrackWarning)  # the NaN and inf below, on purpose
    for lr in (0.1, 0.01):
        run = mlt.init_run(
            store=store.config.url, blobs=str(store.config.blob_root), project="credit",
            name=f"lr={lr}", tags=["xgb"],
        )  # fmt: skip
        run["params/lr"] = lr
        run["params/epochs"] = 2**40 + 3
        run["params/amp"] = True
        run["params/nan"] = float("nan")
        run["params/opt"] = "adam"
        run["data/when"] = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
        run["train/loss"].extend(
            [1.0, 0.5, float("inf")], steps=[0, 0.5, 2], timestamps=[T0, T0 + 1, T0 + 2]
        )
        run["train/log"].log("epoch 0 ✓", step=0, timestamp=T0)
        (tmp_path / "s.txt").write_text("sample")
        run["eval/sample"].log(File(str(tmp_path / "s.txt")), step=3, timestamp=T0)
        run.stop()
        ids.append(run.id)
    return ids


def _export(store: Store, out: Path, *argv: str) -> int:
    base = ["--store", store.config.url, "--blobs", str(store.config.blob_root), "export"]
    return main([*base, *argv, "--format", "parquet", "-o", str(out)])


def test_run_exports_points_and_fields(store: Store, two_runs: list[str], tmp_path: Path) -> None:
    first = two_runs[0]
    assert _export(store, tmp_path / "one", first) == 0
    points = pd.read_parquet(tmp_path / "one" / "points.parquet")
    assert list(points.columns) == ["run_id", "path", "step", "timestamp", "value", "text"]
    loss = points[points["path"] == "train/loss"]
    assert set(points["run_id"]) == {first}
    assert list(loss["step"]) == [0.0, 0.5, 2.0]
    assert list(loss["value"][:2]) == [1.0, 0.5] and math.isinf(loss["value"].iloc[2])
    assert [t.timestamp() for t in loss["timestamp"]] == [T0, T0 + 1, T0 + 2]
    assert str(loss["timestamp"].dt.tz) == "UTC" and loss["text"].isna().all()
    log = points[points["path"] == "train/log"]
    assert list(log["text"]) == ["epoch 0 ✓"] and log["value"].isna().all()
    sample = points[points["path"] == "eval/sample"]
    assert json.loads(sample["text"].iloc[0])["name"] == "s.txt" and list(sample["step"]) == [3.0]

    flds = pd.read_parquet(tmp_path / "one" / "fields.parquet").set_index("path")
    assert list(flds.columns) == ["run_id", "type", "num", "int_value", "text"]
    assert flds.loc["params/lr", "num"] == 0.1 and flds.loc["params/lr", "type"] == "float"
    assert flds.loc["params/epochs", "int_value"] == 2**40 + 3
    assert flds.loc["params/amp", "num"] == 1.0 and math.isnan(flds.loc["params/nan", "num"])
    assert flds.loc["params/opt", "text"] == "adam"
    assert (
        flds.loc["data/when", "num"] == dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    )
    assert json.loads(flds.loc["sys/tags", "text"]) == ["xgb"]
    assert flds.loc["sys/name", "text"] == "lr=0.1" and flds.loc["sys/id", "text"] == first
    assert flds.loc["sys/state", "text"] == "finished"


def test_query_exports_the_matching_runs(store: Store, two_runs: list[str], tmp_path: Path) -> None:
    assert _export(store, tmp_path / "all", "--query", "params/lr < 1", "-p", "credit") == 0
    points = pd.read_parquet(tmp_path / "all" / "points.parquet")
    assert sorted(set(points["run_id"])) == sorted(two_runs) and len(points) == 2 * 5
    assert _export(store, tmp_path / "some", "--query", "params/lr < 0.05", "-p", "credit") == 0
    assert set(pd.read_parquet(tmp_path / "some" / "points.parquet")["run_id"]) == {two_runs[1]}


def test_parquet_needs_a_folder_and_one_selection(
    store: Store, two_runs: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = ["--store", store.config.url, "export", "--format", "parquet"]
    assert main([*base, two_runs[0]]) == 1
    assert "-o DIR" in capsys.readouterr().err
    assert main([*base, two_runs[0], "--query", "x = 1", "-o", str(tmp_path)]) == 1
    assert "one of them" in capsys.readouterr().err
    assert main(["--store", store.config.url, "export", "--query", "x = 1"]) == 1
    assert "needs parquet" in capsys.readouterr().err
