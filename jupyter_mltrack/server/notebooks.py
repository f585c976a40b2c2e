"""The contents manager as the checkpoint operations' `NotebookIO`
(`checkpoints/notebooks.py`): the server reads and writes notebooks only through it, so its
root, hidden-file and permission rules apply and JupyterLab sees every write. On top of it a
path must be a non-hidden `.ipynb` (`files.normalize_path`) whose real file (symlinks
resolved) stays inside the root, and under `c.MLTrack.max_notebook_bytes`.

The operations (`checkpoints.service`) run in a worker thread (`MLTrackHandler.run_blocking`,
anyio); each call here goes back to the event loop for the contents manager, which may be
async (`ensure_async`) and is not made for other threads (`anyio.from_thread.run`). The
notebook is parsed and validated in the worker thread, never on the event loop.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

import nbformat
from anyio import from_thread
from jupyter_server.utils import ensure_async
from tornado import web

from ..checkpoints.files import Parsed, normalize_path, parse, untrusted
from ..errors import Forbidden, InvalidNotebook, NotFound, TooLarge


class ContentsNotebooks:
    """`NotebookIO` through a contents manager. Call it from an anyio worker thread."""

    from_disk = False  # what the contents manager serves is what the lab saved

    def __init__(self, cm: Any, max_bytes: int) -> None:
        self.cm = cm
        self.max_bytes = max_bytes

    def read(self, path: str) -> Parsed:
        clean = normalize_path(path)
        text = from_thread.run(read_text, self.cm, clean, self.max_bytes)
        return parse(text, clean)

    def write(self, path: str, nb: dict[str, Any]) -> None:
        from_thread.run(write_notebook, self.cm, normalize_path(path), nb)

    def exists(self, path: str) -> bool:
        return from_thread.run(_exists, self.cm, path)


def _check_real_path(cm: Any, path: str) -> None:
    """jupyter_server checks the lexical path only: refuse symlinks leading out of the root."""
    get_os_path = getattr(cm, "_get_os_path", None)
    root = getattr(cm, "root_dir", None)
    if get_os_path is None or not root:
        return
    try:
        real = os.path.realpath(get_os_path(path))
    except web.HTTPError:
        raise Forbidden(f"{path} is outside the server root") from None
    real_root = os.path.realpath(root)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise Forbidden(f"{path} points outside the server root")


async def read_text(cm: Any, clean: str, max_bytes: int) -> str:
    """The text of the notebook at `clean` (a normalized path), through the contents manager.

    Read as a file, not as a notebook: `type="notebook"` would also sign-check every cell
    against the notary database, which costs 3-5x the validation itself on a large notebook
    and tells a checkpoint nothing (`files.parse` validates)."""
    _check_real_path(cm, clean)
    try:
        model = await ensure_async(cm.get(clean, content=False))
    except web.HTTPError as e:
        if e.status_code == 404:
            raise NotFound(f"no notebook {clean}") from None
        raise
    if model.get("type") != "notebook":
        raise InvalidNotebook(f"{clean} is not a notebook")
    size = model.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise TooLarge(f"{clean} is {size} bytes, over the {max_bytes}-byte limit")
    try:
        model = await ensure_async(cm.get(clean, content=True, type="file", format="text"))
    except web.HTTPError as e:
        if e.status_code == 404:
            raise NotFound(f"no notebook {clean}") from None
        raise InvalidNotebook(f"{clean} is not a readable notebook: {e.log_message}") from None
    text: str = model["content"]
    return text


async def _exists(cm: Any, path: str) -> bool:
    return bool(await ensure_async(cm.exists(path)))


async def write_notebook(cm: Any, path: str, nb: dict[str, Any]) -> None:
    """Save `nb` at `path` through the contents manager, untrusted (issue 14.1).

    `cm.save` signs a notebook when `notary.check_cells` passes: every code cell flagged
    `trusted`, or without unsafe output. The flags are dropped (`untrusted`), and whatever
    signature the save added is removed again, so a restored notebook runs no script until
    the user trusts it by hand. A signature that was there before is kept: the notary trusts
    content, and this exact content was run or trusted by the user (dropping it would
    untrust their original notebook too).
    """
    _check_real_path(cm, path)
    folder = posixpath.dirname(path)
    if folder and not await ensure_async(cm.dir_exists(folder)):
        # The contents manager would fail with a 500 naming the file on the server's disk.
        raise NotFound(f"no folder {folder} to write {path} into; create it first")
    doc = nbformat.from_dict(untrusted(nb))  # type: ignore[no-untyped-call]
    notary = getattr(cm, "notary", None)
    known = _trusted_before(notary, doc)
    await ensure_async(cm.save({"type": "notebook", "format": "json", "content": doc}, path))
    if notary is None or known:
        return
    try:
        # The digest `save` signed: `cm.save` signs `nbformat.from_dict` of this content.
        notary.unsign(doc)
    except Exception as e:  # a broken signature store; `check_cells` failed anyway on JS
        cm.log.warning("jupyter-mltrack: could not unsign restored notebook %s: %s", path, e)


def _trusted_before(notary: Any, doc: Any) -> bool:
    """Whether the notary's database already trusts this exact content."""
    if notary is None:
        return False
    try:
        return bool(notary.check_signature(doc))
    except Exception:  # an unreadable signature store trusts nothing
        return False
