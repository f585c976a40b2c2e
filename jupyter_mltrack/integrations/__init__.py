"""One-line connections from ML frameworks to a run.

Each module imports its framework when it is itself imported (never before), so
`jupyter_mltrack` installs and imports without any of them, and a missing framework raises
an ImportError naming the pip package:

- `jupyter_mltrack.integrations.keras`: `MLTrackCallback` for Keras 3 (any backend)
- `jupyter_mltrack.integrations.lightning`: `MLTrackLogger` for PyTorch Lightning
- `jupyter_mltrack.integrations.optuna`: `MLTrackCallback` for a study, `log_study`
- `jupyter_mltrack.integrations.sklearn`: `log_classifier`, `log_regressor`, `log_estimator`
- `jupyter_mltrack.integrations.transformers`: `MLTrackCallback` for the HF `Trainer`
"""
