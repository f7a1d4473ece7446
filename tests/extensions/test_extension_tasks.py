"""Issue 7 item 27: tasks an extension adds while running (fan-out) are recorded as its own, so
that uninstall removes them and `remove` refuses while any still wait — on every store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk import Status, Taskdesk
from taskdesk.admin import Admin
from taskdesk.errors import BadAction, ExtensionError
from taskdesk.models.tasks import NewTask
from taskdesk.testing import memory_desk, run_due

pytestmark = pytest.mark.hostile

FAN_OUT = {
    "install.json": json.dumps({"name": "Fan", "version": "1.0"}),
    "admin/controller/module/fan.py": '''
from taskdesk import Controller


class Fan(Controller):
    def install(self) -> None:
        self.tasks.add("fan_start", "task/catalog/fan.task")
''',
    "catalog/controller/task.py": '''
from datetime import timedelta

from taskdesk import Controller


class Task(Controller):
    def index(self) -> str:
        for page in range(3):  # as OpenCart's backup adds a task per page, for later
            self.tasks.add(f"fan_page_{page}", "task/catalog/fan.page", {"page": page},
                           run_at=timedelta(hours=1))
        return "fanned out"
''',
    "catalog/controller/page.py": '''
from taskdesk import Controller


class Page(Controller):
    def index(self, page: int) -> None:
        self.log.write(f"page {page}")
''',
}


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    folder = tmp_path / "fan"
    for name, text in FAN_OUT.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    home = tmp_path / "home"
    desk = (memory_desk(home=home) if backend == "memory" else
            Taskdesk(database_url=request.getfixturevalue("database_url"), home=home))
    Admin(desk).extensions.link(folder)
    yield desk
    desk.close()


def test_fanned_out_tasks_belong_to_the_extension_and_go_with_it(desk: Taskdesk) -> None:
    Admin(desk).extensions.install("fan")
    run_due(desk)

    pages = desk.tasks.list_tasks(code="fan_page")
    assert [(t.status, t.extension) for t in pages] == [(Status.PENDING, "fan")] * 3
    [start] = desk.tasks.list_tasks(code="fan_start")
    assert (start.status, start.extension) == (Status.COMPLETE, "fan")

    done = Admin(desk).extensions.uninstall("fan")

    assert done == {"modules": ["module/fan"], "tasks_deleted": 3}
    assert desk.tasks.list_tasks(code="fan_page") == []
    assert desk.tasks.get(start.task_id).status is Status.COMPLETE  # history stays
    assert Admin(desk).extensions.remove("fan").startswith("unlinked fan")


def test_remove_refuses_while_tasks_of_the_extension_wait(desk: Taskdesk) -> None:
    Admin(desk).extensions.install("fan")
    Admin(desk).extensions.uninstall("fan")
    desk.store.add([NewTask(code="late", action="task/catalog/fan.page", args={"page": 9},
                            max_attempts=1)])  # e.g. added by hand before the uninstall

    with pytest.raises(ExtensionError, match="still has 1 waiting or running task"):
        Admin(desk).extensions.remove("fan")

    desk.tasks.delete_by_code("late")
    Admin(desk).extensions.remove("fan")
    assert Admin(desk).extensions.all() == []


@pytest.mark.parametrize("method", ["_private", "__init__", "__class__"])
def test_a_route_to_a_private_method_is_refused_when_added(desk: Taskdesk, method: str) -> None:
    """Issue 14, item 35: refused at add, with nothing stored, not accepted to fail at run."""
    Admin(desk).extensions.install("fan")

    with pytest.raises(BadAction, match="starts with '_'"):
        desk.tasks.add("private", f"task/catalog/fan.task.{method}")

    assert desk.tasks.list_tasks(code="private") == []
