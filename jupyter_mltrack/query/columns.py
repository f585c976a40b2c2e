"""The field paths of the runs a query matches, with how many of them have each, and the
default parameter and metric columns chosen from them (`GET columns`, and `mltrack runs` and
`%mltrack runs` without columns): one rule for the lab, the CLI and the magics.

Only a sample is read, the `sample` newest matching runs: the table shows the newest first,
and counting the paths of 100,000 runs to choose eight columns would cost seconds where a
thousand cost milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..store import names
from ..store.engine import Store
from ..store.models import Field, Project, Run
from ..store.runs import db_time
from .budget import bounded
from .compiler import Compiler
from .paths import FieldPath
from .syntax import parse

DEFAULT_SAMPLE = 1000
MAX_SAMPLE = 10_000
MAX_PATHS = 2000
# At most this many parameter and metric columns by default (as W&B and neptune show a run's
# config and summary), so the table still fits a screen...
MAX_PARAMS = 8
MAX_METRICS = 6
# ...and only paths on at least this share of the sampled runs.
MIN_SHARE = 0.2


@dataclass(frozen=True)
class ColumnPaths:
    items: list[FieldPath]  # most frequent first, ties by path
    runs: int  # runs sampled (at most `sample`)
    truncated: bool  # more than MAX_PATHS paths: the most frequent ones are listed

    def suggested(self, max_params: int = MAX_PARAMS, max_metrics: int = MAX_METRICS) -> list[str]:
        """The default columns: parameters, then metrics, each the most frequent first, only
        paths on at least MIN_SHARE of the sampled runs, at most `max_params` and
        `max_metrics`."""
        floor = max(1, math.ceil(self.runs * MIN_SHARE))
        params: list[str] = []
        metrics: list[str] = []
        for p in self.items:  # already ranked
            if p.runs < floor:
                break
            kind = p.kind
            if kind == "param" and len(params) < max_params:
                params.append(p.path)
            elif kind == "metric" and len(metrics) < max_metrics:
                metrics.append(p.path)
        return params + metrics

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [p.to_dict() for p in self.items],
            "runs": self.runs,
            "truncated": self.truncated,
            "suggested": self.suggested(),
        }


def column_paths(
    store: Store,
    *,
    query: str | None = "",
    project: str | None = None,
    sample: int = DEFAULT_SAMPLE,
    timeout: float | None = None,
) -> ColumnPaths:
    """Paths of the `sample` newest runs matching `query` (in `project` if given), most
    frequent first. A bad query raises the same `QuerySyntaxError` as the table."""
    now = db_time(store)
    compiler = Compiler(query or "", store.engine.dialect.name, now)
    where = [compiler.compile(parse(query))]
    if project is not None:
        project_id = select(Project.id).where(Project.name == names.normalize_name(project))
        where.append(Run.project_id == project_id.scalar_subquery())
    picked = (
        select(Run.id)
        .where(*where)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(max(1, min(sample, MAX_SAMPLE)))
        .subquery()
    )
    count = func.count().label("n")
    paths = (
        select(Field.path, func.min(Field.type), count)
        .where(Field.run_id.in_(select(picked.c.id)))
        .group_by(Field.path)
        .order_by(count.desc(), Field.path)
        .limit(MAX_PATHS + 1)
    )
    with store.read() as s, bounded(s, timeout):
        runs = s.scalar(select(func.count()).select_from(picked)) or 0
        rows = s.execute(paths).all() if runs else []
    items = [FieldPath(p, t, int(n)) for p, t, n in rows[:MAX_PATHS]]
    return ColumnPaths(items, int(runs), len(rows) > MAX_PATHS)
