"""A 1,000,000-point series read down to 2,000 points for a chart, on SQLite and PostgreSQL
(issue 19.3: <= 100 ms over HTTP on PostgreSQL; it took 240 ms, against 35 ms on SQLite).

    .venv/bin/python bench/bench_series.py                    # both backends, both designs
    .venv/bin/python bench/bench_series.py --backends sqlite --reps 5

Each backend gets a fresh store holding the series twice, in two chunk designs:
  * writer:   as the client's writer stores it now (store/points.py): batches of --batch points
              (a loop flushing ~1,000 points a second) merged into chunks of up to 4,096, whose
              evenly spaced integer steps are implied (no bytes);
  * explicit: the design before (bench/bench_runs.py builds it so): one chunk per 1,000 points,
              steps stored as float64.
Same index (series_chunks (field_id, seq)) for both. Printed, as medians after a warm-up:
query.series.read_points in this process (wall and CPU) and GET
/mltrack/api/runs/<id>/series?field=train/loss&max_points=2000 through a real jupyter_server
with the extension (wall, round trip). PostgreSQL: --pg names the server (an admin URL); the
database is created and dropped here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from lab_server import LabServer  # bench/ is the script folder: on sys.path
from sqlalchemy import insert

from jupyter_mltrack.query.series import read_points
from jupyter_mltrack.store import encoding, points, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Field, SeriesChunk

N = 1_000_000
DESIGNS = ("writer", "explicit")
PG_DEFAULT = os.environ.get("MLTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _series(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    steps = np.arange(n, dtype="<f8")
    values = np.sin(steps / 5000.0) + rng.standard_normal(n) * 0.05
    return steps, values, 1.7e9 + steps * 0.01


def build(store: Store, batch: int) -> dict[str, str]:
    """Two runs, one per design; {design: run short id}."""
    steps, values, stamps = _series(N)
    out = {}
    run = runs.create(store, "bench", name="writer")
    batches = [
        encoding.float_append(
            "train/loss",
            encoding.unpack(steps[i : i + batch].tobytes()),
            encoding.unpack(values[i : i + batch].tobytes()),
            encoding.unpack(stamps[i : i + batch].tobytes()),
        )
        for i in range(0, N, batch)
    ]
    with store.write() as s:
        points.append(s, run.id, batches)
    runs.set_state(store, run.id, "finished")
    out["writer"] = run.short_id
    run = runs.create(store, "bench", name="explicit")
    with store.write() as s:
        fid = s.execute(
            insert(Field).returning(Field.id),
            [
                {
                    "run_id": run.id,
                    "path": "train/loss",
                    "type": "float_series",
                    "updated_at": time.time(),
                    "count": N,
                    "last": float(values[-1]),
                    "min": float(values.min()),
                    "max": float(values.max()),
                    "last_step": N - 1.0,
                }
            ],
        ).scalar_one()
        rows = [
            {
                "field_id": fid,
                "seq": i,
                "count": 1000,
                "first_step": float(steps[i]),
                "last_step": float(steps[i + 999]),
                "steps": steps[i : i + 1000].tobytes(),
                "values": values[i : i + 1000].tobytes(),
                "timestamps": stamps[i : i + 1000].tobytes(),
            }
            for i in range(0, N, 1000)
        ]
        for i in range(0, len(rows), 100):
            s.execute(insert(SeriesChunk), rows[i : i + 100])
    runs.set_state(store, run.id, "finished")
    out["explicit"] = run.short_id
    if store.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a load: statistics and the visibility map.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    return out


def median_ms(fn: Callable[[], Any], reps: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds after one warm-up call."""
    fn()
    walls, cpus = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def http_ms(url: str, blobs: Path, run_ids: dict[str, str], reps: int) -> dict[str, float]:
    """Median round trip of GET runs/<id>/series through a jupyter_server, per design."""
    with LabServer(url, blobs, Path(tempfile.mkdtemp(prefix="bench-series-server-"))) as server:
        out = {}
        for design, rid in run_ids.items():
            params = {"field": "train/loss", "max_points": "2000"}
            body = json.loads(server.get(f"runs/{rid}/series", **params))
            assert body["count"] == N and body["returned"] <= 2000, body["count"]
            out[design] = median_ms(
                lambda r=rid, p=params: server.get(f"runs/{r}/series", **p), reps
            )[0]
        return out


def bench_backend(url: str, blobs: Path, args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(StoreConfig(url, blobs), cached=False)
    try:
        t = time.perf_counter()
        ids = build(store, args.batch)
        built = time.perf_counter() - t
        out: dict[str, Any] = {"build_s": built}
        for design, rid in ids.items():
            pts = read_points(store, rid, "train/loss", max_points=2000)
            assert pts.count == N and len(pts.values) <= 2000
            wall, cpu = median_ms(
                lambda r=rid: read_points(store, r, "train/loss", max_points=2000), args.reps
            )
            out[f"{design}_ms"], out[f"{design}_cpu_ms"] = wall, cpu
        if not args.no_http:
            for design, ms in http_ms(url, blobs, ids, args.reps).items():
                out[f"{design}_http_ms"] = ms
        return out
    finally:
        store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL admin URL")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--batch", type=int, default=1000, help="points per writer flush")
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-series-") as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/mltrack.db"
                results[backend] = bench_backend(url, Path(tmp) / "blobs", args)
                continue
            import psycopg

            name = f"mltrack_bench_series_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
                results[backend] = bench_backend(url, Path(tmp) / "blobs-pg", args)
            finally:
                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\n1,000,000 points -> 2,000 (min/max buckets), median of {args.reps}:\n")
    print("| backend | chunk design | read_points ms (cpu) | HTTP round trip ms | target |")
    print("|---|---|---|---|---|")
    for backend, r in results.items():
        for design in DESIGNS:
            http = r.get(f"{design}_http_ms")
            target = "<= 100 over HTTP" if backend == "postgresql" else ""
            print(
                f"| {backend} | {design} | {r[f'{design}_ms']:.1f} ({r[f'{design}_cpu_ms']:.1f})"
                f" | {'-' if http is None else f'{http:.1f}'} | {target} |"
            )
    print(json.dumps({b: {k: round(v, 2) for k, v in r.items()} for b, r in results.items()}))


if __name__ == "__main__":
    main()
