"""Append-only pack files: many small blobs in a few files instead of one file each.

Why: a blob file costs a whole 4 KiB block however small it is, so 3.4 MB of checkpoint
chunks and manifests took 88 MB of disk in 21,818 files (issue 16). A pack holds records
back to back, so a store takes what its data takes.

The format is `packfile.py`'s: records with a CRC, appended to the newest pack.

Crash safety: a record is appended with one write under the pack's lock and only a record
whose CRC checks is ever indexed, so a torn append (a killed writer, a crash before the
data reached the disk) is skipped, never served; the next writer, holding the lock, cuts it
off before appending. Damage inside a pack is skipped to the next record that checks
(`problems` lists it), and whatever a record holds is still verified against its sha256 on
every read, in `blobs.BlobStore`.

Several processes (kernels, the server, the CLI) append to one pack: the writer takes an
`fcntl.flock` on it for the length of one append (so the pack a gc seals can never get a
record after its seal), rereads the records others appended since, and skips what another
process stored meanwhile. One shared pack rather than one per process: a store opened by
hundreds of short kernels would otherwise hold hundreds of packs, each with a part-filled
last block. Readers take no lock: records never change once written.

Over 400 lines on purpose: the append, the index rebuilt from what others appended, sealing
and the handover to gc's repack all hold the same lock and the same in-memory index; the
on-disk record format is apart in `packfile.py`, and the repack itself in `repack.py`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator

from .packfile import (
    DATA,
    FRESH,
    HEAD,
    MAGIC,
    NO_SHA,
    PACK_HEADER,
    SEAL,
    Entry,
    Idx,
    Record,
    Scan,
    encode,
    pack_name,
    pack_number,
    scan,
    write_all,
    write_idx,
)

log = logging.getLogger(__name__)

MAX_PACK = 128 << 20  # an append pack is sealed (and indexed) past this size


class Pack:
    """One pack file as this process knows it: its content records by sha (from its .idx
    when it has one), and the FRESH times gc needs."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: dict[bytes, Entry] = {}
        self.fresh: dict[bytes, int] = {}
        self.idx: Idx | None = None
        self.end = len(PACK_HEADER)  # scanned up to here
        self.sealed = False
        # Damage seen (a damaged tail is seen again at every reload: it stays past `end`).
        self.damaged: set[tuple[int, int]] = set()
        self.bad: set[bytes] = set()

    def get(self, sha: bytes) -> Entry | None:
        e = self.entries.get(sha)
        if e is None and self.idx is not None:
            e = self.idx.get(sha)
        return e

    def items(self) -> Iterator[tuple[bytes, Entry]]:
        if self.idx is not None:
            yield from self.idx.items()
        yield from self.entries.items()

    def absorb(self, found: Scan) -> None:
        for sha, e in found.entries:
            if e.kind == FRESH:
                self.fresh[sha] = max(e.time, self.fresh.get(sha, 0))
            elif e.kind != SEAL:
                self.entries.setdefault(sha, e)
        self.damaged.update(found.damaged)
        self.bad.update(found.bad)
        self.end = max(self.end, found.end)
        self.sealed = self.sealed or found.sealed

    def load(self) -> None:
        """Index it: from its .idx when sealed and indexed, else by scanning what is new."""
        if self.sealed:
            return
        if self.end == len(PACK_HEADER):
            with contextlib.suppress(OSError, ValueError):
                with open(self.path[:-4] + ".idx", "rb") as f:
                    self.idx = Idx(f.read())
                self.sealed = True
                return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size > self.end:
                self.absorb(scan(fd, self.end, size))
        finally:
            os.close(fd)

    def full_scan(self) -> Pack:
        """A fresh copy read from the file itself, FRESH records included (for gc)."""
        out = Pack(self.path)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            out.absorb(scan(fd, len(PACK_HEADER), os.fstat(fd).st_size))
        finally:
            os.close(fd)
        return out

    def read(self, e: Entry, sha: bytes) -> bytes:
        """The payload of entry `e` as stored (not decompressed). OSError when the pack is
        gone (a gc replaced it): the caller reloads the pack list."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            raw = os.pread(fd, HEAD.size + e.length, e.offset)
        finally:
            os.close(fd)
        if len(raw) != HEAD.size + e.length or raw[:4] != MAGIC or raw[14:46] != sha:
            raise ValueError(f"record at {e.offset} of {self.path} is not the one indexed")
        return raw[HEAD.size :]


class PackSet:
    """The packs of one blob folder, their index in this process, and the appending."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.packs: dict[str, Pack] = {}
        self._lock = threading.RLock()
        self._loaded = False
        self._loaded_at = 0.0
        self._fd: int | None = None  # the pack this process appends to
        self._fd_name = ""
        self._dirty = False
        self._gc_fd: int | None = None
        self._gc_fd_lock = threading.Lock()  # one thread at a time holds the shared lock
        _ALL.add(self)

    # -- the index ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Catch up with the folder: new packs, records others appended, packs a gc removed."""
        with self._lock:
            try:
                names = {n for n in os.listdir(self.folder) if pack_number(n) is not None}
            except FileNotFoundError:
                names = set()
            for gone in set(self.packs) - names:
                del self.packs[gone]
            for name in sorted(names):
                pack = self.packs.get(name)
                if pack is None:
                    pack = self.packs[name] = Pack(os.path.join(self.folder, name))
                try:
                    pack.load()
                except FileNotFoundError:
                    del self.packs[name]
            self._loaded = True
            self._loaded_at = time.monotonic()

    def find(self, sha: bytes, *, refresh: float = 0.0) -> tuple[Pack, Entry] | None:
        """A content record of `sha`, newest pack first. On a miss the index is reloaded
        unless it was less than `refresh` seconds ago (a miss then only costs a duplicate
        write, where a reader's miss would be an error: readers pass 0)."""
        with self._lock:
            if not self._loaded:
                self.refresh()
            hit = self._find(sha)
            if hit is None and time.monotonic() - self._loaded_at >= refresh:
                self.refresh()
                hit = self._find(sha)
            return hit

    def _find(self, sha: bytes) -> tuple[Pack, Entry] | None:
        for name in sorted(self.packs, reverse=True):
            pack = self.packs[name]
            e = pack.get(sha)
            if e is not None:
                return pack, e
        return None

    def damaged(self, sha: bytes) -> bool:
        """Whether a record of `sha` was found damaged (and skipped)."""
        with self._lock:
            return any(sha in p.bad for p in self.packs.values())

    def fresh_time(self, sha: bytes) -> int:
        """When `sha` was last recorded as reused (0: never), as far as this process knows."""
        with self._lock:
            return max((p.fresh.get(sha, 0) for p in self.packs.values()), default=0)

    def items(self) -> Iterator[tuple[Pack, bytes, Entry]]:
        with self._lock:
            self.refresh()
            packs = list(self.packs.values())
        for pack in packs:
            for sha, e in pack.items():
                yield pack, sha, e

    def problems(self) -> list[str]:
        """Damaged ranges found inside packs (their records are skipped, never served)."""
        with self._lock:
            self.refresh()
            return [
                f"{os.path.basename(p.path)}: bytes {a}-{b} damaged, skipped"
                for p in self.packs.values()
                for a, b in sorted(p.damaged)
            ]

    # -- appending ------------------------------------------------------------------------
    @contextlib.contextmanager
    def gc_lock(self, exclusive: bool = False) -> Iterator[None]:
        """Shared while appending; gc takes it exclusively for its last step (reading what
        was appended during its run, then deleting the packs it rewrote), milliseconds.
        Held through a descriptor of our own: flock excludes descriptors, not processes."""
        if exclusive:
            os.makedirs(self.folder, exist_ok=True)
            fd = os.open(os.path.join(self.folder, "gc.lock"), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)
            return
        with self._gc_fd_lock:
            if self._gc_fd is None:
                os.makedirs(self.folder, exist_ok=True)
                self._gc_fd = os.open(
                    os.path.join(self.folder, "gc.lock"), os.O_RDWR | os.O_CREAT, 0o644
                )
            fd = self._gc_fd
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open_newest(self) -> None:
        """Open the newest pack for appending (creating the first one)."""
        top = max((pack_number(n) or 0 for n in os.listdir(self.folder)), default=0)
        if top == 0:
            self._create(1)
        else:
            name = pack_name(top)
            self._fd = os.open(os.path.join(self.folder, name), os.O_RDWR | os.O_APPEND)
            self._fd_name = name

    def _create(self, number: int) -> None:
        """Create pack `number` (or the next free one), its header written under its lock."""
        while True:
            name = pack_name(number)
            try:
                fd = os.open(
                    os.path.join(self.folder, name),
                    os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL,
                    0o644,
                )
            except FileExistsError:
                number += 1
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            write_all(fd, PACK_HEADER)
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._fd, self._fd_name = fd, name
            return

    def _close_active(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._fd_name = None, ""

    def _lock_active(self) -> tuple[int, Pack]:
        """The pack to append to, locked by us and read up to its end (a torn tail cut off).
        A sealed pack is left for the next one."""
        os.makedirs(self.folder, exist_ok=True)
        while True:
            if self._fd is None:
                self._open_newest()
            fd = self._fd
            assert fd is not None
            fcntl.flock(fd, fcntl.LOCK_EX)
            pack = self.packs.get(self._fd_name)
            if pack is None:
                pack = self.packs[self._fd_name] = Pack(os.path.join(self.folder, self._fd_name))
            size = os.fstat(fd).st_size
            if size < len(PACK_HEADER):  # its creator died before writing the header
                os.ftruncate(fd, 0)
                write_all(fd, PACK_HEADER)
                size = len(PACK_HEADER)
            if size > pack.end and not pack.sealed:
                pack.absorb(scan(fd, pack.end, size))
            if not pack.sealed:
                if size > pack.end:
                    log.warning(
                        "%s: cut off %d bytes of a torn append at offset %d",
                        pack.path,
                        size - pack.end,
                        pack.end,
                    )
                    os.ftruncate(fd, pack.end)
                return fd, pack
            fcntl.flock(fd, fcntl.LOCK_UN)
            number = pack_number(self._fd_name) or 0
            self._close_active()
            top = max((pack_number(n) or 0 for n in os.listdir(self.folder)), default=0)
            if top > number:
                self._open_newest()
            else:
                self._create(number + 1)

    def append(self, records: list[Record], *, skip_present: bool = True) -> int:
        """Append the records whose sha no pack holds yet (all of them when not
        `skip_present`); returns how many were written."""
        written = 0
        # Lock order, everywhere: gc_lock, then this process's lock (gc's last step takes
        # gc_lock exclusively, then reloads the index).
        with self.gc_lock(), self._lock:
            if not self._loaded:
                self.refresh()
            while records:
                fd, pack = self._lock_active()
                try:
                    todo, batch = [], set()
                    for r in records:
                        if skip_present and (r.sha in batch or self._present(r)):
                            continue
                        todo.append(r)
                        if r.kind not in (FRESH, SEAL):
                            batch.add(r.sha)
                    records = []
                    if not todo:
                        break
                    offset = os.fstat(fd).st_size
                    size = sum(HEAD.size + len(r.payload) for r in todo)
                    if offset + size > MAX_PACK and pack.entries:
                        self._seal(fd, pack)  # and go round again, into a new pack
                        records = todo
                        continue
                    blob = b"".join(encode(r, int(time.time())) for r in todo)
                    try:
                        write_all(fd, blob)
                    except OSError:
                        os.ftruncate(fd, offset)  # a full disk: leave no torn record
                        raise
                    pack.absorb(scan(fd, offset, offset + len(blob)))
                    self._dirty = True
                    written += len(todo)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        return written

    def _present(self, r: Record) -> bool:
        if r.kind in (FRESH, SEAL):
            return False
        hit = self._find(r.sha)
        if hit is not None and not os.path.exists(hit[0].path):
            # In a pack a gc has just removed (we hold gc_lock: a pack there now stays).
            self.refresh()
            hit = self._find(r.sha)
        return hit is not None

    def freshen(self, sha: bytes) -> bool:
        """Record that `sha` is being reused now, so a gc running within its grace period
        keeps it even if nothing refers to it yet. False when no pack holds it any more."""
        with self.gc_lock(), self._lock:
            if not self._present(Record(DATA, sha)):
                return False
            fd, pack = self._lock_active()
            try:
                offset = os.fstat(fd).st_size
                write_all(fd, encode(Record(FRESH, sha), int(time.time())))
                pack.absorb(scan(fd, offset, os.fstat(fd).st_size))
                self._dirty = True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return True

    def _seal(self, fd: int, pack: Pack) -> None:
        """Append a SEAL (we hold the pack's lock) and index the pack."""
        at = os.fstat(fd).st_size
        write_all(fd, encode(Record(SEAL, NO_SHA), int(time.time())))
        os.fsync(fd)
        pack.absorb(scan(fd, at, os.fstat(fd).st_size))
        write_idx(pack.path, pack.items())

    def seal_all(self) -> list[Pack]:
        """Seal every pack (gc): later appends go to a new pack. Returns the sealed packs."""
        with self._lock:
            self.refresh()
            self._close_active()
            out = []
            for pack in list(self.packs.values()):
                if not pack.sealed:
                    try:
                        fd = os.open(pack.path, os.O_RDWR | os.O_APPEND)
                    except FileNotFoundError:
                        continue
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX)
                        size = os.fstat(fd).st_size
                        if size > pack.end:
                            pack.absorb(scan(fd, pack.end, size))
                        if not pack.sealed:
                            if size > pack.end:
                                os.ftruncate(fd, pack.end)
                            self._seal(fd, pack)
                    finally:
                        os.close(fd)
                out.append(pack)
            return out

    def sync(self) -> None:
        """Make what this process appended durable (before a row naming it commits)."""
        with self._lock:
            if self._dirty and self._fd is not None:
                os.fdatasync(self._fd)
            self._dirty = False

    def forget_after_fork(self) -> None:
        # A forked child must not append through the parent's open pack (one flock for
        # both), nor wait on a lock a parent thread held at the fork.
        self._lock = threading.RLock()
        self._gc_fd_lock = threading.Lock()
        for fd in (self._fd, self._gc_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd, self._fd_name, self._gc_fd = None, "", None


_ALL: weakref.WeakSet[PackSet] = weakref.WeakSet()


def _after_fork() -> None:
    for ps in list(_ALL):
        ps.forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
