"""stdout and stderr as string series (`monitoring/stdout`, `monitoring/stderr`), one point per
line. (The traceback of a failure, `monitoring/traceback`, is logged by the client's
process hooks, which also mark the run failed: client/hooks.py.)

The user keeps seeing everything exactly as before: the original stream is written first and
unchanged, and a copy of each finished line goes to every run listening. Each stream is tapped
once per process however many runs listen, so runs can start and stop in any order.

Where the tap goes:
- in ipykernel, `sys.stdout` is an `OutStream` that lives for the whole kernel; the tap is
  its `echo` stream (see `_Echo`), so `sys.stdout` stays the object libraries check for, and
  output the kernel forwards from file descriptors (C extensions, `os.system`) is captured too;
- elsewhere (scripts) `sys.stdout` is replaced by a thin proxy that delegates everything but
  `write`.

Progress bars redraw a line with carriage returns; a line is stored as a terminal would show it
(the text after the last `\\r`), and the pending text is compacted the same way, so a
million-step tqdm bar costs one line, not a growing buffer.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from .base import RunLike, log

LineListener = Callable[[str, float], None]
MAX_LINE = 64 * 1024  # longer lines are cut into pieces of this size


class _Proxy:
    """Stands in for a stream that cannot be patched: writes go through the tap."""

    def __init__(self, stream: TextIO, tap: _Tap) -> None:
        self._mltrack_stream = stream
        self._mltrack_tap = tap

    def write(self, text: str) -> int:
        n = self._mltrack_stream.write(text)
        self._mltrack_tap.feed(text)
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mltrack_stream, name)


class _Echo:
    """ipykernel's OutStream copies every write to its `echo` stream (if set) before sending
    it to the frontend: the one place every write passes, whatever has wrapped `write`
    (IPython 9 rebinds `sys.stdout.write` around every cell to keep outputs in its history)
    and including output the kernel forwards from file descriptors."""

    def __init__(self, previous: Any, tap: _Tap) -> None:
        self.previous = previous
        self.tap = tap

    def write(self, text: str) -> int:
        if self.previous is not None:
            self.previous.write(text)
        self.tap.feed(text)
        return len(text)

    def flush(self) -> None:
        if self.previous is not None:
            self.previous.flush()


class _Tap:
    """One stream of this process (`stdout` or `stderr`), split into lines for listeners."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.listeners: list[LineListener] = []
        self._pending = ""
        self._lock = threading.Lock()
        self._local = threading.local()
        self._patched: tuple[Any, _Echo] | None = None  # a kernel stream and our echo
        self._proxy: _Proxy | None = None

    # -- installing ------------------------------------------------------------------------
    def subscribe(self, fn: LineListener) -> None:
        with self._lock:
            if not self.listeners:
                self._install()
            self.listeners.append(fn)

    def unsubscribe(self, fn: LineListener) -> None:
        with self._lock:
            if fn in self.listeners:
                self.listeners.remove(fn)
            if self.listeners:
                return
            rest, self._pending = self._pending, ""
        if rest:
            self._emit([rest], [fn])
        with self._lock:
            if not self.listeners:
                self._uninstall()

    def _install(self) -> None:
        stream = getattr(sys, self.name)
        if stream is None:
            return
        if _is_kernel_stream(stream) and hasattr(stream, "echo"):
            echo = _Echo(stream.echo, self)
            stream.echo = echo
            self._patched = (stream, echo)
            return
        self._proxy = _Proxy(stream, self)
        setattr(sys, self.name, self._proxy)

    def _uninstall(self) -> None:
        if self._patched is not None:
            stream, echo = self._patched
            # Someone may have chained after us; then our echo stays, as a pass-through.
            if stream.echo is echo:
                stream.echo = echo.previous
            self._patched = None
        if self._proxy is not None:
            if getattr(sys, self.name) is self._proxy:
                setattr(sys, self.name, self._proxy._mltrack_stream)
            self._proxy = None

    # -- lines -----------------------------------------------------------------------------
    def feed(self, text: Any) -> None:
        if not isinstance(text, str) or not text or getattr(self._local, "busy", False):
            return
        with self._lock:
            if not self.listeners:
                return
            data = self._pending + text
            *lines, rest = data.split("\n")
            self._pending = _compact(rest)
            listeners = list(self.listeners)
        if lines:
            self._emit(lines, listeners)

    def _emit(self, lines: list[str], listeners: list[LineListener]) -> None:
        ts = time.time()
        self._local.busy = True  # a listener that prints must not feed itself
        try:
            for raw in lines:
                line = _as_shown(raw)
                for start in range(0, max(len(line), 1), MAX_LINE):
                    piece = line[start : start + MAX_LINE]
                    for fn in listeners:
                        try:
                            fn(piece, ts)
                        except Exception as e:
                            log.debug("jupyter-mltrack: console listener failed: %s", e)
        finally:
            self._local.busy = False


def _is_kernel_stream(stream: Any) -> bool:
    return type(stream).__module__.startswith("ipykernel")


def _as_shown(line: str) -> str:
    """What a terminal shows for this line: the text after the last carriage return."""
    if line.endswith("\r"):
        line = line[:-1]
    cut = line.rfind("\r")
    return line if cut < 0 else line[cut + 1 :]


def _compact(pending: str) -> str:
    """Drop text a later carriage return has already overwritten (progress bars)."""
    cut = pending.rfind("\r", 0, len(pending) - 1)
    if cut >= 0:
        pending = pending[cut + 1 :]
    return pending


_TAPS = {"stdout": _Tap("stdout"), "stderr": _Tap("stderr")}


def _after_fork() -> None:
    # A child forked while another thread held a tap's lock (a writer thread printing a
    # warning) would block on its first print: give each tap fresh locks in the child.
    for tap in _TAPS.values():
        tap._lock = threading.Lock()
        tap._local = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class ConsoleCapture:
    """Copies one stream's lines into `monitoring/<stream>` of a run."""

    def __init__(self, run: RunLike, stream: str, *, prefix: str = "monitoring") -> None:
        if stream not in _TAPS:
            raise ValueError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
        self.name = stream
        self.run = run
        self.path = f"{prefix}/{stream}"
        self._tap = _TAPS[stream]
        self._on = False

    def _line(self, line: str, ts: float) -> None:
        self.run[self.path].log(line, timestamp=ts)

    def start(self) -> None:
        if not self._on:
            self._on = True
            self._tap.subscribe(self._line)

    def stop(self) -> None:
        if self._on:
            self._on = False
            self._tap.unsubscribe(self._line)
