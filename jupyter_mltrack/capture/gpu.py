"""NVIDIA GPUs through NVML (`pynvml`, from the nvidia-ml-py package).

Three things peers get wrong and this module does not:
- only the GPUs this process can see are sampled: `CUDA_VISIBLE_DEVICES` is honoured with
  CUDA's own rules (indices or `GPU-`/`MIG-` UUID prefixes, the list ends at the first entry
  that names no device), and series are numbered as the process sees them (`gpu/0` is
  `cuda:0`), the physical NVML index kept beside them;
- a field one GPU does not support (power on many laptops, utilization on MIG slices) is
  dropped for that GPU after the first `NotSupported`, while the others keep being logged;
- NVML is initialised once per process; no package, no driver or no GPU means no GPU series
  and one info line, never an error.

NVML numbers GPUs in PCI bus order; CUDA does too when `CUDA_DEVICE_ORDER=PCI_BUS_ID` or the
GPUs are all the same model (its default, fastest first, can reorder mixed machines).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .base import log

GIB = float(1 << 30)
# NVML error codes (nvml.h): not supported, function not found in this driver.
_NOT_SUPPORTED = {3, 13}


class Nvml:
    """NVML for one process: `module()` initialises it on first use and remembers the outcome."""

    def __init__(self, import_name: str = "pynvml") -> None:
        self._import_name = import_name
        self._lock = threading.Lock()
        self._tried = False
        self._module: ModuleType | None = None
        self.reason = ""

    def module(self) -> ModuleType | None:
        with self._lock:
            if not self._tried:
                self._tried = True
                self._module = self._init()
            return self._module

    def _init(self) -> ModuleType | None:
        try:
            nv = importlib.import_module(self._import_name)
        except Exception as e:
            self._unavailable(f"nvidia-ml-py is not installed ({type(e).__name__})")
            return None
        try:
            nv.nvmlInit()
            count = int(nv.nvmlDeviceGetCount())
        except Exception as e:  # NVMLError_LibraryNotFound, DriverNotLoaded, OSError...
            self._unavailable(f"NVML unavailable: {e or type(e).__name__}")
            return None
        if count == 0:
            self._unavailable("NVML reports no GPU")
            return None
        return nv

    def _unavailable(self, reason: str) -> None:
        self.reason = reason
        log.info("jupyter-mltrack: no GPU metrics (%s)", reason)


# One per process: NVML is initialised once however many runs sample it.
NVML = Nvml()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _not_supported(nv: ModuleType, error: Exception) -> bool:
    cls = getattr(nv, "NVMLError_NotSupported", None)
    if cls is not None and isinstance(error, cls):
        return True
    return getattr(error, "value", None) in _NOT_SUPPORTED


def select_visible(nv: ModuleType, count: int, visible: str | None) -> list[tuple[int, Any]]:
    """(NVML index, handle) of each GPU the process can see, in CUDA's order."""
    handles = [nv.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    if visible is None:
        return list(enumerate(handles))
    uuids: list[str] | None = None
    chosen: list[tuple[int, Any]] = []
    for raw in visible.split(","):
        token = raw.strip()
        if not token:
            break
        index: int | None = None
        handle: Any = None
        if token.lstrip("+-").isdigit():
            n = int(token)
            if 0 <= n < count:
                index, handle = n, handles[n]
        elif token.startswith("GPU-"):
            if uuids is None:
                uuids = [_text(nv.nvmlDeviceGetUUID(h)) for h in handles]
            matches = [i for i, u in enumerate(uuids) if u.startswith(token)]
            if len(matches) == 1:
                index, handle = matches[0], handles[matches[0]]
        elif token.startswith("MIG-"):
            try:
                handle = nv.nvmlDeviceGetHandleByUUID(token)
                index = -1
            except Exception:
                handle = None
        if handle is None or (index is not None and index >= 0 and index in dict(chosen)):
            break  # CUDA ignores everything from the first entry that names no new device
        chosen.append((index if index is not None else -1, handle))
    return chosen


@dataclass
class Gpu:
    ordinal: int  # as this process sees it: monitoring/gpu/<ordinal>/...
    nvml_index: int  # -1 for a MIG slice named by UUID
    handle: Any
    name: str = ""
    unsupported: set[str] = field(default_factory=set)


class GpuSampler:
    """Reads the visible GPUs' utilization, memory, power and temperature."""

    METRICS = ("utilization", "memory", "power", "temperature")

    def __init__(self, nvml: Nvml | None = None, visible: str | None = None) -> None:
        self._nvml = nvml or NVML
        self._visible = os.environ.get("CUDA_VISIBLE_DEVICES") if visible is None else visible
        self.gpus: list[Gpu] = []
        self._nv: ModuleType | None = None

    def open(self) -> bool:
        """Find the visible GPUs; False (and no series) when there are none."""
        nv = self._nvml.module()
        if nv is None:
            return False
        try:
            count = int(nv.nvmlDeviceGetCount())
            chosen = select_visible(nv, count, self._visible)
        except Exception as e:
            log.info("jupyter-mltrack: no GPU metrics (listing GPUs failed: %s)", e)
            return False
        if not chosen:
            log.info("jupyter-mltrack: no GPU metrics (CUDA_VISIBLE_DEVICES hides every GPU)")
            return False
        self._nv = nv
        for ordinal, (index, handle) in enumerate(chosen):
            gpu = Gpu(ordinal, index, handle)
            try:
                gpu.name = _text(nv.nvmlDeviceGetName(handle))
            except Exception:
                gpu.name = ""
            self.gpus.append(gpu)
        return True

    def _readers(self, nv: ModuleType) -> dict[str, Callable[[Any], float]]:
        temp_sensor = getattr(nv, "NVML_TEMPERATURE_GPU", 0)
        return {
            "utilization": lambda h: float(nv.nvmlDeviceGetUtilizationRates(h).gpu),
            "memory": lambda h: nv.nvmlDeviceGetMemoryInfo(h).used / GIB,
            "power": lambda h: nv.nvmlDeviceGetPowerUsage(h) / 1000.0,  # mW -> W
            "temperature": lambda h: float(nv.nvmlDeviceGetTemperature(h, temp_sensor)),
        }

    def sample(self) -> dict[str, float]:
        """{"gpu/<i>/<metric>": value} for every supported reading that succeeded now."""
        nv = self._nv
        if nv is None:
            return {}
        out: dict[str, float] = {}
        readers = self._readers(nv)
        for gpu in self.gpus:
            for metric in self.METRICS:
                if metric in gpu.unsupported:
                    continue
                try:
                    out[f"gpu/{gpu.ordinal}/{metric}"] = readers[metric](gpu.handle)
                except Exception as e:
                    if _not_supported(nv, e):
                        gpu.unsupported.add(metric)
                        log.info(
                            "jupyter-mltrack: GPU %d (%s) does not report %s; not logged",
                            gpu.ordinal,
                            gpu.name,
                            metric,
                        )
                    # any other error (a GPU fallen off the bus): skip this reading only
        return out

    def process_memory(self, pids: Iterable[int]) -> int | None:
        """GPU memory used by these processes, in bytes, or None when NVML cannot tell.

        In a container NVML reports host PIDs, which never match ours; then the visible GPUs'
        used memory is the closest honest figure (with one job per GPU it is the job's).
        """
        nv = self._nv
        if nv is None:
            return None
        wanted = set(pids)
        total = 0
        found = False
        device_used = 0
        for gpu in self.gpus:
            try:
                for proc in nv.nvmlDeviceGetComputeRunningProcesses(gpu.handle):
                    if proc.pid in wanted and proc.usedGpuMemory is not None:
                        total += int(proc.usedGpuMemory)
                        found = True
            except Exception:
                pass
            try:
                device_used += int(nv.nvmlDeviceGetMemoryInfo(gpu.handle).used)
            except Exception:
                pass
        if found:
            return total
        return device_used if self.gpus else None
