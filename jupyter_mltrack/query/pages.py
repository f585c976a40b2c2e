"""One page of the runs table's ids, in sort order, read in index order where it can be.

Sorting every matching run and counting them all (what a window count does) costs the whole
match set: 100,000 runs cost hundreds of ms. Here the common sorts read the page in the order
of an index and stop after its rows (store/models.py, migration 0006), and the total is
counted exactly only when that is cheap:

* A sort on one field (`-metrics/f1`) reads `ix_fields_path_sort` in three segments: runs
  whose field has a number (a scalar's value, a series' last), then those with only a text,
  then the rest (no such field), each ordered by its tie-breaks and the run id. This is the
  order of the generic ORDER BY ... NULLS LAST, cut where an index can follow it.
* A sort on a `sys/` column of `runs` (creation time, name, ...) reads its runs index.
* `sys/state` (derived: a stale running run reads crashed) is one segment per state.
* Anything else (several keys, min/max/count, `sys/duration`, offsets past FAST_OFFSET) is
  one generic statement: a LEFT JOIN per sort key, sorted by the database.

In the index-ordered segments the filter is correlated (a probe per run the scan meets, see
compiler.Compiler.correlated), so a page costs its rows, not the matches. A page ends with a
keyset cursor (keyset.py) for the next one, at the same cost however deep. Offsets still work.

An offset past FAST_OFFSET near a page served in the last ANCHOR_TTL seconds (the lab's
refresh of the rows in view, a jump back, the next page asked by offset) seeks from where
that page ended instead (`_Anchors`): the same keyset seek as a cursor, then at most
ANCHOR_SKIP rows skipped in index order. A new run anywhere drops them (positions moved); a
sort value that changes meanwhile (a live metric) can place such a page a few rows off for
those seconds, as paging over a changing table does anyway.

The total is exact when the page shows it (the last page, by offset or by cursor: a cursor
carries the position of the page it starts), or when the project holds at most
SAMPLE runs (counted). Past that it is estimated: the share of the newest SAMPLE runs that
match, times the project's runs, and said so (`total_estimated`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from .. import sysfields
from ..errors import InvalidInput
from ..store.models import RUN_STATES, SORT_NUMBER, Field, Run
from ..store.runs import stale_cutoff
from . import keyset
from .compiler import Compiler
from .syntax import Expr, Operand

FAST_OFFSET = 2_000  # offsets up to this walk the index; deeper ones sort (bounded cost)
SAMPLE = 2_000  # runs counted exactly; beyond, the share of the newest SAMPLE that match
POPULATION_TTL = 30.0  # seconds a project's run count is reused for estimates
_population: dict[tuple[str, int | None], tuple[float, int]] = {}
_population_lock = threading.Lock()
ANCHOR_TTL = 30.0  # seconds a served page's end may start a deep offset's seek
# Rows a seek from an anchor may skip in index order: each costs a filter probe (about
# 0.02 ms on SQLite, 0.17 on PostgreSQL at 100,000 runs: bench/runs_scale.py).
ANCHOR_SKIP = 500
ANCHORS_PER_TABLE = 512
ANCHOR_TABLES = 64
anchors_enabled = True  # bench/runs_scale.py turns it off to time the plain deep offset


@dataclass
class _Anchors:
    """Where served pages of one table (store, query, sort, project) ended: position ->
    (time, plan, segment, sort values, run id), valid while the newest run id is `version`."""

    version: int
    at: dict[int, tuple[float, str, int, list[Any], int]] = field(default_factory=dict)


_anchors: OrderedDict[tuple[str, str], _Anchors] = OrderedDict()
_anchors_lock = threading.Lock()


@dataclass
class Segment:
    """SELECT id, *terms FROM ... WHERE ..., ordered by `terms` then id descending."""

    stmt: Any
    terms: list[keyset.Term]
    id_col: Any


@dataclass
class Page:
    ids: list[int]
    total: int
    estimated: bool
    next_cursor: str | None


@dataclass
class Request:
    """What shapes one page: the parsed query, the sort keys, the window."""

    query: str
    tree: Expr | None
    dialect: str
    now: float
    project_id: int | None
    keys: list[tuple[Operand, bool]]
    terms: list[keyset.Term]  # the generic ORDER BY (table._order_by), before the id
    joins: list[tuple[Any, str]]  # (aliased Field, path) per field sort key
    owner: str  # the cursor's fingerprint
    limit: int | None
    offset: int
    cursor: str | None
    forks: Any = None  # fork_rows.Forks: the forks' effective series rows, if any


def read_page(s: Session, req: Request) -> Page:
    """The page's run ids, the total and the next page's cursor."""
    if req.cursor is not None and req.offset:
        raise InvalidInput("give a cursor or an offset, not both")
    where_probe = _where(req, correlated=True)
    start, values, last_id, wanted = 0, None, 0, None
    base: int | None = req.offset  # rows before this page, when known
    skip = req.offset
    if req.cursor is not None:  # the plan of the page before (an offset may have chosen it)
        wanted, start, values, last_id, base = keyset.decode(req.cursor, req.owner)
    deep = req.cursor is None and req.offset > FAST_OFFSET
    version = _version(s, req) if deep else None
    anchor = _anchor_for(s, req, version)
    if anchor is not None:  # a deep offset near a page served lately: seek from its end
        at, (_, wanted, start, values, last_id) = anchor
        skip = req.offset - at
    plan, segments = _plan(req, where_probe, wanted)
    if values is not None and (
        plan != wanted
        or not 0 <= start < len(segments)
        or len(values) != len(segments[start].terms)
    ):
        raise InvalidInput("cursor does not fit this table (take next_cursor as it is)")
    rows: list[tuple[int, Any]] = []
    need = req.limit
    # A deep generic page reads the row before it too: where it starts is an anchor.
    lead = plan == "generic" and skip > 0 and version is not None and need is not None
    if lead and need is not None:
        skip, need = skip - 1, need + 1
    for i in range(start, len(segments)):
        if need == 0:
            break
        seg = segments[i]
        stmt = seg.stmt
        if i == start and values is not None:
            stmt = stmt.where(keyset.after(seg.terms, values, seg.id_col, last_id))
        counted = stmt
        stmt = stmt.order_by(*keyset.order_by(seg.terms, seg.id_col))
        if skip:
            stmt = stmt.offset(skip)
        if need is not None:
            stmt = stmt.limit(need)
        got = s.execute(stmt).all()
        if skip and not got:  # the offset reaches past this segment: skip it whole
            skip = max(0, skip - _count(s, counted))
            continue
        skip = 0
        rows.extend((i, r) for r in got)
        if need is not None:
            need -= len(got)
    if lead and rows:
        i, r = rows.pop(0)
        _remember(s, req, version, req.offset, _as_fast(req, plan, i, list(r[1:])), int(r[0]))
    ids = [int(r[0]) for _, r in rows]
    next_cursor = None
    if rows and req.limit is not None and len(rows) == req.limit:
        i, r = rows[-1]
        plan, i, values = _as_fast(req, plan, i, list(r[1:]))
        position = None if base is None else base + len(ids)
        next_cursor = keyset.encode(req.owner, plan, i, values, int(r[0]), position)
        if position is not None and position > FAST_OFFSET - ANCHOR_SKIP:  # a deep offset's
            version = version if deep else _version(s, req)
            _remember(s, req, version, position, (plan, i, values), int(r[0]))
    total, estimated = _total(s, req, where_probe, base, len(ids), next_cursor is not None)
    return Page(ids, total, estimated, next_cursor)


def _version(s: Session, req: Request) -> int | None:
    """The newest run id, when anchors can serve (a fast plan exists): a new run moves
    positions, so anchors of an older version are dropped. One probe of the primary key."""
    if not anchors_enabled or _fast(req) is None:
        return None
    return int(s.scalar(select(func.max(Run.id))) or 0)


def _anchor_key(s: Session, req: Request) -> tuple[str, str]:
    return str(s.get_bind().engine.url), req.owner


def _anchor_for(
    s: Session, req: Request, version: int | None
) -> tuple[int, tuple[float, str, int, list[Any], int]] | None:
    """The nearest anchor at or before a deep offset (within ANCHOR_SKIP rows), if any."""
    if version is None:
        return None
    now = time.monotonic()
    with _anchors_lock:
        table = _anchors.get(_anchor_key(s, req))
        if table is None or table.version != version:
            return None
        near = [
            (at, a)
            for at, a in table.at.items()
            if 0 <= req.offset - at <= ANCHOR_SKIP and now - a[0] < ANCHOR_TTL
        ]
    return max(near, key=lambda x: x[0]) if near else None


def _remember(
    s: Session,
    req: Request,
    version: int | None,
    position: int,
    fast: tuple[str, int, list[Any]],
    last_id: int,
) -> None:
    """Keep where a page ended (position: the rows before the next one) for deep offsets."""
    plan, segment, values = fast
    if version is None or plan == "generic" or position <= 0:
        return
    key = _anchor_key(s, req)
    with _anchors_lock:
        table = _anchors.get(key)
        if table is None or table.version != version:
            table = _anchors[key] = _Anchors(version)
        _anchors.move_to_end(key)
        table.at.pop(position, None)
        table.at[position] = (time.monotonic(), plan, segment, values, last_id)
        while len(table.at) > ANCHORS_PER_TABLE:
            del table.at[next(iter(table.at))]
        while len(_anchors) > ANCHOR_TABLES:
            _anchors.popitem(last=False)


def _where(req: Request, *, correlated: bool) -> list[Any]:
    compiler = Compiler(req.query, req.dialect, req.now, correlated=correlated)
    compiler.forks = req.forks
    where = [compiler.compile(req.tree)]
    if req.project_id is not None:
        where.append(Run.project_id == req.project_id)
    return where


def _fast(req: Request) -> str | None:
    """The index-ordered plan these sort keys have, if any."""
    if len(req.keys) != 1:
        return None
    operand = req.keys[0][0]
    if req.forks is not None and operand.path in req.forks.paths():
        return None  # forks' inherited values are no index's: the generic plan sorts them
    if not operand.is_sys:
        return "field" if operand.agg in (None, "last") else None
    if operand.path == "sys/state":
        return "state"
    return "column" if _run_column(operand) is not None else None


def _as_fast(
    req: Request, plan: str, segment: int, values: list[Any]
) -> tuple[str, int, list[Any]]:
    """A generic page's last row as a cursor of the fast plan (its sort values are the
    same): the pages after a deep offset are read in index order again."""
    fast = _fast(req)
    if plan != "generic" or fast is None:
        return plan, segment, values
    if fast == "state":
        order = _state_order(req.keys[0][1])
        return (fast, order.index(values[0]), []) if values[0] in order else (plan, segment, values)
    if fast == "column" or req.keys[0][0].agg == "last":
        return (fast, 0, values) if values[0] is not None else (fast, 1, [])
    number, text = values
    if number is not None:
        return fast, 0, [number, text]
    return (fast, 1, [text]) if text is not None else (fast, 2, [])


def _plan(req: Request, where_probe: list[Any], wanted: str | None) -> tuple[str, list[Segment]]:
    """The segments that give the page, and the plan's name (a cursor names it too)."""
    deep = req.offset > FAST_OFFSET if wanted is None else wanted == "generic"
    fast = None if deep else _fast(req)
    operand, desc = req.keys[0]
    if fast == "field":
        return "field", _field_segments(operand, desc, where_probe)
    if fast == "state":
        return "state", _state_segments(req, desc, where_probe)
    if fast == "column":
        column = _run_column(operand)
        term = keyset.Term(column, desc, bool(column.nullable))
        stmt = select(Run.id, column).where(*where_probe)
        return "column", [Segment(stmt, [term], Run.id)]
    stmt = select(Run.id, *[t.expr for t in req.terms])
    for alias, path in req.joins:
        stmt = stmt.outerjoin(alias, and_(alias.run_id == Run.id, alias.path == path))
    where_in = _where(req, correlated=False)  # every match is visited: the set, built once
    return "generic", [Segment(stmt.where(*where_in), list(req.terms), Run.id)]


def _run_column(operand: Operand) -> Any:
    """The `runs` column a sys/ sort key is, or None for derived ones (state, duration)."""
    f = sysfields.BY_PATH.get(operand.path)
    if f is None or f.column is None or f.is_field:
        return None
    return Run.__table__.c[f.column]


def _state_order(desc: bool) -> list[str]:
    return sorted(RUN_STATES, reverse=desc)


def _state_segments(req: Request, desc: bool, where_probe: list[Any]) -> list[Segment]:
    """sys/state is derived (a running run with a stale heartbeat reads crashed): one segment
    per state, in the sort's order, each read by id from ix_runs_project_state_id."""
    cutoff = stale_cutoff(req.now)
    stale = and_(Run.state == "running", Run.heartbeat_at < cutoff)
    out = []
    for state in _state_order(desc):
        if state == "crashed":
            test: Any = or_(Run.state == "crashed", stale)
        elif state == "running":
            fresh = or_(Run.heartbeat_at.is_(None), Run.heartbeat_at >= cutoff)
            test = and_(Run.state == "running", fresh)
        else:
            test = Run.state == state
        out.append(Segment(select(Run.id).where(test, *where_probe), [], Run.id))
    return out


def _field_segments(operand: Operand, desc: bool, where_probe: list[Any]) -> list[Segment]:
    f = aliased(Field, name="sortf")
    if operand.agg == "last":  # ix_fields_path_last
        number: Any = f.last
    else:  # ix_fields_path_sort: the very expression of the index
        number = _number_of("sortf")
    match = select(Run.id).where(Run.id == f.run_id, *where_probe).correlate(f).exists()
    on_path = and_(f.path == operand.path, match)
    if operand.agg is None:  # the number, then the text on ties (as the generic ORDER BY)
        terms = [keyset.Term(number, desc, nullable=False), keyset.Term(f.text, desc)]
    else:
        terms = [keyset.Term(number, desc, nullable=False)]
    stmt = select(f.run_id, *[t.expr for t in terms]).where(on_path, number.is_not(None))
    segments = [Segment(stmt, terms, f.run_id)]
    if operand.agg is None:  # a text and no number: strings, and NaN spelled out
        segments.append(
            Segment(
                select(f.run_id, f.text).where(on_path, number.is_(None), f.text.is_not(None)),
                [keyset.Term(f.text, desc, nullable=False)],
                f.run_id,
            )
        )
    # The rest sort as NULL, NULL: by id. No field, or one with neither number nor text.
    g = aliased(Field, name="sortg")
    if operand.agg is None:
        known = or_(_number_of("sortg").is_not(None), g.text.is_not(None))
    else:
        known = g.last.is_not(None)
    has_value = select(g.id).where(g.run_id == Run.id, g.path == operand.path, known)
    rest = select(Run.id).where(*where_probe, ~has_value.correlate(Run).exists())
    segments.append(Segment(rest, [], Run.id))
    return segments


def _number_of(alias: str) -> Any:
    """models.SORT_NUMBER over a `fields` alias, as text: the index's own expression."""
    return literal_column(f"({SORT_NUMBER.format(t=alias + '.')})", Float)


def _count(s: Session, stmt: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _total(
    s: Session, req: Request, where_probe: list[Any], base: int | None, found: int, more: bool
) -> tuple[int, bool]:
    """(total, estimated): exact from the page itself or a count of a small project, else the
    share of the newest SAMPLE runs that match times the project's runs. `base`: the rows
    before the page (its offset, or the position its cursor carries; None: unknown). The
    last page knows the total, reached by offset or by cursor alike (an offset past the end
    does not: nothing shows where the rows end)."""
    shown = base is not None and (found or not base or req.cursor is not None)
    if base is not None and shown and not more and req.limit != 0:
        return base + found, False
    scope = [Run.project_id == req.project_id] if req.project_id is not None else []
    population = _population_of(s, req.project_id, scope)
    if population <= SAMPLE:
        exact = select(func.count()).select_from(Run).where(*where_probe)
        return int(s.scalar(exact) or 0), False
    # The newest runs by creation time: the runs index gives them in order (ix_runs_*_created).
    newest = select(Run.id).where(*scope).order_by(Run.created_at.desc(), Run.id.desc())
    sample = newest.limit(SAMPLE).subquery()
    matches = select(Run.id).where(Run.id == sample.c.id, *where_probe).correlate(sample)
    matched = s.scalar(select(func.count()).select_from(sample).where(matches.exists()))
    estimate = round((matched or 0) * population / SAMPLE)
    floor = (base or 0) + found + (1 if more else 0)  # what the pages have shown to exist
    return max(estimate, floor), True


def _population_of(s: Session, project_id: int | None, scope: list[Any]) -> int:
    """Runs in the project (all runs: None), reused for POPULATION_TTL seconds: it only
    decides between counting and estimating, and scales the estimate (a count that is a few
    seconds old is exact enough for both; counting 100,000 runs is 10-30 ms)."""
    key = (str(s.get_bind().engine.url), project_id)  # the URL: a store, whatever engine
    now = time.monotonic()
    with _population_lock:
        hit = _population.get(key)
    if hit is not None and now - hit[0] < POPULATION_TTL:
        return hit[1]
    n = int(s.scalar(select(func.count()).select_from(Run).where(*scope)) or 0)
    with _population_lock:
        _population[key] = (now, n)
    return n
