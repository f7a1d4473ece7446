"""Accounts of the admin web: users with roles, API tokens, sessions, and the audit log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from taskdesk.store.sql.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLES = "('admin', 'operator', 'viewer')"


def upgrade() -> None:
    op.create_table(
        "admin_user",
        sa.Column("user_id", ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("date_modified", UtcDateTime(), nullable=False),
        sa.CheckConstraint(f"role IN {ROLES}", name="ck_admin_user_role"),
        sa.PrimaryKeyConstraint("user_id", name="pk_admin_user"),
        sa.UniqueConstraint("name", name="uq_admin_user_name"),
        sqlite_autoincrement=True,
    )
    _owned_by_a_user("api_token", [
        sa.Column("token_id", ID, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_token"),
        sa.UniqueConstraint("secret_hash", name="uq_api_token_secret_hash"),
    ], sqlite_autoincrement=True)
    _owned_by_a_user("web_session", [
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("session_hash", name="pk_web_session"),
    ])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("audit_id", ID, primary_key=True, autoincrement=True),
        sa.Column("date_added", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("audit_id", name="pk_audit_log"),
        sqlite_autoincrement=True,
    )


def _owned_by_a_user(name: str, columns: list[sa.Column[Any] | sa.Constraint],
                     **options: bool) -> None:
    """A table whose rows go with their user (ON DELETE CASCADE), indexed by user."""
    op.create_table(
        name,
        *columns,
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["admin_user.user_id"], ondelete="CASCADE",
                                name=f"fk_{name}_user_id_admin_user"),
        **options,
    )
    op.create_index(f"ix_{name}_user_id", name, ["user_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    for name in ("web_session", "api_token"):
        op.drop_index(f"ix_{name}_user_id", table_name=name)
        op.drop_table(name)
    op.drop_table("admin_user")
