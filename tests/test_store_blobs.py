"""Content-addressed blobs: written once, atomically, verified on every read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from jupyter_mltrack.errors import CorruptBlob, NotFound
from jupyter_mltrack.store.blobs import BlobStore


def test_put_get_roundtrip_and_dedup(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    data = b'{"cell": "x"}' * 100
    sha = b.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert b.path(sha) == tmp_path / sha[:2] / sha[2:]
    mtime = b.path(sha).stat().st_mtime_ns
    assert b.put(data) == sha and b.path(sha).stat().st_mtime_ns == mtime
    assert b.get(sha) == data
    assert b.stored_size(sha) < len(data)  # compressible content is compressed


def test_incompressible_content_is_stored_raw(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    data = os.urandom(5000)
    sha = b.put(data)
    assert b.stored_size(sha) == len(data) + 4
    assert b.get(sha) == data


def test_corrupt_blob_is_reported_and_never_served(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    sha = b.put(os.urandom(1000))
    raw = bytearray(b.path(sha).read_bytes())
    raw[100] ^= 0xFF
    b.path(sha).write_bytes(bytes(raw))
    with pytest.raises(CorruptBlob):
        b.get(sha)
    with pytest.raises(CorruptBlob):
        b.copy_to(sha, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_put_file_streams_and_copy_to_verifies(tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    b = BlobStore(tmp_path / "blobs")
    sha, size = b.put_file(src)
    assert size == src.stat().st_size
    assert sha == hashlib.sha256(src.read_bytes()).hexdigest()
    b.copy_to(sha, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert not list((tmp_path / "blobs").glob(".incoming-*"))


def test_bad_names_and_missing_blobs(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    with pytest.raises(NotFound):
        b.get("../../etc/passwd")
    with pytest.raises(NotFound):
        b.get("0" * 64)
