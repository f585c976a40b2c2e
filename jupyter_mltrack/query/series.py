"""Series points for charts, downsampled on the server so a million-point series costs the
browser a few thousand.

Downsampling is min/max per bucket: the x range (step or time) is cut into equal-width
buckets and each keeps its lowest and highest point, in their original order, plus the
series' first and last points. Unlike averaging or every-n-th sampling this keeps a single
spike visible, which is what a loss curve is read for. NaN points never win a bucket but a
bucket holding only NaN keeps one, so gaps stay gaps. numpy does it in a few vectorised
passes; without numpy a pure-Python path does the same with C-level min/max per bucket.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..store import fields, forks
from ..store.engine import Store
from ..store.runs import get as get_run

DEFAULT_POINTS = 2000
MAX_POINTS = 100_000
X_AXES = ("step", "time")


@dataclass
class SeriesPoints:
    path: str
    type: str
    count: int  # points stored
    steps: list[float]
    values: list[Any]
    timestamps: list[float]
    indices: list[int]  # position of each returned point in the whole series
    downsampled: bool

    def to_dict(self, x: str = "step") -> dict[str, Any]:
        floats = self.type == "float_series"
        return {
            "field": self.path,
            "type": self.type,
            "count": self.count,
            "returned": len(self.values),
            "downsampled": self.downsampled,
            "x": x,
            "steps": [_finite(v) for v in self.steps],
            "values": [_finite(v) for v in self.values] if floats else self.values,
            "timestamps": [_finite(v) for v in self.timestamps],
            "indices": self.indices,
        }


def _finite(v: Any) -> Any:
    return v if not isinstance(v, float) or math.isfinite(v) else None


def read_points(
    store: Store,
    run_id: str | int,
    path: str,
    *,
    max_points: int = DEFAULT_POINTS,
    x: str = "step",
    after_step: float | None = None,
) -> SeriesPoints:
    """Points of one series of one run, at most `max_points` of them.

    Float series are downsampled over `x` ("step" or "time"); string and file series give
    their last `max_points` entries (console output, image galleries). `after_step` returns
    only newer points, for live charts that poll.
    """
    if x not in X_AXES:
        raise InvalidInput(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    if not 2 <= max_points <= MAX_POINTS:
        raise InvalidInput(f"max_points must be between 2 and {MAX_POINTS}, not {max_points}")
    run = get_run(store, run_id)
    numpy = _numpy()
    # A fork's series start with its parent's points up to the fork step (store/forks).
    data = forks.read_series(store, run.id, path, as_numpy=numpy is not None)
    if data is None:
        info = fields.get_field(store, run.id, path)
        if info is None:
            raise NotFound(f"run {run.short_id} has no field {path!r}")
        if info.type in fields.SERIES_TYPES:
            # The run's writer committed the series' first points between the two reads (a
            # live chart polling a run that just started): it is a series now, read it.
            data = forks.read_series(store, run.id, path, as_numpy=numpy is not None)
        if data is None:
            raise InvalidInput(f"{path!r} of run {run.short_id} is a {info.type}, not a series")
    steps, values, stamps = data.steps, data.values, data.timestamps
    total = len(steps)
    start = 0
    if after_step is not None:
        if _is_sorted(steps, numpy):
            start = bisect.bisect_right(steps, after_step)
        else:
            start = next((i for i, s in enumerate(steps) if s > after_step), total)
    if data.type != "float_series":
        first = max(start, total - max_points)
        idx = list(range(first, total))
        return SeriesPoints(
            path,
            data.type,
            total,
            _tolist(steps[first:]),
            list(values[first:]),
            _tolist(stamps[first:]),
            idx,
            downsampled=first > start,
        )
    xs = steps if x == "step" else stamps
    if numpy is not None:
        picked = downsample_numpy(xs[start:], values[start:], max_points)
        idx_arr = picked + start
        return SeriesPoints(
            path,
            data.type,
            total,
            steps[idx_arr].tolist(),
            values[idx_arr].tolist(),
            stamps[idx_arr].tolist(),
            idx_arr.tolist(),
            downsampled=len(idx_arr) < total - start,
        )
    picked_list = [i + start for i in downsample_python(xs[start:], values[start:], max_points)]
    return SeriesPoints(
        path,
        data.type,
        total,
        [steps[i] for i in picked_list],
        [values[i] for i in picked_list],
        [stamps[i] for i in picked_list],
        picked_list,
        downsampled=len(picked_list) < total - start,
    )


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is in every test environment
        return None
    return numpy


def _tolist(a: Any) -> list[float]:
    return a.tolist() if hasattr(a, "tolist") else list(a)


def _is_sorted(xs: Any, numpy: Any) -> bool:
    if len(xs) < 2:
        return True
    if numpy is not None:
        return bool(numpy.all(xs[1:] >= xs[:-1]))
    return all(a <= b for a, b in itertools.pairwise(xs))


def _bucket_starts(xs: Any, n: int, buckets: int, sorted_x: bool) -> list[int]:
    """Start index of each non-empty bucket: equal x-width when x is sorted, else equal count."""
    if sorted_x and n and xs[n - 1] > xs[0] and math.isfinite(xs[n - 1] - xs[0]):
        x0, width = xs[0], (xs[n - 1] - xs[0]) / buckets
        edges = [x0 + width * b for b in range(buckets)]
        starts = [bisect.bisect_left(xs, e) for e in edges]
    else:
        starts = [n * b // buckets for b in range(buckets)]
    out: list[int] = []
    for s in starts:
        if s < n and (not out or s > out[-1]):
            out.append(s)
    return out


def downsample_numpy(xs: Any, values: Any, max_points: int) -> Any:
    """Indices (ascending numpy int array) of the points to keep."""
    import numpy as np

    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    sorted_x = _is_sorted(xs, np)
    if sorted_x and xs[-1] > xs[0] and np.isfinite(xs[-1] - xs[0]):
        edges = xs[0] + (xs[-1] - xs[0]) / buckets * np.arange(buckets)
        starts = np.unique(np.searchsorted(xs, edges, side="left"))
    else:
        starts = np.unique(np.arange(buckets) * n // buckets)
    starts = starts[starts < n]
    nan = np.isnan(values)
    lows = np.where(nan, np.inf, values)
    highs = np.where(nan, -np.inf, values)
    sizes = np.diff(np.append(starts, n))
    picked = [np.array([0, n - 1])]
    for arr, reduce in ((lows, np.minimum), (highs, np.maximum)):
        best = reduce.reduceat(arr, starts)
        hits = np.flatnonzero(arr == np.repeat(best, sizes))
        picked.append(hits[np.searchsorted(hits, starts)])
    return np.unique(np.concatenate(picked))


def downsample_python(xs: Any, values: Any, max_points: int) -> list[int]:
    """The same selection as `downsample_numpy` for finite values, in pure Python."""
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, (max_points - 2) // 2)
    starts = _bucket_starts(xs, n, buckets, _is_sorted(xs, None))
    keep = {0, n - 1}
    for b, lo in enumerate(starts):
        hi = starts[b + 1] if b + 1 < len(starts) else n
        chunk = values[lo:hi]
        finite = [v for v in chunk if not math.isnan(v)] if any(v != v for v in chunk) else chunk
        if not finite:
            keep.add(lo)
            continue
        keep.add(lo + _index(chunk, min(finite)))
        keep.add(lo + _index(chunk, max(finite)))
    return sorted(keep)


def _index(chunk: Any, value: float) -> int:
    return int(chunk.index(value))
