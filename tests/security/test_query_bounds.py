"""Issue 14.2: no query can stall the server or run unbounded.

MATCHES runs in RE2 (linear time, GIL released) on SQLite, every filtering statement runs
under a time budget on both backends, and the parser refuses deep nesting, too many
conditions, sort keys or columns with a 400 naming the limit, never a RecursionError or a
500. The server tests use a real jupyter_server (pytest-jupyter) on SQLite, where the old
REGEXP held the GIL; the budget tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest
from query_helpers import make_run
from sqlalchemy import insert
from tornado.httpclient import HTTPClientError

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.query import QueryError, QuerySyntaxError, QueryTimeout, budget, runs_table
from jupyter_mltrack.query.tokens import MAX_DEPTH, MAX_SORT_KEYS
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Field

HOSTILE = 'sys/name MATCHES "(a+)+$"'  # exponential for a backtracking engine
SLOW = 'notes MATCHES "a[ab]{20}c"'  # linear, but ~30-100 ms per 100 kB value (RE2's DFA
# gives up on it and its NFA runs; PostgreSQL's engine is slow on it too): seconds for 200.


def seed_notes(store: Store, runs: int = 200, size: int = 100_000) -> None:
    """`runs` runs, each with a `notes` string of `size` random a/b characters."""
    rng = random.Random(0)
    text = "".join(rng.choice("ab") for _ in range(size))
    ids = [make_run(store, name=f"r{i}").id for i in range(runs)]
    rows = [
        {"run_id": rid, "path": "notes", "type": "string", "text": text[i:] + text[:i]}
        for i, rid in enumerate(ids)
    ]
    with store.write() as s:
        s.execute(insert(Field), [{**r, "updated_at": time.time(), "count": 0} for r in rows])


# -- through a real jupyter_server (SQLite) ------------------------------------------------


@pytest.fixture
def server_store(jp_serverapp: Any) -> Store:
    return open_store()


async def _answer(fetch: Any) -> tuple[float, int, dict[str, Any]]:
    t0 = time.monotonic()
    try:
        r = await fetch
        return time.monotonic() - t0, r.code, json.loads(r.body)
    except HTTPClientError as e:
        assert e.response is not None
        return time.monotonic() - t0, e.code, json.loads(e.response.body)


async def _health_while(jp_fetch: Any, task: asyncio.Future[Any]) -> list[float]:
    """Seconds each /health took, sent one after another until `task` is done. Each lap
    includes a short sleep, so a stalled event loop (a thread holding the GIL) shows."""
    laps = []
    while not task.done():
        t0 = time.monotonic()
        await asyncio.sleep(0.02)
        r = await jp_fetch("mltrack", "api", "health")
        assert r.code == 200
        laps.append(time.monotonic() - t0)
    return laps


async def test_hostile_matches_does_not_stall_the_server(jp_fetch: Any, server_store: Store):
    make_run(server_store, name="a" * 24 + "!")  # minutes of backtracking for Python's re
    make_run(server_store, name="aaa")
    query = asyncio.ensure_future(
        _answer(jp_fetch("mltrack", "api", "runs", params={"query": HOSTILE}))
    )
    laps = await _health_while(jp_fetch, query)
    took, code, body = await query
    assert code == 200, body
    assert [r["sys/name"] for r in body["items"]] == ["aaa"]
    # Generous bounds for a busy CI machine; without the bound these take 10 s and more.
    assert took < 4.0
    assert max(laps, default=0.0) < 3.0, laps


async def test_slow_matches_stops_at_the_budget_with_a_400_and_health_stays_fast(
    jp_fetch: Any, server_store: Store, monkeypatch: pytest.MonkeyPatch
):
    seed_notes(server_store)
    monkeypatch.setattr(budget, "QUERY_TIMEOUT", 0.5)  # the server runs in this process
    query = asyncio.ensure_future(
        _answer(jp_fetch("mltrack", "api", "runs", params={"query": SLOW}))
    )
    laps = await _health_while(jp_fetch, query)
    took, code, body = await query
    assert code == 400, body
    assert body["error"] == "query_timeout"
    assert "time limit (0.5 s)" in body["message"]
    assert took < 0.5 + 2.5
    assert len(laps) >= 2 and max(laps) < 3.0, laps


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"query": "(" * 60 + "a = 1" + ")" * 60}, f"at most {MAX_DEPTH} levels"),
        ({"query": "NOT " * 2400 + "a = 1"}, f"at most {MAX_DEPTH} levels"),
        ({"query": "(" * 5000 + "a = 1" + ")" * 4990}, f"at most {MAX_DEPTH} levels"),
        ({"query": " OR ".join(["a = 1"] * 201)}, "at most 200 in one query"),
        ({"query": "a = 1 OR " * 1300 + "a = 1"}, "at most 10,000"),
        ({"sort": ",".join(f"p{i}" for i in range(31))}, f"at most {MAX_SORT_KEYS}"),
        ({"sort": ",".join(["params/x"] * 2000)}, "at most 10,000"),
        ({"columns": ",".join(f"c{i}" for i in range(1001))}, "at most 1,000"),
        ({"query": 'sys/name MATCHES "(?=a)"'}, "no lookaround"),
        ({"query": 'sys/name MATCHES "(a)\\\\1"'}, "no backreferences"),
    ],
)
async def test_costly_shapes_are_a_400_naming_the_limit(
    jp_fetch: Any, server_store: Store, params: dict[str, str], words: str
):
    took, code, body = await _answer(jp_fetch("mltrack", "api", "runs", params=params))
    assert code == 400, body
    assert body["error"] == "invalid"
    assert words in body["message"]
    assert len(body["message"]) < 400  # a window around the caret, not the whole query
    assert took < 4.0  # 26 s and more before the limits


# -- the same engine through runs_table, on both backends ----------------------------------


def test_the_budget_stops_a_slow_matches(store: Store):
    seed_notes(store)
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout) as e:
        runs_table(store, query=SLOW, timeout=0.5)
    assert time.monotonic() - t0 < 0.5 + 2.5
    assert e.value.status == 400 and e.value.code == "query_timeout"
    assert "time limit (0.5 s)" in str(e.value)
    # The store is fine afterwards: the next query runs, under the default budget.
    assert runs_table(store, query='sys/name MATCHES "^r1.$"', limit=None).total == 10


def test_hostile_matches_is_linear_on_both_backends(store: Store):
    make_run(store, name="a" * 24 + "!")
    t0 = time.monotonic()
    assert runs_table(store, query=HOSTILE).total == 0
    assert time.monotonic() - t0 < 4.0  # ~10 s with Python's re


def test_one_value_too_costly_to_match_is_refused_up_front(sqlite_store: Store):
    """RE2's NFA cannot be stopped mid-value: a value whose length times the pattern's size
    could take seconds is refused before matching (~10 s for this one otherwise)."""
    seed_notes(sqlite_store, runs=1, size=1_000_000)
    t0 = time.monotonic()
    with pytest.raises(QueryError) as e:
        runs_table(sqlite_store, query='notes MATCHES "a[ab]{200}c"')
    assert time.monotonic() - t0 < 4.0
    assert not isinstance(e.value, QueryTimeout)
    assert "over the limit for one value" in str(e.value)


def test_patterns_are_re2_on_both_backends(store: Store):
    make_run(store, name="résumé")
    with pytest.raises(QuerySyntaxError, match="no lookaround"):
        runs_table(store, query='sys/name MATCHES "r(?!x)"')
    with pytest.raises(QuerySyntaxError, match="not valid Unicode"):
        runs_table(store, query='sys/name MATCHES "\ud800"')
    assert runs_table(store, query='sys/name MATCHES "^r.sum.$"').total == 1
    if store.is_sqlite:
        assert runs_table(store, query='sys/name MATCHES "^\\\\pL+$"').total == 1
    else:  # RE2 syntax PostgreSQL's engine has not: a 400 saying so, not a 500
        with pytest.raises(QueryError, match="PostgreSQL cannot use this MATCHES pattern"):
            runs_table(store, query='sys/name MATCHES "^\\\\pL+$"')


def test_cli_and_client_refuse_the_same_shapes(store: Store, capsys: pytest.CaptureFixture[str]):
    deep = "(" * (MAX_DEPTH + 1) + "a = 1" + ")" * (MAX_DEPTH + 1)
    argv = ["--store", store.config.url, "--blobs", str(store.config.blob_root)]
    assert main([*argv, "runs", deep]) == 1
    assert f"at most {MAX_DEPTH} levels" in capsys.readouterr().err
    project = mlt.init_project("credit", store=store.config.url, blobs=store.config.blob_root)
    with pytest.raises(QueryError, match=f"at most {MAX_SORT_KEYS}"):
        project.fetch_runs_table(sort_by=",".join(f"p{i}" for i in range(40)))
