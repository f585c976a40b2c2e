"""Notebook checkpoints: snapshot, history, names, restore, links to runs, and diffs.

The Python face of the checkpoint operations (DESIGN §4), which the CLI calls too. Each
function resolves its arguments and calls the one implementation in `service`, which the
REST handlers and the magics call as well. Here notebooks are files under a root folder
(`root=`, else `MLTRACK_NOTEBOOK_ROOT`, else the current folder: `notebooks.Folder`; the
server reads through its contents manager instead), and the store is `store=` or the usual
resolution (MLTRACK_STORE...).

    from jupyter_mltrack import checkpoints as ckpt
    entry = ckpt.create("analysis.ipynb", name="before refactor")
    ckpt.list("analysis.ipynb")[0]["id"] == entry["id"]
    ckpt.diff(entry["id"], "current")["summary"]
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable
from typing import Any

from ..store.engine import Store, open_store
from . import service
from .notebooks import Folder

__all__ = ["create", "delete", "diff", "get", "link_run", "list", "restore", "update"]

Root = str | os.PathLike[str] | None


def _store(store: Store | str | None) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def create(
    path: str,
    name: str = "",
    description: str = "",
    run_id: str | int | None = None,
    trigger: str = "api",
    *,
    root: Root = None,
    store: Store | str | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """Snapshot the saved notebook at `path` (relative to the root); returns its entry."""
    info = service.create_from(
        _store(store),
        Folder(root),
        path,
        name=name,
        description=description,
        run_id=run_id,
        trigger=trigger,
        author=service.local_user() if author is None else author,
    )
    assert info is not None  # only a skip_if_unchanged create returns None
    return info.as_dict()


def list(
    path: str | None = None,
    *,
    trigger: str | None = None,
    exclude_triggers: Iterable[str] = (),
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
    store: Store | str | None = None,
) -> builtins.list[dict[str, Any]]:
    """History, newest first: of the notebook now at `path`, or of all notebooks;
    `exclude_triggers=["save"]` leaves out the checkpoints taken on save."""
    items, _total = service.history(
        _store(store),
        path,
        trigger=trigger,
        exclude_triggers=exclude_triggers,
        text=text,
        limit=limit,
        offset=offset,
    )
    return [i.as_dict() for i in items]


def get(checkpoint_id: str, *, store: Store | str | None = None) -> dict[str, Any]:
    """The entry with `content`, the notebook as it was captured."""
    return service.get(_store(store), checkpoint_id)


def update(
    checkpoint_id: str,
    name: str | None = None,
    description: str | None = None,
    *,
    store: Store | str | None = None,
) -> dict[str, Any]:
    return service.update(_store(store), checkpoint_id, name=name, description=description)


def delete(checkpoint_id: str, *, store: Store | str | None = None) -> None:
    service.delete(_store(store), checkpoint_id)


def link_run(
    checkpoint_id: str, run_id: str | int, *, store: Store | str | None = None
) -> dict[str, Any]:
    """Link a run to a checkpoint; the run's `source_code/notebook` names the checkpoint."""
    return service.link_run(_store(store), checkpoint_id, run_id)


def restore(
    checkpoint_id: str,
    target_path: str | None = None,
    *,
    root: Root = None,
    store: Store | str | None = None,
) -> dict[str, Any]:
    """Write a checkpoint back as a notebook file.

    Without `target_path`: a new notebook beside the original with a free name. Onto an
    existing notebook (the original or another): its current content is checkpointed first
    (trigger "restore"), so a restore never loses anything.
    """
    return service.restore(
        _store(store), Folder(root), checkpoint_id, target_path, author=service.local_user()
    )


def diff(
    base: str,
    remote: str = "current",
    *,
    path: str | None = None,
    root: Root = None,
    store: Store | str | None = None,
) -> dict[str, Any]:
    """nbdime-format diff between two checkpoints, or a checkpoint and the current file
    (`remote="current"`: the file at `path`, by default the base checkpoint's notebook)."""
    return service.compare(_store(store), Folder(root), base, remote, path)
