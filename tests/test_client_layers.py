"""The kernel takes part in a run's start through a hook it registers, which a plain
`import jupyter_mltrack` does without loading the client. (The client's place among the layers
and the absence of import cycles are checked from the source in tests/test_architecture.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import run_start
from jupyter_mltrack.store.engine import Store

PACKAGE = Path(mlt.__file__).parent


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def test_import_jupyter_mltrack_registers_the_kernel_hook_and_loads_no_client_module() -> None:
    code = (
        "import sys, jupyter_mltrack\n"
        "from jupyter_mltrack.client import run_start\n"
        "from jupyter_mltrack.kernel import link_notebook\n"
        "print(link_notebook in run_start._hooks)\n"
        "print(sorted(m for m in sys.modules if m.startswith('jupyter_mltrack')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    registered, loaded = out.stdout.strip().splitlines()
    assert registered == "True"
    assert loaded == str(
        [
            "jupyter_mltrack",
            "jupyter_mltrack._version",
            "jupyter_mltrack.client",
            "jupyter_mltrack.client.run_start",
            "jupyter_mltrack.kernel",
        ]
    )


def test_run_start_hooks_see_the_runs_that_write_to_a_store(sqlite_store: Store) -> None:
    seen: list[Any] = []
    run_start.add_hook(seen.append)
    try:
        online = mlt.init_run(store=sqlite_store.config.url, mode="sync")
        debug = mlt.init_run(store=sqlite_store.config.url, mode="debug")
    finally:
        run_start.remove_hook(seen.append)
    assert seen == [online]
    online.stop()
    debug.stop()


def test_the_field_handle_keeps_its_former_name_importable(sqlite_store: Store) -> None:
    from jupyter_mltrack.client import FieldHandle, Handler

    run = mlt.init_run(store=sqlite_store.config.url, mode="debug")
    assert Handler is FieldHandle and isinstance(run["x"], FieldHandle)
    run.stop()
