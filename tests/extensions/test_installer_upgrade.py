"""Issue 7, items 25 and 26: `upload --upgrade` checks `requires` as install does, and runs
the new version's optional `upgrade(from_version)` hook of each installed module in one
transaction with the switch to the new files: all or nothing, on every store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import ExtensionError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.registry import TaskRegistry
from taskdesk.store import Store
from tests.extensions.support import manifest, task_source, unique_code, write_zip

pytestmark = pytest.mark.hostile


def module(code: str, *, upgrade: str | None = None) -> str:
    """The module `module/<code>`: install() adds `<code>_first`; upgrade() runs `upgrade`."""
    action = f"task/catalog/{code}.task"
    hook = "" if upgrade is None else (
        f"\n    def upgrade(self, from_version: str) -> None:\n        {upgrade}\n")
    return (
        "from taskdesk import Controller\n\n\n"
        f"class {''.join(part.capitalize() for part in code.split('_'))}(Controller):\n"
        "    def install(self) -> None:\n"
        f"        self.tasks.add(code={code + '_first'!r}, action={action!r})\n\n"
        "    def uninstall(self) -> None:\n"
        f"        self.tasks.delete_by_code({code + '_first'!r})\n"
        f"{hook}"
    )


def add_second(code: str) -> str:
    return (f"self.tasks.add(code={code + '_second'!r}, action='task/catalog/{code}.task', "
            f"args={{'from_version': from_version}})")


def package(tmp_path: Path, code: str, version: str, module_text: str, **fields: object
            ) -> Path:
    return write_zip(tmp_path / version / f"{code}.zip", [
        ("install.json", manifest(code, version=version, **fields)),
        (f"admin/controller/module/{code}.py", module_text),
        ("catalog/controller/task.py", task_source(f"{code} {version}")),
    ])


class Desk:
    """An installer and a lifecycle over one store and one data folder."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self.catalogue = Catalogue(settings.extensions_dir)
        self.installer = Installer(settings, self.catalogue, store)
        self.lifecycle = Lifecycle(self.catalogue, ControllerLoader(self.catalogue.locate),
                                   store, settings, ErrorLog(settings.error_log))

    def tasks(self) -> dict[str, dict[str, object]]:
        return {task.code: dict(task.args)
                for task in TaskRegistry(self.store, self.settings).list_tasks()}

    def version(self, code: str) -> str:
        return self.catalogue.get(code).manifest.version

    def versions(self) -> list[Path]:
        return sorted((self.settings.extensions_dir / ".versions").iterdir())


@pytest.fixture
def desk(store: Store, settings: Settings) -> Desk:
    return Desk(store, settings)


def installed_v1(desk: Desk, tmp_path: Path) -> str:
    code = unique_code("up")
    desk.installer.upload(package(tmp_path, code, "1.0.0", module(code)))
    desk.lifecycle.install(code)
    return code


# -- item 25: requires ------------------------------------------------------------------------

def test_an_upgrade_adding_an_unmet_requirement_to_an_installed_extension_is_refused(
    desk: Desk, tmp_path: Path,
) -> None:
    code = installed_v1(desk, tmp_path)
    kept = (desk.settings.packages_dir / f"{code}.zip").read_bytes()
    source = package(tmp_path, code, "2.0.0", module(code), requires=["nonexistent-pkg>=1"])

    with pytest.raises(ExtensionError, match=r"needs nonexistent-pkg>=1"):
        desk.installer.upload(source, upgrade=True)

    assert desk.version(code) == "1.0.0"
    assert (desk.settings.packages_dir / f"{code}.zip").read_bytes() == kept
    assert list(desk.settings.scratch_dir.iterdir()) == []


def test_an_unmet_requirement_waits_for_install_when_nothing_is_installed(
    desk: Desk, tmp_path: Path,
) -> None:
    code = unique_code("up")
    desk.installer.upload(package(tmp_path, code, "1.0.0", module(code)))

    desk.installer.upload(package(tmp_path, code, "2.0.0", module(code),
                                  requires=["nonexistent-pkg>=1"]), upgrade=True)

    with pytest.raises(ExtensionError, match=r"needs nonexistent-pkg>=1"):
        desk.lifecycle.install(code)


# -- item 26: the upgrade() hook ---------------------------------------------------------------

def test_an_upgrade_runs_the_new_versions_upgrade_hook_of_installed_modules(
    desk: Desk, tmp_path: Path,
) -> None:
    code = installed_v1(desk, tmp_path)

    desk.installer.upload(package(tmp_path, code, "2.0.0",
                                  module(code, upgrade=add_second(code))), upgrade=True)

    assert desk.version(code) == "2.0.0"
    assert desk.tasks() == {f"{code}_first": {}, f"{code}_second": {"from_version": "1.0.0"}}


def test_an_upgrade_skips_the_hook_of_modules_that_are_not_installed(
    desk: Desk, tmp_path: Path,
) -> None:
    code = unique_code("up")
    desk.installer.upload(package(tmp_path, code, "1.0.0", module(code)))

    desk.installer.upload(package(tmp_path, code, "2.0.0",
                                  module(code, upgrade=add_second(code))), upgrade=True)

    assert desk.tasks() == {}
    desk.lifecycle.install(code)
    assert desk.tasks() == {f"{code}_first": {}}


def test_a_failing_upgrade_hook_keeps_the_old_version_and_adds_no_task(
    desk: Desk, tmp_path: Path,
) -> None:
    code = installed_v1(desk, tmp_path)
    link = desk.settings.extensions_dir / code
    old_target = link.readlink()
    kept = (desk.settings.packages_dir / f"{code}.zip").read_bytes()
    versions = desk.versions()
    failing = f"{add_second(code)}; raise RuntimeError('migration failed')"

    with pytest.raises(ExtensionError, match=rf"module/{code}: upgrade\(\) failed: "
                                             r"RuntimeError: migration failed"):
        desk.installer.upload(package(tmp_path, code, "2.0.0", module(code, upgrade=failing)),
                              upgrade=True)

    assert link.readlink() == old_target
    assert desk.version(code) == "1.0.0"
    assert "1.0.0" in (link / "catalog" / "controller" / "task.py").read_text()
    assert desk.tasks() == {f"{code}_first": {}}
    assert desk.lifecycle.installed(code) != set()
    assert (desk.settings.packages_dir / f"{code}.zip").read_bytes() == kept
    assert desk.versions() == versions
    assert list(desk.settings.scratch_dir.iterdir()) == []


def test_a_commit_that_fails_after_the_switch_switches_back(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The switch happens inside the transaction; if the commit then fails, the old
    version is put back."""
    code = installed_v1(desk, tmp_path)
    link = desk.settings.extensions_dir / code
    old_target = link.readlink()
    real_atomic = desk.store.atomic
    # The failure is injected into this process's store: the hooks' transaction must be here
    # (a child's commit failing takes the same way back: HookRefused, then the switch back).
    desk.installer.lifecycle = desk.installer.lifecycle.evolve(isolate_hooks=False)

    class Failing:
        def __enter__(self) -> Store:
            self.inner = real_atomic()
            return self.inner.__enter__()

        def __exit__(self, *exc: object) -> Literal[False]:
            self.inner.__exit__(RuntimeError, RuntimeError("commit failed"), None)
            if exc[0] is None:
                raise RuntimeError("commit failed")
            return False

    monkeypatch.setattr(desk.store, "atomic", Failing)

    with pytest.raises(RuntimeError, match="commit failed"):
        desk.installer.upload(package(tmp_path, code, "2.0.0",
                                      module(code, upgrade=add_second(code))), upgrade=True)

    assert link.readlink() == old_target
    assert desk.version(code) == "1.0.0"
    assert desk.tasks() == {f"{code}_first": {}}


def test_an_upgrade_hook_that_exits_keeps_the_old_version_and_the_caller(
    desk: Desk, tmp_path: Path, backend: str,
) -> None:
    """Issue 14, item 26: upgrade() runs in a child too; os._exit(0) there is one error."""
    if backend == "memory":
        pytest.skip("an in-memory store runs hooks in this process: os._exit would end it")
    code = installed_v1(desk, tmp_path)
    link = desk.settings.extensions_dir / code
    old_target = link.readlink()

    with pytest.raises(ExtensionError, match=r"upgrade\(\) ended \(exit code 0\)"):
        desk.installer.upload(package(tmp_path, code, "2.0.0", module(
            code, upgrade=add_second(code) + "; import os; os._exit(0)")), upgrade=True)

    assert link.readlink() == old_target
    assert desk.version(code) == "1.0.0"
    assert desk.tasks() == {f"{code}_first": {}}
