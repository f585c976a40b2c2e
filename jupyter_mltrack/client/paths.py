"""Field paths: `train/loss`, `parameters/lr`. Checked once per handle, never per log call."""

from __future__ import annotations

from .. import sysfields
from ..store.text import text_problem

MAX_PATH_BYTES = 1024
# `sys/*` holds the run's own values (sysfields has them all); only these can be set by the user.
SYS_WRITABLE = sysfields.WRITABLE_PATHS
# Read from the run's row (every sys field but the tags, which are a field of the run).
SYS_READ = sysfields.COLUMN_PATHS


def path_problem(path: object) -> str | None:
    """Why `path` cannot name a field, or None when it can."""
    if not isinstance(path, str):
        return f"a field path must be a string like 'train/loss', not {type(path).__name__}"
    if not path:
        return "a field path cannot be empty; use a name like 'train/loss'"
    if path.startswith("/") or path.endswith("/") or "//" in path:
        fixed = "/".join(p for p in path.split("/") if p) or "name"
        return f"field path {path!r} has an empty segment; write it as {fixed!r}"
    problem = text_problem(path)
    if problem is not None:
        return f"field path {path[:40]!r} {problem}"
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        return (
            f"field path {path[:40]!r}... is {size:,} bytes long; at most {MAX_PATH_BYTES:,} "
            "are allowed: use a shorter name"
        )
    return None


def join(base: str, sub: str) -> str:
    return f"{base}/{sub}" if base else sub


def nest(flat: dict[str, object]) -> dict[str, object]:
    """{'a/b': 1, 'a/c': 2} -> {'a': {'b': 1, 'c': 2}}."""
    out: dict[str, object] = {}
    for path, value in flat.items():
        node = out
        parts = path.split("/")
        for p in parts[:-1]:
            child = node.get(p)
            if not isinstance(child, dict):
                child = {}
                node[p] = child
            node = child
        node[parts[-1]] = value
    return out
