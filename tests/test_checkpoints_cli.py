"""`mltrack checkpoints | diff | restore | gc` end to end on files and a real SQLite store."""

from __future__ import annotations

import copy
import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.cli import main
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store.engine import open_store


def nb_with_image(tag: str, image: str) -> nbformat.NotebookNode:
    # Fixed cell ids: chunk boundaries depend on the cells' bytes, and random ids made the
    # manifest a delta in most runs but a full one in some (the gc test needs a delta).
    c = new_code_cell(f"plot('{tag}')", execution_count=1, id=f"{tag}-plot")
    c.outputs = [new_output("display_data", data={"image/png": image, "text/plain": "fig"})]
    more = [new_code_cell(f"step_{i}()", id=f"{tag}-{i}") for i in range(40)]
    return new_notebook(cells=[c, new_code_cell(f"# {tag}", id=f"{tag}-title"), *more], metadata={})


def image(seed: int) -> str:
    import base64

    return base64.b64encode(bytes((seed * 31 + i) % 251 for i in range(4000))).decode()


def test_cli_create_list_diff_restore(tmp_path, capsys):
    store = ["--store", f"sqlite:///{tmp_path}/s.db", "--blobs", str(tmp_path / "b")]
    root = ["--root", str(tmp_path)]
    nbformat.write(nb_with_image("a", image(1)), tmp_path / "a.ipynb")
    assert (
        main([*store, "checkpoints", "a.ipynb", "--create", "--name", "v1", "--json", *root]) == 0
    )
    first = json.loads(capsys.readouterr().out)
    nb = nbformat.read(tmp_path / "a.ipynb", 4)
    nb.cells[1].source = "# changed"
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert main([*store, "diff", first["id"], *root]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 added, 0 removed, 1 modified") and "~ cell 2 -> 2: source" in out
    assert main([*store, "checkpoints", "a.ipynb"]) == 0
    assert first["id"] in capsys.readouterr().out
    assert main([*store, "restore", first["id"], *root]) == 0
    assert "restored" in capsys.readouterr().out
    restored = nbformat.read(tmp_path / f"a-restored-{first['id'][:6]}.ipynb", 4)
    assert restored.cells[1].source == "# a"
    assert main([*store, "checkpoints", "--update", first["id"], "--name", "kept"]) == 0
    assert "'kept'" in capsys.readouterr().out
    assert main([*store, "diff", "nope"]) == 1
    assert "no checkpoint" in capsys.readouterr().err


def test_gc_removes_only_unreachable_blobs(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/s.db"
    st = open_store(url, tmp_path / "b", cached=False)
    keep_nb, drop_nb = nb_with_image("keep", image(1)), nb_with_image("drop", image(2))
    keep = service.create(st, "keep.ipynb", keep_nb)
    keep2_nb = copy.deepcopy(keep_nb)
    keep2_nb.cells[1].source = "# keep2"
    keep2 = service.create(st, "keep.ipynb", keep2_nb)  # a delta on keep's manifest
    drop = service.create(st, "drop.ipynb", drop_nb)
    assert keep and keep2 and drop
    assert json.loads(st.blobs.get(keep2.manifest_sha))["base"] == keep.manifest_sha
    repo.remove(st, keep.id)  # keep2's manifest is still a delta against keep's
    repo.remove(st, drop.id)
    before = set(st.blobs.all_shas())
    args = ["--store", url, "--blobs", str(tmp_path / "b"), "gc"]
    assert main([*args, "--dry-run"]) == 0
    assert "would remove 0 blobs" in capsys.readouterr().out  # everything is younger than 1 h
    assert main([*args, "--grace", "0"]) == 0
    assert "removed" in capsys.readouterr().out
    gone = before - set(st.blobs.all_shas())
    assert gone and keep2.manifest_sha not in gone and keep.manifest_sha not in gone
    assert drop.manifest_sha in gone
    snapshot.clear_caches()
    assert service.get(st, keep2.id)["content"] == keep2_nb
    st.dispose()
