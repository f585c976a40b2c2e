"""The background writer: the only thread that talks to the store for a running run.

Every `flush_period` (and on `wait()`, `stop()` and interpreter exit) it takes what the
callers appended, packs series points into float64 chunks, stores file contents as blobs and
commits the whole batch in one transaction. A batch that cannot be written (store down,
locked, disk full) stays in a backlog, retried with exponential backoff, with one warning
that says how much is waiting; the backlog is bounded (`max_buffered_points`) and when it
must drop points it says how many. Nothing here ever raises into the training loop.

The store side (SQLAlchemy and the store modules, ~0.3 s to import) is imported by the
methods that run in this thread, never when this module is imported: a new async run is even
created here (`Run._boot`), so `init_run` returns before SQLAlchemy is loaded.
"""

from __future__ import annotations

import json
import math
import mimetypes
import struct
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store import config
from ..store.encoding import ScalarWrite, SeriesAppend, float_append, json_append
from . import files as file_ops
from .reporting import short_repr

if TYPE_CHECKING:
    from ..store.engine import Store
    from ..types import File
    from .run import Run

HEARTBEAT_INTERVAL = config.HEARTBEAT_INTERVAL
MAX_BACKOFF = 60.0
# Long conversions are cut in slices so the GIL is handed back to the training loop often.
_SLICE = 300_000


@dataclass
class Batch:
    """One flush worth of work, packed and ready for a transaction (kept as is on retry)."""

    ops: list[tuple[Any, ...]] = field(default_factory=list)
    series: list[SeriesAppend] = field(default_factory=list)
    blobs: list[tuple[str, int, str]] = field(default_factory=list)
    run_updates: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(s.count for s in self.series)

    def empty(self) -> bool:
        return not (self.ops or self.series or self.run_updates)


class Writer:
    def __init__(self, run: Run, *, flush_period: float, max_buffered_points: int) -> None:
        self.run = run
        self.flush_period = max(0.01, float(flush_period))
        self.max_buffered_points = max_buffered_points
        self.backlog: list[Batch] = []
        self.failures = 0
        self.dropped_points = 0
        self.written_points = 0
        self.last_error: str | None = None
        self.child = False  # a forked child writes its own points but not the run's state
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL
        self._abort_seen = False

    # -- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="mltrack-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        delay = self.flush_period
        if not self.child:
            _import_store()
            if not self.run._boot():
                return
            threading.current_thread().name = f"mltrack-writer-{self.run._info.short_id}"
            mimetypes.init()  # the table file uploads need, read now rather than in a wait()
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping:
                return
            try:
                ok = self.flush()
            except Exception as e:
                self.run._reporter.notice(f"mltrack writer: unexpected error {e!r}; retrying")
                ok = False
            delay = self.flush_period if ok else self._backoff()
            if not self.child and time.monotonic() >= self._next_heartbeat:
                self._next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL
                self._heartbeat()

    def _backoff(self) -> float:
        return float(min(MAX_BACKOFF, self.flush_period * 2 ** min(self.failures, 10)))

    def _heartbeat(self) -> None:
        from ..store import runs as runs_repo

        try:
            abort = runs_repo.heartbeat(self.run._store, self.run._info.id)
        except Exception:  # store down: the flush path reports it; the next beat retries
            return
        if abort and not self._abort_seen:
            self._abort_seen = True
            try:
                self.run._on_abort()
            except Exception as e:
                self.run._reporter.notice(f"mltrack: the abort hook failed: {e!r}")

    def stop(self) -> None:
        """Stop the thread (the caller then runs a last flush itself)."""
        self._stopping = True
        self._wake.set()
        t = self._thread
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join(timeout=30)
        self._thread = None

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
        run = self.run
        return bool(
            run._ops or run._run_updates or self.backlog or any(sb.items for sb in run._series)
        )

    def flush(self) -> bool:
        """Write everything appended so far; True when nothing is left waiting."""
        with self._lock:
            batch = self._collect()
            if not batch.empty():
                self.backlog.append(batch)
            self._bound_backlog()
            while self.backlog:
                if not self._write(self.backlog[0]):
                    return False
                self.backlog.pop(0)
            return True

    def _collect(self) -> Batch:
        run = self.run
        batch = Batch()
        n = len(run._ops)
        if n:
            ops = run._ops[:n]
            del run._ops[:n]
            for op in ops:
                self._prepare_op(op, batch)
        n = len(run._run_updates)
        if n:
            batch.run_updates = run._run_updates[:n]
            del run._run_updates[:n]
        for sb in list(run._series):
            items = sb.items
            n = len(items)
            n -= n % 3
            if not n:
                continue
            chunk = items[:n]
            del items[:n]
            try:
                packed = self._pack(sb.path, sb.type, chunk, batch)
            except Exception as e:
                run._reporter.notice(
                    f"mltrack: {n // 3:,} points of {sb.path} could not be stored ({e!r})"
                )
                continue
            if packed is not None:
                batch.series.append(packed)
        return batch

    def _pack(self, path: str, kind: str, chunk: list[Any], batch: Batch) -> SeriesAppend | None:
        if kind == "float_series":
            try:
                # struct.pack is a C loop over the list (array("d", list) is ~10x slower);
                # slices keep each call short so the training thread gets the GIL back.
                a = array("d")
                for i in range(0, len(chunk), _SLICE):
                    part = chunk[i : i + _SLICE]
                    a.frombytes(struct.pack(f"{len(part)}d", *part))
            except (OverflowError, TypeError, struct.error):
                a = self._pack_slowly(path, chunk)
                if not a:
                    return None
            vals = a[1::3]
            if not math.isfinite(sum(chunk[1::3])):
                bad = next(v for v in vals if not math.isfinite(v))
                # In strict mode the caller already raised; here it is only counted.
                self.run._reporter.problem(
                    "nonfinite",
                    path,
                    f"{path}: logged {bad!r}; it is stored as {bad!r} and left out of min/max "
                    "(check the training for divergence)",
                    strict_ok=False,
                )
            return float_append(path, a[0::3], vals, a[2::3])
        steps = array("d", chunk[0::3])
        ts = array("d", chunk[2::3])
        values: list[Any] = chunk[1::3]
        if kind == "file_series":
            metas: list[Any] = []
            keep_steps, keep_ts = array("d"), array("d")
            for s, f, t in zip(steps, values, ts, strict=True):
                meta = self._store_file(path, f, batch)
                if meta is not None:
                    metas.append(meta)
                    keep_steps.append(s)
                    keep_ts.append(t)
            if not metas:
                return None
            return json_append(path, kind, keep_steps, metas, keep_ts)
        return json_append(path, kind, steps, values, ts)

    def _pack_slowly(self, path: str, chunk: list[Any]) -> array[float]:
        a = array("d")
        lost = 0
        for i in range(0, len(chunk) - 2, 3):
            try:
                triple = (float(chunk[i]), float(chunk[i + 1]), float(chunk[i + 2]))
            except (OverflowError, TypeError, ValueError):
                lost += 1
                bad = chunk[i + 1]
                continue
            a.extend(triple)
        if lost:
            self.run._reporter.problem(
                "overflow",
                path,
                f"{path}: {lost:,} value(s) such as {short_repr(bad)} are too large for a "
                "float64 and were not stored; log float(value) or scale it",
                strict_ok=False,
            )
        return a

    def _store_file(self, path: str, f: File, batch: Batch) -> dict[str, Any] | None:
        try:
            meta = file_ops.store_file(self.run._store.blobs, f)
        except OSError as e:
            self.run._reporter.problem(
                "missing_file",
                path,
                f"{path}: cannot read {f!r} ({e.strerror or e}); nothing was uploaded",
                strict_ok=False,
            )
            return None
        batch.blobs.append((meta["sha256"], meta["size"], meta["mime"]))
        return meta

    def _prepare_op(self, op: tuple[Any, ...], batch: Batch) -> None:
        kind = op[0]
        if kind == "file":
            meta = self._store_file(op[1], op[2], batch)
            if meta is not None:
                batch.ops.append(
                    ("scalar", ScalarWrite(op[1], "file", text=json.dumps(meta, sort_keys=True)))
                )
        elif kind == "fileset":
            _, path, names, upload = op
            entries = file_ops.file_set_entries(
                self.run._store.blobs, names, upload=upload, problem=self._fileset_problem(path)
            )
            for e in entries:
                if e.get("uploaded"):
                    batch.blobs.append((e["sha256"], e["size"], e.get("mime", "")))
            if entries:
                batch.ops.append(("fileset", path, entries))
        else:
            batch.ops.append(op)

    def _fileset_problem(self, path: str) -> Any:
        def report(message: str) -> None:
            self.run._reporter.problem("missing_file", path, f"{path}: {message}", strict_ok=False)

        return report

    def _bound_backlog(self) -> None:
        total = sum(b.points for b in self.backlog)
        if total <= self.max_buffered_points:
            return
        dropped = 0
        for b in self.backlog:
            while b.series and total > self.max_buffered_points:
                s = b.series.pop(0)
                total -= s.count
                dropped += s.count
        self.dropped_points += dropped
        self.run._reporter.notice(
            f"mltrack: the store has been unreachable for a while and {total:,} points are "
            f"waiting; dropped the oldest {dropped:,} points to stay under "
            f"max_buffered_points={self.max_buffered_points:,} ({self.dropped_points:,} "
            "dropped so far). Scalars and files are kept."
        )

    def _write(self, batch: Batch, target: tuple[Store, int] | None = None) -> bool:
        """One transaction for the batch's fields and points, then its run updates. Whatever
        is committed is removed from the batch at once, so a retry never writes it twice."""
        from sqlalchemy.exc import IntegrityError

        from ..store import fields, upsert

        run = self.run
        store, run_id = target or (run._store, run._info.id)
        while True:
            try:
                if batch.ops or batch.series or batch.blobs:
                    with store.write() as s:
                        upsert.record_blobs(s, batch.blobs)
                        self._apply_ops(s, run_id, batch.ops)
                        fields.append_series(s, run_id, batch.series)
                    self.written_points += batch.points
                    batch.ops, batch.series, batch.blobs = [], [], []
                while batch.run_updates:
                    self._apply_run_update(store, run_id, batch.run_updates[0])
                    batch.run_updates.pop(0)
            except fields.TypeConflict as e:
                # Another process made this path a different type: drop just that series.
                batch.series = [b for b in batch.series if b.path != e.path]
                run._reporter.problem(
                    "type",
                    e.path,
                    f"{e.path}: it is a {e.existing} field in the store (written by another "
                    f"process?), so {e.wanted} points were not stored; log to another path",
                    strict_ok=False,
                )
                continue
            except IntegrityError as e:
                # Not transient: retrying would fail forever. Say what is lost.
                run._reporter.notice(
                    f"mltrack: the store refused a batch of {batch.points:,} points and "
                    f"{len(batch.ops)} field updates of run {run._info.short_id} "
                    f"({str(e.orig or e).splitlines()[0]}); it was not stored"
                )
                batch.ops, batch.series, batch.run_updates = [], [], []
                return True
            except Exception as e:
                self._failed(batch, e)
                return False
            if self.failures:
                run._reporter.notice(
                    f"mltrack: store reachable again after {self.failures} failed attempts; "
                    f"run {run._info.short_id} is up to date"
                )
            self.failures = 0
            self.last_error = None
            return True

    def spool_backlog(self) -> Path | None:
        """At stop, with the store still unreachable: move what is left to an offline spool
        that `mltrack sync` appends to this run later, instead of losing it."""
        from ..store import runs as runs_repo
        from . import spool

        if not self.backlog:
            return None
        run = self.run
        try:
            st, sp = spool.create(
                run._store.config,
                project=run._info.project,
                with_id=run._info.short_id,
                custom_run_id=None,
                run=run._info,  # so `sync` can recreate it if the store loses it
            )
            local = runs_repo.create(st, run._info.project, name=run._info.name)
            self.failures = 0
            for batch in self.backlog:
                if not self._write(batch, (st, local.id)):
                    return None
            st.dispose()
        except Exception as e:
            run._reporter.notice(f"mltrack: could not spool the unwritten data either: {e!r}")
            return None
        self.backlog = []
        return sp.path

    def _failed(self, batch: Batch, e: Exception) -> None:
        self.failures += 1
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()
        self.last_error = reason[0] if reason else type(e).__name__
        if self.failures in (1, 5) or self.failures % 20 == 0:
            waiting = sum(b.points for b in self.backlog)
            self.run._reporter.notice(
                f"mltrack: cannot write to the store ({self.last_error}); {waiting:,} points "
                f"and {sum(len(b.ops) for b in self.backlog)} field updates of run "
                f"{self.run._info.short_id} are kept in memory and retried in "
                f"{self._backoff():.0f} s (attempt {self.failures})"
            )

    def _apply_ops(self, s: Any, run_id: int, ops: list[tuple[Any, ...]]) -> None:
        from ..store import fields

        scalars: list[ScalarWrite] = []
        for op in ops:
            kind = op[0]
            if kind == "scalar":
                scalars.append(op[1])
                continue
            fields.upsert_scalars(s, run_id, scalars)
            scalars = []
            if kind in ("set_add", "set_remove", "set_clear"):
                current = _json_list(fields.current_text(s, run_id, op[1]))
                now = set(current)
                if kind == "set_add":
                    now.update(op[2])
                elif kind == "set_remove":
                    now.difference_update(op[2])
                else:
                    now = set()
                text = json.dumps(sorted(now), ensure_ascii=False)
                fields.upsert_scalars(s, run_id, [ScalarWrite(op[1], "string_set", text=text)])
            elif kind == "fileset":
                current = _json_list(fields.current_text(s, run_id, op[1]))
                merged = {e["path"]: e for e in current if isinstance(e, dict)}
                merged.update({e["path"]: e for e in op[2]})
                text = json.dumps(sorted(merged.values(), key=lambda e: e["path"]))
                fields.upsert_scalars(s, run_id, [ScalarWrite(op[1], "file_set", text=text)])
            elif kind == "delete":
                fields.delete_field(s, run_id, op[1])
        fields.upsert_scalars(s, run_id, scalars)

    def _apply_run_update(self, store: Store, run_id: int, upd: tuple[Any, ...]) -> None:
        from ..store import runs as runs_repo

        if upd[0] == "info":
            runs_repo.update_info(store, run_id, **upd[1])
        elif upd[0] == "state" and not self.child:
            runs_repo.set_state(store, run_id, upd[1], failed=upd[2])


def _import_store() -> None:
    """Import the store modules in the writer thread, before the run is ready: a thread that
    waited for the run (a read, a wait()) then finds them imported, never half-imported by
    two threads at once (opening the store brings SQLAlchemy and its dialect). Never raises:
    a broken install is reported when the store is opened."""
    try:
        from ..store import cells, engine, fields, runs, upsert  # noqa: F401
    except Exception:  # reported by the store's first use
        pass


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []
