"""jupyter-mltrack: a notebook-native, self-hosted experiment tracker for JupyterLab.

This module is imported in every kernel that uses the tracker, so it must stay light: the
public API is resolved lazily (PEP 562) and nothing here imports SQLAlchemy, tornado or
jupyter_server. The extension entry points only name modules; jupyter_server imports them.
Importing `kernel` registers its run-start hook with the client (a list append): that is how
a run started in a notebook kernel is linked to its notebook, with no `%load_ext`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import kernel as _kernel  # noqa: F401  (registers the notebook link as a run-start hook)
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .client import init_project as init_project
    from .client import init_run as init_run
    from .types import File as File

__all__ = ["File", "__version__", "init_project", "init_run"]

_LAZY = {
    "init_run": ("jupyter_mltrack.client", "init_run"),
    "init_project": ("jupyter_mltrack.client", "init_project"),
    "File": ("jupyter_mltrack.types", "File"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jupyter_mltrack' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../labextension", "dest": "jupyter-mltrack"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_mltrack.server"}]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mltrack`: the `%mltrack` magics (imported only then)."""
    from .kernel import load_ipython_extension as load

    load(ipython)
