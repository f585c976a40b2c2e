"""Issue 14.1: a checkpoint must never come back as a trusted notebook.

Anyone who can write to a shared store can store a notebook whose code cells say
`metadata.trusted: true` next to a `<script>` output. If that flag reached the contents
manager, `save` would sign the restored notebook and opening it would run the script in the
Jupyter origin. The flag is dropped where a notebook enters the store (`service.create`) and
again where one leaves it (`service.content`: GET, diff, restore, CLI, magics); a restore
never adds a signature to the notary's database. Checked against a real jupyter_server, its
real contents manager and notary, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from jupyter_mltrack import checkpoints
from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.store import checkpoints as repo
from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store
from jupyter_mltrack.store.entities import NewCheckpoint

SCRIPT = "<script>document.title = 'pwned'</script>"


def evil_notebook() -> Any:
    """The code cell claims to be trusted, and its output runs a script if rendered trusted.
    (Only code cells: a flag on another cell would be signed but not read back, which breaks
    the signature by accident.)"""
    code = new_code_cell("display(HTML(payload))", execution_count=1, metadata={"trusted": True})
    code.outputs = [new_output("display_data", data={"text/html": SCRIPT, "text/plain": "x"})]
    note = new_markdown_cell("# notes")
    return new_notebook(cells=[note, code], metadata={})


def plant(store: Store, path: str, nb: dict[str, Any]) -> str:
    """Store `nb` as it is, flags included: what a writer that does not strip leaves in the
    store (an older version, or a crafted offline spool uploaded by `mltrack sync`, which
    copies checkpoint rows and blobs as they are)."""
    planned = snapshot.plan(snapshot.split_notebook(json.loads(json.dumps(nb))))
    stored = snapshot.store_plan(store.blobs, planned, None)
    info = repo.append(
        store,
        NewCheckpoint(
            id=service.new_id(),
            path=path,
            parent_id=None,
            name="planted",
            description="",
            trigger="api",
            author="mallory",
            size=planned.split.size,
            manifest_sha=stored.manifest.sha,
            content_sha=planned.content_sha,
            cells_added=len(planned.split.units),
            cells_removed=0,
            cells_modified=0,
            from_disk=False,
            blobs=stored.new_blobs,
        ),
    )
    assert info is not None
    return info.id


def stored_raw(store: Store, checkpoint_id: str) -> dict[str, Any]:
    """The notebook as the store holds it, before anything on the way out touches it."""
    info = repo.get(store, checkpoint_id)
    return snapshot.load_notebook(
        store.blobs, snapshot.MANIFESTS.get(store.blobs, info.manifest_sha)
    )


def flags(nb: dict[str, Any]) -> list[Any]:
    return [c["metadata"].get("trusted") for c in nb["cells"] if "trusted" in c["metadata"]]


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """The store the server opens (set before it starts) and the attacker writes to."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/shared/mltrack.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    blobs = tmp_path / "shared-blobs"
    monkeypatch.setenv("MLTRACK_STORE", url)
    monkeypatch.setenv("MLTRACK_BLOBS", str(blobs))
    st = open_store(StoreConfig(url, blobs), cached=False)
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def jp_server_config(shared_store: Store, jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return jp_server_config


@pytest.fixture(params=["python-api", "planted"])
def evil_id(request: pytest.FixtureRequest, shared_store: Store) -> str:
    """The attacker's checkpoint, through the public Python API or written raw."""
    if request.param == "python-api":
        info = service.create(shared_store, "evil.ipynb", evil_notebook(), trigger="api")
        assert info is not None
        return info.id
    return plant(shared_store, "evil.ipynb", evil_notebook())


async def api(jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, **params: Any):
    kw: dict[str, Any] = {"method": method, "params": params}
    if method == "POST":
        kw["body"] = json.dumps(body or {})
    r = await jp_fetch(*path, **kw)
    return json.loads(r.body)


async def assert_untrusted(jp_fetch: Any, jp_serverapp: Any, root: Path, path: str) -> None:
    """Opened the way JupyterLab opens it, the notebook is untrusted, and the notary's
    database does not hold its signature."""
    model = await api(jp_fetch, "api", "contents", path, type="notebook")
    code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    assert code and all(c["metadata"]["trusted"] is False for c in code), code
    on_disk = nbformat.read(root / path, as_version=4)
    assert SCRIPT in json.dumps(on_disk)  # the output is there, only not trusted
    assert not jp_serverapp.contents_manager.notary.check_signature(on_disk)


async def test_restore_as_a_new_notebook_is_not_trusted(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, evil_id: str
) -> None:
    out = await api(jp_fetch, "mltrack", "api", "checkpoints", evil_id, "restore", method="POST")
    assert out["path"].startswith("evil-restored-")
    await assert_untrusted(jp_fetch, jp_serverapp, jp_root_dir, out["path"])


async def test_restore_over_an_existing_notebook_is_not_trusted(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, evil_id: str
) -> None:
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), jp_root_dir / "mine.ipynb")
    out = await api(
        jp_fetch,
        "mltrack",
        "api",
        "checkpoints",
        evil_id,
        "restore",
        method="POST",
        body={"target_path": "mine.ipynb"},
    )
    assert out["path"] == "mine.ipynb" and out["safety_checkpoint"]
    await assert_untrusted(jp_fetch, jp_serverapp, jp_root_dir, "mine.ipynb")


async def test_restore_adds_no_signature_even_to_harmless_content(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, shared_store: Store
) -> None:
    """Without unsafe output `check_cells` passes and `save` signs: the restore takes that
    signature back, so a restored notebook is trusted only where the user trusted the same
    content before (see the next test)."""
    nb = new_notebook(cells=[new_code_cell("print(1)", execution_count=1)])
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="1\n")]
    info = service.create(shared_store, "plain.ipynb", nb)
    assert info is not None
    out = await api(jp_fetch, "mltrack", "api", "checkpoints", info.id, "restore", method="POST")
    on_disk = nbformat.read(jp_root_dir / out["path"], as_version=4)
    assert not jp_serverapp.contents_manager.notary.check_signature(on_disk)


async def test_checkpoint_content_and_diff_are_served_without_the_flag(
    jp_fetch: Any, jp_root_dir: Path, evil_id: str
) -> None:
    entry = await api(jp_fetch, "mltrack", "api", "checkpoints", evil_id)
    assert SCRIPT in json.dumps(entry["content"]) and flags(entry["content"]) == []
    d = await api(jp_fetch, "mltrack", "api", "diff", base=evil_id, remote=evil_id)
    assert flags(d["base"]) == []
    nbformat.write(evil_notebook(), jp_root_dir / "evil.ipynb")  # the flag is not written
    d = await api(jp_fetch, "mltrack", "api", "diff", base=evil_id, remote="current")
    assert flags(d["base"]) == [] and "trusted" not in json.dumps(d["diff"])


async def test_restore_keeps_the_trust_the_user_gave_by_hand(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, shared_store: Store
) -> None:
    """A restore adds no trust, and takes none away from content the user trusted: the
    notary trusts content, so a copy of a notebook the user ran or trusted by hand stays as
    trusted as the original (removing the signature would untrust the original too)."""
    nb = evil_notebook()
    nb.cells[1].metadata.pop("trusted")
    nbformat.write(nb, jp_root_dir / "own.ipynb")
    await jp_fetch("api", "contents", "own.ipynb", "trust", method="POST", body="")
    created = await api(
        jp_fetch, "mltrack", "api", "checkpoints", method="POST", body={"path": "own.ipynb"}
    )
    out = await api(
        jp_fetch, "mltrack", "api", "checkpoints", created["id"], "restore", method="POST"
    )
    notary = jp_serverapp.contents_manager.notary
    for path in ("own.ipynb", out["path"]):
        assert notary.check_signature(nbformat.read(jp_root_dir / path, as_version=4)), path


def test_the_flag_never_enters_the_store(shared_store: Store) -> None:
    info = service.create(shared_store, "evil.ipynb", evil_notebook(), trigger="api")
    assert info is not None
    assert flags(stored_raw(shared_store, info.id)) == []


def test_python_api_get_diff_and_restore_drop_the_flag(shared_store: Store, tmp_path: Path) -> None:
    """The faces the CLI and the magics use: `get`, `diff` (via `service.resolve_side`) and
    `restore` to a file."""
    cid = plant(shared_store, "evil.ipynb", evil_notebook())
    assert flags(stored_raw(shared_store, cid)) == [True]  # the planted flags are stored
    assert flags(checkpoints.get(cid, store=shared_store)["content"]) == []
    assert flags(checkpoints.diff(cid, cid, store=shared_store)["base"]) == []
    assert flags(service.resolve_side(shared_store, cid)[0]) == []
    out = checkpoints.restore(cid, root=tmp_path, store=shared_store)
    written = json.loads((tmp_path / out["path"]).read_text())
    assert SCRIPT in json.dumps(written) and flags(written) == []
