"""Notebooks, their checkpoints and the runs linked to them (the checkpoint aggregate).

A notebook row is a notebook's identity: renames move its `path`, a delete only marks it, so
history follows JupyterLab's renames and outlives deletes. Checkpoints of one notebook form
one line: `seq` 1, 2, 3... unique per notebook, each pointing at the one before. Appending
checks, inside the write transaction, that the head is still the parent the caller built its
delta against; if another writer got there first the caller retries (SQLite serialises
writers with BEGIN IMMEDIATE; on PostgreSQL the notebook row is locked FOR UPDATE and the
unique (notebook_id, seq) constraint is the last line of defence).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from .encoding import ScalarWrite
from .engine import Store
from .entities import TRIGGERS, CheckpointInfo, Head, LinkedRun, NewCheckpoint
from .fields import upsert_scalars
from .models import Checkpoint, CheckpointCount, CheckpointRun, Notebook, Project, Run
from .runs import state_expression
from .text import check as check_storable
from .upsert import dialect_insert, record_blobs

MAX_NAME = 512
MAX_DESCRIPTION = 4096
NOTEBOOK_FIELD = "source_code/notebook"


class HeadMoved(Exception):
    """Another checkpoint of the notebook landed first: rebuild against the new head."""


# A checkpoint that saves the notebook first (manual, run, run-end) and finds as the
# head an unnamed `save` of the very same content taken this recently takes that entry over
# rather than adding a twin (see `_absorb_save_twin`).
TWIN_SECONDS = 30.0
_SAVES_FIRST = ("manual", "run", "run-end")
# A run's end checkpoint (the notebook with its results), linked beside its start checkpoint.
RUN_END = "run-end"


def check_text(name: str | None, description: str | None) -> None:
    if name is not None and len(name) > MAX_NAME:
        raise InvalidInput(
            f"a checkpoint name has at most {MAX_NAME} characters ({len(name)} given)"
        )
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a checkpoint description has at most {MAX_DESCRIPTION} characters "
            f"({len(description)} given)"
        )
    if name is not None:
        check_storable(name, "a checkpoint name")
    if description is not None:
        check_storable(description, "a checkpoint description")


# -- reading ---------------------------------------------------------------------------------
def _base_query() -> Select[Checkpoint, str, bool]:
    return select(Checkpoint, Notebook.path, Notebook.deleted).join(
        Notebook, Notebook.id == Checkpoint.notebook_id
    )


def _runs_of(session: Session, ids: list[str]) -> dict[str, list[LinkedRun]]:
    out: dict[str, list[LinkedRun]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (
        select(CheckpointRun.checkpoint_id, Run.short_id, state_expression(), Project.name)
        .join(Run, Run.id == CheckpointRun.run_id)
        .join(Project, Project.id == Run.project_id)
        .where(CheckpointRun.checkpoint_id.in_(ids))
        .order_by(Run.created_at)
    )
    for cid, short_id, state, project in session.execute(q):
        out[cid].append(LinkedRun(short_id, state, project))
    return out


def _info(
    c: Checkpoint, path: str, deleted: bool, runs: Sequence[LinkedRun] = ()
) -> CheckpointInfo:
    return CheckpointInfo(
        id=c.id,
        notebook_id=c.notebook_id,
        notebook_path=path,
        captured_path=c.notebook_path,
        notebook_deleted=bool(deleted),
        seq=c.seq,
        parent_id=c.parent_id,
        created_at=c.created_at,
        name=c.name,
        description=c.description,
        trigger=c.trigger,
        author=c.author,
        size=c.size,
        manifest_sha=c.manifest_sha,
        content_sha=c.content_sha,
        cells_added=c.cells_added,
        cells_removed=c.cells_removed,
        cells_modified=c.cells_modified,
        cells_moved=c.cells_moved,
        runs=tuple(runs),
        from_disk=bool(c.from_disk),
        validation_warning=c.validation_warning,
    )


def _infos(session: Session, rows: Sequence[Any]) -> list[CheckpointInfo]:
    runs = _runs_of(session, [r[0].id for r in rows])
    return [_info(c, path, deleted, runs[c.id]) for c, path, deleted in rows]


def get(store: Store, checkpoint_id: str) -> CheckpointInfo:
    with store.read() as s:
        row = s.execute(_base_query().where(Checkpoint.id == str(checkpoint_id))).first()
        if row is None:
            raise NotFound(f"no checkpoint {checkpoint_id!r}")
        return _infos(s, [row])[0]


def head(store: Store, path: str) -> Head | None:
    """The newest checkpoint of the live notebook at `path` (just the columns a new checkpoint
    builds on: one query, no linked runs)."""
    # The notebook's id first, then its newest checkpoint by the (notebook_id, seq) index: a
    # join ordered by seq made SQLite sort the whole history in a temporary B-tree, so every
    # checkpoint cost grew with the history (tests/test_checkpoint_history_scale.py).
    notebook = (
        select(Notebook.id)
        .where(Notebook.path == path, Notebook.deleted.is_(False))
        .order_by(Notebook.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    with store.read() as s:
        row = s.execute(
            select(Checkpoint.id, Checkpoint.manifest_sha, Checkpoint.content_sha)
            .where(Checkpoint.notebook_id == notebook)
            .order_by(Checkpoint.seq.desc())
            .limit(1)
        ).first()
        return Head(row[0], row[1], row[2]) if row is not None else None


def list_checkpoints(
    store: Store,
    path: str | None = None,
    *,
    trigger: str | None = None,
    exclude_triggers: Iterable[str] = (),
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CheckpointInfo], int]:
    """History, newest first: one notebook's (by current path) or all notebooks'.
    `exclude_triggers` filters in the query, so `total` counts what is listed (the lab hides
    save checkpoints and its "N checkpoints" must not count them)."""
    excluded = sorted(set(exclude_triggers))
    for t in ([trigger] if trigger is not None else []) + excluded:
        if t not in TRIGGERS:
            raise InvalidInput(f"unknown trigger {t!r}; one of {', '.join(TRIGGERS)}")
    if limit < 0 or offset < 0:
        raise InvalidInput("limit and offset must not be negative")
    conds: list[Any] = []
    if trigger is not None:
        conds.append(Checkpoint.trigger == trigger)
    if excluded:
        conds.append(Checkpoint.trigger.not_in(excluded))
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(
            or_(
                Checkpoint.name.ilike(like, escape="\\"),
                Checkpoint.description.ilike(like, escape="\\"),
                Notebook.path.ilike(like, escape="\\"),
                Checkpoint.author.ilike(like, escape="\\"),
                Checkpoint.id.ilike(like, escape="\\"),
            )
        )
    with store.read() as s:
        if path is not None:
            # The notebook ids first (one, unless a deleted history shares the path): the
            # history is then read by `notebook_id` in the order of its index, a page
            # costing the same whatever the history's length (tests/
            # test_checkpoint_history_scale.py), where a join on the path sorted it whole.
            ids = list(s.scalars(select(Notebook.id).where(Notebook.path == path)))
            if not ids:
                return [], 0
            conds.append(
                Checkpoint.notebook_id == ids[0]
                if len(ids) == 1
                else Checkpoint.notebook_id.in_(ids)
            )
        rows = s.execute(
            _base_query()
            .where(*conds)
            .order_by(Checkpoint.created_at.desc(), Checkpoint.seq.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        if offset == 0 and len(rows) < limit:
            total = len(rows)  # all of it is on this page: nothing to count
        elif text:
            count = select(func.count()).select_from(Checkpoint)
            count = count.join(Notebook, Notebook.id == Checkpoint.notebook_id)
            total = int(s.scalar(count.where(*conds)) or 0)
        else:  # the counts the database keeps (checkpoint_totals.py): a few rows, any length
            kept: list[Any] = []
            if path is not None:
                kept.append(CheckpointCount.notebook_id.in_(ids))
            if trigger is not None:
                kept.append(CheckpointCount.trigger == trigger)
            if excluded:
                kept.append(CheckpointCount.trigger.not_in(excluded))
            total = int(s.scalar(select(func.sum(CheckpointCount.n)).where(*kept)) or 0)
        return _infos(s, rows), total


def checkpoint_of_run(store: Store, run_id: int, *, end: bool = False) -> CheckpointInfo | None:
    """The checkpoint a run started from (the newest linked one that is not its end), or
    with `end` its end checkpoint: the notebook with its results (trigger `run-end`)."""
    kind = Checkpoint.trigger == RUN_END if end else Checkpoint.trigger != RUN_END
    with store.read() as s:
        row = s.execute(
            _base_query()
            .join(CheckpointRun, CheckpointRun.checkpoint_id == Checkpoint.id)
            .where(CheckpointRun.run_id == run_id, kind)
            .order_by(Checkpoint.created_at.desc(), Checkpoint.seq.desc())
            .limit(1)
        ).first()
        return _infos(s, [row])[0] if row is not None else None


def all_manifests(store: Store) -> set[str]:
    with store.read() as s:
        return set(s.scalars(select(Checkpoint.manifest_sha)))


# -- writing ---------------------------------------------------------------------------------
def _live_notebook(s: Session, path: str, create: bool) -> Notebook | None:
    q = select(Notebook).where(Notebook.path == path, Notebook.deleted.is_(False))
    if s.get_bind().dialect.name == "postgresql":
        # A row lock cannot cover a notebook row that does not exist yet: a transaction lock
        # on the path serialises its first checkpoints (SQLite's BEGIN IMMEDIATE already does).
        key = int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big", signed=True)
        s.execute(sql_text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    nb = s.scalars(q.order_by(Notebook.id.desc()).limit(1)).first()
    if nb is None and create:
        now = time.time()
        nb = Notebook(path=path, deleted=False, created_at=now, updated_at=now)
        s.add(nb)
        s.flush()
    return nb


def append(store: Store, new: NewCheckpoint) -> CheckpointInfo | None:
    """Add a checkpoint after `new.parent_id`, the head the caller built against.

    Returns None when `skip_if_unchanged` and the head already has this content. Raises
    `HeadMoved` when the head is no longer `new.parent_id`.
    """
    if new.trigger not in TRIGGERS:
        raise InvalidInput(f"unknown trigger {new.trigger!r}; one of {', '.join(TRIGGERS)}")
    check_text(new.name, new.description)
    try:
        with store.write() as s:
            nb = _live_notebook(s, new.path, create=True)
            assert nb is not None
            top = s.execute(
                select(Checkpoint.id, Checkpoint.seq, Checkpoint.content_sha)
                .where(Checkpoint.notebook_id == nb.id)
                .order_by(Checkpoint.seq.desc())
                .limit(1)
            ).first()
            head_id = top[0] if top else None
            if new.skip_if_unchanged and top is not None and top[2] == new.content_sha:
                return None
            if top is not None and top[2] == new.content_sha:
                twin = _absorb_save_twin(s, head_id, new)
                if twin is not None:
                    nb.updated_at = twin.created_at
                    return _info(twin, nb.path, False, _runs_of(s, [twin.id])[twin.id])
            if head_id != new.parent_id:
                raise HeadMoved(head_id)
            record_blobs(s, new.blobs)
            now = time.time()
            nb.updated_at = now
            seq = (top[1] + 1) if top else 1
            row = Checkpoint(
                id=new.id,
                notebook_id=nb.id,
                seq=seq,
                parent_id=new.parent_id,
                created_at=now,
                name=new.name,
                description=new.description,
                trigger=new.trigger,
                author=new.author,
                size=new.size,
                manifest_sha=new.manifest_sha,
                content_sha=new.content_sha,
                cells_added=new.cells_added,
                cells_removed=new.cells_removed,
                cells_modified=new.cells_modified,
                cells_moved=new.cells_moved,
                from_disk=new.from_disk,
                notebook_path=new.path,
                validation_warning=new.validation_warning,
            )
            s.add(row)
            # What `get` would read back, without reading it: no run is linked yet.
            info = _info(row, nb.path, False)
    except IntegrityError as e:
        # PostgreSQL: a concurrent writer took this seq first (the unique constraint).
        raise HeadMoved(None) from e
    return info


def _absorb_save_twin(s: Session, head_id: str | None, new: NewCheckpoint) -> Checkpoint | None:
    """One entry per moment (issue 17.1): the lab saves a notebook before a manual or run
    checkpoint, and the server's save listener checkpoints that save. Whichever lands first,
    only one entry stays: a save arriving second is skipped (`skip_if_unchanged`), and a
    checkpoint arriving second takes over the head when it is the save of that same content,
    unnamed, undescribed, linked to no run and at most `TWIN_SECONDS` old: it gets this
    checkpoint's trigger, name, description and author (and time), keeping its id, place,
    manifest and counts (the same content against the same parent). Done inside the append
    transaction, so a concurrent save cannot slip in between. An older save of the same
    content is a moment of its own and stays."""
    if new.trigger not in _SAVES_FIRST or head_id is None:
        return None
    row = s.get(Checkpoint, head_id)
    now = time.time()
    if (
        row is None
        or row.trigger != "save"
        or row.name
        or row.description
        or row.created_at < now - TWIN_SECONDS
        or s.scalar(select(func.count()).where(CheckpointRun.checkpoint_id == head_id))
    ):
        return None
    row.trigger = new.trigger
    row.name = new.name
    row.description = new.description
    row.author = new.author or row.author
    row.created_at = now
    row.from_disk = row.from_disk and new.from_disk
    return row


def update_text(
    store: Store, checkpoint_id: str, *, name: str | None = None, description: str | None = None
) -> CheckpointInfo:
    check_text(name, description)
    values = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    with store.write() as s:
        if not s.scalar(select(func.count()).where(Checkpoint.id == checkpoint_id)):
            raise NotFound(f"no checkpoint {checkpoint_id!r}")
        if values:
            s.execute(update(Checkpoint).where(Checkpoint.id == checkpoint_id).values(**values))
    return get(store, checkpoint_id)


def remove(store: Store, checkpoint_id: str) -> None:
    """Delete one checkpoint; its children then follow its parent, so history stays a line.
    Its blobs stay until `mltrack gc` finds them unreferenced (a child's manifest may be a
    delta against this one's)."""
    with store.write() as s:
        row = s.execute(select(Checkpoint.parent_id).where(Checkpoint.id == checkpoint_id)).first()
        if row is None:
            raise NotFound(f"no checkpoint {checkpoint_id!r}")
        s.execute(
            update(Checkpoint).where(Checkpoint.parent_id == checkpoint_id).values(parent_id=row[0])
        )
        s.execute(delete(CheckpointRun).where(CheckpointRun.checkpoint_id == checkpoint_id))
        s.execute(delete(Checkpoint).where(Checkpoint.id == checkpoint_id))


def link_run(store: Store, checkpoint_id: str, run_id: int) -> None:
    """Link both ways: a `checkpoint_runs` row, and the run's `source_code/notebook` field
    (a string field holding the checkpoint id, the agreed convention)."""
    with store.write() as s:
        if not s.scalar(select(func.count()).where(Checkpoint.id == checkpoint_id)):
            raise NotFound(f"no checkpoint {checkpoint_id!r}")
        if not s.scalar(select(func.count()).where(Run.id == run_id)):
            raise NotFound(f"no run with id {run_id}")
        s.execute(
            dialect_insert(s)(CheckpointRun).on_conflict_do_nothing(),
            [{"checkpoint_id": checkpoint_id, "run_id": run_id}],
        )
        # The field names the code the run started from; its end checkpoint is linked beside.
        trigger = s.scalar(select(Checkpoint.trigger).where(Checkpoint.id == checkpoint_id))
        if trigger != RUN_END:
            upsert_scalars(s, run_id, [ScalarWrite(NOTEBOOK_FIELD, "string", text=checkpoint_id)])
        # The run's notebook is the checkpoint's (sys/notebook_path, the lab's per-notebook
        # runs); a run started elsewhere keeps the path it was given.
        path = s.scalar(select(Checkpoint.notebook_path).where(Checkpoint.id == checkpoint_id))
        s.execute(
            update(Run)
            .where(Run.id == run_id, Run.notebook_path.is_(None))
            .values(notebook_path=path)
        )
