"""The fields and series repository: packed chunks, aggregates, merging of small batches,
type conflicts and the blobs gc must keep."""

from __future__ import annotations

import json
import math
from array import array

import pytest
from sqlalchemy import func, select

from jupyter_mltrack.store import encoding, fields, points, runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import SeriesChunk


def _batch(path: str, start: int, n: int) -> encoding.SeriesAppend:
    steps = array("d", range(start, start + n))
    return encoding.float_append(path, steps, array("d", [s * 0.5 for s in steps]), steps)


def _chunks(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(SeriesChunk)) or 0)


def test_small_batches_merge_as_a_binary_counter_and_big_ones_get_their_own_chunk(
    store: Store,
) -> None:
    run = runs.create(store, "p")
    for i in range(50):  # a slow loop: one point per flush
        with store.write() as s:
            points.append(s, run.id, [_batch("loss", i, 1)])
    # 50 = 32 + 16 + 2: a chunk per set bit, never one per flush.
    assert _chunks(store) == 3
    with store.write() as s:
        points.append(s, run.id, [_batch("loss", 50, 5000)])
    assert _chunks(store) == 4
    data = fields.read_series(store, run.id, "loss")
    assert data is not None and list(data.steps) == [float(i) for i in range(5050)]
    f = fields.get_field(store, run.id, "loss")
    assert f is not None and (f.count, f.min, f.max, f.last_step) == (5050, 0.0, 2524.5, 5049.0)


def test_string_series_merge_and_read(store: Store) -> None:
    run = runs.create(store, "p")
    for i in range(3):
        with store.write() as s:
            points.append(
                s,
                run.id,
                [
                    encoding.json_append(
                        "log", "string_series", array("d", [i]), [f"line {i}"], array("d", [0.0])
                    )
                ],
            )
    data = fields.read_series(store, run.id, "log")
    assert data is not None and data.values == ["line 0", "line 1", "line 2"]
    assert fields.get_field(store, run.id, "log").value == "line 2"  # type: ignore[union-attr]


def test_non_finite_points_kept_and_left_out_of_aggregates(store: Store) -> None:
    run = runs.create(store, "p")
    vals = array("d", [1.0, math.nan, math.inf, -math.inf, 3.0, math.nan])
    steps = array("d", range(6))
    with store.write() as s:
        points.append(s, run.id, [encoding.float_append("x", steps, vals, steps)])
    f = fields.get_field(store, run.id, "x")
    assert f is not None and (f.min, f.max) == (1.0, 3.0) and math.isnan(f.value)
    data = fields.read_series(store, run.id, "x", as_numpy=True)
    assert data is not None and math.isinf(data.values[2]) and math.isnan(data.values[5])


def test_type_conflict_writes_nothing_for_that_series(store: Store) -> None:
    run = runs.create(store, "p")
    with store.write() as s:
        fields.upsert_scalars(s, run.id, [encoding.ScalarWrite("x", "string", text="t")])
    with pytest.raises(fields.TypeConflict, match="x is a string field"), store.write() as s:
        points.append(s, run.id, [_batch("x", 0, 3)])
    assert fields.read_series(store, run.id, "x") is None


def test_referenced_blobs_cover_files_series_and_sets(store: Store) -> None:
    run = runs.create(store, "p")
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    with store.write() as s:
        fields.upsert_scalars(
            s,
            run.id,
            [
                encoding.ScalarWrite("f", "file", text=json.dumps({"sha256": a, "size": 1})),
                encoding.ScalarWrite(
                    "set", "file_set", text=json.dumps([{"path": "x", "sha256": b}])
                ),
            ],
        )
        points.append(
            s,
            run.id,
            [
                encoding.json_append(
                    "gallery",
                    "file_series",
                    array("d", [0]),
                    [{"sha256": c, "size": 2}],
                    array("d", [0]),
                )
            ],
        )
    assert fields.referenced_blobs(store) == {a, b, c}
