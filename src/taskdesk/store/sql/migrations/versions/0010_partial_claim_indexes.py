"""Partial claim indexes for the runner's hot path: they hold only claimable tasks, so that a
task claimed and then finished leaves them once instead of being rewritten in both at each
move.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PRIORITY = sa.text("priority DESC")


def _partial(name: str, columns: list[str | sa.TextClause],
             condition: sa.TextClause) -> None:
    op.create_index(name, "task", columns, sqlite_where=condition, postgresql_where=condition)


def _claimable() -> sa.TextClause:
    """The claim's own words (SQLAlchemy writes false as 0 for SQLite): SQLite uses a partial
    index only when the query repeats its condition."""
    dialect = op.get_bind().dialect.name
    return sa.text(f"status = 'pending' AND delayed = {'0' if dialect == 'sqlite' else 'false'}")


def upgrade() -> None:
    claimable = _claimable()
    op.drop_index("ix_task_claim", table_name="task")
    _partial("ix_task_claim", [PRIORITY, "task_id"], claimable)
    op.drop_index("ix_task_queue_claim", table_name="task")
    _partial("ix_task_queue_claim", ["queue", PRIORITY, "task_id"], claimable)


def downgrade() -> None:
    op.drop_index("ix_task_queue_claim", table_name="task")
    op.create_index("ix_task_queue_claim", "task",
                    ["queue", "status", "delayed", PRIORITY, "task_id"])
    op.drop_index("ix_task_claim", table_name="task")
    op.create_index("ix_task_claim", "task", ["status", "delayed", PRIORITY, "task_id"])
