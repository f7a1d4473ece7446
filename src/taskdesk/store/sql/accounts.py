"""SqlAccountStore: the account verbs over SQLAlchemy Core, for SQLite and PostgreSQL.

It is given its store's connections (SqlConnections), so that `store.atomic()` covers it too.
The last-admin rule locks the admins' rows (FOR UPDATE, in id order; SQLite's single writer
needs no lock) before it counts them, so two concurrent demotions cannot both pass."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

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
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.schema import (
    admin_user,
    api_token,
    audit_log,
    login_throttle,
    web_session,
)

ADMIN = "admin"

_TOKENS = (select(*api_token.c, admin_user.c.name.label("user"))
           .join(admin_user, admin_user.c.user_id == api_token.c.user_id)
           .order_by(api_token.c.token_id))
_LIVE_TOKENS = (select(*api_token.c, *[column.label(f"u_{column.name}")
                                       for column in admin_user.c])
                .join(admin_user, admin_user.c.user_id == api_token.c.user_id))
_SESSIONS = (select(*web_session.c, *[column.label(f"u_{column.name}") for column in admin_user.c])
             .join(admin_user, admin_user.c.user_id == web_session.c.user_id))


class SqlAccountStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    # -- users ------------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, role: str) -> User:
        now = self.db.clock()
        row = {"name": name, "password_hash": password_hash, "role": role,
               "date_added": now, "date_modified": now}
        with self.db.write() as conn:
            try:
                with conn.begin_nested():  # a concurrent add may win the unique name
                    added = conn.execute(insert(admin_user).values(row)
                                         .returning(*admin_user.c)).one()
            except IntegrityError:
                raise UserExists(f"a user named {name!r} exists already") from None
        return _user(added._mapping)

    def user(self, name: str) -> User | None:
        with self.db.read() as conn:
            return _find_user(conn, name)

    def users(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(select(admin_user).order_by(admin_user.c.name))
            return [_user(row._mapping) for row in rows]

    def delete_user(self, name: str) -> bool:
        with self.db.write() as conn:
            found = self._guarded(conn, name, losing_admin=True)
            if found is None:
                return False
            conn.execute(delete(admin_user).where(admin_user.c.user_id == found.user_id))
            return True

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        with self.db.write() as conn:
            found = _find_user(conn, name)
            if found is None:
                return False
            conn.execute(update(admin_user).where(admin_user.c.user_id == found.user_id)
                         .values(password_hash=password_hash, date_modified=self.db.clock()))
            conn.execute(delete(web_session).where(web_session.c.user_id == found.user_id))
            return True

    def set_role(self, name: str, role: str) -> User | None:
        with self.db.write() as conn:
            found = self._guarded(conn, name, losing_admin=role != ADMIN)
            if found is None:
                return None
            changed = conn.execute(
                update(admin_user).where(admin_user.c.user_id == found.user_id)
                .values(role=role, date_modified=self.db.clock()).returning(*admin_user.c)
            ).one()
            return _user(changed._mapping)

    def _guarded(self, conn: Connection, name: str, *, losing_admin: bool) -> User | None:
        """The user, once the change is known to leave an admin (LastAdmin otherwise)."""
        admins = conn.execute(select(admin_user.c.name).where(admin_user.c.role == ADMIN)
                              .order_by(admin_user.c.user_id).with_for_update()).scalars().all()
        found = _find_user(conn, name)
        if found is not None and losing_admin and list(admins) == [found.name]:
            raise LastAdmin(f"{name!r} is the only admin: make another user admin first")
        return found

    # -- API tokens -------------------------------------------------------------------------
    def add_token(self, name: str, label: str, secret_hash: str, *,
                  expires_at: datetime | None = None, read_only: bool = False) -> ApiToken | None:
        with self.db.write() as conn:
            found = _find_user(conn, name)
            if found is None:
                return None
            token_id = conn.execute(insert(api_token).values(
                user_id=found.user_id, label=label, secret_hash=secret_hash,
                date_added=self.db.clock(), last_used_at=None, revoked_at=None,
                expires_at=expires_at, read_only=read_only,
            ).returning(api_token.c.token_id)).scalar_one()
            return _one_token(conn, _TOKENS.where(api_token.c.token_id == token_id))

    def tokens(self, name: str | None = None) -> list[ApiToken]:
        query = _TOKENS if name is None else _TOKENS.where(admin_user.c.name == name)
        with self.db.read() as conn:
            return [_token(row._mapping) for row in conn.execute(query)]

    def revoke_token(self, token_id: int) -> ApiToken | None:
        with self.db.write() as conn:
            conn.execute(update(api_token).where(api_token.c.token_id == token_id,
                                                 api_token.c.revoked_at.is_(None))
                         .values(revoked_at=self.db.clock()))
            return _one_token(conn, _TOKENS.where(api_token.c.token_id == token_id))

    def live_token(self, secret_hash: str) -> TokenUse | None:
        query = _LIVE_TOKENS.where(
            api_token.c.secret_hash == secret_hash, api_token.c.revoked_at.is_(None),
            or_(api_token.c.expires_at.is_(None), api_token.c.expires_at > self.db.clock()))
        with self.db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        found = row._mapping
        return TokenUse(token=_token({**found, "user": found["u_name"]}),
                        user=_user(found, "u_"))

    def touch_token(self, token_id: int, *, older_than: timedelta) -> None:
        now = self.db.clock()
        with self.db.write() as conn:
            conn.execute(update(api_token).where(
                api_token.c.token_id == token_id,
                or_(api_token.c.last_used_at.is_(None),
                    api_token.c.last_used_at <= now - older_than),
            ).values(last_used_at=now))

    # -- failed logins ----------------------------------------------------------------------
    def change_logins(self, key_hashes: tuple[str, ...], change: LoginChange) -> None:
        keys = sorted(set(key_hashes))  # one order for every process: no deadlock
        with self.db.write() as conn:
            _insert_missing(conn, keys, self.db.clock())  # a row to lock for each key
            rows = conn.execute(select(login_throttle).where(login_throttle.c.key_hash.in_(keys))
                                .order_by(login_throttle.c.key_hash).with_for_update())
            found: dict[str, LoginRecord | None] = {key: None for key in keys}
            for row in rows:
                record = _login(row._mapping)
                found[row.key_hash] = record if record.failures else None
            for key, record in change(found).items():
                conn.execute(update(login_throttle).where(login_throttle.c.key_hash == key)
                             .values(failures=record.failures,
                                     blocked_until=record.blocked_until,
                                     last_failure_at=record.last_failure_at))

    def forget_logins(self, key_hashes: tuple[str, ...] = (), *,
                      failed_before: datetime | None = None) -> int:
        conditions: list[ColumnElement[bool]] = [login_throttle.c.key_hash.in_(key_hashes)]
        if failed_before is not None:
            conditions.append(login_throttle.c.last_failure_at < failed_before)
        with self.db.write() as conn:
            return conn.execute(delete(login_throttle).where(or_(*conditions))).rowcount

    # -- web sessions -----------------------------------------------------------------------
    def add_session(self, name: str, new: NewSession) -> WebSession | None:
        with self.db.write() as conn:
            found = _find_user(conn, name)
            if found is None:
                return None
            conn.execute(insert(web_session).values(
                session_hash=new.session_hash, user_id=found.user_id,
                csrf_token=new.csrf_token, date_added=self.db.clock(),
                expires_at=new.expires_at, address=new.address))
            row = conn.execute(_SESSIONS.where(web_session.c.session_hash == new.session_hash))
            return _session(row.one()._mapping)

    def session(self, session_hash: str) -> WebSession | None:
        query = _SESSIONS.where(web_session.c.session_hash == session_hash,
                                web_session.c.expires_at > self.db.clock())
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _session(row._mapping)

    def end_session(self, session_hash: str) -> bool:
        with self.db.write() as conn:
            statement = delete(web_session).where(web_session.c.session_hash == session_hash)
            return conn.execute(statement).rowcount > 0

    def prune_sessions(self) -> int:
        with self.db.write() as conn:
            statement = delete(web_session).where(
                web_session.c.expires_at <= self.db.clock())
            return conn.execute(statement).rowcount

    # -- the audit log ----------------------------------------------------------------------
    def record(self, entry: NewAuditEntry) -> AuditEntry:
        values = {"date_added": self.db.clock(), "actor": entry.actor,
                  "address": entry.address, "action": entry.action, "target": entry.target,
                  "detail": entry.detail}
        with self.db.write() as conn:
            row = conn.execute(insert(audit_log).values(values).returning(*audit_log.c)).one()
        return AuditEntry(**row._mapping)

    def audit(self, *, cursor: int | None = None, limit: int = 50) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.audit_id.desc()).limit(limit)
        if cursor is not None:
            query = query.where(audit_log.c.audit_id < cursor)
        with self.db.read() as conn:
            return [AuditEntry(**row._mapping) for row in conn.execute(query)]


def _find_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(admin_user).where(admin_user.c.name == name)).first()
    return None if row is None else _user(row._mapping)


def _user(row: Mapping[Any, Any], prefix: str = "") -> User:
    return User(**{column.name: row[prefix + column.name] for column in admin_user.c})


def _token(row: Mapping[Any, Any]) -> ApiToken:
    return ApiToken(token_id=row["token_id"], user=row["user"], label=row["label"],
                    date_added=row["date_added"], last_used_at=row["last_used_at"],
                    revoked_at=row["revoked_at"], expires_at=row["expires_at"],
                    read_only=bool(row["read_only"]))


def _insert_missing(conn: Connection, keys: list[str], now: datetime) -> None:
    """An empty record (0 failures: read as none) for each key that has none yet."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [{"key_hash": key, "failures": 0, "blocked_until": now, "last_failure_at": now}
            for key in keys]
    conn.execute(dialect.insert(login_throttle).values(rows).on_conflict_do_nothing())


def _login(row: Mapping[Any, Any]) -> LoginRecord:
    return LoginRecord(failures=row["failures"], blocked_until=row["blocked_until"],
                       last_failure_at=row["last_failure_at"])


def _one_token(conn: Connection, query: Select[Any]) -> ApiToken | None:
    row = conn.execute(query).first()
    return None if row is None else _token(row._mapping)


def _session(row: Mapping[Any, Any]) -> WebSession:
    return WebSession(session_hash=row["session_hash"], user=_user(row, "u_"),
                      csrf_token=row["csrf_token"], date_added=row["date_added"],
                      expires_at=row["expires_at"], address=row["address"])
