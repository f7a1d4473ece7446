"""MemoryAccountStore: the account verbs in plain Python, the reference for the SQL ones.

It shares its owner's lock and clock (a MemoryStore), and deleting a user takes its tokens and
sessions with it, as the SQL schema's ON DELETE CASCADE does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from taskdesk.errors import LastAdmin, UserExists
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
from taskdesk.store.accounts import LoginChange

ADMIN = "admin"


class MemoryAccountStore:
    def __init__(self, clock: Callable[[], datetime], lock: threading.RLock) -> None:
        self.clock = clock
        self._lock = lock
        self._users: dict[int, User] = {}
        self._tokens: dict[int, tuple[ApiToken, int, str]] = {}  # token, user id, its hash
        self._sessions: dict[str, tuple[WebSession, int]] = {}  # by hash: session, user id
        self._audit: list[AuditEntry] = []
        self._logins: dict[str, LoginRecord] = {}
        self._next = {"user": 1, "token": 1, "audit": 1}

    def _take_id(self, kind: str) -> int:
        taken = self._next[kind]
        self._next[kind] += 1
        return taken

    def snapshot(self) -> tuple[Any, ...]:
        """Everything, for MemoryStore.atomic() to put back (the values are frozen)."""
        with self._lock:
            return (dict(self._users), dict(self._tokens), dict(self._sessions),
                    list(self._audit), dict(self._logins), dict(self._next))

    def restore(self, saved: tuple[Any, ...]) -> None:
        with self._lock:
            (self._users, self._tokens, self._sessions, self._audit, self._logins,
             self._next) = saved

    # -- users ------------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, role: str) -> User:
        with self._lock:
            if self._find(name) is not None:
                raise UserExists(f"a user named {name!r} exists already")
            now = self.clock()
            user = User(user_id=self._take_id("user"), name=name, password_hash=password_hash,
                        role=role, date_added=now, date_modified=now)
            self._users[user.user_id] = user
            return user

    def _find(self, name: str) -> User | None:
        return next((user for user in self._users.values() if user.name == name), None)

    def user(self, name: str) -> User | None:
        with self._lock:
            return self._find(name)

    def users(self) -> list[User]:
        with self._lock:
            return sorted(self._users.values(), key=lambda user: user.name)

    def delete_user(self, name: str) -> bool:
        with self._lock:
            found = self._guarded(name, losing_admin=True)
            if found is None:
                return False
            del self._users[found.user_id]
            self._tokens = {key: held for key, held in self._tokens.items()
                            if held[1] != found.user_id}
            self._end_sessions_of(found.user_id)
            return True

    def _end_sessions_of(self, user_id: int) -> None:
        self._sessions = {key: held for key, held in self._sessions.items()
                          if held[1] != user_id}

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        with self._lock:
            found = self._find(name)
            if found is None:
                return False
            self._users[found.user_id] = replace(found, password_hash=password_hash,
                                                 date_modified=self.clock())
            self._end_sessions_of(found.user_id)
            return True

    def set_role(self, name: str, role: str) -> User | None:
        with self._lock:
            found = self._guarded(name, losing_admin=role != ADMIN)
            if found is None:
                return None
            changed = replace(found, role=role, date_modified=self.clock())
            self._users[found.user_id] = changed
            return changed

    def _guarded(self, name: str, *, losing_admin: bool) -> User | None:
        found = self._find(name)
        admins = [user.name for user in self._users.values() if user.role == ADMIN]
        if found is not None and losing_admin and admins == [found.name]:
            raise LastAdmin(f"{name!r} is the only admin: make another user admin first")
        return found

    # -- API tokens -------------------------------------------------------------------------
    def add_token(self, name: str, label: str, secret_hash: str, *,
                  expires_at: datetime | None = None, read_only: bool = False) -> ApiToken | None:
        with self._lock:
            found = self._find(name)
            if found is None:
                return None
            token = ApiToken(token_id=self._take_id("token"), user=name, label=label,
                             date_added=self.clock(), last_used_at=None, revoked_at=None,
                             expires_at=expires_at, read_only=read_only)
            self._tokens[token.token_id] = (token, found.user_id, secret_hash)
            return token

    def tokens(self, name: str | None = None) -> list[ApiToken]:
        with self._lock:
            return [self._current(token, user_id) for token, user_id, _ in self._tokens.values()
                    if name is None or self._users[user_id].name == name]

    def _current(self, token: ApiToken, user_id: int) -> ApiToken:
        """The token with its owner's name as it is now."""
        return replace(token, user=self._users[user_id].name)

    def revoke_token(self, token_id: int) -> ApiToken | None:
        with self._lock:
            held = self._tokens.get(token_id)
            if held is None:
                return None
            token, user_id, digest = held
            if token.revoked_at is None:
                token = replace(token, revoked_at=self.clock())
                self._tokens[token_id] = (token, user_id, digest)
            return self._current(token, user_id)

    def live_token(self, secret_hash: str) -> TokenUse | None:
        with self._lock:
            now = self.clock()
            for token, user_id, digest in self._tokens.values():
                live = token.revoked_at is None and (token.expires_at is None
                                                     or token.expires_at > now)
                if digest == secret_hash and live:
                    return TokenUse(token=self._current(token, user_id),
                                    user=self._users[user_id])
            return None

    def touch_token(self, token_id: int, *, older_than: timedelta) -> None:
        with self._lock:
            held = self._tokens.get(token_id)
            if held is None:
                return
            token, user_id, digest = held
            now = self.clock()
            if token.last_used_at is None or token.last_used_at <= now - older_than:
                self._tokens[token_id] = (replace(token, last_used_at=now), user_id, digest)

    # -- failed logins ----------------------------------------------------------------------
    def change_logins(self, key_hashes: tuple[str, ...], change: LoginChange) -> None:
        with self._lock:
            self._logins.update(change({key: self._logins.get(key) for key in key_hashes}))

    def forget_logins(self, key_hashes: tuple[str, ...] = (), *,
                      failed_before: datetime | None = None) -> int:
        with self._lock:
            gone = [key for key, record in self._logins.items() if key in key_hashes or (
                failed_before is not None and record.last_failure_at < failed_before)]
            for key in gone:
                del self._logins[key]
            return len(gone)

    # -- web sessions -----------------------------------------------------------------------
    def add_session(self, name: str, new: NewSession) -> WebSession | None:
        with self._lock:
            found = self._find(name)
            if found is None:
                return None
            session = WebSession(session_hash=new.session_hash, user=found,
                                 csrf_token=new.csrf_token, date_added=self.clock(),
                                 expires_at=new.expires_at, address=new.address)
            self._sessions[new.session_hash] = (session, found.user_id)
            return session

    def session(self, session_hash: str) -> WebSession | None:
        with self._lock:
            held = self._sessions.get(session_hash)
            if held is None or held[0].expires_at <= self.clock():
                return None
            return replace(held[0], user=self._users[held[1]])

    def end_session(self, session_hash: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_hash, None) is not None

    def prune_sessions(self) -> int:
        with self._lock:
            now = self.clock()
            expired = [key for key, (session, _) in self._sessions.items()
                       if session.expires_at <= now]
            for key in expired:
                del self._sessions[key]
            return len(expired)

    # -- the audit log ----------------------------------------------------------------------
    def record(self, entry: NewAuditEntry) -> AuditEntry:
        with self._lock:
            recorded = AuditEntry(audit_id=self._take_id("audit"), date_added=self.clock(),
                                  actor=entry.actor, address=entry.address,
                                  action=entry.action, target=entry.target, detail=entry.detail)
            self._audit.append(recorded)
            return recorded

    def audit(self, *, cursor: int | None = None, limit: int = 50) -> list[AuditEntry]:
        with self._lock:
            newest = [entry for entry in reversed(self._audit)
                      if cursor is None or entry.audit_id < cursor]
        return newest[:limit]
