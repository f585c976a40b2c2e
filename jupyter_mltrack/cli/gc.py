"""`mltrack gc`: thin save checkpoints by the save retention, then remove blobs nothing
refers to.

Thinning first (checkpoints/retention.py), so the blobs only the removed saves needed go in
the same pass; with `--dry-run` neither happens, and the blob count is what the store holds
now (the saves' blobs are still reachable).

Reachable: every blob a checkpoint needs (its manifest and the bases it is a delta of, its
chunks, metadata and images) and every blob a field names (files, file series, file sets).
Blobs younger than `--grace` are kept whatever they look like: a checkpoint or an upload may
be between writing its blobs and committing the row that names it. The removal is the
store's (`store.maintenance`). On a terminal, a status line says which step is running."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..checkpoints import retention
from ..checkpoints.snapshot import referenced_blobs as checkpoint_blobs
from ..store import checkpoints, fields, maintenance
from ..store.config import resolve
from ..store.engine import Store, open_store
from .progress import Progress


def register(sub: Any) -> None:
    p = sub.add_parser("gc", help="remove unreachable blobs")
    p.add_argument("--dry-run", action="store_true", help="only report what would go")
    p.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        help="keep blobs younger than this many seconds (default 3600)",
    )
    p.add_argument(
        "--save-retention",
        default=None,
        metavar="POLICY",
        help=(
            "which save checkpoints to keep as they age, e.g. "
            f"'{retention.DEFAULT}' (the default) or 'all' to keep every save; "
            f"{retention.ENV_RETENTION} sets it too"
        ),
    )
    p.set_defaults(func=run)


def reachable(store: Store, bar: Progress | None = None) -> set[str]:
    bar = bar or Progress(enabled=False)
    manifests = checkpoints.all_manifests(store)
    bar.phase(f"reading the blobs of {len(manifests):,} checkpoint manifests")
    found = checkpoint_blobs(store.blobs, manifests)
    bar.phase("reading the blobs that fields name")
    return found | fields.referenced_blobs(store)


def policy(args: argparse.Namespace) -> retention.Retention:
    """The option, else MLTRACK_SAVE_RETENTION, else the default (InvalidInput says why not)."""
    if args.save_retention is not None:
        return retention.parse(args.save_retention)
    return retention.resolve()


def run(args: argparse.Namespace) -> int:
    thin = policy(args)  # a bad policy is refused before anything is opened
    store = open_store(resolve(args.store, args.blobs))
    with Progress.for_args(args) as bar:
        bar.phase(f"thinning save checkpoints ({thin.text})")
        thinned = retention.thin(store, thin, now=time.time(), dry_run=args.dry_run)
        keep = reachable(store, bar)
        bar.phase(f"{'looking for' if args.dry_run else 'removing'} unreachable blobs")
        done = maintenance.remove_unreachable_blobs(
            store, keep, grace=args.grace, dry_run=args.dry_run
        )
    verb = "would remove" if done.dry_run else "removed"
    print(
        f"{verb} {thinned.removed} save checkpoints of {thinned.notebooks} notebooks "
        f"(save retention: {thin.text})"
    )
    print(
        f"{verb} {done.removed} blobs ({done.freed:,} bytes); kept {done.kept} reachable"
        + (f"; {done.stale_temp_files} stale temp files" if done.stale_temp_files else "")
    )
    return 0
