"""Issue 17: one entry per moment (a manual or run checkpoint takes over the save the lab made
just before it) and honest counts (cells changed against the previous entry as listed), on
SQLite and PostgreSQL, and through a real jupyter_server's save listener."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.entities import CheckpointInfo


def nb(*sources: str) -> Any:
    """Cells with fixed ids, from their first letter: the same sources are the same content,
    and "b2" is cell "b" edited."""
    cells = [new_code_cell(s, id=f"cell-{s[0]}") for s in sources]
    return new_notebook(cells=cells, metadata={})


def history(store: Any, path: str = "a.ipynb", **kw: Any) -> list[CheckpointInfo]:
    return repo.list_checkpoints(store, path, **kw)[0]


# -- 1. one entry per moment ----------------------------------------------------------------
@pytest.mark.parametrize("trigger", ["manual", "run"])
def test_checkpoint_after_its_save_takes_the_save_over(store, trigger):
    run = runs.create(store, "credit")
    service.create(store, "a.ipynb", nb("x = 1"), trigger="save", skip_if_unchanged=True)
    save = history(store)[0]
    made = service.create(
        store,
        "a.ipynb",
        nb("x = 1"),
        trigger=trigger,
        name="baseline",
        run_id=run.short_id if trigger == "run" else None,
    )
    assert made is not None
    [entry] = history(store)
    assert entry.id == made.id == save.id and entry.seq == 1
    assert (entry.trigger, entry.name) == (trigger, "baseline")
    assert [r.id for r in entry.runs] == ([run.short_id] if trigger == "run" else [])
    # The other order: the save arriving after the checkpoint is skipped (unchanged content).
    again = service.create(store, "a.ipynb", nb("x = 1"), trigger="save", skip_if_unchanged=True)
    assert again is None
    assert len(history(store)) == 1


def test_saves_that_are_moments_of_their_own_stay(store, monkeypatch):
    # A named save, a save a run links to, an old save, a different content: never taken over.
    run = runs.create(store, "credit")
    service.create(store, "a.ipynb", nb("x = 1"), trigger="save", name="kept")
    service.create(store, "a.ipynb", nb("x = 1"), trigger="manual")
    service.create(store, "a.ipynb", nb("x = 2"), trigger="save", run_id=run.short_id)
    service.create(store, "a.ipynb", nb("x = 2"), trigger="run")
    service.create(store, "a.ipynb", nb("x = 3"), trigger="save")
    service.create(store, "a.ipynb", nb("x = 4"), trigger="manual")
    service.create(store, "a.ipynb", nb("x = 4"), trigger="save")
    monkeypatch.setattr(repo, "TWIN_SECONDS", -1.0)  # the save is older than the window
    service.create(store, "a.ipynb", nb("x = 4"), trigger="manual")
    monkeypatch.undo()
    service.create(store, "a.ipynb", nb("x = 4"), trigger="api")  # api does not save first
    assert [c.trigger for c in reversed(history(store))] == [
        "save",
        "manual",
        "save",
        "run",
        "save",
        "manual",
        "save",
        "manual",
        "api",
    ]


async def call(jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, **params: Any):
    kwargs: dict[str, Any] = {"method": method, "params": params}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    r = await jp_fetch("mltrack", "api", *path, **kwargs)
    return json.loads(r.body) if r.body else None


async def saved(jp_fetch: Any, path: str, expect: int) -> list[dict[str, Any]]:
    """The history once the save listener (it runs after the save returns) has `expect`."""
    for _ in range(100):
        page = await call(jp_fetch, "checkpoints", path=path)
        if page["total"] >= expect:
            return list(page["items"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path}: {page['total']} checkpoints, expected {expect}")


async def put(jp_fetch: Any, path: str, content: Any) -> None:
    model = {"type": "notebook", "format": "json", "content": content}
    await jp_fetch("api", "contents", path, method="PUT", body=json.dumps(model))


async def test_lab_flow_save_then_checkpoint_leaves_one_entry(jp_fetch, jp_root_dir):
    """What the lab does for "Checkpoint now" and for a run start: save, then POST."""
    from jupyter_mltrack.store.engine import open_store

    await put(jp_fetch, "b.ipynb", nb("x = 1"))
    assert [i["trigger"] for i in await saved(jp_fetch, "b.ipynb", 1)] == ["save"]
    entry = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "b.ipynb", "trigger": "manual", "name": "baseline"},
    )
    page = await call(jp_fetch, "checkpoints", path="b.ipynb")
    assert page["total"] == 1 and page["items"][0]["id"] == entry["id"]
    assert page["items"][0]["trigger"] == "manual" and page["items"][0]["name"] == "baseline"
    # A run start after an edit: save, then POST with the run.
    run = runs.create(open_store(), "credit")
    await put(jp_fetch, "b.ipynb", nb("x = 2"))
    await saved(jp_fetch, "b.ipynb", 2)
    started = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "b.ipynb", "trigger": "run", "run_id": run.short_id},
    )
    items = (await call(jp_fetch, "checkpoints", path="b.ipynb"))["items"]
    assert [(i["trigger"], i["id"]) for i in items] == [
        ("run", started["id"]),
        ("manual", entry["id"]),
    ]
    assert items[0]["runs"][0]["id"] == run.short_id


# -- 2. honest counts -----------------------------------------------------------------------
def changes(info: CheckpointInfo) -> tuple[int, int, int]:
    return info.cells_added, info.cells_removed, info.cells_modified


def test_counts_are_against_the_previous_entry_as_listed(store):
    from jupyter_mltrack.checkpoints import counts

    service.create(store, "a.ipynb", nb("a", "b", "z"), trigger="manual", name="first")
    service.create(store, "a.ipynb", nb("a", "b", "z", "c"), trigger="save")
    service.create(store, "a.ipynb", nb("a", "b2", "z", "c"), trigger="save")
    service.create(store, "a.ipynb", nb("a", "b2", "c", "d"), trigger="manual", name="second")
    # Stored against the parent (the hidden save): only z -> removed, d added.
    stored = history(store)[0]
    assert stored.name == "second" and changes(stored) == (1, 1, 0)
    # Listed without saves: against "first", b changed, z removed, c and d added.
    items, total = counts.history(store, "a.ipynb", exclude_triggers=["save"])
    assert [i.name for i in items] == ["second", "first"] and total == 2
    assert changes(items[0]) == (2, 1, 1) and changes(items[1]) == (3, 0, 0)
    # A page of one is measured against the entry just past it; trigger= filters the same.
    for kw in ({"exclude_triggers": ["save"]}, {"trigger": "manual"}):
        page, total = counts.history(store, "a.ipynb", limit=1, **kw)  # type: ignore[arg-type]
        assert total == 2 and changes(page[0]) == (2, 1, 1), kw
        page, _ = counts.history(store, "a.ipynb", limit=1, offset=1, **kw)  # type: ignore[arg-type]
        assert changes(page[0]) == (3, 0, 0), kw
    # Unfiltered, every entry's previous one is its parent: the stored counts.
    everything, _ = counts.history(store, "a.ipynb")
    assert [changes(i) for i in everything] == [(1, 1, 0), (0, 0, 1), (1, 0, 0), (3, 0, 0)]


async def test_rest_history_without_saves_counts_against_the_previous_visible(
    jp_fetch, jp_root_dir
):
    """The lab's sidebar with "Save checkpoints" off: GET checkpoints?exclude_trigger=save."""

    async def post(name: str) -> None:
        body = {"path": "b.ipynb", "trigger": "manual", "name": name}
        await call(jp_fetch, "checkpoints", method="POST", body=body)

    await put(jp_fetch, "b.ipynb", nb("a", "b", "z"))
    await saved(jp_fetch, "b.ipynb", 1)
    await post("first")  # takes over the save
    await put(jp_fetch, "b.ipynb", nb("a", "b", "z", "c"))
    await saved(jp_fetch, "b.ipynb", 2)
    await put(jp_fetch, "b.ipynb", nb("a", "b2", "z", "c"))
    await saved(jp_fetch, "b.ipynb", 3)
    # The manual checkpoint is written after an edit the listener has not seen saved.
    import nbformat

    nbformat.write(nb("a", "b2", "c", "d"), jp_root_dir / "b.ipynb")
    await post("second")
    page = await call(jp_fetch, "checkpoints", path="b.ipynb", exclude_trigger="save")
    assert [i["name"] for i in page["items"]] == ["second", "first"]
    assert page["items"][0]["changes"] == {"added": 2, "removed": 1, "modified": 1, "moved": 0}
    assert page["items"][1]["changes"] == {"added": 3, "removed": 0, "modified": 0, "moved": 0}
