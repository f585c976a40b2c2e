"""Checkpoint the notebook when a run starts in it, and link the two (DESIGN §6).

`link_run_start(run)` is the kernel's run-start hook (kernel/__init__.py registers it, and
`init_run` calls it). The lab frontend is asked first (it saves the notebook, so the
checkpoint holds edits made a second ago); without an answer in 2 s the kernel snapshots the
notebook itself (`locator`). Several runs started in one cell share one checkpoint. Failures
here are warnings: the run goes on without its notebook rather than stopping a training job.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

from ..capture.base import ipython_shell
from ..client.reporting import MLTrackWarning
from .locator import Located, locate
from .state import LinkResult, kernel_state

DISABLE_ENV = "MLTRACK_NOTEBOOK_LINK"


def _cell_key(sh: Any) -> str:
    """Identifies the cell running now: its execute request, else its execution count."""
    kernel = getattr(sh, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else None
        msg_id = (parent or {}).get("header", {}).get("msg_id")
        if msg_id:
            return str(msg_id)
    except Exception:  # no kernel message at hand: the execution count identifies the cell
        pass
    return f"count-{getattr(sh, 'execution_count', 0)}"


def snapshot(
    store: Any,
    located: Located,
    *,
    trigger: str,
    run_id: str | None = None,
    name: str = "",
    description: str = "",
) -> str:
    from ..checkpoints import service

    if located.source == "history":
        description = description or f"rebuilt from the kernel's input history: {located.note}"
    info = service.create(
        store,
        located.path,
        located.notebook,
        name=name,
        description=description,
        run_id=run_id,
        trigger=trigger,
        author=service.local_user(),
        from_disk=located.from_disk,
    )
    assert info is not None
    return info.id


def checkpoint(
    store: Any,
    *,
    trigger: str,
    run: Any = None,
    name: str = "",
    description: str = "",
    user_ns: dict[str, Any] | None = None,
) -> LinkResult:
    """One checkpoint of this notebook: through the frontend, else by the kernel itself."""
    from ..checkpoints import service

    t0 = time.perf_counter()
    started = time.time()
    run_id = run.id if run is not None else None
    payload: dict[str, Any] = {"trigger": trigger, "name": name, "description": description}
    if run_id is not None:
        payload["run_id"] = run_id
    frontend = kernel_state().frontend
    rid = frontend.request("checkpoint", **payload)
    if rid is not None:
        if run is not None:
            internal = run.info.id

            end = trigger == "run-end"

            def found() -> str | None:
                # A run-end request waits for a run-end made now (an earlier one may exist).
                entry = service.checkpoint_of_run(store, internal, end=end)
                if entry is None or (end and entry["created_at"] < started - 1.0):
                    return None
                return str(entry["id"])
        else:

            def found() -> str | None:
                items, _ = service.history(store, None, trigger=trigger, limit=10)
                for it in items:
                    if (
                        it.created_at >= started - 1.0
                        and it.name == name
                        and it.description == description
                    ):
                        return it.id
                return None

        cid = frontend.wait(rid, found)
        if cid is not None:
            return LinkResult(cid, "frontend", time.perf_counter() - t0)
    sh = ipython_shell()
    located = locate(user_ns if user_ns is not None else (sh.user_ns if sh is not None else {}))
    if located is None:
        return LinkResult(None, "none", time.perf_counter() - t0, "no notebook found")
    cid = snapshot(
        store, located, trigger=trigger, run_id=run_id, name=name, description=description
    )
    return LinkResult(cid, located.source, time.perf_counter() - t0, located.note)


def link_run_start(run: Any) -> LinkResult | None:
    """The kernel's run-start hook (kernel/__init__.py), in IPython: checkpoint the notebook
    (once per cell) and link it."""
    if os.environ.get(DISABLE_ENV, "1").lower() in ("0", "false", "no", "off"):
        return None
    sh = ipython_shell()
    # Kernels only (a Jupyter kernel, Colab, VS Code): a terminal IPython has no notebook.
    if sh is None or getattr(sh, "kernel", None) is None or run.mode not in ("async", "sync"):
        return None
    store = run.store
    state = kernel_state()
    t0 = time.perf_counter()
    try:
        key = (_cell_key(sh), str(store.config.url))
        cached = state.cell_checkpoints.get(key)
        if cached is not None:
            from ..checkpoints import service

            service.link_run(store, cached, run.id)
            result = LinkResult(cached, "same cell", time.perf_counter() - t0)
        else:
            result = checkpoint(store, trigger="run", run=run, user_ns=sh.user_ns)
            if result.checkpoint_id is not None:
                state.cell_checkpoints.clear()
                state.cell_checkpoints[key] = result.checkpoint_id
    except Exception as e:
        warnings.warn(
            f"mltrack: run {run.id} is not linked to its notebook: {e}",
            MLTrackWarning,
            stacklevel=3,
        )
        return None
    if result.checkpoint_id is None:
        warnings.warn(
            f"mltrack: run {run.id} is not linked to a notebook: {result.note}",
            MLTrackWarning,
            stacklevel=3,
        )
    state.last_link = result
    if result.checkpoint_id is not None:
        state.notebook_checkpoint = result.checkpoint_id
    return result
