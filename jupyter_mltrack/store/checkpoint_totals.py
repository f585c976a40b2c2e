"""How many checkpoints each notebook has, per trigger, kept by the database itself
(`checkpoints.counts` is another thing: the changes between two listed entries).

A history's `total` was a count of its rows: 10,000 index entries read for every first page
of a long history (issue 16). The table `checkpoint_counts` holds the count per (notebook,
trigger) and triggers on `checkpoints` keep it, so every writer keeps it right (append,
delete, `mltrack sync`'s copy, a migration's backfill) and a total, with or without a
trigger filter, reads at most five rows. Installed by migration 0003 (which copies these
statements, frozen at that revision) and, for a new store, after `create_all`.
"""

from __future__ import annotations

from typing import Any

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


def install(conn: Any) -> None:
    """Create the triggers on a connection (SQLite or PostgreSQL; others get none)."""
    for stmt in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(conn.dialect.name, []):
        conn.exec_driver_sql(stmt)
