"""The accounts' tables: the admin web's users, API tokens, sessions, login throttle and the
audit log (part of the schema: schema.py re-exports them, so that its metadata is whole)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy import false as sa_false

from taskdesk.store.sql.schema_base import Id, UtcDateTime, metadata

# -- accounts: the admin web's users, API tokens, sessions, and the audit log ---------------
ROLES = ("admin", "operator", "viewer")  # taskdesk.models.roles.ROLES; a test keeps them equal

admin_user = Table(
    "admin_user",
    metadata,
    Column("user_id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("date_added", UtcDateTime, nullable=False),
    Column("date_modified", UtcDateTime, nullable=False),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
    sqlite_autoincrement=True,  # a deleted user's id is never given to another
)

api_token = Table(
    "api_token",
    metadata,
    Column("token_id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("admin_user.user_id", ondelete="CASCADE"), nullable=False),
    Column("label", String(128), nullable=False),
    # sha256 hex of the secret: the secret itself is shown once and never stored.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("date_added", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),  # to the minute: written once a minute
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),  # null: never
    Column("read_only", Boolean, nullable=False, server_default=sa_false()),  # access only
    sqlite_autoincrement=True,
)
Index("ix_api_token_user_id", api_token.c.user_id)

# Failed logins, shared by every web process: one row per throttled key (a name at an
# address, an address), the key kept as a sha256 hex so any text fits.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False),
)
# Forgetting keys that stopped failing.
Index("ix_login_throttle_last_failure_at", login_throttle.c.last_failure_at)

web_session = Table(
    "web_session",
    metadata,
    Column("session_hash", String(64), primary_key=True),  # sha256 hex of the cookie's secret
    Column("user_id", Id, ForeignKey("admin_user.user_id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("date_added", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("address", String(64), nullable=True),
)
Index("ix_web_session_user_id", web_session.c.user_id)
# Pruning expired sessions.
Index("ix_web_session_expires_at", web_session.c.expires_at)

# Who changed what: newest first by id (the primary key is the keyset's index).
audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Id, primary_key=True, autoincrement=True),
    Column("date_added", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("address", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=False),
    Column("detail", Text, nullable=True),
    sqlite_autoincrement=True,
)
