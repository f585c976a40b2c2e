"""A run keeps its results (issue 17.3): when a run started in a notebook kernel has stopped
and its cell has finished, or the cell that started it finishes, checkpoint the notebook
again, trigger `run-end`, linked to the run beside its start checkpoint.

`watch(run)` is called with each run that `link.link_run_start` linked. One IPython
`post_run_cell` callback per kernel looks at the watched runs after every cell:
- the starting cell finished: take the end checkpoint (a run that never stops still gets
  one, holding what its cell printed);
- a later cell finished and the run has stopped since the last end checkpoint: take it
  again (the newest `run-end` is the run's end), then stop watching.
The checkpoint goes the way `link.checkpoint` goes: the lab frontend saves the notebook and
checkpoints it (so the outputs are in it); without one, the kernel's own snapshot (Colab's
live notebook; a plain kernel's file on disk, which holds outputs only if it was saved).
Failures are warnings: a training job never stops for its notebook.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ..capture.base import ipython_shell
from ..client.reporting import MLTrackWarning

TRIGGER = "run-end"


@dataclass
class _Watched:
    run: Any
    cell: str  # the cell that started it (link._cell_key)
    ended: bool = False  # an end checkpoint was taken while the run was still running


_watched: dict[str, _Watched] = {}
_registered: list[Any] = []  # the shells our callback is registered with


def watch(run: Any) -> None:
    """Take `run`'s end checkpoint when it stops or its cell ends (see the module doc)."""
    sh = ipython_shell()
    if sh is None or getattr(sh, "kernel", None) is None:
        return
    from .link import _cell_key

    _watched[run.id] = _Watched(run, _cell_key(sh))
    if sh not in _registered:
        sh.events.register("post_run_cell", _after_cell)
        _registered.append(sh)


def _stopped(run: Any) -> bool:
    from ..store import runs

    return runs.get(run.store, run.id).state != "running"


def _after_cell(result: Any = None) -> None:
    """IPython's post_run_cell: end checkpoints for the runs that are due (module doc)."""
    if not _watched:
        return
    sh = ipython_shell()
    if sh is None:
        return
    from .link import _cell_key, checkpoint

    key = _cell_key(sh)
    for run_id, w in list(_watched.items()):
        try:
            stopped = _stopped(w.run)
            if not stopped and (w.ended or key != w.cell):
                continue
            made = checkpoint(w.run.store, trigger=TRIGGER, run=w.run, user_ns=sh.user_ns)
            if made.checkpoint_id is None:
                raise RuntimeError(made.note or "no notebook found")
        except Exception as e:
            _watched.pop(run_id, None)
            warnings.warn(
                f"mltrack: run {run_id} has no end checkpoint: {e}", MLTrackWarning, stacklevel=2
            )
            continue
        if stopped:
            _watched.pop(run_id, None)
        else:
            w.ended = True
