"""What the account verbs store and return: frozen values, free of any backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class User:
    user_id: int
    name: str
    password_hash: str
    role: str
    date_added: datetime
    date_modified: datetime


@dataclass(frozen=True, kw_only=True)
class ApiToken:
    """A token as stored: its secret is known only by its sha256 hash."""

    token_id: int
    user: str  # the owner's name
    label: str
    date_added: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None  # None: never
    read_only: bool = False  # only the owner's `access` permissions


@dataclass(frozen=True, kw_only=True)
class TokenUse:
    """A live token (unrevoked, unexpired) with its owner, as a bearer request finds it."""

    token: ApiToken
    user: User


@dataclass(frozen=True, kw_only=True)
class NewSession:
    """A session about to be stored (the secret's hash, never the secret)."""

    session_hash: str
    csrf_token: str
    expires_at: datetime
    address: str | None


@dataclass(frozen=True, kw_only=True)
class WebSession:
    session_hash: str
    user: User
    csrf_token: str
    date_added: datetime
    expires_at: datetime
    address: str | None


@dataclass(frozen=True, kw_only=True)
class NewAuditEntry:
    actor: str
    action: str
    target: str
    detail: str | None
    address: str | None


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    audit_id: int
    date_added: datetime
    actor: str
    address: str | None
    action: str
    target: str
    detail: str | None


@dataclass(frozen=True)
class Actor:
    """Who asked for a change, and from where (None: not over the network): what its audit
    entry names. It travels to an extension's hook process, so it stays plain data."""

    name: str
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class LoginRecord:
    """Failed logins of one throttled key (a name at an address, or an address)."""

    failures: int
    blocked_until: datetime  # no login of this key is checked before then
    last_failure_at: datetime
