"""The software a run ran on: `source_code/environment/{python,python_executable,platform,
hostname}`, the conda environment when there is one, and every installed distribution as
`source_code/requirements` (a pip-style `requirements.txt` file, so `pip install -r` of it
rebuilds the environment and two runs' files can be diffed).

Distributions come from importlib.metadata, which reads the installed metadata: no pip
subprocess (seconds), no network. Conda is named from its own variables; `conda env export`
takes seconds, so the list of conda packages is the distributions list plus the env's name.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path

from .base import RunLike

PREFIX = "source_code/environment"


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def requirements() -> str:
    """`name==version` per installed distribution, sorted, one per line."""
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
            version = dist.version
        except Exception:
            continue
        if not name or not version:
            continue
        key = _canonical(name)
        seen.setdefault(key, f"{name}=={version}")  # first on sys.path wins, as for imports
    return "".join(f"{seen[k]}\n" for k in sorted(seen))


def conda_env() -> tuple[str, str] | None:
    """(name, prefix) of the active conda environment, or None outside conda."""
    prefix = os.environ.get("CONDA_PREFIX")
    if not prefix and (Path(sys.prefix) / "conda-meta").is_dir():
        prefix = sys.prefix  # a conda Python started without `conda activate`
    if not prefix:
        return None
    name = os.environ.get("CONDA_DEFAULT_ENV") or Path(prefix).name
    return name, prefix


class EnvironmentCapture:
    name = "environment"

    def __init__(self, run: RunLike) -> None:
        self.run = run

    def start(self) -> None:
        from ..types import File

        run = self.run
        run[f"{PREFIX}/python"] = platform.python_version()
        run[f"{PREFIX}/python_implementation"] = platform.python_implementation()
        run[f"{PREFIX}/python_executable"] = sys.executable
        run[f"{PREFIX}/platform"] = platform.platform()
        run[f"{PREFIX}/hostname"] = socket.gethostname()
        conda = conda_env()
        if conda is not None:
            run[f"{PREFIX}/conda_env"] = conda[0]
            run[f"{PREFIX}/conda_prefix"] = conda[1]
        run["source_code/requirements"].upload(
            File(content=requirements().encode(), extension="txt", name="requirements.txt")
        )

    def stop(self) -> None:
        pass
