"""Find the notebook a kernel runs, without a frontend to ask (Colab, VS Code, papermill...).

In order: Colab's own notebook API (the live notebook, unsaved edits included); the server's
sessions API, reached through the runtime file of the Jupyter server that started this kernel
(current even after a rename); VS Code's `__vsc_ipynb_file__`; `__session__` /
`JPY_SESSION_NAME`, which jupyter_server sets when it starts the kernel. A file read from disk
may lack edits made since the last save, so it is flagged `from_disk`. A notebook that cannot
be found, or whose file holds no code yet (never saved), is rebuilt from the kernel's input
history instead, so a run is never linked to an empty checkpoint.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..capture.base import ipython_shell
from ..checkpoints import files
from ..checkpoints.notebooks import Folder

COLAB_TIMEOUT = 10.0
SESSIONS_TIMEOUT = 1.0


@dataclass
class Located:
    path: str  # the notebook's API path: its history key in the store
    notebook: dict[str, Any]
    from_disk: bool
    source: str  # colab | file | history
    note: str = ""


# -- Colab ---------------------------------------------------------------------------------------
def colab_notebook() -> dict[str, Any] | None:
    """The live notebook from Colab's frontend, or None outside Colab."""
    if "google.colab" not in sys.modules:
        try:
            import google.colab  # noqa: F401
        except Exception:
            return None
    try:
        from google.colab import _message
    except Exception:
        return None
    answer = _message.blocking_request("get_ipynb", request="", timeout_sec=COLAB_TIMEOUT)
    if not isinstance(answer, dict) or not isinstance(answer.get("ipynb"), dict):
        return None
    return answer["ipynb"]  # type: ignore[no-any-return]


def colab_path(nb: dict[str, Any]) -> str:
    """Colab keeps the notebook's name in its metadata; history is kept under `colab/`."""
    name = str(((nb.get("metadata") or {}).get("colab") or {}).get("name") or "colab.ipynb")
    name = re.sub(r"[^\w .()+-]", "_", name.split("/")[-1]).strip(" .") or "colab"
    if not name.endswith(".ipynb"):
        name += ".ipynb"
    return f"colab/{name}"


# -- the session's file --------------------------------------------------------------------------
def _kernel_id() -> str | None:
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).name
    except Exception:
        return None
    m = re.match(r"kernel-(.+)\.json$", name)
    return m.group(1) if m else None


def server_info() -> dict[str, Any] | None:
    """The runtime file of the Jupyter server that started this kernel (its parent), if any."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        path = Path(jupyter_runtime_dir()) / f"jpserver-{os.getppid()}.json"
        if not path.is_file():
            return None
        info = json.loads(path.read_text(encoding="utf-8"))
    except Exception:
        return None
    return info if isinstance(info, dict) else None


def session_from_server(info: dict[str, Any]) -> str | None:
    """The API path of this kernel's notebook from the server's sessions API (follows renames)."""
    kid = _kernel_id()
    url = info.get("url")
    if not kid or not isinstance(url, str):
        return None
    req = urllib.request.Request(url.rstrip("/") + "/api/sessions")
    token = info.get("token")
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(req, timeout=SESSIONS_TIMEOUT) as resp:
            sessions = json.loads(resp.read())
    except Exception:
        return None
    for s in sessions if isinstance(sessions, list) else []:
        if (s.get("kernel") or {}).get("id") == kid and s.get("type") in ("notebook", None):
            path = s.get("path") or (s.get("notebook") or {}).get("path")
            if isinstance(path, str) and path.endswith(".ipynb"):
                return path
    return None


def _roots(info: dict[str, Any] | None) -> list[Path]:
    roots = []
    env = os.environ.get("MLTRACK_NOTEBOOK_ROOT")
    if env:
        roots.append(Path(env))
    if info and isinstance(info.get("root_dir"), str):
        roots.append(Path(info["root_dir"]))
    roots.append(Path.cwd())
    return roots


def api_path(os_path: Path, roots: list[Path]) -> tuple[str, Path]:
    """(API path, root) of a notebook file: relative to the first root holding it, else its
    name beside its own folder."""
    real = os_path.resolve()
    for root in roots:
        try:
            rel = real.relative_to(root.resolve())
        except ValueError:
            continue
        return posixpath.join(*rel.parts), root
    return real.name, real.parent


def session_file(user_ns: dict[str, Any]) -> tuple[str, Path] | None:
    """(API path, root) of the notebook file this kernel belongs to, if anything names it."""
    info = server_info()
    if info is not None:
        path = session_from_server(info)
        root = info.get("root_dir")
        if path and isinstance(root, str):
            return files.normalize_path(path), Path(root)
    roots = _roots(info)
    for candidate in (
        user_ns.get("__vsc_ipynb_file__"),
        user_ns.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            p = Path(candidate)
            if not p.is_absolute():
                p = Path.cwd() / p
            if p.is_file():
                return api_path(p, roots)
    return None


# -- the kernel's history ------------------------------------------------------------------------
def from_history(user_ns: dict[str, Any]) -> dict[str, Any] | None:
    """A notebook of the cells this kernel ran (IPython's input history), or None."""
    import nbformat

    raw = user_ns.get("In") or []
    sh = ipython_shell()
    try:  # as typed (`%mltrack ...`), not as IPython translated it (`get_ipython()...`)
        if sh is not None and sh.user_ns is user_ns:
            raw = sh.history_manager.input_hist_raw
    except Exception:  # a shell without a history manager: the translated inputs will do
        pass
    inputs = [s for s in raw[1:] if isinstance(s, str) and s.strip()]
    if not inputs:
        return None
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in inputs]  # type: ignore[no-untyped-call]
    nb.metadata["mltrack"] = {"rebuilt_from": "kernel input history"}
    return dict(nb)


def _has_code(nb: dict[str, Any]) -> bool:
    for c in nb.get("cells") or []:
        src = c.get("source")
        if (src if isinstance(src, str) else "".join(src or [])).strip():
            return True
    return False


def history_path() -> str:
    kid = re.sub(r"[^\w-]", "_", _kernel_id() or str(os.getpid()))[:40]
    return f"kernel-history/{kid}.ipynb"


def locate(user_ns: dict[str, Any]) -> Located | None:
    """The notebook to checkpoint when no frontend answered; None only if nothing is known
    and the kernel has run nothing."""
    nb = colab_notebook()
    if nb is not None:
        return Located(colab_path(nb), nb, from_disk=False, source="colab")
    found = session_file(user_ns)
    note = ""
    path: str | None = None
    if found is not None:
        path, root = found
        try:
            nb = Folder(root).read(path).nb
        except Exception as e:
            nb, note = None, f"{path} could not be read ({e})"
        if nb is not None and _has_code(nb):
            return Located(path, nb, from_disk=True, source="file")
        if nb is not None:
            note = f"{path} holds no code on disk (not saved yet)"
    rebuilt = from_history(user_ns)
    if rebuilt is None:
        return None
    note = note or "the notebook file could not be found"
    return Located(path or history_path(), rebuilt, from_disk=False, source="history", note=note)
