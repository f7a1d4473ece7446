"""`task why` of a workflow task: it names the parents it still waits for (never the
placeholder run_at it waits with), then, once they have ended, what holds it next."""

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


def test_a_workflow_task_waits_for_the_parents_that_have_not_ended(desk: Taskdesk) -> None:
    @desk.task(name="why.step")
    def step(n: int) -> int:
        return n

    wf = desk.workflow("nightly")
    a = wf.add(step, 1)
    b, c = wf.add(step, 2, after=[a]), wf.add(step, 3, after=[a])
    d = wf.add(step, 4, after=[b, c])
    wf.enqueue()
    admin = Admin(desk)

    waiting = admin.why(d.task_id or 0)
    assert waiting["reason"] == "workflow_parents"
    assert waiting["text"] == (f"it waits for its workflow parents: {b.task_id} (pending), "
                               f"{c.task_id} (pending)")
    assert waiting["hint"] == "taskdesk workflow show 1"
    assert "9000" not in str(waiting)

    desk.runner().drain()

    assert admin.why(d.task_id or 0)["reason"] == "complete"


def test_a_retry_leaves_a_task_waiting_for_its_parents_waiting(desk: Taskdesk) -> None:
    ran: list[int] = []

    @desk.task(name="why.order")
    def order(n: int) -> int:
        ran.append(n)
        return n

    wf = desk.workflow("ordered")
    a = wf.add(order, 1)
    b = wf.add(order, 2, after=[a])
    wf.enqueue()

    assert desk.tasks.retry([b.task_id or 0]) == 1
    assert desk.tasks.retry_matching(status="pending") == 2
    assert Admin(desk).why(b.task_id or 0)["reason"] == "workflow_parents"
    desk.runner().drain()

    assert ran == [1, 2]  # b after a, once
