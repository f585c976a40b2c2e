"""Runs: the table (`GET runs`), the field paths (`GET fields`), one run (`GET runs/<id>`),
its series downsampled for charts (`GET runs/<id>/series`), which cell logged which points
(`GET runs/<id>/cells`) and asking a running run to stop (`POST runs/<id>/abort`).

Thin handlers over `jupyter_mltrack.query` (the store's read side) and `store.runs`: no SQL
here; the store work runs in a worker thread. A bad query answers 400 with the caret message
of `QuerySyntaxError`; one over a limit or its time budget answers 400 too (`QueryError`,
`QueryTimeout`: query/budget.py).
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import InvalidInput
from ..query import runs_table
from ..query.detail import run_detail
from ..query.paths import field_paths
from ..query.provenance import cell_provenance
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
            cursor=self.get_query_argument("cursor", None) or None,
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


class CellsHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.write_json(await self.run_blocking(cell_provenance, self.store, run_id))


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


default_handlers = [
    (r"/runs", RunsHandler),
    (r"/fields", FieldsHandler),
    (rf"/runs/{RUN_ID}", RunHandler),
    (rf"/runs/{RUN_ID}/series", SeriesHandler),
    (rf"/runs/{RUN_ID}/cells", CellsHandler),
    (rf"/runs/{RUN_ID}/abort", AbortHandler),
]
