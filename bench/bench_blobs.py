"""Blob throughput, folder against S3 (moto's standalone server on 127.0.0.1, started here):
put_many of small blobs (checkpoint chunks, figures), get of each, and one large put_file /
copy_to (a model file, streamed and uploaded in parts on S3).

    .venv/bin/python bench/bench_blobs.py
    .venv/bin/python bench/bench_blobs.py --small 2000 --size 4096 --big-mb 64

moto is a Python server sharing this machine's cores, so its S3 figures are a floor for the
client's overhead, not what a real bucket gives (a real one adds network latency per request,
which put_many's concurrent uploads hide).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from s3_server import S3Server

from jupyter_mltrack.store.blob_api import Blobs, open_blobs


def bench(blobs: Blobs, items: list[tuple[str, bytes]], big: Path, out: Path) -> dict[str, float]:
    total = sum(len(d) for _s, d in items)
    t = time.perf_counter()
    blobs.put_many(items)
    put_s = time.perf_counter() - t
    t = time.perf_counter()
    for sha, _d in items:
        blobs.get(sha)
    get_s = time.perf_counter() - t
    t = time.perf_counter()
    sha, size = blobs.put_file(big)
    put_file_s = time.perf_counter() - t
    t = time.perf_counter()
    blobs.copy_to(sha, out)
    copy_s = time.perf_counter() - t
    mb = 1 << 20
    return {
        "put_many blobs/s": len(items) / put_s,
        "put_many MB/s": total / mb / put_s,
        "get blobs/s": len(items) / get_s,
        "put_file MB/s": size / mb / put_file_s,
        "copy_to MB/s": size / mb / copy_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1000, help="number of small blobs")
    ap.add_argument("--size", type=int, default=8192, help="bytes per small blob")
    ap.add_argument("--big-mb", type=int, default=32, help="size of the large file (MiB)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        items = [
            (hashlib.sha256(d).hexdigest(), d)
            for d in (os.urandom(args.size) for _ in range(args.small))
        ]
        big = base / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.big_mb):
                f.write(os.urandom(1 << 20))
        server = S3Server(base)
        server.start()
        try:
            os.environ.update(server.env())
            rows = {
                "folder": bench(open_blobs(base / "blobs"), items, big, base / "out-folder"),
                "s3 (moto)": bench(
                    open_blobs(f"s3://{server.bucket()}/blobs"), items, big, base / "out-s3"
                ),
            }
        finally:
            server.stop()
    print(f"{args.small} blobs of {args.size} B, one file of {args.big_mb} MiB")
    keys = list(next(iter(rows.values())))
    print(f"{'':12}" + "".join(f"{k:>20}" for k in keys))
    for name, row in rows.items():
        print(f"{name:12}" + "".join(f"{row[k]:>20,.1f}" for k in keys))


if __name__ == "__main__":
    main()
