"""`task why` of a task held by its key's limit: the key, how many hold a slot, and what
frees one (a running task's end, or the rate's next start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.admin import Admin
from tests.support.desks import desk_on


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    with desk_on(backend, tmp_path / "home", request) as made:
        yield made


def test_a_task_over_its_keys_limit_says_which_key_holds_it(desk: Taskdesk) -> None:
    @desk.task(name="why.sync", concurrency_limit=1, limit_key="customer")
    def sync(customer: int) -> None:
        """Nothing: only its limit matters here."""

    first, second = sync.enqueue(customer=7), sync.enqueue(customer=7)
    other = sync.enqueue(customer=8)
    claimed = desk.store.claim("w1", lease_seconds=30, limit=10)
    admin = Admin(desk)

    assert sorted(task.task_id for task in claimed) == [first.task_id, other.task_id]
    held = admin.why(second.task_id)
    assert held["reason"] == "limit"
    assert held["facts"]["limit_key"] == "why.sync[customer=7]"
    assert held["facts"]["running"] == 1
    assert held["text"] == ("it is held by the limit of key why.sync[customer=7] (at most 1 "
                            "at once): 1 of its tasks holds a slot; a slot frees when one of "
                            "them ends")
