"""Claim tokens (lease fencing), delayed tasks kept out of the claim's way, log retention.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_CLAIM_INDEX: list[str | sa.TextClause] = ["status", sa.text("priority DESC"), "task_id"]


def upgrade() -> None:
    # Plain ALTER TABLE on both dialects: a batch would copy SQLite's table and lose its
    # AUTOINCREMENT. Existing tasks count as not delayed: always safe, the claim checks run_at.
    op.add_column("task", sa.Column("claim_token", sa.String(32), nullable=True))
    op.add_column("task", sa.Column("delayed", sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    op.drop_index("ix_task_claim", table_name="task")
    op.create_index("ix_task_claim", "task",
                    ["status", "delayed", sa.text("priority DESC"), "task_id"])
    delayed = sa.column("delayed", sa.Boolean()) == sa.true()  # partial: delayed tasks only
    op.create_index("ix_task_delayed_run_at", "task", ["delayed", "run_at"],
                    sqlite_where=delayed, postgresql_where=delayed)
    op.create_index("ix_task_log_date_added", "task_log", ["date_added"])


def downgrade() -> None:
    op.drop_index("ix_task_log_date_added", table_name="task_log")
    op.drop_index("ix_task_delayed_run_at", table_name="task")
    op.drop_index("ix_task_claim", table_name="task")
    op.drop_column("task", "delayed")  # SQLite 3.35 and later drop columns in place
    op.drop_column("task", "claim_token")
    op.create_index("ix_task_claim", "task", OLD_CLAIM_INDEX)
