"""A jupyter_server in its own process, with a token, for tests that speak plain HTTP to it
(schemathesis, cookie/XSRF checks): pytest-jupyter's in-process server shares the test's
event loop, so a synchronous client could not talk to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("live")
    root = base / "root"
    root.mkdir()
    cfg = base / "config.py"
    cfg.write_text(
        'c.ServerApp.jpserver_extensions = {"jupyter_mltrack": True}\n'
        f'c.IdentityProvider.token = "{TOKEN}"\n'
        "c.ServerApp.open_browser = False\n"
        "c.ServerApp.allow_root = True\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        "MLTRACK_STORE": f"sqlite:///{base}/store/mltrack.db",
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
