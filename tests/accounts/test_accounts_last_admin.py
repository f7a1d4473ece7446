"""Two admins demoted or deleted at the same moment: one change wins, the other is refused,
and an admin is left, on every backend (PostgreSQL locks the admins' rows; SQLite's writer
and the memory store's lock take turns)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from taskdesk.errors import LastAdmin
from taskdesk.store import Store

pytestmark = pytest.mark.hostile

ROUNDS = 5


def race(first: Callable[[], object], second: Callable[[], object]) -> list[str]:
    """Run both at once; what each did: "ok" or "refused"."""
    start = threading.Barrier(2)

    def attempt(change: Callable[[], object]) -> str:
        start.wait()
        try:
            change()
        except LastAdmin:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(2) as pool:
        return sorted(pool.map(attempt, (first, second)))


@pytest.mark.parametrize("how", ["demote", "delete"])
def test_two_concurrent_changes_never_leave_no_admin(store: Store, how: str) -> None:
    accounts = store.accounts
    for round_ in range(ROUNDS):
        ann, bob = f"ann{round_}", f"bob{round_}"
        accounts.add_user(ann, "h", "admin")
        accounts.add_user(bob, "h", "admin")
        for other in accounts.users():
            if other.name not in (ann, bob) and other.role == "admin":
                accounts.set_role(other.name, "viewer")

        if how == "demote":
            outcome = race(lambda: accounts.set_role(ann, "viewer"),  # noqa: B023
                           lambda: accounts.set_role(bob, "viewer"))  # noqa: B023
        else:
            outcome = race(lambda: accounts.delete_user(ann),  # noqa: B023
                           lambda: accounts.delete_user(bob))  # noqa: B023

        assert outcome == ["ok", "refused"]
        assert [user.role for user in accounts.users()].count("admin") == 1
