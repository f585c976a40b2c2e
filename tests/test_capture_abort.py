"""Heartbeat and abort end to end, across processes: a training script logs in a loop, another
process (or the REST API) asks the run to stop, and the script's run ends `aborted` with its
data kept. The heartbeat interval is shortened inside the scripts (a module constant of the
client, 10 s by default) so each test takes seconds, not a minute; the tests of issue 18.7 set
it long instead, to show the abort is read with each flush, not with the heartbeat."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack.store import clock, config, fields, runs
from jupyter_mltrack.store.engine import Store, open_store

LOOP = """
import sys, time
import jupyter_mltrack.client.writer as writer
writer.HEARTBEAT_INTERVAL = {heartbeat}
import jupyter_mltrack as mlt
run = mlt.init_run(project="abort", flush_period={flush}, capture_hardware_metrics=False)
print(run.id, flush=True)
{body}
"""

SLEEPY = """
try:
    with run:
        for i in range(100000):
            run["train/loss"].log(1.0 / (i + 1))
            time.sleep(0.05)  # blocked in sleep: the interrupt must wake it up
except KeyboardInterrupt:
    print("interrupted at", i, flush=True)
    sys.exit(3)
"""


def _start(
    tmp_path: Path,
    body: str,
    *,
    sigint_ignored: bool = False,
    init: str = "",
    heartbeat: float = 0.3,
    flush: float = 0.1,
) -> tuple[subprocess.Popen[str], str]:
    script = tmp_path / "train.py"
    code = LOOP.format(body=textwrap.dedent(body), heartbeat=heartbeat, flush=flush)
    if init:
        code = code.replace(
            "capture_hardware_metrics=False", f"capture_hardware_metrics=False, {init}"
        )
    script.write_text(textwrap.dedent(code))

    def ignore_sigint() -> None:  # as `python train.py &` in a non-interactive shell
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if sigint_ignored else None,
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    assert run_id, proc.stderr.read() if proc.stderr else ""
    return proc, run_id


def _points(run_id: str, path: str) -> int:
    st = open_store()
    f = fields.get_field(st, runs.get(st, run_id).id, path)
    return 0 if f is None else f.count


def _abort_elsewhere(run_id: str) -> None:
    """`mltrack abort RUN`, from another process."""
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mltrack.cli", "abort", run_id],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"abort requested for {run_id}" in done.stdout


def _wait_points(run_id: str, path: str, n: int, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while _points(run_id, path) < n:
        assert time.monotonic() < end, f"{path} never reached {n} points"
        time.sleep(0.1)


def test_abort_from_another_process_interrupts_the_script(tmp_path: Path) -> None:
    proc, run_id = _start(tmp_path, SLEEPY)
    try:
        _wait_points(run_id, "train/loss", 5)
        _abort_elsewhere(run_id)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, err  # KeyboardInterrupt reached the training loop
    assert out.startswith("interrupted at")
    assert "was aborted on request" in err
    info = runs.get(open_store(), run_id)
    assert info.state == "aborted" and not info.failed and info.ended_at is not None
    logged = int(out.split()[-1])
    assert _points(run_id, "train/loss") >= min(logged, 5)  # data kept


def test_abort_reaches_a_script_that_ignores_sigint(tmp_path: Path) -> None:
    proc, run_id = _start(tmp_path, SLEEPY, sigint_ignored=True)
    try:
        _wait_points(run_id, "train/loss", 5)
        _abort_elsewhere(run_id)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert out.startswith("interrupted at")
    assert runs.get(open_store(), run_id).state == "aborted"


def test_interrupt_on_abort_off_only_ends_the_run(tmp_path: Path) -> None:
    proc, run_id = _start(
        tmp_path,
        """
        while run._lifecycle.state == "running":
            run["z"].log(1)
            time.sleep(0.05)
        print("loop saw the run end", flush=True)
        """,
        init="interrupt_on_abort=False",
    )
    try:
        _wait_points(run_id, "z", 5)
        _abort_elsewhere(run_id)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "loop saw the run end" in out and "KeyboardInterrupt" not in err
    assert runs.get(open_store(), run_id).state == "aborted"


async def test_abort_through_the_rest_api(jp_fetch: Any, tmp_path: Path) -> None:
    # The loop never sleeps: the interrupt must land in pure Python code too.
    proc, run_id = _start(
        tmp_path,
        """
        i = 0
        while True:
            run["x"].log(i)
            i += 1
        """,
    )
    try:
        _wait_points(run_id, "x", 100)
        r = await jp_fetch("mltrack", "api", "runs", run_id, "abort", method="POST", body="{}")
        assert r.code == 202 and json.loads(r.body)["abort_requested"] is True
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "KeyboardInterrupt" in err
    assert runs.get(open_store(), run_id).state == "aborted"
    assert _points(run_id, "x") >= 100


def test_heartbeat_stale_shows_crashed_and_a_resumed_process_finishes(tmp_path: Path) -> None:
    proc, run_id = _start(
        tmp_path,
        """
        for i in range(40):
            run["y"].log(i)
            time.sleep(0.1)
        run.stop()
        """,
    )
    st = open_store()
    try:
        _wait_points(run_id, "y", 3)
        first = runs.get(st, run_id).heartbeat_at
        time.sleep(1.0)
        beat = runs.get(st, run_id).heartbeat_at
        assert first is not None and beat is not None and beat > first  # alive: it beats
        os.kill(proc.pid, signal.SIGSTOP)  # a frozen process (suspended laptop, OOM swap)
        time.sleep(1.0)
        frozen = runs.get(st, run_id)
        assert frozen.heartbeat_at is not None and frozen.heartbeat_at - beat < 1.0
        # Three missed intervals later (30 s by default) it shows as crashed everywhere.
        later = frozen.heartbeat_at + config.STALE_AFTER + 1
        assert clock.effective_state(frozen.state, frozen.heartbeat_at, now=later) == "crashed"
        os.kill(proc.pid, signal.SIGCONT)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert runs.get(st, run_id).state == "finished"
    assert _points(run_id, "y") == 40


def test_killed_run_is_crashed_once_its_heartbeat_is_stale(tmp_path: Path) -> None:
    proc, run_id = _start(tmp_path, "time.sleep(60)")
    st = open_store()
    try:
        time.sleep(0.8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    info = runs.get(st, run_id)
    assert info.state == "running"  # nobody wrote an end: it just stopped beating
    assert info.heartbeat_at is not None
    now = info.heartbeat_at + config.STALE_AFTER + 1
    assert clock.effective_state(info.state, info.heartbeat_at, now=now) == "crashed"
    with st.read() as s:
        from sqlalchemy import select

        from jupyter_mltrack.store.models import Run

        row = s.execute(
            select(runs.state_expression(now=now)).where(Run.short_id == run_id)
        ).scalar_one()
    assert row == "crashed"


# -- issue 18.7: abort within a flush period -------------------------------------------------
TIMED = """
try:
    with run:
        for i in range(10**9):
            run["train/loss"].log(1.0 / (i + 1))
            time.sleep(0.01)
except KeyboardInterrupt:
    print("interrupted at", time.time(), flush=True)
    sys.exit(3)
"""


def test_abort_is_read_with_each_flush_not_each_heartbeat(tmp_path: Path) -> None:
    """The heartbeat is 60 s here and the flush period the default (1 s): the script is
    interrupted, and its run ended `aborted`, long before any heartbeat could have seen the
    request (bench/bench_abort.py measures the latency; no clock bound is asserted here but
    that one, 20 s under the heartbeat)."""
    proc, run_id = _start(tmp_path, TIMED, heartbeat=60.0, flush=1.0)
    try:
        _wait_points(run_id, "train/loss", 5)
        asked = time.time()
        runs.request_abort(open_store(), run_id)
        out, err = proc.communicate(timeout=40)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert float(out.split()[-1]) - asked < 40  # the first heartbeat is 60 s after the start
    info = runs.get(open_store(), run_id)
    assert info.state == "aborted" and not info.failed


SLOW_STOP = """
class SlowToStop:  # a capture that takes its time to stop, till the test says so
    def start(self): pass
    def stop(self):
        print("stopping", flush=True)
        sys.stdin.readline()

run._lifecycle.attach_capture(SlowToStop())
run["x"].log(1.0)
run.wait()
run.stop()
print("stopped", flush=True)
"""


def test_an_abort_while_the_run_stops_ends_it_aborted(tmp_path: Path) -> None:
    """The request is accepted while the run is still `running` in the store (its code is in
    stop()): the run ends `aborted`, as the user was told, not `finished`."""
    proc, run_id = _start(tmp_path, SLOW_STOP)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "stopping"
        runs.request_abort(open_store(), run_id)
        time.sleep(0.5)  # the writer still runs: its next poll sees the request
        proc.stdin.write("\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and "KeyboardInterrupt" not in err
    assert runs.get(open_store(), run_id).state == "aborted"


def test_an_end_state_after_an_abort_request_is_aborted(store: Store) -> None:
    """In the store, in one UPDATE: no request slips between the writer's last poll and the
    run's end (a run stopping as the request comes still ends `aborted`)."""
    r = runs.create(store, "p")
    runs.request_abort(store, r.short_id)
    runs.set_state(store, r.id, "finished")
    assert runs.get(store, r.id).state == "aborted"
    other = runs.create(store, "p")
    runs.set_state(store, other.id, "failed", failed=True)
    assert runs.get(store, other.id).state == "failed"  # no request, no change


def test_a_resumed_run_starts_with_no_abort_pending(store: Store) -> None:
    r = runs.create(store, "p")
    runs.request_abort(store, r.short_id)
    runs.set_state(store, r.id, "finished")
    runs.set_state(store, r.id, "running")  # init_run(with_id=...)
    info = runs.get(store, r.id)
    assert info.state == "running" and not info.abort_requested
    assert runs.abort_requested(store, r.id) is False


def test_abort_of_a_run_that_ended_is_a_conflict(store: Store) -> None:
    from jupyter_mltrack.errors import Conflict

    r = runs.create(store, "p")
    runs.set_state(store, r.id, "finished")
    with pytest.raises(Conflict, match="is finished, not running"):
        runs.request_abort(store, r.short_id)
    assert runs.abort_requested(store, r.id) is False


def test_abort_refuses_a_silent_run_and_ids_no_run_can_have(store: Store) -> None:
    """The request's own rules, one SQL for the CLI's plain driver and the store's pool
    (store/abort.py): a run silent past its stale period reads as crashed and is not asked;
    a name no run can have is NotFound or InvalidInput, never a driver error (a 500)."""
    from sqlalchemy import update

    from jupyter_mltrack.errors import Conflict, InvalidInput, NotFound
    from jupyter_mltrack.store.models import Run

    silent = runs.create(store, "p")
    with store.write() as s:
        s.execute(update(Run).where(Run.id == silent.id).values(heartbeat_at=time.time() - 1000))
    with pytest.raises(Conflict, match=f"{silent.short_id} is crashed, not running"):
        runs.request_abort(store, silent.short_id)
    assert runs.abort_requested(store, silent.id) is False
    live = runs.create(store, "p", custom_run_id="nightly")
    assert runs.request_abort(store, "nightly").abort_requested  # by its custom run id
    assert runs.request_abort(store, live.short_id.lower()).id == live.id  # asked twice: fine
    assert runs.request_abort(store, live.id).state == "running"  # it ends at its next flush
    for name in ("NOPE-1", "\u00b2", str(2**70), 2**70, -1):
        with pytest.raises(NotFound):
            runs.request_abort(store, name)
    with pytest.raises(InvalidInput, match="NUL"):
        runs.request_abort(store, "P-1\x00")
