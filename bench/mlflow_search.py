"""MLflow side of bench_runs.py; runs in the MLflow venv (/tmp/bench/venvs/mlflow).

Builds an MLflow sqlite store with 10,000 runs shaped like bench_runs.py's (13 params, 9
metrics, the latest values of 5 series, 2 tags): one run is logged through MLflow's API so the
schema and row shapes are MLflow's own, then its rows are replicated with bulk INSERTs
(logging 10,000 runs through the API would take many minutes and measure writing, not
searching). Then times `MlflowClient.search_runs` with a metric filter and an order by, 100
results, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
import uuid
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

PARAMS = ("lr", "dropout", "weight_decay", "momentum", "batch_size", "epochs", "layers", "seed",
          "use_bn", "optimizer", "arch", "dataset", "data_version")  # fmt: skip
METRICS = ("f1", "acc", "precision", "recall", "auc", "mse", "mae", "r2", "logloss", "brier",
           "train_loss", "val_loss", "train_acc", "val_acc", "train_lr")  # fmt: skip


def build(db: Path, n_runs: int) -> str:
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    exp = mlflow.set_experiment("bench")
    with mlflow.start_run(run_name="template"):
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("f1", 0.5)
    rng = random.Random(1)
    now = int(time.time() * 1000)
    runs, params, metrics, latest, tags = [], [], [], [], []
    for i in range(n_runs):
        rid = uuid.uuid4().hex
        start = now - (n_runs - i) * 60_000
        runs.append((rid, f"run-{i}", "UNKNOWN", "", "", "ann", "FINISHED", start, start + 60_000,
                     "", "active", f"/tmp/artifacts/{rid}", int(exp.experiment_id)))  # fmt: skip
        for p in PARAMS:
            params.append((p, str(rng.random()), rid))
        for m in METRICS:
            v = rng.random()
            metrics.append((m, v, start, rid, 0, 0))
            latest.append((m, v, start, 0, 0, rid))
        for k, v in (("mlflow.runName", f"run-{i}"), ("stage", rng.choice(("sweep", "best")))):
            tags.append((k, v, rid))
    con = sqlite3.connect(db)
    with con:
        con.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            runs,
        )
        con.executemany('INSERT INTO params ("key", value, run_uuid) VALUES (?,?,?)', params)
        con.executemany(
            'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) '
            "VALUES (?,?,?,?,?,?)",
            metrics,
        )
        con.executemany(
            'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) '
            "VALUES (?,?,?,?,?,?)",
            latest,
        )
        con.executemany('INSERT INTO tags ("key", value, run_uuid) VALUES (?,?,?)', tags)
    con.close()
    return str(exp.experiment_id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=9)
    args = ap.parse_args()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    db = root / "mlflow.db"
    if db.exists():
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        exp_id = MlflowClient().get_experiment_by_name("bench").experiment_id
    else:
        exp_id = build(db, args.runs)
    client = MlflowClient(f"sqlite:///{db}")

    def search() -> int:
        found = client.search_runs(
            [exp_id], filter_string="metrics.f1 > 0.5", order_by=["metrics.f1 DESC"],
            max_results=100,
        )  # fmt: skip
        return len(found)

    assert search() == 100
    times = []
    for _ in range(args.reps):
        t = time.perf_counter()
        search()
        times.append(time.perf_counter() - t)
    print(json.dumps({"mlflow_search_ms": statistics.median(times) * 1000}))


if __name__ == "__main__":
    main()
