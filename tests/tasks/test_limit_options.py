"""@desk.task's limits by key: checked when the function is decorated (one BadLimit, nothing
registered, nothing added), and stored on each task it adds, whoever adds it (the
definition's enqueue, or the registry given its action, as `task add` and schedules do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskdesk import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import BadLimit
from taskdesk.models.limits import TaskLimit, parse_rate
from taskdesk.store.memory import MemoryStore


def desk_in_memory() -> Taskdesk:
    return Taskdesk(Settings(), store=MemoryStore())


@pytest.mark.parametrize("bad", ["3/x", "0/s", "-1/m", "abc", "", "5", "1/sec", 5])
def test_a_rate_that_does_not_parse_is_refused(bad: object) -> None:
    desk = desk_in_memory()
    with pytest.raises(BadLimit, match="does not parse"):
        desk.task(name="t.rated", rate_limit=bad)(lambda: None)  # type: ignore[call-overload]
    assert desk.handlers.names() == []
    assert desk.tasks.count() == 0
    with pytest.raises(BadLimit, match="does not parse"):
        parse_rate(bad)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2", 10**7])
def test_a_concurrency_limit_below_one_or_not_whole_is_refused(bad: object) -> None:
    desk = desk_in_memory()
    with pytest.raises(BadLimit, match="concurrency_limit must be a whole number from 1"):
        desk.task(name="t.c", concurrency_limit=bad)(  # type: ignore[call-overload]
            lambda: None)
    assert desk.handlers.names() == []


def test_a_limit_key_naming_no_parameter_is_refused() -> None:
    desk = desk_in_memory()

    def send(customer_id: int, body: str) -> None: ...

    with pytest.raises(BadLimit, match=r"limit_key 'customer' names no parameter of the task "
                                       r"\(its parameters: customer_id, body\)"):
        desk.task(name="t.send", concurrency_limit=1, limit_key="customer")(send)
    with pytest.raises(BadLimit, match="limit_key 'customer_id' needs concurrency_limit"):
        desk.task(name="t.send", limit_key="customer_id")(send)
    assert desk.handlers.names() == []
    assert desk.tasks.count() == 0


def test_rates_parse_in_every_unit() -> None:
    assert [str(parse_rate(text)) for text in ("10/s", " 3 / m ", "1/h")] == [
        "10/s", "3/m", "1/h"]
    assert parse_rate("2/m").seconds == 60


def test_each_task_carries_its_key_and_limits() -> None:
    desk = desk_in_memory()

    @desk.task(name="t.send", concurrency_limit=2, rate_limit="10/m", limit_key="customer")
    def send(customer: Any, body: str = "") -> None: ...

    added = send.enqueue(customer=42, body="hi")
    assert added.limit == TaskLimit(key="t.send[customer=42]", concurrency=2, rate="10/m")
    assert send.using(priority=3).enqueue(customer="ann").limit == TaskLimit(
        key='t.send[customer="ann"]', concurrency=2, rate="10/m")
    by_action = desk.tasks.add("by-hand", "t.send", {"customer": 42})  # CLI, schedules
    assert by_action.limit == added.limit
    assert desk.tasks.get(added.task_id).limit == added.limit
    long = send.enqueue(customer="x" * 500).limit
    assert long is not None
    assert len(long.key) == 255  # a digest keeps long keys apart


def test_without_limit_key_the_limit_is_per_definition(tmp_path: Path) -> None:
    desk = Taskdesk(home=tmp_path)
    desk.init()

    @desk.task(name="t.export", concurrency_limit=2)
    def export(customer: int) -> None: ...

    @desk.task(name="t.other", concurrency_limit=2)
    def other(customer: int) -> None: ...

    for n in range(4):
        export.enqueue(customer=n)
        other.enqueue(customer=n)
    claimed = desk.store.claim("w1", lease_seconds=30, limit=10)
    assert sorted((t.action, t.args["customer"]) for t in claimed) == [
        ("t.export", 0), ("t.export", 1), ("t.other", 0), ("t.other", 1)]
    assert {t.limit.key for t in claimed if t.limit} == {"t.export", "t.other"}
    desk.close()
