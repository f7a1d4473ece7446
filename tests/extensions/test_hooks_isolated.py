"""Issue 14, item 26: a package's install() and uninstall() run in a child process, so that
whatever they do (os._exit, hang, flood the terminal, raise megabytes) the caller lives on
and reports one clear error, with all or nothing kept: no task the hook added, no module
marked, no audit row, unless the child committed all of them together."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.errors import ExtensionError
from taskdesk.extensions.hook_process import MAX_MESSAGE_BYTES
from taskdesk.models.accounts import Actor
from tests.extensions.support import module_source, unique_code, write_extension


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend  # the child opens the database: SQLite and PostgreSQL only


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home")
    yield desk
    desk.close()


def extension_with(desk: Taskdesk, install: str, uninstall: str = "pass") -> str:
    """An extension whose module's install() first adds a task, then does `install`."""
    code = unique_code("hook")
    body = f"self.tasks.add('{code}_task', 'task/catalog/{code}.task'); {install}"
    write_extension(desk.settings.extensions_dir / code, code, {
        f"admin/controller/module/{code}.py": module_source(
            "".join(part.capitalize() for part in code.split("_")), install=body,
            uninstall=uninstall),
        "catalog/controller/task.py": module_source("Task"),
    })
    return code


def nothing_stored(desk: Taskdesk, code: str) -> None:
    assert desk.store.installed_modules(code) == []
    assert desk.tasks.list_tasks(code=code) == []
    assert Admin(desk).audit.entries() == []


def test_os_exit_in_install_is_one_error_and_changes_nothing(desk: Taskdesk) -> None:
    code = extension_with(desk, "import os; os._exit(0)")

    with pytest.raises(ExtensionError, match=r"the process running its install\(\) ended "
                       r"\(exit code 0\) before finishing; nothing was changed"):
        Admin(desk).extensions.install(code, by=Actor("ann"))

    nothing_stored(desk, code)


def test_a_hook_that_hangs_is_killed_with_what_it_started(desk: Taskdesk,
                                                          tmp_path: Path) -> None:
    marker = tmp_path / "helper.pid"
    code = extension_with(desk, (
        "import subprocess, time; "
        f"open({str(marker)!r}, 'w').write(str(subprocess.Popen(['sleep', '60']).pid)); "
        "time.sleep(60)"))
    lifecycle = Admin(desk).lifecycle.evolve(hook_seconds=2.0)  # what extensions.install runs

    with pytest.raises(ExtensionError, match=r"did not finish within 2 s, so it was killed"):
        lifecycle.install(code)

    nothing_stored(desk, code)
    helper = int(marker.read_text())
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper), "the hook's own process outlived it"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_megabytes_of_output_and_message_make_one_short_error(desk: Taskdesk) -> None:
    code = extension_with(desk, (
        "import sys; sys.stdout.write('x' * 20_000_000); sys.stderr.write('y' * 5_000_000); "
        "raise RuntimeError('z' * 5_000_000)"))

    with pytest.raises(ExtensionError) as raised:
        Admin(desk).extensions.install(code)

    assert len(raised.value.message.encode()) <= MAX_MESSAGE_BYTES
    assert "install() failed: RuntimeError: zzz" in raised.value.message
    nothing_stored(desk, code)


def test_a_working_install_commits_its_tasks_module_and_audit_row_together(
        desk: Taskdesk) -> None:
    code = extension_with(desk, "pass", uninstall="import os; os._exit(3)")

    assert Admin(desk).extensions.install(code, by=Actor("ann", "127.0.0.1")) == [
        f"module/{code}"]

    assert [task.code for task in desk.tasks.list_tasks(code=code)] == [f"{code}_task"]
    [entry] = Admin(desk).audit.entries()
    assert (entry["actor"], entry["action"], entry["target"], entry["address"]) == (
        "ann", "extensions.install", f"extension {code}", "127.0.0.1")

    with pytest.raises(ExtensionError, match=r"its uninstall\(\) ended \(exit code 3\)"):
        Admin(desk).extensions.uninstall(code, by=Actor("ann"))
    assert len(desk.store.installed_modules(code)) == 1  # still installed, tasks kept
    assert len(desk.tasks.list_tasks(code=code)) == 1
    assert len(Admin(desk).audit.entries()) == 1  # no row for the change that did not happen


def test_the_admin_survives_a_hook_that_exits_and_audits_only_what_happened(
        tmp_path: Path) -> None:
    from taskdesk.web import create_app
    from tests.web.conftest import logged_in, make_desk

    desk = make_desk(tmp_path / "home")
    try:
        code = extension_with(desk, "import os; os._exit(0)")
        with logged_in(create_app(desk)) as clients:
            admin = clients["admin"]
            answer = admin.act("POST", f"/api/extensions/{code}/install")
            assert answer.status_code == 409, answer.text
            assert "exit code 0" in answer.json()["detail"]
            assert admin.get("/extensions").status_code == 200  # still serving
            assert [e["action"] for e in Admin(desk).audit.entries()
                    if e["action"].startswith("extensions.")] == []

            good = extension_with(desk, "pass")
            assert admin.act("POST", f"/api/extensions/{good}/install").status_code == 200
            entry = Admin(desk).audit.entries()[0]
            assert (entry["actor"], entry["action"]) == ("admin", "extensions.install")
    finally:
        desk.close()


def test_the_child_knows_the_applications_registered_tasks(database_url: str,
                                                           tmp_path: Path) -> None:
    """install() adding a task registered by the application (by name) is allowed in the
    child as it was in the caller: the child loads the same application."""
    from taskdesk.app import load_app

    desk = load_app("tests.apps.shop:desk")
    desk.configure(database_url=database_url, home=tmp_path / "shop")
    try:
        code = extension_with(desk, "self.tasks.add('welcome', 'shop.welcome', "
                                    "{'path': 'x', 'user_id': 1})")
        Admin(desk).extensions.install(code)
        [task] = desk.tasks.list_tasks(code="welcome")
        assert task.action == "shop.welcome"
    finally:
        desk.close()
