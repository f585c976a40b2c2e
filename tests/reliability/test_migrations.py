"""Stores written by every earlier schema revision (tests/fixtures/store-<rev>.db, made by
tests/fixtures/make_store_fixture.py) open and upgrade to the head with their data intact.
Each fixture is copied first: the committed file is never modified."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from jupyter_mltrack.store import fields
from jupyter_mltrack.store import runs as runs_repo
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import open_store
from jupyter_mltrack.store.revisions import KNOWN_REVISIONS, SCHEMA_HEAD

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("store-*.db"))


def test_there_is_a_fixture_for_every_known_revision() -> None:
    have = {p.stem.removeprefix("store-") for p in FIXTURES}
    assert set(KNOWN_REVISIONS) <= have, (
        f"no fixture for {set(KNOWN_REVISIONS) - have}: run tests/fixtures/make_store_fixture.py"
    )


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_store_from_an_earlier_revision_upgrades_with_data_intact(
    fixture: Path, tmp_path: Path
) -> None:
    db = tmp_path / "mltrack.db"
    shutil.copy(fixture, db)
    store = open_store(StoreConfig(f"sqlite:///{db}", tmp_path / "blobs"), cached=False)
    try:
        assert store.revision() == SCHEMA_HEAD
        first = runs_repo.get(store, "FIXT-1")
        assert (first.name, first.description, first.state) == ("first", "<b>kept</b>", "finished")
        second = runs_repo.get(store, "FIXT-2")
        assert second.state == "failed" and second.failed
        assert runs_repo.get(store, "OTHE-1").project == "other"
        by_path = {f.path: f for f in fields.list_fields(store, first.id)}
        assert by_path["params/lr"].num == pytest.approx(0.001)
        assert by_path["params/epochs"].int_value == 3
        assert by_path["params/opt"].text == "adam"
        assert by_path["sys/tags"].text == '["a", "b"]'
        assert by_path["model"].type == "file"
        loss = fields.read_series(store, first.id, "train/loss")
        assert loss is not None and list(loss.steps) == [float(i) for i in range(1000)]
        assert list(loss.values) == [1.0 / (i + 1) for i in range(1000)]
        log = fields.read_series(store, first.id, "log")
        assert log is not None and log.values == ["alpha", "beta"]
        # The upgraded store takes new runs.
        new = runs_repo.create(store, "fixture", name="after upgrade")
        assert new.short_id == "FIXT-3"
    finally:
        store.dispose()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # 0007: save retention finds a removed save's children by index.
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(checkpoints)")}
        assert "ix_checkpoints_parent" in indexes
