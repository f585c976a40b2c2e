"""`mltrack import neptune DATA_PATH`, `mltrack import mlflow --tracking-uri URI`: bring runs
over from another tracker.

The importers live in `jupyter_mltrack.importers` and need pyarrow (`pip install
'jupyter-mltrack[neptune]'`) or MLflow's client (`[mlflow]`); they are imported when the
command runs, so `mltrack --help` and the other commands never pay for them. A progress bar
goes to a terminal's stderr, and nothing when stderr is piped or `--json` is given; the final
report goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from .progress import Progress
from .terminal import escape

if TYPE_CHECKING:
    from ..importers.report import ImportReport


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="import runs from a neptune.ai export or from MLflow")
    kinds = p.add_subparsers(dest="source", metavar="SOURCE")
    n = kinds.add_parser(
        "neptune",
        help="neptune-exporter's Parquet export (DATA_PATH/<project>/<run>_part_N.parquet)",
    )
    n.add_argument("data", metavar="DATA_PATH", help="the export's data folder")
    n.add_argument(
        "--files",
        metavar="FILES_PATH",
        help="the export's files folder (default: 'files' beside DATA_PATH, if there)",
    )
    n.add_argument("--project", metavar="NAME", help="import every run into this project")
    n.add_argument(
        "--step-multiplier",
        type=float,
        default=1.0,
        metavar="N",
        help="multiply every step by N (steps are kept as decimals anyway; default 1)",
    )
    n.add_argument("--json", action="store_true", help="print the report as JSON, no progress")
    n.set_defaults(func=_neptune)
    m = kinds.add_parser("mlflow", help="an MLflow tracking store, through MLflow's client")
    m.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        metavar="URI",
        help="MLflow's tracking URI (default: MLFLOW_TRACKING_URI)",
    )
    m.add_argument("--experiment", metavar="NAME", help="only this experiment")
    m.add_argument("--project", metavar="NAME", help="import every run into this project")
    m.add_argument("--json", action="store_true", help="print the report as JSON, no progress")
    m.set_defaults(func=_mlflow)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _neptune(args: argparse.Namespace) -> int:
    try:
        from ..importers.neptune import NeptuneImport
    except ImportError as e:  # pyarrow or numpy missing
        raise InvalidInput(
            f"importing a neptune export needs pyarrow ({e}); "
            "install it with: pip install 'jupyter-mltrack[neptune]'"
        ) from None
    from .runs import open_from

    data = Path(args.data).expanduser()
    files = Path(args.files).expanduser() if args.files else None
    if files is not None and not files.is_dir():
        raise InvalidInput(f"--files {files} is not a folder")
    store = open_from(args)
    bar = Progress.for_args(args, "rows")
    job = NeptuneImport(
        store,
        data,
        files=files,
        project=args.project,
        step_multiplier=args.step_multiplier,
        progress=bar,
    )
    with bar:  # cleared before the report
        report = job.run()
    return _print(report, str(data), store.config.masked_url, args.json)


def _print(report: ImportReport, source: str, target: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(escape(f"imported {source} into {target}"))
        for line in report.lines():
            print(escape(line))
    return 0


def _mlflow(args: argparse.Namespace) -> int:
    if not args.tracking_uri:
        raise InvalidInput("give MLflow's tracking URI: --tracking-uri (or MLFLOW_TRACKING_URI)")
    try:
        from ..importers.mlflow import MlflowImport
    except ImportError as e:
        raise InvalidInput(
            f"importing from MLflow needs its client ({e}); "
            "install it with: pip install 'jupyter-mltrack[mlflow]'"
        ) from None
    from .runs import open_from

    store = open_from(args)
    bar = Progress.for_args(args, "runs")
    job = MlflowImport(
        store,
        args.tracking_uri,
        experiment=args.experiment,
        project=args.project,
        progress=bar,
    )
    with bar:
        report = job.run()
    return _print(report, args.tracking_uri, store.config.masked_url, args.json)
