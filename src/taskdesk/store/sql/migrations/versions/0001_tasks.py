"""Tasks, the task log and runners.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = "('pending', 'processing', 'paused', 'complete', 'failed')"


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("task_id", ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", UtcDateTime(), nullable=False),
        sa.Column("worker_id", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("date_modified", UtcDateTime(), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_task_status"),
        sa.PrimaryKeyConstraint("task_id", name="pk_task"),
        sqlite_autoincrement=True,  # ids are never reused: the task log refers to them
    )
    op.create_index("ix_task_claim", "task", ["status", sa.text("priority DESC"), "task_id"])
    op.create_index("ix_task_status_lease_expires_at", "task", ["status", "lease_expires_at"])
    op.create_index("ix_task_status_task_id", "task", ["status", "task_id"])
    op.create_index("ix_task_status_date_modified", "task", ["status", "date_modified"])
    op.create_index("ix_task_code", "task", ["code"])

    op.create_table(
        "task_log",
        sa.Column("task_log_id", ID, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(128), nullable=True),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_log_id", name="pk_task_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_task_log_task_id", "task_log", ["task_id", "task_log_id"])

    op.create_table(
        "runner",
        sa.Column("runner_id", sa.String(128), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("runner_id", name="pk_runner"),
    )


def downgrade() -> None:
    op.drop_table("runner")
    op.drop_index("ix_task_log_task_id", table_name="task_log")
    op.drop_table("task_log")
    for index in ("ix_task_code", "ix_task_status_date_modified", "ix_task_status_task_id",
                  "ix_task_status_lease_expires_at", "ix_task_claim"):
        op.drop_index(index, table_name="task")
    op.drop_table("task")
