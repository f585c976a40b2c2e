"""`mltrack gc`: remove blobs nothing refers to.

Reachable: every blob a checkpoint needs (its manifest and the bases it is a delta of, its
chunks, metadata and images) and every blob a field names (files, file series, file sets).
Blobs younger than `--grace` are kept whatever they look like: a checkpoint or an upload may
be between writing its blobs and committing the row that names them."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from sqlalchemy import delete, select

from ..checkpoints.snapshot import referenced_blobs as checkpoint_blobs
from ..store import checkpoints as repo
from ..store.config import resolve
from ..store.engine import Store, open_store
from ..store.models import Blob, Field


def register(sub: Any) -> None:
    p = sub.add_parser("gc", help="remove unreachable blobs")
    p.add_argument("--dry-run", action="store_true", help="only report what would go")
    p.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        help="keep blobs younger than this many seconds (default 3600)",
    )
    p.set_defaults(func=run)


def _shas_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        sha = value.get("sha256")
        return {sha} if isinstance(sha, str) else set()
    if isinstance(value, list):
        return set().union(*(_shas_in(v) for v in value)) if value else set()
    return set()


def field_blobs(store: Store) -> set[str]:
    try:
        from ..store import fields
    except ImportError:
        fields = None  # type: ignore[assignment]
    if fields is not None and hasattr(fields, "referenced_blobs"):
        return set(fields.referenced_blobs(store))
    # Without the fields repository: any JSON text naming a sha256 keeps that blob.
    out: set[str] = set()
    with store.read() as s:
        for (text,) in s.execute(select(Field.text).where(Field.text.like('%"sha256"%'))):
            try:
                out |= _shas_in(json.loads(text or "null"))
            except ValueError:
                continue
    return out


def reachable(store: Store) -> set[str]:
    return checkpoint_blobs(store.blobs, repo.all_manifests(store)) | field_blobs(store)


def run(args: argparse.Namespace) -> int:
    store = open_store(resolve(args.store, args.blobs))
    keep = reachable(store)
    cutoff = time.time() - args.grace
    doomed: list[tuple[str, int]] = []
    for sha in store.blobs.all_shas():
        if sha in keep:
            continue
        st = store.blobs.path(sha).stat()
        if st.st_mtime < cutoff:
            doomed.append((sha, st.st_size))
    freed = sum(size for _sha, size in doomed)
    if not args.dry_run:
        for sha, _size in doomed:
            store.blobs.remove(sha)
        with store.write() as s:
            for i in range(0, len(doomed), 500):
                s.execute(delete(Blob).where(Blob.sha256.in_([d[0] for d in doomed[i : i + 500]])))
        temps = store.blobs.remove_stale_temp(args.grace)
    else:
        temps = 0
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"{verb} {len(doomed)} blobs ({freed:,} bytes); kept {len(keep)} reachable"
        + (f"; {temps} stale temp files" if temps else "")
    )
    return 0
