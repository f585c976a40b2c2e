"""Content-addressed blobs on the filesystem, named by the sha256 of their content and
verified on every read: a blob whose bytes do not hash to its name raises `CorruptBlob` and
is never served. Shared by uploads, file series and notebook checkpoints; `blob_api.Blobs`
is the interface they use, this is its filesystem implementation.

Where a blob lives (measured on the corpus of real notebook histories, bench/corpus_bench.py):
- up to `LOOSE_FROM` bytes, in the append-only packs of `packs.py`: a chunk of a few cells
  takes its own size instead of a 4 KiB block and a file;
- blobs of `SPLIT_FROM` bytes or more are cut into pieces stored once each (a RECIPE record
  names them): a figure re-rendered with the same pixels but a new header (matplotlib writes
  its version and the dpi before the image data) shares its image data, 15 % of the
  corpus's image bytes; `pieces` says where the cuts go;
- larger blobs (big uploads) stay one file each, `<root>/ab/cdef…`, written to a temp file
  and renamed, streamed without being held in memory. Stores written before packs existed
  are read the same way.

A loose file is a 4-byte header then the payload: `MLZ1` + zlib stream when compressing paid
off, `MLR1` + the raw bytes otherwise. A pack record says the same with its encoding byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
import zlib
from collections.abc import Iterable, Set
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CorruptBlob, NotFound
from . import packfile, packs
from .blob_api import Blobs, Collected
from .packfile import DATA, PIECE, RECIPE, Record
from .pieces import encoded, pieces

RAW = b"MLR1"
ZLIB = b"MLZ1"
_CHUNK = 1 << 20
LOOSE_FROM = 16 << 20  # larger blobs are files of their own
# A blob found again (a chunk or an image a new checkpoint reuses) that was written longer
# ago than this is recorded as reused, so `mltrack gc` keeps it through its grace period
# (default 3600 s) even if the checkpoint naming it has not committed yet.
FRESHEN_AFTER = 600


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SHA = re.compile("[0-9a-f]{64}")


def _valid_sha(sha: str) -> bool:
    return _SHA.fullmatch(sha) is not None


class BlobStore:
    """The blobs of one folder (`blob_api.Blobs` on a filesystem, shared by processes)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._root = os.fspath(self.root)
        self.packs = packs.PackSet(os.path.join(self._root, "packs"))

    @property
    def location(self) -> str:
        """The folder, as shown by the health check (`Blobs.location`)."""
        return self._root

    def _file(self, sha: str) -> str:
        """A loose blob's file as a plain string (pathlib costs ten times what os.path does
        per call, and a checkpoint asks about each of its payloads)."""
        return os.path.join(self._root, sha[:2], sha[2:])

    @staticmethod
    def _key(sha: str) -> bytes:
        if not isinstance(sha, str) or not _valid_sha(sha):
            raise NotFound(f"not a blob id: {sha!r}")
        return bytes.fromhex(sha)

    def exists(self, sha: str) -> bool:
        """Whether the blob is stored. A true answer is a promise the caller may build on
        (it skips writing the blob): one written long ago is marked reused first."""
        key = self._key(sha)
        hit = self.packs.find(key, refresh=1.0)
        if hit is not None:
            seen = max(hit[1].time, self.packs.fresh_time(key))
            if time.time() - seen <= FRESHEN_AFTER or self.packs.freshen(key):
                return True
        path = self._file(sha)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return False
        if time.time() - st.st_mtime > FRESHEN_AFTER:
            with contextlib.suppress(OSError):
                os.utime(path)
        return st.st_size > 4

    # -- writing -----------------------------------------------------------------------------
    def _records(self, data: bytes, sha: str) -> list[Record]:
        parts = pieces(data)
        if len(parts) == 1:
            enc, payload = encoded(data)
            return [Record(DATA, bytes.fromhex(sha), payload, enc)]
        out = []
        names = []
        for part in parts:
            name = hashlib.sha256(part).digest()
            enc, payload = encoded(part)
            out.append(Record(PIECE, name, payload, enc))
            names.append(name)
        out.append(Record(RECIPE, bytes.fromhex(sha), b"".join(names)))
        return out

    def put(self, data: bytes, sha: str | None = None) -> str:
        """Store `data`; returns its sha256. A blob already present is not written again."""
        sha = sha or sha256_bytes(data)
        self._key(sha)
        if self.exists(sha):  # the append checks again, under the pack's lock
            return sha
        if len(data) > LOOSE_FROM:
            self._write_loose(self._file(sha), [RAW, data])
        else:
            self.packs.append(self._records(data, sha))
        return sha

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Store several (sha, data) pairs in one append; returns how many were new."""
        records: list[Record] = []
        new = 0
        seen: set[str] = set()
        for sha, data in items:
            if sha in seen or self.exists(sha):
                continue
            seen.add(sha)
            new += 1
            if len(data) > LOOSE_FROM:
                self._write_loose(self._file(sha), [RAW, data])
            else:
                records.extend(self._records(data, sha))
        self.packs.append(records)
        return new

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a file; returns (sha, size). A large one is streamed to a file of its own
        without being held in memory."""
        with open(source, "rb") as src:
            head = src.read(LOOSE_FROM + 1)
            if len(head) <= LOOSE_FROM:
                return self.put(head), len(head)
            return self._stream_loose(src, head)

    def _stream_loose(self, src: object, head: bytes) -> tuple[str, int]:
        import tempfile  # here, not at the top: the client imports this module on init_run's path

        self.root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256(head)
        size = len(head)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(RAW)
                out.write(head)
                while chunk := src.read(_CHUNK):  # type: ignore[attr-defined]
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = h.hexdigest()
            target = self._file(sha)
            if os.path.isfile(target) and os.path.getsize(target) > 4:
                os.unlink(tmp)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(tmp, target)
            return sha, size
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _write_loose(self, target: str, parts: list[bytes]) -> None:
        """Temp file, fsync, rename: readers never see half a blob, and a row that names it
        never commits before its bytes are on disk."""
        os.makedirs(os.path.dirname(target), exist_ok=True)
        import tempfile  # see _stream_loose

        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    out.write(part)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def sync(self) -> None:
        """Make the blobs this process wrote durable: called before a write transaction, so
        a row never commits naming a blob a crash could still take away."""
        self.packs.sync()

    # -- reading -----------------------------------------------------------------------------
    def _payload(self, pack: packs.Pack, e: packfile.Entry, key: bytes, sha: str) -> bytes:
        stored = pack.read(e, key)
        if e.enc == packfile.ZLIB:
            try:
                stored = zlib.decompress(stored)
            except zlib.error:
                raise CorruptBlob(f"blob {sha} is corrupt (bad compressed stream)") from None
        if e.kind != RECIPE:
            return stored
        parts = []
        for i in range(0, len(stored), 32):
            hit = self.packs.find(stored[i : i + 32])
            if hit is None:
                raise CorruptBlob(f"blob {sha} is corrupt: a piece of it is missing")
            parts.append(self._payload(hit[0], hit[1], stored[i : i + 32], sha))
        return b"".join(parts)

    def _packed(self, sha: str) -> bytes | None:
        key = self._key(sha)
        for _attempt in range(3):
            hit = self.packs.find(key)  # a miss reloads the index: a reader must not miss
            if hit is None:
                return None
            try:
                return self._payload(hit[0], hit[1], key, sha)
            except (OSError, ValueError):
                self.packs.refresh()  # its pack was replaced by a gc: look again
        raise CorruptBlob(f"blob {sha} cannot be read from its pack")

    def get(self, sha: str) -> bytes:
        """The verified content of a blob."""
        data = self._packed(sha)
        if data is None:
            if self.packs.damaged(bytes.fromhex(sha)) and not os.path.exists(self._file(sha)):
                raise CorruptBlob(f"blob {sha} is corrupt (its pack record is damaged)")
            try:
                with open(self._file(sha), "rb") as f:
                    raw = f.read()
            except FileNotFoundError:
                raise NotFound(f"blob {sha} is missing from {self.root}") from None
            head, body = raw[:4], raw[4:]
            if head == ZLIB:
                try:
                    data = zlib.decompress(body)
                except zlib.error:
                    raise CorruptBlob(f"blob {sha} is corrupt (bad compressed stream)") from None
            elif head == RAW:
                data = body
            else:
                raise CorruptBlob(f"blob {sha} is corrupt (unknown header)")
        if sha256_bytes(data) != sha:
            raise CorruptBlob(f"blob {sha} is corrupt: its content does not match its name")
        return data

    def copy_to(self, sha: str, dest: str | os.PathLike[str]) -> int:
        """Write a blob's content to `dest`, verified (nothing is left there when it is
        corrupt); returns the size. A large loose blob is streamed, not held in memory."""
        tmp = f"{os.fspath(dest)}.mltrack-part"
        if self.packs.find(self._key(sha)) is None and os.path.isfile(self._file(sha)):
            with open(self._file(sha), "rb") as src:
                if src.read(4) == RAW:
                    h = hashlib.sha256()
                    size = 0
                    with open(tmp, "wb") as out:
                        while chunk := src.read(_CHUNK):
                            h.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
                    if h.hexdigest() != sha:
                        os.unlink(tmp)
                        raise CorruptBlob(
                            f"blob {sha} is corrupt: its content does not match its name"
                        )
                    os.replace(tmp, dest)
                    return size
        data = self.get(sha)
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, dest)
        return len(data)

    def stored_size(self, sha: str) -> int:
        """Bytes the blob takes in the store (a piece shared with other blobs counted whole)."""
        key = self._key(sha)
        hit = self.packs.find(key)
        if hit is None:
            try:
                return os.path.getsize(self._file(sha))
            except FileNotFoundError:
                raise NotFound(f"blob {sha} is missing from {self.root}") from None
        pack, e = hit
        size = packfile.HEAD.size + e.length
        if e.kind == RECIPE:
            names = pack.read(e, key)
            for i in range(0, len(names), 32):
                piece = self.packs.find(names[i : i + 32])
                size += packfile.HEAD.size + piece[1].length if piece else 0
        return size

    def all_shas(self) -> Iterable[str]:
        seen: set[bytes] = set()
        for _pack, key, e in self.packs.items():
            if e.kind in packfile.BLOB_KINDS and key not in seen:
                seen.add(key)
                yield key.hex()
        yield from (sha for sha, _path in self._loose() if bytes.fromhex(sha) not in seen)

    def _loose(self) -> Iterable[tuple[str, str]]:
        if not self.root.is_dir():
            return
        for sub in os.listdir(self._root):
            if len(sub) == 2 and os.path.isdir(os.path.join(self._root, sub)):
                for name in os.listdir(os.path.join(self._root, sub)):
                    if not name.startswith(".") and _valid_sha(sub + name):
                        yield sub + name, os.path.join(self._root, sub, name)

    def problems(self) -> list[str]:
        """Damage found in packs: what is skipped (and so reads as missing)."""
        return self.packs.problems()

    # -- gc ----------------------------------------------------------------------------------
    def collect(self, keep: Set[str], *, grace: float, dry_run: bool = False) -> Collected:
        """Drop every blob not in `keep` written (or reused) more than `grace` seconds ago:
        packs are rewritten with what stays (`repack.repack`; writers go on appending
        meanwhile), loose files are removed, and temp files of killed writers."""
        from .repack import repack

        cutoff = time.time() - grace
        packed = repack(self.packs, keep, cutoff, dry_run=dry_run)
        dropped = set(packed.dropped)
        freed = packed.freed
        for sha, path in list(self._loose()):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            if sha in keep or st.st_mtime >= cutoff:
                continue
            dropped.add(sha)
            freed += st.st_size
            if not dry_run:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if dry_run:
            removed = sorted(dropped)
        else:  # a blob written again meanwhile (in a new pack) was not removed after all
            self.packs.refresh()
            removed = sorted(
                s
                for s in dropped
                if self.packs.find(bytes.fromhex(s), refresh=float("inf")) is None
                and not os.path.exists(self._file(s))
            )
        temps = 0 if dry_run else self._remove_stale_temp(grace)
        return Collected(tuple(removed), freed, temps, dry_run)

    def _remove_stale_temp(self, older_than: float) -> int:
        """Temp files left by a killed writer."""
        removed = 0
        cutoff = time.time() - older_than
        if not self.root.is_dir():
            return 0
        for f in self.root.rglob(".*"):
            if f.name.startswith((".tmp-", ".incoming-")) and f.stat().st_mtime < cutoff:
                f.unlink()
                removed += 1
        return removed


if TYPE_CHECKING:  # mypy proves the filesystem store is a `Blobs`
    _conforms: Blobs = BlobStore(Path())
