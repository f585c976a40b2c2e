"""The query language's tokens, its errors and its limits.

Every error, including the semantic ones the compiler finds later (an unknown `sys/` field,
a regex that does not compile), is a `QuerySyntaxError` carrying the position, and its
message shows the query with a caret under that position, so a user fixes it at a glance.
A query over one of the limits below, or over its time budget (`budget.py`), is a
`QueryError` too: the same 400 everywhere (REST, CLI, `fetch_runs_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

# Bounds on what one query may ask for (docs/query.md, "Limits"): past them parsing,
# compiling or planning grows faster than the text (SQLAlchemy and SQLite recurse per level
# and fail at ~300 nested parentheses or ~1,000 OR terms; each sort key is a join, and SQLite
# refuses more than 64 tables, after seconds of planning). Each is a 400 naming the limit.
MAX_QUERY = 10_000  # characters in a query, a sort or one column
MAX_DEPTH = 50  # nested parentheses and NOTs
MAX_CONDITIONS = 200  # conditions in one query
MAX_SORT_KEYS = 30
MAX_COLUMNS = 1000  # requested columns


class QueryError(InvalidInput):
    """A query the engine refuses (a 400): bad syntax or over one of its limits."""


class QuerySyntaxError(QueryError):
    """A query that cannot be parsed or compiled; `position` is a 0-based offset."""

    def __init__(self, reason: str, query: str, position: int) -> None:
        self.reason = reason
        self.query = query
        self.position = max(0, min(position, len(query)))
        super().__init__(_caret_message(reason, query, self.position))


def _caret_message(reason: str, query: str, pos: int) -> str:
    line_start = query.rfind("\n", 0, pos) + 1
    line_end = query.find("\n", pos)
    line = query[line_start : len(query) if line_end < 0 else line_end]
    column = pos - line_start
    where = f"position {pos + 1}"
    if "\n" in query:
        where = f"line {query.count(chr(10), 0, pos) + 1}, column {column + 1}"
    if len(line) > _SHOWN:  # a window around the caret, not 10,000 characters of query
        start = min(max(0, column - _SHOWN // 2), len(line) - _SHOWN)
        shown = line[start : start + _SHOWN]
        if start > 0:
            shown = "…" + shown[1:]
        if start + _SHOWN < len(line):
            shown = shown[:-1] + "…"
        line, column = shown, column - start
    return f"{reason} at {where}:\n  {line}\n  {' ' * column}^"


_SHOWN = 80  # characters of the query's line shown above the caret


# -- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # word, quoted, string, number, op, lparen, rparen, colon, comma, end
    text: str  # the source text (for strings and quoted paths: the decoded value)
    pos: int


_PATH_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_PATH_CHARS = _PATH_START | set("0123456789./-")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "`": "`"}


def check_length(text: str, what: str = "query") -> None:
    """Refuse text over MAX_QUERY before anything loops over it."""
    if len(text) > MAX_QUERY:
        raise QueryError(f"the {what} is {len(text):,} characters long; at most {MAX_QUERY:,}")


def tokenize(query: str) -> list[Token]:
    check_length(query)
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "\"'`":
            text, end = _read_quoted(query, i)
            tokens.append(Token("quoted" if c == "`" else "string", text, i))
            i = end
        elif c == "(":
            tokens.append(Token("lparen", c, i))
            i += 1
        elif c == ")":
            tokens.append(Token("rparen", c, i))
            i += 1
        elif c == ":":
            tokens.append(Token("colon", c, i))
            i += 1
        elif c == ",":
            tokens.append(Token("comma", c, i))
            i += 1
        elif c in "=!<>":
            two = query[i : i + 2]
            if two in ("==", "!=", "<>", "<=", ">="):
                op = {"==": "=", "<>": "!="}.get(two, two)
                tokens.append(Token("op", op, i))
                i += 2
            elif c == "!":
                raise QuerySyntaxError("'!' must be followed by '=' (use NOT to negate)", query, i)
            else:
                tokens.append(Token("op", c, i))
                i += 1
        elif c.isdigit() or (
            c in "-+." and i + 1 < n and (query[i + 1].isdigit() or query[i + 1] == ".")
        ):
            end = _number_end(query, i)
            tokens.append(Token("number", query[i:end], i))
            i = end
        elif c in _PATH_START:
            end = i + 1
            while end < n and query[end] in _PATH_CHARS:
                end += 1
            tokens.append(Token("word", query[i:end], i))
            i = end
        else:
            raise QuerySyntaxError(f"unexpected character {c!r}", query, i)
    tokens.append(Token("end", "", n))
    return tokens


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    quote = query[start]
    out: list[str] = []
    i = start + 1
    while i < len(query):
        c = query[i]
        if c == "\\" and i + 1 < len(query):
            nxt = query[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        elif c == quote:
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    what = "path" if quote == "`" else "string"
    raise QuerySyntaxError(f"unterminated {what} (missing closing {quote})", query, start)


def quote_path(path: str) -> str:
    """A field path as a query or a column reads it: as it is when it is a plain path, else
    in backticks with `\\` and `` ` `` escaped (a path may hold anything a store accepts,
    control characters included: `_read_quoted` gives it back whole)."""
    if (
        path
        and (path[0].isascii() and (path[0].isalpha() or path[0] == "_"))
        and all(c.isascii() and (c.isalnum() or c in "_./-") for c in path)
    ):
        return path
    return "`" + path.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _number_end(query: str, i: int) -> int:
    end = i + 1 if query[i] in "-+" else i
    n = len(query)
    while end < n and (query[end].isdigit() or query[end] == "."):
        end += 1
    if end < n and query[end] in "eE":
        exp = end + 1
        if exp < n and query[exp] in "+-":
            exp += 1
        if exp < n and query[exp].isdigit():
            end = exp
            while end < n and query[end].isdigit():
                end += 1
    if end < n and (query[end] in _PATH_CHARS and query[end] not in "-"):
        # "3abc" or "1.2.3": not a number and not a path either.
        raise QuerySyntaxError("malformed number", query, i)
    return end
