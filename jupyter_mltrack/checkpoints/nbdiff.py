"""Notebook diffs in nbdime's format, fast by construction (pure over notebook dicts).

nbdime aligns cells with a multi-level brute-force sequence comparison and then diffs every
aligned pair deeply, images included: quadratic in cells and slow on outputs. Here:

1. Cells are aligned on cheap keys (ids, else a fingerprint), then paired by source
   similarity inside each differing region, in order (checkpoints/align.py).
2. Cells still removed on one side and added on the other that are one cell moved (same key,
   or similar source, out of order with the aligned cells) are reported as moves in the
   summary; the diff itself keeps them as a removal and an insertion (nbdime has no move).
3. An aligned pair that is `==` costs nothing more. For the rest, outputs are compared whole
   (as hashable frozen copies) before any content diff; sources and text outputs get
   whole-line diffs from an exact LCS (`regions`); nbdime's own differs only see metadata
   and attachments.

The result uses nbdime's diff builders, so `nbdime.patch_notebook(base, diff) == remote`
(tests/test_diff_equivalence.py proves it over a corpus) and nbdime's widgets render it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

import nbformat
from nbdime.diff_format import MappingDiffBuilder, SequenceDiffBuilder
from nbdime.diffing.generic import diff as nbdime_diff
from nbdime.diffing.notebooks import diff_attachments, notebook_config
from rapidfuzz.distance import Indel

from .align import align, find_moves

Cell = dict[str, Any]
# Above this many (n * m) elements, a sequence diff uses difflib's heuristic, not an exact LCS
# (rapidfuzz's bit matrix would take n * m / 8 bytes).
LCS_CELLS = 16_000_000
# An output this large is replaced whole rather than handed to a content differ.
BIG_OUTPUT = 200_000


# -- pair diffs -------------------------------------------------------------------------------
def _node(value: Any) -> Any:
    # nbdime's differs use attribute access and pop keys while they work: give them a copy.
    return nbformat.from_dict(copy.deepcopy(value))  # type: ignore[no-untyped-call]


def _clone(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars) for the diff to hold: what it adds
    must not alias the remote notebook. Plain dicts and lists, strings shared (immutable):
    `copy.deepcopy` through NotebookNode's own hook took most of a small pair's diff."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    """A hashable copy of a JSON value, equal exactly when the values are: outputs are keyed
    by it (hashing a base64 image is a C loop; encoding it as JSON was 20 % of the diff)."""
    if isinstance(value, dict):
        return ("{", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("[", tuple(_freeze(v) for v in value))
    return value


def regions(a: Sequence[Any], b: Sequence[Any]) -> list[tuple[int, int, int, int]]:
    """The regions (i1, i2, j1, j2) where two sequences of hashables differ, in order, from a
    longest common subsequence: the common prefix and suffix are cut, the middle goes to
    rapidfuzz's bit-parallel LCS (O(n * m / 64) in C; `SequenceMatcher` in Python took 40 ms
    on a 465-line HTML table that changed) while n * m <= LCS_CELLS, past that to
    `SequenceMatcher` with its popular-element heuristic, which bounds time and memory."""
    start, end_a, end_b = 0, len(a), len(b)
    while start < end_a and start < end_b and a[start] == b[start]:
        start += 1
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    if start in (end_a, end_b):
        return [(start, end_a, start, end_b)] if end_a > start or end_b > start else []
    if (end_a - start) * (end_b - start) > LCS_CELLS:
        ops = SequenceMatcher(None, a[start:end_a], b[start:end_b]).get_opcodes()
        return [
            (i1 + start, i2 + start, j1 + start, j2 + start)
            for t, i1, i2, j1, j2 in ops
            if t != "equal"
        ]
    # Elements become exact small ints: rapidfuzz would hash them, and a collision must never
    # make two different lines equal.
    ids: dict[Any, int] = {}
    ka = [ids.setdefault(x, len(ids)) for x in a[start:end_a]]
    kb = [ids.setdefault(x, len(ids)) for x in b[start:end_b]]
    out: list[tuple[int, int, int, int]] = []
    for op in Indel.opcodes(ka, kb):
        i1, i2, j1, j2 = (
            op.src_start + start,
            op.src_end + start,
            op.dest_start + start,
            op.dest_end + start,
        )
        if op.tag == "equal":
            continue
        if out and out[-1][1] == i1 and out[-1][3] == j1:
            out[-1] = (out[-1][0], i2, out[-1][2], j2)  # a removal next to an insertion
        else:
            out.append((i1, i2, j1, j2))
    return out


def diff_lines(a: str, b: str) -> list[Any]:
    """nbdime's line-based string diff (what `patch_string` applies): ranges of whole lines.
    nbdime also looks for near-equal lines to diff them char by char, which is most of its
    per-cell cost; whole-line ranges render the same in its widgets."""
    la, lb = a.splitlines(True), b.splitlines(True)
    builder = SequenceDiffBuilder()
    for i1, i2, j1, j2 in regions(la, lb):
        builder.addrange(i1, lb[j1:j2])
        builder.removerange(i1, i2 - i1)
    return builder.validated()  # type: ignore[no-any-return]


def diff_values(a: dict[str, Any], b: dict[str, Any], depth: int = 0) -> list[Any]:
    """A mapping diff where strings get line diffs and nested mappings (an output's `data`
    and `metadata`) are walked one level; anything else is replaced whole."""
    builder = MappingDiffBuilder()
    for key in sorted(set(a) | set(b)):
        if key not in b:
            builder.remove(key)
        elif key not in a:
            builder.add(key, _clone(b[key]))
        elif a[key] == b[key]:
            continue
        else:
            va, vb = a[key], b[key]
            if isinstance(va, str) and isinstance(vb, str) and _is_text(key, va, vb):
                builder.patch(key, diff_lines(va, vb))
            elif isinstance(va, dict) and isinstance(vb, dict) and depth < 2:
                builder.patch(key, diff_values(va, vb, depth + 1))
            else:
                builder.replace(key, _clone(vb))
    return builder.validated()  # type: ignore[no-any-return]


def _is_text(key: str, a: str, b: str) -> bool:
    # Images and other base64 payloads are replaced, never diffed line by line.
    if "/" in key and not (key.startswith("text/") or "json" in key or "xml" in key):
        return False
    return len(a) + len(b) <= BIG_OUTPUT


def diff_outputs(a: list[Any], b: list[Any]) -> list[Any]:
    """Outputs are compared whole first; in a region that differs, outputs of the same type
    in the same place are diffed and the rest replaced."""
    builder = SequenceDiffBuilder()
    for i1, i2, j1, j2 in regions([_freeze(o) for o in a], [_freeze(o) for o in b]):
        paired = 0
        for k in range(min(i2 - i1, j2 - j1)):
            oa, ob = a[i1 + k], b[j1 + k]
            if (
                not isinstance(oa, dict)
                or not isinstance(ob, dict)
                or oa.get("output_type") != ob.get("output_type")
            ):
                break
            builder.patch(i1 + k, diff_values(oa, ob))
            paired += 1
        builder.addrange(i1 + paired, [_clone(o) for o in b[j1 + paired : j2]])
        builder.removerange(i1 + paired, i2 - i1 - paired)
    return builder.validated()  # type: ignore[no-any-return]


def diff_cell(a: Cell, b: Cell) -> list[Any]:
    builder = MappingDiffBuilder()
    for key in sorted(set(a) | set(b)):
        if key not in b:
            builder.remove(key)
        elif key not in a:
            builder.add(key, _clone(b[key]))
        elif a[key] == b[key]:
            continue
        elif key == "source" and isinstance(a[key], str) and isinstance(b[key], str):
            builder.patch(key, diff_lines(a[key], b[key]))
        elif key == "outputs" and isinstance(a[key], list) and isinstance(b[key], list):
            builder.patch(key, diff_outputs(a[key], b[key]))
        elif key == "attachments" and isinstance(a[key], dict) and isinstance(b[key], dict):
            builder.patch(key, diff_attachments(_node(a[key]), _node(b[key])))
        elif key == "metadata" and isinstance(a[key], dict) and isinstance(b[key], dict):
            builder.patch(
                key,
                nbdime_diff(
                    _node(a[key]), _node(b[key]), path="/cells/*/metadata", config=notebook_config
                ),
            )
        else:
            builder.replace(key, _clone(b[key]))
    return builder.validated()  # type: ignore[no-any-return]


def diff_cells(a: Sequence[Cell], b: Sequence[Cell]) -> tuple[list[Any], dict[str, Any]]:
    """The cells' sequence diff and its summary, from one alignment. A moved cell stays a
    removal and an insertion in the diff (nbdime's format has no move, and patching must give
    `b`); the summary lists it under `moved` instead of `removed` and `added`."""
    builder = SequenceDiffBuilder()
    added: list[int] = []
    removed: list[int] = []
    modified: list[dict[str, Any]] = []
    alignment = align(a, b)
    k = 0
    while k < len(alignment):
        i, j = alignment[k]
        if i is not None and j is not None:
            if a[i] != b[j]:
                d = diff_cell(a[i], b[j])
                if d:
                    builder.patch(i, d)
                    modified.append({"base": i, "remote": j, "parts": _parts(a[i], b[j])})
            k += 1
            continue
        # A run of removals and additions before the next pair (or the end).
        rem: list[int] = []
        add: list[int] = []
        while k < len(alignment) and (alignment[k][0] is None or alignment[k][1] is None):
            ri, rj = alignment[k]
            if ri is not None:
                rem.append(ri)
            if rj is not None:
                add.append(rj)
            k += 1
        at = rem[0] if rem else (alignment[k][0] if k < len(alignment) else len(a))
        assert at is not None
        builder.addrange(at, [_clone(b[x]) for x in add])
        builder.removerange(at, len(rem))
        added.extend(add)
        removed.extend(rem)
    moved = [_move(a[i], b[j], i, j) for i, j in find_moves(a, b, alignment)]
    moved_a = {m["base"] for m in moved}
    moved_b = {m["remote"] for m in moved}
    added = [j for j in added if j not in moved_b]
    removed = [i for i in removed if i not in moved_a]
    summary = {
        "cells_added": len(added),
        "cells_removed": len(removed),
        "cells_modified": len(modified),
        "cells_moved": len(moved),
        "added": added,
        "removed": removed,
        "modified": modified,
        "moved": moved,
    }
    return builder.validated(), summary


def _move(a: Cell, b: Cell, i: int, j: int) -> dict[str, Any]:
    """A moved cell in the summary: where it was and is, and its edit if one was made (the
    parts, and the cell diff of `a` to `b` that nbdime's cell model renders)."""
    if a == b:
        return {"base": i, "remote": j, "edited": False, "parts": [], "diff": []}
    return {"base": i, "remote": j, "edited": True, "parts": _parts(a, b), "diff": diff_cell(a, b)}


def _parts(a: Cell, b: Cell) -> list[str]:
    """Which parts of a modified cell changed, named as the lab shows them."""
    parts = []
    if a.get("source") != b.get("source"):
        parts.append("markdown" if b.get("cell_type") == "markdown" else "source")
    if a.get("outputs") != b.get("outputs"):
        parts.append("outputs")
    if a.get("execution_count") != b.get("execution_count"):
        parts.append("execution_count")
    if a.get("metadata") != b.get("metadata"):
        parts.append("metadata")
    if a.get("attachments") != b.get("attachments"):
        parts.append("attachments")
    if a.get("cell_type") != b.get("cell_type") or a.get("id") != b.get("id"):
        parts.append("cell")
    return parts


def diff_notebooks(
    base: dict[str, Any], remote: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """nbdime-format diff of `base` to `remote`, and a summary of what changed."""
    builder = MappingDiffBuilder()
    summary: dict[str, Any] = {
        "cells_added": 0,
        "cells_removed": 0,
        "cells_modified": 0,
        "cells_moved": 0,
        "added": [],
        "removed": [],
        "modified": [],
        "moved": [],
        "metadata": False,
    }
    for key in sorted(set(base) | set(remote)):
        if key not in remote:
            builder.remove(key)
        elif key not in base:
            builder.add(key, _clone(remote[key]))
        elif base[key] == remote[key]:
            continue
        elif key == "cells" and isinstance(base[key], list) and isinstance(remote[key], list):
            d, cells_summary = diff_cells(base[key], remote[key])
            builder.patch(key, d)
            summary.update(cells_summary)
        elif key == "metadata" and isinstance(base[key], dict) and isinstance(remote[key], dict):
            builder.patch(
                key,
                nbdime_diff(
                    _node(base[key]), _node(remote[key]), path="/metadata", config=notebook_config
                ),
            )
            summary["metadata"] = True
        else:
            builder.replace(key, _clone(remote[key]))
    return builder.validated(), summary


def count_changes(base: Sequence[Cell], remote: Sequence[Cell]) -> tuple[int, int, int, int]:
    """(added, removed, modified, moved) cells, from the same alignment and moves the diff
    uses: a moved cell (edited or not) is neither added nor removed, as in its summary."""
    alignment = align(base, remote)
    added = removed = modified = 0
    for i, j in alignment:
        if i is None:
            added += 1
        elif j is None:
            removed += 1
        elif base[i] != remote[j]:
            modified += 1
    moved = len(find_moves(base, remote, alignment))
    return added - moved, removed - moved, modified, moved


__all__ = ["align", "count_changes", "diff_cell", "diff_notebooks", "find_moves"]
