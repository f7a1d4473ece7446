"""The catalogue, for real: extensions from installed distributions (entry points in the
group `taskdesk.extensions`) next to uploaded ones, and broken extensions that show their
problem without breaking the list or other extensions' tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadPackage, ExtensionError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.extensions import Extension, ModuleRef
from taskdesk.models.tasks import Status
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.store import MemoryStore, Store
from tests.extensions.support import (
    manifest,
    seed_files,
    write,
    write_entry_point_distribution,
    write_extension,
    write_zip,
)

CODE = "tp_ext"
DISTRIBUTION = "tp-ext-pkg"
MESSAGE = "tp_ext task ran from its distribution"
ACTION = "task/catalog/tp_ext.task"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of `tp_ext_pkg`, installed as the distribution tp-ext-pkg on sys.path."""
    site = tmp_path / "site"
    folder = write_entry_point_distribution(site, package="tp_ext_pkg",
                                            distribution=DISTRIBUTION, code=CODE,
                                            files=seed_files(CODE, message=MESSAGE))
    monkeypatch.syspath_prepend(str(site))
    return folder


@pytest.fixture
def catalogue(settings: Settings) -> Catalogue:
    return Catalogue(settings.extensions_dir)


@pytest.fixture
def loader(catalogue: Catalogue) -> ControllerLoader:
    return ControllerLoader(catalogue.locate)


@pytest.fixture
def lifecycle(catalogue: Catalogue, loader: ControllerLoader, store: Store,
              settings: Settings) -> Lifecycle:
    return Lifecycle(catalogue, loader, store, settings, ErrorLog(settings.error_log))


def runner(store: Store, settings: Settings, loader: ControllerLoader) -> Runner:
    return Runner(store, settings, resolver=Resolver(loader))


def by_code(extensions: list[Extension]) -> dict[str, Extension]:
    return {extension.code: extension for extension in extensions}


# -- entry-point extensions ---------------------------------------------------------------------

def test_entry_point_extension_is_in_the_catalogue(package: Path, catalogue: Catalogue) -> None:
    listed = by_code(catalogue.all())

    extension = listed[CODE]
    assert extension.source == DISTRIBUTION
    assert extension.root == package
    assert extension.problem is None
    assert extension.modules == (ModuleRef(type="module", code=CODE),)
    assert extension.manifest.name == "Test extension"
    assert catalogue.get(CODE) == extension
    assert catalogue.locate(CODE) == package
    assert CODE in catalogue.entry_point_codes()


def test_entry_point_extension_installs_and_its_task_runs(
    package: Path, lifecycle: Lifecycle, loader: ControllerLoader, store: Store,
    settings: Settings,
) -> None:
    assert lifecycle.install(CODE) == [ModuleRef(type="module", code=CODE)]
    [task] = TaskRegistry(store, settings).list_tasks()
    assert (task.code, task.action) == (f"{CODE}_task", ACTION)

    stats = runner(store, settings, loader).drain()

    assert stats.by_status == {Status.COMPLETE: 1}
    done = store.get(task.task_id)
    assert done is not None
    assert done.status is Status.COMPLETE
    assert settings.error_log.read_text().splitlines()[-1].endswith(f" - {MESSAGE}")

    assert lifecycle.uninstall(CODE) == [ModuleRef(type="module", code=CODE)]
    assert TaskRegistry(store, settings).list_tasks() == []
    assert store.installed_modules(CODE) == []


@pytest.mark.parametrize("upgrade", [False, True])
def test_upload_with_the_code_of_an_entry_point_extension_is_refused(
    package: Path, settings: Settings, catalogue: Catalogue, tmp_path: Path, upgrade: bool,
) -> None:
    source = write_zip(tmp_path / "upload" / f"{CODE}.zip", [
        ("install.json", manifest(CODE)), *seed_files(CODE, message="impostor").items(),
    ])

    with pytest.raises(BadPackage, match=rf"extension code '{CODE}' is taken by an installed "
                                         r"Python package"):
        Installer(settings, catalogue, MemoryStore()).upload(source, upgrade=upgrade)

    assert not (settings.extensions_dir / CODE).exists()
    assert not (settings.packages_dir / f"{CODE}.zip").exists()
    assert catalogue.get(CODE).source == DISTRIBUTION


def test_remove_refuses_an_entry_point_extension(package: Path, settings: Settings,
                                                 catalogue: Catalogue) -> None:
    with pytest.raises(ExtensionError, match=rf"extension '{CODE}' comes from the Python "
                                             rf"package {DISTRIBUTION}: uninstall that"):
        Installer(settings, catalogue, MemoryStore()).remove(CODE)

    assert (package / "install.json").is_file()
    assert catalogue.get(CODE).source == DISTRIBUTION


def test_uploaded_folder_wins_over_an_entry_point(package: Path, settings: Settings,
                                                  catalogue: Catalogue) -> None:
    """An extension uploaded before a distribution with its code was installed stays."""
    folder = write_extension(settings.extensions_dir / CODE, CODE, seed_files(CODE))

    assert catalogue.get(CODE).source == "upload"
    assert catalogue.locate(CODE) == folder
    assert [e.source for e in catalogue.all() if e.code == CODE] == ["upload"]


def test_entry_point_whose_package_is_missing_shows_its_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalogue: Catalogue,
) -> None:
    site = tmp_path / "site"
    info = site / "tp_ghost-1.0.dist-info"
    write(info / "METADATA", "Metadata-Version: 2.1\nName: tp-ghost\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[taskdesk.extensions]\ntp_ghost = tp_ghost_pkg\n")
    monkeypatch.syspath_prepend(str(site))

    ghost = by_code(catalogue.all())["tp_ghost"]

    assert ghost.source == "tp-ghost"
    assert ghost.problem == "its Python package cannot be found"
    assert ghost.modules == ()


# -- broken extensions --------------------------------------------------------------------------

def test_broken_install_json_is_listed_with_its_problem(package: Path, settings: Settings,
                                                        catalogue: Catalogue) -> None:
    write(settings.extensions_dir / "tp_broken" / "install.json", '{"name": "Broken",')
    write(settings.extensions_dir / "tp_broken" / "admin/controller/module/tp_broken.py", "")
    write(settings.extensions_dir / "tp_nameless" / "admin/controller/module/x.py", "")
    write_extension(settings.extensions_dir / "tp_liar", "tp_other", {})
    write_extension(settings.extensions_dir / "tp_fine", "tp_fine", seed_files("tp_fine"))

    listed = by_code(catalogue.all())

    assert listed["tp_broken"].problem is not None
    assert "install.json is not valid JSON" in listed["tp_broken"].problem
    assert listed["tp_broken"].modules == ()
    assert listed["tp_nameless"].problem == "no install.json"
    assert listed["tp_liar"].problem == "install.json says its code is 'tp_other'"
    assert listed["tp_fine"].problem is None
    assert listed[CODE].problem is None
    assert [e.code for e in catalogue.all()] == sorted(listed)


def test_catalog_controller_with_a_syntax_error_fails_only_its_own_task(
    package: Path, lifecycle: Lifecycle, loader: ControllerLoader, store: Store,
    settings: Settings, catalogue: Catalogue,
) -> None:
    write_extension(settings.extensions_dir / "tp_bad", "tp_bad", {
        "catalog/controller/task.py": "class Task(Controller:\n    pass\n",
    })
    registry = TaskRegistry(store, settings)
    bad = registry.add("bad", "task/catalog/tp_bad.task", priority=10)  # runs first
    good = registry.add("good", ACTION)

    stats = runner(store, settings, loader).drain()

    assert stats.by_status == {Status.FAILED: 1, Status.COMPLETE: 1}
    failed = registry.get(bad.task_id)
    assert failed.status is Status.FAILED
    assert failed.attempts == 1  # a controller that cannot load is not retried
    assert failed.response is not None
    assert "extension 'tp_bad'" in failed.response
    assert "catalog/controller/task.py" in failed.response
    assert "SyntaxError" in failed.response
    assert registry.get(good.task_id).status is Status.COMPLETE
    assert MESSAGE in settings.error_log.read_text()
    listed = by_code(catalogue.all())
    assert {"tp_bad", CODE} <= set(listed)
    assert listed[CODE].problem is None
