"""Lifecycle: install()/uninstall() of extension modules, all or nothing, idempotent and
symmetric, on every store; and Installer.remove, which waits for the modules to go."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadInput, ExtensionError, ExtensionNotFound
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.error_lines import ErrorLineFilter
from taskdesk.models.extensions import ModuleRef
from taskdesk.models.tasks import Task
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore, Store
from tests.extensions.support import (
    manifest,
    module_source,
    unique_code,
    write,
    write_extension,
    zip_folder,
)

OTHER_ACTION = "task/catalog/elsewhere.task"


def build_lifecycle(store: Store, settings: Settings, log: Path) -> Lifecycle:
    catalogue = Catalogue(settings.extensions_dir)
    return Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings,
                     ErrorLog(log))


@pytest.fixture
def lifecycle(store: Store, settings: Settings, tmp_path: Path) -> Lifecycle:
    return build_lifecycle(store, settings, tmp_path / "error.log")


def class_of(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def add(code: str, action: str) -> str:
    return f"self.tasks.add(code={code!r}, action={action!r})"


def log(message: str) -> str:
    return f"self.log.write({message!r})"


def counting_module(code: str, *, install: str = "pass", uninstall: str = "pass",
                    label: str | None = None) -> str:
    """A module that logs `install <label>` / `uninstall <label>` (label: the module's code)
    each time a hook runs."""
    label = label or code
    return module_source(class_of(code), install=f"{log('install ' + label)}; {install}",
                         uninstall=f"{log('uninstall ' + label)}; {uninstall}")


def extension(settings: Settings, code: str, modules: dict[str, str], **fields: object) -> Path:
    """An uploaded extension folder with admin modules `type/code` → source."""
    return write_extension(settings.extensions_dir / code, code, {
        f"admin/controller/{name}.py": source for name, source in modules.items()
    }, install_json=manifest(code, **fields))


def lines(lifecycle: Lifecycle, text: str) -> int:
    """How many entries of the error log end with `text`: how often a hook ran."""
    return sum(line.endswith(f" - {text}") for line in lifecycle.error_log.read().splitlines())


def tasks(store: Store, settings: Settings) -> list[Task]:
    return TaskRegistry(store, settings).list_tasks()


def installed(store: Store, code: str) -> list[str]:
    return [f"{m.type}/{m.code}" for m in store.installed_modules(code)]


# -- install, uninstall ---------------------------------------------------------------------

def test_install_runs_install_and_marks_the_module_installed(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("seed")
    extension(settings, code, {f"module/{code}": counting_module(
        code, install=add(f"{code}_task", f"task/catalog/{code}.task"))})

    done = lifecycle.install(code)

    assert done == [ModuleRef(type="module", code=code)]
    assert installed(store, code) == [f"module/{code}"]
    assert lifecycle.installed(code) == {ModuleRef(type="module", code=code)}
    assert [(t.code, t.action) for t in tasks(store, settings)] == [
        (f"{code}_task", f"task/catalog/{code}.task")]
    assert lines(lifecycle, f"install {code}") == 1


def test_install_twice_does_nothing_the_second_time(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("seed")
    extension(settings, code, {f"module/{code}": counting_module(
        code, install=add(f"{code}_task", OTHER_ACTION))})
    lifecycle.install(code)
    first = tasks(store, settings)

    assert lifecycle.install(code) == []

    assert lines(lifecycle, f"install {code}") == 1
    assert tasks(store, settings) == first
    assert installed(store, code) == [f"module/{code}"]


def test_uninstall_undoes_install_and_is_idempotent(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("seed")
    extension(settings, code, {f"module/{code}": counting_module(
        code, install=add(f"{code}_task", OTHER_ACTION),
        uninstall=f"self.tasks.delete_by_code({code + '_task'!r})")})
    assert lifecycle.uninstall(code) == []  # never installed: uninstall() does not run
    assert lines(lifecycle, f"uninstall {code}") == 0
    lifecycle.install(code)

    assert lifecycle.uninstall(code) == [ModuleRef(type="module", code=code)]
    assert lifecycle.uninstall(code) == []

    assert lines(lifecycle, f"uninstall {code}") == 1
    assert tasks(store, settings) == []
    assert installed(store, code) == []
    assert lifecycle.installed(code) == set()
    assert lifecycle.install(code) == [ModuleRef(type="module", code=code)]  # and again
    assert lines(lifecycle, f"install {code}") == 2


# -- all or nothing -------------------------------------------------------------------------

def test_install_that_raises_leaves_no_task_and_no_installed_module(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("boom")
    shared = f"{code}_shared"
    before = TaskRegistry(store, settings).add(shared, OTHER_ACTION, {"keep": True})
    extension(settings, code, {f"module/{code}": counting_module(
        code, install=f"{add(shared, 'task/catalog/x.task')}; {add(code + '_new', OTHER_ACTION)}"
                      "; raise RuntimeError('disk on fire')")})

    with pytest.raises(ExtensionError) as raised:
        lifecycle.install(code)

    message = raised.value.message
    assert f"extension {code!r}" in message
    assert f"module module/{code}" in message
    assert "install() failed: RuntimeError: disk on fire" in message
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert tasks(store, settings) == [before]  # the replaced task is back, the new one gone
    assert installed(store, code) == []
    assert lines(lifecycle, f"install {code}") == 1


def test_a_module_failing_undoes_the_modules_installed_before_it(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("pair")
    extension(settings, code, {
        "module/alpha": counting_module("alpha", install=add(f"{code}_alpha", OTHER_ACTION)),
        "module/beta": counting_module("beta", install="raise ValueError('no beta')"),
    })

    with pytest.raises(ExtensionError, match=r"module module/beta: install\(\) failed: "
                                             r"ValueError: no beta"):
        lifecycle.install(code)

    assert lines(lifecycle, "install alpha") == 1  # alpha's install() ran, and was undone
    assert tasks(store, settings) == []
    assert installed(store, code) == []


def test_uninstall_that_raises_keeps_the_module_and_its_tasks(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("sticky")
    extension(settings, code, {f"module/{code}": counting_module(
        code,
        install=f"{add(code + '_a', OTHER_ACTION)}; {add(code + '_b', OTHER_ACTION)}",
        uninstall=f"self.tasks.delete_by_code({code + '_a'!r}); "
                  f"self.tasks.delete_by_code({code + '_b'!r}); raise KeyError('stuck')",
    )})
    lifecycle.install(code)
    before = tasks(store, settings)
    assert len(before) == 2

    with pytest.raises(ExtensionError) as raised:
        lifecycle.uninstall(code)

    message = raised.value.message
    assert f"extension {code!r}, module module/{code}" in message
    assert "uninstall() failed: KeyError: 'stuck'" in message
    assert tasks(store, settings) == before
    assert installed(store, code) == [f"module/{code}"]


# -- modules that cannot be used ---------------------------------------------------------------

def test_module_with_a_syntax_error_fails_naming_the_extension(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("broken")
    extension(settings, code, {f"module/{code}": "class Broken(:\n    pass\n"})

    with pytest.raises(ExtensionError) as raised:
        lifecycle.install(code)

    assert f"extension {code!r}" in raised.value.message
    assert "SyntaxError" in raised.value.message
    assert f"admin/controller/module/{code}.py" in raised.value.message
    assert installed(store, code) == []


def test_module_class_that_is_not_a_controller_fails(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("plain")
    extension(settings, code, {f"module/{code}": (
        f"class {class_of(code)}:\n    def install(self) -> None:\n        raise SystemExit\n")})

    with pytest.raises(ExtensionError, match=rf"extension '{code}', module module/{code}: "
                                             rf"no Controller subclass {class_of(code)}"):
        lifecycle.install(code)

    assert installed(store, code) == []


def test_extension_with_a_broken_install_json_cannot_be_installed(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("nojson")
    write(settings.extensions_dir / code / "install.json", "{not json")
    write(settings.extensions_dir / code / "admin/controller/module/x.py", "")

    with pytest.raises(ExtensionError, match=rf"extension '{code}' cannot be used: "
                                             r"install\.json is not valid JSON"):
        lifecycle.install(code)

    assert installed(store, code) == []


# -- choosing modules ---------------------------------------------------------------------------

def test_module_option_selects_one_of_two_modules(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("two")
    extension(settings, code, {"module/alpha": counting_module("alpha"),
                               "report/beta": counting_module("beta")})

    assert lifecycle.install(code, "report/beta") == [ModuleRef(type="report", code="beta")]
    assert installed(store, code) == ["report/beta"]
    assert lines(lifecycle, "install alpha") == 0

    assert lifecycle.install(code, "alpha") == [ModuleRef(type="module", code="alpha")]
    assert sorted(installed(store, code)) == ["module/alpha", "report/beta"]

    assert lifecycle.uninstall(code, "beta") == [ModuleRef(type="report", code="beta")]
    assert installed(store, code) == ["module/alpha"]
    assert lines(lifecycle, "uninstall alpha") == 0


def test_unknown_module_or_extension_is_not_found(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("two")
    extension(settings, code, {"module/alpha": counting_module("alpha")})

    with pytest.raises(ExtensionNotFound, match=rf"extension '{code}' has no module "
                                                r"'report/alpha'"):
        lifecycle.install(code, "report/alpha")
    with pytest.raises(ExtensionNotFound, match="gamma"):
        lifecycle.uninstall(code, "gamma")
    with pytest.raises(ExtensionNotFound, match=r"no extension with code 'nowhere_at_all'"):
        lifecycle.install("nowhere_at_all")

    assert installed(store, code) == []
    assert lines(lifecycle, "install alpha") == 0


# -- requirements --------------------------------------------------------------------------------

def test_unmet_requirement_stops_install_naming_it(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("needy")
    extension(settings, code, {f"module/{code}": counting_module(code)},
              requires=["definitely-not-installed-dist>=1"])

    with pytest.raises(ExtensionError, match=rf"extension '{code}' needs "
                                             r"definitely-not-installed-dist>=1"):
        lifecycle.install(code)

    assert lines(lifecycle, f"install {code}") == 0
    assert installed(store, code) == []


def test_met_requirement_lets_install_run(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("needy")
    extension(settings, code, {f"module/{code}": counting_module(code)}, requires=["pytest>=1"])

    assert lifecycle.install(code) == [ModuleRef(type="module", code=code)]
    assert lines(lifecycle, f"install {code}") == 1


# -- upgrades and several installations ---------------------------------------------------------

def test_install_after_an_upgrade_runs_the_new_code(
    lifecycle: Lifecycle, store: Store, settings: Settings, tmp_path: Path,
) -> None:
    code = unique_code("moving")
    upload = Installer(settings, lifecycle.catalogue, store)
    for version in ("one", "two"):
        source = write_extension(tmp_path / version, code, {
            f"admin/controller/module/{code}.py": counting_module(
                code, label=f"{code} {version}"),
        })
        upload.upload(zip_folder(source, tmp_path / f"{version}.zip"), upgrade=True)
        lifecycle.install(code)
        lifecycle.uninstall(code)

    assert lines(lifecycle, f"install {code} one") == 1
    assert lines(lifecycle, f"install {code} two") == 1


def test_two_installations_in_one_process_run_their_own_modules(tmp_path: Path) -> None:
    """Two Taskdesk objects (two homes) in one process, each with an extension of the same
    code: each must run its own install(), not the one the other loaded first."""
    code = unique_code("twin")
    lifecycles = []
    for name in ("first", "second"):
        settings = Settings(home=tmp_path / name)
        extension(settings, code, {f"module/{code}": counting_module(
            code, label=f"{code} {name}")})
        lifecycles.append(build_lifecycle(MemoryStore(), settings, tmp_path / f"{name}.log"))

    for each in lifecycles:
        each.install(code)

    assert lines(lifecycles[0], f"install {code} first") == 1
    assert lines(lifecycles[1], f"install {code} second") == 1


# -- removing an uploaded extension -------------------------------------------------------------

def test_remove_waits_until_the_modules_are_uninstalled(
    lifecycle: Lifecycle, store: Store, settings: Settings, tmp_path: Path,
) -> None:
    code = unique_code("gone")
    source = write_extension(tmp_path / "source", code, {
        f"admin/controller/module/{code}.py": counting_module(code),
        "admin/controller/report/extra.py": counting_module("extra"),
    })
    upload = Installer(settings, lifecycle.catalogue, store)
    upload.upload(zip_folder(source, tmp_path / f"{code}.zip"))
    folder = settings.extensions_dir / code
    package = settings.packages_dir / f"{code}.zip"
    lifecycle.install(code)

    with pytest.raises(ExtensionError, match=re.escape(
            f"extension {code!r} still has installed modules (module/{code}, report/extra)")):
        upload.remove(code)
    assert folder.is_dir()
    assert package.is_file()

    lifecycle.uninstall(code, "extra")
    with pytest.raises(ExtensionError, match=rf"still has installed modules \(module/{code}\)"):
        upload.remove(code)

    lifecycle.uninstall(code)
    upload.remove(code)

    assert not folder.exists()
    assert not package.exists()
    assert list(settings.scratch_dir.iterdir()) == []
    with pytest.raises(ExtensionNotFound):
        upload.remove(code)


@pytest.mark.parametrize("code", ["../logs", "../../victim", "..", "."])
def test_remove_refuses_codes_that_are_paths(settings: Settings, tmp_path: Path,
                                             code: str) -> None:
    """A code is a name, never a path: `remove ../logs` must not delete the logs folder, nor
    `remove .` the whole extensions folder."""
    write(settings.logs_dir / "error.log", "keep me\n")
    write(tmp_path / "victim" / "data.txt", "keep me\n")
    kept = write(settings.extensions_dir / "keep" / "install.json", manifest("keep"))

    with pytest.raises((ExtensionNotFound, BadInput)):
        Installer(settings, Catalogue(settings.extensions_dir), MemoryStore()).remove(code)

    assert (settings.logs_dir / "error.log").read_text() == "keep me\n"
    assert (tmp_path / "victim" / "data.txt").read_text() == "keep me\n"
    assert kept.read_text() == manifest("keep")


def test_a_module_whose_constructor_raises_is_an_extension_error(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    code = unique_code("ctor")
    source = module_source(class_of(code)) + (
        "\n    def __init__(self, context: object) -> None:\n"
        "        raise ValueError('no config')\n"
    )
    extension(settings, code, {f"module/{code}": source})

    with pytest.raises(ExtensionError, match=rf"{code}.*ValueError: no config"):
        lifecycle.install(code)
    assert installed(store, code) == []


# -- the hooks' own lines -------------------------------------------------------------------
def test_the_lines_a_hook_writes_are_stored_with_its_change(
    lifecycle: Lifecycle, store: Store, settings: Settings,
) -> None:
    """A hook runs inside its change's transaction (in a child, on a database): its lines are
    stored once that ends. Stored at once, each waited on SQLite's write lock, which the
    change itself held, until the store gave up: the line missed the database, the install
    took five seconds more."""
    if isinstance(store, MemoryStore):
        pytest.skip("an in-memory store runs hooks in this process, with the caller's log")
    code = unique_code("seed")
    extension(settings, code, {f"module/{code}": counting_module(code)})

    lifecycle.install(code)
    lifecycle.uninstall(code)

    stored = [line.message for line in store.error_lines.page(ErrorLineFilter(), 10)]
    assert stored == [f"install {code}", f"uninstall {code}"]
