"""The package never needs a framework, and a missing one says which pip package to install."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

FRAMEWORKS = ["keras", "lightning", "pytorch_lightning", "optuna", "sklearn", "transformers"]


def test_importing_the_package_and_integrations_imports_no_framework() -> None:
    code = (
        "import sys, jupyter_mltrack, jupyter_mltrack.integrations, "
        "jupyter_mltrack.integrations._common\n"
        f"print([m for m in {[*FRAMEWORKS, 'torch']!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "blocked", "package"),
    [
        ("keras", ["keras"], "keras"),
        ("lightning", ["lightning", "pytorch_lightning"], "lightning"),
        ("optuna", ["optuna"], "optuna"),
        ("transformers", ["transformers"], "transformers"),
    ],
)
def test_a_missing_framework_names_its_pip_package(
    monkeypatch: pytest.MonkeyPatch, module: str, blocked: list[str], package: str
) -> None:
    # None in sys.modules makes `import name` fail, even where the framework is loaded.
    for name in [m for m in sys.modules if m.split(".")[0] in blocked] + blocked:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, f"jupyter_mltrack.integrations.{module}", raising=False)
    with pytest.raises(ImportError, match=rf"pip install {package}$"):
        importlib.import_module(f"jupyter_mltrack.integrations.{module}")


def test_sklearn_helpers_name_scikit_learn(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_mltrack.integrations.sklearn import log_classifier

    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn$"):
        log_classifier(object(), [], [], [], [])
