"""The kernel side (DESIGN §6): `%mltrack` magics, the comm with the lab frontend, the
notebook locator for Colab and frontend-less kernels, and inline HTML rendering.

Importing this package (`import jupyter_mltrack` does) registers the kernel's run-start hook
with the client (`client/run_start.py`): when a run starts in an IPython kernel, the notebook
is checkpointed and linked to it (`link.py`, imported then and only then). In a running
IPython shell it also registers `%mltrack`, so no `%load_ext` is needed (which still works,
and registers nothing twice); IPython is never imported here, only asked when a script or
kernel has loaded it already. The client never imports this package. What the kernel
remembers between cells is one object (`state.kernel_state()`).
"""

from __future__ import annotations

import sys
from typing import Any

from ..client import run_start

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def link_notebook(run: Any) -> None:
    """Run-start hook: in IPython, checkpoint the notebook and link it to `run` (link.py
    decides whether there is a notebook: a kernel, a run writing to a store), then watch the
    run for its end checkpoint, with the results (run_end.py)."""
    if "IPython" in sys.modules:
        from ..client.writer import import_store

        import_store()  # link.py imports the store too, while the writer may be importing it
        from .link import link_run_start

        linked = link_run_start(run)
        if linked is not None and linked.checkpoint_id is not None:
            from .run_end import watch

            watch(run)


run_start.add_hook(link_notebook)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mltrack`: register `%mltrack` (once, see magics.register)."""
    from .magics import register

    register(ipython)


class _FirstUse:
    """`%mltrack` as registered by the import: the magics (argparse, the HTML and text
    renderers) are imported at its first use, which puts the real magics in its place."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell

    def __call__(self, line: str) -> Any:
        from .magics import register

        return register(self.shell)(line)


def _register_in_running_shell() -> None:
    """`%mltrack` right after `import jupyter_mltrack` in IPython (a kernel, the terminal
    shell, Colab). Outside IPython, IPython is not in sys.modules and nothing is imported."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    try:
        shell = ipython.get_ipython()
        magics = getattr(shell, "magics_manager", None)
        if magics is not None and "mltrack" not in magics.magics["line"]:
            shell.register_magic_function(_FirstUse(shell), "line", "mltrack")
    except Exception as e:  # an import must not fail for the magics' sake
        import logging

        logging.getLogger("jupyter_mltrack").debug("%%mltrack not registered: %s", e)


_register_in_running_shell()


def unload_ipython_extension(ipython: Any) -> None:
    from .state import kernel_state

    for refresher in list(kernel_state().refreshers.values()):
        refresher.stop()
    ipython.magics_manager.magics["line"].pop("mltrack", None)
