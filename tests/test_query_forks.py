"""A forked run's series aggregates in the runs table include the points it inherits (issue
20.2): cells, filters and sorts, through `fetch_runs_table`, on SQLite and PostgreSQL.
Nothing is copied: the fork's own rows stay its own."""

from __future__ import annotations

from typing import Any

import pytest
from query_helpers import float_series, json_series, make_run, scalar

from jupyter_mltrack.client.project import Project
from jupyter_mltrack.query import fork_rows, runs_table
from jupyter_mltrack.store import fields

LOSS = [1.0 / (i + 1) for i in range(20)]  # the parent's train/loss at steps 0..19


@pytest.fixture
def lineage(store: Any) -> Any:
    fork_rows._cache.clear()
    parent = make_run(store, name="parent")
    float_series(store, parent, "train/loss", LOSS)
    json_series(store, parent, "status", [f"s{i}" for i in range(12)], "string_series")
    bare = make_run(store, name="bare")  # forked at 10, no points of its own
    scalar(store, bare, "forking/parent", parent.short_id)
    scalar(store, bare, "forking/step", 10.0)
    grown = make_run(store, name="grown")  # forked at 10, then its own points 11..14
    scalar(store, grown, "forking/parent", parent.short_id)
    scalar(store, grown, "forking/step", 10.0)
    float_series(store, grown, "train/loss", [0.5, 0.01, 0.3, 0.2], steps=[11, 12, 13, 14])
    child = make_run(store, name="child")  # a fork of a fork, at 12, no points
    scalar(store, child, "forking/parent", grown.short_id)
    scalar(store, child, "forking/step", 12.0)
    other = make_run(store, name="other")
    float_series(store, other, "train/loss", [0.7, 0.6])
    return store


def _table(store: Any, **kw: Any) -> dict[str, dict[str, Any]]:
    columns = "last(train/loss),min(train/loss),max(train/loss),count(train/loss),status"
    table = Project(store, "credit").fetch_runs_table(columns=columns.split(","), limit=None, **kw)
    return {row["sys/name"]: row for row in table.items}


def test_cells_of_forks_include_the_inherited_points(lineage: Any) -> None:
    rows = _table(lineage)
    bare, grown, child = rows["bare"], rows["grown"], rows["child"]
    # bare: the parent's points up to step 10.
    assert bare["last(train/loss)"] == pytest.approx(LOSS[10])
    assert bare["count(train/loss)"] == 11
    assert bare["min(train/loss)"] == pytest.approx(LOSS[10])
    assert bare["max(train/loss)"] == pytest.approx(1.0)
    assert bare["status"] == "s10"  # a string series: the last inherited entry
    assert rows["parent"]["status"] == "s11"
    # grown: 11 inherited points, then 4 of its own.
    assert grown["last(train/loss)"] == pytest.approx(0.2)
    assert grown["count(train/loss)"] == 15
    assert grown["min(train/loss)"] == pytest.approx(0.01)
    assert grown["max(train/loss)"] == pytest.approx(1.0)
    # child: its parent's series (itself inherited) up to step 12.
    assert child["last(train/loss)"] == pytest.approx(0.01)
    assert child["count(train/loss)"] == 13
    # Runs that are not forks keep their own values; nothing was copied into the forks.
    assert rows["parent"]["count(train/loss)"] == 20
    assert rows["other"]["last(train/loss)"] == pytest.approx(0.6)
    bare_id = int(bare["sys/id"].split("-")[1])
    assert fields.get_field(lineage, bare_id, "train/loss") is None


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (f"last(train/loss) <= {LOSS[10]}", {"bare", "child", "parent"}),
        ("last(train/loss) < 0.06", {"child", "parent"}),
        ("train/loss < 0.06", {"child", "parent"}),
        ("min(train/loss) < 0.06", {"grown", "child", "parent"}),
        ("count(train/loss) = 11", {"bare"}),
        ("max(train/loss) >= 1", {"bare", "grown", "child", "parent"}),
        ('status = "s10"', {"bare", "grown", "child"}),
        ("NOT last(train/loss) < 0.06", {"bare", "grown", "other"}),
        ("train/loss EXISTS", {"bare", "grown", "child", "parent", "other"}),
    ],
)
def test_filters_see_the_inherited_points(lineage: Any, query: str, names: set[str]) -> None:
    assert set(_table(lineage, query=query)) == names


def test_sorts_see_the_inherited_points(lineage: Any) -> None:
    table = runs_table(lineage, project="credit", sort="last(train/loss)", limit=None)
    order = [row["sys/name"] for row in table.items]
    # parent 0.05, child 0.01, grown 0.2, bare 1/11, other 0.6
    assert order == ["child", "parent", "bare", "grown", "other"]
    by_value = runs_table(lineage, project="credit", sort="-train/loss", limit=2)
    assert [row["sys/name"] for row in by_value.items] == ["other", "grown"]
    rest = runs_table(
        lineage, project="credit", sort="-train/loss", limit=10, cursor=by_value.next_cursor
    )
    assert [row["sys/name"] for row in rest.items] == ["bare", "parent", "child"]
