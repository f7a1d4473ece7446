"""What the package check costs a runner: one read of the stored (version, sha256) at each
start of a route task, never the bytes once unpacked; none for a registered task or an import
path (issue 16 item 1)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from taskdesk import Status
from taskdesk.admin import Admin
from taskdesk.models.tasks import NewTask
from taskdesk.testing import memory_desk, run_due
from tests.extensions.test_packages_hosts import ACTION, CODE, seed_zip


class Counting:
    """store.packages, counting each verb called."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.inner, name)


def test_a_route_task_reads_the_stamp_once_and_a_registered_task_reads_nothing(
    tmp_path: Path,
) -> None:
    desk = memory_desk(home=tmp_path / "home", allowed_actions=("tests",))

    @desk.task(name="plain")
    def plain() -> None:
        pass

    admin = Admin(desk)
    admin.extensions.upload(seed_zip(tmp_path / "upload"))
    admin.extensions.install(CODE)
    counting = Counting(desk.store.packages)
    desk.store.packages = counting  # type: ignore[misc]

    plain.enqueue()
    desk.store.add([NewTask(code="import", action="tests.support.handlers:noop",
                            max_attempts=1)])
    run_due(desk)  # my_task (the route), plain and the import path
    assert counting.calls == Counter(stamp=1)

    desk.store.add([NewTask(code="again", action=ACTION, max_attempts=1)])
    run_due(desk)
    assert counting.calls == Counter(stamp=2)
    assert {task.status for task in desk.tasks.list_tasks()} == {Status.COMPLETE}
