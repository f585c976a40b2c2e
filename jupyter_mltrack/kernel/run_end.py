"""A run keeps its results (issue 17.3): when a run started in a notebook kernel has stopped
and its cell has finished, or the cell that started it finishes, checkpoint the notebook
again, trigger `run-end`, linked to the run beside its start checkpoint.

`watch(run)` is called with each run that `link.link_run_start` linked. One IPython
`post_run_cell` callback per kernel looks at the watched runs after every cell:
- the starting cell finished: take the end checkpoint (a run that never stops still gets
  one, holding what its cell printed);
- a later cell finished and the run has stopped since the last end checkpoint: take it
  again, then stop watching. The interim one taken when the starting cell finished is then
  deleted (unless someone named or described it), so a run that stops in a later cell leaves
  one `run-end` entry in the history, not two.
The checkpoint goes the way `link.checkpoint` goes: the lab frontend saves the notebook and
checkpoints it (so the outputs are in it); without one, the kernel's own snapshot (Colab's
live notebook; a plain kernel's file on disk, which holds outputs only if it was saved).
Failures are warnings: a training job never stops for its notebook.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..capture.base import ipython_shell
from ..client.reporting import MLTrackWarning
from .state import RunEndWatch, kernel_state

TRIGGER = "run-end"


def watch(run: Any) -> None:
    """Take `run`'s end checkpoint when it stops or its cell ends (see the module doc)."""
    sh = ipython_shell()
    if sh is None or getattr(sh, "kernel", None) is None:
        return
    from .link import _cell_key

    state = kernel_state()
    state.run_ends[run.id] = RunEndWatch(run, _cell_key(sh))
    if sh not in state.run_end_shells:
        sh.events.register("post_run_cell", _after_cell)
        state.run_end_shells.append(sh)


def _drop_interim(w: RunEndWatch) -> None:
    """The run has its final end checkpoint: the interim one goes, unless a person named or
    described it (then it is a moment of its own)."""
    if w.interim is None:
        return
    from ..checkpoints import service

    entry = service.get(w.run.store, w.interim, with_content=False)
    if not entry.get("name") and not entry.get("description"):
        service.delete(w.run.store, w.interim)


def _stopped(run: Any) -> bool:
    from ..store import runs

    return runs.get(run.store, run.id).state != "running"


def _after_cell(result: Any = None) -> None:
    """IPython's post_run_cell: end checkpoints for the runs that are due (module doc)."""
    watched = kernel_state().run_ends
    if not watched:
        return
    sh = ipython_shell()
    if sh is None:
        return
    from .link import _cell_key, checkpoint

    key = _cell_key(sh)
    for run_id, w in list(watched.items()):
        try:
            stopped = _stopped(w.run)
            if not stopped and (w.interim is not None or key != w.cell):
                continue
            made = checkpoint(w.run.store, trigger=TRIGGER, run=w.run, user_ns=sh.user_ns)
            if made.checkpoint_id is None:
                raise RuntimeError(made.note or "no notebook found")
            if not stopped:
                w.interim = made.checkpoint_id
                continue
            watched.pop(run_id, None)
            if made.checkpoint_id != w.interim:
                _drop_interim(w)
        except Exception as e:
            watched.pop(run_id, None)
            warnings.warn(
                f"mltrack: run {run_id} has no end checkpoint: {e}", MLTrackWarning, stacklevel=2
            )
