"""An exception raised by a notebook cell marks the run failed with its traceback (real kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from client_helpers import metric_logging_only
from nbclient import NotebookClient

from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import open_store


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def test_failing_cell_marks_the_run_failed_and_keeps_the_traceback(tmp_path: Path) -> None:
    db = tmp_path / "nb.db"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import jupyter_mltrack as mlt\n"
            f"run = mlt.init_run(store={str(db)!r}, project='nb', capture_hardware_metrics=False)\n"
            "run['loss'].log(0.5)\n"
            "print(run.id)"
        ),
        nbformat.v4.new_code_cell(
            "def train():\n    raise ValueError('diverged at epoch 3')\ntrain()"
        ),
        nbformat.v4.new_code_cell("run['after'] = 1\nrun.wait()"),
    ]
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    run_id = nb.cells[0].outputs[0]["text"].strip()
    st = open_store(str(db), cached=False)
    try:
        info = runs.get(st, run_id)
        assert info.state == "failed" and info.failed
        tb = fields.read_series(st, info.id, "monitoring/traceback")
        assert tb is not None and "ValueError: diverged at epoch 3" in tb.values[-1]
        assert "in train" in tb.values[-1]
        # The run keeps accepting data after the failing cell.
        after = fields.get_field(st, info.id, "after")
        assert after is not None and after.value == 1
    finally:
        st.dispose()
