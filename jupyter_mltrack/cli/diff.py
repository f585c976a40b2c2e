"""`mltrack diff A B`: what changed between two checkpoints, or a checkpoint and the current
file (`B` = `current`, the default). `--json` prints nbdime's diff format with the summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import checkpoints as ckpt
from ..store.config import resolve
from ..store.engine import open_store
from .terminal import escape


def register(sub: Any) -> None:
    p = sub.add_parser("diff", help="diff two checkpoints (or a checkpoint and the file)")
    p.add_argument("base", help="checkpoint id")
    p.add_argument("remote", nargs="?", default="current", help="checkpoint id or 'current'")
    p.add_argument("--path", help="with 'current': the notebook (default: the base's)")
    p.add_argument("--root", help="notebook root folder (default: MLTRACK_NOTEBOOK_ROOT or .)")
    p.add_argument("--json", action="store_true", help="print {diff, summary} as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_store(resolve(args.store, args.blobs))
    out = ckpt.diff(args.base, args.remote, path=args.path, root=args.root, store=store)
    s = out["summary"]
    if args.json:
        print(json.dumps({"diff": out["diff"], "summary": s}, indent=1))
        return 0
    moved = f", {s['cells_moved']} moved" if s.get("cells_moved") else ""
    print(
        f"{s['cells_added']} added, {s['cells_removed']} removed, "
        f"{s['cells_modified']} modified{moved}{', notebook metadata' if s['metadata'] else ''}"
    )
    cells = out["base"]["cells"]
    for i in s["removed"]:
        print(f"  - cell {i + 1}: {_first_line(cells[i])}")
    for m in s["modified"]:
        print(
            f"  ~ cell {m['base'] + 1} -> {m['remote'] + 1}: {', '.join(m['parts'])}  "
            f"{_first_line(cells[m['base']])}"
        )
    for m in s.get("moved", []):
        edit = f", edited: {', '.join(m['parts'])}" if m["edited"] else ""
        print(
            f"  > cell {m['base'] + 1} -> {m['remote'] + 1}: moved{edit}  "
            f"{_first_line(cells[m['base']])}"
        )
    for j in s["added"]:
        print(f"  + cell {j + 1} (new)")
    return 0


def _first_line(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    return escape((text.strip().splitlines() or [""])[0][:60])
