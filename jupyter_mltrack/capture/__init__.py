"""Automatic run context: hardware, console, git, environment, source files and, in
notebooks, per-cell provenance (DESIGN §3 field names). `attach(run, options)` starts each
capture the options ask for on a new run; the run stops them when it ends.

Captures write through the run's public API, so their fields are ordinary fields. The
one-off context (git, environment, source files) is gathered on a background thread: GitPython
and the scan of installed distributions cost a few hundred milliseconds that `init_run` in a
notebook cell should not wait for; the run joins that thread when it stops.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .base import Capture, log, safely
from .options import CaptureOptions, resolve

__all__ = ["CaptureOptions", "ContextCapture", "attach", "resolve"]


class ContextCapture:
    """Runs one-off captures (git, environment, source) on a background thread."""

    name = "context"

    def __init__(self, parts: list[tuple[str, Callable[[], None]]]) -> None:
        self.parts = parts
        self._thread: threading.Thread | None = None

    def _work(self) -> None:
        for what, fn in self.parts:
            safely(f"{what} capture", fn, None)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="mltrack-context", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 30.0) -> None:
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
            if t.is_alive():
                log.warning("jupyter-mltrack: git/environment capture still running; left")

    def stop(self) -> None:
        self.join()


def _where(script: Path | None) -> Path:
    return script.parent if script is not None else Path(os.getcwd())


def build(run: Any, options: CaptureOptions, *, cells_sink: Any = None) -> list[Capture]:
    """The captures `options` ask for, not started, in start order."""
    from .source import entry_script

    captures: list[Capture] = []
    monitor = None
    if options.hardware:
        from .hardware import HardwareMonitor

        monitor = HardwareMonitor(run, options.interval, prefix=options.namespace)
        captures.append(monitor)
    if options.stdout or options.stderr:
        from .console import ConsoleCapture

        if options.stdout:
            captures.append(ConsoleCapture(run, "stdout", prefix=options.namespace))
        if options.stderr:
            captures.append(ConsoleCapture(run, "stderr", prefix=options.namespace))
    if options.cells and cells_sink is not None:
        from .provenance import CellProvenance

        captures.append(CellProvenance(cells_sink, monitor=monitor))
    parts: list[tuple[str, Callable[[], None]]] = []
    script = entry_script()
    if options.git:
        from .git import GitCapture

        parts.append(("git", GitCapture(run, _where(script), options.git_diff_limit).start))
    if options.environment:
        from .environment import EnvironmentCapture

        parts.append(("environment", EnvironmentCapture(run).start))
    if options.source:
        from .source import SourceCapture

        parts.append(("source", SourceCapture(run, options.source_files, script).start))
    if parts:
        captures.append(ContextCapture(parts))
    return captures


def attach(run: Any, options: CaptureOptions, *, cells_sink: Any = None) -> None:
    """Start the captures on `run` through its `attach_capture`; a capture that fails to
    start is skipped with a warning, the others still run."""
    for capture in build(run, options, cells_sink=cells_sink):
        safely(f"{capture.name} capture", partial(run.attach_capture, capture), None)
