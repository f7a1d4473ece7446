"""The allow-list: what may run is a registered task, a task/catalog/… controller of an
installed extension, or an import path under TASKDESK_ALLOWED_ACTIONS — nothing else,
whoever adds it (checked when added, and again when a runner meets it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk import Status, Taskdesk
from taskdesk.errors import ActionNotAllowed
from taskdesk.models.tasks import NewTask
from taskdesk.testing import memory_desk, run_due

DANGEROUS = ["os:system", "subprocess:getoutput", "builtins:exec", "shutil:rmtree"]


@pytest.fixture
def desk(tmp_path: Path) -> Taskdesk:
    return memory_desk(home=tmp_path, allowed_actions=("tests.support.handlers", "tests.tasks"))


@pytest.mark.parametrize("action", DANGEROUS)
def test_arbitrary_import_paths_are_refused_when_added(desk: Taskdesk, action: str) -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        desk.tasks.add("x", action, {"command": "true"})

    assert repr(action) in refused.value.message
    now = "TASKDESK_ALLOWED_ACTIONS (now tests.support.handlers, tests.tasks)"
    assert now in refused.value.message
    assert desk.tasks.count() == 0


@pytest.mark.parametrize("action", DANGEROUS)
def test_a_runner_refuses_them_however_they_got_in(
    desk: Taskdesk, action: str, tmp_path: Path
) -> None:
    proof = tmp_path / "pwned"
    [task] = desk.store.add([NewTask(code="x", action=action, args={"command": f"touch {proof}"},
                                     max_attempts=3)])  # past the registry's check

    stats = run_due(desk)

    assert not proof.exists()
    assert stats.by_status == {Status.FAILED: 1}  # at once: retrying cannot help
    failed = desk.tasks.get(task.task_id)
    assert failed.response is not None
    assert "is not allowed" in failed.response
    assert "TASKDESK_ALLOWED_ACTIONS" in failed.response


def test_allowed_prefixes_cover_a_module_and_its_submodules_only(desk: Taskdesk) -> None:
    desk.tasks.add("a", "tests.support.handlers:noop")
    desk.tasks.add("b", "tests.tasks.resolvable:plain")
    with pytest.raises(ActionNotAllowed):
        # not a submodule of tests.support.handlers:
        desk.tasks.add("c", "tests.support.handlers_more:noop")
    with pytest.raises(ActionNotAllowed):
        desk.tasks.add("d", "tests:handlers")


def test_a_name_that_no_task_is_registered_under_is_refused(desk: Taskdesk) -> None:
    with pytest.raises(ActionNotAllowed, match=r"not a registered task.*--app or TASKDESK_APP"):
        desk.tasks.add("x", "emails.welcome")


def test_a_registered_task_runs_whatever_the_allowed_prefixes(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)  # nothing allowed by prefix

    @desk.task(name="emails.welcome")
    def welcome() -> str:
        return "sent"

    welcome.enqueue()
    assert run_due(desk).by_status == {Status.COMPLETE: 1}


def test_admin_routes_never_run_as_tasks(desk: Taskdesk) -> None:
    with pytest.raises(ActionNotAllowed, match="only task/catalog/"):
        desk.tasks.add("x", "task/admin/test_module.module/test_module.uninstall")


def test_catalog_routes_run_only_for_installed_extensions(
    desk: Taskdesk, tmp_path: Path
) -> None:
    with pytest.raises(ActionNotAllowed, match="extension 'shop' is not installed"):
        desk.tasks.add("x", "task/catalog/shop.task")
    [task] = desk.store.add([NewTask(code="x", action="task/catalog/shop.task",
                                     max_attempts=1)])

    run_due(desk)

    response = desk.tasks.get(task.task_id).response or ""
    assert "extension 'shop' is not installed" in response
    desk.store.mark_installed("shop", "module", "shop")
    desk.tasks.add("y", "task/catalog/shop.task")  # now allowed (it fails later: no such file)


def test_a_resolved_function_is_refused_again_once_its_prefix_is_no_longer_allowed(
    tmp_path: Path,
) -> None:
    """Runners keep the functions they resolved (handlers.Handlers._functions), but only under
    the allow-list they were allowed by."""
    desk = memory_desk(home=tmp_path, allowed_actions=("tests.support.handlers",))
    desk.tasks.add("first", "tests.support.handlers:noop")
    assert run_due(desk).by_status == {Status.COMPLETE: 1}
    store = desk.store

    desk._swap(store, desk.settings.evolve(allowed_actions=("tests.tasks",)))
    desk.store.add([NewTask(code="second", action="tests.support.handlers:noop", max_attempts=1)])

    assert run_due(desk).by_status == {Status.FAILED: 1}
    [failed] = desk.tasks.list_tasks(code="second")
    assert failed.response is not None
    assert "is not allowed" in failed.response
