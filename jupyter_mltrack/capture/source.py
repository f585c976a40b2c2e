"""The code a script run came from: `source_code/entrypoint` (the script's path) and
`source_code/files` (the script itself, or the files matched by `source_files` globs).

In a notebook the code is the linked checkpoint (`source_code/notebook`, written by the kernel
side), so only `source_files` globs are uploaded there. Globs are relative to the working
directory, `**` crosses folders; a glob that matches nothing is a warning, not an error.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

from .base import RunLike, ipython_shell, log

MAX_FILES = 1000


def entry_script() -> Path | None:
    """The file `python script.py` ran, or None in a notebook, a REPL or `python -c`."""
    if ipython_shell() is not None:
        return None
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not main_file:
        return None
    path = Path(main_file).resolve()
    if path.suffix != ".py" or not path.is_file() or path.name == "ipykernel_launcher.py":
        return None
    return path


def expand(patterns: tuple[str, ...]) -> list[Path]:
    out: dict[Path, None] = {}
    for pattern in patterns:
        hits = [Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True)]
        files = [p for p in hits if p.is_file()]
        if not files:
            log.warning("jupyter-mltrack: source_files pattern %r matches no file", pattern)
        for f in sorted(files):
            out.setdefault(f.resolve(), None)
    paths = list(out)
    if len(paths) > MAX_FILES:
        log.warning(
            "jupyter-mltrack: source_files match %d files; the first %d are uploaded",
            len(paths),
            MAX_FILES,
        )
        paths = paths[:MAX_FILES]
    return paths


class SourceCapture:
    name = "source"

    def __init__(
        self, run: RunLike, source_files: tuple[str, ...] | None, script: Path | None
    ) -> None:
        self.run = run
        self.source_files = source_files
        # Found by the caller when the run starts: once a script's last line has run, Python
        # deletes `__main__.__file__`, and this may run later (at exit, on a worker thread).
        self.script = script

    def start(self) -> None:
        script = self.script
        if script is not None:
            try:
                shown = os.path.relpath(script)
            except ValueError:  # another drive on Windows
                shown = str(script)
            self.run["source_code/entrypoint"] = shown
        if self.source_files is not None:
            files = expand(self.source_files)
        else:
            files = [script] if script is not None else []
        if files:
            self.run["source_code/files"].upload_files([str(f) for f in files])

    def stop(self) -> None:
        pass
