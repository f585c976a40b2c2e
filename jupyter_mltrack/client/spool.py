"""Offline runs: a local SQLite store per run, uploaded later by `mltrack sync`.

A spool is a directory `<offline root>/<uuid>/` holding a complete store (`mltrack.db` +
`blobs/`) with the one run, and `spool.json` saying where it belongs: the target store, the
project, and the run's identity — the id it resumes (`with_id`) or its custom run id
(`offline-<hex>` unless the user gave one). `sync` therefore appends to the very run it
resumed, or creates a run findable by that custom id, and carries the notebook link
(`source_code/notebook` and the checkpoint rows) along with the fields and points.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput
from ..store import encoding, fields, runs, upsert
from ..store.config import StoreConfig, default_root, resolve
from ..store.engine import Store, open_store
from ..store.entities import RunInfo
from ..store.models import Checkpoint, CheckpointRun, Notebook

ENV_OFFLINE = "MLTRACK_OFFLINE_DIR"
_CHUNK_POINTS = 100_000


def offline_root() -> Path:
    env = os.environ.get(ENV_OFFLINE)
    return Path(env).expanduser() if env else default_root() / "offline"


@dataclass(frozen=True)
class Spool:
    path: Path
    meta: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.meta.get("with_id") or self.meta.get("custom_run_id") or self.path.name)


def create(
    target: StoreConfig | None,
    *,
    project: str | None,
    with_id: str | None,
    custom_run_id: str | None,
) -> tuple[Store, Spool]:
    """A fresh spool store for one run."""
    path = offline_root() / uuid.uuid4().hex
    path.mkdir(parents=True)
    custom = custom_run_id or (None if with_id else f"offline-{uuid.uuid4().hex[:12]}")
    meta = {
        "target_url": target.url if target else None,
        "target_blobs": str(target.blob_root) if target else None,
        "project": project,
        "with_id": with_id,
        "custom_run_id": custom,
        "created_at": time.time(),
        "pid": os.getpid(),
    }
    (path / "spool.json").write_text(json.dumps(meta, indent=1))
    store = open_store(
        StoreConfig(f"sqlite:///{path / 'mltrack.db'}", path / "blobs"), cached=False
    )
    return store, Spool(path, meta)


def list_spools(root: Path | None = None) -> list[Spool]:
    root = root or offline_root()
    out = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            meta_file = d / "spool.json"
            if meta_file.is_file():
                with contextlib.suppress(ValueError, OSError):
                    out.append(Spool(d, json.loads(meta_file.read_text())))
    return out


def sync(spool: Spool, target: Store | None = None) -> RunInfo:
    """Upload one spool into its target store (or `target`), then remove the spool."""
    if spool.meta.get("synced_to"):
        # Committed earlier but not yet removed (the process died in between).
        shutil.rmtree(spool.path, ignore_errors=True)
        raise InvalidInput(f"{spool.path} was already synced as {spool.meta['synced_to']}")
    if target is None:
        cfg = resolve(spool.meta.get("target_url"), spool.meta.get("target_blobs"))
        target = open_store(cfg)
    source = open_store(
        StoreConfig(f"sqlite:///{spool.path / 'mltrack.db'}", spool.path / "blobs"),
        cached=False,
    )
    try:
        local = runs.list_runs(source, None, limit=1)
        if not local:
            raise InvalidInput(f"{spool.path} holds no run")
        run = _target_run(target, spool, local[0])
        _copy(source, target, local[0], run)
    finally:
        source.dispose()
    spool.meta["synced_to"] = run.short_id
    with contextlib.suppress(OSError):
        (spool.path / "spool.json").write_text(json.dumps(spool.meta, indent=1))
    shutil.rmtree(spool.path, ignore_errors=True)
    return runs.get(target, run.id)


def _target_run(target: Store, spool: Spool, local: RunInfo) -> RunInfo:
    with_id = spool.meta.get("with_id")
    if with_id:
        return runs.get(target, with_id)
    custom = spool.meta.get("custom_run_id")
    project = spool.meta.get("project")
    if custom:
        found = runs.find_custom(target, project, custom)
        if found is not None:
            return found
    return runs.create(
        target,
        project,
        name=local.name,
        description=local.description,
        owner=local.owner,
        hostname=local.hostname,
        custom_run_id=custom,
        notebook_path=local.notebook_path,
        created_at=local.created_at,  # when it ran offline, not when it was synced
    )


def _copy(source: Store, target: Store, local: RunInfo, run: RunInfo) -> None:
    # Blobs first (content-addressed, harmless if the transaction below fails).
    blob_rows = []
    for sha in source.blobs.all_shas():
        data = source.blobs.get(sha)
        target.blobs.put(data, sha)
        blob_rows.append((sha, len(data), "application/octet-stream"))
    scalars: list[encoding.ScalarWrite] = []
    series: list[encoding.SeriesAppend] = []
    for f in fields.list_fields(source, local.id):
        if f.type in fields.SERIES_TYPES:
            points = fields.read_series(source, local.id, f.path)
            if points is None or not len(points):
                continue
            for i in range(0, len(points), _CHUNK_POINTS):
                j = i + _CHUNK_POINTS
                if f.type == "float_series":
                    series.append(
                        encoding.float_append(
                            f.path, points.steps[i:j], points.values[i:j], points.timestamps[i:j]
                        )
                    )
                else:
                    series.append(
                        encoding.json_append(
                            f.path,
                            f.type,
                            points.steps[i:j],
                            points.values[i:j],
                            points.timestamps[i:j],
                        )
                    )
        else:
            scalars.append(encoding.ScalarWrite(f.path, f.type, f.num, f.int_value, f.text))
    with target.write() as s:
        upsert.record_blobs(s, blob_rows)
        fields.upsert_scalars(s, run.id, scalars)
        fields.append_series(s, run.id, series)
        _copy_checkpoint_links(source, s, local.id, run.id)
    if local.name and local.name != run.name:
        runs.update_info(target, run.id, name=local.name)
    state = local.state if local.state != "crashed" else "finished"
    runs.set_state(target, run.id, state if state != "running" else "finished", failed=local.failed)


def _copy_checkpoint_links(source: Store, s: Any, local_id: int, run_id: int) -> None:
    """Checkpoints taken while offline, and the run's links to them."""
    with source.read() as src:
        links = [
            cid
            for (cid,) in src.execute(
                select(CheckpointRun.checkpoint_id).where(CheckpointRun.run_id == local_id)
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
