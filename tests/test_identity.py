"""People, not ids (issue 17.7, issue 19.6): a checkpoint's author is the authenticated
Jupyter user (display name, else name, else username, the username kept beside it); token
auth's made-up anonymous user is the server's own user (JupyterHub's, else the OS user); the
kernels a server starts, and their runs' `sys/owner`, are that same person. Through a real
jupyter_server (default and named identity providers) and nbclient kernels."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack import identity
from jupyter_mltrack.checkpoints import service
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import open_store

QUIET = "capture_hardware_metrics=False, capture_stdout=False, capture_stderr=False"
ANON_ID = "0123456789abcdef0123456789abcdef"


class NamedIdentity(IdentityProvider):
    """Token auth whose authenticated user is a named person (as an OAuth provider gives)."""

    def generate_anonymous_user(self, handler: Any) -> User:
        return User(username="u-4711", name="alice", display_name="Alice Smith")


@pytest.fixture
def server_identity(request: pytest.FixtureRequest) -> str:
    """How the server knows its user: token auth (default), a named provider, JupyterHub."""
    return str(getattr(request, "param", "token"))


@pytest.fixture
def jp_server_config(server_identity: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    app: dict[str, Any] = {"jpserver_extensions": {"jupyter_mltrack": True}}
    if server_identity == "named":
        app["identity_provider_class"] = NamedIdentity
    if server_identity == "hub":  # what JupyterHub sets in a single-user server's environment
        monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    return {"ServerApp": app}


# -- the rules -------------------------------------------------------------------------------
def test_stored_author_keeps_name_and_username_and_reads_back() -> None:
    assert identity.stored("Alice Smith", "u-4711") == "Alice Smith <u-4711>"
    assert identity.split("Alice Smith <u-4711>") == ("Alice Smith", "u-4711")
    assert identity.stored("alice", "alice") == "alice"
    assert identity.split("alice") == ("alice", "alice")
    assert identity.split(ANON_ID) == ("anonymous", ANON_ID)  # stored before this rule
    assert identity.split("") == ("", "")
    assert len(identity.stored("x" * 300, "y")) == identity.MAX_AUTHOR


def test_process_user_prefers_mltrack_user_then_the_hub_then_the_os(monkeypatch) -> None:
    assert identity.process_user() == getpass.getuser()
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    assert identity.process_user() == "bob"
    monkeypatch.setenv("MLTRACK_USER", "carol")
    assert identity.process_user() == "carol"


def test_anonymous_user_is_the_servers_user(monkeypatch) -> None:
    anon = User(username=ANON_ID, name="Anonymous Io", display_name="Anonymous Io")
    assert identity.of_user(anon) == getpass.getuser()
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    assert identity.of_user(anon) == "bob"
    assert identity.of_user(User(username="alice")) == "alice"
    named = User(username="u-1", name="alice", display_name="")
    assert identity.of_user(named) == "alice <u-1>"


# -- through a real server -------------------------------------------------------------------
async def _checkpoint(jp_fetch: Any, jp_root_dir: Path) -> dict[str, Any]:
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), jp_root_dir / "a.ipynb")
    r = await jp_fetch(
        "mltrack", "api", "checkpoints", method="POST", body=json.dumps({"path": "a.ipynb"})
    )
    return json.loads(r.body)  # type: ignore[no-any-return]


@pytest.mark.parametrize("server_identity", ["named"], indirect=True)
async def test_named_user_is_the_author(jp_fetch, jp_root_dir) -> None:
    entry = await _checkpoint(jp_fetch, jp_root_dir)
    assert (entry["author"], entry["author_username"]) == ("Alice Smith", "u-4711")
    r = await jp_fetch("mltrack", "api", "checkpoints", params={"text": "u-4711"})
    assert [i["id"] for i in json.loads(r.body)["items"]] == [entry["id"]]


async def test_token_users_checkpoints_are_the_os_users(jp_fetch, jp_root_dir) -> None:
    entry = await _checkpoint(jp_fetch, jp_root_dir)
    me = getpass.getuser()
    assert (entry["author"], entry["author_username"]) == (me, me)
    # Kernels this server starts inherit the same person.
    assert os.environ["MLTRACK_USER"] == me


@pytest.mark.parametrize("server_identity", ["hub"], indirect=True)
async def test_under_jupyterhub_the_hub_user_is_author_and_kernel_identity(
    jp_fetch, jp_root_dir
) -> None:
    entry = await _checkpoint(jp_fetch, jp_root_dir)
    assert entry["author"] == "bob"
    assert os.environ["MLTRACK_USER"] == "bob"


async def test_an_old_anonymous_id_reads_as_anonymous(jp_fetch) -> None:
    st = open_store(cached=False)
    try:
        made = service.create(st, "old.ipynb", new_notebook(), author=ANON_ID)
        assert made is not None
    finally:
        st.dispose()
    r = await jp_fetch("mltrack", "api", "checkpoints", made.id)
    entry = json.loads(r.body)
    assert (entry["author"], entry["author_username"]) == ("anonymous", ANON_ID)


# -- in a kernel -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "owner"),
    [({"JUPYTERHUB_USER": "alice"}, "alice"), ({}, getpass.getuser())],
    ids=["hub", "local"],
)
def test_a_kernels_runs_and_checkpoints_belong_to_its_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], owner: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    nb = new_notebook(
        cells=[
            new_code_cell(
                "import jupyter_mltrack as mlt\n"
                f"run = mlt.init_run(project='who', {QUIET})\n"
                "print(run.id, run['sys/owner'].fetch()); run.stop()"
            )
        ]
    )
    path = tmp_path / "train.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))  # as jupyter_server gives its kernels
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")
    run_id, seen = out.split()
    assert seen == owner
    st = open_store(cached=False)
    try:
        assert runs.get(st, run_id).owner == owner
        start = repo.checkpoint_of_run(st, runs.get(st, run_id).id)
        assert start is not None and start.author == owner
    finally:
        st.dispose()
