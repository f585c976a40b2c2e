"""`mltrack checkpoints [PATH]`: notebook history; `--create` snapshots PATH, `--update ID`
names or describes one, `--delete ID` removes one. Paths are relative to `--root` (default:
MLTRACK_NOTEBOOK_ROOT or the current folder)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from .. import checkpoints as ckpt
from ..store.config import resolve
from ..store.engine import open_store
from ..store.entities import TRIGGERS, changes_text
from .terminal import escape


def register(sub: Any) -> None:
    p = sub.add_parser("checkpoints", help="list, take, name or delete notebook checkpoints")
    p.add_argument("path", nargs="?", help="notebook path (relative to --root); all if omitted")
    p.add_argument("--root", help="notebook root folder (default: MLTRACK_NOTEBOOK_ROOT or .)")
    p.add_argument("--create", action="store_true", help="take a checkpoint of PATH now")
    p.add_argument("--update", metavar="ID", help="set --name / --description of a checkpoint")
    p.add_argument("--delete", metavar="ID", help="delete a checkpoint")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--run", dest="run_id", help="link the new checkpoint to this run (CRED-12)")
    p.add_argument("--trigger", choices=TRIGGERS, help="list only this trigger")
    p.add_argument("--text", help="list only entries whose name, description, path... match")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _row(e: dict[str, Any]) -> str:
    """One line per checkpoint; paths, names and authors are stored text, escaped."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e["created_at"]))
    ch = e["changes"]
    runs = ",".join(f"{r['id']}({r['state']})" for r in e["runs"])
    gone = " [deleted]" if e["notebook_deleted"] else ""
    return escape(
        f"{e['id']}  {when}  {e['trigger']:<7} {e['notebook_path']}{gone}  "
        f"{changes_text(ch)}  {e['author']}  "
        f"{e['name']!r}{'  ' + runs if runs else ''}"
    )


def run(args: argparse.Namespace) -> int:
    store = open_store(resolve(args.store, args.blobs))
    if args.create:
        if not args.path:
            raise SystemExit("mltrack checkpoints --create needs a notebook PATH")
        out: Any = ckpt.create(
            args.path,
            name=args.name or "",
            description=args.description or "",
            run_id=args.run_id,
            trigger="manual",
            root=args.root,
            store=store,
        )
    elif args.update:
        out = ckpt.update(args.update, name=args.name, description=args.description, store=store)
    elif args.delete:
        ckpt.delete(args.delete, store=store)
        print(escape(f"deleted {args.delete}"))
        return 0
    else:
        items = ckpt.list(
            args.path, trigger=args.trigger, text=args.text, limit=args.limit, store=store
        )
        if args.json:
            print(json.dumps(items, indent=1))
        else:
            for e in items:
                print(_row(e))
            if not items:
                print("no checkpoints")
        return 0
    print(json.dumps(out, indent=1) if args.json else _row(out))
    return 0
