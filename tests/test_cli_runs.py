"""The run commands of `mltrack`: runs, show, compare, export, sync, abort, on a real store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import Store


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def _cli(capsys: pytest.CaptureFixture[str], store: Store, *argv: str) -> tuple[int, str, str]:
    code = main(["--store", store.config.url, "--blobs", str(store.config.blob_root), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def two_runs(store: Store) -> tuple[str, str]:
    ids = []
    for lr, f1 in ((0.1, 0.6), (0.01, 0.7)):
        r = mlt.init_run(
            store=store.config.url,
            blobs=str(store.config.blob_root),
            project="credit",
            name=f"lr={lr}",
            tags=["xgb"],
        )
        r["parameters"] = {"lr": lr, "depth": 6}
        r["metrics/f1"] = f1
        for i in range(20):
            r["train/loss"].log(1.0 / (i + 1) * lr * 10)
        r["notes"].log("done")
        r.stop()
        ids.append(r.id)
    return ids[0], ids[1]


def test_runs_lists_and_filters(
    capsys: pytest.CaptureFixture[str], store: Store, two_runs: tuple[str, str]
) -> None:
    code, out, _ = _cli(capsys, store, "runs", "-c", "metrics/f1")
    assert code == 0 and two_runs[0] in out and two_runs[1] in out and "2 of 2 run(s)" in out
    code, out, _ = _cli(capsys, store, "runs", "metrics/f1 > 0.65", "--json")
    data = json.loads(out)
    assert data["total"] == 1 and data["items"][0]["sys/id"] == two_runs[1]
    code, _, err = _cli(capsys, store, "runs", "metrics/f1 >")
    assert code == 1 and "mltrack:" in err


def test_a_duration_cell_reads_as_in_the_lab() -> None:
    from jupyter_mltrack.cli.runs import cell

    assert cell(187.2, path="sys/duration") == "3m 07s"
    assert cell(187.2, path="metrics/time") == "187.2"  # a user's number stays a number


def test_runs_shows_the_shared_parameters_and_metrics_by_default(
    capsys: pytest.CaptureFixture[str], store: Store, two_runs: tuple[str, str]
) -> None:
    """As the lab's table (query/columns.py), fewer to fit a terminal, headers shortened;
    --json keeps its fixed keys, -c shows the sys columns and the ones asked for."""
    code, out, _ = _cli(capsys, store, "runs")
    assert code == 0
    header = out.splitlines()[0].split()
    sys_part, rest = header[:5], header[5:]
    assert sys_part == ["id", "name", "state", "creation_time", "duration"]
    assert rest == ["depth", "lr", "f1", "loss"]  # parameters, then metrics; ties by path
    row = next(line for line in out.splitlines() if line.startswith(two_runs[1]))
    assert row.split()[-4:] == ["6", "0.01", "0.7", "0.005"]  # the last loss
    _, out, _ = _cli(capsys, store, "runs", "--json")
    assert "parameters/lr" not in json.loads(out)["columns"]
    _, out, _ = _cli(capsys, store, "runs", "-c", "parameters/lr")
    assert out.split()[:3] == ["id", "name", "state"] and "lr" in out.splitlines()[0]
    assert "depth" not in out.splitlines()[0]


def test_short_headers_keep_what_tells_columns_apart() -> None:
    from jupyter_mltrack.cli.runs import short_headers

    assert short_headers(["sys/id", "parameters/lr", "train/loss", "val/loss"]) == [
        "id",
        "lr",
        "train/loss",
        "val/loss",
    ]
    assert short_headers(["max(train/loss)", "train/loss"]) == ["max(train/loss)", "loss"]
    assert short_headers(["a/b/c", "x/b/c"]) == ["a/b/c", "x/b/c"]


def test_runs_says_when_the_total_is_an_estimate(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    two_runs: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past pages.SAMPLE runs the total is estimated: "about N", as the lab says it."""
    from jupyter_mltrack.query import pages

    monkeypatch.setattr(pages, "SAMPLE", 1)
    monkeypatch.setattr(pages, "_population", {})
    code, out, _ = _cli(capsys, store, "runs", "-n", "1")
    assert code == 0 and "1 of about 2 run(s) (use --offset for more)" in out
    code, out, _ = _cli(capsys, store, "runs", "-n", "5", "--offset", "1")  # the last page
    assert code == 0 and "1 of 2 run(s)" in out and "about" not in out


def test_show_and_compare(
    capsys: pytest.CaptureFixture[str], store: Store, two_runs: tuple[str, str]
) -> None:
    code, out, _ = _cli(capsys, store, "show", two_runs[0])
    assert code == 0 and "parameters/lr" in out and "20 pts" in out and "lr=0.1" in out
    # Parameters, then metrics (the runs table's rule), then the other fields.
    heads = [line.split()[0] for line in out.splitlines() if "value / last" in line]
    assert heads == ["parameter", "metric", "field"]
    params_at, metrics_at, rest_at = (out.index(f"\n{h} ") for h in heads)
    assert params_at < out.index("parameters/lr") < metrics_at < out.index("metrics/f1") < rest_at
    assert out.index("notes") > rest_at  # a string series is neither
    code, out, _ = _cli(capsys, store, "show", two_runs[0], "--json")
    assert json.loads(out)["id"] == two_runs[0]
    code, out, _ = _cli(capsys, store, "compare", *two_runs)
    # The sys rows of the lab's compare (sysfields' `compared`) come first, differing ones marked.
    rows = [ln.split() for ln in out.splitlines()[2:6]]
    assert [r[0] for r in rows] == ["≠", "sys/state", "sys/owner", "sys/hostname"]
    assert rows[0][1] == "sys/name"
    code, out, _ = _cli(capsys, store, "compare", *two_runs, "--diff")
    assert code == 0 and "parameters/lr" in out and "parameters/depth" not in out
    code, out, _ = _cli(capsys, store, "compare", *two_runs, "--json")
    doc = json.loads(out)
    assert doc["fields"]["parameters/depth"]["differs"] is False
    assert doc["fields"]["metrics/f1"]["values"] == {two_runs[0]: 0.6, two_runs[1]: 0.7}
    code, _, err = _cli(capsys, store, "show", "NOPE-1")
    assert code == 1 and "no run" in err
    # The same run twice is a clear error, not a traceback.
    code, _, err = _cli(capsys, store, "compare", two_runs[0], two_runs[0])
    assert code == 1 and "given already" in err


def test_export_json_and_csv(
    capsys: pytest.CaptureFixture[str], store: Store, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    code, out, _ = _cli(capsys, store, "export", two_runs[0], "--format", "json")
    doc = json.loads(out)
    assert doc["fields"]["parameters/lr"] == 0.1
    assert doc["series"]["train/loss"]["step"] == [float(i) for i in range(20)]
    assert doc["series"]["notes"]["value"] == ["done"]
    target = tmp_path / "run.csv"
    code, _, err = _cli(capsys, store, "export", two_runs[0], "-f", "csv", "-o", str(target))
    assert code == 0 and f"exported {two_runs[0]}:" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    loss = [r for r in rows if r["path"] == "train/loss"]
    assert len(loss) == 20 and float(loss[0]["value"]) == pytest.approx(1.0)
    assert any(r["path"] == "metrics/f1" and r["value"] == "0.6" for r in rows)


def test_abort(capsys: pytest.CaptureFixture[str], store: Store) -> None:
    r = mlt.init_run(store=store.config.url, blobs=str(store.config.blob_root))
    seen = []
    # Not the real hook: its KeyboardInterrupt would land in pytest's main thread.
    r._lifecycle.on_abort = lambda: seen.append(True)  # type: ignore[method-assign]
    code, out, _ = _cli(capsys, store, "abort", r.id, "--json")
    assert code == 0 and json.loads(out)["abort_requested"] is True
    assert runs.get(store, r.id).abort_requested
    r._lifecycle.poll(heartbeat=False)  # what the writer does after each flush
    assert seen == [True]  # once, whoever polled first
    r.stop()
    code, _, err = _cli(capsys, store, "abort", r.id)
    assert code == 1 and "not running" in err


def test_sync_command(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "off"))
    r = mlt.init_run(store=store.config.url, mode="offline", custom_run_id="nightly-7")
    r["x"] = 1
    r.stop()
    code, out, _ = _cli(capsys, store, "sync", "--list")
    assert code == 0 and "nightly-7" in out
    code, out, _ = _cli(capsys, store, "sync", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["synced"][0]["custom_run_id"] == "nightly-7"
    assert runs.get(store, "nightly-7").short_id == doc["synced"][0]["run"]
    code, out, _ = _cli(capsys, store, "sync")
    assert "no offline runs waiting" in out
