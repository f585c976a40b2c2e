"""The `sys/` registry (jupyter_mltrack/sysfields.py) is the one list: every field it declares
is a SQL expression and a Python value that agree, a queryable, sortable column, a value of the
run detail and of the client's `run["sys/..."]`, and the lab's copy is regenerated from it.
On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from client_helpers import metric_logging_only
from query_helpers import make_run, scalar
from sqlalchemy import select, update

import jupyter_mltrack as mlt
from jupyter_mltrack import sysfields
from jupyter_mltrack.query import runs_table
from jupyter_mltrack.query.compiler import sys_columns
from jupyter_mltrack.query.detail import run_detail
from jupyter_mltrack.query.table import sys_value
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Project, Run

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = [f for f in sysfields.FIELDS if not f.is_field]


@pytest.fixture
def three_runs(store: Store) -> Store:
    """A finished run with tags, a running one, and one whose heartbeat went stale (crashed)."""
    done = make_run(store, name="done", owner="ann", hostname="h1", notebook_path="a.ipynb")
    scalar(store, done, "sys/tags", {"best"})
    runs.set_state(store, done.id, "finished")
    make_run(store, name="live", owner="bob", custom_run_id="c-1")
    lost = make_run(store, name="lost", description="gone")
    runs.request_abort(store, lost.id)
    with store.write() as s:
        s.execute(update(Run).where(Run.id == lost.id).values(heartbeat_at=time.time() - 600))
    return store


def test_every_column_field_has_one_sql_expression_and_the_same_python_value(
    three_runs: Store,
) -> None:
    """compiler.sys_columns (what filters and sorts) and sysfields.value (what the table, the
    detail and the client show) give the same value for every field and every kind of run."""
    now = time.time()
    exprs = sys_columns(now)
    assert list(exprs) == list(sysfields.COLUMN_PATHS)
    with three_runs.read() as s:
        rows = s.execute(
            select(Run, Project.name).join(Project, Project.id == Run.project_id)
        ).all()
        for run, project in rows:
            for f in COLUMNS:
                kind, expr = exprs[f.path]
                assert kind == f.type
                in_sql = s.scalar(select(expr).where(Run.id == run.id))
                in_python = sys_value(f.path, run, project, now)
                if isinstance(in_python, float):
                    assert in_sql == pytest.approx(in_python), f.path
                else:
                    assert in_sql == in_python, f.path
    states = {r["sys/name"]: r["sys/state"] for r in runs_table(three_runs).items}
    assert states == {"done": "finished", "live": "running", "lost": "crashed"}


@pytest.mark.parametrize("field", sysfields.FIELDS, ids=lambda f: f.path)
def test_every_sys_field_filters_sorts_and_is_a_column(three_runs: Store, field) -> None:
    table = runs_table(three_runs, query=f"{field.path} EXISTS", columns=[field.path])
    assert field.path in table.columns
    assert table.total >= 1
    for desc in ("", "-"):
        ordered = runs_table(three_runs, sort=f"{desc}{field.path}", columns=[field.path])
        assert ordered.total == 3
    assert (field.path in table.time_columns) == field.is_time


def test_the_run_detail_lists_every_column_field_once(three_runs: Store) -> None:
    detail = run_detail(three_runs, "CRED-1")
    assert list(detail["sys"]) == [f.path for f in sysfields.LISTED if not f.is_field]
    assert detail["sys"]["sys/ending_time"] is not None
    assert detail["sys"]["sys/notebook_path"] == "a.ipynb"
    assert detail["tags"] == ["best"]
    assert run_detail(three_runs, "CRED-3")["sys"]["sys/abort_requested"] is True


def test_the_client_reads_every_sys_field_the_server_shows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run["sys/ending_time"]`, `sys/duration`, `sys/notebook_path` and
    `sys/abort_requested` were missing from the client's own list (NotFound)."""
    metric_logging_only(monkeypatch)
    run = mlt.init_run(
        store=store.config.url, blobs=str(store.config.blob_root), name="r", tags=["t"]
    )
    run.stop()
    shown = run_detail(store, run.id)["sys"]
    for f in COLUMNS:
        assert run.exists(f.path), f.path
        got = run[f.path].fetch()
        want = shown.get(f.path, shown.get(f.alias_of or ""))
        if f.is_time:
            assert got == dt.datetime.fromtimestamp(want, dt.timezone.utc), f.path
        elif f.type == "duration":
            assert got == pytest.approx(want), f.path
        else:
            assert got == want, f.path
    assert run["sys/tags"].fetch() == {"t"}
    assert set(run.fetch()["sys"]) >= {f.path[4:] for f in sysfields.FIELDS}


def test_writable_sys_fields_are_the_registrys() -> None:
    from jupyter_mltrack.client import paths

    assert paths.SYS_WRITABLE == ("sys/name", "sys/tags", "sys/description")
    assert [f.path for f in sysfields.FIELDS if f.default] == [
        "sys/id",
        "sys/name",
        "sys/state",
        "sys/owner",
        "sys/creation_time",
        "sys/ending_time",
        "sys/duration",
        "sys/tags",
    ]


def test_the_labs_copy_is_generated_from_the_registry() -> None:
    """src/generated/sysfields.json is what `jlpm gen:sysfields` writes; the lab's
    completion, grid, formats and run view read it."""
    committed = (ROOT / "src" / "generated" / "sysfields.json").read_text(encoding="utf-8")
    assert committed == sysfields.render_json(), (
        "src/generated/sysfields.json is stale: run `jlpm gen:sysfields` and commit it"
    )


def test_the_docs_list_every_sys_field() -> None:
    """docs/query.md (what a query can name) and docs/api.md (what `run[...]` reads)."""
    query_doc = (ROOT / "docs" / "query.md").read_text(encoding="utf-8")
    api_doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for f in sysfields.FIELDS:
        assert f"`{f.path}`" in query_doc, f.path
        if f.alias_of is None:
            assert f"`{f.path}`" in api_doc, f.path


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.81, "1s"),
        (59.4, "59s"),
        (59.5, "1m 00s"),  # half up, as Math.round in the lab
        (187.2, "3m 07s"),
        (3600, "1h 00m"),
        (7500, "2h 05m"),
        (90000, "1d 1h"),
        (-1, ""),
        (float("nan"), ""),
    ],
)
def test_a_duration_reads_as_the_lab_shows_it(seconds: float, text: str) -> None:
    """The Python twin of src/runs/format.ts formatDuration (CLI, `%mltrack` HTML)."""
    assert sysfields.duration_text(seconds) == text
