"""`/mltrack/api/checkpoints`: capture, history, names, delete, restore (DESIGN §4).

Notebooks are read and written only through the contents manager, so the server's root,
hidden-file and permission rules apply; on top of it a path must be a non-hidden `.ipynb`
whose real file (symlinks resolved) stays inside the root, and under
`c.MLTrack.max_notebook_bytes`. Save, rename and delete events of the contents service keep
history in step with JupyterLab (see `on_load`). The work itself lives in
`jupyter_mltrack.checkpoints.service`, run in a worker thread.
"""

from __future__ import annotations

import getpass
import os
import posixpath
from typing import Any

import nbformat
from anyio import to_thread
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import ensure_async
from tornado import web

from ..checkpoints import counts, service
from ..checkpoints.files import Parsed, normalize_path, parse, untrusted
from ..errors import Forbidden, InvalidInput, InvalidNotebook, NotFound, TooLarge
from ..store import checkpoints as repo
from ..store.models import TRIGGERS
from .base import (
    AUTH_RESOURCE,  # noqa: F401  (declared per module)
    MLTrackHandler,
    needs_contents,
)

CONTENTS_SCHEMA = "https://events.jupyter.org/jupyter_server/contents_service/v1"


# -- the contents-manager edge ----------------------------------------------------------------
def _check_real_path(cm: Any, path: str) -> None:
    """jupyter_server checks the lexical path only: refuse symlinks leading out of the root."""
    get_os_path = getattr(cm, "_get_os_path", None)
    root = getattr(cm, "root_dir", None)
    if get_os_path is None or not root:
        return
    try:
        real = os.path.realpath(get_os_path(path))
    except web.HTTPError:
        raise Forbidden(f"{path} is outside the server root") from None
    real_root = os.path.realpath(root)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise Forbidden(f"{path} points outside the server root")


async def read_notebook(cm: Any, path: str, max_bytes: int) -> tuple[str, Parsed]:
    """(clean path, notebook and its split) read through the contents manager, validated once
    (`files.parse`)."""
    clean = normalize_path(path)
    _check_real_path(cm, clean)
    try:
        model = await ensure_async(cm.get(clean, content=False))
    except web.HTTPError as e:
        if e.status_code == 404:
            raise NotFound(f"no notebook {clean}") from None
        raise
    if model.get("type") != "notebook":
        raise InvalidNotebook(f"{clean} is not a notebook")
    size = model.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise TooLarge(f"{clean} is {size} bytes, over the {max_bytes}-byte limit")
    # Read the text through the contents manager, then parse and validate once ourselves:
    # `type="notebook"` would also sign-check every cell against the notary database, which
    # costs 3-5x the validation itself on a large notebook and tells a checkpoint nothing.
    try:
        model = await ensure_async(cm.get(clean, content=True, type="file", format="text"))
    except web.HTTPError as e:
        if e.status_code == 404:
            raise NotFound(f"no notebook {clean}") from None
        raise InvalidNotebook(f"{clean} is not a readable notebook: {e.log_message}") from None
    # Parsing a large notebook takes milliseconds: in a worker thread, not on the event loop.
    return clean, await to_thread.run_sync(parse, model["content"], clean)


async def _exists(cm: Any, path: str) -> bool:
    return bool(await ensure_async(cm.exists(path)))


async def write_notebook(cm: Any, path: str, nb: dict[str, Any]) -> None:
    """Save `nb` at `path` through the contents manager, untrusted (issue 14.1).

    `cm.save` signs a notebook when `notary.check_cells` passes: every code cell flagged
    `trusted`, or without unsafe output. The flags are dropped (`untrusted`), and whatever
    signature the save added is removed again, so a restored notebook runs no script until
    the user trusts it by hand. A signature that was there before is kept: the notary trusts
    content, and this exact content was run or trusted by the user (dropping it would
    untrust their original notebook too).
    """
    _check_real_path(cm, path)
    folder = posixpath.dirname(path)
    if folder and not await ensure_async(cm.dir_exists(folder)):
        # The contents manager would fail with a 500 naming the file on the server's disk.
        raise NotFound(f"no folder {folder} to write {path} into; create it first")
    doc = nbformat.from_dict(untrusted(nb))  # type: ignore[no-untyped-call]
    notary = getattr(cm, "notary", None)
    known = _trusted_before(notary, doc)
    await ensure_async(cm.save({"type": "notebook", "format": "json", "content": doc}, path))
    if notary is None or known:
        return
    try:
        # The digest `save` signed: `cm.save` signs `nbformat.from_dict` of this content.
        notary.unsign(doc)
    except Exception as e:  # a broken signature store; `check_cells` failed anyway on JS
        cm.log.warning("jupyter-mltrack: could not unsign restored notebook %s: %s", path, e)


def _trusted_before(notary: Any, doc: Any) -> bool:
    """Whether the notary's database already trusts this exact content."""
    if notary is None:
        return False
    try:
        return bool(notary.check_signature(doc))
    except Exception:  # an unreadable signature store trusts nothing
        return False


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
    def max_bytes(self) -> int:
        return int(self.mltrack.config.max_notebook_bytes)

    @property
    def author(self) -> str:
        user = self.current_user
        return str(getattr(user, "username", "") or getattr(user, "name", "") or "")


class CheckpointsHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_argument("path", None)
        clean = normalize_path(path) if path else None
        trigger = self.get_argument("trigger", None) or None
        # Repeatable (?exclude_trigger=save&exclude_trigger=restore) or a comma list.
        excluded = [
            t.strip()
            for arg in self.get_arguments("exclude_trigger")
            for t in arg.split(",")
            if t.strip()
        ]
        text = self.get_argument("text", None) or None
        limit = _int_arg(self, "limit", 50, 1000)
        offset = _int_arg(self, "offset", 0, 10**9)
        items, total = await self.run_blocking(
            counts.history,  # counts as listed (issue 17.2)
            self.store,
            clean,
            trigger=trigger,
            exclude_triggers=excluded,
            text=text,
            limit=limit,
            offset=offset,
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
        trigger = body.get("trigger") or "manual"
        if trigger not in TRIGGERS:
            raise InvalidInput(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
        run_id = body.get("run_id")
        if run_id is not None and not isinstance(run_id, (str, int)):
            raise InvalidInput("run_id must be a run id such as CRED-12")
        name, description = _text(body, "name") or "", _text(body, "description") or ""
        repo.check_text(name, description)
        clean, parsed = await read_notebook(self.contents_manager, path, self.max_bytes)
        info = await self.run_blocking(
            service.create,
            self.store,
            clean,
            parsed.nb,
            split=parsed.split,
            name=name,
            description=description,
            run_id=run_id,
            trigger=trigger,
            author=self.author,
        )
        assert info is not None
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
        info = await self.run_blocking(
            repo.update_text,
            self.store,
            checkpoint_id,
            name=_text(body, "name"),
            description=_text(body, "description"),
        )
        self.write_json(info.as_dict())

    @web.authenticated
    @authorized
    async def delete(self, checkpoint_id: str) -> None:
        await self.run_blocking(repo.remove, self.store, checkpoint_id)
        self.set_status(204)
        self.finish()


class RestoreHandler(CheckpointsBase):
    @web.authenticated
    @authorized
    @needs_contents("write")
    async def post(self, checkpoint_id: str) -> None:
        body = self.json_body()
        target_arg = _text(body, "target_path")
        entry = await self.run_blocking(service.get, self.store, checkpoint_id)
        cm = self.contents_manager
        if target_arg:
            target = normalize_path(target_arg)
        else:
            for target in service.restore_names(
                normalize_path(entry["notebook_path"]), checkpoint_id
            ):
                if not await _exists(cm, target):
                    break
        safety = None
        if await _exists(cm, target):
            clean, current = await read_notebook(cm, target, self.max_bytes)
            info = await self.run_blocking(
                service.create,
                self.store,
                clean,
                current.nb,
                split=current.split,
                name=f"before restoring {checkpoint_id}",
                trigger="restore",
                author=self.author,
            )
            safety = info.id if info else None
        await write_notebook(cm, target, entry["content"])
        self.write_json(
            {"path": target, "checkpoint": checkpoint_id, "safety_checkpoint": safety}, 201
        )


# -- contents events: save -> checkpoint, rename -> history follows, delete -> marked ----------
def on_load(serverapp: Any, svc: Any) -> None:
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    try:
        author = getpass.getuser()
    except Exception:  # no user name is not an error
        author = ""

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
                clean, parsed = await read_notebook(
                    serverapp.contents_manager, path, int(svc.config.max_notebook_bytes)
                )
                await to_thread.run_sync(
                    lambda: service.create(
                        svc.store,
                        clean,
                        parsed.nb,
                        split=parsed.split,
                        trigger="save",
                        author=author,
                        skip_if_unchanged=True,
                    )
                )
            elif action == "rename":
                source = str(data.get("source_path") or "").strip("/")
                await to_thread.run_sync(repo.rename, svc.store, source, path.strip("/"))
            else:
                await to_thread.run_sync(repo.mark_deleted, svc.store, path.strip("/"))
        except Exception as e:  # history must never break saving
            serverapp.log.warning("jupyter-mltrack: %s of %s not recorded: %s", action, path, e)

    logger.add_listener(schema_id=CONTENTS_SCHEMA, listener=listener)


# -- OpenAPI -----------------------------------------------------------------------------------
def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "Error", "content": _json("Error")} for c in codes}


# The route only matches this pattern; any other id would get the server's HTML 404 page.
_ID = {
    "name": "checkpoint_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"},
}
OPENAPI_PATHS: dict[str, Any] = {
    "/checkpoints": {
        "get": {
            "summary": "History of one notebook (path) or all notebooks, newest first",
            "operationId": "listCheckpoints",
            "parameters": [
                {"name": "path", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "trigger",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(TRIGGERS)},
                },
                {
                    "name": "exclude_trigger",
                    "in": "query",
                    "description": "Leave out these triggers (repeat the parameter, or give a "
                    "comma-separated list); `total` counts only what is listed.",
                    "style": "form",
                    "explode": True,
                    "schema": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(TRIGGERS)},
                    },
                },
                {"name": "text", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 1000},
                },
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            ],
            "responses": {
                "200": {"description": "A page of history", "content": _json("CheckpointList")},
                **_errors(400, 403, 422),
            },
        },
        "post": {
            "summary": "Snapshot the saved notebook through the contents manager",
            "operationId": "createCheckpoint",
            "requestBody": {"required": True, "content": _json("CheckpointCreate")},
            "responses": {
                "201": {"description": "The new checkpoint", "content": _json("Checkpoint")},
                **_errors(400, 403, 404, 413, 422),
            },
        },
    },
    "/checkpoints/{checkpoint_id}": {
        "get": {
            "summary": "A checkpoint with its linked runs and the notebook content",
            "operationId": "getCheckpoint",
            "parameters": [_ID],
            "responses": {
                "200": {"description": "The checkpoint", "content": _json("CheckpointWithContent")},
                **_errors(403, 404),
            },
        },
        "patch": {
            "summary": "Rename or describe a checkpoint",
            "operationId": "updateCheckpoint",
            "parameters": [_ID],
            # An empty PATCH is accepted as "change nothing".
            "requestBody": {"required": False, "content": _json("CheckpointUpdate")},
            "responses": {
                "200": {"description": "The checkpoint", "content": _json("Checkpoint")},
                **_errors(400, 404),
            },
        },
        "delete": {
            "summary": "Delete a checkpoint",
            "operationId": "deleteCheckpoint",
            "parameters": [_ID],
            "responses": {"204": {"description": "Deleted"}, **_errors(404)},
        },
    },
    "/checkpoints/{checkpoint_id}/restore": {
        "post": {
            "summary": "Write a checkpoint as a new notebook, or over one after a safety copy",
            "operationId": "restoreCheckpoint",
            "parameters": [_ID],
            "requestBody": {"content": _json("RestoreRequest")},
            "responses": {
                "201": {"description": "Where it was written", "content": _json("RestoreResult")},
                **_errors(400, 403, 404, 413, 422),
            },
        },
    },
}
_ENTRY_PROPS: dict[str, Any] = {
    "id": {"type": "string"},
    "notebook_path": {"type": "string"},
    "captured_path": {"type": "string"},
    "notebook_deleted": {"type": "boolean"},
    "seq": {"type": "integer"},
    "parent_id": {"type": ["string", "null"]},
    "created_at": {"type": "number"},
    "name": {"type": "string"},
    "description": {"type": "string"},
    "trigger": {"type": "string", "enum": list(TRIGGERS)},
    "author": {"type": "string"},
    "size": {"type": "integer"},
    # nbformat's message when the notebook is invalid but Jupyter opens it: stored as it is.
    "validation_warning": {"type": ["string", "null"]},
    "changes": {
        "type": "object",
        "properties": {k: {"type": "integer"} for k in ("added", "removed", "modified")},
    },
    "runs": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "state": {"type": "string"},
                "project": {"type": "string"},
            },
        },
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "Checkpoint": {"type": "object", "required": list(_ENTRY_PROPS), "properties": _ENTRY_PROPS},
    "CheckpointWithContent": {
        "type": "object",
        "required": [*_ENTRY_PROPS, "content"],
        "properties": {**_ENTRY_PROPS, "content": {"type": "object"}},
    },
    "CheckpointList": {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Checkpoint"}},
            "total": {"type": "integer"},
        },
    },
    "CheckpointCreate": {
        "type": "object",
        "required": ["path"],
        "properties": {
            "path": {"type": "string"},
            "name": {"type": "string", "maxLength": repo.MAX_NAME},
            "description": {"type": "string", "maxLength": repo.MAX_DESCRIPTION},
            "run_id": {"type": ["string", "integer", "null"]},
            "trigger": {"type": "string", "enum": list(TRIGGERS)},
        },
    },
    "CheckpointUpdate": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": repo.MAX_NAME},
            "description": {"type": "string", "maxLength": repo.MAX_DESCRIPTION},
        },
    },
    "RestoreRequest": {
        "type": "object",
        "properties": {"target_path": {"type": ["string", "null"]}},
    },
    "RestoreResult": {
        "type": "object",
        "required": ["path", "checkpoint", "safety_checkpoint"],
        "properties": {
            "path": {"type": "string"},
            "checkpoint": {"type": "string"},
            "safety_checkpoint": {"type": ["string", "null"]},
        },
    },
}

_CID = r"(?P<checkpoint_id>[0-9A-Za-z_-]{1,64})"
default_handlers = [
    (r"/checkpoints", CheckpointsHandler),
    (rf"/checkpoints/{_CID}", CheckpointHandler),
    (rf"/checkpoints/{_CID}/restore", RestoreHandler),
]
