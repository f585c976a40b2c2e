"""The runs table at 1,000, 10,000 and 100,000 runs, on SQLite and PostgreSQL (issue 19.4):
part of bench_runs.py, which prints it first.

Each store holds N runs x 8 fields (4 params, 2 metrics, tags, a series' aggregates; no
points: the table never reads them), written with bulk INSERTs (executemany) in a few
seconds, once, under /tmp/bench/runs-scale (SQLite) or in a PostgreSQL database
`mltrack_bench_runs_<N>` made through the admin URL. One run in 1,000 is a fork of an
earlier run (store/forks.py), so the fork-aware aggregates are paid for in the figures.

Measured, median wall time after a warm-up, each against the 150 ms goal:
  * filter + sort on a numeric field + 100 rows, first page (the common path);
  * the same, a deep page (the middle of the matches) by offset and by keyset cursor; the
    offset plain (every match sorted), cold, again (a refresh, from the anchor the first
    answer left) and 300 rows past a page served (query/pages.py: anchors);
  * sorts on sys/creation_time, sys/name and sys/state, first page, no filter.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update

from jupyter_mltrack.query import pages, runs_table
from jupyter_mltrack.store import projects
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Field, Project, Run

ROOT = Path("/tmp/bench/runs-scale")
PROJECT = "scale"
SIZES = (1_000, 10_000, 100_000)
GOAL_MS = 150.0
QUERY = "metrics/f1 > 0.5"
SORT = "-metrics/f1"
COLUMNS = "metrics/f1,params/lr,params/optimizer,last(train/loss)"
FORK_EVERY = 1000  # one run in this many is a fork
OPTIMIZERS = ("adam", "sgd", "adamw", "rmsprop")
TAGS = ("baseline", "sweep", "best", "xgb", "ablation")
BATCH = 20_000


def build(store: Store, n: int, seed: int = 1) -> None:
    """n runs, 8 fields each, in batches of executemany INSERTs."""
    rng = random.Random(seed)
    proj = projects.get_or_create(store, PROJECT)
    now = time.time()
    runs: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        created = now - (n - i) * 10.0
        state = "running" if i > n - 5 else rng.choice(("finished",) * 8 + ("failed",))
        runs.append(
            {
                "id": i, "project_id": proj.id, "number": i, "short_id": f"SCAL-{i}",
                "name": f"run-{rng.randrange(n):07d}", "description": "", "state": state,
                "failed": state == "failed", "owner": "ann", "hostname": "bench",
                "created_at": created, "abort_requested": False,
                "ended_at": None if state == "running" else created + 60,
                "heartbeat_at": now if state == "running" else created + 60,
            }
        )  # fmt: skip

        def f(path: str, type_: str, run_id: int = i, **kw: Any) -> None:
            fields.append(
                {"run_id": run_id, "path": path, "type": type_, "updated_at": now, "count": 0, **kw}
            )

        f("params/lr", "float", num=10 ** rng.uniform(-5, -1))
        f("params/optimizer", "string", text=rng.choice(OPTIMIZERS))
        f("metrics/f1", "float", num=round(rng.random(), 3))  # ties: the id breaks them
        f("metrics/acc", "float", num=rng.random())
        f("sys/tags", "string_set", text=json.dumps(sorted(rng.sample(TAGS, 2))))
        lo = rng.random()
        f("train/loss", "float_series", count=100, last=lo, min=lo, max=lo + 1, last_step=99.0)
        if i % FORK_EVERY == 0 and i > 1:
            f("forking/parent", "string", text=f"SCAL-{rng.randrange(1, i)}")
            f("forking/step", "float", num=50.0)
    if store.engine.dialect.name == "postgresql":
        _copy(store, "runs", runs)
        _copy(store, "fields", fields)
        with store.write() as s:  # the ids were given: the sequence follows them
            s.execute(text("SELECT setval(pg_get_serial_sequence('runs', 'id'), :n)"), {"n": n})
    else:
        with store.write() as s:
            for start in range(0, n, BATCH):
                s.execute(insert(Run), runs[start : start + BATCH])
            for start in range(0, len(fields), BATCH):
                s.execute(insert(Field), fields[start : start + BATCH])
    with store.write() as s:
        s.execute(update(Project).where(Project.id == proj.id).values(last_run_number=n))


def _copy(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: 10-50x an executemany of the same rows."""
    columns = sorted({k for r in rows for k in r})
    raw = store.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()  # type: ignore[union-attr]
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r.get(c) for c in columns))
        raw.commit()
    finally:
        raw.close()


def pg_url(admin: str, n: int) -> str:
    """A database `mltrack_bench_runs_<n>` on the admin URL's server (created if missing)."""
    import psycopg

    name = f"mltrack_bench_runs_{n}"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rsplit('/', 1)[0]}/{name}"


def open_scale_store(backend: str, n: int, admin: str, rebuild: bool) -> Store:
    if backend == "sqlite":
        db = ROOT / f"runs-{n}.db"
        if rebuild:
            for p in ROOT.glob(f"runs-{n}.db*"):
                p.unlink()
        db.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{db}"
    else:
        if rebuild:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "mltrack_bench_runs_{n}" WITH (FORCE)')
        url = pg_url(admin, n)
    store = open_store(StoreConfig(url, ROOT / "blobs"), cached=False)
    with store.read() as s:
        have = s.scalar(select(func.count()).select_from(Run)) or 0
    if have == 0:
        t = time.perf_counter()
        build(store, n)
        if store.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load (statistics, visibility map).
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        else:
            with store.engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
        print(f"  built {n:,} runs on {backend} in {time.perf_counter() - t:.1f} s")
    elif have != n:
        raise SystemExit(f"{store.config.masked_url} holds {have} runs, not {n}: use --rebuild")
    return store


def median_ms(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    out = fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out


def measure(store: Store, reps: int) -> dict[str, float]:
    """The figures of one store (see the module doc); keys are the REPORT's."""
    out: dict[str, float] = {}

    def table(**kw: Any) -> Any:
        return runs_table(store, project=PROJECT, **kw)

    common = dict(query=QUERY, sort=SORT, columns=COLUMNS, limit=100)
    out["first"], first = median_ms(lambda: table(**common), reps)
    assert len(first.items) == 100
    deep = max(0, first.total // 2)
    # Deep offsets: plain (every match sorted: anchors off, the path before them), cold (no
    # page served near it, anchors on), again (a refresh: the first answer left an anchor
    # where the page starts), and 300 rows past a page's end (a jump near where one was).
    anchors = getattr(pages, "_anchors", None)
    if anchors is not None:
        pages.anchors_enabled = False
        out["deep_plain"], _ = median_ms(lambda: table(**common, offset=deep), reps)
        pages.anchors_enabled = True

        def cold() -> Any:
            anchors.clear()
            return table(**common, offset=deep)

        out["deep_cold"], _ = median_ms(cold, reps)
    out["deep_offset"], by_offset = median_ms(lambda: table(**common, offset=deep), reps)
    if anchors is not None:
        out["deep_near"], _ = median_ms(lambda: table(**common, offset=deep + 400), reps)
    cursor = _cursor_at(table, common, deep)
    if cursor is not None:
        out["deep_cursor"], by_cursor = median_ms(lambda: table(**common, cursor=cursor), reps)
        same = [r["sys/id"] for r in by_cursor.items] == [r["sys/id"] for r in by_offset.items]
        assert same, "the keyset page differs from the offset page"
    for key, sort in (
        ("created", "-sys/creation_time"),
        ("name", "sys/name"),
        ("state", "sys/state"),
    ):
        out[key], _ = median_ms(lambda sort=sort: table(sort=sort, limit=100), reps)  # type: ignore[misc]
    out["total"] = first.total
    return out


def _cursor_at(table: Callable[..., Any], common: dict[str, Any], deep: int) -> str | None:
    """The cursor that continues after row `deep` (None before keyset paging existed)."""
    if deep == 0:
        return None
    try:
        before = table(**{**common, "limit": 1}, offset=deep - 1)
    except TypeError:
        return None
    return getattr(before, "next_cursor", None)


ROWS = (
    ("first", f"filter {QUERY!r}, sort {SORT!r}, 100 rows, first page"),
    ("deep_plain", "  the same, a deep page (middle) by offset, every match sorted"),
    ("deep_cold", "  the same, by offset, no page served near it (anchors on)"),
    ("deep_offset", "  the same, by offset again (a refresh: from its anchor)"),
    ("deep_near", "  the same, by offset 300 rows past a page served"),
    ("deep_cursor", "  the same, a deep page by keyset cursor"),
    ("created", "sort -sys/creation_time, 100 rows"),
    ("name", "sort sys/name, 100 rows"),
    ("state", "sort sys/state, 100 rows"),
)


def run(backends: list[str], sizes: list[int], admin: str, reps: int, rebuild: bool) -> None:
    figures: dict[tuple[str, int], dict[str, float]] = {}
    for backend in backends:
        for n in sizes:
            store = open_scale_store(backend, n, admin, rebuild)
            try:
                figures[backend, n] = measure(store, reps)
            finally:
                store.dispose()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nruns table at scale, ms wall (median of {reps}; goal <= {GOAL_MS:.0f} ms at 100,000"
        f" runs; load average {load} on {os.cpu_count()} cores):"
    )
    head = "".join(f"{f'{b[:6]} {n // 1000}k':>12}" for b, n in figures)
    print(f"{'':<62}{head}")
    for key, label in ROWS:
        cells = []
        for fig in figures.values():
            v = fig.get(key)
            cells.append(f"{'-':>12}" if v is None else f"{v:10.1f}{'!' if v > GOAL_MS else ' '} ")
        print(f"{label:<62}{''.join(cells)}")
    totals = "".join(f"{int(fig['total']):>12,}" for fig in figures.values())
    print(f"{'matching runs (total)':<62}{totals}")
    print("('!': over the goal)")
    print(
        json.dumps(
            {f"{b}_{n}": {k: round(v, 2) for k, v in f.items()} for (b, n), f in figures.items()}
        )
    )
