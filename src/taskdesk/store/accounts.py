"""The accounts' storage seam: users, API tokens, web sessions and the audit log.

Its own small protocol, reached as `store.accounts` on every Store, so that the task verbs
stay one screen; the same contract suite (tests/store/test_accounts_store.py) runs it on
memory, SQLite and PostgreSQL. Verbs take names, hashes and prepared values: checking input
and hashing passwords is the service's job (taskdesk.accounts.service).

One rule lives here, because only a transaction can keep it under concurrent changes: there
is always an admin. Deleting or demoting the last one raises LastAdmin and changes nothing.
Times come from the owning store's clock; a session is valid while its expires_at is ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from taskdesk.models.accounts import (
    ApiToken,
    AuditEntry,
    LoginRecord,
    NewAuditEntry,
    NewSession,
    TokenUse,
    User,
    WebSession,
)

#: What a change of throttled logins makes of their records (keys absent: unchanged).
LoginChange = Callable[[dict[str, LoginRecord | None]], dict[str, LoginRecord]]


class AccountStore(Protocol):
    # -- users ------------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, role: str) -> User:
        """Insert a user; UserExists if the name is taken."""
        ...

    def user(self, name: str) -> User | None:
        ...

    def users(self) -> list[User]:
        """Every user, by name."""
        ...

    def delete_user(self, name: str) -> bool:
        """Delete a user with its tokens and sessions; False if unknown, LastAdmin if it is
        the only admin."""
        ...

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Store a new hash and end the user's sessions; False if unknown."""
        ...

    def set_role(self, name: str, role: str) -> User | None:
        """Change a role; None if unknown, LastAdmin if it demotes the only admin."""
        ...

    # -- API tokens -------------------------------------------------------------------------
    def add_token(self, name: str, label: str, secret_hash: str, *,
                  expires_at: datetime | None = None, read_only: bool = False) -> ApiToken | None:
        """A new token of the user (None if unknown)."""
        ...

    def tokens(self, name: str | None = None) -> list[ApiToken]:
        """Tokens of one user or all, oldest first, revoked and expired ones included."""
        ...

    def revoke_token(self, token_id: int) -> ApiToken | None:
        """Revoke a token (a revoked one keeps its first revocation time); None if unknown."""
        ...

    def live_token(self, secret_hash: str) -> TokenUse | None:
        """The unrevoked, unexpired token with this hash and its owner; a read, never a write
        (a bearer request must not wait on the writer)."""
        ...

    def touch_token(self, token_id: int, *, older_than: timedelta) -> None:
        """Set last_used_at to now, unless it was set less than `older_than` ago."""
        ...

    # -- failed logins ----------------------------------------------------------------------
    def change_logins(self, key_hashes: tuple[str, ...], change: LoginChange) -> None:
        """In one transaction that holds these keys against every other change of them (so
        that parallel logins are counted one after another), store what `change` makes of
        their records."""
        ...

    def forget_logins(self, key_hashes: tuple[str, ...] = (), *,
                      failed_before: datetime | None = None) -> int:
        """Delete these keys' records, and those whose last failure is before
        `failed_before`; returns how many went."""
        ...

    # -- web sessions -----------------------------------------------------------------------
    def add_session(self, name: str, new: NewSession) -> WebSession | None:
        """Store a session of the user (None if unknown)."""
        ...

    def session(self, session_hash: str) -> WebSession | None:
        """The session with this hash, unless unknown or expired."""
        ...

    def end_session(self, session_hash: str) -> bool:
        ...

    def prune_sessions(self) -> int:
        """Delete expired sessions; returns how many went."""
        ...

    # -- the audit log ----------------------------------------------------------------------
    def record(self, entry: NewAuditEntry) -> AuditEntry:
        ...

    def audit(self, *, cursor: int | None = None, limit: int = 50) -> list[AuditEntry]:
        """Entries newest first, with ids below `cursor`."""
        ...
