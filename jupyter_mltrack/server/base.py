"""What every mltrack handler shares: authentication and authorization through
jupyter_server (`auth_resource = "mltrack"`, plus `contents` for routes that read or write
notebooks: `needs_contents`), JSON errors `{"error", "message"}` mapped from
`jupyter_mltrack.errors` (never with a path on the server's disk: `redaction`), and blocking
store work pushed off the event loop."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

from anyio import to_thread
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..errors import MLTrackError
from ..store.engine import Store
from . import redaction

AUTH_RESOURCE = "mltrack"
CONTENTS_RESOURCE = "contents"
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def needs_contents(action: Literal["read", "write"]) -> Callable[[F], F]:
    """Declares that a route reads or writes notebooks, under `@authorized`: the user must
    also pass jupyter_server's authorizer for `action` on resource `contents`, as for
    `/api/contents` (read: GET; write: PUT, POST...). Otherwise a user whom the server denies
    notebooks could read them through a checkpoint or a diff, or write them by a restore.
    Checked before the handler looks at its arguments: a refusal says nothing about them.
    """
    message = f"User is not authorized to {action} notebooks (resource: {CONTENTS_RESOURCE})."
    check: Any = authorized(action, resource=CONTENTS_RESOURCE, message=message)
    return cast(Callable[[F], F], check)


class MLTrackHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def mltrack(self) -> Any:
        """The `Service` object set up by the extension (see server/__init__.py)."""
        return self.settings["mltrack"]

    @property
    def store(self) -> Store:
        return self.mltrack.store  # type: ignore[no-any-return]

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Store and diff work blocks: run it in a worker thread, never on the event loop."""
        return await to_thread.run_sync(lambda: fn(*args, **kwargs))

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def json_body(self) -> dict[str, Any]:
        try:
            body = self.get_json_body()
        except web.HTTPError:
            raise
        except UnicodeDecodeError:
            # jupyter_server decodes the body before parsing and lets this one escape (a 500).
            raise web.HTTPError(400, "the request body is not UTF-8 JSON") from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return body

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MLTrackError):
            status_code, code, message = exc.status, exc.code, str(exc)
        elif isinstance(exc, web.HTTPError):
            code = _CODES.get(status_code, "error")
            message = exc.log_message or exc.reason or self._reason
            if exc.log_message and exc.args[2:]:
                message = exc.log_message % exc.args[2:]
        else:
            code, message = "internal", "internal error; see the server log"
        message = redaction.redact(str(message), redaction.known_paths(self))
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": code, "message": message}))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, MLTrackError):
            if self._finished:
                return
            self.send_error(e.status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)


_CODES = {
    400: "invalid",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_notebook",
}
