"""`GET columns` (query/columns.py): the field paths of the newest runs a query matches, most
frequent first, and the default parameter and metric columns chosen from them, which the lab,
`mltrack runs` and `%mltrack runs` show alike."""

from __future__ import annotations

import json

import pytest
from query_helpers import backdate, float_series, make_run, scalar
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.query.columns import ColumnPaths, column_paths
from jupyter_mltrack.query.paths import FieldPath, column_kind
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
    assert {"path": "parameters/lr", "type": "float", "runs": 2, "kind": "param"} in body["items"]
    # The newest two: b (with l2) and c; l2 is on half of them, over the 20 % floor.
    assert body["suggested"] == ["parameters/lr", "parameters/l2", "train/loss"]
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", "columns", params={"query": "parameters/lr <"})
    assert e.value.code == 400
    assert "position" in json.loads(e.value.response.body)["message"]


def test_a_path_is_a_parameter_a_metric_or_neither() -> None:
    assert column_kind("parameters/lr", "float") == "param"
    assert column_kind("params/optimizer", "string") == "param"
    assert column_kind("data/version", "string") == "param"
    assert column_kind("metrics/test_accuracy", "float") == "metric"
    assert column_kind("val/acc", "float_series") == "metric"
    assert column_kind("loss", "float_series") == "metric"
    assert column_kind("monitoring/cpu", "float_series") is None
    assert column_kind("source_code/notebook", "string") is None
    assert column_kind("images/samples", "file_series") is None
    assert column_kind("sys/tags", "string_set") is None
    # One rule with the run view's Parameters and Final metrics (src/run/summary.ts reads it).
    assert column_kind("config/layers", "int") == "param"
    assert column_kind("params/curve", "float_series") is None  # not a setting's value
    assert column_kind("forking/step", "float") is None
    assert column_kind("data/tags", "string_set") == "param"
    assert column_kind("lr", "float") == "param"
    assert column_kind("accuracy", "float") == "metric"  # a score by its name
    assert column_kind("model/val_loss", "float") == "metric"
    assert column_kind("top1-acc", "float") == "metric"
    assert column_kind("gradient_accumulation_steps", "int") == "param"  # no word of a score
    assert column_kind("best/accuracy", "string") == "param"  # only numbers are scores


def _demo(runs: int) -> list[FieldPath]:
    """The demo notebook's paths (examples/demo.ipynb), ranked as column_paths ranks them."""
    paths = [
        ("parameters/epochs", "int"),
        ("parameters/l2", "float"),
        ("parameters/lr", "float"),
        ("metrics/test_accuracy", "float"),
        ("images/samples", "file_series"),
        ("monitoring/cpu", "float_series"),
        ("source_code/notebook", "string"),
        ("sys/tags", "string_set"),
        ("train/accuracy", "float_series"),
        ("train/loss", "float_series"),
    ]
    return sorted((FieldPath(p, t, runs) for p, t in paths), key=lambda f: f.path)


def test_the_demo_gets_its_parameters_and_metrics_never_the_librarys_own_paths() -> None:
    assert ColumnPaths(_demo(3), 3, False).suggested() == [
        "parameters/epochs",
        "parameters/l2",
        "parameters/lr",
        "metrics/test_accuracy",
        "train/accuracy",
        "train/loss",
    ]
    assert ColumnPaths([], 0, False).suggested() == []


def test_suggested_ranks_by_share_drops_rare_paths_and_caps_each_kind() -> None:
    items = [FieldPath(f"params/p{i}", "float", 100 - i) for i in range(12)]
    items += [FieldPath(f"val/m{i}", "float_series", 50 + i) for i in range(12)]
    items.append(FieldPath("params/rare", "int", 19))  # under 20 %
    items.sort(key=lambda f: (-f.runs, f.path))
    suggested = ColumnPaths(items, 100, False).suggested()
    assert suggested == [f"params/p{i}" for i in range(8)] + [f"val/m{i}" for i in range(11, 5, -1)]
    assert ColumnPaths(items, 100, False).suggested(max_params=2, max_metrics=1) == [
        "params/p0",
        "params/p1",
        "val/m11",
    ]
