"""A run keeps its results (issue 17.3): the `run-end` checkpoint, linked beside the start
checkpoint, in the store and in `GET runs/<id>`; and the migration that allows it."""

from __future__ import annotations

from pathlib import Path

import nbformat

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.query.detail import run_detail
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, make_engine, open_store


def _nb(output: str | None) -> dict[str, object]:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(accuracy)")
    if output is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb.cells = [cell]
    return dict(nb)


def test_end_checkpoint_is_linked_beside_the_start_one(store: Store) -> None:
    run = runs.create(store, "credit")
    start = service.create(store, "t.ipynb", _nb(None), run_id=run.short_id, trigger="run")
    end = service.create(store, "t.ipynb", _nb("0.93\n"), run_id=run.short_id, trigger="run-end")
    assert start is not None and end is not None and start.id != end.id
    assert repo.checkpoint_of_run(store, run.id).id == start.id  # type: ignore[union-attr]
    assert repo.checkpoint_of_run(store, run.id, end=True).id == end.id  # type: ignore[union-attr]
    # source_code/notebook stays the code the run started from.
    field = fields.get_field(store, run.id, "source_code/notebook")
    assert field is not None and field.value == start.id
    detail = run_detail(store, run.short_id)
    assert detail["checkpoint"]["id"] == start.id
    assert detail["end_checkpoint"]["id"] == end.id
    assert detail["end_checkpoint"]["trigger"] == "run-end"
    # A run that has not ended yet has no end checkpoint.
    other = runs.create(store, "credit")
    assert run_detail(store, other.short_id)["end_checkpoint"] is None


def test_a_store_at_0003_migrates_keeping_links_parents_and_counts(
    store_url: str, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.config import Config

    from jupyter_mltrack.store.engine import MIGRATIONS

    engine = make_engine(StoreConfig(store_url, tmp_path / "blobs"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        sql = conn.exec_driver_sql
        sql(
            "INSERT INTO projects (id, name, key, created_at, last_run_number) "
            "VALUES (1, 'old', 'OLD', 0, 1)"
        )
        sql(
            "INSERT INTO runs (id, project_id, number, short_id, name, description, state, "
            "failed, owner, hostname, created_at, abort_requested) "
            "VALUES (1, 1, 1, 'OLD-1', '', '', 'finished', false, '', '', 0, false)"
        )
        sql(
            "INSERT INTO notebooks (id, path, deleted, created_at, updated_at) "
            "VALUES (1, 'old.ipynb', false, 0, 0)"
        )
        sql("INSERT INTO blobs (sha256, size, mime, created_at) VALUES ('m', 1, 'x', 0)")
        for seq, parent in ((1, "NULL"), (2, "'c1'")):
            sql(
                "INSERT INTO checkpoints (id, notebook_id, seq, parent_id, created_at, name, "
                'description, "trigger", author, size, manifest_sha, content_sha, cells_added, '
                "cells_removed, cells_modified, from_disk, notebook_path) VALUES "
                f"('c{seq}', 1, {seq}, {parent}, {seq}, '', '', 'run', '', 0, 'm', 'h', 0, 0, 0, "
                "false, 'old.ipynb')"
            )
        sql("INSERT INTO checkpoint_runs (checkpoint_id, run_id) VALUES ('c2', 1)")
    engine.dispose()
    st = open_store(StoreConfig(store_url, tmp_path / "blobs"), cached=False)
    try:
        assert repo.checkpoint_of_run(st, 1).id == "c2"  # type: ignore[union-attr]
        assert repo.get(st, "c2").parent_id == "c1"
        end = service.create(st, "end.ipynb", _nb("0.9\n"), run_id="OLD-1", trigger="run-end")
        assert end is not None
        assert repo.checkpoint_of_run(st, 1, end=True).id == end.id  # type: ignore[union-attr]
        # The counts the database keeps still follow inserts (SQLite keeps its triggers).
        assert repo.list_checkpoints(st, "old.ipynb", limit=0)[1] == 2
        assert repo.list_checkpoints(st, "end.ipynb", trigger="run-end", limit=0)[1] == 1
    finally:
        st.dispose()
