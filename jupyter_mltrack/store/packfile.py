"""The pack file format (`packs.py` does the appending, `repack.py` the gc).

A pack, `packs/pack-000001.mlp`: the header `MLPACK1\\n`, then records back to back, each a
50-byte header (magic, kind, encoding, payload length, write time, sha256, CRC32 of the rest
of the header and the payload) and its payload. Kinds: DATA (a blob, raw or zlib), PIECE and
RECIPE (a blob stored as pieces, the recipe naming them in order), FRESH (a blob reused
after a while: gc keeps it through its grace period) and SEAL (nothing follows).

Only a record whose CRC checks is ever indexed: a torn append is never served. `scan` skips
damage to the next record that checks; a sealed pack gets an index, `pack-000001.idx`
(entries sorted by sha, searched in place), so opening a big store reads no pack.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PACK_HEADER = b"MLPACK1\n"
IDX_HEADER = b"MLIDX01\n"
MAGIC = b"\xe5MLr"
# magic, kind, encoding, payload length, write time (epoch s), sha256, CRC32
HEAD = struct.Struct(">4sBBII32sI")
IDX_ENTRY = struct.Struct(">32sQIIBB")  # sha, record offset, length, time, kind, encoding
DATA, PIECE, RECIPE, FRESH, SEAL = 1, 2, 3, 4, 5
KINDS = frozenset({DATA, PIECE, RECIPE, FRESH, SEAL})
BLOB_KINDS = frozenset({DATA, RECIPE})
RAW, ZLIB = 0, 1
_NAME = re.compile(r"pack-(\d{6,})\.mlp")
NO_SHA = bytes(32)


@dataclass(frozen=True)
class Entry:
    """Where one record is: its header at `offset`, its payload right after."""

    offset: int
    length: int
    time: int
    kind: int
    enc: int


@dataclass(frozen=True)
class Record:
    """A record to append: `sha` is raw (32 bytes)."""

    kind: int
    sha: bytes
    payload: bytes = b""
    enc: int = RAW
    time: int = 0


def encode(rec: Record, now: int) -> bytes:
    t = rec.time or now
    body = struct.pack(">BBII32s", rec.kind, rec.enc, len(rec.payload), t, rec.sha)
    crc = zlib.crc32(rec.payload, zlib.crc32(body))
    return MAGIC + body + struct.pack(">I", crc) + rec.payload


def pack_name(number: int) -> str:
    return f"pack-{number:06d}.mlp"


def pack_number(name: str) -> int | None:
    m = _NAME.fullmatch(name)
    return int(m.group(1)) if m else None


@dataclass
class Scan:
    """What one pass over a byte range of a pack found."""

    entries: list[tuple[bytes, Entry]]
    end: int  # just after the last record that checked
    sealed: bool
    damaged: list[tuple[int, int]]  # byte ranges skipped inside the range
    bad: list[bytes]  # shas of damaged records whose header still reads


_WINDOW = 8 << 20


class _Reader:
    """Reads [start, end) of a pack a window at a time (never a whole big pack at once)."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.end = fd, end
        self.base, self.buf = start, b""

    def span(self, pos: int, size: int) -> memoryview | None:
        """Bytes [pos, pos + size), or None past the end."""
        if pos + size > self.end:
            return None
        if pos < self.base or pos + size > self.base + len(self.buf):
            self.base = pos
            self.buf = os.pread(self.fd, max(size, min(_WINDOW, self.end - pos)), pos)
            if len(self.buf) < size:
                return None
        at = pos - self.base
        return memoryview(self.buf)[at : at + size]

    def find_magic(self, pos: int) -> int:
        """The next offset >= pos where MAGIC starts, or -1."""
        while pos < self.end:
            chunk = self.span(pos, min(_WINDOW, self.end - pos))
            if chunk is None:
                return -1
            i = bytes(chunk).find(MAGIC)
            if i != -1:
                return pos + i
            if pos + len(chunk) >= self.end:
                return -1
            pos += len(chunk) - len(MAGIC) + 1
        return -1


def _check(r: _Reader, pos: int) -> tuple[bytes, Entry, bool] | None:
    """(sha, entry, CRC good) of the record at `pos` when its header reads as one and its
    payload is there; None otherwise."""
    head = r.span(pos, HEAD.size)
    if head is None:
        return None
    magic, kind, enc, length, t, sha, crc = HEAD.unpack(head)
    if magic != MAGIC or kind not in KINDS or enc not in (RAW, ZLIB):
        return None
    whole = r.span(pos, HEAD.size + length)
    if whole is None:
        return None
    good = zlib.crc32(whole[HEAD.size :], zlib.crc32(whole[4 : HEAD.size - 4])) == crc
    return sha, Entry(pos, length, t, kind, enc), good


def _good(r: _Reader, pos: int) -> bool:
    found = _check(r, pos)
    return found is not None and found[2]


def scan(fd: int, start: int, end: int) -> Scan:
    """Every record in [start, end) that checks. Bytes that do not are skipped to the next
    record that does (a damaged range; when the damaged record's header still reads, its
    sha is noted so a read of it says corrupt rather than missing). Bytes after the last
    good record are not damage: they may be an append still being written."""
    out = Scan([], start, False, [], [])
    r = _Reader(fd, start, end)
    pos = start
    while pos < end:
        found = _check(r, pos)
        if found is None or not found[2]:
            nxt = r.find_magic(pos + 1)
            while nxt != -1 and not _good(r, nxt):
                nxt = r.find_magic(nxt + 1)
            if found is not None:  # whole, but its CRC fails: damaged, not torn
                out.damaged.append((pos, end if nxt == -1 else nxt))
                if found[1].kind in (DATA, PIECE, RECIPE):
                    out.bad.append(found[0])
            elif nxt != -1:
                out.damaged.append((pos, nxt))
            if nxt == -1:
                break  # the tail: damaged, torn, or an append still being written
            pos = nxt
            continue
        sha, e, _ok = found
        out.entries.append((sha, e))
        out.sealed = e.kind == SEAL
        pos += HEAD.size + e.length
        out.end = pos
    return out


class Idx:
    """A sealed pack's index: its entries sorted by sha (`pack-N.idx`), searched in place, so
    opening a big store reads no pack. Written after the pack is complete; a missing or
    unreadable one only means the pack is scanned instead."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(IDX_HEADER) or (len(data) - 8) % IDX_ENTRY.size:
            raise ValueError("not an index")
        self._data = data
        self.count = (len(data) - 8) // IDX_ENTRY.size

    @staticmethod
    def build(entries: Iterable[tuple[bytes, Entry]]) -> bytes:
        rows = sorted(
            IDX_ENTRY.pack(sha, e.offset, e.length, e.time, e.kind, e.enc)
            for sha, e in entries
            if e.kind != SEAL
        )
        return IDX_HEADER + b"".join(rows)

    def _at(self, i: int) -> tuple[bytes, Entry]:
        sha, off, length, t, kind, enc = IDX_ENTRY.unpack_from(self._data, 8 + i * IDX_ENTRY.size)
        return sha, Entry(off, length, t, kind, enc)

    def get(self, sha: bytes) -> Entry | None:
        lo, hi, size = 0, self.count, IDX_ENTRY.size
        while lo < hi:
            mid = (lo + hi) // 2
            at = 8 + mid * size
            key = self._data[at : at + 32]
            if key < sha:
                lo = mid + 1
            elif key > sha:
                hi = mid
            else:
                return self._at(mid)[1]
        return None

    def items(self) -> Iterator[tuple[bytes, Entry]]:
        return (self._at(i) for i in range(self.count))


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_idx(pack_path: str, entries: Iterable[tuple[bytes, Entry]]) -> None:
    """Write a sealed pack's index atomically (a cache: losing it costs a scan)."""
    path = pack_path[:-4] + ".idx"
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(Idx.build(entries))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
