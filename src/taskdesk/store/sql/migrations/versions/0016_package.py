"""Uploaded packages in the database: one row per extension code with its zip's bytes and
their sha256, from which every host unpacks its own copy (taskdesk.extensions.packages).

Extensions uploaded before this revision have files on one host and no row; a migration
cannot read a host's files, so the host that has them publishes them (docs/extensions.md,
"On a fleet").

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package",
        sa.Column("code", sa.String(128), primary_key=True),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("package")
