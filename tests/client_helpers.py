"""Shared by the client tests: they test logging, so the run context (hardware sampling, git,
environment, console, source and cell capture; tested by the capture tests) is switched off
through its environment variables, which subprocesses inherit too."""

from __future__ import annotations

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
