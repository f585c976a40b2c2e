"""Shared by the reliability tests: start the worker training loop as a real process, read
what it says it logged (and when), and read back what reached the store.

Sizes: the default run is CI-sized; `MLTRACK_RELIABILITY_FULL=1` (`make reliability-full`)
runs the sizes the issue asks for. `size(ci, full)` picks one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_mltrack.store import fields
from jupyter_mltrack.store import runs as runs_repo
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

FULL = os.environ.get("MLTRACK_RELIABILITY_FULL", "") not in ("", "0")
WORKER = Path(__file__).with_name("worker.py")
# The run context (hardware sampler, git, console...) has its own tests; here it would only
# add threads competing for the two CI cores.
QUIET_ENV = {
    name: "0"
    for name in (
        "MLTRACK_CAPTURE_HARDWARE",
        "MLTRACK_CAPTURE_STDOUT",
        "MLTRACK_CAPTURE_STDERR",
        "MLTRACK_CAPTURE_GIT",
        "MLTRACK_CAPTURE_ENVIRONMENT",
        "MLTRACK_CAPTURE_SOURCE",
        "MLTRACK_CAPTURE_CELLS",
    )
}


def size(ci: int, full: int) -> int:
    return full if FULL else ci


def report(line: str) -> None:
    """Print a figure line and, when MLTRACK_RELIABILITY_REPORT names a file (as
    `make reliability-full` does), append it there for docs/reliability.md."""
    print(line)
    target = os.environ.get("MLTRACK_RELIABILITY_REPORT")
    if target:
        with open(target, "a") as fh:
            fh.write(line + "\n")


@dataclass
class Worker:
    """One training-loop process and its side files."""

    proc: subprocess.Popen[bytes]
    progress: Path
    warnings_path: Path
    stop_file: Path
    started: float = field(default_factory=time.time)

    @classmethod
    def start(
        cls,
        tmp: Path,
        store_url: str,
        blobs: Path,
        *,
        name: str = "w",
        rate: float = 100_000,
        points: int = 0,
        flush_period: float = 1.0,
        max_buffered: int = 5_000_000,
        batch: int = 1000,
        env: dict[str, str] | None = None,
    ) -> Worker:
        progress = tmp / f"{name}.progress"
        warns = tmp / f"{name}.warnings"
        stop_file = tmp / f"{name}.stop"
        cmd = [
            sys.executable,
            str(WORKER),
            "--store",
            store_url,
            "--blobs",
            str(blobs),
            "--progress",
            str(progress),
            "--warnings",
            str(warns),
            "--rate",
            str(rate),
            "--points",
            str(points),
            "--flush-period",
            str(flush_period),
            "--max-buffered",
            str(max_buffered),
            "--batch",
            str(batch),
            "--stop-file",
            str(stop_file),
        ]
        proc = subprocess.Popen(
            cmd, env={**os.environ, **QUIET_ENV, **(env or {})}, stderr=subprocess.PIPE
        )
        return cls(proc, progress, warns, stop_file)

    def lines(self) -> list[str]:
        try:
            return self.progress.read_text().splitlines()
        except FileNotFoundError:
            return []

    @property
    def run_id(self) -> str | None:
        for line in self.lines():
            if line.startswith("run "):
                return line.split()[1]
        return None

    def progress_points(self) -> list[tuple[float, int]]:
        """(wall time, points handed to the client by then), in order."""
        out = []
        for line in self.lines():
            parts = line.split()
            if len(parts) == 2 and not line.startswith("run "):
                out.append((float(parts[0]), int(parts[1])))
        return out

    def logged(self) -> int:
        pts = self.progress_points()
        return pts[-1][1] if pts else 0

    def wait_logged(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.logged() < n:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker logged only {self.logged()} of {n} points")
            time.sleep(0.02)

    def warnings(self) -> list[str]:
        try:
            return self.warnings_path.read_text().splitlines()
        except FileNotFoundError:
            return []

    def stop(self, timeout: float = 120) -> int:
        self.stop_file.touch()
        return self.finish(timeout)

    def finish(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout)
        if rc != 0:
            raise AssertionError(f"worker failed ({rc}): {self.stderr()}")
        return rc

    def stderr(self) -> str:
        if self.proc.stderr is None or self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")[-3000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def open_fresh(url: str, blobs: Path) -> Store:
    return open_store(StoreConfig(url, blobs), cached=False)


def stored_steps(store: Store, run_id: str) -> tuple[list[float], list[float]]:
    info = runs_repo.get(store, run_id)
    data = fields.read_series(store, info.id, "train/loss")
    if data is None:
        return [], []
    return list(data.steps), list(data.values)


def assert_exact_prefix(steps: list[float], values: list[float], n: int) -> None:
    """The store holds exactly points 0..n-1, once each, with the values logged."""
    from .worker import value

    assert len(steps) == n, f"{len(steps):,} points stored, expected {n:,}"
    assert steps == [float(i) for i in range(n)], "steps missing, repeated or out of order"
    assert values == [value(i) for i in range(n)], "a stored value differs from the logged one"
