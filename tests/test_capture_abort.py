"""Heartbeat and abort end to end, across processes: a training script logs in a loop, another
process (or the REST API) asks the run to stop, and the script's run ends `aborted` with its
data kept. The heartbeat interval is shortened inside the scripts (a module constant of the
client, 10 s by default) so each test takes seconds, not a minute."""

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

from jupyter_mltrack.store import config, fields, runs
from jupyter_mltrack.store.engine import open_store

LOOP = """
import sys, time
import jupyter_mltrack.client.writer as writer
writer.HEARTBEAT_INTERVAL = 0.3
import jupyter_mltrack as mlt
run = mlt.init_run(project="abort", flush_period=0.1, capture_hardware_metrics=False)
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
    tmp_path: Path, body: str, *, sigint_ignored: bool = False, init: str = ""
) -> tuple[subprocess.Popen[str], str]:
    script = tmp_path / "train.py"
    code = LOOP.format(body=textwrap.dedent(body))
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
        assert runs.effective_state(frozen.state, frozen.heartbeat_at, now=later) == "crashed"
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
    assert runs.effective_state(info.state, info.heartbeat_at, now=now) == "crashed"
    with st.read() as s:
        from sqlalchemy import select

        from jupyter_mltrack.store.models import Run

        row = s.execute(
            select(runs.state_expression(now=now)).where(Run.short_id == run_id)
        ).scalar_one()
    assert row == "crashed"
