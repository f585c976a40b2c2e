"""Notebook builders shared by the tests."""

from __future__ import annotations

from typing import Any


def without_cell_ids(nb: Any) -> Any:
    """`nb` as nbformat 4.4 and older wrote it: no cell ids (changed in place, returned), so
    that a test sees what diffs, counts and round trips do when cells are matched by content
    alone."""
    nb.nbformat_minor = 4
    for c in nb.cells:
        del c["id"]
    return nb
