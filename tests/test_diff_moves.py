"""Moves in the diff summary: a cell cut and pasted elsewhere (edited or not) is reported as
moved, base index -> remote index, not as one cell removed and another added; the nbdime diff
itself still encodes it as a removal and an insertion, so it patches back exactly."""

from __future__ import annotations

import copy
from typing import Any

import nbdime
import pytest
from nbdime.patching import patch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from notebook_helpers import without_cell_ids

from jupyter_mltrack.checkpoints.align import MAX_LOOKAHEAD
from jupyter_mltrack.checkpoints.nbdiff import diff_notebooks


def notebook(ids: bool) -> Any:
    cells = [new_markdown_cell("# Loading the data")]
    for i in range(8):
        c = new_code_cell(
            f"frame_{i} = load_table('part-{i}.csv')\nframe_{i}.describe()", execution_count=i
        )
        c.outputs = [new_output("execute_result", data={"text/plain": f"<{i}>"}, execution_count=i)]
        cells.append(c)
    cells.append(new_markdown_cell("## Training\nThe model, fitted on every part."))
    cells.append(new_code_cell("model = fit(frames)\nmodel.score(test)"))
    nb = new_notebook(cells=cells)
    return nb if ids else without_cell_ids(nb)


def summarize(base: Any, remote: Any) -> dict[str, Any]:
    d, summary = diff_notebooks(base, remote)
    assert nbdime.patch_notebook(base, d) == remote
    return summary


@pytest.mark.parametrize("ids", [True, False], ids=["ids", "no-ids"])
def test_moved_cells_are_moves_with_their_edit(ids: bool) -> None:
    base = notebook(ids)
    remote = copy.deepcopy(base)
    cells = remote.cells
    # Cut the training heading (9) and paste it at the top, edited; move frame 2 (3) to the end.
    heading = cells.pop(9)
    heading.source = "## Training the model\nThe model, fitted on every part."
    cells.insert(0, heading)
    cells.append(cells.pop(4))
    cells[5].execution_count = 42  # and one edit in place, which stays a modification

    summary = summarize(base, remote)

    assert (summary["cells_added"], summary["cells_removed"]) == (0, 0)
    assert summary["added"] == summary["removed"] == []
    assert summary["cells_moved"] == 2
    moved = {m["base"]: m for m in summary["moved"]}
    assert moved.keys() == {9, 3}
    assert (moved[9]["remote"], moved[9]["edited"], moved[9]["parts"]) == (0, True, ["markdown"])
    assert (moved[3]["remote"], moved[3]["edited"], moved[3]["parts"]) == (10, False, [])
    # The edit is a cell diff nbdime's cell model renders: it patches base into remote.
    assert patch(base.cells[9], moved[9]["diff"]) == remote.cells[0]
    assert moved[3]["diff"] == []
    assert summary["cells_modified"] == 1
    assert summary["modified"][0]["parts"] == ["execution_count"]


def test_identical_moves_without_ids_pair_each_copy_once() -> None:
    """Two identical cells moved: two moves, each base cell used once."""
    base = notebook(ids=False)
    base.cells[2].source = base.cells[4].source = "frame.head()"
    remote = copy.deepcopy(base)
    remote.cells.extend([remote.cells.pop(4), remote.cells.pop(2)])
    summary = summarize(base, remote)
    assert summary["cells_moved"] == 2
    assert sorted(m["base"] for m in summary["moved"]) == [2, 4]
    assert len({m["remote"] for m in summary["moved"]}) == 2


def test_unrelated_and_blank_cells_are_not_moves() -> None:
    """A short cell deleted here and a different one typed there (ratio 0.6, under the move
    bar), or a blank cell, are a removal and an addition."""
    base = notebook(ids=False)
    base.cells[2].source = "S[:3]"
    base.cells[5].source = ""
    remote = copy.deepcopy(base)
    del remote.cells[5]
    del remote.cells[2]
    remote.cells.append(new_code_cell("V[:2]"))
    remote.cells.insert(1, new_code_cell(""))
    for c in remote.cells:
        c.pop("id", None)
    summary = summarize(base, remote)
    assert summary["cells_moved"] == 0
    assert (summary["cells_added"], summary["cells_removed"]) == (2, 2)


def test_a_cell_edited_in_order_is_not_a_move() -> None:
    """Many cells inserted before an edited cell push it past the in-order search: it is
    similar to its old self, but nothing crossed it, so it did not move."""
    base = notebook(ids=False)
    remote = copy.deepcopy(base)
    remote.cells[4].source += "\nframe_3.plot()"
    for k in range(MAX_LOOKAHEAD + 5):
        cell = new_markdown_cell(f"note {k}: " + "lorem ipsum " * (k % 7))
        del cell["id"]
        remote.cells.insert(4, cell)
    summary = summarize(base, remote)
    assert summary["cells_moved"] == 0


def test_no_moves_when_nothing_moved() -> None:
    base = notebook(ids=True)
    remote = copy.deepcopy(base)
    remote.cells[1].source = "changed"
    summary = summarize(base, remote)
    assert (summary["cells_moved"], summary["moved"]) == (0, [])
    assert summarize(base, base)["moved"] == []
