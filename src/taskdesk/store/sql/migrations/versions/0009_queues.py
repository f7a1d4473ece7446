"""Named queues: each task waits in one ('default' unless told), and a runner given queues
claims through an index led by the queue.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

QUEUE_CLAIM_INDEX: list[str | sa.TextClause] = [
    "queue", "status", "delayed", sa.text("priority DESC"), "task_id"]


def upgrade() -> None:
    # Plain ALTER TABLE with a constant default: existing tasks join 'default' without a table
    # copy (SQLite keeps its AUTOINCREMENT; PostgreSQL 11+ stores the default, no rewrite).
    op.add_column("task", sa.Column("queue", sa.String(64), nullable=False,
                                    server_default="default"))
    op.create_index("ix_task_queue_claim", "task", QUEUE_CLAIM_INDEX)


def downgrade() -> None:
    op.drop_index("ix_task_queue_claim", table_name="task")
    op.drop_column("task", "queue")  # SQLite 3.35 and later drop columns in place
