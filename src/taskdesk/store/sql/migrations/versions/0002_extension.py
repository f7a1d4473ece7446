"""Installed extension modules.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "extension",
        sa.Column("extension_id", ID, primary_key=True, autoincrement=True),
        sa.Column("extension", sa.String(128), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("extension_id", name="pk_extension"),
        sa.UniqueConstraint("extension", "type", "code", name="uq_extension_extension_type_code"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("extension")
