"""`Run`: a tracked run, addressed like neptune's (`run["train/loss"].log(x)`).

`Run` is the face the user holds; the work is done by four parts it wires together:

- `schema.FieldSchema`: each path's type and the checks on what is written to it;
- `outbox.Outbox`: the typed operations and series buffers waiting for the writer thread;
- `lifecycle.Lifecycle`: the run's row, creation (maybe in the writer thread), heartbeat,
  stop, abort and fork, and the `writer.Writer` that drains the outbox into the store;
- `reading.Reader`: what the run answers from the store.

Field handles (`field.FieldHandle`, one per path, kept in `field.Handles`) write through the
schema and the outbox only. The caller only ever appends to in-memory lists; what it must
know synchronously (a path's type, a series' last step, whether the run is still writable)
is in the schema and the outbox, loaded once from the store when a run is resumed.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..store.entities import RunInfo
from . import hooks, paths, values
from .field import FieldHandle, Handles
from .lifecycle import MODES, Lifecycle, Opened
from .outbox import Outbox
from .reading import Reader
from .reporting import Reporter
from .schema import FieldSchema

if TYPE_CHECKING:
    from ..store.engine import Store
    from ..store.entities import CellExecutionInfo

__all__ = ["MODES", "Opened", "Run"]


class Run:
    """A run being tracked (or read). Create it with `jupyter_mltrack.init_run()`."""

    def __init__(
        self,
        opened: Opened | Callable[[], Opened],
        *,
        mode: str,
        flush_period: float = 1.0,
        strict: bool = False,
        max_buffered_points: int = 5_000_000,
        capture_options: dict[str, Any] | None = None,
        interrupt_on_abort: bool = True,
    ) -> None:
        """`opened` is the run, or (async mode) how to create it in the writer thread."""
        self._strict = strict
        # init_run's neptune-style capture arguments as given; `mark_failed` honours
        # capture_traceback and fail_on_exception from here.
        self._capture_options = dict(capture_options or {})
        reporter = Reporter(strict)
        self._schema = FieldSchema(reporter)
        self._outbox = Outbox()
        self._lifecycle = Lifecycle(
            opened,
            mode=mode,
            schema=self._schema,
            outbox=self._outbox,
            reporter=reporter,
            flush_period=flush_period,
            max_buffered_points=max_buffered_points,
            interrupt_on_abort=interrupt_on_abort,
            on_close=self._closed,
        )
        self._reader = Reader(self._lifecycle, self._schema, reporter)
        self._handles = Handles(
            self,
            self._schema,
            self._outbox,
            self._reader,
            self._lifecycle,
            sync=mode == "sync",
            # The fast path skips per-call checks that strict mode must do in the caller.
            fast=mode in ("async", "offline", "debug") and not strict,
        )
        if mode != "read-only":
            hooks.register(
                self,
                before_fork=self._lifecycle.before_fork,
                after_fork=self._lifecycle.after_fork,
            )

    def _closed(self) -> None:
        """The lifecycle ended the run: no handle keeps a fast path, no process hook runs."""
        self._handles.close()
        hooks.unregister(self)

    # init_run's side of the run's start (client/init.py).
    def _start(self) -> None:
        self._lifecycle.start()

    def _record_cells(self, executions: list[CellExecutionInfo]) -> None:
        self._lifecycle.record_cells(executions)

    # -- identity ----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The run id, `KEY-n` (neptune's `sys/id`)."""
        return self._lifecycle.id

    @property
    def mode(self) -> str:
        """The mode the run got: "offline" when async fell back to a spool."""
        self._lifecycle.ready.wait()
        return self._lifecycle.mode

    @property
    def info(self) -> RunInfo:
        return self._lifecycle.info

    @property
    def strict(self) -> bool:
        """Whether logging problems raise (init_run(strict=True)) instead of warning; the
        integrations follow the same choice for their own errors."""
        return self._strict

    @property
    def store(self) -> Store:
        """The store this run writes to (the kernel links its notebook checkpoint there)."""
        return self._lifecycle.store

    @property
    def offline_dir(self) -> Path | None:
        """Where an offline run is spooled until `mltrack sync` (None when online)."""
        self._lifecycle.await_ready()
        return self._lifecycle.spool_dir

    def get_url(self) -> str:
        """neptune code prints this: here it names the run in its store and project."""
        info = self.info
        return f"{self.store.config.masked_url}#{info.project}/{info.short_id}"

    def __repr__(self) -> str:
        life = self._lifecycle
        life.ready.wait()
        if life.boot_error is not None:
            return f"<Run (not created: {life.boot_error})>"
        info = life.info
        return f"<Run {info.short_id} {info.project!r} mode={life.mode} {life.state}>"

    # -- paths -------------------------------------------------------------------------------
    def __getitem__(self, path: str) -> FieldHandle:
        return self._handles.get(path)

    def __setitem__(self, path: str, value: Any) -> None:
        self._handles.get(path).assign(value)

    def __delitem__(self, path: str) -> None:
        self._handles.get(path).pop()

    def __contains__(self, path: str) -> bool:
        return self.exists(path)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a Run is not iterable; use run.get_structure() or run.fetch()")

    def assign(self, value: dict[str, Any], wait: bool = False) -> None:
        """`run.assign({"parameters": {...}})`: assign a dict of fields at the root."""
        if not isinstance(value, dict):
            self._schema.problem(
                "type", "", f"run.assign() takes a dict, not {type(value).__name__}"
            )
            return
        for key, v in value.items():
            self[str(key)].assign(v)
        if wait or self._handles.sync:
            self.wait()

    def log(self, metrics: dict[str, Any], step: float | None = None, wait: bool = False) -> None:
        """W&B-style: `run.log({"train/loss": 0.1, "train/acc": 0.9}, step=3)`."""
        if not isinstance(metrics, dict):
            self._schema.problem(
                "type", "", f"run.log() takes a dict, not {type(metrics).__name__}"
            )
            return
        for key, v in metrics.items():
            self[key].log(v, step=step)
        if wait:
            self.wait()

    # -- reading -----------------------------------------------------------------------------
    def fetch(self) -> dict[str, Any]:
        """Every field's value as a nested dict (series: their last value)."""
        return self._reader.everything()

    def exists(self, path: str) -> bool:
        return self._reader.exists(path)

    def get_structure(self) -> dict[str, Any]:
        """Nested dict of the run's paths; leaves are handles (call .fetch() on them)."""
        flat: dict[str, object] = {p: self[p] for p in self._reader.stored_paths()}
        for p in paths.SYS_READ:
            flat[p] = self[p]
        return paths.nest(flat)

    def print_structure(self) -> None:
        def walk(node: dict[str, Any], indent: str) -> Iterator[str]:
            for key in sorted(node):
                child = node[key]
                if isinstance(child, dict):
                    yield f"{indent}{key}:"
                    yield from walk(child, indent + "    ")
                else:
                    kind = self._schema.type_of(child._path) or "sys"
                    yield f"{indent}{key}: {kind}"

        print("\n".join(walk(self.get_structure(), "")))

    # -- lifecycle ---------------------------------------------------------------------------
    def wait(self, disk_only: bool = False) -> None:
        """Return when everything logged so far is in the store (or, if the store is down,
        safely in the writer's backlog, with a warning saying so)."""
        self._lifecycle.wait()

    sync = wait

    def stop(self, seconds: float | None = None) -> None:
        """Flush everything, mark the run finished (or failed) and stop the writer."""
        self._lifecycle.stop(seconds)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and exc is not None:
            self.mark_failed(exc_type, exc, tb)
        self.stop()

    def attach_capture(self, capture: Any) -> None:
        """Start a capture object (with start()/stop()) that lives as long as the run."""
        self._lifecycle.attach_capture(capture)

    def mark_failed(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """An exception escaped the user's code (script, IPython cell, `with` block, a
        training an integration drives): keep the traceback (unless
        init_run(capture_traceback=False)) and mark the run failed at once (unless
        init_run(fail_on_exception=False)), so a kernel that dies next still shows it.
        Called by the client's exit hooks and the integrations, not meant for user code."""
        if self._lifecycle.state != "running":
            return
        if self._capture_options.get("capture_traceback", True):
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            if len(text) > values.MAX_STRING:
                text = text[-values.MAX_STRING :]
            if self._schema.type_of("monitoring/traceback") in (None, "string_series"):
                self["monitoring/traceback"].log(text.replace("\x00", ""))
        if self._capture_options.get("fail_on_exception", True):
            self._lifecycle.fail()
        self.wait()
