"""A real S3-protocol server for the tests: moto's standalone server (`python -m moto.server`),
started on 127.0.0.1 on a free port as a subprocess, once per test session (per xdist
worker), and stopped at its end.

Fixtures (registered in tests/conftest.py, for any test module to use):
- `s3_server`: the running `S3Server` (its `endpoint`; `stop()`, `start()`, `restart()`
  for outage tests; `bucket()` makes a fresh bucket).
- `s3_blobs_url`: a fresh bucket as `s3://<bucket>/blobs`, with the AWS variables set
  (monkeypatched) so that `MLTRACK_BLOBS`/`blobs=` can name it, in this process and in
  subprocesses started by the test.

moto keeps its buckets in memory, so a restart loses them: `restart()` and `start()`
recreate the (empty) buckets this session made, like an S3 endpoint that comes back after a
failover with its objects gone — the harshest case for "nothing corrupt is ever served".
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ACCESS_KEY = "mltrack-test"
SECRET_KEY = "mltrack-test-secret"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class S3Server:
    """moto's server in a subprocess on 127.0.0.1."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.buckets: list[str] = []
        self._log = log_dir / f"moto-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The AWS variables a client of this server needs."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def start(self, timeout: float = 60.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        with open(self._log, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited: {self._log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2).read()
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not start: {self._log.read_text()[-2000:]}")
            time.sleep(0.1)
        for name in self.buckets:
            self._create(name)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def bucket(self) -> str:
        """A new, empty bucket (recreated by `start`/`restart`)."""
        name = f"t-{uuid.uuid4().hex[:16]}"
        self._create(name)
        self.buckets.append(name)
        return name

    def _create(self, name: str) -> None:
        # moto takes unsigned requests: no S3 client library needed to make a bucket.
        req = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    pytest.importorskip("moto.server", reason="moto[server] is in the [test] extra")
    server = S3Server(tmp_path_factory.mktemp("moto"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_blobs_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://<fresh bucket>/blobs`, with the AWS environment pointing at the test server."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return f"s3://{s3_server.bucket()}/blobs"


@pytest.fixture
def s3_store(s3_blobs_url: str, tmp_path: Path) -> Iterator[object]:
    """An open SQLite store whose blobs are in a fresh bucket of the test server."""
    from jupyter_mltrack.store.config import StoreConfig
    from jupyter_mltrack.store.engine import open_store

    url = f"sqlite:///{tmp_path}/s3store/mltrack.db"
    st = open_store(StoreConfig(url, s3_blobs_url), cached=False)
    try:
        yield st
    finally:
        st.dispose()
