"""Keyset pagination: a page continues after the last row of the page before, named by an
opaque cursor, instead of skipping `offset` rows (which costs every skipped row).

A page is ordered by sort terms and then by run id, descending, the tie-break that makes the
order total. The cursor holds the last row's term values and id; the next page is the rows
that sort after them, a condition the database answers from the same index the order uses.
NULLs sort last in both directions, as the runs table always has.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from ..errors import InvalidInput


@dataclass(frozen=True)
class Term:
    """One sort expression: its direction and whether it can be NULL (a NOT NULL column
    needs no NULLS LAST, which would keep PostgreSQL from reading an index backwards)."""

    expr: Any
    desc: bool
    nullable: bool = True


def order_by(terms: Sequence[Term], id_col: Any) -> list[Any]:
    out: list[Any] = []
    for t in terms:
        e = t.expr.desc() if t.desc else t.expr.asc()
        out.append(e.nulls_last() if t.nullable else e)
    out.append(id_col.desc())
    return out


def after(
    terms: Sequence[Term], values: Sequence[Any], id_col: Any, last_id: int
) -> ColumnElement[bool]:
    """The rows that sort after the row with `values` (one per term) and id `last_id`."""
    beyond: list[ColumnElement[bool]] = []
    same: list[ColumnElement[bool]] = []
    for t, v in zip(terms, values, strict=True):
        if v is None:  # NULLs are last: only other NULLs follow, on the next terms
            same.append(t.expr.is_(None))
            continue
        past = t.expr < v if t.desc else t.expr > v
        if t.nullable:
            past = or_(past, t.expr.is_(None))
        beyond.append(and_(*same, past))
        same.append(t.expr == v)
    beyond.append(and_(*same, id_col < last_id))
    cond: ColumnElement[bool] = or_(*beyond) if beyond else false()
    if terms and values[0] is not None and not terms[0].nullable:
        # The same bound once more as a plain range: an OR is no index range, this is.
        first, v = terms[0], values[0]
        cond = and_(first.expr <= v if first.desc else first.expr >= v, cond)
    return cond


def fingerprint(*parts: Any) -> str:
    """What a cursor belongs to (query, sort, project): another table's cursor is refused."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode(
    owner: str,
    plan: str,
    segment: int,
    values: Sequence[Any],
    last_id: int,
    position: int | None = None,
) -> str:
    """An opaque, URL-safe cursor. JSON keeps floats exact (and NaN/Infinity as tokens).
    `position`: the rows before the page it starts, when known, so that the last page
    reached by cursors knows the exact total as the last page by offset does."""
    parts: list[Any] = [owner, plan, segment, list(values), last_id]
    if position is not None:
        parts.append(position)
    raw = json.dumps(parts, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, owner: str) -> tuple[str, int, list[Any], int, int | None]:
    """(plan, segment, values, last id, position or None) of a cursor made by `encode` for
    the same `owner` (cursors without a position, from before it was kept, still read)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        got, plan, segment, values, last_id = parts[:5]
        position = parts[5] if len(parts) == 6 else None
        ok = isinstance(plan, str) and isinstance(segment, int) and isinstance(values, list)
        ok = ok and isinstance(last_id, int) and len(parts) in (5, 6)
        ok = ok and (position is None or (isinstance(position, int) and position >= 0))
    except (ValueError, TypeError, KeyError):
        ok = False
    if not ok:
        raise InvalidInput("cursor is not one this server made (take next_cursor as it is)")
    if got != owner:
        raise InvalidInput(
            "cursor belongs to another query, sort or project: start again without it"
        )
    return plan, segment, values, last_id, position
