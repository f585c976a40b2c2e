"""Shared by the client tests: they test logging, so the run context (hardware sampling, git,
environment, console, source and cell capture; tested by the capture tests) is switched off
through its environment variables, which subprocesses inherit too."""

from __future__ import annotations

import os
from typing import Any

import pytest

CAPTURE_SWITCHES = (
    "MLTRACK_CAPTURE_HARDWARE",
    "MLTRACK_CAPTURE_STDOUT",
    "MLTRACK_CAPTURE_STDERR",
    "MLTRACK_CAPTURE_GIT",
    "MLTRACK_CAPTURE_ENVIRONMENT",
    "MLTRACK_CAPTURE_SOURCE",
    "MLTRACK_CAPTURE_CELLS",
)


def metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CAPTURE_SWITCHES:
        monkeypatch.setenv(name, "0")


def log_in_forked_child(run: Any, path: str, value: float) -> int:
    """Fork; the child logs `value` to `path` of the inherited run, waits for it to be
    written and exits. Returns the child's exit code (0: it logged and wrote)."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            run[path].log(value)
            run.wait()
        except BaseException:  # pragma: no cover - reported through the exit code
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
