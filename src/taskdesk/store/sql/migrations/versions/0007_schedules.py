"""Schedules: recurring rules (cron or cycle) whose firings runners claim one at a time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CYCLES = "('minute', 'hour', 'day', 'week', 'month')"
MISSED = "('run-once', 'skip')"


def upgrade() -> None:
    op.create_table(
        "schedule",
        sa.Column("schedule_id", ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("cron", sa.String(255), nullable=True),
        sa.Column("cycle", sa.String(16), nullable=True),
        sa.Column("cycle_interval", sa.Integer(), nullable=False),
        sa.Column("missed", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", UtcDateTime(), nullable=False),
        sa.Column("last_run_at", UtcDateTime(), nullable=True),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("date_modified", UtcDateTime(), nullable=False),
        sa.CheckConstraint(f"cycle IS NULL OR cycle IN {CYCLES}", name="ck_schedule_cycle"),
        sa.CheckConstraint(f"missed IN {MISSED}", name="ck_schedule_missed"),
        sa.CheckConstraint("(cron IS NULL) <> (cycle IS NULL)", name="ck_schedule_rule"),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_schedule"),
        sa.UniqueConstraint("code", name="uq_schedule_code"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_schedule_enabled_next_run_at", "schedule", ["enabled", "next_run_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_enabled_next_run_at", table_name="schedule")
    op.drop_table("schedule")
