"""The scikit-learn helpers against real estimators fitted on small datasets sklearn ships."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import jupyter_mltrack as mlt
from jupyter_mltrack.integrations.sklearn import log_classifier, log_estimator, log_regressor

QUIET = {"capture_hardware_metrics": False, "capture_stdout": False, "capture_stderr": False}
PNG = b"\x89PNG\r\n\x1a\n"


def split(loader: Any) -> list[Any]:
    X, y = loader(return_X_y=True)
    return list(train_test_split(X, y, test_size=0.3, random_state=0, stratify=None))


def download(run: Any, path: str, dest: Path) -> bytes:
    return Path(run[path].download(dest)).read_bytes()


def test_multiclass_classifier_scores_confusion_matrix_and_roc(tmp_path: Path) -> None:
    X_train, X_test, y_train, y_test = split(load_iris)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=200))
    clf.fit(X_train, y_train)
    with mlt.init_run(project="sklearn", **QUIET) as run:
        log_classifier(clf, X_train, X_test, y_train, y_test, run=run, upload_model=True)
        ns = run["model"]
        assert ns["estimator/class"].fetch() == "sklearn.pipeline.Pipeline"
        params = ns["estimator/params"].fetch()
        assert params["logisticregression"]["C"] == 0.5
        assert params["logisticregression"]["max_iter"] == 200
        assert params["standardscaler"]["with_mean"] is True

        for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            scores = ns[f"{name}/scores"].fetch()
            assert scores["accuracy"] == pytest.approx(clf.score(X, y))
            assert scores["f1_macro"] == pytest.approx(
                metrics.f1_score(y, clf.predict(X), average="macro")
            )
            assert scores["roc_auc"] == pytest.approx(
                metrics.roc_auc_score(y, clf.predict_proba(X), multi_class="ovr")
            )

        counts = json.loads(ns["test/confusion_matrix"].fetch())
        assert counts["labels"] == ["0", "1", "2"]
        assert counts["counts"] == metrics.confusion_matrix(y_test, clf.predict(X_test)).tolist()
        assert download(run, "model/diagnostics/confusion_matrix", tmp_path / "cm.png")[:8] == PNG
        assert download(run, "model/diagnostics/roc_curve", tmp_path / "roc.png")[:8] == PNG
        model = run["model/estimator/pickled_model"].download(tmp_path / "model.pkl")
        import pickle

        restored = pickle.loads(Path(model).read_bytes())
        assert (restored.predict(X_test) == clf.predict(X_test)).all()


def test_binary_classifier_without_probabilities_uses_decision_scores(tmp_path: Path) -> None:
    X_train, X_test, y_train, y_test = split(load_breast_cancer)
    clf = make_pipeline(StandardScaler(), LinearSVC(C=0.1)).fit(X_train, y_train)
    run = log_classifier(
        clf, X_train, X_test, y_train, y_test, project="sklearn", name="svc", **QUIET
    )
    read = mlt.init_run(with_id=run.id, mode="read-only")
    assert read["sys/state"].fetch() == "finished"
    scores = read["model/test/scores"].fetch()
    assert scores["accuracy"] == pytest.approx(clf.score(X_test, y_test))
    assert "roc_auc" not in scores  # no probabilities: no AUC score, but still a ROC curve
    assert download(read, "model/diagnostics/roc_curve", tmp_path / "roc.png")[:8] == PNG


def test_regressor_scores_and_residuals(tmp_path: Path) -> None:
    X_train, X_test, y_train, y_test = split(load_diabetes)
    reg = Ridge(alpha=0.3).fit(X_train, y_train)
    with mlt.init_run(project="sklearn", **QUIET) as run:
        log_regressor(reg, X_train, X_test, y_train, y_test, run=run, namespace="ridge")
        assert run["ridge/estimator/params/alpha"].fetch() == 0.3
        test = run["ridge/test/scores"].fetch()
        pred = reg.predict(X_test)
        assert test["r2"] == pytest.approx(reg.score(X_test, y_test))
        assert test["mae"] == pytest.approx(metrics.mean_absolute_error(y_test, pred))
        assert test["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(y_test, pred)))
        assert run["ridge/train/scores/r2"].fetch() == pytest.approx(reg.score(X_train, y_train))
        residuals = run["ridge/test/residuals"].fetch()
        assert residuals["mean"] == pytest.approx(float(np.mean(y_test - pred)))
        assert residuals["max_abs"] == pytest.approx(float(np.abs(y_test - pred).max()))
        assert download(run, "ridge/diagnostics/residuals", tmp_path / "res.png")[:8] == PNG
        assert run["sys/state"].fetch() == "running"  # the user's run is not stopped


def test_log_estimator_alone_and_an_unfitted_estimator_is_refused() -> None:
    with mlt.init_run(project="sklearn", **QUIET) as run:
        log_estimator(LogisticRegression(C=2.0, penalty=None), run=run)
        assert run["model/estimator/params/C"].fetch() == 2.0
        assert run["model/estimator/params/penalty"].fetch() == "None"
        with pytest.raises(ValueError, match="not fitted"):
            log_classifier(LogisticRegression(), [[0.0]], [[0.0]], [0], [0], run=run)


def test_a_helper_that_raises_leaves_its_own_run_failed() -> None:
    X_train, X_test, y_train, y_test = split(load_iris)
    clf = LogisticRegression(max_iter=500).fit(X_train, y_train)
    with pytest.raises(ValueError, match="features"):
        log_classifier(clf, X_train, X_test[:, :2], y_train, y_test, project="skfail", **QUIET)
    table = mlt.init_project("skfail").fetch_runs_table().to_pandas()
    assert table["sys/state"].tolist() == ["failed"]
    read = mlt.init_run(with_id=table["sys/id"][0], mode="read-only")
    assert read["model/train/scores/accuracy"].fetch() == pytest.approx(clf.score(X_train, y_train))
