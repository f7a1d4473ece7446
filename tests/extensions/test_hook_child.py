"""The hooks' child opens the application only from what its parent passes: the allow-list
of a lifecycle that checks actions needs the application's class, and without it the child
refuses the change rather than letting its hooks add tasks unchecked."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import ConfigError, ExtensionError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.registry import TaskRegistry
from taskdesk.store import Store
from tests.extensions.support import module_source, unique_code, write_extension


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend  # the child opens the database: SQLite and PostgreSQL only


def adding(settings: Settings, action: str) -> str:
    """An extension whose module's install() adds a task running `action`."""
    code = unique_code("child")
    write_extension(settings.extensions_dir / code, code, {
        f"admin/controller/module/{code}.py": module_source(
            "".join(part.capitalize() for part in code.split("_")),
            install=f"self.tasks.add('{code}_task', '{action}')"),
    })
    return code


def checking(store: Store, settings: Settings, **changes: object) -> Lifecycle:
    catalogue = Catalogue(settings.extensions_dir)
    desk = Taskdesk(settings.evolve(app=""), store=store)
    return Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings,
                     ErrorLog(settings.error_log), check_action=desk.handlers.check,
                     check_args=desk.handlers.check_args).evolve(**changes)


def test_the_child_checks_actions_with_the_application_it_was_given(
        store: Store, settings: Settings) -> None:
    code = adding(settings, "os:system")

    with pytest.raises(ExtensionError, match=r"install\(\) failed: ActionNotAllowed: "
                                             r"action 'os:system' is not allowed"):
        checking(store, settings, app_class=Taskdesk).install(code)

    assert store.installed_modules(code) == []


def test_a_child_that_must_check_actions_but_was_given_no_application_refuses(
        store: Store, settings: Settings) -> None:
    code = adding(settings, "os:system")

    with pytest.raises(ConfigError, match="no application was given to open"):
        checking(store, settings).install(code)

    assert store.installed_modules(code) == []


def test_a_child_that_checks_nothing_needs_no_application(store: Store, settings: Settings,
                                                          tmp_path: Path) -> None:
    code = adding(settings, "tests.support.handlers:record")
    catalogue = Catalogue(settings.extensions_dir)
    lifecycle = Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings,
                          ErrorLog(tmp_path / "error.log"))

    assert [ref.name for ref in lifecycle.install(code)] == [f"module/{code}"]
    tasks = TaskRegistry(store, settings).list_tasks(code=f"{code}_task")
    assert [task.action for task in tasks] == ["tests.support.handlers:record"]
