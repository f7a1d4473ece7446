"""API tokens that expire or only read; failed logins kept in the database, so that every web
process throttles the same guesses.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_token", sa.Column("expires_at", UtcDateTime(), nullable=True))
    op.add_column("api_token", sa.Column("read_only", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", UtcDateTime(), nullable=False),
        sa.Column("last_failure_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle",
                    ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_token") as batch:  # SQLite rebuilds the table
        batch.drop_column("read_only")
        batch.drop_column("expires_at")
