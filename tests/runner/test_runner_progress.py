"""Progress reported by real tasks run by a runner: a controller through self.progress, a
function task through taskdesk.progress; seen while the task runs, 100 once complete, the
last report kept when it failed, and a bad report failing only its own task."""

from __future__ import annotations

from pathlib import Path

import pytest

import taskdesk
from taskdesk import Controller, Status, Taskdesk
from taskdesk.config import Settings
from taskdesk.store import Store
from taskdesk.testing import memory_desk

BAD_VALUES: dict[str, object] = {
    "nan": float("nan"), "infinity": float("inf"), "over": 100.5, "under": -1,
    "text": "50", "bool": True, "none": None,
}


class Steps(Controller):
    """Reports, reads its own row back mid-run (what `task show` would see), reports twice
    more at once (the throttle holds the last back until the attempt ends)."""

    def index(self) -> str:
        assert self.task is not None
        self.progress(10, "starting")
        seen = self.tasks.get(self.task.task_id)
        self.progress(60.9, "copying")
        self.progress(70, "latest")
        return f"{seen.status} {seen.progress} {seen.progress_message}"


def half_then_fail() -> None:
    taskdesk.progress(40, "two of five tables")
    raise RuntimeError("table three is locked")


def report_bad(kind: str) -> None:
    taskdesk.progress(BAD_VALUES[kind])  # type: ignore[arg-type]


def report_bad_message() -> None:
    taskdesk.progress(50, b"bytes")  # type: ignore[arg-type]


@pytest.fixture
def desk(store: Store, settings: Settings) -> Taskdesk:
    return Taskdesk(settings, store=store, max_attempts=1)


def test_a_controller_reports_progress_seen_while_it_runs_then_100(desk: Taskdesk) -> None:
    steps = desk.task(Steps)
    task = steps.enqueue()

    stats = desk.runner().drain()

    done = desk.tasks.get(task.task_id)
    assert stats.by_status == {Status.COMPLETE: 1}
    assert done.response == "processing 10 starting"
    assert (done.progress, done.progress_message) == (100, "latest")


def test_a_function_task_reports_and_its_failure_keeps_the_last_report(
    desk: Taskdesk,
) -> None:
    task = desk.task(half_then_fail).enqueue()

    desk.runner().drain()

    failed = desk.tasks.get(task.task_id)
    assert failed.status is Status.FAILED
    assert (failed.progress, failed.progress_message) == (40, "two of five tables")
    assert "table three is locked" in (failed.response or "")


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_a_bad_percent_fails_only_its_task_with_a_clear_message(
    kind: str, tmp_path: Path,
) -> None:
    desk = memory_desk(home=tmp_path, max_attempts=1)
    bad = desk.task(report_bad).enqueue(kind=kind)
    good = desk.task(Steps).enqueue()

    stats = desk.runner().drain()

    failed = desk.tasks.get(bad.task_id)
    assert stats.by_status == {Status.FAILED: 1, Status.COMPLETE: 1}
    assert (failed.response or "").startswith("BadProgress: progress must be")
    assert failed.progress is None
    assert desk.tasks.get(good.task_id).progress == 100


def test_a_message_that_is_not_text_fails_its_task(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path, max_attempts=1)
    task = desk.task(report_bad_message).enqueue()

    desk.runner().drain()

    assert (desk.tasks.get(task.task_id).response or "").startswith(
        "BadProgress: a progress message must be text, not bytes")
