"""The statements `store.points` appends with, one class per backend.

They go to the driver as plain SQL with rows of tuples (`exec_driver_sql`, still under the
engine's events, so `store.text.guard` checks every text parameter): SQLAlchemy's per-row
parameter processing of ORM or Core statements was a third of a 10,000-series flush.
SQLite takes rows with `executemany`, a C loop in the same process. PostgreSQL takes each
statement once with arrays (`unnest`) and the chunks with a binary COPY, so a flush costs a
few round trips whatever its number of series, and reads bytea in binary (hexadecimal text
is twice the bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult

# Ids or (id, seq) pairs per SQLite statement: under its bound-parameter limit (999 before
# SQLite 3.32).
_PER_STATEMENT = 400

_UPSERT_SET = """
    count = fields.count + excluded.count,
    last = excluded.last,
    text = excluded.text,
    last_step = excluded.last_step,
    min = CASE WHEN excluded.min IS NULL THEN fields.min WHEN fields.min IS NULL THEN excluded.min
               WHEN excluded.min < fields.min THEN excluded.min ELSE fields.min END,
    max = CASE WHEN excluded.max IS NULL THEN fields.max WHEN fields.max IS NULL THEN excluded.max
               WHEN excluded.max > fields.max THEN excluded.max ELSE fields.max END,
    updated_at = excluded.updated_at
"""
# A series' field row: inserted, or the batch added to its aggregates unless the path holds
# another type (then nothing is updated, and `points.append` raises TypeConflict).
_UPSERT_TAIL = (
    f"ON CONFLICT (run_id, path) DO UPDATE SET {_UPSERT_SET} WHERE fields.type = excluded.type"
)
_FIELD_COLUMNS = "run_id, path, type, count, last, text, last_step, min, max, updated_at"
_CHUNK_COLUMNS = 'field_id, seq, count, first_step, last_step, steps, "values", timestamps'

# (path, type, count, last, text, last_step, min, max): one series' aggregates.
Aggregates = tuple[str, str, int, float | None, str | None, float, float | None, float | None]
# (field_id, seq, count, first_step, last_step, steps, values, timestamps): one chunk row.
ChunkRow = tuple[int, int, int, float, float, bytes, bytes, bytes]
# (field_id, id, seq, count, first_step, last_step, implicit): a stored chunk near a series'
# end (implicit: it stores no steps).
Tail = tuple[int, int, int, int, float, float, bool]
# (chunk id, series count before the flush, count, last_step, values, timestamps, absorbed
# ids): a stored chunk extended in place by the stored chunks after it (their ids; all of the
# series' chunks from it up to the flush's first new point) and new points (see `extend`).
Extension = tuple[int, int, int, float, bytes, bytes, list[int]]
_TAIL_COLUMNS = "c.field_id, c.id, c.seq, c.count, c.first_step, c.last_step, length(c.steps) = 0"


class SqliteStatements:
    # Merges read the stored chunks and write them back whole (reading is cheap in process).
    extends_in_place = False

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert(
        self, run_id: int, rows: Sequence[Aggregates], now: float
    ) -> dict[str, tuple[int, str, int]]:
        """Upsert the series' field rows; {path: (id, type, count)} of all of them."""
        self.conn.exec_driver_sql(
            f"INSERT INTO fields ({_FIELD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + _UPSERT_TAIL,
            [(run_id, *r, now) for r in rows],
        )
        out: dict[str, tuple[int, str, int]] = {}
        paths = [r[0] for r in rows]
        for part in _parts(paths):
            marks = ", ".join("?" * len(part))
            for path, fid, ftype, count in _rows(
                self.conn.exec_driver_sql(
                    "SELECT path, id, type, count FROM fields "
                    f"WHERE run_id = ? AND path IN ({marks})",
                    (run_id, *part),
                )
            ):
                out[path] = (int(fid), str(ftype), int(count))
        return out

    def tails(self, bounds: Sequence[tuple[int, int]]) -> Iterable[Tail]:
        """The chunks of each (field_id, lowest seq)."""
        for part in _parts(bounds):
            rows = ", ".join("(?, ?)" for _ in part)
            yield from _rows(
                self.conn.exec_driver_sql(
                    f"WITH b(fid, lo) AS (VALUES {rows}) "
                    f"SELECT {_TAIL_COLUMNS} FROM b "
                    "JOIN series_chunks c ON c.field_id = b.fid AND c.seq >= b.lo",
                    tuple(x for pair in part for x in pair),
                )
            )

    def chunks(self, ids: Sequence[int]) -> Iterable[tuple[Any, ...]]:
        """(id, count, first_step, last_step, steps, values, timestamps) of these chunks."""
        for part in _parts(ids):
            marks = ", ".join("?" * len(part))
            yield from self.conn.exec_driver_sql(
                'SELECT id, count, first_step, last_step, steps, "values", timestamps '
                f"FROM series_chunks WHERE id IN ({marks})",
                tuple(part),
            )

    def delete(self, ids: Sequence[int]) -> None:
        for part in _parts(ids):
            marks = ", ".join("?" * len(part))
            self.conn.exec_driver_sql(
                f"DELETE FROM series_chunks WHERE id IN ({marks})", tuple(part)
            )

    def extend(self, extensions: Sequence[Extension]) -> list[int]:  # pragma: no cover
        raise NotImplementedError  # extends_in_place is False

    def insert(self, rows: Iterable[ChunkRow]) -> None:
        listed = list(rows)
        if listed:
            self.conn.exec_driver_sql(
                f"INSERT INTO series_chunks ({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                listed,
            )


class PostgresStatements:
    # Merges of float progressions are made by the server (`extend`): the stored points are
    # neither read back nor sent again (they were half of a merging flush's time).
    extends_in_place = True

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _driver(self) -> Any:
        driver = self.conn.connection.driver_connection
        assert driver is not None
        return driver

    def upsert(
        self, run_id: int, rows: Sequence[Aggregates], now: float
    ) -> dict[str, tuple[int, str, int]]:
        cols = list(zip(*rows, strict=True))
        result = self.conn.exec_driver_sql(
            f"INSERT INTO fields ({_FIELD_COLUMNS}) "
            "SELECT %b, u.*, %b FROM unnest(%b::text[], %b::text[], %b::int8[], %b::float8[], "
            "%b::text[], %b::float8[], %b::float8[], %b::float8[]) AS u "
            + _UPSERT_TAIL
            + " RETURNING path, id, type, count",
            (run_id, now, *(list(c) for c in cols)),
        )
        out = {
            path: (int(fid), str(ftype), int(count)) for path, fid, ftype, count in _rows(result)
        }
        missing = [r[0] for r in rows if r[0] not in out]
        if missing:  # not updated: the path holds another type (the caller says so)
            for path, fid, ftype, count in self.conn.exec_driver_sql(
                "SELECT path, id, type, count FROM fields WHERE run_id = %b AND path = ANY(%b)",
                (run_id, missing),
            ):
                out[path] = (int(fid), str(ftype), int(count))
        return out

    def tails(self, bounds: Sequence[tuple[int, int]]) -> Iterable[Tail]:
        if not bounds:
            return []
        fids, los = zip(*bounds, strict=True)
        return _rows(
            self.conn.exec_driver_sql(
                f"SELECT {_TAIL_COLUMNS} "
                "FROM unnest(%b::int4[], %b::int8[]) AS b(fid, lo) "
                "JOIN series_chunks c ON c.field_id = b.fid AND c.seq >= b.lo",
                (list(fids), list(los)),
            )
        )

    def chunks(self, ids: Sequence[int]) -> Iterable[tuple[Any, ...]]:
        if not ids:
            return []
        with self._driver().cursor(binary=True) as cur:
            cur.execute(
                'SELECT id, count, first_step, last_step, steps, "values", timestamps '
                "FROM series_chunks WHERE id = ANY(%b)",
                (list(ids),),
            )
            return list(cur.fetchall())

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.conn.exec_driver_sql("DELETE FROM series_chunks WHERE id = ANY(%b)", (list(ids),))

    def extend(self, extensions: Sequence[Extension]) -> list[int]:
        """Extend each stored chunk by the chunks after it up to the flush's first new point,
        then by the new points, in one statement; returns the absorbed chunks' ids, for the
        caller to delete (after this statement read them). The result has implicit steps."""
        ids, upto, counts, lasts, values, stamps, absorbed = zip(*extensions, strict=True)
        self.conn.exec_driver_sql(
            "UPDATE series_chunks AS c SET count = u.count, last_step = u.last_step, "
            "steps = ''::bytea, (\"values\", timestamps) = ("
            'SELECT c."values" || coalesce(string_agg(x."values", \'\'::bytea ORDER BY x.seq), '
            "''::bytea) || u.v, c.timestamps || coalesce(string_agg(x.timestamps, ''::bytea "
            "ORDER BY x.seq), ''::bytea) || u.t FROM series_chunks x "
            "WHERE x.field_id = c.field_id AND x.seq > c.seq AND x.seq < u.upto) "
            "FROM unnest(%b::int4[], %b::int8[], %b::int4[], %b::float8[], %b::bytea[], "
            "%b::bytea[]) AS u(id, upto, count, last_step, v, t) WHERE c.id = u.id",
            (list(ids), list(upto), list(counts), list(lasts), list(values), list(stamps)),
        )
        return [i for ids_ in absorbed for i in ids_]

    def insert(self, rows: Iterable[ChunkRow]) -> None:
        """One binary COPY, fed while the rows are made (the server stores the first rows
        while the later ones are packed)."""
        it = iter(rows)
        first = next(it, None)
        if first is None:
            return
        with (
            self._driver().cursor() as cur,
            cur.copy(f"COPY series_chunks ({_CHUNK_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["int4", "int4", "int4", "float8", "float8", "bytea", "bytea", "bytea"])
            copy.write_row(first)
            for row in it:
                copy.write_row(row)


def statements(conn: Connection) -> SqliteStatements | PostgresStatements:
    if conn.dialect.name == "postgresql":
        return PostgresStatements(conn)
    return SqliteStatements(conn)


def _rows(result: CursorResult[Any]) -> list[tuple[Any, ...]]:
    """All rows as the driver's tuples (SQLAlchemy's Row per row costs ~10 us each)."""
    rows = list(result.cursor.fetchall())
    result.close()
    return rows


def _parts(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _PER_STATEMENT):
        yield items[i : i + _PER_STATEMENT]
