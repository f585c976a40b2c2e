"""The `sys/` fields of a run: the one registry every place that names them derives from.

The query compiler, the runs table, the run detail, the client's `run["sys/..."]`, the CLI,
the notebook HTML and (through `src/generated/sysfields.json`, written by
`python -m jupyter_mltrack.sysfields`) the lab's completion, table and run view all read this
list; a test fails when the JSON is stale. Pure Python with no imports beyond the standard
library: the client imports it on its path.

Each field is a column of `runs` (`column` names the attribute on a model, a Core row or a
`RunInfo`), derived from columns (`sys/project`, `sys/state`, `sys/duration`: see `value`),
or, for `sys/tags`, a string-set field stored like any other. The order is the order of every
listing: the runs table's default columns first, in the order the table shows them.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from typing import Any, Literal

SysType = Literal["string", "state", "bool", "time", "duration", "string_set"]


@dataclass(frozen=True)
class SysField:
    path: str
    type: SysType
    # The attribute holding the value on a `runs` row or a RunInfo; None: derived or a field.
    column: str | None
    # The runs table's header ("created"); None: the path itself.
    label: str | None = None
    # One of the columns every runs table has (GET runs, runs_table, the lab's grid).
    default: bool = False
    # Shown among the facts of one run (the run view's header, a run's notebook HTML).
    summary: bool = False
    # One of the rows compare lines runs up on (not times: those always differ).
    compared: bool = False
    # The user may assign it (`run["sys/name"] = ...`); every other sys field is read-only.
    writable: bool = False
    # Another spelling of `alias_of` (neptune's), accepted but never listed.
    alias_of: str | None = None
    # The lab grid's column width in pixels (None: the grid's default).
    width: int | None = None

    @property
    def is_time(self) -> bool:
        """Epoch seconds: shown as a date, compared with `"-2h"` or ISO text."""
        return self.type == "time"

    @property
    def is_field(self) -> bool:
        """Stored as a field of the run (`sys/tags`), not a column of `runs`."""
        return self.type == "string_set"


FIELDS: tuple[SysField, ...] = (
    SysField("sys/id", "string", "short_id", "id", default=True, width=100),
    SysField(
        "sys/name", "string", "name", "name", default=True, compared=True, writable=True, width=180
    ),
    SysField("sys/state", "state", None, "state", default=True, compared=True, width=84),
    SysField(
        "sys/owner", "string", "owner", "owner", default=True, summary=True, compared=True, width=90
    ),
    SysField(
        "sys/creation_time", "time", "created_at", "created", default=True, summary=True, width=150
    ),
    SysField("sys/ending_time", "time", "ended_at", "ended", default=True, summary=True),
    SysField("sys/duration", "duration", None, "duration", default=True, summary=True, width=84),
    SysField("sys/tags", "string_set", None, "tags", default=True, writable=True, width=160),
    SysField("sys/hostname", "string", "hostname", summary=True, compared=True),
    SysField("sys/custom_run_id", "string", "custom_run_id"),
    SysField("sys/description", "string", "description", writable=True),
    SysField("sys/project", "string", None),
    SysField("sys/notebook_path", "string", "notebook_path"),
    SysField("sys/failed", "bool", "failed"),
    SysField("sys/ping_time", "time", "heartbeat_at"),
    SysField("sys/modification_time", "time", "heartbeat_at", alias_of="sys/ping_time"),
    SysField("sys/abort_requested", "bool", "abort_requested"),
)
BY_PATH: dict[str, SysField] = {f.path: f for f in FIELDS}
# Listed wherever sys fields are listed (aliases are accepted, not listed).
LISTED = tuple(f for f in FIELDS if f.alias_of is None)
# Columns of `runs` or derived from them: what `sys_value` answers and SQL compares directly.
COLUMN_PATHS = tuple(f.path for f in FIELDS if not f.is_field)
TIME_PATHS = tuple(f.path for f in FIELDS if f.is_time)
WRITABLE_PATHS = tuple(f.path for f in FIELDS if f.writable)
# A non-sys column every runs table also has: the checkpoint the run's notebook was in.
NOTEBOOK_COLUMN = "source_code/notebook"
DEFAULT_COLUMNS = (*(f.path for f in FIELDS if f.default), NOTEBOOK_COLUMN)
DEFAULT_SORT = "-sys/creation_time"


def get(path: str) -> SysField | None:
    return BY_PATH.get(path)


def is_column(path: str) -> bool:
    """A `sys/` path compared as a column of `runs` (known or not: an unknown one is the
    compiler's error to give); `sys/tags` is a field."""
    return path.startswith("sys/") and not (path in BY_PATH and BY_PATH[path].is_field)


def duration(run: Any, state: str, now: float) -> float:
    """Seconds a run lasted: to its end, to its last heartbeat when crashed, else to now
    (the Python twin of `query.compiler.duration_expression`)."""
    if run.ended_at is not None:
        return float(run.ended_at - run.created_at)
    if state == "crashed" and run.heartbeat_at is not None:
        return float(run.heartbeat_at - run.created_at)
    return float(now - run.created_at)


def duration_text(seconds: float) -> str:
    """A duration as the lab shows it (the Python twin of `formatDuration` in
    src/runs/format.ts): `42s`, `3m 07s`, `2h 05m`, `3d 4h`; '' for no duration."""
    if not math.isfinite(seconds) or seconds < 0:
        return ""
    s = int(seconds + 0.5)  # Math.round, not round()'s half-to-even
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def value(path: str, run: Any, *, project: str, state: str, now: float) -> Any:
    """The value of the column field `path` for `run` (a model, a Core row or a RunInfo),
    given its project's name and its effective state (crashed when its heartbeat is stale)."""
    f = BY_PATH.get(path)
    if f is None or f.is_field:
        raise KeyError(path)
    if f.column is not None:
        return getattr(run, f.column)
    if path == "sys/project":
        return project
    if path == "sys/state":
        return state
    if path == "sys/duration":
        return duration(run, state, now)
    raise KeyError(path)  # pragma: no cover - a derived field without a rule fails its test


def as_json() -> dict[str, Any]:
    """The registry as the lab reads it (`src/generated/sysfields.json`)."""
    return {
        "fields": [
            {
                "path": f.path,
                "type": f.type,
                "label": f.label,
                "default": f.default,
                "summary": f.summary,
                "compared": f.compared,
                "writable": f.writable,
                "aliasOf": f.alias_of,
                "width": f.width,
            }
            for f in FIELDS
        ],
        "defaultColumns": list(DEFAULT_COLUMNS),
        "notebookColumn": NOTEBOOK_COLUMN,
        "defaultSort": DEFAULT_SORT,
    }


def render_json() -> str:
    return json.dumps(as_json(), indent=2) + "\n"


if __name__ == "__main__":  # `jlpm gen:sysfields`
    sys.stdout.write(render_json())
