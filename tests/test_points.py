"""Appending points set-wise (store/points.py): a flush of any number of series costs the same
few statements, chunks stay dense whatever the number of series, and evenly spaced integer
steps are stored as nothing yet read back exactly - on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from jupyter_mltrack.store import encoding, fields, points, runs
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.models import Field, SeriesChunk


def _floats(path: str, steps: list[float], start: float = 0.0) -> encoding.SeriesAppend:
    vals = array("d", [start + i for i in range(len(steps))])
    return encoding.float_append(path, array("d", steps), vals, array("d", [1.7e9] * len(steps)))


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def _append(store: Store, run_id: int, batches: list[encoding.SeriesAppend]) -> None:
    with store.write() as s:
        points.append(s, run_id, batches)


def _chunk_rows(store: Store, run_id: int) -> list[tuple[str, int, bytes]]:
    with store.read() as s:
        return [
            (path, count, bytes(steps))
            for path, count, steps in s.execute(
                select(Field.path, SeriesChunk.count, SeriesChunk.steps)
                .join(Field, Field.id == SeriesChunk.field_id)
                .where(Field.run_id == run_id)
                .order_by(Field.path, SeriesChunk.seq)
            )
        ]


def test_a_flush_costs_the_same_statements_at_ten_or_a_thousand_series(store: Store) -> None:
    """The writer used to run two statements per series per flush (an upsert with RETURNING
    and a read-modify-write of the last chunk): 10,000 series took seconds."""
    run = runs.create(store, "p")
    counts = {}
    for n in (10, 300):
        for flush in range(3):  # the later flushes merge into the chunks before them
            batch = [
                _floats(f"s{n}/{j}", [float(flush * 5 + i) for i in range(5)]) for j in range(n)
            ]
            with _statements(store) as seen:
                _append(store, run.id, batch)
            counts[(n, flush)] = len([s for s in seen if not s.startswith(("BEGIN", "COMMIT"))])
    for flush in range(3):
        assert counts[(300, flush)] == counts[(10, flush)], counts
    assert max(counts.values()) <= 6  # SQLite splits reads in statements of 400 ids
    data = fields.read_series(store, run.id, "s300/299")
    assert data is not None and list(data.steps) == [float(i) for i in range(15)]
    assert list(data.values) == [0.0, 1.0, 2.0, 3.0, 4.0] * 3


def test_chunks_stay_dense_at_many_series(store: Store) -> None:
    """Each flush's few points per series join the chunks before them (binary counter): a
    series of many small flushes ends in log2(points) chunks, not one per flush."""
    run = runs.create(store, "p")
    for flush in range(16):
        _append(
            store,
            run.id,
            [_floats(f"m/{j}", [float(flush * 3 + i) for i in range(3)]) for j in range(200)],
        )
    rows = _chunk_rows(store, run.id)
    per_series: dict[str, list[int]] = {}
    for path, count, _steps in rows:
        per_series.setdefault(path, []).append(count)
    assert len(per_series) == 200
    assert all(counts == [48] for counts in per_series.values()), per_series["m/0"]
    f = fields.get_field(store, run.id, "m/7")
    assert f is not None and (f.count, f.last_step, f.min, f.max) == (48, 47.0, 0.0, 2.0)


def test_integer_progressions_store_no_steps_and_everything_reads_back_exactly(
    store: Store,
) -> None:
    run = runs.create(store, "p")
    cases = {
        "ones": [float(i) for i in range(100)],
        "strided": [float(10 * i + 5) for i in range(100)],
        "negative": [float(i - 50) for i in range(100)],
        "same": [7.0] * 100,
        "one": [3.0],
        "fraction": [0.1 * i for i in range(100)],  # not integers: kept
        "gap": [float(i) for i in range(50)] + [float(i) for i in range(60, 110)],
        "huge": [2.0**53 + 2 * i for i in range(10)],  # past exact integers: kept
    }
    _append(store, run.id, [_floats(p, steps) for p, steps in cases.items()])
    stored = {path: steps for path, _count, steps in _chunk_rows(store, run.id)}
    assert {p for p, steps in stored.items() if not steps} == {
        "ones",
        "strided",
        "negative",
        "same",
        "one",
    }
    for path, steps in cases.items():
        for as_numpy in (False, True):
            data = fields.read_series(store, run.id, path, as_numpy=as_numpy)
            assert data is not None and list(data.steps) == steps, (path, as_numpy)


def test_merges_keep_progressions_implicit_and_others_exact(store: Store) -> None:
    run = runs.create(store, "p")
    _append(store, run.id, [_floats("a", [0.0, 1.0]), _floats("b", [0.0, 1.0])])
    # a continues the progression; b jumps: the merged chunk must keep b's steps.
    _append(store, run.id, [_floats("a", [2.0, 3.0]), _floats("b", [5.0, 6.0])])
    rows = _chunk_rows(store, run.id)
    assert rows == [("a", 4, b""), ("b", 4, encoding.pack(array("d", [0, 1, 5, 6])))]
    b = fields.read_series(store, run.id, "b")
    assert b is not None and list(b.steps) == [0.0, 1.0, 5.0, 6.0]
    assert list(b.values) == [0.0, 1.0, 0.0, 1.0]


def test_big_batches_are_cut_and_string_series_merge(store: Store) -> None:
    run = runs.create(store, "p")
    n = points.MAX_CHUNK * 2 + 5
    steps = array("d", range(n))
    texts = [f"line {i}" for i in range(n)]
    _append(
        store,
        run.id,
        [
            encoding.float_append("big", steps, array("d", steps), steps),
            encoding.json_append("log", "string_series", steps, texts, steps),
        ],
    )
    for i, word in enumerate(("é", "ü")):  # two single points: they merge, as JSON
        one = encoding.json_append("log", "string_series", array("d", [n + i]), [word], steps[:1])
        _append(store, run.id, [one])
    counts = [(p, c) for p, c, _s in _chunk_rows(store, run.id)]
    cut = [points.MAX_CHUNK] * 2
    assert counts == [("big", c) for c in [*cut, 5]] + [("log", c) for c in [*cut, 5, 2]]
    big = fields.read_series(store, run.id, "big", as_numpy=True)
    assert big is not None and big.values.tolist() == list(steps)
    log = fields.read_series(store, run.id, "log")
    assert log is not None and log.values == [*texts, "é", "ü"]
    assert list(log.steps) == [float(i) for i in range(n + 2)]
    f = fields.get_field(store, run.id, "log")
    assert f is not None and (f.count, f.value) == (n + 2, "ü")
    with store.read() as s:
        last = s.scalar(
            select(SeriesChunk.values).order_by(SeriesChunk.field_id.desc(), SeriesChunk.seq.desc())
        )
    assert json.loads(last) == ["é", "ü"]


def test_a_type_conflict_among_many_series_writes_nothing(store: Store) -> None:
    run = runs.create(store, "p")
    with store.write() as s:
        fields.upsert_scalars(s, run.id, [encoding.ScalarWrite("x/5", "string", text="t")])
    with pytest.raises(points.TypeConflict, match="x/5 is a string field"):
        _append(store, run.id, [_floats(f"x/{j}", [0.0, 1.0]) for j in range(10)])
    assert fields.read_series(store, run.id, "x/1") is None
    assert fields.get_field(store, run.id, "x/5").value == "t"  # type: ignore[union-attr]


def test_postgresql_compresses_chunks_with_lz4(pg_url: str, tmp_path: Path) -> None:
    """pglz, PostgreSQL's default, made a 1M-point flush of 100 series wait ~3x longer."""
    import psycopg

    with psycopg.connect(pg_url) as probe:
        try:
            probe.execute("SET default_toast_compression = 'lz4'")
        except psycopg.Error:
            pytest.skip("this PostgreSQL server has no lz4 (before 14, or built without it)")
    store = open_store(StoreConfig(pg_url, tmp_path / "blobs"), cached=False)
    try:
        run = runs.create(store, "p")
        n = 4096
        steps = array("d", [i * 0.5 for i in range(n)])  # not integers: stored, compressible
        _append(store, run.id, [encoding.float_append("x", steps, steps, steps)])
        with store.read() as s:
            how = s.execute(
                text(
                    "SELECT pg_column_compression(steps), pg_column_compression(timestamps) "
                    "FROM series_chunks"
                )
            ).one()
        assert tuple(how) == ("lz4", "lz4")
    finally:
        store.dispose()


def test_postgresql_extends_progressions_in_place_and_reads_back_only_the_others(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging a float progression used to read its stored chunks back and write them again
    (half of a merging flush of 10,000 series): the server now appends to the stored chunk.
    A jump in the steps and a string series still take the read-and-rewrite path."""
    from jupyter_mltrack.store import points_sql

    read: list[int] = []
    real = points_sql.PostgresStatements.chunks

    def spy(self: points_sql.PostgresStatements, ids: list[int]) -> object:
        read.extend(ids)
        return real(self, ids)

    monkeypatch.setattr(points_sql.PostgresStatements, "chunks", spy)
    store = open_store(StoreConfig(pg_url, tmp_path / "blobs"), cached=False)

    def chunk_ids(path: str) -> set[int]:
        with store.read() as s:
            return set(
                s.scalars(
                    select(SeriesChunk.id)
                    .join(Field, Field.id == SeriesChunk.field_id)
                    .where(Field.path == path)
                )
            )

    try:
        run = runs.create(store, "p")
        a_ids: set[int] = set()  # every chunk p/a ever had
        sizes = [4, 2, 1, 1, 3]  # the fourth flush folds 4 + 2 + 1 + 1 into one chunk
        at = 0
        for flush, n in enumerate(sizes):
            steps = [float(at + i) for i in range(n)]
            jump = [float(100 * flush + i) for i in range(n)]
            one = array("d", [float(at)])
            _append(
                store,
                run.id,
                [
                    _floats("p/a", steps, start=at),
                    _floats("p/jump", jump, start=at),
                    encoding.json_append("p/log", "string_series", one, [f"w{flush}"], one),
                ],
            )
            at += n
            a_ids |= chunk_ids("p/a")
        rows = [(p, c, s == b"") for p, c, s in _chunk_rows(store, run.id)]
        assert [r for r in rows if r[0] == "p/a"] == [("p/a", 8, True), ("p/a", 3, True)]
        assert [c for p, c, _ in rows if p == "p/jump"] == [8, 3]
        assert read and not a_ids & set(read)  # the others were read; p/a's never
        for path in ("p/a", "p/jump"):
            data = fields.read_series(store, run.id, path)
            assert data is not None and list(data.values) == [float(i) for i in range(11)]
            assert list(data.timestamps) == [1.7e9] * 11
        a = fields.read_series(store, run.id, "p/a")
        assert a is not None and list(a.steps) == [float(i) for i in range(11)]
        log = fields.read_series(store, run.id, "p/log")
        assert log is not None and log.values == [f"w{i}" for i in range(5)]
    finally:
        store.dispose()
