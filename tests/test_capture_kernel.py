"""Run context inside a real ipykernel: notebooks executed by nbclient, and a kernel driven
through jupyter_client the way JupyterLab drives it (execute requests carrying `cellId`)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_mltrack.store import cells, fields, runs
from jupyter_mltrack.store.engine import open_store

pytestmark = pytest.mark.timeout(180)

SETUP = """
import time
import jupyter_mltrack.client.writer as writer
writer.HEARTBEAT_INTERVAL = 0.3  # 10 s by default; shortened so the test takes seconds
import jupyter_mltrack as mlt
run = mlt.init_run(project="nb", monitoring_interval=0.2, flush_period=0.1)
print(run.id)
"""


def _notebook(*sources: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def _execute(nb: Any, **kw: Any) -> Any:
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True, **kw)
    client.execute()
    return nb


def _series(run_id: int, path: str) -> list[Any]:
    data = fields.read_series(open_store(), run_id, path)
    return [] if data is None else list(data.values)


def _wait(predicate: Any, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_notebook_run_captures_console_hardware_and_each_cell() -> None:
    nb = _execute(
        _notebook(
            SETUP,
            "print('training', 1)\nblock = bytearray(300 << 20)\ntime.sleep(0.8)",
            "del block\nraise ValueError('bad batch')",
            "import sys; print('to stderr', file=sys.stderr)\nrun.stop()",
            "print('after the run')",
        )
    )
    run_id = nb.cells[0].outputs[0]["text"].strip()
    st = open_store()
    info = runs.get(st, run_id)
    # The failing cell marked the run failed (client hooks); it ended at run.stop().
    assert info.state == "failed" and info.ended_at is not None
    rid = info.id
    # The user still saw every output in the notebook.
    assert nb.cells[1].outputs[0]["text"] == "training 1\n"
    assert nb.cells[3].outputs[0]["name"] == "stderr"
    assert _series(rid, "monitoring/stdout") == [run_id, "training 1"]
    assert _series(rid, "monitoring/stderr") == ["to stderr"]
    assert "ValueError: bad batch" in _series(rid, "monitoring/traceback")[-1]
    assert len(_series(rid, "monitoring/cpu")) >= 2
    assert len(_series(rid, "monitoring/process_rss")) >= 2
    # Environment capture works in a kernel too; no script file to upload there.
    got = fields.get_field(st, rid, "source_code/environment/python")
    assert got is not None
    assert fields.get_field(st, rid, "source_code/entrypoint") is None

    # Per-cell provenance: the init cell (from the run's start), the two cells that ran
    # during the run, and the cell that stopped it (recorded when it ended).
    _wait(lambda: cells.list_for_run(st, rid)[1] == 4)
    rows, total = cells.list_for_run(st, rid)
    assert total == 4
    assert [r.execution_count for r in rows] == [1, 2, 3, 4]
    assert [r.error for r in rows] == [False, False, True, False]
    assert all(r.cell_id == "" for r in rows)  # nbclient sends no cellId (JupyterLab does)
    assert rows[0].started_at >= info.created_at - 0.001
    big = rows[1]
    assert big.ended_at is not None and big.duration is not None and big.duration >= 0.8
    assert big.peak_rss is not None and rows[0].peak_rss is not None
    assert big.peak_rss - rows[0].peak_rss > 250 << 20  # the 300 MB it allocated
    assert big.peak_gpu_memory is None  # no GPU here
    for a, b in itertools.pairwise(rows):
        assert a.ended_at is not None and a.ended_at <= b.started_at


def test_abort_interrupts_the_running_cell_and_keeps_the_data() -> None:
    def abort_soon(cell: Any, cell_index: int) -> None:
        if cell_index != 1:
            return

        def ask() -> None:
            st = open_store()
            _wait(lambda: bool(runs.list_runs(st, "nb-abort")))
            run = runs.list_runs(st, "nb-abort")[0]
            _wait(lambda: (fields.get_field(st, run.id, "loss") or _Zero).count >= 10)
            runs.request_abort(st, run.short_id)

        threading.Thread(target=ask, daemon=True).start()

    nb = _execute(
        _notebook(
            SETUP.replace('project="nb"', 'project="nb-abort"'),
            "for i in range(100000):\n    run['loss'].log(i)\n    time.sleep(0.02)",
            "print('next cell runs', run._lifecycle.state)",
        ),
        on_cell_execute=abort_soon,
    )
    loop = nb.cells[1]
    errors = [o for o in loop.outputs if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "KeyboardInterrupt"
    warned = "".join(o.get("text", "") for o in loop.outputs if o.get("name") == "stderr")
    assert "was aborted on request" in warned
    # The kernel survives: the next cell runs.
    assert nb.cells[2].outputs[0]["text"] == "next cell runs stopped\n"
    st = open_store()
    info = runs.list_runs(st, "nb-abort")[0]
    assert info.state == "aborted" and not info.failed
    assert (fields.get_field(st, info.id, "loss") or _Zero).count >= 10
    _wait(lambda: cells.list_for_run(st, info.id)[1] == 2)
    rows, _ = cells.list_for_run(st, info.id)
    assert [r.error for r in rows] == [False, True]  # the interrupted cell is flagged


class _Zero:
    count = 0


def test_cell_ids_from_jupyterlab_are_recorded() -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:

        def execute(code: str, cell_id: str) -> dict[str, Any]:
            msg = kc.session.msg(
                "execute_request",
                {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                metadata={"cellId": cell_id},
            )
            kc.shell_channel.send(msg)
            while True:
                reply = kc.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    return dict(reply["content"])

        assert (
            execute(SETUP.replace('project="nb"', 'project="nb-ids"'), "c-init")["status"] == "ok"
        )
        assert execute("x = 1", "c-work")["status"] == "ok"
        assert execute("run.stop()", "c-stop")["status"] == "ok"
        st = open_store()
        info = runs.list_runs(st, "nb-ids")[0]
        _wait(lambda: cells.list_for_run(st, info.id)[1] == 3)
        rows, _ = cells.list_for_run(st, info.id)
        assert [r.cell_id for r in rows] == ["c-init", "c-work", "c-stop"]

        # An abort while no cell runs ends the run and leaves the idle kernel alone.
        assert execute(SETUP.replace('project="nb"', 'project="nb-idle"'), "c-2")["status"] == "ok"
        idle = runs.list_runs(st, "nb-idle")[0]
        runs.request_abort(st, idle.short_id)
        _wait(lambda: runs.get(st, idle.id).state == "aborted")
        time.sleep(0.5)
        reply = execute("print(run._lifecycle.state, x)", "c-3")
        assert reply["status"] == "ok", reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
