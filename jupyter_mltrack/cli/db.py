"""`mltrack db upgrade|current`: explicit schema management (opening a store migrates too)."""

from __future__ import annotations

import argparse
from typing import Any

from ..store.config import resolve
from ..store.engine import open_store, upgrade
from ..store.revisions import SCHEMA_HEAD


def register(sub: Any) -> None:
    p = sub.add_parser("db", help="show or upgrade the store's schema")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dsub.add_parser("upgrade", help=f"migrate the store to schema {SCHEMA_HEAD}")
    up.set_defaults(func=_upgrade)
    cur = dsub.add_parser(
        "current", help="print the store URL, its schema revision and where its blobs are"
    )
    cur.set_defaults(func=_current)


def _upgrade(args: argparse.Namespace) -> int:
    cfg = resolve(args.store, args.blobs)
    store = open_store(cfg, migrate=True, cached=False)
    print(f"{cfg.masked_url}: schema {upgrade(store)} (head)")
    return 0


def _current(args: argparse.Namespace) -> int:
    from ..store.engine import Store, make_engine

    cfg = resolve(args.store, args.blobs)
    store = Store(cfg, make_engine(cfg))
    try:
        rev = store.revision()
    except Exception as e:
        from ..errors import StoreError

        raise StoreError(f"Cannot open store {cfg.masked_url}: {cfg.redact(str(e))}") from None
    finally:
        store.dispose()
    state = "head" if rev == SCHEMA_HEAD else f"head is {SCHEMA_HEAD}"
    print(f"{cfg.masked_url}: schema {rev or 'none'} ({state})")
    print(f"blobs: {cfg.masked_blob_url}")  # a folder or s3://bucket/prefix, never a credential
    return 0
