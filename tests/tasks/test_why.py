"""`Admin.why` (taskdesk.why): the first reason that holds for a task, with real store state on
memory, SQLite and PostgreSQL: its own state (cancelled, complete, running, held by a runner
gone silent, attempts used up, failed, paused), a paused queue, a run_at ahead, the allow-list,
a broken extension, no live runner for its queue, and its place in line. The order: the
first reason wins when several hold."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import TaskNotFound
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.models.why import Reason
from taskdesk.store import Store
from taskdesk.why import CHECKS, Scene, explain
from taskdesk.why.scene import span
from tests.extensions.support import write_extension
from tests.store.test_store import LEASE, add_one
from tests.support import FakeClock

ACTION = "tests.support.handlers:noop"


@pytest.fixture
def admin(settings: Settings, store: Store) -> Admin:
    return Admin(Taskdesk(settings, store=store))


def serve(store: Store, clock: FakeClock, queues: tuple[str, ...] | None = None,
          name: str = "w1") -> RunnerInfo:
    """A live runner that registered now, serving `queues` (None: every queue)."""
    info = RunnerInfo(runner_id=f"host-a:1:{name}", hostname="host-a", pid=1,
                      started_at=clock.now, last_seen_at=clock.now, lease_seconds=LEASE,
                      queues=queues)
    store.register_runner(info)
    return info


def done(status: Status = Status.COMPLETE) -> Outcome:
    return Outcome(status=status, response="ok", comment="", duration=0.01)


def claimed(store: Store, runner: RunnerInfo) -> Task:
    [task] = store.claim(runner.runner_id, lease_seconds=LEASE)
    return task


def test_a_waiting_task_in_an_empty_line_is_next(admin: Admin, store: Store,
                                                 clock: FakeClock) -> None:
    serve(store, clock)
    task = add_one(store, "a", action=ACTION)

    why = admin.why(task.task_id)

    assert (why["reason"], why["waiting"], why["status"]) == ("in_line", True, "pending")
    assert why["facts"]["ahead"] == 0
    assert "next in line" in why["text"]
    assert "no estimate" in why["text"]


def test_its_place_in_line_counts_higher_priority_and_older_tasks_of_its_queue(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    runner = serve(store, clock)
    for n in range(3):  # 3 finished a minute ago: a rate of 0.3 a minute over 10 minutes
        add_one(store, f"old-{n}", action=ACTION)
        store.finish(claimed(store, runner), runner.runner_id, done(), retention_seconds=3600)
    clock.advance(60)
    serve(store, clock, name="w2")  # a runner alive now
    add_one(store, "older", action=ACTION)
    add_one(store, "urgent", action=ACTION, priority=5)
    add_one(store, "other-queue", action=ACTION, queue="mail", priority=9)
    add_one(store, "later", action=ACTION, run_at=clock.now + timedelta(hours=1))
    task = add_one(store, "mine", action=ACTION)
    add_one(store, "newer", action=ACTION)

    why = admin.why(task.task_id)

    assert why["reason"] == "in_line"
    assert why["facts"]["ahead"] == 2  # older and urgent; never the newer, later or other
    assert why["facts"]["per_minute"] == 0.3
    assert why["facts"]["estimate_seconds"] == 600.0  # (2 + 1) / 0.3 a minute
    assert "behind 2 tasks of higher priority or older" in why["text"]
    assert "about 10 min" in why["text"]


def test_no_live_runner_serves_its_queue_and_the_hint_starts_one(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    serve(store, clock, queues=("default",))
    task = add_one(store, "m", action=ACTION, queue="mail")

    why = admin.why(task.task_id)

    assert why["reason"] == "no_runner"
    assert why["facts"] == {"queue": "mail", "live_runners": 1}
    assert why["text"] == "no live runner serves its queue mail"
    assert str(why["hint"]).endswith("taskdesk worker --queue mail")


def test_a_runner_unseen_for_its_lease_serves_nothing(admin: Admin, store: Store,
                                                    clock: FakeClock) -> None:
    serve(store, clock)
    task = add_one(store, "a", action=ACTION)
    clock.advance(LEASE + 1)

    why = admin.why(task.task_id)

    assert (why["reason"], why["facts"]["live_runners"]) == ("no_runner", 0)
    assert str(why["hint"]).startswith("start one: taskdesk worker")
    assert "--queue" not in str(why["hint"])  # the default queue: every worker serves it


def test_a_paused_queue_says_since_when_by_whom_and_how_to_resume(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    task = add_one(store, "m", action=ACTION, queue="mail")  # and no runner: paused comes first
    store.queues.pause("mail", paused_by="ann")

    why = admin.why(task.task_id)

    assert why["reason"] == "paused_queue"
    assert why["facts"] == {"queue": "mail", "paused_at": "2026-01-01T12:00:00Z",
                            "paused_by": "ann"}
    assert why["text"] == "its queue mail is paused (since 2026-01-01T12:00:00Z by ann)"
    assert why["hint"] == "taskdesk queue resume mail"


def test_a_run_at_ahead_says_in_how_long(admin: Admin, store: Store, clock: FakeClock) -> None:
    serve(store, clock)
    task = add_one(store, "a", action=ACTION, run_at=clock.now + timedelta(minutes=5))

    why = admin.why(task.task_id)

    assert why["reason"] == "run_at"
    assert why["facts"] == {"run_at": "2026-01-01T12:05:00Z", "in_seconds": 300.0,
                            "retry": False}
    assert why["text"] == "it is not due yet: it runs at 2026-01-01T12:05:00Z, in 5 min"


def test_a_retry_waiting_for_its_delay_says_so(admin: Admin, store: Store,
                                               clock: FakeClock) -> None:
    runner = serve(store, clock)
    add_one(store, "a", action=ACTION)
    task = claimed(store, runner)
    retry = Outcome(status=Status.PENDING, response="boom", comment="", duration=0.1,
                    retry_at=clock.now + timedelta(seconds=40))
    store.finish(task, runner.runner_id, retry, retention_seconds=3600)

    why = admin.why(task.task_id)

    assert (why["reason"], why["facts"]["retry"]) == ("run_at", True)
    assert why["text"].startswith("it waits to be retried after attempt 1 of 3: ")


def test_the_allow_list_refusal_is_the_runners_message(admin: Admin, store: Store,
                                                       clock: FakeClock) -> None:
    serve(store, clock)
    task = add_one(store, "a", action="os:system")

    why = admin.why(task.task_id)

    assert why["reason"] == "action_refused"
    assert "its module os is not under TASKDESK_ALLOWED_ACTIONS" in why["text"]
    assert why["facts"]["action"] == "os:system"


def test_a_broken_extension_shows_the_error_it_would_fail_with(
    admin: Admin, store: Store, clock: FakeClock, settings: Settings,
) -> None:
    serve(store, clock)
    write_extension(settings.extensions_dir / "shop", "shop", {
        "catalog/controller/task.py": "def broken(:\n    pass\n"})
    store.mark_installed("shop", "module", "shop")
    task = add_one(store, "a", action="task/catalog/shop.task")

    why = admin.why(task.task_id)

    assert why["reason"] == "extension_broken"
    assert why["facts"]["extension"] == "shop"
    assert str(why["facts"]["error"]).startswith(
        "catalog/controller/task.py does not compile: SyntaxError: invalid syntax")
    assert why["text"].startswith("its extension shop cannot be used: catalog/controller/")


def test_an_extension_without_the_controller_is_broken(admin: Admin, store: Store,
                                                       clock: FakeClock,
                                                       settings: Settings) -> None:
    serve(store, clock)
    write_extension(settings.extensions_dir / "shop", "shop", {})
    store.mark_installed("shop", "module", "shop")
    task = add_one(store, "a", action="task/catalog/shop.task")

    why = admin.why(task.task_id)

    assert why["reason"] == "extension_broken"
    assert why["facts"]["error"] == "it has no catalog/controller/task.py"


def test_an_uninstalled_extensions_route_is_refused_by_the_allow_list(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    serve(store, clock)
    task = add_one(store, "a", action="task/catalog/gone.task")

    why = admin.why(task.task_id)

    assert why["reason"] == "action_refused"
    assert "extension 'gone' is not installed" in why["text"]


def test_a_running_task_says_where_and_since_when(admin: Admin, store: Store,
                                                  clock: FakeClock) -> None:
    runner = serve(store, clock)
    add_one(store, "a", action=ACTION)
    task = claimed(store, runner)

    why = admin.why(task.task_id)

    assert (why["reason"], why["waiting"]) == ("running", False)
    assert why["facts"]["runner"] == runner.runner_id
    assert why["text"] == (f"it is running on runner {runner.runner_id} since "
                           "2026-01-01T12:00:00Z (attempt 1 of 3)")


def test_a_runner_gone_silent_holds_its_task_until_the_lease_expires(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    runner = serve(store, clock)
    add_one(store, "a", action=ACTION)
    task = claimed(store, runner)  # its lease: 30 s
    clock.advance(LEASE + 5)  # the runner sent no heartbeat since it claimed

    why = admin.why(task.task_id)

    assert why["reason"] == "lost_runner"
    assert why["facts"]["last_heartbeat_seconds"] == 35.0
    assert why["facts"]["recovered_in_seconds"] == 0.0
    assert f"held by runner {runner.runner_id}, which sent its last heartbeat 35 s ago" \
        in why["text"]
    assert "recovered at the next recovery" in why["text"]


def test_a_runner_no_longer_registered_holds_its_task_for_the_rest_of_the_lease(
    admin: Admin, store: Store, clock: FakeClock,
) -> None:
    runner = serve(store, clock)
    add_one(store, "a", action=ACTION)
    task = claimed(store, runner)
    store.unregister_runner(runner.runner_id)
    clock.advance(10)

    why = admin.why(task.task_id)

    assert why["reason"] == "lost_runner"
    assert why["facts"]["recovered_in_seconds"] == 20.0
    assert "is no longer registered" in why["text"]
    assert "recovered in 20 s" in why["text"]


def test_complete_failed_attempts_used_up_and_paused(admin: Admin, store: Store,
                                                    clock: FakeClock) -> None:
    runner = serve(store, clock)
    add_one(store, "ok", action=ACTION)
    store.finish(claimed(store, runner), runner.runner_id, done(), retention_seconds=3600)
    add_one(store, "bad", action=ACTION, max_attempts=1)
    store.finish(claimed(store, runner), runner.runner_id, done(Status.FAILED),
                 retention_seconds=3600)
    failed_early = add_one(store, "set-failed", action=ACTION)
    store.set_status([failed_early.task_id], Status.FAILED)
    paused = add_one(store, "paused", action=ACTION)
    store.set_status([paused.task_id], Status.PAUSED)

    reasons = {task_id: admin.why(task_id) for task_id in (1, 2, 3, 4)}

    assert [why["reason"] for why in reasons.values()] == [
        "complete", "attempts_used_up", "failed", "paused_task"]
    assert reasons[1]["waiting"] is False
    assert reasons[2]["text"] == "it failed and has used all of its 1 attempts"
    assert reasons[2]["hint"] == "taskdesk task retry 2"
    assert reasons[4]["hint"] == "taskdesk task status pending 4"


def test_a_cancelled_task_comes_before_every_other_reason(admin: Admin, store: Store) -> None:
    task = add_one(store, "a", action="os:system", queue="mail")  # refused, and no runner
    store.queues.pause("mail")
    store.set_status([task.task_id], Status.CANCELLED)

    why = admin.why(task.task_id)

    assert (why["reason"], why["hint"]) == ("cancelled", f"taskdesk task retry {task.task_id}")


def test_the_first_reason_that_holds_wins(admin: Admin, store: Store, clock: FakeClock) -> None:
    """Paused queue, run_at, refused action and no runner all hold: the order decides."""
    task = add_one(store, "a", action="os:system", queue="mail",
                   run_at=clock.now + timedelta(hours=2))
    store.queues.pause("mail")
    seen = []
    for _ in range(4):
        why = admin.why(task.task_id)
        seen.append(why["reason"])
        if why["reason"] == "paused_queue":
            store.queues.resume("mail")
        elif why["reason"] == "run_at":
            clock.advance(3 * 3600)
        elif why["reason"] == "action_refused":
            store.delete([task.task_id])
            task = add_one(store, "a", action=ACTION, queue="mail")

    assert seen == ["paused_queue", "run_at", "action_refused", "no_runner"]


def test_an_unknown_task_is_one_clear_error(admin: Admin) -> None:
    with pytest.raises(TaskNotFound, match="no task with id 99"):
        admin.why(99)


def test_a_new_check_goes_in_its_slot(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    """How the lead adds a check: a function of the Scene, placed in CHECKS' order."""
    task = add_one(store, "a", action=ACTION)

    def held(scene: Scene) -> Reason | None:
        return Reason(code="held_by_limit", text=f"held: task {scene.task.task_id}")

    at = CHECKS.index(next(c for c in CHECKS if c.__name__ == "action_refused"))
    checks = (*CHECKS[:at], held, *CHECKS[at:])
    scene = Scene(task=task, store=store, now=clock.now, lease_seconds=LEASE,
                  check_action=lambda action: None, extension=lambda code: None)  # type: ignore[arg-type,return-value]

    assert explain(scene, checks).code == "held_by_limit"
    assert explain(scene).code == "no_runner"


def test_spans_read_at_a_glance() -> None:
    assert [span(s) for s in (0, 59.6, 600, 5400, 9000, 3 * 86_400)] == [
        "0 s", "60 s", "10 min", "90 min", "2.5 h", "3 days"]
