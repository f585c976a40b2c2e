"""Copying one run from a store into another (`mltrack sync` uploads an offline spool this
way): its blobs, fields, series points and the checkpoints it is linked to, in one write
transaction on the target (blobs first: content-addressed, harmless if that fails)."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import encoding, fields, points, upsert
from .engine import Store
from .models import Checkpoint, CheckpointRun, Notebook

_CHUNK_POINTS = 100_000  # points per appended batch, as the writer thread would send them


def copy_run(source: Store, target: Store, source_run_id: int, target_run_id: int) -> None:
    """Add run `source_run_id` of `source` to run `target_run_id` of `target`: scalars are
    set, series points appended, checkpoints the target lacks added (by id) and linked."""
    blob_rows = []
    for sha in source.blobs.all_shas():
        data = source.blobs.get(sha)
        target.blobs.put(data, sha)
        blob_rows.append((sha, len(data), "application/octet-stream"))
    scalars: list[encoding.ScalarWrite] = []
    series: list[encoding.SeriesAppend] = []
    for f in fields.list_fields(source, source_run_id):
        if f.type not in fields.SERIES_TYPES:
            scalars.append(encoding.ScalarWrite(f.path, f.type, f.num, f.int_value, f.text))
            continue
        got = fields.read_series(source, source_run_id, f.path)
        if got is None or not len(got):
            continue
        for i in range(0, len(got), _CHUNK_POINTS):
            j = i + _CHUNK_POINTS
            steps, values, stamps = got.steps[i:j], got.values[i:j], got.timestamps[i:j]
            if f.type == "float_series":
                series.append(encoding.float_append(f.path, steps, values, stamps))
            else:
                series.append(encoding.json_append(f.path, f.type, steps, values, stamps))
    with target.write() as s:
        upsert.record_blobs(s, blob_rows)
        fields.upsert_scalars(s, target_run_id, scalars)
        points.append(s, target_run_id, series)
        _copy_checkpoint_links(source, s, source_run_id, target_run_id)


def _copy_checkpoint_links(source: Store, s: Session, source_run_id: int, run_id: int) -> None:
    """The checkpoints run `source_run_id` is linked to (taken while offline), added to the
    target's history of the same notebook path, and the run's links to them."""
    with source.read() as src:
        links = [
            cid
            for (cid,) in src.execute(
                select(CheckpointRun.checkpoint_id).where(CheckpointRun.run_id == source_run_id)
            )
        ]
        cps = src.scalars(select(Checkpoint).where(Checkpoint.id.in_(links))).all()
        notebooks = {n.id: n for n in src.scalars(select(Notebook))}
    for cp in cps:
        if s.get(Checkpoint, cp.id) is None:
            nb = notebooks.get(cp.notebook_id)
            path = nb.path if nb is not None else cp.notebook_path
            target_nb = s.scalar(
                select(Notebook).where(Notebook.path == path, Notebook.deleted.is_(False))
            )
            if target_nb is None:
                now = time.time()
                target_nb = Notebook(path=path, deleted=False, created_at=now, updated_at=now)
                s.add(target_nb)
                s.flush()
            cols = {c.key: getattr(cp, c.key) for c in Checkpoint.__table__.columns}
            cols["notebook_id"] = target_nb.id
            if cols.get("parent_id") and s.get(Checkpoint, cols["parent_id"]) is None:
                cols["parent_id"] = None
            s.add(Checkpoint(**cols))
            s.flush()
    for cid in links:
        if s.get(Checkpoint, cid) is not None and s.get(CheckpointRun, (cid, run_id)) is None:
            s.add(CheckpointRun(checkpoint_id=cid, run_id=run_id))
