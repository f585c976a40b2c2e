"""Blobs on S3 (`MLTRACK_BLOBS=s3://bucket/prefix`) against a real S3-protocol server on
127.0.0.1 (moto, tests/s3_server.py): configuration, gc with its grace, a checkpoint and its
restore, a run's file upload (in the writer thread, kept through an outage), `mltrack gc`,
the health check, and a server restart in the middle of an upload. The contract tests shared
with the folder store are in test_store_blobs.py (`any_blobs`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from blob_helpers import tamper
from nbformat.v4 import new_code_cell, new_notebook, new_output
from s3_server import S3Server
from sqlalchemy import select

import jupyter_mltrack as mlt
from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.checkpoints.notebooks import Folder
from jupyter_mltrack.cli import main
from jupyter_mltrack.client.reporting import MLTrackWarning
from jupyter_mltrack.errors import CorruptBlob, NotFound, StoreError
from jupyter_mltrack.store import blobs_s3, maintenance, upsert
from jupyter_mltrack.store.blob_api import open_blobs
from jupyter_mltrack.store.blobs_s3 import S3Blobs, parse_url, profile_settings
from jupyter_mltrack.store.config import StoreConfig, resolve
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Blob
from jupyter_mltrack.types import File


def _rows(store: Store) -> set[str]:
    with store.read() as s:
        return set(s.scalars(select(Blob.sha256)))


def _registered(store: Store, data: bytes) -> str:
    sha = store.blobs.put(data)
    with store.write() as s:
        upsert.record_blobs(s, [(sha, len(data), "application/octet-stream")])
    return sha


# -- configuration -----------------------------------------------------------------------------
def test_an_s3_url_is_a_blob_location_not_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_BLOBS", "s3://team-bucket/mltrack/blobs")
    cfg = resolve("sqlite:////tmp/x.db")
    assert cfg.blob_url == "s3://team-bucket/mltrack/blobs" and cfg.blobs_in_object_store
    with pytest.raises(ValueError):
        cfg.blob_root  # noqa: B018
    assert "s3://team-bucket/mltrack/blobs" in repr(cfg)
    assert parse_url("s3://b/a/b/") == ("b", "a/b") and parse_url("s3://b") == ("b", "")
    with pytest.raises(StoreError, match="not in the blob URL") as e:
        parse_url("s3://AKIA:hunter2@bucket/p")
    assert "hunter2" not in str(e.value)
    folder = StoreConfig("sqlite:////tmp/x.db", Path("/tmp/blobs"))
    assert folder.blob_root == Path("/tmp/blobs") and not folder.blobs_in_object_store


def test_credentials_region_and_endpoint_come_from_a_profile(tmp_path: Path) -> None:
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
        "[team]\naws_access_key_id = T\naws_secret_access_key = TS\naws_session_token = TT\n"
    )
    (tmp_path / "config").write_text(
        "[default]\nregion = eu-west-1\n"
        "[profile team]\nregion = eu-central-1\nendpoint_url = https://s3.example.test\n"
    )
    files = {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
    }
    assert profile_settings(files) == {
        "access_key_id": "D",
        "secret_access_key": "DS",
        "region": "eu-west-1",
    }
    assert profile_settings({**files, "AWS_PROFILE": "team"}) == {
        "access_key_id": "T",
        "secret_access_key": "TS",
        "session_token": "TT",
        "region": "eu-central-1",
        "endpoint": "https://s3.example.test",
    }
    # The standard variables win over any profile.
    env = {**files, "AWS_ACCESS_KEY_ID": "E", "AWS_DEFAULT_REGION": "x", "AWS_ENDPOINT_URL": "y"}
    assert profile_settings(env) == {}


def test_import_stays_light_and_a_folder_store_never_loads_the_s3_client(
    tmp_path: Path,
) -> None:
    code = (
        "import sys, jupyter_mltrack\n"
        "from jupyter_mltrack.store.engine import open_store\n"
        f"open_store({str(tmp_path / 'x.db')!r}, {str(tmp_path / 'b')!r}).blobs.put(b'x')\n"
        "assert 'obstore' not in sys.modules, 'obstore was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- gc ----------------------------------------------------------------------------------------
def test_gc_removes_old_unreachable_blobs_and_rows_and_keeps_reused_ones(s3_store: Store) -> None:
    blobs = s3_store.blobs
    assert isinstance(blobs, S3Blobs)
    kept = _registered(s3_store, b"kept")
    old = _registered(s3_store, b"old and unreachable")
    reused = _registered(s3_store, b"found again by a writer")
    # All of them are younger than the grace period: nothing goes.
    done = maintenance.remove_unreachable_blobs(s3_store, {kept}, grace=3600)
    assert done.removed == 0 and set(blobs.all_shas()) == {kept, old, reused}

    real = time.time
    blobs.now = lambda: real() + 7200  # two hours later
    fresh = open_blobs(blobs.location)  # another process, same clock
    assert isinstance(fresh, S3Blobs)
    fresh.now = blobs.now
    assert fresh.exists(reused)  # a writer skips writing it: it must stay through the grace
    dry = maintenance.remove_unreachable_blobs(s3_store, {kept}, grace=3600, dry_run=True)
    assert (dry.removed, dry.freed, dry.dry_run) == (1, len(b"old and unreachable"), True)
    assert set(blobs.all_shas()) == {kept, old, reused} == _rows(s3_store)

    done = maintenance.remove_unreachable_blobs(s3_store, {kept}, grace=3600)
    assert done.removed == 1
    assert set(blobs.all_shas()) == {kept, reused} == _rows(s3_store)
    with pytest.raises(NotFound):
        blobs.get(old)
    blobs.now = lambda: real() + 3 * 7200  # the reuse is old too now
    done = maintenance.remove_unreachable_blobs(s3_store, {kept}, grace=3600)
    assert done.removed == 1 and set(blobs.all_shas()) == {kept}
    assert blobs._markers() == {}  # markers older than the grace go too


def test_mltrack_gc_on_s3(
    s3_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = service.create(s3_store, "a.ipynb", _notebook())
    assert info is not None
    stray = s3_store.blobs.put(b"nothing refers to this")
    argv = ["--store", s3_store.config.url, "--blobs", s3_store.config.blob_url, "gc"]
    assert main([*argv, "--grace=-60"]) == 0  # even brand-new blobs count as old
    out = capsys.readouterr().out
    assert "removed 1 blobs" in out
    assert stray not in set(s3_store.blobs.all_shas())
    again = service.get(s3_store, info.id)["content"]
    assert again == _notebook()  # everything the checkpoint needs stayed


# -- checkpoints and runs ----------------------------------------------------------------------
def _notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    img = hashlib.sha256(b"pixels").hexdigest() * 40
    out = new_output("display_data", data={"image/png": img, "text/plain": "<Figure>"})
    nb.cells = [new_code_cell(f"x = {i}", outputs=[out] if i == 2 else []) for i in range(8)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    return nb


def test_checkpoint_and_restore_through_the_service(s3_store: Store, tmp_path: Path) -> None:
    nb = _notebook()
    first = service.create(s3_store, "a.ipynb", nb, name="first")
    nb.cells[5].source = "changed = True"
    second = service.create(s3_store, "a.ipynb", nb)
    assert first is not None and second is not None and second.parent_id == first.id
    snapshot.MANIFESTS._items.clear()  # read it back from the bucket, not this process
    snapshot.UNITS._items.clear()
    assert service.get(s3_store, first.id)["content"] == _notebook()
    notebooks = Folder(tmp_path / "nb")
    out = service.restore(s3_store, notebooks, second.id, "restored.ipynb")
    back = nbformat.read(tmp_path / "nb" / out["path"], as_version=4)
    assert back.cells[5].source == "changed = True"
    # A chunk damaged in the bucket is refused, never restored.
    manifest = snapshot.MANIFESTS.get(s3_store.blobs, first.manifest_sha)
    tamper(s3_store.blobs, manifest.chunks[0][0])
    snapshot.UNITS._items.clear()
    with pytest.raises(CorruptBlob):
        service.restore(s3_store, notebooks, first.id, "bad.ipynb")
    assert not (tmp_path / "nb" / "bad.ipynb").exists()


def test_a_run_uploads_files_to_s3_in_its_writer_thread(
    s3_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real_put, real_put_file = S3Blobs.put, S3Blobs.put_file

    def put(self: S3Blobs, data: bytes, sha: str | None = None) -> str:
        threads.append(threading.current_thread().name)
        return real_put(self, data, sha)

    def put_file(self: S3Blobs, source: Any) -> tuple[str, int]:
        threads.append(threading.current_thread().name)
        return real_put_file(self, source)

    monkeypatch.setattr(S3Blobs, "put", put)
    monkeypatch.setattr(S3Blobs, "put_file", put_file)
    src = tmp_path / "model.bin"
    src.write_bytes(os.urandom(50_000))
    run = mlt.init_run(store=s3_store.config.url, blobs=s3_store.config.blob_url)
    try:
        run["model"].upload(str(src))
        run["notes"].upload(File.from_content("some notes", extension="txt"))
        run["loss"].log(0.5)
        # upload() and log() returned; the writer thread stores the files by itself.
        want = {hashlib.sha256(d).hexdigest() for d in (src.read_bytes(), b"some notes")}
        deadline = time.monotonic() + 60
        while not want <= set(s3_store.blobs.all_shas()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert want <= set(s3_store.blobs.all_shas())
        assert threads and all(t.startswith("mltrack-") for t in threads), threads
        run.wait()  # the explicit sync point (it may flush in the caller's thread)
        out = run["model"].download(str(tmp_path / "out.bin"))
        assert Path(out).read_bytes() == src.read_bytes()
        meta = run["notes"].fetch()
        assert s3_store.blobs.get(meta["sha256"]) == b"some notes"
        assert meta["sha256"] in _rows(s3_store)
    finally:
        run.stop()


def test_an_upload_during_an_outage_is_kept_and_stored_when_s3_is_back(
    s3_server: S3Server, s3_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRACK_S3_RETRY_TIMEOUT", "1")
    run = mlt.init_run(store=s3_store.config.url, blobs=s3_store.config.blob_url, flush_period=0.1)
    try:
        run["before"] = 1
        run.wait()
        s3_server.stop()
        with pytest.warns(MLTrackWarning, match="cannot store files in the blob store") as seen:
            run["report"].upload(File.from_content(b"written during the outage"))
            run["after"] = 2  # waits behind the upload, in order
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(
                "cannot store files" in str(w.message) for w in seen
            ):  # the writer thread warns
                time.sleep(0.1)
        assert run._lifecycle.writer.blob_failures > 0
        s3_server.start()  # moto comes back empty (tests/s3_server.py)
        run.wait()
        meta = run["report"].fetch()
        assert s3_store.blobs.get(meta["sha256"]) == b"written during the outage"
        assert run["after"].fetch() == 2
    finally:
        s3_server.start()
        run.stop()


def test_file_series_points_logged_during_an_outage_are_kept_in_order(
    s3_server: S3Server, s3_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Images of a file series logged while S3 is down wait with the uploads, in order,
    and reach their series when S3 is back (they were dropped before)."""
    monkeypatch.setenv("MLTRACK_S3_RETRY_TIMEOUT", "0.5")
    run = mlt.init_run(store=s3_store.config.url, blobs=s3_store.config.blob_url, flush_period=0.1)
    try:
        run["samples"].log(File.from_content(b"step 0", extension="txt"))
        run.wait()
        s3_server.stop()
        with pytest.warns(MLTrackWarning, match="cannot store files in the blob store") as seen:
            for i in (1, 2, 3):
                run["samples"].log(File.from_content(f"step {i}".encode(), extension="txt"))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(
                "cannot store files" in str(w.message) for w in seen
            ):
                time.sleep(0.1)
        s3_server.start()  # back, empty (moto): step 0's blob is written again when read
        run.wait()
        values = run["samples"].fetch_values()
        assert list(values["step"]) == [0, 1, 2, 3]
        kept = [s3_store.blobs.get(m["sha256"]) for m in list(values["value"])[1:]]
        assert kept == [b"step 1", b"step 2", b"step 3"]
    finally:
        s3_server.start()
        run.stop()


def test_an_upload_s3_never_took_is_spooled_at_stop_and_synced_later(
    s3_server: S3Server,
    s3_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MLTRACK_S3_RETRY_TIMEOUT", "0.5")
    run = mlt.init_run(store=s3_store.config.url, blobs=s3_store.config.blob_url, flush_period=0.1)
    run["before"] = 1
    run.wait()
    s3_server.stop()
    try:
        with pytest.warns(MLTrackWarning, match="kept in .*mltrack sync"):
            run["report"].upload(File.from_content(b"never reached S3 during the run"))
            run["samples"].log(File.from_content(b"an image S3 never took"), step=7)
            run.stop(seconds=0.1)  # short waits between its last tries
    finally:
        s3_server.start()  # back, empty (moto)
    assert run["before"].fetch() == 1
    argv = ["--store", s3_store.config.url, "--blobs", s3_store.config.blob_url, "sync"]
    assert main(argv) == 0, capsys.readouterr()
    again = mlt.init_run(
        with_id=run.id,
        mode="read-only",
        store=s3_store.config.url,
        blobs=s3_store.config.blob_url,
    )
    meta = again["report"].fetch()
    assert s3_store.blobs.get(meta["sha256"]) == b"never reached S3 during the run"
    samples = again["samples"].fetch_values()
    assert list(samples["step"]) == [7]
    assert s3_store.blobs.get(samples["value"][0]["sha256"]) == b"an image S3 never took"
    again.stop()


# -- outages -----------------------------------------------------------------------------------
def test_a_server_restart_mid_upload_never_serves_anything_corrupt(
    s3_server: S3Server, s3_blobs_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = S3Blobs(s3_blobs_url, retry_timeout=20, workers=4)
    items = [(hashlib.sha256(d).hexdigest(), d) for d in (os.urandom(20_000) for _ in range(80))]
    started = threading.Event()
    real = blobs_s3.S3Blobs._upload

    def upload(self: S3Blobs, key: str, sha: str, data: bytes) -> None:
        started.set()
        real(self, key, sha, data)

    monkeypatch.setattr(blobs_s3.S3Blobs, "_upload", upload)
    result: list[Any] = []

    def put_all() -> None:
        try:
            result.append(blobs.put_many(items))
        except Exception as e:
            result.append(e)

    t = threading.Thread(target=put_all)
    t.start()
    assert started.wait(30)
    s3_server.restart()  # mid-upload: connections drop, the bucket comes back empty
    t.join(120)
    assert not t.is_alive() and result
    assert isinstance(result[0], (int, StoreError)), result  # retried through, or failed cleanly
    reader = open_blobs(s3_blobs_url)
    for sha, data in items:  # each blob is whole or missing, never anything else
        try:
            assert reader.get(sha) == data
        except NotFound:
            pass
    # A later write completes (the writer's cache of what exists is not trusted blindly:
    # what the restart lost is found missing by a fresh store and written again).
    again = S3Blobs(s3_blobs_url)
    again.put_many(items)
    assert all(reader.get(sha) == data for sha, data in items)


def test_a_request_that_keeps_failing_raises_store_error(
    s3_server: S3Server, s3_blobs_url: str
) -> None:
    blobs = S3Blobs(s3_blobs_url, retry_timeout=0.5)
    sha = blobs.put(b"there before")
    s3_server.stop()
    try:
        with pytest.raises(StoreError, match=s3_blobs_url.split("/")[2]):
            blobs.put(b"not stored")
        with pytest.raises(StoreError):
            blobs.get(sha)
    finally:
        s3_server.start()


# -- server ------------------------------------------------------------------------------------
@pytest.fixture
def _server_blobs_on_s3(s3_blobs_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLTRACK_BLOBS", s3_blobs_url)
    return s3_blobs_url


async def test_health_shows_the_s3_blob_location(_server_blobs_on_s3: str, jp_fetch: Any) -> None:
    r = await jp_fetch("mltrack", "api", "health")
    body = json.loads(r.body)
    assert body["blob_root"] == _server_blobs_on_s3
    assert os.environ["MLTRACK_BLOBS"] == _server_blobs_on_s3  # what its kernels get
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in r.body.decode()


def test_mltrack_db_current_shows_the_blob_location_without_secrets(
    s3_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--store", s3_store.config.url, "--blobs", s3_store.config.blob_url, "db", "current"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"blobs: {s3_store.config.blob_url}\n" in out
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_gets_store_error_not_a_hang(s3_blobs_url: str) -> None:
    # obstore's runtime does not survive a fork: a request from the child would hang forever.
    blobs = S3Blobs(s3_blobs_url)
    blobs.put(b"from the parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        import signal

        signal.alarm(20)  # a hang fails the test instead of blocking it
        os.close(read)
        try:
            S3Blobs(s3_blobs_url).put(b"from the child")
            answer = b"stored"
        except StoreError as e:
            answer = b"StoreError: " + str(e).encode()
        except BaseException as e:
            answer = repr(e).encode()
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        answer = f.read()
    _pid, status = os.waitpid(pid, 0)
    assert status == 0 and answer.startswith(b"StoreError: "), (status, answer)
    assert b"forked" in answer
    assert blobs.get(blobs.put(b"parent goes on")) == b"parent goes on"
