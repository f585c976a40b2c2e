"""Run-start hooks: how a layer above the client takes part in every run's start without the
client importing it (the client never imports `kernel/` or `server/`).

The kernel side registers one when `jupyter_mltrack` is imported (see `kernel/__init__.py`):
in a notebook kernel it checkpoints the notebook and links it to each new run. `init_run`
calls the hooks, in the order they were added, for runs that write to a store (async and
sync; an offline spool, a debug store and a read-only run have nothing to link). A hook's
exception reaches `init_run`'s caller: hooks catch what they can survive.

This module imports nothing, so registering costs `import jupyter_mltrack` nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RunStartHook = Callable[[Any], None]

_hooks: list[RunStartHook] = []


def add_hook(hook: RunStartHook) -> None:
    """Call `hook(run)` when a run that writes to a store starts (once per hook)."""
    if hook not in _hooks:
        _hooks.append(hook)


def remove_hook(hook: RunStartHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def run_started(run: Any) -> None:
    """Called by `init_run` once the run is set up (its writer started)."""
    for hook in list(_hooks):
        hook(run)
