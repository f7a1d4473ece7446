"""The task log's counters (log_total): /metrics' counters no longer fall when the log is
pruned or cleared, and are read without counting the whole log. The entries already in the log
are counted in here, once. The (status, duration) index that /metrics read goes: nothing reads
it now, and every finish wrote it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.log_totals import fold_all

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_total",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_log_total"),
    )
    op.drop_index("ix_task_log_status_duration", table_name="task_log")
    fold_all(op.get_bind())


def downgrade() -> None:
    op.create_index("ix_task_log_status_duration", "task_log", ["status", "duration"])
    op.drop_table("log_total")
