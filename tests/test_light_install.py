"""A training container installs the client without the lab (README, "Installing"):
`pip install --no-deps jupyter-mltrack sqlalchemy alembic psutil`. This proves that what such
a container runs (init_run, fields, series, stop, and reading the runs back) never imports
the lab's half: the packages below are made unimportable in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# What `pip install jupyter-mltrack` brings for the lab and the server, and a container lacks.
LAB_ONLY = (
    "jupyter_server",
    "jupyterlab",
    "tornado",
    "nbdime",
    "nbformat",
    "jsonschema",
    "rapidfuzz",
    "re2",
    "traitlets",
    "jupyter_core",
)


def test_the_client_runs_without_the_lab_packages(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {LAB_ONLY!r}:
                    raise ImportError(f"{{name}} is not installed in this container")
                return None

        sys.meta_path.insert(0, Block())
        import jupyter_mltrack as mlt

        with mlt.init_run(project="container", name="light", store={db!r}) as run:
            run["parameters"] = {{"lr": 0.1, "opt": "adam"}}
            for i in range(50):
                run["train/loss"].log(1 / (i + 1))
            run["metrics/acc"] = 0.9
        table = mlt.init_project("container", store={db!r}).fetch_runs_table(
            query="metrics/acc > 0.5"
        )
        print("ROWS", len(table.items))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "ROWS 1" in out.stdout, out.stdout + out.stderr
