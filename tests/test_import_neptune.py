"""`mltrack import neptune`: a neptune-exporter export, written here with exactly the schema
neptune-exporter publishes, imported into SQLite and PostgreSQL and read back value by value
through the client (init_run(with_id=...), fetch_runs_table), the CLI and the store."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.cli import main
from jupyter_mltrack.store import fields, runs
from jupyter_mltrack.store.engine import Store

UTC = dt.timezone.utc
TS = pa.timestamp("ms", tz="UTC")
# neptune-exporter's published schema, spelled out here (not imported from the code under
# test): if the importer read another layout, writing this one would catch it.
SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("run_id", pa.string()),
        ("attribute_path", pa.string()),
        ("attribute_type", pa.string()),
        ("step", pa.decimal128(18, 6)),
        ("timestamp", TS),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("string_value", pa.string()),
        ("bool_value", pa.bool_()),
        ("datetime_value", TS),
        ("string_set_value", pa.list_(pa.string())),
        ("file_value", pa.struct([("path", pa.string())])),
        (
            "histogram_value",
            pa.struct(
                [
                    ("type", pa.string()),
                    ("edges", pa.list_(pa.float64())),
                    ("values", pa.list_(pa.float64())),
                ]
            ),
        ),
    ]
)
VALUE_COLUMN = {
    "float": "float_value",
    "int": "int_value",
    "string": "string_value",
    "bool": "bool_value",
    "datetime": "datetime_value",
    "string_set": "string_set_value",
    "float_series": "float_value",
    "string_series": "string_value",
    "file": "file_value",
    "file_series": "file_value",
    "file_set": "file_value",
    "artifact": "file_value",
    "histogram_series": "histogram_value",
}
PROJECT = "my-team/classify"
CREATED = dt.datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
PINGED = dt.datetime(2025, 3, 1, 14, 30, 0, tzinfo=UTC)
LOSS_STEPS = [
    Decimal("0.000001"),
    Decimal("0.5"),
    Decimal("1.25"),
    Decimal("2"),
    Decimal("999999999.999999"),
]
LOSS = [2.5, 1.75, float("nan"), 0.5, 0.25]
HIST = {"type": "COUNTING", "edges": [0.0, 0.5, 1.0], "values": [3.0, 7.0]}


def row(
    run: str, path: str, kind: str, value: Any = None, step: Any = None, at: Any = None
) -> dict[str, Any]:
    r: dict[str, Any] = {name: None for name in SCHEMA.names}
    r.update(project_id=PROJECT, run_id=run, attribute_path=path, attribute_type=kind)
    r["step"] = None if step is None else Decimal(step)
    r["timestamp"] = at
    r[VALUE_COLUMN[kind]] = value
    return r


def write_part(folder: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    return path


def at(seconds: float) -> dt.datetime:
    return CREATED + dt.timedelta(seconds=seconds)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """exports/data/<project>/runs/<run>_part_N.parquet and exports/files/..., as
    neptune-exporter lays them out: two complete runs, one a fork of the other, and a run
    whose part_0 is missing (an export still running)."""
    root = tmp_path / "exports"
    files = root / "files"
    (files / "cls1" / "ckpt").mkdir(parents=True)
    (files / "cls1" / "model.pt").write_bytes(b"weights")
    (files / "cls1" / "ckpt" / "a.bin").write_bytes(b"A")
    (files / "cls1" / "ckpt" / "sub").mkdir()
    (files / "cls1" / "ckpt" / "sub" / "b.txt").write_text("B")
    (files / "cls1" / "pred0.png").write_bytes(b"png0")
    (files / "cls1" / "pred1.png").write_bytes(b"png1")
    folder = root / "data" / "my-team_classify" / "runs"
    r = "CLS-1"
    part0 = [
        row(r, "sys/id", "string", "CLS-1"),
        row(r, "sys/name", "string", "baseline"),
        row(r, "sys/description", "string", "first try"),
        row(r, "sys/owner", "string", "ada"),
        row(r, "sys/hostname", "string", "gpu-7"),
        row(r, "sys/creation_time", "datetime", CREATED),
        row(r, "sys/ping_time", "datetime", PINGED),
        row(r, "sys/failed", "bool", False),
        row(r, "sys/state", "string", "Inactive"),
        row(r, "sys/tags", "string_set", ["baseline", "resnet"]),
        row(r, "sys/group_tags", "string_set", ["team-a"]),
        row(r, "parameters/lr", "float", 0.001),
        row(r, "parameters/epochs", "int", 2**40 + 1),
        row(r, "parameters/optimizer", "string", "adam"),
        row(r, "parameters/amp", "bool", True),
        row(r, "data/snapshot", "datetime", dt.datetime(2025, 2, 1, 8, 0, 0, 5000, tzinfo=UTC)),
        row(r, "data/labels", "string_set", ["cat", "dog"]),
        *[
            row(r, "train/loss", "float_series", v, s, at(i))
            for i, (s, v) in enumerate(zip(LOSS_STEPS[:3], LOSS[:3], strict=True))
        ],
        row(r, "train/log", "string_series", "epoch 0", "0", at(1)),
        row(r, "train/log", "string_series", "epoch 1 ✓", "1", at(2)),
        row(r, "model/weights", "file", {"path": "cls1/model.pt"}),
        row(r, "model/checkpoints", "file_set", {"path": "cls1/ckpt"}),
        row(r, "data/train", "artifact", {"path": "cls1/model.pt"}),
        row(r, "eval/predictions", "file_series", {"path": "cls1/pred0.png"}, "0", at(3)),
        row(r, "eval/predictions", "file_series", {"path": "cls1/pred1.png"}, "1", at(4)),
        row(r, "eval/hist", "histogram_series", HIST, "0.5", at(5)),
        row(r, "model/missing", "file", {"path": "cls1/nope.bin"}),
    ]
    write_part(folder, "CLS-1_part_0.parquet", part0)
    # The rest of the loss curve in a second part file, as a long run is exported.
    part1 = [
        row(r, "train/loss", "float_series", v, s, at(10 + i))
        for i, (s, v) in enumerate(zip(LOSS_STEPS[3:], LOSS[3:], strict=True))
    ]
    write_part(folder, "CLS-1_part_1.parquet", part1)
    f = "CLS-2"
    write_part(
        folder,
        "CLS-2_part_0.parquet",
        [
            row(f, "sys/name", "string", "baseline"),
            row(f, "sys/creation_time", "datetime", at(3600)),
            row(f, "sys/failed", "bool", True),
            row(f, "sys/custom_run_id", "string", "CLS-2"),
            row(f, "sys/forking/parent", "string", "CLS-1"),
            row(f, "sys/forking/step", "float", 1.25),
            row(f, "sys/experiment/name", "string", "baseline"),
            *[
                row(f, "train/loss", "float_series", v, s, at(3600 + s))
                for s, v in ((2, 0.9), (3, 0.8))
            ],
        ],
    )
    write_part(folder, "CLS-3_part_1.parquet", [row("CLS-3", "parameters/lr", "float", 0.1)])
    return root


def _import(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> dict[str, Any]:
    code = main(
        [
            "--store", store.config.url, "--blobs", str(store.config.blob_root),
            "import", "neptune", str(export / "data"), "--json", *extra,
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""  # --json: no progress bar
    return dict(json.loads(out.out))


def _open(store: Store, run_id: str) -> Any:
    return mlt.init_run(
        with_id=run_id, mode="read-only", store=store.config.url, blobs=str(store.config.blob_root)
    )


def test_every_attribute_type_round_trips(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = _import(store, export, capsys)
    assert (report["runs_created"], report["runs_resumed"], report["runs_unchanged"]) == (2, 0, 0)
    assert report["points"] == 5 + 2 + 2 + 1 + 2
    assert report["files"] == 1 + 2 + 1 + 2  # model, file set of 2, artifact, 2 predictions
    skipped = {(s["where"], s["reason"]) for s in report["skipped"]}
    assert any(w.endswith("CLS-3") and "no part_0" in r for w, r in skipped), skipped
    assert any("model/missing" in w for w, _ in skipped), skipped

    run = _open(store, "CLS-1")
    info = run.info
    assert info.custom_run_id == "CLS-1" and info.project == "classify"
    assert (info.name, info.description, info.owner, info.hostname) == (
        "baseline",
        "first try",
        "ada",
        "gpu-7",
    )
    assert info.created_at == CREATED.timestamp() and info.ended_at == PINGED.timestamp()
    assert info.state == "finished" and not info.failed
    assert run["sys/tags"].fetch() == {"baseline", "resnet"}
    assert run["neptune/sys/group_tags"].fetch() == {"team-a"}
    assert run["neptune/sys/state"].fetch() == "Inactive"
    assert run["neptune/sys/id"].fetch() == "CLS-1"
    assert run["neptune/project_id"].fetch() == PROJECT
    p = run["parameters"].fetch()
    assert p == {"lr": 0.001, "epochs": 2**40 + 1, "optimizer": "adam", "amp": True}
    assert type(p["epochs"]) is int and type(p["amp"]) is bool
    assert run["data/snapshot"].fetch() == dt.datetime(2025, 2, 1, 8, 0, 0, 5000, tzinfo=UTC)
    assert run["data/labels"].fetch() == {"cat", "dog"}

    loss = run["train/loss"].fetch_values()
    # Decimal steps: each is the float64 nearest to the decimal (and prints back as it).
    assert list(loss["step"]) == [float(s) for s in LOSS_STEPS]
    assert [Decimal(repr(s)).quantize(Decimal("0.000001")) for s in loss["step"]] == LOSS_STEPS
    assert loss["value"].tolist()[:2] == LOSS[:2] and loss["value"].tolist()[3:] == LOSS[3:]
    assert loss["value"].isna().tolist() == [False, False, True, False, False]
    stamps = [t.timestamp() for t in loss["timestamp"]]
    assert stamps == [at(i).timestamp() for i in (0, 1, 2, 10, 11)]
    f = fields.get_field(store, info.id, "train/loss")
    assert f is not None and (f.count, f.min, f.max, f.last) == (5, 0.25, 2.5, 0.25)

    log = run["train/log"].fetch_values()
    assert list(log["value"]) == ["epoch 0", "epoch 1 ✓"] and list(log["step"]) == [0.0, 1.0]
    hist = run["eval/hist"].fetch_values()
    assert list(hist["step"]) == [0.5] and json.loads(hist["value"][0]) == HIST

    out = tmp_path / "out"
    assert Path(run["model/weights"].download(str(out / "w.pt"))).read_bytes() == b"weights"
    got = Path(run["model/checkpoints"].download(str(out / "ckpt")))
    assert (got / "a.bin").read_bytes() == b"A" and (got / "sub" / "b.txt").read_text() == "B"
    assert (
        Path(run["data/train"].download(str(out / "art"))).joinpath("model.pt").read_bytes()
        == b"weights"
    )
    preds = Path(run["eval/predictions"].download(str(out / "preds")))
    assert (preds / "0.png").read_bytes() == b"png0" and (preds / "1.png").read_bytes() == b"png1"
    assert list(run["eval/predictions"].fetch_values()["step"]) == [0.0, 1.0]
    assert not run.exists("model/missing")
    run.stop()

    fork = _open(store, "CLS-2")
    assert fork.info.failed and fork.info.state == "failed"
    assert fork["forking/parent"].fetch() == "CLS-1" and fork["forking/step"].fetch() == 1.25
    assert fork["neptune/sys/experiment/name"].fetch() == "baseline"
    assert not fork.exists("neptune/sys/custom_run_id")  # the same as the run's own
    # Neptune 3's fork, real in reads: CLS-1's points up to step 1.25, then its own.
    assert list(fork["train/loss"].fetch_values()["step"]) == [1e-06, 0.5, 1.25, 2.0, 3.0]
    # No ping time: the run ended with its last point.
    assert fork.info.ended_at == at(3603).timestamp()
    fork.stop()

    project = mlt.init_project("classify", store=store.config.url)
    table = project.fetch_runs_table(query='sys/custom_run_id = "CLS-2"').to_pandas()
    assert list(table["sys/id"]) == [fork.info.short_id]


def test_second_import_adds_nothing(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _import(store, export, capsys)
    before = _snapshot(store)
    again = _import(store, export, capsys)
    assert (again["runs_created"], again["runs_resumed"], again["runs_unchanged"]) == (0, 0, 2)
    assert again["points"] == again["files"] == again["pieces"] == 0
    assert _snapshot(store) == before


def test_interrupted_import_goes_on(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An import that stopped after CLS-1's part_0 writes part_1 next time, and only that."""
    part1 = export / "data" / "my-team_classify" / "runs" / "CLS-1_part_1.parquet"
    held = part1.with_suffix(".held")
    part1.rename(held)
    first = _import(store, export, capsys)
    assert first["runs_created"] == 2
    held.rename(part1)
    second = _import(store, export, capsys)
    assert (second["runs_created"], second["runs_resumed"], second["runs_unchanged"]) == (0, 1, 1)
    assert second["pieces"] == 1 and second["points"] == 2
    run = _open(store, "CLS-1")
    assert len(run["train/loss"].fetch_values()) == 5
    run.stop()


def test_malformed_part_is_reported_and_the_rest_imported(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = export / "data" / "my-team_classify" / "runs" / "CLS-1_part_1.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file")
    report = _import(store, export, capsys)
    assert report["runs_created"] == 2
    assert [s["where"] for s in report["skipped"] if "cannot be read" in s["reason"]] == [bad.name]
    run = _open(store, "CLS-1")
    assert len(run["train/loss"].fetch_values()) == 3  # part_0's points
    assert run["parameters/lr"].fetch() == 0.001
    run.stop()


def test_project_and_step_multiplier(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _import(store, export, capsys, "--project", "moved", "--step-multiplier", "1000000")
    info = runs.get(store, "CLS-1", project="moved")
    data = fields.read_series(store, info.id, "train/loss")
    assert data is not None and list(data.steps) == [
        1.0,
        500000.0,
        1250000.0,
        2000000.0,
        999999999999999.0,
    ]


def test_text_report_and_missing_folder(
    store: Store, export: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = [
        "--store",
        store.config.url,
        "--blobs",
        str(store.config.blob_root),
        "import",
        "neptune",
    ]
    assert main([*base, str(export / "data")]) == 0
    out = capsys.readouterr()
    assert "runs: 2 new, 0 resumed, 0 already imported" in out.out
    assert "skipped" in out.out and out.err == ""  # not a terminal: no progress bar
    assert main([*base, str(tmp_path / "nowhere")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def _snapshot(store: Store) -> list[Any]:
    out = []
    for info in sorted(runs.list_runs(store, "classify"), key=lambda r: r.short_id):
        flds = fields.list_fields(store, info.id)
        series = {
            f.path: len(fields.read_series(store, info.id, f.path) or [])
            for f in flds
            if f.type in fields.SERIES_TYPES
        }
        out.append(
            (
                info.short_id,
                info.created_at,
                info.ended_at,
                [(f.path, f.text, f.num, f.count) for f in flds],
                series,
            )
        )
    return out
