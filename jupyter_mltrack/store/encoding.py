"""The packed form of what a run logs, before any store sees it.

The client's writer thread packs points here and the store writes them as they are: series
points are little-endian float64 arrays (string and file series: a UTF-8 JSON list), scalars
one `ScalarWrite` each, the other field changes one small typed record each (`FieldWrite`).
Nothing here imports SQLAlchemy, so `init_run` and the logging calls never pay that import in
the training thread (it happens in the writer thread). The records are NamedTuples, not frozen
dataclasses: as immutable and typed, and ~7x cheaper to define (~70 µs against ~500), a cost
every `init_run` pays on import.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from array import array
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

_BIG_ENDIAN = sys.byteorder == "big"


def pack(values: array[float]) -> bytes:
    """float64 array -> little-endian bytes (the stored format on every machine)."""
    if _BIG_ENDIAN:  # pragma: no cover - no big-endian CI
        values = array("d", values)
        values.byteswap()
    return values.tobytes()


def unpack(data: bytes) -> array[float]:
    out = array("d")
    out.frombytes(data)
    if _BIG_ENDIAN:  # pragma: no cover
        out.byteswap()
    return out


# Integers a float64 holds exactly; implicit steps stay inside them.
_EXACT = 2.0**53
# A chunk of more points than this keeps its steps (the check costs ~0.1 us a point).
IMPLICIT_MAX = 1 << 16


def compact_steps(steps: bytes, count: int, first: float, last: float) -> bytes:
    """b"" when the chunk's `count` steps are `first, first + d, ..., last` with `first` and
    `d` integers (0, 1, 2 ... or 0, 10, 20 ...: most series): the steps are then implied by
    the chunk's first_step, last_step and count (`expand_steps`) and cost no bytes. Any other
    steps are kept as they are. The check compares bytes with the progression, so the
    steps read back are exactly the ones written."""
    if not steps or count > IMPLICIT_MAX:
        return steps
    stride = implied_stride(count, first, last)
    if stride is None:
        return steps
    return b"" if _progression(int(first), stride, count) == steps else steps


def implied_stride(count: int, first: float, last: float) -> int | None:
    """The integer stride of `count` evenly spaced integer steps from `first` to `last`, or
    None when there is none (the steps cannot be implicit)."""
    if count == 1:
        return 0 if first.is_integer() and -_EXACT < first < _EXACT else None
    if not (first.is_integer() and last.is_integer() and -_EXACT < first <= last < _EXACT):
        return None
    stride, rest = divmod(int(last) - int(first), count - 1)
    return None if rest else stride


def expand_steps(steps: bytes, count: int, first: float, last: float) -> array[float]:
    """A chunk's steps, implied ones (an empty `steps`, see `compact_steps`) computed."""
    if steps or not count:
        return unpack(steps)
    if count == 1:
        return array("d", [first])
    stride = (int(last) - int(first)) // (count - 1)
    return unpack(_progression(int(first), stride, count))


def _progression(first: int, stride: int, count: int) -> bytes:
    """`count` steps from `first` by `stride`, packed (struct.pack is ~3x array(range))."""
    if not stride:
        return struct.pack(f"<{count}d", *([first] * count))
    return struct.pack(f"<{count}d", *range(first, first + stride * count, stride))


@dataclass
class ScalarWrite:
    """A value for a non-series field: scalars, sets and single files."""

    path: str
    type: str
    num: float | None = None
    int_value: int | None = None
    text: str | None = None


class SetChange(NamedTuple):
    """Add to, remove from or clear a string set (`sys/tags`): applied to the set as stored,
    inside the write transaction, so two processes tagging one run both keep their tags."""

    path: str
    action: Literal["add", "remove", "clear"]
    values: tuple[str, ...] = ()


class FileSetMerge(NamedTuple):
    """File-set entries ({path, sha256, size, mtime, uploaded, mime}) merged into the stored
    set by their path: a file tracked again replaces its old entry, the others stay."""

    path: str
    entries: tuple[dict[str, Any], ...]


class FieldDelete(NamedTuple):
    """Remove a field, or every field under a namespace."""

    path: str


# What one batch changes in a run's non-series fields, applied in order (`store.batches`).
FieldWrite = ScalarWrite | SetChange | FileSetMerge | FieldDelete


@dataclass
class SeriesAppend:
    """A batch of points of one series, already packed.

    `values` is packed float64 for float series and UTF-8 JSON for string/file series;
    `last_text` is the last value of a string/file series (or the spelling of a
    non-finite last float, which SQLite would store as NULL).
    """

    path: str
    type: str
    steps: bytes
    values: bytes
    timestamps: bytes
    count: int
    first_step: float
    last_step: float
    last: float | None = None
    min: float | None = None
    max: float | None = None
    last_text: str | None = None


def float_append(
    path: str, steps: array[float], values: array[float], timestamps: array[float]
) -> SeriesAppend:
    """Pack a float series batch and compute its aggregates (finite values only)."""
    n = len(values)
    last = values[n - 1]
    # On a list of floats (tolist() is one C call) sum/min/max are C loops; the sum is finite
    # exactly when no NaN/Inf is in the batch (or finite values overflow, which only costs
    # the exact path below).
    listed = values.tolist()
    finite = listed if math.isfinite(sum(listed)) else [v for v in listed if math.isfinite(v)]
    return SeriesAppend(
        path=path,
        type="float_series",
        steps=pack(steps),
        values=pack(values),
        timestamps=pack(timestamps),
        count=n,
        first_step=steps[0],
        last_step=steps[n - 1],
        last=last,
        min=min(finite) if finite else None,
        max=max(finite) if finite else None,
        last_text=None if math.isfinite(last) else repr(last),
    )


def json_append(
    path: str,
    type_: str,
    steps: array[float],
    values: list[Any],
    timestamps: array[float],
) -> SeriesAppend:
    """Pack a string or file series batch (values: strings or file-metadata dicts)."""
    n = len(values)
    last = values[n - 1]
    return SeriesAppend(
        path=path,
        type=type_,
        steps=pack(steps),
        values=json.dumps(values, ensure_ascii=False).encode(),
        timestamps=pack(timestamps),
        count=n,
        first_step=steps[0],
        last_step=steps[n - 1],
        last_text=last if isinstance(last, str) else json.dumps(last),
    )
