"""Harder variants of real histories: the same revisions with cells split, merged and moved,
sources edited in place, and no cell ids: the edits that make cell alignment hard, on real
content. Seeded and deterministic (same input and seed, same bytes, on any machine).

    from corpus_variants import variants
    harder = variants(histories["03_classification"], seed=1)  # one variant per revision

Each revision gets its own edits (drawn from `seed`, its index and its bytes), so in the variant
history a step between neighbours holds the real change plus edits undone and new ones; a
revision and its own variant differ by the edits alone, which `mutate` reports. Revisions
that are not JSON are passed through unchanged: bad input stays bad input.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from typing import Any

Revisions = list[tuple[str, bytes]]

# How many of each edit one revision gets (each drawn from 0..n, at least one edit in all).
MAX_SPLITS = 2
MAX_MERGES = 2
MAX_MOVES = 3
MAX_EDITS = 4


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _as_lines(text: str) -> list[str]:
    """A source in the form nbformat writes it: a list of lines, newlines kept."""
    return text.splitlines(True)


def _split(cells: list[dict[str, Any]], rng: random.Random) -> str | None:
    """Cut a cell of two lines or more in two at a line boundary; a code cell's outputs
    stay with the second part (where the last statement ran)."""
    candidates = [i for i, c in enumerate(cells) if len(_as_lines(_text(c.get("source")))) >= 2]
    if not candidates:
        return None
    i = rng.choice(candidates)
    cell = cells[i]
    lines = _as_lines(_text(cell.get("source")))
    at = rng.randrange(1, len(lines))
    first = copy.deepcopy(cell)
    head = "".join(lines[:at])
    first["source"] = _as_lines(head[:-1] if head.endswith("\n") else head)
    if first.get("cell_type") == "code":
        first["outputs"] = []
        first["execution_count"] = None
    cell["source"] = lines[at:]
    cells.insert(i, first)
    return f"split@{i}:{at}"


def _merge(cells: list[dict[str, Any]], rng: random.Random) -> str | None:
    """Join a cell with the next one of the same type; outputs are concatenated."""
    candidates = [
        i
        for i in range(len(cells) - 1)
        if cells[i].get("cell_type") == cells[i + 1].get("cell_type")
    ]
    if not candidates:
        return None
    i = rng.choice(candidates)
    a, b = cells[i], cells.pop(i + 1)
    a["source"] = _as_lines(_text(a.get("source")) + "\n" + _text(b.get("source")))
    if a.get("cell_type") == "code":
        a["outputs"] = list(a.get("outputs", [])) + list(b.get("outputs", []))
        a["execution_count"] = b.get("execution_count")
    return f"merge@{i}"


def _move(cells: list[dict[str, Any]], rng: random.Random) -> str | None:
    """Move one cell, near (a few places) or far, the way cut and paste does."""
    if len(cells) < 3:
        return None
    i = rng.randrange(len(cells))
    cell = cells.pop(i)
    if rng.random() < 0.5:
        j = min(len(cells), max(0, i + rng.choice([-3, -2, -1, 1, 2, 3])))
    else:
        j = rng.randrange(len(cells) + 1)
    cells.insert(j, cell)
    return f"move@{i}->{j}"


def _edit(cells: list[dict[str, Any]], rng: random.Random) -> str | None:
    """Edit a source in place: change a word, add a line, or remove one."""
    candidates = [i for i, c in enumerate(cells) if _text(c.get("source")).strip()]
    if not candidates:
        return None
    i = rng.choice(candidates)
    lines = _as_lines(_text(cells[i].get("source")))
    k = rng.randrange(len(lines))
    kind = rng.choice(["word", "add", "remove"] if len(lines) > 1 else ["word", "add"])
    if kind == "word":
        words = lines[k].split(" ")
        w = rng.randrange(len(words))
        words[w] = words[w] + f"_{rng.randrange(100)}"
        lines[k] = " ".join(words)
    elif kind == "add":
        if not lines[k].endswith("\n"):
            lines[k] += "\n"
        lines.insert(k + 1, f"# note {rng.randrange(10_000)}\n")
    else:
        del lines[k]
    text = "".join(lines)
    cells[i]["source"] = _as_lines(text[:-1] if text.endswith("\n") else text)
    return f"edit@{i}:{kind}"


def mutate(nb: dict[str, Any], rng: random.Random) -> list[str]:
    """Apply splits, merges, moves and in-place edits to `nb` (in place) and drop cell ids;
    returns the edits made, in order, e.g. `["split@4:2", "move@10->3", "edit@7:word"]`."""
    cells: list[dict[str, Any]] = nb.get("cells", [])
    counts = [
        (_split, rng.randint(0, MAX_SPLITS)),
        (_merge, rng.randint(0, MAX_MERGES)),
        (_move, rng.randint(0, MAX_MOVES)),
        (_edit, rng.randint(1, MAX_EDITS)),
    ]
    plan = [fn for fn, n in counts for _ in range(n)]
    rng.shuffle(plan)
    done = [op for op in (fn(cells, rng) for fn in plan) if op is not None]
    for cell in cells:
        cell.pop("id", None)
    return done


def dumps(nb: dict[str, Any]) -> bytes:
    """JSON as nbformat writes it (indent 1, sorted keys, non-ASCII kept)."""
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def variant(raw: bytes, seed: int, index: int) -> tuple[bytes, list[str]]:
    """One revision's variant and the edits made; non-JSON input is returned unchanged."""
    try:
        nb = json.loads(raw)
    except ValueError:
        return raw, []
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return raw, []
    # The revision's own hash in the seed: two notebooks' revision 5 get different edits.
    digest = hashlib.sha256(raw).hexdigest()[:16]
    ops = mutate(nb, random.Random(f"corpus-variants:{seed}:{index}:{digest}"))
    return dumps(nb), ops


def variants(revisions: Revisions, seed: int) -> Revisions:
    """One variant per revision, in order: `[(name, bytes)]` with the names kept."""
    return [(name, variant(raw, seed, i)[0]) for i, (name, raw) in enumerate(revisions)]
