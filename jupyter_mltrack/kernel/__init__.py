"""The kernel side (DESIGN §6): `%mltrack` magics, the comm with the lab frontend, the
notebook locator for Colab and frontend-less kernels, and inline HTML rendering.

Nothing here is imported by `import jupyter_mltrack`; `%load_ext jupyter_mltrack` loads the
magics and `init_run` calls `link.link_run_start` when it runs in a kernel.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mltrack`: register `%mltrack`."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import Refresher

    for refresher in list(Refresher.live.values()):
        refresher.stop()
    ipython.magics_manager.magics["line"].pop("mltrack", None)
