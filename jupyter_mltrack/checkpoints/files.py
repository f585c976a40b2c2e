"""The filesystem edge: notebook paths relative to a root folder, read and written safely.

The server never uses this for I/O (it goes through the contents manager) but shares
`normalize_path`, so both faces refuse the same things: paths leaving the root, hidden
files and folders, non-notebooks; symlinks are resolved and must stay inside the root.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from ..errors import Forbidden, InvalidInput, InvalidNotebook, NotFound, TooLarge

DEFAULT_MAX_BYTES = 100 * 1024 * 1024


def normalize_path(path: str) -> str:
    """An API path (`folder/nb.ipynb`, '/'-separated, relative to the root), checked."""
    if not isinstance(path, str) or not path.strip():
        raise InvalidInput("a notebook path is required")
    if "\x00" in path or "\\" in path:
        raise InvalidInput(f"invalid characters in path {path!r}")
    parts = [p for p in path.strip().strip("/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        raise Forbidden(f"path {path!r} leaves the notebook root")
    if any(p.startswith(".") for p in parts):
        raise Forbidden(f"path {path!r} is hidden")
    clean = posixpath.join(*parts)
    if not clean.endswith(".ipynb"):
        raise InvalidNotebook(f"{clean} is not a notebook (.ipynb)")
    return clean


def root_dir(root: str | os.PathLike[str] | None = None) -> Path:
    return Path(root if root is not None else os.environ.get("MLTRACK_NOTEBOOK_ROOT") or ".")


def os_path(root: Path, path: str, *, must_exist: bool = True) -> Path:
    """The real file of an API path; refuses symlinks that escape the root."""
    clean = normalize_path(path)
    real_root = root.resolve()
    target = real_root.joinpath(*clean.split("/"))
    resolved = target.resolve()
    if resolved != real_root and real_root not in resolved.parents:
        raise Forbidden(f"{clean} points outside the notebook root")
    if must_exist and not resolved.is_file():
        raise NotFound(f"no notebook {clean} under {root}")
    return resolved


def parse(text: str | bytes, label: str) -> dict[str, Any]:
    """Parse and validate a notebook's text once, upgrading older formats to v4. The one
    parser of both faces: the server hands in the text it read through the contents manager.
    """
    from nbformat.v4.rwbase import rejoin_lines, strip_transient

    try:
        raw = json.loads(text)
    except ValueError as e:  # UnicodeDecodeError included
        raise InvalidNotebook(f"{label} is not a readable notebook: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise InvalidNotebook(f"{label} is not a notebook (a JSON object is expected)")
    try:
        if raw.get("nbformat") == 4:
            # What nbformat.reads does for v4, minus its second JSON parse: multi-line
            # strings stored as lists become strings again, transient keys go.
            nbformat.validate(raw)
            nb = strip_transient(rejoin_lines(nbformat.from_dict(raw)))  # type: ignore[no-untyped-call]
        else:
            nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except nbformat.ValidationError as e:
        raise InvalidNotebook(f"{label} is not a valid notebook: {e.message}") from None
    except Exception as e:  # nbformat raises assorted errors for unknown versions
        raise InvalidNotebook(f"{label} is not a readable notebook: {e}") from None
    # What nbformat adds when upgrading and strips again when writing.
    for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
        nb.get("metadata", {}).pop(key, None)
    return nb  # type: ignore[no-any-return]


def read(root: Path, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    real = os_path(root, path)
    size = real.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"{path} is {size} bytes, over the {max_bytes}-byte limit")
    return parse(real.read_bytes(), normalize_path(path))


def write(root: Path, path: str, nb: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a notebook."""
    real = os_path(root, path, must_exist=False)
    text = nbformat.writes(nbformat.from_dict(nb))  # type: ignore[no-untyped-call]
    real.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=".mltrack-", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
