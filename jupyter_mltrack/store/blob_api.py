"""The blob interface every caller uses (checkpoints, uploads, file series, gc, sync), so
where blobs live is one implementation's business: `blobs.BlobStore` keeps them in a folder
(packs and large files), `blobs_s3.S3Blobs` in an S3-compatible bucket. `open_blobs` picks
one from the location (`MLTRACK_BLOBS`: a folder or `s3://bucket/prefix`).

Contract: a blob is named by the sha256 of its content; `get` verifies it on every read and
raises `CorruptBlob` rather than serve bytes that do not match their name, `NotFound` when
it is missing; writes are idempotent; `sync` returns once what this process wrote would
survive a crash, and is called before any row naming those blobs commits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Collected:
    """What `Blobs.collect` removed (or would have, `dry_run`)."""

    removed: tuple[str, ...]  # shas no longer stored at all
    freed: int  # bytes given back
    stale_temp_files: int
    dry_run: bool


class Blobs(Protocol):
    """Content-addressed, verified blob storage shared by several processes."""

    @property
    def location(self) -> str:
        """Where the blobs are, without secrets: a folder or `s3://bucket/prefix` (shown by
        the health check and the CLI; a key for in-process caches)."""

    def exists(self, sha: str) -> bool:
        """Whether the blob is stored; a caller may skip writing it on a true answer, so it
        must stay through a gc's grace period from now on."""

    def put(self, data: bytes, sha: str | None = None) -> str:
        """Store `data` (`sha` when the caller computed it); returns the sha."""

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Store (sha, data) pairs; returns how many were new."""

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a file's content, streamed; returns (sha, size)."""

    def get(self, sha: str) -> bytes:
        """The verified content."""

    def copy_to(self, sha: str, dest: str | os.PathLike[str]) -> int:
        """Write the verified content to `dest` (nothing when corrupt); returns the size."""

    def stored_size(self, sha: str) -> int:
        """Bytes the blob takes in storage."""

    def all_shas(self) -> Iterable[str]:
        """Every stored blob."""

    def sync(self) -> None:
        """Make this process's writes durable."""

    def collect(self, keep: Set[str], *, grace: float, dry_run: bool = False) -> Collected:
        """Remove blobs not in `keep` that were written or reused over `grace` s ago."""


def open_blobs(location: str | os.PathLike[str]) -> Blobs:
    """The blob store at `location`: `s3://bucket/prefix` is an S3-compatible bucket
    (credentials and endpoint from the AWS environment or a profile; the `[s3]` extra),
    anything else a folder. Imported here, so a folder store never loads the S3 client."""
    from .config import is_object_url

    if is_object_url(location):
        from .blobs_s3 import S3Blobs

        return S3Blobs(str(location))
    from pathlib import Path

    from .blobs import BlobStore

    return BlobStore(Path(location))
