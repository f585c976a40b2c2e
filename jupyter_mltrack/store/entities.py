"""Plain dataclasses that cross the store's border: the client, the checkpoint service, the
handlers and the CLI get these, never ORM rows (which would drag sessions along)."""

from __future__ import annotations

from dataclasses import dataclass


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
