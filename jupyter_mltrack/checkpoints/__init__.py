"""Notebook checkpoints: snapshot, history, names, restore, links to runs, and diffs.

The Python face (DESIGN §4), used by the magics and the CLI; the server's handlers call the
same `service` functions with notebooks read through the contents manager. Here notebooks
are files under a root folder (`root=`, else `MLTRACK_NOTEBOOK_ROOT`, else the current
folder), and the store is `store=` or the usual resolution (MLTRACK_STORE...).

    from jupyter_mltrack import checkpoints as ckpt
    entry = ckpt.create("analysis.ipynb", name="before refactor")
    ckpt.list("analysis.ipynb")[0]["id"] == entry["id"]
    ckpt.diff(entry["id"], "current")["summary"]
"""

from __future__ import annotations

import builtins
import getpass
import os
from collections.abc import Iterable
from typing import Any

from ..store.engine import Store, open_store
from . import files, service

__all__ = ["create", "delete", "diff", "get", "link_run", "list", "restore", "update"]

Root = str | os.PathLike[str] | None


def _store(store: Store | str | None) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def _author() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


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
    st = _store(store)
    clean = files.normalize_path(path)
    parsed = files.read(files.root_dir(root), clean)
    info = service.create(
        st,
        clean,
        parsed.nb,
        split=parsed.split,
        name=name,
        description=description,
        run_id=run_id,
        trigger=trigger,
        author=_author() if author is None else author,
        from_disk=True,
    )
    assert info is not None
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
    from ..store import checkpoints as repo

    clean = files.normalize_path(path) if path is not None else None
    items, _total = repo.list_checkpoints(
        _store(store),
        clean,
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
    from ..store import checkpoints as repo

    return repo.update_text(
        _store(store), checkpoint_id, name=name, description=description
    ).as_dict()


def delete(checkpoint_id: str, *, store: Store | str | None = None) -> None:
    from ..store import checkpoints as repo

    repo.remove(_store(store), checkpoint_id)


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
    st = _store(store)
    base = files.root_dir(root)
    entry = service.get(st, checkpoint_id)
    if target_path is None:
        target = service.restore_name(
            entry["notebook_path"],
            checkpoint_id,
            lambda p: files.os_path(base, p, must_exist=False).exists(),
        )
    else:
        target = files.normalize_path(target_path)
    safety = None
    if files.os_path(base, target, must_exist=False).exists():
        current = files.read(base, target)
        info = service.create(
            st,
            target,
            current.nb,
            split=current.split,
            name=f"before restoring {checkpoint_id}",
            trigger="restore",
            author=_author(),
            from_disk=True,
            skip_if_unchanged=False,
        )
        safety = info.id if info else None
    files.write(base, target, entry["content"])
    return {"path": target, "checkpoint": checkpoint_id, "safety_checkpoint": safety}


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
    st = _store(store)
    base_nb, base_info = service.resolve_side(st, base)
    if remote == "current":
        target = files.normalize_path(path or base_info.notebook_path)
        remote_nb = files.read(files.root_dir(root), target).nb
    else:
        remote_nb, _info = service.resolve_side(st, remote)
    return service.diff(base_nb, remote_nb)
