"""The file attributes of a neptune-exporter part: `file`, `file_set`, `artifact` and the
points of a `file_series`, copied from the export's files folder into the blob store.

A file attribute's row names its file relative to the files folder (`file_value.path`); a
file set's or an artifact's names a folder (every file under it is kept, with its path inside
the folder) or a single file. A path that is missing, or that leads out of the files folder,
is reported and left out; the rest of the run is imported.
"""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.encoding import ScalarWrite
from .neptune_part import Context, Part, add_scalar

if TYPE_CHECKING:
    import pyarrow as pa


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _source(part: Part, path: str, rel: str | None, ctx: Context) -> Path | None:
    """The exported file `rel` under the files folder, or None (with the reason)."""
    if rel is None:
        part.skipped.append((path, "a file attribute without a path"))
        return None
    if ctx.files_root is None:
        part.skipped.append((path, f"{rel}: no files folder (give --files)"))
        return None
    src = (ctx.files_root / rel).resolve()
    root = ctx.files_root.resolve()
    if root not in src.parents and src != root:
        part.skipped.append((path, f"{rel}: outside the files folder"))
        return None
    if not src.exists():
        part.skipped.append((path, f"{rel}: not in the files folder {ctx.files_root}"))
        return None
    return src


def file_meta(part: Part, path: str, rel: str | None, ctx: Context) -> dict[str, Any] | None:
    src = _source(part, path, rel, ctx)
    if src is None:
        return None
    if src.is_dir():
        part.skipped.append((path, f"{rel}: a folder where a file was expected"))
        return None
    sha, size = ctx.blobs.put_file(src)
    mime = _mime(src.name)
    part.blobs.append((sha, size, mime))
    part.files += 1
    ext = src.suffix.lstrip(".") or "bin"
    return {"sha256": sha, "size": size, "name": src.name, "ext": ext, "mime": mime}


def file_fields(part: Part, kind: str, rows: pa.Table, ctx: Context) -> None:
    paths = rows["attribute_path"].to_pylist()
    values = rows["file_value"].to_pylist()
    strings = rows["string_value"].to_pylist()
    for path, value, text in zip(paths, values, strings, strict=True):
        if path is None:
            continue
        rel = None if value is None else value.get("path")
        if kind == "file":
            meta = file_meta(part, path, rel, ctx)
            if meta is not None:
                add_scalar(part, ScalarWrite(path, "file", text=json.dumps(meta)))
            continue
        if rel is None and kind == "artifact" and text:
            # An artifact exported as its hash only: keep what is known.
            add_scalar(part, ScalarWrite(path, "string", text=text))
            continue
        src = _source(part, path, rel, ctx)
        if src is None:
            continue
        entries = []
        found = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for f in found:
            sha, size = ctx.blobs.put_file(f)
            mime = _mime(f.name)
            part.blobs.append((sha, size, mime))
            part.files += 1
            entries.append(
                {
                    "path": f.name if f == src else f.relative_to(src).as_posix(),
                    "sha256": sha,
                    "size": size,
                    "mtime": os.stat(f).st_mtime,
                    "uploaded": True,
                    "mime": mime,
                }
            )
        add_scalar(part, ScalarWrite(path, "file_set", text=json.dumps(entries)))
