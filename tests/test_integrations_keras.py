"""The Keras callback against real Keras 3 (torch backend), training a tiny model on CPU."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is first imported

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.integrations.keras import MLTrackCallback

QUIET = {"capture_hardware_metrics": False, "capture_stdout": False, "capture_stderr": False}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def tiny_model(lr: Any = 0.01) -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


def data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    return x, x.sum(axis=1)


def test_fit_logs_summary_optimizer_fit_params_and_every_series() -> None:
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    model = tiny_model(schedule)
    x, y = data()
    with mlt.init_run(project="keras", **QUIET) as run:
        history = model.fit(
            x,
            y,
            epochs=3,
            batch_size=16,
            validation_split=0.25,
            callbacks=[MLTrackCallback(run=run)],
            verbose=0,
        )
        ns = run["training"]
        assert "dense" in ns["model/summary"].fetch().lower()
        config = ns["model/optimizer_config"].fetch()
        assert config["name"] == "adam"
        assert config["learning_rate"]["class_name"] == "ExponentialDecay"
        assert config["learning_rate"]["config"]["decay_steps"] == 2
        assert ns["fit_params"].fetch() == {"epochs": 3, "steps": 3, "verbose": 0}

        batch = ns["train/batch/loss"].fetch_values()
        assert list(batch["step"]) == list(range(9))  # 3 epochs x 3 batches, one step each
        epoch = ns["train/epoch/loss"].fetch_values()
        assert list(epoch["step"]) == [0, 1, 2]
        assert np.allclose(epoch["value"], history.history["loss"])
        assert np.allclose(ns["train/epoch/mae"].fetch_values()["value"], history.history["mae"])
        val = ns["validation/epoch/loss"].fetch_values()
        assert np.allclose(val["value"], history.history["val_loss"])
        # The learning rate after each epoch is the schedule at that many optimizer steps.
        lr = ns["train/epoch/learning_rate"].fetch_values()["value"]
        assert np.allclose(lr, [0.01 * 0.5 ** (3 * (e + 1) / 2) for e in range(3)], rtol=1e-5)

        # evaluate() through the same callback: scalars, and the run stays open (not owned).
        loss, mae = model.evaluate(x, y, callbacks=[MLTrackCallback(run=run)], verbose=0)
        assert ns["eval/loss"].fetch() == pytest.approx(loss)
        assert ns["eval/mae"].fetch() == pytest.approx(mae)
        assert run["sys/state"].fetch() == "running"


def test_second_fit_into_the_same_run_continues_the_steps() -> None:
    model = tiny_model()
    x, y = data()
    with mlt.init_run(project="keras", **QUIET) as run:
        cb = MLTrackCallback(run=run, base_namespace="", log_on_batch=False)
        model.fit(x, y, epochs=2, batch_size=32, callbacks=[cb], verbose=0)
        model.fit(x, y, epochs=2, batch_size=32, callbacks=[cb], verbose=0)
        assert list(run["train/epoch/loss"].fetch_values()["step"]) == [0, 1, 2, 3]
        assert not run.exists("train/batch")


def test_own_run_is_created_stopped_then_resumed_by_evaluate(tmp_path: Path) -> None:
    model = tiny_model()
    x, y = data()
    cb = MLTrackCallback(project="keras", name="own", checkpoints="last", **QUIET)
    model.fit(x, y, epochs=2, batch_size=32, callbacks=[cb], verbose=0)
    run_id = cb.run.id
    assert cb.run["sys/state"].fetch() == "finished"
    assert cb.run["sys/name"].fetch() == "own"

    path = cb.run["training/model/checkpoint"].download(tmp_path / "model.keras")
    restored = keras.models.load_model(path)
    assert np.allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)

    model.evaluate(x, y, callbacks=[cb], verbose=0)
    assert cb.run.id == run_id  # the same run, resumed by id, then stopped again
    read = mlt.init_run(with_id=run_id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    assert read["training/eval/loss"].fetch() > 0
    assert read["training/train/epoch/loss"].fetch_values()["step"].tolist() == [0, 1]


def test_checkpoint_per_epoch_is_a_file_series(tmp_path: Path) -> None:
    model = tiny_model()
    x, y = data()
    with mlt.init_run(project="keras", **QUIET) as run:
        model.fit(
            x, y, epochs=2, callbacks=[MLTrackCallback(run=run, checkpoints="epoch")], verbose=0
        )
        folder = Path(run["training/model/checkpoints"].download(tmp_path / "ckpts"))
        files = sorted(folder.iterdir())
        assert [f.suffix for f in files] == [".keras", ".keras"]
        keras.models.load_model(files[-1])  # a real, loadable model file


def test_unknown_checkpoints_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="checkpoints must be"):
        MLTrackCallback(checkpoints="best")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:mltrack.*repeated problems")
def test_a_logging_problem_warns_and_training_goes_on_unless_strict() -> None:
    from jupyter_mltrack.client import MLTrackWarning
    from jupyter_mltrack.errors import InvalidInput

    x, y = data()
    with mlt.init_run(project="keras", **QUIET) as run:
        run["training"] = 1.0  # a field where the callback wants its namespace
        model = tiny_model()
        with pytest.warns(MLTrackWarning, match="training"):
            history = model.fit(x, y, epochs=2, callbacks=[MLTrackCallback(run=run)], verbose=0)
        assert len(history.history["loss"]) == 2  # the training itself was not disturbed
        assert run["training"].fetch() == 1.0

    with mlt.init_run(project="keras", strict=True, **QUIET) as strict:
        strict["training"] = 1.0
        with pytest.raises(InvalidInput, match="training"):
            tiny_model().fit(x, y, epochs=1, callbacks=[MLTrackCallback(run=strict)], verbose=0)


def test_a_run_that_cannot_be_created_stops_fit_with_the_reason() -> None:
    from jupyter_mltrack.errors import InvalidInput

    x, y = data()
    with pytest.raises(InvalidInput, match="mode"):
        tiny_model().fit(x, y, epochs=1, callbacks=[MLTrackCallback(mode="sometimes")], verbose=0)
