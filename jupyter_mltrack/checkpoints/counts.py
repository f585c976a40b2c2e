"""Honest counts (issue 17.2): cells added, removed, changed and moved against the previous
entry of the history *as listed*, counted as the diff's summary counts them (a moved cell,
edited or not, is moved, neither added nor removed).

A checkpoint's stored counts are against its parent, the checkpoint before it in the
notebook's line. When the list is filtered (the lab hides `save` checkpoints), the parent is
often hidden: a run or manual checkpoint right after its save would say "no cell changed"
when the cells did change since the previous entry the user sees. `as_listed` re-measures
each entry of a filtered page against the next older entry of the same filtered list (the
page is read one entry longer for the last one), reusing the stored counts where that entry
is the parent anyway. The oldest entry of the list counts every cell as added, as the first
checkpoint of an unfiltered history does. Pairs are cached: a refreshed sidebar measures
nothing again.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterable

from ..store import checkpoints as repo
from ..store.engine import Store
from ..store.entities import CheckpointInfo
from . import snapshot

Counts = tuple[int, int, int, int]  # added, removed, modified, moved


class _PairCache:
    """(blob root, older manifest, newer manifest) -> counts; manifests never change."""

    def __init__(self, size: int = 1024) -> None:
        self._items: OrderedDict[tuple[str, str, str], Counts] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Counts | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[str, str, str], value: Counts) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


PAIRS = _PairCache()


def _units(store: Store, info: CheckpointInfo) -> list[bytes]:
    manifest = snapshot.MANIFESTS.get(store.blobs, info.manifest_sha)
    return snapshot.UNITS.get(store.blobs, manifest)


def between(store: Store, older: CheckpointInfo | None, newer: CheckpointInfo) -> Counts:
    """(added, removed, modified, moved) cells from `older` (None: nothing) to `newer`."""
    if older is not None and older.id == newer.parent_id:
        return newer.cells_added, newer.cells_removed, newer.cells_modified, newer.cells_moved
    if older is None:
        return len(_units(store, newer)), 0, 0, 0
    if older.manifest_sha == newer.manifest_sha:
        return 0, 0, 0, 0
    key = (store.blobs.location, older.manifest_sha, newer.manifest_sha)
    hit = PAIRS.get(key)
    if hit is None:
        hit = snapshot.count_unit_changes(_units(store, older), _units(store, newer))
        PAIRS.put(key, hit)
    return hit


def as_listed(
    store: Store, page: list[CheckpointInfo], older: CheckpointInfo | None
) -> list[CheckpointInfo]:
    """`page` (newest first) with each entry's counts against the entry after it; `older` is
    the entry just past the page (None: the page ends the list)."""
    out = []
    for i, info in enumerate(page):
        before = page[i + 1] if i + 1 < len(page) else older
        added, removed, modified, moved = between(store, before, info)
        out.append(
            dataclasses.replace(
                info,
                cells_added=added,
                cells_removed=removed,
                cells_modified=modified,
                cells_moved=moved,
            )
        )
    return out


def history(
    store: Store,
    path: str | None = None,
    *,
    trigger: str | None = None,
    exclude_triggers: Iterable[str] = (),
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CheckpointInfo], int]:
    """`repo.list_checkpoints`, its counts as listed when one notebook's history is filtered.
    Unfiltered, the previous entry is the parent: the stored counts are the listed ones. Over
    all notebooks the entries of one notebook are not neighbours: stored counts too."""
    excluded = list(exclude_triggers)
    filtered = path is not None and bool(trigger or excluded or text)
    if not filtered or limit == 0:
        return repo.list_checkpoints(
            store,
            path,
            trigger=trigger,
            exclude_triggers=excluded,
            text=text,
            limit=limit,
            offset=offset,
        )
    rows, total = repo.list_checkpoints(
        store,
        path,
        trigger=trigger,
        exclude_triggers=excluded,
        text=text,
        limit=limit + 1,
        offset=offset,
    )
    page, rest = rows[:limit], rows[limit:]
    return as_listed(store, page, rest[0] if rest else None), total
