"""Turning what the outbox holds into one batch of store writes, in the writer thread.

Float series points become float64 arrays (`struct.pack` over the flat list, in slices so the
training thread gets the GIL back), string and file series JSON; files are copied into the
blob store first, so a field never names a blob that is not there. Problems found only here
(a value too large for a float64, a file gone before it was read) are reported by name, never
raised (`strict_ok=False`: the caller's thread is not here to raise in).
"""

from __future__ import annotations

import json
import math
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..store.encoding import (
    FieldWrite,
    FileSetMerge,
    ScalarWrite,
    SeriesAppend,
    float_append,
    json_append,
)
from . import file_values
from .outbox import FieldOp, Outbox, RunUpdate, TrackFiles, UploadFile
from .reporting import Reporter, short_repr

if TYPE_CHECKING:
    from ..store.blobs import BlobStore
    from ..types import File

# Long conversions are cut in slices so the GIL is handed back to the training loop often.
_SLICE = 300_000


@dataclass
class Batch:
    """One flush worth of work, packed and ready for a transaction (kept as is on retry)."""

    changes: list[FieldWrite] = field(default_factory=list)
    series: list[SeriesAppend] = field(default_factory=list)
    blobs: list[tuple[str, int, str]] = field(default_factory=list)
    run_updates: list[RunUpdate] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(s.count for s in self.series)

    def empty(self) -> bool:
        return not (self.changes or self.series or self.run_updates)


class Packer:
    """Packs one run's outbox; `blobs` gives the run's blob store (once the run exists)."""

    def __init__(self, reporter: Reporter, blobs: Callable[[], BlobStore]) -> None:
        self.reporter = reporter
        self._blobs = blobs

    def collect(self, outbox: Outbox) -> Batch:
        """Everything the outbox holds now, as one batch of store writes."""
        batch = Batch()
        for op in outbox.take_ops():
            self._prepare(op, batch)
        batch.run_updates = outbox.take_run_updates()
        for sb, chunk in outbox.take_points():
            try:
                packed = self._pack(sb.path, sb.type, chunk, batch)
            except Exception as e:
                self.reporter.notice(
                    f"mltrack: {len(chunk) // 3:,} points of {sb.path} could not be stored ({e!r})"
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
                self.reporter.problem(
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

    def _prepare(self, op: FieldOp, batch: Batch) -> None:
        """A queued operation as store writes: files are stored first (an upload becomes
        the file's metadata, a tracked set its hashed entries)."""
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
