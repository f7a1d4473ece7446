"""Fan-in exactly once under concurrency: the two parents of a task end at the same moment on
two runners (two stores, two connections each: two PostgreSQL sessions at READ COMMITTED, or
two SQLite connections), and the child is released exactly once — never left waiting, and its
count of parents left ends at 0, not below. On PostgreSQL the child's workflow_task row
serialises the two finishes (UPDATE … RETURNING re-reads the row the other committed); a check
that "no unfinished parent exists" would let both miss each other."""

from __future__ import annotations

import threading

import pytest

from taskdesk.models.tasks import Status, Task
from taskdesk.models.workflows import NewNode
from taskdesk.store import Store, open_store
from tests.store.test_store import LEASE, new, outcome

ROUNDS = 25


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def test_two_parents_ending_at_once_release_their_child_once(database_url: str) -> None:
    one = open_store(database_url)
    # The two runners read one clock: each store measures the server's on its own, and a
    # child released "now" by one whose measure is a little ahead is not yet due for the
    # other for that long (test_store_clock.py: measured to a fraction of a round trip).
    two = open_store(database_url, clock=one.clock)
    try:
        for round_ in range(ROUNDS):
            _, tasks = one.workflows.add(f"fan-in {round_}", [
                NewNode(task=new("b")), NewNode(task=new("c")),
                NewNode(task=new("d"), parents=(0, 1))])
            [b] = one.claim("w1", lease_seconds=LEASE)
            [c] = two.claim("w2", lease_seconds=LEASE)
            start = threading.Barrier(2)
            threads = [threading.Thread(target=_end, args=(start, one, b, "w1")),
                       threading.Thread(target=_end, args=(start, two, c, "w2"))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            [d] = one.claim("w1", lease_seconds=LEASE, limit=10)
            assert d.task_id == tasks[2].task_id, f"round {round_}"
            info = one.workflows.get(round_ + 1)
            assert info is not None
            assert info.nodes[2].parents_left == 0
            assert one.finish(d, "w1", outcome(), retention_seconds=0)
            assert one.claim("w1", lease_seconds=LEASE) == []
            assert one.get(d.task_id) is None
            assert info.nodes[2].status == Status.PROCESSING
    finally:
        one.close()
        two.close()


def _end(start: threading.Barrier, store: Store, task: Task, worker: str) -> None:
    start.wait()
    store.finish(task, worker, outcome(), retention_seconds=0)
