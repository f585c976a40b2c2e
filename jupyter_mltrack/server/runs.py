"""Runs: the table (`GET runs`), the field paths (`GET fields`), one run (`GET runs/<id>`),
its series downsampled for charts (`GET runs/<id>/series`) and asking a running run to stop
(`POST runs/<id>/abort`).

Thin handlers over `jupyter_mltrack.query` (the store's read side) and `store.runs`: no SQL
here; the store work runs in a worker thread. A bad query answers 400 with the caret message
of `QuerySyntaxError`; one over a limit or its time budget answers 400 too (`QueryError`,
`QueryTimeout`: query/budget.py).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import InvalidInput
from ..query import runs_table
from ..query.detail import run_detail
from ..query.paths import MAX_FIELD_PATHS, field_paths
from ..query.series import DEFAULT_POINTS, MAX_POINTS, read_points
from ..store import runs
from .base import AUTH_RESOURCE, MLTrackHandler  # noqa: F401  (declared per module)

MAX_PAGE = 10_000
RUN_ID = r"(?P<run_id>[^/]+)"


def int_arg(handler: web.RequestHandler, name: str, default: int, lo: int, hi: int) -> int:
    raw = handler.get_query_argument(name, None)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not {raw!r}") from None
    if not lo <= value <= hi:
        raise InvalidInput(f"{name} must be between {lo} and {hi}, not {value}")
    return value


class RunsHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        columns: list[str] = []
        for raw in self.get_query_arguments("columns"):
            columns.append(raw)  # each a comma-separated list; backticks protect odd paths
        table = await self.run_blocking(
            runs_table,
            self.store,
            project=self.get_query_argument("project", None) or None,
            query=self.get_query_argument("query", ""),
            columns=",".join(c for c in columns if c.strip()) or None,
            sort=self.get_query_argument("sort", None) or None,
            limit=int_arg(self, "limit", 100, 0, MAX_PAGE),
            offset=int_arg(self, "offset", 0, 0, 2**31),
        )
        self.write_json(table.to_dict())


class RunHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.write_json(await self.run_blocking(run_detail, self.store, run_id))


class SeriesHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        path = self.get_query_argument("field", "")
        if not path:
            raise InvalidInput("name the series with ?field=<path>")
        x = self.get_query_argument("x", "step")
        after = self.get_query_argument("after_step", None)
        try:
            after_step = float(after) if after not in (None, "") else None
        except ValueError:
            raise InvalidInput(f"after_step must be a number, not {after!r}") from None
        points = await self.run_blocking(
            read_points,
            self.store,
            run_id,
            path,
            max_points=int_arg(self, "max_points", DEFAULT_POINTS, 2, MAX_POINTS),
            x=x,
            after_step=after_step,
        )
        self.write_json(points.to_dict(x))


class FieldsHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", None) or None
        paths = await self.run_blocking(field_paths, self.store, project)
        self.write_json(paths.to_dict())


class AbortHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run = await self.run_blocking(runs.request_abort, self.store, run_id)
        self.write_json({"id": run.short_id, "state": run.state, "abort_requested": True}, 202)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = {"$ref": "#/components/schemas/Error"}
_RUN_PARAM = {
    "name": "run_id",
    "in": "path",
    "required": True,
    "description": "short id (CRED-12), numeric id or custom run id",
    "schema": {"type": "string"},
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


OPENAPI_PATHS: dict[str, Any] = {
    "/runs": {
        "get": {
            "summary": "The runs table: filter with a query, choose columns, sort, page",
            "operationId": "listRuns",
            "parameters": [
                _query(
                    "query", {"type": "string"}, 'e.g. metrics/acc > 0.9 AND sys/tags CONTAINS "x"'
                ),
                _query(
                    "columns", {"type": "string"}, "comma-separated: params/lr, last(train/loss)"
                ),
                _query("sort", {"type": "string"}, "comma-separated keys; '-' for descending"),
                _query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}, ""),
                _query("offset", {"type": "integer", "minimum": 0}, ""),
                _query("project", {"type": "string"}, "one project (default: all)"),
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/RunsTable"}, "One page of runs"),
                "400": _json(
                    _ERROR,
                    "Bad query (the message points at the position), or over a limit of "
                    "docs/query.md (nesting, sort keys, time: error query_timeout)",
                ),
            },
        }
    },
    "/fields": {
        "get": {
            "summary": "Field paths of the runs (for query completion and column pickers)",
            "operationId": "listFieldPaths",
            "parameters": [_query("project", {"type": "string"}, "one project (default: all)")],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/FieldPaths"}, "path, type, runs"),
            },
        }
    },
    "/runs/{run_id}": {
        "get": {
            "summary": "One run: sys values, every field, files, tags, checkpoint, cells",
            "operationId": "getRun",
            "parameters": [_RUN_PARAM],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/RunDetail"}, "The run"),
                "404": _json(_ERROR, "No such run"),
            },
        }
    },
    "/runs/{run_id}/series": {
        "get": {
            "summary": "Points of one series, downsampled on the server (min/max per bucket)",
            "operationId": "getSeries",
            "parameters": [
                _RUN_PARAM,
                {**_query("field", {"type": "string"}, "the series path"), "required": True},
                _query("max_points", {"type": "integer", "minimum": 2, "maximum": MAX_POINTS}, ""),
                _query("x", {"type": "string", "enum": ["step", "time"]}, "bucket over"),
                _query("after_step", {"type": "number"}, "only points after this step"),
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Series"}, "The points"),
                "400": _json(_ERROR, "Not a series, or bad parameters"),
                "404": _json(_ERROR, "No such run or field"),
            },
        }
    },
    "/runs/{run_id}/abort": {
        "post": {
            "summary": "Ask a running run to stop; its process ends it as aborted",
            "operationId": "abortRun",
            "parameters": [_RUN_PARAM],
            "responses": {
                "202": _json({"type": "object"}, "Abort requested"),
                "404": _json(_ERROR, "No such run"),
                "409": _json(_ERROR, "The run is not running"),
            },
        }
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "RunsTable": {
        "type": "object",
        "required": ["items", "total", "columns"],
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "description": "column name -> value"},
            },
            "total": {"type": "integer"},
            "columns": {"type": "array", "items": {"type": "string"}},
        },
    },
    "FieldPaths": {
        "type": "object",
        "required": ["items", "truncated"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "type": {"type": "string"},
                        "runs": {"type": "integer"},
                    },
                },
            },
            "truncated": {"type": "boolean", "description": f"more than {MAX_FIELD_PATHS}"},
        },
    },
    "RunDetail": {
        "type": "object",
        "required": ["id", "sys", "tags", "fields", "files", "checkpoint", "cells"],
        "properties": {
            "id": {"type": "string"},
            "sys": {"type": "object"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "fields": {"type": "array", "items": {"type": "object"}},
            "files": {"type": "array", "items": {"type": "object"}},
            "checkpoint": {"type": ["object", "null"]},
            "cells": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Series": {
        "type": "object",
        "required": ["field", "type", "count", "returned", "downsampled", "steps", "values"],
        "properties": {
            "field": {"type": "string"},
            "type": {"type": "string"},
            "count": {"type": "integer"},
            "returned": {"type": "integer"},
            "downsampled": {"type": "boolean"},
            "x": {"type": "string"},
            "steps": {"type": "array", "items": {"type": ["number", "null"]}},
            "values": {"type": "array"},
            "timestamps": {"type": "array", "items": {"type": ["number", "null"]}},
            "indices": {"type": "array", "items": {"type": "integer"}},
        },
    },
}

default_handlers = [
    (r"/runs", RunsHandler),
    (r"/fields", FieldsHandler),
    (rf"/runs/{RUN_ID}", RunHandler),
    (rf"/runs/{RUN_ID}/series", SeriesHandler),
    (rf"/runs/{RUN_ID}/abort", AbortHandler),
]
