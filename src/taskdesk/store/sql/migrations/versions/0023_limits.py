"""Limits by key: each limited task carries its key and limits, and waits `held` (outside the
claim's indexes) until an admission gives it a slot; the starts of rate-limited keys are kept
for their period (store/sql/limits.py).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import Id, UtcDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

PRIORITY = sa.text("priority DESC")


def _false() -> str:
    return "0" if op.get_bind().dialect.name == "sqlite" else "false"


def _claim_indexes(condition: sa.TextClause) -> None:
    """The claim's partial indexes (0010), over `condition`: the claim's own words."""
    indexes: list[tuple[str, list[str | sa.TextClause]]] = [
        ("ix_task_claim", [PRIORITY, "task_id"]),
        ("ix_task_queue_claim", ["queue", PRIORITY, "task_id"])]
    for name, columns in indexes:
        op.drop_index(name, table_name="task")
        op.create_index(name, "task", columns, sqlite_where=condition,
                        postgresql_where=condition)


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (nullable, or with a constant default): no table copy.
    op.add_column("task", sa.Column("limit_key", sa.String(255), nullable=True))
    op.add_column("task", sa.Column("concurrency_limit", sa.Integer(), nullable=True))
    op.add_column("task", sa.Column("rate_limit", sa.String(16), nullable=True))
    op.add_column("task", sa.Column("held", sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    false = _false()
    _claim_indexes(sa.text(f"status = 'pending' AND delayed = {false} AND held = {false}"))
    held = sa.text(f"held = {'1' if false == '0' else 'true'}")
    op.create_index("ix_task_held", "task", ["limit_key", PRIORITY, "task_id"],
                    sqlite_where=held, postgresql_where=held)
    in_slot = sa.text(f"limit_key IS NOT NULL AND held = {false} "
                      "AND status IN ('pending', 'processing')")
    op.create_index("ix_task_limit_slots", "task", ["limit_key", "status"],
                    sqlite_where=in_slot, postgresql_where=in_slot)
    op.create_table(
        "limit_start",
        sa.Column("limit_start_id", Id, autoincrement=True, nullable=False),
        sa.Column("limit_key", sa.String(255), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("limit_start_id", name="pk_limit_start"),
    )
    op.create_index("ix_limit_start_limit_key_started_at", "limit_start",
                    ["limit_key", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_limit_start_limit_key_started_at", table_name="limit_start")
    op.drop_table("limit_start")
    op.drop_index("ix_task_limit_slots", table_name="task")
    op.drop_index("ix_task_held", table_name="task")
    _claim_indexes(sa.text(f"status = 'pending' AND delayed = {_false()}"))
    for column in ("held", "rate_limit", "concurrency_limit", "limit_key"):
        op.drop_column("task", column)
