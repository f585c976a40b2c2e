"""Downsampling keeps what a chart is read for (spikes, ends, gaps), the same with and without
numpy; series reads work on both backends."""

from __future__ import annotations

import math
import random
from array import array

import numpy as np
import pytest
from query_helpers import float_series, make_run

from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.query.series import downsample_numpy, downsample_python, read_points


def _both(xs, values, max_points):
    a = downsample_numpy(np.asarray(xs, dtype="<f8"), np.asarray(values, dtype="<f8"), max_points)
    b = downsample_python(array("d", xs), array("d", values), max_points)
    return a.tolist(), b


@pytest.mark.parametrize("x_kind", ["even", "uneven", "unsorted"])
def test_numpy_and_python_pick_the_same_points(x_kind):
    rng = random.Random(7)
    n = 20_000
    values = [rng.gauss(0, 1) for _ in range(n)]
    xs = [float(i) for i in range(n)]
    if x_kind == "uneven":
        xs = [float(i * i) for i in range(n)]
    elif x_kind == "unsorted":
        rng.shuffle(xs)
    a, b = _both(xs, values, 300)
    assert a == b
    assert len(a) <= 300 and a[0] == 0 and a[-1] == n - 1
    assert a == sorted(set(a))


def test_single_spike_survives_both_ways():
    values = [0.0] * 100_000
    values[54_321] = -7.5  # a downward spike
    values[77_777] = 9.0
    for picked in _both([float(i) for i in range(100_000)], values, 100):
        assert 54_321 in picked and 77_777 in picked


def test_nan_never_hides_a_value_but_all_nan_buckets_stay_gaps():
    values = [1.0] * 1000
    values[10] = math.nan
    values[11] = 50.0
    values[500:600] = [math.nan] * 100
    picked = downsample_numpy(np.arange(1000.0), np.asarray(values), 40).tolist()
    assert 11 in picked
    assert any(500 <= i < 600 for i in picked)  # the gap is visible as a NaN point


def test_short_series_are_returned_whole():
    assert downsample_python(array("d", [0.0, 1.0]), array("d", [3.0, 4.0]), 10) == [0, 1]
    assert downsample_numpy(np.arange(5.0), np.arange(5.0), 10).tolist() == [0, 1, 2, 3, 4]


def test_read_points_on_each_backend(store):
    run = make_run(store, name="s")
    values = [float(i % 97) for i in range(5000)]
    values[4321] = 1e6
    float_series(store, run, "train/loss", values, chunk=700)
    pts = read_points(store, run.short_id, "train/loss", max_points=100)
    assert pts.count == 5000 and pts.downsampled
    assert 1e6 in pts.values and pts.steps[pts.values.index(1e6)] == 4321
    whole = read_points(store, run.id, "train/loss", max_points=10_000)
    assert whole.values == values and not whole.downsampled
    with pytest.raises(InvalidInput):
        read_points(store, run.id, "train/loss", x="epoch")


def test_a_series_created_between_the_two_reads_is_read_not_refused(store, monkeypatch):
    """A chart polling a run whose writer commits the first points between read_points' series
    read and its field lookup got a 400 "is a float_series, not a series" (seen under the
    PostgreSQL concurrency test). The interleaving is replayed exactly: the first series read
    finds nothing, then the writer commits."""
    from jupyter_mltrack.store import fields

    run = make_run(store, name="live")
    original = fields.read_series
    calls = []

    def first_read_races_the_writer(*args, **kwargs):
        data = original(*args, **kwargs)
        if not calls:
            float_series(store, run, "train/loss", [1.0, 2.0, 3.0])
        calls.append(data)
        return data

    monkeypatch.setattr(fields, "read_series", first_read_races_the_writer)
    pts = read_points(store, run.short_id, "train/loss")
    assert calls[0] is None, "the first read must have missed the series for this to prove it"
    assert pts.type == "float_series" and pts.values == [1.0, 2.0, 3.0]
