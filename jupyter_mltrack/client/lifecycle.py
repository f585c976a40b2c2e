"""A run's life: created, running (with a heartbeat), stopped, and carried across a fork.

A new async run does not wait for its store: `init_run` hands over an opener and the writer
thread opens the store and creates the run row (`boot`) while the caller logs into the
outbox. What needs the row (`run.id`, reads, `wait()`) waits for it (`await_ready`). The store
modules are imported inside the methods that need them, for the same reason: importing
SQLAlchemy costs ~0.3 s, which belongs in the writer thread, not in `init_run`.

When the run ends (stopped, aborted, or it could not be created) the outbox is closed with the
reason and `on_close` lets the field handles know, so later writes are refused by name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ..store.entities import RunInfo
from .outbox import InfoUpdate, Outbox, StateUpdate
from .reporting import Reporter
from .schema import FieldSchema
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


class Lifecycle:
    """The run's row and its state; the writer thread; start, heartbeat, stop, abort, fork."""

    _store: Store
    _info: RunInfo
    spool_dir: Path | None
    _temp_dir: Path | None

    def __init__(
        self,
        opened: Opened | Callable[[], Opened],
        *,
        mode: str,
        schema: FieldSchema,
        outbox: Outbox,
        reporter: Reporter,
        flush_period: float,
        max_buffered_points: int,
        interrupt_on_abort: bool,
        on_close: Callable[[], None],
    ) -> None:
        """`opened` is the run, or (async mode) how to create it in the writer thread;
        `on_close` is called once the run takes no more writes."""
        self.mode = mode
        self.schema = schema
        self.outbox = outbox
        self.reporter = reporter
        self.state = "running" if mode != "read-only" else "read-only"
        self.failed = False
        # "aborted" when the run is ended on request (`on_abort`), else finished/failed.
        self.end_state: str | None = None
        # Whether an abort request also interrupts the code running (init_run's option).
        self.interrupt_on_abort = interrupt_on_abort
        # Monitoring capture (hardware, console, git, ...) attaches objects with start()/stop()
        # here; they live exactly as long as the run does.
        self.captures: list[Any] = []
        self.ready = threading.Event()
        self.boot_error: Exception | None = None
        self._on_close = on_close
        self._abort_seen = False
        # One caller stops the run (stop(), or the writer on abort); see _claim_stop.
        self._stop_lock = threading.Lock()
        self._stopping = False
        self._stopped = threading.Event()
        self._opener: Callable[[], Opened] | None = None
        if isinstance(opened, Opened):
            self._adopt(opened)
        else:
            self._opener = opened
        self.writer: Writer | None = None
        if mode == "read-only":
            outbox.close(
                "the run is read-only (opened with mode='read-only'); resume it with "
                f"init_run(with_id={self._info.short_id!r}) to log more"
            )
        else:
            self.writer = Writer(
                outbox,
                reporter,
                self,
                flush_period=flush_period,
                max_buffered_points=max_buffered_points,
            )

    # -- creation ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the writer thread. init_run calls this once its own side is set up
        (captures attached, their modules imported): the writer's first work, importing
        SQLAlchemy and creating the run, would otherwise compete with it for the GIL."""
        if self.writer is not None:
            self.writer.start()

    def _adopt(self, opened: Opened) -> None:
        self._store = opened.store
        # Name/description assigned before the row existed are already queued for the
        # store; apply them to the local copy too.
        info = opened.info
        for upd in list(self.outbox.run_updates):
            if isinstance(upd, InfoUpdate):
                info = _renamed(info, upd)
        self._info = info
        self.mode = opened.mode
        self.spool_dir = opened.spool_dir
        self._temp_dir = opened.temp_dir
        self.failed = self.failed or info.failed
        if not opened.created:
            self._load_fields()
        if opened.notice:  # before anyone waiting on the run goes on
            self.reporter.notice(opened.notice)
        self.ready.set()

    def _load_fields(self) -> None:
        from ..store import fields

        self.schema.load(
            (f.path, f.type, f.last_step if f.type in fields.SERIES_TYPES else None)
            for f in fields.list_fields(self._store, self._info.id)
        )

    def boot(self) -> bool:
        """In the writer thread, first thing: create the run if init_run left that to us.
        True when the run exists. If it cannot be created anywhere (the store is down and
        the offline spool cannot be written either) the run ends here, with a warning."""
        opener, self._opener = self._opener, None
        if opener is None:
            return self.boot_error is None
        try:
            self._adopt(opener())
            return True
        except BaseException as e:  # whatever it is, the waiting threads must be let go
            self._die(e if isinstance(e, Exception) else StoreError(repr(e)))
            return False

    def _die(self, error: Exception) -> None:
        self.boot_error = error
        self._close(f"the run could not be created ({error})")
        self.ready.set()
        self.reporter.notice(
            f"mltrack: the run could not be created ({error}); what is logged to it is not kept"
        )

    def _close(self, reason: str) -> None:
        self.state = "stopped"
        self.outbox.close(reason)
        self._on_close()

    def await_ready(self) -> None:
        """Wait until the run exists; raise if it could not be created."""
        self.ready.wait()
        if self.boot_error is not None:
            raise StoreError(f"the run could not be created: {self.boot_error}")

    # -- identity ----------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        self.await_ready()
        return self._store

    @property
    def info(self) -> RunInfo:
        self.await_ready()
        return self._info

    @property
    def id(self) -> str:
        return self.info.short_id

    @property
    def label(self) -> str:
        """The run's id if it exists, else what it is waiting for (never blocks)."""
        if not self.ready.is_set():
            return "a run being created"
        if self.boot_error is not None:
            return "a run not created"
        return self._info.short_id

    def update_info(self, update: InfoUpdate) -> None:
        """`sys/name` or `sys/description` assigned: queued for the store, and kept here
        (until the row exists, `_adopt` applies it to the new row)."""
        self.outbox.put_run_update(update)
        if self.ready.is_set():
            self._info = _renamed(self._info, update)

    def reload_info(self) -> RunInfo:
        """The row as stored now (state, heartbeat), kept as this process's copy; the copy
        this process has when the store cannot answer (or in debug mode)."""
        from ..store import runs as runs_repo

        info = self.info
        if self.mode != "debug":
            try:
                info = runs_repo.get(self._store, info.id)
                self._info = info
            except Exception:  # store unreachable: the values this process knows still answer
                pass
        return info

    # -- running -----------------------------------------------------------------------------
    def wait(self) -> None:
        """Return when everything logged so far is in the store (or, if the store is down,
        safely in the writer's backlog, with a warning saying so)."""
        self.ready.wait()
        w = self.writer
        if w is not None and self.state == "running":
            w.flush()

    def attach_capture(self, capture: Any) -> None:
        capture.start()
        self.captures.append(capture)

    def fail(self) -> None:
        """Mark the run failed now, in the store too, so a kernel that dies next still shows
        it (a forked child leaves the run's state to its parent)."""
        self.failed = True
        if self.writer is not None and not self.writer.child:
            self.outbox.put_run_update(StateUpdate("failed", True))

    def record_cells(self, executions: list[CellExecutionInfo]) -> None:
        """The cell-provenance sink: rows go straight to the store of an online run (an
        offline spool and a debug store have no place for them)."""
        self.await_ready()
        from ..store import cells

        if self.mode in ("async", "sync"):
            cells.record(self._store, self._info.id, executions)

    def poll(self, *, heartbeat: bool) -> None:
        """From the writer thread after every flush (a second by default): end the run if an
        abort was requested; with `heartbeat`, also tell the store the run is alive."""
        from ..store import runs as runs_repo

        try:
            if heartbeat:
                abort = runs_repo.heartbeat(self._store, self._info.id)
            else:
                abort = runs_repo.abort_requested(self._store, self._info.id)
        except Exception:  # store down: the flush path reports it; the next poll retries
            return
        if abort and not self._abort_seen:
            self._abort_seen = True
            try:
                self.on_abort()
            except Exception as e:
                self.reporter.notice(f"mltrack: the abort hook failed: {e!r}")

    def on_abort(self) -> None:
        """Someone asked to abort this run (`mltrack abort`, the lab panel). The run is ended
        first, as `aborted` with everything logged so far flushed, and only then is the code
        running interrupted: the KeyboardInterrupt that follows unwinds into a run already
        ended, so it cannot turn it `failed` half-way (capture/abort.py says how the
        interrupt is delivered). A run already stopping is left to that stop, which ends it
        `aborted` too (as does the store, `runs.set_state`)."""
        from ..capture.abort import interrupt_main
        from ..capture.base import log

        self.end_state = "aborted"
        if not self._claim_stop():
            self.reporter.notice(
                f"mltrack: run {self.id} was aborted on request while it was stopping; it "
                "ends as 'aborted' with its data kept"
            )
            return
        try:
            self._stop(None)
        finally:
            self._stopped.set()
            self.reporter.notice(
                f"mltrack: run {self.id} was aborted on request; it is ended as 'aborted' with "
                "its data kept, and the code running now is interrupted"
            )
            if self.interrupt_on_abort:
                how = interrupt_main()
                if how != "interrupted":
                    log.info("jupyter-mltrack: run %s: nothing interrupted (%s)", self.id, how)

    # -- stopping ----------------------------------------------------------------------------
    def stop(self, seconds: float | None = None) -> None:
        """Flush everything, mark the run finished (or failed), stop the writer; while another
        thread stops it (the writer, on an abort), wait for that."""
        if not self._claim_stop():
            w = self.writer
            if self._stopping and not (w is not None and w.is_current_thread()):
                self._stopped.wait(60)
            return
        try:
            self._stop(seconds)
        finally:
            self._stopped.set()

    def _claim_stop(self) -> bool:
        """True for the one caller that stops the run: not stopped, nobody stopping it."""
        with self._stop_lock:
            if self._stopping or self.state != "running":
                return False
            self._stopping = True
            return True

    def _stop(self, seconds: float | None) -> None:
        for cap in reversed(self.captures):
            try:
                cap.stop()
            except Exception as e:
                self.reporter.notice(f"mltrack: stopping capture {cap!r} failed: {e!r}")
        w = self.writer
        assert w is not None
        w.stop()  # a writer thread still creating the run finishes that first
        self.ready.wait()
        if self.boot_error is not None:
            return  # _die() ended it
        if not w.child:
            state = self.end_state or ("failed" if self.failed else "finished")
            self.outbox.put_run_update(StateUpdate(state, self.failed))
        attempts = 0
        while not w.flush() and attempts < 3:
            attempts += 1
            time.sleep(min(2.0, seconds or 2.0) * attempts / 3)
        if w.backlog:
            self._report_backlog(w)
        self._close(
            f"the run was stopped; resume it with init_run(with_id={self.id!r}) to log more"
        )
        if not w.child:
            from ..store.maintenance import shrink_wal

            shrink_wal(self._store)
        summary = self.reporter.summary()
        if summary:
            self.reporter.notice(f"mltrack: run {self.id}: {summary}")
        if self._temp_dir is not None:
            self._store.dispose()
            import shutil

            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def _report_backlog(self, w: Writer) -> None:
        points = sum(b.points for b in w.backlog)
        # Field updates, with file uploads the blob store would not take (packing.Batch.waiting).
        updates = sum(len(b.changes) + len(b.waiting) for b in w.backlog)
        error = w.last_error or next((b.blob_error for b in w.backlog if b.blob_error), None)
        spooled = w.spool_backlog() if self.spool_dir is None else None
        if spooled is not None:
            self.reporter.notice(
                f"mltrack: the store is still unreachable ({error}); run {self.id}'s "
                f"last {points:,} points and {updates} field updates are kept in {spooled}:"
                " run `mltrack sync` when the store is back"
            )
        else:
            self.reporter.notice(
                f"mltrack: run {self.id} stopped with {points:,} points and {updates} "
                f"field updates not written ({error}); they are lost"
            )

    # -- fork --------------------------------------------------------------------------------
    def before_fork(self) -> None:
        """A child must not inherit a run still being created (it would wait for a writer
        thread it does not have): let the creation finish first, unless that is us."""
        w = self.writer
        if w is not None and not w.is_current_thread():
            self.ready.wait(60)

    def after_fork(self) -> None:
        """In a forked child: drop what the parent will write, keep logging to the run."""
        self._stop_lock = threading.Lock()  # it may have been held by a parent's thread
        if not self.ready.is_set():
            self._opener = None
            self._die(StoreError("the process forked before the run was created"))
            return
        self.outbox.discard()
        if self.writer is not None:
            self.writer.after_fork()


def _renamed(info: RunInfo, update: InfoUpdate) -> RunInfo:
    return replace(
        info,
        name=info.name if update.name is None else update.name,
        description=info.description if update.description is None else update.description,
    )
