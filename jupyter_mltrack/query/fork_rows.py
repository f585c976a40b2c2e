"""A fork's series aggregates as the runs table sees them: with the points it inherits.

A fork reads its parent's series up to the fork step (store/forks.py), so its last value,
min, max and count in the runs table are those of that whole series: a fork with no points
of its own after the fork step has its parent's value at the fork step as its last. No
point is copied: for the forks of the query's scope this module computes one "effective"
`fields` row per (fork, series path), from the same reads the charts use, and the runs table
uses those rows in place of the fork's own:

* filters: a condition on such a path is `(own row AND not an overlaid fork) OR (overlay
  row)`, the overlay rows given to the database as one JSON parameter (compiler.py);
* sorts: the sort key reads the overlay row where there is one (the generic plan);
* cells: the page's forks show their overlay rows.

A store without forks pays one index probe (`fields.path = 'forking/parent'`). Effective
rows are cached per process, keyed by what they were computed from (the fields rows of the
fork and its ancestors at the path: id, count, last step, update time, and the fork steps),
so a table polled by the lab reads points only when a series of the lineage changed.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Float, Integer, String, column, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from ..store import forks
from ..store.engine import Store
from ..store.models import Field, Run

SERIES = ("float_series", "string_series")  # file series keep their own rows
_cache: dict[tuple[str, int, str], tuple[Any, SimpleNamespace | None]] = {}
_cache_lock = threading.Lock()
MAX_CACHE = 50_000
SCOPE_TTL = 30.0  # seconds a project's fork lineage is reused while its forks are the same
_scopes: dict[tuple[str, int | None], tuple[tuple[int, int], float, Any]] = {}


@dataclass
class Forks:
    """The forks of a scope and their ancestors (nearest first, with each fork step)."""

    store: Store
    chains: dict[int, list[tuple[int, float]]]
    rows: dict[tuple[int, str], SimpleNamespace] = field(default_factory=dict)

    def effective(self, s: Session, fork_ids: Iterable[int], paths: Iterable[str]) -> None:
        """Compute (or take from the cache) the effective rows of these forks and paths."""
        ids = [i for i in fork_ids if i in self.chains]
        wanted = sorted(set(paths))
        if not ids or not wanted:
            return
        lineage = {i for f in ids for i in [f, *(a for a, _ in self.chains[f])]}
        stamps: dict[tuple[int, str], tuple[Any, ...]] = {}
        for found in s.execute(
            select(
                Field.run_id, Field.path, Field.id, Field.type, Field.count, Field.last_step,
                Field.updated_at,
            ).where(Field.run_id.in_(lineage), Field.path.in_(wanted))
        ):  # fmt: skip
            stamps[found.run_id, found.path] = tuple(found[2:])
        url = str(self.store.engine.url)
        for fork in ids:
            chain = self.chains[fork]
            for path in wanted:
                if not any(stamps.get((a, path), (0, ""))[1] in SERIES for a, _ in chain):
                    continue  # no ancestor has it as a series: the fork's own row stands
                own = stamps.get((fork, path))
                if own is not None and own[1] not in SERIES:
                    continue  # a scalar of the fork's own
                key = (url, fork, path)
                signature = (own, tuple((a, step, stamps.get((a, path))) for a, step in chain))
                with _cache_lock:
                    hit = _cache.get(key)
                if hit is not None and hit[0] == signature:
                    row = hit[1]
                else:
                    row = _aggregate(self.store, fork, path)
                    with _cache_lock:
                        if len(_cache) >= MAX_CACHE:
                            _cache.clear()
                        _cache[key] = (signature, row)
                if row is not None:
                    self.rows[fork, path] = row

    def paths(self) -> set[str]:
        return {p for _, p in self.rows}

    def runs_for(self, path: str) -> list[int]:
        return sorted(r for r, p in self.rows if p == path)

    def table(self, dialect: str) -> Any:
        """The effective rows as a `fields`-shaped alias the compiler can test."""
        data = [
            {
                "id": 0, "run_id": r.run_id, "path": r.path, "type": r.type, "num": None,
                "int_value": None, "text": r.text, "count": r.count, "last": _finite(r.last),
                "min": _finite(r.min), "max": _finite(r.max), "last_step": r.last_step,
                "updated_at": 0.0,
            }
            for r in self.rows.values()
        ]  # fmt: skip
        payload = json.dumps(data)
        cols: list[Any] = [
            column("id", Integer), column("run_id", Integer), column("path", String),
            column("type", String), column("num", Float), column("int_value", Integer),
            column("text", String), column("count", Integer), column("last", Float),
            column("min", Float), column("max", Float), column("last_step", Float),
            column("updated_at", Float),
        ]  # fmt: skip
        if dialect == "postgresql":
            sql = (
                "SELECT * FROM jsonb_to_recordset(CAST(:fork_rows AS jsonb)) AS x(id int, "
                "run_id int, path text, type text, num float8, int_value bigint, text text, "
                "count bigint, last float8, min float8, max float8, last_step float8, "
                "updated_at float8)"
            )
        else:
            sql = (
                "SELECT "
                + ", ".join(f"json_extract(value, '$.{c.name}') AS {c.name}" for c in cols)
                + " FROM json_each(:fork_rows)"
            )
        sub = text(sql).bindparams(fork_rows=payload).columns(*cols).subquery("fork_rows")
        return aliased(Field, sub, adapt_on_names=True)


def _finite(v: float | None) -> float | None:
    return v if v is None or math.isfinite(v) else None  # JSON has no NaN; SQLite no NaN


def scope(s: Session, store: Store, project_id: int | None) -> Forks | None:
    """The forks among the runs of a project (all projects: None); None when there are none.

    One index-only probe when nothing changed since the last call: the lineage is rebuilt
    only when a fork's `forking/*` rows come or go (their number and run ids), or after
    SCOPE_TTL seconds (a parent created after its fork, a run deleted)."""
    marks = (Field.path.in_((forks.PARENT, forks.STEP)),)
    count, total = s.execute(select(func.count(), func.sum(Field.run_id)).where(*marks)).one()
    if not count:
        return None
    key = (str(store.engine.url), project_id)
    stamp = (int(count), int(total or 0))
    now = time.monotonic()
    with _cache_lock:
        hit = _scopes.get(key)
    if hit is not None and hit[0] == stamp and now - hit[1] < SCOPE_TTL:
        chains = hit[2]
    else:
        chains = _chains(s, project_id)
        with _cache_lock:
            _scopes[key] = (stamp, now, chains)
    return Forks(store, chains) if chains else None


def _chains(s: Session, project_id: int | None) -> dict[int, list[tuple[int, float]]]:
    q = (
        select(Field.run_id, Field.path, Field.text, Field.num, Run.project_id)
        .join(Run, Run.id == Field.run_id)
        .where(Field.path.in_((forks.PARENT, forks.STEP)))
    )
    points: dict[int, dict[str, Any]] = {}
    project_of: dict[int, int] = {}
    for run_id, path, value, num, pid in s.execute(q):
        points.setdefault(run_id, {})[path] = value if path == forks.PARENT else num
        project_of[run_id] = pid
    parents = {r: p for r, p in points.items() if p.get(forks.PARENT)}
    if not parents:
        return {}
    names = {str(p[forks.PARENT]) for p in parents.values()}
    numeric = [int(n) for n in names if n.isdigit() and int(n) < 2**63]
    by_short: dict[tuple[int, str], int] = {}
    by_custom: dict[tuple[int, str], int] = {}
    by_id: dict[int, int] = {}
    for rid, short_id, custom, pid in s.execute(
        select(Run.id, Run.short_id, Run.custom_run_id, Run.project_id).where(
            or_(
                Run.short_id.in_([n.upper() for n in names]),
                Run.custom_run_id.in_(names),
                Run.id.in_(numeric),
            )
        )
    ):
        by_short[pid, short_id] = rid
        if custom is not None:
            by_custom[pid, custom] = min(rid, by_custom.get((pid, custom), rid))
        by_id[rid] = pid

    def resolve(name: str, project: int) -> int | None:
        """As store.runs.get(name, project=...): id, short id or custom id; the lowest id."""
        hits = [by_short.get((project, name.upper())), by_custom.get((project, name))]
        if name.isdigit() and by_id.get(int(name)) == project:
            hits.append(int(name))
        found = [h for h in hits if h is not None]
        return min(found) if found else None

    chains: dict[int, list[tuple[int, float]]] = {}
    for fork in parents:
        if project_id is not None and project_of[fork] != project_id:
            continue
        chain: list[tuple[int, float]] = []
        seen, current = {fork}, fork
        while current in parents and len(chain) < forks.MAX_DEPTH:
            point = parents[current]
            parent = resolve(str(point[forks.PARENT]), project_of[current])
            if parent is None or parent in seen:
                break
            step = point.get(forks.STEP)
            seen.add(parent)
            chain.append((parent, math.inf if step is None else float(step)))
            current = parent
        if chain:
            chains[fork] = chain
    return chains


def _aggregate(store: Store, fork: int, path: str) -> SimpleNamespace | None:
    """The aggregates of the fork's whole series (inherited points, then its own)."""
    data = forks.read_series(store, fork, path, as_numpy=True)
    if data is None or data.type not in SERIES or not len(data.steps):
        return None
    row = SimpleNamespace(
        run_id=fork, path=path, type=data.type, num=None, int_value=None, text=None,
        count=len(data.steps), last=None, min=None, max=None,
        last_step=float(data.steps[-1]),
    )  # fmt: skip
    if data.type == "float_series":
        import numpy as np

        values = np.asarray(data.values, dtype="float64")
        last = float(values[-1])
        row.last = last if math.isfinite(last) else None
        row.text = None if math.isfinite(last) else repr(last)
        finite = values[np.isfinite(values)]
        if len(finite):
            row.min, row.max = float(finite.min()), float(finite.max())
    else:
        row.text = str(data.values[-1])
    return row
