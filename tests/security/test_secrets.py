"""The store's password never leaves the process's own configuration (issue 14, item 5).

It can sit in three places in a store URL: user-info (`postgresql://u:PW@h/db`), a query
parameter (`?password=PW`, `?sslpassword=PW`) and a libpq `keyword=value` string. None of them
may reach /health, the server's startup log, an error message or an offline spool; a spool
is readable by its owner only, and `mltrack sync` gets the password back from the store it
is given (`--store`/`MLTRACK_STORE`) rather than from the spool.
"""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.client import MLTrackWarning, spool
from jupyter_mltrack.errors import StoreError
from jupyter_mltrack.store import runs
from jupyter_mltrack.store.config import StoreConfig, mask_url, resolve, strip_password
from jupyter_mltrack.store.engine import open_store

SECRET = "hunter2-S3cret"

MASKED = [
    # user-info
    (f"postgresql://u:{SECRET}@h/db", "postgresql://u:***@h/db"),
    (f"postgresql+psycopg://u:{SECRET}@h:5432/db?sslmode=require", None),
    ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),  # a raw '@' in it
    ("postgresql://u:a/b?c@h/db", "postgresql://u:***@h/db"),
    # query parameters
    (
        f"postgresql+psycopg:///db?host=h&password={SECRET}",
        "postgresql+psycopg:///db?host=h&password=***",
    ),
    (f"postgresql:///db?password={SECRET}&host=h", "postgresql:///db?password=***&host=h"),
    (
        f"postgresql://h/db?sslpassword={SECRET}&password=x",
        "postgresql://h/db?sslpassword=***&password=***",
    ),
    (f"postgresql://h/db?Password={SECRET}", "postgresql://h/db?Password=***"),
    (f"postgresql://h/db?pass%77ord={SECRET}", "postgresql://h/db?pass%77ord=***"),
    (f"postgresql://h/db?options=host%3Dh%20password%3D{SECRET}", "postgresql://h/db?options=***"),
    # libpq keyword/value strings
    (f"host=h password={SECRET}", "host=h password=***"),
    ("host=h password='x y' user=u", "host=h password=*** user=u"),
    (f"password = '{SECRET}\\' x'  host=h", "password = ***  host=h"),
    (f"password={SECRET}\\ x host=h", "password=*** host=h"),
    (f"dbname=d sslpassword={SECRET}", "dbname=d sslpassword=***"),
]
UNCHANGED = [
    "postgresql://u@h/db",
    "postgresql://h:5432/db?sslmode=require",
    "sqlite:////x/y.db",
    "sqlite:////x/password/y.db",
    "host=h dbname=d",
]


@pytest.mark.parametrize(("url", "expected"), MASKED)
def test_mask_url_hides_every_form_of_password(url: str, expected: str | None) -> None:
    masked = mask_url(url)
    assert SECRET not in masked and "x y" not in masked and "p@ss" not in masked
    assert "***" in masked
    if expected is not None:
        assert masked == expected


@pytest.mark.parametrize("url", UNCHANGED)
def test_mask_url_leaves_urls_without_a_password_alone(url: str) -> None:
    assert mask_url(url) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://u:{SECRET}@h/db?sslmode=require", "postgresql://u@h/db?sslmode=require"),
        (f"postgresql:///db?host=h&password={SECRET}", "postgresql:///db?host=h"),
        (f"postgresql:///db?password={SECRET}&host=h", "postgresql:///db?host=h"),
        (f"postgresql:///db?a=1&password={SECRET}&b=2&sslpassword=x", "postgresql:///db?a=1&b=2"),
        (f"postgresql:///db?password={SECRET}&sslpassword=x", "postgresql:///db"),
        (f"host=h password='{SECRET} x' user=u", "host=h user=u"),
        (f"host=h password={SECRET}", "host=h"),
    ],
)
def test_strip_password_leaves_out_only_the_password(url: str, expected: str) -> None:
    assert strip_password(url) == expected
    if "://" in url:  # the same connection parameters, less the password
        full, stripped = make_url(url), make_url(expected)
        assert stripped.password is None and stripped.host == full.host
        assert dict(stripped.query) == {
            k: v for k, v in full.query.items() if not k.endswith("password")
        }


def test_redact_hides_the_password_in_every_spelling() -> None:
    cfg = StoreConfig("postgresql://u:s%40cret+1@h/db?password=p+q", Path())
    text = "bad s@cret+1, s%40cret+1, p q and p+q in postgresql://u:s%40cret+1@h/db?password=p+q"
    out = cfg.redact(text)
    for secret in ("s@cret", "s%40cret", "p q", "p+q"):
        assert secret not in out
    assert "postgresql://u:***@h/db?password=***" in out


def test_a_store_config_shows_no_password_in_its_repr() -> None:
    cfg = StoreConfig(f"postgresql:///db?password={SECRET}", Path("/b"))
    assert SECRET not in repr(cfg) and "password=***" in repr(cfg)


def test_a_libpq_connection_string_is_a_postgres_store(pg_url: str, tmp_path: Path) -> None:
    """`MLTRACK_STORE="host=... password='x y'"` used to become a SQLite file with that name
    (the password in its path, hence in /health); it is a PostgreSQL store."""
    u = make_url(pg_url)
    conninfo = (
        f"host={u.host} port={u.port} user={u.username} dbname={u.database} password='{SECRET} x'"
    )
    cfg = resolve(conninfo, tmp_path / "blobs")
    assert cfg.backend == "postgresql" and SECRET not in cfg.masked_url
    st = open_store(cfg, cached=False)  # trust auth: any password is accepted
    try:
        with st.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_database()").scalar() == u.database
        assert st.engine.url.query["password"] == f"{SECRET} x"
    finally:
        st.dispose()


def test_store_errors_name_the_store_without_its_password(tmp_path: Path) -> None:
    for url in (
        f"postgresql://127.0.0.1:1/db?password={SECRET}",
        f"postgresql://me:{SECRET}@127.0.0.1:1/db",
        f"postgresql://me:{SECRET}@127.0.0.1:notaport/db",
    ):
        with pytest.raises(StoreError) as e:
            open_store(StoreConfig(url, tmp_path), cached=False)
        assert SECRET not in str(e.value) and "***" in str(e.value), str(e.value)


# ---- the server: /health and the startup log ------------------------------------------


class _Said(logging.Filter):
    """Every line logged on the server's logger. A filter, not a handler: pytest-jupyter
    drops the logger's handlers while the server starts, but not its filters."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.lines.append(record.getMessage())
        return True


@pytest.fixture
def server_log() -> Iterator[_Said]:
    said = _Said()
    logger = logging.getLogger("ServerApp")
    logger.addFilter(said)
    yield said
    logger.removeFilter(said)


@pytest.fixture
def store_with_password(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, server_log: _Said
) -> Iterator[str]:
    """The server's store: the test PostgreSQL with a password in a query parameter (trust
    auth accepts any)."""
    url = f"{pg_url}?password={SECRET}"
    monkeypatch.setenv("MLTRACK_STORE", url)
    yield url


@pytest.fixture
def jp_server_config(store_with_password: str, jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return jp_server_config  # MLTRACK_STORE is set before the server loads the extension


async def test_health_and_startup_log_do_not_show_a_query_password(
    jp_fetch: Any, store_with_password: str, server_log: _Said
) -> None:
    r = await jp_fetch("mltrack", "api", "health")
    body = r.body.decode()
    assert SECRET not in body
    health = json.loads(body)
    assert health["backend"] == "postgresql" and health["schema_revision"] is not None
    assert health["store"] == store_with_password.replace(SECRET, "***")
    started = [line for line in server_log.lines if line.startswith("jupyter-mltrack: store")]
    assert started, server_log.lines  # the startup line is there, masked
    assert not any(SECRET in line for line in server_log.lines)


# ---- offline spools ------------------------------------------------------------------


def test_a_spool_holds_no_password_and_only_its_owner_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    dead = f"postgresql://me:{SECRET}@127.0.0.1:1/db?sslpassword={SECRET}x"
    with pytest.warns(MLTrackWarning, match="Logging offline"):
        run = mlt.init_run(store=dead, project="secret")
        assert run.mode == "offline"
    for i in range(20):
        run["loss"].log(float(i))
    run.stop()
    (sp,) = spool.list_spools()
    assert stat.S_IMODE(sp.path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "offline").stat().st_mode) == 0o700
    for name in ("spool.json", "mltrack.db"):
        assert stat.S_IMODE((sp.path / name).stat().st_mode) == 0o600, name
    for f in sp.path.rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
    assert sp.meta["target_url"] == "postgresql://me@127.0.0.1:1/db"
    assert sp.meta["target_password_omitted"] is True


def test_sync_gets_the_password_from_the_store_it_is_given(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The spool says which store without the password; `--store`/`MLTRACK_STORE` naming
    that store gives it back, another store is not mistaken for it, and `sync --list` masks
    the password a spool written before this fix still holds."""
    monkeypatch.setenv("MLTRACK_OFFLINE_DIR", str(tmp_path / "offline"))
    url = f"{pg_url}?password={SECRET}"
    run = mlt.init_run(store=url, blobs=str(tmp_path / "blobs"), project="secret", mode="offline")
    run["loss"].log(1.0)
    run.stop()
    (sp,) = spool.list_spools()
    assert SECRET not in json.dumps(sp.meta)
    assert spool.target_config(sp, resolve(url)).url == url  # the given store's password
    other = resolve(f"sqlite:///{tmp_path}/other.db")
    assert spool.target_config(sp, other).url == pg_url  # not another store
    # A spool from before: its URL still holds the password; listing it must not show it.
    legacy = dict(sp.meta, target_url=url)
    legacy.pop("target_password_omitted")
    (sp.path / "spool.json").write_text(json.dumps(legacy))
    assert main(["sync", "--list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert SECRET not in listed and "password=***" in listed
    monkeypatch.setenv("MLTRACK_STORE", url)
    assert main(["sync"]) == 0, capsys.readouterr().err
    st = open_store(resolve(url, tmp_path / "blobs"), cached=False)
    try:
        (synced,) = runs.list_runs(st, "secret")
        assert synced.custom_run_id == run.info.custom_run_id
    finally:
        st.dispose()
