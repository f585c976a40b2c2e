"""A run's field schema: each path's type, the namespaces above them, and every check a value
must pass before it is queued, each failure reported by name (`reporting.Reporter`).

A path's type is decided by its first use and then kept: the caller learns at once that a
float series cannot take a string, without asking the store. A resumed run loads the schema
from the store once (`load`); from then on it is answered from these dicts, in the caller's
thread, never by a query. Series also remember their last step here, so a resumed series
counts on from where it stopped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from ..store.encoding import ScalarWrite
from ..types import File
from . import paths, values
from .reporting import Reporter, short_repr


class FieldSchema:
    """Path -> type for one run, and the validation of what is written to its paths."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.types: dict[str, str] = {}
        self.namespaces: set[str] = set()
        self.last_steps: dict[str, float] = {}

    def load(self, stored: Iterable[tuple[str, str, float | None]]) -> None:
        """The fields a resumed run already has: (path, type, last step of a series)."""
        for path, kind, last_step in stored:
            self.types[path] = kind
            parts = path.split("/")
            for i in range(1, len(parts)):
                self.namespaces.add("/".join(parts[:i]))
            if last_step is not None:
                self.last_steps[path] = last_step

    def problem(self, kind: str, path: str, message: str) -> None:
        self.reporter.problem(kind, path, message)

    def type_of(self, path: str) -> str | None:
        return self.types.get(path)

    def is_namespace(self, path: str) -> bool:
        return path in self.namespaces

    def has(self, path: str) -> bool:
        return path in self.types or path in self.namespaces

    # -- may this path be written? ------------------------------------------------------------
    def writable(self, path: str, value: Any, problem: str | None, closed: str | None) -> bool:
        """Whether `value` may be written to `path`: a valid path (`problem` is why not), a
        run still taking writes (`closed` is why not) and not one of the tracker's own
        `sys/` fields."""
        if problem is not None:
            self.problem("path", path, f"{problem} (value {short_repr(value)} not stored)")
            return False
        if closed is not None:
            self.problem(
                "stopped", path, f"{path}: {short_repr(value)} not stored because {closed}"
            )
            return False
        if path.startswith("sys/") and path not in paths.SYS_WRITABLE:
            self.problem(
                "readonly",
                path,
                f"{path} is set by the tracker and cannot be written; only "
                f"{', '.join(paths.SYS_WRITABLE)} can",
            )
            return False
        return True

    # -- types ----------------------------------------------------------------------------------
    def claim(self, path: str, kind: str, value: Any) -> bool:
        """Give a new path its type, refusing a field under a field or over a namespace."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self.types:
                self.problem(
                    "namespace",
                    path,
                    f"{path}: {prefix!r} is a {self.types[prefix]} field, so it cannot hold "
                    f"{path!r} ({short_repr(value)} not stored); use another name",
                )
                return False
        if path in self.namespaces:
            self.problem(
                "namespace",
                path,
                f"{path} is a namespace holding other fields, so {short_repr(value)} cannot "
                f"be stored there; use a path below it, like '{path}/value'",
            )
            return False
        self.types[path] = kind
        for i in range(1, len(parts)):
            self.namespaces.add("/".join(parts[:i]))
        return True

    def set_type(self, path: str, kind: str, value: Any) -> bool:
        """A non-series value: a new path is claimed; int and float may replace each other."""
        existing = self.types.get(path)
        if existing is None:
            return self.claim(path, kind, value)
        if not values.compatible(existing, kind):
            self.wrong_type(path, existing, kind, value)
            return False
        self.types[path] = kind
        return True

    def series_type(self, path: str, kind: str, value: Any) -> bool:
        """A series point: a new path is claimed; an existing one must be that series."""
        existing = self.types.get(path)
        if existing is None:
            return self.claim(path, kind, value)
        if existing != kind:
            self.wrong_type(path, existing, kind, value)
            return False
        return True

    def wrong_type(self, path: str, existing: str, kind: str, value: Any) -> None:
        self.problem(
            "type",
            path,
            f"{path} is a {existing} field; {short_repr(value)} ({type(value).__name__}) "
            f"would make it {kind}, so it was not stored. Log it to another path, or "
            f"`del run[{path!r}]` first to replace the field",
        )

    def forget(self, path: str) -> list[str]:
        """`del run[path]`: drop the field (or namespace) and everything under it; returns
        the field paths dropped."""
        prefix = path + "/"
        gone = [p for p in self.types if p == path or p.startswith(prefix)]
        for p in gone:
            del self.types[p]
            self.last_steps.pop(p, None)
        self.namespaces = {
            "/".join(p.split("/")[:i]) for p in self.types for i in range(1, p.count("/") + 1)
        }
        return gone

    # -- values ---------------------------------------------------------------------------------
    def run_text(self, path: str, value: Any) -> bool:
        """`sys/name` and `sys/description` take a str (they are columns of the run)."""
        refusal = values.run_text_refusal(path, value)
        if refusal is not None:
            self.problem("type", path, refusal)
            return False
        return True

    def scalar(self, path: str, value: Any) -> ScalarWrite | None:
        """The stored form of an assigned scalar, or None (reported) when it cannot be."""
        sw = values.scalar_write(path, value)
        if isinstance(sw, str):
            self.problem("too_long" if isinstance(value, str) else "type", path, sw)
            return None
        if values.is_nonfinite(value) or (sw.type == "float" and sw.text):
            self.problem(
                "nonfinite",
                path,
                f"{path}: assigned {short_repr(value)}; it is stored as such (queries and "
                "sorting treat it as missing)",
            )
        return sw

    def strings(self, path: str, items: str | Iterable[Any]) -> list[str] | None:
        """The members given to a string set (`sys/tags`), or None if one is not a str."""
        vals = [items] if isinstance(items, str) else list(items)
        bad = [v for v in vals if not isinstance(v, str)]
        if bad:
            self.problem(
                "type",
                path,
                f"{path}: tags must be strings, got {short_repr(bad[0])}; pass str(value)",
            )
            return None
        for v in vals:
            refusal = values.text_refusal(path, v)
            if refusal is not None:
                self.problem("text", path, refusal)
                return None
        return vals

    def file_ok(self, path: str, f: File) -> bool:
        """A File that can be read now (its content, or a file that exists)."""
        if f.problem is not None:
            self.problem("file", path, f"{path}: {f.problem}")
            return False
        if f.content is None and (f.path is None or not os.path.isfile(f.path)):
            self.problem(
                "missing_file",
                path,
                f"{path}: file {f.path!r} does not exist (cwd {os.getcwd()}); "
                "check the path, nothing was uploaded",
            )
            return False
        return True

    def series_point(self, path: str, value: Any) -> tuple[str, Any] | None:
        """(series type, value as stored) for a logged value, or None (reported): numbers
        make a float series, str a string series, File a file series."""
        if isinstance(value, File):
            return ("file_series", value) if self.file_ok(path, value) else None
        if isinstance(value, str):
            if len(value) > values.MAX_STRING:
                self.problem(
                    "too_long",
                    path,
                    f"{path}: cannot log {short_repr(value)} to a string series "
                    f"(over {values.MAX_STRING:,} characters); log it as a file: "
                    f"run[{path!r}].log(File.from_content(text))",
                )
                return None
            refusal = values.text_refusal(path, value)
            if refusal is not None:
                self.problem("text", path, refusal)
                return None
            return "string_series", value
        num = values.plain_number(value)
        if num is None:
            self.problem(
                "type",
                path,
                f"{path}: cannot log {short_repr(value)} of type {type(value).__name__}; "
                "log a number, a str or a File",
            )
            return None
        num = float(num) if type(num) is bool else num
        if type(num) is float and not math.isfinite(num):
            self.problem(
                "nonfinite",
                path,
                f"{path}: logged {num!r}; it is stored as {num!r} and left out of "
                "min/max (check the training for divergence)",
            )
        return "float_series", num

    def step(self, path: str, step: Any, last: float, value: Any) -> float | None:
        """The step of a new point after `last`: the next one when not given, else the given
        one if it is a finite number (a step before `last` is kept, with a warning)."""
        if step is None:
            return 0.0 if last == -math.inf else last + 1.0
        num = values.plain_number(step)
        if num is None or type(num) is bool or not math.isfinite(num):
            self.problem(
                "step",
                path,
                f"{path}: step {short_repr(step)} is not a finite number; pass an int or "
                "a float step, or leave it out to count from the last one",
            )
            return None
        if num < last:
            self.problem(
                "backwards",
                path,
                f"{path}: step {num} is before the last logged step {last}; the "
                f"point ({short_repr(value)}) is kept, but steps should increase: pass "
                "step= explicitly or log to a new series after a restart",
            )
        return num

    def timestamp(self, path: str, timestamp: Any) -> float | None:
        """A given timestamp as epoch seconds (a datetime or a number), or None (reported)."""
        ts = values.epoch(timestamp)
        if ts is None:
            n = values.plain_number(timestamp)
            ts = float(n) if n is not None and type(n) is not bool else None
        if ts is None or not math.isfinite(ts):
            self.problem(
                "timestamp",
                path,
                f"{path}: timestamp {short_repr(timestamp)} is not a datetime or epoch "
                "seconds; leave it out to use the current time",
            )
            return None
        return ts
