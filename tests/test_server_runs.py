"""The runs, series, abort and files endpoints through a real jupyter_server."""

from __future__ import annotations

import json
import math

import pytest
from blob_helpers import tamper
from query_helpers import float_series, json_series, make_run, scalar
from tornado.httpclient import HTTPClientError

from jupyter_mltrack.store import runs
from jupyter_mltrack.store.engine import open_store


@pytest.fixture
def server_store(jp_serverapp):
    """The store the server opened (MLTRACK_STORE of the test), to write rows into."""
    return open_store()


async def _get(jp_fetch, *parts, **params):
    r = await jp_fetch("mltrack", "api", *parts, params=params)
    return json.loads(r.body)


async def _error(jp_fetch, *parts, method="GET", **params):
    kwargs = {"method": method, "params": params}
    if method == "POST":
        kwargs["body"] = "{}"
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("mltrack", "api", *parts, **kwargs)
    return e.value.code, json.loads(e.value.response.body)


async def test_runs_table_filters_sorts_and_pages(jp_fetch, server_store):
    for i in range(7):
        run = make_run(server_store, name=f"r{i}")
        scalar(server_store, run, "metrics/f1", i / 10)
        float_series(server_store, run, "train/loss", [1.0, 1.0 / (i + 1)])
    body = await _get(
        jp_fetch,
        "runs",
        query="metrics/f1 >= 0.2",
        sort="-metrics/f1",
        columns="metrics/f1,last(train/loss)",
        limit="2",
        offset="1",
    )
    assert body["total"] == 5
    assert [r["sys/name"] for r in body["items"]] == ["r5", "r4"]
    assert body["items"][0]["last(train/loss)"] == pytest.approx(1 / 6)
    assert "sys/state" in body["columns"] and "metrics/f1" in body["columns"]
    ascending = await _get(jp_fetch, "runs", sort="last(train/loss)", limit="1")
    assert ascending["items"][0]["sys/name"] == "r6"


async def test_runs_table_pages_by_cursor(jp_fetch, server_store):
    for i in range(5):
        run = make_run(server_store, name=f"r{i}")
        scalar(server_store, run, "metrics/f1", [0.5, 0.2, 0.5, 0.9, 0.2][i])
    seen = []
    params = dict(sort="-metrics/f1", limit="2")
    body = await _get(jp_fetch, "runs", **params)
    while True:
        assert body["total"] == 5 and body["total_estimated"] is False
        seen += [r["sys/name"] for r in body["items"]]
        if body["next_cursor"] is None:
            break
        body = await _get(jp_fetch, "runs", cursor=body["next_cursor"], **params)
    assert seen == ["r3", "r2", "r0", "r4", "r1"]  # ties: the newer run first
    code, err = await _error(jp_fetch, "runs", cursor="nonsense", **params)
    assert code == 400 and "cursor" in err["message"]


async def test_runs_table_aggregates_of_a_fork_include_inherited_points(jp_fetch, server_store):
    parent = make_run(server_store, name="parent")
    float_series(server_store, parent, "train/acc", [0.1 * i for i in range(10)])
    fork = make_run(server_store, name="fork")
    scalar(server_store, fork, "forking/parent", parent.short_id)
    scalar(server_store, fork, "forking/step", 4.0)
    params = dict(columns="last(train/acc),count(train/acc)", sort="sys/name")
    body = await _get(jp_fetch, "runs", query="last(train/acc) < 0.5", **params)
    assert [r["sys/name"] for r in body["items"]] == ["fork"]
    assert body["items"][0]["last(train/acc)"] == pytest.approx(0.4)
    assert body["items"][0]["count(train/acc)"] == 5


async def test_bad_query_is_400_with_the_caret(jp_fetch, server_store):
    code, body = await _error(jp_fetch, "runs", query="metrics/f1 >> 2")
    assert code == 400 and body["error"] == "invalid"
    assert body["message"].endswith("  metrics/f1 >> 2\n" + " " * 14 + "^")
    code, body = await _error(jp_fetch, "runs", limit="lots")
    assert code == 400 and "limit must be an integer" in body["message"]
    code, body = await _error(jp_fetch, "runs", sort="-sys/bogus")
    assert code == 400 and "unknown system field" in body["message"]


async def test_run_detail_lists_fields_tags_and_files(jp_fetch, server_store):
    run = make_run(server_store, name="detail", owner="ann")
    scalar(server_store, run, "params/lr", 0.5)
    scalar(server_store, run, "params/bad", float("nan"))
    scalar(server_store, run, "sys/tags", {"a", "b"})
    float_series(server_store, run, "train/loss", [3.0, 2.0, 1.0])
    sha = server_store.blobs.put(b"png-bytes")
    scalar(server_store, run, "images/cat", {"sha256": sha, "size": 9, "name": "cat", "ext": "png"})
    body = await _get(jp_fetch, "runs", run.short_id)
    assert body["id"] == run.short_id
    assert body["sys"]["sys/name"] == "detail" and body["sys"]["sys/state"] == "running"
    assert body["tags"] == ["a", "b"]
    by_path = {f["path"]: f for f in body["fields"]}
    assert by_path["params/lr"]["value"] == 0.5
    assert by_path["params/bad"]["value"] is None  # NaN: valid JSON, not a crash
    loss = by_path["train/loss"]
    assert (loss["count"], loss["last"], loss["min"], loss["max"]) == (3, 1.0, 1.0, 3.0)
    assert [f["path"] for f in body["files"]] == ["images/cat"]
    # What the run view's Parameters and Final metrics take (query/paths.column_kind).
    kinds = {p: f["kind"] for p, f in by_path.items()}
    assert kinds == {
        "params/lr": "param",
        "params/bad": "param",
        "sys/tags": None,
        "train/loss": "metric",
        "images/cat": None,
    }
    assert body["checkpoint"] is None
    same = await _get(jp_fetch, "runs", str(run.id))
    assert same["id"] == run.short_id


async def test_unknown_run_is_404(jp_fetch, server_store):
    for parts in (("runs", "NOPE-1"), ("runs", "NOPE-1", "series")):
        code, body = await _error(jp_fetch, *parts, field="x")
        assert code == 404 and body["error"] == "not_found"
    code, _ = await _error(jp_fetch, "runs", "NOPE-1", "abort", method="POST")
    assert code == 404


async def test_series_downsampling_keeps_a_single_spike(jp_fetch, server_store):
    run = make_run(server_store, name="spiky")
    values = [math.sin(i / 500) for i in range(50_000)]
    values[31_337] = 40.0
    float_series(server_store, run, "train/loss", values, chunk=4096)
    body = await _get(
        jp_fetch, "runs", run.short_id, "series", field="train/loss", max_points="500"
    )
    assert body["count"] == 50_000 and body["downsampled"] is True
    assert body["returned"] <= 500
    assert 40.0 in body["values"]
    assert body["steps"][body["values"].index(40.0)] == 31_337
    assert body["steps"] == sorted(body["steps"])
    assert body["steps"][0] == 0 and body["steps"][-1] == 49_999
    by_time = await _get(
        jp_fetch, "runs", run.short_id, "series", field="train/loss", max_points="500", x="time"
    )
    assert by_time["x"] == "time" and 40.0 in by_time["values"]
    newer = await _get(
        jp_fetch, "runs", run.short_id, "series", field="train/loss", after_step="49990"
    )
    assert newer["steps"] == [float(s) for s in range(49_991, 50_000)]


async def test_series_errors(jp_fetch, server_store):
    run = make_run(server_store, name="e")
    scalar(server_store, run, "params/lr", 0.1)
    code, body = await _error(jp_fetch, "runs", run.short_id, "series", field="params/lr")
    assert code == 400 and "not a series" in body["message"]
    code, body = await _error(jp_fetch, "runs", run.short_id, "series", field="nope")
    assert code == 404
    code, body = await _error(jp_fetch, "runs", run.short_id, "series")
    assert code == 400 and "?field=" in body["message"]
    code, body = await _error(
        jp_fetch, "runs", run.short_id, "series", field="params/lr", max_points="1"
    )
    assert code == 400 and "max_points" in body["message"]


async def test_string_series_gives_the_last_entries(jp_fetch, server_store):
    run = make_run(server_store, name="console")
    json_series(
        server_store, run, "monitoring/stdout", [f"line {i}" for i in range(30)], "string_series"
    )
    body = await _get(
        jp_fetch, "runs", run.short_id, "series", field="monitoring/stdout", max_points="5"
    )
    assert body["values"] == [f"line {i}" for i in range(25, 30)]
    assert body["indices"] == list(range(25, 30))


async def test_abort_running_then_conflict_when_finished(jp_fetch, server_store):
    run = make_run(server_store, name="long")
    r = await jp_fetch("mltrack", "api", "runs", run.short_id, "abort", method="POST", body="{}")
    assert r.code == 202 and json.loads(r.body)["abort_requested"] is True
    assert runs.heartbeat(server_store, run.id) is True  # the run's process sees the request
    runs.set_state(server_store, run.id, "aborted")
    code, body = await _error(jp_fetch, "runs", run.short_id, "abort", method="POST")
    assert code == 409 and body["error"] == "conflict"


async def test_files_are_served_verified_and_safely(jp_fetch, server_store):
    run = make_run(server_store, name="files")
    png = b"\x89PNG fake image"
    sha = server_store.blobs.put(png)
    scalar(
        server_store,
        run,
        "images/cat",
        {"sha256": sha, "size": len(png), "name": "cat", "ext": "png", "mime": "image/png"},
    )
    html = b"<script>alert(1)</script>"
    html_sha = server_store.blobs.put(html)
    scalar(
        server_store,
        run,
        "reports/x",
        {"sha256": html_sha, "size": 25, "name": 'évil"; x=.html', "mime": "text/html"},
    )
    items = []
    for i in range(3):
        data = f"frame {i}".encode()
        items.append(
            {
                "sha256": server_store.blobs.put(data),
                "size": len(data),
                "name": f"f{i}",
                "ext": "txt",
            }
        )
    json_series(server_store, run, "predictions", items, "file_series")

    r = await jp_fetch("mltrack", "api", "runs", run.short_id, "files", "images", "cat")
    assert r.body == png
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Disposition"].startswith('inline; filename="cat.png"')
    assert r.headers["X-Content-Type-Options"] == "nosniff"

    r = await jp_fetch("mltrack", "api", "runs", run.short_id, "files", "reports", "x")
    assert r.body == html
    assert r.headers["Content-Type"] == "application/octet-stream"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="_vil__ x=.html"')
    assert "filename*=UTF-8''%C3%A9vil%22%3B%20x%3D.html" in disposition
    assert "sandbox" in r.headers["Content-Security-Policy"]

    r = await jp_fetch(
        "mltrack", "api", "runs", run.short_id, "files", "predictions", params={"index": "1"}
    )
    assert r.body == b"frame 1"
    r = await jp_fetch("mltrack", "api", "runs", run.short_id, "files", "predictions")
    assert r.body == b"frame 2"
    code, body = await _error(jp_fetch, "runs", run.short_id, "files", "predictions", index="7")
    assert code == 404
    code, body = await _error(jp_fetch, "runs", run.short_id, "files", "nothing")
    assert code == 404

    # A blob whose bytes no longer match its hash is refused, not served.
    tamper(server_store.blobs, sha)
    code, body = await _error(jp_fetch, "runs", run.short_id, "files", "images", "cat")
    assert code == 500 and body["error"] == "corrupt_blob"


ENDPOINTS = [
    ("GET", ("runs",)),
    ("GET", ("runs", "CRED-1")),
    ("GET", ("runs", "CRED-1", "series")),
    ("POST", ("runs", "CRED-1", "abort")),
    ("GET", ("runs", "CRED-1", "files", "a", "b")),
]


@pytest.mark.parametrize(("method", "parts"), ENDPOINTS)
async def test_requests_without_token_are_refused(jp_fetch, method, parts):
    kwargs = {"body": "{}"} if method == "POST" else {}
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch(
            "mltrack",
            "api",
            *parts,
            method=method,
            headers={"Authorization": "token wrong"},
            **kwargs,
        )
    assert e.value.code == 403


async def test_openapi_describes_the_runs_endpoints(jp_fetch):
    spec = await _get(jp_fetch, "openapi.json")
    for path in (
        "/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/series",
        "/runs/{run_id}/abort",
        "/runs/{run_id}/files/{path}",
    ):
        assert path in spec["paths"], path
    assert "RunsTable" in spec["components"]["schemas"]


async def test_field_paths_list_paths_types_and_run_counts(jp_fetch, server_store):
    a = make_run(server_store, project="paths-a")
    b = make_run(server_store, project="paths-a")
    other = make_run(server_store, project="paths-b")
    scalar(server_store, a, "params/lr", 0.1)
    scalar(server_store, b, "params/lr", 0.2)
    float_series(server_store, b, "train/loss", [1.0, 0.5])
    scalar(server_store, other, "params/only_b", "x")
    body = await _get(jp_fetch, "fields", project="paths-a")
    assert body == {
        "items": [
            {"path": "params/lr", "type": "float", "runs": 2, "kind": "param"},
            {"path": "train/loss", "type": "float_series", "runs": 1, "kind": "metric"},
        ],
        "truncated": False,
    }
    everything = await _get(jp_fetch, "fields")
    assert "params/only_b" in [i["path"] for i in everything["items"]]
    assert (await _get(jp_fetch, "fields", project="nope"))["items"] == []
