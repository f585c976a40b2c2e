"""The background writer: the only thread that talks to the store for a running run.

Every `flush_period` (and on `wait()`, `stop()` and interpreter exit) it takes what the
callers appended, packs it (`packing.Packer`: series points into float64 arrays, file
contents into blobs) and commits the whole batch in one transaction. A batch that cannot be
written (store down, locked, disk full) stays in the backlog, retried with exponential
backoff, with one warning that says how much is waiting; meanwhile each flush period still
packs what was logged into it (24 bytes a float point), and the backlog is bounded
(`max_buffered_points`): when it must drop points it says how many. Nothing here ever
raises into the training loop.

It drains the run's outbox (`outbox.Outbox`) and writes through named store functions that
take plain dataclasses (`store.batches.write`, `store.runs`); it knows the run only as a
`Destination` (the lifecycle): where to write, how to create the run, how to beat its heart.
The store side (SQLAlchemy and the store modules, ~0.3 s to import) is imported by the
methods that run in this thread, never when this module is imported: a new async run is even
created here (`Destination.boot`), so `init_run` returns before SQLAlchemy is loaded.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..store import config
from .outbox import InfoUpdate, Outbox, RunUpdate
from .packing import Batch, Packer
from .reporting import Reporter

if TYPE_CHECKING:
    from ..store.engine import Store
    from ..store.entities import RunInfo

HEARTBEAT_INTERVAL = config.HEARTBEAT_INTERVAL
MAX_BACKOFF = 60.0


class Destination(Protocol):
    """The run as the writer sees it (the lifecycle): its store and row once it exists."""

    @property
    def store(self) -> Store: ...

    @property
    def info(self) -> RunInfo: ...

    def boot(self) -> bool:
        """Create the run if that was left to the writer; False if it cannot be."""
        ...

    def poll(self, *, heartbeat: bool) -> None:
        """After each flush: act on an abort request; with `heartbeat`, also beat."""
        ...


class Writer:
    def __init__(
        self,
        outbox: Outbox,
        reporter: Reporter,
        run: Destination,
        *,
        flush_period: float,
        max_buffered_points: int,
    ) -> None:
        self.outbox = outbox
        self.reporter = reporter
        self.run = run
        self._packer = Packer(reporter, lambda: run.store.blobs)
        self.flush_period = max(0.01, float(flush_period))
        self.max_buffered_points = max_buffered_points
        # The batch taken but not written: at most one, which each flush packs into.
        self.backlog: list[Batch] = []
        self.failures = 0
        self.blob_failures = 0
        self.dropped_points = 0
        self.written_points = 0
        self.last_error: str | None = None
        self.child = False  # a forked child writes its own points but not the run's state
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL
        self._retry_at = 0.0  # monotonic time of the next write after a failure

    # -- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="mltrack-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        if not self.child:
            import_store()
            if not self.run.boot():
                return
            threading.current_thread().name = f"mltrack-writer-{self.run.info.short_id}"
            mimetypes.init()  # the table file uploads need, read now rather than in a wait()
        while True:
            self._wake.wait(self.flush_period)
            self._wake.clear()
            if self._stopping:
                return
            try:
                if time.monotonic() < self._retry_at:
                    self.pack()  # backing off: keep what is logged packed meanwhile
                elif not self.flush():
                    self._retry_at = time.monotonic() + self._backoff()
            except Exception as e:
                self.reporter.notice(f"mltrack writer: unexpected error {e!r}; retrying")
                self._retry_at = time.monotonic() + self._backoff()
            if self.child:
                continue
            # The abort flag is read after every flush, so an abort interrupts the code within
            # about a flush period; the heartbeat goes with it every HEARTBEAT_INTERVAL. While
            # the store fails, only the heartbeat tries it (each try may wait for a timeout).
            beat = time.monotonic() >= self._next_heartbeat
            if beat:
                self._next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL
            if beat or not self.failures:
                self.run.poll(heartbeat=beat)

    def _backoff(self) -> float:
        return float(min(MAX_BACKOFF, self.flush_period * 2 ** min(self.failures, 10)))

    def stop(self) -> None:
        """Stop the thread (the caller then runs a last flush itself)."""
        self._stopping = True
        self._wake.set()
        t = self._thread
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join(timeout=30)
        self._thread = None

    def is_current_thread(self) -> bool:
        return self._thread is threading.current_thread()

    def after_fork(self) -> None:
        """In a forked child: fresh locks, nothing inherited (the parent writes its own
        pending points), and a new thread that writes only what the child logs."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.backlog = []
        self.child = True
        self._thread = None
        if not self._stopping:
            self.start()

    # -- flushing ----------------------------------------------------------------------------
    def pending(self) -> bool:
        return bool(self.backlog) or self.outbox.pending()

    def pack(self) -> None:
        """Take what was logged into the backlog, packed, without writing it."""
        with self._lock:
            self._pack()

    def _pack(self) -> None:
        batch = self.backlog[0] if self.backlog else Batch()
        self._packer.collect(self.outbox, batch)
        if not self.backlog and not batch.empty():
            self.backlog.append(batch)
        self._bound_backlog()

    def flush(self) -> bool:
        """Write everything appended so far; True when nothing is left waiting."""
        with self._lock:
            self._pack()
            while self.backlog:
                batch = self.backlog[0]
                if not self._write(batch):
                    return False
                if batch.waiting:  # files the blob store could not take: kept, retried
                    self._blobs_failed(batch)
                    return False
                self.backlog.pop(0)
            self.blob_failures = 0
            return True

    def _blobs_failed(self, batch: Batch) -> None:
        self.blob_failures += 1
        if self.blob_failures in (1, 5) or self.blob_failures % 20 == 0:
            self.reporter.notice(
                f"mltrack: cannot store files in the blob store ({batch.blob_error}); "
                f"{len(batch.waiting)} file operations of run {self.run.info.short_id} are "
                f"kept and retried (attempt {self.blob_failures})"
            )

    def _bound_backlog(self) -> None:
        total = sum(b.points for b in self.backlog)
        if total <= self.max_buffered_points:
            return
        dropped = sum(b.drop_oldest(total - self.max_buffered_points) for b in self.backlog)
        total -= dropped
        self.dropped_points += dropped
        self.reporter.notice(
            f"mltrack: the store has been unreachable for a while and {total:,} points are "
            f"waiting; dropped the oldest {dropped:,} points to stay under "
            f"max_buffered_points={self.max_buffered_points:,} ({self.dropped_points:,} "
            "dropped so far). Scalars and files are kept."
        )

    def _write(self, batch: Batch, target: tuple[Store, int] | None = None) -> bool:
        """One transaction for the batch's fields and points, then its run updates. Whatever
        is committed is removed from the batch at once, so a retry never writes it twice."""
        from ..store import batches

        store, run_id = target or (self.run.store, self.run.info.id)
        label = self.run.info.short_id
        while True:
            try:
                if batch.changes or batch.series or batch.blobs:
                    batches.write(
                        store,
                        run_id,
                        blobs=batch.blobs,
                        changes=batch.changes,
                        series=batch.appends(),
                    )
                    self.written_points += batch.points
                    batch.written()
                while batch.run_updates:
                    self._apply_run_update(store, run_id, batch.run_updates[0])
                    batch.run_updates.pop(0)
            except batches.TypeConflict as e:
                # Another process made this path a different type: drop just that series.
                batch.drop_path(e.path)
                self.reporter.problem(
                    "type",
                    e.path,
                    f"{e.path}: it is a {e.existing} field in the store (written by another "
                    f"process?), so {e.wanted} points were not stored; log to another path",
                    strict_ok=False,
                )
                continue
            except batches.Refused as e:
                # Not transient: retrying would fail forever. Say what is lost.
                self.reporter.notice(
                    f"mltrack: the store refused a batch of {batch.points:,} points and "
                    f"{len(batch.changes)} field updates of run {label} ({e}); it was not stored"
                )
                batch.written()
                batch.run_updates = []
                return True
            except Exception as e:
                self._failed(batch, e)
                return False
            if self.failures:
                self.reporter.notice(
                    f"mltrack: store reachable again after {self.failures} failed attempts; "
                    f"run {label} is up to date"
                )
            self.failures = 0
            self._retry_at = 0.0
            self.last_error = None
            return True

    def spool_backlog(self) -> Path | None:
        """At stop, with the store still unreachable: move what is left to an offline spool
        that `mltrack sync` appends to this run later, instead of losing it."""
        from ..store import runs as runs_repo
        from . import spool

        if not self.backlog:
            return None
        info = self.run.info
        try:
            st, sp = spool.create(
                self.run.store.config,
                project=info.project,
                with_id=info.short_id,
                custom_run_id=None,
                run=info,  # so `sync` can recreate it if the store loses it
            )
            local = runs_repo.create(st, info.project, name=info.name)
            self.failures = 0
            # Files the blob store never took go to the spool's own blob folder.
            spooled = Packer(self.reporter, lambda: st.blobs)
            for batch in self.backlog:
                spooled.prepare([], batch)
                if not self._write(batch, (st, local.id)):
                    return None
                if batch.waiting:
                    self.reporter.notice(
                        f"mltrack: {len(batch.waiting)} file operations could not be stored "
                        f"({batch.blob_error}); they are lost"
                    )
            st.dispose()
        except Exception as e:
            self.reporter.notice(f"mltrack: could not spool the unwritten data either: {e!r}")
            return None
        self.backlog = []
        return sp.path

    def _failed(self, batch: Batch, e: Exception) -> None:
        self.failures += 1
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()
        self.last_error = reason[0] if reason else type(e).__name__
        if self.failures in (1, 5) or self.failures % 20 == 0:
            waiting = sum(b.points for b in self.backlog)
            self.reporter.notice(
                f"mltrack: cannot write to the store ({self.last_error}); {waiting:,} points "
                f"and {sum(len(b.changes) for b in self.backlog)} field updates of run "
                f"{self.run.info.short_id} are kept in memory and retried in "
                f"{self._backoff():.0f} s (attempt {self.failures})"
            )

    def _apply_run_update(self, store: Store, run_id: int, update: RunUpdate) -> None:
        from ..store import runs as runs_repo

        if isinstance(update, InfoUpdate):
            runs_repo.update_info(store, run_id, name=update.name, description=update.description)
        elif not self.child:
            runs_repo.set_state(store, run_id, update.state, failed=update.failed)


_STORE_IMPORT = threading.Lock()


def import_store() -> None:
    """Import the store modules (SQLAlchemy and its dialects come with them) under one lock.

    Two threads importing SQLAlchemy at once can fail: Python's import-deadlock avoidance
    hands one of them a half-initialized module ("module 'sqlalchemy.util' has no attribute
    ..."), and a run's creation then fails. The writer thread imports the store here before
    its run is ready; a layer above that imports the store on another thread while a run is
    being created (the kernel's run-start hook: the checkpoint service) calls this first, and
    waits. Never raises: a broken install is reported when the store is opened."""
    with _STORE_IMPORT:
        try:
            from ..store import batches, cells, engine, fields, runs, upsert  # noqa: F401
        except Exception:  # reported by the store's first use
            pass
