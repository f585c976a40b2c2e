"""A notebook's identity across renames and deletes: JupyterLab's contents events move a
notebook row's `path` (its whole history follows, and so do the runs started from it) or mark
it deleted (its history outlives the file). Split from store/checkpoints.py, which appends and
lists the checkpoints."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select, update

from .engine import Store
from .models import Checkpoint, CheckpointRun, Notebook, Run


def _under(path: str, column: Any = Notebook.path) -> ColumnElement[bool]:
    prefix = path.rstrip("/") + "/"
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(column == path, column.like(like, escape="\\"))


def rename(store: Store, old: str, new: str) -> int:
    """A file or folder was renamed: its live notebooks (and their histories) follow."""
    now = time.time()
    with store.write() as s:
        moved = (
            s.execute(select(Notebook).where(_under(old), Notebook.deleted.is_(False)))
            .scalars()
            .all()
        )
        if not moved:
            return 0
        # A notebook overwritten at the destination keeps its history, as deleted.
        s.execute(
            update(Notebook)
            .where(_under(new), Notebook.deleted.is_(False))
            .values(deleted=True, updated_at=now)
        )
        for nb in moved:
            nb.path = new + nb.path[len(old) :]
            nb.updated_at = now
        # The runs started from these notebooks (sys/notebook_path: the runs table's notebook
        # column, a notebook's own runs in the panel) name them where they are now.
        linked = (
            select(CheckpointRun.run_id)
            .join(Checkpoint, Checkpoint.id == CheckpointRun.checkpoint_id)
            .where(Checkpoint.notebook_id.in_([nb.id for nb in moved]))
        )
        s.execute(
            update(Run)
            .where(Run.id.in_(linked), _under(old, Run.notebook_path))
            .values(notebook_path=literal(new) + func.substr(Run.notebook_path, len(old) + 1))
        )
        return len(moved)


def mark_deleted(store: Store, path: str) -> int:
    """A file or folder was deleted: its notebooks keep their history, listed as deleted."""
    with store.write() as s:
        gone = s.scalars(select(Notebook).where(_under(path), Notebook.deleted.is_(False))).all()
        now = time.time()
        for nb in gone:
            nb.deleted = True
            nb.updated_at = now
        return len(gone)
