"""The hardware sampler: one background thread per run, every `interval` seconds (5 by
default, 1 when asked), logging under `monitoring/`:

- `cpu`: system-wide CPU utilization, % (100 = every core busy);
- `memory`: system memory in use, GiB;
- `process_rss`: resident memory of this process and all its children, GiB (data loader
  workers included, which is where training jobs run out of memory);
- `process_cpu`: CPU of the same process tree, % of one core (400 = four cores busy);
- `gpu/<i>/{utilization,memory,power,temperature}` for each visible GPU (see gpu.py).

A run shorter than the interval still gets its samples: one at start (the gauges: memory, RSS,
GPU; CPU needs a span to measure over) and one at stop (everything, CPU since the sample
before), so `monitoring/` is never empty. A sample costs well under a millisecond
(bench/bench_monitor.py): children are found through `/proc/<pid>/task/<tid>/children`
instead of psutil's scan of every process on the machine, and process objects are kept
between samples. Listeners (cell provenance) get each sample's
process-tree RSS and GPU memory so they can keep a peak.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from .base import RunLike, log
from .gpu import GpuSampler

GIB = float(1 << 30)

# (process-tree RSS bytes, process GPU memory bytes or None)
Listener = Callable[[int, "int | None"], None]


def _proc_children(pid: int) -> list[int] | None:
    """Direct children from procfs (cheap), or None where the kernel does not expose them."""
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return None
    out: list[int] = []
    for tid in tids:
        try:
            out.extend(int(p) for p in (task_dir / tid / "children").read_text().split())
        except FileNotFoundError:
            if tid == tids[0]:
                return None  # no CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue
    return out


class ProcessTree:
    """This process and its descendants, with CPU measured between two samples."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()
        self._procs: dict[int, psutil.Process] = {self.pid: psutil.Process(self.pid)}
        self._cpu: dict[int, float] = {}
        self._last: float | None = None
        self._procfs = _proc_children(self.pid) is not None

    def pids(self) -> list[int]:
        if not self._procfs:
            try:
                kids = self._procs[self.pid].children(recursive=True)
            except psutil.Error:
                return [self.pid]
            return [self.pid, *(k.pid for k in kids)]
        seen = [self.pid]
        i = 0
        while i < len(seen):
            seen.extend(_proc_children(seen[i]) or ())
            i += 1
        return seen

    def rss(self) -> int:
        """RSS bytes of the tree now, leaving the CPU baseline alone."""
        total = 0
        for pid in self.pids():
            try:
                proc = self._procs.get(pid) or psutil.Process(pid)
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def sample(self) -> tuple[int, float | None]:
        """(RSS bytes of the tree, CPU % of one core since the last sample or None at first)."""
        now = time.monotonic()
        rss = 0
        cpu_total = 0.0
        alive: dict[int, psutil.Process] = {}
        cpu_now: dict[int, float] = {}
        for pid in self.pids():
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = psutil.Process(pid)
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    t = proc.cpu_times()
            except psutil.Error:
                continue
            alive[pid] = proc
            cpu_now[pid] = t.user + t.system
            # A process born since the last sample counts from its start.
            cpu_total += cpu_now[pid] - self._cpu.get(pid, 0.0)
        self._procs = alive or self._procs
        cpu = None
        if self._last is not None and now > self._last:
            cpu = max(0.0, cpu_total) / (now - self._last) * 100.0
        self._cpu, self._last = cpu_now, now
        return rss, cpu


class HardwareMonitor:
    """Samples the machine every `interval` seconds into `monitoring/*` series."""

    name = "hardware"

    def __init__(
        self,
        run: RunLike,
        interval: float = 5.0,
        *,
        gpu: GpuSampler | None = None,
        prefix: str = "monitoring",
    ) -> None:
        self.run = run
        self.interval = interval
        self.prefix = prefix
        self.gpu = gpu if gpu is not None else GpuSampler()
        self.tree = ProcessTree()
        self.system_cpu = SystemCpu()
        self.samples = 0
        self.cpu_seconds = 0.0  # CPU time of the sampler thread itself (bench_monitor.py)
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._has_gpu = False

    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._has_gpu = self.gpu.open()
        for gpu in self.gpu.gpus:
            base = f"{self.prefix}/gpu/{gpu.ordinal}"
            self.run[f"{base}/name"] = gpu.name
            self.run[f"{base}/nvml_index"] = gpu.nvml_index
        self.system_cpu = SystemCpu()  # baselines: the first sample measures since now
        self._sample_safely(with_cpu=False)
        self._thread = threading.Thread(target=self._loop, name="mltrack-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling, with a last sample: the end of the run (all of a short one)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if thread is not threading.current_thread():
            thread.join(timeout=max(5.0, self.interval))
        self._sample_safely(with_cpu=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample_safely(with_cpu=True)

    def _sample_safely(self, *, with_cpu: bool) -> None:
        t0 = time.thread_time()
        try:
            self.sample_once(with_cpu=with_cpu)
        except Exception as e:  # the sampler must outlive any odd reading
            log.debug("jupyter-mltrack: hardware sample failed: %s", e)
        self.cpu_seconds += time.thread_time() - t0

    def sample_once(self, *, with_cpu: bool = True) -> dict[str, float]:
        """Take one sample, log it, tell listeners; returns what was logged (for tests).
        Without `with_cpu` (the sample at start) the CPU figures are left out: there is no
        span yet to measure them over, and the process tree's CPU baseline is set instead."""
        ts = time.time()
        values: dict[str, float] = {}
        if with_cpu:
            values["cpu"] = self.system_cpu.sample()
        values["memory"] = _memory_used() / GIB
        rss, cpu = self.tree.sample()
        values["process_rss"] = rss / GIB
        if cpu is not None and with_cpu:
            values["process_cpu"] = cpu
        gpu_mem: int | None = None
        if self._has_gpu:
            values.update(self.gpu.sample())
            if self._listeners:
                gpu_mem = self.gpu.process_memory(self.tree.pids())
        for key, value in values.items():
            self.run[f"{self.prefix}/{key}"].log(value, timestamp=ts)
        self.samples += 1
        for fn in list(self._listeners):
            fn(rss, gpu_mem)
        return values


def _memory_used() -> int:
    vm: Any = psutil.virtual_memory()
    # What programs hold: page cache the kernel would give back is not "used".
    return int(vm.total - vm.available)


class SystemCpu:
    """System-wide CPU % between two calls, with its own baseline: psutil.cpu_percent keeps one
    module-wide baseline that any other caller in the process (user code, a second run) moves."""

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[float, float]:
        t: Any = psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        # Linux counts guest time inside user and nice already.
        total = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
        return total, idle

    def sample(self) -> float:
        total, idle = self._read()
        last_total, last_idle = self._last
        self._last = (total, idle)
        span = total - last_total
        if span <= 0:
            return 0.0
        return max(0.0, min(100.0, (span - (idle - last_idle)) / span * 100.0))
