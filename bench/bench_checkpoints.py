"""Checkpoints and diffs against the real peers, measured in the same run.

    .venv/bin/python bench/bench_checkpoints.py [--quick] [--sizes 100,1000,5000] [--reps 3]

Notebooks are generated exactly as ../shared/bench-peers/bench_notebooks.py does (seeded: N
code cells with a small stdout output, 10 % with a 50,000-char base64 PNG; the modified copy
changes source and outputs of 5 % of the cells). Printed:

1. diff, per size: ours vs `nbdime.diff_notebooks` on the same pair (min of reps), the ratio,
   and whether `nbdime.patch_notebook(a, ours) == b`.
2. checkpoint of the 1,000-cell notebook (one cell changed since the last one) vs reading it
   through jupyter_server's FileContentsManager alone, and vs one `git add && git commit`.
3. storage of 100 successive checkpoints each changing one cell's source (seed 7, as the
   peers' script): ours (blob files + SQLite growth, apparent bytes and `du`) beside full
   JSON copies, gzip copies, and git before and after `gc --aggressive`.
4. corpus (bench/corpus_bench.py): every revision of the real histories of ../shared/corpus
   checkpointed in order; bytes on disk of our store against git after `gc --aggressive` and
   full copies, what the store holds by kind, time per revision, and (`--check`) every
   revision restored byte-exact as the contents manager saves it.
`--quick`: sizes 100 and 1,000, one rep, 20 checkpoints, no gc.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import gzip
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbdime
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.checkpoints.nbdiff import diff_notebooks
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import open_store

# -- the peers' generator (bench_notebooks.py), kept identical -------------------------------
IMG_B64_CHARS = 50_000
PNG_SIG = b"\x89PNG\r\n\x1a\n"


def fake_png_b64(rnd: random.Random) -> str:
    raw = PNG_SIG + rnd.randbytes(IMG_B64_CHARS * 3 // 4 - len(PNG_SIG))
    return base64.b64encode(raw).decode("ascii")


def cell_source(i: int, rnd: random.Random, gen: int = 0) -> str:
    return (
        f"# cell {i} v{gen}\n"
        f"x_{i} = compute_{rnd.randrange(1000)}(data, k={rnd.randrange(100)})\n"
        f"print(f'result {{x_{i}}}')"
    )


def cell_outputs(i: int, rnd: random.Random, with_img: bool, gen: int = 0) -> list[Any]:
    outs = [
        new_output(
            "stream", name="stdout", text=f"result {rnd.random():.6f} (cell {i}, run {gen})\n"
        )
    ]
    if with_img:
        outs.append(
            new_output(
                "display_data",
                data={
                    "image/png": fake_png_b64(rnd),
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                },
            )
        )
    return outs


def make_notebook(n: int, seed: int = 0) -> tuple[Any, set[int]]:
    rnd = random.Random(seed)
    img_cells = set(rnd.sample(range(n), max(1, n // 10)))
    cells = []
    for i in range(n):
        c = new_code_cell(source=cell_source(i, rnd), execution_count=i + 1)
        c.outputs = cell_outputs(i, rnd, i in img_cells)
        cells.append(c)
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    return nb, img_cells


def modify(nb: Any, img_cells: set[int], frac: float = 0.05, seed: int = 1) -> Any:
    rnd = random.Random(seed)
    nb2 = copy.deepcopy(nb)
    n = len(nb2.cells)
    for i in rnd.sample(range(n), max(1, int(n * frac))):
        c = nb2.cells[i]
        c.source = cell_source(i, rnd, gen=1)
        c.outputs = cell_outputs(i, rnd, i in img_cells, gen=1)
    return nb2


# -- helpers ---------------------------------------------------------------------------------
def best(fn: Any, reps: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def dir_bytes(path: Path) -> tuple[int, int, int]:
    app = alloc = n = 0
    for root, _d, files in os.walk(path):
        for fn in files:
            st = os.lstat(os.path.join(root, fn))
            app += st.st_size
            alloc += st.st_blocks * 512
            n += 1
    return app, alloc, n


GIT_ENV = dict(
    os.environ,
    GIT_AUTHOR_NAME="b",
    GIT_AUTHOR_EMAIL="b@example.invalid",
    GIT_COMMITTER_NAME="b",
    GIT_COMMITTER_EMAIL="b@example.invalid",
)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


def fresh_store(base: Path) -> Any:
    shutil.rmtree(base, ignore_errors=True)
    return open_store(StoreConfig(f"sqlite:///{base}/mltrack.db", base / "blobs"), cached=False)


def sqlite_bytes(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


# -- 1. diffs --------------------------------------------------------------------------------
def bench_diffs(sizes: list[int], reps: int) -> None:
    print("\n## diff: ours vs nbdime.diff_notebooks (same pairs, min of reps)")
    print(f"{'cells':>6} {'nbdime s':>10} {'ours s':>9} {'ratio':>7}  patch==remote  summary")
    for n in sizes:
        a, img = make_notebook(n, seed=n)
        b = modify(a, img, seed=n + 1)
        ours_t, (d, summary) = best(lambda a=a, b=b: diff_notebooks(a, b), reps)
        ok = nbdime.patch_notebook(a, d) == b
        nb_reps = 1 if n >= 5000 else reps
        nbd_t, _ = best(lambda a=a, b=b: nbdime.diff_notebooks(a, b), nb_reps)
        print(
            f"{n:>6} {nbd_t:>10.3f} {ours_t:>9.4f} {nbd_t / ours_t:>6.0f}x  {ok!s:>13}  "
            f"+{summary['cells_added']} -{summary['cells_removed']} ~{summary['cells_modified']}"
        )


# -- 2. checkpoint time ----------------------------------------------------------------------
def bench_checkpoint_time(work: Path, reps: int) -> None:
    from jupyter_server.services.contents.filemanager import FileContentsManager

    print("\n## checkpoint of the 1,000-cell notebook (one cell changed since the last)")
    root = work / "cm"
    root.mkdir(parents=True)
    nb, _img = make_notebook(1000, seed=1000)
    nbformat.write(nb, root / "nb.ipynb")
    cm = FileContentsManager(root_dir=str(root))
    read_t, model = best(lambda: cm.get("nb.ipynb", content=True, type="notebook"), max(reps, 3))
    # What POST /checkpoints really does to read: text through the contents manager, then
    # one validation (server/notebooks.py ContentsNotebooks.read, in a worker thread that
    # goes back to the event loop for the contents manager). It runs in one event loop, as in
    # the server. asyncio.run per call would add its own teardown: restoring its SIGINT
    # handler makes signal.getsignal build an error message that reprs the finished task,
    # the notebook it returned included (30-80 ms here, never paid by the server).
    from anyio import to_thread

    from jupyter_mltrack.server.notebooks import ContentsNotebooks

    notebooks = ContentsNotebooks(cm, 1 << 30)
    loop = asyncio.new_event_loop()

    def read_notebook() -> Any:
        return loop.run_until_complete(to_thread.run_sync(notebooks.read, "nb.ipynb"))

    ours_read_t, _ = best(read_notebook, max(reps, 3))
    store = fresh_store(work / "store")
    rnd = random.Random(3)
    content = model["content"]
    for c in content.cells:
        c.metadata.pop("trusted", None)
    first_t, _ = best(lambda: service.create(store, "nb.ipynb", content), 1)
    times = []
    for k in range(max(reps, 5)):
        i = rnd.randrange(1000)
        content.cells[i].source = cell_source(i, rnd, gen=k + 1)
        t = time.perf_counter()
        service.create(store, "nb.ipynb", content)
        times.append(time.perf_counter() - t)
    snap_t = statistics.median(times)
    # End to end as the server does it: the file changed by one cell on disk, read and
    # validated (unchanged cells are known valid), then snapshot with the read's split.
    rnd_e2e = random.Random(5)
    service.create(store, "e2e.ipynb", content)
    e2e_times = []
    for k in range(max(reps, 5)):
        i = rnd_e2e.randrange(1000)
        nb.cells[i].source = cell_source(i, rnd_e2e, gen=k + 50)
        nbformat.write(nb, root / "nb.ipynb")
        t = time.perf_counter()
        parsed = read_notebook()
        service.create(store, "e2e.ipynb", parsed.nb, split=parsed.split)
        e2e_times.append(time.perf_counter() - t)
    e2e_t = statistics.median(e2e_times)
    repo = work / "git"
    repo.mkdir()
    git(repo, "init", "-q")
    git_times = []
    for k in range(max(reps, 5)):
        i = rnd.randrange(1000)
        nb.cells[i].source = cell_source(i, rnd, gen=k + 100)
        (repo / "nb.ipynb").write_text(nbformat.writes(nb) + "\n")
        t = time.perf_counter()
        git(repo, "add", "nb.ipynb")
        git(repo, "commit", "-q", "-m", f"c{k}")
        git_times.append(time.perf_counter() - t)
    git_t = statistics.median(git_times)
    post_t = ours_read_t + snap_t
    print(f"contents manager read (get, validated):   {read_t:.4f} s")
    print(f"ours, read via the contents manager:      {ours_read_t:.4f} s (text + one validation)")
    print(
        f"ours, snapshot of the read notebook:      {snap_t:.4f} s (median; first {first_t:.3f} s)"
    )
    print(
        f"ours, read + snapshot (what POST costs):  {post_t:.4f} s "
        f"= {post_t / read_t:.2f}x the contents manager's read alone (target <= 2x)"
    )
    print(
        f"git add && git commit (median):           {git_t:.4f} s; "
        f"snapshot = {snap_t / git_t:.2f}x, read + snapshot = {post_t / git_t:.2f}x "
        "of one commit (target <= 1/3)"
    )
    print(
        f"ours, POST end to end (median):           {e2e_t:.4f} s = {e2e_t / git_t:.2f}x of one "
        "commit (file changed by one cell; the snapshot reuses the read's split)"
    )
    store.dispose()
    loop.close()


# -- 3. storage growth -----------------------------------------------------------------------
def bench_storage(work: Path, n_ckpt: int, with_gc: bool) -> None:
    print(
        f"\n## storage: {n_ckpt} successive checkpoints of the 1,000-cell notebook, one cell "
        "changed each (cumulative)"
    )
    base = work / "storage"
    full, gz, repo = base / "full", base / "gzip", base / "git"
    for d in (full, gz, repo):
        d.mkdir(parents=True)
    git(repo, "init", "-q")
    store = fresh_store(base / "ours")
    db = base / "ours" / "mltrack.db"
    db0 = sqlite_bytes(db)
    nb, _img = make_notebook(1000, seed=1000)
    rnd = random.Random(7)
    t_ours = t_git = 0.0
    first_total = 0
    for k in range(1, n_ckpt + 1):
        i = rnd.randrange(1000)
        nb.cells[i].source = cell_source(i, rnd, gen=k)
        data = (nbformat.writes(nb) + "\n").encode()
        (full / f"c{k:03d}.ipynb").write_bytes(data)
        (gz / f"c{k:03d}.ipynb.gz").write_bytes(gzip.compress(data, 6, mtime=0))
        t = time.perf_counter()
        (repo / "nb.ipynb").write_bytes(data)
        git(repo, "add", "nb.ipynb")
        git(repo, "commit", "-q", "-m", f"c{k}")
        t_git += time.perf_counter() - t
        t = time.perf_counter()
        service.create(store, "nb.ipynb", nb)
        t_ours += time.perf_counter() - t
        if k == 1:
            first_total = dir_bytes(base / "ours" / "blobs")[0] + sqlite_bytes(db) - db0
    blobs_app, blobs_du, blobs_n = dir_bytes(base / "ours" / "blobs")
    db_growth = sqlite_bytes(db) - db0
    ours = blobs_app + db_growth
    per_extra = (ours - first_total) / max(1, n_ckpt - 1)
    git_before = dir_bytes(repo / ".git")
    rows = [
        ("full JSON copies", dir_bytes(full)[0], ""),
        ("gzip copies (level 6)", dir_bytes(gz)[0], ""),
        ("git, loose, before gc", git_before[0], f"{t_git:.1f} s add+commit"),
    ]
    if with_gc:
        t = time.perf_counter()
        git(repo, "gc", "--aggressive", "--prune=now", "-q")
        gc_t = time.perf_counter() - t
        after = dir_bytes(repo / ".git")
        rows.append(("git after gc --aggressive", after[0], f"{gc_t:.1f} s gc; du {after[1]:,}"))
    rows.append(
        (
            "ours (blobs + SQLite growth)",
            ours,
            f"{t_ours:.1f} s; {blobs_n} blob files, du {blobs_du:,} + db {db_growth:,}; "
            f"first {first_total:,}; {per_extra:,.0f} B per extra checkpoint",
        )
    )
    for name, size, note in rows:
        print(f"{name:<32} {size:>14,} B  {note}")
    if with_gc:
        print(
            f"ours / git-after-gc = {ours / rows[3][1]:.3f} (target <= 1); "
            f"per extra checkpoint {per_extra:,.0f} B (target <= 2,048)"
        )
    store.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--only", default="diff,time,storage,corpus")
    ap.add_argument("--corpus", default=None, help="extracted corpus folder to reuse")
    ap.add_argument("--check", action="store_true", help="corpus: check every restore")
    a = ap.parse_args()
    sizes = [int(s) for s in (a.sizes or ("100,1000" if a.quick else "100,1000,5000")).split(",")]
    reps = a.reps or (1 if a.quick else 3)
    print(
        f"python {sys.version.split()[0]}, nbdime {nbdime.__version__}, nbformat "
        f"{nbformat.__version__}, load {os.getloadavg()[0]:.2f}, {os.cpu_count()} cpus"
    )
    with tempfile.TemporaryDirectory(prefix="mltrack-bench-") as tmp:
        work = Path(tmp)
        only = set(a.only.split(","))
        if "diff" in only:
            bench_diffs(sizes, reps)
        if "time" in only:
            bench_checkpoint_time(work, reps)
        if "storage" in only:
            bench_storage(work, 20 if a.quick else 100, with_gc=not a.quick)
        if "corpus" in only:
            from corpus_bench import bench_corpus

            bench_corpus(
                work,
                Path(a.corpus) if a.corpus else None,
                with_gc=not a.quick,
                check=a.check,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
