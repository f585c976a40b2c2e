"""Which notebook cell logged which points of a run (`GET runs/<id>/cells`).

A cell execution (`cell_executions`, written by capture/provenance.py) has a start and an
end; a point logged while it ran carries a timestamp between the two. So each series point
is given to the cell whose time window holds its timestamp, and each cell gets, per series,
how many points it logged and their first and last step. Cells run one after the other in a
kernel, so the windows do not overlap; a point outside every window (logged from a thread
after its cell ended, or from a script) belongs to no cell.

This reads series points, unlike the run detail, so it is its own route, asked for once when
the run view draws its cells. Only the run's own points count (a fork's inherited ones were
logged by its parent's cells), and at most `MAX_SERIES` series are read: a run with more
says `truncated`.
"""

from __future__ import annotations

import bisect
from typing import Any

from ..store import cells, fields
from ..store.engine import Store
from ..store.runs import get as get_run
from .detail import MAX_CELLS, cell_row

MAX_SERIES = 500


def cell_provenance(store: Store, run_id: str | int) -> dict[str, Any]:
    """The run's cell executions, each with the series points logged while it ran."""
    run = get_run(store, run_id)
    executions, _ = cells.list_for_run(store, run.id, limit=MAX_CELLS)
    series = [f for f in fields.list_fields(store, run.id) if f.type in fields.SERIES_TYPES]
    truncated = len(series) > MAX_SERIES
    starts = [c.started_at for c in executions]
    logged: list[list[dict[str, Any]]] = [[] for _ in executions]
    for info in series[:MAX_SERIES] if executions else []:
        data = fields.read_series(store, run.id, info.path, as_numpy=True)
        if data is None:
            continue
        for i, (count, first, last) in _per_cell(executions, starts, data).items():
            logged[i].append(
                {"path": info.path, "count": count, "first_step": first, "last_step": last}
            )
    return {
        "id": run.short_id,
        "truncated": truncated,
        "cells": [{**cell_row(c), "series": logged[i]} for i, c in enumerate(executions)],
    }


def _per_cell(
    executions: list[Any], starts: list[float], data: fields.SeriesData
) -> dict[int, tuple[int, float, float]]:
    """Cell index -> (points, first step, last step) of one series."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is in every test environment
        return _per_cell_python(executions, starts, data)
    stamps = np.asarray(data.timestamps, dtype="float64")
    steps = np.asarray(data.steps, dtype="float64")
    ends = np.array([np.inf if c.ended_at is None else c.ended_at for c in executions])
    cell = np.searchsorted(np.asarray(starts, dtype="float64"), stamps, side="right") - 1
    inside = cell >= 0
    inside[inside] = stamps[inside] <= ends[cell[inside]]
    cell, steps = cell[inside], steps[inside]
    if not len(cell):
        return {}
    n = len(executions)
    counts = np.bincount(cell, minlength=n)
    lows = np.full(n, np.inf)
    highs = np.full(n, -np.inf)
    np.minimum.at(lows, cell, steps)
    np.maximum.at(highs, cell, steps)
    return {
        int(i): (int(counts[i]), float(lows[i]), float(highs[i])) for i in np.flatnonzero(counts)
    }


def _per_cell_python(
    executions: list[Any], starts: list[float], data: fields.SeriesData
) -> dict[int, tuple[int, float, float]]:
    out: dict[int, tuple[int, float, float]] = {}
    for step, stamp in zip(data.steps, data.timestamps, strict=True):
        i = bisect.bisect_right(starts, stamp) - 1
        if i < 0:
            continue
        end = executions[i].ended_at
        if end is not None and stamp > end:
            continue
        found = out.get(i)
        out[i] = (
            (1, step, step)
            if found is None
            else (found[0] + 1, min(found[1], step), max(found[2], step))
        )
    return out
