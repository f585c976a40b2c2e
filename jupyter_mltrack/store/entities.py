"""Plain dataclasses that cross the store's border: the client, the checkpoint service, the
handlers and the CLI get these, never ORM rows (which would drag sessions along)."""

from __future__ import annotations

from dataclasses import dataclass

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
