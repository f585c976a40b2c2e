"""`/mltrack/api/checkpoints`: capture, history, names, delete, restore (DESIGN §4).

Thin handlers over `jupyter_mltrack.checkpoints.service`, the operations the Python API and
the magics call too, run in a worker thread. Notebooks are read and written only through the
contents manager (`notebooks.ContentsNotebooks`), so the server's root, hidden-file and
permission rules apply, and routes that read or write them need the `contents` permission
as well (`needs_contents`). Save, rename and delete events of the contents service keep
history in step with JupyterLab (see `on_load`).
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import identity
from ..checkpoints import retention, service
from ..errors import InvalidInput
from .base import (
    AUTH_RESOURCE,  # noqa: F401  (declared per module)
    MLTrackHandler,
    needs_contents,
)
from .notebooks import ContentsNotebooks

CONTENTS_SCHEMA = "https://events.jupyter.org/jupyter_server/contents_service/v1"
MAX_LIST = 1000  # checkpoints per page of GET checkpoints
# The routes match only such ids (openapi.json says the same: tests/test_server_openapi.py).
CHECKPOINT_ID = r"(?P<checkpoint_id>[0-9A-Za-z_-]{1,64})"


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string")
    return value


def _int_arg(handler: MLTrackHandler, name: str, default: int, maximum: int) -> int:
    raw = handler.get_argument(name, None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not {raw!r}") from None
    if not 0 <= value <= maximum:
        raise InvalidInput(f"{name} must be between 0 and {maximum}")
    return value


class CheckpointsBase(MLTrackHandler):
    @property
    def notebooks(self) -> ContentsNotebooks:
        """This server's notebooks, for the operations that read or write one."""
        return ContentsNotebooks(self.contents_manager, int(self.mltrack.config.max_notebook_bytes))

    @property
    def author(self) -> str:
        """The authenticated Jupyter user, as `identity.of_user` records them (the anonymous
        user of token auth is the server's own user)."""
        return identity.of_user(self.current_user)


class CheckpointsHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_argument("path", None)
        # Repeatable (?exclude_trigger=save&exclude_trigger=restore) or a comma list.
        excluded = [
            t.strip()
            for arg in self.get_arguments("exclude_trigger")
            for t in arg.split(",")
            if t.strip()
        ]
        items, total = await self.run_blocking(
            service.history,
            self.store,
            path or None,
            trigger=self.get_argument("trigger", None) or None,
            exclude_triggers=excluded,
            text=self.get_argument("text", None) or None,
            limit=_int_arg(self, "limit", 50, MAX_LIST),
            offset=_int_arg(self, "offset", 0, 10**9),
        )
        self.write_json({"items": [i.as_dict() for i in items], "total": total})

    @web.authenticated
    @authorized
    @needs_contents("read")
    async def post(self) -> None:
        body = self.json_body()
        path = body.get("path")
        if not isinstance(path, str):
            raise InvalidInput("path (a string) is required")
        run_id = body.get("run_id")
        if run_id is not None and not isinstance(run_id, (str, int)):
            raise InvalidInput("run_id must be a run id such as CRED-12")
        info = await self.run_blocking(
            service.create_from,
            self.store,
            self.notebooks,
            path,
            name=_text(body, "name") or "",
            description=_text(body, "description") or "",
            run_id=run_id,
            trigger=body.get("trigger") or "manual",
            author=self.author,
        )
        assert info is not None  # only a skip_if_unchanged create returns None
        self.write_json(info.as_dict(), 201)


class CheckpointHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    @needs_contents("read")
    async def get(self, checkpoint_id: str) -> None:
        self.write_json(await self.run_blocking(service.get, self.store, checkpoint_id))

    @web.authenticated
    @authorized
    async def patch(self, checkpoint_id: str) -> None:
        body = self.json_body()
        entry = await self.run_blocking(
            service.update,
            self.store,
            checkpoint_id,
            name=_text(body, "name"),
            description=_text(body, "description"),
        )
        self.write_json(entry)

    @web.authenticated
    @authorized
    async def delete(self, checkpoint_id: str) -> None:
        await self.run_blocking(service.delete, self.store, checkpoint_id)
        self.set_status(204)
        self.finish()


class RestoreHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    @needs_contents("write")
    async def post(self, checkpoint_id: str) -> None:
        target = _text(self.json_body(), "target_path")
        result = await self.run_blocking(
            service.restore,
            self.store,
            self.notebooks,
            checkpoint_id,
            target or None,
            author=self.author,
        )
        self.write_json(result, 201)


# -- contents events: save -> checkpoint, rename -> history follows, delete -> marked ----------
def on_load(serverapp: Any, svc: Any) -> None:
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    # A save event does not say who saved: the server's user (identity.process_user), whom
    # the anonymous user of token auth and JupyterHub's user both are.
    author = identity.process_user()
    try:
        policy = retention.resolve(svc.config.save_retention)
        serverapp.log.info("jupyter-mltrack: save checkpoints kept: %s", policy.text)
    except InvalidInput as e:
        serverapp.log.error("jupyter-mltrack: %s; every save checkpoint is kept", e)

    async def listener(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        action = data.get("action")
        path = str(data.get("path") or "")
        if action not in ("save", "rename", "delete") or svc.error:
            return
        try:
            if action == "save":
                if not path.endswith(".ipynb") or not svc.config.save_checkpoints:
                    return
                if not svc.lab_settings.save_checkpoints:  # the lab's "Checkpoint on save"
                    return
                notebooks = ContentsNotebooks(
                    serverapp.contents_manager, int(svc.config.max_notebook_bytes)
                )
                await to_thread.run_sync(
                    lambda: service.create_from(
                        svc.store,
                        notebooks,
                        path,
                        trigger="save",
                        author=author,
                        skip_if_unchanged=True,
                        retention=svc.config.save_policy,
                    )
                )
            elif action == "rename":
                source = str(data.get("source_path") or "").strip("/")
                await to_thread.run_sync(service.renamed, svc.store, source, path.strip("/"))
            else:
                await to_thread.run_sync(service.deleted, svc.store, path.strip("/"))
        except Exception as e:  # history must never break saving
            serverapp.log.warning("jupyter-mltrack: %s of %s not recorded: %s", action, path, e)

    logger.add_listener(schema_id=CONTENTS_SCHEMA, listener=listener)


default_handlers = [
    (r"/checkpoints", CheckpointsHandler),
    (rf"/checkpoints/{CHECKPOINT_ID}", CheckpointHandler),
    (rf"/checkpoints/{CHECKPOINT_ID}/restore", RestoreHandler),
]
