"""PyTorch Lightning: a Logger, so one argument connects a Trainer to a run.

    from jupyter_mltrack.integrations.lightning import MLTrackLogger
    trainer = Trainer(logger=MLTrackLogger(project="mnist"), max_epochs=3)

Fields, under `prefix` ("training" by default): `hyperparams/*` (the module's and data
module's `save_hyperparameters()`), every `self.log(...)` metric as a series named as logged
(step = global step), `model/summary`, and after each checkpoint save
`model/checkpoints/<file stem>` (the .ckpt files), `model/best_model_path`,
`model/best_model_score`, `model/last_model_path`.

Under DDP only global rank 0 logs: the run is created lazily, so other ranks never open one.
"""

from __future__ import annotations

import importlib
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import RunSlot, Staging, assign, finite, guarded, join, require


def _import_lightning() -> Any:
    """`lightning.pytorch` (the unified package), else the standalone `pytorch_lightning`."""
    try:
        return require("lightning.pytorch", package="lightning", integration="lightning")
    except ImportError as unified:
        try:
            return importlib.import_module("pytorch_lightning")
        except ImportError:
            raise unified from None


pl = _import_lightning()
Logger = pl.loggers.logger.Logger
rank_zero_experiment = pl.loggers.logger.rank_zero_experiment
rank_zero_only = pl.utilities.rank_zero.rank_zero_only

if TYPE_CHECKING:
    from torch.nn import Module

    from ..client import Run

__all__ = ["MLTrackLogger"]


class MLTrackLogger(Logger):  # type: ignore[misc,valid-type]
    """A Lightning logger writing to a jupyter-mltrack run.

    Pass `run=` to log into a run you created (it is flushed, not stopped, when `fit` ends),
    or leave it out and give `init_run` arguments (`project=`, `name=`, `tags=`...) as
    keywords: the logger then creates the run on first use and stops it when training ends.
    `log_model_checkpoints=False` records checkpoint paths and scores without uploading
    the files.
    """

    def __init__(
        self,
        run: Run | None = None,
        *,
        prefix: str = "training",
        log_model_checkpoints: bool = True,
        **init_run_kwargs: Any,
    ) -> None:
        super().__init__()
        self.slot = RunSlot(run, init_run_kwargs)
        self.prefix = prefix
        self.log_model_checkpoints = log_model_checkpoints
        self._uploaded: dict[str, float] = {}  # checkpoint path -> mtime uploaded
        self._staging = Staging()

    # -- what Lightning asks of a logger -----------------------------------------------------
    @property
    @rank_zero_experiment  # type: ignore[untyped-decorator]
    def experiment(self) -> Run:
        """The run (on rank 0; a do-nothing object elsewhere), for logging extra fields from
        a LightningModule: `self.logger.experiment["eval/report"].upload(...)`."""
        return self.slot.get()

    @property
    def run(self) -> Run:
        """The run this logger writes to (after training: the run it wrote to)."""
        return self.slot.last

    @property
    def name(self) -> str:
        """The project (checkpoints go under `<root>/<project>/<run id>/checkpoints`)."""
        project = self.slot.init_run_kwargs.get("project")
        if project is None and self.slot.created:
            project = self.slot.last.info.project
        return str(project or "mltrack")

    @property
    def version(self) -> str:
        """The run id (checkpoints go under `<root>/<name>/<run id>/checkpoints`)."""
        if rank_zero_only.rank > 0:
            return ""
        return self.slot.run_id()

    @rank_zero_only  # type: ignore[untyped-decorator]
    @guarded("hyperparameters")
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace | None, *args: Any, **kwargs: Any
    ) -> None:
        if params is None:
            return
        if isinstance(params, Namespace):
            params = vars(params)
        if not isinstance(params, Mapping) or not params:
            return
        assign(self.slot.get(), join(self.prefix, "hyperparams"), _uncallable(params))

    @rank_zero_only  # type: ignore[untyped-decorator]
    @guarded("metrics")
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        run = self.slot.get()
        for key, value in metrics.items():
            v = finite(value)
            if v is not None:
                run[join(self.prefix, key)].log(v, step=step)

    @rank_zero_only  # type: ignore[untyped-decorator]
    @guarded("the model summary")
    def log_graph(self, model: Module, input_array: Any = None) -> None:
        try:
            summary = str(pl.utilities.model_summary.ModelSummary(model, max_depth=-1))
        except Exception:  # a plain nn.Module: its repr says enough
            summary = repr(model)
        self.slot.get()[join(self.prefix, "model/summary")] = summary

    @rank_zero_only  # type: ignore[untyped-decorator]
    @guarded("checkpoints")
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        run = self.slot.get()
        model = join(self.prefix, "model")
        for attr in ("best_model_path", "last_model_path"):
            path = getattr(checkpoint_callback, attr, "")
            if path:
                run[join(model, attr)] = str(path)
        score = finite(getattr(checkpoint_callback, "best_model_score", None))
        if score is not None:
            run[join(model, "best_model_score")] = score
        if not self.log_model_checkpoints:
            return
        self._staging.release(run)  # the previous round's files are stored by now
        for path in _checkpoint_files(checkpoint_callback):
            mtime = path.stat().st_mtime
            if self._uploaded.get(str(path)) == mtime:
                continue
            self._uploaded[str(path)] = mtime
            # Staged: save_top_k may delete the file before the writer reads it.
            name = _checkpoint_name(path, checkpoint_callback)
            run[join(model, "checkpoints", name)].upload(self._staging.file(path))

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        """Training ended ("success", "failed", "finished"): make everything durable and stop
        a run this logger created. A run passed in stays open for the user."""
        if status == "failed" and self.slot.created and self.slot.owned:
            self.slot.mark_failed()
        self.slot.finish()  # the staged checkpoints are stored once this returns
        self._staging.close(None)

    # -- a logger is pickled for spawned DDP processes ---------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["slot"] = self.slot.portable()
        state["_staging"] = Staging()
        return state


def _uncallable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Callables (a model class, a loss function) as their qualified names."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, Mapping):
            out[str(k)] = _uncallable(v)
        elif callable(v) and not isinstance(v, type(None)):
            out[str(k)] = getattr(v, "__qualname__", None) or getattr(v, "__name__", repr(v))
        else:
            out[str(k)] = v
    return out


def _checkpoint_files(callback: Any) -> list[Path]:
    """Every checkpoint file the callback knows about that exists now."""
    paths: set[str] = set()
    for attr in ("best_model_path", "last_model_path"):
        p = getattr(callback, attr, "")
        if p:
            paths.add(str(p))
    paths.update(str(p) for p in (getattr(callback, "best_k_models", None) or {}))
    return sorted(Path(p) for p in paths if Path(p).is_file())


def _checkpoint_name(path: Path, callback: Any) -> str:
    """The file's path under the callback's folder, without `.ckpt` (`epoch=1-step=8`)."""
    dirpath = getattr(callback, "dirpath", None)
    try:
        rel = path.relative_to(dirpath) if dirpath else Path(path.name)
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("").as_posix()
