"""v4 notebook validation that re-checks only the cells it has not already seen valid.

`nbformat.validate` runs the whole schema over every cell on every read: 40 ms of a
1,000-cell notebook, more than the rest of a checkpoint together, although consecutive reads
of a notebook differ in a cell or two. The v4 schema is a conjunction of the top level (its
keys, versions and metadata) and one `#/definitions/cell` check per cell, so the notebook is
validated in those parts, with nbformat's own schema files and validator backend:

- the top level, by nbformat's validator, with the cell list left empty;
- each cell against the `cell` definition of its notebook's minor version, skipped when its
  *unit* (snapshot's canonical bytes of the cell, which determine the cell exactly) already
  passed under the same minor version. The cache holds only units that passed.

What this module cannot prove valid (other versions, cells without ids or with duplicate
ids, which nbformat repairs, anything invalid) is read by `read_like_jupyter`: exactly what
Jupyter's contents manager reads, repairs included. An invalid notebook that Jupyter opens
(with a warning: a v4.4 notebook whose cells carry ids, an extra key...) is accepted with
nbformat's message; only what Jupyter cannot open is refused. tests/test_checkpoint_validation.py
checks both paths against nbformat and a real contents manager over a corpus.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat.v4
from nbformat.json_compat import ValidationError, get_current_validator
from nbformat.validator import get_validator

# Minor versions whose schema ships with nbformat; newer ones get nbformat's relaxed handling.
MINORS = range(int(nbformat.v4.nbformat_minor) + 1)


def fast_minor(raw: dict[str, Any]) -> int | None:
    """The minor version when `raw` can be validated here, else None (nbformat's turn).

    Requires v4 with a known minor version, a list of objects that each name a cell_type (a
    cell without one is invalid, and only so is a unit ambiguous: snapshot wraps cells with
    binaries in an object without cell_type), and from 4.5 on, string ids all distinct:
    nbformat repairs missing and duplicate ids, which is its business.
    """
    major, minor, cells = raw.get("nbformat"), raw.get("nbformat_minor"), raw.get("cells")
    if type(major) is not int or major != 4 or type(minor) is not int or minor not in MINORS:
        return None
    if not isinstance(cells, list):
        return None
    if not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        return None
    if minor >= 5:
        ids = [c.get("id") for c in cells]
        if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
            return None
    return minor


def top_level_valid(raw: dict[str, Any], minor: int) -> bool:
    """Everything but the cells, by nbformat's own (cached) validator of that version."""
    try:
        get_validator(4, minor).validate({**raw, "cells": []})  # type: ignore[no-untyped-call]
    except ValidationError:
        return False
    return True


@functools.cache
def _cell_validator(minor: int) -> Any:
    """The schema's `cell` definition (all definitions kept, for its references), compiled
    once per minor version by the backend nbformat uses."""
    schema_file = nbformat.v4.nbformat_schema[(4, minor)]
    schema = json.loads((Path(nbformat.v4.__file__).parent / schema_file).read_text("utf-8"))
    return get_current_validator()(  # type: ignore[no-untyped-call]
        {
            "$schema": schema["$schema"],
            "$ref": "#/definitions/cell",
            "definitions": schema["definitions"],
        }
    )


class _ValidUnits:
    """(minor version, unit) pairs known valid, least recently used first; bounded by the
    bytes of the units it holds plus a per-entry estimate (a 1,000-cell notebook without its
    images is about 0.4 MB). Thread-safe: the server validates in worker threads."""

    ENTRY_BYTES = 150  # the key tuple and the dict slot, roughly

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._items: OrderedDict[tuple[int, bytes], None] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def unknown(self, minor: int, units: Sequence[bytes]) -> list[int]:
        """Indices of the units not known valid under `minor`; the known ones are refreshed."""
        missing = []
        with self._lock:
            items = self._items
            for i, unit in enumerate(units):
                key = (minor, unit)
                if key in items:
                    items.move_to_end(key)
                else:
                    missing.append(i)
        return missing

    def add(self, minor: int, units: Sequence[bytes]) -> None:
        with self._lock:
            for unit in units:
                key = (minor, unit)
                if key in self._items:
                    continue
                self._items[key] = None
                self._bytes += len(unit) + self.ENTRY_BYTES
            while self._bytes > self._max and self._items:
                (_minor, old), _ = self._items.popitem(last=False)
                self._bytes -= len(old) + self.ENTRY_BYTES

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


VALID_UNITS = _ValidUnits()


def cells_valid(cells: Sequence[dict[str, Any]], units: Sequence[bytes], minor: int) -> bool:
    """Whether every cell is valid under the minor version's schema; `units[i]` must be the
    unit of `cells[i]` (`snapshot.split_notebook`). Only cells not seen valid are checked."""
    missing = VALID_UNITS.unknown(minor, units)
    if not missing:
        return True
    validator = _cell_validator(minor)
    try:
        for i in missing:
            validator.validate(cells[i])
    except ValidationError:
        return False
    VALID_UNITS.add(minor, [units[i] for i in missing])
    return True


# A validation message may quote the notebook: what a store cannot hold is escaped.
MAX_WARNING = 2000
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def warning_text(message: str) -> str:
    """nbformat's validation message as a checkpoint keeps it: at most MAX_WARNING
    characters (a message can quote a whole output), NUL and lone surrogates escaped."""
    if len(message) > MAX_WARNING:
        message = message[: MAX_WARNING - 1] + "\u2026"
    return _UNSTORABLE.sub(lambda m: ascii(m.group())[1:-1], message)


def read_like_jupyter(text: str | bytes) -> tuple[Any, str | None]:
    """(notebook, validation warning or None) as Jupyter's contents manager reads `text`:
    `nbformat.reads(text, as_version=4)`, which upgrades older formats, repairs cell ids and
    logs (not raises) a validation error, captured here as the warning. Raises what nbformat
    raises for what Jupyter cannot open (not JSON, an unknown major version, a notebook
    missing a key it needs)."""
    captured: dict[str, Any] = {}
    nb = nbformat.reads(text, as_version=4, capture_validation_error=captured)  # type: ignore[no-untyped-call]
    error = captured.get("ValidationError")
    return nb, (warning_text(error.message) if error is not None else None)
