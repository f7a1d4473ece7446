"""Each runner's lease in its registration: stale rows are pruned by their own lease, and a
runner refuses to start beside a live one whose lease differs (hosts must agree on it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runner") as batch:
        batch.add_column(sa.Column("lease_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runner") as batch:
        batch.drop_column("lease_seconds")
