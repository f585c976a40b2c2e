"""`run["train/loss"]`: the handle of one path, and everything that can be done to it.

The hot path is `Handler.log` for a float series: after the first point it is a type check,
a step check and one `list += (step, value, time)` (a single C call, so the writer thread,
which takes whole triples from the front of the list, never sees half a point). Everything
unusual (the first point, a dict, a string, a backwards step, a stopped run, strict mode)
goes through `_log_slow`, which checks it properly and reports problems by name.
"""

from __future__ import annotations

import glob
import math
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..types import File
from . import paths, values
from .reporting import short_repr

if TYPE_CHECKING:
    from .run import Run

_now = time.time

_SERIES_OF = {float: "float_series", int: "float_series", bool: "float_series"}


class SeriesBuffer:
    """Points of one series waiting for the writer: a flat list of step, value, timestamp."""

    __slots__ = ("items", "path", "type")

    def __init__(self, path: str, type_: str) -> None:
        self.path = path
        self.type = type_
        self.items: list[Any] = []


class Handler:
    """A path in a run. Field type is decided by the first use and then kept."""

    __slots__ = ("_children", "_fbuf", "_path", "_problem", "_run", "_sbuf", "_step")

    def __init__(self, run: Run, path: str, problem: str | None = None) -> None:
        self._run = run
        self._path = path
        self._problem = problem
        self._sbuf: SeriesBuffer | None = None
        self._fbuf: list[Any] | None = None  # == _sbuf.items while the fast path is open
        self._step = -math.inf
        self._children: dict[str, Handler] | None = None

    def __repr__(self) -> str:
        kind = self._run._types.get(self._path) or (
            "namespace" if self._run._is_namespace(self._path) else "unset"
        )
        return f"<Handler {self._path!r} ({kind}) of {self._run._info.short_id}>"

    # -- navigation --------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Handler:
        children = self._children
        if children is None:
            children = self._children = {}
        h = children.get(key)
        if h is None:
            h = self._run[paths.join(self._path, key)]
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
                self._run.wait()
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
                self._run._problem(
                    "length",
                    self._path,
                    f"{self._path}: extend() got {len(vals)} values, {len(st)} steps and "
                    f"{len(ts)} timestamps; pass lists of the same length",
                )
                return
            for v, s, t in zip(vals, st, ts, strict=True):
                self.log(v, step=s, timestamp=t)
        if wait:
            self._run.wait()

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
        run = self._run
        path = self._path
        if not run._check_writable(path, value, self._problem):
            return
        if isinstance(value, dict):
            self._log_dict(value, step, timestamp)
            if wait:
                run.wait()
            return
        # What kind of series is this value for?
        if isinstance(value, File):
            kind = "file_series"
            if not self._file_ok(value):
                return
        elif isinstance(value, str):
            kind = "string_series"
            if len(value) > values.MAX_STRING or "\x00" in value:
                run._problem(
                    "too_long" if len(value) > values.MAX_STRING else "nul",
                    path,
                    f"{path}: cannot log {short_repr(value)} to a string series "
                    + (
                        f"(over {values.MAX_STRING:,} characters); log it as a file: "
                        f"run[{path!r}].log(File.from_content(text))"
                        if len(value) > values.MAX_STRING
                        else "(it contains NUL characters); remove them first"
                    ),
                )
                return
        else:
            num = values.plain_number(value)
            if num is None:
                run._problem(
                    "type",
                    path,
                    f"{path}: cannot log {short_repr(value)} of type {type(value).__name__}; "
                    "log a number, a str or a File",
                )
                return
            value = float(num) if type(num) is bool else num
            kind = "float_series"
            if type(value) is float and not math.isfinite(value):
                run._problem(
                    "nonfinite",
                    path,
                    f"{path}: logged {value!r}; it is stored as {value!r} and left out of "
                    "min/max (check the training for divergence)",
                )
        existing = run._types.get(path)
        if existing is None:
            if not run._claim(path, kind, value):
                return
        elif existing != kind:
            run._wrong_type(path, existing, kind, value)
            return
        # Step and timestamp.
        if step is None:
            step = 0.0 if self._step == -math.inf else self._step + 1.0
        else:
            num_step = values.plain_number(step)
            if num_step is None or type(num_step) is bool or not math.isfinite(num_step):
                run._problem(
                    "step",
                    path,
                    f"{path}: step {short_repr(step)} is not a finite number; pass an int or "
                    "a float step, or leave it out to count from the last one",
                )
                return
            step = num_step
            if step < self._step:
                run._problem(
                    "backwards",
                    path,
                    f"{path}: step {step} is before the last logged step {self._step}; the "
                    f"point ({short_repr(value)}) is kept, but steps should increase: pass "
                    "step= explicitly or log to a new series after a restart",
                )
        if timestamp is None:
            ts = _now()
        else:
            ts_num = values.epoch(timestamp)
            if ts_num is None:
                n = values.plain_number(timestamp)
                ts_num = float(n) if n is not None and type(n) is not bool else None
            if ts_num is None or not math.isfinite(ts_num):
                run._problem(
                    "timestamp",
                    path,
                    f"{path}: timestamp {short_repr(timestamp)} is not a datetime or epoch "
                    "seconds; leave it out to use the current time",
                )
                return
            ts = ts_num
        sb = self._sbuf
        if sb is None:
            sb = self._sbuf = run._series_buffer(path, kind)
        sb.items += (step, value, ts)
        self._step = step
        if kind == "float_series" and run._fast_ok:
            self._fbuf = sb.items
        if wait or run._sync:
            run.wait()

    def _file_ok(self, f: File) -> bool:
        if f.problem is not None:
            self._run._problem("file", self._path, f"{self._path}: {f.problem}")
            return False
        if f.content is None and (f.path is None or not os.path.isfile(f.path)):
            self._run._problem(
                "missing_file",
                self._path,
                f"{self._path}: file {f.path!r} does not exist (cwd {os.getcwd()}); "
                "check the path, nothing was uploaded",
            )
            return False
        return True

    # -- scalars, namespaces, files ----------------------------------------------------------
    def assign(self, value: Any, wait: bool = False) -> None:
        """Set a value: a scalar, a File (uploaded), or a dict (a namespace of fields)."""
        run = self._run
        if isinstance(value, dict):
            if not run._check_writable(self._path, value, self._problem):
                return
            for key, v in value.items():
                self[str(key)].assign(v)
        elif isinstance(value, File):
            self.upload(value)
        elif isinstance(value, Handler):
            self.assign(value.fetch())
        else:
            run._assign_scalar(self._path, value, self._problem)
        if wait or run._sync:
            run.wait()

    def upload(self, value: str | os.PathLike[str] | File, wait: bool = False) -> None:
        """Store a file (copied into the blob store when the writer next runs)."""
        run = self._run
        if not run._check_writable(self._path, value, self._problem):
            return
        f = value if isinstance(value, File) else File(value)
        if not self._file_ok(f):
            return
        if not run._set_type(self._path, "file", value):
            return
        run._ops.append(("file", self._path, f))
        if wait or run._sync:
            run.wait()

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
        run = self._run
        if not run._check_writable(self._path, globs, self._problem):
            return
        patterns = [globs] if isinstance(globs, str) else [os.fspath(g) for g in globs]
        found: list[str] = []
        for pattern in patterns:
            expanded = os.path.expanduser(pattern)
            if os.path.isdir(expanded):
                for root, _dirs, files in os.walk(expanded):
                    found.extend(os.path.join(root, f) for f in files)
            else:
                found.extend(p for p in glob.glob(expanded, recursive=True) if os.path.isfile(p))
        if not found:
            run._problem(
                "missing_file",
                self._path,
                f"{self._path}: nothing matches {patterns!r} (cwd {os.getcwd()}); check the "
                "path or glob, nothing was recorded",
            )
            return
        if not run._set_type(self._path, "file_set", patterns):
            return
        run._ops.append(("fileset", self._path, sorted(set(found)), upload))
        if wait or run._sync:
            run.wait()

    # -- string sets (sys/tags) --------------------------------------------------------------
    def add(self, values_: str | Iterable[str], wait: bool = False) -> None:
        self._set_op("set_add", values_, wait)

    def remove(self, values_: str | Iterable[str], wait: bool = False) -> None:
        self._set_op("set_remove", values_, wait)

    def clear(self, wait: bool = False) -> None:
        self._set_op("set_clear", [], wait)

    def _set_op(self, op: str, items: str | Iterable[str], wait: bool) -> None:
        run = self._run
        if not run._check_writable(self._path, items, self._problem):
            return
        vals = [items] if isinstance(items, str) else list(items)
        bad = [v for v in vals if not isinstance(v, str)]
        if bad:
            run._problem(
                "type",
                self._path,
                f"{self._path}: tags must be strings, got {short_repr(bad[0])}; pass str(value)",
            )
            return
        if not run._set_type(self._path, "string_set", vals):
            return
        run._ops.append((op, self._path, vals))
        if wait or run._sync:
            run.wait()

    # -- deleting ----------------------------------------------------------------------------
    def pop(self, wait: bool = False) -> None:
        """Delete this field, or everything under this namespace."""
        run = self._run
        if not run._check_writable(self._path, None, self._problem):
            return
        run._forget(self._path)
        run._ops.append(("delete", self._path))
        if wait or run._sync:
            run.wait()

    # -- reading -----------------------------------------------------------------------------
    def fetch(self) -> Any:
        """The value (last value of a series; a dict for a namespace)."""
        return self._run._fetch(self._path)

    def fetch_last(self) -> Any:
        return self._run._fetch(self._path)

    def fetch_values(self, include_timestamp: bool = True) -> Any:
        """Points of a series: a pandas DataFrame (step, value, timestamp) when pandas is
        installed, else a list of dicts."""
        return self._run._fetch_values(self._path, include_timestamp)

    def download(self, destination: str | os.PathLike[str] | None = None) -> str:
        """Write a file (or all files of a file set / file series) to `destination`;
        returns the path written."""
        return self._run._download(self._path, destination)

    def exists(self) -> bool:
        return self._run.exists(self._path)

    def get_root_object(self) -> Run:
        return self._run


def missing(path: str) -> NotFound:
    return NotFound(f"field {path!r} does not exist in this run")
