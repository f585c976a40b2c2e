"""gc of packs: rewrite what stays into one new pack and delete the old ones, while other
processes go on appending.

1. Every pack is sealed (under each pack's lock, so no append lands after its seal): from
   then on writers append to a new pack, which this gc does not touch.
2. The sealed packs are read: a blob stays when `keep` names it or it was written or marked
   reused (FRESH) after `cutoff`; a piece stays when a blob that stays needs it, or is
   recent. What stays is copied into a temp file, with its original write time.
3. Under the packs' gc lock, held exclusively (appends wait, for milliseconds): the records
   appended since step 1 are read, and whatever they rely on in the sealed packs (the
   pieces a new blob shares, a blob marked reused) is copied too. Then the new pack is
   synced, linked in under a new number, indexed, and the sealed packs are deleted.

Readers holding an index of a deleted pack find it gone on their next read and reload.
"""

from __future__ import annotations

import os
import time
from collections.abc import Set
from dataclasses import dataclass, field

from .packfile import (
    BLOB_KINDS,
    HEAD,
    NO_SHA,
    PACK_HEADER,
    PIECE,
    RECIPE,
    SEAL,
    Entry,
    Record,
    encode,
    fsync_dir,
    pack_name,
    pack_number,
    write_all,
    write_idx,
)
from .packs import Pack, PackSet


@dataclass
class Repacked:
    dropped: list[str] = field(default_factory=list)  # blob shas left out
    freed: int = 0  # bytes of the records left out
    packs_before: int = 0
    packs_after: int = 0


@dataclass
class _Old:
    """The sealed packs, read whole: where each sha is, and when it was last reused."""

    where: dict[bytes, tuple[Pack, Entry]] = field(default_factory=dict)
    fresh: dict[bytes, int] = field(default_factory=dict)

    def add(self, pack: Pack) -> None:
        full = pack.full_scan()
        for sha, e in full.entries.items():
            self.where.setdefault(sha, (pack, e))
        for sha, t in full.fresh.items():
            self.fresh[sha] = max(t, self.fresh.get(sha, 0))


def _pieces_of(pack: Pack, e: Entry, sha: bytes) -> list[bytes]:
    names = pack.read(e, sha)
    return [names[i : i + 32] for i in range(0, len(names), 32)]


def _live(old: _Old, keep: Set[str], cutoff: float) -> set[bytes]:
    live: set[bytes] = set()
    for sha, (_pack, e) in old.where.items():
        recent = max(e.time, old.fresh.get(sha, 0)) >= cutoff
        if recent if e.kind == PIECE else (e.kind in BLOB_KINDS and (recent or sha.hex() in keep)):
            live.add(sha)
    for sha in list(live):
        pack, e = old.where[sha]
        if e.kind == RECIPE:
            live.update(_pieces_of(pack, e, sha))
    return live & old.where.keys()


class _Writer:
    """The new pack, written to a temp file first."""

    def __init__(self, folder: str) -> None:
        self.tmp = os.path.join(folder, f".tmp-repack-{os.getpid()}-{time.monotonic_ns()}")
        self.fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        write_all(self.fd, PACK_HEADER)
        self.open = True
        self.copied: set[bytes] = set()
        self.entries: list[tuple[bytes, Entry]] = []
        self.size = len(PACK_HEADER)

    def copy(self, old: _Old, sha: bytes) -> None:
        if sha in self.copied:
            return
        pack, e = old.where[sha]
        t = max(e.time, old.fresh.get(sha, 0))
        data = encode(Record(e.kind, sha, pack.read(e, sha), e.enc, t), t)
        write_all(self.fd, data)
        self.entries.append((sha, Entry(self.size, e.length, t, e.kind, e.enc)))
        self.size += len(data)
        self.copied.add(sha)

    def finish(self, folder: str) -> str:
        """Seal, sync and link the pack in under a number above every pack; returns its path."""
        write_all(self.fd, encode(Record(SEAL, NO_SHA), int(time.time())))
        os.fsync(self.fd)
        os.close(self.fd)
        self.open = False
        number = 1 + max((pack_number(n) or 0 for n in os.listdir(folder)), default=0)
        while True:
            path = os.path.join(folder, pack_name(number))
            try:
                os.link(self.tmp, path)
                break
            except FileExistsError:
                number += 1
        os.unlink(self.tmp)
        write_idx(path, self.entries)
        fsync_dir(folder)
        return path

    def abandon(self) -> None:
        if self.open:
            os.close(self.fd)
            self.open = False
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def _needed_by_new(ps: PackSet, sealed: set[str], old: _Old) -> set[bytes]:
    """What records appended after the seal rely on in the sealed packs."""
    need: set[bytes] = set()
    for name, pack in list(ps.packs.items()):
        if name in sealed:
            continue
        full = pack.full_scan()
        need.update(sha for sha in full.fresh if sha in old.where)
        for sha, e in full.entries.items():
            if e.kind == RECIPE:
                need.update(p for p in _pieces_of(pack, e, sha) if p in old.where)
    for sha in list(need):  # a reused blob made of pieces needs them too
        opack, oe = old.where[sha]
        if oe.kind == RECIPE:
            need.update(p for p in _pieces_of(opack, oe, sha) if p in old.where)
    return need


def repack(ps: PackSet, keep: Set[str], cutoff: float, *, dry_run: bool = False) -> Repacked:
    """Keep what `keep` names or what was written or reused at `cutoff` (epoch s) or later
    (record times are whole seconds, rounded down); see the module."""
    out = Repacked()
    if dry_run:
        ps.refresh()
        old = _Old()
        for pack in list(ps.packs.values()):
            old.add(pack)
        live = _live(old, keep, cutoff)
        for sha, (_pack, e) in old.where.items():
            if sha not in live:
                out.freed += HEAD.size + e.length
                if e.kind in BLOB_KINDS:
                    out.dropped.append(sha.hex())
        return out
    sealed_packs = ps.seal_all()
    out.packs_before = len(sealed_packs)
    old = _Old()
    for pack in sealed_packs:
        old.add(pack)
    live = _live(old, keep, cutoff)
    if len(live) == len(old.where) and len(sealed_packs) <= 1:
        out.packs_after = out.packs_before
        return out  # nothing to drop, nothing to merge: the pack stays as it is (sealed)
    sealed = {os.path.basename(p.path) for p in sealed_packs}
    writer = _Writer(ps.folder)
    try:
        for sha in live:
            writer.copy(old, sha)
        with ps.gc_lock(exclusive=True):
            ps.refresh()
            for sha in _needed_by_new(ps, sealed, old):
                writer.copy(old, sha)
            path = writer.finish(ps.folder) if writer.copied else None
            if path is None:
                writer.abandon()
            for pack in sealed_packs:
                for p in (pack.path, pack.path[:-4] + ".idx"):
                    try:
                        os.unlink(p)
                    except FileNotFoundError:
                        pass
            fsync_dir(ps.folder)
            ps.refresh()
    except BaseException:
        writer.abandon()
        raise
    out.packs_after = len(ps.packs)
    for sha, (_pack, e) in old.where.items():
        if sha not in writer.copied:
            out.freed += HEAD.size + e.length
            if e.kind in BLOB_KINDS:
                out.dropped.append(sha.hex())
    return out
