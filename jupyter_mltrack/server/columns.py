"""`GET columns`: the field paths of the runs a query matches, with how often each occurs,
for the runs table's default columns (query/columns.py). Its own module so the runs table's
handlers (server/runs.py) stay as they are."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..query.columns import DEFAULT_SAMPLE, MAX_SAMPLE, column_paths
from .base import AUTH_RESOURCE, MLTrackHandler  # noqa: F401  (declared per module)
from .runs import int_arg


class ColumnsHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        paths = await self.run_blocking(
            column_paths,
            self.store,
            query=self.get_query_argument("query", ""),
            project=self.get_query_argument("project", None) or None,
            sample=int_arg(self, "sample", DEFAULT_SAMPLE, 1, MAX_SAMPLE),
        )
        self.write_json(paths.to_dict())


default_handlers = [(r"/columns", ColumnsHandler)]
