"""Many processes logging to one store while the server answers runs queries and takes
notebook checkpoints ("database is locked" hit 7 of 32 Optuna processes on SQLite, optuna#820).

Every worker logs `POINTS` points to its own run and ends it; the test then demands: every
point stored exactly once, every run id unique, no warning at all reaching any worker (a lock
error would surface as one), every HTTP request answered 200 while the writers hammered the
store. CI size: 4 processes x 20,000 points on SQLite, 6 x 10,000 on PostgreSQL; full size
(`make reliability-full`): 8 x 100,000 on SQLite and 32 x 100,000 on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack import checkpoints
from jupyter_mltrack.store import runs as runs_repo

from .harness import QUIET_ENV, Worker, assert_exact_prefix, open_fresh, report, size, stored_steps

# Far beyond what the writers need (CI: ~10 s; full: ~2 min); past it the test fails with
# each worker's state rather than hitting pytest's timeout with none.
DEADLINE = size(240, 800)
# 32 unpaced writers on 2 cores leave the in-process server a sliver of CPU: a runs query
# answered 200 after 40 s in the first full run, past pytest-jupyter's 20 s client timeout.
# Slow is allowed under that load (the slowest answer is reported); an error is not.
REQUEST_TIMEOUT = size(60, 300)
SIZES = {
    "sqlite": (size(4, 8), size(20_000, 100_000)),
    "postgres": (size(6, 32), size(10_000, 100_000)),
}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, Path]:
    """The store the server and the workers share, set before the server starts."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/shared/mltrack.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    blobs = tmp_path / "shared-blobs"
    monkeypatch.setenv("MLTRACK_STORE", url)
    monkeypatch.setenv("MLTRACK_BLOBS", str(blobs))
    for k, v in QUIET_ENV.items():
        monkeypatch.setenv(k, v)
    return request.param, url, blobs


@pytest.fixture
def jp_server_config(backend: tuple[str, str, Path], jp_server_config: dict[str, Any]) -> Any:
    return jp_server_config


def _diagnose(workers: list[Worker], t0: float, what: str) -> str:
    """What each worker was doing when the test failed: a flaky failure here must say whether
    it was lost points, a warning, a slow worker or a refused request, and whose."""
    lines = [f"{what} (after {time.monotonic() - t0:.1f} s)"]
    for w in workers:
        rc = w.proc.poll()
        stopped = any(x.startswith("stopped") for x in w.lines())
        lines.append(
            f"  {w.progress.stem} run {w.run_id} pid {w.proc.pid}: exit {rc}, logged "
            f"{w.logged():,}, {'stopped' if stopped else 'not stopped'}, warnings "
            f"{w.warnings()[-3:]}, stderr {w.stderr()[-500:]!r}"
        )
    return "\n".join(lines)


async def _fetch(
    jp_fetch: Any, workers: list[Worker], t0: float, slowest: list[float], *parts: str, **kw: Any
) -> Any:
    """One API request; a timeout fails with every worker's state, and the slowest answer
    is kept for the report."""
    from tornado.simple_httpclient import HTTPTimeoutError

    start = time.monotonic()
    try:
        r = await jp_fetch(
            "mltrack", "api", *parts, request_timeout=REQUEST_TIMEOUT, raise_error=False, **kw
        )
    except HTTPTimeoutError:
        pytest.fail(_diagnose(workers, t0, f"{'/'.join(parts)}: no answer in {REQUEST_TIMEOUT} s"))
    slowest[0] = max(slowest[0], time.monotonic() - start)
    return r


def _notebook(i: int) -> Any:
    return new_notebook(cells=[new_code_cell(f"loss = {i}\nprint(loss)", execution_count=1)])


@pytest.mark.timeout(900)
async def test_parallel_writers_lose_nothing_and_never_see_a_lock(
    backend: tuple[str, str, Path], jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    name, url, blobs = backend
    procs, points = SIZES[name]
    t0 = time.monotonic()
    workers = [
        Worker.start(tmp_path, url, blobs, name=f"{name}{i}", rate=1e9, points=points, batch=2000)
        for i in range(procs)
    ]
    served = {"runs": 0, "series": 0, "checkpoints": 0}
    slowest = [0.0]
    try:
        i = 0
        while any(w.proc.poll() is None for w in workers):
            i += 1
            if time.monotonic() - t0 > DEADLINE:
                pytest.fail(_diagnose(workers, t0, f"writers still running after {DEADLINE} s"))
            query = {"query": 'sys/state = "running"', "columns": "sys/id,train/loss"}
            r = await _fetch(jp_fetch, workers, t0, slowest, "runs", params=query)
            assert r.code == 200, _diagnose(workers, t0, f"runs query {r.code}: {r.body!r}")
            served["runs"] += 1
            ids = [w.run_id for w in workers if w.run_id]
            if ids:
                run_id = ids[i % len(ids)]
                r = await _fetch(
                    jp_fetch,
                    workers,
                    t0,
                    slowest,
                    "runs",
                    run_id,
                    "series",
                    params={"field": "train/loss", "max_points": "500"},
                )
                # 404 only before the run's first flush created the series.
                assert r.code in (200, 404), _diagnose(
                    workers, t0, f"series of {run_id}: {r.code} {r.body!r}"
                )
                served["series"] += r.code == 200
            nbformat.write(_notebook(i), jp_root_dir / "train.ipynb")
            # Through the Python API in a thread (what a kernel's save hook does).
            entry = await asyncio.to_thread(
                checkpoints.create, "train.ipynb", root=jp_root_dir, store=url, trigger="api"
            )
            assert entry["notebook_path"] == "train.ipynb"
            served["checkpoints"] += 1
            await asyncio.sleep(0.05)
        for w in workers:
            rc = w.proc.wait()
            assert rc == 0, _diagnose(workers, t0, f"worker {w.run_id} exited {rc}")
    finally:
        for w in workers:
            w.kill()
    elapsed = time.monotonic() - t0

    complaints = {w.run_id: w.warnings() for w in workers if w.warnings()}
    assert not complaints, _diagnose(workers, t0, f"warnings reached the user: {complaints}")
    ids = [w.run_id for w in workers]
    assert None not in ids and len(set(ids)) == procs, f"run ids not unique: {ids}"
    store = open_fresh(url, blobs)
    try:
        for run_id in ids:
            assert run_id is not None
            steps, values = stored_steps(store, run_id)
            if len(steps) != points:
                lost = f"{run_id}: {len(steps):,} of {points:,} points stored"
                pytest.fail(_diagnose(workers, t0, lost))
            assert_exact_prefix(steps, values, points)
            assert runs_repo.get(store, run_id).state == "finished"
    finally:
        store.dispose()
    report(
        f"concurrency {name}: {procs} processes x {points:,} points = {procs * points:,} points "
        f"in {elapsed:.1f} s, 0 lost, 0 warnings; server answered {served['runs']} runs queries, "
        f"{served['series']} series reads (slowest answer {slowest[0]:.1f} s), "
        f"{served['checkpoints']} checkpoints meanwhile"
    )
