"""`Run`: a tracked run, addressed like neptune's (`run["train/loss"].log(x)`).

The caller only ever appends to in-memory lists; the `Writer` thread owns the store. What the
caller must know synchronously (a path's type, a series' last step, whether the run is still
writable) is kept here in plain dicts, loaded once from the store when a run is resumed.

A new async run does not wait for its store: `init_run` hands over an opener and the writer
thread opens the store and creates the run row (`_boot`) while the caller starts logging into
the buffers. What needs the row (`run.id`, reads, `wait()`) waits for it (`_await_ready`).
The store modules are imported inside the methods that need them (reading.py holds the
reads), for the same reason: importing SQLAlchemy costs ~0.3 s, which belongs in the writer
thread, not in `init_run`.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ..store.entities import RunInfo
from . import hooks, paths, values
from .handler import Handler, SeriesBuffer
from .reading import Reading
from .reporting import Reporter, short_repr
from .writer import Writer

if TYPE_CHECKING:
    from ..store.engine import Store
    from ..store.entities import CellExecutionInfo

MODES = ("async", "sync", "offline", "debug", "read-only")


@dataclass(frozen=True)
class Opened:
    """Where a run lives once it exists: its store and row, the mode it really got (async
    falls back to offline when the store is down), and what to tell the user about that."""

    store: Store
    info: RunInfo
    mode: str
    created: bool  # a new run: nothing to load from the store
    spool_dir: Path | None = None
    temp_dir: Path | None = None
    notice: str | None = None


class Run(Reading):
    """A run being tracked (or read). Create it with `jupyter_mltrack.init_run()`."""

    _spool_dir: Path | None
    _temp_dir: Path | None

    def __init__(
        self,
        opened: Opened | Callable[[], Opened],
        *,
        mode: str,
        flush_period: float = 1.0,
        strict: bool = False,
        max_buffered_points: int = 5_000_000,
        capture_options: dict[str, Any] | None = None,
        interrupt_on_abort: bool = True,
    ) -> None:
        """`opened` is the run, or (async mode) how to create it in the writer thread."""
        self._mode = mode
        self._strict = strict
        self._sync = mode == "sync"
        self._reporter = Reporter(strict)
        self._handles: dict[str, Handler] = {}
        self._types: dict[str, str] = {}
        self._namespaces: set[str] = set()
        self._last_steps: dict[str, float] = {}
        self._ops: list[tuple[Any, ...]] = []
        self._run_updates: list[tuple[Any, ...]] = []
        self._series: list[SeriesBuffer] = []
        self._state = "running" if mode != "read-only" else "read-only"
        self._failed = False
        # Monitoring capture (hardware, console, git, ...) attaches objects with start()/stop()
        # here; they live exactly as long as the run does.
        self._capture: list[Any] = []
        # init_run's neptune-style capture arguments as given; `mark_failed` honours
        # capture_traceback and fail_on_exception from here.
        self._capture_options = dict(capture_options or {})
        # "aborted" when the run is ended on request (`_on_abort`), else finished/failed.
        self._end_state: str | None = None
        # Whether an abort request also interrupts the code running (init_run's option).
        self._interrupt_on_abort = interrupt_on_abort
        # The fast path skips per-call checks that strict mode must do in the caller.
        self._fast_ok = mode in ("async", "offline", "debug") and not strict
        self._ready = threading.Event()
        self._boot_error: Exception | None = None
        self._opener: Callable[[], Opened] | None = None
        if isinstance(opened, Opened):
            self._adopt(opened)
        else:
            self._opener = opened
        self._writer: Writer | None = None
        if mode != "read-only":
            self._writer = Writer(
                self, flush_period=flush_period, max_buffered_points=max_buffered_points
            )
            hooks.register(self)

    def _start(self) -> None:
        """Start the writer thread. init_run calls this once its own side is set up
        (captures attached, their modules imported): the writer's first work, importing
        SQLAlchemy and creating the run, would otherwise compete with it for the GIL."""
        if self._writer is not None:
            self._writer.start()

    def _adopt(self, opened: Opened) -> None:
        self._store = opened.store
        # Name/description assigned before the row existed are already queued for the
        # store; apply them to the local copy too.
        info = opened.info
        for upd in list(self._run_updates):
            if upd[0] == "info":
                info = replace(
                    info,
                    name=upd[1].get("name", info.name),
                    description=upd[1].get("description", info.description),
                )
        self._info = info
        self._mode = opened.mode
        self._spool_dir = opened.spool_dir
        self._temp_dir = opened.temp_dir
        self._failed = self._failed or info.failed
        if not opened.created:
            self._load_fields()
        if opened.notice:  # before anyone waiting on the run goes on
            self._reporter.notice(opened.notice)
        self._ready.set()

    def _boot(self) -> bool:
        """In the writer thread, first thing: create the run if init_run left that to us.
        True when the run exists. If it cannot be created anywhere (the store is down and
        the offline spool cannot be written either) the run ends here, with a warning."""
        opener, self._opener = self._opener, None
        if opener is None:
            return self._boot_error is None
        try:
            self._adopt(opener())
            return True
        except BaseException as e:  # whatever it is, the waiting threads must be let go
            self._die(e if isinstance(e, Exception) else StoreError(repr(e)))
            return False

    def _die(self, error: Exception) -> None:
        self._boot_error = error
        self._state = "stopped"
        for h in list(self._handles.values()):
            h._fbuf = None
        hooks.unregister(self)
        self._ready.set()
        self._reporter.notice(
            f"mltrack: the run could not be created ({error}); what is logged to it is not kept"
        )

    def _await_ready(self) -> None:
        """Wait until the run exists; raise if it could not be created."""
        self._ready.wait()
        if self._boot_error is not None:
            raise StoreError(f"the run could not be created: {self._boot_error}")

    # -- identity ----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The run id, `KEY-n` (neptune's `sys/id`)."""
        self._await_ready()
        return self._info.short_id

    @property
    def mode(self) -> str:
        """The mode the run got: "offline" when async fell back to a spool."""
        self._ready.wait()
        return self._mode

    @property
    def info(self) -> RunInfo:
        self._await_ready()
        return self._info

    @property
    def strict(self) -> bool:
        """Whether logging problems raise (init_run(strict=True)) instead of warning; the
        integrations follow the same choice for their own errors."""
        return self._strict

    @property
    def store(self) -> Store:
        """The store this run writes to (the kernel links its notebook checkpoint there)."""
        self._await_ready()
        return self._store

    @property
    def offline_dir(self) -> Path | None:
        """Where an offline run is spooled until `mltrack sync` (None when online)."""
        self._await_ready()
        return self._spool_dir

    def get_url(self) -> str:
        """neptune code prints this: here it names the run in its store and project."""
        self._await_ready()
        return f"{self._store.config.masked_url}#{self._info.project}/{self._info.short_id}"

    def __repr__(self) -> str:
        self._ready.wait()
        if self._boot_error is not None:
            return f"<Run (not created: {self._boot_error})>"
        return f"<Run {self._info.short_id} {self._info.project!r} mode={self._mode} {self._state}>"

    # -- paths -------------------------------------------------------------------------------
    def __getitem__(self, path: str) -> Handler:
        try:
            return self._handles[path]
        except (KeyError, TypeError):
            return self._new_handle(path)

    def __setitem__(self, path: str, value: Any) -> None:
        self[path].assign(value)

    def __delitem__(self, path: str) -> None:
        self[path].pop()

    def __contains__(self, path: str) -> bool:
        return self.exists(path)

    def _new_handle(self, path: Any) -> Handler:
        problem = paths.path_problem(path)
        if problem is not None:
            return Handler(self, path if isinstance(path, str) else repr(path), problem)
        h = Handler(self, path)
        last = self._last_steps.get(path)
        if last is not None:
            h._step = last
        self._handles[path] = h
        return h

    def assign(self, value: dict[str, Any], wait: bool = False) -> None:
        """`run.assign({"parameters": {...}})`: assign a dict of fields at the root."""
        if not isinstance(value, dict):
            self._problem("type", "", f"run.assign() takes a dict, not {type(value).__name__}")
            return
        for key, v in value.items():
            self[str(key)].assign(v)
        if wait or self._sync:
            self.wait()

    def log(self, metrics: dict[str, Any], step: float | None = None, wait: bool = False) -> None:
        """W&B-style: `run.log({"train/loss": 0.1, "train/acc": 0.9}, step=3)`."""
        if not isinstance(metrics, dict):
            self._problem("type", "", f"run.log() takes a dict, not {type(metrics).__name__}")
            return
        for key, v in metrics.items():
            self[key].log(v, step=step)
        if wait:
            self.wait()

    # -- lifecycle ---------------------------------------------------------------------------
    def wait(self, disk_only: bool = False) -> None:
        """Return when everything logged so far is in the store (or, if the store is down,
        safely in the writer's backlog, with a warning saying so)."""
        self._ready.wait()
        w = self._writer
        if w is not None and self._state == "running":
            w.flush()

    sync = wait

    def stop(self, seconds: float | None = None) -> None:
        """Flush everything, mark the run finished (or failed) and stop the writer."""
        if self._state != "running":
            return
        for cap in reversed(self._capture):
            try:
                cap.stop()
            except Exception as e:
                self._reporter.notice(f"mltrack: stopping capture {cap!r} failed: {e!r}")
        w = self._writer
        assert w is not None
        w.stop()  # a writer thread still creating the run finishes that first
        self._ready.wait()
        if self._boot_error is not None:
            return  # _die() ended it
        if not w.child:
            self._run_updates.append(
                (
                    "state",
                    self._end_state or ("failed" if self._failed else "finished"),
                    self._failed,
                )
            )
        attempts = 0
        while not w.flush() and attempts < 3:
            attempts += 1
            time.sleep(min(2.0, seconds or 2.0) * attempts / 3)
        if w.backlog:
            points = sum(b.points for b in w.backlog)
            updates = sum(len(b.ops) for b in w.backlog)
            spooled = w.spool_backlog() if self._spool_dir is None else None
            if spooled is not None:
                self._reporter.notice(
                    f"mltrack: the store is still unreachable ({w.last_error}); run {self.id}'s "
                    f"last {points:,} points and {updates} field updates are kept in {spooled}:"
                    " run `mltrack sync` when the store is back"
                )
            else:
                self._reporter.notice(
                    f"mltrack: run {self.id} stopped with {points:,} points and {updates} "
                    f"field updates not written ({w.last_error}); they are lost"
                )
        self._state = "stopped"
        for h in self._handles.values():
            h._fbuf = None
        if not w.child:
            self._shrink_wal()
        hooks.unregister(self)
        summary = self._reporter.summary()
        if summary:
            self._reporter.notice(f"mltrack: run {self.id}: {summary}")
        if self._temp_dir is not None:
            self._store.dispose()
            import shutil

            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def _shrink_wal(self) -> None:
        """Give the disk back: a big flush leaves the SQLite WAL as large as that flush.
        Only if no other connection is busy (a short timeout, never a wait)."""
        if not self._store.is_sqlite:
            return
        try:
            with self._store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 50")
                try:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 60000")
        except Exception:  # only disk space is at stake; the run's data is already written
            pass

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and exc is not None:
            self.mark_failed(exc_type, exc, tb)
        self.stop()

    def _on_abort(self) -> None:
        """Called by the writer thread when someone asked to abort this run (`mltrack abort`,
        the lab panel). The run is ended first, as `aborted` with everything logged so far
        flushed, and only then is the code running interrupted: the KeyboardInterrupt that
        follows unwinds into a run already ended, so it cannot turn it `failed` half-way
        (capture/abort.py says how the interrupt is delivered)."""
        from ..capture.abort import interrupt_main
        from ..capture.base import log

        try:
            self._end_state = "aborted"
            self.stop()
        finally:
            self._reporter.notice(
                f"mltrack: run {self.id} was aborted on request; it is ended as 'aborted' with "
                "its data kept, and the code running now is interrupted"
            )
            if self._interrupt_on_abort:
                how = interrupt_main()
                if how != "interrupted":
                    log.info("jupyter-mltrack: run %s: nothing interrupted (%s)", self.id, how)

    def attach_capture(self, capture: Any) -> None:
        """Start a capture object (with start()/stop()) that lives as long as the run."""
        capture.start()
        self._capture.append(capture)

    def mark_failed(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """An exception escaped the user's code (script, IPython cell, `with` block, a
        training an integration drives): keep the traceback (unless
        init_run(capture_traceback=False)) and mark the run failed at once (unless
        init_run(fail_on_exception=False)), so a kernel that dies next still shows it.
        Called by the client's exit hooks and the integrations, not meant for user code."""
        if self._state != "running":
            return
        fail = bool(self._capture_options.get("fail_on_exception", True))
        if fail:
            self._failed = True
        if self._capture_options.get("capture_traceback", True):
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            if len(text) > values.MAX_STRING:
                text = text[-values.MAX_STRING :]
            if self._types.get("monitoring/traceback", "string_series") == "string_series":
                self["monitoring/traceback"].log(text.replace("\x00", ""))
        if fail and self._writer is not None and not self._writer.child:
            self._run_updates.append(("state", "failed", True))
        self.wait()

    def _before_fork(self) -> None:
        """A child must not inherit a run still being created (it would wait for a writer
        thread it does not have): let the creation finish first, unless that is us."""
        w = self._writer
        if w is not None and w._thread is not threading.current_thread():
            self._ready.wait(60)

    def _after_fork(self) -> None:
        """In a forked child: drop what the parent will write, keep logging to the run."""
        if not self._ready.is_set():
            self._opener = None
            self._die(StoreError("the process forked before the run was created"))
            return
        for sb in self._series:
            sb.items.clear()
        self._ops.clear()
        self._run_updates.clear()
        if self._writer is not None:
            self._writer.after_fork()

    # -- checks used by handles --------------------------------------------------------------
    def _problem(self, kind: str, path: str, message: str) -> None:
        self._reporter.problem(kind, path, message)

    def _check_writable(self, path: str, value: Any, problem: str | None) -> bool:
        if problem is not None:
            self._problem("path", path, f"{problem} (value {short_repr(value)} not stored)")
            return False
        if self._state != "running":
            if self._boot_error is not None:
                self._problem(
                    "stopped",
                    path,
                    f"{path}: {short_repr(value)} not stored because the run could not be "
                    f"created ({self._boot_error})",
                )
                return False
            why = (
                "the run is read-only (opened with mode='read-only')"
                if self._state == "read-only"
                else "the run was stopped"
            )
            self._problem(
                "stopped",
                path,
                f"{path}: {short_repr(value)} not stored because {why}; resume it with "
                f"init_run(with_id={self.id!r}) to log more",
            )
            return False
        if path.startswith("sys/") and path not in paths.SYS_WRITABLE:
            self._problem(
                "readonly",
                path,
                f"{path} is set by the tracker and cannot be written; only "
                f"{', '.join(paths.SYS_WRITABLE)} can",
            )
            return False
        return True

    def _is_namespace(self, path: str) -> bool:
        return path in self._namespaces

    def _claim(self, path: str, kind: str, value: Any) -> bool:
        """Give a new path its type, refusing a field under a field or over a namespace."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self._types:
                self._problem(
                    "namespace",
                    path,
                    f"{path}: {prefix!r} is a {self._types[prefix]} field, so it cannot hold "
                    f"{path!r} ({short_repr(value)} not stored); use another name",
                )
                return False
        if path in self._namespaces:
            self._problem(
                "namespace",
                path,
                f"{path} is a namespace holding other fields, so {short_repr(value)} cannot "
                f"be stored there; use a path below it, like '{path}/value'",
            )
            return False
        self._types[path] = kind
        for i in range(1, len(parts)):
            self._namespaces.add("/".join(parts[:i]))
        return True

    def _set_type(self, path: str, kind: str, value: Any) -> bool:
        existing = self._types.get(path)
        if existing is None:
            return self._claim(path, kind, value)
        if not values.compatible(existing, kind):
            self._wrong_type(path, existing, kind, value)
            return False
        self._types[path] = kind
        return True

    def _wrong_type(self, path: str, existing: str, kind: str, value: Any) -> None:
        self._problem(
            "type",
            path,
            f"{path} is a {existing} field; {short_repr(value)} ({type(value).__name__}) "
            f"would make it {kind}, so it was not stored. Log it to another path, or "
            f"`del run[{path!r}]` first to replace the field",
        )

    def _series_buffer(self, path: str, kind: str) -> SeriesBuffer:
        sb = SeriesBuffer(path, kind)
        self._series.append(sb)
        return sb

    def _forget(self, path: str) -> None:
        prefix = path + "/"
        for p in [p for p in self._types if p == path or p.startswith(prefix)]:
            del self._types[p]
            self._last_steps.pop(p, None)
            h = self._handles.get(p)
            if h is not None:
                h._fbuf = None
                h._sbuf = None
                h._step = -math.inf
        self._series[:] = [
            s for s in self._series if s.path != path and not s.path.startswith(prefix)
        ]
        self._namespaces = {
            "/".join(p.split("/")[:i]) for p in self._types for i in range(1, p.count("/") + 1)
        }

    def _assign_scalar(self, path: str, value: Any, problem: str | None) -> None:
        if not self._check_writable(path, value, problem):
            return
        if path in ("sys/name", "sys/description"):
            if not isinstance(value, str) or "\x00" in value or len(value) > 100_000:
                self._problem(
                    "type",
                    path,
                    f"{path} takes a str (no NUL, under 100,000 characters), "
                    f"not {short_repr(value)}",
                )
                return
            self._run_updates.append(("info", {path[4:]: value}))
            if self._ready.is_set():  # until then, _adopt applies it to the new row
                info = self._info
                self._info = (
                    replace(info, name=value)
                    if path == "sys/name"
                    else replace(info, description=value)
                )
            return
        is_set = path == "sys/tags" or self._types.get(path) == "string_set"
        if is_set and isinstance(value, (list, tuple, set, frozenset)):
            h = self[path]
            h.clear()
            h.add(list(value))
            return
        sw = values.scalar_write(path, value)
        if isinstance(sw, str):
            self._problem("too_long" if isinstance(value, str) else "type", path, sw)
            return
        if values.is_nonfinite(value) or (sw.type == "float" and sw.text):
            self._problem(
                "nonfinite",
                path,
                f"{path}: assigned {short_repr(value)}; it is stored as such (queries and "
                "sorting treat it as missing)",
            )
        if isinstance(value, str) and "\x00" in value:
            self._problem(
                "nul", path, f"{path}: the string contains NUL characters; remove them first"
            )
            return
        if not self._set_type(path, sw.type, value):
            return
        self._ops.append(("scalar", sw))

    def _record_cells(self, executions: list[CellExecutionInfo]) -> None:
        """The cell-provenance sink: rows go straight to the store of an online run (an
        offline spool and a debug store have no place for them)."""
        self._await_ready()
        from ..store import cells

        if self._mode in ("async", "sync"):
            cells.record(self._store, self._info.id, executions)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a Run is not iterable; use run.get_structure() or run.fetch()")
