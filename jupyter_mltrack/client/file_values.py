"""The stored values of file fields: an uploaded `File` becomes blob metadata, tracked files
become file-set entries (hashed without copying, or uploaded). The writer thread calls these.

Hashes of tracked files are cached by (path, size, mtime) in a small JSON file in the
Jupyter data dir, so tracking an unchanged 50 GB dataset again costs a `stat`, not a read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..store.blob_api import Blobs
from ..types import File

_CHUNK = 1 << 20


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def upload_file(blobs: Blobs, f: File) -> dict[str, Any]:
    """Put a File into the blob store; returns its field metadata. OSError if unreadable."""
    if f.content is not None:
        sha = blobs.put(f.content)
        size = len(f.content)
    else:
        assert f.path is not None
        sha, size = blobs.put_file(f.path)
    return {"sha256": sha, "size": size, "name": f.name, "ext": f.extension, "mime": f.mime}


class HashCache:
    """sha256 of files keyed by real path, valid while size and mtime_ns are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._data: dict[str, list[Any]] | None = None
        self._dirty = False
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[Any]]:
        if self._data is None:
            self._data = {}
            if self.path is not None:
                with contextlib.suppress(OSError, ValueError):
                    loaded = json.loads(self.path.read_text())
                    if isinstance(loaded, dict):
                        self._data = loaded
        return self._data

    def sha256(self, file: str, st: os.stat_result) -> str:
        key = os.path.realpath(file)
        with self._lock:
            hit = self._load().get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        h = hashlib.sha256()
        with open(file, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        sha = h.hexdigest()
        with self._lock:
            self._load()[key] = [st.st_size, st.st_mtime_ns, sha]
            self._dirty = True
        return sha

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        with self._lock:
            data = json.dumps(self._load())
            self._dirty = False
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".hash-cache-")
            with os.fdopen(fd, "w") as out:
                out.write(data)
            os.replace(tmp, self.path)


_cache: HashCache | None = None


def hash_cache() -> HashCache:
    global _cache
    if _cache is None:
        from ..store.config import default_root

        _cache = HashCache(default_root() / "hash-cache.json")
    return _cache


def _display_path(name: str, upload: bool) -> str:
    """Uploaded files keep a path relative to the cwd (used to lay them out on download);
    tracked files keep their absolute path (they stay where they are)."""
    absolute = os.path.abspath(name)
    if not upload:
        return absolute
    rel = os.path.relpath(absolute)
    return rel if not rel.startswith("..") else os.path.basename(absolute)


def file_set_entries(
    blobs: Blobs, names: Sequence[str], *, upload: bool, problem: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Entries {path, sha256, size, mtime, uploaded} of a file set, uploading when asked."""
    cache = hash_cache()
    entries = []
    for name in names:
        try:
            st = os.stat(name)
            if upload:
                sha, size = blobs.put_file(name)
            else:
                sha, size = cache.sha256(name, st), st.st_size
        except OSError as e:
            problem(f"cannot read {name!r} ({e.strerror or e}); it was left out")
            continue
        entries.append(
            {
                "path": _display_path(name, upload),
                "sha256": sha,
                "size": size,
                "mtime": st.st_mtime,
                "uploaded": upload,
                "mime": _mime(name),
            }
        )
    cache.save()
    return entries
