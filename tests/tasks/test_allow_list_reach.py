"""An allowed module is not a door to what it imports: `allowed.mod:os.system` and
`allowed.mod:rmtree` (imported from shutil) fail without running; its own functions run."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk import Status
from taskdesk.testing import memory_desk, run_due

pytestmark = pytest.mark.hostile

MODULE = "tests.tasks.handlers_allow"


@pytest.mark.parametrize(("action", "reason"), [
    (f"{MODULE}:os.system", "os is a module, not a task"),
    (f"{MODULE}:os.path.join", "os is a module, not a task"),
    (f"{MODULE}:rmtree", "reaches shutil:rmtree, which is not defined under"),
])
def test_what_an_allowed_module_imported_is_not_allowed(
    tmp_path: Path, action: str, reason: str
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    desk = memory_desk(home=tmp_path / "home", allowed_actions=(MODULE,))
    args = {"path": str(victim)} if "rmtree" in action else {}
    if "system" in action:
        args = {"command": f"rmdir {victim}"}
    task = desk.tasks.add("x", action, args)

    stats = run_due(desk)

    assert victim.exists()
    assert stats.by_status == {Status.FAILED: 1}
    assert reason in (desk.tasks.get(task.task_id).response or "")


def test_the_allowed_modules_own_functions_run(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path, allowed_actions=(MODULE,))
    task = desk.tasks.add("x", f"{MODULE}:fine")

    assert run_due(desk).by_status == {Status.COMPLETE: 1}
    assert desk.tasks.get(task.task_id).response == "ran"


def test_a_class_imported_from_elsewhere_is_refused_before_it_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "constructed"
    monkeypatch.setenv("TASKDESK_TEST_TRACE", str(trace))
    desk = memory_desk(home=tmp_path / "home", allowed_actions=(MODULE,))
    task = desk.tasks.add("x", f"{MODULE}:Elsewhere")

    assert run_due(desk).by_status == {Status.FAILED: 1}
    assert not trace.exists()  # refused before its constructor ran
    assert "handlers_elsewhere:Elsewhere" in (desk.tasks.get(task.task_id).response or "")
