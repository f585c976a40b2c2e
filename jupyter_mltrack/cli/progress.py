"""The progress line of the long commands (`sync`, `gc`, `export`, `import`): one line on a
terminal's stderr, redrawn in place with a carriage return, at most 10 times a second.

Nothing at all is written when stderr is not a terminal (piped, redirected, a CI log) or when
the command prints JSON (`--json`): what a script reads stays exactly the report. The line is
cut to the terminal's width, so it never wraps (a wrapped line cannot be redrawn with `\\r`),
and every text in it goes through `terminal.escape`: a series path or a run name from the store
cannot bring a control sequence along. No dependency: a plain `[####    ]` bar.

    bar = Progress.for_args(args, "series")
    for i, item in enumerate(items, 1):
        ...
        bar(i, len(items), item.path)
    bar.close()
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from typing import Any

from .terminal import escape, raw_write

WIDTH = 24  # characters of the bar itself
EVERY = 0.1  # seconds between redraws (the last state is always drawn)


class Progress:
    """`bar(done, total, note)` draws the bar (the full one stays, with a line break);
    `bar.phase(text)` a step without a count; `bar.clear()` before printing a line of the
    report; `bar.close()` at the end blanks a bar left unfinished."""

    def __init__(self, unit: str = "", *, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and _is_terminal(self.stream)
        self.unit = unit
        self.start = time.perf_counter()
        self._drawn_at = 0.0
        self._width = 0  # characters on the line now

    @classmethod
    def for_args(cls, args: argparse.Namespace, unit: str = "") -> Progress:
        """The bar of a command: off under `--json`, off unless stderr is a terminal."""
        return cls(unit, enabled=not getattr(args, "json", False))

    def __call__(self, done: int, total: int, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._drawn_at < EVERY and done < total:
            return
        self._drawn_at = now
        frac = min(1.0, done / total) if total > 0 else 1.0
        bar = "#" * int(WIDTH * frac)
        rate = done / (now - self.start) if now > self.start else 0.0
        unit = f" {self.unit}" if self.unit else ""
        speed = f", {rate:,.0f}/s" if rate >= 10 else ""
        self._draw(f"[{bar:<{WIDTH}}] {frac:4.0%} {done:,}/{total:,}{unit}{speed} {note}")
        if done >= total:  # the finished bar stays, and what is printed next starts below it
            raw_write(self.stream, "\n")
            self._width = 0

    def phase(self, text: str) -> None:
        """A step whose size is not known (`gc` finding what is reachable)."""
        if self.enabled:
            self._draw(f"… {text}")

    def clear(self) -> None:
        """Blank the line, so a report line printed next starts clean (the bar comes back
        with the next update)."""
        self._drawn_at = 0.0  # the next update draws at once
        if self.enabled and self._width:
            raw_write(self.stream, "\r" + " " * self._width + "\r")
            self._width = 0
            self.stream.flush()

    def close(self) -> None:
        self.clear()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, line: str) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns
        text = escape(line.rstrip())[: max(10, columns - 1)]
        pad = " " * max(0, self._width - len(text))
        raw_write(self.stream, "\r" + text + pad)
        self._width = len(text)
        self.stream.flush()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False
