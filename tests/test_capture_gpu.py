"""GPU sampling through NVML.

This machine has no NVIDIA GPU and no driver, so NVML is FAKED here: a stand-in `pynvml`
module is injected at the boundary (sys.modules) that behaves like nvidia-ml-py's (same
function names, same NVMLError classes and codes). Everything above it, the visible-device
selection, the unsupported-field handling, the once-only initialisation, is the real code.
The no-driver case is also checked against the real nvidia-ml-py package, which fails to find
libnvidia-ml here exactly as it would on a CPU-only host.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from capture_helpers import TWO, FakeDevice, NVMLError_DriverNotLoaded, fake_nvml

from jupyter_mltrack.capture.gpu import GpuSampler, Nvml


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(devices: list[FakeDevice], **kw: Any) -> tuple[Any, Nvml]:
        mod = fake_nvml(devices, **kw)
        monkeypatch.setitem(sys.modules, "fake_pynvml", mod)
        return mod, Nvml("fake_pynvml")

    return install


def test_only_the_gpu_cuda_visible_devices_names_is_sampled(nvml: Any) -> None:
    _, session = nvml(TWO)
    sampler = GpuSampler(session, visible="1")
    assert sampler.open()
    assert [(g.ordinal, g.nvml_index, g.name) for g in sampler.gpus] == [(0, 1, "NVIDIA H100")]
    values = sampler.sample()
    # Numbered as the process sees it (cuda:0), with the H100's readings, not the A100's.
    assert values == {
        "gpu/0/utilization": 77.0,
        "gpu/0/memory": 5.0,
        "gpu/0/power": 120.0,
        "gpu/0/temperature": 66.0,
    }


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        (None, [0, 1]),
        ("1,0", [1, 0]),
        ("GPU-bbbb", [1]),  # a UUID prefix, as CUDA accepts
        ("0,7,1", [0]),  # the list ends at the first entry naming no device
        ("", []),
        ("-1", []),
        ("GPU-ffff", []),
    ],
)
def test_cuda_visible_devices_follows_cuda_rules(
    nvml: Any, visible: str | None, expected: list[int]
) -> None:
    _, session = nvml(TWO)
    sampler = GpuSampler(session, visible=visible)
    assert sampler.open() is bool(expected)
    assert [g.nvml_index for g in sampler.gpus] == expected


def test_unsupported_field_is_skipped_and_the_rest_still_logged(
    nvml: Any, caplog: pytest.LogCaptureFixture
) -> None:
    devices = [FakeDevice("GPU-1", "laptop GPU", power_mw=None), FakeDevice("GPU-2", "other")]
    mod, session = nvml(devices)
    sampler = GpuSampler(session, visible=None)
    assert sampler.open()
    with caplog.at_level(logging.INFO, logger="jupyter_mltrack.capture"):
        first = sampler.sample()
        second = sampler.sample()
    for values in (first, second):
        assert "gpu/0/power" not in values
        assert {"gpu/0/utilization", "gpu/0/memory", "gpu/0/temperature"} <= values.keys()
        assert values["gpu/1/power"] == 120.0
    # Asked once for the unsupported GPU, then never again; said once.
    assert mod.calls["power"] == 1 + 2
    assert sum("does not report power" in r.getMessage() for r in caplog.records) == 1


def test_nvml_init_failure_means_no_gpu_series_and_one_info_line(
    nvml: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mod, session = nvml(TWO, init_error=NVMLError_DriverNotLoaded())
    with caplog.at_level(logging.INFO, logger="jupyter_mltrack.capture"):
        samplers = [GpuSampler(session, visible=None) for _ in range(3)]
        assert [s.open() for s in samplers] == [False, False, False]
        assert all(s.sample() == {} for s in samplers)
    assert mod.calls["init"] == 1  # initialised once per process, not per run
    lines = [r for r in caplog.records if r.name == "jupyter_mltrack.capture"]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert "Driver Not Loaded" in lines[0].getMessage()


def test_real_nvidia_ml_py_without_a_driver_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    pynvml = pytest.importorskip("pynvml")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:  # pragma: no cover - a machine with a driver: this test is about the other case
        pynvml.nvmlShutdown()
        pytest.skip("an NVIDIA driver is present")
    with caplog.at_level(logging.INFO, logger="jupyter_mltrack.capture"):
        sampler = GpuSampler(Nvml("pynvml"), visible=None)
        assert not sampler.open()
        assert sampler.sample() == {}
    assert len(caplog.records) == 1 and "NVML unavailable" in caplog.records[0].getMessage()


def test_process_gpu_memory_counts_our_processes_only(nvml: Any) -> None:
    devices = [FakeDevice("GPU-1", "a", procs=((100, 1 << 30), (999, 7 << 30)))]
    _, session = nvml(devices)
    sampler = GpuSampler(session, visible=None)
    assert sampler.open()
    assert sampler.process_memory([100, 101]) == 1 << 30
    # NVML cannot see our PIDs (a container): the visible GPUs' used memory instead.
    assert sampler.process_memory([5]) == devices[0].used
