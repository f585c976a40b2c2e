"""Packs under faults and concurrency: torn and garbled appends are skipped (never served)
and cut off by the next writer, several processes append to one pack, and gc repacks while
a writer in another process goes on appending, losing nothing live."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from blob_helpers import put_aged, tamper, where
from test_store_blobs import png

from jupyter_mltrack.errors import CorruptBlob, NotFound
from jupyter_mltrack.store import packfile, packs, repack
from jupyter_mltrack.store.blobs import BlobStore


def pack_files(root: Path) -> list[Path]:
    return sorted((root / "packs").glob("pack-*.mlp"))


def three(root: Path) -> tuple[BlobStore, list[str]]:
    b = BlobStore(root)
    return b, [b.put(f"blob {i} ".encode() * 40 + os.urandom(40)) for i in range(3)]


def test_a_torn_append_is_skipped_and_the_next_append_cuts_it_off(tmp_path: Path) -> None:
    b, (s1, s2, s3) = three(tmp_path)
    [pack] = pack_files(tmp_path)
    _path, offset, _length = where(b, s3)
    end_of_s2 = offset - packfile.HEAD.size
    with open(pack, "r+b") as f:
        f.truncate(pack.stat().st_size - 7)  # the writer died mid-record
    fresh = BlobStore(tmp_path)
    assert fresh.get(s1) and fresh.get(s2)
    with pytest.raises(NotFound):
        fresh.get(s3)
    assert not fresh.exists(s3) and fresh.problems() == []  # a torn tail is no damage
    s4 = fresh.put(b"after the tear" * 20)
    _path, off4, _len = where(fresh, s4)
    assert off4 == end_of_s2 + packfile.HEAD.size  # the torn bytes were cut off first
    again = BlobStore(tmp_path)
    assert again.get(s4) == b"after the tear" * 20 and again.get(s1)
    again.put(b"blob 2 " * 40)  # and anything can be written again
    assert BlobStore(tmp_path).get(s2)


def test_a_garbled_tail_is_reported_corrupt_then_cut_off(tmp_path: Path) -> None:
    b, (s1, s2, s3) = three(tmp_path)
    tamper(b, s3)
    fresh = BlobStore(tmp_path)
    with pytest.raises(CorruptBlob):
        fresh.get(s3)
    assert fresh.get(s1) and fresh.get(s2)
    assert len(fresh.problems()) == 1
    s4 = fresh.put(b"next" * 100)
    again = BlobStore(tmp_path)
    assert again.get(s4) == b"next" * 100 and again.problems() == []
    with pytest.raises(NotFound):
        again.get(s3)


def test_damage_inside_a_pack_costs_one_record_and_heals_when_written_again(
    tmp_path: Path,
) -> None:
    b, (s1, s2, s3) = three(tmp_path)
    data2 = b.get(s2)
    tamper(b, s2)
    fresh = BlobStore(tmp_path)
    with pytest.raises(CorruptBlob):
        fresh.get(s2)
    assert fresh.get(s1) and fresh.get(s3)  # the records after it are found again
    [problem] = fresh.problems()
    assert "damaged" in problem
    assert not fresh.exists(s2)
    fresh.put(data2)
    assert BlobStore(tmp_path).get(s2) == data2


def test_a_garbled_length_reads_as_a_torn_tail(tmp_path: Path) -> None:
    b, (_s1, s2, s3) = three(tmp_path)
    [pack] = pack_files(tmp_path)
    _path, offset, _length = where(b, s3)
    with open(pack, "r+b") as f:
        f.seek(offset - packfile.HEAD.size + 6)  # the length field
        f.write(struct.pack(">I", 0xFFFFFFF0))
    fresh = BlobStore(tmp_path)
    with pytest.raises(NotFound):
        fresh.get(s3)
    s4 = fresh.put(b"fine" * 50)
    assert BlobStore(tmp_path).get(s4) == b"fine" * 50 and BlobStore(tmp_path).get(s2)


WRITER = """
import os, sys, time
from pathlib import Path
from jupyter_mltrack.store.blobs import BlobStore
root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = BlobStore(Path(root))
for i in range(n):
    b.put(f"shared {i % 50} ".encode() * 30)   # the same in every writer: stored once
    b.put(f"{tag} {i} ".encode() * 30)
"""


def test_several_processes_append_to_one_pack(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"w{k}", "150"])
        for k in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    b = BlobStore(tmp_path)
    expected = {f"shared {i} ".encode() * 30 for i in range(50)} | {
        f"w{k} {i} ".encode() * 30 for k in range(3) for i in range(150)
    }
    shas = {hashlib.sha256(d).hexdigest(): d for d in expected}
    assert set(b.all_shas()) == set(shas)
    assert all(b.get(s) == d for s, d in shas.items())
    [pack] = pack_files(tmp_path)
    fd = os.open(pack, os.O_RDONLY)
    found = packfile.scan(fd, len(packfile.PACK_HEADER), pack.stat().st_size)
    os.close(fd)
    assert len(found.entries) == len(shas)  # nothing written twice
    assert found.damaged == [] and b.problems() == []


def test_gc_repacks_what_stays_and_drops_the_rest(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    live = put_aged(b, b"live " * 100, 7200)
    dead = put_aged(b, b"dead " * 100, 7200)
    young = b.put(b"young and unreferenced " * 10)
    dry = b.collect({live}, grace=3600, dry_run=True)
    assert dry.removed == (dead,) and dry.freed > 0 and BlobStore(tmp_path).get(dead)
    done = b.collect({live}, grace=3600)
    assert done.removed == (dead,)
    fresh = BlobStore(tmp_path)
    assert fresh.get(live) == b"live " * 100 and fresh.get(young)
    with pytest.raises(NotFound):
        fresh.get(dead)
    [pack] = pack_files(tmp_path)
    assert pack.with_suffix(".idx").is_file()
    fresh.packs.refresh()
    [loaded] = fresh.packs.packs.values()
    assert loaded.idx is not None and loaded.entries == {}  # read from its index
    assert b.get(live) and b.put(b"after gc") and BlobStore(tmp_path).get(young)


def test_a_blob_reused_after_a_while_survives_gc_within_its_grace(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    reused = put_aged(b, b"an old chunk a new checkpoint has again" * 5, 7200)
    forgotten = put_aged(b, b"an old chunk nobody wants" * 5, 7200)
    assert b.exists(reused)  # the checkpoint will name it: it is marked reused
    done = b.collect(set(), grace=3600)
    assert done.removed == (forgotten,)
    assert BlobStore(tmp_path).get(reused)


GC_WRITER = """
import os, sys, time
from pathlib import Path
from jupyter_mltrack.store.blobs import BlobStore
root, n, tests, reused = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
sys.path.insert(0, tests)
from test_store_blobs import png
b = BlobStore(root)
b.packs.refresh()  # knows the old packs, as a running kernel would
(root / "ready").touch()
while not (root / "packs" / "pack-000001.idx").exists():  # gc has sealed the old pack
    time.sleep(0.001)
for k in range(7):  # old figures' image data under new headers: their pieces are reused
    b.put(png(b"new header", bytes([k]) * 20_000 + b"pixels"))
for sha in reused:  # a new checkpoint finds old chunks and will name them
    assert b.exists(sha)
(root / "reused").touch()
for i in range(n):
    b.put(f"new {i} ".encode() * 40)
"""


def test_a_writer_appending_while_gc_runs_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = BlobStore(tmp_path)
    old_live = [put_aged(b, f"old live {i} ".encode() * 30, 7200) for i in range(200)]
    old_dead = [put_aged(b, f"old dead {i} ".encode() * 30, 7200) for i in range(200)]
    for k in range(7):
        put_aged(b, png(b"old header", bytes([k]) * 20_000 + b"pixels"), 7200)
    reused, dead = old_dead[:5], old_dead[5:]
    n = 300
    tests = str(Path(__file__).parent)
    writer = subprocess.Popen(
        [sys.executable, "-c", GC_WRITER, str(tmp_path), str(n), tests, *reused]
    )
    real_live = repack._live

    def live_then_wait(*args: object) -> set[bytes]:
        # The gc has sealed the old pack and decided what stays: it waits here until the
        # writer has built on what the old pack holds, so those writes land mid-gc.
        out = real_live(*args)  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while not (tmp_path / "reused").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        return out

    while not (tmp_path / "ready").exists():
        assert writer.poll() is None
        time.sleep(0.01)
    monkeypatch.setattr(repack, "_live", live_then_wait)
    b.collect(set(old_live), grace=3600)
    monkeypatch.undo()
    while writer.poll() is None:  # and more gcs while it goes on appending
        b.collect(set(old_live), grace=3600)
    assert writer.wait(timeout=120) == 0
    b.collect(set(old_live), grace=3600)
    fresh = BlobStore(tmp_path)
    new_figures = [png(b"new header", bytes([k]) * 20_000 + b"pixels") for k in range(7)]
    new = [f"new {i} ".encode() * 40 for i in range(n)]
    expected = {hashlib.sha256(d).hexdigest() for d in new_figures + new}
    expected |= set(old_live) | set(reused)
    assert set(fresh.all_shas()) == expected
    for sha in expected:
        assert hashlib.sha256(fresh.get(sha)).hexdigest() == sha
    for sha in dead:
        with pytest.raises(NotFound):
            fresh.get(sha)
    assert fresh.problems() == [] and len(pack_files(tmp_path)) <= 2


def test_a_full_pack_is_sealed_indexed_and_the_next_one_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "MAX_PACK", 8192)
    b = BlobStore(tmp_path)
    shas = [b.put(os.urandom(1000)) for _ in range(30)]
    files = pack_files(tmp_path)
    assert len(files) >= 3
    assert all(f.with_suffix(".idx").is_file() for f in files[:-1])
    assert not files[-1].with_suffix(".idx").exists()
    fresh = BlobStore(tmp_path)
    assert [hashlib.sha256(fresh.get(s)).hexdigest() for s in shas] == shas
