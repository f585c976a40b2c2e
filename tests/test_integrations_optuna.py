"""The Optuna callback and log_study against a real study (with plotly for the plots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.integrations.optuna import MLTrackCallback, log_study

QUIET = {"capture_hardware_metrics": False, "capture_stdout": False, "capture_stderr": False}

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report((x - 2) ** 2 + step, step)
    if x > 9:
        raise optuna.TrialPruned()
    return (x - 2) ** 2 + (0.5 if kind == "b" else 0.0)


def study() -> optuna.Study:
    s = optuna.create_study(study_name="quadratic", sampler=optuna.samplers.TPESampler(seed=0))
    s.enqueue_trial({"x": 9.5, "kind": "a"})  # trial 0 is pruned
    s.enqueue_trial({"x": 2.0, "kind": "b"})
    return s


def trial_fields(run: Any, number: int) -> dict[str, Any]:
    return dict(run[f"trials/{number}"].fetch())


def test_callback_logs_each_trial_the_best_so_far_and_the_plots(tmp_path: Path) -> None:
    s = study()
    with mlt.init_run(project="optuna", **QUIET) as run:
        s.optimize(objective, n_trials=6, callbacks=[MLTrackCallback(run=run, plots_update_freq=6)])

        assert run["study/name"].fetch() == "quadratic"
        assert run["study/direction"].fetch() == "minimize"
        assert run["study/n_trials"].fetch() == 6
        assert "FloatDistribution" in run["study/distributions/x"].fetch()
        for t in s.trials:
            logged = trial_fields(run, t.number)
            assert logged["state"] == t.state.name
            assert logged["params"] == t.params
            assert logged["duration"] == pytest.approx(t.duration.total_seconds())  # type: ignore[union-attr]
            assert logged["value"] == pytest.approx(t.value)  # pruned: the last reported
            steps = run[f"trials/{t.number}/intermediate_values"].fetch_values()
            assert steps["step"].tolist() == [0, 1, 2]
        assert trial_fields(run, 0)["state"] == "PRUNED"
        assert trial_fields(run, 0)["value"] == pytest.approx((9.5 - 2) ** 2 + 2)

        values = run["trials/values"].fetch_values()
        complete = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert values["step"].tolist() == [t.number for t in complete]
        assert values["value"].tolist() == pytest.approx([t.value for t in complete])
        history = run["best/value_history"].fetch_values()["value"].tolist()
        assert history == sorted(history, reverse=True)  # best so far never gets worse
        assert run["best/value"].fetch() == pytest.approx(s.best_value)
        assert run["best/trial_number"].fetch() == s.best_trial.number
        assert run["best/params"].fetch() == s.best_params

        titles = {
            "optimization_history": "Optimization History Plot",
            "param_importances": "Hyperparameter Importances",
        }
        for plot, title in titles.items():
            page = Path(run[f"visualizations/{plot}"].download(tmp_path / f"{plot}.html"))
            html = page.read_text()
            assert "<html>" in html[:100] and title in html


def test_own_run_from_the_callback_is_stopped_by_stop() -> None:
    s = study()
    callback = MLTrackCallback(project="optuna", name="search", plots_update_freq=None, **QUIET)
    s.optimize(objective, n_trials=3, callbacks=[callback])
    assert callback.run["sys/state"].fetch() == "running"
    assert not callback.run.exists("visualizations")
    callback.stop()
    read = mlt.init_run(with_id=callback.run.id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    assert read["sys/name"].fetch() == "search"
    assert read["best/value"].fetch() == pytest.approx(s.best_value)


def test_log_study_after_the_fact_creates_and_stops_its_run() -> None:
    s = study()
    s.optimize(objective, n_trials=4)
    run = log_study(s, project="optuna", name="summary", **QUIET)
    read = mlt.init_run(with_id=run.id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    assert read["study/n_trials"].fetch() == 4
    assert {n: trial_fields(read, n)["state"] for n in range(4)} == {
        t.number: t.state.name for t in s.trials
    }
    assert read["best/params"].fetch() == s.best_params
    assert read.exists("visualizations/optimization_history")


def test_multi_objective_logs_each_value_and_the_pareto_front() -> None:
    s = optuna.create_study(
        directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(0)
    )

    def two(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, x * x

    with mlt.init_run(project="optuna", **QUIET) as run:
        s.optimize(two, n_trials=4, callbacks=[MLTrackCallback(run=run)])
        assert run["study/direction"].fetch() == "minimize,maximize"
        assert run["trials/1/values"].fetch() == {
            "0": s.trials[1].values[0],
            "1": s.trials[1].values[1],
        }
        front = {int(n) for n in run["best/trial_numbers"].fetch().split(",")}
        assert front == {t.number for t in s.best_trials}


def test_parallel_trials_are_all_logged_without_warnings() -> None:
    import warnings

    from jupyter_mltrack.client import MLTrackWarning

    s = optuna.create_study(sampler=optuna.samplers.RandomSampler(1))
    with mlt.init_run(project="optuna", **QUIET) as run:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MLTrackWarning)
            s.optimize(
                objective,
                n_trials=8,
                n_jobs=2,
                callbacks=[MLTrackCallback(run=run, plots_update_freq=None)],
            )
        assert [w.message for w in caught if w.category is MLTrackWarning] == []
        assert run["study/n_trials"].fetch() == 8
        assert sorted(int(n) for n in run["trials"].fetch() if n.isdigit()) == list(range(8))
        complete = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert len(run["trials/values"].fetch_values()) == len(complete)
        assert run["best/value"].fetch() == pytest.approx(s.best_value)
