"""The query language's syntax: tokens, the tree, and a recursive-descent parser.

The grammar (keywords are case-insensitive; DESIGN §5):

    query      := [ or_expr ]
    or_expr    := and_expr ( OR and_expr )*
    and_expr   := not_expr ( AND not_expr )*
    not_expr   := NOT not_expr | "(" or_expr ")" | condition
    condition  := operand ( [NOT] EXISTS | [NOT] CONTAINS value | [NOT] MATCHES string
                          | ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value )
    operand    := path | AGG "(" path ")" | "`" any text "`" [ ":" TYPE ]
    AGG        := last | min | max | count
    value      := number | "string" | 'string' | true | false

A bare path is letters, digits and `_ . / -`, starting with a letter or `_`; anything else
goes between backticks, which is also neptune's NQL form (`` `metrics/acc`:float > 0.9 ``).

The parser counts what it descends into: more than MAX_DEPTH nested parentheses and NOTs
or more than MAX_CONDITIONS conditions is an error at that token, long before Python's
recursion limit (tokens.py has the limits and the errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from .. import sysfields
from .tokens import (
    MAX_COLUMNS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_SORT_KEYS,
    QueryError,
    QuerySyntaxError,
    Token,
    check_length,
    tokenize,
)

__all__ = ["QueryError", "QuerySyntaxError", "parse", "parse_columns", "parse_sort"]

AGGREGATES = ("last", "min", "max", "count")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
# neptune NQL attribute types, lower-cased, to the store's field types (None: any).
TYPE_HINTS: dict[str, str] = {
    "float": "float",
    "int": "int",
    "integer": "int",
    "bool": "bool",
    "boolean": "bool",
    "string": "string",
    "str": "string",
    "datetime": "datetime",
    "floatseries": "float_series",
    "stringseries": "string_series",
    "stringset": "string_set",
    "file": "file",
    "fileseries": "file_series",
    "experimentstate": "state",
}


# -- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """What a condition, a column or a sort key reads: a path, maybe aggregated or typed."""

    path: str
    agg: str | None = None
    type_hint: str | None = None
    pos: int = 0

    @property
    def key(self) -> str:
        """The canonical column name: `params/lr`, `last(train/loss)`."""
        return f"{self.agg}({self.path})" if self.agg else self.path

    @property
    def is_sys(self) -> bool:
        """A column of `runs` (`sys/tags` is a field like any other)."""
        return sysfields.is_column(self.path)


@dataclass(frozen=True)
class Value:
    value: float | str | bool
    pos: int


@dataclass(frozen=True)
class Condition:
    operand: Operand
    op: str  # one of COMPARISONS, "contains", "matches", "exists"
    value: Value | None
    pos: int


@dataclass(frozen=True)
class Not:
    expr: Expr


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Union[Condition, Not, And, Or]  # noqa: UP007 (a runtime alias, Python 3.10)


# -- parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0  # parentheses and NOTs open around the current token
        self.conditions = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_keyword(self, *words: str, offset: int = 0) -> bool:
        tok = self.tokens[min(self.i + offset, len(self.tokens) - 1)]
        return tok.kind == "word" and tok.text.lower() in words

    def error(self, reason: str, tok: Token | None = None) -> QuerySyntaxError:
        tok = tok or self.tok
        return QuerySyntaxError(reason, self.query, tok.pos)

    def describe(self, tok: Token) -> str:
        if tok.kind == "end":
            return "end of query"
        if tok.kind == "string":
            return "a string"
        return repr(self.query[tok.pos : tok.pos + max(1, len(tok.text))])

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            hint = ""
            if self.tok.kind == "rparen":
                hint = " (no '(' to close)"
            elif self.tok.kind in ("word", "quoted"):
                hint = "; join conditions with AND or OR"
            raise self.error(f"unexpected {self.describe(self.tok)}{hint}")

    # or_expr := and_expr (OR and_expr)*
    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.is_keyword("or"):
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.is_keyword("and"):
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Expr:
        if not (self.is_keyword("not") or self.tok.kind == "lparen"):
            return self.condition()
        if self.depth >= MAX_DEPTH:
            raise self.error(
                f"nested too deeply: at most {MAX_DEPTH} levels of parentheses and NOT"
            )
        self.depth += 1
        try:
            if self.tok.kind != "lparen":
                self.next()
                return Not(self.not_expr())
            opening = self.next()
            inner = self.or_expr()
            if self.tok.kind != "rparen":
                if self.tok.kind == "end":
                    raise self.error("missing ')' for this '('", opening)
                raise self.error(f"expected ')' or AND/OR, found {self.describe(self.tok)}")
            self.next()
            return inner
        finally:
            self.depth -= 1

    def operand(self) -> Operand:
        tok = self.tok
        if (
            tok.kind == "word"
            and tok.text.lower() in AGGREGATES
            and self.tokens[self.i + 1].kind == "lparen"
        ):
            self.next()
            self.next()
            inner_tok = self.tok
            if (  # refused before recursing: `last(` 2,000 times would overflow the stack
                inner_tok.kind == "word"
                and inner_tok.text.lower() in AGGREGATES
                and self.tokens[self.i + 1].kind == "lparen"
            ):
                raise self.error("aggregates cannot be nested", tok)
            inner = self.operand()
            if self.tok.kind != "rparen":
                raise self.error(f"expected ')' after the path, found {self.describe(self.tok)}")
            self.next()
            return Operand(inner.path, tok.text.lower(), inner.type_hint, tok.pos)
        if tok.kind == "quoted":
            self.next()
            path = tok.text.strip()
            if not path:
                raise self.error("empty path", tok)
            hint = None
            if self.tok.kind == "colon":
                self.next()
                type_tok = self.tok
                if type_tok.kind != "word" or type_tok.text.lower() not in TYPE_HINTS:
                    names = (
                        "float, int, bool, string, datetime, floatSeries, stringSeries, stringSet"
                    )
                    raise self.error(f"unknown attribute type; one of {names}", type_tok)
                self.next()
                hint = TYPE_HINTS[type_tok.text.lower()]
            return Operand(path, None, hint, tok.pos)
        if tok.kind == "word":
            if tok.text.lower() in ("and", "or", "not"):
                raise self.error(f"expected a field path, found the keyword {tok.text.upper()}")
            self.next()
            return Operand(tok.text, None, None, tok.pos)
        raise self.error(f"expected a field path, found {self.describe(tok)}")

    def value(self) -> Value:
        tok = self.tok
        if tok.kind == "string":
            self.next()
            return Value(tok.text, tok.pos)
        if tok.kind == "number":
            self.next()
            try:
                number = float(tok.text)
            except ValueError:
                raise self.error("malformed number", tok) from None
            return Value(number, tok.pos)
        if tok.kind == "word" and tok.text.lower() in ("true", "false"):
            self.next()
            return Value(tok.text.lower() == "true", tok.pos)
        if tok.kind == "word":
            raise self.error(f'expected a value; quote strings: "{tok.text}"')
        raise self.error(f"expected a value, found {self.describe(tok)}")

    def condition(self) -> Expr:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise self.error(f"too many conditions: at most {MAX_CONDITIONS} in one query")
        operand = self.operand()
        negated = False
        if self.is_keyword("not") and self.is_keyword("exists", "contains", "matches", offset=1):
            self.next()
            negated = True
        tok = self.tok
        cond: Condition
        if self.is_keyword("exists"):
            self.next()
            cond = Condition(operand, "exists", None, tok.pos)
        elif self.is_keyword("contains", "matches"):
            self.next()
            cond = Condition(operand, tok.text.lower(), self.value(), tok.pos)
        elif tok.kind == "op":
            self.next()
            cond = Condition(operand, tok.text, self.value(), tok.pos)
        else:
            raise self.error(
                "expected a comparison (=, !=, <, <=, >, >=, CONTAINS, MATCHES or EXISTS) "
                f"after {operand.key!r}, found {self.describe(tok)}"
            )
        return Not(cond) if negated else cond


def parse(query: str | None) -> Expr | None:
    """Parse a query; None for an empty one (every run matches)."""
    if query is None or not query.strip():
        return None
    p = _Parser(query)
    expr = p.or_expr()
    p.expect_end()
    return expr


def parse_operand(text: str) -> Operand:
    """One column name: `params/lr`, `max(train/acc)`, `` `odd path`:float ``."""
    p = _Parser(text)
    if p.tok.kind == "end":
        raise p.error("empty column name")
    operand = p.operand()
    p.expect_end()
    return operand


def parse_sort(text: str) -> list[tuple[Operand, bool]]:
    """`-metrics/f1, sys/name`: keys in order, a leading '-' for descending; at most
    MAX_SORT_KEYS of them (each is a join)."""
    check_length(text, "sort")
    parts = _split_top_level(text)
    if len(parts) > MAX_SORT_KEYS:
        raise QuerySyntaxError(
            f"too many sort keys: at most {MAX_SORT_KEYS}", text, parts[MAX_SORT_KEYS][1]
        )
    keys: list[tuple[Operand, bool]] = []
    for part, offset in parts:
        stripped = part.lstrip()
        lead = len(part) - len(stripped)
        desc = stripped.startswith("-")
        if stripped[:1] in "+-" and stripped:
            stripped = stripped[1:]
            lead += 1
        try:
            operand = parse_operand(stripped)
        except QuerySyntaxError as e:
            raise QuerySyntaxError(e.reason, text, offset + lead + e.position) from None
        keys.append((Operand(operand.path, operand.agg, operand.type_hint, offset + lead), desc))
    return keys


def _split_top_level(text: str) -> list[tuple[str, int]]:
    """Split on commas outside backticks, quotes and parentheses; (part, offset) pairs."""
    parts: list[tuple[str, int]] = []
    start, depth, quote = 0, 0, ""
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
        elif c in "`\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    parts.append((text[start:], start))
    return [(p, o) for p, o in parts if p.strip()]


def parse_columns(text: str | Sequence[str]) -> list[Operand]:
    """Column names from a comma-separated string or a list; duplicates dropped, order kept;
    at most MAX_COLUMNS of them."""
    items = _split_top_level(text) if isinstance(text, str) else [(t, 0) for t in text]
    if len(items) > MAX_COLUMNS:
        raise QueryError(f"too many columns ({len(items):,}): at most {MAX_COLUMNS:,}")
    out: dict[str, Operand] = {}
    for part, _offset in items:
        operand = parse_operand(part.strip())
        out.setdefault(operand.key, operand)
    return list(out.values())
