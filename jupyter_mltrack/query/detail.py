"""One run as the run view shows it: its `sys/` values, every field (scalars with their
value, series with their aggregates, files with their metadata), its tags, the checkpoint of
the notebook it ran from and its end checkpoint (the notebook with its results), and per-cell
timings. Never reads series points."""

from __future__ import annotations

import time
from typing import Any

from ..store import cells, checkpoints, fields, forks, runs
from ..store.engine import Store
from ..store.entities import CellExecutionInfo, RunInfo
from ..sysfields import LISTED
from .paths import column_kind
from .table import json_safe, sys_value

FILE_TYPES = ("file", "file_series", "file_set")
MAX_CELLS = 2000


def run_detail(store: Store, run_id: str | int) -> dict[str, Any]:
    run = runs.get(store, run_id)
    now = time.time()
    # Every listed column field (sys/tags is a field: it comes with the fields and as `tags`).
    sys = {f.path: sys_value(f.path, run, run.project, now) for f in LISTED if not f.is_field}
    items = []
    tags: list[str] = []
    for f in fields.list_fields(store, run.id):
        value = f.value
        entry: dict[str, Any] = {
            "path": f.path,
            "type": f.type,
            "updated_at": f.updated_at,
            "kind": column_kind(f.path, f.type),  # the run view's Parameters, Final metrics
        }
        if f.type in fields.SERIES_TYPES:
            entry.update(count=f.count, last=value, min=f.min, max=f.max, last_step=f.last_step)
        else:
            entry["value"] = value
        if f.path == "sys/tags" and isinstance(value, list):
            tags = value
        items.append(entry)
    checkpoint = checkpoints.checkpoint_of_run(store, run.id)
    end = checkpoints.checkpoint_of_run(store, run.id, end=True)
    executions, _ = cells.list_for_run(store, run.id, limit=MAX_CELLS)
    detail: dict[str, Any] = json_safe(
        {
            "id": run.short_id,
            "sys": sys,
            "tags": tags,
            "fields": items,
            "files": [f for f in items if f["type"] in FILE_TYPES],
            "checkpoint": checkpoint.as_dict() if checkpoint is not None else None,
            "end_checkpoint": end.as_dict() if end is not None else None,
            "cells": [cell_row(c) for c in executions],
            "fork": _fork(store, run),
        }
    )
    return detail


def cell_row(c: CellExecutionInfo) -> dict[str, Any]:
    """One cell execution as the run view's REST shapes have it (the detail's `cells`, and
    `GET runs/<id>/cells`, which adds its series): no row id, no derived duration."""
    return {
        "cell_id": c.cell_id,
        "execution_count": c.execution_count,
        "started_at": c.started_at,
        "ended_at": c.ended_at,
        "peak_rss": c.peak_rss,
        "peak_gpu_memory": c.peak_gpu_memory,
        "error": c.error,
    }


def _fork(store: Store, run: RunInfo) -> dict[str, Any]:
    """Lineage for the lab: the parent this run forked from (and at which step), its forks."""
    chain = forks.lineage(store, run.id)
    parent: dict[str, Any] | None = None
    step: float | None = None
    if chain:
        found = runs.get(store, chain[0][0])
        parent = {"id": found.short_id, "name": found.name, "state": found.state}
        step = chain[0][1]
    return {
        "parent": parent,
        "step": step,
        "children": [
            {"id": c.short_id, "name": c.name, "step": at} for c, at in forks.children(store, run)
        ],
    }
