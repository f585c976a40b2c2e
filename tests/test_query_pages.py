"""The runs table at scale, by correctness and query plans, never by timing (issue 19.4):
keyset pages join into the whole ordered result (ties broken by id, NULLs last), on the
index-ordered plans and the generic one alike; the estimated total; the plans that read the
common sorts in index order, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from typing import Any

import pytest
from query_helpers import float_series, make_run, scalar
from sqlalchemy import event, text, update

from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.query import pages, runs_table
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.models import Run

# metrics/f1 per run: ties, a missing value, a string where a number is, a series, NaN.
F1: list[Any] = [0.5, 0.9, None, 0.5, "n/a", 0.1, 0.5, None, 0.9, "abc", 0.7, 0.5, [0.3, 0.2]]
F1 += [0.5, None, math.nan, 0.8, 0.5]
SORTS = [
    "-metrics/f1",
    "metrics/f1",
    "-last(train/loss)",
    "last(train/loss)",
    "-sys/creation_time",
    "sys/creation_time",
    "sys/name",
    "-sys/name",
    "sys/state",
    "-sys/state",
    "-sys/ending_time",
    "-metrics/f1,sys/name",
    "max(train/loss)",
]


@pytest.fixture
def paged_store(store):
    for i, f1 in enumerate(F1):
        run = make_run(store, name=f"r{i % 5}")  # names tie too
        if isinstance(f1, list):
            float_series(store, run, "metrics/f1", f1)
        elif f1 is not None:
            scalar(store, run, "metrics/f1", f1)
        if i % 3:
            float_series(store, run, "train/loss", [1.0, (i % 4) / 10])
        if i % 4 == 0:
            runs.set_state(store, run.id, "finished")
        elif i % 4 == 1:
            runs.set_state(store, run.id, "failed" if i % 8 == 1 else "aborted")
        elif i % 8 == 2:  # running, with a heartbeat long gone: it reads crashed
            with store.write() as s:
                s.execute(update(Run).where(Run.id == run.id).values(heartbeat_at=1.0))
    return store


def _ids(table: Any) -> list[str]:
    return [row["sys/id"] for row in table.items]


def _by_cursor(store: Any, size: int, **kw: Any) -> list[str]:
    out: list[str] = []
    cursor = None
    for _ in range(100):
        page = runs_table(store, limit=size, cursor=cursor, **kw)
        out += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            return out
    raise AssertionError("the cursor never ended")


def _by_offset(store: Any, size: int, **kw: Any) -> list[str]:
    out: list[str] = []
    while True:
        page = runs_table(store, limit=size, offset=len(out), **kw)
        out += _ids(page)
        if len(page.items) < size:
            return out


@pytest.mark.parametrize("sort", SORTS)
def test_pages_join_into_the_whole_ordered_result(
    paged_store: Any, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = dict(project="credit", sort=sort, query="")
    whole = _ids(runs_table(paged_store, limit=None, **kw))
    assert len(whole) == len(F1)
    for size in (1, 3, 7):
        assert _by_cursor(paged_store, size, **kw) == whole, size
        assert _by_offset(paged_store, size, **kw) == whole, size
    # The generic plan (one statement that sorts every match) orders the same way.
    monkeypatch.setattr(pages, "FAST_OFFSET", -1)
    assert _ids(runs_table(paged_store, limit=None, **kw)) == whole
    assert _by_cursor(paged_store, 4, **kw) == whole


def test_a_filtered_sort_pages_the_same_way(paged_store: Any) -> None:
    kw = dict(project="credit", sort="-metrics/f1", query="metrics/f1 >= 0.5")
    whole = _ids(runs_table(paged_store, limit=None, **kw))
    assert _by_cursor(paged_store, 2, **kw) == whole
    assert len(whole) == sum(1 for f in F1 if isinstance(f, float) and f >= 0.5)


def test_the_order_ties_by_id_and_puts_nulls_last(paged_store: Any) -> None:
    table = runs_table(paged_store, project="credit", sort="-metrics/f1", limit=None)
    numbers = {i + 1: f for i, f in enumerate(F1) if isinstance(f, float) and not math.isnan(f)}
    nan = [i + 1 for i, f in enumerate(F1) if isinstance(f, float) and math.isnan(f)]
    # NaN: the highest number on PostgreSQL, no number on SQLite (stored as NULL).
    got = [n for n in (int(row["sys/id"].split("-")[1]) for row in table.items) if n not in nan]
    by_number = [n for n in got if n in numbers]
    expected = sorted(numbers, key=lambda n: (-numbers[n], -n))
    assert by_number == expected
    # Runs with no number (missing, or a string) come after every number.
    no_number = [i + 1 for i, f in enumerate(F1) if f is None or isinstance(f, str)]
    assert set(got[-len(no_number) :]) == set(no_number)
    missing = [i + 1 for i, f in enumerate(F1) if f is None]
    assert got[-len(missing) :] == sorted(missing, reverse=True)  # NULL, NULL: by id


def test_a_cursor_is_refused_for_another_table(paged_store: Any) -> None:
    page = runs_table(paged_store, project="credit", sort="-metrics/f1", limit=2)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput, match="another query"):
        runs_table(paged_store, project="credit", sort="sys/name", cursor=page.next_cursor)
    with pytest.raises(InvalidInput, match="not one this server made"):
        runs_table(paged_store, project="credit", cursor="garbage!")
    with pytest.raises(InvalidInput, match="not both"):
        runs_table(
            paged_store, project="credit", sort="-metrics/f1", cursor=page.next_cursor, offset=2
        )


def test_the_total_is_exact_when_small_and_estimated_when_large(
    paged_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = dict(project="credit", query="metrics/f1 >= 0.5", sort="-sys/creation_time")
    matching = sum(1 for f in F1 if isinstance(f, float) and f >= 0.5)
    first = runs_table(paged_store, limit=2, **kw)
    assert (first.total, first.total_estimated) == (matching, False)  # a small project
    monkeypatch.setattr(pages, "SAMPLE", 6)
    monkeypatch.setattr(pages, "_population", {})
    estimated = runs_table(paged_store, limit=2, **kw)
    assert estimated.total_estimated
    newest = F1[-6:]  # the sample: the newest runs by creation time
    share = sum(1 for f in newest if isinstance(f, float) and f >= 0.5)
    assert estimated.total == round(share * len(F1) / 6)
    # The last page shows the exact total, whatever the estimate.
    last = runs_table(paged_store, limit=100, **kw)
    assert (last.total, last.total_estimated) == (matching, False)
    # An estimate never undercounts what the pages have shown.
    deep = runs_table(paged_store, limit=2, offset=matching - 2, **kw)
    assert deep.total >= matching


def test_the_last_page_by_cursor_knows_the_exact_total(
    paged_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrolling by cursors ends, as paging by offsets does, on an exact total: the cursor
    carries its page's position (the lab's status line stops saying "about")."""
    monkeypatch.setattr(pages, "SAMPLE", 6)
    monkeypatch.setattr(pages, "_population", {})
    kw = dict(project="credit", query="metrics/f1 >= 0.5", limit=3)
    matching = sum(1 for f in F1 if isinstance(f, float) and f >= 0.5)
    for sort in ("-sys/creation_time", "-metrics/f1", "max(train/loss)"):
        page = runs_table(paged_store, sort=sort, **kw)
        seen, answers = len(page.items), [page]
        while page.next_cursor is not None:
            page = runs_table(paged_store, sort=sort, cursor=page.next_cursor, **kw)
            seen += len(page.items)
            answers.append(page)
        assert seen == matching
        assert all(a.total_estimated for a in answers[:-1]), sort
        assert (page.total, page.total_estimated) == (matching, False), sort
    # A page that ends exactly where the rows do: the empty page after it is exact too.
    full = runs_table(paged_store, sort="-sys/creation_time", **{**kw, "limit": matching})
    assert full.next_cursor is not None
    after = runs_table(paged_store, sort="-sys/creation_time", cursor=full.next_cursor, **kw)
    assert (after.items, after.total, after.total_estimated) == ([], matching, False)


@pytest.mark.parametrize("query", ["", "metrics/f1 >= 0.5 OR sys/name = 'r2'"])
def test_a_deep_offset_seeks_from_where_a_page_ended_lately(
    paged_store: Any, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """An offset past FAST_OFFSET near a page served lately is read from that page's end in
    index order: the same rows as the plain deep offset (a sort of every match), on every
    sort, and the anchors are dropped when a new run moves positions."""
    monkeypatch.setattr(pages, "FAST_OFFSET", 4)
    monkeypatch.setattr(pages, "ANCHOR_SKIP", 2)
    monkeypatch.setattr(pages, "_anchors", OrderedDict())
    used: list[int] = []
    anchor_for = pages._anchor_for

    def spy(*args: Any) -> Any:
        got = anchor_for(*args)
        used.append(got is not None)
        return got

    monkeypatch.setattr(pages, "_anchor_for", spy)

    def every_offset(**kw: Any) -> dict[int, list[str]]:
        return {o: _ids(runs_table(paged_store, offset=o, **kw)) for o in range(len(F1) + 1)}

    for sort in SORTS:
        kw = dict(project="credit", sort=sort, query=query, limit=3)
        monkeypatch.setattr(pages, "anchors_enabled", False)
        plain = every_offset(**kw)
        monkeypatch.setattr(pages, "anchors_enabled", True)
        used.clear()
        assert every_offset(**kw) == plain, sort  # deep generic pages leave anchors
        _by_cursor(paged_store, 3, **{k: v for k, v in kw.items() if k != "limit"})
        assert every_offset(**kw) == plain, sort  # and so do cursor pages
        if sort.count(",") == 0 and not sort.startswith(("max(", "-sys/ending")):
            assert any(used), sort  # the fast sorts did seek from anchors
    # A new run: positions moved, the anchors of before are not used.
    kw = dict(project="credit", sort="-sys/creation_time", query=query, limit=3)
    every_offset(**kw)
    make_run(paged_store, name="newest")
    monkeypatch.setattr(pages, "anchors_enabled", False)
    plain = every_offset(**kw)
    monkeypatch.setattr(pages, "anchors_enabled", True)
    used.clear()
    assert runs_table(paged_store, offset=10, **kw).items[0]["sys/id"] == plain[10][0]
    assert used == [False]


def test_the_answer_carries_the_cursor_and_whether_the_total_is_estimated(paged_store: Any) -> None:
    page = runs_table(paged_store, project="credit", sort="-metrics/f1", limit=3).to_dict()
    assert page["total_estimated"] is False and isinstance(page["next_cursor"], str)
    last = runs_table(paged_store, project="credit", limit=100).to_dict()
    assert last["next_cursor"] is None


# -- plans ------------------------------------------------------------------------------------


def _page_statement(store: Any, sort: str, marker: str) -> tuple[str, Any]:
    """The SQL and parameters of the page statement a runs_table call runs."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        runs_table(store, project="credit", query="metrics/f1 > 0.2", sort=sort, limit=5)
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
    found = [(sql, p) for sql, p in seen if marker in sql and "ORDER BY" in sql]
    assert found, [sql for sql, _ in seen]
    return found[0]


def _plan(store: Any, sql: str, params: Any) -> str:
    with store.engine.connect() as conn:
        if store.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            return "\n".join(str(r[-1]) for r in rows)
        # A table this small is read whole by a planner with a choice: take the choice away,
        # so the plan shows whether the index CAN give the order (no sort of every match).
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {sql}", params).all()
        return "\n".join(str(r[0]) for r in rows)


@pytest.mark.parametrize(
    ("sort", "marker", "index"),
    [
        ("-metrics/f1", "sortf", "ix_fields_path_sort"),
        ("metrics/f1", "sortf", "ix_fields_path_sort"),
        ("-last(train/loss)", "sortf", "ix_fields_path_last"),
        ("-sys/creation_time", "runs.created_at", "ix_runs_project_created_id"),
        ("sys/name", "runs.name", "ix_runs_project_name_id"),
        ("sys/state", "runs.state = ", "ix_runs_project_state_id"),
    ],
)
def test_the_common_sorts_read_an_index_in_order(
    paged_store: Any, sort: str, marker: str, index: str
) -> None:
    sql, params = _page_statement(paged_store, sort, marker)
    plan = _plan(paged_store, sql, params)
    assert index in plan, plan
    if paged_store.is_sqlite:
        # Only ties of the first key may be sorted ("RIGHT PART"), never every match.
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        # A Sort node would sort every match; an Incremental Sort only sorts ties.
        assert not re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.M), plan


def test_sys_state_sorts_by_the_state_a_run_reads_as(paged_store: Any) -> None:
    """sys/state is derived (a stale running run reads crashed): one segment per state."""
    table = runs_table(paged_store, project="credit", sort="sys/state", limit=None)
    states = [row["sys/state"] for row in table.items]
    assert states == sorted(states)
    assert {"crashed", "aborted", "running", "failed", "finished"} <= set(states)


def test_a_store_has_the_sort_indexes(store: Any) -> None:
    names = {
        "ix_fields_path_sort",
        "ix_runs_project_created_id",
        "ix_runs_project_name_id",
        "ix_runs_project_state_id",
        "ix_runs_created_id",
    }
    with store.engine.connect() as conn:
        if store.is_sqlite:
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        else:
            rows = conn.execute(text("SELECT indexname FROM pg_indexes"))
        have = {r[0] for r in rows}
    assert names <= have
