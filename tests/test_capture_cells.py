"""The cell_executions repository (store/cells.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.store import cells, runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.entities import CellExecutionInfo


def _cell(cell_id: str, start: float, end: float | None, **kw: object) -> CellExecutionInfo:
    return CellExecutionInfo(
        cell_id=cell_id,
        execution_count=kw.pop("count", None),  # type: ignore[arg-type]
        started_at=start,
        ended_at=end,
        peak_rss=kw.pop("rss", None),  # type: ignore[arg-type]
        peak_gpu_memory=kw.pop("gpu", None),  # type: ignore[arg-type]
        error=bool(kw.pop("error", False)),
    )


def test_record_and_read_back_in_start_order(store: Store) -> None:
    run = runs.create(store, "cells")
    other = runs.create(store, "cells")
    cells.record(
        store,
        run.id,
        [
            _cell("b", 20.0, 25.5, count=2, rss=3 << 30, gpu=5 << 30, error=True),
            _cell("a", 10.0, 12.0, count=1, rss=1 << 30),
        ],
    )
    cells.record(store, run.id, [_cell("c", 30.0, None, count=3)])
    cells.record(store, other.id, [_cell("x", 1.0, 2.0)])
    cells.record(store, run.id, [])  # nothing to do
    rows, total = cells.list_for_run(store, run.id)
    assert total == 3
    assert [(r.cell_id, r.execution_count, r.error) for r in rows] == [
        ("a", 1, False),
        ("b", 2, True),
        ("c", 3, False),
    ]
    assert rows[1].peak_rss == 3 << 30 and rows[1].peak_gpu_memory == 5 << 30  # > 32 bits
    assert rows[1].duration == 5.5 and rows[2].duration is None
    assert rows[0].as_dict()["duration"] == 2.0
    page, total = cells.list_for_run(store, run.id, limit=1, offset=1)
    assert [r.cell_id for r in page] == ["b"] and total == 3


def test_bad_rows_are_refused_and_long_ids_cut(store: Store) -> None:
    run = runs.create(store, "cells")
    with pytest.raises(InvalidInput, match="before started_at"):
        cells.record(store, run.id, [_cell("a", 10.0, 5.0)])
    cells.record(store, run.id, [_cell("z" * 300, 1.0, 2.0)])
    rows, _ = cells.list_for_run(store, run.id)
    assert [len(r.cell_id) for r in rows] == [cells.MAX_CELL_ID]


def test_rows_go_with_their_run(store: Store) -> None:
    from sqlalchemy import delete

    from jupyter_mltrack.store.models import Run

    run = runs.create(store, "cells")
    cells.record(store, run.id, [_cell("a", 1.0, 2.0)])
    with store.write() as s:
        s.execute(delete(Run).where(Run.id == run.id))
    assert cells.list_for_run(store, run.id) == ([], 0)


def test_peak_gpu_memory_of_a_cell_from_nvml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Per-cell GPU peaks through a real IPython shell. NVML is FAKED (no GPU on this
    machine, see capture_helpers): this process holds 1 GiB, then 6 GiB during one cell."""
    import os
    import sys

    from capture_helpers import FakeDevice, fake_nvml
    from IPython.core.interactiveshell import InteractiveShell

    import jupyter_mltrack as mlt
    from jupyter_mltrack.capture.gpu import GpuSampler, Nvml
    from jupyter_mltrack.capture.hardware import HardwareMonitor
    from jupyter_mltrack.capture.provenance import CellProvenance

    dev = FakeDevice("GPU-1", "A100", procs=((os.getpid(), 1 << 30), (1, 9 << 30)))
    monkeypatch.setitem(sys.modules, "fake_pynvml_cells", fake_nvml([dev]))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # its history database
    run = mlt.init_run(project="cells", capture_hardware_metrics=False, capture_cells=False)
    monitor = HardwareMonitor(run, 60, gpu=GpuSampler(Nvml("fake_pynvml_cells"), visible=None))
    monitor.start()
    rows: list[CellExecutionInfo] = []
    shell = InteractiveShell()
    prov = CellProvenance(rows.extend, monitor=monitor, shell=shell)
    shell.user_ns.update(prov=prov, dev=dev, monitor=monitor, pid=os.getpid())
    try:
        assert shell.run_cell("prov.start()", store_history=True).success
        # A spike inside the cell, seen by one hardware sample, then released.
        grow = "dev.procs = ((pid, 6 << 30),)\nmonitor.sample_once()\ndev.procs = ((pid, 1 << 30),)"
        assert shell.run_cell(grow, store_history=True).success
        assert not shell.run_cell("1/0", store_history=True).success
        assert shell.run_cell("prov.stop()", store_history=True).success
        prov.flush()
    finally:
        monitor.stop()
        run.stop()
        shell.history_manager.end_session()
    assert [r.execution_count for r in rows] == [1, 2, 3, 4]
    assert [r.peak_gpu_memory for r in rows] == [1 << 30, 6 << 30, 1 << 30, 1 << 30]
    assert [r.error for r in rows] == [False, False, True, False]
    assert all(r.peak_rss and r.peak_rss > 10 << 20 for r in rows)
    # Once stopped, later cells are not recorded.
    shell.run_cell("x = 2", store_history=True)
    assert len(rows) == 4
