"""`GET /mltrack/api/openapi.json`: the OpenAPI 3.1 description, assembled from the
`OPENAPI_PATHS` / `OPENAPI_SCHEMAS` each handler module declares beside its routes, so the
spec cannot drift from the route table."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .._version import __version__
from .base import MLTrackHandler

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def build_spec(modules: list[ModuleType], base_url: str = "/") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for module in modules:
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    for ops in paths.values():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            op["responses"].setdefault(
                "403",
                {
                    "description": "Not authenticated or not authorized",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter-mltrack", "version": __version__},
        "servers": [{"url": base_url.rstrip("/") + "/mltrack/api"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"token": []}],
    }


class OpenAPIHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.mltrack.openapi)


OPENAPI_PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "summary": "This OpenAPI description",
            "operationId": "openapi",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
}

default_handlers = [(r"/openapi\.json", OpenAPIHandler)]
