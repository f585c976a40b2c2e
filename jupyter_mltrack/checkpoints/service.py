"""The checkpoint operations (DESIGN §4), written once for every face: the REST handlers,
the Python API (`jupyter_mltrack.checkpoints`, which the CLI calls) and the magics.

The operations that read or write a notebook file (`create_from`, `restore`, `compare`) take
a `NotebookIO` (`notebooks.py`): the server hands in its contents manager, the other faces a
folder. The rest work on a store and notebook dicts (`create` snapshots a notebook the caller
has: the kernel's own fallback, the contents events). They block: the server runs them in a
worker thread.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import identity
from ..errors import InvalidInput, NotFound, StoreError
from ..store import checkpoints as repo
from ..store import notebooks, runs
from ..store.engine import Store
from ..store.entities import TRIGGERS, CheckpointInfo, NewCheckpoint
from . import counts, files, snapshot
from . import retention as retention_mod
from .notebooks import NotebookIO
from .retention import Retention

ATTEMPTS = 8


def new_id() -> str:
    return secrets.token_hex(6)


def local_user() -> str:
    """The author of a checkpoint taken outside a request: the person this process works for
    (`identity.process_user`: MLTRACK_USER, JUPYTERHUB_USER, else the OS user), as a run's
    `sys/owner` is."""
    return identity.process_user()


def check_trigger(trigger: str) -> None:
    if trigger not in TRIGGERS:
        raise InvalidInput(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")


def create_from(
    store: Store,
    notebooks: NotebookIO,
    path: str,
    *,
    name: str = "",
    description: str = "",
    run_id: str | int | None = None,
    trigger: str = "api",
    author: str = "",
    skip_if_unchanged: bool = False,
    retention: Retention | None = None,
) -> CheckpointInfo | None:
    """Snapshot the saved notebook at `path`, read through `notebooks` (POST checkpoints, a
    save in JupyterLab, `checkpoints.create`, `mltrack checkpoints --create`). The trigger,
    name and description are checked before the notebook is read."""
    check_trigger(trigger)
    repo.check_text(name, description)
    clean = files.normalize_path(path)
    parsed = notebooks.read(clean)
    return create(
        store,
        clean,
        parsed.nb,
        split=parsed.split,
        name=name,
        description=description,
        run_id=run_id,
        trigger=trigger,
        author=author,
        from_disk=notebooks.from_disk,
        skip_if_unchanged=skip_if_unchanged,
        retention=retention,
    )


def create(
    store: Store,
    path: str,
    nb: dict[str, Any],
    *,
    name: str = "",
    description: str = "",
    run_id: str | int | None = None,
    trigger: str = "api",
    author: str = "",
    from_disk: bool = False,
    skip_if_unchanged: bool = False,
    split: snapshot.Split | None = None,
    retention: Retention | None = None,
) -> CheckpointInfo | None:
    """Snapshot a (validated) notebook as the newest checkpoint of `path`.

    `split` is `snapshot.split_notebook(nb)` when the caller has it already (`files.parse`
    computes it while validating, with nbformat's warning when the notebook is invalid but
    opens in Jupyter: the checkpoint records it); otherwise it is computed here.
    Returns None only when `skip_if_unchanged` and the content equals the newest checkpoint's.
    Concurrent calls for one notebook each land exactly once, in some order.
    With `retention`, a new `save` thins the notebook's older saves (retention.py).
    """
    repo.check_text(name, description)
    warning = split.validation_warning if split is not None else None
    clean = files.untrusted(nb)  # a stored checkpoint never says it is trusted
    if clean is not nb:
        nb, split = clean, None
    run = runs.get(store, run_id) if run_id is not None else None
    planned = snapshot.plan(split if split is not None else snapshot.split_notebook(nb))
    content = planned.content_sha
    blobs = store.blobs
    for _ in range(ATTEMPTS):
        parent = repo.head(store, path)
        if skip_if_unchanged and parent is not None and parent.content_sha == content:
            return None
        parent_manifest = snapshot.MANIFESTS.get(blobs, parent.manifest_sha) if parent else None
        stored = snapshot.store_plan(blobs, planned, parent_manifest)
        if parent_manifest is not None:
            old_units = snapshot.UNITS.get(blobs, parent_manifest)
            added, removed, modified, moved = snapshot.count_unit_changes(
                old_units, planned.split.units
            )
        else:
            added, removed, modified, moved = len(planned.split.units), 0, 0, 0
        try:
            info = repo.append(
                store,
                NewCheckpoint(
                    id=new_id(),
                    path=path,
                    parent_id=parent.id if parent else None,
                    name=name,
                    description=description,
                    trigger=trigger,
                    author=author,
                    size=planned.split.size,
                    manifest_sha=stored.manifest.sha,
                    content_sha=content,
                    cells_added=added,
                    cells_removed=removed,
                    cells_modified=modified,
                    cells_moved=moved,
                    from_disk=from_disk,
                    blobs=stored.new_blobs,
                    skip_if_unchanged=skip_if_unchanged,
                    validation_warning=warning,
                ),
            )
        except repo.HeadMoved:
            continue
        if info is None:
            return None
        if run is not None:
            repo.link_run(store, info.id, run.id)
            info = repo.get(store, info.id)
        elif retention is not None and info.trigger == "save":
            _thin_after(store, retention, info)
        return info
    raise StoreError(f"could not append a checkpoint to {path}: too many concurrent writers")


def _thin_after(store: Store, policy: Retention, info: CheckpointInfo) -> None:
    """Thin the notebook's older saves now that a save arrived. Best effort: the save is
    recorded whatever happens here, and the next save or `mltrack gc` thins what this one
    could not (a lost lock race, a store hiccup)."""
    try:
        retention_mod.thin(store, policy, now=info.created_at, notebook_id=info.notebook_id)
    except Exception as e:
        logging.getLogger("jupyter_mltrack").warning(
            "save retention: %s not thinned this time: %s", info.notebook_path, e
        )


def content(store: Store, info: CheckpointInfo) -> Any:
    """The captured notebook, as the NotebookNode nbformat would have read. The one way a
    checkpoint leaves the store (GET, diff, restore, CLI, magics), so `trusted` flags are
    dropped here too: the store may hold content written by anyone (`files.untrusted`)."""
    manifest = snapshot.MANIFESTS.get(store.blobs, info.manifest_sha)
    nb = files.untrusted(snapshot.load_notebook(store.blobs, manifest))
    import nbformat  # here, not at the top: listing the history needs no notebook stack

    return nbformat.from_dict(nb)  # type: ignore[no-untyped-call]


def history(
    store: Store,
    path: str | None = None,
    *,
    trigger: str | None = None,
    exclude_triggers: Iterable[str] = (),
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CheckpointInfo], int]:
    """(a page of entries, newest first; how many match): of the notebook now at `path`, or
    of all notebooks (None)."""
    clean = files.normalize_path(path) if path is not None else None
    # Counts as listed: against the previous entry of a filtered list (issue 17.2).
    return counts.history(
        store,
        clean,
        trigger=trigger,
        exclude_triggers=exclude_triggers,
        text=text,
        limit=limit,
        offset=offset,
    )


def get(store: Store, checkpoint_id: str, *, with_content: bool = True) -> dict[str, Any]:
    info = repo.get(store, checkpoint_id)
    entry = info.as_dict()
    if with_content:
        entry["content"] = content(store, info)
    return entry


def update(
    store: Store, checkpoint_id: str, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """Rename or describe a checkpoint (None: unchanged); its entry."""
    return repo.update_text(store, checkpoint_id, name=name, description=description).as_dict()


def delete(store: Store, checkpoint_id: str) -> None:
    repo.remove(store, checkpoint_id)


def renamed(store: Store, old: str, new: str) -> int:
    """A notebook or folder was renamed (moved): its history follows it."""
    return notebooks.rename(store, old, new)


def deleted(store: Store, path: str) -> int:
    """A notebook or folder was deleted: its history is kept, marked deleted."""
    return notebooks.mark_deleted(store, path)


def link_run(store: Store, checkpoint_id: str, run_id: str | int) -> dict[str, Any]:
    run = runs.get(store, run_id)
    repo.link_run(store, checkpoint_id, run.id)
    return repo.get(store, checkpoint_id).as_dict()


def checkpoint_of_run(
    store: Store, run_id: str | int, *, end: bool = False
) -> dict[str, Any] | None:
    """The checkpoint the run started from, or with `end` its `run-end` checkpoint."""
    info = repo.checkpoint_of_run(store, runs.get(store, run_id).id, end=end)
    return info.as_dict() if info else None


def diff(base_nb: dict[str, Any], remote_nb: dict[str, Any]) -> dict[str, Any]:
    """The REST answer of `GET diff`: base notebook, nbdime diff, summary."""
    from .nbdiff import diff_notebooks  # nbdime: loaded by the first diff, not by the history

    d, summary = diff_notebooks(base_nb, remote_nb)
    return {"base": base_nb, "diff": d, "summary": summary}


def resolve_side(store: Store, ref: str) -> tuple[dict[str, Any], CheckpointInfo]:
    """A checkpoint id as a diff side: its notebook and its entry."""
    if not ref:
        raise InvalidInput("a diff side must be a checkpoint id or 'current'")
    try:
        info = repo.get(store, ref)
    except NotFound:
        raise NotFound(f"no checkpoint {ref!r}") from None
    return content(store, info), info


def compare(
    store: Store,
    notebooks: NotebookIO,
    base: str,
    remote: str = "current",
    path: str | None = None,
) -> dict[str, Any]:
    """The diff between two checkpoints, or a checkpoint and the current file (`remote=
    "current"`: the notebook at `path`, by default the base checkpoint's, read through
    `notebooks`)."""
    base_nb, base_info = resolve_side(store, base)
    if remote == "current":
        remote_nb: dict[str, Any] = notebooks.read(
            files.normalize_path(path or base_info.notebook_path)
        ).nb
    else:
        remote_nb, _info = resolve_side(store, remote)
    return diff(base_nb, remote_nb)


def restore(
    store: Store,
    notebooks: NotebookIO,
    checkpoint_id: str,
    target_path: str | None = None,
    *,
    author: str = "",
) -> dict[str, Any]:
    """Write a checkpoint back as a notebook through `notebooks`: `{path, checkpoint,
    safety_checkpoint}`.

    Without `target_path`: a new notebook beside the original with a free name. Onto an
    existing notebook (the original or another): its current content is checkpointed first
    (trigger "restore", the `safety_checkpoint`), so a restore never loses anything. What is
    written is never trusted (`content` drops the flags; each `NotebookIO.write` signs
    nothing)."""
    entry = get(store, checkpoint_id)
    if target_path is None:
        original = files.normalize_path(entry["notebook_path"])
        target = restore_name(original, checkpoint_id, notebooks.exists)
    else:
        target = files.normalize_path(target_path)
    safety = None
    if notebooks.exists(target):
        info = create_from(
            store,
            notebooks,
            target,
            name=f"before restoring {checkpoint_id}",
            trigger="restore",
            author=author,
        )
        safety = info.id if info else None
    notebooks.write(target, entry["content"])
    return {"path": target, "checkpoint": checkpoint_id, "safety_checkpoint": safety}


def restore_names(current_path: str, checkpoint_id: str) -> Iterator[str]:
    """Candidate names beside the original, in order: `nb-restored-<id>.ipynb`, then `-1`,
    `-2`... (`restore` takes the first free one)."""
    stem = current_path[: -len(".ipynb")] if current_path.endswith(".ipynb") else current_path
    yield f"{stem}-restored-{checkpoint_id[:6]}.ipynb"
    for n in itertools.count(1):
        yield f"{stem}-restored-{checkpoint_id[:6]}-{n}.ipynb"


def restore_name(current_path: str, checkpoint_id: str, exists: Callable[[str], bool]) -> str:
    """The first of `restore_names` for which `exists` is false."""
    return next(c for c in restore_names(current_path, checkpoint_id) if not exists(c))
