"""The record of hosts (a host whose runners all died is shown as lost, and when it was last
seen), the queues each runner serves, and room in the log counters' names for a host's.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host",
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hostname", name="pk_host"),
    )
    with op.batch_alter_table("runner") as batch:
        batch.add_column(sa.Column("queues", sa.Text(), nullable=True))
        batch.create_index("ix_runner_hostname", ["hostname"])
    with op.batch_alter_table("log_total") as batch:
        batch.alter_column("name", type_=sa.String(320), existing_type=sa.String(64),
                           existing_nullable=False)
    op.execute("INSERT INTO host (hostname, first_seen_at, last_seen_at) "
               "SELECT hostname, min(started_at), max(last_seen_at) FROM runner "
               "GROUP BY hostname")


def downgrade() -> None:
    op.execute("DELETE FROM log_total WHERE name LIKE 'host.entries.%'")
    with op.batch_alter_table("log_total") as batch:
        batch.alter_column("name", type_=sa.String(64), existing_type=sa.String(320),
                           existing_nullable=False)
    with op.batch_alter_table("runner") as batch:
        batch.drop_index("ix_runner_hostname")
        batch.drop_column("queues")
    op.drop_table("host")
