"""Shared fixtures: a store on SQLite and on the machine's PostgreSQL (each test gets its own
database, dropped afterwards), and a real jupyter_server with the extension loaded."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from s3_server import s3_blobs_url, s3_server, s3_store  # noqa: F401  (fixtures for all tests)

from jupyter_mltrack.store.config import StoreConfig
from jupyter_mltrack.store.engine import Store, open_store

pytest_plugins = ("pytest_jupyter.jupyter_server",)

PG_ADMIN = os.environ.get("MLTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(
        PG_ADMIN.replace("postgresql://", "postgresql://", 1), autocommit=True, connect_timeout=5
    )


def _pg_unavailable(reason: str) -> None:
    # In CI the server must be there: a missing PostgreSQL fails the suite instead of
    # silently skipping half of the store tests.
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI and is not reachable: {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"mltrack_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin()
    except Exception as e:
        _pg_unavailable(str(e))
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from jupyter_mltrack.store import engine as engine_mod

        for key, st in list(engine_mod._cache.items()):
            if name in key[0]:
                st.dispose()
                engine_mod._cache.pop(key, None)
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _isolated_store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does may touch the user's real store in the Jupyter data dir."""
    monkeypatch.setenv("MLTRACK_STORE", f"sqlite:///{tmp_path}/env-store/mltrack.db")
    monkeypatch.setenv("MLTRACK_BLOBS", str(tmp_path / "env-store" / "blobs"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    # Offline spools of runs whose store failed stay in the test's folder too.
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    # Who a run or checkpoint is for (identity.py): the OS user unless a test says otherwise;
    # the server exports MLTRACK_USER, which must not leak into the next test.
    monkeypatch.delenv("MLTRACK_USER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("MLTRACK_SAVE_RETENTION", raising=False)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/mltrack.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """An open, migrated store on each backend."""
    st = open_store(StoreConfig(store_url, tmp_path / "blobs"), cached=False)
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(
        StoreConfig(f"sqlite:///{tmp_path}/s/mltrack.db", tmp_path / "blobs"), cached=False
    )
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    # The store comes from MLTRACK_STORE set by _isolated_store_env, as kernels would see it.
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mltrack": True}}}
