"""Task progress: what a running attempt last reported (a percent and a short message).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, nullable and without a default: instant on both dialects, and no
    # batch copy that would lose SQLite's AUTOINCREMENT. The 0-100 range is checked in Python
    # (task_progress), so adding no CHECK keeps this migration free of a table rewrite.
    op.add_column("task", sa.Column("progress", sa.Integer(), nullable=True))
    op.add_column("task", sa.Column("progress_message", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("task", "progress_message")  # SQLite 3.35 and later drop columns in place
    op.drop_column("task", "progress")
