"""The tracking client: `init_run()`, `init_project()`, `Run` and its handles.

Importing this package loads SQLAlchemy (the store); `import jupyter_mltrack` does not, it
resolves these names lazily.
"""

from __future__ import annotations

from .handler import Handler
from .init import init_run
from .project import Project, RunsTable, init_project
from .reporting import MLTrackWarning
from .run import Run

__all__ = ["Handler", "MLTrackWarning", "Project", "Run", "RunsTable", "init_project", "init_run"]
