"""runs.stale_after: the stale period a run's writer heartbeats by (issue 19.5)

A run is `crashed` when it claims to be running and its heartbeat is older than its stale
period. The period was each reader's own MLTRACK_HEARTBEAT_INTERVAL (times three), so a
reader with a short setting called a live run with a long one crashed; the writer now records
its period with the run, and heartbeats are stamped with the database's clock. NULL (runs
written before) reads as the reader's default, as before.

This revision also marks the chunk format of store/points.py (a chunk of evenly spaced integer
steps stores none): code older than it refuses the store instead of misreading such chunks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("stale_after", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("stale_after")
