"""`GET /mltrack/api/diff` through a real jupyter_server reports moved cells in its summary,
and the answer matches the OpenAPI schema the server publishes (with `DiffMove`)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import nbdime
import nbformat
from nbdime.diff_utils import to_diffentry_dicts
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


async def call(jp_fetch: Any, *path: str, method: str = "GET", **kw: Any) -> Any:
    body = json.dumps(kw.pop("body")) if "body" in kw else None
    r = await jp_fetch("mltrack", "api", *path, method=method, params=kw, body=body)
    return json.loads(r.body)


async def test_diff_answer_lists_moves_and_matches_its_schema(jp_fetch, jp_root_dir):
    cells = [new_markdown_cell("# Data")]
    cells += [new_code_cell(f"part_{i} = load({i})\npart_{i}.head()") for i in range(6)]
    cells.append(new_markdown_cell("## Model\nFitted on every part."))
    base = new_notebook(cells=cells)
    nbformat.write(base, jp_root_dir / "m.ipynb")
    first = await call(jp_fetch, "checkpoints", method="POST", body={"path": "m.ipynb"})
    remote = nbformat.from_dict(json.loads(json.dumps(base)))
    heading = remote.cells.pop(7)
    heading.source = "## The model\nFitted on every part."
    remote.cells.insert(1, heading)
    nbformat.write(remote, jp_root_dir / "m.ipynb")
    second = await call(jp_fetch, "checkpoints", method="POST", body={"path": "m.ipynb"})

    out = await call(jp_fetch, "diff", base=first["id"], remote=second["id"])

    summary = out["summary"]
    assert (summary["cells_added"], summary["cells_removed"], summary["cells_moved"]) == (0, 0, 1)
    (move,) = summary["moved"]
    assert (move["base"], move["remote"], move["edited"], move["parts"]) == (
        7,
        1,
        True,
        ["markdown"],
    )
    stored = (await call(jp_fetch, "checkpoints", second["id"]))["content"]
    assert nbdime.patch_notebook(out["base"], to_diffentry_dicts(out["diff"])) == stored
    spec = json.loads((await jp_fetch("mltrack", "api", "openapi.json")).body)
    schemas = spec["components"]["schemas"]
    assert {"moved", "cells_moved"} <= set(schemas["DiffSummary"]["properties"])
    assert schemas["DiffMove"]["required"] == ["base", "remote", "edited", "parts", "diff"]
    jsonschema.validate(
        out, {"$ref": "#/components/schemas/Diff", "components": spec["components"]}
    )
