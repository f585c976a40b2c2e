"""Content-addressed blobs on the filesystem: `<root>/ab/cdef…` named by the sha256 of the
content, written once (temp file + rename, so readers never see half a blob) and verified on
every read (a blob whose bytes do not hash to its name raises `CorruptBlob` and is never
served). Shared by uploads, file series and notebook checkpoints.

On disk a blob is a 4-byte header then the payload: `MLZ1` + zlib stream when compressing
paid off (JSON cells, text outputs), `MLR1` + the raw bytes otherwise (PNGs, archives).
The name is always the hash of the raw content, so the encoding can change without
changing any reference.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

from ..errors import CorruptBlob, NotFound

RAW = b"MLR1"
ZLIB = b"MLZ1"
_CHUNK = 1 << 20
# Below this size zlib's framing costs more than it saves; above it, compress only if it
# saves at least 10 %.
_MIN_COMPRESS = 128


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SHA = re.compile("[0-9a-f]{64}")


def _valid_sha(sha: str) -> bool:
    return _SHA.fullmatch(sha) is not None


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._root = os.fspath(self.root)

    def _file(self, sha: str) -> str:
        """The blob's file as a plain string: a checkpoint asks `exists` for each of its
        payloads, and pathlib costs ten times what os.path does per call."""
        if not _valid_sha(sha):
            raise NotFound(f"not a blob id: {sha!r}")
        return os.path.join(self._root, sha[:2], sha[2:])

    def path(self, sha: str) -> Path:
        return Path(self._file(sha))

    def exists(self, sha: str) -> bool:
        return os.path.isfile(self._file(sha))

    # -- writing -----------------------------------------------------------------------------
    def put(self, data: bytes, sha: str | None = None) -> str:
        """Store `data`; returns its sha256. A blob already present is not written again."""
        sha = sha or sha256_bytes(data)
        target = self.path(sha)
        if target.is_file() and target.stat().st_size > 4:
            return sha
        payload = RAW + data
        if len(data) >= _MIN_COMPRESS:
            packed = zlib.compress(data, 6)
            if len(packed) < len(data) * 0.9:
                payload = ZLIB + packed
        self._write_atomic(target, [payload])
        return sha

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Store several (sha, data) pairs; returns how many were new."""
        new = 0
        for sha, data in items:
            target = self.path(sha)
            if target.is_file() and target.stat().st_size > 4:
                continue
            self.put(data, sha)
            new += 1
        return new

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Stream a file into the store without holding it in memory; returns (sha, size)."""
        self.root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        import tempfile  # here, not at the top: the client imports this module on init_run's path

        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                out.write(RAW)
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            sha = h.hexdigest()
            target = self.path(sha)
            if target.is_file() and target.stat().st_size > 4:
                os.unlink(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
            return sha, size
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _write_atomic(self, target: Path, parts: list[bytes]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # see put_file

        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    out.write(part)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # -- reading -----------------------------------------------------------------------------
    def get(self, sha: str) -> bytes:
        """The verified content of a blob."""
        path = self.path(sha)
        try:
            raw = path.read_bytes()
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
        """Write a blob's content to `dest`, verifying it; returns the size."""
        path = self.path(sha)
        if not path.is_file():
            raise NotFound(f"blob {sha} is missing from {self.root}")
        with open(path, "rb") as src:
            head = src.read(4)
        if head != RAW:
            data = self.get(sha)
            Path(dest).write_bytes(data)
            return len(data)
        h = hashlib.sha256()
        size = 0
        tmp = f"{dest}.mltrack-part"
        with open(path, "rb") as src, open(tmp, "wb") as out:
            src.read(4)
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if h.hexdigest() != sha:
            os.unlink(tmp)
            raise CorruptBlob(f"blob {sha} is corrupt: its content does not match its name")
        os.replace(tmp, dest)
        return size

    def stored_size(self, sha: str) -> int:
        return self.path(sha).stat().st_size

    def all_shas(self) -> Iterable[str]:
        if not self.root.is_dir():
            return
        for sub in self.root.iterdir():
            if len(sub.name) == 2 and sub.is_dir():
                for f in sub.iterdir():
                    if not f.name.startswith("."):
                        yield sub.name + f.name

    def remove(self, sha: str) -> None:
        with contextlib.suppress(OSError):
            self.path(sha).unlink()

    def remove_stale_temp(self, older_than: float = 3600.0) -> int:
        """Temp files left by a killed writer; removed by `mltrack gc`."""
        removed = 0
        cutoff = time.time() - older_than
        if not self.root.is_dir():
            return 0
        for f in self.root.rglob(".*"):
            if f.name.startswith((".tmp-", ".incoming-")) and f.stat().st_mtime < cutoff:
                f.unlink()
                removed += 1
        return removed
