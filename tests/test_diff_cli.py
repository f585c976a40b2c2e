"""`mltrack diff` names moved cells (they are no longer in the summary's added and removed)."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.cli import main


def test_cli_diff_lists_moves(tmp_path, capsys):
    store = ["--store", f"sqlite:///{tmp_path}/s.db", "--blobs", str(tmp_path / "b")]
    root = ["--root", str(tmp_path)]
    cells = [new_code_cell(f"step_{i}(data)\nreport({i})", id=f"c{i}") for i in range(8)]
    nbformat.write(new_notebook(cells=cells), tmp_path / "a.ipynb")
    assert main([*store, "checkpoints", "a.ipynb", "--create", "--json", *root]) == 0
    first = json.loads(capsys.readouterr().out)
    nb = nbformat.read(tmp_path / "a.ipynb", 4)
    nb.cells.append(nb.cells.pop(1))
    nb.cells[-1].source += "\nplot()"
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert main([*store, "diff", first["id"], *root]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 added, 0 removed, 0 modified, 1 moved")
    assert "  > cell 2 -> 8: moved, edited: source  step_1(data)" in out
