"""Optuna: a study callback logging every trial, the best so far, and the study's plots.

    from jupyter_mltrack.integrations.optuna import MLTrackCallback
    study.optimize(objective, n_trials=50, callbacks=[MLTrackCallback(run=run)])

Fields, under `base_namespace` (the run's root by default, as neptune's Optuna integration):
`study/name`, `study/direction`, `study/distributions/<param>`, `study/n_trials`;
per trial `trials/<number>/params/<name>`, `value` (or `values/<i>`), `state`, `duration`
(seconds), `datetime_start`, `user_attrs/*`, `intermediate_values` (a series, the reported
steps); series over trials `trials/values` and `best/value_history`; `best/value`,
`best/params/*`, `best/trial_number` (multi-objective: `best/trial_numbers`, the Pareto
front); and when plotly is installed `visualizations/optimization_history` and
`visualizations/param_importances` as self-contained HTML files, refreshed every
`plots_update_freq` trials and by `log_study(study, run=run)` at the end.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._common import RunSlot, assign, finite, guarded, join, require

if TYPE_CHECKING:
    from optuna.study import Study
    from optuna.trial import FrozenTrial

    from ..client import Run

optuna = require("optuna", package="optuna", integration="optuna")

__all__ = ["MLTrackCallback", "log_study"]


class MLTrackCallback:
    """`study.optimize(..., callbacks=[MLTrackCallback(run=run)])`.

    Without `run=`, the `init_run` arguments (`project=`, `name=`...) are taken as keywords
    and the run is created at the first finished trial; stop it with `callback.stop()` (or
    let `log_study(study, run=callback.run)` finish the plots first). Thread-safe for
    `n_jobs > 1`.
    """

    def __init__(
        self,
        run: Run | None = None,
        *,
        base_namespace: str = "",
        plots_update_freq: int | None = 10,
        **init_run_kwargs: Any,
    ) -> None:
        if plots_update_freq is not None and plots_update_freq < 1:
            raise ValueError("plots_update_freq must be a positive number of trials or None")
        self.slot = RunSlot(run, init_run_kwargs)
        self.base_namespace = base_namespace
        self.plots_update_freq = plots_update_freq
        self._lock = threading.Lock()
        self._logger: _StudyLogger | None = None
        self._finished = 0

    @property
    def run(self) -> Run:
        return self.slot.last

    @guarded("a trial")
    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:  # optuna calls back from its worker threads under n_jobs > 1
            run = self.slot.get()
            if self._logger is None or self._logger.run is not run:
                self._logger = _StudyLogger(run, self.base_namespace)
                self._logger.study(study)
            self._logger.trial(trial)
            self._logger.best(study, trial.number)
            self._finished += 1
            if self.plots_update_freq and self._finished % self.plots_update_freq == 0:
                self._logger.plots(study)

    def stop(self) -> None:
        """Flush the run, and stop it if this callback created it."""
        self.slot.finish()


def log_study(
    study: Study,
    run: Run | None = None,
    *,
    base_namespace: str = "",
    log_trials: bool = True,
    log_plots: bool = True,
    **init_run_kwargs: Any,
) -> Run:
    """Log a whole study after the fact (or finish what the callback logged): the study,
    every trial, the best trial and the plots. Creates a run (and stops it) when none is
    given; returns the run either way."""
    slot = RunSlot(run, init_run_kwargs)
    with slot.session() as run_:
        logger = _StudyLogger(run_, base_namespace)
        logger.study(study)
        trials = study.get_trials(deepcopy=False)
        if log_trials:
            for trial in trials:
                if trial.state.is_finished():
                    logger.trial(trial)
        logger.best(study, max((t.number for t in trials), default=0))
        if log_plots:
            logger.plots(study)
    return slot.last


class _StudyLogger:
    """Writes one study's fields to one run; remembers what it logged to log it once."""

    def __init__(self, run: Run, base_namespace: str) -> None:
        self.run = run
        self.base = base_namespace
        self._distributions: set[str] = set()
        self._last_step = -1
        self._best_step = -1
        self._best_number: int | None = None

    def _p(self, *parts: str) -> str:
        return join(self.base, *parts)

    def study(self, study: Study) -> None:
        run = self.run
        run[self._p("study/name")] = study.study_name
        directions = [d.name.lower() for d in study.directions]
        run[self._p("study/direction")] = ",".join(directions)

    def trial(self, trial: FrozenTrial) -> None:
        run, t = self.run, self._p("trials", str(trial.number))
        run[join(t, "state")] = trial.state.name
        if trial.params:
            assign(run, join(t, "params"), trial.params)
        for name, dist in trial.distributions.items():
            if name not in self._distributions:
                self._distributions.add(name)
                run[self._p("study/distributions", name)] = repr(dist)
        if trial.datetime_start is not None:
            run[join(t, "datetime_start")] = trial.datetime_start
            if trial.datetime_complete is not None:
                seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
                run[join(t, "duration")] = seconds
        if trial.user_attrs:
            assign(run, join(t, "user_attrs"), trial.user_attrs)
        for step in sorted(trial.intermediate_values):
            v = finite(trial.intermediate_values[step])
            if v is not None:
                run[join(t, "intermediate_values")].log(v, step=step)
        values = trial.values
        if values is None:
            return
        if len(values) == 1:
            v = finite(values[0])
            if v is None:
                return
            run[join(t, "value")] = v  # a pruned trial's is its last reported value
            if trial.state != optuna.trial.TrialState.COMPLETE:
                return
            # Trials may finish out of order under n_jobs > 1; a series' steps never go
            # back, so a late trial is plotted at the newest step instead of being dropped.
            step = max(trial.number, self._last_step)
            self._last_step = step
            run[self._p("trials/values")].log(v, step=step)
        else:
            for i, value in enumerate(values):
                v = finite(value)
                if v is not None:
                    run[join(t, "values", str(i))] = v

    def best(self, study: Study, number: int) -> None:
        """The best trial so far, after trial `number` finished."""
        run = self.run
        run[self._p("study/n_trials")] = len(study.get_trials(deepcopy=False))
        if len(study.directions) > 1:
            numbers = sorted(t.number for t in study.best_trials)
            run[self._p("best/trial_numbers")] = ",".join(map(str, numbers))
            return
        try:
            best = study.best_trial
        except ValueError:  # no completed trial yet
            return
        value = finite(best.value)
        if value is None:
            return
        self._best_step = max(number, self._best_step)
        run[self._p("best/value_history")].log(value, step=self._best_step)
        if best.number == self._best_number:
            return
        self._best_number = best.number
        run[self._p("best/value")] = value
        run[self._p("best/trial_number")] = best.number
        if best.params:
            assign(run, self._p("best/params"), best.params)

    def plots(self, study: Study) -> None:
        """The optimization history and parameter importances, when plotly is installed."""
        try:
            import plotly  # noqa: F401
        except ImportError:
            return
        from optuna import visualization

        from ..types import File

        complete = [
            t
            for t in study.get_trials(deepcopy=False)
            if t.state == optuna.trial.TrialState.COMPLETE
        ]
        if not complete:
            return
        run = self.run
        history = visualization.plot_optimization_history(
            study, target=None if len(study.directions) == 1 else _first_objective
        )
        run[self._p("visualizations/optimization_history")].upload(File.as_html(history))
        # Importances need two completed trials and a parameter that varied between them.
        varied = {
            name
            for name in complete[0].params
            if len({repr(t.params.get(name)) for t in complete}) > 1
        }
        if len(complete) >= 2 and varied and len(study.directions) == 1:
            importances = visualization.plot_param_importances(study)
            run[self._p("visualizations/param_importances")].upload(File.as_html(importances))


def _first_objective(trial: FrozenTrial) -> float:
    return float(trial.values[0])
