"""What every integration shares: importing its framework with a clear error, using the run
the user passed or creating one, turning framework values into loggable ones, and keeping a
logging failure out of the training loop.

The frameworks are never imported by `jupyter_mltrack` itself: only importing
`jupyter_mltrack.integrations.<framework>` (or calling one of its helpers) does, so the
package installs and imports without any of them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..client import Run

F = TypeVar("F", bound=Callable[..., Any])


def require(module: str, *, package: str, integration: str) -> ModuleType:
    """Import `module`, or raise an ImportError that says which pip package to install.

    The original error is chained and quoted: a framework that is installed but broken
    (a missing transitive dependency) must not be reported as simply "not installed".
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"jupyter_mltrack.integrations.{integration} needs the {package!r} package, which "
            f"could not be imported ({e}). Install it with: pip install {package}"
        ) from e


def integration_warning(message: str) -> None:
    """One warning in the client's category, so users filter integrations like the client."""
    from ..client.reporting import MLTrackWarning

    warnings.warn(message, MLTrackWarning, stacklevel=3)


# init_run arguments that describe a new run; resuming one by id leaves them out.
_NEW_RUN_ONLY = ("name", "description", "tags", "custom_run_id", "with_id")


class RunSlot:
    """The run an integration logs to: the one passed as `run=`, or one it creates on first
    use from `init_run_kwargs` (lazily, so a Lightning process of rank > 0 or a callback that
    is never called creates nothing).

    A run the integration created is its to stop; a run the user passed is never stopped,
    only flushed (`wait()`), because the user may log more to it after training. Logging
    through the integration after its own run was stopped (`trainer.evaluate()` after
    `train()`) resumes that same run by id, and the next natural end stops it again.
    """

    def __init__(self, run: Run | None, init_run_kwargs: Mapping[str, Any] | None) -> None:
        if run is not None and init_run_kwargs:
            raise ValueError(
                "pass either run= (an existing run) or the init_run arguments "
                f"({', '.join(sorted(init_run_kwargs))}), not both"
            )
        self._run = run
        self.owned = run is None
        self.init_run_kwargs = dict(init_run_kwargs or {})
        self._finished = False
        self._run_id: str | None = run.id if run is not None else None

    @property
    def created(self) -> bool:
        return self._run is not None

    def get(self) -> Run:
        """The run to log to now: created on first use, resumed if it was stopped."""
        if self._run is None or self._finished:
            import jupyter_mltrack

            kwargs = dict(self.init_run_kwargs)
            if self._run_id is not None:
                kwargs = {k: v for k, v in kwargs.items() if k not in _NEW_RUN_ONLY}
                kwargs["with_id"] = self._run_id
            self._run = jupyter_mltrack.init_run(**kwargs)
            self._run_id = self._run.id
            self._finished = False
        return self._run

    @property
    def last(self) -> Run:
        """The run logged to most recently, even if stopped; created if there is none yet."""
        return self._run if self._run is not None else self.get()

    def run_id(self) -> str:
        """The run's id (`KEY-n`), creating the run if needed."""
        return self._run_id if self._run_id is not None else self.get().id

    def finish(self) -> None:
        """End of training: stop an owned run, flush a borrowed one. Never raises unless
        the run is strict."""
        if self._run is None or self._finished:
            return
        try:
            if self.owned:
                self._finished = True
                self._run.stop()
            else:
                self._run.wait()
        except Exception as e:  # the training already finished; say why
            if is_strict(self._run):
                raise
            integration_warning(f"could not flush the run at the end of training: {e}")

    @contextlib.contextmanager
    def session(self) -> Iterator[Run]:
        """For one-shot helpers: the run, marked failed if the body raises, then finished."""
        run = self.get()
        try:
            yield run
        except BaseException:
            if self.owned:
                self.mark_failed()
            raise
        finally:
            self.finish()

    def mark_failed(self) -> None:
        """Record the exception being handled now (the training's) and mark the run failed,
        before the integration stops it: otherwise a crashed training would read finished."""
        import sys

        exc_type, exc, tb = sys.exc_info()
        if exc_type is not None and exc is not None and self._run is not None:
            self._run.mark_failed(exc_type, exc, tb)

    def portable(self) -> RunSlot:
        """A copy without the live run (threads and connections cannot be pickled): in a
        spawned process it resumes the same run by id, and stops it only if it owns it."""
        if self._run is not None and not self._finished:
            # What this process logged lands before the child's points: series read back
            # in the order they were stored.
            self._run.wait()
        copy = RunSlot.__new__(RunSlot)
        copy.__dict__.update(self.__dict__)
        copy._run = None
        copy._finished = False
        if self._run_id is not None and not self.owned:
            # A borrowed run reopened in a child is still the user's: flush, never stop.
            copy.init_run_kwargs = {"with_id": self._run_id}
            if self._run is not None:
                config = self._run.store.config
                copy.init_run_kwargs.update(store=config.url, blobs=config.blob_url)
        return copy


def is_strict(run: Run | None) -> bool:
    """Whether the run was opened with strict=True (then integration errors raise too)."""
    return run is not None and run.strict


def guarded(what: str) -> Callable[[F], F]:
    """Decorate a framework hook so an error while logging becomes one warning instead of
    stopping the training, unless the run is strict (or could not even be created).
    `self.slot` gives the run."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as e:
                slot: RunSlot | None = getattr(self, "slot", None)
                # No run yet means init_run itself refused the arguments: a setup error the
                # user must see now, not a logging hiccup to ride over.
                if slot is not None and (not slot.created or is_strict(slot.last)):
                    raise
                warned: set[str] = self.__dict__.setdefault("_mltrack_warned", set())
                if what not in warned:
                    warned.add(what)
                    integration_warning(
                        f"{type(self).__name__} could not log {what} "
                        f"({type(e).__name__}: {e}); training goes on, later failures of "
                        "the same step are not repeated"
                    )
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


def join(*parts: str) -> str:
    """Join path segments, skipping empty ones, so `base_namespace=""` logs at the root."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def number(value: Any) -> float | int | None:
    """A framework scalar (python, numpy, torch 0-d tensor) as a plain number, else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            out = item()
        except Exception:  # arrays with more than one element
            return None
        if isinstance(out, bool):
            return int(out)
        if isinstance(out, (int, float)):
            return out
    return None


def finite(value: Any) -> float | int | None:
    """`number(value)`, or None for NaN/Inf so a diverged metric is left out, not warned."""
    n = number(value)
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return None
    return n


# The text of a config value that is not a scalar (a list, an object) is cut here: it is for
# reading in a table, and a 50 MB repr would be refused by the store anyway.
MAX_CONFIG_TEXT = 10_000


def loggable(value: Any) -> Any:
    """A configuration value as the store can hold it: scalars stay, mappings become
    namespaces (keys made safe), everything else (None, lists, objects) its string.

    Framework configs are full of tuples, None and enums; the user wants to read them, not
    a warning per entry, so they are written as text the way neptune's
    `stringify_unsupported` does.
    """
    import datetime as dt
    import enum

    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            key = str(k).strip("/") or "_"
            out[key.replace("//", "/")] = loggable(v)
        return out
    if isinstance(value, enum.Enum):
        return loggable(value.value)
    if isinstance(value, (bool, str, dt.datetime)):
        return value
    n = number(value)
    if n is not None and not isinstance(value, (list, tuple)):
        return value if isinstance(value, (int, float)) else n
    text = str(value)
    if len(text) > MAX_CONFIG_TEXT:  # a dataset or tensor passed as a hyperparameter
        text = f"{text[:MAX_CONFIG_TEXT]}... ({len(text):,} characters in all)"
    return text


def assign(run: Run, path: str, value: Any) -> None:
    """`run[path] = loggable(value)`, leaving empty namespaces out (nothing to store)."""
    value = loggable(value)
    if isinstance(value, dict):
        for k, v in value.items():
            assign(run, join(path, k), v)
        return
    run[path] = value


class Staging:
    """Keeps checkpoint files readable until the run's writer has stored them.

    The writer reads a `File(path)` when it flushes, up to a flush period later, but
    frameworks delete checkpoints as they go (Lightning's `save_top_k`, the Trainer's
    `save_total_limit`). So each file is hard-linked into a staging folder first (free on
    the same filesystem; a copy is never made: a file that cannot be linked is uploaded from
    where it is). At the next checkpoint the previous ones have long been stored: `release`
    waits for the writer (then instant) and drops their links, so staging holds at most one
    round of checkpoints.
    """

    def __init__(self) -> None:
        self._folders: list[str] = []
        self._pending: list[str] = []
        self._count = 0

    def file(self, path: str | os.PathLike[str]) -> Any:
        """A `File` for `path` that survives the framework deleting `path`."""
        from ..types import File

        src = os.fspath(path)
        name = os.path.basename(src)
        if not self._folders:
            self._folders.append(tempfile.mkdtemp(prefix="mltrack-staging-"))
        beside = os.path.join(os.path.dirname(os.path.abspath(src)), ".mltrack-staging")
        for folder in dict.fromkeys([*self._folders, beside]):
            self._count += 1
            target_dir = os.path.join(folder, str(self._count))
            target = os.path.join(target_dir, name)
            try:
                os.makedirs(target_dir)
                if folder not in self._folders:
                    self._folders.append(folder)
                os.link(src, target)
            except OSError:
                shutil.rmtree(target_dir, ignore_errors=True)
                continue
            self._pending.append(target)
            return File(target, name=name)
        return File(src, name=name)

    def new_path(self, name: str) -> str:
        """A fresh path in the staging folder, for a file the integration writes itself
        (`pending` then hands it to the writer and `release` removes it)."""
        if not self._folders:
            self._folders.append(tempfile.mkdtemp(prefix="mltrack-staging-"))
        self._count += 1
        folder = os.path.join(self._folders[0], str(self._count))
        os.makedirs(folder)
        return os.path.join(folder, name)

    def pending(self, path: str) -> Any:
        """A `File` for a file written at `new_path`, removed once stored."""
        from ..types import File

        self._pending.append(path)
        return File(path)

    def release(self, run: Run | None) -> None:
        """Drop staged files once the writer has them (after `run.wait()`)."""
        if not self._pending:
            return
        if run is not None:
            run.wait()
        for p in self._pending:
            try:
                os.remove(p)
                os.rmdir(os.path.dirname(p))
            except OSError:
                pass
        self._pending.clear()

    def close(self, run: Run | None) -> None:
        self.release(run)
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)
        self._folders.clear()
