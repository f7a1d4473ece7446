"""The admin's lists and /metrics at a million tasks: an exact code pages by id from one
index; the task log's statuses and durations are counted from an index; PostgreSQL gets
taskdesk_jsonb(text), so that the args filter skips args text jsonb refuses instead of failing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# NULL for text jsonb refuses (malformed JSON, or \u0000, which jsonb cannot hold): one bad
# row never breaks a filtered list. Only a cast: the filter's rules stay in Python.
CREATE_JSONB = r"""
CREATE OR REPLACE FUNCTION taskdesk_jsonb(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.drop_index("ix_task_code", table_name="task")
    op.create_index("ix_task_code_task_id", "task", ["code", "task_id"])
    op.create_index("ix_task_log_status_duration", "task_log", ["status", "duration"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_JSONB)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS taskdesk_jsonb(text)")
    op.drop_index("ix_task_log_status_duration", table_name="task_log")
    op.drop_index("ix_task_code_task_id", table_name="task")
    op.create_index("ix_task_code", "task", ["code"])
