"""The proof of the fast diff: for every pair of a corpus, `nbdime.patch_notebook(base, diff)`
gives `remote` exactly, and the diff is valid nbdime format.

Corpus: generated mutations (insertions, deletions, moves, source edits, output changes,
images, execution counts, cell and notebook metadata, attachments, cell type changes, cells
without ids, nbformat 4.4) and real multi-revision notebooks: nbdime's own test notebooks
(every revision against every other of each family) and a history built by editing,
re-running and reorganising a real notebook."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import random
from pathlib import Path
from typing import Any

import nbdime
import nbformat
import pytest
from nbdime.diff_format import validate_diff
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from notebook_helpers import without_cell_ids

from jupyter_mltrack.checkpoints.nbdiff import count_changes, diff_notebooks

NBDIME_FILES = Path(nbdime.__file__).parent / "tests" / "files"


def check(base: Any, remote: Any) -> dict[str, Any]:
    base_copy, remote_copy = copy.deepcopy(base), copy.deepcopy(remote)
    d, summary = diff_notebooks(base, remote)
    assert base == base_copy and remote == remote_copy, "the diff must not modify its inputs"
    validate_diff(d, deep=True)
    assert nbdime.patch_notebook(base, d) == remote
    # The REST answer is JSON: the diff must survive it.
    assert json.loads(json.dumps(d)) == json.loads(json.dumps(d, default=str))
    if base == remote:
        assert d == []
    return summary


def families() -> list[tuple[str, list[Path]]]:
    groups: dict[str, list[Path]] = {}
    for f in sorted(NBDIME_FILES.glob("*.ipynb")):
        groups.setdefault(
            f.stem.split("--")[0]
            .replace("-base", "")
            .replace("-local", "")
            .replace("-remote", "")
            .replace("-merged", ""),
            [],
        ).append(f)
    return [(k, v) for k, v in groups.items() if len(v) > 1]


@pytest.mark.parametrize("family,files", families(), ids=[f for f, _ in families()])
def test_real_revisions_patch_back_exactly(family, files):
    nbs = [nbformat.read(f, as_version=4) for f in files]
    for a, b in itertools.permutations(nbs, 2):
        check(a, b)


def png(rnd: random.Random) -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + rnd.randbytes(600)).decode()


def generated(rnd: random.Random, n: int, ids: bool = True) -> Any:
    cells = []
    for i in range(n):
        if rnd.random() < 0.2:
            cells.append(new_markdown_cell(f"## Section {i}\ntext {rnd.random():.3f}"))
            continue
        c = new_code_cell(f"a{i} = {rnd.randrange(99)}\nprint(a{i})\n# end", execution_count=i)
        c.outputs = [new_output("stream", name="stdout", text=f"{rnd.random()}\n")]
        if rnd.random() < 0.2:
            c.outputs.append(
                new_output("display_data", data={"image/png": png(rnd), "text/plain": "<Figure>"})
            )
        if rnd.random() < 0.1:
            c.outputs.append(
                new_output("execute_result", data={"text/plain": "42"}, execution_count=i)
            )
        cells.append(c)
    nb = new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    return nb if ids else without_cell_ids(nb)


def mutate(nb: Any, rnd: random.Random, steps: int) -> Any:
    out = copy.deepcopy(nb)
    cells = out.cells
    has_ids = out.nbformat_minor >= 5
    for _ in range(steps):
        kind = rnd.choice(
            [
                "insert",
                "delete",
                "move",
                "source",
                "outputs",
                "image",
                "ec",
                "cellmeta",
                "nbmeta",
                "type",
                "attach",
                "append_line",
            ]
        )
        if not cells:
            kind = "insert"
        i = rnd.randrange(len(cells)) if cells else 0
        c = cells[i] if cells else None
        if kind == "insert":
            new = new_code_cell(f"inserted = {rnd.random()}")
            if not has_ids:
                del new["id"]
            cells.insert(rnd.randrange(len(cells) + 1), new)
        elif kind == "delete":
            del cells[i]
        elif kind == "move":
            cells.insert(rnd.randrange(len(cells)), cells.pop(i))
        elif kind == "source":
            c.source = c.source.replace("print", "log") + f"\n# edit {rnd.random():.2f}"
        elif kind == "append_line":
            c.source += "\nmore()"
        elif kind == "outputs" and c.cell_type == "code":
            if c.outputs and rnd.random() < 0.5:
                c.outputs[0]["text"] = f"changed {rnd.random()}\n"
            else:
                c.outputs.append(new_output("stream", name="stderr", text="warning\n"))
        elif kind == "image" and c.cell_type == "code":
            imgs = [o for o in c.outputs if "data" in o and "image/png" in o["data"]]
            if imgs:
                imgs[0]["data"]["image/png"] = png(rnd)
            else:
                c.outputs = []
        elif kind == "ec" and c.cell_type == "code":
            c.execution_count = (c.execution_count or 0) + 100
        elif kind == "cellmeta":
            c.metadata["tags"] = ["t", str(rnd.randrange(3))]
        elif kind == "nbmeta":
            out.metadata["language_info"] = {"name": "python", "version": str(rnd.random())}
        elif kind == "type" and c.cell_type == "markdown":
            new = new_code_cell(c.source)
            if has_ids:
                new["id"] = c["id"]
            else:
                del new["id"]
            cells[i] = new
        elif kind == "attach" and c.cell_type == "markdown":
            c["attachments"] = {"x.png": {"image/png": png(rnd)}}
    return out


@pytest.mark.parametrize("ids", [True, False], ids=["with-ids", "nbformat-4.4"])
def test_generated_mutations_patch_back_exactly(ids):
    rnd = random.Random(1234 if ids else 4321)
    for case in range(60):
        base = generated(rnd, rnd.randrange(0, 25), ids=ids)
        remote = mutate(base, rnd, rnd.randrange(1, 6))
        check(base, remote)
        check(remote, base)
        if case % 10 == 0:
            check(base, base)


def test_cells_without_ids_mixed_with_ids():
    rnd = random.Random(5)
    base = generated(rnd, 10)
    remote = mutate(base, rnd, 4)
    for c in remote.cells[::2]:
        c.pop("id", None)
    check(base, remote)
    check(remote, base)


def test_built_history_of_a_real_notebook():
    """A history like a user's: edit, re-run, insert, reorder, clear outputs, over the cells
    of a real notebook (nbdime's largest test notebooks, concatenated)."""
    real = [
        nbformat.read(NBDIME_FILES / f, as_version=4)
        for f in (
            "mixed-conflicts--1.ipynb",
            "output-conflict--1.ipynb",
            "apap--1.ipynb",
            "multi_cell_nb.ipynb",
            "unicode--1.ipynb",
        )
    ]
    nb = copy.deepcopy(real[0])
    for other in real[1:]:
        nb.cells.extend(copy.deepcopy(other.cells))
    rnd = random.Random(9)
    history = [nb]
    for _ in range(25):
        history.append(mutate(history[-1], rnd, rnd.randrange(1, 4)))
    for a, b in itertools.pairwise(history):
        check(a, b)
    check(history[0], history[-1])
    check(history[-1], history[0])


def test_summary_names_the_parts_that_changed():
    rnd = random.Random(3)
    base = generated(rnd, 6)
    remote = copy.deepcopy(base)
    code = [i for i, c in enumerate(remote.cells) if c.cell_type == "code"]
    remote.cells[code[0]].source = "changed"
    remote.cells[code[1]].execution_count = 99
    remote.cells[code[1]].outputs = []
    remote.cells.append(new_markdown_cell("end"))
    del remote.cells[code[-1]]
    summary = check(base, remote)
    assert (summary["cells_added"], summary["cells_removed"], summary["cells_modified"]) == (
        1,
        1,
        2,
    )
    parts = {m["base"]: m["parts"] for m in summary["modified"]}
    assert parts[code[0]] == ["source"]
    assert parts[code[1]] == ["outputs", "execution_count"]
    assert count_changes(base.cells, remote.cells) == (1, 1, 2, 0)


@pytest.mark.parametrize("rows", [150, 1700], ids=["lcs", "past-LCS_CELLS"])
def test_long_repetitive_text_patches_back_on_both_line_diff_paths(rows: int) -> None:
    """An HTML table of repeated lines (what made difflib's line diff slow) changed in a few
    rows: exact through rapidfuzz's LCS, and through difflib past LCS_CELLS lines squared."""
    from jupyter_mltrack.checkpoints.nbdiff import LCS_CELLS, regions

    def table(values: list[int]) -> str:
        return "<table>\n" + "".join(f"<tr>\n  <td>{v}</td>\n</tr>\n" for v in values)

    values = list(range(rows))
    base = new_notebook(cells=[new_code_cell("df")])
    base.cells[0].outputs = [
        new_output("execute_result", data={"text/html": table(values)}, execution_count=1)
    ]
    remote = copy.deepcopy(base)
    values[3], values[rows // 2] = -1, -2
    values.insert(rows - 5, 7)
    remote.cells[0].outputs[0]["data"]["text/html"] = table(values)
    lines = (3 * rows) ** 2
    assert (lines > LCS_CELLS) == (rows > 1000)
    check(base, remote)
    check(remote, base)
    a = table(list(range(rows))).splitlines(True)
    assert regions(a, a) == []
    assert regions([], a) == [(0, 0, 0, len(a))]


def test_the_diff_holds_copies_not_the_remote_cells() -> None:
    """Values the diff adds are copies: editing the remote afterwards leaves the diff intact."""
    rnd = random.Random(11)
    base = generated(rnd, 8)
    remote = copy.deepcopy(base)
    remote.cells.insert(2, new_code_cell("new()"))
    remote.cells[2].outputs = [new_output("stream", name="stdout", text="x\n")]
    remote.cells[5].outputs = [new_output("stream", name="stdout", text="changed\n")]
    d, _ = diff_notebooks(base, remote)
    frozen = json.dumps(d, sort_keys=True)
    remote.cells[2].outputs[0]["text"] = "mutated\n"
    remote.cells[2].source = "mutated()"
    remote.cells[5].outputs.append(new_output("stream", name="stderr", text="more\n"))
    assert json.dumps(d, sort_keys=True) == frozen
