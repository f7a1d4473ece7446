"""Accounts: users, API tokens and web sessions for the admin web and the CLI; returns views.
Each change made for someone (`by=Actor(...)`) writes its own audit entry in its transaction.

Input is checked before anything is stored (BadUserName, BadPassword, BadRole, BadLabel);
a name that does not exist is UnknownUser. Secrets are made here, shown once, and stored only
as sha256 hashes; passwords only as argon2 hashes. authenticate, user_for_token and session
never raise on hostile input: whatever does not match is None.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from taskdesk.accounts.audit import audited
from taskdesk.accounts.passwords import Passwords
from taskdesk.accounts.secrets import new_secret, secret_hash
from taskdesk.clock import isoformat
from taskdesk.errors import StoreUnavailable, UnknownToken, UnknownUser
from taskdesk.models.account_rules import (
    MAX_PASSWORD,
    check_expiry_days,
    check_label,
    check_password,
    check_user_name,
    fit,
    is_user_name,
    named,
)
from taskdesk.models.accounts import Actor, NewSession, User, WebSession
from taskdesk.models.roles import check_role
from taskdesk.store import AccountStore, Store
from taskdesk.views import SessionView, TokenView, UserView, token_view, user_view

MAX_SECRET = 256  # characters: ours are 43; anything longer is no secret of ours
MAX_ADDRESS = 64  # characters of a client's address kept with its session


MAX_ID = 2**63 - 1  # the largest id a database column holds
#: A token's last use is kept to this resolution: one write a minute at most, not one a request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)

logger = logging.getLogger(__name__)


class Accounts:
    def __init__(self, store: Store, *, session_seconds: float,
                 passwords: Passwords | None = None) -> None:
        self.store = store
        self.session_seconds = session_seconds
        self.passwords = passwords or Passwords()

    @property
    def _accounts(self) -> AccountStore:
        return self.store.accounts

    # -- users ------------------------------------------------------------------------------
    # A change made for someone (`by`) writes its audit entry in its own transaction; one made
    # by code (by=None: set-up, tests) writes none.
    def add_user(self, name: str, password: str, *, role: str = "viewer",
                 by: Actor | None = None) -> UserView:
        check_user_name(name)
        check_role(role)
        digest = self.passwords.hash(check_password(password))
        with audited(self.store, by) as change:
            user = user_view(change.store.accounts.add_user(name, digest, role))
            change.record("users.add", f"user {user['name']}", f"role {user['role']}")
        return user

    def users(self) -> list[UserView]:
        return [user_view(user) for user in self._accounts.users()]

    def get_user(self, name: str) -> UserView:
        return user_view(self._user(name))

    def _user(self, name: str) -> User:
        found = self._accounts.user(name) if _plausible(name) else None
        if found is None:
            raise UnknownUser(f"no user named {named(name)}")
        return found

    def delete_user(self, name: str, *, by: Actor | None = None) -> None:
        """Delete a user with its tokens and sessions; refuses the last admin (LastAdmin)."""
        with audited(self.store, by) as change:
            if not (_plausible(name) and change.store.accounts.delete_user(name)):
                raise UnknownUser(f"no user named {named(name)}")
            change.record("users.delete", f"user {name}")

    def set_password(self, name: str, password: str, *, by: Actor | None = None) -> None:
        """A new password; the user's sessions end (tokens stay: revoke them one by one)."""
        self._user(name)  # unknown names cost no hashing
        digest = self.passwords.hash(check_password(password))
        with audited(self.store, by) as change:
            if not change.store.accounts.set_password_hash(name, digest):
                raise UnknownUser(f"no user named {named(name)}")
            change.record("users.password", f"user {name}")

    def set_role(self, name: str, role: str, *, by: Actor | None = None) -> UserView:
        """Change a role; refuses to demote the last admin (LastAdmin)."""
        check_role(role)
        with audited(self.store, by) as change:
            changed = change.store.accounts.set_role(name, role) if _plausible(name) else None
            if changed is None:
                raise UnknownUser(f"no user named {named(name)}")
            change.record("users.role", f"user {name}", f"role {changed.role}")
        return user_view(changed)

    def ensure_admin(self, name: str, password: str, *, by: Actor | None = None) -> UserView:
        """`taskdesk init --admin-user`: add the admin, or reset an existing user's password
        and make it admin, so that init can be run again; one transaction, one entry."""
        check_user_name(name)
        digest = self.passwords.hash(check_password(password))
        with audited(self.store, by) as change:
            accounts = change.store.accounts
            if accounts.user(name) is None:
                user = accounts.add_user(name, digest, "admin")
            elif not accounts.set_password_hash(name, digest) or (
                    found := accounts.set_role(name, "admin")) is None:
                raise UnknownUser(f"no user named {named(name)}")
            else:
                user = found
            change.record("users.init-admin", f"user {name}")
        return user_view(user)

    # -- API tokens -------------------------------------------------------------------------
    def issue_token(self, name: str, *, label: str = "", expires_days: float | None = None,
                    read_only: bool = False, by: Actor | None = None) -> tuple[str, TokenView]:
        """A new token: its secret is returned here, once, and never stored. It expires
        `expires_days` from now (None: never); a read-only one only reads (`access`)."""
        check_label(label)
        expires_at = None
        if expires_days is not None:
            expires_at = self.store.clock() + timedelta(days=check_expiry_days(expires_days))
        secret = new_secret()
        with audited(self.store, by) as change:
            token = change.store.accounts.add_token(
                name, label, secret_hash(secret), expires_at=expires_at,
                read_only=read_only) if _plausible(name) else None
            if token is None:
                raise UnknownUser(f"no user named {named(name)}")
            issued = token_view(token)
            change.record("tokens.issue", f"user {name}", _token_detail(issued))
        return secret, issued

    def tokens(self, name: str | None = None) -> list[TokenView]:
        """Tokens of one user (UnknownUser if there is none) or of all, oldest first."""
        if name is not None:
            self._user(name)
        return [token_view(token) for token in self._accounts.tokens(name)]

    def revoke_token(self, token_id: int, *, by: Actor | None = None) -> TokenView:
        in_range = isinstance(token_id, int) and 0 < token_id <= MAX_ID
        with audited(self.store, by) as change:
            revoked = change.store.accounts.revoke_token(token_id) if in_range else None
            if revoked is None:
                raise UnknownToken(f"no API token with id {token_id}")
            change.record("tokens.revoke", f"token {token_id}", f"of {revoked.user}")
        return token_view(revoked)

    # -- signing in -------------------------------------------------------------------------
    def authenticate(self, name: str, password: str) -> UserView | None:
        """The user if the password is theirs; an unknown name costs the same time."""
        user = self._accounts.user(name) if _plausible(name) else None
        plausible = isinstance(password, str) and len(password) <= MAX_PASSWORD
        if user is None or not plausible:
            self.passwords.verify_nobody(password if plausible else "")
            return None
        return user_view(user) if self.passwords.verify(user.password_hash, password) else None

    def user_for_token(self, secret: str) -> UserView | None:
        """The owner of a live token (a bearer token's secret); marks it used."""
        used = self.use_token(secret)
        return None if used is None else used[0]

    def use_token(self, secret: str) -> tuple[UserView, TokenView] | None:
        """The owner and the token of a live secret (unrevoked, unexpired). Its last use is
        written at most once a TOKEN_USE_RESOLUTION, and never fails the request: reading
        with a token must not wait on the database's writer."""
        if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET:
            return None
        found = self._accounts.live_token(secret_hash(secret))
        if found is None:
            return None
        last = found.token.last_used_at
        if last is None or self.store.clock() - last >= TOKEN_USE_RESOLUTION:
            try:
                self._accounts.touch_token(found.token.token_id, older_than=TOKEN_USE_RESOLUTION)
            except StoreUnavailable as error:
                logger.warning("token.touch_failed token_id=%s: %s", found.token.token_id,
                               error)
        return user_view(found.user), token_view(found.token)

    def start_session(self, name: str, *, address: str | None = None,
                      by: Actor | None = None) -> SessionView:
        """A new session of the user: `secret` goes in the cookie, once. With `by` (the user
        logging in), its `session.login` entry is written with it."""
        secret = new_secret()
        new = NewSession(session_hash=secret_hash(secret), csrf_token=new_secret(),
                         expires_at=self.store.clock() + timedelta(seconds=self.session_seconds),
                         address=None if address is None else fit(address, MAX_ADDRESS))
        with audited(self.store, by) as change:
            started = change.store.accounts.add_session(name, new) if _plausible(name) else None
            if started is None:
                raise UnknownUser(f"no user named {named(name)}")
            change.record("session.login")
        return _session_view(secret, started.user, new)

    def session(self, secret: str) -> SessionView | None:
        """The session of a cookie's secret, unless unknown or expired (secret "" here)."""
        if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET:
            return None
        found = self._accounts.session(secret_hash(secret))
        if found is None:
            return None
        return _session_view("", found.user, found)

    def end_session(self, secret: str, *, by: Actor | None = None) -> None:
        """End the session of a cookie's secret (if any); with `by` (who logs out), its
        `session.logout` entry is written with it."""
        plausible = isinstance(secret, str) and 0 < len(secret) <= MAX_SECRET
        if not plausible and by is None:
            return  # nothing to end, nothing to record: no transaction
        with audited(self.store, by) as change:
            if plausible:
                change.store.accounts.end_session(secret_hash(secret))
            change.record("session.logout")

    def prune_sessions(self) -> int:
        """Delete expired sessions; returns how many went."""
        return self._accounts.prune_sessions()


def _plausible(name: str) -> bool:
    """A name that could be stored: anything else is unknown without asking the database
    (which might refuse it: PostgreSQL's text holds no NUL)."""
    return is_user_name(name)


def _token_detail(issued: TokenView) -> str:
    detail = f"token {issued['token_id']}"
    if issued["read_only"]:
        detail += ", read-only"
    if issued["expires_at"]:
        detail += f", expires {issued['expires_at']}"
    return detail


def _session_view(secret: str, user: User, session: NewSession | WebSession) -> SessionView:
    return SessionView(secret=secret, user=user_view(user), csrf_token=session.csrf_token,
                       expires_at=isoformat(session.expires_at))
