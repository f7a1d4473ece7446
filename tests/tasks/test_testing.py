"""taskdesk.testing: an application's desk on a memory store for a block, then back."""

from __future__ import annotations

from pathlib import Path

from taskdesk import Status, Taskdesk
from taskdesk.testing import in_memory, run_due


def test_in_memory_swaps_the_store_and_gives_it_back(tmp_path: Path) -> None:
    desk = Taskdesk(home=tmp_path / "real")
    desk.init()

    @desk.task(name="testing.hello")
    def hello() -> str:
        return "hi"

    hello.enqueue()
    with in_memory(desk, home=tmp_path / "test") as same:
        assert same is desk
        assert desk.tasks.count() == 0  # the real task is not here
        hello.enqueue()
        assert run_due(desk).by_status == {Status.COMPLETE: 1}
        assert desk.settings.home == tmp_path / "test"

    assert desk.settings.home == tmp_path / "real"
    [real] = desk.tasks.list_tasks()
    assert real.status is Status.PENDING  # untouched by the block
    desk.close()
