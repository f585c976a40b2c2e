"""Any other URL under /mltrack/api: a JSON 404 (after the same authentication), instead of
jupyter_server's HTML page, so API clients always get the `{"error", "message"}` shape.
Registered last in MODULES so every real route matches first."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NotFound
from .base import MLTrackHandler


class NotFoundHandler(MLTrackHandler):
    def _missing(self) -> None:
        raise NotFound(f"no such endpoint: {self.request.method} {self.request.path}")

    @web.authenticated
    @authorized
    def get(self, *args: Any) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def post(self, *args: Any) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def patch(self, *args: Any) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def delete(self, *args: Any) -> None:
        self._missing()


default_handlers = [(r"/.*", NotFoundHandler)]
