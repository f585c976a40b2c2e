"""`GET columns` (query/columns.py): the field paths of the newest runs a query matches, most
frequent first, from which the runs table picks its default parameter and metric columns."""

from __future__ import annotations

import json

import pytest
from query_helpers import backdate, float_series, make_run, scalar
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.query.columns import column_paths
from jupyter_mltrack.store.engine import Store, open_store


def _three_runs(store: Store) -> None:
    """Two demo-like runs and an odd one; the newest has an extra parameter."""
    for i, name in enumerate(("a", "b", "c")):
        run = make_run(store, project="demo" if i < 2 else "other", name=name)
        backdate(store, run, 100 - i)
        scalar(store, run, "parameters/lr", 0.1 * (i + 1))
        float_series(store, run, "train/loss", [1.0, 0.5 / (i + 1)])
        if i == 1:
            scalar(store, run, "parameters/l2", 0.001)


def test_paths_of_matching_runs_most_frequent_first(store: Store) -> None:
    _three_runs(store)
    paths = column_paths(store, query="")
    assert paths.runs == 3
    counts = {p.path: (p.type, p.runs) for p in paths.items}
    assert counts["parameters/lr"] == ("float", 3)
    assert counts["train/loss"] == ("float_series", 3)
    assert counts["parameters/l2"] == ("float", 1)
    assert [p.runs for p in paths.items] == sorted((p.runs for p in paths.items), reverse=True)

    only_demo = column_paths(store, project="demo")
    assert only_demo.runs == 2
    filtered = column_paths(store, query="parameters/lr < 0.15")
    assert filtered.runs == 1
    assert "parameters/l2" not in {p.path for p in filtered.items}


def test_sample_reads_the_newest_runs_only(store: Store) -> None:
    _three_runs(store)
    newest = column_paths(store, sample=1)
    assert newest.runs == 1
    assert {p.path for p in newest.items} >= {"parameters/lr", "train/loss"}
    assert "parameters/l2" not in {p.path for p in newest.items}  # run b is older


def test_no_match_is_empty(store: Store) -> None:
    _three_runs(store)
    paths = column_paths(store, query='sys/name = "nope"')
    assert (paths.runs, paths.items) == (0, [])


@pytest.fixture
def server_store(jp_serverapp):  # type: ignore[no-untyped-def]
    return open_store()


async def test_endpoint_answers_paths_and_400_on_a_bad_query(jp_fetch, server_store) -> None:  # type: ignore[no-untyped-def]
    _three_runs(server_store)
    r = await jp_fetch("mltrack", "api", "columns", params={"query": "", "sample": "2"})
    body = json.loads(r.body)
    assert body["runs"] == 2 and body["truncated"] is False
    assert {"path": "parameters/lr", "type": "float", "runs": 2} in body["items"]
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", "columns", params={"query": "parameters/lr <"})
    assert e.value.code == 400
    assert "position" in json.loads(e.value.response.body)["message"]
