"""Real objects in the live server's store (a run with fields, a file, a series and a
checkpointed notebook), so requests with real ids reach the handlers' logic, not a 404."""

from __future__ import annotations

from typing import Any

import nbformat
import requests
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_mltrack import init_run

from .conftest import LiveServer

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def seed(server: LiveServer) -> dict[str, Any]:
    run = init_run(
        project="sec",
        store=server.store_url,
        blobs=str(server.blobs),
        name=f"name {XSS}",
        description=f"description {XSS}",
        tags=[f"tag {XSS}"],
        capture_hardware_metrics=False,
        capture_stdout=False,
        capture_stderr=False,
    )
    run["notes"] = f"text {XSS}"
    run["params/lr"] = 0.1
    for i in range(50):
        run["train/loss"].log(1.0 / (i + 1))
    (server.root / "artifact.txt").write_text(XSS)
    run["artifact"].upload(str(server.root / "artifact.txt"))
    run.stop()
    nb = new_notebook(
        cells=[
            new_markdown_cell(f"# markdown {XSS}"),
            new_code_cell("display(html)", execution_count=1),
        ]
    )
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": XSS, "text/plain": "html"})
    ]
    nbformat.write(nb, server.root / "xss.ipynb")
    r = requests.post(
        f"{server.api}/checkpoints",
        json={"path": "xss.ipynb", "name": f"cp {XSS}", "description": XSS, "trigger": "manual"},
        headers={"Authorization": f"token {server.token}"},
        timeout=30,
    )
    checkpoint = r.json() if r.status_code == 201 else None
    return {"run": run.id, "checkpoint": checkpoint}
