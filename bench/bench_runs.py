"""Runs table and series charts at scale (issues 9 and 19.4).

    .venv/bin/python bench/bench_runs.py                 # the runs table at 1k/10k/100k runs
    .venv/bin/python bench/bench_runs.py --rebuild --mlflow /tmp/bench/venvs/mlflow/bin/python

First (bench/runs_scale.py): the runs table at 1,000, 10,000 and 100,000 runs on SQLite and
PostgreSQL, a filter + a sort + 100 rows, first page and a deep page (by offset and by keyset
cursor), and the common sys/ sorts, each against the 150 ms goal. Stores built once with bulk
INSERTs (COPY on PostgreSQL) under /tmp/bench/runs-scale and databases mltrack_bench_runs_<N>.

Then, with --detail (or --mlflow), on a store of 10,000 runs x 30 fields and 100 runs x 5
series x 100,000 points, plus one 1,000,000-point series, medians after a warm-up:
  * runs_table with a metric filter and a sort over 10,000 runs (target <= 150 ms), in
    process and as an HTTP round trip through a real jupyter_server with the extension;
  * a 1,000,000-point series downsampled to 2,000 points (target <= 100 ms);
  * five 100,000-point series downsampled for one overlaid chart;
  * with --mlflow, MLflow's search_runs on the same 10,000 runs in an MLflow sqlite store
    (bench/mlflow_search.py, run in the MLflow venv), and the ratio.
That store is built with bulk INSERTs straight into the schema (the client's writer is
measured elsewhere): what is measured here is reading.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from lab_server import LabServer  # bench/ is the script folder: on sys.path
from sqlalchemy import func, insert, select, update

from jupyter_mltrack.query import runs_table
from jupyter_mltrack.query.series import read_points
from jupyter_mltrack.store import projects
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Field, Project, Run, SeriesChunk

ROOT = Path("/tmp/bench/mltrack-runs")
PROJECT = "bench"
N_RUNS = 10_000
SERIES = ("train/loss", "val/loss", "train/acc", "val/acc", "train/lr")
SERIES_RUNS = 100
POINTS = 100_000
BIG_POINTS = 1_000_000
CHUNK = 1000  # points per chunk: what a writer flushing about 1,000 points/s produces
OPTIMIZERS = ("adam", "sgd", "adamw", "rmsprop")
TAGS = ("baseline", "sweep", "best", "xgb", "ablation")

QUERY = "metrics/f1 > 0.5"
SORT = "-metrics/f1"
COLUMNS = "metrics/f1,params/lr,params/optimizer,last(train/loss),min(val/loss)"
QUERY2 = 'metrics/f1 > 0.5 AND params/optimizer = "adam" AND sys/tags CONTAINS "sweep"'


def build(store: Store, seed: int = 1) -> None:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    proj = projects.get_or_create(store, PROJECT)
    now = time.time()
    run_rows = []
    for i in range(1, N_RUNS + 1):
        created = now - (N_RUNS - i) * 60.0
        state = "running" if i > N_RUNS - 5 else rng.choice(("finished",) * 8 + ("failed",))
        run_rows.append(
            {
                "id": i,
                "project_id": proj.id,
                "number": i,
                "short_id": f"BENC-{i}",
                "name": f"run-{i}",
                "description": "",
                "state": state,
                "failed": state == "failed",
                "owner": rng.choice(("ann", "bob", "eve")),
                "hostname": "bench",
                "created_at": created,
                "ended_at": None if state == "running" else created + rng.uniform(30, 3000),
                "heartbeat_at": now if state == "running" else created + 3000,
                "abort_requested": False,
            }
        )
    field_rows: list[dict[str, Any]] = []
    for i in range(1, N_RUNS + 1):

        def f(path: str, type_: str, run_id: int = i, **kw: Any) -> None:
            row = {"run_id": run_id, "path": path, "type": type_, "updated_at": now, "count": 0}
            field_rows.append({**row, **kw})

        f("params/lr", "float", num=10 ** rng.uniform(-5, -1))
        f("params/dropout", "float", num=rng.uniform(0, 0.5))
        f("params/weight_decay", "float", num=10 ** rng.uniform(-6, -2))
        f("params/momentum", "float", num=rng.uniform(0.8, 0.99))
        for name, hi in (("batch_size", 512), ("epochs", 100), ("layers", 48), ("seed", 10**6)):
            v = rng.randint(1, hi)
            f(f"params/{name}", "int", num=float(v), int_value=v)
        f("params/use_bn", "bool", num=float(rng.random() < 0.5))
        f("params/optimizer", "string", text=rng.choice(OPTIMIZERS))
        f("params/arch", "string", text=rng.choice(("resnet18", "resnet50", "vit", "mlp")))
        f("params/dataset", "string", text=rng.choice(("cifar10", "imagenet", "credit")))
        for name in (
            "f1",
            "acc",
            "precision",
            "recall",
            "auc",
            "mse",
            "mae",
            "r2",
            "logloss",
            "brier",
        ):
            f(f"metrics/{name}", "float", num=rng.random())
        f("data/rows", "int", num=1e6, int_value=1_000_000)
        f("data/version", "string", text=f"v{rng.randint(1, 9)}")
        f("sys/tags", "string_set", text=json.dumps(sorted(rng.sample(TAGS, 2))))
        for path in SERIES:
            lo, hi = rng.random(), rng.random() + 1
            f(path, "float_series", count=POINTS, last=lo, min=lo, max=hi, last_step=POINTS - 1.0)
    assert len(field_rows) == N_RUNS * 30
    with store.write() as s:
        s.execute(insert(Run), run_rows)
        for start in range(0, len(field_rows), 50_000):
            s.execute(insert(Field), field_rows[start : start + 50_000])
    # Points: the last SERIES_RUNS runs have real chunks for their five series.
    with store.read() as s:
        ids = dict(
            ((r, p), fid)
            for fid, r, p in s.execute(
                select(Field.id, Field.run_id, Field.path).where(
                    Field.run_id > N_RUNS - SERIES_RUNS, Field.path.in_(SERIES)
                )
            )
        )
    steps = np.arange(POINTS, dtype="<f8")
    stamps = now + steps * 0.01
    for _key, fid in sorted(ids.items()):
        values = np.abs(nrng.standard_normal(POINTS)).cumsum()[::-1] / POINTS
        _write_chunks(store, fid, steps, values, stamps)
    big = run_rows[-1]["id"] + 1
    with store.write() as s:
        s.execute(
            insert(Run),
            [{**run_rows[-1], "id": big, "number": big, "short_id": f"BENC-{big}", "name": "big"}],
        )
        values = np.sin(np.arange(BIG_POINTS) / 5000.0) + nrng.standard_normal(BIG_POINTS) * 0.05
        fid = s.execute(
            insert(Field).returning(Field.id),
            [
                {
                    "run_id": big,
                    "path": "train/loss",
                    "type": "float_series",
                    "updated_at": now,
                    "count": BIG_POINTS,
                    "last": float(values[-1]),
                    "min": float(values.min()),
                    "max": float(values.max()),
                    "last_step": BIG_POINTS - 1.0,
                }
            ],
        ).scalar_one()
    big_steps = np.arange(BIG_POINTS, dtype="<f8")
    _write_chunks(store, fid, big_steps, values, now + big_steps * 0.001)
    with store.write() as s:  # the next run created in this project gets a fresh number
        s.execute(update(Project).where(Project.id == proj.id).values(last_run_number=big))


def _write_chunks(store: Store, field_id: int, steps: Any, values: Any, stamps: Any) -> None:
    rows = []
    for seq, start in enumerate(range(0, len(steps), CHUNK)):
        part = slice(start, start + CHUNK)
        rows.append(
            {
                "field_id": field_id,
                "seq": seq,
                "count": len(steps[part]),
                "first_step": float(steps[part][0]),
                "last_step": float(steps[part][-1]),
                "steps": steps[part].astype("<f8").tobytes(),
                "values": np.asarray(values[part], dtype="<f8").tobytes(),
                "timestamps": stamps[part].astype("<f8").tobytes(),
            }
        )
    with store.write() as s:
        s.execute(insert(SeriesChunk), rows)


def measure(results: dict[str, float], key: str, fn: Any, reps: int, cpu: bool = True) -> Any:
    """Median wall time into results[key] and, in process, median CPU time into
    results[key + "_cpu"]: on a shared machine the wall time includes waiting for a core,
    the CPU time is what the work itself costs."""
    fn()  # warm-up: page cache, statement cache
    walls, cpus = [], []
    out = None
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    results[key] = statistics.median(walls) * 1000
    if cpu:
        results[key + "_cpu"] = statistics.median(cpus) * 1000
    return out


def http_round_trip(url: str, blobs: Path, reps: int) -> dict[str, float]:
    """Median wall time of GET runs (same table as in process) through a jupyter_server."""
    with LabServer(url, blobs, ROOT / "server") as server:
        table = dict(query=QUERY, sort=SORT, columns=COLUMNS, limit="100", project=PROJECT)
        out: dict[str, float] = {}
        body = measure(out, "http_table_ms", lambda: server.get("runs", **table), reps, cpu=False)
        assert json.loads(body)["total"] > 4000
        full = {**table, "limit": "10000"}
        measure(out, "http_table_10k_rows_ms", lambda: server.get("runs", **full), 3, cpu=False)
        series = dict(field="train/loss", max_points="2000")
        big = f"runs/BENC-{N_RUNS + 1}/series"
        measure(out, "http_series_1m_ms", lambda: server.get(big, **series), reps, cpu=False)
        return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rebuild", action="store_true", help="generate the store again")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--mlflow", help="python of an MLflow venv, to compare search_runs")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument(
        "--url",
        help="measure another store, e.g. an empty PostgreSQL database made with createdb "
        "(built on first use; default: SQLite under /tmp/bench/mltrack-runs)",
    )
    ap.add_argument("--detail", action="store_true", help="also the 10,000-run detail section")
    ap.add_argument("--sizes", default="1000,10000,100000", help="runs per scale store")
    ap.add_argument("--backends", default="sqlite,postgresql", help="scale stores' backends")
    ap.add_argument(
        "--pg-admin",
        default=os.environ.get("MLTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL URL to create the scale databases through",
    )
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    import runs_scale

    backends = [b for b in args.backends.split(",") if b]
    sizes = [int(n) for n in args.sizes.split(",") if n]
    runs_scale.run(backends, sizes, args.pg_admin, args.reps, args.rebuild)
    if not (args.detail or args.mlflow or args.url):
        return

    url = args.url or f"sqlite:///{ROOT}/mltrack.db"
    blobs = ROOT / "blobs"
    if args.rebuild and ROOT.exists() and not args.url:
        shutil.rmtree(ROOT)
    store = open_store(StoreConfig(url, blobs), cached=False)
    with store.read() as s:
        have = s.scalar(select(func.count()).select_from(Run)) or 0
    if have == 0:
        t = time.perf_counter()
        build(store)
        if store.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics and the visibility map
            # (index-only scans); measuring before it would measure a planner without stats.
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        print(f"built {store.config.masked_url} in {time.perf_counter() - t:.1f} s")
    elif have < N_RUNS:
        sys.exit(f"{store.config.masked_url} holds {have} runs, not a bench store: use --rebuild")

    results: dict[str, float] = {}
    reps = args.reps
    table = measure(
        results,
        "table_ms",
        lambda: runs_table(store, project=PROJECT, query=QUERY, sort=SORT, columns=COLUMNS),
        reps,
    )
    assert table.total > 4000 and len(table.items) == 100
    f1 = [row["metrics/f1"] for row in table.items]
    assert f1 == sorted(f1, reverse=True) and min(f1) > 0.5
    t2 = measure(
        results,
        "table_compound_ms",
        lambda: runs_table(
            store, project=PROJECT, query=QUERY2, sort="last(train/loss)", columns=COLUMNS
        ),
        reps,
    )
    measure(
        results,
        "table_10k_rows_ms",
        lambda: runs_table(store, project=PROJECT, sort=SORT, columns=COLUMNS, limit=10_000),
        3,
    )
    big = f"BENC-{N_RUNS + 1}"
    pts = measure(
        results,
        "series_1m_to_2k_ms",
        lambda: read_points(store, big, "train/loss", max_points=2000),
        reps,
    )
    assert pts.count == BIG_POINTS and len(pts.values) <= 2000
    chart_runs = [f"BENC-{N_RUNS - i}" for i in range(5)]
    measure(
        results,
        "chart_5x100k_ms",
        lambda: [read_points(store, r, "train/loss", max_points=2000) for r in chart_runs],
        reps,
    )
    if not args.no_http:
        results.update(http_round_trip(url, blobs, args.reps))
    if args.mlflow:
        results.update(mlflow_search(args.mlflow))

    report(results, store.engine.dialect.name, args.reps, t2.total)
    print(json.dumps({k: round(v, 2) for k, v in results.items()}))


REPORT = [
    ("runs table over 10,000 runs x 30 fields ({backend}), median of {reps}:", None, ""),
    (f"  filter {QUERY!r} sort {SORT!r}, 100 rows", "table_ms", "target <= 150"),
    ("  compound filter, sort last(train/loss)", "table_compound_ms", "{match} match"),
    ("  all 10,000 rows, sorted", "table_10k_rows_ms", ""),
    ("  HTTP GET runs (100 rows), round trip", "http_table_ms", "target <= 150"),
    ("  HTTP GET runs (10,000 rows), round trip", "http_table_10k_rows_ms", ""),
    ("series:", None, ""),
    ("  1,000,000 points -> 2,000 (min/max buckets)", "series_1m_to_2k_ms", "target <= 100"),
    ("  the same over HTTP, round trip", "http_series_1m_ms", ""),
    ("  5 x 100,000 points -> 5 x 2,000 (one chart)", "chart_5x100k_ms", ""),
    ("MLflow 3 search_runs, same 10,000 runs, sqlite store:", "mlflow_search_ms", ""),
    ("  metrics.f1 > 0.5 ORDER BY metrics.f1 DESC, 100", "mlflow_search_ms", "{ratio}"),
]


def report(results: dict[str, float], backend: str, reps: int, match: int) -> None:
    print()
    for label, key, note in REPORT:
        if key is None or (label.endswith(":") and key in results):
            print(label.format(reps=reps, backend=backend))
        elif key in results:
            ratio = ""
            if key == "mlflow_search_ms":
                ratio = f"mltrack is {results[key] / results['table_ms']:.1f}x faster"
            text = note.format(match=match, ratio=ratio)
            cpu = results.get(key + "_cpu")
            cpu_text = f"{cpu:7.1f} ms cpu" if cpu is not None else " " * 14
            print(
                f"{label:<50}{results[key]:9.1f} ms wall {cpu_text}"
                + (f"  ({text})" if text else "")
            )


def mlflow_search(python: str) -> dict[str, float]:
    script = Path(__file__).with_name("mlflow_search.py")
    out = subprocess.run(
        [python, str(script), "--root", str(ROOT / "mlflow"), "--runs", str(N_RUNS)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: float(v) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


if __name__ == "__main__":
    main()
