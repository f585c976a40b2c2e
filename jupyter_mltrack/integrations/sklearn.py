"""scikit-learn: helpers that log a fitted estimator, its scores and its diagnostics.

    from jupyter_mltrack.integrations.sklearn import log_classifier, log_regressor
    clf.fit(X_train, y_train)
    log_classifier(clf, X_train, X_test, y_train, y_test, run=run)

Fields, under `namespace` ("model" by default): `estimator/class`, `estimator/params/*`
(pipeline steps nested as `step/param`), `train/scores/*` and `test/scores/*`; classifiers
add `diagnostics/confusion_matrix` (PNG with matplotlib, else an HTML table),
`test/confusion_matrix` (the counts as JSON text) and `diagnostics/roc_curve` (PNG with
matplotlib, else plotly HTML) when the model gives probabilities or decision scores;
regressors add `diagnostics/residuals` and `test/residuals/{mean,std,max_abs}`. With
`upload_model=True` the pickled estimator goes to `estimator/pickled_model`.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ._common import RunSlot, assign, finite, integration_warning, join, loggable, require

if TYPE_CHECKING:
    from ..client import Run

__all__ = ["log_classifier", "log_estimator", "log_regressor"]


def _sklearn() -> Any:
    return require("sklearn", package="scikit-learn", integration="sklearn")


# -- estimator ---------------------------------------------------------------------------------


def log_estimator(
    estimator: Any,
    run: Run | None = None,
    *,
    namespace: str = "model",
    upload_model: bool = False,
    **init_run_kwargs: Any,
) -> Run:
    """Log the estimator's class and parameters (and the pickled estimator if asked)."""
    _sklearn()
    slot = RunSlot(run, init_run_kwargs)
    with slot.session() as run_:
        _log_estimator(run_, estimator, namespace, upload_model)
    return slot.last


def _log_estimator(run: Run, estimator: Any, namespace: str, upload_model: bool) -> None:
    cls = type(estimator)
    run[join(namespace, "estimator/class")] = f"{cls.__module__}.{cls.__qualname__}"
    params = estimator_params(estimator)
    if params:
        assign(run, join(namespace, "estimator/params"), params)
    if upload_model:
        from ..types import File

        run[join(namespace, "estimator/pickled_model")].upload(File.as_pickle(estimator))


def estimator_params(estimator: Any) -> dict[str, Any]:
    """`get_params(deep=True)` as a nested dict: `clf__C` becomes `{"clf": {"C": ...}}`.

    The nested estimators themselves are left out (their own parameters are there), so a
    pipeline step is a namespace, not a string that would clash with it.
    """
    out: dict[str, Any] = {}
    for key, value in sorted(estimator.get_params(deep=True).items()):
        if hasattr(value, "get_params") and not isinstance(value, type):
            continue
        node = out
        parts = key.split("__")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = loggable(value)
    return out


# -- classifiers -------------------------------------------------------------------------------


def log_classifier(
    estimator: Any,
    X_train: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    run: Run | None = None,
    *,
    namespace: str = "model",
    upload_model: bool = False,
    **init_run_kwargs: Any,
) -> Run:
    """Log a fitted classifier: parameters, train/test scores, confusion matrix, ROC curve.

    Without `run=`, a run is created from the `init_run` keywords, stopped, and returned.
    """
    _sklearn()
    _check_fitted(estimator)
    slot = RunSlot(run, init_run_kwargs)
    with slot.session() as run_:
        _log_estimator(run_, estimator, namespace, upload_model)
        for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            scores = classifier_scores(estimator, X, y)
            assign(run_, join(namespace, split, "scores"), scores)
        _log_classifier_diagnostics(run_, estimator, X_test, y_test, namespace)
    return slot.last


def classifier_scores(estimator: Any, X: Any, y: Any) -> dict[str, float]:
    """accuracy, balanced accuracy, macro precision/recall/F1, and with probabilities
    ROC AUC (one-vs-rest for more than two classes) and log loss."""
    from sklearn import metrics

    pred = estimator.predict(X)
    scores: dict[str, float] = {
        "accuracy": metrics.accuracy_score(y, pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, pred),
        "precision_macro": metrics.precision_score(y, pred, average="macro", zero_division=0),
        "recall_macro": metrics.recall_score(y, pred, average="macro", zero_division=0),
        "f1_macro": metrics.f1_score(y, pred, average="macro", zero_division=0),
    }
    proba = _probabilities(estimator, X)
    if proba is not None:
        classes = list(estimator.classes_)
        try:
            if len(classes) == 2:
                scores["roc_auc"] = metrics.roc_auc_score(y, proba[:, 1])
            else:
                scores["roc_auc"] = metrics.roc_auc_score(
                    y, proba, multi_class="ovr", labels=classes
                )
            scores["log_loss"] = metrics.log_loss(y, proba, labels=classes)
        except ValueError:  # one class only in this split: AUC is undefined
            pass
    return {k: float(v) for k, v in scores.items() if finite(v) is not None}


def _log_classifier_diagnostics(run: Run, estimator: Any, X: Any, y: Any, namespace: str) -> None:
    from sklearn import metrics

    from ..types import File

    labels = list(estimator.classes_)
    cm = metrics.confusion_matrix(y, estimator.predict(X), labels=labels)
    run[join(namespace, "test/confusion_matrix")] = json.dumps(
        {"labels": [str(label) for label in labels], "counts": cm.tolist()}
    )
    figure = _confusion_matrix_figure(cm, labels)
    if figure is not None:
        run[join(namespace, "diagnostics/confusion_matrix")].upload(File.as_image(figure))
    else:
        run[join(namespace, "diagnostics/confusion_matrix")].upload(
            File.from_content(_confusion_matrix_html(cm, labels), extension="html")
        )
    scores = _scores_for_roc(estimator, X)
    if scores is None:
        return
    curves = []
    if len(labels) == 2:
        fpr, tpr, _ = metrics.roc_curve(y, scores[:, -1], pos_label=labels[1])
        curves.append((str(labels[1]), fpr, tpr))
    else:
        for i, label in enumerate(labels):
            fpr, tpr, _ = metrics.roc_curve([v == label for v in y], scores[:, i])
            curves.append((str(label), fpr, tpr))
    curves = [(n, f, t) for n, f, t in curves if not (math.isnan(f[-1]) or math.isnan(t[-1]))]
    if not curves:
        return
    roc = _roc_file(curves)
    if roc is not None:
        run[join(namespace, "diagnostics/roc_curve")].upload(roc)


def _probabilities(estimator: Any, X: Any) -> Any:
    if not hasattr(estimator, "predict_proba"):
        return None
    try:
        return estimator.predict_proba(X)
    except Exception:  # e.g. SVC(probability=False) exposes it but refuses
        return None


def _scores_for_roc(estimator: Any, X: Any) -> Any:
    """Class scores as an (n, classes) array: probabilities, else decision values."""
    proba = _probabilities(estimator, X)
    if proba is not None:
        return proba
    if hasattr(estimator, "decision_function"):
        import numpy as np

        d = np.asarray(estimator.decision_function(X))
        return d.reshape(-1, 1) if d.ndim == 1 else d
    return None


# -- regressors --------------------------------------------------------------------------------


def log_regressor(
    estimator: Any,
    X_train: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    run: Run | None = None,
    *,
    namespace: str = "model",
    upload_model: bool = False,
    **init_run_kwargs: Any,
) -> Run:
    """Log a fitted regressor: parameters, train/test scores and test residuals.

    Without `run=`, a run is created from the `init_run` keywords, stopped, and returned.
    """
    _sklearn()
    _check_fitted(estimator)
    import numpy as np

    from ..types import File

    slot = RunSlot(run, init_run_kwargs)
    with slot.session() as run_:
        _log_estimator(run_, estimator, namespace, upload_model)
        for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            assign(run_, join(namespace, split, "scores"), regressor_scores(estimator, X, y))
        pred = np.asarray(estimator.predict(X_test), dtype=float).ravel()
        residuals = np.asarray(y_test, dtype=float).ravel() - pred
        assign(
            run_,
            join(namespace, "test/residuals"),
            {
                "mean": float(residuals.mean()),
                "std": float(residuals.std()),
                "max_abs": float(np.abs(residuals).max()),
            },
        )
        plot = _residuals_file(pred, residuals)
        if plot is not None:
            run_[join(namespace, "diagnostics/residuals")].upload(plot)
        else:
            integration_warning(
                "log_regressor: install matplotlib or plotly for the residuals plot"
            )
            run_[join(namespace, "diagnostics/residuals")].upload(
                File.from_content(
                    json.dumps({"predicted": pred.tolist(), "residual": residuals.tolist()}),
                    extension="json",
                )
            )
    return slot.last


def regressor_scores(estimator: Any, X: Any, y: Any) -> dict[str, float]:
    from sklearn import metrics

    pred = estimator.predict(X)
    mse = float(metrics.mean_squared_error(y, pred))
    scores = {
        "r2": metrics.r2_score(y, pred),
        "explained_variance": metrics.explained_variance_score(y, pred),
        "mae": metrics.mean_absolute_error(y, pred),
        "mse": mse,
        "rmse": math.sqrt(mse),
    }
    return {k: float(v) for k, v in scores.items() if finite(v) is not None}


# -- shared ------------------------------------------------------------------------------------


def _check_fitted(estimator: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError as e:
        raise ValueError(
            f"{type(estimator).__name__} is not fitted: call .fit(X_train, y_train) before "
            "logging it"
        ) from e


def _matplotlib_figure() -> Any:
    """A detached matplotlib Figure (no pyplot, so no global state or GUI backend)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(figsize=(5, 4), dpi=100, layout="constrained")


def _confusion_matrix_figure(cm: Any, labels: list[Any]) -> Any:
    fig = _matplotlib_figure()
    if fig is None:
        return None
    ax = fig.add_subplot()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(v) for v in labels], rotation=45 if len(labels) > 6 else 0)
    ax.set_yticks(ticks, [str(v) for v in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix (test)")
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            color = "white" if cm[i, j] > threshold else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=color)
    return fig


def _confusion_matrix_html(cm: Any, labels: list[Any]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(str(v))}</th>" for v in labels)
    rows = "".join(
        f"<tr><th>{escape(str(label))}</th>" + "".join(f"<td>{int(c)}</td>" for c in row) + "</tr>"
        for label, row in zip(labels, cm, strict=True)
    )
    return (
        "<!DOCTYPE html><html><body><table border='1'><caption>confusion matrix (test): "
        f"rows true, columns predicted</caption><tr><th></th>{head}</tr>{rows}</table>"
        "</body></html>"
    )


def _roc_file(curves: list[tuple[str, Any, Any]]) -> Any:
    from sklearn import metrics

    from ..types import File

    fig = _matplotlib_figure()
    if fig is not None:
        ax = fig.add_subplot()
        for name, fpr, tpr in curves:
            ax.plot(fpr, tpr, label=f"{name} (AUC {metrics.auc(fpr, tpr):.3f})")
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title("ROC curve (test)")
        ax.legend(loc="lower right")
        return File.as_image(fig)
    try:
        import plotly.graph_objects as go
    except ImportError:
        integration_warning("log_classifier: install matplotlib or plotly for the ROC curve")
        return None
    pfig = go.Figure()
    for name, fpr, tpr in curves:
        pfig.add_scatter(x=list(fpr), y=list(tpr), name=f"{name} (AUC {metrics.auc(fpr, tpr):.3f})")
    pfig.update_layout(title="ROC curve (test)", xaxis_title="FPR", yaxis_title="TPR")
    return File.as_html(pfig)


def _residuals_file(pred: Any, residuals: Any) -> Any:
    from ..types import File

    fig = _matplotlib_figure()
    if fig is not None:
        ax = fig.add_subplot()
        ax.scatter(pred, residuals, s=10, alpha=0.7)
        ax.axhline(0.0, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("predicted")
        ax.set_ylabel("residual (true - predicted)")
        ax.set_title("residuals (test)")
        return File.as_image(fig)
    try:
        import plotly.graph_objects as go
    except ImportError:
        return None
    pfig = go.Figure(go.Scatter(x=list(pred), y=list(residuals), mode="markers"))
    pfig.update_layout(title="residuals (test)", xaxis_title="predicted", yaxis_title="residual")
    return File.as_html(pfig)
