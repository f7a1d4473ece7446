"""The shapes of the admin web's accounts: users, API tokens, sessions, audit entries."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.accounts import ApiToken, AuditEntry, User
from taskdesk.models.roles import permissions_of


class UserView(TypedDict):
    user_id: int
    name: str
    role: str
    permissions: list[str]  # sorted: "PAGE:access", "PAGE:modify", "installer:upload"
    date_added: str | None
    date_modified: str | None


class TokenView(TypedDict):
    token_id: int
    user: str
    label: str
    date_added: str | None
    last_used_at: str | None  # to the minute: a token's use is written once a minute at most
    revoked: bool
    expires_at: str | None  # None: never
    read_only: bool  # only the owner's `access` permissions


class SessionView(TypedDict):
    secret: str  # the cookie's value: only in start_session's result, "" otherwise
    user: UserView
    csrf_token: str
    expires_at: str | None


class AuditView(TypedDict):
    audit_id: int
    date_added: str | None
    actor: str  # a user's name, or "cli"
    address: str | None
    action: str  # e.g. "tasks.retry"
    target: str  # e.g. "task 12"
    detail: str


def user_view(user: User) -> UserView:
    """A user without its password hash, with what its role permits."""
    return UserView(user_id=user.user_id, name=user.name, role=user.role,
                    permissions=sorted(permissions_of(user.role)),
                    date_added=isoformat(user.date_added),
                    date_modified=isoformat(user.date_modified))


def token_view(token: ApiToken) -> TokenView:
    return TokenView(token_id=token.token_id, user=token.user, label=token.label,
                     date_added=isoformat(token.date_added),
                     last_used_at=isoformat(token.last_used_at),
                     revoked=token.revoked_at is not None,
                     expires_at=isoformat(token.expires_at), read_only=token.read_only)


def audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(audit_id=entry.audit_id, date_added=isoformat(entry.date_added),
                     actor=entry.actor, address=entry.address, action=entry.action,
                     target=entry.target, detail=entry.detail or "")
