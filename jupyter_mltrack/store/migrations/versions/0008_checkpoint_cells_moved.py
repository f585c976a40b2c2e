"""history entries count moved cells as the diff does: checkpoints.cells_moved

A cell cut and pasted elsewhere was stored as one cell added and one removed, while the
diff's summary reports it as moved (checkpoints/nbdiff.py, align.py). New checkpoints store
`cells_moved` and leave moves out of `cells_added` / `cells_removed`; older rows keep their
counts (0 moved): recounting them would read every manifest, which a migration cannot.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "checkpoints",
        sa.Column("cells_moved", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_column("cells_moved")
