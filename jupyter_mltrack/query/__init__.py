"""The query language (DESIGN §5) and the read services built on it: the runs table, one
run's fields, downsampled series and file contents. Plain Python over a `Store`, shared by
the REST handlers, the client's `fetch_runs_table` and the CLI."""

from __future__ import annotations

from .budget import QueryTimeout
from .compiler import compile_query
from .syntax import QueryError, QuerySyntaxError, parse
from .table import DEFAULT_COLUMNS, RunsTable, runs_table

__all__ = [
    "DEFAULT_COLUMNS",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "RunsTable",
    "compile_query",
    "parse",
    "runs_table",
]
