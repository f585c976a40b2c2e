"""save retention at scale: an index on checkpoints.parent_id

Save retention (checkpoints/retention.py, store/thinning.py) looks up the children of the
saves it removes to re-point them, and the foreign key's ON DELETE SET NULL looks them up
again for every deleted row. Without an index each lookup scanned the table: removing 12,900
of 20,000 checkpoints took 83 s on SQLite and 98 s on PostgreSQL as reported;
bench/bench_thinning.py measured 48 s -> 0.6 s (SQLite) and 29 s -> 5 s (PostgreSQL).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 13:40:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checkpoints_parent", "checkpoints", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_checkpoints_parent", table_name="checkpoints")
