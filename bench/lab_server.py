"""A jupyter_server with the extension on a given store and a free port, for the benches that
time the REST API over HTTP as the lab calls it (bench_runs, bench_series, bench_diff_corpus).

    with LabServer(store_url, blobs, root) as server:
        body = server.request("GET", "runs", limit="100")
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LabServer:
    """Started by the constructor, ready once it answers `GET health`; `close` stops it."""

    def __init__(self, store_url: str, blobs: Path, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        port, self.token = free_port(), "bench-token"
        env = {**os.environ, "MLTRACK_STORE": store_url, "MLTRACK_BLOBS": str(blobs)}
        cmd = [
            sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
            "--allow-root", f"--ServerApp.root_dir={root}",
            "--ServerApp.jpserver_extensions={'jupyter_mltrack': True}",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{port}/mltrack/api"
        for _ in range(600):
            try:
                self.request("GET", "health")
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError("jupyter_server did not start")

    def request(self, method: str, path: str, body: Any = None, **params: str) -> bytes:
        query = urllib.parse.urlencode(params)
        req = urllib.request.Request(
            f"{self.base}/{path}?{query}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            return bytes(resp.read())

    def get(self, path: str, **params: str) -> bytes:
        return self.request("GET", path, **params)

    def close(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> LabServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
