"""Issue 7, item 4: poison outcomes. Whatever a handler returns or raises — a lone surrogate,
a NUL, an exploding str()/repr(), a value nested 100,000 deep, a 10 MB response — the attempt
ends with a stored outcome that says what happened, and the runner goes on to the next task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskdesk.config import Settings
from taskdesk.errors import StoreError
from taskdesk.models.runners import Finished
from taskdesk.models.tasks import NewTask, Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore, Store
from tests.runner.test_runner import make_runner, run_worker_until
from tests.support import FakeClock

pytestmark = pytest.mark.hostile

HANDLERS = "tests.runner.hostile_handlers"
MAX_TEXT_BYTES = 64 * 1024  # the cap on a stored response, traceback or comment

#: handler → (final status, a piece of the stored response)
POISON = {
    "lone_surrogate": (Status.COMPLETE, "half a pair: \\udc80 and \\ud800 end"),
    "nul": (Status.COMPLETE, "before\\x00after"),
    "raise_surrogate": (Status.FAILED, "RuntimeError: half a pair: \\ud800"),
    "raise_nul": (Status.FAILED, "RuntimeError: before\\x00after"),
    "raise_unprintable": (Status.FAILED, "<UnprintableError whose str() raised RuntimeError>"),
    "unprintable": (Status.COMPLETE, "<Unprintable whose str() raised RuntimeError>"),
    "unprintable_in_list": (Status.COMPLETE, "[1, \"<Unprintable whose str() raised"),
    "deep": (Status.COMPLETE, "<list whose repr() raised RecursionError>"),
    "huge": (Status.COMPLETE, "characters …]"),
    "huge_error": (Status.FAILED, "RuntimeError: yyyy"),
}


def assert_storable(text: str) -> None:
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogate
    assert len(text.encode("utf-8")) <= MAX_TEXT_BYTES


@pytest.mark.parametrize("name", sorted(POISON))
def test_a_poison_outcome_is_stored_and_the_next_task_runs(
    name: str, store: Store, settings: Settings
) -> None:
    registry = TaskRegistry(store, settings)
    poison = registry.add("poison", f"{HANDLERS}:{name}", max_attempts=1)
    after = registry.add("after", "tests.support.handlers:noop")

    stats = make_runner(store, settings).drain()

    status, piece = POISON[name]
    stored = registry.get(poison.task_id)
    assert stored.status is status
    assert stored.response is not None
    assert piece in stored.response
    assert_storable(stored.response)
    [entry] = registry.log(task_id=poison.task_id)
    assert piece in entry.comment
    assert_storable(entry.comment)
    assert registry.get(after.task_id).status is Status.COMPLETE
    assert stats.total == 2


def test_a_10_mb_response_is_cut_to_64_kib_with_a_note(store: Store, settings: Settings) -> None:
    registry = TaskRegistry(store, settings)
    task = registry.add("huge", f"{HANDLERS}:huge")

    make_runner(store, settings).drain()

    response = registry.get(task.task_id).response
    assert response is not None
    assert response.startswith("xxxx")
    assert response.endswith("xxxx")
    assert "[… cut to 65,536 bytes: the text had 10,485,760 characters …]" in response
    assert 60_000 < len(response.encode()) <= MAX_TEXT_BYTES


def test_a_huge_error_keeps_its_traceback(store: Store, settings: Settings) -> None:
    registry = TaskRegistry(store, settings)
    task = registry.add("huge_error", f"{HANDLERS}:huge_error", max_attempts=1)

    make_runner(store, settings).drain()

    response = registry.get(task.task_id).response
    assert response is not None
    assert "Traceback (most recent call last)" in response
    assert "in huge_error" in response


@pytest.mark.parametrize("name", ["raise_unprintable", "unprintable", "deep"])
def test_a_worker_does_not_keep_a_poison_task_processing(
    name: str, store: Store, settings: Settings
) -> None:
    """The worker's heartbeat used to renew the lease of a task whose outcome raised."""
    registry = TaskRegistry(store, settings)
    task = registry.add("poison", f"{HANDLERS}:{name}", max_attempts=1)
    runner = make_runner(store, settings.evolve(poll_seconds=0.01))

    def attempted() -> bool:  # one read: two could see the task before and after its claim
        now = registry.get(task.task_id)
        return now.status is not Status.PROCESSING and now.attempts == 1

    run_worker_until(runner, attempted)

    assert registry.get(task.task_id).status in (Status.COMPLETE, Status.FAILED)


class RefusingFinish:
    """A MemoryStore that refuses to store the complete outcome of the task "refused" (alone
    or in a batch), as a database refuses a value; the short failure it stores instead."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def finish_many(self, worker_id: str, finished: Sequence[Finished],
                    **kwargs: Any) -> tuple[list[bool], list[Task]]:
        if any(task.code == "refused" and outcome.status is Status.COMPLETE
               for task, outcome in finished):
            raise StoreError("the database refused the operation: value too long")
        return self._store.finish_many(worker_id, finished, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._store, attribute)


def test_an_outcome_the_database_refuses_is_stored_as_a_short_failure(
    settings: Settings,
) -> None:
    memory = MemoryStore(clock=FakeClock())
    registry = TaskRegistry(memory, settings)
    registry.add_many([NewTask(code="refused", action="tests.support.handlers:noop"),
                       NewTask(code="after", action="tests.support.handlers:noop")])

    stats = make_runner(cast(Store, RefusingFinish(memory)), settings).drain()

    tasks = {t.code: t for t in registry.list_tasks()}
    assert tasks["refused"].status is Status.FAILED
    assert tasks["refused"].response == (
        "the outcome (complete) could not be stored: StoreError: the database refused the "
        "operation: value too long")
    assert tasks["after"].status is Status.COMPLETE
    assert stats.by_status == {Status.FAILED: 1, Status.COMPLETE: 1}


#: Characters of any category, lone surrogates and NUL included, and the awkward ones often.
ANY_CHARACTER = st.one_of(st.characters(exclude_categories=()),
                          st.sampled_from(["\x00", "\ud800", "\udc80", "é", "😀"]))


@given(text=st.text(ANY_CHARACTER, max_size=400),
       limit=st.integers(min_value=160, max_value=300))
def test_storable_text_is_always_utf8_without_nul_and_within_the_limit(
    text: str, limit: int
) -> None:
    from taskdesk.text import storable

    stored = storable(text, limit)

    assert "\x00" not in stored
    assert len(stored.encode("utf-8")) <= limit
    if len(text.encode("utf-8", "backslashreplace")) <= limit and "\x00" not in text:
        assert stored == text.encode("utf-8", "backslashreplace").decode("utf-8")


class FakeName(str):
    """A str subclass whose own str() lies."""

    def __str__(self) -> str:
        raise RuntimeError("no")


def test_a_str_subclass_is_kept_as_its_characters() -> None:
    from taskdesk.text import json_text

    assert json_text(FakeName("plain")) == "plain"
    assert type(json_text(FakeName("plain"))) is str
