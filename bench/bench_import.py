"""Import speed: `mltrack import neptune` of a generated neptune-exporter export into SQLite,
against MLflow's own `MlflowClient.log_batch` of the same points into SQLite.

  bash bench/peers/setup_venvs.sh mlflow     # once: /tmp/bench/venvs/mlflow (pinned MLflow)
  .venv/bin/python bench/bench_import.py      # 20 runs x 50 series x 5,000 points = 5 M points
  .venv/bin/python bench/bench_import.py --runs 4 --mlflow-runs 1   # a quick look

The export is written with neptune-exporter's schema (decimal128(18, 6) steps, timestamp[ms]
times, one part file per run, a few parameters and sys attributes per run). Our figure is the
whole import (reading Parquet, packing, writing, committing; the store already created), in
this process. MLflow's is its client logging the same series (1,000 metrics per `log_batch`,
its limit) into a SQLite tracking store, run in its own venv, for `--mlflow-runs` of the runs
(it is ~100x slower: the full 5 M points would take many minutes); both are points per
second, and the ratio is printed. The issue's target: >= 1 M points/s into SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
MLFLOW_PY = Path(os.environ.get("BENCH_VENVS", "/tmp/bench/venvs")) / "mlflow" / "bin" / "python"

from jupyter_mltrack.importers.neptune import NeptuneImport, schema  # noqa: E402
from jupyter_mltrack.store.config import StoreConfig  # noqa: E402
from jupyter_mltrack.store.engine import open_store  # noqa: E402

T0_MS = 1_740_000_000_000


def _decimal_column(unscaled: np.ndarray) -> pa.Array:
    """decimal128(18, 6) from its integers (two 64-bit words each, little-endian)."""
    words = np.empty(2 * len(unscaled), dtype="<i8")
    words[0::2] = unscaled
    words[1::2] = np.where(unscaled < 0, -1, 0)
    return pa.Array.from_buffers(
        pa.decimal128(18, 6), len(unscaled), [None, pa.py_buffer(words.tobytes())]
    )


def series_values(run: int, n_series: int, n_points: int) -> np.ndarray:
    rng = np.random.default_rng(run)
    return rng.standard_normal((n_series, n_points)).cumsum(axis=1)


def write_export(root: Path, runs: int, n_series: int, n_points: int) -> int:
    """One part file per run; returns the number of series points written."""
    sch = schema()
    folder = root / "data" / "bench_project" / "runs"
    folder.mkdir(parents=True)
    names = [f"train/metric_{i:02d}" for i in range(n_series)]
    for r in range(runs):
        run_id = f"BENCH-{r + 1}"
        n = n_series * n_points
        steps = np.tile(np.arange(n_points, dtype=np.int64) * 500_000, n_series)  # 0.5 steps
        ms = T0_MS + r * 10_000_000 + np.tile(np.arange(n_points, dtype=np.int64) * 100, n_series)
        points = {
            "project_id": pa.array(["ws/bench_project"] * n),
            "run_id": pa.array([run_id] * n),
            "attribute_path": pa.array(np.repeat(names, n_points)),
            "attribute_type": pa.array(["float_series"] * n),
            "step": _decimal_column(steps),
            "timestamp": pa.array(ms, pa.timestamp("ms", tz="UTC")),
            "float_value": pa.array(series_values(r, n_series, n_points).ravel()),
        }
        table = pa.table({f.name: points.get(f.name, pa.nulls(n, f.type)) for f in sch}, schema=sch)
        params = pa.Table.from_pylist(
            [
                {"project_id": "ws/bench_project", "run_id": run_id, **p}
                for p in (
                    {"attribute_path": "sys/name", "attribute_type": "string", "string_value": "b"},
                    {
                        "attribute_path": "parameters/lr",
                        "attribute_type": "float",
                        "float_value": 0.1,
                    },
                    {
                        "attribute_path": "parameters/epochs",
                        "attribute_type": "int",
                        "int_value": 9,
                    },
                )
            ],
            schema=sch,
        )
        pq.write_table(pa.concat_tables([params, table]), folder / f"{run_id}_part_0.parquet")
    return runs * n_series * n_points


def bench_ours(root: Path, expected: int) -> dict[str, float]:
    store = open_store(StoreConfig(f"sqlite:///{root}/store/mltrack.db", root / "blobs"))
    t = time.perf_counter()
    report = NeptuneImport(store, root / "data").run()
    seconds = time.perf_counter() - t
    assert report.points == expected, (report.points, expected, report.skipped)
    store.dispose()
    return {"points": report.points, "seconds": seconds, "points_per_s": report.points / seconds}


MLFLOW_JOB = r"""
import json, sys, time
import numpy as np
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
uri, runs, n_series, n_points, t0 = sys.argv[1], *map(int, sys.argv[2:6])
client = MlflowClient(tracking_uri=uri)
exp = client.create_experiment("bench")
ids = [client.create_run(exp).info.run_id for _ in range(runs)]
total, t = 0, time.perf_counter()
for r, run_id in enumerate(ids):
    values = np.random.default_rng(r).standard_normal((n_series, n_points)).cumsum(axis=1)
    batch = []
    for s in range(n_series):
        key = f"train/metric_{s:02d}"
        for i in range(n_points):
            batch.append(Metric(key, float(values[s, i]), t0 + i * 100, i))
            if len(batch) == 1000:
                client.log_batch(run_id, metrics=batch)
                total += len(batch)
                batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)
        total += len(batch)
seconds = time.perf_counter() - t
print(json.dumps({"points": total, "seconds": seconds, "points_per_s": total / seconds}))
"""


def bench_mlflow(work: Path, runs: int, n_series: int, n_points: int) -> dict[str, float] | None:
    if not MLFLOW_PY.exists():
        print(f"MLflow venv missing ({MLFLOW_PY}): run bash bench/peers/setup_venvs.sh mlflow")
        return None
    uri = f"sqlite:///{work}/mlflow/mlflow.db"
    (work / "mlflow").mkdir()
    args = [str(MLFLOW_PY), "-c", MLFLOW_JOB, uri, str(runs), str(n_series), str(n_points)]
    out = subprocess.run([*args, str(T0_MS)], capture_output=True, text=True, cwd=work, check=False)
    if out.returncode != 0:
        print(out.stderr[-2000:])
        return None
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--series", type=int, default=50)
    ap.add_argument("--points", type=int, default=5_000)
    ap.add_argument("--mlflow-runs", type=int, default=2, help="0: skip MLflow")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        expected = write_export(work, args.runs, args.series, args.points)
        ours = bench_ours(work, expected)
        print(
            f"mltrack import neptune: {ours['points']:,} points in {ours['seconds']:.2f} s "
            f"= {ours['points_per_s']:,.0f} points/s into SQLite (target >= 1,000,000)"
        )
        if args.mlflow_runs > 0:
            theirs = bench_mlflow(work, args.mlflow_runs, args.series, args.points)
            if theirs is not None:
                print(
                    f"MLflow log_batch:       {theirs['points']:,} points in "
                    f"{theirs['seconds']:.2f} s = {theirs['points_per_s']:,.0f} points/s "
                    "into SQLite"
                )
                ratio = ours["points_per_s"] / theirs["points_per_s"]
                print(f"ratio: mltrack import is {ratio:,.0f}x MLflow's log_batch")


if __name__ == "__main__":
    main()
