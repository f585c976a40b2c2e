"""`run["train/loss"]`: the handle of one field path, and everything that can be done to it.

A handle checks what it is given against the run's schema (`schema.FieldSchema`) and queues
it in the run's outbox (`outbox.Outbox`); it never touches the store. The hot path is
`FieldHandle.log` for a float series: after the first point it is a type check, a step check
and one `list += (step, value, time)` (a single C call, so the writer thread, which takes
whole triples from the front of the list, never sees half a point). Everything unusual (the
first point, a dict, a string, a backwards step, a stopped run, strict mode) goes through
`_log_slow`, which checks it properly and reports problems by name.
"""

from __future__ import annotations

import glob
import math
import os
import time
from collections.abc import Iterable
from typing import Any, Literal

from ..store.encoding import FieldDelete, SetChange
from ..types import File
from . import paths
from .lifecycle import Lifecycle
from .outbox import InfoUpdate, Outbox, SeriesBuffer, TrackFiles, UploadFile
from .reading import Reader
from .schema import FieldSchema

_now = time.time


class Handles:
    """One run's field handles, one per path (so a series keeps its last step), and what
    they work with: the schema, the outbox, the reader and the lifecycle (`wait`, `sys/name`)."""

    def __init__(
        self,
        root: Any,
        schema: FieldSchema,
        outbox: Outbox,
        reader: Reader,
        lifecycle: Lifecycle,
        *,
        sync: bool,
        fast: bool,
    ) -> None:
        self.root = root  # the Run (get_root_object)
        self.schema = schema
        self.outbox = outbox
        self.reader = reader
        self.lifecycle = lifecycle
        self.wait = lifecycle.wait
        self.sync = sync  # every write waits until it is stored (mode="sync")
        self.fast = fast  # float series may take the fast path (not strict, not sync)
        self._by_path: dict[str, FieldHandle] = {}

    def get(self, path: Any) -> FieldHandle:
        try:
            return self._by_path[path]
        except (KeyError, TypeError):
            pass
        problem = paths.path_problem(path)
        if problem is not None:  # not kept: every use reports the problem
            return FieldHandle(self, path if isinstance(path, str) else repr(path), problem)
        h = FieldHandle(self, path)
        last = self.schema.last_steps.get(path)
        if last is not None:
            h._step = last
        self._by_path[path] = h
        return h

    def writable(self, path: str, value: Any, problem: str | None) -> bool:
        return self.schema.writable(path, value, problem, self.outbox.closed)

    def close(self) -> None:
        """The run stopped taking writes: close every fast path, so the next call on any
        handle goes through the checks and is refused with the reason."""
        for h in list(self._by_path.values()):
            h._fbuf = None

    def forget(self, path: str) -> None:
        """`del run[path]`: the fields under `path` leave the schema, their waiting points
        leave the outbox, and their handles start again (type and step unset)."""
        for p in self.schema.forget(path):
            h = self._by_path.get(p)
            if h is not None:
                h._fbuf = None
                h._sbuf = None
                h._step = -math.inf
        self.outbox.forget(path)


class FieldHandle:
    """A path in a run. Field type is decided by the first use and then kept."""

    __slots__ = ("_children", "_fbuf", "_fields", "_path", "_problem", "_sbuf", "_step")

    def __init__(self, fields: Handles, path: str, problem: str | None = None) -> None:
        self._fields = fields
        self._path = path
        self._problem = problem
        self._sbuf: SeriesBuffer | None = None
        self._fbuf: list[Any] | None = None  # == _sbuf.items while the fast path is open
        self._step = -math.inf
        self._children: dict[str, FieldHandle] | None = None

    def __repr__(self) -> str:
        schema = self._fields.schema
        kind = schema.type_of(self._path) or (
            "namespace" if schema.is_namespace(self._path) else "unset"
        )
        return f"<FieldHandle {self._path!r} ({kind}) of {self._fields.lifecycle.label}>"

    # -- navigation --------------------------------------------------------------------------
    def __getitem__(self, key: str) -> FieldHandle:
        children = self._children
        if children is None:
            children = self._children = {}
        h = children.get(key)
        if h is None:
            h = self._fields.get(paths.join(self._path, key))
            children[key] = h
        return h

    def __setitem__(self, key: str, value: Any) -> None:
        self[key].assign(value)

    def __delitem__(self, key: str) -> None:
        self[key].pop()

    # -- series ------------------------------------------------------------------------------
    def log(
        self,
        value: Any,
        step: float | None = None,
        timestamp: float | None = None,
        wait: bool = False,
    ) -> None:
        """Append to a series. Numbers make a float series, str a string series, File a file
        series; a dict logs one series per key at the same step."""
        b = self._fbuf
        if b is not None and (type(value) is float or type(value) is int) and timestamp is None:
            if step is None:
                step = self._step + 1.0
            elif (type(step) is not float and type(step) is not int) or not step >= self._step:
                self._log_slow(value, step, timestamp, wait)
                return
            self._step = step
            b += (step, value, _now())
            if wait:
                self._fields.wait()
            return
        self._log_slow(value, step, timestamp, wait)

    append = log

    def extend(
        self,
        values: Iterable[Any] | dict[str, Iterable[Any]],
        steps: Iterable[float] | None = None,
        timestamps: Iterable[float] | None = None,
        wait: bool = False,
    ) -> None:
        """Append many points; a dict of lists extends one series per key."""
        if isinstance(values, dict):
            for key, vals in values.items():
                self[str(key)].extend(vals, steps=steps, timestamps=timestamps)
        else:
            vals = list(values)
            st = list(steps) if steps is not None else [None] * len(vals)
            ts = list(timestamps) if timestamps is not None else [None] * len(vals)
            if len(st) != len(vals) or len(ts) != len(vals):
                self._fields.schema.problem(
                    "length",
                    self._path,
                    f"{self._path}: extend() got {len(vals)} values, {len(st)} steps and "
                    f"{len(ts)} timestamps; pass lists of the same length",
                )
                return
            for v, s, t in zip(vals, st, ts, strict=True):
                self.log(v, step=s, timestamp=t)
        if wait:
            self._fields.wait()

    def _log_dict(self, values: dict[Any, Any], step: Any, timestamp: Any) -> None:
        """One series per key at the same step. The common case (numbers, no timestamp, a step
        that does not go back) appends straight to each child's buffer with one clock reading
        for the whole dict; anything else goes through the child's own `log`."""
        children = self._children
        now = _now() if timestamp is None else None
        plain_step = step is None or type(step) is float or type(step) is int
        for key, v in values.items():
            h = children.get(key) if children is not None else None
            if h is None:
                h = self[str(key)]
                children = self._children
            b = h._fbuf
            if (
                b is not None
                and now is not None
                and plain_step
                and (type(v) is float or type(v) is int)
            ):
                s = h._step + 1.0 if step is None else step
                if s >= h._step:
                    h._step = s
                    b += (s, v, now)
                    continue
            h.log(v, step=step, timestamp=timestamp if now is None else now)

    def _log_slow(self, value: Any, step: Any, timestamp: Any, wait: bool) -> None:
        fields = self._fields
        schema = fields.schema
        path = self._path
        if not fields.writable(path, value, self._problem):
            return
        if isinstance(value, dict):
            self._log_dict(value, step, timestamp)
            if wait:
                fields.wait()
            return
        point = schema.series_point(path, value)
        if point is None:
            return
        kind, value = point
        if not schema.series_type(path, kind, value):
            return
        at = schema.step(path, step, self._step, value)
        if at is None:
            return
        ts = _now() if timestamp is None else schema.timestamp(path, timestamp)
        if ts is None:
            return
        sb = self._sbuf
        if sb is None:
            sb = self._sbuf = fields.outbox.series_buffer(path, kind)
        sb.items += (at, value, ts)
        self._step = at
        if kind == "float_series" and fields.fast:
            self._fbuf = sb.items
        if wait or fields.sync:
            fields.wait()

    # -- scalars, namespaces, files ----------------------------------------------------------
    def assign(self, value: Any, wait: bool = False) -> None:
        """Set a value: a scalar, a File (uploaded), or a dict (a namespace of fields)."""
        fields = self._fields
        if isinstance(value, dict):
            if not fields.writable(self._path, value, self._problem):
                return
            for key, v in value.items():
                self[str(key)].assign(v)
        elif isinstance(value, File):
            self.upload(value)
        elif isinstance(value, FieldHandle):
            self.assign(value.fetch())
        else:
            self._assign_scalar(value)
        if wait or fields.sync:
            fields.wait()

    def _assign_scalar(self, value: Any) -> None:
        fields = self._fields
        schema = fields.schema
        path = self._path
        if not fields.writable(path, value, self._problem):
            return
        if path in ("sys/name", "sys/description"):
            if schema.run_text(path, value):
                fields.lifecycle.update_info(
                    InfoUpdate(name=value) if path == "sys/name" else InfoUpdate(description=value)
                )
            return
        is_set = path == "sys/tags" or schema.type_of(path) == "string_set"
        if is_set and isinstance(value, (list, tuple, set, frozenset)):
            self.clear()
            self.add(list(value))
            return
        sw = schema.scalar(path, value)
        if sw is None or not schema.set_type(path, sw.type, value):
            return
        fields.outbox.put(sw)

    def upload(self, value: str | os.PathLike[str] | File, wait: bool = False) -> None:
        """Store a file (copied into the blob store when the writer next runs)."""
        fields = self._fields
        if not fields.writable(self._path, value, self._problem):
            return
        f = value if isinstance(value, File) else File(value)
        if not fields.schema.file_ok(self._path, f):
            return
        if not fields.schema.set_type(self._path, "file", value):
            return
        fields.outbox.put(UploadFile(self._path, f))
        if wait or fields.sync:
            fields.wait()

    def upload_files(self, globs: str | Iterable[str], wait: bool = False) -> None:
        """Upload every file matching the glob(s) into a file set (kept, with its paths)."""
        self._file_set(globs, upload=True, wait=wait)

    def track_files(
        self, path: str | os.PathLike[str], destination: str | None = None, wait: bool = False
    ) -> None:
        """Record sha256, size and mtime of a file, a glob or a directory, without copying."""
        target = self if destination is None else self[destination]
        target._file_set([os.fspath(path)], upload=False, wait=wait)

    def _file_set(self, globs: str | Iterable[str], *, upload: bool, wait: bool) -> None:
        fields = self._fields
        if not fields.writable(self._path, globs, self._problem):
            return
        patterns = [globs] if isinstance(globs, str) else [os.fspath(g) for g in globs]
        found: list[str] = []
        for pattern in patterns:
            expanded = os.path.expanduser(pattern)
            if os.path.isdir(expanded):
                for root, _dirs, names in os.walk(expanded):
                    found.extend(os.path.join(root, name) for name in names)
            else:
                found.extend(p for p in glob.glob(expanded, recursive=True) if os.path.isfile(p))
        if not found:
            fields.schema.problem(
                "missing_file",
                self._path,
                f"{self._path}: nothing matches {patterns!r} (cwd {os.getcwd()}); check the "
                "path or glob, nothing was recorded",
            )
            return
        if not fields.schema.set_type(self._path, "file_set", patterns):
            return
        fields.outbox.put(TrackFiles(self._path, tuple(sorted(set(found))), upload))
        if wait or fields.sync:
            fields.wait()

    # -- string sets (sys/tags) --------------------------------------------------------------
    def add(self, values_: str | Iterable[str], wait: bool = False) -> None:
        self._set_change("add", values_, wait)

    def remove(self, values_: str | Iterable[str], wait: bool = False) -> None:
        self._set_change("remove", values_, wait)

    def clear(self, wait: bool = False) -> None:
        self._set_change("clear", [], wait)

    def _set_change(
        self, action: Literal["add", "remove", "clear"], items: str | Iterable[str], wait: bool
    ) -> None:
        fields = self._fields
        if not fields.writable(self._path, items, self._problem):
            return
        vals = fields.schema.strings(self._path, items)
        if vals is None or not fields.schema.set_type(self._path, "string_set", vals):
            return
        fields.outbox.put(SetChange(self._path, action, tuple(vals)))
        if wait or fields.sync:
            fields.wait()

    # -- deleting ----------------------------------------------------------------------------
    def pop(self, wait: bool = False) -> None:
        """Delete this field, or everything under this namespace."""
        fields = self._fields
        if not fields.writable(self._path, None, self._problem):
            return
        fields.forget(self._path)
        fields.outbox.put(FieldDelete(self._path))
        if wait or fields.sync:
            fields.wait()

    # -- reading -----------------------------------------------------------------------------
    def fetch(self) -> Any:
        """The value (last value of a series; a dict for a namespace)."""
        return self._fields.reader.value(self._path)

    def fetch_last(self) -> Any:
        return self._fields.reader.value(self._path)

    def fetch_values(self, include_timestamp: bool = True) -> Any:
        """Points of a series: a pandas DataFrame (step, value, timestamp) when pandas is
        installed, else a list of dicts."""
        return self._fields.reader.points(self._path, include_timestamp)

    def download(self, destination: str | os.PathLike[str] | None = None) -> str:
        """Write a file (or all files of a file set / file series) to `destination`;
        returns the path written."""
        return self._fields.reader.download(self._path, destination)

    def exists(self) -> bool:
        return self._fields.reader.exists(self._path)

    def get_root_object(self) -> Any:
        """The `Run` this field belongs to."""
        return self._fields.root
