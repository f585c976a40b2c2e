"""How long each `mltrack` sub-command takes to start and answer, on a small SQLite store.

  .venv/bin/python bench/bench_cli.py                 # 7 runs per command
  .venv/bin/python bench/bench_cli.py --runs 15 --only help,abort

Each command runs as `python -m jupyter_mltrack.cli ...` in a fresh process, as a user runs
it; printed per command: the median (and min) wall time and the median CPU time (user + system,
from the child's rusage). CPU is the steadier figure on a busy machine; the wall time is what a
user waits. Reference lines: a bare `python -c pass` and `import sqlalchemy` (which every
command that opens the store needs) on the same machine at the same time. The issue's target:
`--help` and `abort` in <= 0.3 s wall on an idle machine. `abort` is measured on PostgreSQL
too (a scratch database, when the server answers; --no-postgres skips it): `mltrack abort`
opens a current store with its plain driver, so there it pays psycopg's import, not
SQLAlchemy's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s, exit code) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def _prepare(folder: Path, store: str) -> tuple[dict[str, str], str, str]:
    """A store with a finished run and a running one, with a few points (the running one's
    process is gone without stopping it; `_keep_alive` beats its heart so `abort` always
    finds it running); returns the environment and the two runs' ids (finished, running)."""
    env = dict(
        os.environ,
        MLTRACK_STORE=store,
        MLTRACK_BLOBS=str(folder / "blobs"),
        MLTRACK_CAPTURE_GIT="0",
    )
    code = (
        "import jupyter_mltrack as mlt\n"
        "done = mlt.init_run(project='bench-cli', capture_hardware_metrics=False)\n"
        "done['loss'].extend([2.0, 1.0]); done['lr'] = 0.2; done.stop(); print(done.id)\n"
        "run = mlt.init_run(project='bench-cli', capture_hardware_metrics=False)\n"
        "run['loss'].extend([1.0, 0.5, 0.25]); run['lr'] = 0.1; run.wait()\n"
        "print(run.id)\n"
        "import os; os._exit(0)  # no stop: the run stays 'running'\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    done, running = out.stdout.strip().splitlines()[-2:]
    return env, done, running


def _keep_alive(env: dict[str, str], run_id: str) -> None:
    """A heartbeat for the run, as its writer would: a run silent for 30 s shows as crashed,
    and `abort` refuses it."""
    from jupyter_mltrack.store import runs
    from jupyter_mltrack.store.config import resolve
    from jupyter_mltrack.store.engine import open_store

    st = open_store(resolve(env["MLTRACK_STORE"], env["MLTRACK_BLOBS"]))
    runs.heartbeat(st, runs.get(st, run_id).id)


def _measure(label: str, cmd: list[str], env: dict[str, str], run_id: str, runs: int) -> None:
    walls, cpus = [], []
    for _ in range(runs):
        _keep_alive(env, run_id)
        wall, cpu, code = _timed(cmd, env)
        if code not in (0, 2):
            err = subprocess.run(cmd, env=env, capture_output=True, text=True).stderr
            raise SystemExit(f"{label}: exit code {code} ({' '.join(cmd)}): {err}")
        walls.append(wall)
        cpus.append(cpu)
    print(
        f"{label:<20}{statistics.median(walls):>11.3f}s{min(walls):>9.3f}s"
        f"{statistics.median(cpus):>11.3f}s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    ap.add_argument("--only", help="comma-separated labels to run (e.g. help,abort)")
    ap.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL abort line")
    opts = ap.parse_args()
    py = sys.executable
    cli = [py, "-m", "jupyter_mltrack.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env, done_id, run_id = _prepare(Path(tmp), str(Path(tmp) / "store.db"))
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "import sqlalchemy": [py, "-c", "import sqlalchemy"],
            "help": [*cli, "--help"],
            "abort": [*cli, "abort", run_id],
            "runs": [*cli, "runs"],
            "show": [*cli, "show", run_id],
            "compare": [*cli, "compare", done_id, run_id],
            "export": [*cli, "export", run_id, "-o", str(Path(tmp) / "out.json")],
            "sync --list": [*cli, "sync", "--list"],
            "checkpoints": [*cli, "checkpoints"],
            "gc --dry-run": [*cli, "gc", "--dry-run"],
            "db current": [*cli, "db", "current"],
        }
        if opts.only:
            keep = {w.strip() for w in opts.only.split(",")}
            commands = {k: v for k, v in commands.items() if k in keep or k.split()[0] in keep}
        load = os.getloadavg()[0]
        print(f"load average {load:.2f} on {os.cpu_count()} CPUs; {opts.runs} runs each")
        print(f"{'command':<20}{'wall median':>12}{'wall min':>10}{'CPU median':>12}")
        for label, cmd in commands.items():
            _measure(label, cmd, env, run_id, opts.runs)
    wanted = not opts.only or "abort" in opts.only.split(",")
    sys.path.insert(0, str(Path(__file__).parent))
    from scratch_pg import postgres_wanted, scratch_database

    if wanted and postgres_wanted(opts.no_postgres):
        with (
            tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp,
            scratch_database("bench_cli") as url,
        ):
            env, _done, run_id = _prepare(Path(tmp), url)
            _measure("abort (PostgreSQL)", [*cli, "abort", run_id], env, run_id, opts.runs)


if __name__ == "__main__":
    main()
