"""checkpoints: a history's page and total cost the same at any length (issue 16)

- (notebook_id, created_at, seq, trigger) replaces (notebook_id, created_at): the
  newest-first page (ORDER BY created_at DESC, seq DESC) is read in index order, with no
  sort of the whole history.
- checkpoint_counts: checkpoints per (notebook, trigger), kept by triggers on checkpoints
  (store/checkpoint_totals.py; its statements are copied here as they were at this
  revision) and filled from the rows already there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS tr_checkpoint_counts_insert AFTER INSERT ON checkpoints
BEGIN
  INSERT INTO checkpoint_counts (notebook_id, "trigger", n)
  VALUES (NEW.notebook_id, NEW."trigger", 1)
  ON CONFLICT (notebook_id, "trigger") DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS tr_checkpoint_counts_delete AFTER DELETE ON checkpoints
BEGIN
  UPDATE checkpoint_counts SET n = n - 1
  WHERE notebook_id = OLD.notebook_id AND "trigger" = OLD."trigger";
END""",
    """CREATE TRIGGER IF NOT EXISTS tr_checkpoint_counts_update
AFTER UPDATE OF notebook_id, "trigger" ON checkpoints
BEGIN
  UPDATE checkpoint_counts SET n = n - 1
  WHERE notebook_id = OLD.notebook_id AND "trigger" = OLD."trigger";
  INSERT INTO checkpoint_counts (notebook_id, "trigger", n)
  VALUES (NEW.notebook_id, NEW."trigger", 1)
  ON CONFLICT (notebook_id, "trigger") DO UPDATE SET n = n + 1;
END""",
]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION mltrack_checkpoint_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE checkpoint_counts SET n = n - 1
    WHERE notebook_id = OLD.notebook_id AND "trigger" = OLD."trigger";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO checkpoint_counts (notebook_id, "trigger", n)
    VALUES (NEW.notebook_id, NEW."trigger", 1)
    ON CONFLICT (notebook_id, "trigger") DO UPDATE SET n = checkpoint_counts.n + 1;
  END IF;
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS tr_checkpoint_counts ON checkpoints",
    """CREATE TRIGGER tr_checkpoint_counts
AFTER INSERT OR DELETE OR UPDATE OF notebook_id, "trigger" ON checkpoints
FOR EACH ROW EXECUTE FUNCTION mltrack_checkpoint_counts()""",
]


def upgrade() -> None:
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checkpoints_notebook_history',
            ['notebook_id', 'created_at', 'seq', 'trigger'],
            unique=False,
        )
        batch_op.drop_index('ix_checkpoints_notebook_created')
    op.create_table(
        'checkpoint_counts',
        sa.Column('notebook_id', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['notebook_id'], ['notebooks.id'],
            name=op.f('fk_checkpoint_counts_notebook_id_notebooks'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('notebook_id', 'trigger', name=op.f('pk_checkpoint_counts')),
    )
    # Rows first, then the triggers: in one transaction, no checkpoint lands in between.
    op.execute(
        'INSERT INTO checkpoint_counts (notebook_id, "trigger", n) '
        'SELECT notebook_id, "trigger", count(*) FROM checkpoints GROUP BY notebook_id, "trigger"'
    )
    dialect = op.get_bind().dialect.name
    for stmt in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, []):
        op.execute(stmt)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_checkpoint_counts_{name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tr_checkpoint_counts ON checkpoints")
        op.execute("DROP FUNCTION IF EXISTS mltrack_checkpoint_counts()")
    op.drop_table('checkpoint_counts')
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checkpoints_notebook_created', ['notebook_id', 'created_at'], unique=False
        )
        batch_op.drop_index('ix_checkpoints_notebook_history')
