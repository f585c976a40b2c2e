"""A jupyter_server in its own process, with a token, for tests that speak plain HTTP to it
(schemathesis, cookie/XSRF checks): pytest-jupyter's in-process server shares the test's
event loop, so a synchronous client could not talk to it.

One server per test session (per xdist worker): starting one costs ~10 s on two busy cores,
and every test here only adds its own objects to its store. Only our extension (and the
lab's, for the login page that sets the XSRF cookie) is loaded; the other installed server
extensions serve nothing under /mltrack/api and would only slow the start.

`live_server` keeps its store in SQLite; `live_server_postgres` is the same server on a
PostgreSQL database of its own (created for the session, dropped after), for the tests that
must see both backends (the schemathesis fuzzing)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

TOKEN = "mltrack-security-test-token"


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path
    store_url: str
    blobs: Path

    @property
    def api(self) -> str:
        return f"{self.url}/mltrack/api"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Installed server extensions switched off for the live server (see the docstring).
OTHER_EXTENSIONS = ("jupyter_lsp", "jupyter_server_terminals", "nbdime", "notebook_shim")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("live")
    with _serve(base, f"sqlite:///{base}/store/mltrack.db") as server:
        yield server


@pytest.fixture(scope="session")
def live_server_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from conftest import PG_ADMIN, _pg_admin, _pg_unavailable  # tests/conftest.py

    name = f"mltrack_live_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin()
    except Exception as e:
        _pg_unavailable(str(e))
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with _serve(
            tmp_path_factory.mktemp("live-pg"), f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
        ) as s:
            yield s
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _serve(base: Path, store_url: str) -> Iterator[LiveServer]:
    """A jupyter_server process on a free port, its store at `store_url`, until the block ends."""
    root = base / "root"
    root.mkdir()
    cfg = base / "config.py"
    extensions = {"jupyter_mltrack": True, **dict.fromkeys(OTHER_EXTENSIONS, False)}
    cfg.write_text(
        f"c.ServerApp.jpserver_extensions = {extensions!r}\n"
        f'c.IdentityProvider.token = "{TOKEN}"\n'
        "c.ServerApp.open_browser = False\n"
        "c.ServerApp.allow_root = True\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        "MLTRACK_STORE": store_url,
        "MLTRACK_BLOBS": str(base / "blobs"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
    }
    log = open(base / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--config={cfg}",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(
        f"http://127.0.0.1:{port}", TOKEN, root, env["MLTRACK_STORE"], base / "blobs"
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = requests.get(
                    f"{server.api}/health", headers={"Authorization": f"token {TOKEN}"}, timeout=2
                )
                if r.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((base / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
