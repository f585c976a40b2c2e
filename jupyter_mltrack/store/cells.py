"""Per-cell provenance rows (`cell_executions`): which notebook cell ran during a run, when,
and the peak memory it reached. Written in batches by the kernel (capture/provenance.py),
read by the REST API and the CLI to show which cell produced which points."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select

from ..errors import InvalidInput
from .engine import Store
from .entities import CellExecutionInfo
from .models import CellExecution

MAX_CELL_ID = 128


def record(store: Store, run_id: int, executions: Sequence[CellExecutionInfo]) -> None:
    """Insert executions of `run_id` in one transaction (cell ids over 128 chars are cut)."""
    if not executions:
        return
    rows = []
    for e in executions:
        if e.ended_at is not None and e.ended_at < e.started_at:
            raise InvalidInput(
                f"cell {e.cell_id!r}: ended_at {e.ended_at} is before started_at {e.started_at}"
            )
        rows.append(
            {
                "run_id": run_id,
                "cell_id": (e.cell_id or "")[:MAX_CELL_ID],
                "execution_count": e.execution_count,
                "started_at": e.started_at,
                "ended_at": e.ended_at,
                "peak_rss": e.peak_rss,
                "peak_gpu_memory": e.peak_gpu_memory,
                "error": bool(e.error),
            }
        )
    with store.write() as s:
        s.execute(insert(CellExecution), rows)


def list_for_run(
    store: Store, run_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple[list[CellExecutionInfo], int]:
    """A run's cell executions in the order they started, and how many there are in all."""
    with store.read() as s:
        total = s.scalar(
            select(func.count()).select_from(CellExecution).where(CellExecution.run_id == run_id)
        )
        q = (
            select(CellExecution)
            .where(CellExecution.run_id == run_id)
            .order_by(CellExecution.started_at, CellExecution.id)
            .offset(offset)
        )
        if limit is not None:
            q = q.limit(limit)
        items = [
            CellExecutionInfo(
                id=r.id,
                run_id=r.run_id,
                cell_id=r.cell_id,
                execution_count=r.execution_count,
                started_at=r.started_at,
                ended_at=r.ended_at,
                peak_rss=r.peak_rss,
                peak_gpu_memory=r.peak_gpu_memory,
                error=r.error,
            )
            for r in s.scalars(q)
        ]
    return items, int(total or 0)
