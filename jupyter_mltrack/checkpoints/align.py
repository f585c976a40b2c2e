"""Cell alignment and moves for the notebook diff (checkpoints/nbdiff.py): which cell of the
base is which cell of the remote, and which cells moved. Pure over lists of cell dicts.

Cells are aligned on cheap keys (the id where both sides have ids, else type + source +
output count) with `difflib.SequenceMatcher`, near-linear for notebooks that mostly agree.
Cells left unaligned in a differing region are paired in order by source similarity:
rapidfuzz's Indel ratio (2 * LCS / total length, bit-parallel in C), on the first
SIMILAR_CHARS characters; `SequenceMatcher.ratio` there was 95 % of the diff time on real
histories of notebooks without ids. What is still removed on one side and added on the other
is searched for moves (same key, or a similar source, out of order with the aligned cells).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

from rapidfuzz.distance import Indel

Cell = dict[str, Any]
Alignment = list[tuple[int | None, int | None]]
# Pairs in a differing region are searched in order; past this many candidates per cell,
# the rest of the region is reported as removed and added, keeping the cost linear.
MAX_LOOKAHEAD = 64
SIMILAR = 0.5
# A cell removed here and added there is one cell moved and edited from this similarity up:
# pairs from 0.5 to 0.7 in real histories were mostly unrelated short cells ("S[:3]" and
# "V[:2]"), which an edit in place at 0.5 is not, its neighbours being aligned.
MOVE_SIMILAR = 0.7
# Sources are compared on their first characters only: a bound on one comparison's cost.
SIMILAR_CHARS = 4000
# Edited moves are searched among (removed x added) cells only up to this many pairs; past
# it only exact moves (same id or fingerprint) are found, keeping the cost bounded.
MAX_MOVE_PAIRS = 4096


# -- alignment --------------------------------------------------------------------------------
def _source(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _fingerprint(cell: Cell) -> Any:
    outputs = cell.get("outputs")
    return (cell.get("cell_type"), _source(cell), len(outputs) if isinstance(outputs, list) else -1)


def _key(cell: Cell, use_ids: bool) -> Any:
    return ("id", cell["id"]) if use_ids and "id" in cell else ("fp", _fingerprint(cell))


def _uses_ids(a: Sequence[Cell], b: Sequence[Cell]) -> bool:
    return any("id" in c for c in a) and any("id" in c for c in b)


def _similarity(sa: str, sb: str, cutoff: float = SIMILAR) -> float:
    """The Indel ratio of two texts when it reaches `cutoff`, else 0."""
    if sa == sb:
        return 1.0
    if not sa or not sb:
        return 0.0
    return float(Indel.normalized_similarity(sa, sb, score_cutoff=cutoff))


def _texts(cells: Sequence[Cell]) -> list[tuple[Any, str]]:
    return [(c.get("cell_type"), _source(c)[:SIMILAR_CHARS]) for c in cells]


def _pair_region(a: Sequence[Cell], b: Sequence[Cell]) -> list[tuple[int, int]]:
    """In-order pairs (i, j) of similar cells inside one differing region: each cell of `a`
    takes the first similar cell of `b` after the last one taken."""
    ta, tb = _texts(a), _texts(b)
    pairs: list[tuple[int, int]] = []
    j0 = 0
    for i, (kind, text) in enumerate(ta):
        for j in range(j0, min(len(b), j0 + MAX_LOOKAHEAD)):
            if tb[j][0] == kind and _similarity(text, tb[j][1]) >= SIMILAR:
                pairs.append((i, j))
                j0 = j + 1
                break
    return pairs


def align(a: Sequence[Cell], b: Sequence[Cell]) -> Alignment:
    """The alignment of two cell lists: (i, j) pairs, (i, None) removed, (None, j) added."""
    use_ids = _uses_ids(a, b)
    ka, kb = [_key(c, use_ids) for c in a], [_key(c, use_ids) for c in b]
    out: Alignment = []
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


# -- moves ------------------------------------------------------------------------------------
def find_moves(a: Sequence[Cell], b: Sequence[Cell], alignment: Alignment) -> list[tuple[int, int]]:
    """(base, remote) pairs among the removed and added cells of `alignment` that are one
    cell moved, sorted by remote index: the same id (or, without ids, the same fingerprint)
    first, then the most similar sources (same type, ratio >= MOVE_SIMILAR), each cell used once.
    A pair counts only when it crosses an aligned pair, i.e. its order changed; a pair in
    order is an edit the alignment did not reach and stays a removal and an insertion.
    Blank cells without ids have no identity and are never moves."""
    removed = [i for i, j in alignment if j is None and i is not None]
    added = [j for i, j in alignment if i is None and j is not None]
    if not removed or not added:
        return []
    aligned = [(i, j) for i, j in alignment if i is not None and j is not None]
    pair_is = [i for i, _ in aligned]

    def crosses(i: int, j: int) -> bool:
        k = bisect_left(pair_is, i)
        before = aligned[k - 1][1] if k > 0 else -1
        after = aligned[k][1] if k < len(aligned) else len(b)
        return not before < j < after

    use_ids = _uses_ids(a, b)

    def identified(cell: Cell) -> bool:
        return (use_ids and "id" in cell) or bool(_source(cell).strip())

    moves: list[tuple[int, int]] = []
    moved_a: set[int] = set()
    moved_b: set[int] = set()
    by_key: dict[Any, list[int]] = {}
    for j in added:
        if identified(b[j]):
            by_key.setdefault(_key(b[j], use_ids), []).append(j)
    for i in removed:
        same = by_key.get(_key(a[i], use_ids)) if identified(a[i]) else None
        for k, j in enumerate(same[:MAX_LOOKAHEAD] if same else ()):
            if crosses(i, j):
                moves.append((i, j))
                moved_a.add(i)
                moved_b.add(j)
                del same[k]  # type: ignore[union-attr]
                break
    rest_a = [i for i in removed if i not in moved_a and _source(a[i]).strip()]
    rest_b = [j for j in added if j not in moved_b and _source(b[j]).strip()]
    if rest_a and rest_b and len(rest_a) * len(rest_b) <= MAX_MOVE_PAIRS:
        ta, tb = _texts([a[i] for i in rest_a]), _texts([b[j] for j in rest_b])
        scored = []
        for (kind, text), i in zip(ta, rest_a, strict=True):
            for (kind_b, text_b), j in zip(tb, rest_b, strict=True):
                if kind == kind_b and crosses(i, j):
                    score = _similarity(text, text_b, MOVE_SIMILAR)
                    if score >= MOVE_SIMILAR:
                        scored.append((-score, abs(i - j), i, j))
        for _score, _distance, i, j in sorted(scored):
            if i not in moved_a and j not in moved_b:
                moves.append((i, j))
                moved_a.add(i)
                moved_b.add(j)
    return sorted(moves, key=lambda m: m[1])


__all__ = ["align", "find_moves"]
