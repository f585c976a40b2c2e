"""Turning Python values into stored field values, or into a message saying why not.

Numbers from numpy, torch and friends arrive as their own scalar types: anything with
`.item()` that yields a plain number is accepted. Nothing is coerced across kinds: a string
never becomes a float, a list never becomes a string (use `stringify_unsupported`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..store.encoding import ScalarWrite
from ..store.text import text_problem
from .reporting import short_repr

# A string field or series value above this is refused with the advice to upload it as a
# file: it would bloat every runs table that reads the field.
MAX_STRING = 1_000_000
_INT64 = 2**63


def plain_number(value: Any) -> float | int | bool | None:
    """A number as float/int/bool, unwrapping numpy/torch scalars; None if not a number."""
    t = type(value)
    if t is float or t is int or t is bool:
        return value  # type: ignore[no-any-return]
    if isinstance(value, (str, bytes)):
        return None
    item = getattr(value, "item", None)
    if item is not None and callable(item):
        try:
            out = item()
        except Exception:
            return None
        if type(out) in (float, int, bool):
            return out  # type: ignore[no-any-return]
        return None
    if isinstance(value, (int, float)):  # subclasses (IntEnum, ...)
        return float(value) if isinstance(value, float) else int(value)
    return None


def epoch(value: Any) -> float | None:
    """datetime -> UTC epoch seconds (naive datetimes are local time, as Python says)."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return None


def text_refusal(path: str, value: str) -> str | None:
    """The message refusing a string no store can hold (a NUL, a lone surrogate), or None.
    Checked in the caller's thread: the writer never gets a value its batch would fail on."""
    problem = text_problem(value)
    if problem is None:
        return None
    return f"{path}: the string {short_repr(value)} {problem}; remove it first"


# The run's own text columns: `runs.name` is VARCHAR(512) (store/models.py), which PostgreSQL
# enforces; a description is TEXT, bounded here so a runs table stays readable.
RUN_TEXT_LIMITS = {"sys/name": 512, "sys/description": 100_000}


def run_text_refusal(path: str, value: Any) -> str | None:
    """Why `value` cannot be the run's name or description (`path`), or None. Shared by
    `run["sys/name"] = ...` and `init_run(name=...)`."""
    limit = RUN_TEXT_LIMITS[path]
    if not isinstance(value, str) or len(value) > limit:
        return f"{path} takes a str of at most {limit:,} characters, not {short_repr(value)}"
    return text_refusal(path, value)


def scalar_write(path: str, value: Any) -> ScalarWrite | str:
    """The stored form of an assigned scalar, or the message explaining the refusal."""
    if isinstance(value, str):
        refusal = text_refusal(path, value)
        if refusal is not None:
            return refusal
        if len(value) > MAX_STRING:
            return (
                f"{path}: a string of {len(value):,} characters is over the {MAX_STRING:,} "
                f"limit for string fields; upload it instead: "
                f"run[{path!r}].upload(File.from_content(text))"
            )
        return ScalarWrite(path, "string", text=value)
    if isinstance(value, dt.datetime):
        return ScalarWrite(path, "datetime", num=value.timestamp())
    num = plain_number(value)
    if num is None:
        return (
            f"{path}: cannot store {short_repr(value)} of type {type(value).__name__}; "
            "assign a float, int, str, bool, datetime or dict, or use "
            "stringify_unsupported(value) from jupyter_mltrack.types"
        )
    if type(num) is bool:
        return ScalarWrite(path, "bool", num=1.0 if num else 0.0)
    if type(num) is int:
        if not -_INT64 <= num < _INT64:
            return (
                f"{path}: the integer {short_repr(num)} does not fit in 64 bits; "
                "assign float(value) or str(value)"
            )
        return ScalarWrite(path, "int", num=float(num), int_value=num)
    f = float(num)
    return ScalarWrite(path, "float", num=f, text=None if math.isfinite(f) else repr(f))


def is_nonfinite(value: Any) -> bool:
    return type(value) is float and not math.isfinite(value)


def compatible(existing: str, new: str) -> bool:
    """Whether a value of type `new` may overwrite a field of type `existing`.

    int and float are one numeric kind (an int assigned to a float field is stored as int,
    and the reverse); everything else must match exactly.
    """
    if existing == new:
        return True
    return {existing, new} <= {"float", "int"}
