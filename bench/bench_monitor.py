"""Overhead of the hardware sampler at 1 s: CPU time per second of wall time, as % of one core.

  .venv/bin/python bench/bench_monitor.py                 # 30 s per job, 4 worker children
  .venv/bin/python bench/bench_monitor.py --seconds 10    # quicker

Each job is a fresh process that starts a run, spawns `--children` sleeping processes (data
loader workers: our sampler walks the whole process tree), then idles for `--seconds` while the
monitor samples every `--interval`. Two figures for us:
- the sampler thread's own CPU time (time.thread_time inside the thread), the cost it adds;
- the process's CPU with the monitor minus the same job with it off (the writer thread storing
  the extra points included), the whole cost as the user's `top` would see it.
The issue's target: at most 1 % of one core at 1 s sampling.

Peer, same machine, same run: MLflow's system metrics monitor (psutil, 1 s sampling, one
log_batch per sample into its SQLite store), measured the same way (process CPU with minus
without), from /tmp/bench/venvs/mlflow when present (bench/peers/setup_venvs.sh creates it).
MLflow samples system-wide figures only (no process tree), so it does less work per sample.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENVS = Path(os.environ.get("BENCH_VENVS", "/tmp/bench/venvs"))


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _spawn_children(n: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"]) for _ in range(n)
    ]


def worker(kind: str, seconds: float, interval: float, children: int, out: Path) -> None:
    kids = _spawn_children(children)
    result: dict[str, float] = {}
    try:
        if kind.startswith("mltrack"):
            import jupyter_mltrack as mlt

            on = kind == "mltrack"
            run = mlt.init_run(
                project="bench-monitor",
                store=str(out / "mltrack.db"),
                capture_hardware_metrics=on,
                capture_stdout=False,
                capture_stderr=False,
                capture_git=False,
                capture_environment=False,
                capture_cells=False,
                monitoring_interval=interval,
            )
            time.sleep(1.5)  # let startup work settle before the window
            c0, w0 = _cpu(), time.monotonic()
            monitor = next((c for c in run._capture if c.name == "hardware"), None)
            t0 = monitor.cpu_seconds if monitor else 0.0
            s0 = monitor.samples if monitor else 0
            time.sleep(seconds)
            c1, w1 = _cpu(), time.monotonic()
            if monitor is not None:
                result["thread_cpu_s"] = monitor.cpu_seconds - t0
                result["samples"] = monitor.samples - s0
            run.stop()
        else:
            import mlflow

            on = kind == "mlflow"
            mlflow.set_tracking_uri(f"sqlite:///{out / 'mlflow.db'}")
            if on:
                mlflow.system_metrics.set_system_metrics_sampling_interval(interval)
                mlflow.system_metrics.set_system_metrics_samples_before_logging(1)
            mlflow.start_run(log_system_metrics=on)
            time.sleep(1.5)
            c0, w0 = _cpu(), time.monotonic()
            time.sleep(seconds)
            c1, w1 = _cpu(), time.monotonic()
            mlflow.end_run()
        result["process_cpu_s"] = c1 - c0
        result["wall_s"] = w1 - w0
    finally:
        for k in kids:
            k.kill()
            k.wait()
    print(json.dumps(result))


def _job(python: str, kind: str, args: argparse.Namespace) -> dict[str, float] | None:
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        cmd = [
            python,
            __file__,
            "--worker",
            kind,
            "--seconds",
            str(args.seconds),
            "--interval",
            str(args.interval),
            "--children",
            str(args.children),
            "--out",
            tmp,
        ]
        env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{tmp}/mlflow.db")
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"  {kind}: failed ({done.stderr.strip().splitlines()[-1:]})")
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _pct(cpu_s: float, wall_s: float) -> float:
    return cpu_s / wall_s * 100.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--children", type=int, default=4)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--worker")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.worker:
        worker(args.worker, args.seconds, args.interval, args.children, args.out)
        return 0

    ours_py = sys.executable
    mlflow_py = VENVS / "mlflow" / "bin" / "python"
    has_mlflow = (
        mlflow_py.exists()
        and subprocess.run([str(mlflow_py), "-c", "import mlflow"], capture_output=True).returncode
        == 0
    )
    print(
        f"hardware sampler overhead: {args.seconds:g} s per job, interval {args.interval:g} s, "
        f"{args.children} child processes, {args.reps} repetitions, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    thread: list[float] = []
    ours: list[float] = []
    peer: list[float] = []
    for rep in range(args.reps):
        off = _job(ours_py, "mltrack-off", args)
        on = _job(ours_py, "mltrack", args)
        if off and on:
            thread.append(_pct(on["thread_cpu_s"], on["wall_s"]))
            ours.append(
                _pct(on["process_cpu_s"], on["wall_s"]) - _pct(off["process_cpu_s"], off["wall_s"])
            )
            print(
                f"  rep {rep}: mltrack sampler thread {thread[-1]:.3f} % of a core "
                f"({on['samples']:.0f} samples, "
                f"{on['thread_cpu_s'] / max(on['samples'], 1) * 1e3:.2f} ms each); "
                f"process with - without {ours[-1]:+.3f} %"
            )
        if has_mlflow:
            moff = _job(str(mlflow_py), "mlflow-off", args)
            mon = _job(str(mlflow_py), "mlflow", args)
            if moff and mon:
                peer.append(
                    _pct(mon["process_cpu_s"], mon["wall_s"])
                    - _pct(moff["process_cpu_s"], moff["wall_s"])
                )
                print(
                    f"  rep {rep}: mlflow system metrics, process with - without {peer[-1]:+.3f} %"
                )
    if not thread:
        print("no measurement")
        return 1
    best_thread, best_ours = min(thread), min(ours)
    verdict = "OK" if best_thread <= 1.0 else "OVER"
    print(
        f"mltrack sampler thread: {best_thread:.3f} % of one core "
        f"(min over reps; target <= 1 %: {verdict})"
    )
    print(f"mltrack whole process, monitor on - off: {best_ours:+.3f} % of one core")
    if peer:
        best_peer = min(peer)
        ratio = best_peer / best_ours if best_ours > 0 else float("inf")
        print(
            f"mlflow system metrics, on - off: {best_peer:+.3f} % of one core "
            f"(mlflow / mltrack = {ratio:.1f}x)"
        )
    else:
        print(
            f"mlflow peer: not measured ({mlflow_py} has no mlflow; run bench/peers/setup_venvs.sh)"
        )
    return 0 if best_thread <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
