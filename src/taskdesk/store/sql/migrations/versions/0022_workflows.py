"""Workflows: the workflow, each of its tasks (workflow_task: parents left, the run_at it
asked for, its outcome and response once ended) and the dependencies between them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workflow",
        sa.Column("workflow_id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", name="pk_workflow"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "workflow_task",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("workflow_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("run_on_failure", sa.Boolean(), nullable=False),
        sa.Column("parents_left", sa.Integer(), nullable=False),
        sa.Column("run_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("date_ended", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflow.workflow_id"],
                                name="fk_workflow_task_workflow_id_workflow",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", name="pk_workflow_task"),
    )
    op.create_index("ix_workflow_task_workflow_id_position", "workflow_task",
                    ["workflow_id", "position"])
    op.create_table(
        "task_dependency",
        sa.Column("child_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent_outcome", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("child_id", "parent_id", name="pk_task_dependency"),
    )
    op.create_index("ix_task_dependency_parent_id", "task_dependency", ["parent_id"])


def downgrade() -> None:
    op.drop_table("task_dependency")
    op.drop_table("workflow_task")
    op.drop_table("workflow")
