"""Diffs of real notebook histories and of harder variants: ours vs `nbdime.diff_notebooks`.

    .venv/bin/python bench/bench_diff_corpus.py [--corpus DIR] [--seeds 1] [--quick] [--reps 3]
        [--only corpus,variants,edits,similar,http,http-variants] [--no-http] [--sample N]
        [--no-baseline] [--baseline REV]

Pair sets (notebooks read with `nbformat.reads(..., as_version=4)`, as the server does;
revisions that are not JSON are skipped, their neighbours paired instead):

- `corpus`: consecutive revisions of the real histories of ../shared/corpus (bench/corpus.py).
- `variants-S`: consecutive revisions of the harder variants of seed S (bench/corpus_variants.py:
  cells split, merged, moved, edited in place, no ids), so each step is the real change plus
  edits undone and new ones.
- `edits-S`: each real revision against its own variant: the variant's edits alone.
- `similar`: generated notebooks of 300 to 600 near-identical code cells without ids (the same
  three-line template, numbers apart; one in ten a ~3,000-character helper of one template),
  where a third of the cells are edited in place, some moved, inserted and deleted, and a
  block of 30 replaced by long notes similar to nothing before: every edited cell is similar
  to dozens of others.

Printed per set: pairs; patch equivalence (`nbdime.patch_notebook(a, ours) == b`); ours and
nbdime in process, total and worst pair, the total ratio and the smallest per-pair ratio
(ours: the shortest of `--reps` runs, as a few ms are at the mercy of the scheduler; nbdime:
one run, 0.1 to 70 s a pair); summary stability against the diff at `--baseline` (the commit
before issue 16's similarity and moves work): the share of pairs whose cells added, removed
and modified are the same, with each move counted as the removal and addition it was before,
and as reported (moves apart); moves found. `http`: every corpus revision is checkpointed
through a real jupyter_server with the extension, then `GET /mltrack/api/diff?base=&remote=`
of each pair (request, body read and JSON parse) is timed, first request and shortest of
`--reps`, against nbdime's own diff of the pair in process. `http-variants`: the same for the
revisions of each `variants-S` (the set runs too, for nbdime's times).

`--sample N` keeps about N pairs of each history set (every k-th, from an offset drawn from
the seed), as nbdime alone takes many minutes over a whole variant set on a loaded machine.

(Over 400 lines on purpose: one runnable script, whose pair sets, in-process and HTTP measures
share the pair labels and timings; the variants themselves live in corpus_variants.py.)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
import types
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbdime
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbformat.validator import MissingIDFieldWarning

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import extract, load_corpus
from corpus_variants import variant, variants
from lab_server import LabServer

from jupyter_mltrack.checkpoints.nbdiff import diff_notebooks

REPO = Path(__file__).resolve().parents[1]
# The last commit of checkpoints/diff.py before issue 16 (difflib similarity, no moves).
BASELINE_REV = "fe23ee3"
Pair = tuple[str, Any, Any]


# -- pair sets --------------------------------------------------------------------------------
def _parse(raw: bytes) -> Any:
    """The notebook, or None where it is not one (skipped, as the server refuses it)."""
    try:
        return nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception:
        return None


def consecutive(histories: dict[str, list[tuple[str, bytes]]]) -> Iterator[Pair]:
    """Consecutive readable revisions, parsed as they go (two notebooks held at a time)."""
    for nb_name, revisions in histories.items():
        prev: tuple[str, Any] | None = None
        for name, raw in revisions:
            nb = _parse(raw)
            if nb is None:
                continue
            if prev is not None:
                yield (f"{nb_name}/{prev[0][:3]}-{name[:3]}", prev[1], nb)
            prev = (name, nb)


def own_variants(histories: dict[str, list[tuple[str, bytes]]], seed: int) -> Iterator[Pair]:
    for nb_name, revisions in histories.items():
        for index, (name, raw) in enumerate(revisions):
            a, b = _parse(raw), _parse(variant(raw, seed, index)[0])
            if a is not None and b is not None:
                yield (f"{nb_name}/{name[:3]}-v", a, b)


def sample(pairs: Iterator[Pair], total: int, n: int | None, seed: int) -> Iterator[Pair]:
    """Every k-th of `pairs` (k so that about `n` of `total` are kept), from an offset drawn
    from `seed`: spread over every history rather than its first few, the same on each run."""
    if n is None or n >= total:
        yield from pairs
        return
    k = -(-total // max(n, 1))
    offset = random.Random(seed).randrange(k)
    yield from (pair for i, pair in enumerate(pairs) if i % k == offset)


def _similar_cell(rnd: random.Random, i: int) -> Any:
    layers, lr = rnd.randrange(2, 6), rnd.choice(["1e-3", "3e-4", "1e-2"])
    cell = new_code_cell(
        f"model = build_model(n_layers={layers}, units={rnd.choice([32, 64, 128])})\n"
        f"history = model.fit(X_train, y_train, epochs={rnd.randrange(5, 30)}, lr={lr})\n"
        "score = model.evaluate(X_valid, y_valid)",
        execution_count=i + 1,
    )
    cell.outputs = [
        new_output(
            "stream",
            name="stdout",
            text="".join(
                f"Epoch {e + 1}/10 - loss: {rnd.random():.4f} - val_loss: {rnd.random():.4f}\n"
                for e in range(10)
            ),
        )
    ]
    del cell["id"]
    return cell


def _long_cell(rnd: random.Random, kind: str) -> Any:
    """About 3,000 characters: a helper function (`kind` "def"), or a note on the results
    (`kind` "note"), numbers apart; long similar sources are what similarity pays for."""
    if kind == "def":
        body = "".join(
            f"    x{k} = layer_{rnd.randrange(99)}(x{k - 1}, units={rnd.randrange(512)})\n"
            for k in range(1, 60)
        )
        cell = new_code_cell(f"def block_{rnd.randrange(10**6)}(x0):\n{body}    return x59")
    else:
        cell = new_markdown_cell(
            " ".join(
                f"Run {rnd.randrange(999)} reached {rnd.random():.3f} on fold {k};"
                for k in range(80)
            )
        )
    del cell["id"]
    return cell


def similar_pairs(count: int) -> Iterator[Pair]:
    """Notebooks of near-identical cells without ids (one in ten a long helper of the same
    template); the remote edits a third of them in place (a number in the source, the
    outputs of a re-run), moves, inserts and deletes cells, and replaces a block of 30 cells
    by 30 long notes, similar to each other and to nothing before."""
    for seed in range(count):
        rnd = random.Random(seed)
        n = rnd.randrange(300, 600)
        cells = []
        for i in range(n):
            cells.append(_long_cell(rnd, "def") if i % 10 == 5 else _similar_cell(rnd, i))
            if i % 25 == 0:
                md = new_markdown_cell(f"## Trial {i // 25}")
                del md["id"]
                cells.append(md)
        base = new_notebook(cells=cells)
        base.nbformat_minor = 4
        remote = nbformat.from_dict(json.loads(json.dumps(base)))  # type: ignore[no-untyped-call]
        rc = remote.cells
        for i in rnd.sample(range(len(rc)), len(rc) // 3):
            cell = rc[i]
            if cell.source.startswith("def "):
                cell.source = cell.source.replace("units=", "units=1", 3)
            elif cell.cell_type == "code":
                cell.source = cell.source.replace("epochs=", "epochs=1", 1)
                cell.outputs = _similar_cell(rnd, i).outputs
                cell.execution_count = (cell.execution_count or 0) + n
        for _ in range(5):
            rc.insert(rnd.randrange(len(rc)), rc.pop(rnd.randrange(len(rc))))
            rc.insert(rnd.randrange(len(rc)), _similar_cell(rnd, len(rc)))
            del rc[rnd.randrange(len(rc))]
        at = rnd.randrange(len(rc) - 30)
        rc[at : at + 30] = [_long_cell(rnd, "note") for _ in range(30)]
        yield (f"similar/{seed}:{n}", base, remote)


# -- measuring --------------------------------------------------------------------------------
def baseline_module(rev: str) -> types.ModuleType:
    """checkpoints/diff.py as it was at `rev`, imported from git (it imports only nbdime)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:jupyter_mltrack/checkpoints/diff.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"diff_at_{rev}")
    exec(compile(source, f"diff.py@{rev}", "exec"), module.__dict__)
    return module


def timed(fn: Callable[[], Any], reps: int = 1) -> tuple[float, Any]:
    """The shortest of `reps` runs, and the result."""
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


@dataclass
class SetResult:
    name: str
    ours: dict[str, float] = field(default_factory=dict)
    nbdime: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    equivalent: int = 0
    same_counts: int = 0
    same_counts_moves_split: int = 0
    compared: int = 0
    moves: int = 0
    pairs_with_moves: int = 0


def counts(summary: dict[str, Any], split_moves: bool) -> tuple[int, int, int]:
    moved = summary.get("cells_moved", 0) if split_moves else 0
    return (
        summary["cells_added"] + moved,
        summary["cells_removed"] + moved,
        summary["cells_modified"],
    )


def measure(name: str, pairs: Iterator[Pair], old: types.ModuleType | None, reps: int) -> SetResult:
    r = SetResult(name)
    for label, a, b in pairs:
        t, (d, summary) = timed(lambda a=a, b=b: diff_notebooks(a, b), reps)
        r.ours[label] = t
        r.equivalent += nbdime.patch_notebook(a, d) == b
        r.moves += summary["cells_moved"]
        r.pairs_with_moves += summary["cells_moved"] > 0
        r.nbdime[label], _ = timed(lambda a=a, b=b: nbdime.diff_notebooks(a, b))
        if old is not None:
            r.before[label], (_, was) = timed(lambda a=a, b=b: old.diff_notebooks(a, b), reps)
            r.compared += 1
            r.same_counts += counts(summary, False) == counts(was, False)
            r.same_counts_moves_split += counts(summary, True) == counts(was, False)
    return r


def report(r: SetResult) -> None:
    n = len(r.ours)
    ours_t, nbd_t = sum(r.ours.values()), sum(r.nbdime.values())
    worst = max(r.ours, key=r.ours.__getitem__)
    nbd_worst = max(r.nbdime, key=r.nbdime.__getitem__)
    ratios = {k: r.nbdime[k] / max(r.ours[k], 1e-9) for k in r.ours}
    low = min(ratios, key=ratios.__getitem__)
    print(f"\n## {r.name}: {n} pairs")
    print(f"patch equivalence: {r.equivalent}/{n}")
    print(
        f"ours   total {ours_t:8.2f} s, worst pair {r.ours[worst] * 1e3:8.1f} ms ({worst}; "
        f"nbdime {r.nbdime[worst] * 1e3:.0f} ms on it, {ratios[worst]:.0f}x)"
    )
    print(
        f"nbdime total {nbd_t:8.2f} s, worst pair {r.nbdime[nbd_worst] * 1e3:8.1f} ms "
        f"({nbd_worst}; ours {r.ours[nbd_worst] * 1e3:.1f} ms)"
    )
    print(
        f"ratio: total {nbd_t / ours_t:.0f}x, worst vs worst "
        f"{r.nbdime[nbd_worst] / r.ours[worst]:.0f}x, smallest per pair {ratios[low]:.0f}x ({low}: "
        f"{r.ours[low] * 1e3:.1f} vs {r.nbdime[low] * 1e3:.1f} ms)"
    )
    if r.compared:
        before_t = sum(r.before.values())
        before_worst = max(r.before, key=r.before.__getitem__)
        print(
            f"before (baseline diff): total {before_t:.2f} s, worst pair "
            f"{r.before[before_worst] * 1e3:.0f} ms ({before_worst}); ratio to nbdime "
            f"{nbd_t / before_t:.0f}x"
        )
        print(
            f"summary stability (added, removed, modified as before): "
            f"{r.same_counts_moves_split / r.compared:.1%} with moves counted as removed + "
            f"added; {r.same_counts / r.compared:.1%} as reported"
        )
    print(f"moves: {r.moves} in {r.pairs_with_moves} pairs")


# -- HTTP -------------------------------------------------------------------------------------
def bench_http(
    set_name: str,
    histories: dict[str, list[tuple[str, bytes]]],
    nbdime_times: dict[str, float],
    reps: int,
) -> None:
    """Each revision of the set `set_name` checkpointed through the server, then the GET diff of
    each pair nbdime was timed on (all, or the sample): the first request (the pair's new side
    not yet read since its checkpoint was taken) and the shortest of `reps`."""
    first: dict[str, float] = {}
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-diff-http-") as tmp:
        work = Path(tmp)
        root = work / "root"
        server = LabServer(f"sqlite:///{work}/mltrack.db", work / "blobs", root)
        try:
            ids: dict[str, list[tuple[str, str]]] = {}
            for nb_name, revisions in histories.items():
                path = root / f"{nb_name}.ipynb"
                for name, raw in revisions:
                    path.write_bytes(raw)
                    try:
                        entry = json.loads(
                            server.request("POST", "checkpoints", {"path": path.name})
                        )
                    except urllib.error.HTTPError:  # not JSON: 422, as in the corpus
                        continue
                    ids.setdefault(nb_name, []).append((name, entry["id"]))
            for nb_name, entries in ids.items():
                for (na, ia), (nb, ib) in itertools.pairwise(entries):
                    label = f"{nb_name}/{na[:3]}-{nb[:3]}"
                    if label not in nbdime_times:
                        continue

                    def get(ia: str = ia, ib: str = ib) -> Any:
                        return json.loads(server.request("GET", "diff", base=ia, remote=ib))

                    first[label], body = timed(get)
                    assert "summary" in body
                    best[label], _ = timed(get, reps)
        finally:
            server.close()
    both = [k for k in first if k in nbdime_times]
    nbd_t = sum(nbdime_times[k] for k in both)
    print(
        f"\n## HTTP: GET /mltrack/api/diff of {len(both)} {set_name} pairs, both sides "
        f"checkpointed (request, body and JSON parse) vs nbdime.diff_notebooks in process "
        f"({nbd_t:.2f} s)"
    )
    for what, times in (("first request", first), (f"shortest of {reps}", best)):
        total = sum(times[k] for k in both)
        worst = max(both, key=times.__getitem__)
        ratios = {k: nbdime_times[k] / times[k] for k in both}
        low = min(ratios, key=ratios.__getitem__)
        print(
            f"{what:>15}: total {total:.2f} s, {nbd_t / total:.0f}x; worst pair "
            f"{times[worst] * 1e3:.0f} ms ({worst}, nbdime {nbdime_times[worst] * 1e3:.0f} ms); "
            f"smallest per pair {ratios[low]:.1f}x ({low}: {times[low] * 1e3:.0f} vs "
            f"{nbdime_times[low] * 1e3:.0f} ms)"
        )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", help="extracted histories (default: extracted to a temp dir)")
    ap.add_argument("--seeds", default="1", help="variant seeds, comma separated")
    ap.add_argument(
        "--quick", action="store_true", help="the two smallest histories, 4 similar, no HTTP"
    )
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument(
        "--only",
        default="corpus,variants,edits,similar,http,http-variants",
        help="pair sets to run, comma separated (http needs corpus's nbdime times: runs it; "
        "http-variants runs variants-S and times it over HTTP too)",
    )
    ap.add_argument(
        "--sample", type=int, metavar="N", help="about N pairs of each history set (every k-th)"
    )
    ap.add_argument(
        "--reps", type=int, default=3, help="runs of ours and of the baseline, shortest kept"
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the stability check")
    ap.add_argument("--baseline", default=BASELINE_REV, help="git revision to compare with")
    args = ap.parse_args()
    # Generated cells have no ids on purpose (nbformat 4.4), which nbformat warns about.
    warnings.filterwarnings("ignore", category=MissingIDFieldWarning)

    with tempfile.TemporaryDirectory(prefix="bench-diff-corpus-") as tmp:
        root = Path(args.corpus) if args.corpus else extract(Path(tmp) / "corpus")
        histories = load_corpus(root)
    if args.quick:
        smallest = sorted(histories, key=lambda k: sum(len(raw) for _, raw in histories[k]))
        histories = {k: histories[k] for k in sorted(smallest[:2])}
    old = None if args.no_baseline else baseline_module(args.baseline)

    only = set(args.only.split(","))
    seeds = [int(s) for s in args.seeds.split(",")]
    # The history sets timed over HTTP too, by name; nbdime's times of each are kept for it.
    http: dict[str, dict[str, list[tuple[str, bytes]]]] = {}
    if "http" in only:
        http["corpus"] = histories
    if "http-variants" in only:
        for seed in seeds:
            http[f"variants-{seed}"] = {k: variants(v, seed) for k, v in histories.items()}

    def history_set(revisions: dict[str, list[tuple[str, bytes]]], seed: int) -> Iterator[Pair]:
        total = sum(max(len(v) - 1, 0) for v in revisions.values())
        return sample(consecutive(revisions), total, args.sample, seed)

    def sets() -> Iterator[tuple[str, Iterator[Pair]]]:
        if "corpus" in only or "corpus" in http:
            yield "corpus", history_set(histories, seeds[0])
        for seed in seeds:
            name = f"variants-{seed}"
            if "variants" in only or name in http:
                varied = http.get(name) or {k: variants(v, seed) for k, v in histories.items()}
                yield name, history_set(varied, seed)
            if "edits" in only:
                total = sum(len(v) for v in histories.values())
                yield (
                    f"edits-{seed}",
                    sample(own_variants(histories, seed), total, args.sample, seed),
                )
        if "similar" in only:
            yield "similar", similar_pairs(4 if args.quick else 12)

    nbdime_times: dict[str, dict[str, float]] = {}
    for name, pairs in sets():
        result = measure(name, pairs, old, args.reps)
        report(result)
        nbdime_times[name] = result.nbdime
        sys.stdout.flush()
    if not (args.quick or args.no_http):
        for name, revisions in http.items():
            bench_http(name, revisions, nbdime_times[name], args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
