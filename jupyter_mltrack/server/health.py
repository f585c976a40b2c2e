"""`GET /mltrack/api/health`: which store the server uses, so the lab and users can check."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .._version import __version__
from .base import AUTH_RESOURCE, MLTrackHandler  # noqa: F401  (declared per module)


class HealthHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        store = self.store
        revision = await self.run_blocking(store.revision)
        body = health_payload(store.config.masked_url, store.blobs.location, revision)
        # The save retention in force (checkpoints/retention.py), for the lab's settings.
        body["save_retention"] = self.mltrack.config.save_policy.text
        self.write_json(body)


def health_payload(store_url: str, blob_root: str, revision: str | None) -> dict[str, Any]:
    return {
        "version": __version__,
        "store": store_url,
        "blob_root": blob_root,
        "schema_revision": revision,
        "backend": store_url.split(":", 1)[0].split("+", 1)[0],
    }


default_handlers = [(r"/health", HealthHandler)]
