"""The Lightning logger against real Lightning, training a tiny regression on CPU."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning
from jupyter_mltrack.integrations import lightning as integration
from jupyter_mltrack.integrations.lightning import MLTrackLogger

QUIET = {"capture_hardware_metrics": False, "capture_stdout": False, "capture_stderr": False}

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::DeprecationWarning", "ignore::FutureWarning"
)


class Regression(pl.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4, fail_at_step: int = -1) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.global_step == self.hparams.fail_at_step:
            raise RuntimeError("diverged on purpose")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x).squeeze(-1), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x).squeeze(-1), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loaders() -> tuple[DataLoader[Any], DataLoader[Any]]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(32, 3, generator=g)
    y = x.sum(dim=1)
    ds = TensorDataset(x, y)
    return DataLoader(ds, batch_size=8), DataLoader(ds, batch_size=16)


def trainer(tmp_path: Path, logger: Any, **kw: Any) -> pl.Trainer:
    options: dict[str, Any] = {
        "max_epochs": 2,
        "accelerator": "cpu",
        "devices": 1,
        "default_root_dir": tmp_path,
        "log_every_n_steps": 1,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }
    return pl.Trainer(logger=logger, **{**options, **kw})


def test_trainer_logs_hyperparams_metrics_summary_and_checkpoints(tmp_path: Path) -> None:
    pl.seed_everything(0)
    train, val = loaders()
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=1)
    with mlt.init_run(project="lightning", **QUIET) as run:
        t = trainer(tmp_path, MLTrackLogger(run=run), callbacks=[checkpoint], max_epochs=3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MLTrackWarning)
            t.fit(Regression(lr=0.05, hidden=4), train, val)
        # save_top_k=1 deletes the older checkpoints: each was still stored, none warned.
        assert [w.message for w in caught if w.category is MLTrackWarning] == []
        ns = run["training"]
        assert ns["hyperparams"].fetch() == {"lr": 0.05, "hidden": 4, "fail_at_step": -1}
        assert "Linear" in ns["model/summary"].fetch()

        loss = ns["train_loss"].fetch_values()
        assert list(loss["step"]) == list(range(12))  # 4 batches x 3 epochs, every step
        assert loss["value"].iloc[-1] == pytest.approx(float(t.callback_metrics["train_loss"]))
        val_loss = ns["val_loss"].fetch_values()
        assert list(val_loss["step"]) == [3, 7, 11]
        assert ns["epoch"].fetch_values()["value"].max() == 2

        best = Path(checkpoint.best_model_path)
        assert ns["model/best_model_path"].fetch() == str(best)
        assert ns["model/best_model_score"].fetch() == pytest.approx(
            float(checkpoint.best_model_score)
        )
        copy = ns[f"model/checkpoints/{best.stem}"].download(tmp_path / "copy.ckpt")
        assert Path(copy).read_bytes() == best.read_bytes()
        improved = val_loss["value"].tolist()
        saves = sum(1 for i, v in enumerate(improved) if v < min(improved[:i], default=1e9))
        assert len(ns["model/checkpoints"].fetch()) == saves
        assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [best.name]
        assert run["sys/state"].fetch() == "running"  # the user's run is left open


def test_own_run_names_the_checkpoint_folder_and_is_finished(tmp_path: Path) -> None:
    train, val = loaders()
    logger = MLTrackLogger(project="lightning", name="own", log_model_checkpoints=False, **QUIET)
    t = trainer(tmp_path, logger)
    t.fit(Regression(), train, val)
    run = logger.run
    assert logger.version == run.id
    assert run.id in str(t.checkpoint_callback.dirpath)  # type: ignore[union-attr]
    read = mlt.init_run(with_id=run.id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    assert read["sys/name"].fetch() == "own"
    assert read["training/train_loss"].fetch_values()["step"].tolist() == list(range(8))
    assert read["training/model/best_model_path"].fetch().endswith(".ckpt")
    assert not read.exists("training/model/checkpoints")


def test_failed_training_marks_its_own_run_failed(tmp_path: Path) -> None:
    train, val = loaders()
    logger = MLTrackLogger(project="lightning", **QUIET)
    with pytest.raises(RuntimeError, match="diverged on purpose"):
        trainer(tmp_path, logger).fit(Regression(fail_at_step=2), train, val)
    read = mlt.init_run(with_id=logger.run.id, mode="read-only")
    assert read["sys/state"].fetch() == "failed"
    assert "diverged on purpose" in read["monitoring/traceback"].fetch()
    assert read["training/train_loss"].fetch_values()["step"].tolist() == [0, 1]


def test_ranks_other_than_zero_create_no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integration.rank_zero_only, "rank", 1)
    logger = MLTrackLogger(project="lightning-ddp", **QUIET)
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("success")
    assert logger.version == ""
    assert type(logger.experiment).__name__ == "_DummyExperiment"
    assert not logger.slot.created
    monkeypatch.setattr(integration.rank_zero_only, "rank", 0)
    assert mlt.init_project("lightning-ddp").fetch_runs_table().to_pandas().empty


def test_a_pickled_logger_resumes_the_same_run() -> None:
    with mlt.init_run(project="lightning", **QUIET) as run:
        logger = MLTrackLogger(run=run)
        logger.log_metrics({"loss": 2.0}, step=0)
        copy = pickle.loads(pickle.dumps(logger))  # what a spawned DDP process receives
        copy.log_metrics({"loss": 1.0}, step=1)
        copy.finalize("success")  # a borrowed run: flushed, not stopped
        assert copy.run.id == run.id
        assert copy.run is not run
        assert run["training/loss"].fetch_values()["value"].tolist() == [2.0, 1.0]
        copy.run.stop()
