"""jupyter-mltrack worker for the shared peer harness (../shared/bench-peers/common.py), so our
client is timed by exactly the code that timed neptune, W&B, MLflow and Aim.

  .venv/bin/python bench/peers/bench_mltrack.py --variant log --scenario single --n 100000 \
      --out-dir /tmp/bench/data/m1 --result-file /tmp/bench/results/client.jsonl

Variants
  log   run["train/loss"].log(v, step=i)           (one call per point)
  dict  multi: run["train"].log({100 names: v}, step=s); single: same as log
The store is a SQLite file in the out dir; bench_client.py switches the rest of the run
context off through MLTRACK_CAPTURE_* variables; `extra()` adds the time to read the series back
(fetch_values of the single series, pandas imported beforehand) and the db/WAL split.
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


class Log:
    api = 'run["train/loss"].log(v, step=i)'

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def init(self):
        self.run = mlt.init_run(
            store=os.path.join(self.out_dir, "mltrack.db"),
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

    def extra(self):
        out = {"wait_s": getattr(self, "wait_s", None)}
        db = os.path.join(self.out_dir, "mltrack.db")
        out["db_bytes"] = os.path.getsize(db)
        wal = db + "-wal"
        out["wal_bytes"] = os.path.getsize(wal) if os.path.exists(wal) else 0
        ro = mlt.init_run(
            store=db,
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


class Dict(Log):
    api = 'run["train"].log({100 names: v}, step=s)'

    def multi(self, vals, names, s0, s1):
        run = self.run
        k = len(names)
        short = [n.split("/", 1)[1] for n in names]
        for s in range(s0, s1):
            base = s * k
            run["train"].log({name: vals[base + j] for j, name in enumerate(short)}, step=s)


VARIANTS = {"log": Log, "dict": Dict}

if __name__ == "__main__":
    run_worker("mltrack", mlt.__version__, VARIANTS, IMPORT_S)
