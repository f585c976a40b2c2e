"""Where a store lives: one SQLAlchemy URL plus one blob root.

Precedence (DESIGN §1): explicit argument > env `MLTRACK_STORE` / `MLTRACK_BLOBS` > traitlets
(`c.MLTrack.store_url` / `blob_root`, passed in by the server extension) > default in the
Jupyter data dir. Kept free of SQLAlchemy so resolving a URL costs nothing at import.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

ENV_STORE = "MLTRACK_STORE"
ENV_BLOBS = "MLTRACK_BLOBS"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")
_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)(?P<pw>[^@]*)(?P<tail>@.*)$")


DEFAULT_HEARTBEAT_INTERVAL = 10.0


def _heartbeat_interval() -> float:
    """`MLTRACK_HEARTBEAT_INTERVAL` (seconds), read once here at import: the client's
    heartbeat and the stale rule (`STALE_AFTER`, runs.effective_state) both derive from it,
    so they cannot disagree within a process. Every process sharing a store (clients, server,
    CLI) should see the same value: a reader with a shorter interval than a writer would call
    that writer's live run crashed. Tests set it low to see a killed run turn `crashed` in
    seconds, not half a minute."""
    raw = os.environ.get("MLTRACK_HEARTBEAT_INTERVAL", "").strip()
    if not raw:
        return DEFAULT_HEARTBEAT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0.05 <= value <= 3600:  # also false for NaN
        warnings.warn(
            f"MLTRACK_HEARTBEAT_INTERVAL={raw!r} is not a number of seconds between 0.05 and "
            f"3600; using {DEFAULT_HEARTBEAT_INTERVAL:g}",
            stacklevel=2,
        )
        return DEFAULT_HEARTBEAT_INTERVAL
    return value


HEARTBEAT_INTERVAL = _heartbeat_interval()
STALE_AFTER = 3 * HEARTBEAT_INTERVAL


@dataclass(frozen=True)
class StoreConfig:
    url: str
    blob_root: Path

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    @property
    def backend(self) -> str:
        return self.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def sqlite_path(self) -> Path | None:
        if self.backend != "sqlite":
            return None
        rest = self.url.split("://", 1)[1]
        if rest in ("", "/", "/:memory:"):
            return None
        return Path(rest[1:] if rest.startswith("/") else rest)


def mask_url(url: str) -> str:
    """Hide the password of a URL so it can be shown in the UI, logs and errors."""
    m = _PASSWORD.match(url)
    if not m or not m.group("pw"):
        return url
    return f"{m.group('head')}***{m.group('tail')}"


def default_root() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "mltrack"


def _as_url(store: str) -> str:
    """A bare path is a SQLite file: `store="runs.db"` is the friendliest way to say so."""
    if _SCHEME.match(store):
        return store
    return "sqlite:///" + str(Path(store).expanduser().resolve())


def resolve(
    store: str | None = None,
    blobs: str | os.PathLike[str] | None = None,
    *,
    configured_store: str | None = None,
    configured_blobs: str | None = None,
) -> StoreConfig:
    url_src = store or os.environ.get(ENV_STORE) or configured_store
    url = _as_url(url_src) if url_src else "sqlite:///" + str(default_root() / "mltrack.db")
    blob_src = blobs or os.environ.get(ENV_BLOBS) or configured_blobs
    if blob_src:
        blob_root = Path(blob_src).expanduser().resolve()
    else:
        db = StoreConfig(url, Path()).sqlite_path
        blob_root = (db.parent if db else default_root()) / "blobs"
    return StoreConfig(url=url, blob_root=blob_root)
