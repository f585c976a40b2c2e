"""The runs table: filter with a query, sort on any column, page, and read the page's columns.

A few statements whatever the size of the project: the ids of one page in sort order, read in
index order where the sort allows and ending with a cursor for the next page (pages.py), the
total (exact when cheap, else estimated: pages.py), then the page's runs, then the fields its
columns name (`run_id IN (page) AND path IN (columns)`, the unique index). Values come from
the scalar columns and the series aggregates; points are never read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, select
from sqlalchemy.orm import aliased

from .. import sysfields
from ..errors import InvalidInput
from ..store import names
from ..store.clock import effective_state
from ..store.engine import Store
from ..store.models import Field, Project, Run
from ..store.runs import db_time
from . import fork_rows, keyset
from .budget import bounded
from .compiler import Compiler
from .pages import Request, read_page
from .syntax import Condition, Expr, Not, Operand, parse, parse_columns, parse_sort
from .tokens import MAX_COLUMNS, QueryError

if TYPE_CHECKING:
    import pandas

DEFAULT_COLUMNS = sysfields.DEFAULT_COLUMNS
DEFAULT_SORT = sysfields.DEFAULT_SORT
SERIES_TYPES = ("float_series", "string_series", "file_series")
JSON_TYPES = ("string_set", "file_set", "file", "file_series")
MAX_LIMIT = 100_000


@dataclass
class RunsTable:
    """One page of runs: `items` keyed by column name, `total` runs matching the query
    (`total_estimated` when it is an estimate, see pages.py), and `next_cursor`, which
    `runs_table(cursor=...)` continues after (None on the last page)."""

    items: list[dict[str, Any]]
    total: int
    columns: list[str]
    time_columns: list[str] = field(default_factory=list)
    total_estimated: bool = False
    next_cursor: str | None = None

    def __len__(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN and infinities become null (JSON has no spelling for them)."""
        return {
            "items": [{k: json_safe(v) for k, v in row.items()} for row in self.items],
            "total": self.total,
            "total_estimated": self.total_estimated,
            "next_cursor": self.next_cursor,
            "columns": self.columns,
        }

    def to_pandas(self) -> pandas.DataFrame:
        """A DataFrame with one row per run; time columns as timezone-aware datetimes."""
        import pandas as pd

        df = pd.DataFrame(self.items, columns=self.columns)
        for col in self.time_columns:
            df[col] = pd.to_datetime(df[col], unit="s", utc=True)
        return df


def json_safe(v: Any) -> Any:
    """NaN and infinities have no JSON spelling: null, recursively through dicts and lists.
    The one helper of the REST answers and the CLI's --json output."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return v


def runs_table(
    store: Store,
    *,
    project: str | None = None,
    query: str | None = "",
    columns: str | Sequence[str] | None = None,
    sort: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
    now: float | None = None,
    timeout: float | None = None,
    cursor: str | None = None,
) -> RunsTable:
    """Runs matching `query` (DESIGN §5), sorted by `sort` (`-metrics/f1` descending; several
    keys comma-separated), `limit` of them from `offset` (limit None: all), or after `cursor`
    (the `next_cursor` of the page before: the same cost at any depth).

    `columns` adds to the default ones: a field path (`params/lr`; a series gives its last
    value), an aggregate (`min(train/loss)`), or another `sys/` column.

    Filtering and sorting stop after `timeout` seconds (budget.QUERY_TIMEOUT) with a
    `QueryTimeout`; a query over the language's limits is a `QueryError` (docs/query.md).
    """
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 0 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more, not {offset}")
    now = db_time(store) if now is None else now  # staleness is judged by the store's clock
    dialect = store.engine.dialect.name
    compiler = Compiler(query or "", dialect, now)
    tree = parse(query)
    compiler.compile(tree)  # a bad query is an error before any statement runs
    wanted = _columns(columns, compiler)
    sort_text = sort or DEFAULT_SORT
    sort_keys = parse_sort(sort_text)
    _order_by(compiler, sort_keys, sort_text, None)  # an unknown sys/ key: an error here
    owner = keyset.fingerprint(query or "", sort_text, project)

    with store.read() as s:
        project_id: int | None = None
        if project is not None:
            project_id = s.scalar(
                select(Project.id).where(Project.name == names.normalize_name(project))
            )
            if project_id is None:  # no such project: no runs (a cursor is still checked)
                project_id = -1
        # Forks see their inherited points in series aggregates (fork_rows.py).
        forks = fork_rows.scope(s, store, project_id)
        sort_paths = [o.path for o, _ in sort_keys if not o.is_sys]
        if forks is not None:
            forks.effective(s, forks.chains, _paths(tree) + sort_paths)
        terms, joins = _order_by(compiler, sort_keys, sort_text, forks)
        request = Request(
            query or "", tree, dialect, now, project_id, sort_keys, terms, joins, owner,
            limit, offset, cursor, forks,
        )  # fmt: skip
        with bounded(s, timeout):  # the statements the user's query shapes
            page = read_page(s, request)
        rows = _page_rows(s, page.ids, wanted)
        if forks is not None:
            on_page = [i for i in page.ids if i in forks.chains]
            forks.effective(s, on_page, [o.path for o in wanted if not o.is_sys])
            rows = [
                (run, name, {**fields, **_inherited(forks, run.id, fields)})
                for run, name, fields in rows
            ]
    plan = [(o.key, o.is_sys, o.path, o.agg) for o in wanted]
    items = [_item(run, project_name, fields, plan, now) for run, project_name, fields in rows]
    time_cols = [o.key for o in wanted if o.path in sysfields.TIME_PATHS]
    time_cols += sorted(_datetime_columns(rows, wanted))
    return RunsTable(
        items,
        page.total,
        [o.key for o in wanted],
        time_cols,
        total_estimated=page.estimated,
        next_cursor=page.next_cursor,
    )


def _columns(columns: str | Sequence[str] | None, compiler: Compiler) -> list[Operand]:
    """The default columns, then the requested ones, each once, in order."""
    out = {o.key: o for o in parse_columns(DEFAULT_COLUMNS)}
    texts = [columns] if isinstance(columns, str) else list(columns or [])
    requested = 0
    for text in texts:
        operands = parse_columns(text)
        requested += len(operands)
        if requested > MAX_COLUMNS:
            raise QueryError(f"too many columns: at most {MAX_COLUMNS:,}")
        for operand in operands:
            if operand.is_sys:  # an unknown sys/ column is an error that shows the column
                Compiler(text, compiler.dialect, compiler.now).sys_kind(operand)
            out.setdefault(operand.key, operand)
    return list(out.values())


def _order_by(
    compiler: Compiler,
    keys: list[tuple[Operand, bool]],
    text: str,
    forks: fork_rows.Forks | None,
) -> tuple[list[keyset.Term], list[tuple[Any, str]]]:
    """The sort keys as ORDER BY terms (NULLs last; the run id follows them all), and the
    `fields` joins they read: a field sorts by its number (a series' last value), then text.
    A fork's effective row (fork_rows.py), where it has one, stands for its own."""
    sort_compiler = Compiler(text, compiler.dialect, compiler.now)
    terms: list[keyset.Term] = []
    joins: list[tuple[Any, str]] = []
    for operand, desc in keys:
        if operand.is_sys:
            expr = sort_compiler.sys_kind(operand)[1]
            column = getattr(expr, "expression", expr)  # a mapped attribute's Column
            terms.append(keyset.Term(expr, desc, getattr(column, "nullable", True) is not False))
            continue
        alias = aliased(Field)
        joins.append((alias, operand.path))
        sources = [alias]
        if forks is not None and operand.path in forks.paths():
            inherited = forks.table(compiler.dialect)
            joins.append((inherited, operand.path))
            sources.insert(0, inherited)

        def pick(get: Any, sources: list[Any] = sources) -> Any:
            if len(sources) == 1:
                return get(sources[0])
            return case((sources[0].run_id.is_not(None), get(sources[0])), else_=get(sources[1]))

        if operand.agg:
            agg = operand.agg
            terms.append(keyset.Term(pick(lambda a, agg=agg: getattr(a, agg)), desc))
        else:
            number = pick(lambda a: case((a.type.in_(SERIES_TYPES), a.last), else_=a.num))
            terms += [keyset.Term(number, desc), keyset.Term(pick(lambda a: a.text), desc)]
    return terms, joins


def _paths(tree: Expr | None) -> list[str]:
    """The field paths a query's conditions read."""
    if tree is None:
        return []
    if isinstance(tree, Condition):
        return [] if tree.operand.is_sys else [tree.operand.path]
    if isinstance(tree, Not):
        return _paths(tree.expr)
    return [p for item in tree.items for p in _paths(item)]


def _inherited(forks: fork_rows.Forks, run_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A fork's effective rows for the paths of its page row (fork_rows.py)."""
    del fields  # a fork's effective row replaces its own, or stands where it has none
    return {path: row for (rid, path), row in forks.rows.items() if rid == run_id}


def _page_rows(
    s: Any, ids: list[int], wanted: list[Operand]
) -> list[tuple[Any, str, dict[str, Any]]]:
    """(run row, project name, {path: field row}) per id, in page order.

    Plain rows, not ORM objects: building 10,000 mapped instances would cost more than the
    queries themselves. Rows have the same attribute names as the models.
    """
    if not ids:
        return []
    paths = sorted({o.path for o in wanted if not o.is_sys})
    conn = s.connection()  # Core rows: the ORM's per-row bookkeeping is not needed here
    runs = {
        r.id: r
        for r in conn.execute(
            select(*Run.__table__.columns, Project.name.label("project_name"))
            .join(Project, Project.id == Run.project_id)
            .where(Run.id.in_(ids))
        ).all()
    }
    by_run: dict[int, dict[str, Any]] = {i: {} for i in ids}
    if paths:
        cols = [c for c in Field.__table__.columns if c.name not in ("id", "updated_at")]
        query = select(*cols).where(Field.run_id.in_(ids), Field.path.in_(paths))
        for f in conn.execute(query).all():
            by_run[f.run_id][f.path] = f
    return [(runs[i], runs[i].project_name, by_run[i]) for i in ids if i in runs]


def _item(
    run: Any,
    project_name: str,
    fields: dict[str, Any],
    plan: list[tuple[str, bool, str, str | None]],
    now: float,
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, is_sys, path, agg in plan:
        if is_sys:
            row[key] = sys_value(path, run, project_name, now)
        else:
            f = fields.get(path)
            if f is None:
                row[key] = [] if path in sysfields.BY_PATH else None  # no tags: empty set
            else:
                row[key] = field_value(f, agg)
    return row


def sys_value(path: str, run: Any, project_name: str, now: float) -> Any:
    """The Python twin of `compiler.sys_columns` for a run (row, model or RunInfo)."""
    state = effective_state(run.state, run.heartbeat_at, now, run.stale_after)
    return sysfields.value(path, run, project=project_name, state=state, now=now)


def field_value(f: Any, agg: str | None = None) -> Any:
    """A field's value as a table cell: scalars as themselves, series as their last value."""
    if agg == "count":
        return int(f.count or 0)
    if agg:
        return getattr(f, agg)
    t = f.type
    if t == "int":
        return f.int_value if f.int_value is not None else (None if f.num is None else int(f.num))
    if t == "bool":
        return None if f.num is None else bool(f.num)
    if t in ("float", "datetime"):
        return _non_finite(f.text) if f.num is None else f.num
    if t == "float_series":
        return _non_finite(f.text) if f.last is None and f.count else f.last
    if t in JSON_TYPES:
        try:
            return json.loads(f.text) if f.text else None
        except ValueError:
            return f.text
    return f.text


def _non_finite(text: str | None) -> float | None:
    """NaN/Inf: SQLite stores NaN as NULL, so the writer keeps their spelling in `text`."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _datetime_columns(
    rows: list[tuple[Any, str, dict[str, Any]]], wanted: list[Operand]
) -> set[str]:
    out: set[str] = set()
    for operand in wanted:
        if operand.is_sys or operand.agg:
            continue
        for _run, _name, fields in rows:
            f = fields.get(operand.path)
            if f is not None:
                if f.type == "datetime":
                    out.add(operand.key)
                break
    return out
