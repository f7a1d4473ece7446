"""The start claim of Run Tasks (Store.claim_start / release_start) on every backend."""

from __future__ import annotations

from taskdesk.store import Store
from tests.support import FakeClock


def test_one_holder_at_a_time_until_it_expires(store: Store, clock: FakeClock) -> None:
    assert store.claim_start("run_tasks", "a", seconds=30)
    assert not store.claim_start("run_tasks", "b", seconds=30)
    assert not store.claim_start("run_tasks", "a", seconds=30)  # not even its own, again

    clock.advance(31)

    assert store.claim_start("run_tasks", "b", seconds=30)
    assert not store.claim_start("run_tasks", "a", seconds=30)


def test_only_the_holder_gives_it_back(store: Store) -> None:
    assert store.claim_start("run_tasks", "a", seconds=30)

    store.release_start("run_tasks", "b")
    assert not store.claim_start("run_tasks", "c", seconds=30)

    store.release_start("run_tasks", "a")
    assert store.claim_start("run_tasks", "c", seconds=30)


def test_claims_of_other_names_are_apart(store: Store) -> None:
    assert store.claim_start("run_tasks", "a", seconds=30)
    assert store.claim_start("other", "b", seconds=30)
