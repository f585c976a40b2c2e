"""The filesystem edge: notebook paths relative to a root folder, read and written safely.

The server never uses this for I/O (it goes through the contents manager) but shares
`normalize_path`, so both faces refuse the same things: paths leaving the root, hidden
files and folders, non-notebooks; symlinks are resolved and must stay inside the root.

nbformat and `validation` (with jsonschema's format checkers, ~1 s to import) load only when
a notebook is parsed or written: the path rules serve commands that never read one
(`mltrack checkpoints`, the history listing).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import Forbidden, InvalidInput, InvalidNotebook, NotFound, TooLarge
from . import snapshot

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# What nbformat adds to a notebook's metadata when upgrading it, and strips when writing.
TRANSIENT_METADATA = ("orig_nbformat", "orig_nbformat_minor", "signature")


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


class Parsed(NamedTuple):
    """A notebook read and validated, with its split (`snapshot.split_notebook(nb)`), which
    validation needed anyway: `service.create(..., split=parsed.split)` reuses it."""

    nb: dict[str, Any]
    split: snapshot.Split


def parse(text: str | bytes, label: str) -> Parsed:
    """Parse and validate a notebook's text once, upgrading older formats to v4. The one
    parser of both faces: the server hands in the text it read through the contents manager.

    The result is what `nbformat.reads(text, as_version=4)` gives, as plain dicts: what
    Jupyter's contents manager opens. A v4.0-4.5 notebook is validated incrementally
    (`validation`: only cells not seen valid before are checked); anything that does not pass
    there is read by nbformat itself, so repairs (missing or duplicate cell ids) are
    nbformat's, and an invalid notebook that Jupyter opens is accepted with nbformat's message
    in `split.validation_warning`. Refused (InvalidNotebook): what Jupyter cannot open.
    """
    try:
        raw = json.loads(text)
    except ValueError as e:  # UnicodeDecodeError included
        raise InvalidNotebook(f"{label} is not a readable notebook: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise InvalidNotebook(f"{label} is not a notebook (a JSON object is expected)")
    from . import validation

    minor = validation.fast_minor(raw)
    if minor is not None:
        parsed = _parse_v4(raw, minor)
        if parsed is not None:
            return parsed
    nb, warning = _read_with_nbformat(text, label)
    split = snapshot.split_notebook(nb)
    split.validation_warning = warning
    return Parsed(nb, split)


def _parse_v4(raw: dict[str, Any], minor: int) -> Parsed | None:
    """`raw` read and validated without nbformat (see `validation`), or None when that
    cannot prove it valid; `raw` is then partly processed, no longer the file's content."""
    from . import validation

    if not validation.top_level_valid(raw, minor):
        return None
    nb = _rejoin_and_strip(raw)
    split = snapshot.split_notebook(nb)
    if not validation.cells_valid(nb["cells"], split.units, minor):
        return None
    return Parsed(nb, split)


def _read_with_nbformat(text: str | bytes, label: str) -> tuple[dict[str, Any], str | None]:
    """nbformat's own reading, as Jupyter's (`validation.read_like_jupyter`): other versions,
    repairs, invalid notebooks with their warning, and every refusal."""
    from . import validation

    try:
        nb, warning = validation.read_like_jupyter(text)
    except Exception as e:  # nbformat raises assorted errors for what it cannot read
        detail = str(e) or type(e).__name__
        raise InvalidNotebook(f"{label} is not a readable notebook: {detail}") from None
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key in TRANSIENT_METADATA:
            metadata.pop(key, None)
    return nb, warning


def untrusted(nb: dict[str, Any]) -> dict[str, Any]:
    """`nb` without any cell's `metadata.trusted`: `nb` itself when no cell has the flag,
    else a shallow copy with new dicts for the flagged cells (the caller's notebook is
    never changed).

    The flag is what jupyter_server's `save` reads to decide whether to sign a notebook, and
    a signed notebook runs its HTML/JS outputs when opened. A checkpoint is content that
    anyone with write access to the store can have written, so the flag is dropped where a
    notebook enters the store (`service.create`) and again wherever one leaves it
    (`service.content`, the server's restore): a restored notebook is untrusted, as any
    downloaded notebook is, until the user trusts it by hand.
    """
    cells = nb.get("cells")
    if not isinstance(cells, list) or not any(_flagged(c) for c in cells):
        return nb
    clean = [
        {**c, "metadata": {k: v for k, v in c["metadata"].items() if k != "trusted"}}
        if _flagged(c)
        else c
        for c in cells
    ]
    return {**nb, "cells": clean}


def _flagged(cell: Any) -> bool:
    if not isinstance(cell, dict):
        return False
    metadata = cell.get("metadata")
    return isinstance(metadata, dict) and "trusted" in metadata


def _joined(value: Any) -> Any:
    """A list of strings as one string (how nbformat stores multi-line text); else `value`."""
    if isinstance(value, list):
        try:
            return "".join(value)
        except TypeError:  # not all strings: left for validation to refuse
            pass
    return value


def _rejoin_bundle(bundle: Any) -> None:
    """A mime bundle's text joined in place; JSON types (any value) are left alone."""
    if not isinstance(bundle, dict):
        return
    for mime, value in bundle.items():
        is_json = mime == "application/json" or (
            mime.startswith("application/") and mime.endswith("+json")
        )
        if not is_json:
            bundle[mime] = _joined(value)


def _rejoin_and_strip(nb: dict[str, Any]) -> dict[str, Any]:
    """nbformat's `rejoin_lines` and `strip_transient` on plain dicts, in place.

    Only lists of strings are joined, and only where the v4 schema allows both a string and a
    list of strings (source, mime bundles, stream text); the `trusted` flag it drops is free
    in every cell schema. So a cell is valid after this exactly when it was before, which is
    what lets `validation` check (and cache) cells in this form.
    """
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key in TRANSIENT_METADATA:
            metadata.pop(key, None)
    for cell in nb["cells"]:
        if "source" in cell:
            cell["source"] = _joined(cell["source"])
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for bundle in attachments.values():
                _rejoin_bundle(bundle)
        cell_metadata = cell.get("metadata")
        if isinstance(cell_metadata, dict):
            cell_metadata.pop("trusted", None)
        outputs = cell.get("outputs")
        if cell.get("cell_type") != "code" or not isinstance(outputs, list):
            continue
        for output in outputs:
            if not isinstance(output, dict):
                continue
            kind = output.get("output_type", "")
            if kind in ("execute_result", "display_data"):
                _rejoin_bundle(output.get("data"))
            elif kind and "text" in output:
                output["text"] = _joined(output["text"])
    return nb


def read(root: Path, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    real = os_path(root, path)
    size = real.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"{path} is {size} bytes, over the {max_bytes}-byte limit")
    return parse(real.read_bytes(), normalize_path(path))


def write(root: Path, path: str, nb: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a notebook. Nothing here signs, and
    `nbformat.writes` drops any `trusted` flag."""
    import nbformat

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
