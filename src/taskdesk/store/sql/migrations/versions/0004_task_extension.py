"""Which extension added a task: uninstall removes its waiting tasks, remove waits for them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task", sa.Column("extension", sa.String(128), nullable=True))
    stamped = sa.column("extension", sa.String(128)).is_not(None)  # partial: adds pay nothing
    op.create_index("ix_task_extension", "task", ["extension"],
                    sqlite_where=stamped, postgresql_where=stamped)


def downgrade() -> None:
    op.drop_index("ix_task_extension", table_name="task")
    op.drop_column("task", "extension")
