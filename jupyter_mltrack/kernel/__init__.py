"""The kernel side (DESIGN §6): `%mltrack` magics, the comm with the lab frontend, the
notebook locator for Colab and frontend-less kernels, and inline HTML rendering.

Importing this package (`import jupyter_mltrack` does) only registers the kernel's run-start
hook with the client (`client/run_start.py`): when a run starts in an IPython kernel, the
notebook is checkpointed and linked to it (`link.py`, imported then and only then). The
client never imports this package. `%load_ext jupyter_mltrack` loads the magics. What the
kernel remembers between cells is one object (`state.kernel_state()`).
"""

from __future__ import annotations

import sys
from typing import Any

from ..client import run_start

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def link_notebook(run: Any) -> None:
    """Run-start hook: in IPython, checkpoint the notebook and link it to `run` (link.py
    decides whether there is a notebook: a kernel, a run writing to a store)."""
    if "IPython" in sys.modules:
        from .link import link_run_start

        link_run_start(run)


run_start.add_hook(link_notebook)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mltrack`: register `%mltrack`."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .state import kernel_state

    for refresher in list(kernel_state().refreshers.values()):
        refresher.stop()
    ipython.magics_manager.magics["line"].pop("mltrack", None)
