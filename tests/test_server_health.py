"""The server extension loads, answers /health and /openapi.json, and refuses anonymous
requests (jupyter_server authentication is in front of every endpoint)."""

from __future__ import annotations

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.store.revisions import SCHEMA_HEAD


async def test_health_reports_store_and_schema(jp_fetch):
    r = await jp_fetch("mltrack", "api", "health")
    body = json.loads(r.body)
    assert body["schema_revision"] == SCHEMA_HEAD
    assert body["store"] == os.environ["MLTRACK_STORE"]
    assert body["backend"] == "sqlite"
    assert body["store"].endswith("mltrack.db")


async def test_openapi_lists_health(jp_fetch):
    r = await jp_fetch("mltrack", "api", "openapi.json")
    spec = json.loads(r.body)
    assert spec["openapi"].startswith("3.")
    assert "/health" in spec["paths"]
    assert "/openapi.json" in spec["paths"]


@pytest.mark.parametrize("endpoint", ["health", "openapi.json"])
async def test_requests_without_token_are_refused(jp_fetch, endpoint):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", endpoint, headers={"Authorization": "token wrong"})
    assert e.value.code == 403


async def test_server_exports_store_to_kernels(jp_serverapp):
    assert os.environ["MLTRACK_STORE"].startswith("sqlite:///")
    assert os.environ["MLTRACK_BLOBS"].endswith("blobs")
