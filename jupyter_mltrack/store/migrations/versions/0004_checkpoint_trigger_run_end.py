"""checkpoints.trigger: `run-end`, the checkpoint that holds a run's results (issue 17.3)

The CHECK on checkpoints.trigger gains one value. PostgreSQL drops and re-adds it. SQLite
cannot alter a CHECK, and a batch copy of `checkpoints` would drop the table under
`PRAGMA foreign_keys = ON` (cascading away every run link and the count triggers), so the
table's stored SQL is edited in place: SQLite's documented procedure for a change that
leaves every stored row valid (https://sqlite.org/lang_altertable.html#otheralter).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00.000000
"""

from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD = "trigger IN ('manual', 'run', 'save', 'restore', 'api')"
NEW = "trigger IN ('manual', 'run', 'run-end', 'save', 'restore', 'api')"


def _sqlite_replace(old: str, new: str) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'"
    ).scalar_one()
    if old not in sql:
        raise RuntimeError(f"checkpoints: the trigger CHECK is not {old!r}: {sql}")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'checkpoints'",
        (sql.replace(old, new),),
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def _change(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_replace(old, new)
        return
    op.drop_constraint(op.f("ck_checkpoints_trigger"), "checkpoints", type_="check")
    op.create_check_constraint(op.f("ck_checkpoints_trigger"), "checkpoints", new)


def upgrade() -> None:
    _change(OLD, NEW)


def downgrade() -> None:
    op.execute("DELETE FROM checkpoints WHERE \"trigger\" = 'run-end'")
    _change(NEW, OLD)
