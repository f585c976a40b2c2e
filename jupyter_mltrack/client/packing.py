"""Turning what the outbox holds into store writes, in the writer thread.

Every flush period the writer moves what was logged into a `Batch`: float points into one
`array('d')` of (step, value, timestamp) per series (24 bytes a point: `struct.pack` over the
flat list, in slices so the training thread gets the GIL back), string and file points into
a list (files are copied into the blob store first, so a field never names a blob that is
not there). The caller's flat lists of Python floats (~100 bytes a point) therefore live at
most one flush period; while the store is unreachable, what waits is packed. Each flush packs
into the one unwritten batch, so a batch holds one array per series however long the store
stays away, and becomes store records (`encoding.SeriesAppend`) only when it is written.
Problems found only here (a value too large for a float64, a file gone before it was read)
are reported by name, never raised (`strict_ok=False`: the caller's thread is not here).
"""

from __future__ import annotations

import json
import math
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import StoreError
from ..store.encoding import (
    FieldDelete,
    FieldWrite,
    FileSetMerge,
    ScalarWrite,
    SeriesAppend,
    float_append,
    json_append,
)
from . import file_values
from .outbox import FieldOp, Outbox, RunUpdate, SeriesBuffer, TrackFiles, UploadFile
from .reporting import Reporter, short_repr

if TYPE_CHECKING:
    from ..store.blob_api import Blobs
    from ..types import File

# Long conversions are cut in slices so the GIL is handed back to the training loop often.
_SLICE = 300_000
# File series points kept through a blob store outage, at most (an image a step for a
# thousand steps, ~100 MB of typical plots); later ones are dropped, and said so.
MAX_WAITING_FILE_POINTS = 1_000


class WaitingFilePoint(NamedTuple):
    """A file series' point whose file the blob store could not take yet. It waits in
    `Batch.waiting` with the operations, in order, and joins its series once the file is
    stored (or, at stop, goes to the offline spool with them)."""

    sb: SeriesBuffer
    step: float
    file: File
    timestamp: float


@dataclass
class Batch:
    """What the writer took from the outbox and has not written yet, kept as is on retry.

    `series` maps each series' buffer to its waiting points, flat (step, value, timestamp):
    an array('d') for a float series, a list for string and file series (file values
    already stored, as their metadata)."""

    changes: list[FieldWrite] = field(default_factory=list)
    series: dict[SeriesBuffer, Any] = field(default_factory=dict)
    blobs: list[tuple[str, int, str]] = field(default_factory=list)
    run_updates: list[RunUpdate] = field(default_factory=list)
    # Operations and file series points whose files the blob store could not take (an S3
    # outage past its retries): kept in order, with every one after them, and stored first
    # on the next pack.
    waiting: list[FieldOp | WaitingFilePoint] = field(default_factory=list)
    blob_error: Exception | None = None

    @property
    def points(self) -> int:
        return sum(len(p) // 3 for sb, p in self.series.items() if not sb.dropped)

    def empty(self) -> bool:
        return not (self.changes or self.points or self.run_updates or self.waiting)

    def appends(self) -> list[SeriesAppend]:
        """The waiting points as store records, one per series. A series deleted after its
        points were taken (`Outbox.forget`) is left out: the deletion would otherwise be
        undone by its own older points, written in the same transaction after it."""
        out = []
        for sb, p in self.series.items():
            if sb.dropped or not p:
                continue
            if sb.type == "float_series":
                out.append(float_append(sb.path, p[0::3], p[1::3], p[2::3]))
            else:
                out.append(
                    json_append(sb.path, sb.type, array("d", p[0::3]), p[1::3], array("d", p[2::3]))
                )
        return out

    def drop_path(self, path: str) -> None:
        """Forget the waiting points of `path` (the store holds another type there)."""
        self.series = {sb: p for sb, p in self.series.items() if sb.path != path}

    def drop_oldest(self, excess: int) -> int:
        """Drop about `excess` points, the oldest of each series in proportion to its share;
        returns how many went."""
        total = self.points
        dropped = 0
        for p in self.series.values():
            n = len(p) // 3
            k = min(n, -(-excess * n // total)) if total else 0
            del p[: 3 * k]
            dropped += k
        return dropped

    def written(self) -> None:
        """Its fields, points and blob rows are committed (run updates may remain)."""
        self.changes, self.series, self.blobs = [], {}, []


class Packer:
    """Packs one run's outbox; `blobs` gives the run's blob store (once the run exists)."""

    def __init__(self, reporter: Reporter, blobs: Callable[[], Blobs]) -> None:
        self.reporter = reporter
        self._blobs = blobs

    def collect(self, outbox: Outbox, batch: Batch) -> None:
        """Move everything the outbox holds now into `batch`."""
        self.prepare(outbox.take_ops(), batch)
        batch.run_updates += outbox.take_run_updates()
        for sb, chunk in outbox.take_points():
            try:
                if sb.type == "float_series":
                    self._pack_floats(sb, chunk, batch)
                else:
                    self._pack_json(sb, chunk, batch)
            except Exception as e:
                self.reporter.notice(
                    f"mltrack: {len(chunk) // 3:,} points of {sb.path} could not be stored ({e!r})"
                )

    def _pack_floats(self, sb: SeriesBuffer, chunk: list[Any], batch: Batch) -> None:
        path = sb.path
        a = batch.series.get(sb)
        if a is None:
            a = batch.series[sb] = array("d")
        try:
            # struct.pack is a C loop over the list (array("d", list) is ~10x slower);
            # slices keep each call short so the training thread gets the GIL back.
            packed = array("d")
            for i in range(0, len(chunk), _SLICE):
                part = chunk[i : i + _SLICE]
                packed.frombytes(struct.pack(f"{len(part)}d", *part))
            values: Any = chunk[1::3]  # a sum over the list's floats is a C loop
        except (OverflowError, TypeError, struct.error):
            packed = self._pack_slowly(path, chunk)
            values = packed[1::3]
        # The sum is finite exactly when no NaN/Inf was logged (or finite values overflow,
        # which only costs the search below).
        if not math.isfinite(sum(values)):
            bad = next((v for v in packed[1::3] if not math.isfinite(v)), None)
            if bad is not None:
                # In strict mode the caller already raised; here it is only counted.
                self.reporter.problem(
                    "nonfinite",
                    path,
                    f"{path}: logged {bad!r}; it is stored as {bad!r} and left out of min/max "
                    "(check the training for divergence)",
                    strict_ok=False,
                )
        a += packed

    def _pack_json(self, sb: SeriesBuffer, chunk: list[Any], batch: Batch) -> None:
        if sb.type == "file_series":
            kept: list[Any] = []
            for i in range(0, len(chunk) - 2, 3):
                point = WaitingFilePoint(sb, chunk[i], chunk[i + 1], chunk[i + 2])
                if batch.waiting:  # the blob store is away: behind what waits already
                    self._wait(point, batch)
                    continue
                try:
                    meta = self._store_file(sb.path, point.file, batch)
                except StoreError as e:
                    batch.blob_error = e
                    self._wait(point, batch)
                    continue
                if meta is not None:
                    kept += (point.step, meta, point.timestamp)
            chunk = kept
        if chunk:
            batch.series.setdefault(sb, []).extend(chunk)

    def _wait(self, point: WaitingFilePoint, batch: Batch) -> None:
        if sum(isinstance(w, WaitingFilePoint) for w in batch.waiting) < MAX_WAITING_FILE_POINTS:
            batch.waiting.append(point)
            return
        self.reporter.problem(
            "blob_outage",
            point.sb.path,
            f"{point.sb.path}: {MAX_WAITING_FILE_POINTS:,} files already wait for the blob "
            f"store ({batch.blob_error}); newer points of this file series are dropped",
            strict_ok=False,
        )

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
            self.reporter.problem(
                "overflow",
                path,
                f"{path}: {lost:,} value(s) such as {short_repr(bad)} are too large for a "
                "float64 and were not stored; log float(value) or scale it",
                strict_ok=False,
            )
        return a

    def _store_file(self, path: str, f: File, batch: Batch) -> dict[str, Any] | None:
        try:
            meta = file_values.upload_file(self._blobs(), f)
        except OSError as e:
            self.reporter.problem(
                "missing_file",
                path,
                f"{path}: cannot read {f!r} ({e.strerror or e}); nothing was uploaded",
                strict_ok=False,
            )
            return None
        batch.blobs.append((meta["sha256"], meta["size"], meta["mime"]))
        return meta

    def prepare(self, ops: list[FieldOp], batch: Batch) -> None:
        """The batch's waiting operations, then `ops`, as store writes. When the blob store
        is unreachable (StoreError after its own retries) that operation and all after it
        wait in the batch, in order, for the next pack: nothing is lost or reordered."""
        queue: list[FieldOp | WaitingFilePoint] = [*batch.waiting, *ops]
        batch.waiting, batch.blob_error = [], None
        for i, op in enumerate(queue):
            try:
                self._prepare(op, batch)
            except StoreError as e:
                batch.waiting, batch.blob_error = queue[i:], e
                return

    def _prepare(self, op: FieldOp | WaitingFilePoint, batch: Batch) -> None:
        """A queued operation as store writes: files are stored first (an upload becomes
        the file's metadata, a tracked set its hashed entries, a waiting file series point
        a point of its series, unless the series was deleted since)."""
        if isinstance(op, WaitingFilePoint):
            if not op.sb.dropped:
                meta = self._store_file(op.sb.path, op.file, batch)
                if meta is not None:
                    batch.series.setdefault(op.sb, []).extend((op.step, meta, op.timestamp))
            return
        if isinstance(op, FieldDelete):
            # Points taken before the deletion belong to buffers it dropped (`appends`
            # leaves them out); the ones logged after it are written after it.
            batch.series = {sb: p for sb, p in batch.series.items() if not sb.dropped}
        if isinstance(op, UploadFile):
            meta = self._store_file(op.path, op.file, batch)
            if meta is not None:
                text = json.dumps(meta, sort_keys=True)
                batch.changes.append(ScalarWrite(op.path, "file", text=text))
        elif isinstance(op, TrackFiles):
            entries = file_values.file_set_entries(
                self._blobs(),
                op.names,
                upload=op.upload,
                problem=self._fileset_problem(op.path),
            )
            for e in entries:
                if e.get("uploaded"):
                    batch.blobs.append((e["sha256"], e["size"], e.get("mime", "")))
            if entries:
                batch.changes.append(FileSetMerge(op.path, tuple(entries)))
        else:
            batch.changes.append(op)

    def _fileset_problem(self, path: str) -> Callable[[str], None]:
        def report(message: str) -> None:
            self.reporter.problem("missing_file", path, f"{path}: {message}", strict_ok=False)

        return report
