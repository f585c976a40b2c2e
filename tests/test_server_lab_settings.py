"""The lab's settings reach the server through `PUT /mltrack/api/lab-settings` (the frontend
sends them from the settings registry), not by the server reading the lab's user-settings
files: "Checkpoint on save" switched off in the lab stops save checkpoints, a settings file
on disk changes nothing, bad bodies are refused, and `c.MLTrack.save_checkpoints` still wins."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from tornado.httpclient import HTTPClientError


def notebook(tag: str) -> dict[str, Any]:
    return {
        "type": "notebook",
        "format": "json",
        "content": new_notebook(cells=[new_code_cell(f"x = {tag!r}")], metadata={}),
    }


async def api(jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, **params: Any):
    kwargs: dict[str, Any] = {"method": method, "params": params}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    r = await jp_fetch("mltrack", "api", *path, **kwargs)
    return json.loads(r.body)


async def save(jp_fetch: Any, path: str, tag: str) -> None:
    await jp_fetch("api", "contents", path, method="PUT", body=json.dumps(notebook(tag)))


async def checkpointed_sources(jp_fetch: Any, path: str, *, wait_for: int) -> list[str]:
    """Sources of the first cell of `path`'s save checkpoints, oldest first, once there are
    `wait_for` of them; then a moment more, so one taken too many would show up too."""
    for _ in range(100):
        page = await api(jp_fetch, "checkpoints", path=path)
        if page["total"] >= wait_for:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    page = await api(jp_fetch, "checkpoints", path=path)
    sources = []
    for item in reversed(page["items"]):
        assert item["trigger"] == "save"
        entry = await api(jp_fetch, "checkpoints", item["id"])
        sources.append(nbformat.from_dict(entry["content"]).cells[0].source)
    return sources


async def test_the_lab_switches_save_checkpoints_off_and_on(jp_fetch):
    assert await api(jp_fetch, "lab-settings") == {"saveCheckpoints": True, "source": "default"}

    answer = await api(jp_fetch, "lab-settings", method="PUT", body={"saveCheckpoints": False})
    assert answer == {"saveCheckpoints": False, "source": "lab"}
    assert await api(jp_fetch, "lab-settings") == answer
    await save(jp_fetch, "s.ipynb", "off")

    await api(jp_fetch, "lab-settings", method="PUT", body={"saveCheckpoints": True})
    await save(jp_fetch, "s.ipynb", "on")

    # Events are handled in order: a checkpoint of the "off" save would be listed first.
    assert await checkpointed_sources(jp_fetch, "s.ipynb", wait_for=1) == ["x = 'on'"]


async def test_the_user_settings_file_is_not_read(jp_fetch, tmp_path, monkeypatch):
    """What the server read from disk before: a lab settings file saying "off". Only what
    the lab sends counts now, so without a PUT saves are checkpointed (the default)."""
    settings = tmp_path / "lab-settings"
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(settings))
    plugin = settings / "jupyter-mltrack" / "plugin.jupyterlab-settings"
    plugin.parent.mkdir(parents=True)
    plugin.write_text('// written by the lab\n{ "saveCheckpoints": false, }\n')

    await save(jp_fetch, "f.ipynb", "saved")

    assert await checkpointed_sources(jp_fetch, "f.ipynb", wait_for=1) == ["x = 'saved'"]
    assert (await api(jp_fetch, "lab-settings"))["source"] == "default"


async def test_the_server_config_wins_over_the_lab(jp_fetch, jp_serverapp):
    jp_serverapp.web_app.settings["mltrack"].config.save_checkpoints = False
    await api(jp_fetch, "lab-settings", method="PUT", body={"saveCheckpoints": True})
    await save(jp_fetch, "c.ipynb", "config off")
    assert await checkpointed_sources(jp_fetch, "c.ipynb", wait_for=1) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"saveCheckpoints": "false"},
        {"saveCheckpoints": 0},
        {"saveCheckpoints": None},
        {"saveCheckpoints": False, "historyPageSize": 10},
        [False],
        "false",
    ],
)
async def test_a_body_that_is_not_the_settings_is_refused(jp_fetch, body):
    with pytest.raises(HTTPClientError) as e:
        await api(jp_fetch, "lab-settings", method="PUT", body=body)
    assert e.value.code == 400
    assert json.loads(e.value.response.body)["error"] == "invalid"
    assert await api(jp_fetch, "lab-settings") == {"saveCheckpoints": True, "source": "default"}


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_requests_without_token_are_refused(jp_fetch, method):
    body = json.dumps({"saveCheckpoints": False}) if method == "PUT" else None
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch(
            "mltrack",
            "api",
            "lab-settings",
            method=method,
            body=body,
            headers={"Authorization": "token wrong"},
        )
    assert e.value.code == 403


async def test_openapi_describes_lab_settings(jp_fetch):
    spec = await api(jp_fetch, "openapi.json")
    assert set(spec["paths"]["/lab-settings"]) == {"get", "put"}
    assert "LabSettings" in spec["components"]["schemas"]
