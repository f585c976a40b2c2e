"""`init_run()`: choose the store and mode, create or resume the run, start the writer.

neptune code runs unchanged: `project="workspace/name"` keeps the last part, `api_token` and
neptune's capture/proxy arguments are accepted (the capture ones are stored on the run for the
capture modules). If the configured store cannot be reached (a team PostgreSQL that is down),
an async or sync run falls back to an offline spool with a warning instead of failing the job.
"""

from __future__ import annotations

import os
import time
import warnings
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import capture as run_context
from ..errors import InvalidInput, StoreError
from ..store import names
from ..store.config import StoreConfig, resolve
from ..store.entities import RunInfo
from ..store.text import text_problem
from . import run_start, values
from .lifecycle import MODES, Opened
from .reporting import MLTrackWarning, short_repr
from .run import Run

if TYPE_CHECKING:
    from ..store.engine import Store

_MODE_ALIASES = {"read_only": "read-only", "readonly": "read-only", "asynchronous": "async"}


def _mode(mode: str | None) -> str:
    m = mode or os.environ.get("MLTRACK_MODE") or os.environ.get("NEPTUNE_MODE") or "async"
    m = _MODE_ALIASES.get(m.lower(), m.lower())
    if m not in MODES:
        raise InvalidInput(f"mode {mode!r} is not one of {', '.join(MODES)}")
    return m


def _project(project: str | None) -> str:
    return names.normalize_name(
        project or os.environ.get("MLTRACK_PROJECT") or os.environ.get("NEPTUNE_PROJECT")
    )


def _custom_run_id(value: str | None) -> str | None:
    """It names the run to resume: one that no store can hold is an error in any mode."""
    if not value:
        return None
    problem = text_problem(value) if isinstance(value, str) else "is not a str"
    if problem is None and len(value) > 256:  # runs.custom_run_id is VARCHAR(256)
        problem = f"has {len(value):,} characters; at most 256 are allowed"
    if problem is not None:
        raise InvalidInput(f"custom_run_id {short_repr(value)} {problem}")
    return value


def _run_text(path: str, value: str | None, strict: bool) -> str | None:
    """A name or description the store cannot hold: raised in strict mode; otherwise one
    warning and the run starts without it (the rest of the run is kept)."""
    if value is None:
        return None
    refusal = values.run_text_refusal(path, value)
    if refusal is None:
        return value
    if strict:
        raise InvalidInput(refusal)
    warnings.warn(refusal, MLTrackWarning, stacklevel=3)
    return None


def _who() -> tuple[str, str]:
    """(sys/owner, sys/hostname): the person this process works for (`identity`:
    MLTRACK_USER, which the server exports to its kernels, else JUPYTERHUB_USER, else the OS
    user) and the machine."""
    import socket

    from ..identity import process_user

    return process_user(), socket.gethostname()


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
    creation_time: float | None = None,
    **neptune_kwargs: Any,
) -> Run:
    """Start (or resume) a run. See docs/api.md; the arguments follow neptune.init_run."""
    del api_token, proxies  # accepted so neptune code runs; the store needs no token
    m = _mode(mode)
    proj = _project(project)
    custom_run_id = _custom_run_id(custom_run_id or os.environ.get("MLTRACK_CUSTOM_RUN_ID"))
    name = _run_text("sys/name", name, strict)
    description = _run_text("sys/description", description, strict)
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
    # A new async run is created by the writer thread (Lifecycle.boot): init_run returns at once
    # and the caller logs into the buffers meanwhile. Resumed runs load their fields first
    # (type checks need them), and strict runs raise their store errors here, as promised.
    opener = partial(
        _open,
        m,
        proj,
        store,
        blobs,
        with_id,
        custom_run_id,
        name,
        description,
        time.time() if creation_time is None else creation_time,
    )
    background = m == "async" and not strict and not (with_id or custom_run_id)
    run = Run(
        opener if background else opener(),
        mode=m,
        flush_period=flush_period,
        strict=strict,
        max_buffered_points=max_buffered_points,
        capture_options=capture,
        interrupt_on_abort=context.interrupt_on_abort,
    )
    try:
        if tags and m != "read-only":
            run["sys/tags"].add([tags] if isinstance(tags, str) else list(tags))
        if m != "read-only":
            sink = run._record_cells if m in ("async", "sync") else None
            run_context.attach(run, context, cells_sink=sink)
    finally:
        run._start()  # whatever happened above: only the writer lets the run end
    if m in ("async", "sync"):
        # Layers above the client take part here: in a notebook kernel, the kernel's hook
        # checkpoints the notebook and links it to the run (kernel/__init__.py).
        run_start.run_started(run)
    return run


def _open(
    mode: str,
    project: str,
    store: str | None,
    blobs: str | os.PathLike[str] | None,
    with_id: str | None,
    custom_run_id: str | None,
    name: str | None,
    description: str | None,
    created_at: float,
) -> Opened:
    """Open the store and create or resume the run. If the configured store cannot be
    reached, an async or sync run goes to an offline spool instead (with a notice)."""
    import tempfile

    from ..store.engine import open_store
    from . import spool

    def opened(
        st: Store, mode: str, resume: str | None, custom: str | None, **where: Any
    ) -> Opened:
        info, created = _open_run(st, mode, project, resume, custom, name, description, created_at)
        return Opened(st, info, mode, created, **where)

    if mode == "debug":
        temp_dir = Path(tempfile.mkdtemp(prefix="mltrack-debug-"))
        st = open_store(
            StoreConfig(f"sqlite:///{temp_dir / 'debug.db'}", temp_dir / "blobs"), cached=False
        )
        return opened(st, mode, with_id, custom_run_id, temp_dir=temp_dir)
    cfg = resolve(store, blobs)
    if mode == "offline":
        st, sp = spool.create(cfg, project=project, with_id=with_id, custom_run_id=custom_run_id)
        return opened(st, mode, None, sp.meta["custom_run_id"], spool_dir=sp.path)
    try:
        st = open_store(cfg)
    except StoreError as e:
        if mode == "read-only":
            raise
        st, sp = spool.create(cfg, project=project, with_id=with_id, custom_run_id=custom_run_id)
        notice = (
            f"{e} Logging offline to {sp.path}; run `mltrack sync` when the store is back "
            f"(the run will keep the id {sp.label})."
        )
        return opened(
            st, "offline", None, sp.meta["custom_run_id"], spool_dir=sp.path, notice=notice
        )
    return opened(st, mode, with_id, custom_run_id)


def _open_run(
    st: Store,
    mode: str,
    project: str,
    with_id: str | None,
    custom_run_id: str | None,
    name: str | None,
    description: str | None,
    created_at: float,
) -> tuple[RunInfo, bool]:
    """(the run, whether it was created now)."""
    from ..store import runs

    info: RunInfo | None = None
    if with_id:
        info = runs.get(st, with_id)
    elif custom_run_id:
        info = runs.find_custom(st, project, custom_run_id)
        if info is None and mode == "read-only":
            raise InvalidInput(f"no run with custom_run_id {custom_run_id!r} in {project!r}")
    if info is None:
        owner, host = _who()
        created = runs.create(
            st,
            project,
            name=name or "",
            description=description or "",
            owner=owner,
            hostname=host,
            custom_run_id=custom_run_id,
            created_at=created_at,
        )
        return created, True
    if mode != "read-only":
        runs.update_info(st, info.id, name=name, description=description)
        runs.set_state(st, info.id, "running")
        info = runs.get(st, info.id)
    return info, False
