"""The lab's own settings, read by the server where a setting drives server-side work.

"Checkpoint on save" (`saveCheckpoints` in schema/plugin.json) is a lab setting, but save
checkpoints are taken by the server from jupyter_server's contents events, so the server reads
the user's settings file that JupyterLab's settings API writes. `c.MLTrack.save_checkpoints =
False` still switches them off for everyone. The file is re-read only when it changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PLUGIN_FILE = Path("jupyter-mltrack") / "plugin.jupyterlab-settings"

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def settings_dir() -> Path:
    try:
        from jupyterlab.commands import get_user_settings_dir

        return Path(get_user_settings_dir())
    except Exception:  # JupyterLab absent: no lab settings to honour
        from jupyter_core.paths import jupyter_config_dir

        base = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
        return Path(base) if base else Path(jupyter_config_dir()) / "lab" / "user-settings"


def read(directory: Path | None = None) -> dict[str, Any]:
    """The user's settings of the main plugin ({} when never changed or unreadable)."""
    path = (directory or settings_dir()) / PLUGIN_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    hit = _cache.get(str(path))
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        import json5

        data = json5.loads(path.read_text(encoding="utf-8"))
    except Exception:  # a half-written or hand-broken file: fall back to defaults
        data = {}
    data = data if isinstance(data, dict) else {}
    _cache[str(path)] = (mtime, data)
    return data


def save_checkpoints_enabled(directory: Path | None = None) -> bool:
    return bool(read(directory).get("saveCheckpoints", True))
