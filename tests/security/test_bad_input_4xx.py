"""Input that no store can hold, and a restore into a missing folder, through a real
jupyter_server on SQLite and on PostgreSQL: each is a 4xx `{"error", "message"}` body, never
a 500, and no error body names a path on the server's disk.

Before the fix: a lone surrogate in a checkpoint name was a 500 on SQLite (the driver cannot
encode it), a NUL in a name or in `GET /runs/%00` a 500 on PostgreSQL (text cannot hold NUL),
and a restore into a missing folder a 500 whose message held the server's absolute path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from query_helpers import make_run
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.server.redaction import redact
from jupyter_mltrack.store.engine import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def backend_env(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """The store the server opens: MLTRACK_STORE set before jp_serverapp starts."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/server-store/mltrack.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    monkeypatch.setenv("MLTRACK_STORE", url)
    monkeypatch.setenv("MLTRACK_BLOBS", str(tmp_path / "server-blobs"))
    return str(request.param)


@pytest.fixture
def jp_server_config(backend_env: str, jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mltrack": True}}}


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), jp_root_dir / "a.ipynb")
    return jp_root_dir


async def _refused(jp_fetch: Any, *path: str, method: str = "GET", body: str | None = None):
    kwargs: dict[str, Any] = {"method": method}
    if body is not None:
        kwargs["body"] = body
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", *path, **kwargs)
    code, text = e.value.code, e.value.response.body.decode()
    assert 400 <= code < 500, (path, method, body, code, text)
    parsed = json.loads(text)
    assert set(parsed) == {"error", "message"}, text
    return code, parsed, text


# JSON text as a client sends it: "\ud800" stays an escape, which json.loads turns into a
# lone surrogate on the server.
HOSTILE = {"lone surrogate": r'"a\ud800b"', "NUL": r'"a\u0000b"', "low surrogate": r'"\udfff"'}


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_unstorable_text_in_a_checkpoint_name_is_400(jp_fetch, root, value):
    r = await jp_fetch(
        "mltrack", "api", "checkpoints", method="POST", body=json.dumps({"path": "a.ipynb"})
    )
    cid = json.loads(r.body)["id"]
    for key in ("name", "description"):
        code, body, _ = await _refused(
            jp_fetch, "checkpoints", cid, method="PATCH", body=f'{{"{key}": {value}}}'
        )
        assert code == 400 and body["error"] == "invalid", body
        code, body, _ = await _refused(
            jp_fetch,
            "checkpoints",
            method="POST",
            body=f'{{"path": "a.ipynb", "{key}": {value}}}',
        )
        assert code == 400 and body["error"] == "invalid", body
    # Nothing was stored by the refused requests: the checkpoint kept its empty name.
    r = await jp_fetch("mltrack", "api", "checkpoints", cid)
    assert json.loads(r.body)["name"] == ""


async def test_nul_in_a_url_is_400(jp_fetch, root):
    make_run(open_store(), name="a")  # so that a query reaches the database
    # jp_fetch quotes each part: the server sees /runs/%00.
    for parts, method in (
        (("runs", "\x00"), "GET"),
        (("runs", "X\x00Y", "files", "f"), "GET"),
        (("runs", "\x00", "abort"), "POST"),
    ):
        body = "{}" if method == "POST" else None
        code, error, _ = await _refused(jp_fetch, *parts, method=method, body=body)
        assert code == 400 and "NUL" in error["message"], error
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", "runs", "X\x00Y", "series", params={"field": "loss"})
    assert e.value.code == 400, e.value.response.body
    # Tornado drops control characters from query arguments itself: never a 500.
    for params in ({"query": 'sys/name = "a\x00"'}, {"path": "a\x00.ipynb"}, {"text": "\x00"}):
        where = "runs" if "query" in params else "checkpoints"
        try:
            await jp_fetch("mltrack", "api", where, params=params)
        except HTTPClientError as e:
            assert e.code < 500, (params, e.response.body)


async def test_restore_into_a_missing_folder_is_4xx_without_server_paths(jp_fetch, root):
    r = await jp_fetch(
        "mltrack", "api", "checkpoints", method="POST", body=json.dumps({"path": "a.ipynb"})
    )
    cid = json.loads(r.body)["id"]
    code, body, text = await _refused(
        jp_fetch,
        "checkpoints",
        cid,
        "restore",
        method="POST",
        body=json.dumps({"target_path": "no/such/folder/b.ipynb"}),
    )
    assert code in (400, 404, 409), body
    assert str(root) not in text and str(root.resolve()) not in text, text
    assert "no/such/folder" in body["message"]
    assert not (root / "no").exists()


class TestAStoreThatCannotOpen:
    """Every endpoint answers 503 with the store's error, which names the SQLite file: the
    body shows it without the server's folders."""

    @pytest.fixture
    def backend_env(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        monkeypatch.setenv("MLTRACK_STORE", f"sqlite:///{blocker}/store/mltrack.db")
        return "broken"

    async def test_the_503_body_names_no_server_path(self, jp_fetch, tmp_path):
        with pytest.raises(HTTPClientError) as e:
            await jp_fetch("mltrack", "api", "runs")
        body = json.loads(e.value.response.body)
        assert e.value.code == 503 and body["error"] == "store_unavailable", body
        assert str(tmp_path) not in body["message"] and "<store>" in body["message"], body


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "Unexpected error while saving file: no/b.ipynb [Errno 2] No such file or "
            "directory: '/srv/nb/no/b.ipynb'",
            "Unexpected error while saving file: no/b.ipynb [Errno 2] No such file or "
            "directory: 'no/b.ipynb'",
        ),
        ("Cannot read non-file /srv/nb", "Cannot read non-file <root>"),
        ("store sqlite:////var/mltrack/s.db: locked", "store sqlite:///<store>/s.db: locked"),
        ("in /home/ann/.cache/x and (/usr/lib/y.py)", "in ~/.cache/x and (<server path>)"),
        ("C:\\Users\\ann\\s.db cannot open", "<server path> cannot open"),
        # Not server paths: relative API paths, field paths, a URL's host part.
        ("no notebook a/b.ipynb", "no notebook a/b.ipynb"),
        ("metrics/f1 >> 2", "metrics/f1 >> 2"),
        (
            "store postgresql://u:***@db:5432/ml: refused",
            "store postgresql://u:***@db:5432/ml: refused",
        ),
    ],
)
def test_redact(message: str, shown: str) -> None:
    known = [("/var/mltrack", "<store>"), ("/home/ann", "~"), ("/srv/nb", "<root>")]
    assert redact(message, known) == shown
