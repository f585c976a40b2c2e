"""Text a store can hold, checked in one place for both backends.

Python strings may hold what neither database takes: PostgreSQL text cannot contain NUL,
and a lone surrogate (U+D800-U+DFFF; what `json.loads('"\\ud800"')` or undecodable argv
bytes give) is not UTF-8, so SQLite's driver cannot encode it. Left to the driver, the first
fails only on PostgreSQL and both fail as a driver error deep in a write (a 500 in the
server, a lost batch in the client's writer). Instead:

- `text_problem(text)` says what is wrong (None when nothing is): the client checks values,
  paths and names with it in the caller's thread, so it can warn and keep the rest;
- `guard(engine)` checks every text parameter of every statement before the driver sees it
  and raises `InvalidInput` (a 400 in the server, one line in the CLI): the same refusal on
  SQLite and PostgreSQL, for reads (`GET /runs/%00`) and writes alike, whatever the caller.

Other control characters are stored as they are: readers escape them where they print
(`cli.terminal`), and the lab renders text, never markup.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    at = text.find("\x00")
    if at >= 0:
        return f"contains a NUL character (at position {at}), which a store cannot hold"
    if text.isascii():  # O(1) in CPython: most text stops here
        return None
    try:
        text.encode("utf-8")  # ~10x faster than a regex over the surrogate range
    except UnicodeEncodeError as e:
        return (
            f"contains a lone surrogate {text[e.start]!r} (at position {e.start}), which is "
            "not Unicode text a store can hold"
        )
    return None


def check(text: str, what: str) -> str:
    """`text` itself, or InvalidInput naming `what` (a field, a parameter)."""
    problem = text_problem(text)
    if problem is not None:
        raise InvalidInput(f"{what} {problem}")
    return text


def _check_value(value: Any) -> None:
    problem = text_problem(value)
    if problem is not None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidInput(f"the text {shown!r} {problem}")


def _check_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    # One row (a tuple or a dict), or many rows of them: `executemany` does not say which
    # (SQLAlchemy's batched "insertmanyvalues" hands one flat row with executemany=True).
    # The loops test the cheap cases inline: this runs for every statement the writer sends.
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    for value in values:
        kind = type(value)
        if kind is str:
            if "\x00" in value or not value.isascii():
                _check_value(value)
        elif kind is tuple or kind is list or kind is dict:
            for item in value.values() if kind is dict else value:
                if type(item) is str and ("\x00" in item or not item.isascii()):
                    _check_value(item)


def guard(engine: Any) -> None:
    """Refuse unstorable text before the driver sees it (see the module doc)."""
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", _check_parameters)
