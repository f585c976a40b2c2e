"""The run view's read side: which cell logged which points (query/provenance.py) and the
fork lineage of a run's detail (query/detail.py `fork`), on SQLite and PostgreSQL."""

from __future__ import annotations

from query_helpers import float_series, make_run, scalar

from jupyter_mltrack.query.detail import run_detail
from jupyter_mltrack.query.provenance import _per_cell, _per_cell_python, cell_provenance
from jupyter_mltrack.store import cells
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.entities import CellExecutionInfo
from jupyter_mltrack.store.fields import SeriesData


def _cell(cell_id: str, count: int, start: float, end: float | None) -> CellExecutionInfo:
    return CellExecutionInfo(
        cell_id=cell_id,
        execution_count=count,
        started_at=start,
        ended_at=end,
        peak_rss=1 << 20,
        peak_gpu_memory=None,
        error=False,
    )


def test_each_point_goes_to_the_cell_that_ran_when_it_was_logged(store: Store) -> None:
    run = make_run(store, name="cells")
    # Cell a (t 100-110) logs steps 0-4, nothing runs at t 111-119, cell b (120-, still
    # running) logs steps 5-9 of the loss and the accuracy's only point.
    float_series(
        store,
        run,
        "train/loss",
        [1.0] * 11,
        steps=[float(i) for i in range(11)],
        timestamps=[100, 101, 102, 103, 110, 115, 120, 121, 122, 130, 500],
    )
    float_series(store, run, "val/acc", [0.5], steps=[3.0], timestamps=[125.0])
    scalar(store, run, "params/lr", 0.1)
    cells.record(store, run.id, [_cell("a", 1, 100.0, 110.0), _cell("b", 2, 120.0, None)])

    answer = cell_provenance(store, run.short_id)
    assert answer["truncated"] is False
    a, b = answer["cells"]
    assert (a["cell_id"], a["execution_count"], a["peak_rss"]) == ("a", 1, 1 << 20)
    assert a["series"] == [{"path": "train/loss", "count": 5, "first_step": 0, "last_step": 4}]
    assert sorted(b["series"], key=lambda s: s["path"]) == [
        {"path": "train/loss", "count": 5, "first_step": 6, "last_step": 10},
        {"path": "val/acc", "count": 1, "first_step": 3, "last_step": 3},
    ]


def test_the_pure_python_path_gives_the_same_answer() -> None:
    executions = [_cell("a", 1, 100.0, 110.0), _cell("b", 2, 120.0, None)]
    data = SeriesData(
        "float_series",
        [5.0, 1.0, 2.0, 3.0, 4.0, 9.0],
        [0.0] * 6,
        [99.0, 100.0, 105.0, 111.0, 120.0, 1e9],
    )
    expected = {0: (2, 1.0, 2.0), 1: (2, 4.0, 9.0)}
    assert _per_cell_python(executions, [100.0, 120.0], data) == expected
    assert _per_cell(executions, [100.0, 120.0], data) == expected


def test_a_run_without_cells_has_none(store: Store) -> None:
    run = make_run(store, name="script")
    float_series(store, run, "train/loss", [1.0, 2.0])
    assert cell_provenance(store, run.id)["cells"] == []


def test_the_detail_names_the_parent_the_fork_step_and_the_forks(store: Store) -> None:
    parent = make_run(store, name="main", custom_run_id="sb-main")
    fork = make_run(store, name="fork-a")
    scalar(store, fork, "forking/parent", "sb-main")
    scalar(store, fork, "forking/step", 10.0)
    by_key = make_run(store, name="fork-b")  # named by KEY-n rather than custom id
    scalar(store, by_key, "forking/parent", parent.short_id)
    scalar(store, by_key, "forking/step", 4.0)
    elsewhere = make_run(store, project="other", name="same-name")
    scalar(store, elsewhere, "forking/parent", "sb-main")

    assert run_detail(store, fork.short_id)["fork"] == {
        "parent": {"id": parent.short_id, "name": "main", "state": "running"},
        "step": 10.0,
        "children": [],
    }
    assert run_detail(store, parent.short_id)["fork"] == {
        "parent": None,
        "step": None,
        "children": [
            {"id": fork.short_id, "name": "fork-a", "step": 10.0},
            {"id": by_key.short_id, "name": "fork-b", "step": 4.0},
        ],
    }
