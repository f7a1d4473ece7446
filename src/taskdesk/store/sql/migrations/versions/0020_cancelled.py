"""A task may be `cancelled`: the check on task.status admits it.

The check is widened where it stands, on a table of any size: PostgreSQL adds the new check
NOT VALID and then validates it (reading the table without blocking writes to it); SQLite's
check is text in the table's definition, which is rewritten in place, the way SQLite's
documentation gives for loosening a constraint, since every row already satisfies the new one
(copying a large task table in batch mode would hold the only writer for minutes).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BEFORE = "'complete', 'failed')"
AFTER = "'complete', 'failed', 'cancelled')"


def upgrade() -> None:
    _replace_check(op.get_bind(), BEFORE, AFTER)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(text("UPDATE task SET status = 'failed' WHERE status = 'cancelled'"))
    _replace_check(conn, AFTER, BEFORE)


def _replace_check(conn: Connection, old: str, new: str) -> None:
    if conn.dialect.name == "sqlite":
        _rewrite_sqlite_check(conn, old, new)
        return
    names = conn.execute(text(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'task'::regclass AND contype = 'c'"
        " AND pg_get_constraintdef(oid) LIKE '%status%'")).scalars().all()
    statuses = new.rstrip(")")
    for name in names:
        conn.execute(text(f'ALTER TABLE task DROP CONSTRAINT "{name}"'))
    name = names[0] if names else "ck_task_status"
    conn.execute(text(f"ALTER TABLE task ADD CONSTRAINT \"{name}\" CHECK (status IN "
                      f"('pending', 'processing', 'paused', {statuses})) NOT VALID"))
    conn.execute(text(f'ALTER TABLE task VALIDATE CONSTRAINT "{name}"'))


def _rewrite_sqlite_check(conn: Connection, old: str, new: str) -> None:
    definition = conn.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'task'")).scalar_one()
    if old not in definition:
        raise RuntimeError(f"task's status check is not as expected: {definition!r}")
    version = conn.execute(text("PRAGMA schema_version")).scalar_one()
    conn.execute(text("PRAGMA writable_schema = ON"))
    try:
        conn.execute(text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                          "AND name = 'task'"), {"sql": definition.replace(old, new)})
        conn.execute(text(f"PRAGMA schema_version = {int(version) + 1}"))
    finally:
        conn.execute(text("PRAGMA writable_schema = OFF"))
