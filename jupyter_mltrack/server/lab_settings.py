"""`/mltrack/api/lab-settings`: the lab settings the server acts on, as the lab sends them.

"Checkpoint on save" (`saveCheckpoints` in schema/plugin.json) is a lab setting, but save
checkpoints are taken here, from jupyter_server's contents events. The lab reads its settings
through its settings registry and PUTs what the server needs whenever they load or change
(src/settings.ts); the server keeps the last answer in memory, and never reads the lab's
user-settings files (where they live, and whether they are files at all, is the lab's
business). Until a lab has spoken, the schema's default holds, so saves made without any lab
are checkpointed as before; a lab started later, or reconnecting after a server restart, says
so at once (`source` tells it whether it must). `c.MLTrack.save_checkpoints = False` still
switches save checkpoints off for everyone, whatever the lab says.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import InvalidInput
from .base import AUTH_RESOURCE, MLTrackHandler  # noqa: F401  (declared per module)


class LabSettings:
    """The settings a lab sent last; the schema's defaults until one has (`source`)."""

    def __init__(self) -> None:
        self.save_checkpoints = True
        self.source = "default"

    def as_json(self) -> dict[str, Any]:
        return {"saveCheckpoints": self.save_checkpoints, "source": self.source}

    def update(self, body: dict[str, Any]) -> None:
        """Take the lab's settings; a body that is not exactly them changes nothing."""
        unknown = sorted(set(body) - {"saveCheckpoints"})
        if unknown:
            raise InvalidInput(f"unknown lab settings: {', '.join(unknown)}")
        value = body.get("saveCheckpoints")
        if not isinstance(value, bool):
            raise InvalidInput("saveCheckpoints must be true or false")
        self.save_checkpoints = value
        self.source = "lab"


class LabSettingsHandler(MLTrackHandler):
    @property
    def lab_settings(self) -> LabSettings:
        return self.mltrack.lab_settings  # type: ignore[no-any-return]

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.lab_settings.as_json())

    @web.authenticated
    @authorized
    async def put(self) -> None:
        self.lab_settings.update(self.json_body())
        self.write_json(self.lab_settings.as_json())


default_handlers = [(r"/lab-settings", LabSettingsHandler)]
