"""Tracing: task.trace_context, the W3C traceparent of the span that enqueued a task
(taskdesk.tracing), so that its attempts' spans join that trace.

A plain ALTER TABLE, nullable without a default: instant on both dialects, no batch copy
(which would lose SQLite's AUTOINCREMENT). Tasks added before it, or with tracing off, have
none (NULL): their attempts start traces of their own.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task", sa.Column("trace_context", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("task", "trace_context")  # SQLite 3.35 and later drop columns in place
