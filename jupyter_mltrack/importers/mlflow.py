"""`mltrack import mlflow --tracking-uri URI [--experiment NAME]`: MLflow's runs, into a store.

Everything is read through MLflow's own client (`MlflowClient`, the `[mlflow]` extra), so
the tracking store's schema and its artifact stores are MLflow's business. An experiment
becomes a project (`--project` puts them all in one); each run becomes a run whose
`custom_run_id` is its MLflow run id (`init_run(with_id=...)`, `sys/custom_run_id = "..."`):

- params: fields under `parameters/`, with their type back when the text says it exactly
  (`"64"` -> 64, `"0.01"` -> 0.01, `"True"` -> True; `"001"` or `"1e-3"` stay text);
- metrics: float series at their key, every step, value and timestamp of their history;
- tags: the user's as the run's tags (`key=value`, or `key` when the value is empty), every
  tag (MLflow's own `mlflow.*` included) as a string field under `mlflow/tags/`;
- run name, start and end times, status (FINISHED -> finished, FAILED -> failed, KILLED ->
  aborted, a run still RUNNING -> running), user, the note (`mlflow.note.content`) as the
  description;
- artifacts: every file, copied into the blob store as the file set `artifacts` (their paths
  kept).

A run is one piece (`store.imports.write_piece`): written in one transaction and marked done
in `mlflow/import/pieces`, so importing again writes nothing; a run that fails (an artifact
store that is gone, a name the store refuses) is reported and the others imported.
"""

from __future__ import annotations

import json
import mimetypes
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..client.paths import path_problem
from ..client.values import scalar_write
from ..errors import InvalidInput
from ..store import imports, names, runs
from ..store.encoding import ScalarWrite, SeriesAppend
from .report import ImportReport, Progress, no_progress

if TYPE_CHECKING:
    from ..store.engine import Store

DONE_PATH = "mlflow/import/pieces"
PIECE = "run"
STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "aborted"}


def typed_param(text: str) -> Any:
    """A param's value with its type back when the text is exactly that value's spelling."""
    if text in ("True", "False"):
        return text == "True"
    try:
        as_int = int(text)
        if str(as_int) == text and -(2**63) <= as_int < 2**63:
            return as_int
    except ValueError:
        pass
    try:
        as_float = float(text)
        if repr(as_float) == text:
            return as_float
    except ValueError:
        pass
    return text


class MlflowImport:
    """One import of an MLflow tracking store (see the module doc)."""

    def __init__(
        self,
        store: Store,
        tracking_uri: str,
        *,
        experiment: str | None = None,
        project: str | None = None,
        progress: Progress = no_progress,
    ) -> None:
        from mlflow.tracking import MlflowClient

        self.store = store
        self.client = MlflowClient(tracking_uri=tracking_uri)
        self.experiment = experiment
        self.project = names.normalize_name(project) if project else None
        self.progress = progress
        self.report = ImportReport()

    def _experiments(self) -> list[Any]:
        from mlflow.entities import ViewType

        if self.experiment is None:
            return list(self.client.search_experiments(view_type=ViewType.ALL))
        found = self.client.get_experiment_by_name(self.experiment)
        if found is None:
            raise InvalidInput(f"MLflow has no experiment named {self.experiment!r}")
        return [found]

    def _runs(self, experiment_id: str) -> list[Any]:
        from mlflow.entities import ViewType

        out: list[Any] = []
        token = None
        while True:
            page = self.client.search_runs(
                [experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token
            )
            out.extend(page)
            token = page.token
            if not token:
                return out

    def run(self) -> ImportReport:
        start = time.perf_counter()
        todo = [(e, r) for e in self._experiments() for r in self._runs(e.experiment_id)]
        self.progress(0, len(todo))
        for i, (experiment, run) in enumerate(todo, 1):
            project = self.project or names.normalize_name(experiment.name)
            where = f"{experiment.name}/{run.info.run_id}"
            try:
                self._import_run(project, run, where)
            except Exception as e:
                self.report.skip(where, f"not imported: {str(e).splitlines()[0][:300]}")
            self.progress(i, len(todo))
        self.report.seconds = time.perf_counter() - start
        return self.report

    def _import_run(self, project: str, run: Any, where: str) -> None:
        run_id = run.info.run_id
        found = imports.find_run(self.store, project, run_id)
        if found is not None and PIECE in imports.pieces_done(self.store, found.id, DONE_PATH):
            self.report.runs_unchanged += 1
            return
        scalars = self._values(run, where)
        series, points = self._metrics(run, where)
        with tempfile.TemporaryDirectory(prefix="mltrack-mlflow-") as tmp:
            blobs, files = self._artifacts(run_id, Path(tmp), where)
        if files is not None:
            scalars.append(ScalarWrite("artifacts", "file_set", text=json.dumps(files)))
        info = run.info
        created = info.start_time / 1000 if info.start_time else None
        ended = info.end_time / 1000 if info.end_time else created
        note = run.data.tags.get("mlflow.note.content")
        columns = imports.RunColumns(
            name=(info.run_name or "")[:512],
            description=note[:100_000] if note else None,
            owner=(info.user_id or "")[:256],
            created_at=created,
            ended_at=ended,
            state=STATES.get(info.status, "running"),
            failed=info.status == "FAILED",
        )
        target: int | imports.NewRun = (
            found.id if found is not None else imports.NewRun(project, run_id)
        )
        written = imports.write_piece(
            self.store,
            target,
            piece=PIECE,
            done_path=DONE_PATH,
            columns=columns,
            blobs=blobs,
            scalars=scalars,
            series=series,
        )
        if found is None:
            self.report.runs_created += 1
        else:
            self.report.runs_resumed += 1
        self.report.pieces += 1
        self.report.points += points
        self.report.fields += len(scalars)
        self.report.files += len(files or [])
        short = runs.get(self.store, written).short_id
        self.report.runs.append(f"{where} -> {short}")

    def _keep(self, write: ScalarWrite | str, where: str, key: str) -> ScalarWrite | None:
        if isinstance(write, str):
            self.report.skip(f"{where}: {key}", write)
            return None
        problem = path_problem(write.path)
        if problem is not None:
            self.report.skip(f"{where}: {key}", problem)
            return None
        return write

    def _values(self, run: Any, where: str) -> list[ScalarWrite]:
        out: list[ScalarWrite] = []
        for key, text in sorted(run.data.params.items()):
            w = self._keep(scalar_write(f"parameters/{key}", typed_param(text)), where, key)
            if w is not None:
                out.append(w)
        tags = []
        for key, value in sorted(run.data.tags.items()):
            w = self._keep(scalar_write(f"mlflow/tags/{key}", value), where, key)
            if w is not None:
                out.append(w)
            if not key.startswith("mlflow."):
                tags.append(f"{key}={value}" if value else key)
        if tags:
            out.append(ScalarWrite("sys/tags", "string_set", text=json.dumps(sorted(set(tags)))))
        return out

    def _metrics(self, run: Any, where: str) -> tuple[list[SeriesAppend], int]:
        import numpy as np

        from .packing import float_chunks

        series: list[SeriesAppend] = []
        points = 0
        for key in sorted(run.data.metrics):
            problem = path_problem(key)
            if problem is not None:
                self.report.skip(f"{where}: {key}", problem)
                continue
            history = self.client.get_metric_history(run.info.run_id, key)
            if not history:
                continue
            # MLflow returns a history in no set order: by step, then time, as it was logged.
            history = sorted(history, key=lambda m: (m.step, m.timestamp))
            steps = np.array([m.step for m in history], dtype=np.float64)
            values = np.array([m.value for m in history], dtype=np.float64)
            stamps = np.array([m.timestamp for m in history], dtype=np.float64) / 1000.0
            series.extend(float_chunks(key, steps, values, stamps))
            points += len(history)
        return series, points

    def _artifacts(
        self, run_id: str, tmp: Path, where: str
    ) -> tuple[list[tuple[str, int, str]], list[dict[str, Any]] | None]:
        """Every artifact file of the run, put in the blob store: (blob rows, file-set
        entries), or no entries when the run has none."""
        if not self.client.list_artifacts(run_id):
            return [], None
        try:
            root = Path(self.client.download_artifacts(run_id, "", str(tmp)))
        except Exception as e:
            self.report.skip(f"{where}: artifacts", f"cannot be downloaded: {e}")
            return [], None
        blobs, entries = [], []
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            sha, size = self.store.blobs.put_file(f)
            mime = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
            blobs.append((sha, size, mime))
            entries.append(
                {
                    "path": f.relative_to(root).as_posix(),
                    "sha256": sha,
                    "size": size,
                    "mtime": os.stat(f).st_mtime,
                    "uploaded": True,
                    "mime": mime,
                }
            )
        return blobs, entries
