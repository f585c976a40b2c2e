"""Every field path of the runs, with a type and how many runs have it: what the runs table's
query box completes and its column picker offers (`GET fields`), and what kind of column each
path makes (`column_kind`: a parameter, a metric, or neither).

Runs carry no schema, so the kind is read from the path and type only, by one rule for the
runs table's default columns, the run view's Parameters and Final metrics, `mltrack runs`
and `mltrack show`:

- what the library records about the run itself (`sys/`, `source_code/`, `monitoring/`,
  `forking/`...) and files are neither;
- a scalar under a parameter namespace (`parameters/`, `params/`, `config/`, `hparams/`...)
  is a parameter;
- a series is a metric (its last value), and so is a number under a metric namespace
  (`metrics/`, `val/`, `test/`...) or named like a score (`accuracy`, `f1`, `val_loss`);
- any other scalar is a parameter (`lr`, `model/name`, `data/version`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..store import names
from ..store.engine import Store
from ..store.models import Field, Project, Run

MAX_FIELD_PATHS = 5000

ColumnKind = Literal["param", "metric"]

_CONTEXT_NAMESPACES = frozenset(
    ("sys", "source_code", "monitoring", "forking", "environment", "git")
)
_PARAM_NAMESPACES = frozenset(
    ("parameters", "params", "config", "configs", "hparams", "hyperparameters", "args")
)
_METRIC_NAMESPACES = frozenset(
    (
        "metrics", "metric", "scores", "score", "results", "summary", "eval", "evaluation",
        "test", "val", "valid", "validation", "train", "training",
    )
)  # fmt: skip
# A number whose name has one of these words (`val_loss`, `top1_acc`, `f1_macro`), outside the
# namespaces above, is a result, not a setting (`accumulation_steps` is a setting).
_METRIC_WORDS = frozenset(
    (
        "acc", "accuracy", "loss", "f1", "auc", "score", "precision", "recall", "error", "err",
        "mse", "mae", "rmse", "r2", "perplexity", "ppl", "bleu", "rouge", "iou", "map",
    )
)  # fmt: skip
_WORD_BREAKS = str.maketrans("-. ", "___")
_SCALARS = frozenset(("float", "int", "bool", "string", "datetime", "string_set"))
_NUMBERS = frozenset(("float", "int"))


def column_kind(path: str, type_: str) -> ColumnKind | None:
    """Whether a path is a parameter, a metric, or neither (see the module)."""
    namespace = path.split("/", 1)[0] if "/" in path else ""
    if namespace in _CONTEXT_NAMESPACES:
        return None
    if namespace in _PARAM_NAMESPACES:
        return "param" if type_ in _SCALARS else None
    if type_ == "float_series":
        return "metric"
    if type_ not in _SCALARS:
        return None  # files, file and string series
    if type_ in _NUMBERS and (namespace in _METRIC_NAMESPACES or _named_like_a_metric(path)):
        return "metric"
    return "param"


def _named_like_a_metric(path: str) -> bool:
    words = path.rsplit("/", 1)[-1].lower().translate(_WORD_BREAKS).split("_")
    return not _METRIC_WORDS.isdisjoint(words)


@dataclass(frozen=True)
class FieldPath:
    path: str
    type: str
    runs: int  # how many runs (of those read) have it

    @property
    def kind(self) -> ColumnKind | None:
        return column_kind(self.path, self.type)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "runs": self.runs, "kind": self.kind}


@dataclass(frozen=True)
class FieldPaths:
    items: list[FieldPath]
    truncated: bool  # more than MAX_FIELD_PATHS paths; the first ones, by path, are listed

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [p.to_dict() for p in self.items],
            "truncated": self.truncated,
        }


def field_paths(store: Store, project: str | None = None) -> FieldPaths:
    """The paths of one project's runs (all projects: None), sorted.

    The count groups on `path` alone, which the `(path, num, run_id)` index answers without
    reading the table (20 ms over 300,000 fields, against 700 ms when grouping on the type
    too); the type is then one index seek per path. A path logged with different types in
    different runs shows one of them."""
    other = aliased(Field)
    type_of = select(other.type).where(other.path == Field.path).limit(1).scalar_subquery()
    query = select(Field.path, type_of, func.count()).group_by(Field.path)
    if project is not None:
        project_id = select(Project.id).where(Project.name == names.normalize_name(project))
        in_project = select(Run.id).where(Run.project_id == project_id.scalar_subquery())
        query = query.where(Field.run_id.in_(in_project))
    with store.read() as s:
        rows = s.execute(query.order_by(Field.path).limit(MAX_FIELD_PATHS + 1)).all()
    items = [FieldPath(p, t, n) for p, t, n in rows[:MAX_FIELD_PATHS]]
    return FieldPaths(items, len(rows) > MAX_FIELD_PATHS)
