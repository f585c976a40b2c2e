"""REST checkpoints and diff against a real jupyter_server: capture through the contents
manager, history, PATCH/DELETE, restore, diff, save/rename/delete events, and the refusals
(auth, paths outside the root, symlink escapes, hidden files, non-notebooks, size, bad ids)."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import nbdime
import nbformat
import pytest
from nbdime.diff_utils import to_diffentry_dicts
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from tornado.httpclient import HTTPClientError


def make_nb(n: int = 6, tag: str = "") -> Any:
    cells = [new_markdown_cell(f"# notes {tag}")]
    for i in range(n):
        c = new_code_cell(f"x = {i}\nprint(x){tag}", execution_count=i + 1)
        c.outputs = [new_output("stream", name="stdout", text=f"{i}\n")]
        cells.append(c)
    return new_notebook(cells=cells, metadata={})


async def call(jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, **params: Any):
    kwargs: dict[str, Any] = {"method": method, "params": params}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    elif method in ("POST", "PATCH"):
        kwargs["body"] = "{}"
    r = await jp_fetch("mltrack", "api", *path, **kwargs)
    return json.loads(r.body) if r.body else None


async def status_of(jp_fetch: Any, *path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as e:
        await call(jp_fetch, *path, **kw)
    body = json.loads(e.value.response.body)
    assert set(body) == {"error", "message"}
    return e.value.code, body


@pytest.fixture
def root(jp_root_dir):
    nbformat.write(make_nb(), jp_root_dir / "a.ipynb")
    return jp_root_dir


async def test_capture_history_get_patch_delete(jp_fetch, root):
    entry = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "a.ipynb", "name": "first", "trigger": "manual"},
    )
    assert entry["notebook_path"] == "a.ipynb" and entry["name"] == "first"
    assert entry["author"] and entry["changes"]["added"] == 7 and entry["runs"] == []
    full = await call(jp_fetch, "checkpoints", entry["id"])
    assert full["content"] == json.loads(json.dumps(nbformat.read(root / "a.ipynb", 4)))
    page = await call(jp_fetch, "checkpoints", path="a.ipynb")
    assert page["total"] == 1 and page["items"][0]["id"] == entry["id"]
    patched = await call(
        jp_fetch, "checkpoints", entry["id"], method="PATCH", body={"description": "baseline"}
    )
    assert patched["description"] == "baseline" and patched["name"] == "first"
    code, err = await status_of(
        jp_fetch, "checkpoints", entry["id"], method="PATCH", body={"name": "x" * 513}
    )
    assert code == 400 and "512" in err["message"]
    await jp_fetch("mltrack", "api", "checkpoints", entry["id"], method="DELETE")
    code, _ = await status_of(jp_fetch, "checkpoints", entry["id"])
    assert code == 404


async def test_run_link_is_listed_with_state(jp_fetch, root):
    from jupyter_mltrack.store import runs
    from jupyter_mltrack.store.engine import open_store

    run = runs.create(open_store(), "credit")
    entry = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "a.ipynb", "run_id": run.short_id, "trigger": "run"},
    )
    assert entry["runs"] == [{"id": run.short_id, "state": "running", "project": "credit"}]
    code, _ = await status_of(
        jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb", "run_id": "NOPE-1"}
    )
    assert code == 404


async def test_list_excludes_triggers_and_counts_only_what_it_lists(jp_fetch, root):
    made = {}
    for trigger in ("manual", "save", "api", "save", "restore"):
        entry = await call(
            jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb", "trigger": trigger}
        )
        made.setdefault(trigger, []).append(entry["id"])

    async def listed(params: list[tuple[str, str]]) -> tuple[list[str], int]:
        r = await jp_fetch("mltrack", "api", "checkpoints", params=params)
        body = json.loads(r.body)
        return [i["trigger"] for i in body["items"]], body["total"]

    everything, total = await listed([("path", "a.ipynb")])
    assert sorted(everything) == ["api", "manual", "restore", "save", "save"] and total == 5
    no_saves, total = await listed([("path", "a.ipynb"), ("exclude_trigger", "save")])
    assert no_saves == ["restore", "api", "manual"] and total == 3  # newest first
    # Repeated, comma-separated, and both at once with blanks: the same filter.
    for params in (
        [("exclude_trigger", "save"), ("exclude_trigger", "restore")],
        [("exclude_trigger", "save,restore")],
        [("exclude_trigger", " save , "), ("exclude_trigger", "restore,save")],
    ):
        items, total = await listed([("path", "a.ipynb"), *params])
        assert items == ["api", "manual"] and total == 2, params
    # Paging keeps counting the filtered set.
    page, total = await listed([("exclude_trigger", "save"), ("limit", "1"), ("offset", "2")])
    assert page == ["manual"] and total == 3
    # Combined with trigger=, and an empty value is no filter.
    assert await listed([("trigger", "save"), ("exclude_trigger", "api")]) == (["save"] * 2, 2)
    assert (await listed([("exclude_trigger", "")]))[1] == 5
    code, body = await status_of(jp_fetch, "checkpoints", exclude_trigger="save,nope")
    assert code == 400 and "'nope'" in body["message"]


async def test_diff_between_checkpoints_and_current(jp_fetch, root):
    first = await call(jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb"})
    nb = nbformat.read(root / "a.ipynb", 4)
    nb.cells[2].source = "x = 100"
    nb.cells.insert(3, new_markdown_cell("new"))
    nbformat.write(nb, root / "a.ipynb")
    out = await call(jp_fetch, "diff", base=first["id"], remote="current")
    assert out["summary"]["cells_added"] == 1 and out["summary"]["cells_modified"] == 1
    patch = to_diffentry_dicts(out["diff"])
    assert nbdime.patch_notebook(nbformat.from_dict(out["base"]), patch) == nb
    second = await call(jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb"})
    assert second["changes"] == {"added": 1, "removed": 0, "modified": 1, "moved": 0}
    between = await call(jp_fetch, "diff", base=first["id"], remote=second["id"])
    assert between["diff"] == out["diff"]
    code, _ = await status_of(jp_fetch, "diff", base="nope", remote="current")
    assert code == 404
    code, _ = await status_of(jp_fetch, "diff")
    assert code == 400


async def test_restore_as_new_and_over_original(jp_fetch, root):
    first = await call(jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb"})
    nbformat.write(make_nb(tag="#changed"), root / "a.ipynb")
    out = await call(jp_fetch, "checkpoints", first["id"], "restore", method="POST")
    assert out["path"] == f"a-restored-{first['id'][:6]}.ipynb" and out["safety_checkpoint"] is None
    restored = nbformat.read(root / out["path"], 4)
    assert "#changed" not in restored.cells[1].source
    over = await call(
        jp_fetch,
        "checkpoints",
        first["id"],
        "restore",
        method="POST",
        body={"target_path": "a.ipynb"},
    )
    safety = await call(jp_fetch, "checkpoints", over["safety_checkpoint"])
    assert safety["trigger"] == "restore" and "#changed" in safety["content"]["cells"][1]["source"]
    assert "#changed" not in nbformat.read(root / "a.ipynb", 4).cells[1].source


async def test_save_rename_delete_events_drive_history(jp_fetch, jp_serverapp, root):
    cm = jp_serverapp.contents_manager
    model = {"type": "notebook", "format": "json", "content": make_nb(tag="#1")}

    async def saved(path: str, expect: int) -> list[dict[str, Any]]:
        for _ in range(100):
            page = await call(jp_fetch, "checkpoints", path=path)
            if page["total"] >= expect:
                return list(page["items"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"{path}: {page['total']} checkpoints, expected {expect}")

    await jp_fetch("api", "contents", "b.ipynb", method="PUT", body=json.dumps(model))
    items = await saved("b.ipynb", 1)
    assert items[0]["trigger"] == "save"
    # Saving the same content again takes no checkpoint.
    await jp_fetch("api", "contents", "b.ipynb", method="PUT", body=json.dumps(model))
    model["content"] = make_nb(tag="#2")
    await jp_fetch("api", "contents", "b.ipynb", method="PUT", body=json.dumps(model))
    items = await saved("b.ipynb", 2)
    assert len(items) == 2
    await jp_fetch(
        "api", "contents", "b.ipynb", method="PATCH", body=json.dumps({"path": "c.ipynb"})
    )
    items = await saved("c.ipynb", 2)
    assert {i["notebook_path"] for i in items} == {"c.ipynb"}
    await jp_fetch("api", "contents", "c.ipynb", method="DELETE")
    for _ in range(100):
        page = await call(jp_fetch, "checkpoints")
        if all(i["notebook_deleted"] for i in page["items"] if i["notebook_path"] == "c.ipynb"):
            break
        await asyncio.sleep(0.05)
    deleted = [i for i in page["items"] if i["notebook_path"] == "c.ipynb"]
    assert len(deleted) == 2 and all(i["notebook_deleted"] for i in deleted)
    assert cm.exists("c.ipynb") is False


async def test_refusals(jp_fetch, root, tmp_path):
    outside = tmp_path / "outside.ipynb"
    nbformat.write(make_nb(), outside)
    os.symlink(outside, root / "escape.ipynb")
    (root / ".secret").mkdir()
    nbformat.write(make_nb(), root / ".secret" / "s.ipynb")
    (root / "notes.txt").write_text("hello")
    (root / "notes.ipynb").mkdir()
    (root / "broken.ipynb").write_text(
        json.dumps(
            {"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        )
    )
    (root / "junk.ipynb").write_text("{not json")
    cases = {
        "../outside.ipynb": 403,
        "escape.ipynb": 403,
        ".secret/s.ipynb": 403,
        "notes.txt": 422,
        "notes.ipynb": 422,
        "missing.ipynb": 404,
        "broken.ipynb": 422,
        "junk.ipynb": 422,
        "": 400,
    }
    for path, expected in cases.items():
        code, err = await status_of(jp_fetch, "checkpoints", method="POST", body={"path": path})
        assert code == expected, (path, err)
    code, err = await status_of(
        jp_fetch, "checkpoints", method="POST", body={"path": "broken.ipynb"}
    )
    assert "validation" in err["message"].lower() or "valid" in err["message"].lower()
    code, _ = await status_of(jp_fetch, "checkpoints", method="POST", body={"path": 3})
    assert code == 400
    code, _ = await status_of(
        jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb", "trigger": "cron"}
    )
    assert code == 400
    code, _ = await status_of(jp_fetch, "checkpoints", limit="many")
    assert code == 400
    page = await call(jp_fetch, "checkpoints")
    assert page["total"] == 0  # nothing was stored by any refusal
    for method in ("GET", "PATCH", "DELETE"):
        with pytest.raises(HTTPClientError) as e:
            await jp_fetch(
                "mltrack",
                "api",
                "checkpoints",
                "0123456789ab",
                method=method,
                **({"body": "{}"} if method == "PATCH" else {}),
            )
        assert e.value.code == 404


@pytest.mark.parametrize("path", [("checkpoints",), ("checkpoints", "0123456789ab"), ("diff",)])
async def test_without_token_is_refused(jp_fetch, path):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", *path, headers={"Authorization": "token wrong"})
    assert e.value.code == 403


async def test_notebook_over_the_size_limit_is_413(jp_fetch, jp_serverapp, root):
    jp_serverapp.web_app.settings["mltrack"].config.max_notebook_bytes = 1000
    code, err = await status_of(jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb"})
    assert code == 413 and "1000" in err["message"]


async def test_openapi_covers_every_route(jp_fetch):
    spec = json.loads((await jp_fetch("mltrack", "api", "openapi.json")).body)
    for p in (
        "/checkpoints",
        "/checkpoints/{checkpoint_id}",
        "/checkpoints/{checkpoint_id}/restore",
        "/diff",
    ):
        assert p in spec["paths"]
    assert set(spec["paths"]["/checkpoints/{checkpoint_id}"]) == {"get", "patch", "delete"}


JUNK: list[Any] = [
    None,
    "",
    "../x",
    "/etc/passwd",
    "a" * 5000,
    -1,
    1e308,
    [],
    {"path": None},
    "\u0000",
    "é.ipynb",
    "x.ipynb/..",
]


async def test_junk_input_never_gives_a_500(jp_fetch, root):
    """A small fuzz over every endpoint: bad bodies and parameters get 4xx JSON, never 500."""
    entry = await call(jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb"})
    seen = set()
    for value in JUNK:
        for body in (
            {"path": value},
            {"path": "a.ipynb", "name": value},
            {"path": "a.ipynb", "run_id": value},
            {"path": "a.ipynb", "trigger": value},
            value,
        ):
            for path, method in (
                (("checkpoints",), "POST"),
                (("checkpoints", entry["id"]), "PATCH"),
                (("checkpoints", entry["id"], "restore"), "POST"),
            ):
                kwargs = {"method": method, "body": json.dumps(body)}
                try:
                    r = await jp_fetch("mltrack", "api", *path, **kwargs)
                    seen.add(r.code)
                except HTTPClientError as e:
                    assert e.code < 500, (path, method, body, e.response.body)
                    seen.add(e.code)
        text = value if isinstance(value, str) else json.dumps(value)
        for path, params in (
            (("checkpoints",), {"path": text, "limit": text, "trigger": text}),
            (("diff",), {"base": text, "remote": text, "path": text}),
            (("checkpoints",), {"offset": text, "text": text}),
        ):
            try:
                await jp_fetch("mltrack", "api", *path, params=params)
            except HTTPClientError as e:
                assert e.code < 500, (path, params, e.response.body)
    assert {400, 403, 422} <= seen
