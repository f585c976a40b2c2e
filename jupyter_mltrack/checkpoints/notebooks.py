"""Where the checkpoint operations read and write notebooks: one small interface,
`NotebookIO`, with two implementations.

* `Folder` (here): files under a root folder, for the Python API, the CLI, the magics and the
  kernel's own fallback when no frontend answers (`kernel/locator.py`).
* `server/notebooks.ContentsNotebooks`: jupyter_server's contents manager, so the server's
  root, hidden-file and permission rules apply and JupyterLab sees every write.

`service` sees only this interface, so creating a checkpoint of a saved notebook, restoring
one and diffing one against the current file are written once for every face.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from . import files


class NotebookIO(Protocol):
    """Notebooks by API path (`folder/nb.ipynb`, relative to a root, see
    `files.normalize_path`). The methods block: the server calls them in a worker thread."""

    @property
    def from_disk(self) -> bool:
        """Whether what `read` returns is the saved file, which may lack edits made since:
        recorded on the checkpoint (`from_disk`)."""
        ...

    def read(self, path: str) -> files.Parsed:
        """The notebook at `path`, parsed and validated once (`files.parse`). NotFound,
        Forbidden, TooLarge or InvalidNotebook when it cannot be."""
        ...

    def write(self, path: str, nb: dict[str, Any]) -> None:
        """Save `nb` at `path` (replacing what is there), never signed as trusted."""
        ...

    def exists(self, path: str) -> bool: ...


class Folder:
    """Notebooks under `root` (else `MLTRACK_NOTEBOOK_ROOT`, else the current folder)."""

    from_disk = True

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        max_bytes: int = files.DEFAULT_MAX_BYTES,
    ) -> None:
        self.root = files.root_dir(root)
        self.max_bytes = max_bytes

    def read(self, path: str) -> files.Parsed:
        return files.read(self.root, path, self.max_bytes)

    def write(self, path: str, nb: dict[str, Any]) -> None:
        files.write(self.root, path, nb)

    def exists(self, path: str) -> bool:
        return files.os_path(self.root, path, must_exist=False).exists()
