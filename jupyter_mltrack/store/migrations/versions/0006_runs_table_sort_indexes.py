"""runs table at 100,000 runs: indexes that give its common sorts in order (issue 19.4)

A page of the runs table is read in index order and stops after its rows, instead of sorting
every matching run (query/pages.py):
- runs (project_id, created_at, id) replaces (project_id, created_at): the id tie-break is in
  the index on PostgreSQL too (SQLite had it as the rowid);
- runs (project_id, name, id), (project_id, state, id) and (created_at, id) (all projects);
- fields (path, <the number a field sorts by>, run_id): an expression index, the same
  expression as store/models.SORT_NUMBER (copied here as it is at this revision).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SORT_NUMBER = (
    "(CASE WHEN type IN ('float_series', 'string_series', 'file_series') THEN last ELSE num END)"
)


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_project_created_id", ["project_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_runs_project_name_id", ["project_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_project_state_id", ["project_id", "state", "id"], unique=False
        )
        batch_op.create_index("ix_runs_created_id", ["created_at", "id"], unique=False)
        batch_op.drop_index("ix_runs_project_created")
    op.create_index(
        "ix_fields_path_sort", "fields", ["path", sa.text(SORT_NUMBER), "run_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_fields_path_sort", table_name="fields")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_project_created", ["project_id", "created_at"], unique=False)
        batch_op.drop_index("ix_runs_created_id")
        batch_op.drop_index("ix_runs_project_state_id")
        batch_op.drop_index("ix_runs_project_name_id")
        batch_op.drop_index("ix_runs_project_created_id")
