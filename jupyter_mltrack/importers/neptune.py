"""`mltrack import neptune`: the runs of a neptune-exporter export, into a store.

The export's layout is `<data>/<project_id>/[<scope>/]<run_id>_part_<N>.parquet` (file names
are the exporter's sanitised ids; the real ids are in the rows), with the files of file
attributes under a separate files folder. A run is complete when its `part_0` exists: a run
without one is reported and left for the next import.

Each part file is one piece of its run (`store.imports.write_piece`): written in one
transaction and marked done in the run's `neptune/import/parts`, so importing the same
export again writes nothing, and an interrupted import (Ctrl-C, a full disk) goes on with the
parts it had not written. The run is found again by its Neptune id, which is its
`custom_run_id` (`init_run(with_id="CLS-7")`, `sys/custom_run_id = "CLS-7"` in a query).

A part that cannot be read (truncated, not Parquet, another schema) is reported and the rest
of the export is imported; fixed, it is imported by the next run of the command.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..store import imports, names, runs
from .report import ImportReport, Progress, no_progress

if TYPE_CHECKING:
    import pyarrow as pa

    from ..store.engine import Store
    from ..store.entities import RunInfo
    from .neptune_part import Context, Part

DONE_PATH = "neptune/import/parts"
# neptune-exporter's schema (all columns nullable), which every part is read with.
COLUMNS = (
    "project_id",
    "run_id",
    "attribute_path",
    "attribute_type",
    "step",
    "timestamp",
    "int_value",
    "float_value",
    "string_value",
    "bool_value",
    "datetime_value",
    "string_set_value",
    "file_value",
    "histogram_value",
)


def schema() -> pa.Schema:
    import pyarrow as pa

    ts = pa.timestamp("ms", tz="UTC")
    return pa.schema(
        [
            ("project_id", pa.string()),
            ("run_id", pa.string()),
            ("attribute_path", pa.string()),
            ("attribute_type", pa.string()),
            ("step", pa.decimal128(18, 6)),
            ("timestamp", ts),
            ("int_value", pa.int64()),
            ("float_value", pa.float64()),
            ("string_value", pa.string()),
            ("bool_value", pa.bool_()),
            ("datetime_value", ts),
            ("string_set_value", pa.list_(pa.string())),
            ("file_value", pa.struct([("path", pa.string())])),
            (
                "histogram_value",
                pa.struct(
                    [
                        ("type", pa.string()),
                        ("edges", pa.list_(pa.float64())),
                        ("values", pa.list_(pa.float64())),
                    ]
                ),
            ),
        ]
    )


@dataclass
class RunFiles:
    """The part files of one exported run, part_0 first."""

    label: str  # "<project dir>/[<scope>/]<file prefix>" for messages
    parts: list[Path]

    def piece(self, part: Path) -> str:
        return part.name


def _part_number(path: Path) -> int | None:
    prefix, sep, number = path.stem.rpartition("_part_")
    return int(number) if sep and prefix and number.isdigit() else None


def discover(data: Path, report: ImportReport) -> list[RunFiles]:
    """Every run of the export, in a stable order; incomplete ones are reported."""
    if not data.is_dir():
        raise InvalidInput(f"{data} is not a folder (give neptune-exporter's data path)")
    by_run: dict[tuple[Path, str], list[tuple[int, Path]]] = defaultdict(list)
    for project_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        if project_dir.name.startswith("."):
            continue
        scopes = (p for p in project_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        folders = [project_dir, *sorted(scopes)]
        for folder in folders:
            for f in sorted(folder.glob("*_part_*.parquet")):
                n = _part_number(f)
                if n is not None:
                    by_run[(folder, f.stem.rpartition("_part_")[0])].append((n, f))
    out = []
    for (folder, prefix), parts in sorted(by_run.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        label = f"{folder.relative_to(data).as_posix()}/{prefix}"
        parts.sort()
        if parts[0][0] != 0:
            report.skip(label, "incomplete export: no part_0 (export it again, then re-import)")
            continue
        out.append(RunFiles(label, [p for _, p in parts]))
    if not by_run:
        report.notes.append(f"no *_part_N.parquet files under {data}")
    return out


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:
        return 0


# Repeated strings, read as dictionaries: Parquet stores them so, and decoding them to
# plain strings was a third of the time an import spent reading.
DICTIONARY_COLUMNS = ("project_id", "run_id", "attribute_path", "attribute_type")


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A part file's table in neptune-exporter's schema: a missing column is all null, a
    column of another (castable) type is cast; anything else raises (the part is reported)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path, read_dictionary=DICTIONARY_COLUMNS)
    if columns is not None:  # the first row group is enough (the ids of the run)
        table = f.read_row_group(0, columns=columns) if f.num_row_groups else f.read(columns)
    else:
        table = f.read()
    out = {}
    for field in schema():
        if columns is not None and field.name not in columns:
            continue
        if field.name not in table.column_names:
            out[field.name] = pa.nulls(table.num_rows, field.type)
            continue
        col = table[field.name]
        if col.type != field.type and not (
            pa.types.is_dictionary(col.type) and col.type.value_type == field.type
        ):
            col = col.cast(field.type)
        out[field.name] = col
    return pa.table(out)


def _identity(path: Path) -> tuple[str | None, str | None]:
    """(project_id, run_id) from a part's first rows, reading only those two columns."""
    import pyarrow.compute as pc

    table = read_part(path, ["project_id", "run_id"])
    ids = []
    for name in ("project_id", "run_id"):
        col = pc.drop_null(table[name])
        ids.append(col[0].as_py() if len(col) else None)
    return ids[0], ids[1]


class NeptuneImport:
    """One import of an export into a store (see the module doc)."""

    def __init__(
        self,
        store: Store,
        data: Path,
        *,
        files: Path | None = None,
        project: str | None = None,
        step_multiplier: float = 1.0,
        progress: Progress = no_progress,
    ) -> None:
        if step_multiplier <= 0:
            raise InvalidInput(f"--step-multiplier must be positive, not {step_multiplier}")
        self.store = store
        self.data = data
        # neptune-exporter writes exports/data and exports/files side by side by default.
        sibling = data.parent / "files"
        self.files = files if files is not None else (sibling if sibling.is_dir() else None)
        self.project = names.normalize_name(project) if project else None
        self.step_multiplier = step_multiplier
        self.progress = progress
        self.report = ImportReport()
        self._done_rows = 0
        self._total_rows = 0
        self._reader = _ReadAhead()

    def run(self) -> ImportReport:
        start = time.perf_counter()
        runs = discover(self.data, self.report)
        sizes = {p: _rows(p) for r in runs for p in r.parts}
        self._total_rows = sum(sizes.values())
        self.progress(0, self._total_rows)
        inexact = 0
        try:
            for i, r in enumerate(runs):
                after = runs[i + 1].parts[0] if i + 1 < len(runs) else None
                inexact += self._import_run(r, sizes, after)
        finally:
            self._reader.close()
        if inexact:
            self.report.notes.append(
                f"{inexact:,} point(s) had a step of 10^9 or more with a fraction: kept to "
                "float64's precision (about 16 significant digits), not to the 6th decimal"
            )
        self.report.seconds = time.perf_counter() - start
        self.progress(self._total_rows, self._total_rows)
        return self.report

    def _advance(self, rows: int) -> None:
        self._done_rows += rows
        self.progress(self._done_rows, self._total_rows)

    def _import_run(self, r: RunFiles, sizes: dict[Path, int], after: Path | None) -> int:
        """Import the parts of one run not written before; the count of inexact steps.
        `after` is the next run's part_0, read ahead while this run's last part is written."""
        from .neptune_part import Context

        try:
            project_id, run_id = _identity(r.parts[0])
        except Exception as e:
            self.report.skip(f"{r.label}_part_0.parquet", f"cannot be read: {_why(e)}")
            self._advance(sum(sizes[p] for p in r.parts))
            return 0
        if not run_id:
            self.report.skip(r.label, "part_0 names no run_id")
            self._advance(sum(sizes[p] for p in r.parts))
            return 0
        project = self.project or names.normalize_name(project_id)
        info = imports.find_run(self.store, project, run_id)
        done = imports.pieces_done(self.store, info.id, DONE_PATH) if info else set()
        todo = [p for p in r.parts if r.piece(p) not in done]
        if not todo:
            self.report.runs_unchanged += 1
            self._advance(sum(sizes[p] for p in r.parts))
            return 0
        was_there = info is not None
        ctx = Context(self.store.blobs, self.files, self.step_multiplier)
        inexact = 0
        # When the run was last seen: its end here, the latest of every part's evidence.
        end = info.ended_at if info is not None else None
        for path in r.parts:
            if path not in todo:
                self._advance(sizes[path])
                continue
            later = todo[todo.index(path) + 1 :]
            self._reader.ahead(later[0] if later else after)
            part = self._read(r, path, ctx, info)
            if part is None:
                continue
            if part.run_id not in (None, run_id):
                self.report.skip(path.name, f"holds run {part.run_id!r}, not {run_id!r}")
                self._advance(sizes[path])
                continue
            target: int | imports.NewRun = (
                imports.NewRun(project, run_id) if info is None else info.id
            )
            written, end = self._write(target, r, path, part, project_id, end)
            if info is None:
                info = runs.get(self.store, written)
            inexact += part.inexact_steps
            self._advance(sizes[path])
        if info is not None:
            if was_there:
                self.report.runs_resumed += 1
            else:
                self.report.runs_created += 1
            self.report.runs.append(f"{project_id or project}/{run_id} -> {info.short_id}")
        return inexact

    def _read(self, r: RunFiles, path: Path, ctx: Context, info: RunInfo | None) -> Part | None:
        from .neptune_part import decode

        if info is not None:
            ctx.default_time = info.created_at
        try:
            part = decode(self._reader.get(path), ctx)
        except Exception as e:
            self.report.skip(path.name, f"cannot be read: {_why(e)}")
            self._advance(_rows(path))
            return None
        for where, reason in part.skipped:
            self.report.skip(f"{r.label}: {where}", reason)
        return part

    def _write(
        self,
        target: int | imports.NewRun,
        r: RunFiles,
        path: Path,
        part: Part,
        project_id: str | None,
        end: float | None,
    ) -> tuple[int, float | None]:
        """Write one part; returns the run's id and its end so far."""
        from ..store.encoding import ScalarWrite

        ends = [*part.end_candidates, end, part.last_seen, part.columns.get("created_at")]
        values = dict(part.columns)
        known = [e for e in ends if e is not None]
        if known:
            values["ended_at"] = max(known)
        if "failed" in values:
            values["state"] = "failed" if values["failed"] else "finished"
        scalars = list(part.scalars)
        if project_id and path == r.parts[0]:
            scalars.append(ScalarWrite("neptune/project_id", "string", text=project_id))
        run_id = imports.write_piece(
            self.store,
            target,
            piece=r.piece(path),
            done_path=DONE_PATH,
            columns=imports.RunColumns(**values),
            blobs=part.blobs,
            scalars=scalars,
            series=part.series,
        )
        self.report.pieces += 1
        self.report.points += part.points
        self.report.fields += len(scalars)
        self.report.files += part.files
        return run_id, values.get("ended_at", end)


class _ReadAhead:
    """Reads the next part file in a thread while the current one is decoded and written
    (pyarrow and SQLite both release the GIL): reading was a third of an import's time."""

    def __init__(self) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="mltrack-import-read")
        self._pending: dict[Path, Future[pa.Table]] = {}

    def ahead(self, path: Path | None) -> None:
        if path is not None and path not in self._pending:
            self._pending[path] = self._pool.submit(read_part, path)

    def get(self, path: Path) -> pa.Table:
        """The table of `path` (raising what reading it raised)."""
        future = self._pending.pop(path, None)
        return future.result() if future is not None else read_part(path)

    def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)


def _why(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]
