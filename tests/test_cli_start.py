"""`mltrack` starts at once: each sub-command imports only what it uses (issue 18.6), checked
by the modules a real `mltrack` process has loaded when it ends, not by a clock. The long
commands draw a progress line on a terminal only (a real pseudo-terminal here), never when
piped or under --json."""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mltrack import cli
from jupyter_mltrack.cli.progress import Progress
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.revisions import SCHEMA_HEAD

FIXTURES = Path(__file__).with_name("fixtures")

# What no light command may load: the notebook stack (nbformat pulls jsonschema and its format
# checkers: ~1.5 s), the query compiler, migrations, the kernel and server stacks.
HEAVY = (
    "nbformat",
    "jsonschema",
    "rfc3987_syntax",
    "nbdime",
    "alembic",
    "jupyter_mltrack.query",
    "jupyter_mltrack.checkpoints",
    "IPython",
    "tornado",
    "jupyter_server",
    "psutil",
    "pyarrow",
)

# Runs `mltrack ARGS` in this process and reports, on stderr, the modules it loaded.
WRAPPER = """
import json, sys
from jupyter_mltrack.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as e:
    code = e.code
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def _loaded(*argv: str) -> tuple[int, str, set[str]]:
    """(exit code, stdout, modules loaded) of `mltrack ARGV` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(list(argv))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    marker = done.stderr.rindex("MODULES ")
    return done.returncode, done.stdout, set(json.loads(done.stderr[marker + 8 :]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_lists_every_command_and_imports_no_command_module() -> None:
    code, out, modules = _loaded("--help")
    assert code == 0
    for cmd in cli.COMMANDS:
        assert f"    {cmd.name} " in out and cmd.help in " ".join(out.split())
    assert _heavy(modules) == []
    assert "sqlalchemy" not in modules
    assert not any(f"jupyter_mltrack.cli.{c.module}" in modules for c in cli.COMMANDS)


def test_abort_reaches_a_current_store_with_its_plain_driver(store: Store) -> None:
    """No SQLAlchemy (0.2 s of the 0.3 s budget): store/dbapi.py and store/abort.py."""
    run = runs.create(store, "start")
    code, out, modules = _loaded(
        "--store", store.config.url, "--blobs", str(store.config.blob_root), "abort", run.short_id
    )
    assert code == 0 and f"abort requested for {run.short_id}" in out
    assert runs.get(store, run.id).abort_requested
    assert _heavy(modules) == []
    assert "sqlalchemy" not in modules and "jupyter_mltrack.store.runs" not in modules
    # The other sub-commands' modules stay unread.
    assert sorted(m for m in modules if m.startswith("jupyter_mltrack.cli.")) == [
        "jupyter_mltrack.cli.abort",
        "jupyter_mltrack.cli.terminal",
    ]
    code, _, modules = _loaded("--store", store.config.url, "abort", "NOPE-404")
    assert code == 1 and "sqlalchemy" not in modules


def test_abort_on_an_older_store_goes_through_the_store_and_migrates(tmp_path: Path) -> None:
    """A store at an older schema is not read by the fast path: open_store migrates it, and
    the answer is the same (a finished run cannot be aborted)."""
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "store-0007.db", db)
    argv = ["--store", f"sqlite:///{db}", "abort", "FIXT-1"]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "FIXT-1 is finished, not running" in done.stderr
    assert '"sqlalchemy"' in done.stderr  # the fall-back path, not the plain driver
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)


@pytest.mark.parametrize("argv", [["checkpoints"], ["gc", "--dry-run"]], ids=" ".join)
def test_the_checkpoint_commands_that_read_no_notebook_load_no_notebook_stack(
    argv: list[str], store: Store
) -> None:
    """Listing the history and collecting garbage read rows and manifests, never a notebook:
    nbformat (with jsonschema's format checkers, ~1 s) stays unloaded."""
    code, _, modules = _loaded(
        "--store", store.config.url, "--blobs", str(store.config.blob_root), *argv
    )
    assert code == 0
    assert not {"nbformat", "jsonschema", "nbdime"} & modules


def test_a_reader_gone_ends_the_output_quietly(store: Store) -> None:
    """`mltrack runs | head`: the pipe closes early; no traceback, the shell's SIGPIPE code."""
    runs.create(store, "pipe")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_mltrack.cli", "--store", store.config.url, "runs"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


def test_gc_piped_prints_its_report_and_no_progress() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mltrack.cli", "gc", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "would remove 0 blobs" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("cmd", cli.COMMANDS, ids=lambda c: c.name)
def test_the_help_line_of_each_command_is_the_one_its_module_registers(
    cmd: cli.Command,
) -> None:
    """`mltrack --help` shows the registry's line; the command's own parser must say the same."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(f"jupyter_mltrack.cli.{cmd.module}").register(sub)
    (action,) = sub._choices_actions
    assert (action.dest, action.help) == (cmd.name, cmd.help)


def test_the_chosen_command_is_found_past_the_global_options() -> None:
    def name(*argv: str) -> str | None:
        found = cli.chosen(list(argv))
        return found.name if found else None

    assert name("--store", "runs", "abort", "X") == "abort"  # a store named "runs"
    assert name("--store=x.db", "--blobs", "b", "show", "R-1") == "show"
    assert name("-h") is None and name("nope") is None
    assert name("import", "neptune", "data") == "import"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_in_place_and_clears_and_escapes() -> None:
    out = _Tty()
    bar = Progress("series", stream=out)
    bar(1, 4, "a\x1b]52;c;x\x07")
    bar(3, 4, "b")  # within 0.1 s: not drawn
    assert out.getvalue().count("\r[") == 1
    bar(4, 4, "c")  # the last state is always drawn, and stays on its own line
    bar.close()
    text = out.getvalue()
    assert text.startswith("\r[") and "1/4 series" in text and "3/4" not in text
    last = text.rsplit("\r", 1)[1]
    assert last.startswith("[" + "#" * 24 + "] 100% 4/4 series")
    assert last.endswith("\n") and last.split()[-1] == "c"  # padded over the longer line
    assert "\x1b" not in text and "\\x1b]52" in text  # a stored name cannot reach the terminal
    left = _Tty()
    unfinished = Progress(stream=left)
    unfinished.phase("reading")
    unfinished.close()
    assert left.getvalue().endswith("\r")  # blanked: the report starts on a clean line
    silent = io.StringIO()  # not a terminal
    Progress(stream=silent)(1, 2)
    quiet = _Tty()  # --json
    Progress.for_args(argparse.Namespace(json=True))  # reads sys.stderr: must not raise
    Progress("x", enabled=False, stream=quiet)(1, 2)
    assert silent.getvalue() == "" and quiet.getvalue() == ""


def _export_with_stderr(store: Store, run_id: str, out: Path, *, tty: bool) -> str:
    """stderr of a real `mltrack export` process, a pseudo-terminal or a pipe."""
    argv = [
        sys.executable,
        "-m",
        "jupyter_mltrack.cli",
        "--store",
        store.config.url,
        "--blobs",
        str(store.config.blob_root),
        "export",
        run_id,
        "-o",
        str(out),
    ]
    if not tty:
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode()


def test_export_shows_progress_on_a_terminal_only(store: Store, tmp_path: Path) -> None:
    import jupyter_mltrack as mlt

    run = mlt.init_run(
        store=store.config.url,
        blobs=str(store.config.blob_root),
        project="bar",
        capture_hardware_metrics=False,
    )
    for k in range(3):
        run[f"s{k}"].extend([1.0, 2.0])
    run.stop()
    on_tty = _export_with_stderr(store, run.id, tmp_path / "a.json", tty=True)
    assert "\r[" in on_tty and "3/3 series" in on_tty
    piped = _export_with_stderr(store, run.id, tmp_path / "b.json", tty=False)
    assert "\r" not in piped and "exported" in piped
