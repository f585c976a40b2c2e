"""The schema revisions this code knows, in a module without SQLAlchemy: `engine` opens and
migrates stores to `SCHEMA_HEAD`, and `dbapi` checks it before a plain-driver fast path.
tests/test_store_engine.py checks these against the Alembic scripts."""

from __future__ import annotations

SCHEMA_HEAD = "0008"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
