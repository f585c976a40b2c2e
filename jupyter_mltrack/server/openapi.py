"""`GET /mltrack/api/openapi.json`: the OpenAPI 3.1 description of the REST API.

`openapi.json` beside this module is the one description: the server serves it with its
version and base URL filled in, `jlpm gen:api` generates the lab's types from it
(src/generated/api.ts), and the tests check it against the route table
(tests/test_server_openapi.py) and fuzz the server with it (tests/security/test_fuzz.py).
Describe a new route or field there, not in Python.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .._version import __version__
from .base import MLTrackHandler

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def document() -> dict[str, Any]:
    """The description as written (read once)."""
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def build_spec(base_url: str = "/") -> dict[str, Any]:
    """What the server serves: the document with this version and this server's base URL."""
    spec = copy.deepcopy(document())
    spec["info"]["version"] = __version__
    spec["servers"] = [{"url": base_url.rstrip("/") + "/mltrack/api"}]
    return spec


class OpenAPIHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.mltrack.openapi)


default_handlers = [(r"/openapi\.json", OpenAPIHandler)]
