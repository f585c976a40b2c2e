"""Issue 14.3: the mltrack API reads and writes notebooks only for a user whom jupyter_server's
authorizer allows the `contents` resource, read or write, as `/api/contents` would.

A real jupyter_server with a real `Authorizer` subclass (`ServerApp.authorizer_class`) that
allows everything but (some of) `contents`: a user who may see runs and history but not read
or write notebooks. Without the check, `POST checkpoints` and a GET returned the notebook,
`diff?remote=current` read any notebook, and `restore` created or overwrote notebooks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.auth.authorizer import Authorizer
from nbformat.v4 import new_code_cell, new_notebook
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.checkpoints import service

# The operations that read or write a notebook, by the contents action they need.
READS_CONTENTS = {"createCheckpoint", "getCheckpoint", "diff"}
WRITES_CONTENTS = {"restoreCheckpoint"}


class NoContents(Authorizer):
    """Everything but the contents API."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "contents"


class ReadOnlyContents(Authorizer):
    """Everything but writing through the contents API."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "contents" and action == "write")


@pytest.fixture
def authorizer_class() -> type[Authorizer]:
    return NoContents


@pytest.fixture
def jp_server_config(
    authorizer_class: type[Authorizer], jp_server_config: dict[str, Any]
) -> dict[str, Any]:
    return {"ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": authorizer_class}}


@pytest.fixture
def seeded(jp_serverapp: Any, jp_root_dir: Path) -> str:
    """`a.ipynb` on disk and a checkpoint of it, written to the server's store directly."""
    nb = new_notebook(cells=[new_code_cell("secret = 42")])
    nbformat.write(nb, jp_root_dir / "a.ipynb")
    store = jp_serverapp.web_app.settings["mltrack"].store
    info = service.create(store, "a.ipynb", json.loads(json.dumps(nb)), trigger="api")
    assert info is not None
    return info.id


async def status(jp_fetch: Any, *path: str, method: str = "GET", **params: Any) -> int:
    """The status code, and for a refusal the JSON body naming the contents resource."""
    body = json.dumps(params.pop("body", {})) if method in ("POST", "PUT", "PATCH") else None
    try:
        r = await jp_fetch(*path, method=method, params=params, body=body)
    except HTTPClientError as e:
        if e.code == 403 and path[0] == "mltrack":
            err = json.loads(e.response.body)
            assert err["error"] == "forbidden" and "contents" in err["message"], err
        return e.code
    return int(r.code)


async def test_no_contents_permission_no_notebook_through_mltrack(
    jp_fetch: Any, jp_root_dir: Path, seeded: str
) -> None:
    api = ("mltrack", "api")
    before = (jp_root_dir / "a.ipynb").read_bytes()
    assert await status(jp_fetch, "api", "contents", "a.ipynb") == 403  # the premise
    assert (
        await status(jp_fetch, *api, "checkpoints", method="POST", body={"path": "a.ipynb"}) == 403
    )
    assert await status(jp_fetch, *api, "checkpoints", seeded) == 403
    assert (
        await status(jp_fetch, *api, "diff", base=seeded, remote="current", path="a.ipynb") == 403
    )
    assert await status(jp_fetch, *api, "diff", base=seeded, remote=seeded) == 403
    assert await status(jp_fetch, *api, "checkpoints", seeded, "restore", method="POST") == 403
    assert (
        await status(
            jp_fetch,
            *api,
            "checkpoints",
            seeded,
            "restore",
            method="POST",
            body={"target_path": "a.ipynb"},
        )
        == 403
    )
    assert sorted(p.name for p in jp_root_dir.iterdir() if p.suffix == ".ipynb") == ["a.ipynb"]
    assert (jp_root_dir / "a.ipynb").read_bytes() == before
    # History metadata is mltrack's own: listed, renamed, deleted without contents access.
    listed = await jp_fetch(*api, "checkpoints", params={"path": "a.ipynb"})
    assert [i["id"] for i in json.loads(listed.body)["items"]] == [seeded]
    assert (
        await status(jp_fetch, *api, "checkpoints", seeded, method="PATCH", body={"name": "x"})
        == 200
    )
    assert await status(jp_fetch, *api, "checkpoints", seeded, method="DELETE") == 204


async def test_every_operation_that_touches_a_notebook_needs_contents(
    jp_fetch: Any, seeded: str
) -> None:
    """Walks the OpenAPI description: exactly the operations that read or write a notebook
    are refused, each before it looks at its arguments; every other one passes."""
    spec = json.loads((await jp_fetch("mltrack", "api", "openapi.json")).body)
    refused, allowed = set(), set()
    ops = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    for path, method, op in sorted(ops, key=lambda o: o[1] == "delete"):  # deletes last
        real = path.replace("{checkpoint_id}", seeded).replace("{run_id}", "NOPE-1")
        parts = [p for p in re.sub(r"\{path\}", "f", real).split("/") if p]
        params = {"base": seeded, "path": "a.ipynb"} if op["operationId"] == "diff" else {}
        code = await status(jp_fetch, "mltrack", "api", *parts, method=method.upper(), **params)
        (refused if code == 403 else allowed).add(op["operationId"])
    assert refused == READS_CONTENTS | WRITES_CONTENTS
    assert len(allowed) >= 10


@pytest.mark.parametrize("authorizer_class", [ReadOnlyContents])
async def test_read_only_contents_may_checkpoint_and_diff_but_not_restore(
    jp_fetch: Any, jp_root_dir: Path, seeded: str
) -> None:
    api = ("mltrack", "api")
    assert (
        await status(jp_fetch, *api, "checkpoints", method="POST", body={"path": "a.ipynb"}) == 201
    )
    assert await status(jp_fetch, *api, "checkpoints", seeded) == 200
    assert await status(jp_fetch, *api, "diff", base=seeded, remote="current") == 200
    assert await status(jp_fetch, *api, "checkpoints", seeded, "restore", method="POST") == 403
    assert sorted(p.name for p in jp_root_dir.iterdir() if p.suffix == ".ipynb") == ["a.ipynb"]
