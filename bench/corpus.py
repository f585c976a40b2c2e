"""The real notebook histories of ../shared/corpus, for benchmarks and tests.

The data stays out of the repository: `extract()` unpacks the shared bundle (every revision
of 10 notebooks of ageron/handson-ml2, 363 revisions, about 350 MB as full copies) into a
folder at run time, and `load_corpus()` reads such a folder. Two revisions are not JSON (bad
input, as real folders have): they are returned like the others, the caller decides.

    from corpus import extract, load_corpus      # bench/ on sys.path
    histories = load_corpus(extract(tmp_dir))    # {"03_classification": [("001.ipynb", b"...")]}
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# ../shared/corpus beside the repository (bench/corpus.py -> repo -> its parent).
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EXTRACT_SCRIPT = "extract.sh"

Revisions = list[tuple[str, bytes]]


def available(shared: Path = SHARED_CORPUS) -> bool:
    """Whether the shared bundle and its extraction script are there."""
    return (shared / EXTRACT_SCRIPT).is_file()


def extract(dest: str | os.PathLike[str], shared: Path = SHARED_CORPUS) -> Path:
    """Unpack every revision into `dest/<notebook>/<NNN>.ipynb` (oldest first); returns
    `dest`. Reuses `dest` when it already holds the histories (about 17 s otherwise)."""
    out = Path(dest)
    if out.is_dir() and any(out.glob("*/001.ipynb")):
        return out
    if not available(shared):
        raise FileNotFoundError(f"no corpus bundle at {shared}")
    subprocess.run(
        ["bash", str(shared / EXTRACT_SCRIPT), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def load_corpus(
    root: str | os.PathLike[str], names: list[str] | None = None
) -> dict[str, Revisions]:
    """notebook name -> [(revision file name, raw bytes)], oldest first, notebooks sorted
    by name; `names` keeps only those notebooks."""
    base = Path(root)
    histories: dict[str, Revisions] = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if names is not None and folder.name not in names:
            continue
        histories[folder.name] = [(f.name, f.read_bytes()) for f in sorted(folder.glob("*.ipynb"))]
    return histories
