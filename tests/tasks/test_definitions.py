"""@desk.task: names, enqueue-time argument binding, using(), direct calls, and the runner
running registered tasks — on a memory store (taskdesk.testing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from taskdesk import Controller, Status, TaskDefinition, Taskdesk
from taskdesk.errors import BadArgs, BadInput
from taskdesk.testing import memory_desk, run_due
from tests.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> Taskdesk:
    return memory_desk(clock=clock, home=tmp_path)


def test_the_decorator_registers_under_module_and_qualname(desk: Taskdesk) -> None:
    @desk.task(name="greet")
    def greet(name: str) -> str:
        return f"hello {name}"

    assert isinstance(greet, TaskDefinition)
    assert greet.name == "greet"
    assert "greet" in desk.handlers
    assert greet("you") == "hello you"  # a plain call runs it here and now
    assert greet.call("me") == "hello me"


def test_a_module_level_function_is_named_module_colon_qualname() -> None:
    from tests.apps import shop

    assert shop.flaky.name == "tests.apps.shop:flaky"
    assert shop.report.name == "tests.apps.shop:Report"
    assert sorted(shop.desk.handlers.names()) == [
        "shop.welcome", "tests.apps.shop:Report", "tests.apps.shop:flaky"]


def test_enqueue_binds_the_arguments_and_adds_a_pending_task(desk: Taskdesk) -> None:
    @desk.task(name="welcome", priority=3, max_attempts=5)
    def welcome(user_id: int, loud: bool = False, **extra: str) -> None: ...

    task = welcome.enqueue(42, extra_field="x")

    assert task.action == "welcome"
    assert task.code == "welcome"
    assert task.args == {"user_id": 42, "extra_field": "x"}
    assert (task.status, task.priority, task.max_attempts) == (Status.PENDING, 3, 5)


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing a required argument: 'user_id'"),
    ((1,), {"nope": 2}, "unexpected keyword argument 'nope'"),
    ((1, 2), {}, "too many positional arguments"),
    ((), {"user_id": object()}, "not JSON-serialisable"),
    ((), {"user_id": float("nan")}, "not JSON-serialisable"),
])
def test_bad_arguments_are_refused_at_enqueue_and_add_nothing(
    desk: Taskdesk, args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    @desk.task(name="welcome")
    def welcome(user_id: int) -> None: ...

    with pytest.raises(BadArgs, match=message):
        welcome.enqueue(*args, **kwargs)  # type: ignore[arg-type]
    assert desk.tasks.count() == 0


def test_without_a_code_tasks_pile_up_and_with_one_they_replace(desk: Taskdesk) -> None:
    @desk.task(name="sync")
    def sync(n: int) -> None: ...

    sync.enqueue(n=1)
    sync.enqueue(n=2)
    assert desk.tasks.count(code="sync") == 2

    sync.using(code="sync-42").enqueue(n=3)
    sync.using(code="sync-42").enqueue(n=4)
    [kept] = desk.tasks.list_tasks(code="sync-42")
    assert kept.args == {"n": 4}

    sync.using(code="sync-42", replace=False).enqueue(n=5)
    assert desk.tasks.count(code="sync-42") == 2


def test_using_returns_a_copy_with_django_named_options(
    desk: Taskdesk, clock: FakeClock
) -> None:
    @desk.task(name="later")
    def later() -> None: ...

    when = datetime(2030, 1, 1, tzinfo=UTC)
    urgent = later.using(priority=10, run_after=when, queue_name="default")

    assert urgent.enqueue().run_at == when
    assert urgent.enqueue().priority == 10
    assert later.enqueue().priority == 0  # the original is unchanged
    assert later.using(run_after=timedelta(minutes=5)).enqueue().run_at == \
        clock() + timedelta(minutes=5)
    assert later.using(run_after="2031-02-03T04:05:06Z").enqueue().run_at == \
        datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert later.using(queue_name="emails").enqueue().queue == "emails"
    with pytest.raises(BadInput, match="queue name"):
        later.using(queue_name="no spaces")
    with pytest.raises(BadInput, match="run_at"):
        later.using(run_after="next tuesday").enqueue()


@pytest.mark.parametrize("bad", [
    lambda desk: desk.task(lambda x, /: x),
    lambda desk: desk.task(lambda *xs: xs),
    lambda desk: desk.task(name="task/catalog/x.y")(lambda: None),
    lambda desk: desk.task(name="a" * 129)(lambda: None),
    lambda desk: desk.task(name="bad name")(lambda: None),
    lambda desk: desk.task(name="ok", retry_delay=-1)(lambda: None),
    lambda desk: desk.task(lambda: None),  # defined in a function, without a name
])
def test_definitions_that_cannot_work_are_refused_when_decorated(
    desk: Taskdesk, bad: object
) -> None:
    with pytest.raises(BadInput):
        bad(desk)  # type: ignore[operator]
    assert desk.handlers.names() == []


def test_a_name_cannot_be_taken_twice_by_different_functions(desk: Taskdesk) -> None:
    @desk.task(name="once")
    def first() -> None: ...

    with pytest.raises(BadInput, match="already registered as 'once'"):
        @desk.task(name="once")
        def second() -> None: ...

    assert desk.handlers.get("once") is first
    assert desk.handlers.unregister("once")
    assert "once" not in desk.handlers


def test_run_due_runs_registered_tasks_and_the_tasks_they_add(desk: Taskdesk) -> None:
    done: list[int] = []

    @desk.task(name="leaf")
    def leaf(n: int) -> None:
        done.append(n)

    @desk.task(name="fan_out")
    def fan_out(pages: int) -> str:
        for page in range(pages):
            leaf.enqueue(n=page)
        return f"{pages} pages"

    fan_out.enqueue(pages=3)
    stats = run_due(desk)

    assert sorted(done) == [0, 1, 2]
    assert stats.by_status == {Status.COMPLETE: 4}


def test_a_controller_subclass_is_a_task_with_self_log(desk: Taskdesk, tmp_path: Path) -> None:
    class Reporter(Controller):
        def index(self, month: str) -> str:
            self.log.write(f"report for {month}")
            return f"reported {month}"

    Report = desk.task(name="report")(Reporter)  # as mypy users write it: see Taskdesk.task
    Report.enqueue(month="May")
    run_due(desk)

    [task] = desk.tasks.list_tasks()
    assert (task.status, task.response) == (Status.COMPLETE, "reported May")
    assert "report for May" in (tmp_path / "logs" / "error.log").read_text()
    assert Report(month="June") == "reported June"  # called directly, with the desk's context
    with pytest.raises(BadArgs, match="month"):
        Report.enqueue()


def test_a_definitions_retry_delay_times_its_retries(desk: Taskdesk, clock: FakeClock) -> None:
    @desk.task(name="flaky", retry_delay=120, max_attempts=2)
    def flaky() -> None:
        raise RuntimeError("not yet")

    flaky.enqueue()
    stats = run_due(desk)

    [task] = desk.tasks.list_tasks()
    assert stats.by_status == {Status.PENDING: 1}
    assert task.run_at == clock() + timedelta(seconds=120)
    clock.advance(120)
    run_due(desk)
    assert desk.tasks.get(task.task_id).status is Status.FAILED


def test_enqueue_many_binds_each_call_and_adds_them_in_one_go(desk: Taskdesk) -> None:
    @desk.task(name="bulk")
    def bulk(n: int, **extra: object) -> None: ...

    added = bulk.enqueue_many([{"n": 1}, {"n": 2, "note": "x"}])

    assert [t.args for t in added] == [{"n": 1}, {"n": 2, "note": "x"}]
    assert desk.tasks.list_tasks() == added
    with pytest.raises(BadArgs, match="call 1"):
        bulk.enqueue_many([{"n": 3}, {"n": object()}])
    assert desk.tasks.count() == 2
