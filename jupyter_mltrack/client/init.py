"""`init_run()`: choose the store and mode, create or resume the run, start the writer.

neptune code runs unchanged: `project="workspace/name"` keeps the last part, `api_token` and
neptune's capture/proxy arguments are accepted (the capture ones are stored on the run for the
capture modules). If the configured store cannot be reached (a team PostgreSQL that is down),
an async or sync run falls back to an offline spool with a warning instead of failing the job.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path
from typing import Any

from .. import capture as run_context
from ..errors import InvalidInput, StoreError
from ..store import cells, projects, runs
from ..store.config import StoreConfig, resolve
from ..store.engine import Store, open_store
from ..store.entities import RunInfo
from . import spool
from .reporting import MLTrackWarning
from .run import MODES, Run

_MODE_ALIASES = {"read_only": "read-only", "readonly": "read-only", "asynchronous": "async"}


def _mode(mode: str | None) -> str:
    m = mode or os.environ.get("MLTRACK_MODE") or os.environ.get("NEPTUNE_MODE") or "async"
    m = _MODE_ALIASES.get(m.lower(), m.lower())
    if m not in MODES:
        raise InvalidInput(f"mode {mode!r} is not one of {', '.join(MODES)}")
    return m


def _project(project: str | None) -> str:
    return projects.normalize_name(
        project or os.environ.get("MLTRACK_PROJECT") or os.environ.get("NEPTUNE_PROJECT")
    )


def _who() -> tuple[str, str]:
    try:
        owner = getpass.getuser()
    except Exception:
        owner = os.environ.get("USER", "")
    return owner, socket.gethostname()


def init_run(
    project: str | None = None,
    api_token: str | None = None,
    with_id: str | None = None,
    custom_run_id: str | None = None,
    mode: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tags: str | list[str] | None = None,
    source_files: str | list[str] | None = None,
    capture_stdout: bool | None = None,
    capture_stderr: bool | None = None,
    capture_hardware_metrics: bool | None = None,
    fail_on_exception: bool = True,
    monitoring_namespace: str | None = None,
    flush_period: float = 1.0,
    proxies: dict[str, str] | None = None,
    capture_traceback: bool = True,
    git_ref: Any = None,
    dependencies: Any = None,
    *,
    store: str | None = None,
    blobs: str | os.PathLike[str] | None = None,
    strict: bool = False,
    max_buffered_points: int = 5_000_000,
    capture_git: bool | None = None,
    capture_environment: bool | None = None,
    capture_cells: bool | None = None,
    monitoring_interval: float | None = None,
    git_diff_limit: int | None = None,
    interrupt_on_abort: bool | None = None,
    **neptune_kwargs: Any,
) -> Run:
    """Start (or resume) a run. See docs/api.md; the arguments follow neptune.init_run."""
    del api_token, proxies  # accepted so neptune code runs; the store needs no token
    m = _mode(mode)
    proj = _project(project)
    custom_run_id = custom_run_id or os.environ.get("MLTRACK_CUSTOM_RUN_ID") or None
    if neptune_kwargs:
        warnings.warn(
            f"init_run ignores {', '.join(sorted(neptune_kwargs))}", MLTrackWarning, stacklevel=2
        )
    if m == "read-only" and not (with_id or custom_run_id):
        raise InvalidInput("mode='read-only' needs with_id= (or custom_run_id=) of a run to open")
    capture = {
        "capture_stdout": capture_stdout,
        "capture_stderr": capture_stderr,
        "capture_hardware_metrics": capture_hardware_metrics,
        "capture_traceback": capture_traceback,
        "source_files": source_files,
        "git_ref": git_ref,
        "dependencies": dependencies,
        "monitoring_namespace": monitoring_namespace,
        "fail_on_exception": fail_on_exception,
    }
    # Run context (capture/): validated before anything is created, so a bad option
    # leaves no half-made run behind.
    context = run_context.resolve(
        capture_hardware_metrics=capture_hardware_metrics,
        capture_stdout=capture_stdout,
        capture_stderr=capture_stderr,
        capture_git=capture_git,
        capture_environment=capture_environment,
        capture_cells=capture_cells,
        monitoring_interval=monitoring_interval,
        git_diff_limit=git_diff_limit,
        interrupt_on_abort=interrupt_on_abort,
        source_files=source_files,
        monitoring_namespace=monitoring_namespace,
    )
    spool_dir: Path | None = None
    temp_dir: Path | None = None
    cfg: StoreConfig | None = None
    st: Store
    if m == "debug":
        temp_dir = Path(tempfile.mkdtemp(prefix="mltrack-debug-"))
        st = open_store(
            StoreConfig(f"sqlite:///{temp_dir / 'debug.db'}", temp_dir / "blobs"), cached=False
        )
    elif m == "offline":
        cfg = resolve(store, blobs)
        st, sp = spool.create(cfg, project=proj, with_id=with_id, custom_run_id=custom_run_id)
        spool_dir = sp.path
        custom_run_id, with_id = sp.meta["custom_run_id"], None
    else:
        cfg = resolve(store, blobs)
        try:
            st = open_store(cfg)
        except StoreError as e:
            if m == "read-only":
                raise
            st, sp = spool.create(cfg, project=proj, with_id=with_id, custom_run_id=custom_run_id)
            spool_dir = sp.path
            warnings.warn(
                f"{e} Logging offline to {sp.path}; run `mltrack sync` when the store is back "
                f"(the run will keep the id {sp.label}).",
                MLTrackWarning,
                stacklevel=2,
            )
            m = "offline"
            custom_run_id, with_id = sp.meta["custom_run_id"], None
    info = _open_run(st, m, proj, with_id, custom_run_id, name, description)
    run = Run(
        st,
        info,
        mode=m,
        flush_period=flush_period,
        strict=strict,
        max_buffered_points=max_buffered_points,
        capture_options=capture,
        spool_dir=spool_dir,
        temp_dir=temp_dir,
        interrupt_on_abort=context.interrupt_on_abort,
    )
    if tags and m != "read-only":
        run["sys/tags"].add([tags] if isinstance(tags, str) else list(tags))
    if m != "read-only":
        # Cell provenance rows go straight to the store: not for an offline spool (no place
        # for them) nor a debug run (its store is deleted when it stops).
        sink = partial(cells.record, st, info.id) if m in ("async", "sync") else None
        run_context.attach(run, context, cells_sink=sink)
    if m in ("async", "sync") and "IPython" in sys.modules:
        # In a notebook kernel: checkpoint the notebook and link it to the run (kernel/link.py).
        from ..kernel.link import link_run_start

        link_run_start(run)
    return run


def _open_run(
    st: Store,
    mode: str,
    project: str,
    with_id: str | None,
    custom_run_id: str | None,
    name: str | None,
    description: str | None,
) -> RunInfo:
    info: RunInfo | None = None
    if with_id:
        info = runs.get(st, with_id)
    elif custom_run_id:
        info = runs.find_custom(st, project, custom_run_id)
        if info is None and mode == "read-only":
            raise InvalidInput(f"no run with custom_run_id {custom_run_id!r} in {project!r}")
    if info is None:
        owner, host = _who()
        return runs.create(
            st,
            project,
            name=name or "",
            description=description or "",
            owner=owner,
            hostname=host,
            custom_run_id=custom_run_id,
        )
    if mode != "read-only":
        runs.update_info(st, info.id, name=name, description=description)
        runs.set_state(st, info.id, "running")
        info = runs.get(st, info.id)
    return info
