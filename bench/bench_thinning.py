"""Save retention on a long history, with and without the index on checkpoints.parent_id
(migration 0007): 20,000 checkpoints in one notebook's line, 12,900 of them unprotected saves
removed by `thinning.remove_saves` (the children re-pointed, the rows deleted), on SQLite
and, when it answers at 127.0.0.1, PostgreSQL.

"without" drops the index first, as a store at revision 0006 was. The history is grown as
rows after one real checkpoint (tests/history_helpers.py, as for bench_history.py). One run
each: the figures differ by orders of magnitude, not percent.

    python bench/bench_thinning.py [--checkpoints 20000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from history_helpers import analyze, grow_history
from scratch_pg import postgres_wanted, scratch_database

from jupyter_mltrack.store import thinning
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Checkpoint


def doomed(seq: int, n: int) -> bool:
    """129 of every 200 checkpoints (12,900 of 20,000), never the first or the newest."""
    return 1 < seq < n and (seq * 129) % 200 < 129


def once(store: Store, n: int, indexed: bool) -> tuple[int, float]:
    if not indexed:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_checkpoints_parent")
    ids = grow_history(store, "long.ipynb", n)
    victims = [cid for seq, cid in enumerate(ids, start=1) if doomed(seq, n)]
    analyze(store)
    t = time.perf_counter()
    removed, _moved = thinning.remove_saves(store, victims)
    took = time.perf_counter() - t
    with store.read() as s:
        left = s.execute(select(func.count()).select_from(Checkpoint)).scalar_one()
    assert removed == len(victims) and left == n - removed, (removed, left)
    return removed, took


def report(label: str, n: int, results: dict[bool, tuple[int, float]]) -> None:
    removed = results[True][0]
    before, after = results[False][1], results[True][1]
    print(
        f"{label:<11} {n:>7,} checkpoints, {removed:,} removed: "
        f"without the index {before:7.2f} s, with it {after:6.2f} s ({before / after:,.0f}x)"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", type=int, default=20_000)
    ap.add_argument("--no-postgres", action="store_true")
    a = ap.parse_args()
    n = a.checkpoints
    with tempfile.TemporaryDirectory(prefix="bench-thinning-") as tmp:
        results = {}
        for indexed in (False, True):
            url = f"sqlite:///{tmp}/t{int(indexed)}.db"
            st = open_store(StoreConfig(url, Path(tmp) / "blobs"), cached=False)
            results[indexed] = once(st, n, indexed)
            st.dispose()
        report("SQLite", n, results)
        if not postgres_wanted(a.no_postgres):
            return 0
        results = {}
        for indexed in (False, True):
            with scratch_database("bench_thinning") as url:
                st = open_store(StoreConfig(url, Path(tmp) / "pgblobs"), cached=False)
                results[indexed] = once(st, n, indexed)
                st.dispose()
        report("PostgreSQL", n, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
