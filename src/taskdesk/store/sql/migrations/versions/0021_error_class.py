"""Failures by cause: task.error_class, the class of what failed a task's latest failed
attempt (taskdesk.models.failures), and a partial index of failed tasks by it, for grouping
them and for retrying or cancelling one class.

The column is a plain ALTER TABLE, nullable without a default: instant on both dialects, no
batch copy (which would lose SQLite's AUTOINCREMENT). Tasks that failed before it have no
class (NULL): they are grouped as "not recorded".

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    op.add_column("task", sa.Column("error_class", sa.String(255), nullable=True))
    op.create_index("ix_task_failed_error_class", "task",
                    ["error_class", "date_modified", "task_id"],
                    sqlite_where=FAILED, postgresql_where=FAILED)


def downgrade() -> None:
    op.drop_index("ix_task_failed_error_class", table_name="task")
    op.drop_column("task", "error_class")  # SQLite 3.35 and later drop columns in place
