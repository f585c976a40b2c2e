"""MATCHES patterns: RE2 syntax on both backends, and RE2 as SQLite's REGEXP.

Python's `re` backtracks: `(a+)+$` against 27 `a`s and a `!` runs for seconds per row, and
SQLite calls REGEXP with the GIL held, so one query froze the whole server (issue 14.2). RE2
matches in time linear in the text and releases the GIL while it does, so other requests go
on; and the caller's time budget (`budget.py`) is checked before each row.

Linear is not small: when RE2's DFA gives up, its NFA costs about 10 ns per byte of text per
instruction of the pattern (`a[ab]{999}c` over a 1 MB string: ~10 s), and a running match
cannot be stopped. So a row whose text length times the pattern's program size is over
MAX_MATCH_COST (~1 s at worst) is refused before it is matched: a 400 naming the limit.
Ordinary patterns (a few dozen instructions) reach it only on texts of megabytes.

PostgreSQL runs its own regex engine (interruptible, so its statement timeout bounds it);
the pattern is still compiled here first, so both backends accept the same syntax.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import Any

MAX_MATCH_COST = 100_000_000  # bytes of text times program instructions, per row
# Per compiled pattern: bounds the program (RE2 refuses a bigger one) and the DFA's cache.
MAX_MEM = 1 << 20


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message names the construct."""


@dataclass
class Budget:
    """The running query's limits, for the REGEXP calls made on this thread."""

    seconds: float
    deadline: float  # time.monotonic()
    reason: str | None = None  # set by the first check that stopped the query
    timed_out: bool = False

    def stop(self, reason: str, timed_out: bool = False) -> None:
        if self.reason is None:
            self.reason, self.timed_out = reason, timed_out


_active = threading.local()


def active() -> Budget | None:
    return getattr(_active, "budget", None)


def set_active(budget: Budget | None) -> None:
    _active.budget = budget


@functools.lru_cache(maxsize=32)
def compile_pattern(pattern: str) -> Any:
    """The RE2 program for `pattern` (cached: SQLite calls REGEXP once per row)."""
    import re2  # a C extension: loaded by the first MATCHES, not by the client's import

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.never_capture = True  # we only ask whether it matches
    options.max_mem = MAX_MEM
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        raise PatternError(_reason(e)) from None
    except UnicodeEncodeError:  # RE2 reads UTF-8; a lone surrogate has no encoding
        raise PatternError("the pattern is not valid Unicode (a lone surrogate)") from None


def _reason(e: Exception) -> str:
    detail = e.args[0] if e.args else e
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    hint = ""
    if any(op in text for op in ("(?=", "(?!", "(?<")):
        hint = ", which has no lookaround"
    elif "escape sequence: \\" in text and text[-1:].isdigit():
        hint = ", which has no backreferences"
    return f"{text} (MATCHES uses RE2 syntax{hint})"


def sqlite_regexp(pattern: Any, text: Any) -> bool | None:
    """`text REGEXP pattern` on SQLite: RE2 search (not anchored), NULL for a NULL text.

    Over the budget (time, or one row's cost) it raises; `budget.bounded` turns the
    statement's error into the `QueryError` that `Budget.reason` describes."""
    if text is None or pattern is None:
        return None
    regex = compile_pattern(str(pattern))
    data = text if isinstance(text, bytes) else str(text).encode("utf-8", "surrogatepass")
    budget = active()
    cost = len(data) * regex.programsize
    if cost > MAX_MATCH_COST:
        reason = (
            f"MATCHES {pattern!r} on a value of {len(data):,} bytes is over the limit for one "
            f"value: {len(data):,} bytes times {regex.programsize} pattern instructions is more "
            f"than {MAX_MATCH_COST:,}; use a simpler pattern"
        )
        if budget is not None:
            budget.stop(reason)
        raise PatternError(reason)
    if budget is not None and time.monotonic() > budget.deadline:
        budget.stop(timeout_message(budget.seconds), timed_out=True)
        raise PatternError(budget.reason)
    return regex.search(data) is not None


def timeout_message(seconds: float) -> str:
    return (
        f"the query ran past its time limit ({seconds:g} s) and was stopped; "
        "narrow it (fewer or simpler MATCHES, a project, fewer sort keys)"
    )
