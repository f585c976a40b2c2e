"""`GET /mltrack/api/diff?base=&remote=&path=`: nbdime-format diff between two checkpoints, or
a checkpoint and the current file (`remote=current`, read through the contents manager; the
file is the base checkpoint's notebook unless `path` names another). A thin handler over
`checkpoints.service.compare`, which `mltrack diff` runs too, in a worker thread: never on
the event loop."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..checkpoints import service
from ..errors import InvalidInput
from .base import (
    AUTH_RESOURCE,  # noqa: F401  (declared per module)
    needs_contents,
)
from .checkpoints import CheckpointsBase


class DiffHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    @needs_contents("read")
    async def get(self) -> None:
        base = self.get_argument("base", "")
        remote = self.get_argument("remote", "current")
        if not base:
            raise InvalidInput("base (a checkpoint id) is required")
        answer = await self.run_blocking(
            service.compare,
            self.store,
            self.notebooks,
            base,
            remote,
            self.get_argument("path", None) or None,
        )
        self.write_json(answer)


default_handlers = [(r"/diff", DiffHandler)]
