"""docs/team.md, run on this machine: two people, each with their own Jupyter server (as
JupyterHub's single-user servers: their own process, folder and `JUPYTERHUB_USER`), share one
store, metadata on PostgreSQL and blobs in an S3 bucket (the local S3-protocol server). Each
takes a checkpoint in their server and a run in a kernel with the environment their server
gives its kernels; each sees the other's work under the right name, and restores the other's
checkpoint into their own folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from s3_server import free_port

QUIET = "capture_hardware_metrics=False, capture_stdout=False, capture_stderr=False"


@dataclass
class UserServer:
    """One person's jupyter_server in a subprocess (what JupyterHub spawns for them)."""

    user: str
    root: Path
    env: dict[str, str]
    port: int
    token: str
    proc: subprocess.Popen[bytes] | None = None

    def url(self, *parts: str) -> str:
        return f"http://127.0.0.1:{self.port}/mltrack/api/" + "/".join(parts)

    def call(self, method: str, *parts: str, body: Any = None, query: str = "") -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url(*parts) + (f"?{query}" if query else ""),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def start(self, log: Path) -> None:
        cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}"]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.user}'s server exited: {log.read_text()[-3000:]}")
            try:
                health = self.call("GET", "health")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.user}'s server did not start") from None
                time.sleep(0.3)
        # The shared store, not a default: PostgreSQL, and blobs in the bucket.
        assert health["backend"] == "postgresql", health
        assert health["blob_root"].startswith("s3://"), health

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kernel(self, code: str, notebook: Path) -> str:
        """Run `code` in a kernel with the environment this server gives its kernels (the
        store, the blobs, MLTRACK_USER), from `notebook`; its stdout."""
        nb = new_notebook(cells=[new_code_cell(code)])
        nbformat.write(nb, notebook)
        env = {**self.env, "MLTRACK_USER": self.user, "JPY_SESSION_NAME": str(notebook)}
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # nbclient's kernel manager starts the kernel with os.environ
        try:
            NotebookClient(
                nb,
                timeout=180,
                kernel_name="python3",
                resources={"metadata": {"path": str(self.root)}},
            ).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")


@pytest.fixture
def team(pg_url: str, s3_blobs_url: str, tmp_path: Path) -> Iterator[dict[str, UserServer]]:
    """alice and bob, each a server on the same PostgreSQL database and S3 bucket."""
    servers: dict[str, UserServer] = {}
    try:
        for user in ("alice", "bob"):
            home = tmp_path / user
            root = home / "work"
            config = home / "config"
            root.mkdir(parents=True)
            config.mkdir()
            token = f"{user}-token"
            (config / "jupyter_server_config.json").write_text(
                json.dumps(
                    {
                        "ServerApp": {
                            "jpserver_extensions": {"jupyter_mltrack": True},
                            "root_dir": str(root),
                            "allow_root": True,
                        },
                        "IdentityProvider": {"token": token},
                    }
                )
            )
            env = {
                **os.environ,  # the AWS variables of s3_blobs_url among them
                "JUPYTERHUB_USER": user,  # what JupyterHub sets for a single-user server
                "MLTRACK_STORE": pg_url,
                "MLTRACK_BLOBS": s3_blobs_url,
                "JUPYTER_CONFIG_DIR": str(config),
                "JUPYTER_DATA_DIR": str(home / "data"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                "HOME": str(home),
            }
            env.pop("MLTRACK_USER", None)
            server = UserServer(user, root, env, free_port(), token)
            servers[user] = server
            server.start(tmp_path / f"{user}-server.log")
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def test_two_users_share_a_postgresql_and_s3_store(team: dict[str, UserServer]) -> None:
    made: dict[str, dict[str, Any]] = {}
    run_ids: dict[str, str] = {}
    for user, server in team.items():
        nbformat.write(
            new_notebook(cells=[new_code_cell(f"who = {user!r}", id="cell-who")]),
            server.root / f"{user}.ipynb",
        )
        made[user] = server.call(
            "POST", "checkpoints", body={"path": f"{user}.ipynb", "name": f"{user}'s baseline"}
        )
        assert made[user]["author"] == user
        out = server.kernel(
            "import jupyter_mltrack as mlt\n"
            f"run = mlt.init_run(project='team', {QUIET})\n"
            "run['train/loss'].append(0.5)\n"
            "from jupyter_mltrack.types import File\n"
            f"run['notes'].upload(File.from_content(b'notes of {user}', extension='txt'))\n"
            "print(run.id, run['sys/owner'].fetch()); run.stop()",
            server.root / f"{user}-train.ipynb",
        )
        run_ids[user], owner = out.split()
        assert owner == user

    for user, server in team.items():
        other = "bob" if user == "alice" else "alice"
        # The other's checkpoint, with its author, in the shared history.
        listed = server.call("GET", "checkpoints", query="limit=100")["items"]
        by_id = {c["id"]: c for c in listed}
        assert by_id[made[other]["id"]]["author"] == other
        assert by_id[made[user]["id"]]["author"] == user
        # The other's run, with its owner, in the shared runs table; its start checkpoint
        # (the kernel's, from the other's notebook) has the other as author too.
        # Its file, an object in the shared bucket, served by one's own server.
        req = urllib.request.Request(
            server.url("runs", run_ids[other], "files", "notes"),
            headers={"Authorization": f"token {server.token}"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.read() == f"notes of {other}".encode()
        rows = server.call("GET", "runs", query="columns=sys/owner&limit=100")
        assert _owner(rows, run_ids[other]) == other
        assert _owner(rows, run_ids[user]) == user
        starts = [
            c
            for c in listed
            if c["trigger"] == "run" and run_ids[other] in {r["id"] for r in c["runs"]}
        ]
        assert [c["author"] for c in starts] == [other]
        # Restore the other's checkpoint into one's own folder: its content comes out of the
        # shared bucket.
        done = server.call("POST", "checkpoints", made[other]["id"], "restore", body={})
        restored = nbformat.read(server.root / done["path"], as_version=4)
        assert restored.cells[0].source == f"who = {other!r}"


def _owner(rows: Any, run_id: str) -> str:
    """sys/owner of `run_id` in a GET runs answer."""
    for row in rows["items"]:
        if row.get("sys/id") == run_id:
            value = row.get("sys/owner")
            return str(value.get("value") if isinstance(value, dict) else value)
    raise AssertionError(f"run {run_id} not listed in {json.dumps(rows)[:500]}")
