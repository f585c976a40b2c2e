"""The tracking client: `init_run()`, `init_project()`, `Run` and its handles.

Importing this package loads SQLAlchemy (the store); `import jupyter_mltrack` does not, it
resolves these names lazily. The query engine (used only by `init_project`) is imported on
first use, keeping it out of the first `init_run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .handler import Handler
from .init import init_run
from .reporting import MLTrackWarning
from .run import Run

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project, RunsTable

__all__ = ["Handler", "MLTrackWarning", "Project", "Run", "RunsTable", "init_project", "init_run"]


def init_project(project: str | None = None, *args: Any, **kwargs: Any) -> Project:
    """A project handle (neptune's `init_project`); see `client.project.init_project`."""
    from .project import init_project as _init_project

    return _init_project(project, *args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("Project", "RunsTable"):
        from . import project

        return getattr(project, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
