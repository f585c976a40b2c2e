"""A notebook's long checkpoint history, for the tests and benches that measure one
(test_checkpoint_history_scale, test_checkpoint_parent_index, bench/bench_history.py,
bench/bench_thinning.py).

The first checkpoint is taken for real (`service.create`); the others are added as rows after
it, a line of saves each the child of the one before, because what is measured is the
history's length, not how it was written (10,000 real creates would take minutes). The benches
import this module with tests/ on sys.path, as bench/bench_blobs.py imports s3_server.
"""

from __future__ import annotations

from typing import Any

from nbformat.v4 import new_code_cell, new_notebook
from sqlalchemy import insert

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Checkpoint

BATCH = 2000  # rows per executemany


def notebook(tag: str) -> Any:
    """20 code cells, `tag` in each so that two notebooks' contents differ."""
    return new_notebook(cells=[new_code_cell(f"x = {i}  # {tag}") for i in range(20)])


def grow_history(store: Store, path: str, n: int, *, manual_every: int = 0) -> list[str]:
    """A history of `n` checkpoints of `path`; their ids, oldest first. All saves, except
    every `manual_every`-th (by seq) manual when it is set, so that a filter on the trigger
    has something to leave out."""
    first = service.create(store, path, notebook(path))
    assert first is not None
    ids = [first.id]
    rows = []
    for seq in range(2, n + 1):
        manual = manual_every and seq % manual_every == 0
        cid = service.new_id()
        rows.append(
            {
                "id": cid,
                "notebook_id": first.notebook_id,
                "seq": seq,
                "parent_id": ids[-1],
                "created_at": first.created_at + seq,
                "name": "",
                "description": "",
                "trigger": "manual" if manual else "save",
                "author": "",
                "size": first.size,
                "manifest_sha": first.manifest_sha,
                "content_sha": first.content_sha,
                "cells_added": 0,
                "cells_removed": 0,
                "cells_modified": 1,
                "from_disk": False,
                "notebook_path": path,
            }
        )
        ids.append(cid)
    with store.write() as s:
        for i in range(0, len(rows), BATCH):
            s.execute(insert(Checkpoint), rows[i : i + BATCH])
    return ids


def analyze(store: Store) -> None:
    """On PostgreSQL, what autovacuum would have done by the time a history is that long:
    statistics (without them the planner guesses 5 rows and sorts) and a visibility map (so a
    count reads the index only). Rows bulk-inserted a moment ago have neither. SQLite: no-op."""
    if store.is_sqlite:
        return
    with store.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE checkpoints"
        )
