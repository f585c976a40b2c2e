"""Forks: a run started from another run at a step inherits the parent's series up to that
step, in reads, without a point being copied (Neptune 3's `fork_run_id`/`fork_step`, W&B's
`fork_from`; `mltrack import neptune` keeps Neptune 3's forks the same way).

A fork names its parent in its field `forking/parent` (the parent's custom run id, as
Neptune 3 names runs, or its `KEY-n`; looked up in the fork's project) and the step in
`forking/step`. `read_series` gives a fork's series as its parent's points with a step up to
the fork step (the parent's own ancestry included, each cut at its own fork step), followed
by the fork's own points. It serves the reads that draw or fetch a series (charts, the REST
series, `fetch_values()`) and the runs table's aggregates (last, min, max, count) in cells,
filters and sorts (query/fork_rows.py); export and `mltrack sync` copy what a run holds.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from ..errors import NotFound
from . import fields, runs
from .engine import Store
from .entities import RunInfo
from .models import Field

PARENT = "forking/parent"
STEP = "forking/step"
MAX_DEPTH = 64  # a chain longer than this (or a loop) stops there


def _fork_point(store: Store, run_id: int) -> tuple[str, float] | None:
    """(the parent's name as recorded, the fork step) of a fork; None for other runs."""
    with store.read() as s:
        rows = s.execute(
            select(Field.path, Field.text, Field.num).where(
                Field.run_id == run_id, Field.path.in_((PARENT, STEP))
            )
        ).all()
    found = {path: (text, num) for path, text, num in rows}
    parent = found.get(PARENT, (None, None))[0]
    if not parent:
        return None
    step = found.get(STEP, (None, None))[1]
    return parent, (math.inf if step is None else float(step))


def lineage(store: Store, run_id: int) -> list[tuple[int, float]]:
    """The run's ancestors, nearest first, each with the step its child forked at."""
    out: list[tuple[int, float]] = []
    seen = {run_id}
    current = run_id
    project: str | None = None
    while len(out) < MAX_DEPTH:
        point = _fork_point(store, current)
        if point is None:
            break
        if project is None:
            project = runs.get(store, run_id).project
        try:
            parent = runs.get(store, point[0], project=project)
        except NotFound:
            break
        if parent.id in seen:
            break
        seen.add(parent.id)
        out.append((parent.id, point[1]))
        current = parent.id
    return out


def children(store: Store, run: RunInfo, *, limit: int = 100) -> list[tuple[RunInfo, float]]:
    """The runs forked from `run` (in its project), oldest first, each with its fork step.

    A fork names its parent by custom run id or `KEY-n` (see the module doc), so both are
    looked up; the path index narrows the scan to the project's forks, which are few."""
    names = [run.short_id] + ([run.custom_run_id] if run.custom_run_id else [])
    with store.read() as s:
        ids = [
            rid
            for (rid,) in s.execute(
                select(Field.run_id)
                .where(Field.path == PARENT, Field.text.in_(names), Field.run_id != run.id)
                .order_by(Field.run_id)
                .limit(limit)
            )
        ]
    out: list[tuple[RunInfo, float]] = []
    for rid in ids:
        child = runs.get(store, rid)
        if child.project_id != run.project_id:
            continue
        point = _fork_point(store, rid)
        out.append((child, math.inf if point is None else point[1]))
    return out


def _cut(data: fields.SeriesData, limit: float, as_numpy: bool) -> tuple[Any, Any, Any]:
    """The points of `data` with a step up to `limit`."""
    if as_numpy:
        keep = data.steps <= limit
        values = data.values[keep] if data.type == "float_series" else None
        if values is None:
            values = [v for v, k in zip(data.values, keep.tolist(), strict=True) if k]
        return data.steps[keep], values, data.timestamps[keep]
    idx = [i for i, s in enumerate(data.steps) if s <= limit]
    return (
        [data.steps[i] for i in idx],
        [data.values[i] for i in idx],
        [data.timestamps[i] for i in idx],
    )


def read_series(
    store: Store, run_id: int, path: str, *, as_numpy: bool = False
) -> fields.SeriesData | None:
    """A series with what the run inherits as a fork (see the module doc); for a run that is
    no fork, exactly `fields.read_series`."""
    own = fields.read_series(store, run_id, path, as_numpy=as_numpy)
    chain = lineage(store, run_id)
    if not chain:
        return own
    kind = own.type if own is not None else None
    pieces = []
    limit = math.inf
    for ancestor, fork_step in chain:
        limit = min(limit, fork_step)
        data = fields.read_series(store, ancestor, path, as_numpy=as_numpy)
        if data is None or (kind is not None and data.type != kind):
            continue
        kind = data.type
        pieces.append(_cut(data, limit, as_numpy))
    if not pieces:
        return own
    pieces.reverse()  # the root's points first
    if own is not None:
        pieces.append((own.steps, own.values, own.timestamps))
    assert kind is not None
    return _join(kind, pieces, as_numpy)


def _join(kind: str, pieces: list[tuple[Any, Any, Any]], as_numpy: bool) -> fields.SeriesData:
    if as_numpy:
        import numpy as np

        steps = np.concatenate([np.asarray(p[0], dtype="float64") for p in pieces])
        stamps = np.concatenate([np.asarray(p[2], dtype="float64") for p in pieces])
        if kind == "float_series":
            values: Any = np.concatenate([np.asarray(p[1], dtype="float64") for p in pieces])
        else:
            values = [v for p in pieces for v in p[1]]
        return fields.SeriesData(kind, steps, values, stamps)
    from array import array

    steps_a, stamps_a = array("d"), array("d")
    values_l: list[Any] = []
    for s, v, t in pieces:
        steps_a.extend(s)
        stamps_a.extend(t)
        values_l.extend(v)
    vals: Any = array("d", values_l) if kind == "float_series" else values_l
    return fields.SeriesData(kind, steps_a, vals, stamps_a)
