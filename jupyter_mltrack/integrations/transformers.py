"""Hugging Face transformers: a TrainerCallback logging a `Trainer` to a run.

    from jupyter_mltrack.integrations.transformers import MLTrackCallback
    trainer = Trainer(model=model, args=args, train_dataset=ds,
                      callbacks=[MLTrackCallback(run=run)])

Fields, under `base_namespace` ("finetuning" by default, as neptune's callback):
`trainer_args/*` (TrainingArguments, tokens masked by transformers), `model_config/*`,
`model/class`, `model/parameters`, `model/trainable_parameters`; every Trainer log as a
series at the global step, named as neptune names them: `train/<key>` (loss, grad_norm,
learning_rate, epoch), `eval/<key>` for `eval_*`, `test/<key>` for `test_*`; the end-of-
training summary (train_runtime, train_loss, total_flos...) as scalars under `summary/`;
with `upload_checkpoints=True` each saved checkpoint's files under
`checkpoints/<checkpoint-N>/<file>`.

Only the world's main process logs, so the callback is safe under torchrun / accelerate.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._common import RunSlot, Staging, assign, finite, guarded, join, require

if TYPE_CHECKING:
    from ..client import Run

transformers = require("transformers", package="transformers", integration="transformers")

__all__ = ["MLTrackCallback"]

# The Trainer's last log of `train()`: totals for the whole training, not points of a curve.
_SUMMARY_KEYS = frozenset(
    {
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
        "total_flos",
        "train_loss",
    }
)


class MLTrackCallback(transformers.TrainerCallback):  # type: ignore[misc,name-defined]
    """`Trainer(..., callbacks=[MLTrackCallback(run=run)])`.

    Without `run=`, the `init_run` arguments (`project=`, `name=`...) are taken as keywords;
    the run is created when training begins and stopped when it ends. A run passed in is
    flushed at the end and left open for more logging (evaluation, predictions).
    """

    def __init__(
        self,
        run: Run | None = None,
        *,
        base_namespace: str = "finetuning",
        upload_checkpoints: bool = False,
        **init_run_kwargs: Any,
    ) -> None:
        self.slot = RunSlot(run, init_run_kwargs)
        self.base_namespace = base_namespace
        self.upload_checkpoints = upload_checkpoints
        self._last_step: dict[str, float] = {}
        self._training = False
        self._staging = Staging()

    @property
    def run(self) -> Run:
        return self.slot.last

    def _p(self, *parts: str) -> str:
        return join(self.base_namespace, *parts)

    @guarded("training arguments and the model config")
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self._training = True
        run = self.slot.get()
        assign(run, self._p("trainer_args"), args.to_dict())
        model = kwargs.get("model")
        if model is None:
            return
        cls = type(model)
        run[self._p("model/class")] = f"{cls.__module__}.{cls.__qualname__}"
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            assign(run, self._p("model_config"), config.to_dict())
        parameters = getattr(model, "parameters", None)
        if callable(parameters):
            params = list(parameters())
            run[self._p("model/parameters")] = sum(int(p.numel()) for p in params)
            run[self._p("model/trainable_parameters")] = sum(
                int(p.numel()) for p in params if p.requires_grad
            )

    @guarded("trainer logs")
    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        run = self.slot.get()
        step = float(state.global_step)
        summary = "train_runtime" in logs
        for key, value in logs.items():
            v = finite(value)
            if v is None:
                continue
            if summary and key in _SUMMARY_KEYS:
                run[self._p("summary", key)] = v
            elif summary and key == "epoch":
                run[self._p("summary/epoch")] = v
            else:
                path = self._p(_metric_path(key))
                # trainer.evaluate() after train() logs at the same global step: allowed.
                if step >= self._last_step.get(path, -1.0):
                    self._last_step[path] = step
                    run[path].log(v, step=step)

    @guarded("a checkpoint")
    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not (self.upload_checkpoints and state.is_world_process_zero):
            return
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if not os.path.isdir(folder):
            return
        run = self.slot.get()
        self._staging.release(run)  # the previous checkpoint's files are stored by now
        name = os.path.basename(folder)
        for root, _dirs, files in os.walk(folder):
            for f in sorted(files):
                full = os.path.join(root, f)
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                # Staged: save_total_limit may delete the folder before the writer reads it.
                run[self._p("checkpoints", name, rel)].upload(self._staging.file(full))

    @guarded("prediction metrics")
    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: dict[str, Any], **kwargs: Any
    ) -> None:
        # trainer.predict() does not go through on_log; its metrics arrive only here.
        if not state.is_world_process_zero:
            return
        self.on_log(args, state, control, logs=metrics)
        if not self._training:
            self.slot.finish()

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # A trainer.evaluate() after train() logged through on_log just before this.
        if state.is_world_process_zero and not self._training:
            self.slot.finish()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self._training = False
            self.slot.finish()
            self._staging.close(None)


def _metric_path(key: str) -> str:
    """Trainer log keys as neptune's callback names them: eval_loss -> eval/loss."""
    for prefix in ("eval", "test"):
        if key.startswith(prefix + "_"):
            return f"{prefix}/{key[len(prefix) + 1 :]}"
    return f"train/{key}"
