"""Time values in queries: relative (`"-2h"`, `"-30m"`, `"-7d"`, `"now"`) or ISO 8601
(`"2024-05-01"`, `"2024-05-01T12:00"`, with an offset or `Z`). Naive ISO times are UTC,
like every time in the store (epoch seconds)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_RELATIVE = re.compile(r"^\s*-\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_time(text: str, now: float | None = None) -> float | None:
    """Epoch seconds, or None when `text` is not a time."""
    now = time.time() if now is None else now
    stripped = text.strip()
    if stripped.lower() == "now":
        return now
    m = _RELATIVE.match(stripped)
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not stripped[:4].isdigit() or len(stripped) < 10:
        return None
    try:
        dt = datetime.fromisoformat(stripped.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
