"""Checkpoints of real notebook histories restore exactly (../shared/corpus: every revision
of 10 handson-ml2 notebooks, several Jupyter versions, images wrapped and not).

"Exact", precisely: for each revision, checkpointed in its history's order,
1. the notebook read back from the store equals, as a JSON value, the one the checkpoint was
   taken of (what `nbformat.reads(text, as_version=4)` gives: every string, list, number and
   key, so a payload that was a list of lines is one again);
2. the file a restore writes through Jupyter's contents manager is byte for byte the file
   the contents manager writes when it opens and saves the original revision. (Not the
   original bytes themselves: old revisions were written by other Jupyter versions, whose
   formatting any save in today's Jupyter changes; a restore does what such a save does.)
Revisions that are not JSON are refused, as Jupyter refuses them.

The default run takes a sample of each history (its first and last revision and three
between, in order); `bench/bench_checkpoints.py --only corpus --check` checks all 363.
Extracting the corpus takes about 17 s, once per session. Without ../shared/corpus the
tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.checkpoints.files import parse
from jupyter_mltrack.errors import InvalidNotebook
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

BENCH = Path(__file__).resolve().parents[1] / "bench"
PNG_BASE64_START = b"iVBORw0KGgo"  # the PNG signature, base64-encoded
SAMPLE_PER_HISTORY = 5


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mltrack_bench_corpus", BENCH / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, bytes]]]:
    corpus = _corpus_module()
    if not corpus.available():
        message = f"the notebook corpus is missing ({corpus.SHARED_CORPUS})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = corpus.extract(tmp_path_factory.mktemp("corpus") / "histories")
    loaded: dict[str, list[tuple[str, bytes]]] = corpus.load_corpus(root)
    return loaded


def sample(revisions: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    n = len(revisions)
    picks = sorted(
        {round(i * (n - 1) / (SAMPLE_PER_HISTORY - 1)) for i in range(SAMPLE_PER_HISTORY)}
    )
    return [revisions[i] for i in picks]


@pytest.fixture
def corpus_store(tmp_path: Path) -> Iterator[Store]:
    snapshot.clear_caches()
    st = open_store(
        StoreConfig(f"sqlite:///{tmp_path}/store/mltrack.db", tmp_path / "blobs"), cached=False
    )
    yield st
    st.dispose()


def jupyter_saves(cm: Any, content: Any, path: str) -> bytes:
    """The bytes the contents manager writes for a notebook (as a restore, or a save)."""
    cm.save({"type": "notebook", "format": "json", "content": content}, path)
    return Path(cm.root_dir, path).read_bytes()


def test_corpus_checkpoints_restore_exactly(
    histories: dict[str, list[tuple[str, bytes]]], corpus_store: Store, tmp_path: Path
) -> None:
    from jupyter_server.services.contents.filemanager import FileContentsManager

    root = tmp_path / "root"
    root.mkdir()
    cm = FileContentsManager(root_dir=str(root))
    checked, refused, minors = 0, [], set()
    for name, revisions in histories.items():
        picked = sample(revisions)
        picked += [r for r in revisions if not _is_json(r[1]) and r not in picked]
        for rev, raw in picked:
            label = f"{name}/{rev}"
            (root / "original.ipynb").write_bytes(raw)
            try:
                parsed = parse(raw, label)
            except InvalidNotebook:
                with pytest.raises(Exception, match="Unreadable Notebook"):
                    cm.get("original.ipynb", content=True, type="notebook")
                refused.append(label)
                continue
            minors.add(parsed.nb["nbformat_minor"])
            info = service.create(corpus_store, f"{name}.ipynb", parsed.nb, split=parsed.split)
            assert info is not None
            snapshot.clear_caches()  # read back from the store, not from what was written
            restored = service.get(corpus_store, info.id)["content"]
            assert restored == parsed.nb, label
            model = cm.get("original.ipynb", content=True, type="notebook")
            expected = jupyter_saves(cm, model["content"], "saved.ipynb")
            assert jupyter_saves(cm, restored, "restored.ipynb") == expected, label
            # The images are out of the cells: no chunk holds a PNG's base64.
            manifest = snapshot.MANIFESTS.get(corpus_store.blobs, info.manifest_sha)
            units = snapshot.UNITS.get(corpus_store.blobs, manifest)
            assert not any(PNG_BASE64_START in u for u in units), label
            checked += 1
    assert checked >= 45 and len(refused) == 2
    assert minors >= {0, 1, 2, 4}  # notebooks of several Jupyter versions


def _is_json(raw: bytes) -> bool:
    import json

    try:
        json.loads(raw)
    except ValueError:
        return False
    return True
