"""Rows for the query, table, series and file tests, written straight through the store per
the field storage convention (models.Field docstring), so these tests do not depend on the
client's writer."""

from __future__ import annotations

import json
import math
import struct
import time
from collections.abc import Sequence
from typing import Any

from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.entities import RunInfo
from jupyter_mltrack.store.models import Field, SeriesChunk


def _pack(values: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def scalar(store: Store, run: RunInfo, path: str, value: Any, type_: str | None = None) -> None:
    """A float, int, bool, string, datetime (epoch float with type_="datetime") or string set."""
    row: dict[str, Any] = {"run_id": run.id, "path": path, "updated_at": time.time(), "count": 0}
    if type_ == "datetime":
        row.update(type="datetime", num=float(value))
    elif isinstance(value, bool):
        row.update(type="bool", num=1.0 if value else 0.0)
    elif isinstance(value, int):
        row.update(type="int", num=float(value), int_value=value)
    elif isinstance(value, float):
        row.update(type="float", num=value)
    elif isinstance(value, (set, frozenset)) or type_ == "string_set":
        row.update(type="string_set", text=json.dumps(sorted(value)))
    elif isinstance(value, dict):
        row.update(type=type_ or "file", text=json.dumps(value))
    else:
        row.update(type=type_ or "string", text=str(value))
    with store.write() as s:
        s.add(Field(**row))


def float_series(
    store: Store,
    run: RunInfo,
    path: str,
    values: Sequence[float],
    *,
    steps: Sequence[float] | None = None,
    timestamps: Sequence[float] | None = None,
    chunk: int = 1000,
) -> None:
    steps = list(steps) if steps is not None else [float(i) for i in range(len(values))]
    t0 = time.time()
    timestamps = (
        list(timestamps) if timestamps is not None else [t0 + i for i in range(len(values))]
    )
    finite = [v for v in values if math.isfinite(v)]
    with store.write() as s:
        f = Field(
            run_id=run.id,
            path=path,
            type="float_series",
            count=len(values),
            last=values[-1] if values else None,
            min=min(finite) if finite else None,
            max=max(finite) if finite else None,
            last_step=steps[-1] if steps else None,
            updated_at=t0,
        )
        s.add(f)
        s.flush()
        for seq, start in enumerate(range(0, len(values), chunk)):
            part = slice(start, start + chunk)
            s.add(
                SeriesChunk(
                    field_id=f.id,
                    seq=seq,
                    count=len(values[part]),
                    first_step=steps[part][0],
                    last_step=steps[part][-1],
                    steps=_pack(steps[part]),
                    values=_pack(list(values[part])),
                    timestamps=_pack(timestamps[part]),
                )
            )


def json_series(
    store: Store, run: RunInfo, path: str, items: Sequence[Any], type_: str, chunk: int = 50
) -> None:
    """A string_series (items are str) or file_series (items are file dicts)."""
    t0 = time.time()
    with store.write() as s:
        f = Field(
            run_id=run.id,
            path=path,
            type=type_,
            count=len(items),
            last_step=float(len(items) - 1),
            text=(items[-1] if type_ == "string_series" else json.dumps(items[-1])),
            updated_at=t0,
        )
        s.add(f)
        s.flush()
        for seq, start in enumerate(range(0, len(items), chunk)):
            part = list(items[start : start + chunk])
            steps = [float(i) for i in range(start, start + len(part))]
            s.add(
                SeriesChunk(
                    field_id=f.id,
                    seq=seq,
                    count=len(part),
                    first_step=steps[0],
                    last_step=steps[-1],
                    steps=_pack(steps),
                    values=json.dumps(part).encode(),
                    timestamps=_pack([t0 + x for x in steps]),
                )
            )


def make_run(store: Store, project: str = "credit", **kwargs: Any) -> RunInfo:
    return runs.create(store, project, **kwargs)


def backdate(store: Store, run: RunInfo, seconds: float) -> None:
    """Move a run's creation (and heartbeat) into the past."""
    from sqlalchemy import update

    from jupyter_mltrack.store.models import Run

    with store.write() as s:
        s.execute(
            update(Run)
            .where(Run.id == run.id)
            .values(created_at=Run.created_at - seconds, heartbeat_at=time.time())
        )
