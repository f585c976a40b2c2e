"""Series points packed for the store from numpy columns, as every importer needs them."""

from __future__ import annotations

import math

import numpy as np

from ..store.encoding import SeriesAppend

# Points per stored chunk (as `store.transfer` writes them): a few rows per series.
CHUNK_POINTS = 100_000


def pack(a: np.ndarray) -> bytes:
    """float64 values as the store keeps them: little-endian on every machine."""
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def float_chunks(path: str, s: np.ndarray, v: np.ndarray, t: np.ndarray) -> list[SeriesAppend]:
    """A float series' points (steps, values, epoch-second timestamps) as store batches of
    `CHUNK_POINTS`, each with its aggregates (NaN and infinities are left out of min/max, as
    the client leaves them out)."""
    out = []
    for i in range(0, len(v), CHUNK_POINTS):
        vv = v[i : i + CHUNK_POINTS]
        finite = np.isfinite(vv)
        good = vv if finite.all() else vv[finite]
        last = float(vv[-1])
        ss = s[i : i + CHUNK_POINTS]
        out.append(
            SeriesAppend(
                path=path,
                type="float_series",
                steps=pack(ss),
                values=pack(vv),
                timestamps=pack(t[i : i + CHUNK_POINTS]),
                count=len(vv),
                first_step=float(ss[0]),
                last_step=float(ss[-1]),
                last=last,
                min=float(good.min()) if len(good) else None,
                max=float(good.max()) if len(good) else None,
                last_text=None if math.isfinite(last) else repr(last),
            )
        )
    return out
