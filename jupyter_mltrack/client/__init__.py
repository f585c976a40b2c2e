"""The tracking client: `init_run()`, `init_project()`, `Run` and its field handles.

The names are resolved on first use (PEP 562), like `jupyter_mltrack`'s own: importing a
module of this package (the kernel registers its run-start hook in `run_start` when
`jupyter_mltrack` is imported) must not import the client. Nothing on `init_run`'s path
imports SQLAlchemy; the query engine (used only by `init_project`) stays out of it too.

Layout: `init` creates a `run.Run`, which wires `schema` (field types and checks), `outbox`
(typed operations for the writer), `lifecycle` (create, heartbeat, stop, fork; it owns the
`writer` thread), `reading` and `field` (the handles) together. See docs/architecture.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .field import FieldHandle as FieldHandle
    from .init import init_run as init_run
    from .project import Project as Project
    from .project import RunsTable as RunsTable
    from .reporting import MLTrackWarning as MLTrackWarning
    from .run import Run as Run

    Handler = FieldHandle  # the former name of FieldHandle

__all__ = [
    "FieldHandle",
    "MLTrackWarning",
    "Project",
    "Run",
    "RunsTable",
    "init_project",
    "init_run",
]

_LAZY = {
    "FieldHandle": ("field", "FieldHandle"),
    # The field handle's former name (it is also what neptune calls it): kept importable.
    "Handler": ("field", "FieldHandle"),
    "MLTrackWarning": ("reporting", "MLTrackWarning"),
    "Run": ("run", "Run"),
    "init_run": ("init", "init_run"),
    "Project": ("project", "Project"),
    "RunsTable": ("project", "RunsTable"),
}


def init_project(project: str | None = None, *args: Any, **kwargs: Any) -> Project:
    """A project handle (neptune's `init_project`); see `client.project.init_project`."""
    from .project import init_project as _init_project

    return _init_project(project, *args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
