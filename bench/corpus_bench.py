"""Checkpoints of the real corpus histories (bench_checkpoints.py `--only corpus`).

Every revision of every notebook is read and checkpointed in order, as saves would: read
through the contents manager's text and our one validation (`files.parse`), then
`service.create` with the read's split. Printed:

- bytes on disk (allocated blocks, `st_blocks * 512`, as `du` counts them) of our store
  (blob files, SQLite database and WAL) against full copies and git (each revision
  committed in order into a temp repository, then `gc --aggressive`);
- what the store holds by kind (stored bytes and blobs): chunks (cells with what stays
  inline), image blobs, manifests, metadata;
- checkpoint time per revision (read + snapshot), median and total;
- with `check`: every revision restored and compared with what the contents manager writes
  for the original (the proof tests/test_checkpoints_corpus.py runs on a sample).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from corpus import Revisions, extract, load_corpus

from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.checkpoints.files import parse
from jupyter_mltrack.errors import InvalidNotebook
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

GIT_ENV = dict(
    os.environ,
    GIT_AUTHOR_NAME="b",
    GIT_AUTHOR_EMAIL="b@example.invalid",
    GIT_COMMITTER_NAME="b",
    GIT_COMMITTER_EMAIL="b@example.invalid",
)


def du(path: Path) -> tuple[int, int, int]:
    """(apparent bytes, allocated bytes, files) under `path`."""
    app = alloc = n = 0
    for root, _d, files in os.walk(path):
        for fn in files:
            st = os.lstat(os.path.join(root, fn))
            app += st.st_size
            alloc += st.st_blocks * 512
            n += 1
    return app, alloc, n


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


def git_size(histories: dict[str, Revisions], repo: Path) -> tuple[int, int, float]:
    """(.git allocated bytes before gc, after `gc --aggressive`, gc seconds): every revision
    committed in order, one commit per revision, notebooks in turn."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    for name, revisions in histories.items():
        for rev, raw in revisions:
            (repo / f"{name}.ipynb").write_bytes(raw)
            _git(repo, "add", f"{name}.ipynb")
            _git(repo, "commit", "-q", "-m", f"{name} {rev}")
    before = du(repo / ".git")[1]
    t = time.perf_counter()
    _git(repo, "gc", "--aggressive", "--prune=now", "-q")
    return before, du(repo / ".git")[1], time.perf_counter() - t


def store_kinds(store: Store) -> Counter[str]:
    """Stored bytes (`BlobStore.stored_size`: the file, or the pack records) and number of
    the blobs by what they hold: chunks (cells with what stays inline), images, manifests,
    notebook metadata."""
    from sqlalchemy import text

    with store.read() as s:
        mimes = dict(s.execute(text("SELECT sha256, mime FROM blobs")).all())
    kinds: Counter[str] = Counter()
    for sha in store.blobs.all_shas():
        mime = mimes.get(sha)
        if mime == snapshot.MANIFEST_MIME:
            kind = "manifests"
        elif mime is not None:
            kind = "images"
        elif store.blobs.get(sha).startswith(snapshot.CHUNK_HEADER):
            kind = "chunks"
        else:
            kind = "metadata"
        kinds[kind] += store.blobs.stored_size(sha)
        kinds[kind + " (blobs)"] += 1
    return kinds


def _saved_by_contents_manager(cm: Any, content: Any, path: str) -> bytes:
    cm.save({"type": "notebook", "format": "json", "content": content}, path)
    return Path(cm.root_dir, path).read_bytes()


def checkpoint_all(
    histories: dict[str, Revisions], store: Store, check_root: Path | None
) -> tuple[list[float], list[str], int]:
    """Checkpoint every revision in order; returns (seconds per checkpoint, refused
    revisions, revisions checked byte-exact). With `check_root`, each checkpoint is restored
    through a FileContentsManager and compared with the contents manager's own save of the
    original (raises AssertionError on the first difference)."""
    cm = None
    if check_root is not None:
        from jupyter_server.services.contents.filemanager import FileContentsManager

        check_root.mkdir(parents=True, exist_ok=True)
        cm = FileContentsManager(root_dir=str(check_root))
    times: list[float] = []
    refused: list[str] = []
    checked = 0
    for name, revisions in histories.items():
        for rev, raw in revisions:
            label = f"{name}/{rev}"
            t = time.perf_counter()
            try:
                parsed = parse(raw, label)
            except InvalidNotebook:
                refused.append(label)
                continue
            info = service.create(store, f"{name}.ipynb", parsed.nb, split=parsed.split)
            times.append(time.perf_counter() - t)
            if cm is None or info is None:
                continue
            (check_root / "original.ipynb").write_bytes(raw)  # type: ignore[operator]
            model = cm.get("original.ipynb", content=True, type="notebook")
            expected = _saved_by_contents_manager(cm, model["content"], "expected.ipynb")
            restored = service.get(store, info.id)["content"]
            got = _saved_by_contents_manager(cm, restored, "restored.ipynb")
            assert got == expected, f"{label}: restore differs from the contents manager's save"
            checked += 1
    return times, refused, checked


def bench_corpus(work: Path, corpus_dir: Path | None, *, with_gc: bool, check: bool) -> None:
    source = extract(corpus_dir or work / "corpus")
    histories = load_corpus(source)
    n_rev = sum(len(r) for r in histories.values())
    full_app = sum(len(raw) for r in histories.values() for _n, raw in r)
    full_alloc = du(source)[1]
    print(
        f"\n## corpus: {len(histories)} real histories, {n_rev} revisions "
        f"({full_app / 1e6:.1f} MB as full copies), checkpointed in order"
    )
    base = work / "corpus-store"
    shutil.rmtree(base, ignore_errors=True)
    store = open_store(StoreConfig(f"sqlite:///{base}/mltrack.db", base / "blobs"), cached=False)
    snapshot.clear_caches()
    times, refused, checked = checkpoint_all(
        histories, store, work / "corpus-check" if check else None
    )
    open_alloc = du(base)[1]
    kinds = store_kinds(store)
    store.dispose()
    ours_app, ours_alloc, ours_files = du(base)
    db_alloc = sum(os.stat(p).st_blocks * 512 for p in base.glob("mltrack.db*") if p.is_file())
    rows = [("full copies", full_app, full_alloc, "")]
    if with_gc:
        with tempfile.TemporaryDirectory(prefix="corpus-git-", dir=work) as tmp:
            before, after, gc_t = git_size(histories, Path(tmp) / "repo")
        rows.append(("git, loose objects", 0, before, ""))
        rows.append(("git after gc --aggressive", 0, after, f"gc {gc_t:.0f} s"))
    rows.append(
        (
            "ours (blobs + SQLite + WAL)",
            ours_app,
            ours_alloc,
            f"{ours_files} files, db {db_alloc:,}; while open {open_alloc:,}",
        )
    )
    print(f"{'':<30} {'apparent B':>14} {'on disk B':>14}")
    for label, app, alloc, note in rows:
        print(f"{label:<30} {app:>14,} {alloc:>14,}  {note}")
    if with_gc:
        print(f"ours / git-after-gc on disk = {ours_alloc / rows[2][2]:.2f} (target <= 1)")
    print(
        "store by kind (stored bytes): "
        + ", ".join(
            f"{k} {kinds[k]:,} B in {kinds[k + ' (blobs)']:,} blobs"
            for k in ("chunks", "images", "manifests", "metadata")
        )
    )
    print(
        f"checkpoint per revision (read + snapshot): median {statistics.median(times) * 1e3:.1f} "
        f"ms, max {max(times) * 1e3:.0f} ms, total {sum(times):.1f} s; refused (not JSON): "
        f"{len(refused)} {refused}"
    )
    if check:
        print(f"restore == contents manager's save, byte for byte: {checked}/{len(times)}")
