"""Neptune 3's dialect (`jupyter_mltrack.scale`): a Neptune 3 training script, with a fork,
runs with its import line changed (in a real Python process, the store from MLTRACK_STORE),
and Neptune 3's step rules are enforced with its errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from client_helpers import CAPTURE_SWITCHES, metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack import scale
from jupyter_mltrack.query.series import read_points
from jupyter_mltrack.store import fields
from jupyter_mltrack.store.engine import Store

# A Neptune 3 script as its users wrote it; the one changed line is marked.
SCRIPT = textwrap.dedent(
    """
    import datetime
    from jupyter_mltrack.scale import Run  # was: from neptune_scale import Run

    def train(run, start, stop):
        for step in range(start, stop):
            loss = 1.0 / (step + 1)
            run.log_metrics(data={"train/loss": loss, "train/acc": 1 - loss}, step=step)
            if step % 5 == 0:
                run.log_string_series(data={"train/status": f"step {step}"}, step=step)

    started = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    with Run(experiment_name="seabird", run_id="sb-main", creation_time=started) as run:
        run.log_configs(
            {"params": {"lr": 0.01, "layers": [64, 32], "optim": "adam"}, "seed": 7},
            flatten=True,
            cast_unsupported=True,
        )
        run.add_tags(["baseline", "cpu"])
        train(run, 0, 20)
        run.assign_files({"model/weights": "weights.bin"})
        run.log_files({"eval/sample": "sample.txt"}, step=19)
        run.remove_tags(["cpu"])
        run.wait_for_processing()

    fork = Run(experiment_name="seabird", run_id="sb-fork", fork_run_id="sb-main", fork_step=10)
    fork.log_configs({"params/lr": 0.001})
    train(fork, 11, 15)
    fork.close()
    print("done")
    """
)


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def _open(store: Store, run_id: str) -> Any:
    return mlt.init_run(
        with_id=run_id, mode="read-only", store=store.config.url, blobs=str(store.config.blob_root)
    )


def test_neptune3_script_runs_with_one_changed_line(store: Store, tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01")
    (tmp_path / "sample.txt").write_text("a sample")
    (tmp_path / "train.py").write_text(SCRIPT)
    env = {
        **os.environ,
        "MLTRACK_STORE": store.config.url,
        "MLTRACK_BLOBS": str(store.config.blob_root),
        "NEPTUNE_PROJECT": "my-team/seabird",
        **{name: "0" for name in CAPTURE_SWITCHES},
    }
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"

    main = _open(store, "sb-main")
    assert main.info.project == "seabird" and main.info.name == "seabird"
    assert main.info.created_at == 1735787045.0 and main.info.state == "finished"
    assert main["params"].fetch() == {"lr": 0.01, "layers": "[64, 32]", "optim": "adam"}
    assert main["seed"].fetch() == 7
    assert main["sys/tags"].fetch() == {"baseline"}
    loss = main["train/loss"].fetch_values()
    assert list(loss["step"]) == list(range(20)) and loss["value"].iloc[3] == 0.25
    assert list(main["train/status"].fetch_values()["value"]) == [
        "step 0",
        "step 5",
        "step 10",
        "step 15",
    ]
    out = Path(main["model/weights"].download(str(tmp_path / "out.bin")))
    assert out.read_bytes() == b"\x00\x01"
    assert list(main["eval/sample"].fetch_values()["step"]) == [19.0]
    main.stop()

    fork = _open(store, "sb-fork")
    assert fork["forking/parent"].fetch() == "sb-main" and fork["forking/step"].fetch() == 10.0
    assert fork["params/lr"].fetch() == 0.001
    # The fork inherits its parent's points up to the fork step, in reads, none copied.
    loss = fork["train/loss"].fetch_values()
    assert list(loss["step"]) == [*range(11), 11, 12, 13, 14]
    assert loss["value"].iloc[10] == 1.0 / 11 and loss["value"].iloc[11] == 1.0 / 12
    stored = fields.read_series(store, fork.info.id, "train/loss")
    assert stored is not None and list(stored.steps) == [11, 12, 13, 14]
    chart = read_points(store, fork.info.short_id, "train/loss")  # what the lab draws
    assert chart.steps == [*range(11), 11, 12, 13, 14] and chart.count == 15
    status = fork["train/status"].fetch_values()  # a series only the parent logged
    assert list(status["value"]) == ["step 0", "step 5", "step 10"]
    fork.stop()
    table = mlt.init_project("seabird", store=store.config.url).fetch_runs_table(
        query='sys/custom_run_id = "sb-fork"'
    )
    assert list(table.to_pandas()["sys/name"]) == ["seabird"]


def _run(store: Store, **kwargs: Any) -> scale.Run:
    return scale.Run(
        project="steps", store=store.config.url, blobs=str(store.config.blob_root), **kwargs
    )


def test_steps_must_increase_as_in_neptune3(store: Store) -> None:
    run = _run(store, run_id="r1")
    run.log_metrics(data={"loss": 0.5}, step=2)
    with pytest.raises(scale.NeptuneSeriesStepNonIncreasing):
        run.log_metrics(data={"loss": 0.4}, step=1)
    with pytest.raises(scale.NeptuneSeriesStepNonIncreasing):
        run.log_metrics(data={"loss": 0.4}, step=2)  # same step, another value
    with pytest.warns(scale.NeptuneSeriesPointDuplicate):
        run.log_metrics(data={"loss": 0.5}, step=2)  # the same point again: dropped
    run.log_metrics(data={"acc": 0.1}, step=1)  # another series has its own steps
    run.log_metrics(data={"loss": 0.3}, step=2.5)
    seen: list[BaseException] = []
    run._on_error = lambda error, at: seen.append(error)
    run.log_metrics(data={"loss": 0.2}, step=0)  # to the callback, not raised
    assert [type(e) for e in seen] == [scale.NeptuneSeriesStepNonIncreasing]
    run.close()
    stored = _open(store, "r1")
    assert list(stored["loss"].fetch_values()["step"]) == [2.0, 2.5]
    stored.stop()


def test_runs_forks_and_configs_fail_as_in_neptune3(store: Store) -> None:
    first = _run(store, run_id="r1")
    first.log_metrics(data={"loss": 1.0}, step=0)
    first.close()
    with pytest.raises(scale.NeptuneRunConflicting):
        _run(store, run_id="r1")
    again = _run(store, run_id="r1", resume=True)
    with pytest.raises(scale.NeptuneSeriesStepNonIncreasing):  # the stored last step counts
        again.log_metrics(data={"loss": 0.9}, step=0)
    again.log_metrics(data={"loss": 0.9}, step=1)
    with pytest.raises(TypeError, match="cast_unsupported"):
        again.log_configs({"layers": [64, 32]})
    with pytest.raises(TypeError, match="flatten"):
        again.log_configs({"opt": {"name": "adam"}})
    again.close()
    with pytest.raises(scale.NeptuneRunForkParentNotFound):
        _run(store, run_id="f1", fork_run_id="nope", fork_step=3)
    fork = _run(store, run_id="f1", fork_run_id="r1", fork_step=3)
    with pytest.raises(scale.NeptuneSeriesStepNotAfterForkPoint):
        fork.log_metrics(data={"loss": 0.5}, step=3)
    fork.log_metrics(data={"loss": 0.5}, step=4)
    fork.close()
