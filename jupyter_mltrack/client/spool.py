"""Offline runs: a local SQLite store per run, uploaded later by `mltrack sync`.

A spool is a directory `<offline root>/<uuid>/` holding a complete store (`mltrack.db` +
`blobs/`) with the one run, and `spool.json` saying where it belongs: the target store, the
project, and the run's identity — the id it resumes (`with_id`) or its custom run id
(`offline-<hex>` unless the user gave one). `sync` therefore appends to the very run it
resumed, or creates a run findable by that custom id, and carries the notebook link
(`source_code/notebook` and the checkpoint rows) along with the fields and points.

A spool written for a run that already existed (the writer's backlog when the store failed)
also records that run's identity (`run`: short id, custom id, creation time, ...), so `sync`
can create it again under the same id if the store lost it (rolled back by a fault, restored
from a backup) instead of failing forever with "no run".

Secrets: `spool.json` never holds the store's password (`strip_password`); it is written
0600 in a folder made 0700. `sync` takes the password from the store it is given
(`--store`/`MLTRACK_STORE`, see `target_config`) when that names the same store, else
connects without one (libpq then reads PGPASSWORD or ~/.pgpass).
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

from ..errors import InvalidInput, NotFound, StoreError
from ..store import runs, transfer
from ..store.config import StoreConfig, default_root, resolve, strip_password
from ..store.engine import Store, open_store
from ..store.entities import RunInfo

ENV_OFFLINE = "MLTRACK_OFFLINE_DIR"


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
    run: RunInfo | None = None,
) -> tuple[Store, Spool]:
    """A fresh spool store for one run. `run`: the run it continues, when the store had it
    (its identity is kept so `sync` can recreate it)."""
    root = offline_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    root.mkdir(mode=0o700, exist_ok=True)
    path = root / uuid.uuid4().hex
    path.mkdir(mode=0o700)
    custom = custom_run_id or (None if with_id else f"offline-{uuid.uuid4().hex[:12]}")
    url = target.url if target else None
    meta = {
        "target_url": strip_password(url) if url else None,
        "target_password_omitted": bool(url and strip_password(url) != url),
        "target_blobs": target.blob_url if target else None,
        "project": project,
        "with_id": with_id,
        "custom_run_id": custom,
        "run": _identity(run) if run else None,
        "created_at": time.time(),
        "pid": os.getpid(),
    }
    _write_meta(path, meta)
    db = path / "mltrack.db"
    # Created 0600 before SQLite opens it: its -wal and -shm files copy the mode.
    os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    store = open_store(StoreConfig(f"sqlite:///{db}", path / "blobs"), cached=False)
    return store, Spool(path, meta)


def _identity(run: RunInfo) -> dict[str, Any]:
    return {
        "short_id": run.short_id,
        "custom_run_id": run.custom_run_id,
        "created_at": run.created_at,
        "name": run.name,
        "description": run.description,
        "owner": run.owner,
        "hostname": run.hostname,
        "notebook_path": run.notebook_path,
    }


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    """`spool.json`, readable by its owner only, replaced whole (never half written)."""
    tmp = path / "spool.json.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(meta, indent=1))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path / "spool.json")


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


def target_config(spool: Spool, current: StoreConfig | None = None) -> StoreConfig:
    """The store a spool was meant for. Its password is not in the spool: `current` (the
    store `--store`/`MLTRACK_STORE` name) supplies it when it is that same store; otherwise
    the recorded URL is used as it is (libpq may find the password in PGPASSWORD or
    ~/.pgpass; a spool from before passwords were left out still has it)."""
    url, blobs = spool.meta.get("target_url"), spool.meta.get("target_blobs")
    if current is not None and (url is None or strip_password(current.url) == strip_password(url)):
        return resolve(current.url, blobs or current.blob_url)
    return resolve(url, blobs)


def sync(
    spool: Spool, target: Store | None = None, *, current: StoreConfig | None = None
) -> RunInfo:
    """Upload one spool into `target`, or else its own store (see `target_config`), then
    remove the spool."""
    if spool.meta.get("synced_to"):
        # Committed earlier but not yet removed (the process died in between).
        shutil.rmtree(spool.path, ignore_errors=True)
        raise InvalidInput(f"{spool.path} was already synced as {spool.meta['synced_to']}")
    if target is None:
        cfg = target_config(spool, current)
        try:
            target = open_store(cfg)
        except StoreError as e:
            without_password = spool.meta.get("target_password_omitted")
            if not without_password or cfg.url != spool.meta.get("target_url"):
                raise
            raise StoreError(
                f"{e} The spool does not keep the store's password: give the same store with "
                "--store URL or MLTRACK_STORE (or set PGPASSWORD)."
            ) from None
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
        _write_meta(spool.path, spool.meta)
    shutil.rmtree(spool.path, ignore_errors=True)
    return runs.get(target, run.id)


def _target_run(target: Store, spool: Spool, local: RunInfo) -> RunInfo:
    project = spool.meta.get("project")
    with_id = spool.meta.get("with_id")
    known: dict[str, Any] | None = spool.meta.get("run")
    if with_id:
        try:
            held = runs.get(target, with_id)
        except NotFound:
            if known is None:
                raise NotFound(
                    f"no run {with_id!r} in {target.config.masked_url} to append this offline "
                    "run to: sync it to the store that has that run (--store URL --to-store)"
                ) from None
        else:
            # The same run, unless the store was rolled back and gave its id to another.
            if known is None or abs(held.created_at - float(known["created_at"])) < 1e-3:
                return held
        return _recreate(target, project, known)
    custom = spool.meta.get("custom_run_id")
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


def _recreate(target: Store, project: str | None, known: dict[str, Any]) -> RunInfo:
    """The run the spool continues, missing from the store: created again with its short
    id and creation time, or under a new short id when another run holds that one now."""
    kwargs: dict[str, Any] = {
        "created_at": float(known["created_at"]),
        "custom_run_id": known.get("custom_run_id"),
        "notebook_path": known.get("notebook_path"),
        **{k: known.get(k) or "" for k in ("name", "description", "owner", "hostname")},
    }
    restored = runs.restore(target, project, str(known["short_id"]), **kwargs)
    return restored or runs.create(target, project, **kwargs)


def _copy(source: Store, target: Store, local: RunInfo, run: RunInfo) -> None:
    """The spool's run into `run`, then its name and how it ended (a run that was running or
    crashed offline is finished: nothing will write to it again)."""
    transfer.copy_run(source, target, local.id, run.id)
    if local.name and local.name != run.name:
        runs.update_info(target, run.id, name=local.name)
    state = local.state if local.state != "crashed" else "finished"
    runs.set_state(target, run.id, state if state != "running" else "finished", failed=local.failed)
