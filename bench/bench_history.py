"""A notebook's history at 100, 1,000 and 10,000 checkpoints (issue 16): the lab's request
(first page of 50, newest first, with and without save checkpoints, and the total) and
`create`, on SQLite and, when it answers at 127.0.0.1, PostgreSQL.

The histories are grown as rows after one real checkpoint (tests/history_helpers.py: their
length is what is measured, not how they were written); on PostgreSQL they are then
`VACUUM ANALYZE`d, as autovacuum would have by the time a history is that long. Times are
the best of 15 runs.

    python bench/bench_history.py [--no-postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from history_helpers import analyze, grow_history, notebook
from scratch_pg import postgres_wanted, scratch_database

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

LENGTHS = (100, 1_000, 10_000)


def best(fn: Callable[[], object], reps: int = 15) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def bench(store: Store, label: str) -> None:
    for n in LENGTHS:
        grow_history(store, f"h{n}.ipynb", n, manual_every=3)
    analyze(store)
    print(f"\n## {label}: ms, best of 15")
    print(f"{'checkpoints':>12} {'first page':>11} {'no saves':>9} {'create':>8}")
    counter = iter(range(10**9))
    for n in LENGTHS:
        path = f"h{n}.ipynb"
        page = best(lambda p=path: repo.list_checkpoints(store, p, limit=50))  # type: ignore[misc]
        no_saves = best(
            lambda p=path: repo.list_checkpoints(store, p, exclude_triggers=["save"], limit=50)  # type: ignore[misc]
        )
        create = best(
            lambda p=path: service.create(store, p, notebook(f"{p} {next(counter)}")),  # type: ignore[misc]
            7,
        )
        print(f"{n:>12,} {page:>11.2f} {no_saves:>9.2f} {create:>8.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-postgres", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        st = open_store(StoreConfig(f"sqlite:///{tmp}/h.db", Path(tmp) / "blobs"), cached=False)
        bench(st, "SQLite")
        st.dispose()
        if not postgres_wanted(a.no_postgres):
            return 0
        with scratch_database("bench_history") as url:
            st = open_store(StoreConfig(url, Path(tmp) / "pgblobs"), cached=False)
            bench(st, "PostgreSQL")
            st.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
