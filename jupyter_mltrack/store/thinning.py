"""The SQL of save retention (`checkpoints/retention.py` decides what goes; this finds the
candidates and removes them safely).

A candidate is an unprotected `save`: unnamed, undescribed, linked to no run, not its
notebook's newest checkpoint. Removal checks that again inside the write transaction, with
the rows locked on PostgreSQL (`FOR UPDATE` waits for a `link_run` that holds a key-share
lock on the checkpoint, and the check after it then sees the link), so a run's checkpoint is
never removed however the two interleave. The history stays one line: an entry after a
removed one follows the previous kept entry, as `checkpoints.remove` does for one delete,
and the caller measures its cell counts again. The per-trigger totals follow by themselves
(the `checkpoint_counts` triggers, store/checkpoint_totals.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .engine import Store
from .models import Checkpoint, CheckpointRun

_BATCH = 500  # ids per IN (...): under SQLite's bound-parameter limit


@dataclass(frozen=True)
class SaveCandidate:
    id: str
    notebook_id: int
    seq: int
    created_at: float
    head: bool  # its notebook's newest checkpoint: never removed, but it fills its slot


@dataclass(frozen=True)
class Reparented:
    """A kept checkpoint whose parent was removed: its new parent and both manifests."""

    id: str
    parent_id: str | None
    manifest_sha: str
    parent_manifest_sha: str | None


@dataclass(frozen=True)
class Recount:
    id: str
    parent_id: str | None  # the parent the counts were measured against
    added: int
    removed: int
    modified: int
    moved: int = 0  # cells moved (the diff's summary.moved), not in added/removed


def _head_seq() -> Any:
    newest = aliased(Checkpoint)
    return (
        select(func.max(newest.seq))
        .where(newest.notebook_id == Checkpoint.notebook_id)
        .scalar_subquery()
    )


def _unprotected(*, heads: bool = False) -> list[Any]:
    """The conditions that make a checkpoint a save retention may remove (with `heads`, its
    notebook's newest checkpoint passes too)."""
    conds = [
        Checkpoint.trigger == "save",
        or_(Checkpoint.name == "", Checkpoint.name.is_(None)),
        or_(Checkpoint.description == "", Checkpoint.description.is_(None)),
        ~exists().where(CheckpointRun.checkpoint_id == Checkpoint.id),
    ]
    return conds if heads else [*conds, Checkpoint.seq < _head_seq()]


def save_candidates(
    store: Store, *, before: float, notebook_id: int | None = None
) -> list[SaveCandidate]:
    """Unprotected saves taken before `before`, of one notebook or all, a notebook's newest
    checkpoint among them marked `head`. For one notebook this is a range of the history
    index (notebook_id, created_at, ...)."""
    conds = [*_unprotected(heads=True), Checkpoint.created_at < before]
    if notebook_id is not None:
        conds.append(Checkpoint.notebook_id == notebook_id)
    q = select(
        Checkpoint.id,
        Checkpoint.notebook_id,
        Checkpoint.seq,
        Checkpoint.created_at,
        Checkpoint.seq == _head_seq(),
    ).where(*conds)
    with store.read() as s:
        return [SaveCandidate(r[0], r[1], r[2], r[3], bool(r[4])) for r in s.execute(q)]


def _still_removable(s: Session, ids: Sequence[str]) -> dict[str, str | None]:
    """{id: parent_id} of those of `ids` that are still unprotected, rows locked on
    PostgreSQL first (the check runs after the locks are granted)."""
    out: dict[str, str | None] = {}
    postgres = s.get_bind().dialect.name == "postgresql"
    ids = sorted(ids)  # one lock order for every thinning transaction: no deadlock
    for i in range(0, len(ids), _BATCH):
        batch = ids[i : i + _BATCH]
        if postgres:
            s.execute(
                select(Checkpoint.id)
                .where(Checkpoint.id.in_(batch))
                .order_by(Checkpoint.id)
                .with_for_update()
            ).all()
        rows = s.execute(
            select(Checkpoint.id, Checkpoint.parent_id).where(
                Checkpoint.id.in_(batch), *_unprotected()
            )
        )
        out.update({r[0]: r[1] for r in rows})
    return out


def remove_saves(store: Store, ids: Sequence[str]) -> tuple[int, list[Reparented]]:
    """Remove those of `ids` that are still unprotected saves; (how many went, the kept
    checkpoints that now follow another parent).

    Set-based: a few statements per 500 removed, whatever their number (one statement per
    removed save made a first gc of 3,000 old saves take 10-40 s, SQLAlchemy's overhead per
    statement dominating). Each kept child of a removed save is pointed past the run of
    removed saves above it, to the nearest kept ancestor, before the removed rows go.
    """
    with store.write() as s:
        parent_of = _still_removable(s, ids)
        doomed = sorted(parent_of)
        moved: dict[str, str | None] = {}
        for i in range(0, len(doomed), _BATCH):
            batch = doomed[i : i + _BATCH]
            q = select(Checkpoint.id, Checkpoint.parent_id).where(Checkpoint.parent_id.in_(batch))
            for child, parent in s.execute(q):
                if child in parent_of:
                    continue
                while parent is not None and parent in parent_of:
                    parent = parent_of[parent]
                moved[child] = parent
        if moved:
            # The ORM's bulk UPDATE by primary key: one executemany.
            s.execute(update(Checkpoint), [{"id": c, "parent_id": p} for c, p in moved.items()])
        for i in range(0, len(doomed), _BATCH):
            batch = doomed[i : i + _BATCH]
            s.execute(
                delete(Checkpoint)
                .where(Checkpoint.id.in_(batch))
                .execution_options(synchronize_session=False)
            )
        shas = _manifests(s, [*moved, *(p for p in moved.values() if p is not None)])
        out = [
            Reparented(child, parent, shas[child], shas[parent] if parent is not None else None)
            for child, parent in moved.items()
        ]
        return len(doomed), out


def _manifests(s: Session, ids: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), _BATCH):
        batch = unique[i : i + _BATCH]
        q = select(Checkpoint.id, Checkpoint.manifest_sha).where(Checkpoint.id.in_(batch))
        out.update({r[0]: r[1] for r in s.execute(q)})
    return out


def set_counts(store: Store, recounts: Sequence[Recount]) -> None:
    """Store counts measured against a parent, where the checkpoint still follows it."""
    with store.write() as s:
        for r in recounts:
            same_parent = (
                Checkpoint.parent_id.is_(None)
                if r.parent_id is None
                else Checkpoint.parent_id == r.parent_id
            )
            s.execute(
                update(Checkpoint)
                .where(and_(Checkpoint.id == r.id, same_parent))
                .values(
                    cells_added=r.added,
                    cells_removed=r.removed,
                    cells_modified=r.modified,
                    cells_moved=r.moved,
                )
            )
