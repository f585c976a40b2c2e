"""`mltrack restore ID [--to PATH]`: write a checkpoint back as a notebook. Without `--to`, a
new file beside the original; over an existing notebook, its current content is checkpointed
first, so nothing is lost."""

from __future__ import annotations

import argparse
from typing import Any

from .. import checkpoints as ckpt
from ..store.config import resolve
from ..store.engine import open_store
from .terminal import escape


def register(sub: Any) -> None:
    p = sub.add_parser("restore", help="write a checkpoint back as a notebook")
    p.add_argument("checkpoint", help="checkpoint id")
    p.add_argument("--to", dest="target", help="notebook path to write (default: a new name)")
    p.add_argument("--root", help="notebook root folder (default: MLTRACK_NOTEBOOK_ROOT or .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_store(resolve(args.store, args.blobs))
    out = ckpt.restore(args.checkpoint, args.target, root=args.root, store=store)
    print(escape(f"restored {out['checkpoint']} to {out['path']}"))
    if out["safety_checkpoint"]:
        print(f"its previous content is checkpoint {out['safety_checkpoint']}")
    return 0
