"""`%mltrack`: start and stop runs, checkpoint the notebook, and read history, diffs and runs
as inline HTML, for notebooks where the lab panel is not there (Colab, VS Code, classic).

    import jupyter_mltrack                          # in IPython: %mltrack is there (or %load_ext)
    %mltrack init -p credit -n baseline -t xgb      # run = init_run(...), linked to the notebook
    %mltrack checkpoint -n "before refactor"
    %mltrack history
    %mltrack diff 3fa2c1d09e1b                       # against the notebook as saved now
    %mltrack runs metrics/f1 > 0.6
    %mltrack show CRED-3                             # refreshes while the run is running
    %mltrack stop
    %mltrack status

Every sub-command takes `--help`. Bad input prints one `mltrack: ...` line, never a traceback.
Every output is HTML with its text/plain twin (plain.py): left-aligned tables in JupyterLab,
Colab and VS Code, padded columns in a terminal.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from ..errors import MLTrackError
from . import html, html_diff, html_runs, plain
from .refresh import Refresher
from .state import kernel_state

USAGE = "%mltrack {init,checkpoint,history,diff,runs,show,stop,status} [--help]"
MAX_CHARTS = 12
CHART_POINTS = 400


class _Exit(Exception):
    """argparse asked to stop (after --help, or on a usage error it already printed)."""


class _Parser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise _Exit()

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _Exit(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%mltrack", description="Experiment tracking and notebook history.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    init = sub.add_parser("init", help="start a run (init_run) linked to this notebook")
    init.add_argument("-p", "--project", help="project name (else MLTRACK_PROJECT)")
    init.add_argument("-n", "--name", help="run name")
    init.add_argument("-d", "--description", help="run description")
    init.add_argument("-t", "--tag", action="append", default=[], help="tag (repeatable)")
    init.add_argument("--with-id", help="resume this run, e.g. CRED-12")
    init.add_argument("--mode", help="async (default), sync, offline, debug")
    init.add_argument("--var", default="run", help="variable to hold the run (default: run)")
    ck = sub.add_parser("checkpoint", help="checkpoint this notebook now")
    ck.add_argument("-n", "--name", default="", help="checkpoint name")
    ck.add_argument("-d", "--description", default="", help="checkpoint description")
    hist = sub.add_parser("history", help="this notebook's checkpoints, newest first")
    hist.add_argument("path", nargs="?", help="notebook path (default: this notebook)")
    hist.add_argument("--all", action="store_true", help="every notebook's checkpoints")
    hist.add_argument("-l", "--limit", type=int, default=30, help="rows (default 30)")
    diff = sub.add_parser("diff", help="side-by-side diff of two checkpoints")
    diff.add_argument("base", help="checkpoint id")
    diff.add_argument("remote", nargs="?", help="checkpoint id (default: the notebook now)")
    diff.add_argument("--context", action="store_true", help="show unchanged cells too")
    runs = sub.add_parser("runs", help="runs table: %%mltrack runs [options] [QUERY]")
    runs.add_argument("-p", "--project", help="only this project")
    runs.add_argument("-c", "--columns", help="extra columns, comma-separated")
    runs.add_argument("-s", "--sort", help="sort keys, e.g. -metrics/f1")
    runs.add_argument("-l", "--limit", type=int, default=50, help="rows (default 50)")
    runs.add_argument("query", nargs=argparse.REMAINDER, help="query, e.g. metrics/f1 > 0.6")
    show = sub.add_parser("show", help="one run: fields, last metrics, charts")
    show.add_argument("run", nargs="?", help="run id (default: the run of this kernel)")
    show.add_argument("--refresh", type=float, default=2.0, help="seconds between updates")
    show.add_argument("--no-refresh", action="store_true", help="draw once")
    stop = sub.add_parser("stop", help="stop the run of this kernel")
    stop.add_argument("run", nargs="?", help="run id (default: the latest live run)")
    sub.add_parser("status", help="store, live runs, frontend and notebook link")
    return p


def _split(line: str) -> list[str]:
    """shlex for options; a runs query keeps its quotes (`sys/tags CONTAINS "x"`)."""
    stripped = line.strip()
    if stripped.split(maxsplit=1)[:1] == ["runs"]:
        rest = stripped[4:].strip()
        words: list[str] = ["runs"]
        while rest.startswith("-"):
            head, _, tail = rest.partition(" ")
            words.append(head)
            if head in ("-p", "--project", "-c", "--columns", "-s", "--sort", "-l", "--limit"):
                value, _, tail = tail.strip().partition(" ")
                words.append(value)
            rest = tail.strip()
        if rest:
            words.append("--")
            words.append(rest)
        return words
    return shlex.split(line)


def _display(markup: str, **kwargs: Any) -> Any:
    """Show html.py markup with its text twin: each frontend takes the type it renders."""
    from IPython.display import display

    return display(plain.bundle(markup), raw=True, **kwargs)  # type: ignore[no-untyped-call]


class MLTrackMagics:
    """The state behind `%mltrack`: the run this kernel started with it."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.run: Any = None
        self.parser = build_parser()

    # -- plumbing -------------------------------------------------------------------------------
    def __call__(self, line: str) -> None:
        try:
            args = self.parser.parse_args(_split(line))
        except _Exit as e:
            if e.args:
                sys.stderr.write(f"mltrack: {e.args[0]}\n")
            return
        except ValueError as e:
            sys.stderr.write(f"mltrack: {e}\n")
            return
        if not args.command:
            self.parser.print_help()
            return
        try:
            getattr(self, "do_" + args.command)(args)
        except MLTrackError as e:
            sys.stderr.write(f"mltrack: {e}\n")

    def _store(self) -> Any:
        run = self._current(None, quiet=True)
        if run is not None:
            return run.store
        from ..store.engine import open_store

        return open_store()

    def _current(self, run_id: str | None, quiet: bool = False) -> Any:
        from ..client import hooks

        live = hooks.live_runs()
        if run_id:
            return next((r for r in live if r.id == run_id), None)
        if self.run is not None and self.run in live:
            return self.run
        return live[-1] if live else None

    # -- sub-commands ---------------------------------------------------------------------------
    def do_init(self, a: argparse.Namespace) -> None:
        from ..client import init_run

        run = init_run(
            project=a.project,
            name=a.name,
            description=a.description,
            tags=a.tag or None,
            with_id=a.with_id,
            mode=a.mode,
        )
        self.run = run
        self.shell.user_ns[a.var] = run
        last = kernel_state().last_link
        note = ""
        if last is not None and last.checkpoint_id:
            note = f"notebook checkpoint {last.checkpoint_id} ({last.via})"
        _display(
            html.message(f"Run {run.id} started in {run.info.project}; `{a.var}` holds it.", note)
        )

    def do_checkpoint(self, a: argparse.Namespace) -> None:
        from . import link

        result = link.checkpoint(
            self._store(),
            trigger="manual",
            name=a.name,
            description=a.description,
            user_ns=self.shell.user_ns,
        )
        if result.checkpoint_id is None:
            raise MLTrackError(f"nothing to checkpoint: {result.note}")
        kernel_state().notebook_checkpoint = result.checkpoint_id
        flag = " from disk (unsaved edits may be missing)" if result.via == "file" else ""
        _display(
            html.message(
                f"Checkpoint {result.checkpoint_id} saved{flag}.",
                f"via {result.via} in {result.seconds:.2f} s",
            )
        )

    def _notebook_path(self) -> str | None:
        """This notebook's path: from a checkpoint this kernel made (it follows renames), else
        from the session."""
        from . import locator

        store = self._store()
        known = kernel_state().notebook_checkpoint
        if known:
            from ..checkpoints import service

            try:
                return str(service.get(store, known, with_content=False)["notebook_path"])
            except MLTrackError:
                pass
        found = locator.session_file(self.shell.user_ns)
        return found[0] if found else None

    def do_history(self, a: argparse.Namespace) -> None:
        from ..checkpoints import service

        path = None if a.all else (a.path or self._notebook_path())
        if path is not None:
            from ..checkpoints.files import normalize_path

            path = normalize_path(path)  # as the history's title shows it
        items, total = service.history(self._store(), path, limit=max(1, a.limit))
        _display(html.history([i.as_dict() for i in items], path, total))

    def do_diff(self, a: argparse.Namespace) -> None:
        from ..checkpoints import service

        store = self._store()
        base_nb, _info = service.resolve_side(store, a.base)
        if a.remote:
            remote_nb, _info = service.resolve_side(store, a.remote)
            label = a.remote
        else:
            from . import locator

            located = locator.locate(self.shell.user_ns)
            if located is None or located.source == "history":
                raise MLTrackError("the notebook now cannot be read: give a second checkpoint id")
            remote_nb = located.notebook
            label = "now (saved file)" if located.from_disk else "now"
        _display(html_diff.diff(base_nb, remote_nb, a.base, label, context=a.context))

    def do_runs(self, a: argparse.Namespace) -> None:
        from ..query import runs_table
        from ..query.columns import column_paths
        from ..query.tokens import quote_path

        query = " ".join(w for w in a.query if w != "--").strip()
        store = self._store()
        columns = a.columns
        if not columns:  # as the lab's table: the parameters and metrics these runs share
            suggested = column_paths(store, query=query, project=a.project).suggested()
            columns = [quote_path(p) for p in suggested]  # a stored path may hold anything
        table = runs_table(
            store,
            project=a.project,
            query=query,
            columns=columns,
            sort=a.sort,
            limit=max(1, min(a.limit, html.MAX_ROWS)),
        )
        _display(
            html_runs.runs_table(table.items, table.columns, table.total, table.total_estimated)
        )

    def render_run(self, store: Any, run_id: str) -> tuple[str, bool]:
        from ..query.detail import run_detail
        from ..query.series import read_points

        detail = run_detail(store, run_id)
        series: dict[str, tuple[list[float], list[Any]]] = {}
        for f in detail["fields"]:
            if f["type"] == "float_series" and len(series) < MAX_CHARTS:
                pts = read_points(store, run_id, f["path"], max_points=CHART_POINTS)
                series[f["path"]] = (pts.steps, pts.values)
        running = detail["sys"].get("sys/state") == "running"
        return html_runs.run(detail, series), running

    def do_show(self, a: argparse.Namespace) -> None:
        store = self._store()
        run_id = a.run
        live = self._current(a.run)
        if run_id is None:
            if live is None:
                raise MLTrackError("no run in this kernel: %mltrack show RUN-ID")
            run_id = live.id
        if live is not None:
            live.wait()
        markup, running = self.render_run(store, run_id)
        if not running or a.no_refresh:
            _display(markup)
            return
        handle = _display(markup, display_id=True)

        def render() -> tuple[str, bool]:
            return self.render_run(store, run_id)

        Refresher(run_id, handle, render, a.refresh, kernel_state().refreshers)

    def do_stop(self, a: argparse.Namespace) -> None:
        run = self._current(a.run)
        if run is None:
            raise MLTrackError("no live run to stop" + (f" with id {a.run}" if a.run else ""))
        run.stop()
        _display(html.message(f"Run {run.id} stopped."))

    def do_status(self, a: argparse.Namespace) -> None:
        from ..client import hooks

        state = kernel_state()
        store = self._store()
        live = hooks.live_runs()
        frontend = state.frontend
        rows = [
            ["store", html.esc(store.config.masked_url)],
            ["live runs", html.esc(", ".join(r.id for r in live) or "none")],
            [
                "lab frontend",
                html.esc(frontend.state if frontend.connected() else "no kernel comm"),
            ],
        ]
        last = state.last_link
        if last is not None:
            rows.append(
                [
                    "last notebook link",
                    html.esc(f"{last.checkpoint_id} via {last.via} in {last.seconds:.2f} s"),
                ]
            )
        path = self._notebook_path()
        rows.append(["notebook", html.esc(path or "unknown")])
        _display(html.page(html.table(["", ""], rows), "ML Track"))


def register(ipython: Any) -> MLTrackMagics:
    """Register `%mltrack` with `ipython`, once: a `%load_ext` keeps the magics already there
    (and their run); what `import jupyter_mltrack` registered (kernel._FirstUse) is replaced
    by the real magics at its first use or at `%load_ext`."""
    known = ipython.magics_manager.magics["line"].get("mltrack")
    if isinstance(known, MLTrackMagics):
        return known
    magics = MLTrackMagics(ipython)
    ipython.register_magic_function(magics, magic_kind="line", magic_name="mltrack")
    return magics
