"""Checkpoints on a real store (SQLite and PostgreSQL): exact round trips, dedup, history,
concurrency, renames, links to runs, and the Python API over files."""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
from pathlib import Path

import nbformat
import pytest
from blob_helpers import tamper
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from notebook_helpers import without_cell_ids

from jupyter_mltrack import checkpoints as ckpt
from jupyter_mltrack.checkpoints import files, payloads, service, snapshot
from jupyter_mltrack.errors import Forbidden, InvalidInput, InvalidNotebook, NotFound, TooLarge
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import notebooks as store_notebooks
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.models import Field


def png(seed: int, size: int = 3000) -> str:
    return base64.b64encode(bytes((seed * 7 + i * 13) % 256 for i in range(size))).decode()


def notebook(n: int = 12, seed: int = 0) -> nbformat.NotebookNode:
    cells = []
    for i in range(n):
        c = new_code_cell(source=f"x_{i} = {i + seed}\nprint(x_{i})", execution_count=i + 1)
        c.outputs = [new_output("stream", name="stdout", text=f"{i + seed}\n")]
        if i % 4 == 0:
            c.outputs.append(
                new_output("display_data", data={"image/png": png(i), "text/plain": "<Figure>"})
            )
        cells.append(c)
    md = new_markdown_cell("# title\n![a](attachment:a.png)")
    md.attachments = {"a.png": {"image/png": png(99) + "\n"}}
    cells.append(md)
    return new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )


def test_checkpoint_round_trip_is_exact(store):
    nb = notebook()
    # A non-canonical base64 (line-wrapped) must come back as it was, not re-encoded.
    nb.cells[0].outputs[1].data["image/jpeg"] = "\n".join(
        png(5)[i : i + 76] for i in range(0, 4000, 76)
    )
    info = service.create(store, "a.ipynb", nb, name="first")
    assert info is not None and info.seq == 1 and info.parent_id is None
    assert info.cells_added == len(nb.cells)
    back = service.get(store, info.id)["content"]
    assert back == nb
    assert nbformat.writes(nbformat.from_dict(back)) == nbformat.writes(nb)


def test_old_nbformat_without_ids_round_trips(store):
    nb = without_cell_ids(notebook())
    nbformat.validate(nb)
    info = service.create(store, "old.ipynb", nb)
    assert info is not None
    assert service.get(store, info.id)["content"] == nb


def test_second_checkpoint_costs_one_chunk_not_a_notebook(store):
    nb = notebook(60)
    first = service.create(store, "a.ipynb", nb)
    before = set(store.blobs.all_shas())
    nb.cells[30].source = "changed = True"
    second = service.create(store, "a.ipynb", nb)
    assert first is not None and second is not None
    new = set(store.blobs.all_shas()) - before
    # One or two chunks (a boundary may move) and one manifest, no images again.
    assert 2 <= len(new) <= 3
    assert (second.cells_added, second.cells_removed, second.cells_modified) == (0, 0, 1)
    assert second.parent_id == first.id and second.seq == 2
    manifest = json.loads(store.blobs.get(second.manifest_sha))
    assert manifest["base"] == first.manifest_sha  # a delta, not a full manifest
    assert service.get(store, second.id)["content"] == nb
    assert service.get(store, first.id)["content"].cells[30].source != "changed = True"


def test_create_returns_the_entry_get_reads(store):
    first = service.create(store, "a.ipynb", notebook())
    second = service.create(store, "a.ipynb", notebook(seed=1), name="n", author="me")
    assert first is not None and second is not None
    assert first == repo.get(store, first.id)
    assert second == repo.get(store, second.id)
    assert second.parent_id == first.id and second.seq == 2


def test_save_checkpoint_is_skipped_when_nothing_changed(store):
    nb = notebook()
    assert service.create(store, "a.ipynb", nb, trigger="save", skip_if_unchanged=True)
    assert service.create(store, "a.ipynb", nb, trigger="save", skip_if_unchanged=True) is None
    nb.cells[0].source = "y = 1"
    assert service.create(store, "a.ipynb", nb, trigger="save", skip_if_unchanged=True)
    assert repo.list_checkpoints(store, "a.ipynb")[1] == 2


def test_concurrent_checkpoints_keep_one_linear_history(store):
    base = notebook(20)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        nb = nbformat.from_dict(json.loads(json.dumps(base)))
        nb.cells[k].source = f"writer {k}"
        try:
            service.create(store, "race.ipynb", nb)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    items, total = repo.list_checkpoints(store, "race.ipynb", limit=100)
    assert total == 6
    by_seq = sorted(items, key=lambda i: i.seq)
    assert [i.seq for i in by_seq] == [1, 2, 3, 4, 5, 6]
    assert by_seq[0].parent_id is None
    for prev, cur in itertools.pairwise(by_seq):
        assert cur.parent_id == prev.id
    for item in items:
        assert service.get(store, item.id)["content"].cells[0].cell_type == "code"


def test_history_follows_rename_and_survives_delete(store):
    first = service.create(store, "dir/a.ipynb", notebook())
    assert store_notebooks.rename(store, "dir", "moved") == 1
    items, _ = repo.list_checkpoints(store, "moved/a.ipynb")
    assert [i.id for i in items] == [first.id]  # type: ignore[union-attr]
    assert items[0].captured_path == "dir/a.ipynb"
    second = service.create(store, "moved/a.ipynb", notebook(seed=1))
    assert second is not None and second.parent_id == first.id  # type: ignore[union-attr]
    assert store_notebooks.mark_deleted(store, "moved/a.ipynb") == 1
    items, total = repo.list_checkpoints(store)
    assert total == 2 and all(i.notebook_deleted for i in items)
    # A new notebook at the same path starts its own history.
    third = service.create(store, "moved/a.ipynb", notebook(seed=2))
    assert third is not None and third.parent_id is None and third.seq == 1


def test_runs_follow_their_notebook_when_it_is_renamed(store):
    """sys/notebook_path (the table's notebook column, a notebook's runs in the panel) moves
    with the notebook the run started from; a run that only named the path stays as it was."""
    first = service.create(store, "dir/a.ipynb", notebook())
    other = service.create(store, "dir/a_b.ipynb", notebook(seed=3))  # `_` is no LIKE wildcard
    assert first is not None and other is not None
    started = runs.create(store, "p")
    service.link_run(store, first.id, started.id)
    beside = runs.create(store, "p")
    service.link_run(store, other.id, beside.id)
    named = runs.create(store, "p", notebook_path="dir/a.ipynb")  # a script that named it
    assert runs.get(store, started.id).notebook_path == "dir/a.ipynb"
    assert store_notebooks.rename(store, "dir/a.ipynb", "dir/b.ipynb") == 1
    assert runs.get(store, started.id).notebook_path == "dir/b.ipynb"
    assert runs.get(store, beside.id).notebook_path == "dir/a_b.ipynb"
    assert runs.get(store, named.id).notebook_path == "dir/a.ipynb"
    assert store_notebooks.rename(store, "dir", "work/dir") == 2  # a folder: both follow
    assert runs.get(store, started.id).notebook_path == "work/dir/b.ipynb"
    assert runs.get(store, beside.id).notebook_path == "work/dir/a_b.ipynb"


def test_list_filters_pages_and_searches(store):
    service.create(store, "a.ipynb", notebook(), name="baseline", trigger="manual")
    service.create(store, "a.ipynb", notebook(seed=1), description="tuned lr", trigger="run")
    service.create(store, "b.ipynb", notebook(seed=2), trigger="save")
    assert repo.list_checkpoints(store)[1] == 3
    assert [i.trigger for i in repo.list_checkpoints(store, "a.ipynb")[0]] == ["run", "manual"]
    assert repo.list_checkpoints(store, trigger="save")[0][0].notebook_path == "b.ipynb"
    assert repo.list_checkpoints(store, text="TUNED")[0][0].description == "tuned lr"
    assert repo.list_checkpoints(store, text="%")[1] == 0
    page, total = repo.list_checkpoints(store, limit=1, offset=1)
    assert total == 3 and len(page) == 1
    with pytest.raises(InvalidInput):
        repo.list_checkpoints(store, trigger="cron")
    # Excluded triggers are filtered in the query: the total counts only what is listed.
    kept, total = repo.list_checkpoints(store, exclude_triggers=["save"])
    assert [i.trigger for i in kept] == ["run", "manual"] and total == 2
    assert repo.list_checkpoints(store, exclude_triggers=("save", "run"))[1] == 1
    assert [i["trigger"] for i in ckpt.list(exclude_triggers=["manual"], store=store)] == [
        "save",
        "run",
    ]
    with pytest.raises(InvalidInput, match="cron"):
        repo.list_checkpoints(store, exclude_triggers=["save", "cron"])


def test_names_are_limited_and_delete_relinks_children(store):
    a = service.create(store, "a.ipynb", notebook())
    b = service.create(store, "a.ipynb", notebook(seed=1))
    nb_c = notebook(seed=2)
    c = service.create(store, "a.ipynb", nb_c)
    assert a and b and c
    assert repo.update_text(store, b.id, name="n" * 512).name == "n" * 512
    with pytest.raises(InvalidInput, match="512"):
        repo.update_text(store, b.id, name="n" * 513)
    with pytest.raises(InvalidInput, match="4096"):
        repo.update_text(store, b.id, description="d" * 4097)
    with pytest.raises(NotFound):
        repo.update_text(store, "nope", name="x")
    repo.remove(store, b.id)
    assert repo.get(store, c.id).parent_id == a.id
    # c's manifest may be a delta against b's: it must still load.
    assert service.get(store, c.id)["content"] == nb_c
    with pytest.raises(NotFound):
        repo.get(store, b.id)


def test_run_link_goes_both_ways(store):
    run = runs.create(store, "credit", name="baseline")
    info = service.create(store, "a.ipynb", notebook(), run_id=run.short_id, trigger="run")
    assert info is not None
    assert [(r.id, r.state) for r in info.runs] == [(run.short_id, "running")]
    assert service.checkpoint_of_run(store, run.short_id)["id"] == info.id  # type: ignore[index]
    with store.read() as s:
        field = s.query(Field).filter_by(run_id=run.id, path=repo.NOTEBOOK_FIELD).one()
        assert (field.type, field.text) == ("string", info.id)
    assert runs.get(store, run.id).notebook_path == "a.ipynb"
    runs.set_state(store, run.id, "finished")
    assert repo.get(store, info.id).runs[0].state == "finished"
    with pytest.raises(NotFound):
        service.create(store, "a.ipynb", notebook(), run_id="CRED-999")


def test_invalid_notebook_is_refused_and_nothing_stored(tmp_path, sqlite_store):
    (tmp_path / "bad.ipynb").write_text(
        json.dumps(
            {"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        )
    )
    (tmp_path / "junk.ipynb").write_text("{not json")
    for name in ("bad.ipynb", "junk.ipynb"):
        with pytest.raises(InvalidNotebook, match="not a"):
            ckpt.create(name, root=tmp_path, store=sqlite_store)
    assert ckpt.list(store=sqlite_store) == []


def test_paths_outside_root_hidden_or_not_notebooks_are_refused(tmp_path, sqlite_store):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.ipynb"
    nbformat.write(notebook(), outside)
    os.symlink(outside, root / "link.ipynb")
    (root / ".hidden").mkdir()
    nbformat.write(notebook(), root / ".hidden" / "h.ipynb")
    (root / "notes.txt").write_text("hi")
    cases = {
        "../outside.ipynb": Forbidden,
        "link.ipynb": Forbidden,
        ".hidden/h.ipynb": Forbidden,
        "notes.txt": InvalidNotebook,
        "missing.ipynb": NotFound,
    }
    for path, error in cases.items():
        with pytest.raises(error):
            ckpt.create(path, root=root, store=sqlite_store)
    nbformat.write(notebook(), root / "big.ipynb")
    with pytest.raises(TooLarge):
        files.read(root, "big.ipynb", max_bytes=100)


def test_python_api_create_diff_restore(tmp_path, sqlite_store):
    nb = notebook()
    nbformat.write(nb, tmp_path / "a.ipynb")
    entry = ckpt.create("a.ipynb", name="v1", root=tmp_path, store=sqlite_store)
    assert entry["author"] and entry["changes"]["added"] == len(nb.cells)
    nb.cells[1].source = "edited"
    nbformat.write(nb, tmp_path / "a.ipynb")
    d = ckpt.diff(entry["id"], "current", root=tmp_path, store=sqlite_store)
    assert d["summary"]["cells_modified"] == 1 and d["summary"]["modified"][0]["parts"] == [
        "source"
    ]
    out = ckpt.restore(entry["id"], root=tmp_path, store=sqlite_store)
    assert out["path"] == f"a-restored-{entry['id'][:6]}.ipynb" and out["safety_checkpoint"] is None
    assert nbformat.read(tmp_path / out["path"], as_version=4).cells[1].source != "edited"
    again = ckpt.restore(entry["id"], root=tmp_path, store=sqlite_store)
    assert again["path"].endswith("-1.ipynb")
    over = ckpt.restore(entry["id"], "a.ipynb", root=tmp_path, store=sqlite_store)
    safety = ckpt.get(over["safety_checkpoint"], store=sqlite_store)
    assert safety["trigger"] == "restore" and safety["content"].cells[1].source == "edited"
    assert (
        nbformat.read(tmp_path / "a.ipynb", as_version=4)
        == ckpt.get(entry["id"], store=sqlite_store)["content"]
    )
    assert ckpt.update(entry["id"], description="kept", store=sqlite_store)["description"] == "kept"
    ckpt.delete(safety["id"], store=sqlite_store)
    assert [e["id"] for e in ckpt.list("a.ipynb", store=sqlite_store)] == [entry["id"]]


def test_corrupt_chunk_is_detected(sqlite_store):
    info = service.create(sqlite_store, "a.ipynb", notebook())
    assert info is not None
    manifest = snapshot.MANIFESTS.get(sqlite_store.blobs, info.manifest_sha)
    tamper(sqlite_store.blobs, manifest.chunks[0][0])
    snapshot.clear_caches()  # as another process would: nothing cached
    from jupyter_mltrack.errors import CorruptBlob

    with pytest.raises(CorruptBlob):
        service.get(sqlite_store, info.id)


def test_blob_root_is_shared_with_field_files(sqlite_store):
    # Images are registered in `blobs` with their type; chunks stay internal.
    service.create(sqlite_store, "a.ipynb", notebook())
    from jupyter_mltrack.store.models import Blob

    with sqlite_store.read() as s:
        mimes = {m for (m,) in s.query(Blob.mime)}
    assert mimes == {"image/png", snapshot.MANIFEST_MIME}
    assert Path(sqlite_store.blobs.root).is_dir()


def test_canonical_each_is_canonical_of_each() -> None:
    objs = [dict(c) for c in notebook(3)["cells"]] + [
        {"s": "\u00e9\x00\ud800", "f": [1.5, -0.0, 1e300]}
    ]
    assert snapshot.canonical_each(objs) == [snapshot.canonical(o) for o in objs]
    # An object holding the separator itself: noticed, and encoded one by one.
    tricky = [{"a": ["x", snapshot._SEPARATOR, "y"]}, {"b": snapshot._SEPARATOR}, {}]
    assert snapshot.canonical_each(tricky) == [snapshot.canonical(o) for o in tricky]
    assert snapshot.canonical_each([]) == []
    assert snapshot.canonical_each([{"z": 1}]) == [b'{"z":1}']


def test_base64_names_confirm_the_whole_string() -> None:
    names = payloads._Base64Names(max_chars=5000)
    a = "A" * 10 + "x" * 2000
    b = "B" * 10 + "x" * 2000  # same length, middle and end as `a`: the same slot
    names.put(a, ("sha-a", ""))
    assert names.get(a) == ("sha-a", "") and names.get(b) is None
    names.put(b, ("sha-b", ""))
    assert names.get(b) == ("sha-b", "") and names.get(a) is None
    c = "y" * 4000
    names.put(c, ("sha-c", ""))  # over 5,000 characters: the oldest goes
    assert names.get(b) is None and names.get(c) == ("sha-c", "")
