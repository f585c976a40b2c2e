"""The transformers callback against a real `Trainer` fine-tuning a tiny BERT built from a
config (no download) on CPU."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tiny model is built from a config

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import jupyter_mltrack as mlt
from jupyter_mltrack.client import MLTrackWarning
from jupyter_mltrack.integrations.transformers import MLTrackCallback

QUIET = {"capture_hardware_metrics": False, "capture_stdout": False, "capture_stderr": False}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Random token ids; the label is whether the first token is in the upper half."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randint(0, 50, (n, 8), generator=g)
        self.y = (self.x[:, 0] >= 25).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.x[i], "labels": self.y[i]}


def make_trainer(tmp_path: Path, callback: MLTrackCallback, **args: Any) -> Trainer:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    defaults: dict[str, Any] = {
        "num_train_epochs": 2,
        "per_device_train_batch_size": 8,
        "learning_rate": 1e-3,
        "logging_steps": 2,
        "eval_strategy": "epoch",
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "disable_tqdm": True,
    }
    training_args = TrainingArguments(output_dir=str(tmp_path / "out"), **{**defaults, **args})
    return Trainer(
        model=BertForSequenceClassification(config),
        args=training_args,
        train_dataset=Tokens(32, 0),
        eval_dataset=Tokens(16, 1),
        callbacks=[callback],
    )


def test_trainer_logs_arguments_config_series_and_summary(tmp_path: Path) -> None:
    with mlt.init_run(project="hf", **QUIET) as run:
        trainer = make_trainer(tmp_path, MLTrackCallback(run=run))
        result = trainer.train()
        ns = run["finetuning"]
        assert ns["trainer_args/learning_rate"].fetch() == 1e-3
        assert ns["trainer_args/num_train_epochs"].fetch() == 2
        assert ns["trainer_args/hub_token"].fetch() == "<HUB_TOKEN>"  # masked by transformers
        assert ns["model_config/hidden_size"].fetch() == 16
        assert ns["model_config/model_type"].fetch() == "bert"
        assert ns["model/class"].fetch().endswith("BertForSequenceClassification")
        assert ns["model/parameters"].fetch() == sum(p.numel() for p in trainer.model.parameters())

        history = trainer.state.log_history
        logged = [h for h in history if "loss" in h]
        loss = ns["train/loss"].fetch_values()
        assert loss["step"].tolist() == [h["step"] for h in logged] == [2, 4, 6, 8]
        assert loss["value"].tolist() == pytest.approx([h["loss"] for h in logged])
        lr = ns["train/learning_rate"].fetch_values()["value"].tolist()
        assert lr == pytest.approx([h["learning_rate"] for h in logged])
        evals = [h for h in history if "eval_loss" in h]
        eval_loss = ns["eval/loss"].fetch_values()
        assert eval_loss["step"].tolist() == [4, 8]
        assert eval_loss["value"].tolist() == pytest.approx([h["eval_loss"] for h in evals])
        assert ns["summary/train_loss"].fetch() == pytest.approx(result.training_loss)
        assert ns["summary/train_runtime"].fetch() > 0
        assert not run.exists("finetuning/train/train_runtime")

        metrics = trainer.evaluate()  # after training, at the same step: one more point
        assert ns["eval/loss"].fetch_values()["value"].tolist()[-1] == pytest.approx(
            metrics["eval_loss"]
        )
        assert run["sys/state"].fetch() == "running"


def test_own_run_is_stopped_and_reused_by_evaluate_and_checkpoints_uploaded(
    tmp_path: Path,
) -> None:
    callback = MLTrackCallback(project="hf", name="bert", upload_checkpoints=True, **QUIET)
    trainer = make_trainer(tmp_path, callback, save_strategy="epoch", save_total_limit=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MLTrackWarning)
        trainer.train()
    # save_total_limit=1 deleted checkpoint-4 at the next save: it was stored all the same.
    assert [w.message for w in caught if w.category is MLTrackWarning] == []
    assert not (tmp_path / "out" / "checkpoint-4").exists()
    run_id = callback.run.id
    assert callback.run["sys/state"].fetch() == "finished"

    trainer.evaluate()
    assert callback.run.id == run_id
    read = mlt.init_run(with_id=run_id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    assert read["sys/name"].fetch() == "bert"
    assert len(read["finetuning/eval/loss"].fetch_values()) == 3  # 2 epochs + evaluate()

    folder = tmp_path / "out" / "checkpoint-8"
    for step in (4, 8):
        stored = read[f"finetuning/checkpoints/checkpoint-{step}"].fetch()
        assert {"config.json", "model.safetensors", "trainer_state.json"} <= set(stored)
    copy = read["finetuning/checkpoints/checkpoint-8/model.safetensors"].download(tmp_path / "m")
    assert Path(copy).read_bytes() == (folder / "model.safetensors").read_bytes()
