"""Process-level hooks shared by all live runs: interpreter exit, fork, uncaught exceptions.

Installed once, on the first run. At exit every live run is flushed and stopped (a forked
child only flushes its own points). An uncaught exception, in a script or in an IPython
cell, marks every live run failed with its traceback; a KeyboardInterrupt in a notebook cell
is the user stopping a cell, not the run failing, so it is not counted there.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..capture.base import ipython_shell

if TYPE_CHECKING:
    from .run import Run

_live: dict[int, Run] = {}
_lock = threading.Lock()
_installed = False
_ipython_shells: set[int] = set()


def register(run: Run) -> None:
    _install()
    with _lock:
        _live[id(run)] = run
    _watch_ipython()


def unregister(run: Run) -> None:
    with _lock:
        _live.pop(id(run), None)


def live_runs() -> list[Run]:
    with _lock:
        return list(_live.values())


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork)
    previous = sys.excepthook

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        for run in live_runs():
            try:
                run.mark_failed(exc_type, exc, tb)
            except Exception:  # the user's own traceback must still be printed below
                pass
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _at_exit() -> None:
    for run in live_runs():
        try:
            run.stop()
        except Exception as e:
            print(f"mltrack: could not stop run {run.id} at exit: {e!r}", file=sys.stderr)


def _before_fork() -> None:
    for run in live_runs():
        run._before_fork()


def _after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    for run in list(_live.values()):
        run._after_fork()


def _watch_ipython() -> None:
    """In IPython/Jupyter, a cell that raises marks the live runs failed."""
    shell = ipython_shell()
    if shell is None or id(shell) in _ipython_shells:
        return
    _ipython_shells.add(id(shell))

    def post_run_cell(result: Any) -> None:
        exc = getattr(result, "error_in_exec", None)
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return
        for run in live_runs():
            try:
                run.mark_failed(type(exc), exc, exc.__traceback__)
            except Exception:  # a post_run_cell hook that raises would spam every cell
                pass

    shell.events.register("post_run_cell", post_run_cell)
