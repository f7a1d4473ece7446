"""Paused queues: one row per paused queue, which every claim reads (a paused queue's tasks
are not claimed; running ones finish).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_pause",
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("paused_at", UtcDateTime(), nullable=False),
        sa.Column("paused_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("queue", name="pk_queue_pause"),
    )


def downgrade() -> None:
    op.drop_table("queue_pause")
