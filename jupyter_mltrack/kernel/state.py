"""What this kernel remembers between cells, in one object: the lab frontend as known so far,
the last notebook link, the checkpoint this kernel last made of its notebook, the checkpoint
shared by the runs of one cell, and the `%mltrack show` outputs still refreshing.

A kernel is one process, so there is one `KernelState` per process (`kernel_state()`); it is
created on first use, never by `import jupyter_mltrack`. Tests and tools read it from here
instead of from module globals scattered over comm.py, link.py and magics.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .comm import Frontend

if TYPE_CHECKING:
    from .refresh import Refresher


@dataclass
class LinkResult:
    """How a notebook checkpoint was made for a run start (or a `%mltrack checkpoint`)."""

    checkpoint_id: str | None
    via: str  # frontend | colab | file | history | same cell | none
    seconds: float
    note: str = ""


@dataclass
class RunEndWatch:
    """A run waiting for its `run-end` checkpoint (kernel/run_end.py)."""

    run: Any
    cell: str  # the cell that started it (link._cell_key)
    # The end checkpoint taken while the run was still running (its starting cell ended).
    interim: str | None = None


@dataclass
class KernelState:
    frontend: Frontend = field(default_factory=Frontend)
    # The last run-start link (`%mltrack status` shows it).
    last_link: LinkResult | None = None
    # A checkpoint of this notebook made from this kernel: it names the notebook even after
    # a rename (the server moves its history along), so `%mltrack history` finds it.
    notebook_checkpoint: str | None = None
    # (cell key, store url) -> checkpoint id: the runs started in one cell share one.
    cell_checkpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    # run id -> the `%mltrack show` output redrawn while that run runs.
    refreshers: dict[str, Refresher] = field(default_factory=dict)
    # run id -> the run waiting for its `run-end` checkpoint (kernel/run_end.py), and the
    # shells its post_run_cell callback is registered with.
    run_ends: dict[str, RunEndWatch] = field(default_factory=dict)
    run_end_shells: list[object] = field(default_factory=list)


@functools.cache
def kernel_state() -> KernelState:
    """This kernel's state (made on first use, then the same object)."""
    return KernelState()
