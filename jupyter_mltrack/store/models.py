"""The whole schema, in one module (DESIGN §2).

Times are UTC epoch seconds (float): identical on SQLite and PostgreSQL, cheap to compare in
queries ("created in the last 2 h") and to pack in series chunks. Constraints and indexes are
named so Alembic migrations stay stable across backends. Nothing outside `store/` sees these
classes: repositories turn rows into the dataclasses of `entities.py`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_STATES = ("running", "finished", "failed", "aborted", "crashed")
MAX_PATH = 1024
# The number a runs table sorts a field by: a series' last value, a scalar's number. Indexed
# as written here (ix_fields_path_sort): both backends match an index expression only to the
# same expression with the same literals, so query/pages.py renders this very text.
SORT_NUMBER = (
    "CASE WHEN {t}type IN ('float_series', 'string_series', 'file_series') "
    "THEN {t}last ELSE {t}num END"
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    # Allocated with an atomic UPDATE ... RETURNING so concurrent processes never share an id.
    last_run_number: Mapped[int] = mapped_column(Integer, default=0)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        UniqueConstraint("project_id", "custom_run_id"),
        CheckConstraint(
            "state IN ('running', 'finished', 'failed', 'aborted', 'crashed')", name="state"
        ),
        # The runs table's common sorts read a page in index order and stop after it, at any
        # number of runs (query/pages.py); `id` last is the tie-break of every sort.
        Index("ix_runs_project_created_id", "project_id", "created_at", "id"),
        Index("ix_runs_project_name_id", "project_id", "name", "id"),
        Index("ix_runs_project_state_id", "project_id", "state", "id"),
        Index("ix_runs_created_id", "created_at", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    short_id: Mapped[str] = mapped_column(String(64), unique=True)
    custom_run_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    name: Mapped[str] = mapped_column(String(512), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="running")
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(256), default="")
    hostname: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    abort_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    notebook_path: Mapped[str | None] = mapped_column(String(MAX_PATH), nullable=True)
    # Seconds without a heartbeat after which the run reads as crashed: its writer's period,
    # recorded with each heartbeat (NULL: runs from before, read with the reader's default).
    stale_after: Mapped[float | None] = mapped_column(Float, nullable=True)


class Field(Base):
    """One value per (run, path). Series keep aggregates here so tables never read points."""

    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("run_id", "path"),
        # run_id last makes them covering for query filters (`runs.id IN (SELECT run_id FROM
        # fields WHERE path = ? AND num > ?)`): no table lookup per matching row, which is
        # most of a filtered query's time at 10,000 runs (bench/bench_runs.py).
        Index("ix_fields_path_num", "path", "num", "run_id"),
        Index("ix_fields_path_last", "path", "last", "run_id"),
        # A runs table sorted on a field, in index order (query/pages.py).
        Index("ix_fields_path_sort", "path", text(f"({SORT_NUMBER.format(t='')})"), "run_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(MAX_PATH))
    type: Mapped[str] = mapped_column(String(32))
    # Scalar values: numbers (float, int, bool, datetime as epoch) in `num` for queries, the
    # exact int in `int_value`, strings and JSON (sets, file metadata) in `text`.
    num: Mapped[float | None] = mapped_column(Float, nullable=True)
    int_value: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Series aggregates.
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last: Mapped[float | None] = mapped_column(Float, nullable=True)
    min: Mapped[float | None] = mapped_column(Float, nullable=True)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_step: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)


class SeriesChunk(Base):
    """A run of consecutive points of one series, packed as little-endian float64 arrays.

    Packing keeps a point at about 24 bytes and lets a million points be written or read in a
    few hundred rows. String and file series store their values as a JSON list instead.
    """

    __tablename__ = "series_chunks"
    __table_args__ = (UniqueConstraint("field_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    first_step: Mapped[float] = mapped_column(Float)
    last_step: Mapped[float] = mapped_column(Float)
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(128), default="application/octet-stream")
    created_at: Mapped[float] = mapped_column(Float)


class Notebook(Base):
    """A notebook's identity survives renames: `path` is its current path."""

    __tablename__ = "notebooks"
    __table_args__ = (Index("ix_notebooks_path", "path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(MAX_PATH))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (
        CheckConstraint(
            "trigger IN ('manual', 'run', 'run-end', 'save', 'restore', 'api')", name="trigger"
        ),
        # A notebook's history, newest first, read in index order: the first page costs the
        # same at 10,000 checkpoints as at 100 (tests/test_checkpoint_history_scale.py).
        Index("ix_checkpoints_notebook_history", "notebook_id", "created_at", "seq", "trigger"),
        # A checkpoint's children: save retention re-points them and deletes the parent, and
        # the foreign key's ON DELETE SET NULL looks them up for every deleted row (without
        # it, removing 12,900 of 20,000 checkpoints scanned the table 12,900 times).
        Index("ix_checkpoints_parent", "parent_id"),
        # One history per notebook: two concurrent checkpoints cannot both take the same
        # place after the same parent (the loser retries against the new head).
        UniqueConstraint("notebook_id", "seq"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notebook_id: Mapped[int] = mapped_column(ForeignKey("notebooks.id", ondelete="CASCADE"))
    # 1, 2, 3... per notebook: the order of its history, independent of clock resolution.
    seq: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(512), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(256), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # The manifest (cell order, cell and output blob hashes, notebook metadata) is a blob too.
    manifest_sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    # Hash of the canonical notebook, to skip save-triggered checkpoints when nothing changed.
    content_sha: Mapped[str] = mapped_column(String(64))
    cells_added: Mapped[int] = mapped_column(Integer, default=0)
    cells_removed: Mapped[int] = mapped_column(Integer, default=0)
    cells_modified: Mapped[int] = mapped_column(Integer, default=0)
    from_disk: Mapped[bool] = mapped_column(Boolean, default=False)
    notebook_path: Mapped[str] = mapped_column(String(MAX_PATH))
    # nbformat's message when the notebook was invalid but opens in Jupyter (which warns).
    validation_warning: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Cells moved (edited or not), as the diff's summary counts them: not in added/removed.
    # Last, where migration 0008 added it (a new store's columns are in the migrated order).
    cells_moved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CheckpointCount(Base):
    """Checkpoints per notebook and trigger, kept by triggers on `checkpoints`
    (checkpoint_totals.py): a history's total is a few rows, whatever its length."""

    __tablename__ = "checkpoint_counts"
    notebook_id: Mapped[int] = mapped_column(
        ForeignKey("notebooks.id", ondelete="CASCADE"), primary_key=True
    )
    trigger: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CheckpointRun(Base):
    __tablename__ = "checkpoint_runs"
    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CellExecution(Base):
    """Per-cell provenance: which cell ran during a run, when, and what it cost."""

    __tablename__ = "cell_executions"
    __table_args__ = (Index("ix_cell_executions_run_started", "run_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    cell_id: Mapped[str] = mapped_column(String(128), default="")
    execution_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    peak_rss: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    peak_gpu_memory: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[bool] = mapped_column(Boolean, default=False)
