"""Per-cell provenance: every notebook cell executed while a run is active becomes a
`cell_executions` row (cell id, execution count, start, end, peak process-tree RSS and GPU
memory, error flag), so the lab can show which cell produced which points and what it cost.

IPython's `pre_run_cell` / `post_run_cell` events bracket each cell. The cell that calls
`init_run` is already running when capture starts: it is recorded from the run's start. The
cell that calls `run.stop()` is recorded when it really ends (its post_run_cell), so a cell
interrupted by an abort is recorded with its error flag. Peak memory is the highest of the
readings at the cell's start and end and of the hardware sampler's samples in between (so a
spike shorter than the sampling interval inside a long cell can be missed; the figure is a
lower bound, said so in the docs).

Rows are written by one worker thread, never by the kernel's main thread, so a slow store
does not slow the notebook down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..store.entities import CellExecutionInfo
from .base import ipython_shell, log
from .hardware import HardwareMonitor, ProcessTree

Sink = Callable[[list[CellExecutionInfo]], None]


@dataclass
class _Open:
    cell_id: str
    started_at: float
    peak_rss: int
    peak_gpu: int | None


def _max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


class CellProvenance:
    name = "cells"

    def __init__(
        self, sink: Sink, *, monitor: HardwareMonitor | None = None, shell: Any = None
    ) -> None:
        self.sink = sink
        self.monitor = monitor
        self.shell = shell
        self.tree = ProcessTree()
        self.recorded = 0
        self._open: list[_Open] = []
        self._lock = threading.Lock()
        self._closing = False
        self._registered = False
        self._pool: ThreadPoolExecutor | None = None
        self._last: Future[None] | None = None

    # -- readings --------------------------------------------------------------------------
    def _rss(self) -> int:
        return self.tree.rss()

    def _gpu(self) -> int | None:
        m = self.monitor
        if m is None or not m.gpu.gpus:
            return None
        return m.gpu.process_memory(self.tree.pids())

    def _on_sample(self, rss: int, gpu: int | None) -> None:
        with self._lock:
            for cell in self._open:
                cell.peak_rss = max(cell.peak_rss, rss)
                cell.peak_gpu = _max(cell.peak_gpu, gpu)

    # -- IPython events --------------------------------------------------------------------
    def _pre(self, info: Any) -> None:
        cell = _Open(getattr(info, "cell_id", None) or "", time.time(), self._rss(), self._gpu())
        with self._lock:
            self._open.append(cell)

    def _post(self, result: Any) -> None:
        ended = time.time()
        rss, gpu = self._rss(), self._gpu()
        with self._lock:
            if not self._open:
                return
            cell = self._open.pop()
            done = self._closing and not self._open
        info = getattr(result, "info", None)
        error = bool(
            getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        )
        row = CellExecutionInfo(
            cell_id=cell.cell_id or (getattr(info, "cell_id", None) or ""),
            execution_count=getattr(result, "execution_count", None),
            started_at=cell.started_at,
            ended_at=ended,
            peak_rss=max(cell.peak_rss, rss),
            peak_gpu_memory=_max(cell.peak_gpu, gpu),
            error=error,
        )
        self._submit([row])
        if done:
            self._finish()

    def _submit(self, rows: list[CellExecutionInfo]) -> None:
        if self._pool is None:
            return
        self.recorded += len(rows)
        self._last = self._pool.submit(self._write, rows)

    def _write(self, rows: list[CellExecutionInfo]) -> None:
        try:
            self.sink(rows)
        except Exception as e:  # never into the notebook
            log.warning("jupyter-mltrack: cell provenance not saved: %s", e)

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        shell = self.shell or ipython_shell()
        if shell is None or self._registered:
            return  # a script: no cells
        self.shell = shell
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="mltrack-cells")
        if _in_cell(shell):
            # init_run is running inside a cell: record that cell from now on.
            self._open.append(_Open("", time.time(), self._rss(), self._gpu()))
        shell.events.register("pre_run_cell", self._pre)
        shell.events.register("post_run_cell", self._post)
        self._registered = True
        if self.monitor is not None:
            self.monitor.add_listener(self._on_sample)

    def stop(self) -> None:
        """Stop recording new cells; the cell running now is recorded when it ends."""
        with self._lock:
            if not self._registered or self._closing:
                return
            self._closing = True
            pending = bool(self._open)
        if self.monitor is not None and not pending:
            self.monitor.remove_listener(self._on_sample)
        if not pending:
            self._finish()

    def _finish(self) -> None:
        shell = self.shell
        if self._registered and shell is not None:
            for event, fn in (("pre_run_cell", self._pre), ("post_run_cell", self._post)):
                try:
                    shell.events.unregister(event, fn)
                except ValueError:
                    pass
        self._registered = False
        if self.monitor is not None:
            self.monitor.remove_listener(self._on_sample)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)  # the worker finishes queued rows, then exits

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until rows submitted so far are written (tests, `run.wait()`)."""
        last = self._last
        if last is not None:
            last.result(timeout=timeout)


def _in_cell(shell: Any) -> bool:
    """Whether we are called from a cell: the shell runs cells on the main thread only."""
    return threading.current_thread() is threading.main_thread()
