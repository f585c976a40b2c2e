"""Run-start checkpoints and `%mltrack` in real kernels through nbclient (no lab frontend, so
the kernel's own fallback: the session's file, Colab's notebook API, or its input history)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import Store, open_store

QUIET = "capture_hardware_metrics=False, capture_stdout=False, capture_stderr=False"


def execute(nb: Any, folder: Path) -> Any:
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb


def stdout(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def htmls(cell: Any) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


@pytest.fixture
def env_store() -> Any:
    st = open_store(cached=False)  # MLTRACK_STORE from conftest: what the kernels inherit
    yield st
    st.dispose()


def _linked(st: Store, run_id: str) -> str:
    info = runs.get(st, run_id)
    ck = repo.checkpoint_of_run(st, info.id)
    assert ck is not None, f"run {run_id} has no checkpoint"
    field = fields.get_field(st, info.id, "source_code/notebook")
    assert field is not None and field.value == ck.id
    return ck.id


def test_run_in_a_kernel_without_frontend_checkpoints_the_file_and_links_it(
    tmp_path: Path, env_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Training\nnotes"),
        nbformat.v4.new_code_cell(
            "import jupyter_mltrack as mlt\n"
            f"run = mlt.init_run(project='nb', {QUIET})\n"
            f"run2 = mlt.init_run(project='nb', {QUIET})\n"
            "print(run.id, run2.id)"
        ),
        nbformat.v4.new_code_cell(
            "from jupyter_mltrack.kernel.state import kernel_state\n"
            f"run3 = mlt.init_run(project='nb', {QUIET})\n"
            "print(run3.id, kernel_state().frontend.state, kernel_state().last_link.via)\n"
            "run.stop(); run2.stop(); run3.stop()"
        ),
    ]
    path = tmp_path / "train.ipynb"
    nbformat.write(nb, path)
    on_disk = nbformat.read(path, as_version=4)
    # What jupyter_server gives the kernels it starts for a notebook.
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    execute(nb, tmp_path)

    first, second = stdout(nb.cells[1]).split()
    third, state, via = stdout(nb.cells[2]).split()
    assert (state, via) == ("absent", "file")  # one 2 s wait per kernel, then straight on
    c1, c2, c3 = (_linked(env_store, r) for r in (first, second, third))
    assert c1 == c2 != c3  # two runs started in one cell share one checkpoint
    entry = service.get(env_store, c1)
    assert entry["notebook_path"] == "train.ipynb"
    assert entry["trigger"] == "run" and entry["from_disk"] is True
    assert {r["id"] for r in entry["runs"]} == {first, second}
    assert entry["content"] == on_disk  # the notebook as saved, never an empty one
    # Start checkpoints; the runs' end checkpoints (run-end) are tested below.
    items, total = repo.list_checkpoints(env_store, "train.ipynb", exclude_triggers=["run-end"])
    assert total == 2 and {i.id for i in items} == {c1, c3}


# A stand-in for Colab's frontend, installed only at the `google.colab._message` boundary:
# the kernel-side code calls `blocking_request('get_ipynb', ...)` exactly as in Colab.
FAKE_COLAB = """
import sys, types
google = types.ModuleType('google'); colab = types.ModuleType('google.colab')
message = types.ModuleType('google.colab._message')
LIVE = {NB}
def blocking_request(request_type, request='', timeout_sec=5, parent=None):
    assert request_type == 'get_ipynb'
    return {{'ipynb': LIVE}}
message.blocking_request = blocking_request
google.colab = colab; colab._message = message
sys.modules.update({{'google': google, 'google.colab': colab, 'google.colab._message': message}})
"""


def test_colab_notebook_api_gives_the_live_notebook(tmp_path: Path, env_store: Store) -> None:
    live = nbformat.v4.new_notebook()
    live.metadata["colab"] = {"name": "Credit model.ipynb", "provenance": []}
    live.cells = [
        nbformat.v4.new_code_cell("x = 1  # typed in Colab, never saved to a file"),
        nbformat.v4.new_markdown_cell("<script>alert(1)</script>"),
    ]
    answer = json.loads(nbformat.writes(live))  # what Colab returns: the file format's dict
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(FAKE_COLAB.format(NB=repr(answer))),
        nbformat.v4.new_code_cell(
            "import jupyter_mltrack as mlt\n"
            f"run = mlt.init_run(project='colab', {QUIET})\n"
            "print(run.id); run.stop()"
        ),
    ]
    execute(nb, tmp_path)
    run_id = stdout(nb.cells[1]).strip()
    entry = service.get(env_store, _linked(env_store, run_id))
    assert entry["notebook_path"] == "colab/Credit model.ipynb"
    assert entry["from_disk"] is False  # live content, unsaved edits included
    assert entry["content"] == answer


def test_magics_render_sanitized_html_and_fall_back_to_input_history(
    tmp_path: Path, env_store: Store
) -> None:
    evil = "<script>alert('x')</script>"
    nb = nbformat.v4.new_notebook()
    cells = [
        "%load_ext jupyter_mltrack",
        f'%mltrack init -p magic -n "{evil}" -t a --var r',
        "r['train/loss'].extend([3.0, 2.0, 1.5, 1.0])\nr['params/lr'] = 0.1\nr.wait()",
        "%mltrack checkpoint -n first",
        "from jupyter_mltrack.kernel.state import kernel_state\n"
        "first = kernel_state().notebook_checkpoint\nprint(first)",
        "%mltrack checkpoint -n second -d 'after more cells'",
        "second = kernel_state().notebook_checkpoint",
        "%mltrack history",
        "%mltrack diff $first $second",
        '%mltrack runs sys/name MATCHES "script"',
        "%mltrack show --refresh 0.2",
        "import time\n"
        "r['train/loss'].log(0.5); r.wait(); time.sleep(1.0)\n"
        "print(kernel_state().refreshers[r.id].updates > 0)",
        "%mltrack status",
        "%mltrack diff --help",
        "%mltrack diff nosuchid",
        "%mltrack stop",
    ]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    execute(nb, tmp_path)

    def out(prefix: str) -> Any:
        return next(c for c in nb.cells if c.source.startswith(prefix))

    run_id = runs.list_runs(env_store, project="magic")[0].short_id
    first = stdout(out("from jupyter_mltrack.kernel.state import kernel_state")).strip()
    # No session names the file: the checkpoint is rebuilt from the cells the kernel ran.
    ck = service.get(env_store, _linked(env_store, run_id))
    assert "input history" in ck["description"]
    assert ck["content"]["cells"][0]["source"] == "%load_ext jupyter_mltrack"
    assert service.get(env_store, first)["name"] == "first"

    for key in ("%mltrack init", "%mltrack history", "%mltrack runs", "%mltrack show"):
        page = htmls(out(key))
        assert page.startswith('<div class="mlt">'), key
        assert "<script" not in page, key
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in htmls(out("%mltrack runs"))
    # Without -c, as the lab's table: the parameters and metrics the runs share.
    assert "<th" in htmls(out("%mltrack runs")) and "params/lr" in htmls(out("%mltrack runs"))
    assert "train/loss" in htmls(out("%mltrack runs"))
    assert first in htmls(out("%mltrack history"))
    shown = htmls(out("%mltrack show --refresh 0.2"))
    assert "<svg" in shown and "train/loss" in shown and "params/lr" in shown
    assert "added" in htmls(out("%mltrack diff $first $second"))
    assert stdout(out("import time")).strip() == "True"
    assert "absent" in htmls(out("%mltrack status"))
    assert "usage: %mltrack diff" in stdout(out("%mltrack diff --help"))
    errors = "".join(o.get("text", "") for o in out("%mltrack diff nosuchid").outputs)
    assert "mltrack: no checkpoint 'nosuchid'" in errors
    assert runs.get(env_store, run_id).state == "finished"


def test_a_run_gets_its_end_checkpoint_without_a_frontend(
    tmp_path: Path, env_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17.3 through the fallback: a run stopped in a later cell, and a run that never
    stops, each get a `run-end` checkpoint linked beside their start checkpoint."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import jupyter_mltrack as mlt\n"
            f"run = mlt.init_run(project='nb', {QUIET})\n"
            "run['acc'] = 0.93\nprint(run.id)"
        ),
        nbformat.v4.new_code_cell("print('accuracy 0.93')\nrun.stop()"),
        nbformat.v4.new_code_cell(
            f"forever = mlt.init_run(project='nb', {QUIET})\nprint(forever.id)"
        ),
    ]
    path = tmp_path / "train.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    execute(nb, tmp_path)

    stopped, forever = stdout(nb.cells[0]).strip(), stdout(nb.cells[2]).strip()
    for run_id in (stopped, forever):
        start = _linked(env_store, run_id)  # source_code/notebook still names the start
        info = runs.get(env_store, run_id)
        end = repo.checkpoint_of_run(env_store, info.id, end=True)
        assert end is not None and end.id != start, run_id
        assert end.trigger == "run-end"
        assert run_id in {r["id"] for r in service.get(env_store, end.id)["runs"]}
    items, _ = repo.list_checkpoints(env_store, "train.ipynb", trigger="run-end")
    # One entry per run: the stopped run's interim end checkpoint (taken when its first cell
    # ended with the run still running) gave way to the one taken once it stopped.
    assert len(items) == 2
