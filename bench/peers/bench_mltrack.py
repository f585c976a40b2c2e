"""jupyter-mltrack worker for the shared peer harness (../shared/bench-peers/common.py), so our
client is timed by exactly the code that timed neptune, W&B, MLflow and Aim.

  .venv/bin/python bench/peers/bench_mltrack.py --variant log --scenario single --n 100000 \
      --out-dir /tmp/bench/data/m1 --result-file /tmp/bench/results/client.jsonl

Variants
  log   run["train/loss"].log(v, step=i)           (one call per point)
  dict  multi: run["train"].log({100 names: v}, step=s); single: same as log
  wide  multi: 10,000 series instead of 100, one call per point: each of the harness's
        steps logs 100 of them, so n points make n / 10,000 steps of every series
The store is a SQLite file in the out dir, or a fresh database on the PostgreSQL server named
by MLTRACK_BENCH_PG (an admin URL; the database is dropped at the end); bench_client.py
switches the rest of the run context off through MLTRACK_CAPTURE_* variables; `extra()`
adds the time to read the series back (fetch_values of the single series, pandas imported
beforehand) and the db/WAL split.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.environ.get("BENCH_PEERS", os.path.join(HERE, "..", "..", "..", "shared", "bench-peers"))
sys.path.insert(0, PEERS)
from common import run_worker  # noqa: E402

_t = time.perf_counter()
import jupyter_mltrack as mlt  # noqa: E402

IMPORT_S = time.perf_counter() - _t


PG_ADMIN = os.environ.get("MLTRACK_BENCH_PG")


class Log:
    api = 'run["train/loss"].log(v, step=i)'

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.store = os.path.join(self.out_dir, "mltrack.db")
        self.pg_db = None
        if PG_ADMIN:
            self.pg_db = f"mltrack_bench_{os.getpid()}_{time.time_ns()}"
            _pg(PG_ADMIN, f'CREATE DATABASE "{self.pg_db}"')
            self.store = f"{PG_ADMIN.rsplit('/', 1)[0]}/{self.pg_db}"

    def init(self):
        self.run = mlt.init_run(
            store=self.store,
            blobs=os.path.join(self.out_dir, "blobs"),
            project="bench",
            capture_hardware_metrics=False,
            capture_stdout=False,
            capture_stderr=False,
        )

    def single(self, vals, i0, i1):
        run = self.run
        for i in range(i0, i1):
            run["train/loss"].log(vals[i], step=i)

    def multi(self, vals, names, s0, s1):
        run = self.run
        k = len(names)
        for s in range(s0, s1):
            base = s * k
            for j, name in enumerate(names):
                run[name].log(vals[base + j], step=s)

    def finalize(self):
        t = time.perf_counter()
        self.run.wait()  # the "durable": wait() returned
        self.wait_s = time.perf_counter() - t
        self.run.stop()

    def store_bytes(self):
        """Bytes the store holds: the SQLite file and its WAL, or the PostgreSQL database."""
        if self.pg_db:
            return _pg(self.store, "SELECT pg_database_size(current_database())")
        db = self.store
        wal = db + "-wal"
        return os.path.getsize(db) + (os.path.getsize(wal) if os.path.exists(wal) else 0)

    def extra(self):
        out = {"wait_s": getattr(self, "wait_s", None), "backend": "pg" if self.pg_db else "sqlite"}
        out["store_bytes"] = self.store_bytes()
        if self.pg_db:
            out["disk_bytes"] = out["store_bytes"]  # the harness measured the (empty) out dir
        else:
            db = self.store
            out["db_bytes"] = os.path.getsize(db)
            wal = db + "-wal"
            out["wal_bytes"] = os.path.getsize(wal) if os.path.exists(wal) else 0
        ro = mlt.init_run(
            store=self.store,
            blobs=os.path.join(self.out_dir, "blobs"),
            with_id=self.run.id,
            mode="read-only",
        )
        import pandas  # noqa: F401 - import cost is not read cost

        path = "train/loss" if ro.exists("train/loss") else "train/m000"
        if ro.exists(path):
            t = time.perf_counter()
            df = ro[path].fetch_values()
            out["read_s"] = time.perf_counter() - t
            out["read_points"] = len(df)
        return out

    def teardown(self):
        if self.pg_db:
            from jupyter_mltrack.store import engine

            for st in list(engine._cache.values()):
                st.dispose()
            _pg(PG_ADMIN, f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')


class Dict(Log):
    api = 'run["train"].log({100 names: v}, step=s)'

    def multi(self, vals, names, s0, s1):
        run = self.run
        k = len(names)
        short = [n.split("/", 1)[1] for n in names]
        for s in range(s0, s1):
            base = s * k
            run["train"].log({name: vals[base + j] for j, name in enumerate(short)}, step=s)


class Wide(Log):
    """10,000 series x n / 10,000 steps, step-major, one call per point (issue 19.2)."""

    api = 'run[f"train/m{j:05d}"].log(v, step=i), 10,000 names'
    SERIES = 10_000

    def init(self):
        super().init()
        self.run.wait()  # the run row exists: what the store holds before any point
        self.empty_bytes = self.store_bytes()
        self.wide = [f"train/m{j:05d}" for j in range(self.SERIES)]

    def multi(self, vals, names, s0, s1):
        run = self.run
        k = len(names)
        groups = self.SERIES // k
        wide = self.wide
        for s in range(s0, s1):
            base = s * k
            step, first = divmod(s, groups)
            first *= k
            for j in range(k):
                run[wide[first + j]].log(vals[base + j], step=step)

    def extra(self):
        out = super().extra()
        out["empty_store_bytes"] = self.empty_bytes
        out["series"] = self.SERIES
        return out


def _pg(url, sql):
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(sql).fetchone() if sql.startswith("SELECT") else c.execute(sql)
    return row[0] if sql.startswith("SELECT") else None


VARIANTS = {"log": Log, "dict": Dict, "wide": Wide}

if __name__ == "__main__":
    run_worker("mltrack", mlt.__version__, VARIANTS, IMPORT_S)
