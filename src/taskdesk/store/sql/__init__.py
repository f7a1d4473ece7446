"""The SQL backend: SQLite and PostgreSQL behind one SqlStore.

- connections.py: SqlConnections, the engines and transactions every verb is given, and the
  hooks the dialects fill in: sqlite.py (pragmas, BEGIN IMMEDIATE, the wake-up sockets) and
  postgres.py (pools, advisory locks, LISTEN/NOTIFY, the server's clock);
- schema.py, migrate.py and migrations/: the tables, and one Alembic history for both;
- one module per story, each with its statements: tasks.py (add, get, list, change), adds.py
  (the add's statements on the driver's cursor), claims.py (claim, heartbeat, release: the
  one dialect difference is the claim's seek), finish.py (outcomes, and the PostgreSQL
  one-statement finish-then-claim), recovery.py, admin.py, log.py and log_totals.py,
  run_start.py, accounts.py, schedules.py;
- store.py: SqlStore, made of those stories; external.py: adding inside a caller's
  transaction.

What other packages need of the SQL backend is exported here: the store, migrating and
checking the schema, and the database's address for messages.
"""

from __future__ import annotations

from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.errors import describe, translate_errors
from taskdesk.store.sql.external import add_through, workflow_through
from taskdesk.store.sql.migrate import (
    MIGRATIONS,
    SCHEMA_HEAD,
    check_schema,
    current_revision,
    upgrade,
)
from taskdesk.store.sql.schema import metadata
from taskdesk.store.sql.store import SqlStore

__all__ = ["MIGRATIONS", "SCHEMA_HEAD", "SqlConnections", "SqlStore", "add_through",
           "check_schema", "current_revision", "describe", "metadata", "translate_errors",
           "upgrade", "workflow_through"]
