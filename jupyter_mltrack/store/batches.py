"""One flush of a running run, written in one transaction: blob rows, field changes, points.

The client's writer thread hands over plain dataclasses (`encoding.FieldWrite`,
`encoding.SeriesAppend`); the Session and the SQL stay here. Sets are read-modify-written
inside the transaction (the stored set plus this batch's change), so a tag added by another
process in between is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import fields, points, upsert
from .encoding import FieldDelete, FieldWrite, FileSetMerge, ScalarWrite, SeriesAppend, SetChange
from .engine import Store
from .points import TypeConflict

__all__ = ["Refused", "TypeConflict", "write"]


class Refused(Exception):
    """The store refused the batch for good (a constraint, not a transient failure): retrying
    it would fail forever. The message is the database's first line."""


def write(
    store: Store,
    run_id: int,
    *,
    blobs: Sequence[tuple[str, int, str]],
    changes: Sequence[FieldWrite],
    series: Sequence[SeriesAppend],
) -> None:
    """Record the blob rows (files already in the blob store), apply the field changes in
    order and append the series points, all or nothing. Raises `TypeConflict` when a series
    path holds another type in the store, `Refused` when the batch can never be written, and
    the driver's error when the store is unreachable (worth retrying)."""
    try:
        with store.write() as s:
            upsert.record_blobs(s, blobs)
            _apply(s, run_id, changes)
            points.append(s, run_id, series)
    except IntegrityError as e:
        raise Refused(str(e.orig or e).splitlines()[0]) from e


def _apply(s: Session, run_id: int, changes: Sequence[FieldWrite]) -> None:
    """Scalars go in runs of one upsert; a set change or a deletion in between is applied at
    its place, so the order of the caller's calls is the order in the store."""
    scalars: list[ScalarWrite] = []
    for change in changes:
        if isinstance(change, ScalarWrite):
            scalars.append(change)
            continue
        fields.upsert_scalars(s, run_id, scalars)
        scalars = []
        if isinstance(change, SetChange):
            now = set(_json_list(fields.current_text(s, run_id, change.path)))
            if change.action == "add":
                now.update(change.values)
            elif change.action == "remove":
                now.difference_update(change.values)
            else:
                now = set()
            text = json.dumps(sorted(now), ensure_ascii=False)
            fields.upsert_scalars(s, run_id, [ScalarWrite(change.path, "string_set", text=text)])
        elif isinstance(change, FileSetMerge):
            current = _json_list(fields.current_text(s, run_id, change.path))
            merged = {e["path"]: e for e in current if isinstance(e, dict)}
            merged.update({e["path"]: e for e in change.entries})
            text = json.dumps(sorted(merged.values(), key=lambda e: e["path"]))
            fields.upsert_scalars(s, run_id, [ScalarWrite(change.path, "file_set", text=text)])
        elif isinstance(change, FieldDelete):
            fields.delete_field(s, run_id, change.path)
    fields.upsert_scalars(s, run_id, scalars)


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []
