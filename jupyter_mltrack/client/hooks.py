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
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from ..capture.base import ipython_shell


class LiveRun(Protocol):
    """What the process hooks do to a live run."""

    @property
    def id(self) -> str: ...

    def stop(self, seconds: float | None = None) -> None: ...

    def mark_failed(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None: ...


ForkHook = Callable[[], None]

# id(run) -> (run, its before-fork hook, its after-fork-in-child hook)
_live: dict[int, tuple[LiveRun, ForkHook, ForkHook]] = {}
_lock = threading.Lock()
_installed = False
_ipython_shells: set[int] = set()


def register(run: LiveRun, *, before_fork: ForkHook, after_fork: ForkHook) -> None:
    _install()
    with _lock:
        _live[id(run)] = (run, before_fork, after_fork)
    _watch_ipython()


def unregister(run: LiveRun) -> None:
    with _lock:
        _live.pop(id(run), None)


def live_runs() -> list[LiveRun]:
    """The runs of this process still running, oldest first (`Run` objects)."""
    with _lock:
        return [run for run, _, _ in _live.values()]


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
    with _lock:
        hooks = [before for _, before, _ in _live.values()]
    for before in hooks:
        before()


def _after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    for _, _, after in list(_live.values()):
        after()


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
