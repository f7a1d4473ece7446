"""Accounts and AuditLog, the services the admin web and the CLI use: input checked before
anything is stored, argon2 hashes, secrets shown once, sessions that expire, the audit log.
Each test runs on every backend (the root `store` fixture), hostile values included."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from taskdesk.accounts.audit import AuditLog
from taskdesk.accounts.passwords import Passwords
from taskdesk.accounts.secrets import secret_hash
from taskdesk.accounts.service import Accounts
from taskdesk.admin import Admin
from taskdesk.config import Settings
from taskdesk.errors import (
    BadExpiry,
    BadInput,
    BadLabel,
    BadPassword,
    BadRole,
    BadUserName,
    ConfigError,
    LastAdmin,
    UnknownToken,
    UnknownUser,
    UserExists,
)
from taskdesk.models.roles import PAGES, ROLES, permissions_of
from taskdesk.store import Store
from taskdesk.testing import memory_desk
from tests.support import FakeClock

#: Cheap argon2 parameters: the tests check behaviour, not strength.
FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
HOURS = 3600.0
PASSWORD = "correct horse"
HOSTILE_NAMES = ["", "a" * 65, "ann smith", "ann\x00", "ann\n", "\u202eann", "ánn", "ann\udc80",
                 "../ann", "ann;drop", "a" * 10_000]


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store, session_seconds=8 * HOURS, passwords=FAST)


@pytest.fixture
def audit(store: Store) -> AuditLog:
    return AuditLog(store)


def test_roles_follow_opencarts_access_and_modify_per_page() -> None:
    assert ROLES == ("admin", "operator", "viewer")
    every = {f"{page}:{verb}" for page in PAGES for verb in ("access", "modify")}
    assert permissions_of("admin") == every | {"installer:upload"}
    operator = permissions_of("operator")
    assert {"users:access", "audit:access", "installer:upload"}.isdisjoint(operator)
    assert {"tasks:modify", "extensions:modify", "error_log:modify",
            "installer:modify", "dashboard:access"} <= operator
    assert permissions_of("viewer") == {f"{page}:access" for page in
                                        ("dashboard", "tasks", "extensions", "installer",
                                         "error_log")}
    with pytest.raises(BadRole, match="admin, operator, viewer"):
        permissions_of("root")


def test_add_user_stores_an_argon2_hash_and_returns_a_view(accounts: Accounts,
                                                           store: Store) -> None:
    view = accounts.add_user("ann", PASSWORD, role="operator")

    assert (view["name"], view["role"]) == ("ann", "operator")
    assert view["permissions"] == sorted(permissions_of("operator"))
    assert "password_hash" not in view
    stored = store.accounts.user("ann")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert accounts.get_user("ann") == view
    assert accounts.users() == [view]
    assert accounts.add_user("bob", PASSWORD)["role"] == "viewer"  # the default role


def test_the_real_hasher_hashes_with_argon2id_and_verifies() -> None:
    passwords = Passwords()
    digest = passwords.hash(PASSWORD)

    assert digest.startswith("$argon2id$")
    assert passwords.verify(digest, PASSWORD)
    assert not passwords.verify(digest, "wrong password")


@pytest.mark.parametrize("digest", ["", "not a hash", "$argon2id$v=19$m=1$broken",
                                    "$2b$12$abcdefghijklmnopqrstuv", "\x00"])
def test_verify_never_raises_on_a_malformed_hash(digest: str) -> None:
    assert FAST.verify(digest, PASSWORD) is False


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_user_names_are_refused_and_nothing_is_stored(accounts: Accounts,
                                                              name: str) -> None:
    with pytest.raises(BadUserName) as refused:
        accounts.add_user(name, PASSWORD)

    assert len(refused.value.message) < 200
    assert "\x00" not in refused.value.message
    assert "\n" not in refused.value.message
    assert accounts.users() == []
    with pytest.raises(UnknownUser):
        accounts.get_user(name)
    assert accounts.authenticate(name, PASSWORD) is None


def test_names_may_use_letters_digits_and_dot_underscore_at_dash(accounts: Accounts) -> None:
    name = "Ann.O_Brien-2@example"
    assert accounts.add_user(name, PASSWORD)["name"] == name
    assert accounts.add_user("x" * 64, PASSWORD)["name"] == "x" * 64


@pytest.mark.parametrize("password", ["short", "x" * 1025, "password\x00", "pass\udc80word"])
def test_bad_passwords_are_refused_without_being_repeated(accounts: Accounts,
                                                          password: str) -> None:
    with pytest.raises(BadPassword) as refused:
        accounts.add_user("ann", password)

    assert password not in refused.value.message
    assert accounts.users() == []


def test_an_unknown_role_lists_the_roles_and_a_taken_name_is_refused(
    accounts: Accounts,
) -> None:
    with pytest.raises(BadRole, match="admin, operator, viewer"):
        accounts.add_user("ann", PASSWORD, role="root")
    accounts.add_user("ann", PASSWORD)
    with pytest.raises(UserExists):
        accounts.add_user("ann", "another password")


def test_authenticate_accepts_only_the_right_password(accounts: Accounts) -> None:
    accounts.add_user("ann", PASSWORD)

    user = accounts.authenticate("ann", PASSWORD)

    assert user is not None
    assert user["name"] == "ann"
    assert accounts.authenticate("ann", "wrong password") is None
    assert accounts.authenticate("ann", "") is None
    assert accounts.authenticate("ann", "x" * 100_000) is None
    assert accounts.authenticate("ann", "pass\udc80word") is None
    assert accounts.authenticate("bob", PASSWORD) is None


def test_an_unknown_user_still_costs_a_verification(store: Store) -> None:
    calls: list[str] = []

    class Counting(Passwords):
        def verify(self, password_hash: str, password: str) -> bool:
            calls.append(password)
            return super().verify(password_hash, password)

    accounts = Accounts(store, session_seconds=HOURS, passwords=Counting(FAST.hasher))

    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("bad name!", PASSWORD) is None
    assert calls == [PASSWORD, PASSWORD]


def test_set_password_changes_it_and_ends_the_users_sessions(accounts: Accounts) -> None:
    accounts.add_user("ann", PASSWORD, role="admin")
    session = accounts.start_session("ann")

    accounts.set_password("ann", "a new password")

    assert accounts.authenticate("ann", PASSWORD) is None
    assert accounts.authenticate("ann", "a new password") is not None
    assert accounts.session(session["secret"]) is None
    with pytest.raises(UnknownUser):
        accounts.set_password("bob", "a new password")
    with pytest.raises(BadPassword):
        accounts.set_password("ann", "short")


def test_the_last_admin_is_protected(accounts: Accounts) -> None:
    accounts.add_user("ann", PASSWORD, role="admin")
    accounts.add_user("bob", PASSWORD)

    with pytest.raises(LastAdmin):
        accounts.delete_user("ann")
    with pytest.raises(LastAdmin):
        accounts.set_role("ann", "viewer")

    assert accounts.set_role("bob", "admin")["role"] == "admin"
    assert accounts.set_role("ann", "viewer")["permissions"] == sorted(
        permissions_of("viewer"))
    accounts.delete_user("ann")
    assert [user["name"] for user in accounts.users()] == ["bob"]
    with pytest.raises(UnknownUser):
        accounts.delete_user("ann")
    with pytest.raises(UnknownUser):
        accounts.set_role("ann", "admin")
    with pytest.raises(BadRole):
        accounts.set_role("bob", "superuser")


def test_ensure_admin_adds_or_resets_and_promotes(accounts: Accounts) -> None:
    assert accounts.ensure_admin("root", PASSWORD)["role"] == "admin"
    accounts.add_user("ann", PASSWORD)

    again = accounts.ensure_admin("ann", "another password")

    assert again["role"] == "admin"
    assert accounts.authenticate("ann", "another password") is not None
    assert accounts.ensure_admin("root", "third password")["role"] == "admin"
    assert accounts.authenticate("root", "third password") is not None


def test_a_token_is_shown_once_and_stored_as_a_hash(accounts: Accounts,
                                                    store: Store,
                                                    clock: FakeClock) -> None:
    accounts.add_user("ann", PASSWORD)

    secret, token = accounts.issue_token("ann", label="deploy")

    assert len(secret) >= 43
    assert (token["user"], token["label"], token["revoked"]) == ("ann", "deploy", False)
    assert token["last_used_at"] is None
    assert store.accounts.live_token(secret_hash(secret)) is not None  # kept: the hash
    assert store.accounts.live_token(secret) is None  # never the secret
    clock.advance(60)
    user = accounts.user_for_token(secret)
    assert user is not None
    assert user["name"] == "ann"
    [listed] = accounts.tokens("ann")
    assert listed["last_used_at"] == "2026-01-01T12:01:00Z"
    assert accounts.tokens() == [listed]


def test_a_revoked_or_unknown_token_is_refused(accounts: Accounts) -> None:
    accounts.add_user("ann", PASSWORD)
    secret, token = accounts.issue_token("ann")

    revoked = accounts.revoke_token(token["token_id"])

    assert revoked["revoked"] is True
    assert accounts.user_for_token(secret) is None
    for hostile in ("", "x" * 100_000, "tok\x00en", "tok\udc80en", secret + "x"):
        assert accounts.user_for_token(hostile) is None
    with pytest.raises(UnknownToken):
        accounts.revoke_token(999)


def test_a_tokens_use_is_written_once_a_minute_not_once_a_request(
        accounts: Accounts, clock: FakeClock) -> None:
    """Each bearer request wrote last_used_at durably: an fsync per API read on SQLite."""
    accounts.add_user("ann", PASSWORD)
    secret, _ = accounts.issue_token("ann")
    assert accounts.user_for_token(secret) is not None
    first = accounts.tokens()[0]["last_used_at"]
    clock.advance(30)
    assert accounts.user_for_token(secret) is not None
    assert accounts.tokens()[0]["last_used_at"] == first
    clock.advance(30)
    assert accounts.user_for_token(secret) is not None
    assert accounts.tokens()[0]["last_used_at"] == "2026-01-01T12:01:00Z"


def test_a_token_may_expire_and_may_only_read(accounts: Accounts, clock: FakeClock) -> None:
    accounts.add_user("ann", PASSWORD, role="admin")
    secret, token = accounts.issue_token("ann", expires_days=1, read_only=True)
    assert token["expires_at"] == "2026-01-02T12:00:00Z"
    assert token["read_only"] is True
    used = accounts.use_token(secret)
    assert used is not None
    assert used[1]["read_only"] is True
    clock.advance(HOURS * 24)
    assert accounts.use_token(secret) is None
    assert accounts.tokens()[0]["token_id"] == token["token_id"]  # listed, expired
    for days in (0, -1, float("nan"), 3_651, True):
        with pytest.raises(BadExpiry):
            accounts.issue_token("ann", expires_days=days)


def test_tokens_refuse_unknown_users_and_bad_labels(accounts: Accounts) -> None:
    with pytest.raises(UnknownUser):
        accounts.issue_token("nobody")
    with pytest.raises(UnknownUser):
        accounts.tokens("nobody")
    accounts.add_user("ann", PASSWORD)
    for label in ("x" * 129, "a\x00b", "a\udc80b"):
        with pytest.raises(BadLabel):
            accounts.issue_token("ann", label=label)
    assert accounts.tokens() == []


def test_a_session_lasts_session_seconds_then_is_refused(accounts: Accounts,
                                                         clock: FakeClock) -> None:
    accounts.add_user("ann", PASSWORD)

    started = accounts.start_session("ann", address="203.0.113.9")

    assert started["secret"]
    assert started["user"]["name"] == "ann"
    assert started["expires_at"] == "2026-01-01T20:00:00Z"
    found = accounts.session(started["secret"])
    assert found is not None
    assert found["secret"] == ""
    assert found["csrf_token"] == started["csrf_token"]
    clock.advance(8 * HOURS - 1)
    assert accounts.session(started["secret"]) is not None
    clock.advance(1)
    assert accounts.session(started["secret"]) is None
    assert accounts.prune_sessions() == 1


def test_ending_a_session_and_hostile_cookies(accounts: Accounts) -> None:
    accounts.add_user("ann", PASSWORD)
    started = accounts.start_session("ann", address="\x00" * 500)

    accounts.end_session(started["secret"])

    assert accounts.session(started["secret"]) is None
    for hostile in ("", "x" * 100_000, "\x00", "\udc80"):
        assert accounts.session(hostile) is None
        accounts.end_session(hostile)
    with pytest.raises(UnknownUser):
        accounts.start_session("nobody")


def test_audit_records_hostile_values_safely_and_pages_newest_first(audit: AuditLog) -> None:
    first = audit.record(actor="ann\x00", action="tasks.retry", target="task 12",
                         detail="x\udc80" * 100_000, address="10.0.0.1")
    assert first["actor"] == "ann\\x00"
    assert len(first["detail"].encode("utf-8")) <= 64 * 1024
    for n in range(4):
        audit.record(actor="cli", action="user.add", target=f"user u{n}")

    page = audit.entries(limit=3)
    rest = audit.entries(cursor=page[-1]["audit_id"], limit=3)

    assert [entry["target"] for entry in page] == ["user u3", "user u2", "user u1"]
    assert [entry["target"] for entry in rest] == ["user u0", "task 12"]
    assert rest[-1]["address"] == "10.0.0.1"
    assert page[0]["detail"] == ""
    assert page[0]["address"] is None
    with pytest.raises(BadInput):
        audit.entries(limit=0)


def test_the_front_door_builds_accounts_and_audit_and_drops_them_on_close() -> None:
    desk = memory_desk(session_seconds=60)

    assert Admin(desk).accounts.session_seconds == 60
    assert Admin(desk).audit.store is desk.store
    desk.close()
    assert "accounts" not in desk.__dict__
    assert "audit" not in desk.__dict__


def test_session_seconds_is_a_setting_of_eight_hours_by_default() -> None:
    assert Settings().session_seconds == 8 * HOURS
    assert Settings.from_env({"TASKDESK_SESSION_SECONDS": "60"}).session_seconds == 60
    with pytest.raises(ConfigError, match="TASKDESK_SESSION_SECONDS must be greater than 0"):
        Settings.from_env({"TASKDESK_SESSION_SECONDS": "0"})


def test_a_token_id_no_column_could_hold_is_unknown(accounts: Accounts) -> None:
    for token_id in (0, -1, 2**63, 10**30):
        with pytest.raises(UnknownToken):
            accounts.revoke_token(token_id)
