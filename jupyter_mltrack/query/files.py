"""A file field's bytes from the blob store, verified, with the name and type to serve them
under: a `file`, one item of a `file_series` (by index, negative from the end), or one
uploaded member of a `file_set` (by its path in the set)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..store import fields, runs
from ..store.engine import Store


@dataclass(frozen=True)
class FileContent:
    data: bytes
    name: str
    mime: str
    sha256: str


def file_meta(
    store: Store,
    run_id: str | int,
    path: str,
    *,
    index: int | None = None,
    member: str | None = None,
) -> dict[str, Any]:
    """The metadata dict (`sha256`, `size`, `name`, `ext`, `mime`) the field points at."""
    run = runs.get(store, run_id)
    info = fields.get_field(store, run.id, path)
    if info is None:
        raise NotFound(f"run {run.short_id} has no field {path!r}")
    if info.type == "file":
        meta = info.value
    elif info.type == "file_series":
        data = fields.read_series(store, run.id, path)
        items = data.values if data is not None else []
        i = len(items) - 1 if index is None else index
        if not -len(items) <= i < len(items):
            raise NotFound(f"{path!r} of run {run.short_id} has {len(items)} files, no index {i}")
        meta = items[i]
    elif info.type == "file_set":
        if not member:
            raise InvalidInput(f"{path!r} is a set of files: name one with ?member=<path>")
        entries = info.value or []
        meta = next((e for e in entries if e.get("path") == member), None)
        if meta is None:
            raise NotFound(f"{path!r} of run {run.short_id} has no file {member!r}")
        if not meta.get("uploaded"):
            raise NotFound(f"{member!r} was tracked (hash and size), not uploaded: no content")
    else:
        raise InvalidInput(f"{path!r} of run {run.short_id} is a {info.type}, not a file")
    if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str):
        raise NotFound(f"{path!r} of run {run.short_id} has no stored content")
    return meta


def file_content(
    store: Store,
    run_id: str | int,
    path: str,
    *,
    index: int | None = None,
    member: str | None = None,
) -> FileContent:
    meta = file_meta(store, run_id, path, index=index, member=member)
    sha = meta["sha256"]
    data = store.blobs.get(sha)  # verified: a corrupt blob raises CorruptBlob, never served
    name = _file_name(meta, path, member)
    mime = meta.get("mime") or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileContent(data, name, str(mime), sha)


def _file_name(meta: dict[str, Any], path: str, member: str | None) -> str:
    base = str(meta.get("name") or (member or path).rstrip("/").rsplit("/", 1)[-1] or "file")
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    ext = str(meta.get("ext") or "").lstrip(".")
    if ext and not base.lower().endswith("." + ext.lower()):
        base = f"{base}.{ext}"
    return base
