"""The error log in the database: one log for the installation, whichever host wrote the
line (host, pid, the task whose controller wrote it), read by every host's admin.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import Id, UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "error_log",
        sa.Column("error_log_id", Id, autoincrement=True, nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("error_log_id", name="pk_error_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_error_log_host_error_log_id", "error_log", ["host", "error_log_id"])
    op.create_index("ix_error_log_task_id_error_log_id", "error_log",
                    ["task_id", "error_log_id"])
    op.create_index("ix_error_log_date_added", "error_log", ["date_added"])


def downgrade() -> None:
    op.drop_table("error_log")
