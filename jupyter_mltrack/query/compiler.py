"""Query tree -> one SQLAlchemy condition over `runs`, with every user value bound as a
parameter (never formatted into SQL).

A condition on a field becomes `runs.id IN (SELECT run_id FROM fields WHERE path = :p AND
<test>)`, which both backends answer from the `(path, num)` / `(path, last)` indexes or the
`(run_id, path)` unique index; series are compared through their aggregate columns (`last`,
`min`, `max`, `count`), never their points. `sys/*` paths are columns of `runs`, except
`sys/tags`, a string-set field.

Semantics worth knowing: a condition on a field only matches runs that have the field (so
`params/opt != "adam"` skips runs without `params/opt`; `NOT params/opt = "adam"` includes
them). A bare series path compares its last value. A string compared with a datetime field is
read as a time (`"-2h"`, ISO dates).
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects.postgresql import JSONB

from .. import sysfields
from ..store.models import RUN_STATES, Field, Project, Run
from ..store.runs import stale_cutoff, state_expression
from .regex import PatternError, compile_pattern
from .syntax import Condition, Expr, Not, Operand, Or, QuerySyntaxError, Value, parse
from .times import parse_time

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
NUMERIC_SCALARS = ("float", "int", "bool", "datetime")
STRING_TYPES = ("string", "string_series")
STATE_ALIASES = {"active": "running", "idle": "finished"}


def duration_expression(now: float) -> ColumnElement[float]:
    """Seconds a run lasted: to its end, to its last heartbeat when crashed, else to now."""
    return case(
        (Run.ended_at.is_not(None), Run.ended_at - Run.created_at),
        (
            and_(Run.state == "running", Run.heartbeat_at < stale_cutoff(now)),
            Run.heartbeat_at - Run.created_at,
        ),
        else_=now - Run.created_at,
    )


def sys_columns(now: float) -> dict[str, tuple[str, Any]]:
    """`sys/*` paths that are columns of `runs` (sysfields.COLUMN_PATHS): path -> (kind, SQL
    expression). Kinds are the registry's types; a duration compares as a number."""
    derived: dict[str, Any] = {
        "sys/project": select(Project.name).where(Project.id == Run.project_id).scalar_subquery(),
        "sys/state": state_expression(now),
        "sys/duration": duration_expression(now),
    }
    out: dict[str, tuple[str, Any]] = {}
    for f in sysfields.FIELDS:
        if not f.is_field:
            expr = getattr(Run, f.column) if f.column is not None else derived[f.path]
            out[f.path] = (f.type, expr)
    return out


class Compiler:
    """Compiles one parsed query for one backend (`sqlite` or `postgresql`) at one instant."""

    def __init__(
        self, query: str, dialect: str, now: float | None = None, *, correlated: bool = False
    ) -> None:
        self.query = query
        self.dialect = dialect
        self.now = time.time() if now is None else now
        self._sys: dict[str, tuple[str, Any]] | None = None
        # Correlated: a field condition is `EXISTS (... WHERE fields.run_id = runs.id ...)`, a
        # probe of the (run_id, path) index per run, for a page read in index order that stops
        # after its rows (query/pages.py). Else `runs.id IN (...)`, the set of matching runs
        # built once: cheaper when every match is visited anyway (sorts, counts).
        self.correlated = correlated
        # The `fields` rows the conditions test: the table, or (fork_rows.py) a fork's rows
        # with the points it inherits, for the paths in `forks`.
        self.F: Any = Field
        self.forks: Any = None

    def error(self, reason: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(reason, self.query, pos)

    def compile(self, expr: Expr | None) -> ColumnElement[bool]:
        if expr is None:
            return true()
        if isinstance(expr, Not):
            return not_(self.compile(expr.expr))
        if isinstance(expr, Or):
            return or_(*(self.compile(e) for e in expr.items))
        if isinstance(expr, Condition):
            return self.condition(expr)
        return and_(*(self.compile(e) for e in expr.items))

    def sys_kind(self, operand: Operand) -> tuple[str, Any]:
        if self._sys is None:  # built on first use: most queries name no sys/ column
            self._sys = sys_columns(self.now)
        found = self._sys.get(operand.path)
        if found is None:
            known = ", ".join(sorted(f.path for f in sysfields.LISTED))
            raise self.error(f"unknown system field {operand.path!r}; known: {known}", operand.pos)
        if operand.agg:
            raise self.error(f"{operand.agg}() applies to series, not {operand.path}", operand.pos)
        return found

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, cond: Condition) -> ColumnElement[bool]:
        if cond.operand.is_sys:
            return self.sys_condition(cond)
        own = self.field_condition(cond)
        path = cond.operand.path
        if self.forks is None or path not in self.forks.paths():
            return own
        # Forks whose series at this path has inherited points: their effective row decides.
        forked = self.forks.runs_for(path)
        table, self.F = self.F, self.forks.table(self.dialect)
        try:
            rows = select(self.F.run_id).where(self.F.path == path, self.field_test(cond))
        finally:
            self.F = table
        return or_(and_(own, Run.id.not_in(forked)), Run.id.in_(rows))

    def field_condition(self, cond: Condition) -> ColumnElement[bool]:
        test = self.field_test(cond)
        if self.correlated:
            probe = select(self.F.id).where(
                self.F.run_id == Run.id, self.F.path == cond.operand.path, test
            )
            return probe.correlate(Run).exists()
        subquery = select(self.F.run_id).where(self.F.path == cond.operand.path, test)
        return Run.id.in_(subquery)

    def sys_condition(self, cond: Condition) -> ColumnElement[bool]:
        kind, col = self.sys_kind(cond.operand)
        if cond.op == "exists":
            return col.is_not(None)  # type: ignore[no-any-return]
        value = cond.value
        assert value is not None
        if kind == "state":
            return self.state_condition(cond, col, value)
        if cond.op in ("contains", "matches"):
            if kind != "string":
                raise self.error(
                    f"{cond.op.upper()} needs a text field; {cond.operand.path} is not", cond.pos
                )
            text = self.string_value(value, cond)
            return (
                self.substring(col, text) if cond.op == "contains" else self.regex(col, text, value)
            )
        if kind == "string":
            return self.compare(col, cond.op, self.string_value(value, cond))
        if kind == "bool":
            return self.compare(col, cond.op, self.bool_value(value, cond))
        if kind == "time":
            return self.compare(col, cond.op, self.time_value(value))
        return self.compare(col, cond.op, self.number_value(value, cond))

    def state_condition(
        self, cond: Condition, col: ColumnElement[Any], value: Value
    ) -> ColumnElement[bool]:
        if cond.op not in ("=", "!="):
            raise self.error("sys/state compares with = or != only", cond.pos)
        if not isinstance(value.value, str):
            raise self.error(f"sys/state is one of {', '.join(RUN_STATES)} (quoted)", value.pos)
        state = value.value.strip().lower()
        if state == "inactive":
            test = col != "running"
            return test if cond.op == "=" else not_(test)
        state = STATE_ALIASES.get(state, state)
        if state not in RUN_STATES:
            raise self.error(
                f"unknown state {value.value!r}; one of {', '.join(RUN_STATES)}", value.pos
            )
        return self.compare(col, cond.op, state)

    def field_test(self, cond: Condition) -> ColumnElement[bool]:
        """The test on one `fields` row that makes `cond` true."""
        operand, op, value = cond.operand, cond.op, cond.value
        hint = operand.type_hint
        if op == "exists":
            return true() if hint is None else self.type_is(hint)
        assert value is not None
        if operand.path == "sys/tags" and op not in ("contains", "matches"):
            raise self.error('sys/tags is a set: use sys/tags CONTAINS "tag"', cond.pos)
        if op == "contains":
            text = self.string_value(value, cond)
            tests = []
            if hint in (None, "string_set"):
                tests.append(self.member(self.F.text, text))
            if hint in (None, "string", "string_series"):
                types = STRING_TYPES if hint is None else (hint,)
                tests.append(and_(self.F.type.in_(types), self.substring(self.F.text, text)))
            if not tests:
                raise self.error(
                    f"CONTAINS applies to strings and string sets, not {hint}", cond.pos
                )
            return or_(*tests)
        if op == "matches":
            text = self.string_value(value, cond)
            if hint == "string_set":
                raise self.error("MATCHES applies to strings; for sets use CONTAINS", cond.pos)
            types = STRING_TYPES if hint is None else (hint,)
            return and_(self.F.type.in_(types), self.regex(self.F.text, text, value))
        if operand.agg:
            return self.aggregate_test(cond, value)
        return self.value_test(cond, value, hint)

    def aggregate_test(self, cond: Condition, value: Value) -> ColumnElement[bool]:
        agg = cond.operand.agg
        if agg == "last" and isinstance(value.value, str):
            return and_(
                self.F.type == "string_series", self.compare(self.F.text, cond.op, value.value)
            )
        number = self.number_value(value, cond)
        col = {"last": self.F.last, "min": self.F.min, "max": self.F.max, "count": self.F.count}
        return self.compare(col[agg or ""], cond.op, number)

    def value_test(self, cond: Condition, value: Value, hint: str | None) -> ColumnElement[bool]:
        op, v = cond.op, value.value
        if hint == "state":
            raise self.error("experimentState applies to sys/state only", cond.operand.pos)
        if hint in ("file", "file_series", "string_set"):
            raise self.error(
                f"{cond.operand.path} ({hint}) can only be tested with EXISTS", cond.pos
            )
        if isinstance(v, bool):
            if hint not in (None, "bool"):
                raise self.error(f"{hint} fields do not compare with true/false", value.pos)
            if op not in ("=", "!="):
                raise self.error("true/false compare with = or != only", cond.pos)
            return and_(self.F.type == "bool", self.compare(self.F.num, op, 1.0 if v else 0.0))
        if isinstance(v, str):
            tests = []
            if hint in (None, "string", "string_series"):
                types = STRING_TYPES if hint is None else (hint,)
                tests.append(and_(self.F.type.in_(types), self.compare(self.F.text, op, v)))
            if hint in (None, "datetime"):
                when = parse_time(v, self.now)
                if when is None and hint == "datetime":
                    raise self.error(_TIME_HELP, value.pos)
                if when is not None:
                    tests.append(
                        and_(self.F.type == "datetime", self.compare(self.F.num, op, when))
                    )
            if not tests:
                raise self.error(f"{hint} fields compare with numbers, not strings", value.pos)
            return or_(*tests)
        if hint is None:
            return or_(self.compare(self.F.num, op, v), self.compare(self.F.last, op, v))
        if hint in ("string", "string_series"):
            raise self.error(f'{hint} fields compare with quoted strings: "{_fmt(v)}"', value.pos)
        if hint == "float_series":
            return and_(self.F.type == "float_series", self.compare(self.F.last, op, v))
        types = ("float", "int") if hint == "float" else (hint,)
        return and_(self.F.type.in_(types), self.compare(self.F.num, op, v))

    # -- values -------------------------------------------------------------------------------
    def string_value(self, value: Value, cond: Condition) -> str:
        if not isinstance(value.value, str):
            verb = cond.op.upper() if cond.op in ("contains", "matches") else cond.operand.path
            raise self.error(f'{verb} needs a quoted string: "{_fmt(value.value)}"', value.pos)
        return value.value

    def number_value(self, value: Value, cond: Condition) -> float:
        v = value.value
        if isinstance(v, bool) or not isinstance(v, float):
            raise self.error(f"{cond.operand.key} compares with a number", value.pos)
        return v

    def bool_value(self, value: Value, cond: Condition) -> bool:
        v = value.value
        if isinstance(v, bool):
            return v
        if isinstance(v, float) and v in (0.0, 1.0):
            return bool(v)
        raise self.error(f"{cond.operand.path} compares with true or false", value.pos)

    def time_value(self, value: Value) -> float:
        v = value.value
        if isinstance(v, float) and not isinstance(v, bool):
            return v
        if isinstance(v, str):
            when = parse_time(v, self.now)
            if when is not None:
                return when
        raise self.error(_TIME_HELP, value.pos)

    # -- SQL building blocks, per backend -----------------------------------------------------
    def compare(self, col: Any, op: str, v: Any) -> ColumnElement[bool]:
        if op not in _OPS:
            raise AssertionError(op)
        test: ColumnElement[bool] = _OPS[op](col, v)
        if self.dialect == "postgresql" and isinstance(v, float) and op in (">", ">=", "!="):
            # PostgreSQL orders NaN above every number; a NaN value matches no comparison.
            test = and_(test, col != math.nan)
        return test

    def substring(self, col: Any, text: str) -> ColumnElement[bool]:
        # instr/strpos, not LIKE: case-sensitive on both backends, no wildcard escaping.
        fn = func.strpos if self.dialect == "postgresql" else func.instr
        return fn(col, text) > 0  # type: ignore[no-any-return]

    def regex(self, col: Any, pattern: str, value: Value) -> ColumnElement[bool]:
        try:
            compile_pattern(pattern)  # RE2 syntax on both backends (regex.py)
        except PatternError as e:
            raise self.error(f"invalid regular expression: {e}", value.pos) from None
        return col.regexp_match(pattern)  # type: ignore[no-any-return]

    def member(self, col: Any, item: str) -> ColumnElement[bool]:
        """`item` is an element of a string set (the JSON list in `col`, e.g. sys/tags).

        Inside a CASE on the type, which both backends evaluate in order, so the JSON
        functions never see the text of a plain string field (they would raise on it).
        """
        if self.dialect == "postgresql":
            test: ColumnElement[Any] = func.jsonb_exists(sql_cast(col, JSONB), item)
        else:
            elements = func.json_each(col).table_valued("value")
            found = select(elements.c.value).where(elements.c.value == item).exists()
            test = and_(func.json_valid(col) == 1, found)
        return case((self.F.type == "string_set", test), else_=false())

    def type_is(self, hint: str) -> ColumnElement[bool]:
        if hint == "state":
            return false()
        types = ("float", "int") if hint == "float" else (hint,)
        return self.F.type.in_(types)  # type: ignore[no-any-return]


_TIME_HELP = 'expected a time: "-2h", "-30m", "-7d", "now", "2024-05-01" or "2024-05-01T12:00:00Z"'


def _fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).lower() if isinstance(v, bool) else str(v)


def compile_query(
    query: str | None, dialect: str, now: float | None = None, *, correlated: bool = False
) -> ColumnElement[bool]:
    """Parse and compile `query` for `dialect`; an empty query matches every run."""
    return Compiler(query or "", dialect, now, correlated=correlated).compile(parse(query))
