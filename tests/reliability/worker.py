"""A training loop for the reliability tests, run as its own process.

It logs one float series as `init_run()` users do, paced at `--rate` points per second, and
appends `time count` lines to `--progress` after every batch (unbuffered, so the file says
what had been logged when the process was killed). Warnings the client emits are written to
`--warnings`, one per line, as they happen. With `--points` it stops after that many points and
ends the run normally; without it, it runs until killed or until `--stop-file` appears.

The values are a pure function of the step (`value(step)`), so a test can check every stored
point, not only the count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings


def value(step: int) -> float:
    return step * 0.5 + 1.0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--store", required=True)
    p.add_argument("--blobs", required=True)
    p.add_argument("--progress", required=True)
    p.add_argument("--warnings", required=True)
    p.add_argument("--rate", type=float, default=100_000.0)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--points", type=int, default=0)
    p.add_argument("--flush-period", type=float, default=1.0)
    p.add_argument("--max-buffered", type=int, default=5_000_000)
    p.add_argument("--stop-file", default="")
    p.add_argument("--project", default="reliability")
    a = p.parse_args()

    wfile = open(a.warnings, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        wfile.write(f"{category.__name__}: {str(message).replace(chr(10), ' ')}\n")

    warnings.showwarning = show
    warnings.simplefilter("always")
    from jupyter_mltrack import init_run

    run = init_run(
        project=a.project,
        store=a.store,
        blobs=a.blobs,
        flush_period=a.flush_period,
        max_buffered_points=a.max_buffered,
        capture_hardware_metrics=False,
        capture_stdout=False,
        capture_stderr=False,
    )
    progress = os.open(a.progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(progress, f"run {run.id} {os.getpid()}\n".encode())
    series = run["train/loss"]
    step = 0
    t0 = time.monotonic()
    while True:
        end = step + a.batch if not a.points else min(step + a.batch, a.points)
        for i in range(step, end):
            series.log(value(i), step=i)
        step = end
        # The point count is written after the points were handed to the client.
        os.write(progress, f"{time.time():.6f} {step}\n".encode())
        if a.points and step >= a.points:
            break
        if a.stop_file and os.path.exists(a.stop_file):
            break
        ahead = step / a.rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    run.stop()
    os.write(progress, f"stopped {time.time():.6f} {step}\n".encode())
    wfile.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
