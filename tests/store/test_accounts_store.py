"""The AccountStore contract (`store.accounts`): every backend (memory, SQLite, PostgreSQL)
passes each test here, over a FakeClock that moves only when a test advances it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskdesk.errors import LastAdmin, UserExists
from taskdesk.models.accounts import LoginRecord, NewAuditEntry, NewSession
from taskdesk.models.roles import ROLES
from taskdesk.store import Store
from taskdesk.store.sql import schema
from tests.support import FakeClock

HOUR = 3600.0
MINUTE = timedelta(minutes=1)


def new_session(clock: FakeClock, digest: str = "a" * 64, seconds: float = HOUR) -> NewSession:
    return NewSession(session_hash=digest, csrf_token="c" * 43,
                      expires_at=clock.now + timedelta(seconds=seconds), address="10.0.0.1")


def entry(action: str = "tasks.retry", target: str = "task 12") -> NewAuditEntry:
    return NewAuditEntry(actor="ann", action=action, target=target, detail=None, address=None)


def test_the_schema_allows_the_roles_the_service_knows() -> None:
    assert schema.ROLES == ROLES


def test_add_user_stores_it_and_refuses_a_taken_name(store: Store, clock: FakeClock) -> None:
    added = store.accounts.add_user("ann", "hash-1", "admin")

    assert (added.name, added.password_hash, added.role) == ("ann", "hash-1", "admin")
    assert added.date_added == added.date_modified == clock.now
    assert store.accounts.user("ann") == added
    with pytest.raises(UserExists, match="ann"):
        store.accounts.add_user("ann", "hash-2", "viewer")
    assert store.accounts.users() == [added]


def test_users_are_listed_by_name_and_unknown_ones_are_none(store: Store) -> None:
    for name in ("zed", "ann", "bob"):
        store.accounts.add_user(name, "h", "viewer")

    assert [user.name for user in store.accounts.users()] == ["ann", "bob", "zed"]
    assert store.accounts.user("nobody") is None
    assert store.accounts.set_role("nobody", "admin") is None
    assert store.accounts.set_password_hash("nobody", "h") is False
    assert store.accounts.delete_user("nobody") is False


def test_the_last_admin_can_be_neither_deleted_nor_demoted(store: Store) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "h", "viewer")

    with pytest.raises(LastAdmin):
        store.accounts.delete_user("ann")
    with pytest.raises(LastAdmin):
        store.accounts.set_role("ann", "operator")
    assert store.accounts.set_role("ann", "admin") is not None  # staying admin is fine
    assert store.accounts.delete_user("bob") is True

    store.accounts.add_user("cat", "h", "admin")
    assert store.accounts.delete_user("ann") is True
    assert [user.name for user in store.accounts.users()] == ["cat"]


def test_set_role_and_password_change_the_user(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "old", "viewer")
    clock.advance(5)

    changed = store.accounts.set_role("bob", "operator")
    assert changed is not None
    assert (changed.role, changed.date_modified) == ("operator", clock.now)
    assert store.accounts.set_password_hash("bob", "new") is True
    bob = store.accounts.user("bob")
    assert bob is not None
    assert bob.password_hash == "new"


def test_a_new_password_ends_the_users_sessions_only(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "h", "viewer")
    store.accounts.add_session("ann", new_session(clock, "a" * 64))
    store.accounts.add_session("bob", new_session(clock, "b" * 64))

    store.accounts.set_password_hash("bob", "new")

    assert store.accounts.session("b" * 64) is None
    assert store.accounts.session("a" * 64) is not None


def test_tokens_find_their_user_until_revoked(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    token = store.accounts.add_token("ann", "deploy", "f" * 64)
    assert token is not None
    assert (token.user, token.label, token.last_used_at, token.revoked_at) == (
        "ann", "deploy", None, None)
    assert (token.expires_at, token.read_only) == (None, False)
    clock.advance(10)

    used = store.accounts.live_token("f" * 64)

    assert used is not None
    assert used.user.name == "ann"
    assert used.token == token
    store.accounts.touch_token(token.token_id, older_than=MINUTE)
    [listed] = store.accounts.tokens("ann")
    assert listed.last_used_at == clock.now
    assert store.accounts.live_token("0" * 64) is None
    revoked = store.accounts.revoke_token(token.token_id)
    assert revoked is not None
    assert revoked.revoked_at == clock.now
    assert store.accounts.live_token("f" * 64) is None
    clock.advance(10)
    again = store.accounts.revoke_token(token.token_id)
    assert again is not None
    assert again.revoked_at == revoked.revoked_at  # the first revocation stands
    assert store.accounts.revoke_token(999) is None


def test_a_tokens_use_is_written_at_most_once_a_minute(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    token = store.accounts.add_token("ann", "", "f" * 64)
    assert token is not None
    store.accounts.touch_token(token.token_id, older_than=MINUTE)
    first = clock.now
    clock.advance(59)
    store.accounts.touch_token(token.token_id, older_than=MINUTE)
    assert store.accounts.tokens()[0].last_used_at == first
    clock.advance(1)
    store.accounts.touch_token(token.token_id, older_than=MINUTE)
    assert store.accounts.tokens()[0].last_used_at == clock.now


def test_a_token_expires_and_may_be_read_only(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    expires = clock.now + timedelta(seconds=HOUR)
    token = store.accounts.add_token("ann", "ci", "e" * 64, expires_at=expires, read_only=True)
    assert token is not None
    assert (token.expires_at, token.read_only) == (expires, True)
    used = store.accounts.live_token("e" * 64)
    assert used is not None
    assert used.token.read_only is True
    clock.advance(HOUR)
    assert store.accounts.live_token("e" * 64) is None
    assert store.accounts.tokens() == [token]  # listed still, expired


def test_tokens_list_by_user_or_all_and_unknown_users_get_none(store: Store) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "h", "viewer")
    first = store.accounts.add_token("ann", "", "1" * 64)
    second = store.accounts.add_token("bob", "ci", "2" * 64)
    assert first is not None
    assert second is not None

    assert store.accounts.tokens() == [first, second]
    assert store.accounts.tokens("bob") == [second]
    assert store.accounts.tokens("nobody") == []
    assert store.accounts.add_token("nobody", "", "3" * 64) is None


def test_deleting_a_user_deletes_its_tokens_and_sessions(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "h", "viewer")
    store.accounts.add_token("bob", "", "1" * 64)
    store.accounts.add_session("bob", new_session(clock))

    assert store.accounts.delete_user("bob") is True

    assert store.accounts.tokens() == []
    assert store.accounts.live_token("1" * 64) is None
    assert store.accounts.session("a" * 64) is None


def test_sessions_expire_and_prune(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    added = store.accounts.add_session("ann", new_session(clock, "a" * 64, seconds=HOUR))
    store.accounts.add_session("ann", new_session(clock, "b" * 64, seconds=3 * HOUR))
    assert added is not None
    assert (added.user.name, added.address, added.csrf_token) == ("ann", "10.0.0.1", "c" * 43)
    assert store.accounts.session("a" * 64) == added

    clock.advance(HOUR)  # expires_at is the first moment it is no longer valid

    assert store.accounts.session("a" * 64) is None
    assert store.accounts.session("b" * 64) is not None
    assert store.accounts.prune_sessions() == 1
    assert store.accounts.prune_sessions() == 0
    assert store.accounts.end_session("b" * 64) is True
    assert store.accounts.end_session("b" * 64) is False
    assert store.accounts.session("b" * 64) is None
    assert store.accounts.add_session("nobody", new_session(clock)) is None


def test_a_session_shows_its_users_current_role(store: Store, clock: FakeClock) -> None:
    store.accounts.add_user("ann", "h", "admin")
    store.accounts.add_user("bob", "h", "viewer")
    store.accounts.add_session("bob", new_session(clock))

    store.accounts.set_role("bob", "operator")

    found = store.accounts.session("a" * 64)
    assert found is not None
    assert found.user.role == "operator"


def test_audit_is_newest_first_with_a_keyset_cursor(store: Store, clock: FakeClock) -> None:
    recorded = []
    for n in range(5):
        recorded.append(store.accounts.record(entry(target=f"task {n}")))
        clock.advance(1)
    assert recorded[0].date_added < recorded[-1].date_added
    assert (recorded[0].actor, recorded[0].action, recorded[0].detail) == (
        "ann", "tasks.retry", None)

    first = store.accounts.audit(limit=2)
    second = store.accounts.audit(cursor=first[-1].audit_id, limit=2)
    last = store.accounts.audit(cursor=second[-1].audit_id, limit=2)

    assert [e.target for e in first + second + last] == [f"task {n}" for n in (4, 3, 2, 1, 0)]
    assert store.accounts.audit(cursor=recorded[0].audit_id) == []


def test_a_failed_atomic_block_leaves_no_account_change(store: Store) -> None:
    store.accounts.add_user("ann", "h", "admin")

    def change_then_fail() -> None:
        with store.atomic() as inside:
            inside.accounts.add_user("bob", "h", "viewer")
            inside.accounts.record(entry())
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert [user.name for user in store.accounts.users()] == ["ann"]
    assert store.accounts.audit() == []


def test_failed_logins_are_changed_together_and_forgotten(store: Store, clock: FakeClock) -> None:
    seen: list[dict[str, LoginRecord | None]] = []

    def charge(records: dict[str, LoginRecord | None]) -> dict[str, LoginRecord]:
        seen.append(dict(records))
        return {key: LoginRecord(failures=(record.failures if record else 0) + 1,
                                 blocked_until=clock.now, last_failure_at=clock.now)
                for key, record in records.items()}

    store.accounts.change_logins(("a" * 64, "b" * 64), charge)
    clock.advance(HOUR)
    store.accounts.change_logins(("b" * 64, "c" * 64), charge)
    assert seen[0] == {"a" * 64: None, "b" * 64: None}
    assert seen[1]["c" * 64] is None
    assert seen[1]["b" * 64] == LoginRecord(failures=1, blocked_until=clock.now - timedelta(
        seconds=HOUR), last_failure_at=clock.now - timedelta(seconds=HOUR))
    store.accounts.change_logins(("a" * 64,), lambda records: {})  # changes nothing
    assert store.accounts.forget_logins(("c" * 64,), failed_before=clock.now) == 2  # c; a
    store.accounts.change_logins(("a" * 64, "b" * 64), charge)
    assert seen[-1]["a" * 64] is None
    assert seen[-1]["b" * 64] is not None
    assert seen[-1]["b" * 64].failures == 2
