"""Shared by the capture tests: a stand-in for nvidia-ml-py's `pynvml`.

There is no NVIDIA GPU on the machines these tests run on, so NVML is faked at the boundary:
the module below has nvidia-ml-py's function names, error classes and codes, and is injected
through sys.modules; the code under test is the real one.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return {1: "Uninitialized", 3: "Not Supported", 9: "Driver Not Loaded"}.get(
            self.value, f"NVML error {self.value}"
        )


class NVMLError_NotSupported(NVMLError):
    def __init__(self) -> None:
        super().__init__(3)


class NVMLError_DriverNotLoaded(NVMLError):
    def __init__(self) -> None:
        super().__init__(9)


@dataclass
class FakeDevice:
    uuid: str
    name: str
    util: int = 40
    used: int = 3 << 30
    power_mw: int | None = 120_000  # None: NotSupported
    temp: int = 55
    procs: tuple[tuple[int, int], ...] = ()


def fake_nvml(devices: list[FakeDevice], *, init_error: Exception | None = None) -> Any:
    mod = types.ModuleType("pynvml")
    mod.calls = {"init": 0, "power": 0}  # type: ignore[attr-defined]
    mod.NVMLError = NVMLError  # type: ignore[attr-defined]
    mod.NVMLError_NotSupported = NVMLError_NotSupported  # type: ignore[attr-defined]
    mod.NVML_TEMPERATURE_GPU = 0  # type: ignore[attr-defined]

    def nvmlInit() -> None:
        mod.calls["init"] += 1  # type: ignore[attr-defined]
        if init_error is not None:
            raise init_error

    def power(h: FakeDevice) -> int:
        mod.calls["power"] += 1  # type: ignore[attr-defined]
        if h.power_mw is None:
            raise NVMLError_NotSupported()
        return h.power_mw

    def by_uuid(u: str) -> FakeDevice:
        for d in devices:
            if d.uuid == u:
                return d
        raise NVMLError(13)

    mod.nvmlInit = nvmlInit  # type: ignore[attr-defined]
    mod.nvmlDeviceGetCount = lambda: len(devices)  # type: ignore[attr-defined]
    mod.nvmlDeviceGetHandleByIndex = lambda i: devices[i]  # type: ignore[attr-defined]
    mod.nvmlDeviceGetHandleByUUID = by_uuid  # type: ignore[attr-defined]
    mod.nvmlDeviceGetUUID = lambda h: h.uuid  # type: ignore[attr-defined]
    mod.nvmlDeviceGetName = lambda h: h.name.encode()  # type: ignore[attr-defined]
    mod.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(  # type: ignore[attr-defined]
        gpu=h.util, memory=10
    )
    mod.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(  # type: ignore[attr-defined]
        used=h.used, total=16 << 30, free=(16 << 30) - h.used
    )
    mod.nvmlDeviceGetPowerUsage = power  # type: ignore[attr-defined]
    mod.nvmlDeviceGetTemperature = lambda h, sensor: h.temp  # type: ignore[attr-defined]
    mod.nvmlDeviceGetComputeRunningProcesses = lambda h: [  # type: ignore[attr-defined]
        types.SimpleNamespace(pid=p, usedGpuMemory=m) for p, m in h.procs
    ]
    return mod


TWO = [
    FakeDevice("GPU-aaaa1111-0000", "NVIDIA A100", util=11, temp=41),
    FakeDevice("GPU-bbbb2222-0000", "NVIDIA H100", util=77, used=5 << 30, temp=66),
]
