"""Plain dataclasses that cross the store's border: the client, the checkpoint service, the
handlers and the CLI get these, never ORM rows (which would drag sessions along)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import identity

# What took a checkpoint: `%mltrack checkpoint` or the lab's button, a run's start, a run's
# end (the notebook with its results), a save in JupyterLab, the safety copy before a restore
# overwrites a notebook, the Python API.
TRIGGERS = ("manual", "run", "run-end", "save", "restore", "api")


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    key: str
    created_at: float


@dataclass(frozen=True)
class RunInfo:
    id: int
    project_id: int
    project: str
    short_id: str
    number: int
    custom_run_id: str | None
    name: str
    description: str
    state: str
    failed: bool
    owner: str
    hostname: str
    created_at: float
    ended_at: float | None
    heartbeat_at: float | None
    abort_requested: bool
    notebook_path: str | None
    # The run's stale period (store.runs.effective_state); None: the reader's default.
    stale_after: float | None = None


@dataclass(frozen=True)
class CellExecutionInfo:
    cell_id: str
    execution_count: int | None
    started_at: float
    ended_at: float | None
    peak_rss: int | None
    peak_gpu_memory: int | None
    error: bool
    run_id: int = 0
    id: int = 0

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration": self.duration,
            "peak_rss": self.peak_rss,
            "peak_gpu_memory": self.peak_gpu_memory,
            "error": self.error,
        }


# The checkpoint aggregate (store/checkpoints.py) reads and writes these.
@dataclass(frozen=True)
class LinkedRun:
    id: str  # the run's short id, e.g. CRED-12
    state: str
    project: str


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    notebook_id: int
    notebook_path: str  # where the notebook is now (follows renames)
    captured_path: str  # where it was when captured
    notebook_deleted: bool
    seq: int
    parent_id: str | None
    created_at: float
    name: str
    description: str
    trigger: str
    author: str
    size: int
    manifest_sha: str
    content_sha: str
    cells_added: int
    cells_removed: int
    cells_modified: int
    cells_moved: int = 0  # moved cells (edited or not) are not in added/removed
    runs: tuple[LinkedRun, ...] = field(default_factory=tuple)
    from_disk: bool = False  # read from the saved file: unsaved edits may be missing
    validation_warning: str | None = None  # invalid, but Jupyter opens it (and warns)

    def as_dict(self) -> dict[str, Any]:
        """The REST/Python entry shape of DESIGN §4. `author` is the name to show and
        `author_username` the stable id, both read from the one stored column
        (`identity.split`: "Name <username>")."""
        author, username = identity.split(self.author)
        return {
            "id": self.id,
            "notebook_path": self.notebook_path,
            "captured_path": self.captured_path,
            "notebook_deleted": self.notebook_deleted,
            "seq": self.seq,
            "parent_id": self.parent_id,
            "created_at": self.created_at,
            "name": self.name,
            "description": self.description,
            "trigger": self.trigger,
            "author": author,
            "author_username": username,
            "size": self.size,
            "changes": {
                "added": self.cells_added,
                "removed": self.cells_removed,
                "modified": self.cells_modified,
                "moved": self.cells_moved,
            },
            "runs": [{"id": r.id, "state": r.state, "project": r.project} for r in self.runs],
            "from_disk": self.from_disk,
            "validation_warning": self.validation_warning,
        }


def changes_text(changes: dict[str, int]) -> str:
    """An entry's `changes` in one short line, as the CLI and `%mltrack history` show it:
    `+2 -1 ~3`, and `, 1 moved` when cells moved (a move is not an add plus a remove)."""
    text = f"+{changes.get('added', 0)} -{changes.get('removed', 0)} ~{changes.get('modified', 0)}"
    return text + (f", {changes['moved']} moved" if changes.get("moved") else "")


@dataclass(frozen=True)
class Head:
    """What a new checkpoint needs of the newest one: its id and what it holds."""

    id: str
    manifest_sha: str
    content_sha: str


@dataclass(frozen=True)
class NewCheckpoint:
    id: str
    path: str
    parent_id: str | None
    name: str
    description: str
    trigger: str
    author: str
    size: int
    manifest_sha: str
    content_sha: str
    cells_added: int
    cells_removed: int
    cells_modified: int
    from_disk: bool
    blobs: Sequence[tuple[str, int, str]]
    skip_if_unchanged: bool = False
    validation_warning: str | None = None
    cells_moved: int = 0
