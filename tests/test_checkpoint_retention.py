"""Issue 17.1, save retention: autosave checkpoints are thinned by a policy (every save of the
last hour, one an hour for a day, one a day for 30 days by default), on SQLite and
PostgreSQL, with a fixed clock. Named, described, manual, run and run-linked checkpoints and
a notebook's newest one always stay; `mltrack gc` thins and frees the blobs only the thinned
saves needed; history totals and cell counts stay right."""

from __future__ import annotations

import time
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sqlalchemy import update

from jupyter_mltrack.checkpoints import retention, service, snapshot
from jupyter_mltrack.cli import main
from jupyter_mltrack.errors import InvalidInput
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Checkpoint

HOUR, DAY = 3600.0, 86400.0
# A fixed "now": 12:30 UTC on some day, so hour and day slots are easy to reason about.
DAY0 = 20000 * DAY
NOW = DAY0 + 12 * HOUR + 30 * 60
DEFAULT = retention.parse(retention.DEFAULT)


def nb(i: int) -> Any:
    return new_notebook(cells=[new_code_cell(f"x = {i}", id="cell-x")], metadata={})


def at(store: Store, checkpoint_id: str, when: float) -> None:
    """Move a checkpoint to a point of the fixed clock (the store stamps real time)."""
    with store.write() as s:
        s.execute(update(Checkpoint).where(Checkpoint.id == checkpoint_id).values(created_at=when))


def make(store: Store, when: float, i: int, trigger: str = "save", **kw: Any) -> str:
    info = service.create(store, "a.ipynb", nb(i), trigger=trigger, **kw)
    assert info is not None
    at(store, info.id, when)
    return info.id


def ids(store: Store, path: str = "a.ipynb") -> list[str]:
    return [c.id for c in repo.list_checkpoints(store, path, limit=1000)[0]]


# -- the policy ------------------------------------------------------------------------------
def test_policy_reads_its_compact_form_and_says_what_is_wrong() -> None:
    assert DEFAULT.text == "1h:all, 1d:1h, 30d:1d"
    assert retention.parse("").text == DEFAULT.text  # blank: the default
    assert retention.parse("ALL").keeps_all
    assert retention.parse(" 2h:all,1w:6h , forever:1w ").text == "2h:all, 1w:6h, forever:1w"
    assert retention.parse("90m:all").tiers[0].age == 5400
    for bad, words in [
        ("1d:1h, 1h:all", "must increase"),
        ("1h", "not AGE:EVERY"),
        ("1x:all", "not a duration"),
        ("1h:0m", "not a duration"),
        ("forever:1d, 40d:1w", "last tier"),
    ]:
        with pytest.raises(InvalidInput, match=words):
            retention.parse(bad)


def test_environment_wins_over_the_configured_policy(monkeypatch) -> None:
    assert retention.resolve("2h:all").text == "2h:all"
    monkeypatch.setenv(retention.ENV_RETENTION, "all")
    assert retention.resolve("2h:all").keeps_all


# -- thinning over a store -------------------------------------------------------------------
def test_default_policy_keeps_exactly_the_expected_saves(store: Store) -> None:
    run = runs.create(store, "credit")
    plan = [  # (when, trigger, extra, kept?)  oldest first, as they were taken
        (NOW - 40 * DAY - HOUR, "save", {"name": "named long ago"}, True),
        (NOW - 40 * DAY, "save", {}, False),  # past 30 days
        (NOW - 39 * DAY, "save", {"description": "why"}, True),
        (NOW - 2 * DAY - HOUR, "save", {}, False),  # same day as the next, older
        (NOW - 2 * DAY - 30 * 60, "manual", {}, True),
        (NOW - 2 * DAY, "save", {}, True),  # newest save of its day
        (NOW - 3 * HOUR - 10 * 60, "save", {}, False),  # 09:20, hour 9 has 09:30
        (NOW - 3 * HOUR - 5 * 60, "save", {"run_id": run.short_id}, True),  # linked
        (NOW - 3 * HOUR, "save", {}, True),  # 09:30, newest of hour 9
        (NOW - 80 * 60, "save", {}, False),  # 11:10, hour 11 has 11:20
        (NOW - 75 * 60, "run", {}, True),
        (NOW - 70 * 60, "save", {}, True),  # 11:20
        (NOW - 50 * 60, "save", {}, True),  # last hour: every save
        (NOW - 10 * 60, "save", {}, True),
    ]
    made = [
        (make(store, when, i, trigger, **kw), kept)
        for i, (when, trigger, kw, kept) in enumerate(plan)
    ]
    dry = retention.thin(store, DEFAULT, now=NOW, dry_run=True)
    assert (dry.removed, dry.dry_run) == (4, True) and len(ids(store)) == len(plan)

    done = retention.thin(store, DEFAULT, now=NOW)
    assert (done.removed, done.notebooks) == (4, 1)
    expected = [cid for cid, kept in made if kept]
    assert ids(store) == list(reversed(expected))
    # Again at the same moment: nothing more to do (thinning is idempotent).
    assert retention.thin(store, DEFAULT, now=NOW).removed == 0
    # The history is still one line, and the totals the database keeps match the rows.
    line = repo.list_checkpoints(store, "a.ipynb", limit=1000)[0]
    assert [c.parent_id for c in line] == [c.id for c in line[1:]] + [None]
    assert repo.list_checkpoints(store, "a.ipynb", limit=1)[1] == len(expected)
    assert repo.list_checkpoints(store, "a.ipynb", trigger="save", limit=1)[1] == len(
        [1 for (_w, t, _k, kept) in plan if kept and t == "save"]
    )
    # A run still reaches its checkpoint.
    assert service.checkpoint_of_run(store, run.short_id) is not None


def test_time_moves_saves_into_coarser_tiers(store: Store) -> None:
    # Four saves in the last hour: all kept. A day later three of them share an hour (one
    # stays); 31 days later none is kept but the notebook's newest checkpoint, its last state.
    made = [make(store, NOW - m * 60, i) for i, m in enumerate([55, 40, 20, 5])]
    assert retention.thin(store, DEFAULT, now=NOW).removed == 0
    assert retention.thin(store, DEFAULT, now=NOW + DAY - HOUR).removed == 2
    assert ids(store) == [made[3], made[1]]  # 12:25 (hour 12) and 11:50 (hour 11)
    assert retention.thin(store, DEFAULT, now=NOW + 31 * DAY).removed == 1
    assert ids(store) == [made[3]]


def test_keep_all_and_a_custom_policy(store: Store) -> None:
    for i, m in enumerate([300, 200, 180, 1]):
        make(store, NOW - m * 60, i)
    assert retention.thin(store, retention.parse("all"), now=NOW + 99 * DAY).removed == 0
    # One save per 2-hour slot (08:00-10:00 holds 09:10 and 09:30), nothing expires.
    assert retention.thin(store, retention.parse("forever:2h"), now=NOW).removed == 1
    assert len(ids(store)) == 3


def test_cell_counts_follow_the_new_parent(store: Store) -> None:
    a = make(store, NOW - 3 * HOUR - 20 * 60, 1, name="a")
    make(store, NOW - 3 * HOUR - 10 * 60, 2)  # thinned: the next follows `a`
    c_nb = new_notebook(
        cells=[new_code_cell("x = 3", id="cell-x"), new_code_cell("y", id="cell-y")], metadata={}
    )
    c = service.create(store, "a.ipynb", c_nb, trigger="save")
    assert c is not None
    at(store, c.id, NOW - 3 * HOUR)
    make(store, NOW, 9)  # the head
    assert retention.thin(store, DEFAULT, now=NOW).removed == 1
    entry = repo.get(store, c.id)
    assert entry.parent_id == a
    assert (entry.cells_added, entry.cells_removed, entry.cells_modified) == (1, 0, 1)


def test_a_save_thins_its_notebook_as_it_arrives(store: Store) -> None:
    # Two saves in one hour slot 2-3 hours back, another notebook's old save: the arriving
    # save of a.ipynb thins a.ipynb only (real clock: slots chosen whatever the time is).
    hour = (time.time() // HOUR) * HOUR - 2 * HOUR
    first = make(store, hour + 60, 1)
    second = make(store, hour + 120, 2)
    other = service.create(store, "b.ipynb", nb(1), trigger="save")
    other2 = service.create(store, "b.ipynb", nb(2), trigger="save")
    assert other and other2
    at(store, other.id, hour + 60)
    at(store, other2.id, hour + 120)
    new = service.create(store, "a.ipynb", nb(3), trigger="save", retention=DEFAULT)
    assert new is not None
    assert ids(store) == [new.id, second] and first not in ids(store)
    assert len(ids(store, "b.ipynb")) == 2
    # Without a policy (the Python API, the kernel), nothing is thinned.
    make(store, hour + 180, 4)
    service.create(store, "a.ipynb", nb(5), trigger="save")
    assert len(ids(store)) == 4


def test_gc_thins_and_frees_the_blobs_only_thinned_saves_needed(
    store: Store, tmp_path, capsys
) -> None:
    now = time.time()  # `mltrack gc` thins at the real time
    made = [make(store, now - 40 * DAY + i * 60, i) for i in range(3)]  # 40 days old
    kept = make(store, now - 10 * 60, 99)
    chunks = {
        cid: {
            c
            for c, _n in snapshot.MANIFESTS.get(
                store.blobs, repo.get(store, cid).manifest_sha
            ).chunks
        }
        for cid in [*made, kept]
    }
    args = ["--store", store.config.url, "--blobs", str(store.blobs.root), "gc"]
    # The first three expire; the newest is the notebook's head (and younger than an hour).
    assert main([*args, "--dry-run", "--grace", "0"]) == 0
    out = capsys.readouterr().out
    assert "would remove 3 save checkpoints of 1 notebooks" in out
    assert len(ids(store)) == 4
    assert main([*args, "--grace", "0", "--save-retention", "bogus"]) == 1
    assert "not AGE:EVERY" in capsys.readouterr().err
    assert main([*args, "--grace", "0"]) == 0
    assert "removed 3 save checkpoints" in capsys.readouterr().out
    assert ids(store) == [kept]
    left = set(store.blobs.all_shas())
    for cid in made:
        assert not (chunks[cid] & left), "a thinned save's own chunks are freed"
    assert chunks[kept] <= left
    snapshot.clear_caches()
    assert service.get(store, kept)["content"] == nb(99)
    assert repo.list_checkpoints(store, "a.ipynb", limit=1)[1] == 1


def test_gc_keeps_every_save_when_told(store: Store, capsys, monkeypatch) -> None:
    for i in range(3):
        make(store, time.time() - 40 * DAY + i * 60, i)
    args = ["--store", store.config.url, "--blobs", str(store.blobs.root), "gc"]
    monkeypatch.setenv(retention.ENV_RETENTION, "all")
    assert main(args) == 0
    assert "removed 0 save checkpoints" in capsys.readouterr().out
    assert len(ids(store)) == 3


# -- configuration ---------------------------------------------------------------------------
def test_the_server_setting_is_checked_with_a_clear_error() -> None:
    from traitlets import TraitError
    from traitlets.config import Config

    from jupyter_mltrack.server.config import MLTrack

    c = Config()
    c.MLTrack.save_retention = "1d:1h, 1h:all"
    with pytest.raises(TraitError, match=r"c.MLTrack.save_retention: .*ages must increase"):
        MLTrack(config=c)
    c.MLTrack.save_retention = "2h:all, forever:1d"
    assert MLTrack(config=c).save_policy.text == "2h:all, forever:1d"


async def test_health_shows_the_policy_in_force(jp_fetch, monkeypatch) -> None:
    import json

    r = await jp_fetch("mltrack", "api", "health")
    assert json.loads(r.body)["save_retention"] == retention.DEFAULT
    monkeypatch.setenv(retention.ENV_RETENTION, "all")
    r = await jp_fetch("mltrack", "api", "health")
    assert json.loads(r.body)["save_retention"] == "all"


async def test_a_save_in_jupyterlab_thins_its_notebook(jp_fetch) -> None:
    import asyncio
    import json

    from jupyter_mltrack.store.engine import open_store

    st = open_store(cached=False)  # the server's store (MLTRACK_STORE)
    try:
        hour = (time.time() // HOUR) * HOUR - 2 * HOUR
        first = make(st, hour + 60, 1)
        second = make(st, hour + 120, 2)  # the same hour slot: `first` goes
        model = {"type": "notebook", "format": "json", "content": nb(3)}
        await jp_fetch("api", "contents", "a.ipynb", method="PUT", body=json.dumps(model))
        for _ in range(200):  # the save listener runs after the save returns
            if first not in ids(st):
                break
            await asyncio.sleep(0.05)
        listed = repo.list_checkpoints(st, "a.ipynb")[0]
        assert [c.id for c in listed[1:]] == [second]
        assert listed[0].trigger == "save"
    finally:
        st.dispose()


def test_a_save_is_recorded_even_when_thinning_fails(store: Store, monkeypatch, caplog) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("lock lost")

    monkeypatch.setattr(retention, "thin", broken)
    made = service.create(store, "a.ipynb", nb(1), trigger="save", retention=DEFAULT)
    assert made is not None and ids(store) == [made.id]
    assert "not thinned this time: lock lost" in caplog.text
