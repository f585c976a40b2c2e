"""What every capture component shares: the slice of the Run API it writes through, and the
start/stop life cycle the run drives.

Captures only see the neptune-dialect surface (`run[path] = value`, `.log`, `.upload`), so they
write exactly what user code could write, through the same batching writer, and a capture
that fails can never take the run down: `safely` turns any error into one warning.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger("jupyter_mltrack.capture")

T = TypeVar("T")


class RunLike(Protocol):
    def __getitem__(self, path: str) -> Any: ...

    def __setitem__(self, path: str, value: Any) -> None: ...


class Capture(Protocol):
    """A component started when its run starts and stopped (idempotently) when it ends."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def ipython_shell() -> Any:
    """The running IPython shell, if any, without importing IPython when it is not loaded."""
    mod = sys.modules.get("IPython")
    if mod is None:
        return None
    try:
        return mod.get_ipython()
    except Exception:
        return None


def safely(what: str, fn: Callable[[], T], default: T) -> T:
    """Run `fn`; on any error warn once and return `default`, never raise into training."""
    try:
        return fn()
    except Exception as e:  # capture is best effort by design
        log.warning("jupyter-mltrack: %s failed and is skipped: %s: %s", what, type(e).__name__, e)
        return default
