"""The `mltrack` command. Each sub-command lives in its own module with `register(sub)`,
which adds its parser and sets `func(args) -> int`. Errors of the library become one line on
stderr and exit code 1 (2 for usage), never a traceback. Everything printed while a command
runs goes through `terminal.escaped_output()`: no control sequence stored in a name or a value
reaches the user's terminal."""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import MLTrackError
from . import terminal

# Modules under jupyter_mltrack.cli that add sub-commands, in help order.
COMMANDS = [
    "db",
    "runs",
    "show",
    "compare",
    "export",
    "imports",
    "sync",
    "abort",
    "checkpoints",
    "diff",
    "restore",
    "gc",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mltrack", description="jupyter-mltrack: runs, checkpoints and the store."
    )
    parser.add_argument(
        "--store", help="store URL or SQLite path (default: MLTRACK_STORE or the Jupyter data dir)"
    )
    parser.add_argument(
        "--blobs", help="blob root folder (default: MLTRACK_BLOBS or beside the store)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    with terminal.escaped_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MLTrackError as e:
        # Escaped by the stream, its own line breaks kept (a query error points with a caret).
        print(f"mltrack: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
