"""jupyter_mltrack/server/openapi.json is the one description of the REST API: it names every
route of the route table with exactly the methods its handler has, every reference in it
resolves, its limits are the server's, it is what GET openapi.json serves, and the lab's types
(src/generated/api.ts) are generated from it by `jlpm gen:api` (openapi-typescript)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from query_helpers import float_series, make_run, scalar

from jupyter_mltrack.query.series import MAX_POINTS
from jupyter_mltrack.server import MODULES, checkpoints, fallback, openapi, runs
from jupyter_mltrack.server.base import MLTrackHandler
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import runs as run_store
from jupyter_mltrack.store.engine import open_store
from jupyter_mltrack.store.entities import TRIGGERS

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")


def _routes() -> dict[str, set[str]]:
    """Route template (`/runs/{run_id}`) -> the HTTP methods its handler defines."""
    out: dict[str, set[str]] = {}
    for module in MODULES:
        if module is fallback:  # the JSON 404 for every other URL
            continue
        for pattern, handler in module.default_handlers:
            template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern).replace("\\", "")
            out[template] = {
                m for m in METHODS if getattr(handler, m) is not getattr(MLTrackHandler, m)
            }
    return out


def test_the_document_describes_every_route_with_its_methods() -> None:
    doc = openapi.build_spec()
    described = {path: set(ops) for path, ops in doc["paths"].items()}
    assert described == _routes()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_resolves_and_every_schema_is_used() -> None:
    doc = openapi.build_spec()
    refs = set(_refs(doc))
    for ref in refs:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    schemas = {f"#/components/schemas/{name}" for name in doc["components"]["schemas"]}
    assert schemas <= refs, schemas - refs


def test_the_documents_limits_are_the_servers() -> None:
    doc = openapi.document()

    def param(path: str, name: str) -> dict[str, Any]:
        found = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name]
        schema: dict[str, Any] = found[0]["schema"]
        return schema

    assert param("/runs", "limit")["maximum"] == runs.MAX_PAGE
    assert param("/runs/{run_id}/series", "max_points")["maximum"] == MAX_POINTS
    assert param("/checkpoints", "limit")["maximum"] == checkpoints.MAX_LIST
    assert param("/checkpoints", "trigger")["enum"] == list(TRIGGERS)
    pattern = param("/checkpoints/{checkpoint_id}", "checkpoint_id")["pattern"]
    assert re.fullmatch(checkpoints.CHECKPOINT_ID, "x" * 64) and re.fullmatch(pattern, "x" * 64)
    assert pattern == "^" + re.sub(r"\(\?P<\w+>(.*)\)$", r"\1", checkpoints.CHECKPOINT_ID) + "$"
    schemas = doc["components"]["schemas"]
    assert schemas["Checkpoint"]["properties"]["trigger"]["enum"] == list(TRIGGERS)
    for body in ("CheckpointCreate", "CheckpointUpdate"):
        props = schemas[body]["properties"]
        assert props["name"]["maxLength"] == repo.MAX_NAME
        assert props["description"]["maxLength"] == repo.MAX_DESCRIPTION


def test_no_server_module_writes_openapi_fragments() -> None:
    """The document is the only place: no OPENAPI_* dict literals beside the routes."""
    for module in MODULES:
        assert not hasattr(module, "OPENAPI_PATHS"), module.__name__
        assert not hasattr(module, "OPENAPI_SCHEMAS"), module.__name__


async def test_the_server_serves_the_document(jp_fetch: Any) -> None:
    served = json.loads((await jp_fetch("mltrack", "api", "openapi.json")).body)
    assert served["paths"] == openapi.build_spec()["paths"]
    assert served["info"]["version"] != "dev"
    assert served["servers"][0]["url"].endswith("/mltrack/api")


def _conforms(body: Any, schema_name: str) -> None:
    """`body` is valid for the document's component schema (OpenAPI 3.1 schemas are JSON
    Schema 2020-12; references resolve inside the document)."""
    doc = openapi.document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


async def test_the_runs_answers_are_what_the_document_says(jp_fetch: Any) -> None:
    """The schemas the lab's types come from describe what the server really sends: every
    kind of value, a run with and without an end, a series and an abort."""
    store = open_store()
    done = make_run(store, name="done", notebook_path="n.ipynb")
    scalar(store, done, "params/lr", 0.1)
    scalar(store, done, "params/n", 3)
    scalar(store, done, "params/opt", "adam")
    scalar(store, done, "params/ok", True)
    scalar(store, done, "sys/tags", {"best"})
    scalar(store, done, "data/file", {"sha256": "0" * 64, "size": 1, "ext": "txt"})
    float_series(store, done, "train/loss", [1.0, math.nan, 0.5])
    run_store.set_state(store, done.id, "finished")
    live = make_run(store, name="live")

    async def get(*parts: str, **params: str) -> Any:
        r = await jp_fetch("mltrack", "api", *parts, params=params)
        return json.loads(r.body)

    cols = "params/lr,params/n,params/opt,params/ok,data/file,min(train/loss),sys/project"
    _conforms(await get("runs", columns=cols), "RunsTable")
    _conforms(await get("fields"), "FieldPaths")
    _conforms(await get("runs", done.short_id), "RunDetail")
    _conforms(await get("runs", live.short_id), "RunDetail")
    _conforms(await get("runs", done.short_id, "series", field="train/loss"), "Series")
    _conforms(await get("runs", done.short_id, "cells"), "RunCells")
    _conforms(await get("health"), "Health")
    _conforms(await get("lab-settings"), "LabSettings")
    r = await jp_fetch("mltrack", "api", "runs", live.short_id, "abort", method="POST", body="{}")
    _conforms(json.loads(r.body), "AbortResult")


def test_the_generated_typescript_types_are_current(tmp_path: Path) -> None:
    """src/generated/api.ts is what `jlpm gen:api` (openapi-typescript) writes from the
    document: the script of package.json is run with a temporary output and compared."""
    script = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["scripts"]["gen:api"]
    committed_path = "src/generated/api.ts"
    assert committed_path in script
    out = tmp_path / "api.ts"
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
    }
    r = subprocess.run(
        script.replace(committed_path, str(out)),
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    committed = (ROOT / committed_path).read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        f"{committed_path} is stale: run `jlpm gen:api` and commit it"
    )
