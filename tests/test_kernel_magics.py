"""`%mltrack` without ceremony (issue 17.8), in a real kernel through nbclient: the magics are
there right after `import jupyter_mltrack`, `%load_ext` still works and registers nothing
twice, and every output is HTML whose cells are left-aligned in their own style attribute
(JupyterLab right-aligns table cells otherwise), with a text/plain twin for terminals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

CELLS = [
    "import jupyter_mltrack",
    "%mltrack status",
    "first = get_ipython().magics_manager.magics['line']['mltrack']",
    "%load_ext jupyter_mltrack",
    "print(get_ipython().magics_manager.magics['line']['mltrack'] is first)",
    "%mltrack checkpoint -n baseline",
    "%mltrack history",
]


def _bundles(cell: Any) -> list[dict[str, Any]]:
    return [o["data"] for o in cell.outputs if o.get("output_type") == "display_data"]


def test_magics_work_after_import_and_render_left_aligned_html_and_text(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors  # `%mltrack` was found without %load_ext

    (status,) = _bundles(nb.cells[1])
    assert set(status) >= {"text/html", "text/plain"}
    page = status["text/html"]
    assert page.count("<td") == page.count('<td style="text-align:left">') > 0
    assert "table-layout:auto" in page and "monospace" in page
    text = status["text/plain"].splitlines()
    assert text[0] == "ML Track"
    store_line = next(line for line in text if line.startswith("store "))
    assert "mltrack.db" in store_line and "<" not in status["text/plain"]
    # The columns line up, left-aligned: every value starts where the store's URL does.
    col = store_line.index("sqlite")
    assert all(line[col - 2 : col] == "  " and line[col] != " " for line in text[1:]), text

    assert nb.cells[4].outputs[0]["text"].strip() == "True"  # the same magics after %load_ext

    (history,) = _bundles(nb.cells[6])
    rows = history["text/plain"].splitlines()
    header = next(i for i, line in enumerate(rows) if line.startswith("id "))
    assert rows[header + 1].startswith("--")
    entry = rows[header + 2]
    assert " manual " in entry and " baseline " in entry
    assert entry.index("manual") == rows[header].index("trigger")  # left-aligned under it
    assert history["text/html"].count('<th style="text-align:left">') == 8


def test_import_outside_ipython_does_not_import_ipython() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, jupyter_mltrack; print('IPython' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "False"


def test_plain_ipython_load_ext_after_import_and_text_output(tmp_path: Path) -> None:
    """The terminal shell: `%load_ext` after the import puts the real magics in place of the
    import's stand-in (one registration, kept), and the output is the text twin."""
    script = tmp_path / "s.ipy"
    script.write_text(
        "import jupyter_mltrack\n"
        "table = get_ipython().magics_manager.magics['line']\n"
        "before = table['mltrack']\n"
        "%load_ext jupyter_mltrack\n"
        "real = table['mltrack']\n"
        "print('kinds', type(before).__name__, type(real).__name__)\n"
        "%mltrack status\n"
        "print('kept', table['mltrack'] is real)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "kinds _FirstUse MLTrackMagics" in out and "kept True" in out
    assert "ML Track" in out and any(line.startswith("store  ") for line in out)
    assert "<div" not in done.stdout
