"""No path on the server's disk in an error body.

Error messages are written for the log, and some carry absolute paths: the contents manager's
("Cannot read non-file /srv/notebooks/x", "[Errno 2] ... '/srv/notebooks/no/b.ipynb'"), a
SQLite store's URL, an OSError's file name. A client of the API needs none of them, and they
tell an attacker how the server is laid out. `MLTrackHandler.write_error` passes every message
through `redact` (the log keeps the original):

- the notebook root followed by a path becomes that path relative to the root, i.e. the API
  path the client sent; the root alone becomes `<root>`;
- the store's folders become `<store>`, the home folder `~`;
- any other absolute path of two or more parts becomes `<server path>`. A URL's `//host/...`
  is not a path and is kept.
"""

from __future__ import annotations

import os
import re
from typing import Any

ROOT = "<root>"
# An absolute POSIX path (not inside a word, a relative path or a URL's //authority) or a
# Windows drive path.
_ABSOLUTE = re.compile(
    r"(?<![\w.~/\\-])(?!//[^/])/+[^\s'\"/,;:)\]<>]+(?:/[^\s'\"/,;:)\]<>]+)+/?"
    r"|\b[A-Za-z]:\\[^\s'\",;]+"
)


def known_paths(handler: Any) -> list[tuple[str, str]]:
    """(absolute folder, what to show instead) for the folders this server knows, longest
    first so a folder inside another is replaced first."""
    found: list[tuple[str, str]] = []

    def add(path: Any, shown: str) -> None:
        if not path:
            return
        for variant in {str(path), os.path.realpath(str(path))}:
            variant = variant.rstrip("/\\")
            if len(variant) > 1 and os.path.isabs(variant):
                found.append((variant, shown))

    root = getattr(handler.settings.get("contents_manager"), "root_dir", None)
    add(root, ROOT)
    service = handler.settings.get("mltrack")
    config = getattr(service, "store_config", None)
    if config is not None:
        add(getattr(config, "blob_url", None), "<store>")  # an s3:// URL is no path: skipped
        sqlite = getattr(config, "sqlite_path", None)
        add(sqlite.parent if sqlite is not None else None, "<store>")
    add(os.path.expanduser("~"), "~")
    found.sort(key=lambda p: len(p[0]), reverse=True)
    return found


def redact(message: str, known: list[tuple[str, str]]) -> str:
    """`message` without absolute server paths (see the module doc)."""
    for folder, shown in known:
        if shown == ROOT:  # what follows the root is the client's own API path
            message = message.replace(folder + "/", "").replace(folder + os.sep, "")
        message = message.replace(folder, shown)
    return _ABSOLUTE.sub("<server path>", message)
