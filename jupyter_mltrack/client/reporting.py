"""How bad input and store trouble reach the user without stopping the training loop.

Each problem is one warning naming the field, the value and what to do; repeats of the same
(kind, field) are only counted, and the counts are reported when the run stops, so a bad value
logged a million times prints one line, not a million. With `strict=True` the same message
is raised as `InvalidInput` instead, in the caller's thread.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections import Counter

from ..errors import InvalidInput


class MLTrackWarning(UserWarning):
    """Category of every warning the tracking client emits (filter it like any warning)."""


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel() -> int:
    """The stacklevel of the first frame outside jupyter_mltrack, so a warning points at the
    user's line (`run["x"].log(...)`) however deep inside the client it was raised."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def short_repr(value: object, limit: int = 80) -> str:
    """A value as it can be shown in one line, even if it is a 200 MB string."""
    if isinstance(value, str) and len(value) > limit:
        return f"<str of {len(value):,} characters>"
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Reporter:
    """Per-run bookkeeping of problems: first occurrence warns (or raises), repeats count."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def problem(self, kind: str, path: str, message: str, *, strict_ok: bool = True) -> None:
        """Report bad input. Raises in strict mode (unless called from the writer thread,
        `strict_ok=False`); otherwise warns once per (kind, path)."""
        if self.strict and strict_ok:
            raise InvalidInput(message)
        with self._lock:
            self.counts[(kind, path)] += 1
            first = self.counts[(kind, path)] == 1
        if first:
            warnings.warn(message, MLTrackWarning, stacklevel=_user_stacklevel())

    def notice(self, message: str) -> None:
        """Store trouble, seen from the writer thread: always a warning, never raised."""
        if threading.current_thread().name.startswith("mltrack-"):
            # From one of our threads there is no user line to point at (it would show
            # threading.py): name the tracker instead.
            warnings.warn_explicit(message, MLTrackWarning, "mltrack", 0)
        else:
            warnings.warn(message, MLTrackWarning, stacklevel=_user_stacklevel())

    def summary(self) -> str | None:
        """One line listing problems that happened more than once (shown at stop)."""
        with self._lock:
            repeated = [(k, p, n) for (k, p), n in self.counts.items() if n > 1]
        if not repeated:
            return None
        parts = ", ".join(f"{p}: {n:,}x {k}" for k, p, n in sorted(repeated))
        return f"repeated problems during this run (each was warned about once): {parts}"
