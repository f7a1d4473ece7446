"""`task list` shows the progress of running tasks, `task show` of any task, `--json` both:
what the running attempt reported, its message printed literally."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskdesk.models.runners import ClaimKey
from taskdesk.models.tasks import NewTask, Outcome, Status, Task
from taskdesk.store import SqlStore, open_store
from tests.cli.harness import Cli

RUNNER = "runner-1"


@pytest.fixture
def store(cli: Cli) -> Iterator[SqlStore]:
    """The installation's database, where a runner's verbs put tasks mid-attempt."""
    opened = open_store(cli.database_url)
    yield opened
    opened.close()


def running(store: SqlStore, code: str, percent: int, message: str) -> Task:
    """A task claimed by RUNNER that reported `percent` and `message`."""
    store.add([NewTask(code=code, action="tests.support.handlers:noop", max_attempts=3)])
    [claimed] = store.claim(RUNNER, lease_seconds=300)
    assert store.set_progress(RUNNER, ClaimKey.of(claimed), percent, message)
    return claimed


def test_list_shows_the_progress_of_running_tasks_only(cli: Cli, store: SqlStore) -> None:
    done = running(store, "done", 30, "finished early")
    store.finish(done, RUNNER, Outcome(status=Status.COMPLETE, response=None, comment="ok",
                                       duration=1.0), retention_seconds=3600)
    busy = running(store, "busy", 42, "copying")

    table = cli.ok("task", "list")
    listed = {task["task_id"]: task for task in cli.tasks()}

    assert "progress" in table.splitlines()[2]  # the header
    assert "42% copying" in table
    assert "finished early" not in table
    assert (listed[busy.task_id]["progress"], listed[busy.task_id]["progress_message"]) == (
        42, "copying")
    assert listed[done.task_id]["progress"] == 100


def test_show_prints_progress_and_an_escaped_message(cli: Cli, store: SqlStore) -> None:
    busy = running(store, "busy", 7, "row 7 \x1b[2J of 100")

    shown = cli.ok("task", "show", str(busy.task_id))
    as_json = cli.task(busy.task_id)

    assert "7%" in shown
    assert "row 7 \\x1b[2J of 100" in shown
    assert "\x1b" not in shown
    assert (as_json["progress"], as_json["progress_message"]) == (7, "row 7 \x1b[2J of 100")
