"""runs_table: columns, sorting (any column, several keys, missing values last), paging and
pandas, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from query_helpers import float_series, make_run, scalar

from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.query import DEFAULT_COLUMNS, runs_table
from jupyter_mltrack.store import runs


@pytest.fixture
def table_store(store):
    specs = [
        ("a", 0.3, "sgd", [3.0, 1.0]),
        ("b", 0.9, "adam", [2.0, 0.5, 0.7]),
        ("c", None, "adam", None),
        ("d", 0.6, None, [9.0, 0.1]),
        ("e", 0.9, "rmsprop", [4.0]),
    ]
    for name, f1, opt, loss in specs:
        run = make_run(store, name=name, owner=name * 2)
        if f1 is not None:
            scalar(store, run, "metrics/f1", f1)
        if opt is not None:
            scalar(store, run, "params/opt", opt)
        if loss is not None:
            float_series(store, run, "train/loss", loss)
    runs.set_state(store, runs.get(store, "CRED-1").id, "finished")
    return store


def _names(table):
    return [row["sys/name"] for row in table.items]


def test_sort_on_any_column_with_missing_values_last(table_store):
    s = table_store
    assert _names(runs_table(s, sort="-metrics/f1, sys/name")) == ["b", "e", "d", "a", "c"]
    assert _names(runs_table(s, sort="metrics/f1, -sys/name")) == ["a", "d", "e", "b", "c"]
    # Ties fall back to the newest run first.
    assert _names(runs_table(s, sort="params/opt")) == ["c", "b", "e", "a", "d"]
    assert _names(runs_table(s, sort="-params/opt, sys/name")) == ["a", "e", "b", "c", "d"]
    assert _names(runs_table(s, sort="min(train/loss)")) == ["d", "b", "a", "e", "c"]
    assert _names(runs_table(s, sort="-max(train/loss)")) == ["d", "e", "a", "b", "c"]
    assert _names(runs_table(s, sort="train/loss")) == ["d", "b", "a", "e", "c"]  # last value
    assert _names(runs_table(s, sort="-count(train/loss), sys/name")) == ["b", "a", "d", "e", "c"]
    assert _names(runs_table(s, sort="sys/owner")) == ["a", "b", "c", "d", "e"]
    assert _names(runs_table(s))[0] == "e"  # newest first by default
    assert _names(runs_table(s, sort="sys/state, sys/name"))[0] == "a"  # finished > running


def test_paging_is_stable_and_counts_all(table_store):
    pages = [runs_table(table_store, sort="-metrics/f1", limit=2, offset=o) for o in (0, 2, 4)]
    assert [p.total for p in pages] == [5, 5, 5]
    assert [_names(p) for p in pages] == [["e", "b"], ["d", "a"], ["c"]]
    empty = runs_table(table_store, limit=2, offset=10)
    assert empty.items == [] and empty.total == 5
    assert runs_table(table_store, limit=0).items == []
    with pytest.raises(InvalidInput):
        runs_table(table_store, limit=-1)
    with pytest.raises(InvalidInput):
        runs_table(table_store, offset=-1)


def test_columns_values_and_pandas(table_store):
    table = runs_table(
        table_store,
        columns=["metrics/f1", "params/opt", "last(train/loss)", "min(train/loss)", "sys/hostname"],
        sort="sys/name",
        query="sys/name = 'b'",
    )
    assert table.columns[: len(DEFAULT_COLUMNS)] == list(DEFAULT_COLUMNS)
    row = table.items[0]
    assert row["metrics/f1"] == 0.9 and row["params/opt"] == "adam"
    assert row["last(train/loss)"] == 0.7 and row["min(train/loss)"] == 0.5
    assert row["sys/tags"] == [] and row["source_code/notebook"] is None
    assert row["sys/state"] == "running" and row["sys/ending_time"] is None
    assert row["sys/duration"] >= 0
    df = table.to_pandas()
    assert list(df.columns) == table.columns
    assert str(df["sys/creation_time"].dtype).startswith("datetime64")
    assert df.loc[0, "params/opt"] == "adam"
    assert table.to_dict()["total"] == 1


def test_columns_as_one_string_and_duplicates(table_store):
    table = runs_table(
        table_store, columns="metrics/f1, `params/opt`, metrics/f1, LAST(train/loss)"
    )
    assert table.columns[len(DEFAULT_COLUMNS) :] == ["metrics/f1", "params/opt", "last(train/loss)"]
