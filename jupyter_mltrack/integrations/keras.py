"""Keras 3 (any backend): one callback logs a `fit()` to a run.

    from jupyter_mltrack.integrations.keras import MLTrackCallback
    model.fit(x, y, epochs=5, callbacks=[MLTrackCallback(run=run)])

Fields, under `base_namespace` ("training" by default, as neptune's Keras integration):
`model/summary`, `model/optimizer_config/*`, `fit_params/*` (epochs, steps, verbose),
`train/batch/<metric>` (step = batch number across epochs), `train/epoch/<metric>` and
`validation/epoch/<metric>` (step = epoch), `train/epoch/learning_rate`, `eval/<metric>` for
`model.evaluate(..., callbacks=[cb])`, and with `checkpoints="last"` / `"epoch"` the saved
model as `model/checkpoint` (one file) or `model/checkpoints` (a file series, one per epoch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ._common import RunSlot, Staging, assign, finite, guarded, join, require

if TYPE_CHECKING:
    from ..client import Run


def _import_keras() -> Any:
    try:
        return require("keras", package="keras", integration="keras")
    except ImportError as e:
        backend = getattr(e.__cause__, "name", None) or ""
        if backend.split(".")[0] in ("tensorflow", "jax", "torch"):
            # keras is there; the backend it was told to use (KERAS_BACKEND or
            # ~/.keras/keras.json, tensorflow by default) is not.
            raise ImportError(
                f"keras is installed but its backend {backend.split('.')[0]!r} is not: "
                "install it, or set KERAS_BACKEND=torch (or jax, tensorflow) to one that is "
                "installed before keras is imported"
            ) from e
        raise


keras = _import_keras()

__all__ = ["MLTrackCallback"]

Checkpoints = Literal["last", "epoch"] | None


class MLTrackCallback(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
    """Log a Keras `fit()` (and `evaluate()`) to a run.

    Pass `run=` to log into a run you created, or leave it out and give `init_run` arguments
    (`project=`, `name=`, `tags=`...) as keywords: the callback then creates the run when
    training begins and stops it when training ends.
    """

    def __init__(
        self,
        run: Run | None = None,
        *,
        base_namespace: str = "training",
        log_on_batch: bool = True,
        checkpoints: Checkpoints = None,
        **init_run_kwargs: Any,
    ) -> None:
        super().__init__()
        if checkpoints not in (None, "last", "epoch"):
            raise ValueError(f"checkpoints must be None, 'last' or 'epoch', not {checkpoints!r}")
        self.slot = RunSlot(run, init_run_kwargs)
        self.base_namespace = base_namespace
        self.log_on_batch = log_on_batch
        self.checkpoints = checkpoints
        self._in_fit = False
        # Steps only go forward in a series: a second fit() into the same run continues
        # after the first instead of writing over its steps.
        self._batch_step = 0
        self._epoch_step = 0
        self._run_id: str | None = None
        self._staging = Staging()

    @property
    def run(self) -> Run:
        """The run this callback logs to (after training: the run it logged to)."""
        return self.slot.last

    def _path(self, *parts: str) -> str:
        return join(self.base_namespace, *parts)

    # -- fit ---------------------------------------------------------------------------------
    @guarded("the model summary and fit parameters")
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._in_fit = True
        run = self.slot.get()
        if run.id != self._run_id:
            self._run_id = run.id
            self._batch_step = self._epoch_step = 0
        lines: list[str] = []
        self.model.summary(print_fn=lambda line, *a, **k: lines.append(line))
        run[self._path("model/summary")] = "\n".join(lines)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            assign(run, self._path("model/optimizer_config"), optimizer.get_config())
        assign(run, self._path("fit_params"), self.params or {})

    @guarded("batch metrics")
    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = self._batch_step
        self._batch_step += 1
        if not self.log_on_batch or not logs:
            return
        run = self.run
        for name, value in logs.items():
            v = finite(value)
            if v is not None:
                run[self._path("train/batch", name)].log(v, step=step)

    @guarded("epoch metrics")
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run = self.run
        epoch = max(epoch, self._epoch_step)  # initial_epoch= resumes keep their numbers
        self._epoch_step = epoch + 1
        for name, value in (logs or {}).items():
            v = finite(value)
            if v is None:
                continue
            if name.startswith("val_"):
                run[self._path("validation/epoch", name[4:])].log(v, step=epoch)
            else:
                run[self._path("train/epoch", name)].log(v, step=epoch)
        lr = self._learning_rate()
        if lr is not None and not (logs and "learning_rate" in logs):
            run[self._path("train/epoch/learning_rate")].log(lr, step=epoch)
        if self.checkpoints == "epoch":
            self._staging.release(run)  # last epoch's file is stored by now
            run[self._path("model/checkpoints")].log(self._save_model(f"epoch_{epoch}"), step=epoch)

    @guarded("the end of training")
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._in_fit = False
        try:
            if self.checkpoints == "last":
                self.run[self._path("model/checkpoint")].upload(self._save_model("last"))
        finally:
            self.slot.finish()  # the run has the checkpoint files once this returns
            self._staging.close(None)

    # -- evaluate ----------------------------------------------------------------------------
    @guarded("evaluation metrics")
    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        # fit() runs validation through the same hook; its numbers arrive as val_* at epoch end.
        if self._in_fit or not logs:
            return
        run = self.slot.get()
        for name, value in logs.items():
            v = finite(value)
            if v is not None:
                run[self._path("eval", name)] = v
        self.slot.finish()

    # -- helpers -----------------------------------------------------------------------------
    def _learning_rate(self) -> float | None:
        """The optimizer's current learning rate (a schedule is evaluated at this step)."""
        optimizer = getattr(self.model, "optimizer", None)
        lr = getattr(optimizer, "learning_rate", None)
        if lr is None:
            return None
        try:
            value = keras.ops.convert_to_numpy(lr)
        except Exception:  # a plain float on some backends
            value = lr
        out = finite(value)
        return float(out) if out is not None else None

    def _save_model(self, stem: str) -> Any:
        """Save the model as a .keras file, kept until the run has stored it."""
        path = self._staging.new_path(f"{stem}.keras")
        self.model.save(path)
        return self._staging.pending(path)
