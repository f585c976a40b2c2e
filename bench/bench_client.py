"""Tracking-client benchmark: jupyter-mltrack against neptune, W&B, MLflow and Aim, measured in
the same run by the same harness (../shared/bench-peers/common.py), interleaved per repetition.

  bash bench/peers/setup_venvs.sh             # once: /tmp/bench/venvs/<peer> (pinned versions)
  .venv/bin/python bench/bench_client.py       # full: 100k points per peer job, 1M for ours
  .venv/bin/python bench/bench_client.py --quick           # 10k points, 1 rep, a minute or two
  .venv/bin/python bench/bench_client.py --peers neptune   # a subset (or --peers none)
  .venv/bin/python bench/bench_client.py --only wide --reps 5   # the 10,000-series jobs only

Prints, per scenario, our median caller time per point, time until durable, disk per point,
and each peer's figures with the ratio peer/ours from the same repetition; then our own
figures against the issue's targets (1 µs/call, 1M points durable <= 2 s, <= 32 B/point,
read-back of 1M points <= 0.5 s, import <= 0.3 s, init_run <= 100 ms; 10,000 series x 100
points: wait() <= 1.5 s and <= 32 B/point on SQLite and on PostgreSQL, issue 19.2).

PostgreSQL: each job gets a fresh database on the server of --pg (an admin URL, default
$MLTRACK_BENCH_PG or the local postgres@127.0.0.1:5432; --pg none skips those jobs); its disk
is the database's size (pg_database_size) less what it held before the first point.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS_DIR = Path(os.environ.get("BENCH_PEERS", REPO.parent / "shared" / "bench-peers"))
VENVS = Path(os.environ.get("BENCH_VENVS", "/tmp/bench/venvs"))
OURS = ("mltrack", str(REPO / ".venv" / "bin" / "python"), str(HERE / "peers" / "bench_mltrack.py"))

# Metric logging only, as the peers are configured: the run context (hardware, console, git,
# environment, source, cells) is switched off through its environment variables.
NO_CAPTURE = {
    f"MLTRACK_CAPTURE_{k}": "0"
    for k in ("HARDWARE", "STDOUT", "STDERR", "GIT", "ENVIRONMENT", "SOURCE", "CELLS")
}

# (scenario label, our job, {peer: job}); a job is (variant, scenario, n).
SCENARIOS = [
    (
        "1 series, one call per point",
        ("log", "single", 100_000),
        {
            "neptune": ("append", "single", 100_000),
            "wandb": ("log", "single", 100_000),
            "mlflow": ("batch", "single", 100_000),
            "aim": ("track", "single", 100_000),
        },
    ),
    (
        "100 names x steps, one call per name",
        ("log", "multi", 100_000),
        {
            "neptune": ("append", "multi", 100_000),
            "aim": ("track", "multi", 100_000),
        },
    ),
    (
        "100 names x steps, one dict call per step",
        ("dict", "multi", 100_000),
        {
            "neptune": ("dict", "multi", 100_000),
            "wandb": ("dict", "multi", 100_000),
            "mlflow": ("batch", "multi", 100_000),
            "aim": ("dict", "multi", 100_000),
        },
    ),
    (
        "empty run (import, init, baseline disk)",
        ("log", "empty", 0),
        {
            "neptune": ("append", "empty", 0),
            "wandb": ("log", "empty", 0),
            "mlflow": ("sync", "empty", 0),
            "aim": ("track", "empty", 0),
        },
    ),
]
# Ours only: the 1M-point figures, and many series (issue 19.2) on each backend.
OWN = [
    ("1M points: 100 series x 10,000 steps", ("log", "multi", 1_000_000)),
    ("1M points: one series (read-back)", ("log", "single", 1_000_000)),
    ("10,000 series x 100 steps, SQLite", ("wide", "multi", 1_000_000)),
    ("10,000 series x 100 steps, PostgreSQL", ("wide", "multi", 1_000_000)),
]
WIDE = {OWN[2][0]: "sqlite", OWN[3][0]: "postgresql"}
PG_DEFAULT = os.environ.get("MLTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_job(
    peer: str,
    job: tuple[str, str, int],
    rep: int,
    data: Path,
    results: Path,
    pg: str | None = None,
) -> dict:
    """One job in a fresh process; `pg`: our store is a fresh database on that server."""
    variant, scenario, n = job
    if peer == "mltrack":
        python, script = OURS[1], OURS[2]
    else:
        python, script = str(VENVS / peer / "bin" / "python"), str(PEERS_DIR / f"bench_{peer}.py")
    out = data / f"{peer}-{variant}-{scenario}-{n}-r{rep}"
    shutil.rmtree(out, ignore_errors=True)
    tag = f"{time.time_ns()}"
    cmd = [
        python,
        script,
        "--variant",
        variant,
        "--scenario",
        scenario,
        "--n",
        str(n),
        "--out-dir",
        str(out),
        "--result-file",
        str(results),
        "--rep",
        str(rep),
        "--tag",
        tag,
    ]
    env = dict(os.environ, WANDB_SILENT="true", PYTHONWARNINGS="ignore", **NO_CAPTURE)
    env.pop("MLTRACK_BENCH_PG", None)
    if pg:
        env["MLTRACK_BENCH_PG"] = pg
    t = time.time()
    p = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=str(PEERS_DIR), timeout=1200
    )
    shutil.rmtree(out, ignore_errors=True)
    if p.returncode != 0:
        print(f"  !! {peer}/{variant}/{scenario} failed: {p.stderr[-800:]}", file=sys.stderr)
        return {}
    for line in results.read_text().splitlines()[::-1]:
        row = json.loads(line)
        if row.get("tag") == tag:
            print(
                f"  {peer:8s} {variant:7s} {scenario:7s} n={n:>9,}  {time.time() - t:5.1f}s",
                flush=True,
            )
            return row
    return {}


def fmt(x: float | None, unit: str = "", digits: int = 2) -> str:
    if x is None:
        return "-"
    return f"{x:,.{digits}f}{unit}"


def per_point_disk(row: dict, empty: dict | None) -> float | None:
    n = row.get("n_points") or 0
    if not n or not row:
        return None
    base = empty.get("disk_bytes", 0) if empty else 0
    return (row["disk_bytes"] - base) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 points per job, 1 rep")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--peers", default="neptune,wandb,mlflow,aim", help="comma list or 'none'")
    ap.add_argument("--results", default=None, help="JSON lines file (default: a temp file)")
    ap.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL admin URL, or 'none'")
    ap.add_argument(
        "--only",
        choices=["all", "wide"],
        default="all",
        help="wide: only the 10,000-series jobs (SQLite and PostgreSQL), no peers",
    )
    a = ap.parse_args()
    wide_only = a.only == "wide"
    pg = None if a.pg == "none" else a.pg
    peers = [] if a.peers == "none" else [p for p in a.peers.split(",") if p]
    missing = [p for p in peers if not (VENVS / p / "bin" / "python").exists()]
    if missing:
        print(
            f"no venv for {', '.join(missing)} under {VENVS}: run bash bench/peers/setup_venvs.sh"
            " (skipping them)",
            file=sys.stderr,
        )
        peers = [p for p in peers if p not in missing]
    if peers and not PEERS_DIR.is_dir():
        print(f"peer scripts not found at {PEERS_DIR} (set BENCH_PEERS)", file=sys.stderr)
        return 2
    scale = 10 if a.quick else 1
    reps = 1 if a.quick else a.reps
    _compile_ours()
    data = Path(tempfile.mkdtemp(prefix="bench-client-"))
    results = Path(a.results) if a.results else data / "results.jsonl"
    results.touch()

    def scaled(job: tuple[str, str, int]) -> tuple[str, str, int]:
        return (job[0], job[1], job[2] // scale)

    rows: dict[tuple[int, str, str], dict] = {}
    for rep in range(reps):
        print(f"== repetition {rep} (load {os.getloadavg()[0]:.2f})")
        for label, ours, theirs in [] if wide_only else SCENARIOS:
            order = ["mltrack", *[p for p in peers if p in theirs]]
            if rep % 2:
                order.reverse()
            for peer in order:
                job = scaled(ours if peer == "mltrack" else theirs[peer])
                rows[(rep, label, peer)] = run_job(peer, job, rep, data, results)
        for label, ours in OWN:
            if wide_only and label not in WIDE:
                continue
            if WIDE.get(label) == "postgresql":
                if pg:
                    rows[(rep, label, "mltrack")] = run_job(
                        "mltrack", scaled(ours), rep, data, results, pg
                    )
                continue
            rows[(rep, label, "mltrack")] = run_job("mltrack", scaled(ours), rep, data, results)

    empty_label = SCENARIOS[-1][0]
    print("\n## Same-run comparison (medians over repetitions; ratio = peer / ours, per rep)\n")
    print(
        "| scenario | tracker | µs/pt median | p99 | durable s | s per 100k pts | disk B/pt "
        "| caller-time ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, _ours, theirs in SCENARIOS[:-1]:
        for peer in ["mltrack", *[p for p in peers if p in theirs]]:
            reps_rows = [rows.get((r, label, peer)) or {} for r in range(reps)]
            got = [r for r in reps_rows if r]
            if not got:
                continue
            med = statistics.median(r["us_median"] for r in got)
            p99 = statistics.median(r["us_p99"] for r in got)
            dur = statistics.median(r["total_s"] for r in got)
            per100k = dur / got[0]["n_points"] * 100_000
            disk = statistics.median(
                d
                for r in range(reps)
                if (rr := rows.get((r, label, peer)))
                and (d := per_point_disk(rr, rows.get((r, empty_label, peer)))) is not None
            )
            ratios = [
                rows[(r, label, peer)]["us_median"] / rows[(r, label, "mltrack")]["us_median"]
                for r in range(reps)
                if rows.get((r, label, peer)) and rows.get((r, label, "mltrack"))
            ]
            ratio = (
                "1"
                if peer == "mltrack"
                else f"{statistics.median(ratios):,.0f}x"
                if ratios
                else "-"
            )
            print(
                f"| {label} | {peer} {got[0].get('api', '')} | {fmt(med)} | {fmt(p99)} | "
                f"{fmt(dur)} | {fmt(per100k)} | {fmt(disk, '', 1)} | {ratio} |"
            )
    print("\n| tracker | import s | init s | import + init s |")
    print("|---|---|---|---|")
    for peer in ["mltrack", *[p for p in peers if p in SCENARIOS[-1][2]]]:
        got = [rows.get((r, empty_label, peer)) for r in range(reps)]
        got = [g for g in got if g]
        if got:
            imp = statistics.median(g["import_s"] for g in got)
            ini = statistics.median(g["init_s"] for g in got)
            print(f"| {peer} | {imp:.3f} | {ini:.3f} | {imp + ini:.3f} |")

    print("\n## Ours against the issue's targets\n")

    def own(label: str) -> list[dict]:
        return [g for r in range(reps) if (g := rows.get((r, label, "mltrack")))]

    m1 = own(OWN[0][0])
    s1 = own(OWN[1][0])
    single = own(SCENARIOS[0][0])
    dct = own(SCENARIOS[2][0])
    empty = own(empty_label)
    checks: list[tuple[str, float, float | None]] = []
    if single:
        checks.append(
            ("log() caller time, median µs", statistics.median(r["us_median"] for r in single), 1.0)
        )
    if dct:
        checks.append(
            (
                "dict of 100 per step, µs per value",
                statistics.median(r["us_median"] for r in dct),
                1.0,
            )
        )
    if m1:
        n = m1[0]["n_points"]
        checks.append(
            (
                f"{n:,} points (100 series) logged + wait() returned, s",
                statistics.median(r["loop_s"] + r["wait_s"] for r in m1),
                2.0,
            )
        )
        base = empty[0]["disk_bytes"] if empty else 0
        checks.append(
            (
                "disk bytes per point (SQLite db + WAL, minus empty store)",
                statistics.median((r["disk_bytes"] - base) / r["n_points"] for r in m1),
                32.0,
            )
        )
    for label, backend in WIDE.items():
        wide = own(label)
        if not wide:
            continue
        n = wide[0]["n_points"]
        checks.append(
            (
                f"{n:,} points of 10,000 series ({backend}): wait() after the loop, s",
                statistics.median(r["wait_s"] for r in wide),
                1.5,
            )
        )
        if len(wide) > 1:
            checks.append(
                (
                    f"... the same: wait(), max of {len(wide)}, s",
                    max(r["wait_s"] for r in wide),
                    1.5,
                )
            )
        checks.append(
            (
                f"... the same: store bytes per point ({backend}, less the empty run's)",
                statistics.median(
                    (r["store_bytes"] - r["empty_store_bytes"]) / r["n_points"] for r in wide
                ),
                32.0,
            )
        )
        checks.append(
            (
                f"... the same: log() caller time ({backend}), median µs",
                statistics.median(r["us_median"] for r in wide),
                None,
            )
        )
    if s1:
        n = s1[0]["read_points"]
        checks.append(
            (
                f"read back a {n:,}-point series, s",
                statistics.median(r["read_s"] for r in s1),
                0.5,
            )
        )
    if empty:
        checks.append(
            ("import jupyter_mltrack, s", statistics.median(r["import_s"] for r in empty), 0.3)
        )
        checks.append(
            (
                "init_run as the peer harness times it (fresh process, new store), s",
                statistics.median(r["init_s"] for r in empty),
                0.1,
            )
        )
    # init_run returns before the run row exists (the writer thread creates it); the time
    # until it does (`run.id` answers) is printed beside it, with no target of its own.
    if not wide_only:
        t = _init_times()
        checks.append(
            (
                "first init_run in a fresh process, existing store (incl. importing the client), s",
                t["cold_init"],
                0.1,
            )
        )
        checks.append(
            ("... until the run row exists there (run.id answers), s", t["cold_id"], None)
        )
        checks.append(("first init_run in a fresh process on a new store, s", t["new_init"], 0.1))
        checks.append(
            ("... until the run row exists (schema created, run.id answers), s", t["new_id"], None)
        )
        checks.append(("init_run on an open store (second run in the process), s", t["warm"], 0.1))
    print("| figure | ours | target | ok |")
    print("|---|---|---|---|")
    for name, value, target in checks:
        full_size_only = (
            ("points" in name and "wait()" in name)
            or "read back" in name
            or "store bytes per point" in name  # 10 points per series: the rows dominate
        )
        if a.quick and full_size_only:
            print(f"| {name} | {value:,.3f} | (1M-point target; not at --quick size) | - |")
            continue
        if target is None:
            print(f"| {name} | {value:,.3f} | - | - |")
            continue
        print(f"| {name} | {value:,.3f} | {target:,.3f} | {'yes' if value <= target else 'NO'} |")
    if a.quick:
        print("\n(--quick: 1/10 of the points; per-point figures are indicative only)")
    shutil.rmtree(data, ignore_errors=True)
    return 0


def _compile_ours() -> None:
    """Byte-compile our package, as pip does when it installs a wheel (and did for each peer).
    An editable checkout under PYTHONDONTWRITEBYTECODE=1 (set on these machines) would
    otherwise recompile every module of ours on every import, which no installed user pays."""
    import compileall

    import jupyter_mltrack

    ok = compileall.compile_dir(Path(jupyter_mltrack.__file__).parent, quiet=1)
    print(f"compiled our bytecode: {'ok' if ok else 'FAILED'}")


def _init_times(reps: int = 3) -> dict[str, float]:
    """Medians over fresh processes: `init_run` returning and `run.id` answering (the row
    created by the writer thread), first in a process on an existing and on a new store; and
    the median init_run once the store is open."""
    env = dict(os.environ, **NO_CAPTURE)
    timed = (
        "import sys, time, json, jupyter_mltrack as m; t = time.perf_counter();"
        "r = m.init_run(store=sys.argv[1], project='p'); t1 = time.perf_counter(); r.id;"
        "t2 = time.perf_counter(); r.stop(); print(json.dumps([t1 - t, t2 - t]))"
    )
    warm = (
        "import sys, time, jupyter_mltrack as m; ts = []\n"
        "m.init_run(store=sys.argv[1], project='p').stop()\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); r = m.init_run(store=sys.argv[1], project='p')\n"
        "    ts.append(time.perf_counter() - t); r.stop()\n"
        "print(sorted(ts)[2])"
    )

    def py(code: str, db: str) -> str:
        return subprocess.run(
            [OURS[1], "-c", code, db], capture_output=True, text=True, check=True, env=env
        ).stdout

    out: dict[str, list[float]] = {k: [] for k in ("cold_init", "cold_id", "new_init", "new_id")}
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "s.db")
        py("import sys, jupyter_mltrack as m; m.init_run(store=sys.argv[1]).stop()", db)
        for k in range(reps):
            ini, ready = json.loads(py(timed, db))
            out["cold_init"].append(ini)
            out["cold_id"].append(ready)
            ini, ready = json.loads(py(timed, os.path.join(d, f"new{k}.db")))
            out["new_init"].append(ini)
            out["new_id"].append(ready)
        warm_s = float(py(warm, db))
    return {**{k: statistics.median(v) for k, v in out.items()}, "warm": warm_s}


if __name__ == "__main__":
    sys.exit(main())
