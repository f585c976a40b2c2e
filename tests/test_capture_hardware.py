"""The hardware sampler, writing through a real run into a real store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from capture_helpers import TWO, fake_nvml

import jupyter_mltrack as mlt
from jupyter_mltrack.capture.gpu import GpuSampler, Nvml
from jupyter_mltrack.capture.hardware import GIB, HardwareMonitor, ProcessTree
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import open_store


def _series(run_id: int, path: str) -> list[float]:
    data = fields.read_series(open_store(), run_id, path)
    assert data is not None, path
    return list(data.values)


def test_monitor_logs_every_series_on_its_interval() -> None:
    run = mlt.init_run(project="hw", capture_hardware_metrics=False)
    mon = HardwareMonitor(run, interval=0.2, gpu=GpuSampler(Nvml("no_such_nvml_module")))
    mon.start()
    time.sleep(1.3)
    mon.stop()
    assert mon._thread is None
    n = mon.samples
    time.sleep(0.5)
    assert mon.samples == n, "the thread keeps sampling after stop()"
    run.stop()
    assert 4 <= n <= 10  # start, 6 on the interval, stop; a busy machine can starve the thread
    rid = run.info.id
    cpu = _series(rid, "monitoring/cpu")
    assert len(cpu) == n - 1 and all(0.0 <= v <= 100.0 for v in cpu)  # none at start
    mem = _series(rid, "monitoring/memory")
    assert all(0 < v < 1 << 20 for v in mem)  # GiB, not bytes
    rss = _series(rid, "monitoring/process_rss")
    assert all(0.005 < v < 64 for v in rss)
    assert len(_series(rid, "monitoring/process_cpu")) == n - 1
    assert len(mem) == len(rss) == n
    names = {f.path for f in fields.list_fields(open_store(), rid, prefix="monitoring")}
    assert not any("gpu" in p for p in names)


def test_process_rss_includes_children() -> None:
    """Data-loader workers are where memory goes: the tree's RSS must count them."""
    tree = ProcessTree()
    alone, _ = tree.sample()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; b=bytearray(200<<20); print(1, flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"1"
        assert child.pid in tree.pids()
        with_child, _ = tree.sample()
        assert with_child - alone > 150 << 20
        assert tree.rss() - alone > 150 << 20
    finally:
        child.kill()
        child.wait()
    gone, _ = tree.sample()
    assert gone - alone < 100 << 20


def test_process_cpu_measures_the_tree_between_samples() -> None:
    tree = ProcessTree()
    assert tree.sample()[1] is None  # no baseline yet
    c0, w0 = time.process_time(), time.monotonic()
    while time.process_time() < c0 + 0.3:
        pass
    _, cpu = tree.sample()
    # What this process itself used over the same span, as % of one core (the machine may
    # be busy, so compare against that, not against a fixed figure).
    own = (time.process_time() - c0) / (time.monotonic() - w0) * 100
    assert cpu is not None and own * 0.7 <= cpu <= own * 1.5 + 5


def test_monitor_logs_visible_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    # No NVIDIA GPU on this machine: NVML is faked at the boundary (see test_capture_gpu).
    monkeypatch.setitem(sys.modules, "fake_pynvml_hw", fake_nvml(TWO))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    run = mlt.init_run(project="hw", capture_hardware_metrics=False)
    mon = HardwareMonitor(run, interval=60, gpu=GpuSampler(Nvml("fake_pynvml_hw")))
    mon.start()
    got: list[tuple[int, Any]] = []
    mon.add_listener(lambda rss, gpu: got.append((rss, gpu)))
    values = mon.sample_once()
    mon.stop()
    run.stop()
    assert values["gpu/0/utilization"] == 77.0
    assert not any(k.startswith("gpu/1") for k in values)
    rid = run.info.id
    # At start, the sample asked for, at stop.
    assert _series(rid, "monitoring/gpu/0/temperature") == [66.0] * 3
    assert _series(rid, "monitoring/gpu/0/memory") == [5.0] * 3
    st = open_store()
    name = fields.get_field(st, rid, "monitoring/gpu/0/name")
    index = fields.get_field(st, rid, "monitoring/gpu/0/nvml_index")
    assert name is not None and name.value == "NVIDIA H100"
    assert index is not None and index.value == 1
    assert got and got[0][0] > 0.005 * GIB and got[0][1] == 5 << 30


def test_init_run_starts_the_sampler_at_the_configured_interval(tmp_path: Path) -> None:
    run = mlt.init_run(project="hw", monitoring_interval=0.25)
    time.sleep(1.2)
    run.stop()
    assert not [t for t in __import__("threading").enumerate() if t.name == "mltrack-monitor"]
    assert len(_series(run.info.id, "monitoring/cpu")) >= 2
    assert runs.get(open_store(), run.info.id).state == "finished"


def test_a_run_shorter_than_the_interval_still_has_its_samples() -> None:
    """Issue 18.7: a quick run used to leave monitoring/ empty (the first sample came after
    the 5 s interval). Now one sample is taken at start and one at stop."""
    run = mlt.init_run(project="hw", monitoring_interval=30)
    run["loss"].log(1.0)
    run.stop()
    rid = run.info.id
    assert len(_series(rid, "monitoring/cpu")) == 1  # at stop, over the whole run
    assert len(_series(rid, "monitoring/process_cpu")) == 1
    assert len(_series(rid, "monitoring/memory")) == 2  # at start and at stop
    assert len(_series(rid, "monitoring/process_rss")) == 2


def test_hardware_capture_can_be_switched_off_by_argument_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    off = mlt.init_run(project="hw", capture_hardware_metrics=False, monitoring_interval=0.1)
    monkeypatch.setenv("MLTRACK_CAPTURE_HARDWARE", "0")
    env_off = mlt.init_run(project="hw", monitoring_interval=0.1)
    env_but_arg_on = mlt.init_run(
        project="hw", capture_hardware_metrics=True, monitoring_interval=0.1
    )
    time.sleep(0.5)
    for r in (off, env_off, env_but_arg_on):
        r.stop()
    st = open_store()
    assert fields.get_field(st, off.info.id, "monitoring/cpu") is None
    assert fields.get_field(st, env_off.info.id, "monitoring/cpu") is None
    assert fields.get_field(st, env_but_arg_on.info.id, "monitoring/cpu") is not None


def test_bad_interval_is_refused_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_mltrack.errors import InvalidInput

    with pytest.raises(InvalidInput, match="monitoring_interval"):
        mlt.init_run(project="hw", monitoring_interval=0)
    monkeypatch.setenv("MLTRACK_MONITORING_INTERVAL", "fast")
    with pytest.raises(InvalidInput, match="MLTRACK_MONITORING_INTERVAL"):
        mlt.init_run(project="hw")


def test_monitoring_namespace_moves_hardware_and_console_series() -> None:
    from jupyter_mltrack.errors import InvalidInput

    run = mlt.init_run(
        project="hw", monitoring_namespace="monitoring/box1/", monitoring_interval=0.1
    )
    print("hello box")
    time.sleep(0.4)
    run.stop()
    st = open_store()
    paths = {f.path for f in fields.list_fields(st, run.info.id, prefix="monitoring")}
    assert {"monitoring/box1/cpu", "monitoring/box1/stdout"} <= paths
    assert not {"monitoring/cpu", "monitoring/stdout"} & paths
    with pytest.raises(InvalidInput, match="monitoring_namespace"):
        mlt.init_run(project="hw", monitoring_namespace="a//b")
