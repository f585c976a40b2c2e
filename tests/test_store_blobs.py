"""Content-addressed blobs: the `Blobs` contract on both backends (a folder, and an S3 bucket
on the test server: `any_blobs`), then the folder's own layout (small ones packed, large ones
one file each, pieces shared). Every read is verified against the name."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import pytest
from blob_helpers import remove, tamper

from jupyter_mltrack.errors import CorruptBlob, NotFound
from jupyter_mltrack.store import blobs as blobs_mod
from jupyter_mltrack.store import blobs_s3, packfile, pieces
from jupyter_mltrack.store.blob_api import Blobs, open_blobs
from jupyter_mltrack.store.blobs import BlobStore


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name != "gc.lock"]


def allocated(root: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in root.rglob("*") if p.is_file())


def png(header_text: bytes, pixels: bytes) -> bytes:
    """A PNG-shaped blob: signature, a text chunk (what a new matplotlib version changes),
    then the image data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", b"\x00" * 13)
        + chunk(b"tEXt", b"Software\x00" + header_text)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.fixture(params=["folder", "s3"])
def any_blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    """The same suite on both backends: a folder, and a fresh bucket on the S3 test server."""
    if request.param == "folder":
        return open_blobs(tmp_path / "blobs")
    return open_blobs(request.getfixturevalue("s3_blobs_url"))


def test_it_is_a_blobs_implementation(any_blobs: Blobs) -> None:
    store: Blobs = any_blobs  # mypy checks the Protocol; here, that it runs
    assert store.get(store.put(b"x")) == b"x"
    assert store.location.startswith("s3://" if "s3" in type(store).__name__.lower() else "/")


def test_roundtrip_dedup_and_listing(any_blobs: Blobs) -> None:
    b = any_blobs
    data = b'{"cell": "x"}' * 100
    sha = b.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert b.put(data) == sha and b.put(data, sha) == sha
    assert b.get(sha) == data and open_blobs(b.location).get(sha) == data
    assert 0 < b.stored_size(sha) <= len(data) + 64
    assert list(b.all_shas()) == [sha] and b.exists(sha) and open_blobs(b.location).exists(sha)
    b.sync()


def test_put_many_stores_each_once(any_blobs: Blobs) -> None:
    b = any_blobs
    items = [(hashlib.sha256(d).hexdigest(), d) for d in (b"a" * 50, b"b" * 60, b"a" * 50)]
    assert b.put_many(items) == 2
    assert b.put_many(items) == 0
    assert {b.get(s) for s, _d in items} == {b"a" * 50, b"b" * 60}
    many = [os.urandom(200 + i) for i in range(40)]
    assert b.put_many((hashlib.sha256(d).hexdigest(), d) for d in many) == 40
    assert set(b.all_shas()) == {s for s, _ in items} | {
        hashlib.sha256(d).hexdigest() for d in many
    }


def test_a_corrupt_blob_is_reported_and_never_served(any_blobs: Blobs, tmp_path: Path) -> None:
    b = any_blobs
    sha = b.put(os.urandom(1000))
    tamper(b, sha)
    with pytest.raises(CorruptBlob):
        b.get(sha)  # this process wrote it: the hash check catches it
    with pytest.raises(CorruptBlob):
        open_blobs(b.location).get(sha)  # a fresh one too
    with pytest.raises(CorruptBlob):
        b.copy_to(sha, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("out*"))


def test_a_missing_blob_is_reported(
    any_blobs: Blobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_mod, "LOOSE_FROM", 100)  # a file of its own, to remove
    b = any_blobs
    sha = b.put(os.urandom(1000))
    remove(b, sha)
    fresh = open_blobs(b.location)
    for store in (b, fresh):
        with pytest.raises(NotFound):
            store.get(sha)
        with pytest.raises(NotFound):
            store.copy_to(sha, tmp_path / "out")
        with pytest.raises(NotFound):
            store.stored_size(sha)
    assert not fresh.exists(sha) and sha not in set(fresh.all_shas())
    assert not (tmp_path / "out").exists()


def test_bad_names_and_missing_blobs(any_blobs: Blobs, tmp_path: Path) -> None:
    b = any_blobs
    with pytest.raises(NotFound):
        b.get("../../etc/passwd")
    with pytest.raises(NotFound):
        b.get("0" * 64)
    with pytest.raises(NotFound):
        b.copy_to("0" * 64, tmp_path / "out")
    with pytest.raises(NotFound):
        b.put(b"x", "not-a-sha")
    assert not b.exists("0" * 64)


def test_put_file_streams_large_files(
    any_blobs: Blobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_mod, "LOOSE_FROM", 1 << 20)
    monkeypatch.setattr(blobs_s3, "_STREAM_FROM", 1 << 20)
    monkeypatch.setattr(blobs_s3, "_PART", 5 << 20)  # S3's smallest part
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * 1024 * 1024 + 7))  # three parts on S3
    b = any_blobs
    sha, size = b.put_file(src)
    assert size == src.stat().st_size
    assert sha == hashlib.sha256(src.read_bytes()).hexdigest()
    assert b.put_file(src) == (sha, size) and list(b.all_shas()) == [sha]
    assert b.copy_to(sha, tmp_path / "back.bin") == size
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    small = tmp_path / "small.txt"
    small.write_bytes(b"a small upload")
    sha2, _ = b.put_file(small)
    assert b.get(sha2) == b"a small upload"
    assert set(b.all_shas()) == {sha, sha2}


def test_put_get_roundtrip_and_dedup(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    data = b'{"cell": "x"}' * 100
    sha = b.put(data)
    [pack] = files_under(tmp_path)
    size = pack.stat().st_size
    assert b.put(data) == sha and pack.stat().st_size == size  # not written twice
    assert b.stored_size(sha) < len(data)  # compressible content is compressed


def test_incompressible_content_is_stored_raw(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    data = os.urandom(5000)
    sha = b.put(data)
    assert b.stored_size(sha) == len(data) + packfile.HEAD.size
    assert b.get(sha) == data


def test_small_blobs_take_their_size_on_disk_not_a_block_and_a_file_each(tmp_path: Path) -> None:
    # Issue 16: 3.4 MB of small blobs took 88 MB in 21,818 files.
    b = BlobStore(tmp_path)
    items = [os.urandom(300 + i % 700) for i in range(2000)]
    for data in items:
        b.put(data)
    data_bytes = sum(map(len, items))
    assert len(files_under(tmp_path)) == 1
    assert allocated(tmp_path) < data_bytes + 2000 * packfile.HEAD.size + 8192
    assert all(b.get(hashlib.sha256(d).hexdigest()) == d for d in items[::97])


def test_a_figure_with_a_new_header_shares_its_image_data(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    pixels = os.urandom(40_000)
    first = png(b"matplotlib version 3.0.3", pixels)
    second = png(b"matplotlib version 3.1.0", pixels)
    before = allocated(tmp_path)
    s1 = b.put(first)
    grew = allocated(tmp_path) - before
    s2 = b.put(second)
    assert allocated(tmp_path) - before - grew < 4096  # the second costs its header only
    assert b.get(s1) == first and BlobStore(tmp_path).get(s2) == second
    assert set(b.all_shas()) == {s1, s2}  # pieces are no blobs of their own


def test_big_blobs_are_cut_where_their_content_says(tmp_path: Path) -> None:
    data = os.urandom(600_000)
    parts = pieces.pieces(data)
    assert b"".join(parts) == data and len(parts) > 1
    # Bytes inserted at the front move the cuts with them: later pieces are found again.
    moved = pieces.pieces(os.urandom(1000) + data)
    assert len(set(parts[1:]) & set(moved)) >= len(parts) - 2


def test_a_corrupt_piece_makes_its_blob_corrupt(tmp_path: Path) -> None:
    b = BlobStore(tmp_path)
    data = png(b"v1", os.urandom(30_000))
    sha = b.put(data)
    hit = b.packs.find(bytes.fromhex(sha))
    assert hit is not None and hit[1].kind == packfile.RECIPE
    piece = hashlib.sha256(pieces.pieces(data)[-1]).hexdigest()
    tamper(b, piece)
    with pytest.raises(CorruptBlob):
        b.get(sha)


def test_put_file_streams_large_files_to_a_file_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_mod, "LOOSE_FROM", 1 << 20)
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    b = BlobStore(tmp_path / "blobs")
    sha, size = b.put_file(src)
    assert size == src.stat().st_size
    assert sha == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (tmp_path / "blobs" / sha[:2] / sha[2:]).is_file()
    b.copy_to(sha, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert not list((tmp_path / "blobs").glob(".incoming-*"))
    small = tmp_path / "small.txt"
    small.write_bytes(b"a small upload")
    sha2, _ = b.put_file(small)
    assert not (tmp_path / "blobs" / sha2[:2]).exists()  # packed
    assert b.get(sha2) == b"a small upload"


def test_blobs_of_a_store_written_before_packs_are_read(tmp_path: Path) -> None:
    data = b'{"cell": "old"}' * 50
    sha = hashlib.sha256(data).hexdigest()
    (tmp_path / sha[:2]).mkdir()
    (tmp_path / sha[:2] / sha[2:]).write_bytes(b"MLZ1" + zlib.compress(data))
    b = BlobStore(tmp_path)
    assert b.exists(sha) and b.get(sha) == data and list(b.all_shas()) == [sha]
    assert b.put(data) == sha and not (tmp_path / "packs").exists()  # not stored twice
