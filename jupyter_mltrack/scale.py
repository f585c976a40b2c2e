"""Neptune 3's dialect: `from jupyter_mltrack.scale import Run` in place of
`from neptune_scale import Run`, and the training script runs as it was.

    run = Run(experiment_name="seabird", run_id="sb-1")
    run.log_configs({"lr": 0.01, "optim": {"name": "adam"}}, flatten=True)
    for step in range(100):
        run.log_metrics(data={"train/loss": loss}, step=step)
    run.add_tags(["baseline"])
    run.close()

It is a thin face over the client's `init_run` run (docs/api.md): the same store, writer
thread and costs. What Neptune 3 does differently from Neptune 1, it does here too:

- `run_id` is the run's custom id (`init_run(with_id=...)` and `sys/custom_run_id` find it);
  `resume=True` continues it, and without `resume` an existing id is a `NeptuneRunConflicting`
  error, as Neptune 3 refuses to create a run twice. `experiment_name` is the run's name.
- Within a series the steps must increase. A step smaller than the last one, or the same step
  with another value, is `NeptuneSeriesStepNonIncreasing`; the same step with the same value
  is a `NeptuneSeriesPointDuplicate` warning; in a fork a step not after `fork_step` is
  `NeptuneSeriesStepNotAfterForkPoint`. The point is not stored. The error goes to
  `on_error_callback(error, last_seen_at)` when given (warnings to `on_warning_callback`),
  which is how Neptune 3 users handle them; without one it is raised from the logging call
  (Neptune 3's default callback ends the training process).
- A fork (`fork_run_id`, `fork_step`) records its parent (by the parent's run id) and step as
  `forking/parent` and `forking/step`; the parent must exist (`NeptuneRunForkParentNotFound`).
  Its series read the parent's points up to `fork_step` first (`store/forks.py`).
- Histograms (`log_histograms`) are stored as `mltrack import neptune` stores Neptune's
  histogram series: a string series of JSON `{"type", "edges", "values"}`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from . import types as _types
from .client.init import init_run
from .client.run import Run as _ClientRun

__all__ = [
    "File",
    "Histogram",
    "NeptuneRunConflicting",
    "NeptuneRunForkParentNotFound",
    "NeptuneScaleError",
    "NeptuneScaleWarning",
    "NeptuneSeriesPointDuplicate",
    "NeptuneSeriesStepNonIncreasing",
    "NeptuneSeriesStepNotAfterForkPoint",
    "Run",
]


class NeptuneScaleError(Exception):
    """Base of the errors Neptune 3 reports (same names, same cases)."""


class NeptuneScaleWarning(UserWarning):
    """Base of the warnings Neptune 3 reports."""


class NeptuneSeriesStepNonIncreasing(NeptuneScaleError):
    """A step smaller than the series' last step, or the same step with another value."""


class NeptuneSeriesStepNotAfterForkPoint(NeptuneScaleError):
    """A fork's step that is not after its `fork_step`."""


class NeptuneSeriesPointDuplicate(NeptuneScaleWarning):
    """The same step with the same value again: dropped."""


class NeptuneRunConflicting(NeptuneScaleError):
    """A run with this `run_id` exists and `resume=True` was not given."""


class NeptuneRunForkParentNotFound(NeptuneScaleError):
    """`fork_run_id` names no run of the project."""


@dataclass
class Histogram:
    """neptune_scale.types.Histogram: bin edges and counts (or densities)."""

    bin_edges: Any
    counts: Any = None
    densities: Any = None

    def as_json(self) -> str:
        kind, values = ("COUNTING", self.counts) if self.counts is not None else ("DENSITY", None)
        if values is None:
            values = self.densities
        return json.dumps(
            {"type": kind, "edges": _floats(self.bin_edges), "values": _floats(values)},
            separators=(",", ":"),
        )


@dataclass
class File:
    """neptune_scale.types.File: a path or bytes, with an optional MIME type."""

    source: str | os.PathLike[str] | bytes
    mime_type: str | None = None
    size: int | None = None
    destination: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_file(self) -> _types.File:
        if isinstance(self.source, bytes):
            return _types.File.from_content(self.source)
        return _types.File(os.fspath(self.source))


def _floats(values: Any) -> list[float]:
    return [float(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


def _epoch(value: dt.datetime | float | None) -> float | None:
    """Neptune 3's timestamps: datetimes (naive ones in local time) or epoch seconds."""
    if value is None or isinstance(value, (int, float)):
        return value
    return value.timestamp()


ErrorCallback = Callable[[BaseException, float | None], None]


class Run:
    """A Neptune 3 `Run` (see the module doc)."""

    def __init__(
        self,
        *,
        run_id: str | None = None,
        project: str | None = None,
        api_token: str | None = None,
        resume: bool = False,
        mode: str | None = None,
        experiment_name: str | None = None,
        creation_time: dt.datetime | None = None,
        fork_run_id: str | None = None,
        fork_step: float | None = None,
        on_error_callback: ErrorCallback | None = None,
        on_warning_callback: ErrorCallback | None = None,
        store: str | None = None,
        blobs: str | os.PathLike[str] | None = None,
        **neptune_kwargs: Any,
    ) -> None:
        """The arguments of neptune_scale.Run; its queue, lag, network and console-capture
        options are accepted and have nothing to do here (the writer is a thread)."""
        del api_token, neptune_kwargs
        from .store import runs
        from .store.config import resolve
        from .store.engine import open_store
        from .store.names import normalize_name

        self._on_error = on_error_callback
        self._on_warning = on_warning_callback
        self._last: dict[str, tuple[float, Any]] = {}
        self._fork_step = None if fork_step is None else float(fork_step)
        self.run_id = run_id or str(uuid.uuid4())
        mode = {"disabled": "debug", None: None}.get(mode, mode)
        project_name = normalize_name(
            project or os.environ.get("MLTRACK_PROJECT") or os.environ.get("NEPTUNE_PROJECT")
        )
        if mode != "debug":
            st = open_store(resolve(store, blobs))
            exists = runs.find_custom(st, project_name, self.run_id) is not None
            if exists and not resume:
                raise NeptuneRunConflicting(
                    f"a run with run_id {self.run_id!r} exists in {project_name!r}; "
                    "pass resume=True to continue it"
                )
            if fork_run_id is not None and runs.find_custom(st, project_name, fork_run_id) is None:
                raise NeptuneRunForkParentNotFound(
                    f"fork_run_id {fork_run_id!r} names no run of {project_name!r}"
                )
        self._run: _ClientRun = init_run(
            project=project_name,
            custom_run_id=self.run_id,
            mode=mode,
            name=experiment_name,
            store=store,
            blobs=blobs,
            creation_time=_epoch(creation_time),
        )
        if fork_run_id is not None and not resume:
            self._run["forking/parent"] = fork_run_id
            if fork_step is not None:
                self._run["forking/step"] = float(fork_step)
        if resume:  # go on after the steps already stored
            for path in self._run._schema.last_steps:
                step = self._run._schema.last_steps[path]
                if step is not None:
                    self._last[path] = (step, None)

    # -- errors, the Neptune 3 way ------------------------------------------------------------
    def _error(self, error: NeptuneScaleError) -> None:
        if self._on_error is None:
            raise error
        self._on_error(error, None)

    def _warning(self, warning: NeptuneScaleWarning) -> None:
        if self._on_warning is not None:
            self._on_warning(warning, None)
        else:
            warnings.warn(warning, stacklevel=4)

    def _accept(self, path: str, step: float, value: Any) -> bool:
        """Neptune 3's step rules for one point (module doc); True: store it."""
        if self._fork_step is not None and step <= self._fork_step:
            self._error(
                NeptuneSeriesStepNotAfterForkPoint(
                    f"{path}: step {step} is not after the fork step {self._fork_step}"
                )
            )
            return False
        last = self._last.get(path)
        if last is not None and step <= last[0]:
            if step == last[0] and value == last[1]:
                self._warning(NeptuneSeriesPointDuplicate(f"{path}: step {step} again, dropped"))
            else:
                self._error(
                    NeptuneSeriesStepNonIncreasing(
                        f"{path}: step {step} after step {last[0]}: the steps of a series "
                        "must increase"
                    )
                )
            return False
        self._last[path] = (step, value)
        return True

    def _series(
        self, data: Mapping[str, Any], step: float | int, timestamp: dt.datetime | float | None
    ) -> None:
        at = _epoch(timestamp)
        for path, value in data.items():
            if self._accept(path, float(step), value):
                self._run[path].log(value, step=step, timestamp=at)

    # -- logging ------------------------------------------------------------------------------
    def log_metrics(
        self,
        data: Mapping[str, float | int],
        step: float | int,
        timestamp: dt.datetime | float | None = None,
        preview: bool = False,
        preview_completion: float | None = None,
    ) -> None:
        """Float series points at one step (preview points are stored as ordinary ones)."""
        del preview, preview_completion
        self._series(data, step, timestamp)

    def log_string_series(
        self,
        data: Mapping[str, str],
        step: float | int,
        timestamp: dt.datetime | float | None = None,
    ) -> None:
        self._series(data, step, timestamp)

    def log_histograms(
        self,
        histograms: Mapping[str, Histogram],
        step: float | int,
        timestamp: dt.datetime | float | None = None,
    ) -> None:
        self._series({k: h.as_json() for k, h in histograms.items()}, step, timestamp)

    def log_configs(
        self,
        data: Mapping[str, Any] | None = None,
        flatten: bool = False,
        cast_unsupported: bool = False,
    ) -> None:
        """Single values. `flatten` turns nested dicts into paths (`{"a": {"b": 1}}` is
        `a/b`); `cast_unsupported` stores other values (None, lists, objects) as their
        `str()`, as Neptune 3 does; without it they are a TypeError. A list, set or tuple of
        strings is a string set."""
        for path, value in _flat(data or {}, flatten).items():
            if isinstance(value, (list, set, tuple, frozenset)) and all(
                isinstance(v, str) for v in value
            ):
                self._run[path] = list(value)
            elif value is None or not isinstance(value, (int, float, str, bool, dt.datetime)):
                if not cast_unsupported:
                    raise TypeError(
                        f"log_configs: {path} is a {type(value).__name__}; pass "
                        "cast_unsupported=True to store it as a string"
                        + ("" if flatten or not isinstance(value, dict) else ", or flatten=True")
                    )
                self._run[path] = str(value)
            else:
                self._run[path] = value

    def add_tags(self, tags: Iterable[str], group_tags: bool = False) -> None:
        self._run["group_tags" if group_tags else "sys/tags"].add(list(tags))

    def remove_tags(self, tags: Iterable[str], group_tags: bool = False) -> None:
        self._run["group_tags" if group_tags else "sys/tags"].remove(list(tags))

    def assign_files(self, files: Mapping[str, str | os.PathLike[str] | File]) -> None:
        """Single files, uploaded into the store (a path or a `File`)."""
        for path, f in files.items():
            self._run[path].upload(f.to_file() if isinstance(f, File) else os.fspath(f))

    def log_files(
        self,
        files: Mapping[str, str | os.PathLike[str] | File],
        step: float | int,
        timestamp: dt.datetime | float | None = None,
    ) -> None:
        """A file per step: a file series."""
        at = _epoch(timestamp)
        for path, f in files.items():
            value = f.to_file() if isinstance(f, File) else _types.File(os.fspath(f))
            if self._accept(path, float(step), value):
                self._run[path].log(value, step=step, timestamp=at)

    # -- ending ---------------------------------------------------------------------------------
    def wait_for_submission(self, timeout: float | None = None, verbose: bool = True) -> None:
        self._run.wait()

    def wait_for_processing(self, timeout: float | None = None, verbose: bool = True) -> None:
        """Returns when everything logged so far is in the store."""
        self._run.wait()

    def close(self, timeout: float | None = None) -> None:
        self._run.stop(timeout)

    terminate = close

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._run.__exit__(exc_type, exc, tb)

    def get_run_url(self) -> str:
        return self._run.get_url()


def _flat(data: Mapping[str, Any], flatten: bool, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if flatten and isinstance(value, Mapping):
            out.update(_flat(value, True, path + "/"))
        else:
            out[path] = value
    return out
