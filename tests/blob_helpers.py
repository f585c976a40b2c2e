"""Reaching into a blob store the way time and disk faults do, for tests: a blob written
long ago (gc's grace period measures the record's write time), and bytes flipped on disk or
in the bucket (either backend: `blobs.BlobStore` or `blobs_s3.S3Blobs`)."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from jupyter_mltrack.store import packfile
from jupyter_mltrack.store.blobs import BlobStore, sha256_bytes


def put_aged(blobs: BlobStore, data: bytes, age: float) -> str:
    """Store `data` as if it had been written `age` seconds ago (as `put` would: a figure in
    pieces)."""
    sha = sha256_bytes(data)
    t = int(time.time() - age)
    blobs.packs.append([dataclasses.replace(r, time=t) for r in blobs._records(data, sha)])
    return sha


def where(blobs: BlobStore, sha: str) -> tuple[str, int, int]:
    """(file, offset of the stored bytes, their length) of a blob, packed or loose."""
    hit = blobs.packs.find(bytes.fromhex(sha))
    if hit is not None:
        pack, e = hit
        return pack.path, e.offset + packfile.HEAD.size, e.length
    path = os.path.join(blobs.root, sha[:2], sha[2:])
    return path, 4, os.path.getsize(path) - 4


def tamper(blobs: Any, sha: str, at: int | None = None) -> None:
    """Flip one byte of a blob's stored bytes (the middle one unless `at` says); on S3 the
    object is overwritten in the bucket with the flipped bytes."""
    if not isinstance(blobs, BlobStore):
        import obstore

        key = f"{sha[:2]}/{sha}"
        data = bytearray(bytes(obstore.get(blobs._store, key).bytes()))
        pos = len(data) // 2 if at is None else at
        data[pos] ^= 0xFF
        obstore.put(blobs._store, key, bytes(data))
        return
    path, offset, length = where(blobs, sha)
    pos = offset + (length // 2 if at is None else at)
    with open(path, "r+b") as f:
        f.seek(pos)
        byte = f.read(1)
        f.seek(pos)
        f.write(bytes([byte[0] ^ 0xFF]))


def remove(blobs: Any, sha: str) -> None:
    """Make a blob vanish behind the store's back (a loose file, or an S3 object)."""
    if isinstance(blobs, BlobStore):
        os.unlink(os.path.join(blobs.root, sha[:2], sha[2:]))
        return
    import obstore

    obstore.delete(blobs._store, f"{sha[:2]}/{sha}")
