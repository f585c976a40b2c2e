"""The outbox: what the caller has logged, waiting for the writer thread.

Field handles and the run's lifecycle put small typed operations here (NamedTuples, like
`store.encoding`'s writes: immutable, typed and cheap to define on init_run's import path);
the writer thread (`writer.Writer`) takes them off the front, in order. Both sides touch only
Python lists, and each touch is one C call under the GIL (`append`, `+=`, a slice,
`del [:n]`), so the caller never takes a lock: a logging call stays one append. Series
points are not operations: each series has a `SeriesBuffer`, a flat list of (step, value,
timestamp) that the fast path of `FieldHandle.log` extends by one triple. The writer
empties those lists every flush period into packed arrays (`packing.Batch`), so a point
costs its ~100 bytes of Python floats for at most a flush period.

Once the run stops (or could not be created, or is read-only) the outbox is closed with the
reason, and every write is refused with that reason (`schema.FieldSchema.writable`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from ..store.encoding import FieldDelete, ScalarWrite, SetChange
from ..types import File


class UploadFile(NamedTuple):
    """`run[path].upload(f)`: the writer copies the file into the blob store, then sets the
    field to its metadata."""

    path: str
    file: File


class TrackFiles(NamedTuple):
    """`upload_files` / `track_files`: the writer hashes (and, if `upload`, copies) the files
    and merges their entries into the file set."""

    path: str
    names: tuple[str, ...]
    upload: bool


# A field operation, in the order the caller made them. The writer turns the two file ones
# into `store.encoding` writes once the files are stored; the others are such writes already.
FieldOp = ScalarWrite | SetChange | FieldDelete | UploadFile | TrackFiles


class InfoUpdate(NamedTuple):
    """`sys/name` or `sys/description` assigned (None: unchanged)."""

    name: str | None = None
    description: str | None = None


class StateUpdate(NamedTuple):
    """The run ends (`finished`, `failed`, `aborted`) or is marked failed while it runs."""

    state: str
    failed: bool


RunUpdate = InfoUpdate | StateUpdate


class SeriesBuffer:
    """Points of one series waiting for the writer: a flat list of step, value, timestamp.

    `dropped` is set when the series is deleted: points the writer already took from it
    must then not be written either (`packing.Batch.appends`)."""

    __slots__ = ("dropped", "items", "path", "type")

    def __init__(self, path: str, type_: str) -> None:
        self.path = path
        self.type = type_
        self.items: list[Any] = []
        self.dropped = False


class Outbox:
    """The queues between one run's callers and its writer thread."""

    def __init__(self) -> None:
        self.ops: list[FieldOp] = []
        self.run_updates: list[RunUpdate] = []
        self.series: list[SeriesBuffer] = []
        # Why writes are refused, once they are (None while the run takes them).
        self.closed: str | None = None

    # -- the caller's side -------------------------------------------------------------------
    def put(self, op: FieldOp) -> None:
        self.ops.append(op)

    def put_run_update(self, update: RunUpdate) -> None:
        self.run_updates.append(update)

    def series_buffer(self, path: str, kind: str) -> SeriesBuffer:
        """A new buffer for a series' points (the field handle keeps it)."""
        sb = SeriesBuffer(path, kind)
        self.series.append(sb)
        return sb

    def forget(self, path: str) -> None:
        """Drop the points waiting for `path` and every series under it (the field is being
        deleted: points queued before the deletion must not recreate it)."""
        prefix = path + "/"
        kept = []
        for s in self.series:
            if s.path == path or s.path.startswith(prefix):
                s.dropped = True
            else:
                kept.append(s)
        self.series[:] = kept

    def close(self, reason: str) -> None:
        """Refuse writes from now on, saying `reason` (what is queued is still written)."""
        self.closed = reason

    # -- the writer's side -------------------------------------------------------------------
    def pending(self) -> bool:
        return bool(self.ops or self.run_updates or any(sb.items for sb in self.series))

    def take_ops(self) -> list[FieldOp]:
        """The operations queued so far, oldest first (later ones stay for the next take)."""
        n = len(self.ops)
        taken = self.ops[:n]
        del self.ops[:n]
        return taken

    def take_run_updates(self) -> list[RunUpdate]:
        n = len(self.run_updates)
        taken = self.run_updates[:n]
        del self.run_updates[:n]
        return taken

    def take_points(self) -> Iterator[tuple[SeriesBuffer, list[Any]]]:
        """Each series' whole (step, value, timestamp) triples so far, as one flat list per
        series (a triple being appended right now is left for the next take). One series at
        a time, so each list can be packed and dropped before the next is taken."""
        for sb in list(self.series):
            items = sb.items
            n = len(items)
            n -= n % 3
            if not n:
                continue
            chunk = items[:n]
            del items[:n]
            yield sb, chunk

    def discard(self) -> None:
        """In a forked child: what was queued before the fork is the parent's to write."""
        for sb in self.series:
            sb.items.clear()
        self.ops.clear()
        self.run_updates.clear()
