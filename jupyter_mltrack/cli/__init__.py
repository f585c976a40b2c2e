"""The `mltrack` command. Each sub-command lives in its own module with `register(sub)`,
which adds its parser and sets `func(args) -> int`. Errors of the library become one line on
stderr and exit code 1 (2 for usage), never a traceback. Everything printed while a command
runs goes through `terminal.escaped_output()`: no control sequence stored in a name or a value
reaches the user's terminal.

A command starts at once: `COMMANDS` names each sub-command with its help line, and only the
module of the sub-command given on the command line is imported (its parser is the real one,
from `register`); the others appear in `mltrack --help` from this list alone. Importing every
module made each command pay ~2.3 s of CPU for nbformat, jsonschema and SQLAlchemy, whatever
it used. tests/test_cli_start.py checks what `--help` and `abort` import, and that the help
lines here say what each module registers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass

from ..errors import MLTrackError
from . import terminal


@dataclass(frozen=True)
class Command:
    """A sub-command as `mltrack --help` lists it, and the module (under jupyter_mltrack.cli)
    whose `register(sub)` adds its parser."""

    name: str
    module: str
    help: str


# In help order. A new sub-command is one line here and its module.
COMMANDS = [
    Command("db", "db", "show or upgrade the store's schema"),
    Command("runs", "runs", "list runs, filtered by a query"),
    Command("show", "show", "show one run: sys values and fields"),
    Command("compare", "compare", "compare the fields of two or more runs"),
    Command("export", "export", "export a run's fields and series to JSON or CSV, runs to Parquet"),
    Command("import", "imports", "import runs from a neptune.ai export or from MLflow"),
    Command("sync", "sync", "upload offline runs to the store"),
    Command("abort", "abort", "ask a running run to stop"),
    Command("checkpoints", "checkpoints", "list, take, name or delete notebook checkpoints"),
    Command("diff", "diff", "diff two checkpoints (or a checkpoint and the file)"),
    Command("restore", "restore", "write a checkpoint back as a notebook"),
    Command("gc", "gc", "remove unreachable blobs"),
]
_GLOBAL_WITH_VALUE = ("--store", "--blobs")


def chosen(argv: list[str]) -> Command | None:
    """The sub-command named on the command line: the first word that is not a global option
    or its value (global options come before the sub-command)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _GLOBAL_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return next((c for c in COMMANDS if c.name == word), None)
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: the chosen sub-command's real parser, the others as a help line.
    With `argv` None, every module registers (for tools that want the whole tree)."""
    parser = argparse.ArgumentParser(
        prog="mltrack", description="jupyter-mltrack: runs, checkpoints and the store."
    )
    parser.add_argument(
        "--store", help="store URL or SQLite path (default: MLTRACK_STORE or the Jupyter data dir)"
    )
    parser.add_argument(
        "--blobs",
        help="blob folder or s3://bucket/prefix (default: MLTRACK_BLOBS or beside the store)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    pick = chosen(argv) if argv is not None else None
    for cmd in COMMANDS:
        if argv is None or cmd is pick:
            importlib.import_module(f"{__name__}.{cmd.module}").register(sub)
        else:
            sub.add_parser(cmd.name, help=cmd.help)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        with terminal.escaped_output():
            return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        # The reader went away (`mltrack runs | head`): stop quietly, as `ls | head` does.
        # What is left in stdout's buffer must not fail again when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the shell's code for a command its pipe cut short


def _main(argv: list[str]) -> int:
    parser = build_parser(argv)
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
