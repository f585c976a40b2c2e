"""`GET /mltrack/api/diff?base=&remote=&path=`: nbdime-format diff between two checkpoints, or
a checkpoint and the current file (`remote=current`, read through the contents manager; the
file is the base checkpoint's notebook unless `path` names another). A thin handler over
`checkpoints.service.compare`, which `mltrack diff` runs too, in a worker thread: never on
the event loop."""

from __future__ import annotations

from typing import Any

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


OPENAPI_PATHS: dict[str, Any] = {
    "/diff": {
        "get": {
            "summary": "nbdime diff of two checkpoints, or of a checkpoint and the current file",
            "operationId": "diff",
            "parameters": [
                {"name": "base", "in": "query", "required": True, "schema": {"type": "string"}},
                {
                    "name": "remote",
                    "in": "query",
                    "schema": {"type": "string", "default": "current"},
                },
                {"name": "path", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The base notebook, the diff and a summary",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Diff"}}
                    },
                },
                **{
                    str(c): {
                        "description": "Error",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
                    for c in (400, 403, 404, 413, 422)
                },
            },
        }
    }
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "Diff": {
        "type": "object",
        "required": ["base", "diff", "summary"],
        "properties": {
            "base": {"type": "object"},
            "diff": {"type": "array", "items": {"type": "object"}},
            "summary": {
                "type": "object",
                "properties": {
                    "cells_added": {"type": "integer"},
                    "cells_removed": {"type": "integer"},
                    "cells_modified": {"type": "integer"},
                    "added": {"type": "array", "items": {"type": "integer"}},
                    "removed": {"type": "array", "items": {"type": "integer"}},
                    "cells_moved": {"type": "integer"},
                    "modified": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/DiffCell"},
                    },
                    "moved": {
                        "description": "Cells moved (base index -> remote index), edited or not; "
                        "the diff encodes each as a removal and an insertion",
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/DiffMove"},
                    },
                    "metadata": {"type": "boolean"},
                },
            },
        },
    },
    "DiffCell": {
        "type": "object",
        "required": ["base", "remote", "parts"],
        "properties": {
            "base": {"type": "integer"},
            "remote": {"type": "integer"},
            "parts": {"type": "array", "items": {"type": "string"}},
        },
    },
    "DiffMove": {
        "type": "object",
        "required": ["base", "remote", "edited", "parts", "diff"],
        "properties": {
            "base": {"type": "integer"},
            "remote": {"type": "integer"},
            "edited": {"type": "boolean"},
            "parts": {"type": "array", "items": {"type": "string"}},
            "diff": {
                "description": "nbdime diff of the base cell to the remote cell; [] unedited",
                "type": "array",
                "items": {"type": "object"},
            },
        },
    },
}

default_handlers = [(r"/diff", DiffHandler)]
