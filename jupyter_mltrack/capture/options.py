"""Which captures a run starts: `init_run` arguments, else environment variables, else on.

Everything is on by default, in notebooks too (neptune turns capture off in notebooks; our users
want to see what the machine did whichever way they ran the code). Kernels are not configured
by traitlets, so the environment is the configuration channel: a team can switch a capture off
for every kernel with one variable in the server's environment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InvalidInput

DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 0.1
DEFAULT_DIFF_LIMIT = 10 * 1024 * 1024

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class CaptureOptions:
    hardware: bool = True
    stdout: bool = True
    stderr: bool = True
    git: bool = True
    environment: bool = True
    source: bool = True
    cells: bool = True
    interrupt_on_abort: bool = True
    interval: float = DEFAULT_INTERVAL
    git_diff_limit: int = DEFAULT_DIFF_LIMIT
    source_files: tuple[str, ...] | None = None  # None: the script itself
    namespace: str = "monitoring"  # where hardware and console series go


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name}={raw!r}: expected a number") from None


def _pick(arg: bool | None, env: str, default: bool = True) -> bool:
    return bool(arg) if arg is not None else _env_flag(env, default)


def resolve(
    *,
    capture_hardware_metrics: bool | None = None,
    capture_stdout: bool | None = None,
    capture_stderr: bool | None = None,
    capture_git: bool | None = None,
    capture_environment: bool | None = None,
    capture_source: bool | None = None,
    capture_cells: bool | None = None,
    interrupt_on_abort: bool | None = None,
    monitoring_interval: float | None = None,
    git_diff_limit: int | None = None,
    source_files: str | Sequence[str] | None = None,
    monitoring_namespace: str | None = None,
) -> CaptureOptions:
    """Merge arguments (None: not given) with `MLTRACK_CAPTURE_*` variables; validate."""
    interval = (
        float(monitoring_interval)
        if monitoring_interval is not None
        else _env_number("MLTRACK_MONITORING_INTERVAL", DEFAULT_INTERVAL)
    )
    if not interval >= MIN_INTERVAL:  # also rejects NaN
        raise InvalidInput(
            f"monitoring_interval={interval!r}: must be at least {MIN_INTERVAL} seconds"
        )
    limit = (
        int(git_diff_limit)
        if git_diff_limit is not None
        else int(_env_number("MLTRACK_GIT_DIFF_LIMIT", DEFAULT_DIFF_LIMIT))
    )
    if limit < 0:
        raise InvalidInput(f"git_diff_limit={limit}: must be 0 (no diff) or a positive size")
    if isinstance(source_files, str):
        files: tuple[str, ...] | None = (source_files,)
    elif source_files is not None:
        files = tuple(source_files)
        bad = [f for f in files if not isinstance(f, str)]
        if bad:
            raise InvalidInput(f"source_files must be glob strings; got {bad[0]!r}")
    else:
        files = None
    namespace = (monitoring_namespace or "monitoring").strip("/")
    if not namespace or "//" in namespace:
        raise InvalidInput(f"monitoring_namespace={monitoring_namespace!r}: not a field path")
    return CaptureOptions(
        namespace=namespace,
        hardware=_pick(capture_hardware_metrics, "MLTRACK_CAPTURE_HARDWARE"),
        stdout=_pick(capture_stdout, "MLTRACK_CAPTURE_STDOUT"),
        stderr=_pick(capture_stderr, "MLTRACK_CAPTURE_STDERR"),
        git=_pick(capture_git, "MLTRACK_CAPTURE_GIT"),
        environment=_pick(capture_environment, "MLTRACK_CAPTURE_ENVIRONMENT"),
        source=_pick(capture_source, "MLTRACK_CAPTURE_SOURCE"),
        cells=_pick(capture_cells, "MLTRACK_CAPTURE_CELLS"),
        interrupt_on_abort=_pick(interrupt_on_abort, "MLTRACK_INTERRUPT_ON_ABORT"),
        interval=interval,
        git_diff_limit=limit,
        source_files=files,
    )
