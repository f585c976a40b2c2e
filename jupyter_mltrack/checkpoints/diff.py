"""Notebook diffs in nbdime's format, fast by construction (pure over notebook dicts).

nbdime aligns cells with a multi-level brute-force sequence comparison and then diffs every
aligned pair deeply, images included: quadratic in cells and slow on outputs. Here:

1. Cells are aligned on cheap keys: the cell id where both sides have ids, else a fingerprint
   (type, source, number of outputs). `difflib.SequenceMatcher` on those keys is near-linear
   for notebooks that mostly agree, which consecutive checkpoints do.
2. Cells left unaligned (ids changed, or no ids and the source was edited) are paired inside
   each differing region by type and source similarity, in order.
3. An aligned pair that is `==` costs nothing more. For the rest, outputs are compared whole
   (equality, then canonical-JSON keys) before any content diff, and only the regions that
   differ go to nbdime's own differs (source lines, metadata, attachments, single outputs).

The result uses nbdime's diff builders, so `nbdime.patch_notebook(base, diff) == remote`
(tests/test_diff_equivalence.py proves it over a corpus) and nbdime's widgets render it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

import nbformat
from nbdime.diff_format import MappingDiffBuilder, SequenceDiffBuilder
from nbdime.diffing.generic import diff as nbdime_diff
from nbdime.diffing.notebooks import diff_attachments, notebook_config

Cell = dict[str, Any]
# Pairs in a differing region are searched in order; past this many candidates per cell,
# the rest of the region is reported as removed and added, keeping the cost linear.
MAX_LOOKAHEAD = 64
SIMILAR = 0.5
# An output this large is replaced whole rather than handed to a content differ.
BIG_OUTPUT = 200_000


# -- alignment --------------------------------------------------------------------------------
def _fingerprint(cell: Cell) -> Any:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    outputs = cell.get("outputs")
    return (cell.get("cell_type"), source, len(outputs) if isinstance(outputs, list) else -1)


def _keys(cells: Sequence[Cell], use_ids: bool) -> list[Any]:
    if use_ids:
        return [("id", c["id"]) if "id" in c else ("fp", _fingerprint(c)) for c in cells]
    return [("fp", _fingerprint(c)) for c in cells]


def _source(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _similar(a: Cell, b: Cell) -> bool:
    if a.get("cell_type") != b.get("cell_type"):
        return False
    sa, sb = _source(a)[:4000], _source(b)[:4000]
    if sa == sb:
        return True
    if not sa or not sb:
        return False
    m = SequenceMatcher(None, sa, sb, autojunk=False)
    return m.real_quick_ratio() >= SIMILAR and m.quick_ratio() >= SIMILAR and m.ratio() >= SIMILAR


def _pair_region(a: Sequence[Cell], b: Sequence[Cell]) -> list[tuple[int, int]]:
    """In-order pairs (i, j) of similar cells inside one differing region."""
    pairs: list[tuple[int, int]] = []
    j0 = 0
    for i, cell in enumerate(a):
        for j in range(j0, min(len(b), j0 + MAX_LOOKAHEAD)):
            if _similar(cell, b[j]):
                pairs.append((i, j))
                j0 = j + 1
                break
    return pairs


def align(a: Sequence[Cell], b: Sequence[Cell]) -> list[tuple[int | None, int | None]]:
    """The alignment of two cell lists: (i, j) pairs, (i, None) removed, (None, j) added."""
    use_ids = any("id" in c for c in a) and any("id" in c for c in b)
    ka, kb = _keys(a, use_ids), _keys(b, use_ids)
    out: list[tuple[int | None, int | None]] = []
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend((i1 + k, j1 + k) for k in range(i2 - i1))
            continue
        pairs = _pair_region(a[i1:i2], b[j1:j2]) if i2 > i1 and j2 > j1 else []
        ia, jb = i1, j1
        for pi, pj in pairs:
            out.extend((i, None) for i in range(ia, i1 + pi))
            out.extend((None, j) for j in range(jb, j1 + pj))
            out.append((i1 + pi, j1 + pj))
            ia, jb = i1 + pi + 1, j1 + pj + 1
        out.extend((i, None) for i in range(ia, i2))
        out.extend((None, j) for j in range(jb, j2))
    return out


# -- pair diffs -------------------------------------------------------------------------------
def _node(value: Any) -> Any:
    # nbdime's differs use attribute access and pop keys while they work: give them a copy.
    return nbformat.from_dict(copy.deepcopy(value))  # type: ignore[no-untyped-call]


def _output_key(output: Any) -> str:
    return json.dumps(output, sort_keys=True, separators=(",", ":"))


def diff_lines(a: str, b: str) -> list[Any]:
    """nbdime's line-based string diff (what `patch_string` applies): ranges of whole lines.
    nbdime also looks for near-equal lines to diff them char by char, which is most of its
    per-cell cost; whole-line ranges render the same in its widgets."""
    la, lb = a.splitlines(True), b.splitlines(True)
    builder = SequenceDiffBuilder()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag != "equal":
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
            builder.add(key, copy.deepcopy(b[key]))
        elif a[key] == b[key]:
            continue
        else:
            va, vb = a[key], b[key]
            if isinstance(va, str) and isinstance(vb, str) and _is_text(key, va, vb):
                builder.patch(key, diff_lines(va, vb))
            elif isinstance(va, dict) and isinstance(vb, dict) and depth < 2:
                builder.patch(key, diff_values(va, vb, depth + 1))
            else:
                builder.replace(key, copy.deepcopy(vb))
    return builder.validated()  # type: ignore[no-any-return]


def _is_text(key: str, a: str, b: str) -> bool:
    # Images and other base64 payloads are replaced, never diffed line by line.
    if "/" in key and not (key.startswith("text/") or "json" in key or "xml" in key):
        return False
    return len(a) + len(b) <= BIG_OUTPUT


def diff_outputs(a: list[Any], b: list[Any]) -> list[Any]:
    """Outputs are compared whole (by canonical JSON) first; only differing runs are diffed."""
    builder = SequenceDiffBuilder()
    ka, kb = [_output_key(o) for o in a], [_output_key(o) for o in b]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired = 0
        if tag == "replace":
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
        builder.addrange(i1 + paired, [copy.deepcopy(o) for o in b[j1 + paired : j2]])
        builder.removerange(i1 + paired, i2 - i1 - paired)
    return builder.validated()  # type: ignore[no-any-return]


def diff_cell(a: Cell, b: Cell) -> list[Any]:
    builder = MappingDiffBuilder()
    for key in sorted(set(a) | set(b)):
        if key not in b:
            builder.remove(key)
        elif key not in a:
            builder.add(key, copy.deepcopy(b[key]))
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
            builder.replace(key, copy.deepcopy(b[key]))
    return builder.validated()  # type: ignore[no-any-return]


def diff_cells(a: Sequence[Cell], b: Sequence[Cell]) -> tuple[list[Any], dict[str, Any]]:
    """The cells' sequence diff and its summary, from one alignment."""
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
        builder.addrange(at, [copy.deepcopy(b[x]) for x in add])
        builder.removerange(at, len(rem))
        added.extend(add)
        removed.extend(rem)
    summary = {
        "cells_added": len(added),
        "cells_removed": len(removed),
        "cells_modified": len(modified),
        "added": added,
        "removed": removed,
        "modified": modified,
    }
    return builder.validated(), summary


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
        "added": [],
        "removed": [],
        "modified": [],
        "metadata": False,
    }
    for key in sorted(set(base) | set(remote)):
        if key not in remote:
            builder.remove(key)
        elif key not in base:
            builder.add(key, copy.deepcopy(remote[key]))
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
            builder.replace(key, copy.deepcopy(remote[key]))
    return builder.validated(), summary


def count_changes(base: Sequence[Cell], remote: Sequence[Cell]) -> tuple[int, int, int]:
    """(added, removed, modified) cells, from the same alignment the diff uses."""
    added = removed = modified = 0
    for i, j in align(base, remote):
        if i is None:
            added += 1
        elif j is None:
            removed += 1
        elif base[i] != remote[j]:
            modified += 1
    return added, removed, modified


__all__ = ["align", "count_changes", "diff_cell", "diff_notebooks"]
